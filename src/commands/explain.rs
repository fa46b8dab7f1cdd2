//! `rdpgen explain TOPIC`: prints what the catalog knows about a topic.

use crate::cli::{DiagnosticFormat, ExplainArgs};
use crate::exit_status::ExitStatus;
use crate::explain::{render_json, render_text, resolve};

pub fn run(args: &ExplainArgs) -> ExitStatus {
    match resolve(&args.topic) {
        Ok(topic) => {
            let text = match args.format {
                DiagnosticFormat::Text | DiagnosticFormat::Github => render_text(&topic),
                DiagnosticFormat::Json | DiagnosticFormat::Sarif => {
                    let mut s =
                        serde_json::to_string_pretty(&render_json(&topic)).unwrap_or_default();
                    s.push('\n');
                    s
                }
            };
            super::print_bytes(text.as_bytes())
        }
        Err(suggestions) => {
            eprintln!(
                "error: rdpgen knows nothing about `{}`",
                crate::escape::terminal::sanitize(&args.topic)
            );
            if let Some(s) = suggestions.first() {
                eprintln!("help: did you mean `{s}`?");
            }
            eprintln!(
                "help: topics are policy fields (`security.layer`), sections (`security`), registry value names (`SecurityLayer`), diagnostic codes (`RDP030`), error codes (`0x904/0x7`), causes (`C1`), event ids (`1055`) and words of cause titles (`certificate`)"
            );
            ExitStatus::Failure
        }
    }
}
