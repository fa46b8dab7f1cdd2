//! The imported policy as YAML: the layout of the shipped examples (modeline, header comment,
//! one block per section in policy-language order, fields in catalog order), every string
//! through [`crate::escape::yaml`], and the values no field covers listed at the end.

use std::fmt::Write as _;

use serde_json::Value;

use super::map::{Field, Unmapped};
use crate::catalog;
use crate::escape::{self, yaml};

/// The sections of policy language v1, in the order policies and examples write them.
pub const SECTIONS: &[&str] = &[
    "connection",
    "security",
    "tls",
    "certificate",
    "firewall",
    "licensing",
    "sessions",
    "redirection",
    "credentials",
    "remoteAssistance",
    "posture",
    "logonRights",
    "gpo",
];

/// Everything the YAML holds.
#[derive(Debug, Clone, Default)]
pub struct Document<'a> {
    /// Comment lines after the modeline (flattened to one line each).
    pub header: Vec<String>,
    pub name: &'a str,
    pub extends: Option<&'a str>,
    pub fields: Vec<Field>,
    pub empty_sections: Vec<&'static str>,
    pub unmapped: &'a [Unmapped],
    /// Extra comment lines before the unmapped list (the base's fields the sources lack).
    pub notes: Vec<String>,
}

fn scalar(text: &str) -> Result<String, yaml::Unrepresentable> {
    yaml::scalar(text).map(|s| s.as_str().to_string())
}

fn value_text(value: &Value) -> Result<String, yaml::Unrepresentable> {
    Ok(match value {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s)?,
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(value_text).collect::<Result<_, _>>()?;
            format!("[{}]", parts.join(", "))
        }
        Value::Null => "null".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(_) => scalar(&value.to_string())?,
    })
}

fn catalog_index(field: &str) -> usize {
    catalog::SETTINGS
        .iter()
        .position(|s| s.field == field)
        .unwrap_or(usize::MAX)
}

/// The policy YAML.
///
/// # Errors
/// A string with a character no one-line YAML scalar can carry (a control character).
pub fn render(doc: &Document<'_>) -> Result<String, yaml::Unrepresentable> {
    let mut out = String::from("# yaml-language-server: $schema=../policies/rdpgen.schema.json\n");
    for line in &doc.header {
        let _ = writeln!(out, "# {}", escape::single_line(line));
    }
    let _ = writeln!(out, "rdpgen: 1\nname: {}", scalar(doc.name)?);
    if let Some(base) = doc.extends {
        let _ = writeln!(out, "extends: [{}]", scalar(base)?);
    }
    let mut fields = doc.fields.clone();
    fields.sort_by_key(|f| catalog_index(f.field));
    for section in SECTIONS {
        let in_section: Vec<&Field> = fields
            .iter()
            .filter(|f| f.field.split('.').next() == Some(*section))
            .collect();
        if in_section.is_empty() {
            if doc.empty_sections.contains(section) {
                let _ = writeln!(out, "\n{section}: {{}}");
            }
            continue;
        }
        let _ = writeln!(out, "\n{section}:");
        let mut open_group: Option<&str> = None;
        for f in in_section {
            let key = f.field.split_once('.').map_or(f.field, |(_, k)| k);
            // `posture.firewall.enabled`: a nested map, opened once.
            let (indent, key) = match key.split_once('.') {
                Some((group, inner)) => {
                    if open_group != Some(group) {
                        let _ = writeln!(out, "  {group}:");
                        open_group = Some(group);
                    }
                    ("    ", inner)
                }
                None => {
                    open_group = None;
                    ("  ", key)
                }
            };
            let line = format!("{indent}{key}: {}", value_text(&f.value)?);
            match &f.note {
                Some(note) => {
                    let _ = writeln!(out, "{line:<33} # {}", escape::single_line(note));
                }
                None => {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
    // `admx:`: a list of entries, each `policy`, `state` and a flow map of element values.
    if let Some(admx) = fields.iter().find(|f| f.field == "admx")
        && let Value::Array(entries) = &admx.value
    {
        let _ = writeln!(out, "\nadmx:");
        for e in entries {
            let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
            let _ = writeln!(out, "  - policy: {}", scalar(text("policy"))?);
            let _ = writeln!(out, "    state: {}", scalar(text("state"))?);
            if let Some(Value::Object(values)) = e.get("values") {
                let _ = writeln!(out, "    values:");
                for (k, v) in values {
                    let v = match v {
                        Value::Object(map) => {
                            let parts: Vec<String> = map
                                .iter()
                                .map(|(n, d)| Ok(format!("{}: {}", scalar(n)?, value_text(d)?)))
                                .collect::<Result<_, yaml::Unrepresentable>>()?;
                            format!("{{{}}}", parts.join(", "))
                        }
                        other => value_text(other)?,
                    };
                    let _ = writeln!(out, "      {}: {v}", scalar(k)?);
                }
            }
        }
    }
    if !doc.notes.is_empty() || !doc.unmapped.is_empty() {
        out.push('\n');
    }
    for note in &doc.notes {
        let _ = writeln!(out, "# {}", escape::single_line(note));
    }
    if !doc.unmapped.is_empty() {
        let n = doc.unmapped.len();
        let _ = writeln!(
            out,
            "# Not imported: {n} value{} no policy field covers (key, value, type, data; source).",
            if n == 1 { "" } else { "s" }
        );
        for u in doc.unmapped {
            let _ = writeln!(
                out,
                "#   {}  ({})",
                escape::single_line(&u.what),
                escape::single_line(&u.origin.to_string())
            );
        }
    }
    Ok(out)
}

/// `2026-12-02T05:30:00Z` of seconds since the Unix epoch.
#[must_use]
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(946_684_800), "2000-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
    }
}
