//! The rules of [`super::rules`] restated as JSON Schema, so an editor (yaml-language-server,
//! VS Code) refuses exactly what `validate` refuses: the value patterns (addresses, SIDs,
//! thumbprints, GUIDs, days), the strings no artifact may carry, and the combinations of fields
//! Windows cannot honour (`nla` with the `rdp` layer, a lockout, ...).
//!
//! Each pattern is built from the same constants the rule uses and checked against the rule's
//! own predicate by the tests below. `validate` itself runs only the structural schema (types,
//! keys, enums) and reports these through its rules, with their own codes and messages.
//!
//! Two checks stay `validate`'s alone, because a schema sees one file and compares no two
//! values: `extends` (the files it names), and "every account `logonRights.allow` names is
//! also denied" (the RDP055 case that compares the two lists). The committed schema says so
//! in its description.

use serde_json::{Map, Value, json};

use super::rules;
use crate::catalog;

/// What the schema cannot state, as its description tells the editor's user.
pub const NOT_EXPRESSED: &str = "The editor checks one file: `rdpgen validate` also resolves \
`extends`, checks that not every account `logonRights.allow` names is also denied, resolves \
each `admx:` entry against the ADMX files (policy, elements, values), limits \
`posture.cipherSuites` to 1023 characters comma-joined, and checks that \
`posture.accountLockout.resetAfter` is at most `duration`.";

/// Characters Rust's `char::is_whitespace` (Unicode White_Space) accepts, as a class body.
const WS: &str = r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// `char::is_control` (general category Cc), as a class body.
const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
/// The bidirectional controls of [`rules::is_bidi_control`], as a class body.
const BIDI: &str = r"\u202A-\u202E\u2066-\u2069\u061C";

/// An IPv4 address as `Ipv4Addr::from_str` reads it (no leading zeros).
fn ipv4() -> String {
    let octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    format!("{octet}(?:\\.{octet}){{3}}")
}

/// An IPv6 address as `Ipv6Addr::from_str` reads it: eight groups, one `::` standing for at
/// least one zero group, or an IPv4 address in the last 32 bits.
fn ipv6() -> String {
    let h = "[0-9A-Fa-f]{1,4}";
    let groups = |n: usize| match n {
        0 => String::new(),
        1 => h.to_string(),
        n => format!("{h}(?::{h}){{{}}}", n - 1),
    };
    let mut alternatives = vec![groups(8), format!("{}:{}", groups(6), ipv4())];
    for left in 0..=7 {
        for right in 0..=(7 - left) {
            alternatives.push(format!("{}::{}", groups(left), groups(right)));
        }
    }
    for left in 0..=5 {
        for right in 0..=(5 - left) {
            let tail = if right == 0 {
                ipv4()
            } else {
                format!("{}:{}", groups(right), ipv4())
            };
            alternatives.push(format!("{}::{tail}", groups(left)));
        }
    }
    format!("(?:{})", alternatives.join("|"))
}

/// ASCII case-insensitive literal text, regex-escaped.
fn ci(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                literal(c)
            }
        })
        .collect()
}

