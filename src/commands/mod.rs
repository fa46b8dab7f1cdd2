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
