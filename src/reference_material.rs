//! For unit tests only: the rule for a test that needs something outside the repository
//! (`../shared/reference`), the same as the integration tests' `available` in
//! `tests/support/mod.rs`: skip visibly locally, fail when `CI` is set.

/// Whether the material is there; when it is not, says so visibly and returns `false`, or
/// panics under CI (`CI` set), so a CI run can never pass without it.
pub(crate) fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is missing, and CI is set: install it (.ci/run does)"
    );
    // Straight to the process's stderr: the test harness captures `eprintln!` of a passing
    // test, and a skip must be seen.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr().lock(),
        format!("\n!!! SKIPPED: {what} is missing; this test DID NOT RUN here (CI runs it) !!!\n")
            .as_bytes(),
    );
    false
}
