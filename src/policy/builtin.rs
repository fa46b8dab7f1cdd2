//! Built-in baselines, embedded from `policies/` so the binary needs no files beside it.

/// Name and YAML text of every built-in baseline.
pub const BASELINES: &[(&str, &str)] = &[
    ("cis-level1", include_str!("../../policies/cis-level1.yaml")),
    ("cis-level2", include_str!("../../policies/cis-level2.yaml")),
    ("stig", include_str!("../../policies/stig.yaml")),
    (
        "msft-baseline",
        include_str!("../../policies/msft-baseline.yaml"),
    ),
    (
        "break-glass",
        include_str!("../../policies/break-glass.yaml"),
    ),
];

/// The YAML text of a built-in baseline.
#[must_use]
pub fn baseline(name: &str) -> Option<&'static str> {
    BASELINES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Names of all built-in baselines.
pub fn names() -> impl Iterator<Item = &'static str> {
    BASELINES.iter().map(|(n, _)| *n)
}
