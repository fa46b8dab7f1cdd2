//! The JSON Schema of the policy language, generated from the surface types, and validation of
//! each document against it. Schema errors become diagnostics located through the tree.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::Deserialize as _;
use serde_json::Value;

use super::suggest;
use crate::diagnostic::{Code, Diagnostic};
use crate::policy::{Policy, TreeNode, TreeValue, pointer_to_field};

/// The policy JSON Schema (draft 2020-12), as committed in `policies/rdpgen.schema.json`: the
/// structure of the types and the rules of `validate` ([`super::editor`]), so an editor refuses
/// what `validate` refuses.
#[must_use]
pub fn policy_schema() -> Value {
    let mut value = structural_schema();
    super::editor::add_rules(&mut value);
    value
}

/// The schema of the types alone (keys, value types, enums, ranges): what `validate` checks
/// each file against before its rules run, which report the rest with their own codes.
fn structural_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Policy>();
    let mut value = schema.to_value();
    drop_null_alternatives(&mut value);
    bound_integers(&mut value);
    if let Value::Object(map) = &mut value {
        map.insert(
            "$id".into(),
            Value::String("https://rdpgen.dev/schemas/policy-v1.json".into()),
        );
    }
    value
}

/// "Not configured" is written by leaving a key out, so `null` is not a value the language
/// offers: `Option<T>` becomes plain `T` in the schema.
fn drop_null_alternatives(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(alternatives)) = map.get("anyOf") {
                let rest: Vec<Value> = alternatives
                    .iter()
                    .filter(|a| a.get("type").is_none_or(|t| t != "null"))
                    .cloned()
                    .collect();
                if rest.len() == 1 {
                    map.remove("anyOf");
                    if let Value::Object(inner) = &rest[0] {
                        for (k, v) in inner {
                            map.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            for v in map.values_mut() {
                drop_null_alternatives(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_alternatives),
        _ => {}
    }
}

/// Gives every integer its type's range as `minimum`/`maximum` (schemars states only the
/// `format`, which validators do not enforce): YAML 1.2 reads `port: 1e30` as a number, and
/// the schema (in the editor and in `validate`) must reject what the typed policy cannot hold.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let range: Option<(i64, u64)> = match map.get("format").and_then(Value::as_str) {
                Some("int8") => Some((i64::from(i8::MIN), 127)),
                Some("int16") => Some((i64::from(i16::MIN), 32_767)),
                Some("int32") => Some((i64::from(i32::MIN), 2_147_483_647)),
                Some("int64") => Some((i64::MIN, 9_223_372_036_854_775_807)),
                Some("uint8") => Some((0, u64::from(u8::MAX))),
                Some("uint16") => Some((0, u64::from(u16::MAX))),
                Some("uint32") => Some((0, u64::from(u32::MAX))),
                Some("uint64" | "uint") => Some((0, u64::MAX)),
                _ => None,
            };
            if let Some((min, max)) = range
                && map.get("type").and_then(Value::as_str) == Some("integer")
            {
                map.entry("minimum").or_insert(Value::from(min));
                map.entry("maximum").or_insert(Value::from(max));
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// [`structural_schema`], generated once per process (it is the same for every document).
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(structural_schema)
}

#[allow(
    clippy::expect_used,
    reason = "the schema is generated from our own types; every validate test compiles it"
)]
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(schema()).expect("the generated policy schema compiles")
    })
}

