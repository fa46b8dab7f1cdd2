//! The `Model`: a policy fully resolved into what Windows must hold. No YAML, no CLI, no
//! output format: every back end and the audit read this and the catalog only.

pub mod describe;
mod firewall;
pub mod rollback;
mod vocab;

pub use firewall::{FirewallRuleError, location as firewall_location};
pub use vocab::{FirewallProfile, TlsVersion};

/// The namespace of rdpgen's deterministic GPO GUIDs (UUIDv5 of the policy name): lowering
/// derives the GPO's GUID from it, the GPO backup its backup id.
pub const GPO_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6f1c_7a52_9d3e_5b8a_a1f4_2c0e_9b7d_3e51);

use crate::catalog::State;
use crate::firewall_address::FirewallAddress;
use crate::formats::Hive;
use crate::formats::RegistryValue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// The policy name: names outputs.
    pub name: String,
    pub description: Option<String>,
    /// SHA-256 (lower-case hex) of the merged policy in canonical JSON: identifies exactly
    /// which policy an artifact came from.
    pub policy_hash: String,
    pub gpo: GpoMetadata,
    /// Registry operations of the settings, in catalog order. The firewall's registry form
    /// is not here: it is derived from `firewall` ([`Model::firewall_registry`];
    /// [`Model::registry_ops`] gives both).
    pub registry: Vec<RegistryOp>,
    /// Registry values `diff` checks that no back end writes: the host-wide `posture` values
    /// in `audit` mode. (In `enforce` mode they are in `registry`.)
    pub audit_registry: Vec<RegistryOp>,
    /// The firewall profile state the policy requires (`posture.firewall`), checked by `diff`
    /// against the state Windows applies. With `enforced`, its Group Policy values are also in
    /// `registry`.
    pub firewall_posture: Option<FirewallPosture>,
    /// The account lockout policy (`posture.accountLockout`): checked by `diff`; written to the
    /// GPO's GptTmpl.inf only when `enforced`.
    pub account_lockout: Option<AccountLockout>,
    /// Allow rules first, then the block rules that make the scope hold (see
    /// [`FirewallScope`]). The one place a rule is stored.
    pub firewall: Vec<FirewallRule>,
    /// For `RollbackOrigin::Host`: the host's values at the firewall's registry locations
    /// ([`firewall_location`]), which rollback restores; a location not here is deleted.
    pub host_firewall_values: std::collections::BTreeMap<String, RegistryValue>,
    /// The scope the allow rules promise, and whether block rules enforce it.
    pub firewall_scope: Option<FirewallScope>,
    pub certificate: CertificateRequirements,
    pub logon_rights: Vec<LogonRight>,
    pub host_actions: Vec<HostAction>,
    /// What the rollback artifacts restore: Windows defaults, or one host's own values
    /// (`rdpgen build --rollback-from`); see [`rollback`].
    pub rollback_origin: RollbackOrigin,
    /// Accepted deviations, for the audit.
    pub waivers: Vec<Waiver>,
}

/// Where the `rollback` value of every [`RegistryOp`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RollbackOrigin {
    /// The catalog's Windows default for local values Windows always has, deletion for the
    /// rest: not what a given host had.
    #[default]
    WindowsDefaults,
    /// The values one host had (a snapshot, a `.reg` export or the live registry): restored,
    /// and only what it did not have deleted.
    Host,
}

/// An accepted deviation: failing checks of `field` on matching hosts are waived until the end
/// of `expires` (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// A policy field or a check id.
    pub field: String,
    /// Host globs; empty means every host.
    pub hosts: Vec<String>,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpoMetadata {
    pub display_name: String,
    /// Registry format, upper case: `{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}`.
    pub guid: String,
    pub domain: Option<String>,
}

/// Whether a value lives under a Group Policy key or where Windows keeps it itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Under `SOFTWARE\Policies` (or another key an ADMX policy writes): removed when the GPO
    /// no longer applies.
    Policy,
    /// A value of the running system (listener, SCHANNEL): stays until changed ("tattoo").
    Local,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAction {
    Set(RegistryValue),
    Delete,
}

impl Provenance {
    /// The policy field behind the operation, `security.layer`.
    #[must_use]
    pub fn field(&self) -> &'static str {
        self.setting.field
    }
}

/// Why a registry operation exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The catalog setting behind it (its field: `security.layer`).
    pub setting: &'static crate::catalog::Setting,
    /// ADMX file and policy id, when an ADMX policy describes the value.
    pub admx: Option<(&'static str, &'static str)>,
    /// The ADMX policy state the value comes from.
    pub state: Option<State>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryOp {
    pub hive: Hive,
    /// Key below the hive, as Microsoft spells it.
    pub key: String,
    pub value_name: String,
    pub action: RegistryAction,
    pub scope: Scope,
    pub provenance: Provenance,
    /// What rollback restores: `None` deletes the value.
    pub rollback: Option<RegistryValue>,
}

impl RegistryOp {
    /// The value this operation leaves in place when applied, or when rolled back; `None`
    /// means the value is deleted.
    #[must_use]
    pub fn value_after(&self, rollback: bool) -> Option<&RegistryValue> {
        if rollback {
            self.rollback.as_ref()
        } else {
            match &self.action {
                RegistryAction::Set(v) => Some(v),
                RegistryAction::Delete => None,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    /// IANA protocol number.
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Self::Tcp => 6,
            Self::Udp => 17,
        }
    }
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
        }
    }
}

