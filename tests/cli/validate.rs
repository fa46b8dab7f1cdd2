//! `rdpgen validate`: every rule of the language and every bad-input class, with the message,
//! the location and the exit status pinned.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{rdpgen, repo, run, scratch};

const HEADER: &str = "rdpgen: 1\nname: t\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Validates `text` as a policy and returns the exit code and the JSON diagnostics.
fn diagnose(text: &str) -> (i32, Vec<Value>) {
    let dir = scratch("diag");
    let path = write(&dir, "p.yaml", text);
    diagnose_file(&path)
}

fn diagnose_file(path: &Path) -> (i32, Vec<Value>) {
    let (code, stdout, stderr) = run(rdpgen().args(["validate", "--format", "json"]).arg(path));
    let diags: Vec<Value> = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {stdout}\nstderr: {stderr}"));
    if let Ok(bytes) = std::fs::read(path)
        && let Ok(text) = String::from_utf8(bytes)
    {
        // Only this file's diagnostics: errors in its bases are theirs.
        let own: Vec<Value> = diags
            .iter()
            .filter(|d| d["file"].as_str().is_some_and(|f| Path::new(f) == path))
            .cloned()
            .collect();
        schema_agrees_with_validate(&text, code, &own);
    }
    (code, diags)
}

/// Errors the committed schema cannot state: `extends` (the files a document names are
/// `validate`'s to read) and the lockout where every allowed account is also denied (it compares
/// two lists). The schema's description says so (`NOT_EXPRESSED` in src/validate/editor.rs).
const FILE_CODES: [&str; 5] = ["RDP020", "RDP021", "RDP022", "RDP023", "RDP024"];
const LISTS_COMPARED: &str = "every account `logonRights.allow` names is also denied";
/// The lockout reset against its duration: two durations compared, validate's alone.
const DURATIONS_COMPARED: &str = "is longer than the lockout `duration`";
/// Rules over several fields: in a document with `extends`, the schema sees only the fields
/// the document itself sets, while `validate` judges the merged policy.
const CROSS_FIELD_CODES: [&str; 7] = [
    "RDP030", "RDP031", "RDP033", "RDP051", "RDP053", "RDP055", "RDP056",
];

/// An unquoted scalar as the YAML 1.2 core schema (yaml-language-server's default) reads it:
/// a number when it is a decimal/`0o`/`0x` integer or a float, else the text.
fn editor_scalar(text: &str) -> Value {
    let number = |t: &str| serde_json::from_str::<serde_json::Number>(t).ok();
    let radix = |digits: &str, r: u32| i64::from_str_radix(digits, r).ok().map(Value::from);
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let found = if let Some(oct) = text.strip_prefix("0o") {
        radix(oct, 8)
    } else if let Some(hex) = text.strip_prefix("0x") {
        radix(hex, 16)
    } else if unsigned.chars().all(|c| c.is_ascii_digit()) && !unsigned.is_empty() {
        // `007`, `+5`: JSON has no leading zeros or plus signs, YAML 1.2 does.
        unsigned.parse::<f64>().ok().map(|f| {
            if f.fract() == 0.0 && f.abs() < 9e15 {
                Value::from(f as i64)
            } else {
                Value::from(f)
            }
        })
    } else {
        // `1.`, `.5` and `+1.5` are YAML floats but not JSON numbers.
        let fixed = unsigned.replace(".e", ".0e").replace(".E", ".0E");
        let fixed = if fixed.ends_with('.') {
            format!("{fixed}0")
        } else {
            fixed
        };
        let fixed = match fixed.strip_prefix('.') {
            Some(rest) => format!("0.{rest}"),
            None => match fixed.strip_prefix("-.") {
                Some(rest) => format!("-0.{rest}"),
                None => fixed,
            },
        };
        number(&fixed).map(Value::Number)
    };
    found.unwrap_or_else(|| Value::String(text.to_string()))
}

fn editor_json(node: &rdpgen::policy::yaml::Node) -> Value {
    use rdpgen::policy::yaml::NodeValue;
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => Value::Bool(*b),
        NodeValue::Int(i) => Value::from(*i),
        NodeValue::Str { text, plain: true } => editor_scalar(text),
        NodeValue::Str { text, .. } => Value::String(text.clone()),
        NodeValue::Seq(items) => Value::Array(items.iter().map(editor_json).collect()),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), editor_json(v)))
                .collect(),
        ),
    }
}

fn committed_schema() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(repo().join("policies/rdpgen.schema.json")).unwrap();
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    })
}

/// What an editor shows (the committed schema on the document as YAML 1.2 reads it) agrees
/// with `validate`: the schema rejects exactly the documents `validate` reports an error for,
/// less the two checks a schema cannot state (see [`FILE_CODES`]). Runs on every text these
/// tests validate.
fn schema_agrees_with_validate(text: &str, code: i32, diags: &[Value]) {
    let Ok(node) = rdpgen::policy::yaml::parse(text) else {
        // Not YAML: the editor reports a YAML error, and so must validate.
        assert_ne!(code, 0, "{text:?}");
        return;
    };
    if diags.iter().any(|d| {
        matches!(
            d["code"].as_str(),
            // RDP009: a tag the editor honours (`!!str 1.2` is a string) and validate refuses.
            Some(
                "RDP002"
                    | "RDP003"
                    | "RDP004"
                    | "RDP005"
                    | "RDP006"
                    | "RDP007"
                    | "RDP008"
                    | "RDP009"
            )
        )
    }) {
        return;
    }
    let instance = editor_json(&node);
    let schema_errors: Vec<String> = committed_schema()
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    let extends = instance.get("extends").is_some();
    let validate_schema_errors: Vec<&Value> = diags
        .iter()
        .filter(|d| d["severity"] == "error")
        .filter(|d| !FILE_CODES.contains(&d["code"].as_str().unwrap_or("")))
        .filter(|d| !d["message"].as_str().unwrap_or("").contains(LISTS_COMPARED))
        .filter(|d| {
            !d["message"]
                .as_str()
                .unwrap_or("")
                .contains(DURATIONS_COMPARED)
        })
        .filter(|d| !(extends && CROSS_FIELD_CODES.contains(&d["code"].as_str().unwrap_or(""))))
        .collect();
    assert_eq!(
        schema_errors.is_empty(),
        validate_schema_errors.is_empty(),
        "the editor's schema and `validate` disagree on\n{text}\nschema: {schema_errors:#?}\nvalidate: {validate_schema_errors:#?}"
    );
    CHECKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    export_for_editor_check(text, validate_schema_errors.is_empty());
}

/// With `RDPGEN_SCHEMA_CORPUS=FILE`, appends each text and whether `validate` accepts it (as a
/// JSON line) for `.ci/schema-editor-check.mjs`, which runs the committed schema in Ajv (the
/// JavaScript implementation editors use) on each text as the `yaml` package reads it.
fn export_for_editor_check(text: &str, accepted: bool) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let Some(path) = std::env::var_os("RDPGEN_SCHEMA_CORPUS") else {
        return;
    };
    let line = serde_json::json!({"text": text, "accepted": accepted}).to_string() + "\n";
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(line.as_bytes()).unwrap();
}

static CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn schema_and_validate_agree_on_the_editors_view_of_unquoted_scalars() {
    // Each case: (YAML after the header, validate's exit status). `diagnose` compares the
    // committed schema with validate on each.
    let cases: &[(&str, i32)] = &[
        ("tls:\n  minVersion: 1.2\n", 0),
        ("tls:\n  minVersion: \"1.2\"\n", 0),
        ("tls:\n  minVersion: 1.0\n", 0),
        ("tls:\n  minVersion: 1\n", 0),
        ("tls:\n  minVersion: 1.20\n", 0),
        ("tls:\n  minVersion: 1.4\n", 1),
        ("tls:\n  minVersion: \"1.20\"\n", 1),
        ("tls:\n  minVersion: 2\n", 1),
        ("description: 1.5\n", 1),
        ("description: 0x1F\n", 1),
        ("description: 1e3\n", 1),
        ("description: \"1.5\"\n", 0),
        ("description: 1.5.2\n", 0),
        ("description: 10.0.0.1\n", 0),
        ("connection:\n  port: 0x0D3D\n", 0),
        ("connection:\n  port: +3389\n", 0),
        ("connection:\n  port: 3389.5\n", 1),
        // Integral floats are integers to JSON Schema and to the editor.
        ("connection:\n  port: 3389.0\n", 0),
        ("connection:\n  port: 3.389e3\n", 0),
        // Numbers no integer field can hold: the schema's range, not a serde message.
        ("connection:\n  port: 1e30\n", 1),
        ("connection:\n  port: 99999999999999999999\n", 1),
        ("certificate:\n  minKeySize: 1e12\n", 1),
        ("security:\n  nla: True\n", 0),
        ("security:\n  nla: yes\n", 1),
        // RDP067: the lockout's minutes, and its pairs when enforced.
        ("posture:\n  accountLockout:\n    duration: 15m\n", 0),
        (
            "posture:\n  accountLockout:\n    duration: until-unlocked\n",
            0,
        ),
        ("posture:\n  accountLockout:\n    duration: 0m\n", 1),
        ("posture:\n  accountLockout:\n    resetAfter: 1667h\n", 1),
        (
            "posture:\n  accountLockout:\n    resetAfter: until-unlocked\n",
            1,
        ),
        (
            "posture:\n  accountLockout:\n    duration: 10m\n    resetAfter: 20m\n",
            1,
        ),
        (
            "posture:\n  mode: enforce\n  accountLockout:\n    duration: 15m\n",
            1,
        ),
        (
            "posture:\n  mode: enforce\n  accountLockout:\n    resetAfter: 15m\n",
            1,
        ),
        (
            "posture:\n  mode: enforce\n  accountLockout:\n    threshold: 5\n    duration: 15m\n    resetAfter: 15m\n",
            0,
        ),
        (
            "posture:\n  mode: enforce\n  accountLockout:\n    threshold: 5\n",
            0,
        ),
    ];
    let before = CHECKED.load(std::sync::atomic::Ordering::SeqCst);
    for (body, status) in cases {
        let (code, diags) = diagnose(&format!("{HEADER}{body}"));
        assert_eq!(code, *status, "{body}: {diags:#?}");
        for d in &diags {
            let m = d["message"].as_str().unwrap();
            assert!(
                !m.contains("merged policy") && !m.contains("invalid type"),
                "{body}: {m}"
            );
        }
    }
    assert!(CHECKED.load(std::sync::atomic::Ordering::SeqCst) >= before + cases.len());
    let (_, diags) = diagnose(&format!("{HEADER}description: 1.5\n"));
    let d = only(&diags, "RDP011");
    assert_eq!(
        d["message"],
        "`description` must be a string, found number `1.5` (YAML reads it unquoted as a number)"
    );
    assert_eq!(d["help"], "quote the value to make it a string");
    assert_eq!(at(d), (3, 14));
}

#[test]
fn schema_refuses_what_validate_refuses_rule_by_rule() {
    // Each case: (YAML after the header, validate's exit status); `diagnose` compares the
    // committed schema with validate on each, so every error rule and a near miss of it is
    // seen by both.
    let cases: &[(&str, i32)] = &[
        ("security:\n  layer: rdp\n  nla: true\n", 1),
        ("security:\n  layer: rdp\n  nla: false\n", 0),
        ("security:\n  layer: tls\n  encryption: low\n", 1),
        ("security:\n  layer: negotiate\n  encryption: low\n", 0),
        (
            "certificate:\n  template: RDP\n  thumbprint: 0123456789abcdef0123456789abcdef01234567\n",
            1,
        ),
        (
            "certificate:\n  thumbprint: \"01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67\"\n",
            0,
        ),
        ("certificate:\n  thumbprint: 0123\n", 1),
        (
            "firewall:\n  allowFrom: [\" 10.0.0.0/8 \", LocalSubnet, \"10.0.0.0/255.0.0.0\", \"::ffff:1.2.3.4\"]\n",
            0,
        ),
        ("firewall:\n  allowFrom: [\"10.0.0.0/255.0.255.0\"]\n", 1),
        ("firewall:\n  allowFrom: [\"010.0.0.1\"]\n", 1),
        ("connection:\n  port: 0\n", 1),
        ("connection:\n  port: 65536\n", 1),
        ("sessions:\n  idleTimeout: 60m\n", 0),
        ("sessions:\n  idleTimeout: 7m\n", 1),
        ("gpo:\n  displayName: \"a\\u0007b\"\n", 1),
        (
            "gpo:\n  guid: \"{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}\"\n",
            0,
        ),
        (
            "gpo:\n  guid: \"5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11\"\n",
            1,
        ),
        ("description: \"line\\nbreak\\tand tab\"\n", 0),
        ("description: \"bell\\u0007\"\n", 1),
        ("description: \"bidi \\u202E\"\n", 1),
        (
            "licensing:\n  servers: [lic01.corp.example.com, 10.0.0.5]\n",
            0,
        ),
        ("licensing:\n  servers: [\"-lic\"]\n", 1),
        (
            "logonRights:\n  allow: [\"CORP\\\\RDP Admins\", \"*S-1-5-32-555\"]\n",
            0,
        ),
        ("logonRights:\n  allow: [\"a;b\"]\n", 1),
        (
            "logonRights:\n  deny: [\"NT AUTHORITY\\\\Authenticated Users\"]\n",
            1,
        ),
        ("logonRights:\n  deny: [\"*S-1-1-0\"]\n", 1),
        ("logonRights:\n  deny: [Guests]\n", 0),
        (
            "role: workgroup\nlogonRights:\n  deny: [\"Local account\"]\n",
            1,
        ),
        (
            "role: member-server\nlogonRights:\n  allow: [\"Domain Admins\"]\n  deny: [\"Local account\"]\n",
            0,
        ),
        (
            "role: workgroup\nlogonRights:\n  allow: [\"domain admins\"]\n",
            1,
        ),
        (
            "role: workgroup\nlogonRights:\n  allow: [\"*S-1-5-21-1-2-3-512\"]\n",
            1,
        ),
        (
            "role: workgroup\nlogonRights:\n  allow: [\"BUILTIN\\\\Administrators\"]\n",
            0,
        ),
        (
            "tls:\n  minVersion: 1.3\n  minimumOs: windows-server-2019\n",
            1,
        ),
        (
            "tls:\n  minVersion: \"1.3\"\n  minimumOs: windows-server-2022\n",
            0,
        ),
        (
            "waivers:\n  - field: certificate.allowSelfSigned\n    reason: lab\n    expires: 2099-02-30\n",
            1,
        ),
        (
            "waivers:\n  - field: certificate.allowSelfSigned\n    reason: \" \"\n    expires: 2099-02-28\n",
            1,
        ),
        (
            "waivers:\n  - field: certificate.allowSelfSigned\n    reason: lab\n    expires: 2096-02-29\n",
            0,
        ),
    ];
    let before = CHECKED.load(std::sync::atomic::Ordering::SeqCst);
    for (body, status) in cases {
        let (code, diags) = diagnose(&format!("{HEADER}{body}"));
        assert_eq!(code, *status, "{body}: {diags:#?}");
    }
    assert!(CHECKED.load(std::sync::atomic::Ordering::SeqCst) >= before + cases.len());
}

/// The single diagnostic with `code`; fails when there is none or more than one.
fn only<'a>(diags: &'a [Value], code: &str) -> &'a Value {
    let found: Vec<&Value> = diags.iter().filter(|d| d["code"] == code).collect();
    assert_eq!(found.len(), 1, "expected one {code} in {diags:#?}");
    found[0]
}

fn at(d: &Value) -> (u64, u64) {
    (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())
}