/// Whether the structural schema certainly accepts `instance`, decided without compiling it:
/// the typed policy reads it and writes it back unchanged (so every key is known and every
/// value has its type, enum item and integer range, in its canonical form), no value is `null` (the schema refuses `null` where serde reads an
/// absent `Option`), and the three value constraints the schema adds to the types hold
/// (`rdpgen: 1`, the name pattern, the waiver dates). Sound, not complete: `false` only means
/// "ask the schema", which then also gives the diagnostics. `the_fast_path_never_accepts_what_the_schema_refuses`
/// checks it against the schema on every example, baseline and thousands of mutations.
fn certainly_valid(instance: &Value) -> bool {
    fn has_null(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Array(items) => items.iter().any(has_null),
            Value::Object(map) => map.values().any(has_null),
            _ => false,
        }
    }
    fn name_ok(name: &str) -> bool {
        let b = name.as_bytes();
        let word = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        (1..=63).contains(&b.len())
            && b.first().is_some_and(word)
            && b.iter().all(|c| word(c) || *c == b'-')
    }
    fn date_ok(d: &str) -> bool {
        let b = d.as_bytes();
        b.len() == 10
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            })
    }
    if has_null(instance) {
        return false;
    }
    let Ok(policy) = Policy::deserialize(instance) else {
        return false;
    };
    // Exactly the typed value's own JSON: serde also reads a struct from a list, a version
    // from a number; those forms are the schema's to judge.
    if serde_json::to_value(&policy).ok().as_ref() != Some(instance) {
        return false;
    }
    // `^[A-Z][A-Z0-9_]{2,127}$`
    fn suite_ok(name: &str) -> bool {
        let b = name.as_bytes();
        (3..=128).contains(&b.len())
            && b[0].is_ascii_uppercase()
            && b.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
    }
    // `^[^/\s]+/[^/\s]+$`, with `\s` as the schema's (Unicode) white space.
    fn admx_id_ok(id: &str) -> bool {
        id.split_once('/').is_some_and(|(a, b)| {
            let part =
                |s: &str| !s.is_empty() && !s.contains(['/']) && !s.contains(char::is_whitespace);
            part(a) && part(b)
        })
    }
    policy.rdpgen == 1
        && name_ok(&policy.name)
        && policy.waivers.iter().flatten().all(|w| date_ok(&w.expires))
        && policy.admx.iter().flatten().all(|a| admx_id_ok(&a.policy))
        && policy.posture.as_ref().is_none_or(|p| {
            p.lm_compatibility_level
                .is_none_or(|l| (0..=5).contains(&l))
                && p.cipher_suites.iter().flatten().all(|c| suite_ok(c))
                && p.account_lockout
                    .as_ref()
                    .and_then(|l| l.threshold)
                    .is_none_or(|t| crate::catalog::LOCKOUT_THRESHOLD.contains(&t))
        })
}

/// Checks one document against the schema. A document the typed policy already proves
/// (`certainly_valid`) skips it: the validator is compiled only when a document may hold an
/// error, so a build of valid policies never pays for it.
#[must_use]
pub fn check(tree: &TreeNode) -> Vec<Diagnostic> {
    let instance = tree.to_json();
    if certainly_valid(&instance) {
        return Vec::new();
    }
    let schema = schema();
    let mut out = Vec::new();
    for error in validator().iter_errors(&instance) {
        let pointer = error.instance_path().as_str().to_string();
        out.extend(to_diagnostics(error.kind(), &pointer, tree, schema));
    }
    out.sort_by(|a, b| {
        (a.location.map(|l| l.span.start), a.code, &a.message).cmp(&(
            b.location.map(|l| l.span.start),
            b.code,
            &b.message,
        ))
    });
    out.dedup();
    out
}

