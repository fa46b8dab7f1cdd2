//! Registry entries and user rights back to policy fields, driven by the catalog: each
//! setting's Group Policy (key, value name, the data its Enabled and Disabled states write,
//! its enum items) and its local values are inverted generically, so a setting added to the
//! catalog is imported without code here. Only the settings that `lower` writes with dedicated
//! code (port, thumbprint, TLS versions, firewall rules, logon rights) have dedicated readers.

use serde_json::{Value, json};

use std::collections::BTreeSet;

use super::{Action, ConflictOn, Entry, GpoInfo, Input, Origin, describe_action};
use crate::catalog::{self, AdmxPolicy, Data, Element, Mapping, Setting, State, keys};
use crate::firewall_address::FirewallAddress;
use crate::formats::firewall_rule::RuleString;
use crate::formats::{Hive, RegistryValue};
use crate::model::TlsVersion;

/// One imported field: its value in policy-language JSON and what it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub field: &'static str,
    pub value: Value,
    /// `SecurityLayer = 2`, for the YAML comment; only catalog text and numbers.
    pub note: Option<String>,
}

/// A value or line no field covers, listed in the YAML and on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    pub what: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, Default)]
pub struct Mapped {
    pub fields: Vec<Field>,
    /// Sections that must be written even when they hold no field (`firewall: {}`).
    pub empty_sections: Vec<&'static str>,
    pub unmapped: Vec<Unmapped>,
    /// Values that map to a field with data the field cannot express.
    pub errors: Vec<String>,
    /// The policy name rdpgen's own firewall rules carry.
    pub name_hint: Option<String>,
    pub gpo: Option<GpoInfo>,
    /// The values ([`Entry::id`]) and rights (lower-case names) that became fields.
    pub imported: BTreeSet<ConflictOn>,
}

impl Mapped {
    /// The imported fields as a policy (named `name`), in policy-language JSON: what the
    /// round-trip tests compare (the import writes YAML through `super::yaml`).
    #[cfg(test)]
    #[must_use]
    pub fn to_json(&self, name: &str) -> Value {
        let mut root = serde_json::Map::new();
        root.insert("rdpgen".into(), json!(1));
        root.insert("name".into(), json!(name));
        for section in &self.empty_sections {
            root.entry((*section).to_string())
                .or_insert_with(|| json!({}));
        }
        for f in &self.fields {
            // `admx` at the top, `security.layer` in its section, `posture.firewall.enabled`
            // two levels down.
            let mut value = f.value.clone();
            let parts: Vec<&str> = f.field.split('.').collect();
            for part in parts[1..].iter().rev() {
                value = json!({ *part: value });
            }
            merge(
                root.entry(parts[0].to_string()).or_insert(Value::Null),
                value,
            );
        }
        Value::Object(root)
    }
}

/// `value` merged into `into`: objects key by key, anything else replaced.
#[cfg(test)]
fn merge(into: &mut Value, value: Value) {
    match (into, value) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

struct Mapper<'a> {
    entries: &'a [Entry],
    used: Vec<bool>,
    out: Mapped,
}

fn data_matches(data: Data, value: &RegistryValue) -> bool {
    match (data, value) {
        (Data::Dword(d), RegistryValue::Dword(v)) => d == *v,
        (Data::Sz(s), RegistryValue::Sz(v)) => s == v,
        _ => false,
    }
}

fn data_text(data: Data) -> String {
    match data {
        Data::Dword(d) => d.to_string(),
        Data::Sz(s) => format!("{s:?}"),
    }
}

impl<'a> Mapper<'a> {
    fn find(&self, hive: Hive, key: &str, name: &str) -> Option<usize> {
        self.entries.iter().rposition(|e| e.is(hive, key, name))
    }

    /// The value the sources set at the setting's (first) local location, marked as used;
    /// `None` when no source sets it.
    fn local_value(&mut self, setting: &'static Setting) -> Option<(&'a Entry, &'a RegistryValue)> {
        let local = setting.local.first()?;
        let i = self.find(Hive::LocalMachine, local.key, local.value_name)?;
        let e: &'a Entry = &self.entries[i];
        let Action::Set(v) = &e.action else {
            return None;
        };
        self.used[i] = true;
        Some((e, v))
    }

    fn push(&mut self, field: &'static str, value: Value, note: Option<String>) {
        self.out.fields.push(Field { field, value, note });
    }

    fn error(&mut self, e: &Entry, field: &str, why: &str) {
        self.out.errors.push(format!(
            "{}: {}\\{} `{}` is {}, which `{field}` cannot express: {why}",
            e.origin,
            e.hive.short_name(),
            e.key,
            crate::escape::single_line(&e.name),
            describe_action(&e.action)
        ));
    }

