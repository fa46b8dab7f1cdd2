//! GitHub Actions workflow commands for `diff`: one `::error` / `::warning` per failing check,
//! annotated at the policy line that sets the field when the policy is in the repository, so a
//! pull request shows drift beside the setting. Escaped as the Actions toolkit does.

use std::io::{self, Write};

use super::{Context, Report, Summary};
use crate::audit::compare::{FindingSeverity, HostReport, HostStatus, Outcome};

#[derive(Default)]
pub struct Github {
    ctx: Option<Context>,
}

use crate::escape::github::{data, property};

impl Report for Github {
    fn begin(&mut self, _out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        self.ctx = Some(ctx.clone());
        Ok(())
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        if host.status == HostStatus::Unreadable {
            return writeln!(
                out,
                "::error title={}::{}",
                property("rdpgen diff: unreadable host"),
                data(&format!(
                    "{}: {}",
                    host.host,
                    host.error.as_deref().unwrap_or("")
                ))
            );
        }
        for c in host.checks.iter().filter(|c| c.outcome == Outcome::Fail) {
            let kind = match c.severity {
                FindingSeverity::Error => "error",
                FindingSeverity::Warning => "warning",
            };
            let mut props = Vec::new();
            if let Some((file, line, col)) = self.ctx.as_ref().and_then(|x| x.location_of(&c.field))
            {
                props.push(format!("file={}", property(file)));
                props.push(format!("line={line}"));
                props.push(format!("col={col}"));
            }
            props.push(format!(
                "title={}",
                property(&format!("{} on {}", c.id, host.host))
            ));
            let mut message = format!("{}: {}", host.host, c.message);
            if let Some(fix) = &c.fix {
                message.push_str(&format!(" (fix: {fix})"));
            }
            writeln!(out, "::{kind} {}::{}", props.join(","), data(&message))?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        writeln!(out, "::notice title=rdpgen diff::{}", data(&s.line()))
    }
}
