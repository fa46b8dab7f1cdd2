//! HTML report: one self-contained page an auditor hands on (inline CSS, no scripts, no
//! external assets, no absolute paths). The header (policy, description, hash, dates) comes
//! first; host details are streamed; the fleet summary — score, counts by verdict and by
//! severity, a hosts × areas grid of every host, and the findings with their benchmark ids,
//! 0x904/0x7 cause and fix — is written last and shown right after the header through CSS
//! `order`, so the page needs no second pass over the fleet. It prints on paper: nothing is
//! cut off or hidden in a scroll box.

use std::io::{self, Write};
use std::path::Path;

use super::{Cell, Context, FindingCount, Report, Summary};
use crate::audit::compare::{Area, FindingSeverity, HostReport, HostStatus, Outcome};
use crate::formats::xml::escape_untrusted;

#[derive(Default)]
pub struct Html {
    index: usize,
}

const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}\
main{display:flex;flex-direction:column;gap:16px;max-width:1200px;margin:0 auto;padding:24px}\
#head{order:-2}#summary{order:-1}section,header{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px}\
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:16px 0 8px}h3{font-size:15px;margin:12px 0 4px}\
.meta td:first-child{color:#57606a;width:160px}.meta{width:auto}\
.counts{display:flex;gap:12px;flex-wrap:wrap}.count{padding:10px 16px;border-radius:6px;border:1px solid #d0d7de;min-width:110px}\
.count b{display:block;font-size:24px}.ok{background:#dafbe1}.bad{background:#ffebe9}.warn{background:#fff8c5}.na{background:#f6f8fa}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f6f8fa}thead{display:table-header-group}tr{break-inside:avoid}\
.detail{table-layout:fixed}.detail td{overflow-wrap:anywhere}.grid td.c{text-align:center;width:70px}\
.host{border-top:1px solid #d0d7de;padding:6px 0;break-inside:avoid-page}\
code{font:12px ui-monospace,Consolas,monospace;word-break:break-all}\
@media print{body{background:#fff;font-size:11px}main{max-width:none;padding:0}section,header{border:none;padding:0}\
.count{min-width:80px;padding:4px 8px}a{color:inherit;text-decoration:none}}";

fn cell_class(c: Cell) -> (&'static str, &'static str) {
    match c {
        Cell::Pass => ("ok", "ok"),
        Cell::Warning => ("warn", "warning"),
        Cell::Error => ("bad", "drift"),
        Cell::NotVerified => ("warn", "not verified"),
        Cell::Waived => ("na", "waived"),
        Cell::NotChecked => ("na", "–"),
    }
}

fn status_class(s: HostStatus) -> &'static str {
    match s {
        HostStatus::Compliant => "ok",
        HostStatus::Drifted => "bad",
        HostStatus::Incomplete | HostStatus::Unreadable => "warn",
    }
}

fn findings_table(
    out: &mut dyn Write,
    rows: &std::collections::BTreeMap<String, FindingCount>,
    with_fix: bool,
) -> io::Result<()> {
    out.write_all(b"<table class=\"detail\"><thead><tr><th style=\"width:24%\">check</th><th style=\"width:6%\">hosts</th>")?;
    if with_fix {
        out.write_all(b"<th style=\"width:8%\">severity</th>")?;
    }
    out.write_all(b"<th style=\"width:18%\">benchmarks</th><th style=\"width:6%\">cause</th>")?;
    if with_fix {
        out.write_all(b"<th>fix</th>")?;
    }
    out.write_all(b"</tr></thead>\n")?;
    for (id, c) in rows {
        write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td>",
            escape_untrusted(id),
            c.hosts
        )?;
        if with_fix {
            let sev = match c.severity {
                Some(FindingSeverity::Warning) => "warning",
                _ => "error",
            };
            write!(out, "<td>{sev}</td>")?;
        }
        write!(
            out,
            "<td>{}</td><td>{}</td>",
            escape_untrusted(&super::benchmarks(&c.field).join(", ")),
            c.cause.unwrap_or("")
        )?;
        if with_fix {
            write!(
                out,
                "<td>{}</td>",
                escape_untrusted(c.fix.as_deref().unwrap_or(""))
            )?;
        }
        out.write_all(b"</tr>\n")?;
    }
    out.write_all(b"</table>\n")
}

impl Report for Html {
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        self.index = 0;
        // The file name only: the auditor's directories are nobody's business.
        let file = Path::new(&ctx.policy_file)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>Remote Desktop posture: {name}</title><style>{STYLE}</style></head><body><main>\n\
             <header id=\"head\"><h1>Remote Desktop posture: {name}</h1>\n",
            name = escape_untrusted(&ctx.policy_name)
        )?;
        if let Some(d) = &ctx.policy_description {
            writeln!(out, "<p id=\"description\">{}</p>", escape_untrusted(d))?;
        }
        writeln!(
            out,
            "<table class=\"meta\"><tr><td>policy</td><td id=\"policy\"><b>{}</b> ({})</td></tr>\
             <tr><td>policy sha256</td><td><code id=\"sha256\">{}</code></td></tr>\
             <tr><td>report date</td><td id=\"report-date\">{}</td></tr>\
             <tr><td>made by</td><td>rdpgen {}</td></tr></table></header>\n<section id=\"hosts\"><h2>Hosts</h2>",
            escape_untrusted(&ctx.policy_name),
            escape_untrusted(&file),
            escape_untrusted(&ctx.policy_hash),
            escape_untrusted(&ctx.report_date),
            ctx.version
        )
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        self.index += 1;
        let failures = host.failures().count();
        let unverified = host.not_verified().count();
        let passed = host
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Pass)
            .count();
        writeln!(
            out,
            "<div class=\"host\" id=\"h{}\"><h3><span class=\"{}\">{}</span> {}</h3><p>{failures} finding{}, {unverified} not verified, {passed} passed{}{}</p>",
            self.index,
            status_class(host.status),
            host.status.as_str(),
            escape_untrusted(&host.host),
            if failures == 1 { "" } else { "s" },
            host.captured_at
                .as_deref()
                .map(|t| format!("; captured {}", escape_untrusted(t)))
                .unwrap_or_default(),
            if host.status == HostStatus::Unreadable {
                String::new()
            } else {
                format!("; evidence: {}", escape_untrusted(&host.evidence))
            },
        )?;
        if let Some(e) = &host.error {
            writeln!(out, "<p class=\"warn\">{}</p>", escape_untrusted(e))?;
        }
        let shown: Vec<_> = host
            .checks
            .iter()
            .filter(|c| c.outcome != Outcome::Pass)
            .collect();
        if !shown.is_empty() {
            out.write_all(b"<table class=\"detail\"><thead><tr><th style=\"width:24%\">check</th><th style=\"width:9%\">result</th><th>desired</th><th>actual</th><th style=\"width:14%\">benchmarks</th><th style=\"width:6%\">cause</th><th style=\"width:22%\">fix</th></tr></thead>\n")?;
            for c in shown {
                let (class, text) = match (c.outcome, c.severity) {
                    (Outcome::Pass, _) => ("ok", "ok"),
                    (Outcome::Fail, FindingSeverity::Error) => ("bad", "drift"),
                    (Outcome::Fail, FindingSeverity::Warning) => ("warn", "warning"),
                    (Outcome::NotVerified, _) => ("na", "not verified"),
                    (Outcome::Waived, _) => ("na", "waived"),
                };
                writeln!(
                    out,
                    "<tr><td><code>{}</code><br>{}</td><td class=\"{class}\">{text}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape_untrusted(&c.id),
                    escape_untrusted(&match &c.waiver {
                        Some(w) => format!("{} ({w})", c.message),
                        None => c.message.clone(),
                    }),
                    escape_untrusted(&c.desired),
                    escape_untrusted(&c.actual),
                    escape_untrusted(&super::benchmarks(&c.field).join(", ")),
                    c.cause.unwrap_or(""),
                    escape_untrusted(c.fix.as_deref().unwrap_or("")),
                )?;
            }
            out.write_all(b"</table>\n")?;
        }
        out.write_all(b"</div>\n")
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        out.write_all(b"</section>\n<section id=\"summary\"><h2>Summary</h2>\n")?;
        let score = s
            .score()
            .map_or_else(|| "no check ran".to_string(), |p| format!("{p}%"));
        writeln!(
            out,
            "<p id=\"score\"><b>Score: {score}</b> of all checks passed ({} passed, {} failed, {} not verified, {} waived).{}</p>",
            s.passed,
            s.failed_errors + s.failed_warnings,
            s.unverified,
            s.waived,
            s.captured
                .as_ref()
                .map(|(lo, hi)| if lo == hi {
                    format!(" Hosts captured {}.", escape_untrusted(lo))
                } else {
                    format!(
                        " Hosts captured from {} to {}.",
                        escape_untrusted(lo),
                        escape_untrusted(hi)
                    )
                })
                .unwrap_or_default()
        )?;
        out.write_all(b"<div class=\"counts\">")?;
        for (class, label, n) in [
            ("na", "hosts", s.hosts),
            ("ok", "compliant", s.compliant),
            ("bad", "drifted", s.drifted),
            ("warn", "incomplete", s.incomplete),
            ("warn", "unreadable", s.unreadable),
            ("bad", "errors", s.failed_errors),
            ("warn", "warnings", s.failed_warnings),
        ] {
            write!(
                out,
                "<div class=\"count {class}\" id=\"count-{label}\"><b>{n}</b>{label}</div>"
            )?;
        }
        out.write_all(b"</div>\n<h2>Hosts \xc3\x97 areas</h2><table class=\"grid\"><thead><tr><th>host</th><th>status</th>")?;
        for area in Area::ALL {
            write!(out, "<th>{}</th>", area.as_str())?;
        }
        out.write_all(b"</tr></thead>\n")?;
        for (i, (name, status, cells)) in s.grid.iter().enumerate() {
            write!(
                out,
                "<tr><td><a href=\"#h{}\">{}</a></td><td class=\"{}\">{}</td>",
                i + 1,
                escape_untrusted(name),
                status_class(*status),
                status.as_str()
            )?;
            for cell in cells {
                let (class, text) = cell_class(*cell);
                write!(out, "<td class=\"c {class}\">{text}</td>")?;
            }
            out.write_all(b"</tr>\n")?;
        }
        out.write_all(b"</table>\n<h2>Findings</h2>")?;
        if s.findings.is_empty() {
            out.write_all(b"<p>No findings.</p>")?;
        } else {
            findings_table(out, &s.findings, true)?;
        }
        if !s.waived_checks.is_empty() {
            out.write_all(b"<h2>Waived</h2><p>Failures the policy accepts until its waivers expire; each host's detail gives the reason.</p>")?;
            findings_table(out, &s.waived_checks, false)?;
        }
        if !s.not_verified.is_empty() {
            out.write_all(b"<h2>Not verified</h2><p>The hosts' inputs held no evidence for these checks; collect a full snapshot (<code>rdpgen collector</code>) to verify them.</p>")?;
            findings_table(out, &s.not_verified, false)?;
        }
        out.write_all(b"\n</section>\n</main></body></html>\n")
    }
}