#[test]
fn every_example_and_baseline_validates() {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["examples", "policies"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    assert!(
        files.len() >= 7,
        "four examples and three baselines at least: {files:?}"
    );
    for file in files {
        // Examples are complete postures and must be clean; baselines are partial by design
        // (cis-level1 alone means a self-signed certificate, which RDP035 rightly points out).
        // tier1 keeps cis-level1's logon rights on purpose: on a domain member only domain
        // accounts in Administrators may log on, which RDP056 says; that is its one warning.
        let example = file.starts_with(repo().join("examples"));
        let tier1 = file.ends_with("examples/tier1.yaml");
        let mut cmd = rdpgen();
        cmd.arg("validate").arg(&file);
        if example && !tier1 {
            cmd.arg("--deny-warnings");
        }
        let (code, stdout, stderr) = run(&mut cmd);
        assert_eq!(code, 0, "{}: {stdout}{stderr}", file.display());
        assert!(stdout.contains("valid (0 errors"), "{stdout}");
        // And the editor's schema accepts it too.
        let (code, diags) = diagnose_file(&file);
        assert_eq!(code, 0, "{diags:#?}");
        if tier1 {
            let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
            assert_eq!(codes, ["RDP056"], "{diags:#?}");
        }
    }
}

#[test]
fn a_valid_policy_exits_zero_and_says_so() {
    let dir = scratch("valid");
    let path = write(
        &dir,
        "ok.yaml",
        &format!("{HEADER}security:\n  nla: true\n"),
    );
    let (code, stdout, _) = run(rdpgen().arg("validate").arg(&path));
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        format!("{}: valid (0 errors, 0 warnings)", path.display())
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = scratch("warn");
    let path = write(
        &dir,
        "w.yaml",
        &format!("{HEADER}security:\n  layer: rdp\n"),
    );
    let (code, stdout, _) = run(rdpgen().args(["validate", "--color", "never"]).arg(&path));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("warning[RDP032]: `security.layer: rdp` does not authenticate the server"),
        "{stdout}"
    );
    let (code, _, _) = run(rdpgen().args(["validate", "--deny-warnings"]).arg(&path));
    assert_eq!(code, 1);
}

#[test]
fn text_output_has_a_caret_snippet_with_file_line_and_column() {
    let dir = scratch("snippet");
    let path = write(&dir, "s.yaml", &format!("{HEADER}security:\n  nla: yes\n"));
    let (code, stdout, _) = run(rdpgen().args(["validate", "--color", "never"]).arg(&path));
    assert_eq!(code, 1);
    let expected_location = format!("{}:4:8", path.display());
    assert!(stdout.contains("error[RDP011]: `security.nla` must be a boolean (`true` or `false`), found string `yes`"), "{stdout}");
    assert!(stdout.contains(&expected_location), "{stdout}");
    assert!(stdout.contains("  nla: yes"), "{stdout}");
    assert!(stdout.contains("^^^"), "{stdout}");
    assert!(
        stdout.contains("`yes` is a string in rdpgen policies, not a boolean; write `true`"),
        "{stdout}"
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}security:\n  nla: on\n  layr: tls\nconnection:\n  port: \"3389\"\n"
    ));
    assert_eq!(code, 1);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["RDP011", "RDP010", "RDP011"], "{diags:#?}");
}

#[test]
fn unknown_keys_suggest_the_nearest_key() {
    let (code, diags) = diagnose(&format!("{HEADER}security:\n  promptForPasword: true\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP010");
    assert_eq!(d["message"], "unknown key `promptForPasword` in `security`");
    assert_eq!(d["help"], "did you mean `promptForPassword`?");
    assert_eq!(at(d), (4, 3));
    let (_, diags) = diagnose(&format!("{HEADER}sesions:\n  idleTimeout: 15m\n"));
    let d = only(&diags, "RDP010");
    assert_eq!(d["message"], "unknown key `sesions` at the top level");
    assert_eq!(d["help"], "did you mean `sessions`?");
    assert_eq!(at(d), (3, 1));
}

#[test]
fn yaml11_booleans_are_errors() {
    for word in ["yes", "no", "on", "off", "Yes", "OFF"] {
        let (code, diags) = diagnose(&format!("{HEADER}redirection:\n  drives: {word}\n"));
        assert_eq!(code, 1, "{word}");
        let d = only(&diags, "RDP011");
        assert_eq!(
            d["message"],
            format!(
                "`redirection.drives` must be a boolean (`true` or `false`), found string `{word}`"
            )
        );
        assert_eq!(at(d), (4, 11));
    }
}

#[test]
fn wrong_types_name_the_expected_type() {
    let (_, diags) = diagnose(&format!("{HEADER}connection:\n  port: [3389]\n"));
    assert_eq!(
        only(&diags, "RDP011")["message"],
        "`connection.port` must be an integer, found a list"
    );
    let (_, diags) = diagnose(&format!("{HEADER}firewall:\n  allowFrom: 10.0.0.0/8\n"));
    assert_eq!(
        only(&diags, "RDP011")["message"],
        "`firewall.allowFrom` must be a list, found string `10.0.0.0/8`"
    );
    let (_, diags) = diagnose(&format!("{HEADER}certificate:\n  template: 42\n"));
    let d = only(&diags, "RDP011");
    assert_eq!(
        d["message"],
        "`certificate.template` must be a string, found integer `42`"
    );
    assert_eq!(d["help"], "quote the value to make it a string");
}

#[test]
fn enum_values_are_listed() {
    let (code, diags) = diagnose(&format!("{HEADER}security:\n  layer: ssl\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP013");
    assert_eq!(
        d["message"],
        "`security.layer` must be one of `rdp`, `negotiate`, `tls`, found string `ssl`"
    );
    assert_eq!(at(d), (4, 10));
}

#[test]
fn unquoted_tls_versions_are_read_as_yaml_1_2_reads_them() {
    let (code, diags) = diagnose(&format!("{HEADER}tls:\n  minVersion: 1.2\n"));
    assert_eq!(code, 0, "{diags:#?}");
    let (code, diags) = diagnose(&format!("{HEADER}tls:\n  minVersion: 1.0\n"));
    assert_eq!(code, 0, "`1.0` must not become `1`: {diags:#?}");
    // YAML 1.2 (and so every editor) reads unquoted `1.20` as the number 1.2: TLS 1.2.
    let (code, diags) = diagnose(&format!("{HEADER}tls:\n  minVersion: 1.20\n"));
    assert_eq!(code, 0, "{diags:#?}");
    let (code, diags) = diagnose(&format!("{HEADER}tls:\n  minVersion: \"1.20\"\n"));
    assert_eq!(code, 1);
    assert_eq!(
        only(&diags, "RDP013")["message"],
        "`tls.minVersion` must be one of `1.0`, `1.1`, `1.2`, `1.3`, found string `1.20`"
    );
}

#[test]
fn missing_required_fields() {
    let (code, diags) = diagnose("security:\n  nla: true\n");
    assert_eq!(code, 1);
    let messages: Vec<&str> = diags
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "missing required field `name`",
            "missing required field `rdpgen`"
        ]
    );
    assert!(
        diags
            .iter()
            .all(|d| d["code"] == "RDP012" && at(d) == (1, 1))
    );
}

#[test]
fn format_version_and_name() {
    let (_, diags) = diagnose("rdpgen: 2\nname: t\n");
    let d = only(&diags, "RDP014");
    assert_eq!(
        d["message"],
        "unsupported policy format version integer `2`; this rdpgen reads version 1"
    );
    assert_eq!(at(d), (1, 9));
    let (_, diags) = diagnose("rdpgen: 1\nname: Tier1_Servers\n");
    let d = only(&diags, "RDP047");
    assert_eq!(
        d["message"],
        "`name` must match `^[a-z0-9][a-z0-9-]{0,62}$`, found string `Tier1_Servers`"
    );
    assert_eq!(at(d), (2, 7));
}

#[test]
fn malformed_yaml() {
    let (code, diags) = diagnose("rdpgen: 1\nname: t\nsecurity:\n  nla: [true\n");
    assert_eq!(code, 1);
    let d = only(&diags, "RDP001");
    assert!(d["line"].as_u64().unwrap() >= 4, "{d:#?}");
    let (code, diags) = diagnose("rdpgen: 1\nname: t\n  bad indent: x\n");
    assert_eq!(code, 1);
    only(&diags, "RDP001");
}

#[test]
fn empty_files() {
    for text in ["", "\n\n", "# only a comment\n"] {
        let (code, diags) = diagnose(text);
        assert_eq!(code, 1, "{text:?}");
        let d = only(&diags, "RDP003");
        assert_eq!(
            d["message"],
            "the file is empty: a policy needs at least `rdpgen: 1` and `name`"
        );
        assert_eq!(at(d), (1, 1));
    }
}

