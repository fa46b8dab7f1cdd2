//! Well-known accounts that logon-right entries may name, with their SIDs. Security templates
//! (GptTmpl.inf) list accounts as `*<SID>`; names that are not well known (domain groups) are
//! written as names and resolved by Windows when the template applies.

/// Name and SID of well-known local and built-in accounts, matched case-insensitively.
pub const WELL_KNOWN: &[(&str, &str)] = &[
    ("Administrators", "S-1-5-32-544"),
    ("Users", "S-1-5-32-545"),
    ("Guests", "S-1-5-32-546"),
    ("Power Users", "S-1-5-32-547"),
    ("Backup Operators", "S-1-5-32-551"),
    ("Remote Desktop Users", "S-1-5-32-555"),
    ("Everyone", "S-1-1-0"),
    ("Authenticated Users", "S-1-5-11"),
    ("Local account", "S-1-5-113"),
    (
        "Local account and member of Administrators group",
        "S-1-5-114",
    ),
    ("SYSTEM", "S-1-5-18"),
    ("LOCAL SERVICE", "S-1-5-19"),
    ("NETWORK SERVICE", "S-1-5-20"),
];

/// The SID of a well-known account name, or of an entry that already is a SID.
#[must_use]
pub fn sid_of(entry: &str) -> Option<String> {
    let bare = entry.strip_prefix('*').unwrap_or(entry);
    if bare.starts_with("S-1-") {
        return Some(bare.to_string());
    }
    WELL_KNOWN
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(entry))
        .map(|(_, sid)| (*sid).to_string())
}

/// The well-known name of a SID, for reports.
#[must_use]
pub fn name_of(sid: &str) -> Option<&'static str> {
    WELL_KNOWN
        .iter()
        .find(|(_, s)| s.eq_ignore_ascii_case(sid))
        .map(|(name, _)| *name)
}
