//! The RDP settings catalog: every setting the policy language can express, as data with
//! provenance. Every back end and the audit read it; no registry path is spelled elsewhere.

pub(crate) mod accounts;
pub mod admx;
#[cfg(test)]
mod admx_check;
mod causes;
pub(crate) mod custom_admx;
pub mod evidence;
pub mod keys;
mod settings;
mod types;

pub use causes::CAUSES;
pub use settings::SETTINGS;
pub use types::{
    AdmxPolicy, Benchmark, Cause, Class, Data, Element, LocalValue, Mapping, Setting, State,
    ValueType,
};

/// Session time limits as Group Policy stores them: the enum items of `MaxIdleTime`,
/// `MaxDisconnectionTime` and `MaxConnectionTime` in TerminalServer.admx, in milliseconds.
pub const SESSION_DURATIONS: &[(&str, u32)] = &[
    ("never", 0),
    ("1m", 60_000),
    ("5m", 300_000),
    ("10m", 600_000),
    ("15m", 900_000),
    ("30m", 1_800_000),
    ("1h", 3_600_000),
    ("2h", 7_200_000),
    ("3h", 10_800_000),
    ("6h", 21_600_000),
    ("8h", 28_800_000),
    ("12h", 43_200_000),
    ("16h", 57_600_000),
    ("18h", 64_800_000),
    ("1d", 86_400_000),
    ("2d", 172_800_000),
    ("3d", 259_200_000),
    ("4d", 345_600_000),
    ("5d", 432_000_000),
];

/// Milliseconds of a policy duration (`15m`, `60m`, `2h`, `1d`, `never`), if Group Policy offers
/// that value.
#[must_use]
pub fn session_duration_ms(text: &str) -> Option<u32> {
    let ms = if text == "never" {
        0
    } else {
        let unit = text.chars().last()?;
        let number: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
        let factor = match unit {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => return None,
        };
        number.checked_mul(factor)?
    };
    SESSION_DURATIONS
        .iter()
        .find(|(_, v)| u64::from(*v) == ms)
        .map(|(_, v)| *v)
}

/// Minutes of a keep-alive interval as the policy writes it: `never` is `Some(0)` (the
/// policy's Disabled state); otherwise 1 to 999999 minutes (TS_KEEP_ALIVE's range) as `Nm`
/// (1..999999), `Nh` (1..9999) or `Nd` (1..99), digits without sign or leading zero.
#[must_use]
pub fn keep_alive_minutes(text: &str) -> Option<u32> {
    if text == "never" {
        return Some(0);
    }
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    let (max_digits, factor) = match unit {
        'm' => (6, 1),
        'h' => (4, 60),
        'd' => (2, 1_440),
        _ => return None,
    };
    if digits.is_empty()
        || digits.len() > max_digits
        || digits.starts_with('0')
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse::<u32>().ok()?.checked_mul(factor)
}

/// `posture.accountLockout.duration` for "until an administrator unlocks the account",
/// which GptTmpl.inf writes as `LockoutDuration = -1`.
pub const UNTIL_UNLOCKED: &str = "until-unlocked";

/// The failed logons `posture.accountLockout.threshold` may name (the settings editor's range;
/// the schema states it too).
pub const LOCKOUT_THRESHOLD: std::ops::RangeInclusive<i64> = 0..=999;

/// The minutes Windows accepts for the lockout duration and the reset of its count.
pub const LOCKOUT_MINUTES: std::ops::RangeInclusive<u32> = 1..=99_999;

/// `LockoutDuration` of a `posture.accountLockout.duration`: its minutes, or -1 for
/// [`UNTIL_UNLOCKED`]; `None` when it is neither.
#[must_use]
pub fn lockout_duration(text: &str) -> Option<i64> {
    if text == UNTIL_UNLOCKED {
        Some(-1)
    } else {
        lockout_minutes(text).map(i64::from)
    }
}