#[test]
fn a_scalar_document_is_not_a_policy() {
    let (code, diags) = diagnose("just a string\n");
    assert_eq!(code, 1);
    assert_eq!(
        only(&diags, "RDP008")["message"],
        "the document is a string, not a mapping of policy keys"
    );
}

#[test]
fn not_utf8() {
    let dir = scratch("utf8");
    let path = dir.join("latin1.yaml");
    std::fs::write(&path, b"rdpgen: 1\nname: t\ndescription: caf\xE9\n").unwrap();
    let (code, diags) = diagnose_file(&path);
    assert_eq!(code, 1);
    let d = only(&diags, "RDP002");
    assert_eq!(d["message"], "the file is not UTF-8: invalid byte 0xE9");
    assert_eq!(at(d), (3, 17));
}

#[test]
fn duplicate_keys() {
    let (code, diags) = diagnose(&format!("{HEADER}security:\n  nla: true\n  nla: false\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP006");
    assert_eq!(at(d), (5, 3), "{d:#?}");
    // rdpgen's words, not the YAML library's advice about its own options.
    assert_eq!(d["message"], "the key `nla` appears twice in this mapping");
    let (code, diags) = diagnose(&format!("{HEADER}security: {{nla: true, nla: false}}\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP006");
    assert_eq!(d["message"], "the key `nla` appears twice in this mapping");
    assert_eq!(at(d), (3, 23), "{d:#?}");
}

/// Every YAML-level diagnostic is worded by rdpgen: no advice about the parser's
/// configuration (`DuplicateKeyPolicy`, `Options`), no Rust debug output (`{ .. }`), no
/// parser type names. Each case pins code, message, location and exit status.
#[test]
fn yaml_diagnostics_never_leak_the_librarys_words() {
    let cases: &[(&str, &str, &str, (u64, u64))] = &[
        (
            "rdpgen: 1\nname: a\nname: b\n",
            "RDP006",
            "the key `name` appears twice in this mapping",
            (3, 1),
        ),
        (
            "rdpgen: 1\n---\nname: b\n",
            "RDP005",
            "several YAML documents in one file; a policy file holds exactly one",
            (2, 1),
        ),
        (
            "rdpgen: 1\nname: *x\n",
            "RDP001",
            "an alias (`*name`) refers to an anchor (`&name`) that is not defined before it",
            (2, 7),
        ),
        (
            "rdpgen: 1\nname: t\nbase: &b {nla: true}\nsecurity:\n  <<: *b\n",
            "RDP001",
            "merge keys (`<<`) are not supported in policies; use `extends` to share settings",
            (5, 3),
        ),
    ];
    for (text, code, message, location) in cases {
        let (status, diags) = diagnose(text);
        assert_eq!(status, 1, "{text:?}");
        let d = only(&diags, code);
        assert_eq!(d["message"], *message, "{text:?}");
        assert_eq!(at(d), *location, "{text:?}: {d:#?}");
    }
    // The limits, and the malformed-input classes of the other tests, in both renderings.
    let mut bomb = String::from(HEADER);
    bomb.push_str("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "x{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 9].join(", ")
        ));
    }
    let texts = [
        bomb,
        format!(
            "{HEADER}description: {}{}\n",
            "[".repeat(100),
            "]".repeat(100)
        ),
        format!("{HEADER}security:\n  nla: [true\n"),
        format!("{HEADER}description: 'open\n"),
        format!("{HEADER}a:\n\tb: 1\n"),
        format!("{HEADER}? [a]\n: 1\n"),
        format!("{HEADER}x: !!binary zz\n"),
    ];
    for text in &texts {
        let (status, diags) = diagnose(text);
        assert_eq!(status, 1, "{text:?}");
        assert!(!diags.is_empty());
        let dir = scratch("leak");
        let path = write(&dir, "p.yaml", text);
        let (_, _, stderr) = run(rdpgen().arg("validate").arg(&path));
        for d in &diags {
            let m = d["message"].as_str().unwrap();
            for leak in [
                "Options",
                "Policy in",
                "{ ",
                " }",
                "budget",
                "serde",
                "saphyr",
                "Error",
            ] {
                assert!(!m.contains(leak), "{leak:?} in {m:?}");
                assert!(!stderr.contains(leak), "{leak:?} in {stderr}");
            }
        }
    }
}

