//! Resource instance names, shared by the PowerShell DSC and DSC v3 back ends. A name is made
//! of words taken from the model — the policy field, then the value name — so it says what the
//! instance is for: `security layer SecurityLayer` (DSC v3, `^[a-zA-Z0-9 ]+$`) or
//! `security_layer_SecurityLayer` (PowerShell). Values whose field and value name are not
//! enough to tell them apart (the SCHANNEL switches of each TLS version) also get the key
//! segments that differ between them; a clash left after that gets a counter.

use std::collections::{BTreeMap, HashSet};

use crate::model::RegistryOp;

/// The ASCII letters and digits of `text`, split at everything else.
pub(in crate::emit) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words naming each operation, in order.
pub(in crate::emit) fn registry_words(ops: &[&RegistryOp]) -> Vec<Vec<String>> {
    let base: Vec<(Vec<String>, Vec<String>)> = ops
        .iter()
        .map(|op| {
            // An `admx:` value is named by its policy: `admx TS MAXDISPLAYRES MaxXResolution`.
            let mut field = words(op.provenance.field());
            if let ("admx", Some((_, policy))) = (op.provenance.field(), op.provenance.admx) {
                field.extend(words(policy));
            }
            (field, words(&op.value_name))
        })
        .collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (field, value)) in base.iter().enumerate() {
        let id = [field.as_slice(), value.as_slice()]
            .concat()
            .join(" ")
            .to_ascii_lowercase();
        groups.entry(id).or_default().push(i);
    }
    let mut middle: Vec<Vec<String>> = vec![Vec::new(); ops.len()];
    for members in groups.values().filter(|m| m.len() > 1) {
        let keys: Vec<Vec<String>> = members
            .iter()
            .map(|&i| {
                ops[i]
                    .key
                    .split('\\')
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .collect();
        let shortest = keys.iter().map(Vec::len).min().unwrap_or(0);
        let prefix = (0..shortest)
            .take_while(|&n| keys.iter().all(|k| k[n] == keys[0][n]))
            .count();
        let suffix = (0..shortest - prefix)
            .take_while(|&n| {
                keys.iter()
                    .all(|k| k[k.len() - 1 - n] == keys[0][keys[0].len() - 1 - n])
            })
            .count();
        for &i in members {
            let segments: Vec<&str> = ops[i].key.split('\\').collect();
            let end = segments.len() - suffix;
            middle[i] = segments[prefix..end]
                .iter()
                .flat_map(|s| words(s))
                .collect();
        }
    }
    base.into_iter()
        .zip(middle)
        .map(|((field, value), middle)| [field, middle, value].concat())
        .collect()
}

/// Hands out names that are unique (ignoring case) within one configuration.
pub(in crate::emit) struct Namer {
    separator: &'static str,
    used: HashSet<String>,
}

impl Namer {
    /// Names joined with `_`: PowerShell DSC instance names.
    pub(in crate::emit) fn powershell() -> Self {
        Self {
            separator: "_",
            used: HashSet::new(),
        }
    }

    /// Names joined with spaces: DSC v3 instance names.
    pub(in crate::emit) fn dsc3() -> Self {
        Self {
            separator: " ",
            used: HashSet::new(),
        }
    }

    /// A fresh name from `words` (ASCII letters and digits only), starting with a letter.
    pub(in crate::emit) fn name(&mut self, words: &[String]) -> String {
        let mut parts: Vec<String> = words.iter().flat_map(|w| self::words(w)).collect();
        if parts
            .first()
            .is_none_or(|w| !w.starts_with(|c: char| c.is_ascii_alphabetic()))
        {
            parts.insert(0, "Value".to_string());
        }
        let base = parts.join(self.separator);
        let mut candidate = base.clone();
        let mut n = 2;
        while !self.used.insert(candidate.to_ascii_lowercase()) {
            candidate = format!("{base}{}{n}", self.separator);
            n += 1;
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Hive, RegistryValue};
    use crate::model::{Provenance, RegistryAction, Scope};

    fn op(field: &str, key: &str, value: &str) -> RegistryOp {
        RegistryOp {
            hive: Hive::LocalMachine,
            key: key.into(),
            value_name: value.into(),
            action: RegistryAction::Set(RegistryValue::Dword(1)),
            scope: Scope::Local,
            provenance: Provenance {
                setting: crate::catalog::setting(field).expect("a catalog field"),
                admx: None,
                state: None,
            },
            rollback: None,
        }
    }

    #[test]
    fn key_segments_only_where_field_and_value_clash() {
        let ops = [
            op("security.layer", r"A\B", "SecurityLayer"),
            op("tls.minVersion", r"S\P\TLS 1.0\Server", "Enabled"),
            op("tls.minVersion", r"S\P\TLS 1.1\Server", "Enabled"),
            op("tls.minVersion", r"S\P\TLS 1.0\Server", "DisabledByDefault"),
        ];
        let refs: Vec<&RegistryOp> = ops.iter().collect();
        let mut namer = Namer::dsc3();
        let names: Vec<String> = registry_words(&refs)
            .iter()
            .map(|w| namer.name(w))
            .collect();
        assert_eq!(
            names,
            [
                "security layer SecurityLayer",
                "tls minVersion TLS 1 0 Enabled",
                "tls minVersion TLS 1 1 Enabled",
                "tls minVersion DisabledByDefault",
            ]
        );
    }

    #[test]
    fn clashes_get_counters_and_names_start_with_a_letter() {
        let mut namer = Namer::powershell();
        let w = |s: &str| words(s);
        assert_eq!(namer.name(&w("a-b")), "a_b");
        assert_eq!(namer.name(&w("A b")), "A_b_2");
        assert_eq!(namer.name(&w("a.b")), "a_b_3");
        assert_eq!(namer.name(&w("1x")), "Value_1x");
        assert_eq!(namer.name(&[]), "Value");
        assert_eq!(namer.name(&w("ä ö")), "Value_2");
    }
}
