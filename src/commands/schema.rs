//! `rdpgen schema`: prints the JSON Schema of the policy language, or with `--snapshot` the
//! schema of host snapshots.

use crate::cli::SchemaArgs;
use crate::exit_status::ExitStatus;
use crate::validate::schema::policy_schema;

pub fn run(args: &SchemaArgs) -> ExitStatus {
    let schema = if args.snapshot {
        crate::audit::snapshot_schema()
    } else {
        policy_schema()
    };
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    super::print_bytes(text.as_bytes())
}