#[test]
fn several_documents() {
    let (code, diags) = diagnose(&format!("{HEADER}---\n{HEADER}"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP005");
    assert!(d["line"].as_u64().unwrap() >= 3, "{d:#?}");
    assert_eq!(
        d["message"],
        "several YAML documents in one file; a policy file holds exactly one"
    );
}

#[test]
fn alias_bomb_is_bounded() {
    let mut text = String::from(HEADER);
    text.push_str("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 9].join(", ");
        text.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    let (code, diags) = diagnose(&text);
    assert_eq!(code, 1);
    let d = only(&diags, "RDP007");
    assert_eq!(
        d["message"], "aliases expand to too much YAML (an alias bomb?)",
        "{d:#?}"
    );
    // Not a timing test: a bomb that expanded would take minutes and gigabytes, not seconds.
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn deep_nesting_is_bounded() {
    let text = format!(
        "{HEADER}description: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (code, diags) = diagnose(&text);
    assert_eq!(code, 1);
    let d = only(&diags, "RDP007");
    assert_eq!(d["line"], 3);
    assert_eq!(d["message"], "nesting deeper than 16 levels");
}

#[test]
fn huge_files_are_refused_unread() {
    let dir = scratch("huge");
    let path = dir.join("huge.yaml");
    let mut text = String::from(HEADER);
    text.push_str("description: \"");
    text.push_str(&"x".repeat(100 * 1024 * 1024));
    text.push_str("\"\n");
    std::fs::write(&path, text).unwrap();
    let (code, diags) = diagnose_file(&path);
    assert_eq!(code, 1);
    let d = only(&diags, "RDP004");
    assert_eq!(
        d["message"],
        format!(
            "`{}` is larger than 1024 KiB; policy files are small, so rdpgen does not parse it",
            path.display()
        )
    );
    assert_eq!(at(d), (1, 1));
}

#[test]
fn unreadable_files_exit_two() {
    let (code, stdout, stderr) = run(rdpgen().args(["validate", "does/not/exist.yaml"]));
    assert_eq!(code, 2);
    assert!(stdout.contains("does/not/exist.yaml") || stdout.is_empty());
    assert!(
        stderr.contains("error: cannot read `does/not/exist.yaml`"),
        "{stderr}"
    );
    // A directory stands for its policies; one that holds none cannot be validated.
    let dir = scratch("dir");
    let (code, _, stderr) = run(rdpgen().arg("validate").arg(&dir));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("holds no policy (*.yaml, *.yml)"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_exit_two() {
    let (code, _, _) = run(rdpgen().args(["validate"]));
    assert_eq!(code, 2);
    let (code, _, _) = run(rdpgen().args(["validate", "--format", "xml", "x.yaml"]));
    assert_eq!(code, 2);
    let (code, _, _) = run(rdpgen().args(["frobnicate"]));
    assert_eq!(code, 2);
}

#[test]
fn one_bad_file_does_not_stop_the_others() {
    let dir = scratch("many");
    let good = write(&dir, "good.yaml", HEADER);
    let bad = write(&dir, "bad.yaml", "rdpgen: 1\nname: BAD\n");
    let (code, stdout, _) = run(rdpgen().arg("validate").arg(&bad).arg(&good));
    assert_eq!(code, 1);
    assert!(
        stdout.contains(&format!("{}: invalid (1 error, 0 warnings)", bad.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{}: valid (0 errors, 0 warnings)", good.display())),
        "{stdout}"
    );
}

// ---- extends ------------------------------------------------------------------------------

#[test]
fn extends_merges_maps_and_replaces_lists() {
    let dir = scratch("merge");
    write(
        &dir,
        "base.yaml",
        "rdpgen: 1\nname: base\nsecurity:\n  layer: tls\n  nla: true\nfirewall:\n  allowFrom: [10.0.0.0/8, 172.16.0.0/12]\n  profiles: [domain]\n",
    );
    let top = write(
        &dir,
        "top.yaml",
        "rdpgen: 1\nname: top\nextends: [./base.yaml]\nsecurity:\n  nla: false\ncertificate:\n  allowSelfSigned: true\nfirewall:\n  allowFrom: [192.168.0.0/16]\n",
    );
    let (code, stdout, _) = run(rdpgen().args(["validate", "--explain-merge"]).arg(&top));
    assert_eq!(code, 0, "{stdout}");
    let base = dir.join("base.yaml");
    let line = |field: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{field} =")))
            .unwrap_or_else(|| panic!("{field} in {stdout}"))
            .trim()
            .to_string()
    };
    assert_eq!(
        line("security.layer"),
        format!("security.layer = \"tls\"  <- {}:4:10", base.display())
    );
    assert_eq!(
        line("security.nla"),
        format!(
            "security.nla = false  <- {}:5:8  [overrides {}:5:8]",
            top.display(),
            base.display()
        )
    );
    assert_eq!(
        line("firewall.allowFrom"),
        format!(
            "firewall.allowFrom = [\"192.168.0.0/16\"]  <- {}:9:14  [overrides {}:7:14]",
            top.display(),
            base.display()
        )
    );
    assert_eq!(
        line("firewall.profiles"),
        format!(
            "firewall.profiles = [\"domain\"]  <- {}:8:13",
            base.display()
        )
    );
    assert_eq!(
        line("name"),
        format!(
            "name = \"top\"  <- {}:2:7  [overrides {}:2:7]",
            top.display(),
            base.display()
        )
    );
}

#[test]
fn builtin_baselines_are_embedded() {
    let dir = scratch("builtin");
    let top = write(&dir, "p.yaml", &format!("{HEADER}extends: [cis-level1]\n"));
    let (code, stdout, _) = run(rdpgen().args(["validate", "--explain-merge"]).arg(&top));
    // cis-level1 sets layer tls without a certificate: the self-signed warning, pointing into
    // the built-in file.
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("security.layer = \"tls\"  <- builtin:cis-level1:12:10"),
        "{stdout}"
    );
    assert!(stdout.contains("warning[RDP035]"), "{stdout}");
    assert!(stdout.contains("builtin:cis-level1"), "{stdout}");
}

#[test]
fn unknown_baselines_suggest_the_nearest() {
    let (code, diags) = diagnose(&format!("{HEADER}extends: [cis-level-1]\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP022");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown built-in baseline `cis-level-1` (chain: "),
        "{d:#?}"
    );
    assert_eq!(d["help"], "did you mean `cis-level1`?");
    assert_eq!(at(d), (3, 11));
}

#[test]
fn missing_extends_target_names_the_chain() {
    let dir = scratch("missing");
    let a = write(&dir, "a.yaml", "rdpgen: 1\nname: a\nextends: [./b.yaml]\n");
    write(
        &dir,
        "b.yaml",
        "rdpgen: 1\nname: b\nextends:\n  - ./nope.yaml\n",
    );
    let (code, diags) = diagnose_file(&a);
    assert_eq!(code, 1);
    let d = only(&diags, "RDP020");
    let shown_dir = dir.display().to_string();
    assert_eq!(
        d["message"],
        format!(
            "`{shown_dir}/nope.yaml` does not exist (chain: {shown_dir}/a.yaml → {shown_dir}/b.yaml → {shown_dir}/nope.yaml)"
        )
    );
    assert_eq!(d["file"], format!("{shown_dir}/b.yaml"));
    assert_eq!(at(d), (4, 5));
}

#[test]
fn extends_cycles_name_the_cycle() {
    let dir = scratch("cycle");
    let a = write(&dir, "a.yaml", "rdpgen: 1\nname: a\nextends: [./b.yaml]\n");
    write(&dir, "b.yaml", "rdpgen: 1\nname: b\nextends: [./a.yaml]\n");
    let (code, diags) = diagnose_file(&a);
    assert_eq!(code, 1);
    let d = only(&diags, "RDP021");
    let s = dir.display().to_string();
    assert_eq!(
        d["message"],
        format!("`extends` cycle: {s}/a.yaml → {s}/b.yaml → {s}/a.yaml")
    );
    assert_eq!(d["file"], format!("{s}/b.yaml"));
    assert_eq!(at(d), (3, 11));
    let self_ref = write(
        &dir,
        "self.yaml",
        "rdpgen: 1\nname: s\nextends: [self.yaml]\n",
    );
    let (_, diags) = diagnose_file(&self_ref);
    only(&diags, "RDP021");
}

#[test]
fn errors_in_a_base_point_into_the_base() {
    let dir = scratch("basebad");
    write(
        &dir,
        "base.yaml",
        "rdpgen: 1\nname: base\nsecurity:\n  nla: maybe\n",
    );
    let top = write(
        &dir,
        "top.yaml",
        "rdpgen: 1\nname: top\nextends: [./base.yaml]\n",
    );
    let (code, diags) = diagnose_file(&top);
    assert_eq!(code, 1);
    let d = only(&diags, "RDP011");
    assert_eq!(d["file"], format!("{}/base.yaml", dir.display()));
    assert_eq!(at(d), (4, 8));
}

// ---- semantic rules -------------------------------------------------------------------------

#[test]
fn rdp030_nla_needs_tls() {
    let (code, diags) = diagnose(&format!("{HEADER}security:\n  layer: rdp\n  nla: true\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP030");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        d["message"],
        "`security.nla: true` cannot work with `security.layer: rdp`: NLA needs CredSSP inside TLS"
    );
    assert_eq!(at(d), (5, 8));
}

#[test]
fn rdp031_tls_with_low_encryption() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}security:\n  layer: tls\n  encryption: low\ncertificate:\n  allowSelfSigned: true\n"
    ));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP031");
    assert_eq!(
        d["message"],
        "`security.encryption: low` is not compatible with `security.layer: tls`"
    );
    assert_eq!(at(d), (5, 15));
}

#[test]
fn rdp032_rdp_layer_warns() {
    let (code, diags) = diagnose(&format!("{HEADER}security:\n  layer: rdp\n"));
    assert_eq!(code, 0);
    let d = only(&diags, "RDP032");
    assert_eq!(d["severity"], "warning");
    assert_eq!(at(d), (4, 10));
}

#[test]
fn rdp033_template_and_thumbprint() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}certificate:\n  template: RDP\n  thumbprint: 9F2B4C11D07E35A864C219FB0E835D2A77B1C440\n"
    ));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP033");
    assert_eq!(
        d["message"],
        "`certificate.template` and `certificate.thumbprint` are both set"
    );
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .contains("SSLCertificateSHA1Hash before the template policy")
    );
    assert_eq!(at(d), (5, 15));
}

#[test]
fn rdp034_thumbprints_are_normalised_then_checked() {
    for ok in [
        "9F2B4C11D07E35A864C219FB0E835D2A77B1C440",
        "\"9f 2b 4c 11 d0 7e 35 a8 64 c2 19 fb 0e 83 5d 2a 77 b1 c4 40\"",
        "\"9F:2B:4C:11:D0:7E:35:A8:64:C2:19:FB:0E:83:5D:2A:77:B1:C4:40\"",
        "\"\u{200E}9f2b4c11d07e35a864c219fb0e835d2a77b1c440\"",
    ] {
        let (code, diags) = diagnose(&format!("{HEADER}certificate:\n  thumbprint: {ok}\n"));
        assert_eq!(code, 0, "{ok}: {diags:#?}");
    }
    let (code, diags) = diagnose(&format!(
        "{HEADER}certificate:\n  thumbprint: 9F2B4C11D07E35A8\n"
    ));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP034");
    assert_eq!(
        d["message"],
        "`certificate.thumbprint` must be 40 hexadecimal digits, found 16 characters after removing spaces and colons"
    );
    assert_eq!(at(d), (4, 15));
    let (_, diags) = diagnose(&format!(
        "{HEADER}certificate:\n  thumbprint: ZZ2B4C11D07E35A864C219FB0E835D2A77B1C440\n"
    ));
    only(&diags, "RDP034");
}

