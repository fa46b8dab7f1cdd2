//! The shapes of catalog data: settings, the Group Policy behind them, local locations,
//! benchmark references and the 0x904/0x7 causes.

/// The registry type of a value as the catalog knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Dword,
    Sz,
    Binary,
}

impl ValueType {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dword => "REG_DWORD",
            Self::Sz => "REG_SZ",
            Self::Binary => "REG_BINARY",
        }
    }
}

/// A registry datum written by a policy state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    Dword(u32),
    Sz(&'static str),
}

/// Group Policy class of an ADMX policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Machine,
    User,
}

/// The element of an ADMX policy that carries the value, for policies with `<elements>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// `<enum id=...>`: the decimal of each `<item>`, in ADMX order.
    Enum {
        id: &'static str,
        items: &'static [u32],
    },
    /// `<text id=...>`: a REG_SZ the user types.
    Text { id: &'static str },
    /// `<decimal id=... valueName=... minValue=... maxValue=...>`: a REG_DWORD the user enters.
    /// Its value name may differ from the policy's own (`TS_KEEP_ALIVE` writes
    /// `KeepAliveEnable` itself and `KeepAliveInterval` through the element).
    Decimal {
        id: &'static str,
        value_name: &'static str,
        min: u32,
        max: u32,
    },
}

/// An ADMX policy as Microsoft's file defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmxPolicy {
    /// File under `PolicyDefinitions`, e.g. `TerminalServer.admx`.
    pub file: &'static str,
    /// Policy `name` attribute.
    pub id: &'static str,
    pub class: Class,
    /// Registry key below the class's hive.
    pub key: &'static str,
    pub value_name: &'static str,
    /// Type of the value the *Enabled* state writes.
    pub value_type: ValueType,
    /// `enabledValue` or the `enabledList` item for this value; `None` for element policies.
    pub enabled: Option<Data>,
    /// `disabledValue` or the `disabledList` item; `None` when Disabled deletes the value.
    pub disabled: Option<Data>,
    pub element: Option<Element>,
    /// `supportedOn` reference.
    pub supported_on: &'static str,
}

/// A value outside the policy keys: where Windows keeps the setting itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalValue {
    /// Key below HKEY_LOCAL_MACHINE.
    pub key: &'static str,
    pub value_name: &'static str,
    pub value_type: ValueType,
    /// What Windows has when nobody changed it; `None` when the value is absent by default.
    /// Rollback restores this.
    pub windows_default: Option<Data>,
}

/// How a policy-language value selects a Group Policy state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// A boolean field: `true` puts the policy in `when_true`, `false` in the other state.
    Bool { when_true: State },
    /// An enum field: each language value and the decimal its ADMX item writes.
    Enum(&'static [(&'static str, u32)]),
    /// A session duration: one of [`super::SESSION_DURATIONS`].
    Duration,
    /// A free-text field written as the policy's text element.
    Text,
    /// A list joined with `,` into the policy's text element.
    CommaList,
    /// An integer field written as the policy's decimal element (range from the element).
    Count,
    /// A duration in whole minutes (`30m`, `2h`, `1d`; see [`super::keep_alive_minutes`]):
    /// Enabled writes the policy's own enabled value and the minutes into its decimal
    /// element; `never` is the Disabled state.
    Minutes,
    /// Lowered by dedicated code (port, thumbprint, TLS versions, firewall, logon rights).
    Special,
    /// Read by the audit or by generated scripts only; writes no registry value.
    AuditOnly,
    /// Metadata of the policy or its outputs.
    Metadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Enabled,
    Disabled,
}

/// A benchmark item: CIS recommendation or DISA STIG rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Benchmark {
    /// `18.10.57.3.9.3` or `WN22-CC-000380 / V-254369`.
    pub id: &'static str,
    /// `L1 (MS+DC)`, `CAT II`, ...
    pub level: &'static str,
    /// The recommended value in policy-language JSON (`"tls"`, `true`, `["Guests"]`).
    pub value: &'static str,
    /// Which benchmark edition the id belongs to.
    pub source: &'static str,
}

/// One setting of the policy language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The policy field, `security.layer`.
    pub field: &'static str,
    /// Microsoft's display name of the policy, or a description for non-policy settings.
    pub title: &'static str,
    /// What the setting does and why it matters, in one paragraph.
    pub explanation: &'static str,
    /// Values the field takes, as documented to users.
    pub values: &'static str,
    pub mapping: Mapping,
    /// The Group Policy behind the field, when Microsoft ships one.
    pub policy: Option<AdmxPolicy>,
    /// Where Windows keeps the setting outside the policy keys; rdpgen writes it only when no
    /// policy exists, and reads it in audits (the policy value wins while present).
    pub local: &'static [LocalValue],
    /// The WMI property that reports the setting.
    pub wmi: Option<&'static str>,
    pub cis: &'static [Benchmark],
    pub stig: &'static [Benchmark],
    /// The 0x904/0x7 causes (`C1`...) this setting prevents or detects.
    pub causes: &'static [&'static str],
}

/// A known cause of RDP error 0x904 with extended error 0x7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cause {
    pub id: &'static str,
    pub title: &'static str,
    pub mechanism: &'static str,
    /// Policy fields that prevent it.
    pub prevented_by: &'static [&'static str],
    /// What `rdpgen diff` checks to detect it.
    pub detected_by: &'static str,
    pub remediation: &'static str,
}
