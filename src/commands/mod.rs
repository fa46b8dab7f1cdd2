//! Commands: the only place that prints, writes files or picks an exit status.

mod build;
mod collector;
mod diff;
mod explain;
mod import;
mod init;
mod live;
mod man;
mod output;
mod report;
mod schema;
mod validate;

use std::io::{IsTerminal, Write};

use clap::CommandFactory;

use crate::cli::{Cli, ColorChoice, Command};
use crate::exit_status::ExitStatus;

/// Runs one command line.
pub fn run(cli: Cli) -> ExitStatus {
    let styled = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    if !cli.admx.is_empty()
        && let Err(message) = load_admx(&cli.admx)
    {
        eprintln!("error: {message}");
        return ExitStatus::Failure;
    }
    match cli.command {
        Command::Validate(args) => validate::run(&args, styled),
        Command::Schema(args) => schema::run(&args),
        Command::Build(args) => build::run(&args, styled),
        Command::Diff(args) => diff::run(&args, styled),
        Command::Report(crate::cli::ReportCommand::Merge(args)) => report::run(&args, styled),
        Command::Explain(args) => explain::run(&args),
        Command::Collector(args) => collector::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "rdpgen", &mut std::io::stdout());
            ExitStatus::Success
        }
        Command::Man => match man::render() {
            Ok(buf) => print_bytes(&buf),
            Err(e) => {
                eprintln!("error: cannot render the man page: {e}");
                ExitStatus::Failure
            }
        },
    }
}

/// Reads the `*.admx` files directly in each `--admx` directory (sorted) and registers their
/// policies for this process.
fn load_admx(dirs: &[std::path::PathBuf]) -> Result<(), String> {
    use crate::catalog::admx;
    let mut policies = Vec::new();
    for dir in dirs {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("--admx {}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("admx"))
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!("--admx {}: no *.admx file there", dir.display()));
        }
        for path in files {
            let shown = crate::escape::terminal::sanitize(&path.display().to_string()).into_owned();
            let bytes = crate::fsread::read_regular(&path, admx::parse::MAX_FILE_BYTES as u64)
                .map_err(|e| format!("{shown}: {e}"))?;
            if bytes.len() > admx::parse::MAX_FILE_BYTES {
                return Err(format!(
                    "{shown}: larger than {} MiB",
                    admx::parse::MAX_FILE_BYTES >> 20
                ));
            }
            let text = crate::formats::text::decode(&bytes).into_owned();
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let parsed = admx::parse(&text, &file_name).map_err(|e| {
                let source = crate::source::SourceFile::new(
                    crate::source::Origin::File(path.clone()),
                    shown.clone(),
                    text.clone(),
                );
                let (line, column) = source.line_column(e.offset);
                format!(
                    "{shown}:{line}:{column}: {}",
                    crate::escape::terminal::sanitize(&e.message)
                )
            })?;
            policies.extend(parsed);
        }
    }
    admx::register(policies).map_err(str::to_string)
}

/// Policy arguments with each directory replaced by the `*.yaml` / `*.yml` files directly in
/// it, sorted (not recursive: bases kept in subdirectories are not built on their own).
fn expand_policy_args(args: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>, String> {
    let mut out = Vec::new();
    if args.iter().filter(|a| a.as_os_str() == "-").count() > 1 {
        return Err("`-` (standard input) can be named once".into());
    }
    for arg in args {
        if !arg.is_dir() {
            out.push(arg.clone());
            continue;
        }
        let mut found: Vec<std::path::PathBuf> = std::fs::read_dir(arg)
            .map_err(|e| format!("cannot list `{}`: {e}", arg.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.extension().is_some_and(|x| {
                        x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml")
                    })
            })
            .collect();
        if found.is_empty() {
            return Err(format!(
                "`{}` holds no policy (*.yaml, *.yml)",
                arg.display()
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Writes to stdout; a closed pipe is not an error worth a panic.
fn print_bytes(bytes: &[u8]) -> ExitStatus {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitStatus::Success,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            ExitStatus::Failure
        }
    }
}