    /// The field value a registry datum means under the setting's mapping.
    fn decode(
        setting: &Setting,
        policy: Option<&AdmxPolicy>,
        value: &RegistryValue,
    ) -> Result<Value, String> {
        match setting.mapping {
            Mapping::Bool { when_true } => {
                let Some(p) = policy else {
                    return Err("no Group Policy states to compare with".into());
                };
                let state = match (p.enabled, p.disabled) {
                    (Some(en), _) if data_matches(en, value) => State::Enabled,
                    (_, Some(dis)) if data_matches(dis, value) => State::Disabled,
                    _ => {
                        let states: Vec<String> = [("Enabled", p.enabled), ("Disabled", p.disabled)]
                            .into_iter()
                            .filter_map(|(n, d)| d.map(|d| format!("{} ({n})", data_text(d))))
                            .collect();
                        return Err(format!("{} writes only {}", p.id, states.join(" or ")));
                    }
                };
                Ok(Value::Bool(state == when_true))
            }
            Mapping::Enum(table) => match value {
                RegistryValue::Dword(v) => table
                    .iter()
                    .find(|(_, d)| d == v)
                    .map(|(name, _)| Value::String((*name).to_string()))
                    .ok_or_else(|| {
                        let items: Vec<String> =
                            table.iter().map(|(n, d)| format!("{d} ({n})")).collect();
                        format!("the field takes {}", items.join(", "))
                    }),
                _ => Err("the field is a REG_DWORD".into()),
            },
            Mapping::Duration => match value {
                RegistryValue::Dword(v) => catalog::SESSION_DURATIONS
                    .iter()
                    .find(|(_, ms)| ms == v)
                    .map(|(name, _)| Value::String((*name).to_string()))
                    .ok_or_else(|| {
                        "Group Policy offers only never, 1m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 8h, 12h, 16h, 18h, 1d, 2d, 3d, 4d, 5d (in milliseconds)".into()
                    }),
                _ => Err("the field is a REG_DWORD of milliseconds".into()),
            },
            Mapping::Text => match value {
                RegistryValue::Sz(s) if !s.is_empty() => Ok(Value::String(s.clone())),
                RegistryValue::Sz(_) => Err("the text is empty".into()),
                _ => Err("the field is a REG_SZ".into()),
            },
            Mapping::CommaList => match value {
                RegistryValue::Sz(s) => {
                    let items: Vec<&str> = s.split(',').collect();
                    if items.iter().any(|i| i.is_empty() || i.trim() != *i) {
                        return Err("the field writes its items joined by `,` without spaces or empty items".into());
                    }
                    Ok(json!(items))
                }
                _ => Err("the field is a REG_SZ list joined by `,`".into()),
            },
            Mapping::Count => match (value, policy.and_then(|p| p.element)) {
                (RegistryValue::Dword(v), Some(Element::Decimal { min, max, .. }))
                    if (min..=max).contains(v) =>
                {
                    Ok(json!(v))
                }
                (_, Some(Element::Decimal { min, max, .. })) => {
                    Err(format!("the field is a REG_DWORD from {min} to {max}"))
                }
                _ => Err("the field has no decimal element".into()),
            },
            Mapping::Minutes | Mapping::Special | Mapping::AuditOnly | Mapping::Metadata => {
                Err("the field has no generic mapping".into())
            }
        }
    }

    fn note(name: &str, value: &RegistryValue) -> Option<String> {
        match value {
            RegistryValue::Dword(d) => Some(format!("{name} = {d}")),
            _ => None,
        }
    }

    /// A setting with the generic mappings: the policy value, else a local value.
    fn generic(&mut self, setting: &'static Setting) {
        let mut found: Option<Value> = None;
        if let Some(p) = &setting.policy
            && let Some(i) = self.find(Hive::LocalMachine, p.key, p.value_name)
        {
            self.used[i] = true;
            let e = &self.entries[i];
            match &e.action {
                Action::Set(v) => match Self::decode(setting, Some(p), v) {
                    Ok(value) => {
                        let note = Self::note(p.value_name, v);
                        self.push(setting.field, value.clone(), note);
                        found = Some(value);
                    }
                    Err(why) => self.error(e, setting.field, &why),
                },
                Action::Delete => {
                    self.used[i] = false;
                }
            }
        }
        for local in setting.local {
            let Some(i) = self.find(Hive::LocalMachine, local.key, local.value_name) else {
                continue;
            };
            let e = &self.entries[i];
            let Action::Set(v) = &e.action else {
                continue;
            };
            let decoded = Self::decode(setting, setting.policy.as_ref(), v);
            match (&found, decoded) {
                (Some(policy_value), Ok(local_value)) if *policy_value == local_value => {
                    self.used[i] = true;
                }
                (Some(_), _) => {
                    // Shadowed on the host by the policy value; listed, not imported.
                }
                (None, Ok(value)) => {
                    self.used[i] = true;
                    let note = Self::note(local.value_name, v).map(|n| format!("{n} (local)"));
                    self.push(setting.field, value.clone(), note);
                    found = Some(value);
                }
                (None, Err(why)) => {
                    self.used[i] = true;
                    self.error(e, setting.field, &why);
                }
            }
        }
    }

