//! Commands: the only place that prints, writes files or picks an exit status.

mod build;
mod collector;
mod diff;
mod explain;
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
