//! The `rdpgen` binary: parse arguments, run the command, exit with its status.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = rdpgen::cli::Cli::parse();
    rdpgen::commands::run(cli).into()
}
