//! JUnit XML for CI dashboards: a test suite per host, a test case per host × check. Passing
//! checks pass, drift fails, checks without evidence are skipped with the reason, unreadable hosts error.
//! Written with the one XML writer ([`XmlWriter::neutralising`]: host text cannot break out of
//! its element or attribute), part by part as hosts stream past.

use std::io::{self, Write};

use super::{Context, Report, Summary};
use crate::audit::compare::{HostReport, HostStatus, Outcome};
use crate::formats::xml::XmlWriter;

pub struct Junit {
    xml: XmlWriter,
}

impl Default for Junit {
    fn default() -> Self {
        Self {
            xml: XmlWriter::neutralising(),
        }
    }
}

impl Junit {
    /// Writes what the XML writer holds.
    fn flush(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let text = self.xml.take().map_err(io::Error::other)?;
        out.write_all(text.as_bytes())
    }
}

impl Report for Junit {
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        self.xml = XmlWriter::neutralising();
        let name = format!("rdpgen diff {}", ctx.policy_name);
        self.xml
            .raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .open("testsuites", &[("name", &name)])
            .raw("\n");
        self.flush(out)
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        let name = host.host.as_str();
        let xml = &mut self.xml;
        if host.status == HostStatus::Unreadable {
            xml.raw("  ")
                .open(
                    "testsuite",
                    &[
                        ("name", name),
                        ("tests", "1"),
                        ("failures", "0"),
                        ("errors", "1"),
                        ("skipped", "0"),
                    ],
                )
                .raw("\n    ")
                .open("testcase", &[("classname", name), ("name", "snapshot")])
                .raw("\n      ")
                .empty(
                    "error",
                    &[("message", host.error.as_deref().unwrap_or("unreadable"))],
                )
                .raw("\n    ")
                .close("testcase")
                .raw("\n  ")
                .close("testsuite")
                .raw("\n");
            return self.flush(out);
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
        xml.raw("  ")
            .open(
                "testsuite",
                &[
                    ("name", name),
                    ("tests", &host.checks.len().to_string()),
                    ("failures", &failures.to_string()),
                    ("errors", "0"),
                    ("skipped", &skipped.to_string()),
                ],
            )
            .raw("\n");
        for check in &host.checks {
            let case = [("classname", name), ("name", check.id.as_str())];
            xml.raw("    ");
            if check.outcome == Outcome::Pass {
                xml.empty("testcase", &case).raw("\n");
                continue;
            }
            xml.open("testcase", &case).raw("\n      ");
            match check.outcome {
                Outcome::Pass => {}
                Outcome::Waived => {
                    xml.empty(
                        "skipped",
                        &[("message", check.waiver.as_deref().unwrap_or("waived"))],
                    );
                }
                Outcome::NotVerified => {
                    xml.empty("skipped", &[("message", &check.message)]);
                }
                Outcome::Fail => {
                    let body = format!(
                        "desired: {}\nactual: {}\nat: {}\nfix: {}{}",
                        check.desired,
                        check.actual,
                        check.location,
                        check.fix.as_deref().unwrap_or(&check.field),
                        check
                            .cause
                            .map(|c| format!("\ncause: 0x904/0x7 {c}"))
                            .unwrap_or_default()
                    );
                    xml.text_element(
                        "failure",
                        &[
                            ("message", &check.message),
                            ("type", &format!("{:?}", check.severity)),
                        ],
                        &body,
                    );
                }
            }
            xml.raw("\n    ").close("testcase").raw("\n");
        }
        xml.raw("  ").close("testsuite").raw("\n");
        self.flush(out)
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        self.xml.close("testsuites").raw("\n");
        let xml = std::mem::take(&mut self.xml);
        let text = xml.finish().map_err(io::Error::other)?;
        out.write_all(text.as_bytes())
    }
}
