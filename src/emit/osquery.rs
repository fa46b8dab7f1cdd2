//! `osquery/<name>.conf`: an osquery pack, to be loaded under the policy's name so its results
//! are named `pack_<name>_<query>`, whose snapshot queries collect what `rdpgen diff` compares
//! (`crate::audit::osquery::pack_queries`: the registry locations of the collector, the
//! listener's certificate, the inbound firewall rules, the RDP port's listener). The pack is
//! JSON written by serde_json; the queries hold only catalog text, quoted by
//! [`crate::escape::sql`]. No policy text reaches SQL.

use serde_json::{Map, Value, json};

use super::{Artifact, EmitError, Target};
use crate::audit::osquery::pack_queries;
use crate::model::Model;

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

/// Seconds between runs of each query.
pub const INTERVAL: u32 = 3600;

/// The pack file of a policy.
#[must_use]
pub fn pack_path(name: &str) -> String {
    format!("osquery/{name}.conf")
}

/// # Errors
/// A JSON serialisation failure (a bug).
pub fn emit(model: &Model) -> Result<Vec<Artifact>, EmitError> {
    let mut queries = Map::new();
    for q in pack_queries() {
        queries.insert(
            q.name.to_string(),
            json!({
                "query": q.sql,
                "interval": INTERVAL,
                "platform": "windows",
                "snapshot": true,
                "description": q.description,
            }),
        );
    }
    let pack = json!({
        "platform": "windows",
        "version": "5.0.0",
        "discovery": [],
        "queries": Value::Object(queries),
    });
    let mut text = serde_json::to_string_pretty(&pack).map_err(|e| EmitError::Target {
        target: Target::Osquery,
        message: e.to_string(),
    })?;
    text.push('\n');
    Ok(vec![Artifact {
        path: pack_path(&model.name),
        bytes: text.into_bytes(),
    }])
}
