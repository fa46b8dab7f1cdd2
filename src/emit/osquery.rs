//! `osquery/<name>.conf`: an osquery pack, to be loaded under the policy's name so its results
//! are named `pack_<name>_<query>`, whose snapshot queries collect what `rdpgen diff` compares
//! ([`pack_queries`]: the registry locations of the collector, the
//! listener's certificate, the inbound firewall rules, the RDP port's listener). The pack is
//! JSON written by serde_json; `osquery/<name>-listener.conf`, loaded as `<name>-listener`,
//! holds the `listening_ports` query, so the main pack needs no other tables; the queries hold only catalog text, quoted by
//! [`crate::escape::sql`]. No policy text reaches SQL.
//!
//! `osquery/fleet-policies.yml`: one Fleet policy (`fleetctl apply -f`) per registry field, a
//! query that returns a row when the host passes. A setting that has a policy and a local value
//! is judged on its effective value — the policy value while present, else the local one, as
//! `diff` does. Policy values (license servers, template names) enter SQL only as
//! [`crate::escape::sql`] literals and YAML only through [`crate::escape::yaml`]. Firewall rules,
//! the certificate and the consistency checks are left to `diff` on the pack's results.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::{Artifact, EmitError, Target};
use crate::catalog::evidence::osquery::{
    CERTIFICATES, FIREWALL_RULES, LISTENER_PACK_SUFFIX, LISTENING_PORTS, REGISTRY,
};
use crate::catalog::evidence::registry_locations;
use crate::catalog::keys;
use crate::escape::sql::{literal, literal_list};
use crate::escape::yaml::scalar;
use crate::formats::{RegistryValue, osquery_registry};
use crate::model::{Model, RegistryAction, RegistryOp, Scope};

/// The Fleet policies file.
pub const FLEET_POLICIES: &str = "osquery/fleet-policies.yml";

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

/// Seconds between runs of each query.
pub const INTERVAL: u32 = 3600;

/// The pack file of a policy.
#[must_use]
pub fn pack_path(name: &str) -> String {
    format!("osquery/{name}.conf")
}

/// `osquery/<name>.conf` (registry, certificates, firewall rules), `osquery/<name>-listener.conf`
/// (the listening socket, loaded as its own pack) and the Fleet policies.
///
/// # Errors
/// A JSON serialisation failure (a bug), or a string YAML cannot carry.
pub fn emit(model: &Model) -> Result<Vec<Artifact>, EmitError> {
    let listener = format!("{}{LISTENER_PACK_SUFFIX}", model.name);
    Ok(vec![
        Artifact {
            path: pack_path(&model.name),
            bytes: pack(pack_queries())?.into_bytes(),
        },
        Artifact {
            path: pack_path(&listener),
            bytes: pack(listener_queries())?.into_bytes(),
        },
        Artifact {
            path: FLEET_POLICIES.into(),
            bytes: fleet_policies(model)?.into_bytes(),
        },
    ])
}

/// One query of the pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackQuery {
    pub name: &'static str,
    pub sql: String,
    pub description: &'static str,
}

fn hklm(key: &str) -> String {
    osquery_registry::key_path(key)
}

/// The main pack's queries, in a fixed order: the registry, certificates and
/// windows_firewall_rules tables only. Only SQLite core syntax; every literal through
/// [`literal`]. Registry reads are planned by osquery through `key IN (...)`.
#[must_use]
pub fn pack_queries() -> Vec<PackQuery> {
    let locations = registry_locations();
    let keys_sql = literal_list(
        locations
            .iter()
            .map(|l| hklm(&l.key))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    let filters: Vec<String> = locations
        .iter()
        .map(|l| match &l.names {
            Some(names) => format!(
                "(key = {} AND lower(name) IN ({}))",
                literal(&hklm(&l.key)),
                literal_list(
                    names
                        .iter()
                        .map(|n| n.to_ascii_lowercase())
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str)
                )
            ),
            None => format!("key = {}", literal(&hklm(&l.key))),
        })
        .collect();
    let registry = format!(
        "SELECT key, path, name, type, data FROM registry WHERE key IN ({keys_sql}) AND type <> 'subkey' AND ({});",
        filters.join(" OR ")
    );
    let hash_path = literal(&osquery_registry::value_path(
        keys::RDP_TCP,
        keys::LISTENER_CERT_HASH,
    ));
    let certificates = format!(
        "SELECT sha1, subject, issuer, self_signed, not_valid_before, not_valid_after, key_algorithm, key_strength, store, store_location, (SELECT data FROM registry WHERE path = {hash_path}) AS listener_hash FROM certificates WHERE lower(store_location) = 'localmachine' AND lower(store) IN ('my', 'personal', 'remote desktop');"
    );
    let firewall = "SELECT name, app_name, action, enabled, grouping, direction, protocol, local_ports, remote_addresses, profile_domain, profile_private, profile_public, service_name FROM windows_firewall_rules WHERE direction = 'In' AND enabled = 1;".to_string();
    vec![
        PackQuery {
            name: REGISTRY,
            sql: registry,
            description: "rdpgen: every registry value the audit compares (policy and local keys, SCHANNEL, listener, firewall)",
        },
        PackQuery {
            name: CERTIFICATES,
            sql: certificates,
            description: "rdpgen: LocalMachine certificates the RDP-Tcp listener can use, with its binding",
        },
        PackQuery {
            name: FIREWALL_RULES,
            sql: firewall,
            description: "rdpgen: enabled inbound firewall rules",
        },
    ]
}