/// `c` as a regex atom; only the syntax characters are escaped, so the pattern also compiles
/// with ECMAScript's `u` flag (editors compile schema patterns that way), which refuses
/// escapes of other characters.
fn literal(c: char) -> String {
    if "\\^$.|?*+()[]{}".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

fn exact(text: &str) -> String {
    text.chars().map(literal).collect()
}

/// A `firewall.allowFrom` entry as [`crate::firewall_address::FirewallAddress::parse`] reads
/// it: surrounding white space, a keyword, or an address with a prefix length (or, for IPv4,
/// a contiguous dotted mask).
fn firewall_address() -> String {
    let keywords = ["any", "local-subnet", "localsubnet"]
        .iter()
        .map(|k| ci(k))
        .chain(["\\*".to_string()])
        .collect::<Vec<_>>()
        .join("|");
    let masks = (0..=32u32)
        .map(|n| {
            let bits = if n == 0 { 0 } else { u32::MAX << (32 - n) };
            exact(&std::net::Ipv4Addr::from(bits).to_string())
        })
        .collect::<Vec<_>>()
        .join("|");
    let v4 = format!("{}(?:/(?:0*(?:3[0-2]|[12]?[0-9])|{masks}))?", ipv4());
    let v6 = format!("{}(?:/0*(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?", ipv6());
    format!("^[{WS}]*(?:{keywords}|{v4}|{v6})[{WS}]*$")
}

/// `certificate.thumbprint`: 40 hex digits once spaces, colons, tabs and invisible marks are
/// removed ([`rules::normalize_thumbprint`]).
fn thumbprint() -> String {
    let skip = r"[ :\t\u200E\u200F\uFEFF]*";
    format!("^{skip}(?:[0-9A-Fa-f]{skip}){{40}}$")
}

/// A host name or IP address (`licensing.servers`).
fn host_name() -> Value {
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    json!({"anyOf": [
        {"pattern": format!("^(?:{}|{})$", ipv4(), ipv6())},
        {"pattern": format!("^{label}(?:\\.{label})*$"), "maxLength": 253},
    ]})
}

/// A logon-right entry: a SID, or an account name safe in GptTmpl.inf.
fn account() -> Value {
    let forbidden = format!(",=\"*;\\[\\]<>|{CONTROL}");
    json!({"anyOf": [
        {"pattern": "^\\*?S-1-[0-9]+(?:-[0-9]+)*$"},
        {"allOf": [
            {"not": {"pattern": "^\\*?S-1-"}},
            {"pattern": format!("^[^{WS}{forbidden}](?:[^{forbidden}]*[^{WS}{forbidden}])?$"),
             "maxLength": 256},
        ]},
    ]})
}

/// A registry-format GUID (`gpo.guid`).
fn guid() -> String {
    let hex = |n: usize| format!("[0-9A-Fa-f]{{{n}}}");
    format!(
        "^\\{{{}-{}-{}-{}-{}\\}}$",
        hex(8),
        hex(4),
        hex(4),
        hex(4),
        hex(12)
    )
}

/// A keep-alive interval [`catalog::keep_alive_minutes`] accepts.
fn keep_alive() -> String {
    "^(?:never|[1-9][0-9]{0,5}m|[1-9][0-9]{0,3}h|[1-9][0-9]?d)$".to_string()
}

/// Minutes of an account lockout duration or reset [`catalog::lockout_minutes`] accepts
/// (1 to 99999: up to 1666h or 69d), or also `until-unlocked` for the duration.
fn lockout(until_unlocked: bool) -> String {
    format!(
        "^(?:{}[1-9][0-9]{{0,4}}m|(?:[1-9][0-9]{{0,2}}|1[0-5][0-9]{{2}}|16[0-5][0-9]|166[0-6])h|(?:[1-9]|[1-6][0-9])d)$",
        if until_unlocked {
            "until-unlocked|"
        } else {
            ""
        }
    )
}

/// A session duration [`catalog::session_duration_ms`] accepts: `never`, or a number of
/// seconds, minutes, hours or days equal to one of the ADMX's durations (`60m` is `1h`).
fn duration() -> String {
    let mut alternatives = vec!["never".to_string()];
    for (_, ms) in catalog::SESSION_DURATIONS {
        for (unit, factor) in [
            ('s', 1_000u32),
            ('m', 60_000),
            ('h', 3_600_000),
            ('d', 86_400_000),
        ] {
            if ms % factor == 0 {
                let n = ms / factor;
                alternatives.push(if n == 0 {
                    format!("\\+?0+{unit}")
                } else {
                    format!("\\+?0*{n}{unit}")
                });
            }
        }
    }
    alternatives.dedup();
    format!("^(?:{})$", alternatives.join("|"))
}

/// A day that exists, `YYYY-MM-DD`, with the white space `parse_day` trims.
fn day() -> String {
    let common = "[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))";
    let leap = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29";
    format!("^[{WS}]*(?:{common}|{leap})[{WS}]*$")
}

/// An entry whose SID (after `BUILTIN\` or `NT AUTHORITY\`) is one of `sids`, as the logon
/// rules resolve it: the SID itself (optionally `*`), or a well-known name for it.
fn names_sid(sids: &[&str]) -> String {
    let mut alternatives: Vec<String> = sids.iter().map(|s| format!("\\*?{}", exact(s))).collect();
    alternatives.extend(
        catalog::accounts::WELL_KNOWN
            .iter()
            .filter(|(_, sid)| sids.contains(sid))
            .map(|(name, _)| ci(name)),
    );
    format!(
        "^(?:BUILTIN\\\\|NT AUTHORITY\\\\)?(?:{})$",
        alternatives.join("|")
    )
}

/// A domain group as the workgroup rule sees it (RDP051).
fn domain_group() -> Value {
    let local_domains = format!("^(?:{}|{}|\\.)?\\\\", ci("BUILTIN"), ci("NT AUTHORITY"));
    let names = rules::DOMAIN_GROUPS
        .iter()
        .map(|g| ci(g))
        .collect::<Vec<_>>()
        .join("|");
    json!({"anyOf": [
        {"allOf": [{"pattern": "\\\\"}, {"not": {"pattern": local_domains}}]},
        {"pattern": format!("^(?:{names})$")},
        {"pattern": "^\\*?[Ss]-1-5-21-[^-]*-[^-]*-[^-]*-\\+?0*(?:498|51[2-9]|52[0-7])$"},
    ]})
}

/// `{properties: {a: {properties: {b: ...}}}}` with every level required: "the document sets
/// `a.b` to something matching `leaf`".
fn at(path: &[&str], leaf: Value) -> Value {
    path.iter().rev().fold(
        leaf,
        |inner, key| json!({"required": [key], "properties": {*key: inner}}),
    )
}

fn all(schemas: Vec<Value>) -> Value {
    json!({ "allOf": schemas })
}

/// Adds `pattern` to a string schema, beside any pattern it has.
fn add_pattern(schema: &mut Map<String, Value>, pattern: String) {
    add_constraint(schema, json!({ "pattern": pattern }));
}

fn add_constraint(schema: &mut Map<String, Value>, constraint: Value) {
    match schema.get_mut("allOf") {
        Some(Value::Array(items)) => items.push(constraint),
        _ => {
            schema.insert("allOf".into(), Value::Array(vec![constraint]));
        }
    }
}

/// The schema object at `pointer` (`/$defs/Firewall/properties/allowFrom/items`).
#[allow(
    clippy::panic,
    reason = "the pointers name our own generated types; tests generate the schema"
)]
fn node<'a>(schema: &'a mut Value, pointer: &str) -> &'a mut Map<String, Value> {
    match schema.pointer_mut(pointer) {
        Some(Value::Object(map)) => map,
        // The pointers name our own generated types; a missing one is a bug in this module,
        // which every test that generates the schema (`schema_is_committed_and_fresh`) catches.
        _ => panic!("the generated schema has no object at {pointer}"),
    }
}