    fn port(&mut self, setting: &'static Setting) {
        let Some((e, v)) = self.local_value(setting) else {
            return;
        };
        match v {
            RegistryValue::Dword(p) if (1..=65535).contains(p) => {
                self.push(setting.field, json!(p), None);
            }
            _ => self.error(e, setting.field, "the port is a REG_DWORD from 1 to 65535"),
        }
    }

    /// `TS_KEEP_ALIVE`: KeepAliveEnable 0 is `never`; 1 with KeepAliveInterval N is `Nm`.
    fn keep_alive(&mut self, setting: &'static Setting) {
        let Some(p) = setting.policy else { return };
        let Some(Element::Decimal {
            value_name: interval_name,
            min,
            max,
            ..
        }) = p.element
        else {
            return;
        };
        let Some(i) = self.find(Hive::LocalMachine, p.key, p.value_name) else {
            return;
        };
        let e = &self.entries[i];
        let Action::Set(v) = &e.action else { return };
        self.used[i] = true;
        match v {
            RegistryValue::Dword(0) => {
                self.push(setting.field, json!("never"), Self::note(p.value_name, v));
            }
            RegistryValue::Dword(1) => {
                let interval = self
                    .find(Hive::LocalMachine, p.key, interval_name)
                    .map(|j| (j, self.entries[j].action.clone()));
                match interval {
                    Some((j, Action::Set(RegistryValue::Dword(n)))) if (min..=max).contains(&n) => {
                        self.used[j] = true;
                        let note = Self::note(interval_name, &RegistryValue::Dword(n));
                        self.push(setting.field, json!(format!("{n}m")), note);
                    }
                    _ => self.error(
                        e,
                        setting.field,
                        &format!("KeepAliveEnable 1 needs {interval_name}, a REG_DWORD from {min} to {max} (minutes)"),
                    ),
                }
            }
            _ => self.error(e, setting.field, "KeepAliveEnable is a REG_DWORD 0 or 1"),
        }
    }

    /// `Lsa\DisableRestrictedAdmin`: 0 accepts Restricted Admin / Remote Credential Guard.
    /// `redirection.usb`: TS_USB_REDIRECTION_DISABLE's UsbAccessRight 2 is `true`, the value
    /// deleted (Disabled) is `false`; "Administrators only" (1) has no field value.
    fn usb(&mut self, setting: &'static Setting) {
        let Some(p) = setting.policy else { return };
        let Some(i) = self.find(Hive::LocalMachine, p.key, p.value_name) else {
            return;
        };
        // "Administrators only" (1) and other data have no field value: left listed.
        match &self.entries[i].action {
            Action::Set(RegistryValue::Dword(2)) => {
                self.used[i] = true;
                self.push(setting.field, json!(true), None);
            }
            Action::Delete => {
                self.used[i] = true;
                self.push(setting.field, json!(false), None);
            }
            Action::Set(_) => {}
        }
    }

    /// A posture field read from a source that writes it: the policy must enforce it.
    fn posture_enforced(&mut self) {
        if !self.out.fields.iter().any(|f| f.field == "posture.mode") {
            self.push("posture.mode", json!("enforce"), None);
        }
    }

    fn lm_level(&mut self, setting: &'static Setting) {
        let Some((e, v)) = self.local_value(setting) else {
            return;
        };
        match v {
            RegistryValue::Dword(d @ 0..=5) => {
                self.push(setting.field, json!(d), None);
                self.posture_enforced();
            }
            _ => self.error(
                e,
                setting.field,
                "LmCompatibilityLevel is a REG_DWORD from 0 to 5",
            ),
        }
    }

