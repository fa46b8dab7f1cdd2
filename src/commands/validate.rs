//! `rdpgen validate`: checks each file, prints every diagnostic, exits 0/1/2.

use std::fmt::Write as _;

use crate::cli::{DiagnosticFormat, ValidateArgs};
use crate::compile::{Input, check};
use crate::diagnostic::{
    Diagnostic, Severity, render_github, render_json, render_sarif, render_text,
};
use crate::exit_status::ExitStatus;
use crate::policy::{TreeNode, pointer_to_field};
use crate::source::{Location, Sources};

pub fn run(args: &ValidateArgs, styled: bool) -> ExitStatus {
    let mut sources = Sources::default();
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut status = ExitStatus::Success;
    let mut text = String::new();
    let files = match super::expand_policy_args(&args.files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::Failure;
        }
    };
    for path in &files {
        let result = match check(Input::from_arg(path), &mut sources) {
            Ok(result) => result,
            Err(e) => {
                eprintln!("error: {e}");
                status = status.max(ExitStatus::Failure);
                continue;
            }
        };
        let errors = result
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let warnings = result.diagnostics.len() - errors;
        if errors > 0 || (args.deny_warnings && warnings > 0) {
            status = status.max(ExitStatus::Problems);
        }
        if args.format == DiagnosticFormat::Text {
            text.push_str(&render_text(&result.diagnostics, &sources, styled));
            if args.explain_merge
                && let Some(merged) = &result.merged
            {
                text.push_str(&explain_merge(merged, &sources));
            }
            let verdict = if errors > 0 { "invalid" } else { "valid" };
            let shown = if path.as_os_str() == "-" {
                "<stdin>".to_string()
            } else {
                path.display().to_string()
            };
            let _ = writeln!(
                text,
                "{shown}: {verdict} ({errors} error{}, {warnings} warning{})",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            );
        }
        all.extend(result.diagnostics);
    }
    match args.format {
        DiagnosticFormat::Text => {}
        DiagnosticFormat::Json => {
            text = render_json(&all, &sources);
            text.push('\n');
        }
        DiagnosticFormat::Sarif => {
            text = render_sarif(&all, &sources);
            text.push('\n');
        }
        DiagnosticFormat::Github => text = render_github(&all, &sources),
    }
    super::print_bytes(text.as_bytes()).max(status)
}

fn position(sources: &Sources, loc: Location) -> String {
    let f = sources.get(loc.file);
    let (line, column) = f.line_column(loc.span.start);
    format!("{}:{line}:{column}", f.name)
}

/// One line per field: its merged value, the file that set it, and what it overrode.
fn explain_merge(merged: &TreeNode, sources: &Sources) -> String {
    let mut out = String::from("merged policy (field = value  <- set by  [overrides]):\n");
    for (pointer, node) in merged.leaves() {
        let value = serde_json::to_string(&node.to_json()).unwrap_or_default();
        let _ = write!(
            out,
            "  {} = {value}  <- {}",
            pointer_to_field(&pointer),
            position(sources, node.location)
        );
        if !node.overrides.is_empty() {
            let overridden: Vec<String> = node
                .overrides
                .iter()
                .map(|l| position(sources, *l))
                .collect();
            let _ = write!(out, "  [overrides {}]", overridden.join(", "));
        }
        out.push('\n');
    }
    out
}
