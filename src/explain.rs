//! `rdpgen explain`: resolves a topic (policy field, section, registry value name, diagnostic
//! code, RDP error code, cause id) against the catalog, and renders the answer as text or JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::catalog::{self, Cause, Data, Element, Mapping, Setting, State};
use crate::diagnostic::Code;

/// What a topic resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    Field(&'static Setting),
    Section {
        name: String,
        settings: Vec<&'static Setting>,
    },
    ValueName {
        name: String,
        settings: Vec<&'static Setting>,
    },
    Diagnostic(Code),
    /// `0x904`, `0x904/0x7`: every known cause.
    ErrorCode {
        code: String,
        causes: Vec<&'static Cause>,
    },
    Cause(&'static Cause),
    /// An ADMX policy by id (`TerminalServer/TS_MAXDISPLAYRES`), by name, or by an `admx:`
    /// check id.
    AdmxPolicy(&'static catalog::admx::Policy),
    /// Found by search: an alias (event id, key name, keyword) or words of cause titles.
    Matches {
        query: String,
        /// Why each cause matched, and the cause.
        causes: Vec<(String, &'static Cause)>,
    },
}

/// Words people search for, each with the causes it belongs to and what it is.
pub const ALIASES: &[(&str, &[&str], &str)] = &[
    (
        "1054",
        &["C1"],
        "TermService event 1054: the certificate lacks a usable EKU or cannot be used for server authentication",
    ),
    (
        "1055",
        &["C2"],
        "TermService event 1055: the listener could not use the certificate's private key",
    ),
    (
        "1057",
        &["C1"],
        "TermService event 1057: a new self-signed certificate could not be created",
    ),
    (
        "1058",
        &["C1", "C2"],
        "TermService event 1058: the expired self-signed certificate could not be replaced",
    ),
    (
        "36870",
        &["C2"],
        "Schannel event 36870: the TLS server credential's private key could not be accessed",
    ),
    (
        "36871",
        &["C2", "C4"],
        "Schannel event 36871: the TLS server credential could not be created",
    ),
    (
        "36874",
        &["C4"],
        "Schannel event 36874: no protocol or cipher suite in common with the client",
    ),
    (
        "36888",
        &["C4"],
        "Schannel event 36888: a fatal alert was generated during the handshake",
    ),
    (
        "MSLicensing",
        &["C8"],
        "the client's license cache key HKLM\\SOFTWARE\\Microsoft\\MSLicensing",
    ),
    (
        "MachineKeys",
        &["C2"],
        "%ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys, where the listener certificate's private key lives",
    ),
    (
        "NETWORK SERVICE",
        &["C2"],
        "the account TermService runs as, which must read the private key",
    ),
    (
        "VPN",
        &["C11"],
        "VPNs and middleboxes that drop or mangle RDP's UDP transport",
    ),
    ("UDP", &["C11"], "RDP's UDP transport (SelectTransport)"),
    (
        "SCHANNEL",
        &["C4"],
        "the Windows TLS provider whose protocol keys enable TLS versions",
    ),
    ("CredSSP", &["C10"], "the NLA authentication protocol"),
    (
        "self-signed",
        &["C1"],
        "the listener's own certificate in Cert:\\LocalMachine\\Remote Desktop",
    ),
    ("fEnableWinStation", &["C6"], "the RDP-Tcp listener switch"),
    ("TSServerDrainMode", &["C6"], "`change logon /drain`"),
    ("WinStationsDisabled", &["C6"], "`change logon /disable`"),
    (
        "drain",
        &["C6"],
        "`change logon /drain`: new logons refused",
    ),
    (
        "license",
        &["C8", "C9"],
        "RDS licensing, server and client side",
    ),
];

/// Exact topics failed: aliases first, then the words of cause titles.
fn search(t: &str) -> Option<Topic> {
    let lower = t.to_ascii_lowercase();
    if lower == "0x7" || lower == "7" {
        return Some(Topic::ErrorCode {
            code: "0x904/0x7".into(),
            causes: catalog::CAUSES.iter().collect(),
        });
    }
    let mut causes: Vec<(String, &'static Cause)> = Vec::new();
    fn add(causes: &mut Vec<(String, &'static Cause)>, why: String, c: &'static Cause) {
        if !causes.iter().any(|(_, x)| x.id == c.id) {
            causes.push((why, c));
        }
    }
    for (alias, ids, what) in ALIASES {
        if alias.eq_ignore_ascii_case(t) {
            for id in *ids {
                if let Some(c) = catalog::cause(id) {
                    add(&mut causes, (*what).to_string(), c);
                }
            }
        }
    }
    if causes.is_empty() {
        let words: Vec<String> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| w.len() >= 3)
            .map(str::to_string)
            .collect();
        for c in catalog::CAUSES {
            let title = c.title.to_ascii_lowercase();
            let title_words: Vec<&str> = title
                .split(|ch: char| !ch.is_alphanumeric() && ch != '-')
                .collect();
            let hits: Vec<&String> = words
                .iter()
                .filter(|w| title_words.iter().any(|tw| tw.starts_with(w.as_str())))
                .collect();
            if !words.is_empty() && hits.len() == words.len() {
                add(&mut causes, format!("title matches `{t}`"), c);
            }
        }
    }
    (!causes.is_empty()).then(|| Topic::Matches {
        query: t.to_string(),
        causes,
    })
}

/// Resolves a topic, or returns the closest topics when nothing matches.
///
/// # Errors
/// Suggestions (possibly none) when the topic is unknown.
pub fn resolve(topic: &str) -> Result<Topic, Vec<String>> {
    let t = topic.trim();
    if let Some(s) = catalog::setting(t) {
        return Ok(Topic::Field(s));
    }
    if let Ok(code) = t.parse::<Code>() {
        return Ok(Topic::Diagnostic(code));
    }
    if let Some(code) = error_code(t) {
        return Ok(Topic::ErrorCode {
            code,
            causes: catalog::CAUSES.iter().collect(),
        });
    }
    if let Some(c) = catalog::cause(t) {
        return Ok(Topic::Cause(c));
    }
    let section: Vec<&'static Setting> = catalog::SETTINGS
        .iter()
        .filter(|s| {
            s.field
                .strip_prefix(t)
                .is_some_and(|rest| rest.starts_with('.'))
        })
        .collect();
    if !section.is_empty() {
        return Ok(Topic::Section {
            name: t.to_string(),
            settings: section,
        });
    }
    if let Some(p) = admx_policy(t) {
        return Ok(Topic::AdmxPolicy(p));
    }
    let by_value: Vec<&'static Setting> = catalog::settings_by_value_name(t).collect();
    if !by_value.is_empty() {
        return Ok(Topic::ValueName {
            name: t.to_string(),
            settings: by_value,
        });
    }
    // Case-insensitive field names (`Security.NLA`).
    if let Some(s) = catalog::SETTINGS
        .iter()
        .find(|s| s.field.eq_ignore_ascii_case(t))
    {
        return Ok(Topic::Field(s));
    }
    if let Some(found) = search(t) {
        return Ok(found);
    }
    let mut candidates: Vec<&str> = catalog::SETTINGS.iter().map(|s| s.field).collect();
    candidates.extend(
        catalog::SETTINGS
            .iter()
            .filter_map(|s| s.policy.map(|p| p.value_name)),
    );
    candidates.extend(["0x904/0x7"]);
    Err(crate::diagnostic::suggest(t, candidates)
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// An ADMX policy: `TerminalServer/TS_MAXDISPLAYRES`, a policy name found in one file only
/// (`TS_MAXDISPLAYRES`), or a `diff` check id (`admx:TerminalServer/TS_MAXDISPLAYRES:MaxXResolution`).
fn admx_policy(t: &str) -> Option<&'static catalog::admx::Policy> {
    let t = t.strip_prefix("admx:").unwrap_or(t);
    let id = match t.split_once('/') {
        Some((stem, rest)) => format!("{stem}/{}", rest.split(':').next().unwrap_or(rest)),
        None => t.to_string(),
    };
    if id.contains('/') {
        return catalog::admx::lookup(&id).or_else(|| {
            // Case-insensitive, as people type ids.
            catalog::admx::all().find(|p| p.id().eq_ignore_ascii_case(&id))
        });
    }
    let mut found = catalog::admx::by_name(&id);
    match (found.next(), found.next()) {
        (Some(p), None) => Some(p),
        _ => None,
    }
}

fn admx_value_text(v: catalog::admx::Value) -> String {
    match v {
        catalog::admx::Value::Decimal(n) => format!("REG_DWORD {n}"),
        catalog::admx::Value::LongDecimal(n) => format!("REG_QWORD {n}"),
        catalog::admx::Value::String(s) => format!("REG_SZ {s:?}"),
        catalog::admx::Value::Delete => "deleted".into(),
    }
}

/// What each state of an ADMX policy writes, one line per value.
fn admx_state_lines(p: &catalog::admx::Policy, state: State) -> Vec<String> {
    use catalog::admx::{ElementKind, Value};
    let mut out = Vec::new();
    let at = |k: &str, name: &str| {
        if k.eq_ignore_ascii_case(p.key) {
            name.to_string()
        } else {
            format!("{k}\\{name}")
        }
    };
    let (own, list) = match state {
        State::Enabled => (
            p.value_name
                .map(|v| (v, p.enabled_value.unwrap_or(Value::Decimal(1)))),
            p.enabled_list,
        ),
        State::Disabled => (
            p.value_name
                .map(|v| (v, p.disabled_value.unwrap_or(Value::Delete))),
            p.disabled_list,
        ),
    };
    if let Some((name, v)) = own {
        out.push(format!("{name} = {}", admx_value_text(v)));
    }
    for i in list {
        out.push(format!(
            "{} = {}",
            at(i.key, i.value_name),
            admx_value_text(i.value)
        ));
    }
    for e in p.elements {
        let target = if matches!(e.kind, ElementKind::List { .. }) {
            format!("the values of {}", e.key)
        } else {
            at(e.key, e.value_name)
        };
        match state {
            State::Enabled => out.push(format!(
                "{target} ← element `{}`: {}",
                e.id,
                catalog::admx::describe(&e.kind)
            )),
            State::Disabled => out.push(match &e.kind {
                ElementKind::List { .. } => {
                    format!("{target} cleared (`**delvals.`: rdpgen refuses this state)")
                }
                ElementKind::Boolean { off: Some(v), .. } => {
                    format!("{target} = {}", admx_value_text(*v))
                }
                _ => format!("{target} deleted"),
            }),
        }
    }
    out
}

fn admx_text(p: &catalog::admx::Policy, out: &mut String) {
    use catalog::admx::{ElementKind, PolicyClass};
    let _ = writeln!(
        out,
        "{} ({}, class {}, supported on {})",
        p.id(),
        p.file,
        p.class.as_str(),
        if p.supported_on.is_empty() {
            "-"
        } else {
            p.supported_on
        }
    );
    let _ = writeln!(out, "  key: HKLM\\{}", p.key);
    if let Some(field) = catalog::admx::typed_field(p) {
        let _ = writeln!(
            out,
            "  set by the field `{}` (`rdpgen explain {}`); `admx:` refuses it (RDP062)",
            field.field, field.field
        );
    }
    if p.class == PolicyClass::User {
        let _ = writeln!(
            out,
            "  a User policy: rdpgen writes Computer Configuration only (RDP061)"
        );
    }
    for (state, name) in [(State::Enabled, "Enabled"), (State::Disabled, "Disabled")] {
        let _ = writeln!(out, "  {name} writes:");
        for line in admx_state_lines(p, state) {
            let _ = writeln!(out, "    {line}");
        }
    }
    let _ = writeln!(
        out,
        "  in a policy:\n    admx:\n      - policy: {}\n        state: enabled",
        p.id()
    );
    if !p.elements.is_empty() {
        let _ = writeln!(out, "        values:");
        for e in p.elements {
            let example = match &e.kind {
                ElementKind::Boolean { .. } => "true".to_string(),
                ElementKind::Decimal { min, .. } => min.to_string(),
                ElementKind::LongDecimal { min, .. } => min.to_string(),
                ElementKind::Text { .. } => "\"...\"".to_string(),
                ElementKind::Enum { items, .. } => items
                    .first()
                    .map_or_else(String::new, |i| i.name.to_string()),
                ElementKind::List {
                    explicit_value: true,
                    ..
                } => "{name: data}".to_string(),
                ElementKind::List { .. } | ElementKind::MultiText { .. } => "[\"...\"]".to_string(),
            };
            let _ = writeln!(out, "          {}: {example}", e.id);
        }
    }
}

fn admx_json(p: &catalog::admx::Policy) -> Value {
    json!({
        "id": p.id(), "file": p.file, "name": p.name, "class": p.class.as_str(),
        "key": format!("HKLM\\{}", p.key),
        "supportedOn": p.supported_on,
        "typedField": catalog::admx::typed_field(p).map(|s| s.field),
        "elements": p.elements.iter().map(|e| json!({
            "id": e.id, "kind": e.kind.tag(), "valueName": e.value_name,
            "key": format!("HKLM\\{}", e.key),
            "accepts": catalog::admx::describe(&e.kind),
        })).collect::<Vec<_>>(),
        "enabled": admx_state_lines(p, State::Enabled),
        "disabled": admx_state_lines(p, State::Disabled),
    })
}

/// `0x904`, `0x00000904`, `0x904/0x7`, `0x904 0x7`, `2308` → the canonical spelling.
fn error_code(t: &str) -> Option<String> {
    let parts: Vec<&str> = t
        .split(|c: char| c == '/' || c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let parse = |p: &str| -> Option<u32> {
        match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => p.parse().ok(),
        }
    };
    match parts.as_slice() {
        [main] if parse(main) == Some(0x904) => Some("0x904".into()),
        [main, ext] if parse(main) == Some(0x904) && parse(ext).is_some() => {
            Some(format!("0x904/0x{:x}", parse(ext)?))
        }
        _ => None,
    }
}

fn data_text(d: Data) -> String {
    match d {
        Data::Dword(v) => format!("REG_DWORD {v}"),
        Data::Sz(s) => format!("REG_SZ {s:?}"),
    }
}

/// How each value of the field lands in the registry, one line each.
fn value_lines(s: &Setting) -> Vec<String> {
    let Some(p) = s.policy else {
        return Vec::new();
    };
    let name = p.value_name;
    match s.mapping {
        Mapping::Bool { when_true } => {
            let (t_state, f_state) = match when_true {
                State::Enabled => (State::Enabled, State::Disabled),
                State::Disabled => (State::Disabled, State::Enabled),
            };
            let data = |st: State| match st {
                State::Enabled => p.enabled,
                State::Disabled => p.disabled,
            };
            [(true, t_state), (false, f_state)]
                .into_iter()
                .map(|(b, st)| {
                    format!(
                        "{b} -> policy {:?}: {name} = {}",
                        st,
                        data(st).map_or_else(|| "deleted".to_string(), data_text)
                    )
                })
                .collect()
        }
        Mapping::Enum(table) => table
            .iter()
            .map(|(v, d)| format!("{v} -> policy Enabled: {name} = REG_DWORD {d}"))
            .collect(),
        Mapping::Duration => catalog::SESSION_DURATIONS
            .iter()
            .map(|(v, ms)| format!("{v} -> policy Enabled: {name} = REG_DWORD {ms}"))
            .collect(),
        Mapping::Text => vec![format!("text -> policy Enabled: {name} = REG_SZ <text>")],
        Mapping::CommaList => vec![format!(
            "list -> policy Enabled: {name} = REG_SZ <items joined with ,>"
        )],
        Mapping::Count => match p.element {
            Some(Element::Decimal { min, max, .. }) => vec![format!(
                "{min}..{max} -> policy Enabled: {name} = REG_DWORD <number>"
            )],
            _ => Vec::new(),
        },
        Mapping::Minutes => match (p.element, p.enabled, p.disabled) {
            (Some(Element::Decimal { value_name, .. }), Some(on), Some(off)) => vec![
                format!(
                    "Nm | Nh | Nd -> policy Enabled: {name} = {}, {value_name} = REG_DWORD <minutes>",
                    data_text(on)
                ),
                format!("never -> policy Disabled: {name} = {}", data_text(off)),
            ],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn field_text(s: &Setting, out: &mut String) {
    let _ = writeln!(out, "{} — {}\n", s.field, s.title);
    let _ = writeln!(out, "{}\n", s.explanation);
    let _ = writeln!(out, "Values: {}", s.values);
    for line in value_lines(s) {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(p) = s.policy {
        let _ = writeln!(
            out,
            "Group Policy: {} {} ({:?}), supported on {}",
            p.file, p.id, p.class, p.supported_on
        );
        let _ = writeln!(
            out,
            "  HKLM\\{}\\{}  {}",
            p.key,
            p.value_name,
            p.value_type.as_str()
        );
        if p.element.is_some() {
            let disabled = p.disabled.map_or_else(
                || format!("deletes {}", p.value_name),
                |d| format!("writes {} = {}", p.value_name, data_text(d)),
            );
            let _ = writeln!(out, "  the policy's Disabled state {disabled}");
        }
        match p.element {
            Some(Element::Enum { id, .. } | Element::Text { id }) => {
                let _ = writeln!(out, "  ADMX element: {id}");
            }
            Some(Element::Decimal {
                id,
                value_name,
                min,
                max,
            }) => {
                let _ = writeln!(
                    out,
                    "  ADMX element: {id} (decimal {min}..{max}): HKLM\\{}\\{value_name}  REG_DWORD",
                    p.key
                );
            }
            None => {}
        }
    }
    if !s.local.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            if s.policy.is_some() {
                "Local value (read by `rdpgen diff`; the policy value wins while present):"
            } else {
                "Written to (no Microsoft ADMX covers it; the GPO carries it through rdpgen's ADMX or preferences):"
            }
        );
        for l in s.local {
            let key = if s.field == "tls.minVersion" {
                format!("{}\\TLS <version>\\Server", l.key)
            } else {
                l.key.to_string()
            };
            let default = l.windows_default.map_or_else(
                || "absent by default".to_string(),
                |d| format!("Windows default {}", data_text(d)),
            );
            let _ = writeln!(
                out,
                "  HKLM\\{key}\\{}  {}  ({default})",
                l.value_name,
                l.value_type.as_str()
            );
        }
    }
    if let Some(w) = s.wmi {
        let _ = writeln!(out, "WMI: {w}");
    }
    for (label, list) in [("CIS", s.cis), ("DISA STIG", s.stig)] {
        if list.is_empty() {
            let _ = writeln!(out, "{label}: no recommendation");
        }
        for b in list {
            let _ = writeln!(
                out,
                "{label}: {} {}: {} ({})",
                b.id, b.level, b.value, b.source
            );
        }
    }
    for id in s.causes {
        if let Some(c) = catalog::cause(id) {
            let _ = writeln!(out, "0x904/0x7 cause {}: {}", c.id, c.title);
        }
    }
}

fn cause_text(c: &Cause, out: &mut String) {
    let _ = writeln!(out, "{} {}", c.id, c.title);
    let _ = writeln!(out, "  why: {}", c.mechanism);
    if c.prevented_by.is_empty() {
        let _ = writeln!(out, "  prevented by: no server policy field (client side)");
    } else {
        let fields: Vec<String> = c.prevented_by.iter().map(|f| format!("`{f}`")).collect();
        let _ = writeln!(out, "  prevented by: {}", fields.join(", "));
    }
    let _ = writeln!(out, "  rdpgen diff checks: {}", c.detected_by);
    let _ = writeln!(out, "  fix: {}", c.remediation);
}

/// The answer as text.
#[must_use]
pub fn render_text(topic: &Topic) -> String {
    let mut out = String::new();
    match topic {
        Topic::Field(s) if s.field == "admx" => {
            field_text(s, &mut out);
            let _ = writeln!(
                out,
                "\nThe Machine policies `admx:` takes (`rdpgen explain <id>` for one):"
            );
            for p in catalog::admx::all().filter(|p| p.class != catalog::admx::PolicyClass::User) {
                match catalog::admx::typed_field(p) {
                    Some(f) => {
                        let _ = writeln!(out, "  {} (set by `{}`)", p.id(), f.field);
                    }
                    None => {
                        let _ = writeln!(out, "  {}", p.id());
                    }
                }
            }
        }
        Topic::Field(s) => field_text(s, &mut out),
        Topic::Section { name, settings } | Topic::ValueName { name, settings } => {
            let what = if matches!(topic, Topic::Section { .. }) {
                "section"
            } else {
                "registry value"
            };
            let _ = writeln!(
                out,
                "{what} `{name}`: {} setting{}\n",
                settings.len(),
                if settings.len() == 1 { "" } else { "s" }
            );
            for (i, s) in settings.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                field_text(s, &mut out);
            }
        }
        Topic::Diagnostic(code) => {
            let _ = writeln!(
                out,
                "{} ({:?}): {}\n",
                code.as_str(),
                code.severity(),
                code.title()
            );
            let _ = writeln!(out, "{}", code.explanation());
        }
        Topic::ErrorCode { code, causes } => {
            let _ = writeln!(
                out,
                "RDP error {code}: the client gave up while building the secure channel, before logon.\n\
                 Microsoft publishes no meaning for the code pair; these are the known failure points\n\
                 of the TLS, CredSSP and licensing handshake that report it:\n"
            );
            for c in causes {
                cause_text(c, &mut out);
                out.push('\n');
            }
        }
        Topic::Cause(c) => cause_text(c, &mut out),
        Topic::AdmxPolicy(p) => admx_text(p, &mut out),
        Topic::Matches { query, causes } => {
            let _ = writeln!(
                out,
                "`{query}` matches {} cause{} of RDP error 0x904/0x7:\n",
                causes.len(),
                if causes.len() == 1 { "" } else { "s" }
            );
            for (why, c) in causes {
                let _ = writeln!(out, "{why}");
                cause_text(c, &mut out);
                out.push('\n');
            }
        }
    }
    out
}

fn setting_json(s: &Setting) -> Value {
    json!({
        "field": s.field,
        "title": s.title,
        "explanation": s.explanation,
        "values": s.values,
        "registry": value_lines(s),
        "policy": s.policy.map(|p| json!({
            "admx": p.file, "id": p.id, "class": format!("{:?}", p.class),
            "key": format!("HKLM\\{}", p.key), "valueName": p.value_name, "type": p.value_type.as_str(),
            "supportedOn": p.supported_on,
        })),
        "local": s.local.iter().map(|l| json!({
            "key": format!("HKLM\\{}", l.key), "valueName": l.value_name, "type": l.value_type.as_str(),
            "windowsDefault": l.windows_default.map(data_text),
        })).collect::<Vec<_>>(),
        "wmi": s.wmi,
        "cis": s.cis.iter().map(|b| json!({"id": b.id, "level": b.level, "value": b.value, "source": b.source})).collect::<Vec<_>>(),
        "stig": s.stig.iter().map(|b| json!({"id": b.id, "level": b.level, "value": b.value, "source": b.source})).collect::<Vec<_>>(),
        "causes": s.causes,
    })
}

fn cause_json(c: &Cause) -> Value {
    json!({
        "id": c.id, "title": c.title, "mechanism": c.mechanism,
        "preventedBy": c.prevented_by, "detectedBy": c.detected_by, "remediation": c.remediation,
    })
}

/// The answer as JSON.
#[must_use]
pub fn render_json(topic: &Topic) -> Value {
    match topic {
        Topic::Field(s) => json!({"kind": "field", "setting": setting_json(s)}),
        Topic::Section { name, settings } => {
            json!({"kind": "section", "name": name, "settings": settings.iter().map(|s| setting_json(s)).collect::<Vec<_>>()})
        }
        Topic::ValueName { name, settings } => {
            json!({"kind": "registryValue", "name": name, "settings": settings.iter().map(|s| setting_json(s)).collect::<Vec<_>>()})
        }
        Topic::Diagnostic(c) => {
            json!({"kind": "diagnostic", "code": c.as_str(), "severity": c.severity(), "title": c.title(), "explanation": c.explanation()})
        }
        Topic::ErrorCode { code, causes } => {
            json!({"kind": "errorCode", "code": code, "causes": causes.iter().map(|c| cause_json(c)).collect::<Vec<_>>()})
        }
        Topic::Cause(c) => json!({"kind": "cause", "cause": cause_json(c)}),
        Topic::AdmxPolicy(p) => json!({"kind": "admxPolicy", "policy": admx_json(p)}),
        Topic::Matches { query, causes } => json!({
            "kind": "search", "query": query,
            "matches": causes.iter().map(|(why, c)| json!({"why": why, "cause": cause_json(c)})).collect::<Vec<_>>(),
        }),
    }
}

/// The policy language reference (`docs/policy-language.md`): every field of the catalog with
/// its values, registry mapping and benchmark items, in catalog order, grouped by section.
/// Generated from the same data `explain` answers from, and checked by a test against the
/// committed file and the JSON Schema, so it cannot go stale.
#[must_use]
pub fn language_reference() -> String {
    let mut out = String::from(
        "# rdpgen policy language reference\n\n\
         <!-- Generated from rdpgen's settings catalog: `UPDATE_SNAPSHOTS=1 cargo test --test cli docs` rewrites it; a test fails when it is stale. -->\n\n\
         A policy is a YAML file with `rdpgen: 1`, a `name` (`^[a-z0-9][a-z0-9-]{0,62}$`, names the\n\
         outputs and seeds the GPO GUID), an optional `description` and `extends` (built-in\n\
         baselines `cis-level1`, `cis-level2`, `stig`, `msft-baseline`, `break-glass`, or relative\n\
         paths; maps merge key by key, scalars and lists are replaced whole), and the sections below. Every field is optional:\n\
         an absent field is \"not configured\" and writes nothing. The JSON Schema is\n\
         `policies/rdpgen.schema.json` (`rdpgen schema`); `rdpgen explain FIELD` prints the same\n\
         entry as here.\n",
    );
    let mut section = "";
    for s in catalog::SETTINGS {
        let this = s.field.split('.').next().unwrap_or("");
        if this != section {
            section = this;
            let _ = writeln!(out, "\n## `{section}`\n");
        }
        let _ = writeln!(out, "### `{}`\n\n{}\n", s.field, s.title);
        let _ = writeln!(out, "{}\n", s.explanation);
        let _ = writeln!(out, "- Values: {}", s.values);
        for line in value_lines(s) {
            let _ = writeln!(out, "  - `{line}`");
        }
        if let Some(p) = s.policy {
            let _ = writeln!(
                out,
                "- Group Policy: {} `{}` — `HKLM\\{}\\{}` ({})",
                p.file,
                p.id,
                p.key,
                p.value_name,
                p.value_type.as_str()
            );
        }
        for l in s.local {
            let _ = writeln!(
                out,
                "- {}: `HKLM\\{}\\{}` ({})",
                if s.policy.is_some() {
                    "Local value"
                } else {
                    "Written to"
                },
                l.key,
                l.value_name,
                l.value_type.as_str()
            );
        }
        for b in s.cis {
            let _ = writeln!(
                out,
                "- CIS {} {}: `{}` ({})",
                b.id, b.level, b.value, b.source
            );
        }
        for b in s.stig {
            let _ = writeln!(
                out,
                "- STIG {} {}: `{}` ({})",
                b.id, b.level, b.value, b.source
            );
        }
        if !s.causes.is_empty() {
            let _ = writeln!(out, "- 0x904/0x7 causes: {}", s.causes.join(", "));
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
