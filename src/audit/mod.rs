//! The audit: host snapshots compared with the `Model`. Snapshot files are read with the codecs
//! in `formats`; the comparison resolves effective values as Windows does; reports render the
//! results for people (text, HTML) and machines (JSON, SARIF, JUnit).

pub(crate) mod collector;
pub mod compare;
pub(crate) mod firewall;
pub(crate) mod osquery;
pub mod report;
pub(crate) mod rollback;
pub mod snapshot;
mod time;
pub(crate) mod waiver;
pub use time::{format_rfc3339, parse_rfc3339};

pub use compare::{
    Area, Check, FindingSeverity, HostReport, HostStatus, Outcome, ValueSource, audit,
};
pub use snapshot::{
    HostInput, HostInputs, HostState, Snapshot, expand_inputs, read_host, snapshot_schema,
};