/// Minutes of a lockout duration or reset (`15m`, `2h`, `1d`), in [`LOCKOUT_MINUTES`].
#[must_use]
pub fn lockout_minutes(text: &str) -> Option<u32> {
    (text != "never")
        .then(|| keep_alive_minutes(text))
        .flatten()
        .filter(|m| LOCKOUT_MINUTES.contains(m))
}

/// The range of `TS_MAX_CON_POLICY`'s `MaxInstanceCount` (999999 means unlimited).
pub const MAX_CONNECTIONS: std::ops::RangeInclusive<i64> = 1..=999_999;

/// The DWORD Windows uses for a local value that is absent, where that differs from "off":
/// `Lsa\LmCompatibilityLevel` reads as 3 (send NTLMv2 responses only). The audit counts an
/// absent value as this one.
#[must_use]
pub fn absent_reads_as(key: &str, value_name: &str) -> Option<u32> {
    (key.eq_ignore_ascii_case(keys::LSA)
        && value_name.eq_ignore_ascii_case(keys::LM_COMPATIBILITY_LEVEL))
    .then_some(3)
}

/// The setting of a policy field.
#[must_use]
pub fn setting(field: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.field == field)
}

/// The setting of a policy field the code names, resolved at compile time: use it in a const
/// context (`const { catalog::field("certificate.thumbprint") }`), where a field the catalog
/// lacks is a compile error rather than a lookup that can fail at run time.
///
/// ```
/// const NLA: &rdpgen::catalog::Setting = rdpgen::catalog::field("security.nla");
/// assert_eq!(NLA.field, "security.nla");
/// ```
///
/// ```compile_fail
/// const TYPO: &rdpgen::catalog::Setting = rdpgen::catalog::field("security.nlaa");
/// ```
#[must_use]
#[allow(
    clippy::panic,
    reason = "evaluated in const contexts only: the panic is a compile error"
)]
pub const fn field(name: &str) -> &'static Setting {
    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let mut i = 0;
    while i < SETTINGS.len() {
        if same(SETTINGS[i].field, name) {
            return &SETTINGS[i];
        }
        i += 1;
    }
    panic!("no catalog setting has this field")
}

/// Settings that write or read a registry value of this name (case-insensitive, as Windows).
pub fn settings_by_value_name(name: &str) -> impl Iterator<Item = &'static Setting> + '_ {
    SETTINGS.iter().filter(move |s| {
        s.policy
            .is_some_and(|p| p.value_name.eq_ignore_ascii_case(name))
            || s.local
                .iter()
                .any(|l| l.value_name.eq_ignore_ascii_case(name))
    })
}

/// A 0x904/0x7 cause by id (`C1`).
#[must_use]
pub fn cause(id: &str) -> Option<&'static Cause> {
    CAUSES.iter().find(|c| c.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// validate and the editor schema check `MAX_CONNECTIONS`; lowering checks the ADMX
    /// element (which `admx_check` compares with Microsoft's file): they must be one range.
    #[test]
    fn max_connections_is_the_admx_elements_range() {
        let policy = field("connection.maxConnections")
            .policy
            .expect("an ADMX policy");
        let Some(Element::Decimal { min, max, .. }) = policy.element else {
            panic!("TS_MAX_CON_POLICY has a decimal element");
        };
        assert_eq!(
            MAX_CONNECTIONS,
            i64::from(min)..=i64::from(max),
            "MAX_CONNECTIONS and the ADMX element disagree"
        );
    }

    #[test]
    fn policy_keys_are_the_two_group_policy_roots_in_any_case() {
        assert!(keys::is_policy_key(keys::TS_POLICY));
        assert!(keys::is_policy_key(r"software\policies\x"));
        assert!(keys::is_policy_key(
            r"Software\Microsoft\Windows\CurrentVersion\Policies\System"
        ));
        assert!(!keys::is_policy_key(keys::RDP_TCP));
        assert!(!keys::is_policy_key(r"SOFTWARE\PoliciesX\y"));
        assert!(!keys::is_policy_key("SOFTWARE"));
    }
}
