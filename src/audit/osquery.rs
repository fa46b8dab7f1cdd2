//! osquery as a collector: the pack's queries (what `build --target osquery` writes) and the
//! reading of their results — the filesystem logger's results log and `osqueryi --json`
//! output — into the [`HostState`] every other input becomes, so the comparison is shared.
//!
//! The registry query reads exactly the collector's locations
//! ([`crate::catalog::evidence::registry_locations`]). What osquery has no table for is left out of
//! the evidence (and so *not verified*): the private key's ACL, the certificate's EKUs, the
//! network categories, the logon rights.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::snapshot::{
    CertificateInfo, FirewallInfo, FirewallRuleInfo, HostState, ListenerInfo, RegistryPath,
    split_hive,
};
use crate::catalog::evidence::osquery::{
    CERTIFICATES, FIREWALL_RULES, LISTENER_PACK_SUFFIX, LISTENING_PORTS, QUERY_NAMES, REGISTRY,
};
use crate::catalog::keys;
use crate::formats::{Hive, RegistryValue, osquery_registry};

/// One result row: column → text (numbers as osquery's `numerics` writes them become text).
pub type Row = BTreeMap<String, String>;

fn row_of(value: &Value) -> Result<Row, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| format!("a result row is not an object: {}", short(value)))?;
    let mut row = Row::new();
    for (k, v) in obj {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => u8::from(*b).to_string(),
            Value::Null => String::new(),
            other => return Err(format!("column `{k}` holds {}", short(other))),
        };
        row.insert(k.clone(), text);
    }
    Ok(row)
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

fn rows_of(value: &Value) -> Result<Vec<Row>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("expected a list of rows, found {}", short(value)))?
        .iter()
        .map(row_of)
        .collect()
}

/// What one query showed of one host.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    pub rows: Vec<Row>,
    /// Seconds since 1970 of the newest line used.
    pub time: Option<i64>,
}

fn col<'a>(row: &'a Row, name: &str) -> &'a str {
    row.get(name).map_or("", String::as_str)
}

/// Seconds since 1970 (osquery's DATETIME and `unixTime`), or an RFC 3339 time.
fn parse_time(text: &str) -> Option<i64> {
    let t = text.trim();
    t.parse().ok().or_else(|| super::parse_rfc3339(t))
}

/// The host state the pack's results show. `queries` maps a query name to its rows; a query
/// without results leaves its part of the host *not verified*.
///
/// # Errors
/// A row whose values do not fit their columns.
pub fn host_state(
    name: &str,
    queries: &BTreeMap<String, QueryResult>,
) -> Result<HostState, String> {
    let mut state = HostState {
        name: name.to_string(),
        ..HostState::default()
    };
    state.kinds.insert("osquery");
    state.evidence.osquery = true;
    if let Some(time) = queries.values().filter_map(|q| q.time).max() {
        state.captured_at = Some(super::format_rfc3339(time));
    }
    if let Some(reg) = queries.get(REGISTRY) {
        state.evidence.all_registry = true;
        for row in &reg.rows {
            let Some((hive, key)) = split_hive(col(row, "key")) else {
                continue;
            };
            let mut value_name = col(row, "name");
            // osquery names the default value `(Default)`; its path ends with the separator.
            if value_name == "(Default)" && col(row, "path").ends_with('\\') {
                value_name = "";
            }
            let value = osquery_registry::read(col(row, "type"), col(row, "data"))
                .map_err(|e| format!("registry {}\\{value_name}: {e}", col(row, "key")))?;
            state
                .registry
                .insert(RegistryPath::new(hive, key, value_name), value);
        }
    }
    if let Some(certs) = queries.get(CERTIFICATES) {
        let (seen, cert) = listener_certificate(&certs.rows)?;
        state.evidence.certificate = seen;
        state.certificate = cert;
    }
    if let Some(fw) = queries.get(FIREWALL_RULES) {
        state.evidence.firewall = true;
        state.firewall = Some(FirewallInfo {
            network_categories: Vec::new(),
            rules: fw.rows.iter().map(firewall_rule).collect(),
            profiles: Vec::new(),
        });
    }
    if let Some(listening) = queries.get(LISTENING_PORTS) {
        state.evidence.listener = true;
        let count = listening
            .rows
            .first()
            .and_then(|r| col(r, "listening").trim().parse::<u64>().ok());
        state.listener = Some(ListenerInfo {
            listening: count.map(|n| n > 0),
            owner: None,
        });
    }
    reconcile(&mut state);
    Ok(state)
}