#[test]
fn rdp035_self_signed_warning() {
    let (code, diags) = diagnose(&format!("{HEADER}security:\n  layer: negotiate\n"));
    assert_eq!(code, 0);
    let d = only(&diags, "RDP035");
    assert_eq!(d["severity"], "warning");
    assert_eq!(at(d), (4, 10));
    let (_, diags) = diagnose(&format!(
        "{HEADER}security:\n  layer: tls\ncertificate:\n  allowSelfSigned: true\n"
    ));
    assert!(diags.is_empty(), "{diags:#?}");
    let (_, diags) = diagnose(&format!(
        "{HEADER}security:\n  layer: tls\ncertificate:\n  template: RDP\n"
    ));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn rdp036_and_rdp037_firewall_addresses() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}firewall:\n  allowFrom:\n    - 10.0.0.0/8\n    - corp-net\n    - 10.1.2.3/8\n    - 300.1.1.1\n"
    ));
    assert_eq!(code, 1);
    let bad: Vec<&Value> = diags.iter().filter(|d| d["code"] == "RDP036").collect();
    assert_eq!(bad.len(), 2, "{diags:#?}");
    assert_eq!(
        bad[0]["message"],
        "`firewall.allowFrom` entry `corp-net` is not a CIDR, IP address or keyword: `corp-net` is not an IPv4 or IPv6 address"
    );
    assert_eq!(at(bad[0]), (6, 7));
    assert_eq!(at(bad[1]), (8, 7));
    let d = only(&diags, "RDP037");
    assert_eq!(
        d["message"],
        "`10.1.2.3/8` has host bits set; rdpgen uses `10.0.0.0/8`"
    );
    assert_eq!(at(d), (7, 7));
}

#[test]
fn rdp038_public_any() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}firewall:\n  profiles: [domain, public]\n  allowFrom: [any]\n"
    ));
    assert_eq!(code, 0);
    let d = only(&diags, "RDP038");
    assert_eq!(
        d["message"],
        "RDP is allowed from any address on the public profile (`any`, or a subnet as wide as `0.0.0.0/0` or `::/0`)"
    );
    assert_eq!(at(d), (5, 14));
    // The whole internet spelled as subnets is the same exposure.
    for wide in [
        "[0.0.0.0/0]",
        "[\"::/0\"]",
        "[0.0.0.0/1, 128.0.0.0/1]",
        "[\"2000::/3\"]",
    ] {
        let (code, diags) = diagnose(&format!(
            "{HEADER}firewall:\n  profiles: [public]\n  allowFrom: {wide}\n"
        ));
        assert_eq!(code, 0, "{wide}");
        assert_eq!(at(only(&diags, "RDP038")), (5, 14), "{wide}");
    }
    let (_, diags) = diagnose(&format!(
        "{HEADER}firewall:\n  profiles: [public]\n  allowFrom: [10.0.0.0/8, \"fc00::/7\"]\n"
    ));
    assert!(diags.iter().all(|d| d["code"] != "RDP038"), "{diags:#?}");
}

#[test]
fn rdp049_local_subnet_and_rdp050_keep_say_what_still_gets_through() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}firewall:\n  profiles: [private]\n  allowFrom: [10.0.0.0/8, local-subnet]\n"
    ));
    assert_eq!(code, 0);
    let d = only(&diags, "RDP049");
    assert_eq!(d["severity"], "warning");
    assert_eq!(
        d["message"],
        "`local-subnet` has no complement to block: on the chosen profiles, other allow rules such as Windows' RemoteDesktop-UserMode-In-TCP/UDP (any address) still admit RDP from outside `allowFrom`; other profiles stay blocked"
    );
    assert_eq!(at(d), (5, 27));
    // With `keep`, RDP050 says the scope is advisory, and RDP049 is not repeated.
    let (code, diags) = diagnose(&format!(
        "{HEADER}firewall:\n  allowFrom: [local-subnet]\n  builtinRules: keep\n"
    ));
    assert_eq!(code, 0);
    assert!(!diags.iter().any(|d| d["code"] == "RDP049"), "{diags:#?}");
    let d = only(&diags, "RDP050");
    assert_eq!(
        d["message"],
        "with `builtinRules: keep` the firewall scope is advisory: other allow rules, such as Windows' RemoteDesktop-UserMode-In-TCP/UDP (any address, every profile), still admit RDP from outside `allowFrom` and on other profiles"
    );
    assert_eq!(at(d), (5, 17));
    // `any` has nothing to block: no warning. `override` is the default, spelled out.
    let (_, diags) = diagnose(&format!(
        "{HEADER}firewall:\n  allowFrom: [any, local-subnet]\n  builtinRules: override\n"
    ));
    assert!(
        !diags
            .iter()
            .any(|d| d["code"] == "RDP049" || d["code"] == "RDP050"),
        "{diags:#?}"
    );
    // Warnings fail --deny-warnings.
    let dir = scratch("rdp050");
    let path = write(
        &dir,
        "p.yaml",
        &format!("{HEADER}firewall:\n  builtinRules: keep\n"),
    );
    let (code, _, _) = run(rdpgen().args(["validate", "--deny-warnings"]).arg(&path));
    assert_eq!(code, 1);
    // A value that is neither is an error of the schema.
    let (code, diags) = diagnose(&format!("{HEADER}firewall:\n  builtinRules: drop\n"));
    assert_eq!(code, 1);
    assert_eq!(only(&diags, "RDP013")["line"], 4);
}

#[test]
fn rdp039_and_rdp040_ports() {
    for (port, col) in [("0", 9), ("65536", 9), ("-1", 9)] {
        let (code, diags) = diagnose(&format!("{HEADER}connection:\n  port: {port}\n"));
        assert_eq!(code, 1, "{port}");
        let d = only(&diags, "RDP039");
        assert_eq!(
            d["message"],
            format!("`connection.port` must be from 1 to 65535, found {port}")
        );
        assert_eq!(at(d), (4, col));
    }
    let (code, diags) = diagnose(&format!("{HEADER}connection:\n  port: 443\n"));
    assert_eq!(code, 0);
    assert_eq!(
        only(&diags, "RDP040")["message"],
        "`connection.port: 443` is a privileged port of another well-known service"
    );
    let (_, diags) = diagnose(&format!("{HEADER}connection:\n  port: 3389\n"));
    assert!(diags.is_empty());
}

#[test]
fn rdp041_durations_are_admx_values() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}sessions:\n  idleTimeout: 15m\n  activeTimeout: 60m\n  disconnectedTimeout: never\n"
    ));
    assert_eq!(code, 0, "{diags:#?}");
    let (code, diags) = diagnose(&format!("{HEADER}sessions:\n  idleTimeout: 20m\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP041");
    assert_eq!(
        d["message"],
        "`sessions.idleTimeout: 20m` is not a duration Group Policy offers; allowed: never, 1m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 8h, 12h, 16h, 18h, 1d, 2d, 3d, 4d, 5d"
    );
    assert_eq!(at(d), (4, 16));
}

#[test]
fn rdp057_connection_limits_are_in_range() {
    for n in ["0", "1000000", "-5"] {
        let (code, diags) = diagnose(&format!("{HEADER}connection:\n  maxConnections: {n}\n"));
        assert_eq!(code, 1, "{n}");
        let d = only(&diags, "RDP057");
        assert_eq!(
            d["message"],
            format!(
                "`connection.maxConnections` must be from 1 to 999999 (999999 = unlimited), found {n}"
            )
        );
        assert_eq!(at(d), (4, 19));
    }
    for n in ["1", "999999", "25"] {
        let (code, diags) = diagnose(&format!("{HEADER}connection:\n  maxConnections: {n}\n"));
        assert_eq!(code, 0, "{n}: {diags:#?}");
        assert!(diags.is_empty(), "{diags:#?}");
    }
}

