//! `rdpgen build`: validate every policy, lower and emit every target, and write the outputs
//! through one transaction: policies compile in parallel a chunk at a time and are staged in
//! command-line order as soon as they are ready, then swapped in together. Any invalid policy
//! means nothing is written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::output::{PolicyOutput, Transaction, WriteError};
use crate::audit::{HostInput, HostState, expand_inputs, read_host};
use crate::cli::{BuildArgs, BuildFormat, TargetName};
use crate::compile::{Input, compile};
use crate::diagnostic::render_text;
use crate::emit::{Options, Target, emit};
use crate::exit_status::ExitStatus;
use crate::source::Sources;

/// The back end a `--target` name stands for (`None` for `all`).
fn target(name: TargetName) -> Option<Target> {
    Some(match name {
        TargetName::Reg => Target::Reg,
        TargetName::Pol => Target::Pol,
        TargetName::Lgpo => Target::Lgpo,
        TargetName::Gpo => Target::Gpo,
        TargetName::Admx => Target::Admx,
        TargetName::Dsc => Target::Dsc,
        TargetName::Dsc3 => Target::Dsc3,
        TargetName::Ansible => Target::Ansible,
        TargetName::Intune => Target::Intune,
        TargetName::Osquery => Target::Osquery,
        TargetName::All => return None,
    })
}