    /// The firewall profile switches of Group Policy, when all three profiles agree.
    fn firewall_posture(&mut self) {
        for (field, name) in [
            ("posture.firewall.enabled", keys::FW_ENABLE),
            ("posture.firewall.defaultInbound", keys::FW_DEFAULT_INBOUND),
            ("posture.firewall.localRules", keys::FW_LOCAL_POLICY_MERGE),
        ] {
            let found: Vec<Option<usize>> = keys::FW_POLICY_PROFILES
                .iter()
                .map(|p| self.find(Hive::LocalMachine, &format!("{}\\{p}", keys::FWPOL), name))
                .collect();
            let values: Vec<Option<u32>> = found
                .iter()
                .map(|i| {
                    i.and_then(|i| match &self.entries[i].action {
                        Action::Set(RegistryValue::Dword(d)) if *d <= 1 => Some(*d),
                        _ => None,
                    })
                })
                .collect();
            // All three set, to the same 0 or 1: one field value; anything else stays listed.
            let (Some(first), true) = (values[0], values.iter().all(|v| *v == values[0])) else {
                continue;
            };
            for i in found.into_iter().flatten() {
                self.used[i] = true;
            }
            let value = if field == "posture.firewall.defaultInbound" {
                json!(if first == 1 { "block" } else { "allow" })
            } else {
                json!(first == 1)
            };
            self.push(
                field,
                value,
                Some(format!("{name} = {first} on every profile")),
            );
            self.posture_enforced();
        }
    }

    /// `admx:`: the values no field took that are exactly what one ADMX policy writes in one
    /// state, rebuilt as entries and checked by writing them again ([`catalog::admx::writes`]).
    fn admx(&mut self) {
        use catalog::admx::{self, ElementKind, Input, PolicyClass, Value as AdmxValue};
        let same = |v: &RegistryValue, a: AdmxValue| a.registry().as_ref() == Some(v);
        let mut entries = Vec::new();
        for p in admx::all() {
            if p.class == PolicyClass::User || admx::typed_field(p).is_some() {
                continue;
            }
            // The element values as the sources show them (unused entries only).
            let mut values = std::collections::BTreeMap::new();
            for e in p.elements {
                let key = e.key;
                if let ElementKind::List {
                    value_prefix,
                    explicit_value,
                    ..
                } = &e.kind
                {
                    let listed: Vec<(String, String)> = self
                        .entries
                        .iter()
                        .enumerate()
                        .filter(|(i, x)| {
                            !self.used[*i]
                                && x.hive == Hive::LocalMachine
                                && x.key.eq_ignore_ascii_case(key)
                        })
                        .filter_map(|(_, x)| match &x.action {
                            Action::Set(RegistryValue::Sz(v) | RegistryValue::ExpandSz(v)) => {
                                Some((x.name.clone(), v.clone()))
                            }
                            _ => None,
                        })
                        .collect();
                    if listed.is_empty() {
                        continue;
                    }
                    let input = if *explicit_value {
                        Input::Named(listed.into_iter().collect())
                    } else if let Some(prefix) = value_prefix {
                        let mut numbered: Vec<(usize, String)> = listed
                            .into_iter()
                            .filter_map(|(n, v)| {
                                n.strip_prefix(prefix)
                                    .and_then(|k| k.parse().ok())
                                    .map(|k| (k, v))
                            })
                            .collect();
                        numbered.sort();
                        Input::Texts(numbered.into_iter().map(|(_, v)| v).collect())
                    } else {
                        Input::Texts(listed.into_iter().map(|(_, v)| v).collect())
                    };
                    values.insert(e.id.to_string(), input);
                    continue;
                }
                let Some(i) = self.find(Hive::LocalMachine, key, e.value_name) else {
                    continue;
                };
                if self.used[i] {
                    continue;
                }
                let input = match (&e.kind, &self.entries[i].action) {
                    (
                        ElementKind::Decimal {
                            store_as_text: false,
                            ..
                        },
                        Action::Set(RegistryValue::Dword(n)),
                    ) => Input::Number(u64::from(*n)),
                    (
                        ElementKind::LongDecimal {
                            store_as_text: false,
                            ..
                        },
                        Action::Set(RegistryValue::Qword(n)),
                    ) => Input::Number(*n),
                    (
                        ElementKind::Decimal {
                            store_as_text: true,
                            ..
                        }
                        | ElementKind::LongDecimal {
                            store_as_text: true,
                            ..
                        },
                        Action::Set(RegistryValue::Sz(t)),
                    ) => match t.parse() {
                        Ok(n) => Input::Number(n),
                        Err(_) => continue,
                    },
                    (
                        ElementKind::Text { .. },
                        Action::Set(RegistryValue::Sz(t) | RegistryValue::ExpandSz(t)),
                    ) => Input::Text(t.clone()),
                    (ElementKind::MultiText { .. }, Action::Set(RegistryValue::MultiSz(l))) => {
                        Input::Texts(l.clone())
                    }
                    (ElementKind::Enum { items, .. }, Action::Set(v)) => {
                        match items.iter().find(|it| same(v, it.value)) {
                            Some(it) => Input::Text(it.name.to_string()),
                            None => continue,
                        }
                    }
                    (ElementKind::Enum { items, .. }, Action::Delete) => {
                        match items.iter().find(|it| it.value == AdmxValue::Delete) {
                            Some(it) => Input::Text(it.name.to_string()),
                            None => continue,
                        }
                    }
                    (ElementKind::Boolean { on, .. }, Action::Set(v)) => {
                        Input::Flag(on.map_or(*v == RegistryValue::Dword(1), |a| same(v, a)))
                    }
                    (ElementKind::Boolean { off: None, .. }, Action::Delete) => Input::Flag(false),
                    _ => continue,
                };
                values.insert(e.id.to_string(), input);
            }
            // The state whose writes the sources hold exactly, every one still unused.
            let matches = |writes: &[admx::Write], m: &Self| -> Option<Vec<usize>> {
                let mut hits = Vec::new();
                for w in writes {
                    let i = m.find(Hive::LocalMachine, w.key, &w.value_name)?;
                    if m.used[i] || hits.contains(&i) {
                        return None;
                    }
                    let ok = match (&w.value, &m.entries[i].action) {
                        (Some(v), Action::Set(x)) => v == x,
                        (None, Action::Delete) => true,
                        _ => false,
                    };
                    if !ok {
                        return None;
                    }
                    hits.push(i);
                }
                (!hits.is_empty()).then_some(hits)
            };
            let mut chosen = None;
            if let Ok(w) = admx::writes(p, State::Enabled, &values)
                && let Some(hits) = matches(&w, self)
            {
                chosen = Some((State::Enabled, hits));
            } else if let Ok(w) =
                admx::writes(p, State::Disabled, &std::collections::BTreeMap::new())
                && let Some(hits) = matches(&w, self)
            {
                chosen = Some((State::Disabled, hits));
            }
            let Some((state, hits)) = chosen else {
                continue;
            };
            for i in hits {
                self.used[i] = true;
            }
            let mut entry = serde_json::Map::new();
            entry.insert("policy".into(), json!(p.id()));
            entry.insert(
                "state".into(),
                json!(if state == State::Enabled {
                    "enabled"
                } else {
                    "disabled"
                }),
            );
            if state == State::Enabled && !values.is_empty() {
                entry.insert(
                    "values".into(),
                    serde_json::to_value(&values).unwrap_or_default(),
                );
            }
            entries.push(Value::Object(entry));
        }
        if !entries.is_empty() {
            self.push("admx", Value::Array(entries), None);
        }
    }