fn to_diagnostics(
    kind: &ValidationErrorKind,
    pointer: &str,
    tree: &TreeNode,
    schema: &Value,
) -> Vec<Diagnostic> {
    let field = pointer_to_field(pointer);
    let found = tree.get(pointer);
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| {
                let child = format!("{pointer}/{key}");
                let known = properties_at(schema, pointer);
                let where_ = if pointer.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in `{field}`")
                };
                let d = Diagnostic::new(
                    Code::UnknownKey,
                    format!("unknown key `{key}` {where_}"),
                    Some(tree.locate_key(&child)),
                );
                match suggest(key, known.iter().map(String::as_str)) {
                    Some(s) => d
                        .with_label(format!("did you mean `{s}`?"))
                        .with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("known keys here: {}", known.join(", "))),
                }
            })
            .collect(),
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or("?");
            let where_ = if pointer.is_empty() {
                String::new()
            } else {
                format!(" in `{field}`")
            };
            vec![
                Diagnostic::new(
                    Code::MissingField,
                    format!("missing required field `{name}`{where_}"),
                    Some(tree.locate_key(pointer)),
                )
                .with_help(match name {
                    "rdpgen" => "add `rdpgen: 1` (the policy format version)".to_string(),
                    "name" => {
                        "add `name: my-policy` (lowercase letters, digits and `-`)".to_string()
                    }
                    other => format!("add `{other}`"),
                }),
            ]
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_word(&t.to_string()),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| type_word(&t.to_string()))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let (actual, hint) = describe(found);
            let mut d = Diagnostic::new(
                Code::WrongType,
                format!("`{field}` must be {expected}, found {actual}"),
                Some(tree.locate(pointer)),
            )
            .with_label(format!("expected {expected}"));
            if let Some(hint) = hint.filter(|_| expected.contains("boolean")) {
                d = d.with_help(hint);
            } else if expected.contains("string")
                && match found.map(|n| &n.value) {
                    Some(TreeValue::Int(_)) => true,
                    Some(TreeValue::Str { text, plain: true }) => {
                        crate::policy::tree::yaml12_number(text).is_some()
                    }
                    _ => false,
                }
            {
                d = d.with_help("quote the value to make it a string");
            }
            vec![d]
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .fold(Vec::new(), |mut seen, a| {
                            // `"1.2"` and `1.2` (a TLS version written either way) read alike.
                            if !seen.contains(&a) {
                                seen.push(a);
                            }
                            seen
                        })
                })
                .unwrap_or_default();
            let (actual, _) = describe(found);
            let got = found.and_then(|n| match &n.value {
                TreeValue::Str { text, .. } => Some(text.as_str()),
                _ => None,
            });
            let mut d = Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "`{field}` must be one of {}, found {actual}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(tree.locate(pointer)),
            );
            if let Some(s) = got.and_then(|g| suggest(g, allowed.iter().map(String::as_str))) {
                d = d.with_label(format!("did you mean `{s}`?"));
            }
            vec![d]
        }
        ValidationErrorKind::Pattern { pattern } => {
            let (actual, _) = describe(found);
            let code = if pointer == "/name" {
                Code::BadName
            } else {
                Code::InvalidValue
            };
            vec![Diagnostic::new(
                code,
                format!("`{field}` must match `{pattern}`, found {actual}"),
                Some(tree.locate(pointer)),
            )]
        }
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => {
            let (actual, _) = describe(found);
            let code = if pointer == "/rdpgen" {
                Code::UnsupportedVersion
            } else {
                Code::InvalidValue
            };
            let message = if pointer == "/rdpgen" {
                format!("unsupported policy format version {actual}; this rdpgen reads version 1")
            } else if matches!(kind, ValidationErrorKind::Minimum { .. }) {
                format!("`{field}` must be at least {limit}, found {actual}")
            } else {
                format!("`{field}` must be at most {limit}, found {actual}")
            };
            vec![Diagnostic::new(code, message, Some(tree.locate(pointer)))]
        }
        other => vec![Diagnostic::new(
            Code::InvalidValue,
            format!("`{field}` is not valid: {}", other.keyword()),
            Some(tree.locate(pointer)),
        )],
    }
}

fn type_word(t: &str) -> String {
    match t {
        "boolean" => "a boolean (`true` or `false`)".into(),
        "integer" => "an integer".into(),
        "string" => "a string".into(),
        "array" => "a list".into(),
        "object" => "a mapping".into(),
        "number" => "a number".into(),
        other => other.to_string(),
    }
}

/// How a found value reads in a message, and a hint for YAML 1.1 booleans.
fn describe(found: Option<&TreeNode>) -> (String, Option<String>) {
    match found.map(|n| &n.value) {
        None => ("nothing".into(), None),
        Some(TreeValue::Null) => ("null (an empty value)".into(), None),
        Some(TreeValue::Bool(b)) => (format!("boolean `{b}`"), None),
        Some(TreeValue::Int(i)) => (format!("integer `{i}`"), None),
        Some(TreeValue::Str { text, plain: true })
            if crate::policy::tree::yaml12_number(text).is_some() =>
        {
            let shown: String = text.chars().take(60).collect();
            (
                format!("number `{shown}` (YAML reads it unquoted as a number)"),
                None,
            )
        }
        Some(TreeValue::Str { text, plain }) => {
            let shown: String = text.chars().take(60).collect();
            let lower = text.to_ascii_lowercase();
            let hint = (*plain
                && matches!(lower.as_str(), "yes" | "no" | "on" | "off" | "y" | "n"))
            .then(|| {
                let b = matches!(lower.as_str(), "yes" | "on" | "y");
                format!("`{text}` is a string in rdpgen policies, not a boolean; write `{b}`")
            });
            (format!("string `{shown}`"), hint)
        }
        Some(TreeValue::Seq(_)) => ("a list".into(), None),
        Some(TreeValue::Map(_)) => ("a mapping".into(), None),
    }
}