fn targets(args: &BuildArgs) -> Result<Vec<Target>, String> {
    let chosen: Option<Vec<Target>> = args.target.iter().map(|t| target(*t)).collect();
    let chosen = match chosen {
        Some(chosen) if !chosen.is_empty() => chosen,
        // No `--target`, or `all` among them.
        _ => {
            return Ok(Target::ALL
                .into_iter()
                .filter(|t| t.is_available())
                .collect());
        }
    };
    let mut out = BTreeSet::new();
    for target in chosen {
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

/// What became of one policy: its rendered diagnostics, and its artifacts or why there are none.
struct PolicyResult {
    diagnostics: Vec<String>,
    /// The same diagnostics as JSON objects (`--format json`).
    diagnostics_json: Vec<serde_json::Value>,
    warnings: usize,
    outcome: Result<PolicyOutput, Failure>,
}

struct Failure {
    status: ExitStatus,
    message: Option<String>,
}

/// The host `--rollback-from` / `--rollback-from-local` names, read once for every policy.
fn rollback_host(args: &BuildArgs) -> Result<Option<HostState>, String> {
    if args.rollback_from_local {
        return super::live::local_host().map(Some);
    }
    let input = if let Some(path) = &args.rollback_from {
        let hosts = expand_inputs(std::slice::from_ref(path))
            .map_err(|e| format!("--rollback-from: {e}"))?;
        // A host that cannot be read (a link out of the directory, a FIFO's directory that
        // cannot be listed) stops the build rather than being followed.
        if let Some(problem) = hosts.iter().find_map(|h| h.problem) {
            return Err(format!("--rollback-from: {problem}"));
        }
        // A directory is one host here: all its host files, merged in name order.
        let files: Vec<PathBuf> = hosts.iter().flat_map(|h| h.files).collect();
        if files.is_empty() {
            return Err(format!(
                "--rollback-from `{}`: no host file (.json, .reg, .pol) in it",
                path.display()
            ));
        }
        HostInput {
            name: path.display().to_string(),
            files,
            problem: None,
        }
    } else {
        return Ok(None);
    };
    read_host(&input)
        .map(Some)
        .map_err(|e| format!("--rollback-from `{}`: {e}", input.name))
}

fn build_one(
    path: &Path,
    targets: &[Target],
    options: &Options,
    styled: bool,
    rollback_from: Option<&HostState>,
) -> PolicyResult {
    let mut sources = Sources::default();
    let fail = |status, message: Option<String>, diagnostics| PolicyResult {
        diagnostics,
        diagnostics_json: Vec::new(),
        warnings: 0,
        outcome: Err(Failure { status, message }),
    };
    let compiled = match compile(Input::from_arg(path), &mut sources) {
        Ok(c) => c,
        Err(e) => return fail(ExitStatus::Failure, Some(e.to_string()), Vec::new()),
    };
    let result = compiled.validated;
    let diagnostics: Vec<String> = result
        .diagnostics
        .iter()
        .map(|d| render_text(std::slice::from_ref(d), &sources, styled))
        .collect();
    let diagnostics_json: Vec<serde_json::Value> = serde_json::from_str(
        &crate::diagnostic::render_json(&result.diagnostics, &sources),
    )
    .unwrap_or_default();
    let warnings = result.diagnostics.iter().filter(|d| !d.is_error()).count();
    let has_errors = result.has_errors();
    let Some(lowered) = compiled.model.filter(|_| !has_errors) else {
        let mut r = fail(ExitStatus::Problems, None, diagnostics);
        r.diagnostics_json = diagnostics_json;
        r.warnings = warnings;
        return r;
    };
    let fail = |status, message: Option<String>, diagnostics| PolicyResult {
        diagnostics,
        diagnostics_json: diagnostics_json.clone(),
        warnings,
        outcome: Err(Failure { status, message }),
    };
    let mut model = match lowered {
        Ok(m) => m,
        Err(e) => return fail(ExitStatus::Failure, Some(e.to_string()), diagnostics),
    };
    if let Some(host) = rollback_from
        && let Err(e) = crate::audit::rollback::from_host(&mut model, host)
    {
        return fail(ExitStatus::Failure, Some(e.to_string()), diagnostics);
    }
    match emit(&model, targets, options) {
        Ok(artifacts) => PolicyResult {
            diagnostics,
            diagnostics_json: diagnostics_json.clone(),
            warnings,
            outcome: Ok(PolicyOutput {
                name: model.name.clone(),
                artifacts,
            }),
        },
        Err(e) => fail(ExitStatus::Failure, Some(e.to_string()), diagnostics),
    }
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
    let host = match rollback_host(args) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::Failure;
        }
    };
    // Policies are independent: each is loaded, validated, lowered and emitted on its own
    // thread with its own sources; results are then taken in command-line order.
    let files = match super::expand_policy_args(&args.files) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::Failure;
        }
    };
    let mut state = Collect {
        args,
        transaction: Transaction::new(&args.out),
        write_error: None,
        written: Vec::new(),
        status: ExitStatus::Success,
        names: BTreeSet::new(),
        shown: std::collections::HashSet::new(),
        json_diagnostics: Vec::new(),
    };
    // Chunk by chunk: while one chunk of policies compiles in parallel, the previous one is
    // written, in command-line order. Only two chunks of artifacts are held at a time.
    let mut previous: Option<(&[PathBuf], Vec<PolicyResult>)> = None;
    for chunk in files.chunks(BUILD_CHUNK) {
        let (results, ()) = rayon::join(
            || {
                chunk
                    .par_iter()
                    .map(|path| build_one(path, &targets, &options, styled, host.as_ref()))
                    .collect::<Vec<_>>()
            },
            || {
                if let Some((paths, results)) = previous.take() {
                    state.take(paths, results);
                }
            },
        );
        previous = Some((chunk, results));
    }
    if let Some((paths, results)) = previous.take() {
        state.take(paths, results);
    }
    let Collect {
        transaction,
        write_error,
        written,
        status,
        mut json_diagnostics,
        ..
    } = state;
    if status != ExitStatus::Success {
        eprintln!("nothing was written to `{}`", args.out.display());
        return status;
    }
    if let Err(e) = write_error.map_or_else(|| transaction.commit(), Err) {
        eprintln!("error: {e}");
        if e.unchanged {
            eprintln!("nothing was changed in `{}`", args.out.display());
        }
        return ExitStatus::Failure;
    }
    match args.format {
        BuildFormat::Text => {
            for (name, artifacts) in &written {
                for artifact in artifacts {
                    println!("{}", args.out.join(name).join(&artifact.path).display());
                }
            }
        }
        BuildFormat::Json => {
            json_diagnostics.dedup();
            let written: Vec<serde_json::Value> = written
                .iter()
                .flat_map(|(name, artifacts)| {
                    artifacts.iter().map(move |a| {
                        serde_json::json!({
                            "policy": name,
                            "target": a.path.split('/').next().unwrap_or(""),
                            "path": args.out.join(name).join(&a.path).display().to_string(),
                            "sha256": a.sha256,
                            "bytes": a.bytes,
                        })
                    })
                })
                .collect();
            let doc = serde_json::json!({"written": written, "diagnostics": json_diagnostics});
            let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            text.push('\n');
            return super::print_bytes(text.as_bytes());
        }
    }
    ExitStatus::Success
}