    fn restricted_admin(&mut self, setting: &'static Setting) {
        let Some((e, v)) = self.local_value(setting) else {
            return;
        };
        match v {
            RegistryValue::Dword(d @ (0 | 1)) => self.push(setting.field, json!(*d == 0), None),
            _ => self.error(
                e,
                setting.field,
                "DisableRestrictedAdmin is a REG_DWORD 0 (accepted) or 1 (not accepted)",
            ),
        }
    }

    fn thumbprint(&mut self, setting: &'static Setting) {
        // With a template policy the bound hash is the certificate the template enrolled
        // (Windows binds it itself and renews it): a pin of that one certificate would be
        // refused beside the template (RDP033) and would stop renewal. It stays listed.
        if self
            .out
            .fields
            .iter()
            .any(|f| f.field == "certificate.template")
        {
            return;
        }
        let Some((e, v)) = self.local_value(setting) else {
            return;
        };
        match v {
            RegistryValue::Binary(b) if b.len() == 20 => {
                let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
                self.push(setting.field, Value::String(hex), None);
            }
            _ => self.error(
                e,
                setting.field,
                "a pinned thumbprint is REG_BINARY of 20 bytes (SHA-1)",
            ),
        }
    }

    /// The SCHANNEL server values `tls.minVersion` writes (SSL 2.0 and 3.0 off, TLS 1.0 to 1.2
    /// from the minimum up, TLS 1.3 when present): complete and consistent, or an error; a
    /// partial set is listed. TLS 1.3 values beside a lower minimum mean a release that has
    /// TLS 1.3 (`tls.minimumOs`), without which the build would not write them.
    fn tls(&mut self, setting: &'static Setting) {
        let mut switches: Vec<(Option<TlsVersion>, String)> = keys::SSL_PROTOCOLS
            .into_iter()
            .map(|p| (None, keys::schannel_server(p)))
            .collect();
        switches.extend(
            TlsVersion::ALL
                .into_iter()
                .map(|v| (Some(v), keys::tls_server_key(v))),
        );
        let set = |m: &Self, key: &str, name: &str| {
            m.find(Hive::LocalMachine, key, name)
                .filter(|&i| matches!(m.entries[i].action, Action::Set(_)))
        };
        let mut found = Vec::new();
        let mut incomplete = false;
        for (version, key) in &switches {
            match (
                set(self, key, "Enabled"),
                set(self, key, "DisabledByDefault"),
            ) {
                (Some(en), Some(dbd)) => found.push((*version, en, dbd)),
                (None, None) if *version == Some(TlsVersion::Tls13) => {}
                _ => incomplete = true,
            }
        }
        if found.is_empty() || incomplete {
            // Not set, or partial: every present value stays listed.
            return;
        }
        let _ = setting;
        let dword = |m: &Self, i: usize| match &m.entries[i].action {
            Action::Set(RegistryValue::Dword(d)) => Some(*d),
            _ => None,
        };
        let mut min: Option<TlsVersion> = None;
        let mut bad: Option<(usize, String)> = None;
        let mut tls13 = false;
        for &(version, en, dbd) in &found {
            let name = version.map_or_else(
                || {
                    self.entries[en]
                        .key
                        .rsplit('\\')
                        .nth(1)
                        .unwrap_or("SSL")
                        .to_string()
                },
                |v| format!("TLS {}", v.as_str()),
            );
            let on = match (dword(self, en), dword(self, dbd)) {
                (Some(1), Some(0)) => true,
                (Some(0), Some(1)) => false,
                _ => {
                    bad.get_or_insert((en, format!("{name} Server must be Enabled=1/DisabledByDefault=0 or Enabled=0/DisabledByDefault=1")));
                    continue;
                }
            };
            match (version, on, min) {
                (None, true, _) => {
                    bad.get_or_insert((
                        en,
                        format!("{name} is on; the field turns SSL 2.0 and 3.0 off"),
                    ));
                }
                (Some(v), true, None) => min = Some(v),
                (Some(v), false, Some(m)) => {
                    bad.get_or_insert((en, format!("{} is off although TLS {} is on; the field turns on every version from the minimum up", name, m.as_str())));
                    let _ = v;
                }
                _ => {}
            }
            if version == Some(TlsVersion::Tls13) {
                tls13 = true;
            }
        }
        for &(_, en, dbd) in &found {
            self.used[en] = true;
            self.used[dbd] = true;
        }
        match (bad, min) {
            (Some((i, why)), _) => {
                let e = self.entries[i].clone();
                self.error(&e, "tls.minVersion", &why);
            }
            (None, None) => {
                let e = self.entries[found[0].1].clone();
                self.error(&e, "tls.minVersion", "every TLS version is off");
            }
            (None, Some(m)) => {
                self.push("tls.minVersion", json!(m.as_str()), None);
                if tls13 && m != TlsVersion::Tls13 {
                    self.push(
                        "tls.minimumOs",
                        json!("windows-server-2022"),
                        Some("TLS 1.3 Server values present".into()),
                    );
                }
            }
        }
    }

