//! `rdpgen collector`: prints the read-only PowerShell collector, rendered from
//! `templates/collector/collector.ps1.hbs` with the registry keys of the catalog.

use crate::cli::CollectorArgs;
use crate::exit_status::ExitStatus;

pub fn run(_args: &CollectorArgs) -> ExitStatus {
    match crate::audit::collector::render() {
        Ok(script) => super::print_bytes(script.as_bytes()),
        Err(e) => {
            eprintln!("error: cannot render the collector: {e}");
            ExitStatus::Failure
        }
    }
}