/// The certificate the listener uses: the one whose SHA-1 is the binding
/// (`SSLCertificateSHA1Hash`), from `Remote Desktop` before `My` as the collector looks;
/// without a binding, the newest of the `Remote Desktop` store (the listener's self-signed
/// one). A binding to a certificate no store holds is reported as the collector does: that
/// thumbprint with nothing known of it. No binding and no `Remote Desktop` certificate: the
/// listener has none (what the collector reports as `null`).
fn listener_certificate(rows: &[Row]) -> Result<(bool, Option<CertificateInfo>), String> {
    let hash = rows
        .iter()
        .map(|r| {
            col(r, "listener_hash")
                .chars()
                .filter(char::is_ascii_hexdigit)
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .find(|h| !h.is_empty());
    let store_rank = |r: &Row| match col(r, "store").to_ascii_lowercase().as_str() {
        "remote desktop" => 0,
        _ => 1,
    };
    let chosen = match &hash {
        Some(h) => rows
            .iter()
            .filter(|r| col(r, "sha1").trim().eq_ignore_ascii_case(h))
            .min_by_key(|r| store_rank(r)),
        None => rows
            .iter()
            .filter(|r| col(r, "store").eq_ignore_ascii_case("Remote Desktop"))
            .max_by_key(|r| parse_time(col(r, "not_valid_after")).unwrap_or(i64::MIN)),
    };
    let Some(row) = chosen else {
        return Ok(match hash {
            Some(thumbprint) => (
                true,
                Some(CertificateInfo {
                    thumbprint,
                    subject: String::new(),
                    issuer: String::new(),
                    not_before: super::format_rfc3339(0),
                    not_after: super::format_rfc3339(0),
                    ekus: Vec::new(),
                    key_size: None,
                    self_signed: false,
                    store: None,
                    network_service_can_read_key: None,
                    key_file: None,
                }),
            ),
            None => (true, None),
        });
    };
    let time = |c: &str| {
        parse_time(col(row, c))
            .map(super::format_rfc3339)
            .ok_or_else(|| {
                format!(
                    "certificate column `{c}` is `{}`, not seconds since 1970",
                    col(row, c)
                )
            })
    };
    let store = match col(row, "store") {
        s if s.eq_ignore_ascii_case("Personal") => "My".to_string(),
        s => s.to_string(),
    };
    Ok((
        true,
        Some(CertificateInfo {
            thumbprint: col(row, "sha1").trim().to_ascii_uppercase(),
            subject: col(row, "subject").to_string(),
            issuer: col(row, "issuer").to_string(),
            not_before: time("not_valid_before")?,
            not_after: time("not_valid_after")?,
            ekus: Vec::new(),
            key_size: col(row, "key_strength").trim().parse().ok(),
            self_signed: col(row, "self_signed").trim() == "1",
            store: (!store.is_empty()).then_some(store),
            network_service_can_read_key: None,
            key_file: None,
        }),
    ))
}

fn firewall_rule(row: &Row) -> FirewallRuleInfo {
    let list = |c: &str| -> Vec<String> {
        col(row, c)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let direction = match col(row, "direction") {
        d if d.eq_ignore_ascii_case("In") => "Inbound",
        d if d.eq_ignore_ascii_case("Out") => "Outbound",
        _ => "Unknown",
    };
    // osquery leaves `protocol` empty for every protocol but TCP, UDP and Any.
    let protocol = match col(row, "protocol").trim() {
        "" => "65535".to_string(),
        p => p.to_string(),
    };
    let mut profiles: Vec<String> = [
        ("profile_domain", "Domain"),
        ("profile_private", "Private"),
        ("profile_public", "Public"),
    ]
    .into_iter()
    .filter(|(c, _)| col(row, c).trim() == "1")
    .map(|(_, p)| p.to_string())
    .collect();
    if profiles.is_empty() {
        profiles.push("None".into());
    }
    let opt = |c: &str| Some(col(row, c).trim().to_string()).filter(|s| !s.is_empty());
    FirewallRuleInfo {
        name: col(row, "name").to_string(),
        display_name: None,
        enabled: col(row, "enabled").trim() == "1",
        direction: direction.into(),
        action: col(row, "action").to_string(),
        protocol,
        local_ports: list("local_ports"),
        remote_addresses: list("remote_addresses"),
        profiles,
        policy_store: None,
        program: opt("app_name"),
        service: opt("service_name"),
    }
}

/// osquery's rule list has no store: a rule the Group Policy key holds (by id or by its
/// `Name=`) is that policy rule, already read from the registry, and is dropped from the
/// list; every other listed rule is a local one.
pub fn reconcile(state: &mut HostState) {
    if !state.evidence.osquery {
        return;
    }
    let mut policy_names: Vec<String> = Vec::new();
    for (path, value) in state.values_under(Hive::LocalMachine, keys::FWPOL_RULES) {
        policy_names.push(path.name.clone());
        if let RegistryValue::Sz(text) = value
            && let Ok(rule) = crate::formats::firewall_rule::RuleString::parse(text)
            && let Some(n) = rule.name
        {
            policy_names.push(n.to_ascii_lowercase());
        }
    }
    if let Some(fw) = &mut state.firewall {
        fw.rules
            .retain(|r| !policy_names.contains(&r.name.to_ascii_lowercase()));
    }
}

/// Where a results-log line goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError {
    pub line: usize,
    pub message: String,
}

/// A line's change to a query's rows, with its `unixTime` and line number.
type Timed = (i64, usize, Op);

enum Op {
    Snapshot(Vec<Row>),
    Add(Vec<Row>),
    Remove(Vec<Row>),
}

/// The packs whose main queries a results log holds (`pack_<name>_registry` and the like),
/// sorted; lines that are not JSON objects with a `name` are skipped.
#[must_use]
pub fn packs_in(text: &str) -> Vec<String> {
    let mut packs = std::collections::BTreeSet::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches('\u{feff}');
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(name) = obj.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(rest) = name.strip_prefix("pack_") else {
            continue;
        };
        for q in [REGISTRY, CERTIFICATES, FIREWALL_RULES] {
            if let Some(pack) = rest.strip_suffix(q).and_then(|p| p.strip_suffix('_'))
                && !pack.is_empty()
            {
                packs.insert(pack.to_string());
            }
        }
    }
    packs.into_iter().collect()
}

/// Whether `text` looks like an osquery results log (JSON lines with `hostIdentifier`).
#[must_use]
pub fn is_results_log(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| {
            l.starts_with('{')
                && l.contains("\"hostIdentifier\"")
                && !l.contains("\"rdpgenSnapshot\"")
        })
}