/// The listener pack's one query: whether anything listens on the RDP-Tcp port (TCP).
#[must_use]
pub fn listener_queries() -> Vec<PackQuery> {
    let port_path = literal(&osquery_registry::value_path(
        keys::RDP_TCP,
        keys::LISTENER_PORT,
    ));
    vec![PackQuery {
        name: LISTENING_PORTS,
        sql: format!(
            "SELECT count(*) AS listening FROM listening_ports WHERE protocol = 6 AND port = coalesce((SELECT CAST(data AS INTEGER) FROM registry WHERE path = {port_path}), 3389);"
        ),
        description: "rdpgen: whether anything listens on the RDP-Tcp port",
    }]
}

fn pack(list: Vec<PackQuery>) -> Result<String, EmitError> {
    let mut queries = Map::new();
    for q in list {
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
    let mut text = serde_json::to_string_pretty(&pack).map_err(target_error)?;
    text.push('\n');
    Ok(text)
}

fn target_error(message: impl std::fmt::Display) -> EmitError {
    EmitError::Target {
        target: Target::Osquery,
        message: message.to_string(),
    }
}

fn value_sql(key: &str, name: &str) -> String {
    format!(
        "(SELECT type || ':' || data FROM registry WHERE path = {})",
        literal(&osquery_registry::value_path(key, name))
    )
}

fn is_schannel_flag(op: &RegistryOp) -> bool {
    keys::is_schannel_flag(&op.key, &op.value_name)
}

/// The condition one operation puts on a passing host, on its effective value.
fn condition(op: &RegistryOp) -> String {
    let mut sources = vec![value_sql(&op.key, &op.value_name)];
    if op.scope == Scope::Policy
        && let Some(local) = Some(op.provenance.setting).and_then(|s| {
            s.local
                .iter()
                .find(|l| l.value_name.eq_ignore_ascii_case(&op.value_name))
        })
    {
        sources.push(value_sql(local.key, local.value_name));
    }
    let effective = if sources.len() == 1 {
        sources.remove(0)
    } else {
        format!("coalesce({})", sources.join(", "))
    };
    match &op.action {
        RegistryAction::Delete => format!("{effective} IS NULL"),
        // SCHANNEL reads any non-zero DWORD as on.
        RegistryAction::Set(RegistryValue::Dword(n)) if is_schannel_flag(op) && *n != 0 => {
            format!("({effective} LIKE 'REG_DWORD:%' AND {effective} <> 'REG_DWORD:0')")
        }
        RegistryAction::Set(v @ RegistryValue::Sz(_))
            if op.provenance.field() == "certificate.template" =>
        {
            format!(
                "lower({effective}) = lower({})",
                literal(&osquery_registry::text(v))
            )
        }
        RegistryAction::Set(v) => format!("{effective} = {}", literal(&osquery_registry::text(v))),
    }
}

/// `osquery/fleet-policies.yml`.
///
/// # Errors
/// A policy string YAML cannot carry on one line (validation keeps them out).
pub fn fleet_policies(model: &Model) -> Result<String, EmitError> {
    let mut fields: BTreeMap<&str, Vec<&RegistryOp>> = BTreeMap::new();
    for op in &model.registry {
        fields.entry(op.provenance.field()).or_default().push(op);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Fleet policies of the rdpgen policy {}: `fleetctl apply -f fleet-policies.yml`.",
        crate::escape::single_line(&model.name)
    );
    out.push_str(
        "# A query returns a row when the host passes; effective values: the policy key wins over the local one.\n",
    );
    out.push_str(
        "# Firewall rules, the certificate and the consistency checks: `rdpgen diff` on the pack's results.\n",
    );
    for (field, ops) in fields {
        let conditions: Vec<String> = ops.iter().map(|op| condition(op)).collect();
        let query = format!("SELECT 1 WHERE {};", conditions.join(" AND "));
        let locations: Vec<String> = ops
            .iter()
            .map(|op| format!("HKLM\\{}\\{}", op.key, op.value_name))
            .collect();
        let name = format!("rdpgen {}: {field}", model.name);
        let description = format!(
            "rdpgen policy {} sets {field} ({}).",
            model.name,
            locations.join(", ")
        );
        let resolution = format!(
            "Deploy the rdpgen policy {} (GPO, reg/apply.reg, DSC, Ansible or Intune); `rdpgen diff` on the osquery pack's results explains the drift.",
            model.name
        );
        out.push_str("---\napiVersion: v1\nkind: policy\nspec:\n");
        for (k, v) in [
            ("name", name.as_str()),
            ("query", query.as_str()),
            ("description", description.as_str()),
            ("resolution", resolution.as_str()),
            ("platform", "windows"),
        ] {
            let _ = writeln!(out, "  {k}: {}", scalar(v).map_err(target_error)?);
        }
        out.push_str("  critical: false\n");
    }
    Ok(out)
}