/// Policies compiled in parallel before they are written, in order.
const BUILD_CHUNK: usize = 16;

/// What the build listing says of one artifact written (its bytes are already staged).
struct Written {
    path: String,
    /// Only for `--format json`.
    sha256: String,
    bytes: usize,
}

/// The results of the policies taken in command-line order: diagnostics printed, outputs
/// staged, the exit status worked out.
struct Collect<'a> {
    args: &'a BuildArgs,
    transaction: Transaction,
    /// The first failure to stage; later outputs are not staged.
    write_error: Option<WriteError>,
    /// The artifacts staged, per policy, for the listing printed after the commit.
    written: Vec<(String, Vec<Written>)>,
    status: ExitStatus,
    names: BTreeSet<String>,
    /// A warning in a shared base (a built-in baseline) is one problem, not one per policy.
    shown: std::collections::HashSet<String>,
    json_diagnostics: Vec<serde_json::Value>,
}

impl Collect<'_> {
    fn take(&mut self, paths: &[PathBuf], results: Vec<PolicyResult>) {
        let args = self.args;
        for (path, result) in paths.iter().zip(results) {
            for block in result.diagnostics {
                if !self.shown.contains(&block) {
                    eprint!("{block}");
                    self.shown.insert(block);
                }
            }
            self.json_diagnostics.extend(result.diagnostics_json);
            if args.deny_warnings && result.warnings > 0 {
                eprintln!(
                    "error: {}: {} warning{}, and --deny-warnings is set",
                    path.display(),
                    result.warnings,
                    if result.warnings == 1 { "" } else { "s" }
                );
                self.status = self.status.max(ExitStatus::Problems);
            }
            match result.outcome {
                Ok(output) => {
                    if self.names.insert(output.name.clone()) {
                        self.stage(&output);
                    } else {
                        eprintln!(
                            "error: two policies are named `{}`; their outputs would overwrite each other in `{}`",
                            output.name,
                            args.out.display()
                        );
                        self.status = self.status.max(ExitStatus::Problems);
                    }
                }
                Err(failure) => {
                    if let Some(message) = failure.message {
                        eprintln!("error: {}: {message}", path.display());
                    }
                    self.status = self.status.max(failure.status);
                }
            }
        }
    }

    /// Stages one policy, unless the build already failed (then nothing will be written).
    fn stage(&mut self, output: &PolicyOutput) {
        if self.status != ExitStatus::Success || self.write_error.is_some() {
            return;
        }
        if let Err(e) = self.transaction.stage(output) {
            self.write_error = Some(e);
            return;
        }
        let json = self.args.format == BuildFormat::Json;
        let artifacts = output
            .artifacts
            .iter()
            .map(|a| Written {
                path: a.path.clone(),
                sha256: if json {
                    hex_sha256(&a.bytes)
                } else {
                    String::new()
                },
                bytes: a.bytes.len(),
            })
            .collect();
        self.written.push((output.name.clone(), artifacts));
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}