/// The hosts of a results log for the pack `pack` (the policy's name), sorted by host
/// identifier. Lines of other packs and queries are skipped. Per host and query, lines apply
/// in `unixTime` order (then file order): a snapshot replaces the rows, `added` and
/// `removed` events and batched `diffResults` change them; so the newest snapshot wins.
///
/// # Errors
/// The first line that is not JSON or not a results line of the pack, with its number.
pub fn read_results_log(text: &str, pack: &str) -> Result<Vec<HostState>, LogError> {
    let prefix = format!("pack_{pack}_");
    let listener = format!("pack_{pack}{LISTENER_PACK_SUFFIX}_{LISTENING_PORTS}");
    let mut lines: BTreeMap<String, BTreeMap<String, Vec<Timed>>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let err = |message: String| LogError { line: n, message };
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| err(format!("invalid JSON at column {}: {e}", e.column())))?;
        let obj = value
            .as_object()
            .ok_or_else(|| err("a results line is not a JSON object".into()))?;
        let Some(name) = obj.get("name").and_then(Value::as_str) else {
            return Err(err("the line has no `name`".into()));
        };
        let Some(query) = name
            .strip_prefix(&prefix)
            .filter(|q| QUERY_NAMES.contains(q))
            .or((name == listener).then_some(LISTENING_PORTS))
        else {
            continue;
        };
        let host = obj
            .get("hostIdentifier")
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("`{name}`: no `hostIdentifier`")))?;
        let time = match obj.get("unixTime") {
            Some(Value::Number(t)) => t.as_i64(),
            Some(Value::String(t)) => parse_time(t),
            _ => None,
        }
        .ok_or_else(|| err(format!("`{name}`: no `unixTime` in seconds")))?;
        let ops = parse_ops(obj).map_err(|m| err(format!("`{name}`: {m}")))?;
        let entry = lines
            .entry(host.to_string())
            .or_default()
            .entry(query.to_string())
            .or_default();
        for op in ops {
            entry.push((time, n, op));
        }
    }
    let mut out = Vec::new();
    for (host, queries) in lines {
        let mut results: BTreeMap<String, QueryResult> = BTreeMap::new();
        let mut first_line = usize::MAX;
        for (query, mut ops) in queries {
            ops.sort_by_key(|(t, n, _)| (*t, *n));
            let mut result = QueryResult::default();
            for (t, n, op) in ops {
                first_line = first_line.min(n);
                result.time = Some(t);
                match op {
                    Op::Snapshot(rows) => result.rows = rows,
                    Op::Add(rows) => result.rows.extend(rows),
                    Op::Remove(rows) => {
                        for r in rows {
                            if let Some(at) = result.rows.iter().position(|x| *x == r) {
                                result.rows.remove(at);
                            }
                        }
                    }
                }
            }
            results.insert(query, result);
        }
        let state = host_state(&host, &results).map_err(|message| LogError {
            line: first_line,
            message: format!("host `{host}`: {message}"),
        })?;
        out.push(state);
    }
    Ok(out)
}

