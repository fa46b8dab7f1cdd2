//! SARIF 2.1.0 report for code-scanning views: one result per failing check, located at the
//! host file it came from, with the policy field as the rule.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::json;

use super::{Context, Report, Summary};
use crate::audit::compare::{FindingSeverity, HostReport, HostStatus, Outcome};

#[derive(Default)]
pub struct Sarif {
    first: bool,
    /// Rule id → (short description, policy field, cause).
    rules: BTreeMap<String, (String, String, Option<&'static str>)>,
    version: &'static str,
    /// Where the policy sets each field: a finding's primary location, so code scanning shows
    /// it beside the setting; the host file is a related location.
    field_locations: BTreeMap<String, (String, usize, usize)>,
}

/// A host file path as a SARIF `artifactLocation.uri`, which must be a URI reference (RFC
/// 3986): `\\` becomes `/`, and every byte but the unreserved characters and `/` is
/// percent-encoded, so a file name with a space, `#`, `?`, `%`, `:` or any non-ASCII character
/// stays one path and cannot become a scheme, query or fragment.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Report for Sarif {
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()> {
        self.first = true;
        self.version = ctx.version;
        self.field_locations.clone_from(&ctx.field_locations);
        write!(
            out,
            "{{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [{{\n    \"properties\": {},\n    \"results\": [",
            json!({"policy": ctx.policy_name, "policyFile": ctx.policy_file, "policySha256": ctx.policy_hash})
        )
    }

    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()> {
        let location = host
            .sources
            .first()
            .map_or_else(|| uri(&host.host), |s| uri(s));
        let mut results = Vec::new();
        if host.status == HostStatus::Unreadable {
            self.rules.insert(
                "snapshot.unreadable".into(),
                (
                    "the host file could not be read".into(),
                    "diff".into(),
                    None,
                ),
            );
            results.push(json!({
                "ruleId": "snapshot.unreadable", "level": "error",
                "message": {"text": format!("{}: {}", host.host, host.error.as_deref().unwrap_or(""))},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": location}}, "logicalLocations": [{"name": host.host, "kind": "host"}]}],
            }));
        }
        for check in host.checks.iter().filter(|c| c.outcome != Outcome::Pass) {
            self.rules.entry(check.id.clone()).or_insert_with(|| {
                (
                    format!("`{}` differs from the policy", check.field),
                    check.field.clone(),
                    check.cause,
                )
            });
            // A check without evidence is neither a pass nor a failure: SARIF's `review`
            // kind, whose level is `none`.
            let (kind, level) = match (check.outcome, check.severity) {
                (Outcome::NotVerified, _) => ("review", "none"),
                (Outcome::Waived, FindingSeverity::Warning) => ("fail", "warning"),
                (_, FindingSeverity::Error) => ("fail", "error"),
                (_, FindingSeverity::Warning) => ("fail", "warning"),
            };
            let mut result = json!({
                "ruleId": check.id,
                "kind": kind,
                "level": level,
                "message": {"text": format!("{}: {}", host.host, check.message)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": location}},
                    "logicalLocations": [{"name": host.host, "kind": "host"}, {"name": check.location, "kind": "registryValue"}],
                }],
                "properties": {"host": host.host, "field": check.field, "outcome": check.outcome, "desired": check.desired, "actual": check.actual, "source": check.source, "cause": check.cause, "fix": check.fix},
            });
            let policy_at = self.field_locations.get(&check.field).or_else(|| {
                self.field_locations
                    .get(check.field.split('.').next().unwrap_or(""))
            });
            if let Some((file, line, col)) = policy_at {
                let host_location = result["locations"][0].clone();
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": crate::diagnostic::uri_reference(file)},
                        "region": {"startLine": line, "startColumn": col},
                    },
                    "logicalLocations": [{"name": host.host, "kind": "host"}, {"name": check.location, "kind": "registryValue"}],
                }]);
                result["relatedLocations"] = json!([{
                    "id": 1,
                    "physicalLocation": host_location["physicalLocation"],
                    "message": {"text": "the host file"},
                }]);
            }
            // A waived failure is a result the policy's owner accepted: SARIF suppressions.
            if check.outcome == Outcome::Waived {
                result["suppressions"] = json!([{"kind": "external", "status": "accepted", "justification": check.waiver}]);
            }
            results.push(result);
        }
        for r in results {
            if !self.first {
                out.write_all(b",")?;
            }
            self.first = false;
            out.write_all(b"\n      ")?;
            serde_json::to_writer(&mut *out, &r).map_err(io::Error::other)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> io::Result<()> {
        let rules: Vec<_> = self
            .rules
            .iter()
            .map(|(id, (text, field, cause))| {
                json!({
                    "id": id,
                    "shortDescription": {"text": text},
                    "help": {"text": format!("run `rdpgen explain {field}` for the setting and its fix")},
                    "properties": {"cause": cause},
                })
            })
            .collect();
        let tool = json!({"driver": {"name": "rdpgen", "version": self.version, "rules": rules}});
        let summary = json!({"hosts": s.hosts, "compliant": s.compliant, "drifted": s.drifted, "incomplete": s.incomplete, "unreadable": s.unreadable});
        write!(
            out,
            "\n    ],\n    \"tool\": {tool},\n    \"invocations\": [{{\"executionSuccessful\": true, \"properties\": {summary}}}]\n  }}]\n}}\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn file_names_become_uri_references() {
        assert_eq!(uri(r"hosts\a b.json"), "hosts/a%20b.json");
        assert_eq!(uri("c:/x#y?z%.reg"), "c%3A/x%23y%3Fz%25.reg");
        assert_eq!(uri("h\u{1b}[31m\u{e9}.json"), "h%1B%5B31m%C3%A9.json");
        assert_eq!(uri("/srv/fleet/rds-01.json"), "/srv/fleet/rds-01.json");
    }
}