    /// rdpgen's own firewall rules (by id prefix or group) become `firewall` again; other
    /// rules stay listed. Block rules and `PolicyVersion` beside rdpgen's rules are
    /// rdpgen's too and rebuilt from the same fields.
    fn firewall(&mut self) {
        let mut allow: Vec<(usize, RuleString)> = Vec::new();
        let mut ours = false;
        let mut policy_version = None;
        let mut blocks = 0;
        for (i, e) in self.entries.iter().enumerate() {
            if e.hive != Hive::LocalMachine {
                continue;
            }
            // `PolicyVersion` sits on the firewall policy key (older rdpgen: beside the rules).
            if e.name.eq_ignore_ascii_case("PolicyVersion")
                && (e.key.eq_ignore_ascii_case(keys::FWPOL)
                    || e.key.eq_ignore_ascii_case(keys::FWPOL_RULES))
            {
                policy_version = Some(i);
                continue;
            }
            if !e.key.eq_ignore_ascii_case(keys::FWPOL_RULES) {
                continue;
            }
            let Action::Set(RegistryValue::Sz(text)) = &e.action else {
                continue;
            };
            let Ok(rule) = RuleString::parse(text) else {
                continue;
            };
            let by_id = e
                .name
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("rdpgen-"));
            let by_group = rule.embed_ctxt.as_deref() == Some("rdpgen");
            if !(by_id || by_group) {
                continue;
            }
            ours = true;
            self.used[i] = true;
            let is_allow = rule
                .action
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("Allow"));
            if is_allow {
                allow.push((i, rule));
            } else {
                blocks += 1;
            }
        }
        if ours && let Some(i) = policy_version {
            self.used[i] = true;
        }
        let Some((first, rule)) = allow.first() else {
            return;
        };
        if self.out.name_hint.is_none() {
            // "..., managed by the rdpgen policy <name>", else `rdpgen-<name>-TCP-In`.
            let id = &self.entries[*first].name;
            self.out.name_hint = rule
                .desc
                .as_deref()
                .and_then(|d| d.rsplit_once("rdpgen policy "))
                .map(|(_, n)| n.trim().to_string())
                .filter(|n| !n.is_empty() && !n.contains(' '))
                .or_else(|| {
                    id.get(7..)
                        .and_then(|rest| rest.rsplitn(3, '-').nth(2))
                        .map(str::to_string)
                });
        }
        let profiles = profiles_of(rule);
        let addresses = match addresses_of(rule) {
            Ok(a) => a,
            Err(why) => {
                let e = self.entries[*first].clone();
                self.error(&e, "firewall.allowFrom", &why);
                return;
            }
        };
        for (i, other) in &allow[1..] {
            if profiles_of(other) != profiles || address_set(other) != address_set(rule) {
                let e = self.entries[*i].clone();
                self.error(
                    &e,
                    "firewall",
                    "rdpgen's TCP and UDP allow rules always have the same profiles and remote addresses",
                );
                return;
            }
        }
        if !profiles.is_empty() {
            self.push("firewall.profiles", json!(profiles), None);
        }
        if !addresses.is_empty() {
            self.push("firewall.allowFrom", json!(addresses), None);
        }
        // `override` (the default) writes block rules whenever there is something to block:
        // other profiles, or addresses outside a scope that has a complement. Without them
        // the rules were built with `builtinRules: keep`.
        let blocks_expected = (!profiles.is_empty() && profiles.len() < 3)
            || (!addresses.is_empty() && !addresses.iter().any(|a| a == "local-subnet"));
        if blocks == 0 && blocks_expected {
            self.push("firewall.builtinRules", json!("keep"), None);
        }
        if profiles.is_empty() && addresses.is_empty() {
            self.out.empty_sections.push("firewall");
        }
    }

    /// The account lockout lines of `[System Access]` as `posture.accountLockout` (enforced:
    /// the source writes them). A number the field cannot express stays listed.
    fn lockout(&mut self, lines: &[super::AccessLine]) {
        let minutes = |v: i64| {
            u32::try_from(v)
                .ok()
                .filter(|m| catalog::LOCKOUT_MINUTES.contains(m))
                .map(|m| json!(format!("{m}m")))
        };
        let mut any = false;
        for l in lines {
            let Some(&(name, field)) = keys::LOCKOUT_LINES.iter().find(|(n, _)| *n == l.name)
            else {
                continue;
            };
            let value = match name {
                keys::LOCKOUT_BAD_COUNT => catalog::LOCKOUT_THRESHOLD
                    .contains(&l.value)
                    .then(|| json!(l.value)),
                keys::LOCKOUT_DURATION if l.value == -1 => Some(json!(catalog::UNTIL_UNLOCKED)),
                keys::LOCKOUT_DURATION | keys::LOCKOUT_RESET => minutes(l.value),
                _ => (0..=1).contains(&l.value).then(|| json!(l.value == 1)),
            };
            let Some(value) = value else {
                self.out.unmapped.push(Unmapped {
                    what: format!(
                        "[System Access] {} = {} (outside what `{field}` can express)",
                        l.name, l.value
                    ),
                    origin: l.origin.clone(),
                });
                continue;
            };
            self.out
                .imported
                .insert(ConflictOn::Right(l.name.to_ascii_lowercase()));
            self.push(field, value, Some(format!("{} = {}", l.name, l.value)));
            any = true;
        }
        if any {
            self.posture_enforced();
        }
    }

    fn rights(&mut self, rights: &[super::Right]) {
        for r in rights {
            let field = if r.name.eq_ignore_ascii_case("SeRemoteInteractiveLogonRight") {
                "logonRights.allow"
            } else if r
                .name
                .eq_ignore_ascii_case("SeDenyRemoteInteractiveLogonRight")
            {
                "logonRights.deny"
            } else {
                self.out.unmapped.push(Unmapped {
                    what: format!(
                        "user right {} = {}",
                        crate::escape::single_line(&r.name),
                        crate::escape::single_line(&r.members.join(","))
                    ),
                    origin: r.origin.clone(),
                });
                continue;
            };
            let members: Vec<String> = r
                .members
                .iter()
                .map(|m| {
                    let bare = m.strip_prefix('*').unwrap_or(m);
                    if bare.starts_with("S-1-") {
                        catalog::accounts::name_of(bare)
                            .map_or_else(|| bare.to_string(), str::to_string)
                    } else {
                        bare.to_string()
                    }
                })
                .collect();
            self.out
                .imported
                .insert(ConflictOn::Right(r.name.to_ascii_lowercase()));
            // A right listed twice: the later line is the one Windows applies.
            self.out.fields.retain(|f| f.field != field);
            self.push(field, json!(members), None);
        }
    }
}