/// What an inbound rule does with the traffic it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FirewallAction {
    Allow,
    /// Wins over every allow rule, of any store (Windows Firewall: block beats allow).
    Block,
}

impl FirewallAction {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Block => "Block",
        }
    }
}

/// The RDP scope of a policy: from where, on which profiles, which ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallScope {
    /// Sorted; empty means every profile.
    pub profiles: Vec<FirewallProfile>,
    /// Sorted; empty means any address.
    pub allow_from: Vec<FirewallAddress>,
    pub port: u16,
    pub protocols: Vec<Protocol>,
    /// Whether rdpgen's block rules enforce the scope against other allow rules
    /// (`firewall.builtinRules: override`); false with `keep`.
    pub enforced: bool,
    /// Addresses the block rules cannot cover: the scope holds `local-subnet`, which has no
    /// complement, so other allow rules still admit any address on the chosen profiles.
    pub unenforceable_addresses: bool,
}

/// Firewall profile state required on the Domain, Private and Public profiles; `None`: not
/// configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirewallPosture {
    pub enabled: Option<bool>,
    pub default_block: Option<bool>,
    pub merge_local: Option<bool>,
    pub enforced: bool,
}

/// The account lockout policy (`posture.accountLockout`), as GptTmpl.inf `[System Access]`
/// states it; `None`: not configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLockout {
    /// `LockoutBadCount`.
    pub threshold: Option<u32>,
    /// `LockoutDuration`: minutes, or -1 for "until an administrator unlocks it".
    pub duration: Option<i64>,
    /// `ResetLockoutCount`, minutes.
    pub reset_after: Option<u32>,
    /// `AllowAdministratorLockout`.
    pub administrator: Option<bool>,
    /// `posture.mode: enforce`: the GPO's security template writes it.
    pub enforced: bool,
}

impl AccountLockout {
    /// The `[System Access]` lines, in the order Microsoft's baselines write them.
    #[must_use]
    pub fn lines(&self) -> Vec<(&'static str, i64)> {
        use crate::catalog::keys;
        [
            (keys::LOCKOUT_BAD_COUNT, self.threshold.map(i64::from)),
            (keys::LOCKOUT_RESET, self.reset_after.map(i64::from)),
            (keys::LOCKOUT_DURATION, self.duration),
            (
                keys::LOCKOUT_ADMINISTRATOR,
                self.administrator.map(i64::from),
            ),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

/// `PolicyVersion` under the firewall policy key: what every Microsoft baseline that carries
/// firewall settings writes (538 = 0x021A, schema 2.26).
pub const FIREWALL_POLICY_VERSION: u32 = 538;

/// An inbound rule for the RDP listener: an allow rule of the scope, or a block rule that
/// keeps other allow rules from widening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallRule {
    /// The rule id, the one identity of the rule in every target: the registry value name in
    /// the GPO, NetworkingDsc's `Name`, and (as the display name, which is what the COM API
    /// names a rule by) DSC v3's `name`. `rdpgen-<policy>-TCP-In`,
    /// `rdpgen-<policy>-TCP-In-Block-Outside`, `rdpgen-<policy>-TCP-In-Block-Profiles`.
    pub id: String,
    /// Equal to `id`.
    pub display_name: String,
    pub action: FirewallAction,
    pub description: String,
    /// Rule group (EmbedCtxt).
    pub group: String,
    pub protocol: Protocol,
    pub local_port: u16,
    /// Sorted; empty means every profile.
    pub profiles: Vec<FirewallProfile>,
    /// Sorted and deduplicated; empty means any address.
    pub remote_addresses: Vec<FirewallAddress>,
    /// The program the rule is limited to (`%SystemRoot%\system32\svchost.exe` for allow rules);
    /// `None`: every program (block rules, so no other rule can reopen the port).
    pub program: Option<String>,
    /// The service the rule is limited to (`termservice` for allow rules); `None`: every one.
    pub service: Option<String>,
}

/// How the listener certificate is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateSource {
    /// Not configured: whatever the host has (normally the self-signed certificate).
    Unmanaged,
    /// Enrolled by the Remote Desktop Configuration service from this template.
    Template(String),
    /// Bound explicitly; upper-case hex without separators.
    Thumbprint(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequirements {
    pub source: CertificateSource,
    pub expiry_warning_days: Option<u32>,
    pub min_key_size: Option<u32>,
    pub allow_self_signed: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UserRight {
    /// Allow log on through Remote Desktop Services.
    SeRemoteInteractiveLogonRight,
    /// Deny log on through Remote Desktop Services.
    SeDenyRemoteInteractiveLogonRight,
}

impl UserRight {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SeRemoteInteractiveLogonRight => "SeRemoteInteractiveLogonRight",
            Self::SeDenyRemoteInteractiveLogonRight => "SeDenyRemoteInteractiveLogonRight",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// As written in the policy.
    pub name: String,
    /// Known for well-known accounts and entries written as SIDs.
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogonRight {
    pub right: UserRight,
    pub accounts: Vec<Account>,
}

/// Work on the host that no registry value expresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAction {
    /// Set `Win32_TSGeneralSetting.SSLCertificateSHA1Hash` of RDP-Tcp (the certificate must be
    /// in LocalMachine\My).
    BindListenerCertificate { thumbprint: String },
    /// Grant NETWORK SERVICE read on the private key file of the certificate the listener uses,
    /// and nothing else.
    RepairPrivateKeyPermissions { certificate: CertificateSource },
}
