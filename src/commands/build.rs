//! `rdpgen build`: validate every policy, lower and emit every target, then write all outputs
//! at once. Any invalid policy means nothing is written.

use std::collections::BTreeSet;

use super::output::{PolicyOutput, write_all};
use crate::cli::BuildArgs;
use crate::diagnostic::{Diagnostic, render_text};
use crate::emit::{Options, Target, emit};
use crate::exit_status::ExitStatus;
use crate::lower::lower;
use crate::policy::load_chain;
use crate::source::Sources;
use crate::validate::validate;

fn targets(args: &BuildArgs) -> Result<Vec<Target>, String> {
    if args.target.is_empty() || args.target.iter().any(|t| t == "all") {
        return Ok(Target::ALL
            .into_iter()
            .filter(|t| t.is_available())
            .collect());
    }
    let mut out = BTreeSet::new();
    for t in &args.target {
        let target: Target = t.parse()?;
        if !target.is_available() {
            return Err(format!(
                "target `{target}` is not available in this build yet (tracked as issue {})",
                target.tracking_issue().unwrap_or(0)
            ));
        }
        out.insert(target);
    }
    Ok(out.into_iter().collect())
}

pub fn run(args: &BuildArgs, styled: bool) -> ExitStatus {
    let targets = match targets(args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::Failure;
        }
    };
    let epoch = std::env::var_os("SOURCE_DATE_EPOCH").map(|v| v.to_string_lossy().into_owned());
    let options = match Options::from_source_date_epoch(epoch.as_deref()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::Failure;
        }
    };
    let mut sources = Sources::default();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut outputs: Vec<PolicyOutput> = Vec::new();
    let mut status = ExitStatus::Success;
    let mut names = BTreeSet::new();
    for path in &args.files {
        let chain = match load_chain(path, &mut sources) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                status = status.max(ExitStatus::Failure);
                continue;
            }
        };
        let result = validate(chain);
        let has_errors = result.has_errors();
        diagnostics.extend(result.diagnostics);
        let Some(policy) = result.policy.filter(|_| !has_errors) else {
            status = status.max(ExitStatus::Problems);
            continue;
        };
        if !names.insert(policy.name.clone()) {
            eprintln!(
                "error: two policies are named `{}`; their outputs would overwrite each other in `{}`",
                policy.name,
                args.out.display()
            );
            status = status.max(ExitStatus::Problems);
            continue;
        }
        let model = match lower(&policy) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                status = status.max(ExitStatus::Failure);
                continue;
            }
        };
        match emit(&model, &targets, &options) {
            Ok(artifacts) => outputs.push(PolicyOutput {
                name: model.name.clone(),
                artifacts,
            }),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                status = status.max(ExitStatus::Failure);
            }
        }
    }
    // A warning in a shared base (a built-in baseline) is one problem, not one per policy.
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| {
        seen.insert((
            d.code,
            d.location.map(|l| (l.file, l.span.start)),
            d.message.clone(),
        ))
    });
    let text = render_text(&diagnostics, &sources, styled);
    if !text.is_empty() {
        eprint!("{text}");
    }
    if status != ExitStatus::Success {
        eprintln!("nothing was written to `{}`", args.out.display());
        return status;
    }
    if let Err(e) = write_all(&args.out, &outputs) {
        eprintln!("error: {e}");
        eprintln!("nothing was changed in `{}`", args.out.display());
        return ExitStatus::Failure;
    }
    for output in &outputs {
        for artifact in &output.artifacts {
            println!(
                "{}",
                args.out.join(&output.name).join(&artifact.path).display()
            );
        }
    }
    ExitStatus::Success
}