/// The property names the schema allows for the object at `pointer`.
fn properties_at(schema: &Value, pointer: &str) -> Vec<String> {
    let mut node = schema;
    for segment in pointer.split('/').skip(1) {
        node = resolve(schema, node);
        node = if segment.parse::<usize>().is_ok() {
            match node.get("items") {
                Some(items) => items,
                None => return Vec::new(),
            }
        } else {
            match node.get("properties").and_then(|p| p.get(segment)) {
                Some(p) => p,
                None => return Vec::new(),
            }
        };
    }
    let node = resolve(schema, node);
    node.get("properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..8 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(target) => node = target,
                None => return node,
            },
            None => return node,
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::yaml;
    use crate::source::FileId;

    fn corpus() -> Vec<Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["examples", "policies"] {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .expect("the directory")
                .map(|e| e.expect("an entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).expect("readable");
                let node = yaml::parse(&text).expect("parses");
                out.push(TreeNode::from_yaml(&node, FileId(0)).to_json());
            }
        }
        out
    }

    /// Every pointer to a value in `v`.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let p = format!("{at}/{k}");
                    out.push(p.clone());
                    pointers(child, p, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let p = format!("{at}/{i}");
                    out.push(p.clone());
                    pointers(child, p, out);
                }
            }
            _ => {}
        }
    }

    fn replacements() -> Vec<Value> {
        serde_json::json!([
            null, "x", "", "1.2", "tls", "never", "15m", 0, 1, -1, 2, 65536, 4_294_967_296_u64,
            1.5, 1e30, true, false, [], ["x"], {}, {"unknown": 1}, "BAD NAME", "2026-13-45",
            "2026-1-1", "a-b", "-a"
        ])
        .as_array()
        .expect("a list")
        .clone()
    }

    #[test]
    fn the_fast_path_never_accepts_what_the_schema_refuses() {
        let validator = validator();
        let (mut fast, mut refused, mut total) = (0, 0, 0);
        let mut judge = |instance: &Value, what: &str| {
            total += 1;
            let schema_ok = validator.is_valid(instance);
            if certainly_valid(instance) {
                fast += 1;
                assert!(
                    schema_ok,
                    "the fast path accepts what the schema refuses: {what}\n{instance}"
                );
            }
            if !schema_ok {
                refused += 1;
            }
        };
        for doc in corpus() {
            assert!(
                certainly_valid(&doc),
                "a shipped policy takes the fast path: {doc}"
            );
            judge(&doc, "as shipped");
            let mut at = Vec::new();
            pointers(&doc, String::new(), &mut at);
            for p in &at {
                for r in replacements() {
                    let mut m = doc.clone();
                    if let Some(slot) = m.pointer_mut(p) {
                        *slot = r.clone();
                    }
                    judge(&m, &format!("{p} = {r}"));
                }
                // Without the key (or item).
                let mut m = doc.clone();
                if let Some((parent, last)) = p.rsplit_once('/')
                    && let Some(container) = m.pointer_mut(parent)
                {
                    match container {
                        Value::Object(map) => {
                            map.remove(last);
                        }
                        Value::Array(items) => {
                            if let Ok(i) = last.parse::<usize>() {
                                items.remove(i);
                            }
                        }
                        _ => {}
                    }
                }
                judge(&m, &format!("without {p}"));
            }
        }
        // The check bites both ways: many mutations are refused, many take the fast path.
        eprintln!("{total} documents: {refused} refused by the schema, {fast} on the fast path");
        assert!(
            total > 2000 && refused > 1000 && fast > 100,
            "{total} {refused} {fast}"
        );
    }
}
