//! JUnit XML for CI dashboards: a test suite per host, a test case per host × check. Passing
//! checks pass, drift fails, checks without evidence are skipped with the reason, unreadable hosts error.

use std::io::{self, Write};

use super::{Context, Report, Summary, xml_text};
use crate::audit::compare::{HostReport, HostStatus, Outcome};

#[derive(Default)]
pub struct Junit;

impl Report for Junit {
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\">\n",
            xml_text(&format!("rdpgen diff {}", ctx.policy_name))
        )
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        let name = xml_text(&host.host);
        if host.status == HostStatus::Unreadable {
            return write!(
                out,
                "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"{name}\" name=\"snapshot\">\n      <error message=\"{}\"/>\n    </testcase>\n  </testsuite>\n",
                xml_text(host.error.as_deref().unwrap_or("unreadable"))
            );
        }
        let failures = host
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .count();
        let skipped = host
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::NotVerified | Outcome::Waived))
            .count();
        writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            host.checks.len()
        )?;
        for check in &host.checks {
            let case = format!(
                "    <testcase classname=\"{name}\" name=\"{}\"",
                xml_text(&check.id)
            );
            match check.outcome {
                Outcome::Pass => writeln!(out, "{case}/>")?,
                Outcome::Waived => writeln!(
                    out,
                    "{case}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_text(check.waiver.as_deref().unwrap_or("waived"))
                )?,
                Outcome::NotVerified => writeln!(
                    out,
                    "{case}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_text(&check.message)
                )?,
                Outcome::Fail => writeln!(
                    out,
                    "{case}>\n      <failure message=\"{}\" type=\"{:?}\">desired: {}\nactual: {}\nat: {}\nfix: {}{}</failure>\n    </testcase>",
                    xml_text(&check.message),
                    check.severity,
                    xml_text(&check.desired),
                    xml_text(&check.actual),
                    xml_text(&check.location),
                    xml_text(check.fix.as_deref().unwrap_or(&check.field)),
                    check
                        .cause
                        .map(|c| format!("\ncause: 0x904/0x7 {c}"))
                        .unwrap_or_default()
                )?,
            }
        }
        writeln!(out, "  </testsuite>")
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        writeln!(out, "</testsuites>")
    }
}
