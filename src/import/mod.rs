//! `rdpgen import`: the reverse of `build`. Sources (GPO folders, Registry.pol, `.reg`, LGPO
//! text, GptTmpl.inf, GPP Registry.xml, collector snapshots) are read into registry entries
//! and logon rights ([`read`]), merged in order with every conflict reported, mapped back to
//! policy fields through the catalog ([`map`]), and written as a policy YAML ([`yaml`]) that
//! lists every value no field covers.

pub(crate) mod map;
pub(crate) mod read;
pub(crate) mod yaml;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::formats::{Hive, RegistryValue};

/// Where an entry was read: the file name (never an absolute path) and a position in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub position: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.position.is_empty() {
            f.write_str(&self.file)
        } else {
            write!(f, "{} {}", self.file, self.position)
        }
    }
}

/// What an entry does to its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Set(RegistryValue),
    /// Delete the value (`.reg` `=-`, LGPO `DELETE`, GPP action `D`).
    Delete,
}

/// One registry value as a source states it. Registry.pol directives (`**del.`, `**delvals.`,
/// key-only entries) are kept as the entries they are, under their own names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub hive: Hive,
    pub key: String,
    pub name: String,
    pub action: Action,
    pub origin: Origin,
}

impl Entry {
    /// The identity of the value, as Windows compares it (case-insensitive).
    #[must_use]
    pub fn id(&self) -> (u8, String, String) {
        (
            match self.hive {
                Hive::LocalMachine => 0,
                Hive::CurrentUser => 1,
            },
            self.key.to_ascii_lowercase(),
            self.name.to_ascii_lowercase(),
        )
    }

    pub fn is(&self, hive: Hive, key: &str, name: &str) -> bool {
        self.hive == hive
            && self.key.eq_ignore_ascii_case(key)
            && self.name.eq_ignore_ascii_case(name)
    }
}

/// A user right of a security template or snapshot: members as written (`*S-1-5-32-544`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Right {
    pub name: String,
    pub members: Vec<String>,
    pub origin: Origin,
}

/// A numeric `[System Access]` line of a security template rdpgen reads (the account lockout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLine {
    pub name: String,
    pub value: i64,
    pub origin: Origin,
}

/// Something a source holds that is not a registry value or user right (another
/// GptTmpl.inf section line, a GPP item rdpgen cannot read): listed, never dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Other {
    pub text: String,
    pub origin: Origin,
}

/// What a GPO backup says about the GPO itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GpoInfo {
    pub display_name: Option<String>,
    pub guid: Option<String>,
    pub domain: Option<String>,
}

/// Everything read from the sources, merged.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// File names read, in order.
    pub files: Vec<String>,
    pub entries: Vec<Entry>,
    pub rights: Vec<Right>,
    /// The account lockout lines of `[System Access]`, the later of two with one name kept.
    pub lockout: Vec<AccessLine>,
    pub others: Vec<Other>,
    pub gpo: Option<GpoInfo>,
    /// What merging found: a later source setting a value, or right, differently.
    pub conflicts: Vec<Conflict>,
    /// More than one GPO was read: their metadata names none of them.
    pub several_gpos: bool,
}

/// What a conflict is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConflictOn {
    /// A registry value, by [`Entry::id`].
    Value((u8, String, String)),
    /// A user right, or a `[System Access]` line, by name (lower case).
    Right(String),
}

/// Two sources disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub on: ConflictOn,
    /// Both files and positions, and both data.
    pub message: String,
}

impl Input {
    /// Adds a later source: its entries replace earlier ones of the same value; each replaced
    /// entry with different data is a conflict.
    pub fn merge(&mut self, other: Input) {
        self.files.extend(other.files);
        // Linear in the entries: one index of what is already here.
        let mut index: std::collections::HashMap<(u8, String, String), usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id(), i))
            .collect();
        for e in other.entries {
            let id = e.id();
            if let Some(&pos) = index.get(&id) {
                let old = &self.entries[pos];
                if old.action != e.action && old.origin.file != e.origin.file {
                    let message = format!(
                        "{}: {}\\{} `{}` is {}, but {} set it to {}",
                        e.origin,
                        e.hive.short_name(),
                        e.key,
                        e.name,
                        describe_action(&e.action),
                        old.origin,
                        describe_action(&old.action)
                    );
                    self.conflicts.push(Conflict {
                        on: ConflictOn::Value(id.clone()),
                        message,
                    });
                }
                self.entries[pos] = e;
            } else {
                index.insert(id, self.entries.len());
                self.entries.push(e);
            }
        }
        for r in other.rights {
            if let Some(pos) = self
                .rights
                .iter()
                .position(|x| x.name.eq_ignore_ascii_case(&r.name))
            {
                let old = &self.rights[pos];
                if normalized(&old.members) != normalized(&r.members) {
                    let message = format!(
                        "{}: {} is [{}], but {} set it to [{}]",
                        r.origin,
                        r.name,
                        r.members.join(", "),
                        old.origin,
                        old.members.join(", ")
                    );
                    self.conflicts.push(Conflict {
                        on: ConflictOn::Right(r.name.to_ascii_lowercase()),
                        message,
                    });
                }
                self.rights.remove(pos);
            }
            self.rights.push(r);
        }
        for l in other.lockout {
            if let Some(pos) = self
                .lockout
                .iter()
                .position(|x| x.name.eq_ignore_ascii_case(&l.name))
            {
                let old = &self.lockout[pos];
                if old.value != l.value {
                    let message = format!(
                        "{}: [System Access] {} is {}, but {} set it to {}",
                        l.origin, l.name, l.value, old.origin, old.value
                    );
                    self.conflicts.push(Conflict {
                        on: ConflictOn::Right(l.name.to_ascii_lowercase()),
                        message,
                    });
                }
                self.lockout.remove(pos);
            }
            self.lockout.push(l);
        }
        self.others.extend(other.others);
        if let Some(g) = other.gpo {
            if self.gpo.as_ref().is_some_and(|mine| *mine != g) {
                self.several_gpos = true;
            }
            self.gpo = Some(g);
        }
        self.several_gpos |= other.several_gpos;
        self.conflicts.extend(other.conflicts);
    }
}

fn normalized(members: &[String]) -> Vec<String> {
    let mut m: Vec<String> = members
        .iter()
        .map(|s| s.trim_start_matches('*').to_ascii_lowercase())
        .collect();
    m.sort();
    m.dedup();
    m
}

/// `REG_DWORD 2`, `REG_SZ "text"`, `deleted`: one line, controls escaped.
#[must_use]
pub fn describe_action(action: &Action) -> String {
    match action {
        Action::Delete => "deleted".to_string(),
        Action::Set(v) => format!(
            "{} {}",
            crate::formats::registry_value::kind_name(v.kind()),
            describe_data(v)
        ),
    }
}

/// The data of a value on one line: decimal numbers, quoted strings, lower-case hex bytes.
#[must_use]
pub fn describe_data(v: &RegistryValue) -> String {
    let hex = |b: &[u8]| {
        if b.is_empty() {
            "(empty)".to_string()
        } else {
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        }
    };
    let text = match v {
        RegistryValue::Dword(d) | RegistryValue::DwordBigEndian(d) => d.to_string(),
        RegistryValue::Qword(q) => q.to_string(),
        RegistryValue::Sz(s) | RegistryValue::ExpandSz(s) => format!("{s:?}"),
        RegistryValue::MultiSz(items) => format!("{items:?}"),
        RegistryValue::Binary(b) | RegistryValue::None(b) => hex(b),
        RegistryValue::Other { data, .. } => hex(data),
    };
    crate::escape::single_line(&text)
}