/// Every string value of the document: no bidirectional controls (RDP054).
fn forbid_bidi(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("string")
                && !map.contains_key("enum")
            {
                add_pattern(map, format!("^[^{BIDI}]*$"));
            }
            map.values_mut().for_each(forbid_bidi);
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_bidi),
        _ => {}
    }
}

/// Adds the rules' constraints to the structural schema generated from the types.
pub fn add_rules(schema: &mut Value) {
    forbid_bidi(schema);
    let no_control = format!("^[^{CONTROL}]*$");

    // RDP047: names Windows reserves (the name pattern admits only lowercase, no dots).
    add_constraint(
        node(schema, "/properties/name"),
        json!({"not": {"enum": rules::WINDOWS_RESERVED}}),
    );
    // RDP044: control characters (the description may hold line breaks and tabs).
    add_pattern(
        node(schema, "/properties/description"),
        r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$".into(),
    );
    for pointer in [
        "/$defs/Certificate/properties/template",
        "/$defs/Gpo/properties/displayName",
        "/$defs/Gpo/properties/domain",
    ] {
        add_pattern(node(schema, pointer), no_control.clone());
    }
    // RDP034, RDP046, RDP048, RDP045, RDP036.
    add_pattern(
        node(schema, "/$defs/Certificate/properties/thumbprint"),
        thumbprint(),
    );
    add_pattern(node(schema, "/$defs/Gpo/properties/guid"), guid());
    add_constraint(
        node(schema, "/$defs/Licensing/properties/servers/items"),
        host_name(),
    );
    for list in ["allow", "deny"] {
        add_constraint(
            node(
                schema,
                &format!("/$defs/LogonRights/properties/{list}/items"),
            ),
            account(),
        );
    }
    add_pattern(
        node(schema, "/$defs/Firewall/properties/allowFrom/items"),
        firewall_address(),
    );
    // RDP039: a TCP port.
    let port = node(schema, "/$defs/Connection/properties/port");
    port.insert("minimum".into(), json!(1));
    port.insert("maximum".into(), json!(65535));
    // RDP057: TS_MAX_CON_POLICY's range.
    let max_connections = node(schema, "/$defs/Connection/properties/maxConnections");
    max_connections.insert("minimum".into(), json!(catalog::MAX_CONNECTIONS.start()));
    max_connections.insert("maximum".into(), json!(catalog::MAX_CONNECTIONS.end()));
    // RDP059: a keep-alive interval in whole minutes.
    add_pattern(
        node(schema, "/$defs/Connection/properties/keepAlive"),
        keep_alive(),
    );
    // RDP067: the account lockout's minutes (the reset against the duration, and enforced
    // pairs, compare two values: validate's alone).
    add_pattern(
        node(schema, "/$defs/AccountLockout/properties/duration"),
        lockout(true),
    );
    add_pattern(
        node(schema, "/$defs/AccountLockout/properties/resetAfter"),
        lockout(false),
    );
    // RDP041: the durations Group Policy offers, in any unit.
    for field in ["idleTimeout", "disconnectedTimeout", "activeTimeout"] {
        add_pattern(
            node(schema, &format!("/$defs/Sessions/properties/{field}")),
            duration(),
        );
    }
    // RDP064: a non-empty cipher suite order without repeats (its 1023-character limit when
    // comma-joined is validate's alone).
    let suites = node(schema, "/$defs/Posture/properties/cipherSuites");
    suites.insert("minItems".into(), json!(1));
    suites.insert("uniqueItems".into(), json!(true));
    // RDP033: one way to choose the certificate.
    add_constraint(
        node(schema, "/$defs/Certificate"),
        json!({"not": {"required": ["template", "thumbprint"]},
               "errorMessage": "set `certificate.template` or `certificate.thumbprint`, not both"}),
    );
    // RDP092: a day that exists, a reason, no empty host pattern.
    add_pattern(node(schema, "/$defs/Waiver/properties/expires"), day());
    add_pattern(
        node(schema, "/$defs/Waiver/properties/reason"),
        format!("[^{WS}]"),
    );
    add_pattern(
        node(schema, "/$defs/Waiver/properties/hosts/items"),
        format!("[^{WS}]"),
    );

    // The combinations: each `not` names a document `validate` refuses.
    let refused = |schema: Value, message: &str| json!({"not": schema, "errorMessage": message});
    let no_tls13: Vec<&str> = crate::policy::types::TargetOs::ALL
        .iter()
        .filter(|os| !os.has_tls13())
        .map(|os| os.as_str())
        .collect();
    let deny_contains = |pattern: String| {
        at(
            &["logonRights", "deny"],
            json!({"contains": {"type": "string", "pattern": pattern}}),
        )
    };
    let workgroup = at(&["role"], json!({"const": "workgroup"}));
    let everyone: Vec<&str> = rules::EVERYONE_SIDS.iter().map(|(s, _)| *s).collect();
    let mut combinations = vec![
        // RDP030
        refused(
            all(vec![
                at(&["security", "layer"], json!({"const": "rdp"})),
                at(&["security", "nla"], json!({"const": true})),
            ]),
            "`security.nla: true` cannot work with `security.layer: rdp`",
        ),
        // RDP031
        refused(
            all(vec![
                at(&["security", "layer"], json!({"const": "tls"})),
                at(&["security", "encryption"], json!({"const": "low"})),
            ]),
            "`security.encryption: low` is not compatible with `security.layer: tls`",
        ),
        // RDP053
        refused(
            all(vec![
                at(&["tls", "minVersion"], json!({"enum": ["1.3", 1.3]})),
                at(&["tls", "minimumOs"], json!({ "enum": no_tls13 })),
            ]),
            "`tls.minVersion: \"1.3\"` on a release without a TLS 1.3 server",
        ),
        // RDP055: denying everyone, or every local account on a workgroup host.
        refused(
            deny_contains(names_sid(&everyone)),
            "the logon rights deny every account",
        ),
        refused(
            all(vec![
                workgroup.clone(),
                deny_contains(names_sid(rules::LOCAL_ACCOUNT_SIDS)),
            ]),
            "on a workgroup host, denying `Local account` denies every account",
        ),
    ];
    // RDP067: enforced, the lockout duration and reset come together.
    for (set, missing) in [("duration", "resetAfter"), ("resetAfter", "duration")] {
        combinations.push(refused(
            all(vec![
                at(&["posture", "mode"], json!({"const": "enforce"})),
                at(
                    &["posture", "accountLockout"],
                    json!({"required": [set], "not": {"required": [missing]}}),
                ),
            ]),
            "an enforced account lockout sets `duration` and `resetAfter` together",
        ));
    }
    // RDP051: a domain group on a workgroup host.
    for list in ["allow", "deny"] {
        combinations.push(refused(
            all(vec![
                workgroup.clone(),
                at(&["logonRights", list], json!({"contains": domain_group()})),
            ]),
            "a workgroup host cannot resolve a domain group",
        ));
    }
    if let Value::Object(root) = schema {
        root.insert("allOf".into(), Value::Array(combinations));
        root.insert("description".into(), Value::String(NOT_EXPRESSED.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall_address::FirewallAddress;

    fn matcher(schema: Value) -> jsonschema::Validator {
        jsonschema::validator_for(&schema).expect("the constraint compiles")
    }

    fn agree(name: &str, schema: Value, rule: impl Fn(&str) -> bool, cases: &[String]) {
        let v = matcher(schema);
        let mut checked = 0;
        for case in cases {
            let schema_says = v.is_valid(&Value::String(case.clone()));
            assert_eq!(
                schema_says,
                rule(case),
                "{name}: the schema and validate's rule disagree on {case:?}"
            );
            checked += 1;
        }
        assert!(checked > 20, "{name}: too few cases");
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn firewall_addresses_match_the_parser() {
        let mut cases = strings(&[
            "any",
            "ANY",
            "*",
            "local-subnet",
            "LocalSubnet",
            " any ",
            "\tany",
            "anyx",
            "",
            "10.0.0.0/8",
            "10.0.0.1",
            "10.0.0.0/33",
            "10.0.0.0/032",
            "10.0.0.0/+8",
            "010.0.0.1",
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "10.0.0.0/255.0.0.0",
            "10.0.0.0/255.0.255.0",
            "10.0.0.0/0.0.0.0",
            "10.0.0.0/255.255.255.255",
            "10.0.0.0/",
            "10.0.0.0/8/9",
            "2001:db8::/32",
            "::",
            "::/0",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3.4",
            "1::1.2.3.4",
            "fe80::1%eth0",
            "2001:db8::/129",
            "2001:db8::/128",
            "2001:DB8::/64",
            "12345::",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "::/255.0.0.0",
            " 10.0.0.0/8\n",
            "10.0.0.0 /8",
            "1.2.3.4\u{00A0}",
            "1.2.3.4\u{FEFF}",
        ]);
        for n in [0u8, 1, 7, 8, 31, 32, 33, 64, 127, 128, 129, 200, 255] {
            cases.push(format!("192.168.0.0/{n}"));
            cases.push(format!("fd00::/{n}"));
        }
        agree(
            "firewall.allowFrom",
            json!({ "pattern": firewall_address() }),
            |s| FirewallAddress::parse(s).is_ok(),
            &cases,
        );
    }

    #[test]
    fn thumbprints_match_the_rule() {
        let good = "0123456789ABCDEF0123456789abcdef01234567";
        let cases = vec![
            good.to_string(),
            format!(" {good} "),
            good.chars().flat_map(|c| [c, ':']).collect(),
            good.chars().flat_map(|c| [c, ' ']).collect(),
            format!("\u{200E}{good}"),
            format!("{good}\u{FEFF}"),
            format!("{good}\t"),
            good[..39].to_string(),
            format!("{good}0"),
            good.replace('0', "g"),
            format!("{good}\n"),
            String::new(),
            "::".into(),
            format!("{}é", &good[..39]),
            format!("{}\u{00A0}", good),
            good.to_lowercase(),
            good.replace('A', "ａ"),
            format!("-{good}"),
            format!("{}:{}", &good[..20], &good[20..]),
            format!("{} {}", &good[..10], &good[10..]),
            format!("{}\u{200F}{}", &good[..10], &good[10..]),
            format!("{}\r{}", &good[..10], &good[10..]),
        ];
        agree(
            "certificate.thumbprint",
            json!({ "pattern": thumbprint() }),
            |t| {
                let n = rules::normalize_thumbprint(t);
                n.len() == 40 && n.chars().all(|c| c.is_ascii_hexdigit())
            },
            &cases,
        );
    }

    #[test]
    fn logon_right_patterns_match_the_lockout_and_workgroup_rules() {
        let entries = strings(&[
            "Everyone",
            "everyone",
            "BUILTIN\\Users",
            "Users",
            "NT AUTHORITY\\Authenticated Users",
            "*S-1-1-0",
            "S-1-1-0",
            "s-1-1-0",
            "S-1-5-4",
            "*S-1-5-14",
            "S-1-5-11",
            "S-1-5-32-545",
            "BUILTIN\\*S-1-5-32-545",
            "nt authority\\Everyone",
            "Guests",
            "Local account",
            "local ACCOUNT",
            "*S-1-5-113",
            "S-1-5-114",
            "Local account and member of Administrators group",
            "CORP\\Everyone",
            "Everyone ",
            "Domain Admins",
            "domain users",
            "CORP\\RDP Admins",
            "BUILTIN\\Administrators",
            "builtin\\Administrators",
            ".\\Administrator",
            "\\x",
            "NT AUTHORITY\\SYSTEM",
            "S-1-5-21-1-2-3-512",
            "*s-1-5-21-1-2-3-498",
            "S-1-5-21-1-2-3-+519",
            "S-1-5-21-1-2-3-500",
            "S-1-5-21-1-2-3-528",
            "S-1-5-21-1-2-512",
            "S-1-5-21-a-b-c-0512",
            "DnsAdmins",
        ]);
        let everyone: Vec<&str> = rules::EVERYONE_SIDS.iter().map(|(s, _)| *s).collect();
        agree(
            "logonRights.deny (everyone)",
            json!({ "pattern": names_sid(&everyone) }),
            |e| rules::entry_sid(e).is_some_and(|s| everyone.contains(&s.as_str())),
            &entries,
        );
        agree(
            "logonRights.deny (local account)",
            json!({ "pattern": names_sid(rules::LOCAL_ACCOUNT_SIDS) }),
            |e| {
                rules::entry_sid(e).is_some_and(|s| rules::LOCAL_ACCOUNT_SIDS.contains(&s.as_str()))
            },
            &entries,
        );
        agree(
            "domain group",
            domain_group(),
            rules::is_domain_group,
            &entries,
        );
    }

    #[test]
    fn accounts_hosts_guids_and_days_match_the_rules() {
        let accounts = strings(&[
            "Administrators",
            "Remote Desktop Users",
            "CORP\\RDP Admins",
            "S-1-5-32-555",
            "*S-1-5-32-555",
            "S-1-",
            "S-1-5-",
            "S-1-5--1",
            "S-1-x",
            "s-1-5-32",
            " Users",
            "Users ",
            "",
            " ",
            "a",
            "a,b",
            "a=b",
            "a\"b",
            "a*",
            "a;b",
            "[a]",
            "<a>",
            "a|b",
            "a\u{7}b",
            "a\u{85}b",
            "tab\there",
            "né",
            "Users\u{3000}",
            "*Users",
        ]);
        let mut accounts = accounts;
        accounts.push("x".repeat(256));
        accounts.push("x".repeat(257));
        agree("logonRights", account(), rules::is_account, &accounts);

        let mut hosts = strings(&[
            "lic01",
            "lic01.corp.example.com",
            "10.0.0.5",
            "2001:db8::5",
            "-lic",
            "lic-",
            "li_c",
            "lic..corp",
            ".lic",
            "lic.",
            "",
            "1.2.3.4.5",
            "01.2.3.4",
            "a",
            "a-b",
            "lic 01",
            "lic01\n",
            "::1",
            "::ffff:1.2.3.4",
            "ünicode",
            "LIC01",
        ]);
        hosts.push("a".repeat(63));
        hosts.push("a".repeat(64));
        hosts.push(vec!["a".repeat(63); 4].join("."));
        hosts.push(format!("{}.a", vec!["a".repeat(63); 3].join(".")));
        agree(
            "licensing.servers",
            host_name(),
            rules::is_host_name,
            &hosts,
        );

        let guids = strings(&[
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}",
            "{5b0f3f7e-2c7a-4c57-9e0b-6f1f2e6a9c11}",
            "5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11",
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C1}",
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C111}",
            "{5B0F3F7E2C7A-4C57-9E0B-6F1F2E6A9C11}",
            "{ZB0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}",
            " {5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}",
            "{}",
            "",
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11",
            "{-----}",
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}\n",
            "{5B0F3F7E--2C7A-4C57-9E0B-6F1F2E6A9C1}",
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11-}",
            "(5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11)",
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9Cé}",
            "{5B0F3F7E-2C7A-4C5-79E0B-6F1F2E6A9C11}",
            "{00000000-0000-0000-0000-000000000000}",
            "{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}}",
            "{{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}",
        ]);
        agree(
            "gpo.guid",
            json!({ "pattern": guid() }),
            rules::is_registry_guid,
            &guids,
        );

        let mut durations = strings(&[
            "never", "Never", "15m", "60m", "1h", "+1h", "01h", "3600s", "900s", "0m", "0s", "00d",
            "1d", "2d", "7m", "1.5h", "1 h", "1H", "", "m", "h1", "-1h", "1hh", "90000s", "5m",
            "300s", "16h", "960m", "3d", "72h", "4320m", "2h", "+0s",
        ]);
        for (name, _) in catalog::SESSION_DURATIONS {
            durations.push((*name).to_string());
        }
        agree(
            "sessions.idleTimeout",
            json!({ "pattern": duration() }),
            |d| catalog::session_duration_ms(d).is_some(),
            &durations,
        );

        let intervals = strings(&[
            "never", "Never", "1m", "0m", "01m", "+1m", "999999m", "1000000m", "9999h", "10000h",
            "99d", "100d", "1d", "2h", "1s", "", "m", "1", "1.5h", "1 h", "-1m", "1mm", "60m",
            "1H", "16666h", "0d", "5d",
        ]);
        agree(
            "connection.keepAlive",
            json!({ "pattern": keep_alive() }),
            |k| catalog::keep_alive_minutes(k).is_some(),
            &intervals,
        );

        let lockouts = strings(&[
            "until-unlocked",
            "Until-unlocked",
            "never",
            "0m",
            "1m",
            "01m",
            "99999m",
            "100000m",
            "1666h",
            "1667h",
            "1600h",
            "1599h",
            "1659h",
            "1660h",
            "69d",
            "70d",
            "60d",
            "9d",
            "0d",
            "1h",
            "15m",
            "",
            "m",
            "-1",
            "-1m",
            "1.5h",
            "1 h",
            "15M",
        ]);
        agree(
            "posture.accountLockout.duration",
            json!({ "pattern": lockout(true) }),
            |d| catalog::lockout_duration(d).is_some(),
            &lockouts,
        );
        agree(
            "posture.accountLockout.resetAfter",
            json!({ "pattern": lockout(false) }),
            |d| catalog::lockout_minutes(d).is_some(),
            &lockouts,
        );

        let mut days = strings(&[
            "2027-03-31",
            " 2027-03-31 ",
            "2027-3-31",
            "27-03-31",
            "2027-02-29",
            "2028-02-29",
            "1900-02-29",
            "2000-02-29",
            "2100-02-29",
            "2400-02-29",
            "0000-02-29",
            "0001-01-01",
            "9999-12-31",
            "2027-00-10",
            "2027-13-01",
            "2027-04-31",
            "2027-04-30",
            "2027-01-00",
            "2027-01-32",
            "+027-01-01",
            "-027-01-01",
            "2027/01/01",
            "2027-01-01T00:00:00Z",
            "2027-1-011",
            "",
            "2027-06-31",
            "2027-11-31",
            "2027-12-31",
            "1970-01-01",
            "1969-12-31",
            "2027-02-28\n",
            "\u{3000}2027-02-28",
        ]);
        for year in [1600, 1700, 1996, 2004, 2023, 2024] {
            days.push(format!("{year}-02-29"));
        }
        agree(
            "waivers.expires",
            json!({ "pattern": day() }),
            |d| crate::audit::waiver::parse_day(d).is_some(),
            &days,
        );
    }
}
