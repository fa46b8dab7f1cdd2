//! CSV report: one row per host and check — the settings × hosts matrix a spreadsheet pivots
//! (RFC 4180: CRLF rows, fields quoted when they hold `,`, `"`, CR or LF). Host data is
//! untrusted: a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR
//! first) is prefixed with `'`.

use std::io::{self, Write};

use super::{Context, Report, Summary};
use crate::audit::compare::{HostReport, HostStatus};

#[derive(Default)]
pub struct Csv;

const HEADER: [&str; 11] = [
    "host",
    "status",
    "field",
    "check",
    "outcome",
    "desired",
    "actual",
    "source",
    "cause",
    "benchmarks",
    "fix",
];

/// One CSV field.
#[must_use]
pub fn field(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        s.insert(0, '\'');
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn row(out: &mut dyn Write, cells: &[&str]) -> io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    write!(out, "{}\r\n", line.join(","))
}

impl Report for Csv {
    fn begin(&mut self, out: &mut dyn Write, _ctx: &Context) -> io::Result<()> {
        row(out, &HEADER)
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        let status = host.status.as_str();
        if host.status == HostStatus::Unreadable {
            return row(
                out,
                &[
                    &host.host,
                    status,
                    "",
                    "snapshot.unreadable",
                    "unreadable",
                    "",
                    host.error.as_deref().unwrap_or(""),
                    &host.sources.join("; "),
                    "",
                    "",
                    "",
                ],
            );
        }
        for c in &host.checks {
            let source = serde_json::to_value(c.source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            row(
                out,
                &[
                    &host.host,
                    status,
                    &c.field,
                    &c.id,
                    c.outcome.as_str(),
                    &c.desired,
                    &c.actual,
                    &source,
                    c.cause.unwrap_or(""),
                    &super::benchmarks(&c.field).join("; "),
                    c.fix.as_deref().unwrap_or(""),
                ],
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("esc\u{1b}[31m"), "esc\u{FFFD}[31m");
    }
}
