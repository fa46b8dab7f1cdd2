//! Every Machine policy of Microsoft's TerminalServer.admx, TerminalServer-Server.admx and
//! CredSsp.admx as data ([`generated`], made by `scripts/gen-admx-catalog.py`), plus the
//! policies of the admin's own PolicyDefinitions (`--admx DIR`, read by [`parse`]). The
//! policy language's `admx:` section names a policy by id (`TerminalServer/TS_MAXDISPLAYRES`:
//! file stem and policy name) and gives its state and element values; [`Policy`] says what
//! Group Policy writes for them, the way the Group Policy editor does:
//!
//! - Enabled: the policy's `valueName` gets its `enabledValue` (REG_DWORD 1 when the ADMX
//!   gives none), every `enabledList` item is written, and each element writes its value
//!   (decimal: REG_DWORD, or REG_SZ with `storeAsText`; longDecimal: REG_QWORD; text: REG_SZ
//!   or REG_EXPAND_SZ with `expandable`; enum: the item's value and `valueList`; boolean: its
//!   `trueValue`/`falseValue` and lists, REG_DWORD 1 / deleted without them; list: the key's
//!   values are cleared first unless `additive`, then one value per entry, named by
//!   `valuePrefix` + 1, 2, … or, without a prefix, by the entry itself, or by the admin with
//!   `explicitValue`; multiText: REG_MULTI_SZ).
//! - Disabled: `disabledValue` (the value deleted when the ADMX gives none), every
//!   `disabledList` item, and every element's value deleted (a list's key cleared; a boolean
//!   with a `falseValue` or `falseList` writes those).

#[rustfmt::skip]
mod generated;
pub mod parse;
mod write;

pub use parse::{ParseError, parse};
pub use write::{Input, Problem, Write, describe, writes};

use std::sync::OnceLock;

/// The Group Policy class of an ADMX policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyClass {
    Machine,
    User,
    Both,
}

impl PolicyClass {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Machine => "Machine",
            Self::User => "User",
            Self::Both => "Both",
        }
    }
}

/// A datum an ADMX state, list item or enum item writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// `<decimal value>`: REG_DWORD.
    Decimal(u32),
    /// `<longDecimal value>`: REG_QWORD.
    LongDecimal(u64),
    /// `<string>`: REG_SZ.
    String(&'static str),
    /// `<delete/>`: the value is deleted.
    Delete,
}

impl Value {
    /// The registry datum it writes; `None` for `<delete/>`.
    #[must_use]
    pub fn registry(self) -> Option<crate::formats::RegistryValue> {
        use crate::formats::RegistryValue;
        match self {
            Self::Decimal(n) => Some(RegistryValue::Dword(n)),
            Self::LongDecimal(n) => Some(RegistryValue::Qword(n)),
            Self::String(s) => Some(RegistryValue::Sz(s.to_string())),
            Self::Delete => None,
        }
    }
}

/// One `<item>` of an `enabledList`, `disabledList`, `trueList`, `falseList` or `valueList`,
/// with its key resolved (its own, else the list's `defaultKey`, else its owner's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListItem {
    pub key: &'static str,
    pub value_name: &'static str,
    pub value: Value,
}

/// One `<item>` of an `<enum>` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumItem {
    /// The item's name: the string id of its `displayName` (`$(string.TS_SECURITY_LAYER_TLS)`
    /// is `TS_SECURITY_LAYER_TLS`), which the policy language uses to choose it.
    pub name: &'static str,
    pub value: Value,
    pub value_list: &'static [ListItem],
}

/// What an element is, with the attributes that decide what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    Boolean {
        on: Option<Value>,
        off: Option<Value>,
        on_list: &'static [ListItem],
        off_list: &'static [ListItem],
    },
    Decimal {
        min: u32,
        max: u32,
        store_as_text: bool,
        required: bool,
        soft: bool,
    },
    LongDecimal {
        min: u64,
        max: u64,
        store_as_text: bool,
        required: bool,
        soft: bool,
    },
    Text {
        max_length: u32,
        expandable: bool,
        required: bool,
        soft: bool,
    },
    Enum {
        items: &'static [EnumItem],
        required: bool,
    },
    List {
        /// `Some("")` names the values 1, 2, …; `None` names each by its own text.
        value_prefix: Option<&'static str>,
        additive: bool,
        /// The admin names each value (`{name: data}`).
        explicit_value: bool,
        expandable: bool,
    },
    MultiText {
        max_length: u32,
        /// 0: no limit.
        max_strings: u32,
        required: bool,
        soft: bool,
    },
}