#[test]
fn rdp058_shadowing_without_consent_is_a_warning() {
    for level in ["full-without-consent", "view-without-consent"] {
        let (code, diags) = diagnose(&format!("{HEADER}sessions:\n  shadow: {level}\n"));
        assert_eq!(code, 0, "{level}");
        let d = only(&diags, "RDP058");
        assert_eq!(d["severity"], "warning");
        assert_eq!(
            d["message"],
            format!(
                "`sessions.shadow: {level}` lets administrators shadow sessions without asking the user"
            )
        );
        assert_eq!(at(d), (4, 11));
    }
    for level in ["disabled", "full-with-consent", "view-with-consent"] {
        let (code, diags) = diagnose(&format!("{HEADER}sessions:\n  shadow: {level}\n"));
        assert_eq!(code, 0);
        assert!(diags.is_empty(), "{level}: {diags:#?}");
    }
    let (code, diags) = diagnose(&format!("{HEADER}sessions:\n  shadow: full\n"));
    assert_eq!(code, 1, "{diags:#?}");
}

#[test]
fn rdp059_keep_alive_intervals_are_whole_minutes() {
    for k in ["never", "1m", "999999m", "9999h", "99d", "2h"] {
        let (code, diags) = diagnose(&format!("{HEADER}connection:\n  keepAlive: {k}\n"));
        assert_eq!(code, 0, "{k}: {diags:#?}");
        assert!(diags.is_empty(), "{k}: {diags:#?}");
    }
    for k in ["0m", "1000000m", "30s", "1.5h", "100d", "01m", "'+1m'"] {
        let (code, diags) = diagnose(&format!("{HEADER}connection:\n  keepAlive: {k}\n"));
        assert_eq!(code, 1, "{k}");
        let d = only(&diags, "RDP059");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .ends_with("is not a keep-alive interval: write `never`, or whole minutes from 1 to 999999 as `Nm`, `Nh` (up to 9999) or `Nd` (up to 99)"),
            "{d}"
        );
        assert_eq!(at(d), (4, 14));
    }
}

#[test]
fn rdp042_denied_connections_with_settings() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}connection:\n  allow: false\n  port: 3390\nsecurity:\n  nla: true\n"
    ));
    assert_eq!(code, 0);
    let d = only(&diags, "RDP042");
    assert_eq!(
        d["message"],
        "`connection.allow: false` denies Remote Desktop connections, so `connection.port`, `security` have no effect"
    );
    assert_eq!(at(d), (4, 10));
    let (_, diags) = diagnose(&format!("{HEADER}connection:\n  allow: false\n"));
    assert!(diags.is_empty());
}

#[test]
fn rdp043_tls13_minimum() {
    let (code, diags) = diagnose(&format!("{HEADER}tls:\n  minVersion: \"1.3\"\n"));
    assert_eq!(code, 0);
    let d = only(&diags, "RDP043");
    assert_eq!(at(d), (4, 15));
    assert_eq!(
        d["message"],
        "`tls.minVersion: \"1.3\"` disables TLS 1.2 for every SCHANNEL server on the host (IIS, WinRM, LDAPS, RDP); Windows Server 2019 and older have no TLS 1.3 and are left with no TLS server protocol, and clients that cannot negotiate TLS 1.3 fail with 0x904/0x7; `tls.minimumOs` is not set, so rdpgen cannot check the release"
    );
    // Machine-wide: the RDP layer does not make it harmless.
    let (_, diags) = diagnose(&format!(
        "{HEADER}security:\n  layer: rdp\ntls:\n  minVersion: \"1.3\"\n"
    ));
    only(&diags, "RDP043");
    let (code, diags) = diagnose(&format!(
        "{HEADER}tls:\n  minVersion: \"1.3\"\n  minimumOs: windows-server-2025\n"
    ));
    assert_eq!(code, 0);
    assert!(
        !only(&diags, "RDP043")["message"]
            .as_str()
            .unwrap()
            .contains("minimumOs")
    );
}

#[test]
fn rdp052_legacy_tls_is_machine_wide() {
    for (v, what) in [("1.0", "TLS 1.0 and 1.1"), ("1.1", "TLS 1.1")] {
        let (code, diags) = diagnose(&format!("{HEADER}tls:\n  minVersion: \"{v}\"\n"));
        assert_eq!(code, 0, "a warning");
        let d = only(&diags, "RDP052");
        assert_eq!(d["severity"], "warning");
        assert_eq!(
            d["message"],
            format!(
                "`tls.minVersion: \"{v}\"` enables {what} for every SCHANNEL server on the host (IIS, WinRM, LDAPS), not only for Remote Desktop"
            )
        );
        assert_eq!(at(d), (4, 15));
    }
    let (_, diags) = diagnose(&format!("{HEADER}tls:\n  minVersion: \"1.2\"\n"));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn rdp053_tls13_minimum_on_a_release_without_tls13() {
    for os in [
        "windows-server-2019",
        "windows-server-2016",
        "windows-server-2012-r2",
        "windows-10",
    ] {
        let (code, diags) = diagnose(&format!(
            "{HEADER}tls:\n  minVersion: \"1.3\"\n  minimumOs: {os}\n"
        ));
        assert_eq!(code, 1, "{os}");
        let d = only(&diags, "RDP053");
        assert_eq!(
            d["message"],
            format!(
                "`tls.minVersion: \"1.3\"` on `{os}`, which has no TLS 1.3 server: disabling TLS 1.2 leaves it with no TLS server protocol (RDP, WinRM over HTTPS, IIS)"
            )
        );
        assert_eq!(at(d), (4, 15));
    }
    for os in ["windows-server-2022", "windows-server-2025", "windows-11"] {
        let (code, diags) = diagnose(&format!(
            "{HEADER}tls:\n  minVersion: \"1.3\"\n  minimumOs: {os}\n"
        ));
        assert_eq!(code, 0, "{os}");
        assert!(diags.iter().all(|d| d["code"] != "RDP053"), "{os}");
    }
    let (code, diags) = diagnose(&format!("{HEADER}tls:\n  minimumOs: windows-server-2008\n"));
    assert_eq!(code, 1);
    only(&diags, "RDP013");
}

#[test]
fn rdp055_lockouts_are_errors() {
    // The original dmz-jump: a workgroup host that inherits `deny: [Guests, Local account]`.
    let (code, diags) = diagnose(&format!("{HEADER}extends: [cis-level1]\nrole: workgroup\n"));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP055");
    assert_eq!(
        d["message"],
        "denying `Local account` on a workgroup host (`role: workgroup`) locks everyone out: every account there is a local account (S-1-5-113), and deny beats allow"
    );
    assert_eq!(d["file"], "builtin:cis-level1");
    assert_eq!(at(d), (36, 18));
    for (deny, who) in [
        ("S-1-5-113", "everyone"),
        (
            "\"Local account and member of Administrators group\"",
            "every administrator",
        ),
        ("S-1-5-114", "every administrator"),
    ] {
        let (code, diags) = diagnose(&format!(
            "{HEADER}role: workgroup\nlogonRights:\n  deny: [{deny}]\n"
        ));
        assert_eq!(code, 1, "{deny}");
        let d = only(&diags, "RDP055");
        assert_eq!(at(d), (5, 10), "{deny}");
        let expected = format!("on a workgroup host (`role: workgroup`) locks {who} out");
        assert!(d["message"].as_str().unwrap().contains(&expected), "{d:#?}");
    }
    for deny in ["Everyone", "Authenticated Users", "S-1-1-0", "Users"] {
        let (code, diags) = diagnose(&format!("{HEADER}logonRights:\n  deny: [Guests, {deny}]\n"));
        assert_eq!(code, 1, "{deny}");
        let d = only(&diags, "RDP055");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("nobody can log on over RDP"),
            "{d:#?}"
        );
        assert_eq!(at(d), (4, 18), "{deny}");
    }
    let (code, diags) = diagnose(&format!(
        "{HEADER}logonRights:\n  allow: [Administrators, Remote Desktop Users]\n  deny: [S-1-5-32-544, Remote Desktop Users]\n"
    ));
    assert_eq!(code, 1);
    assert_eq!(
        only(&diags, "RDP055")["message"],
        "every account `logonRights.allow` names is also denied: nobody can log on over RDP"
    );
    // A domain controller has no local accounts: denying them locks nobody out.
    let (code, diags) = diagnose(&format!(
        "{HEADER}role: domain-controller\nlogonRights:\n  allow: [Administrators]\n  deny: [Guests, Local account]\n"
    ));
    assert_eq!(code, 0);
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn rdp056_local_account_deny_with_a_local_group_allowed() {
    for role in ["", "role: member-server\n"] {
        let (code, diags) = diagnose(&format!(
            "{HEADER}{role}logonRights:\n  allow: [Administrators]\n  deny: [Guests, Local account]\n"
        ));
        assert_eq!(code, 0, "a warning");
        let d = only(&diags, "RDP056");
        assert_eq!(d["severity"], "warning");
        assert_eq!(
            d["message"],
            "`logonRights.deny` names `Local account` while `allow` names the local group `Administrators`: its local members (the built-in Administrator included) cannot log on over RDP, only domain members can"
        );
        let line = if role.is_empty() { 5 } else { 6 };
        assert_eq!(at(d), (line, 18));
    }
}

#[test]
fn rdp051_domain_groups_on_a_workgroup_host() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}role: workgroup\nlogonRights:\n  allow: [Administrators, CORP\\RDP Admins]\n  deny: [Guests, Domain Admins, S-1-5-21-1-2-3-519]\n"
    ));
    assert_eq!(code, 1);
    let found: Vec<(String, (u64, u64))> = diags
        .iter()
        .filter(|d| d["code"] == "RDP051")
        .map(|d| (d["message"].as_str().unwrap().to_string(), at(d)))
        .collect();
    assert_eq!(
        found,
        [
            ("`logonRights.allow` entry `CORP\\RDP Admins` is a domain group, which a workgroup host (`role: workgroup`) cannot resolve".to_string(), (5, 27)),
            ("`logonRights.deny` entry `Domain Admins` is a domain group, which a workgroup host (`role: workgroup`) cannot resolve".to_string(), (6, 18)),
            ("`logonRights.deny` entry `S-1-5-21-1-2-3-519` is a domain group, which a workgroup host (`role: workgroup`) cannot resolve".to_string(), (6, 33)),
        ]
    );
    // The same names on a member server are fine.
    let (code, _) = diagnose(&format!(
        "{HEADER}role: member-server\nlogonRights:\n  allow: [Administrators, CORP\\RDP Admins]\n  deny: [Guests, Domain Admins]\n"
    ));
    assert_eq!(code, 0);
}