fn parse_ops(obj: &Map<String, Value>) -> Result<Vec<Op>, String> {
    if let Some(snapshot) = obj.get("snapshot") {
        return Ok(vec![Op::Snapshot(rows_of(snapshot)?)]);
    }
    if let Some(diff) = obj.get("diffResults") {
        let part = |k: &str| diff.get(k).map_or(Ok(Vec::new()), rows_of);
        return Ok(vec![Op::Remove(part("removed")?), Op::Add(part("added")?)]);
    }
    let columns = obj
        .get("columns")
        .ok_or("neither `snapshot`, `diffResults` nor `columns`")?;
    let row = row_of(columns)?;
    match obj.get("action").and_then(Value::as_str) {
        Some("added") => Ok(vec![Op::Add(vec![row])]),
        Some("removed") => Ok(vec![Op::Remove(vec![row])]),
        Some(other) => Err(format!("unknown action `{other}`")),
        None => Err("an event without `action`".into()),
    }
}

/// The query an `osqueryi --json` output file answers, from its file name: `registry.json`
/// or `pack_<policy>_registry.json`.
#[must_use]
pub fn query_of_file_stem(stem: &str) -> Option<&'static str> {
    QUERY_NAMES.into_iter().find(|q| {
        stem == *q
            || stem
                .strip_suffix(q)
                .is_some_and(|p| p.starts_with("pack_") && p.ends_with('_'))
    })
}

/// One `osqueryi --json` output (a JSON array of rows) of the query `query`.
///
/// # Errors
/// Not a JSON array of row objects.
pub fn from_osqueryi(text: &str, query: &str, host: &str) -> Result<HostState, String> {
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let rows = rows_of(&value)?;
    let mut queries = BTreeMap::new();
    queries.insert(query.to_string(), QueryResult { rows, time: None });
    host_state(host, &queries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_snapshot_wins_and_other_packs_are_skipped() {
        let log = [
            r#"{"name":"pack_p_listening_ports","hostIdentifier":"h","unixTime":20,"snapshot":[{"listening":"0"}],"action":"snapshot"}"#,
            r#"{"name":"pack_p_listening_ports","hostIdentifier":"h","unixTime":10,"snapshot":[{"listening":"1"}],"action":"snapshot"}"#,
            r#"{"name":"pack_other_listening_ports","hostIdentifier":"x","unixTime":30,"snapshot":[],"action":"snapshot"}"#,
        ]
        .join("\n");
        let hosts = read_results_log(&log, "p").unwrap();
        assert_eq!(hosts.len(), 1);
        assert_eq!(hosts[0].listener.as_ref().unwrap().listening, Some(false));
        assert_eq!(
            hosts[0].captured_at.as_deref(),
            Some("1970-01-01T00:00:20Z")
        );
        let e = read_results_log("{\"name\":\"pack_p_registry\"\n", "p").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn events_and_batched_differentials_change_the_rows_in_time_order() {
        let q = "pack_p_listening_ports";
        let log = [
            format!(r#"{{"name":"{q}","hostIdentifier":"h","unixTime":"30","columns":{{"listening":"1"}},"action":"removed"}}"#),
            format!(r#"{{"name":"{q}","hostIdentifier":"h","unixTime":10,"columns":{{"listening":"1"}},"action":"added"}}"#),
            format!(r#"{{"name":"{q}","hostIdentifier":"g","unixTime":10,"diffResults":{{"added":[{{"listening":2}}],"removed":[]}},"numerics":true}}"#),
        ]
        .join("\n");
        let hosts = read_results_log(&log, "p").unwrap();
        assert_eq!(hosts.len(), 2);
        // g: a numeric column; h: added at 10, removed at 30 — no rows left.
        assert_eq!(hosts[0].name, "g");
        assert_eq!(hosts[0].listener.as_ref().unwrap().listening, Some(true));
        assert_eq!(hosts[1].listener.as_ref().unwrap().listening, None);
        let bad = format!(
            r#"{{"name":"{q}","hostIdentifier":"h","unixTime":1,"columns":{{}},"action":"x"}}"#
        );
        assert_eq!(read_results_log(&bad, "p").unwrap_err().line, 1);
    }

    #[test]
    fn osqueryi_files_are_named_after_the_query() {
        assert_eq!(query_of_file_stem("registry"), Some(REGISTRY));
        assert_eq!(
            query_of_file_stem("pack_tier1_certificates"),
            Some(CERTIFICATES)
        );
        assert_eq!(query_of_file_stem("xregistry"), None);
    }

    #[test]
    fn queries_never_hold_an_unescaped_quote() {
        for q in crate::emit::osquery::pack_queries() {
            // Every literal is balanced: an even number of quotes.
            assert_eq!(q.sql.matches('\'').count() % 2, 0, "{}", q.sql);
            assert!(q.sql.ends_with(';'));
        }
    }
}