impl ElementKind {
    /// The element's ADMX tag.
    #[must_use]
    pub fn tag(&self) -> &'static str {
        match self {
            Self::Boolean { .. } => "boolean",
            Self::Decimal { .. } => "decimal",
            Self::LongDecimal { .. } => "longDecimal",
            Self::Text { .. } => "text",
            Self::Enum { .. } => "enum",
            Self::List { .. } => "list",
            Self::MultiText { .. } => "multiText",
        }
    }

    /// Whether the element writes only where no value exists yet (`soft="true"`).
    #[must_use]
    pub fn soft(&self) -> bool {
        matches!(
            self,
            Self::Decimal { soft: true, .. }
                | Self::LongDecimal { soft: true, .. }
                | Self::Text { soft: true, .. }
                | Self::MultiText { soft: true, .. }
        )
    }
}

/// An element of a policy's `<elements>`, with its key resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    pub id: &'static str,
    pub key: &'static str,
    /// Empty for a list (its values are named per entry).
    pub value_name: &'static str,
    pub kind: ElementKind,
}

/// One ADMX policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The file under PolicyDefinitions, `TerminalServer.admx`.
    pub file: &'static str,
    /// The policy's `name`, `TS_MAXDISPLAYRES`.
    pub name: &'static str,
    pub class: PolicyClass,
    /// Below HKLM (or HKCU for User policies), as the ADMX spells it but without a trailing
    /// `\` (every key of this module is stored so).
    pub key: &'static str,
    pub value_name: Option<&'static str>,
    pub enabled_value: Option<Value>,
    pub disabled_value: Option<Value>,
    pub enabled_list: &'static [ListItem],
    pub disabled_list: &'static [ListItem],
    pub elements: &'static [Element],
    /// The `supportedOn` reference.
    pub supported_on: &'static str,
}

impl Policy {
    /// The file name without `.admx`: the first part of the policy id.
    #[must_use]
    pub fn stem(&self) -> &'static str {
        let f = self.file;
        if f.len() > 5 && f[f.len() - 5..].eq_ignore_ascii_case(".admx") {
            &f[..f.len() - 5]
        } else {
            f
        }
    }

    /// `TerminalServer/TS_MAXDISPLAYRES`.
    #[must_use]
    pub fn id(&self) -> String {
        format!("{}/{}", self.stem(), self.name)
    }

    #[must_use]
    pub fn element(&self, id: &str) -> Option<&'static Element> {
        self.elements.iter().find(|e| e.id == id)
    }
}

/// The policies of the admin's PolicyDefinitions, registered once per process by the command
/// line (`--admx DIR`) before any policy is compiled.
static EXTRA: OnceLock<&'static [Policy]> = OnceLock::new();

/// Adds the admin's own ADMX policies (from [`parse`]) for this process. Policies of a file
/// rdpgen also ships (the admin's `TerminalServer.admx`) replace rdpgen's copy of that file.
/// The definitions live as long as the process: they are leaked once, on purpose.
///
/// # Errors
/// When policies were already registered.
pub fn register(policies: Vec<Policy>) -> Result<(), &'static str> {
    EXTRA
        .set(Vec::leak(policies))
        .map_err(|_| "ADMX definitions are registered once per process")
}

/// Every known policy: the admin's (`--admx`), then rdpgen's for the files the admin did not
/// give.
pub fn all() -> impl Iterator<Item = &'static Policy> {
    let extra: &'static [Policy] = EXTRA.get().copied().unwrap_or(&[]);
    let shadowed = move |file: &str| extra.iter().any(|p| p.file.eq_ignore_ascii_case(file));
    extra.iter().chain(
        generated::POLICIES
            .iter()
            .filter(move |p| !shadowed(p.file)),
    )
}

/// rdpgen's own copy of Microsoft's policies (no `--admx` files).
#[cfg(test)]
fn builtin() -> &'static [Policy] {
    generated::POLICIES
}

