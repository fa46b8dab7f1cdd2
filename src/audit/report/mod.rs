//! Reports of an audit, written as hosts are checked: each writer gets the hosts one by one and
//! a summary at the end, so memory does not grow with the fleet beyond the summary.

mod csv;
mod github;
mod html;
mod json;
mod junit;
mod sarif;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::compare::{Area, FindingSeverity, HostReport, HostStatus, Outcome};

pub use csv::Csv;
pub use github::Github;
pub use html::Html;
pub use json::Json;
pub use junit::Junit;
pub use sarif::Sarif;
pub use text::Text;

/// What every report names at its top.
#[derive(Debug, Clone)]
pub struct Context {
    pub policy_name: String,
    pub policy_description: Option<String>,
    /// As given on the command line.
    pub policy_file: String,
    pub policy_hash: String,
    pub version: &'static str,
    /// When the report was made, RFC 3339 (`SOURCE_DATE_EPOCH` when set, for reproducible
    /// reports).
    pub report_date: String,
    /// Where each policy field is set in the policy files: (file, line, column), 1-based.
    /// Findings point there in SARIF and GitHub annotations.
    pub field_locations: BTreeMap<String, (String, usize, usize)>,
}

impl Context {
    /// The policy location of a check's field (a check id's field for `consistency.*`).
    #[must_use]
    pub fn location_of(&self, field: &str) -> Option<&(String, usize, usize)> {
        self.field_locations.get(field).or_else(|| {
            let section = field.split('.').next()?;
            self.field_locations.get(section)
        })
    }
}

/// Status of one host in one area, for the hosts × areas grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// No check of the host belongs to the area.
    NotChecked,
    Pass,
    /// A failure accepted by a waiver.
    Waived,
    /// Nothing failed, but something in the area could not be verified.
    NotVerified,
    Warning,
    Error,
}

/// Fleet-wide counts, kept while hosts stream past.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub hosts: usize,
    pub compliant: usize,
    pub drifted: usize,
    pub incomplete: usize,
    pub unreadable: usize,
    /// Failing hosts per check id, with the check's field and cause.
    pub findings: BTreeMap<String, FindingCount>,
    /// Hosts per check id that could not be verified.
    pub not_verified: BTreeMap<String, FindingCount>,
    /// One row per host: name, status and the cell of each area in [`Area::ALL`] order. Kept
    /// only when `keep_grid` is set (the HTML report shows it), so memory stays flat for the
    /// other formats however large the fleet.
    pub grid: Vec<(String, HostStatus, [Cell; Area::ALL.len()])>,
    pub keep_grid: bool,
    /// Hosts with a failing check (warning or error), per area in [`Area::ALL`] order.
    pub failing_per_area: [usize; Area::ALL.len()],
    /// Checks by outcome, over every host.
    pub passed: usize,
    pub failed_errors: usize,
    pub failed_warnings: usize,
    pub unverified: usize,
    pub waived: usize,
    /// Hosts per waived check id.
    pub waived_checks: BTreeMap<String, FindingCount>,
    /// Earliest and latest capture time of the hosts (RFC 3339 compares as text).
    pub captured: Option<(String, String)>,
}

#[derive(Debug, Default, Clone)]
pub struct FindingCount {
    pub hosts: usize,
    pub field: String,
    pub cause: Option<&'static str>,
    pub severity: Option<FindingSeverity>,
    pub fix: Option<String>,
}

impl Summary {
    pub fn add(&mut self, host: &HostReport) {
        self.hosts += 1;
        match host.status {
            HostStatus::Compliant => self.compliant += 1,
            HostStatus::Drifted => self.drifted += 1,
            HostStatus::Incomplete => self.incomplete += 1,
            HostStatus::Unreadable => self.unreadable += 1,
        }
        let mut cells = [Cell::NotChecked; Area::ALL.len()];
        if let Some(at) = &host.captured_at {
            self.captured = Some(match self.captured.take() {
                None => (at.clone(), at.clone()),
                Some((lo, hi)) => (lo.min(at.clone()), hi.max(at.clone())),
            });
        }
        for check in &host.checks {
            match (check.outcome, check.severity) {
                (Outcome::Pass, _) => self.passed += 1,
                (Outcome::Fail, FindingSeverity::Error) => self.failed_errors += 1,
                (Outcome::Fail, FindingSeverity::Warning) => self.failed_warnings += 1,
                (Outcome::NotVerified, _) => self.unverified += 1,
                (Outcome::Waived, _) => self.waived += 1,
            }
            let i = Area::ALL.iter().position(|a| *a == check.area).unwrap_or(0);
            let cell = match (check.outcome, check.severity) {
                (Outcome::Pass, _) => Cell::Pass,
                (Outcome::Fail, FindingSeverity::Warning) => Cell::Warning,
                (Outcome::Fail, FindingSeverity::Error) => Cell::Error,
                (Outcome::NotVerified, _) => Cell::NotVerified,
                (Outcome::Waived, _) => Cell::Waived,
            };
            cells[i] = cells[i].max(cell);
            let map = match check.outcome {
                Outcome::Fail => &mut self.findings,
                Outcome::NotVerified => &mut self.not_verified,
                Outcome::Waived => &mut self.waived_checks,
                Outcome::Pass => continue,
            };
            let entry = map.entry(check.id.clone()).or_default();
            entry.hosts += 1;
            entry.field.clone_from(&check.field);
            entry.cause = check.cause;
            entry.severity = entry.severity.max(Some(check.severity));
            if entry.fix.is_none() {
                entry.fix.clone_from(&check.fix);
            }
        }
        for (n, cell) in self.failing_per_area.iter_mut().zip(&cells) {
            if *cell >= Cell::Warning {
                *n += 1;
            }
        }
        if self.keep_grid {
            self.grid.push((host.host.clone(), host.status, cells));
        }
    }
}

impl Summary {
    /// Checks that passed, in percent of every check of every readable host (a check not
    /// verified does not count as passed).
    #[must_use]
    pub fn score(&self) -> Option<u32> {
        let all =
            self.passed + self.failed_errors + self.failed_warnings + self.unverified + self.waived;
        (all > 0).then(|| u32::try_from(self.passed * 100 / all).unwrap_or(100))
    }

    /// `3 hosts: 1 compliant, 1 drifted, 1 incomplete, 0 unreadable`.
    #[must_use]
    pub fn line(&self) -> String {
        format!(
            "{} hosts: {} compliant, {} drifted, {} incomplete, {} unreadable",
            self.hosts, self.compliant, self.drifted, self.incomplete, self.unreadable
        )
    }
}

/// The CIS and STIG items of a policy field, as reports name them (`CIS 18.10.57.3.9.3`,
/// `STIG WN22-CC-000380 / V-254369`).
#[must_use]
pub fn benchmarks(field: &str) -> Vec<String> {
    crate::catalog::setting(field).map_or_else(Vec::new, |s| {
        s.cis
            .iter()
            .map(|b| format!("CIS {}", b.id))
            .chain(s.stig.iter().map(|b| format!("STIG {}", b.id)))
            .collect()
    })
}

/// A report format.
pub trait Report {
    /// # Errors
    /// Writing fails.
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()>;
    /// # Errors
    /// Writing fails.
    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()>;
    /// # Errors
    /// Writing fails.
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()>;
}
