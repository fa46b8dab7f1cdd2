//! Waivers: accepted deviations. A failing check whose field (or id) and host match a waiver
//! that has not expired becomes *waived*: shown with the reason in every report, and counted
//! as passing for the host's verdict and the exit status. An expired waiver hides nothing.

use super::compare::{HostReport, HostStatus, Outcome};
use crate::model::Waiver;

/// Check ids that are not policy fields (their field is in the check).
pub const CHECK_STEMS: &[&str] = &[
    "certificate.expiry",
    "certificate.selfSigned",
    "certificate.keySize",
    "certificate.eku",
    "certificate.privateKey",
    "certificate.binding",
    "certificate.inUse",
    "consistency",
    "firewall",
    "logonRights",
];

/// Days since 1970-01-01 of `YYYY-MM-DD`.
#[must_use]
pub fn parse_day(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() != 10 || t.as_bytes()[4] != b'-' || t.as_bytes()[7] != b'-' {
        return None;
    }
    let secs = super::time::parse_rfc3339(&format!("{t}T00:00:00Z"))?;
    // Reject days that do not exist (2027-02-30 would roll over).
    (super::format_rfc3339(secs).get(..10) == Some(t)).then_some(secs.div_euclid(86_400))
}

/// Today (UTC) in days since the epoch: `SOURCE_DATE_EPOCH` when set, for reproducible runs.
#[must_use]
pub fn today() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        })
        .div_euclid(86_400)
}

/// `*` and `?` globs, ASCII case-insensitive (host names are).
#[must_use]
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn covers(w: &Waiver, field: &str, id: &str, host: &str) -> bool {
    let what = w.field == field
        || w.field == id
        || id
            .strip_prefix(w.field.as_str())
            .is_some_and(|rest| rest.starts_with(':'));
    what && (w.hosts.is_empty() || w.hosts.iter().any(|h| glob(h, host)))
}

/// Applies the waivers to one host's report; returns which waivers matched a failing check.
pub fn apply(report: &mut HostReport, waivers: &[Waiver], today: i64) -> Vec<bool> {
    let mut used = vec![false; waivers.len()];
    if report.status == HostStatus::Unreadable {
        return used;
    }
    for check in &mut report.checks {
        if check.outcome != Outcome::Fail {
            continue;
        }
        for (i, w) in waivers.iter().enumerate() {
            if !covers(w, &check.field, &check.id, &report.host) {
                continue;
            }
            used[i] = true;
            match parse_day(&w.expires) {
                Some(day) if day >= today => {
                    check.outcome = Outcome::Waived;
                    check.waiver = Some(format!("waived until {}: {}", w.expires, w.reason));
                    break;
                }
                _ => {
                    check.waiver = Some(format!(
                        "the waiver until {} has expired: {}",
                        w.expires, w.reason
                    ));
                }
            }
        }
    }
    report.status = super::compare::verdict(&report.checks);
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_days() {
        assert!(glob("RDS-*", "rds-t1-01"));
        assert!(glob("*-0?", "web-01"));
        assert!(!glob("web-0?", "web-010"));
        assert!(glob("*", ""));
        assert!(!glob("a*b", "acd"));
        assert_eq!(parse_day("1970-01-02"), Some(1));
        assert_eq!(parse_day("2027-02-30"), None);
        assert_eq!(parse_day("2027-2-3"), None);
        assert_eq!(parse_day("soon"), None);
    }
}
