//! `rdpgen schema`: prints the JSON Schema of the policy language.

use crate::cli::SchemaArgs;
use crate::exit_status::ExitStatus;
use crate::validate::schema::policy_schema;

pub fn run(args: &SchemaArgs) -> ExitStatus {
    if args.snapshot {
        eprintln!(
            "error: the host snapshot schema is not available in this build yet (tracked as issue 7)"
        );
        return ExitStatus::Failure;
    }
    let mut text = serde_json::to_string_pretty(&policy_schema()).unwrap_or_default();
    text.push('\n');
    super::print_bytes(text.as_bytes())
}