/// The policy of an id: `TerminalServer/TS_MAXDISPLAYRES` (the file stem is
/// case-insensitive, as file names on Windows; the policy name exact).
#[must_use]
pub fn lookup(id: &str) -> Option<&'static Policy> {
    let (stem, name) = id.split_once('/')?;
    all().find(|p| p.name == name && p.stem().eq_ignore_ascii_case(stem))
}

/// The policy a registry operation's provenance names (`TerminalServer.admx`, `TS_MAXDISPLAYRES`).
#[must_use]
pub fn of_file(file: &str, name: &str) -> Option<&'static Policy> {
    all().find(|p| p.file == file && p.name == name)
}

/// Policies whose name is `name`, in any file (for `explain TS_MAXDISPLAYRES`).
pub fn by_name(name: &str) -> impl Iterator<Item = &'static Policy> + '_ {
    all().filter(move |p| p.name.eq_ignore_ascii_case(name))
}

/// The typed field of the policy language that sets this policy (`security.layer` for
/// TerminalServer/TS_SECURITY_LAYER_POLICY), if one does: `admx:` must not set it again.
#[must_use]
pub fn typed_field(policy: &Policy) -> Option<&'static super::Setting> {
    super::SETTINGS.iter().find(|s| {
        s.policy
            .is_some_and(|p| p.id == policy.name && p.file.eq_ignore_ascii_case(policy.file))
    })
}

/// The typed field that writes the registry value `key`\\`value_name` (below HKLM), if one
/// does: through its ADMX policy (the policy's value or a decimal element's) or a local value.
#[must_use]
pub fn field_writing(key: &str, value_name: &str) -> Option<&'static super::Setting> {
    let same = |k: &str, v: &str| k.eq_ignore_ascii_case(key) && v.eq_ignore_ascii_case(value_name);
    super::SETTINGS.iter().find(|s| {
        s.policy.is_some_and(|p| {
            same(p.key, p.value_name)
                || matches!(p.element, Some(super::Element::Decimal { value_name: v, .. }) if same(p.key, v))
        }) || s.local.iter().any(|l| same(l.key, l.value_name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_dir() -> Option<std::path::PathBuf> {
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/admx");
        crate::reference_material::available("../shared/reference/admx", dir.is_dir())
            .then_some(dir)
    }

    /// The generated table (Python's ElementTree over Microsoft's files) and rdpgen's own
    /// reader ([`parse`], quick-xml) must agree on every policy of the three files.
    #[test]
    fn generated_matches_the_reference_files() {
        let Some(dir) = reference_dir() else { return };
        let mut parsed = Vec::new();
        for file in [
            "TerminalServer.admx",
            "TerminalServer-Server.admx",
            "CredSsp.admx",
        ] {
            let text = std::fs::read_to_string(dir.join(file)).expect("reference ADMX");
            parsed.extend(parse(&text, file).unwrap_or_else(|e| panic!("{file}: {e:?}")));
        }
        assert_eq!(parsed.len(), 134, "105 + 17 + 12 policies");
        assert_eq!(parsed.len(), generated::POLICIES.len());
        for (a, b) in parsed.iter().zip(generated::POLICIES) {
            assert_eq!(a, b, "{} differs between the reader and the table", b.id());
        }
    }

    #[test]
    fn ids_are_unique_and_resolve() {
        let mut seen = std::collections::BTreeSet::new();
        for p in builtin() {
            assert!(seen.insert(p.id().to_lowercase()), "{} twice", p.id());
            assert_eq!(lookup(&p.id()), Some(p));
        }
        assert!(lookup("terminalserver/TS_MAXDISPLAYRES").is_some());
        assert!(lookup("TerminalServer/ts_maxdisplayres").is_none());
        assert!(lookup("TS_MAXDISPLAYRES").is_none());
    }

    #[test]
    fn the_table_holds_each_element_kind_the_files_use() {
        let kinds: std::collections::BTreeSet<&str> = builtin()
            .iter()
            .flat_map(|p| p.elements.iter().map(|e| e.kind.tag()))
            .collect();
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            ["boolean", "decimal", "enum", "list", "multiText", "text"]
        );
        let res = lookup("TerminalServer/TS_MAXDISPLAYRES").expect("TS_MAXDISPLAYRES");
        assert_eq!(res.class, PolicyClass::Machine);
        let width = res.element("TS_DisplayRes_Width").expect("width element");
        assert!(matches!(
            width.kind,
            ElementKind::Decimal {
                store_as_text: false,
                ..
            }
        ));
    }
}