fn profiles_of(rule: &RuleString) -> Vec<String> {
    let mut p: Vec<String> = rule
        .profiles
        .iter()
        .map(|p| p.to_ascii_lowercase())
        .collect();
    p.sort();
    p.dedup();
    p
}

fn addresses_of(rule: &RuleString) -> Result<Vec<String>, String> {
    let mut out: Vec<FirewallAddress> = Vec::new();
    for a in rule.remote_v4.iter().chain(&rule.remote_v6) {
        out.push(if a.eq_ignore_ascii_case("LocalSubnet") {
            FirewallAddress::LocalSubnet
        } else {
            FirewallAddress::parse(a)
                .map_err(|e| format!("remote address `{}`: {e}", crate::escape::single_line(a)))?
                .address
        });
    }
    let mut unique: Vec<FirewallAddress> = Vec::with_capacity(out.len());
    for a in out {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    Ok(unique.iter().map(ToString::to_string).collect())
}

/// The addresses as a set: rules that list the same addresses in another order or spelling
/// (`/24`, `/255.255.255.0`) admit the same hosts.
fn address_set(rule: &RuleString) -> Option<Vec<String>> {
    let mut set = addresses_of(rule).ok()?;
    set.sort();
    Some(set)
}

/// Maps merged sources to fields, in catalog order.
#[must_use]
pub fn map(input: &Input) -> Mapped {
    let mut m = Mapper {
        entries: &input.entries,
        used: vec![false; input.entries.len()],
        out: Mapped::default(),
    };
    for setting in catalog::SETTINGS {
        match setting.field {
            "connection.port" => m.port(setting),
            "credentials.restrictedAdmin" => m.restricted_admin(setting),
            "connection.keepAlive" => m.keep_alive(setting),
            "certificate.thumbprint" => m.thumbprint(setting),
            "tls.minVersion" => m.tls(setting),
            "firewall.profiles" => m.firewall(),
            "logonRights.allow" => m.rights(&input.rights),
            "posture.accountLockout.threshold" => m.lockout(&input.lockout),
            "redirection.usb" => m.usb(setting),
            "posture.lmCompatibilityLevel" => m.lm_level(setting),
            "posture.firewall.enabled" => m.firewall_posture(),
            "admx" => m.admx(),
            "posture.cipherSuites" => {
                let before = m.out.fields.len();
                m.generic(setting);
                if m.out.fields.len() > before {
                    m.posture_enforced();
                }
            }
            _ => match setting.mapping {
                Mapping::Bool { .. }
                | Mapping::Enum(_)
                | Mapping::Duration
                | Mapping::Text
                | Mapping::CommaList
                | Mapping::Count => m.generic(setting),
                Mapping::Minutes | Mapping::Special | Mapping::AuditOnly | Mapping::Metadata => {}
            },
        }
    }
    let Mapper { used, mut out, .. } = m;
    for (e, used) in input.entries.iter().zip(used) {
        if used {
            out.imported.insert(ConflictOn::Value(e.id()));
        } else {
            out.unmapped.push(Unmapped {
                what: format!(
                    "{}\\{}  {}  {}",
                    e.hive.short_name(),
                    crate::escape::single_line(&e.key),
                    if e.name.is_empty() {
                        "(default)".to_string()
                    } else {
                        crate::escape::single_line(&e.name)
                    },
                    describe_action(&e.action)
                ),
                origin: e.origin.clone(),
            });
        }
    }
    for o in &input.others {
        out.unmapped.push(Unmapped {
            what: o.text.clone(),
            origin: o.origin.clone(),
        });
    }
    if !input.several_gpos {
        out.gpo.clone_from(&input.gpo);
    }
    out
}
