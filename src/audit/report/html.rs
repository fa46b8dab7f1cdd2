//! HTML report: one self-contained page (inline CSS, no scripts, no external assets). Host
//! details are streamed first; the fleet summary — counts, a hosts × areas grid and counts per
//! finding — is written last and shown first through CSS `order`, so the page needs no second
//! pass over the fleet.

use std::io::{self, Write};

use super::{Cell, Context, Report, Summary, xml_text};
use crate::audit::compare::{Area, FindingSeverity, HostReport, HostStatus, Outcome};

#[derive(Default)]
pub struct Html {
    index: usize,
}

const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}\
main{display:flex;flex-direction:column;gap:16px;max-width:1200px;margin:0 auto;padding:24px}\
#summary{order:-1}section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px}\
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:0 0 8px}\
.counts{display:flex;gap:12px;flex-wrap:wrap}.count{padding:10px 16px;border-radius:6px;border:1px solid #d0d7de;min-width:120px}\
.count b{display:block;font-size:24px}.ok{background:#dafbe1}.bad{background:#ffebe9}.warn{background:#fff8c5}.na{background:#f6f8fa}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f6f8fa}.detail{table-layout:fixed}.detail td{overflow-wrap:anywhere}.grid{max-height:480px;overflow:auto}.grid td.c{text-align:center;width:80px}\
details{border-top:1px solid #d0d7de;padding:6px 0}summary{cursor:pointer;font-weight:600}\
code{font:12px ui-monospace,Consolas,monospace;word-break:break-all}";

fn cell_class(c: Cell) -> (&'static str, &'static str) {
    match c {
        Cell::Pass => ("ok", "ok"),
        Cell::Warning => ("warn", "warning"),
        Cell::Error => ("bad", "drift"),
        Cell::NotVerified => ("warn", "not verified"),
        Cell::NotChecked => ("na", "–"),
    }
}

fn status_text(s: HostStatus) -> (&'static str, &'static str) {
    match s {
        HostStatus::Compliant => ("ok", "compliant"),
        HostStatus::Drifted => ("bad", "drifted"),
        HostStatus::Incomplete => ("warn", "incomplete"),
        HostStatus::Unreadable => ("warn", "unreadable"),
    }
}

impl Report for Html {
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>rdpgen diff: {name}</title><style>{STYLE}</style></head><body><main>\n\
             <section id=\"hosts\"><h2>Hosts</h2>\n",
            name = xml_text(&ctx.policy_name)
        )?;
        // The heading of the summary needs the context; keep it for `finish`.
        self.index = 0;
        writeln!(
            out,
            "<!-- policy {} sha256:{} rdpgen {} -->",
            xml_text(&ctx.policy_file).replace("--", "&#45;&#45;"),
            xml_text(&ctx.policy_hash),
            ctx.version
        )
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        self.index += 1;
        let (class, status) = status_text(host.status);
        let failures = host.failures().count();
        writeln!(
            out,
            "<details id=\"h{}\"{}><summary><span class=\"{class}\">{status}</span> {} — {} finding{}</summary>",
            self.index,
            if host.status == HostStatus::Compliant {
                ""
            } else {
                " open"
            },
            xml_text(&host.host),
            failures,
            if failures == 1 { "" } else { "s" }
        )?;
        if let Some(e) = &host.error {
            writeln!(out, "<p class=\"warn\">{}</p>", xml_text(e))?;
        }
        let shown: Vec<_> = host
            .checks
            .iter()
            .filter(|c| c.outcome != Outcome::Pass)
            .collect();
        if !shown.is_empty() {
            out.write_all(b"<table class=\"detail\"><tr><th style=\"width:28%\">check</th><th style=\"width:8%\">result</th><th>desired</th><th>actual</th><th style=\"width:8%\">source</th><th style=\"width:14%\">fix</th><th style=\"width:6%\">cause</th></tr>\n")?;
            for c in shown {
                let (class, text) = match (c.outcome, c.severity) {
                    (Outcome::Pass, _) => ("ok", "ok"),
                    (Outcome::Fail, FindingSeverity::Error) => ("bad", "drift"),
                    (Outcome::Fail, FindingSeverity::Warning) => ("warn", "warning"),
                    (Outcome::NotVerified, _) => ("na", "not verified"),
                };
                writeln!(
                    out,
                    "<tr><td><code>{}</code><br>{}</td><td class=\"{class}\">{text}</td><td>{}</td><td>{}</td><td>{:?}</td><td><code>{}</code></td><td>{}</td></tr>",
                    xml_text(&c.id),
                    xml_text(&c.message),
                    xml_text(&c.desired),
                    xml_text(&c.actual),
                    c.source,
                    xml_text(c.fix.as_deref().unwrap_or(&c.field)),
                    c.cause.unwrap_or("")
                )?;
            }
            out.write_all(b"</table>\n")?;
        }
        let passed: Vec<String> = host
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Pass)
            .map(|c| xml_text(&c.id))
            .collect();
        if !passed.is_empty() {
            writeln!(
                out,
                "<p>{} checks passed: <code>{}</code></p>",
                passed.len(),
                passed.join("</code>, <code>")
            )?;
        }
        out.write_all(b"</details>\n")
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        out.write_all(
            b"</section>\n<section id=\"summary\"><h1>rdpgen diff</h1>\n<div class=\"counts\">",
        )?;
        for (class, label, n) in [
            ("na", "hosts", s.hosts),
            ("ok", "compliant", s.compliant),
            ("bad", "drifted", s.drifted),
            ("warn", "incomplete", s.incomplete),
            ("warn", "unreadable", s.unreadable),
        ] {
            write!(
                out,
                "<div class=\"count {class}\" id=\"count-{label}\"><b>{n}</b>{label}</div>"
            )?;
        }
        out.write_all(b"</div>\n<h2>Hosts \xc3\x97 areas</h2><div class=\"grid\"><table><tr><th>host</th><th>status</th>")?;
        for area in Area::ALL {
            write!(out, "<th>{}</th>", area.as_str())?;
        }
        out.write_all(b"</tr>\n")?;
        for (i, (name, status, cells)) in s.grid.iter().enumerate() {
            let (class, text) = status_text(*status);
            write!(
                out,
                "<tr><td><a href=\"#h{}\">{}</a></td><td class=\"{class}\">{text}</td>",
                i + 1,
                xml_text(name)
            )?;
            for cell in cells {
                let (class, text) = cell_class(*cell);
                write!(out, "<td class=\"c {class}\">{text}</td>")?;
            }
            out.write_all(b"</tr>\n")?;
        }
        out.write_all(b"</table></div>\n<h2>Findings</h2>")?;
        if s.findings.is_empty() {
            out.write_all(b"<p>No findings.</p>")?;
        } else {
            out.write_all(b"<table><tr><th>check</th><th>hosts</th><th>fix</th><th>0x904/0x7 cause</th></tr>\n")?;
            for (id, c) in &s.findings {
                writeln!(
                    out,
                    "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                    xml_text(id),
                    c.hosts,
                    xml_text(&c.field),
                    c.cause.unwrap_or("")
                )?;
            }
            out.write_all(b"</table>")?;
        }
        out.write_all(b"\n</section>\n</main></body></html>\n")
    }
}