#[test]
fn rdp047_windows_reserved_names() {
    for name in ["con", "nul", "com1", "lpt1", "prn", "aux"] {
        let (code, diags) = diagnose(&format!("rdpgen: 1\nname: {name}\n"));
        assert_eq!(code, 1, "{name}");
        let d = only(&diags, "RDP047");
        assert_eq!(
            d["message"],
            format!(
                "`name: {name}` is a device name Windows reserves; its output folder could not be opened or deleted on Windows"
            )
        );
        assert_eq!(at(d), (2, 7));
    }
    // A trailing dot is refused by the pattern.
    let (code, diags) = diagnose("rdpgen: 1\nname: tier1.\n");
    assert_eq!(code, 1);
    only(&diags, "RDP047");
    let (code, _) = diagnose("rdpgen: 1\nname: console\n");
    assert_eq!(code, 0);
}

#[test]
fn rdp054_bidi_controls_are_refused_in_every_string() {
    for (field, line, col) in [
        ("description: \"safe \\u202Egnp.exe\"\n", 3, 14),
        ("gpo:\n  displayName: \"RDP \\u2066x\\u2069\"\n", 4, 16),
        ("logonRights:\n  allow: [\"Admin\\u202Dx\"]\n", 4, 11),
    ] {
        let (code, diags) = diagnose(&format!("{HEADER}{field}"));
        assert_eq!(code, 1, "{field}");
        let d = only(&diags, "RDP054");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("holds the bidirectional control character U+20"),
            "{d:#?}"
        );
        assert_eq!(at(d), (line, col), "{field}");
    }
}

#[test]
fn rdp009_explicit_tags_are_refused() {
    for (text, col) in [
        ("description: !!binary aGVsbG8=\n", 14),
        ("description: !!str 1.2\n", 14),
        ("certificate:\n  template: !secret x\n", 13),
    ] {
        let (code, diags) = diagnose(&format!("{HEADER}{text}"));
        assert_eq!(code, 1, "{text}");
        let d = only(&diags, "RDP009");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .starts_with("the explicit YAML tag `!"),
            "{d:#?}"
        );
        let line = if text.starts_with("cert") { 4 } else { 3 };
        assert_eq!(at(d), (line, col), "{text}");
    }
}

#[test]
fn rdp044_control_characters_cannot_reach_artifacts() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}certificate:\n  template: \"RDP\\r\\n[HKEY_LOCAL_MACHINE\\\\Evil]\"\n"
    ));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP044");
    assert_eq!(
        d["message"],
        "`certificate.template` holds the control character U+000D"
    );
    assert_eq!(at(d), (4, 13));
    let (_, diags) = diagnose(&format!("{HEADER}gpo:\n  displayName: \"a\\u0000b\"\n"));
    only(&diags, "RDP044");
    let (code, _) = diagnose(&format!("{HEADER}description: |\n  two\n  lines\n"));
    assert_eq!(code, 0);
}

#[test]
fn rdp045_logon_right_entries() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}logonRights:\n  allow: [Administrators, 'S-1-5-32-555', 'CORP\\RDP Admins']\n  deny: ['Guests,Everyone', 'S-1-5-x']\n"
    ));
    assert_eq!(code, 1);
    let bad: Vec<&Value> = diags.iter().filter(|d| d["code"] == "RDP045").collect();
    assert_eq!(bad.len(), 2, "{diags:#?}");
    assert_eq!(
        bad[0]["message"],
        "`logonRights.deny` entry `Guests,Everyone` is not an account name or SID"
    );
    assert_eq!(at(bad[0]), (5, 10));
}

#[test]
fn rdp046_gpo_guid() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}gpo:\n  guid: 5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11\n"
    ));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP046");
    assert_eq!(
        d["message"],
        "`gpo.guid` `5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11` is not a GUID in registry format"
    );
    let (code, _) = diagnose(&format!(
        "{HEADER}gpo:\n  guid: \"{{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}}\"\n"
    ));
    assert_eq!(code, 0);
}

#[test]
fn rdp048_license_servers() {
    let (code, diags) = diagnose(&format!(
        "{HEADER}licensing:\n  servers: [lic01.corp.example.com, 'lic02, lic03', 10.0.0.5]\n"
    ));
    assert_eq!(code, 1);
    let d = only(&diags, "RDP048");
    assert_eq!(
        d["message"],
        "`licensing.servers` entry `lic02, lic03` is not a host name or IP address"
    );
}

#[test]
fn json_diagnostics_have_the_documented_fields() {
    let (_, diags) = diagnose(&format!("{HEADER}security:\n  layer: rdp\n  nla: true\n"));
    for d in &diags {
        for key in ["code", "severity", "message", "file", "line", "column"] {
            assert!(d.get(key).is_some(), "{key} missing in {d:#?}");
        }
    }
}

#[test]
fn schema_is_committed_and_fresh() {
    let (code, stdout, _) = run(rdpgen().arg("schema"));
    assert_eq!(code, 0);
    // `rdpgen schema > policies/rdpgen.schema.json` writes the same bytes.
    crate::assert_snapshot("policies/rdpgen.schema.json", &stdout);
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        schema["properties"]["security"]["description"],
        "Security layer, Network Level Authentication and encryption."
    );
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn help_lists_every_command_and_completions_and_man_work() {
    let (code, stdout, _) = run(rdpgen().arg("--help"));
    assert_eq!(code, 0);
    for cmd in [
        "validate",
        "build",
        "diff",
        "schema",
        "explain",
        "collector",
        "completions",
    ] {
        assert!(stdout.contains(cmd), "{cmd} in {stdout}");
    }
    let (code, stdout, _) = run(rdpgen().args(["completions", "bash"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("_rdpgen()"), "{stdout}");
    let (code, stdout, _) = run(rdpgen().arg("man"));
    assert_eq!(code, 0);
    assert!(stdout.contains(".TH rdpgen"), "{stdout}");
}
