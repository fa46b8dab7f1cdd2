//! Text report: one block per host, findings with their cause and the field that fixes them;
//! ANSI colour when the caller asks for it (a terminal without NO_COLOR).

use std::io::{self, Write};

use super::{Context, Report, Summary};
use crate::audit::compare::{FindingSeverity, HostReport, HostStatus, Outcome};

pub struct Text {
    pub color: bool,
    /// Also list passing checks.
    pub verbose: bool,
}

impl Text {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Host names, check ids and messages come from snapshots: never let them carry terminal
/// escapes or bidi controls (see [`crate::escape::terminal`]).
fn plain(s: &str) -> String {
    crate::escape::terminal::sanitize(s).into_owned()
}

impl Report for Text {
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        writeln!(
            out,
            "rdpgen diff: policy {} ({}, sha256:{})\n",
            plain(&ctx.policy_name),
            plain(&ctx.policy_file),
            &ctx.policy_hash[..12.min(ctx.policy_hash.len())]
        )
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        let name = plain(&host.host);
        match host.status {
            HostStatus::Unreadable => {
                writeln!(
                    out,
                    "{} {name}: {}",
                    self.paint("31;1", "UNREADABLE"),
                    plain(host.error.as_deref().unwrap_or(""))
                )?;
            }
            HostStatus::Compliant => {
                let checked = host
                    .checks
                    .iter()
                    .filter(|c| c.outcome == Outcome::Pass)
                    .count();
                writeln!(
                    out,
                    "{} {name}: {checked} checks passed, all verified",
                    self.paint("32", "compliant")
                )?;
            }
            HostStatus::Drifted | HostStatus::Incomplete => {
                let n = host.failures().count();
                let unverified = host.not_verified().count();
                let passed = host
                    .checks
                    .iter()
                    .filter(|c| c.outcome == Outcome::Pass)
                    .count();
                let label = if host.status == HostStatus::Drifted {
                    self.paint("31;1", "DRIFTED")
                } else {
                    self.paint("33;1", "INCOMPLETE")
                };
                writeln!(
                    out,
                    "{label} {name}: {n} finding{}, {unverified} not verified, {passed} passed (evidence: {})",
                    if n == 1 { "" } else { "s" },
                    plain(&host.evidence)
                )?;
            }
        }
        for check in &host.checks {
            let show = check.outcome != Outcome::Pass || self.verbose;
            if !show {
                continue;
            }
            let tag = match (check.outcome, check.severity) {
                (Outcome::Fail, FindingSeverity::Error) => self.paint("31", "error  "),
                (Outcome::Fail, FindingSeverity::Warning) => self.paint("33", "warning"),
                (Outcome::Pass, _) => self.paint("32", "ok     "),
                (Outcome::NotVerified, _) => self.paint("2", "not verified"),
                (Outcome::Waived, _) => self.paint("36", "waived "),
            };
            let cause = check
                .cause
                .map(|c| format!(" [0x904/0x7 cause {c}]"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {tag} {}: {}{cause}",
                plain(&check.id),
                plain(&check.message)
            )?;
            if let Some(w) = &check.waiver {
                writeln!(out, "          {}", plain(w))?;
            }
            if check.outcome == Outcome::Fail {
                writeln!(out, "          at {}", plain(&check.location))?;
                if let Some(fix) = &check.fix {
                    writeln!(out, "          fix: {}", plain(fix))?;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        writeln!(out, "\n{}", s.line())?;
        if !s.findings.is_empty() {
            writeln!(out, "findings by check (hosts):")?;
            for (id, count) in &s.findings {
                let cause = count.cause.map(|c| format!(" [{c}]")).unwrap_or_default();
                writeln!(out, "  {:>6}  {}{cause}", count.hosts, plain(id))?;
            }
        }
        if !s.not_verified.is_empty() {
            writeln!(out, "not verified by check (hosts):")?;
            for (id, count) in &s.not_verified {
                writeln!(out, "  {:>6}  {}", count.hosts, plain(id))?;
            }
        }
        Ok(())
    }
}
