//! Host snapshots: the JSON the collector writes (versioned, with a JSON Schema), and the
//! conversion of every accepted input — collector JSON, `.reg` exports, Registry.pol files,
//! and directories of them — into one [`HostState`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::formats::reg_file::{self, RegFileAction, RegSection};
use crate::formats::registry_pol;
use crate::formats::{Hive, RegistryValue};

/// The snapshot format version this rdpgen reads and its collector writes.
pub const SNAPSHOT_VERSION: u32 = 1;
/// Largest host file read; snapshots are tens of kilobytes.
pub const MAX_SNAPSHOT_BYTES: u64 = 16 * 1024 * 1024;
/// Longest string kept from a snapshot; longer ones are an error, not a truncation.
pub const MAX_STRING_CHARS: usize = 64 * 1024;

/// One host as the collector sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "rdpgen host snapshot")]
pub struct Snapshot {
    /// Snapshot format version. Must be 1.
    pub rdpgen_snapshot: u32,
    /// Host name.
    pub host: String,
    /// Windows version, e.g. `10.0.20348`.
    #[serde(default)]
    pub os_version: Option<String>,
    /// Capture time, RFC 3339 in UTC (`2026-11-24T10:00:00Z`). Certificate expiry is judged at
    /// this time, so a report about a snapshot never changes.
    pub captured_at: String,
    /// Every registry value of every catalog location, policy and local. A value that is
    /// absent on the host is absent here: the section is evidence that it is not set.
    pub registry: Vec<SnapshotValue>,
    /// The certificate the RDP-Tcp listener actually uses. Absent: not collected (its checks
    /// are not verified); `null`: the collector looked and the listener reports none.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<CertificateInfo>")]
    pub certificate: Option<Option<CertificateInfo>>,
    /// Firewall state relevant to RDP. Absent: not collected.
    #[serde(default)]
    pub firewall: Option<FirewallInfo>,
    /// The RDP-Tcp listener. Absent: not collected.
    #[serde(default)]
    pub listener: Option<ListenerInfo>,
    /// The two Remote Desktop logon rights as `secedit /export /areas USER_RIGHTS` reports
    /// them. Absent: not collected.
    #[serde(default)]
    pub logon_rights: Option<LogonRightsInfo>,
    /// The account lockout policy as `secedit /export /areas SECURITYPOLICY` reports it in
    /// `[System Access]`. Absent: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_lockout: Option<AccountLockoutInfo>,
}

/// The account lockout numbers of `[System Access]`, named as secedit and GptTmpl.inf name
/// them. A line the export (or a GPO's template) does not have is absent: not set there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountLockoutInfo {
    /// Failed logons before an account is locked; 0 never locks.
    #[serde(default, rename = "LockoutBadCount")]
    pub threshold: Option<i64>,
    /// Minutes a locked account stays locked; -1 until an administrator unlocks it.
    #[serde(default, rename = "LockoutDuration")]
    pub duration: Option<i64>,
    /// Minutes until the count of failed logons starts again.
    #[serde(default, rename = "ResetLockoutCount")]
    pub reset_after: Option<i64>,
    /// 1 when the built-in Administrator can be locked out, 0 when not.
    #[serde(default, rename = "AllowAdministratorLockout")]
    pub administrator: Option<i64>,
}

impl AccountLockoutInfo {
    /// The four numbers of a security template's `[System Access]`.
    #[must_use]
    pub fn of_template(t: &crate::formats::security_template::SecurityTemplate) -> Self {
        use crate::catalog::keys;
        Self {
            threshold: t.system_access(keys::LOCKOUT_BAD_COUNT),
            duration: t.system_access(keys::LOCKOUT_DURATION),
            reset_after: t.system_access(keys::LOCKOUT_RESET),
            administrator: t.system_access(keys::LOCKOUT_ADMINISTRATOR),
        }
    }
}

/// `Some(value)` for a field that is present, even as `null`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Members of the Remote Desktop logon rights: `*S-1-5-32-544` (a SID) or an account name
/// Windows could not resolve. On a host, a right that holds no account is `[]` (secedit omits
/// it; the collector writes the empty list); in a GPO, a right the template does not list is
/// absent (`null`): the GPO does not set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogonRightsInfo {
    /// "Allow log on through Remote Desktop Services".
    #[serde(default, rename = "SeRemoteInteractiveLogonRight")]
    pub allow: Option<Vec<String>>,
    /// "Deny log on through Remote Desktop Services".
    #[serde(default, rename = "SeDenyRemoteInteractiveLogonRight")]
    pub deny: Option<Vec<String>>,
}

/// A registry value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SnapshotValue {
    /// Key with its hive: `HKLM\SOFTWARE\Policies\...`.
    pub key: String,
    /// Value name (`""` for the default value).
    pub name: String,
    /// `REG_DWORD`, `REG_SZ`, `REG_EXPAND_SZ`, `REG_MULTI_SZ`, `REG_BINARY`, `REG_QWORD`,
    /// `REG_NONE`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A number for DWORD/QWORD, a string for SZ/EXPAND_SZ, a list of strings for MULTI_SZ,
    /// lower-case hex for BINARY and NONE.
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificateInfo {
    /// SHA-1 thumbprint, hex.
    pub thumbprint: String,
    pub subject: String,
    pub issuer: String,
    /// RFC 3339 UTC.
    pub not_before: String,
    /// RFC 3339 UTC.
    pub not_after: String,
    /// Enhanced key usage OIDs.
    #[serde(default)]
    pub ekus: Vec<String>,
    /// Public key size in bits.
    #[serde(default)]
    pub key_size: Option<u32>,
    pub self_signed: bool,
    /// Store the certificate was found in (`Remote Desktop`, `My`).
    #[serde(default)]
    pub store: Option<String>,
    /// Whether NETWORK SERVICE may read the private key file; `null` when the key file was not
    /// found.
    #[serde(default)]
    pub network_service_can_read_key: Option<bool>,
    /// The private key file under MachineKeys.
    #[serde(default)]
    pub key_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FirewallInfo {
    /// Network category per connected interface.
    #[serde(default)]
    pub network_categories: Vec<NetworkCategory>,
    /// Inbound rules for the RDP port(s), from every store: every enabled inbound rule whose
    /// port and protocol admit the listener's port, and rdpgen's and Windows' Remote Desktop
    /// rules in any state. When the section is present, this list is taken as complete.
    #[serde(default)]
    pub rules: Vec<FirewallRuleInfo>,
    /// Per-profile settings, one entry per profile and store (`Get-NetFirewallProfile
    /// -PolicyStore RSOP` and `PersistentStore`); a setting left unconfigured is `null`.
    #[serde(default)]
    pub profiles: Vec<FirewallProfileInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FirewallProfileInfo {
    /// `Domain`, `Private` or `Public`.
    pub profile: String,
    /// `GroupPolicy` (the resultant Group Policy) or `PersistentStore` (local settings).
    pub store: String,
    /// Whether the firewall is on for the profile (`EnableFirewall`).
    #[serde(default)]
    pub enable_firewall: Option<bool>,
    /// `Block` or `Allow` (`DefaultInboundAction` 1 or 0).
    #[serde(default)]
    pub default_inbound_action: Option<String>,
    /// Whether local rules apply on the profile (`AllowLocalPolicyMerge`, NetSecurity's
    /// `AllowLocalFirewallRules`); meaningful in the `GroupPolicy` store only.
    #[serde(default)]
    pub allow_local_policy_merge: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkCategory {
    pub interface: String,
    /// `DomainAuthenticated`, `Private` or `Public`.
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FirewallRuleInfo {
    /// Rule id (`Name` in NetSecurity).
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub enabled: bool,
    /// `Inbound` or `Outbound`.
    pub direction: String,
    /// `Allow` or `Block`.
    pub action: String,
    /// `TCP`, `UDP`, `Any` or a number.
    pub protocol: String,
    #[serde(default)]
    pub local_ports: Vec<String>,
    #[serde(default)]
    pub remote_addresses: Vec<String>,
    /// Empty or `Any` means every profile.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// The store the rule comes from (NetSecurity's `PolicyStoreSourceType`): `GroupPolicy`,
    /// or `Local` / `PersistentStore` for the host's own rules. Anything but `GroupPolicy` is
    /// a local rule, dropped on profiles whose policy sets `AllowLocalPolicyMerge` to 0.
    #[serde(default)]
    pub policy_store: Option<String>,
    /// The program the rule is limited to (`Get-NetFirewallApplicationFilter`), `Any` or
    /// absent for every program. Remote Desktop runs in `svchost.exe`.
    #[serde(default)]
    pub program: Option<String>,
    /// The service the rule is limited to, `Any` or absent for every service. Remote Desktop
    /// is `TermService`.
    #[serde(default)]
    pub service: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListenerInfo {
    /// Whether something listens on the listener's port.
    #[serde(default)]
    pub listening: Option<bool>,
    /// Process that owns the port, when known.
    #[serde(default)]
    pub owner: Option<String>,
}

/// A registry location, compared case-insensitively as Windows does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistryPath {
    pub hive: HiveId,
    /// Lower-cased key.
    pub key: String,
    /// Lower-cased value name.
    pub name: String,
}

/// `Hive` with ordering, for map keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HiveId {
    LocalMachine,
    CurrentUser,
}

impl From<Hive> for HiveId {
    fn from(h: Hive) -> Self {
        match h {
            Hive::LocalMachine => Self::LocalMachine,
            Hive::CurrentUser => Self::CurrentUser,
        }
    }
}

impl RegistryPath {
    #[must_use]
    pub fn new(hive: Hive, key: &str, name: &str) -> Self {
        Self {
            hive: hive.into(),
            key: key.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        }
    }
}

/// What rdpgen knows of one host after reading all its files.
#[derive(Debug, Clone, Default)]
pub struct HostState {
    pub name: String,
    /// The files read, for reports.
    pub sources: Vec<String>,
    pub registry: BTreeMap<RegistryPath, RegistryValue>,
    /// What the inputs are evidence of.
    pub evidence: Evidence,
    pub captured_at: Option<String>,
    pub os_version: Option<String>,
    /// The listener certificate; meaningful when `evidence.certificate` (then `None` means the
    /// listener reports no certificate).
    pub certificate: Option<CertificateInfo>,
    pub firewall: Option<FirewallInfo>,
    pub listener: Option<ListenerInfo>,
    /// The Remote Desktop logon rights; `None` when no input holds them.
    pub logon_rights: Option<LogonRightsInfo>,
    /// The account lockout numbers; `None` when no input holds them.
    pub account_lockout: Option<AccountLockoutInfo>,
    /// Kinds of input read (`collector`, `.reg`, `Registry.pol`, `GPO`, `live registry`,
    /// `osquery`).
    pub kinds: BTreeSet<&'static str>,
}

/// What a host's inputs prove: the evidence rules of `rdpgen diff` (README, "Evidence").
/// A location outside the evidence is *not verified*; inside it, an absent value is *not set*.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Every registry location: a collector snapshot's registry section, `--local`.
    pub all_registry: bool,
    /// The Group Policy keys (`SOFTWARE\Policies\...`, `...\CurrentVersion\Policies\...`):
    /// Registry.pol files and GPOs, which hold everything a GPO sets there and nothing else.
    pub policy_keys: bool,
    /// Keys (hive, lower-cased key) a `.reg` export holds, each with its subtree.
    pub keys: BTreeSet<(HiveId, String)>,
    /// The certificate the listener uses (collector `certificate` section).
    pub certificate: bool,
    /// Firewall rules and profiles (collector `firewall` section).
    pub firewall: bool,
    /// The listener state (collector `listener` section).
    pub listener: bool,
    /// The Remote Desktop logon rights (collector `logonRights`, a GPO's GptTmpl.inf).
    pub logon_rights: bool,
    /// The account lockout policy (collector `accountLockout`, a GPO's GptTmpl.inf).
    pub account_lockout: LockoutEvidence,
    /// The inputs are osquery results: the registry means the keys the pack queried, and
    /// the certificate's EKUs and key ACL and the network categories are not seen.
    pub osquery: bool,
}

pub use crate::catalog::keys::is_policy_key;

/// What the inputs prove of the account lockout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockoutEvidence {
    /// Nothing.
    #[default]
    None,
    /// Only GPO templates: a line they lack is not set by those GPOs, which says nothing of
    /// the host (domain accounts take it from the GPO linked at the domain root), so it is
    /// not verified rather than not set.
    Gpo,
    /// A collector's secedit export: the host's own; a line it lacks is not set.
    Host,
}

impl Evidence {
    /// Whether the registry key (hive, key) is inside the evidence.
    #[must_use]
    /// An exported key covers its subtree: `reg export` and regedit write every subkey, so a
    /// subkey missing from the export does not exist on the host.
    pub fn covers_key(&self, hive: HiveId, key: &str) -> bool {
        if self.all_registry
            || (self.policy_keys && hive == HiveId::LocalMachine && is_policy_key(key))
        {
            return true;
        }
        let key = key.to_ascii_lowercase();
        if self.keys.contains(&(hive, key.clone())) {
            return true;
        }
        let mut at = key.as_str();
        while let Some((parent, _)) = at.rsplit_once('\\') {
            if self.keys.contains(&(hive, parent.to_string())) {
                return true;
            }
            at = parent;
        }
        false
    }

    fn merge(&mut self, other: Evidence) {
        self.all_registry |= other.all_registry;
        self.policy_keys |= other.policy_keys;
        self.keys.extend(other.keys);
        self.certificate |= other.certificate;
        self.firewall |= other.firewall;
        self.listener |= other.listener;
        self.logon_rights |= other.logon_rights;
        self.account_lockout = self.account_lockout.max(other.account_lockout);
        self.osquery |= other.osquery;
    }

    /// The evidence as people read it, for "not verified" reasons and reports.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.all_registry && self.osquery {
            parts.push("the registry keys queried by osquery".to_string());
        } else if self.all_registry {
            parts.push("the whole registry".to_string());
        } else {
            if self.policy_keys {
                parts.push("the Group Policy keys".to_string());
            }
            if !self.keys.is_empty() {
                parts.push(format!("{} exported keys", self.keys.len()));
            }
        }
        for (on, name) in [
            (self.certificate, "the listener certificate"),
            (self.firewall, "the firewall"),
            (self.listener, "the listener state"),
            (self.logon_rights, "the logon rights"),
            (
                self.account_lockout != LockoutEvidence::None,
                "the account lockout",
            ),
        ] {
            if on {
                parts.push(name.to_string());
            }
        }
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

impl HostState {
    /// The value at a location; `Err(NotCaptured)` when the location is outside the
    /// evidence, `Ok(None)` when the evidence shows it is not set.
    /// A value that an input states is evidence of itself.
    pub fn value(&self, path: &RegistryPath) -> Result<Option<&RegistryValue>, NotCaptured> {
        match self.registry.get(path) {
            Some(v) => Ok(Some(v)),
            None if self.evidence.covers_key(path.hive, &path.key) => Ok(None),
            None => Err(NotCaptured),
        }
    }

    /// Values under a key (lower-cased), with their names as captured.
    pub fn values_under(
        &self,
        hive: Hive,
        key: &str,
    ) -> impl Iterator<Item = (&RegistryPath, &RegistryValue)> {
        let hive = HiveId::from(hive);
        let key = key.to_ascii_lowercase();
        self.registry
            .iter()
            .filter(move |(p, _)| p.hive == hive && p.key == key)
    }

    fn capture_key(&mut self, hive: Hive, key: &str) {
        self.evidence
            .keys
            .insert((hive.into(), key.to_ascii_lowercase()));
    }

    /// Merges another file of the same host; later files win for the same value.
    pub fn merge(&mut self, other: HostState) {
        self.sources.extend(other.sources);
        self.registry.extend(other.registry);
        if other.evidence.certificate {
            self.certificate = other.certificate;
        }
        // The account lockout: a collector's export is what the host applies, so it replaces
        // what GPO templates say (a line it lacks is not set there, whatever a GPO holds);
        // GPO templates complete each other line by line, the later file winning.
        let (mine, theirs) = (
            self.evidence.account_lockout,
            other.evidence.account_lockout,
        );
        self.account_lockout = match (self.account_lockout.take(), other.account_lockout) {
            (Some(a), Some(_)) if mine > theirs => Some(a),
            (Some(a), Some(b)) if mine == LockoutEvidence::Gpo && theirs == mine => {
                Some(AccountLockoutInfo {
                    threshold: b.threshold.or(a.threshold),
                    duration: b.duration.or(a.duration),
                    reset_after: b.reset_after.or(a.reset_after),
                    administrator: b.administrator.or(a.administrator),
                })
            }
            (a, b) => b.or(a),
        };
        self.evidence.merge(other.evidence);
        self.captured_at = other.captured_at.or(self.captured_at.take());
        self.os_version = other.os_version.or(self.os_version.take());
        self.firewall = other.firewall.or(self.firewall.take());
        self.listener = other.listener.or(self.listener.take());
        self.logon_rights = other.logon_rights.or(self.logon_rights.take());
        self.kinds.extend(other.kinds);
    }
}

/// The key was not part of what the host file captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotCaptured;

/// Why a host file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read: {0}")]
    Io(String),
    #[error("larger than {} MiB", MAX_SNAPSHOT_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("not a collector snapshot, .reg export or Registry.pol")]
    UnknownFormat,
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unsupported snapshot version {0}; this rdpgen reads version {SNAPSHOT_VERSION}")]
    Version(u32),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Reg(String),
    #[error("{0}")]
    Pol(String),
    #[error("the directory holds no host files")]
    EmptyDirectory,
    #[error("{0}")]
    Gpo(String),
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    let bytes = crate::fsread::read_regular(path, MAX_SNAPSHOT_BYTES)
        .map_err(|e| SnapshotError::Io(e.to_string()))?;
    if bytes.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(SnapshotError::TooLarge);
    }
    Ok(bytes)
}

/// Reads one host file of any accepted kind.
///
/// # Errors
/// Unreadable, too large, or malformed input.
pub fn read_file(path: &Path) -> Result<HostState, SnapshotError> {
    if path.is_dir() {
        let mut state = from_gpo_dir(path)?;
        state.sources.push(path.display().to_string());
        return Ok(state);
    }
    let bytes = read_bounded(path)?;
    let name = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let mut state = match extension.as_deref() {
        Some("reg") => from_reg(&bytes, &name)?,
        Some("pol") => from_pol(&bytes, &name)?,
        Some("json")
            if crate::formats::text::decode(&bytes)
                .trim_start()
                .starts_with('[') =>
        {
            from_osqueryi_file(path, &bytes, &name)?
        }
        Some("json") => from_json(&crate::formats::text::decode(&bytes))?,
        Some("log") => {
            return Err(SnapshotError::Invalid(
                "an osquery results log holds many hosts: pass it to `rdpgen diff` as its own HOST argument".into(),
            ));
        }
        _ => parse_bytes(&bytes, &name)?,
    };
    state.sources.push(path.display().to_string());
    Ok(state)
}

/// `osqueryi --json` output of one pack query, named after the query (`registry.json`); the
/// host is named after its directory (`read_host`).
fn from_osqueryi_file(path: &Path, bytes: &[u8], name: &str) -> Result<HostState, SnapshotError> {
    let query = super::osquery::query_of_file_stem(name).ok_or_else(|| {
        SnapshotError::Invalid(format!(
            "`{}` is a JSON array, which rdpgen reads as `osqueryi --json` output: name the file after the pack query ({})",
            path.display(),
            crate::catalog::evidence::osquery::QUERY_NAMES.map(|q| format!("{q}.json")).join(", ")
        ))
    })?;
    let mut state =
        super::osquery::from_osqueryi(&crate::formats::text::decode(bytes), query, name)
            .map_err(SnapshotError::Invalid)?;
    // osqueryi prints no time: the output was captured when the file was written.
    state.captured_at = fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .map(super::format_rfc3339);
    Ok(state)
}

/// Parses host-file bytes, detecting the kind from their content.
///
/// # Errors
/// Malformed input of the detected kind, or an unknown kind.
pub fn parse_bytes(bytes: &[u8], default_name: &str) -> Result<HostState, SnapshotError> {
    if bytes.starts_with(b"PReg") {
        return from_pol(bytes, default_name);
    }
    let text = crate::formats::text::decode(bytes);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return from_json(&text);
    }
    if trimmed.starts_with("Windows Registry Editor") || trimmed.starts_with("REGEDIT4") {
        return from_reg(bytes, default_name);
    }
    Err(SnapshotError::UnknownFormat)
}

/// The length in characters of the longest JSON string in `text` (an escape counts as one
/// character), without parsing it: the cap on host strings is checked before any allocation.
fn longest_string(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut longest, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        i += 1;
        let mut n = 0;
        while i < bytes.len() && bytes[i] != b'"' {
            match bytes[i] {
                b'\\' if bytes.get(i + 1) == Some(&b'u') => i += 6,
                b'\\' => i += 2,
                b if b & 0xC0 == 0x80 => {
                    i += 1;
                    continue;
                }
                _ => i += 1,
            }
            n += 1;
        }
        i += 1;
        longest = longest.max(n);
    }
    longest
}

/// Why a snapshot that did not deserialize is wrong, with the messages of the generic path.
fn explain_bad_json(text: &str) -> SnapshotError {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return SnapshotError::Json {
                line: e.line(),
                column: e.column(),
                message: e
                    .to_string()
                    .split(" at line")
                    .next()
                    .unwrap_or("")
                    .to_string(),
            };
        }
    };
    if let Err(e) = check_strings(&value) {
        return e;
    }
    if let Some(v) = value.get("rdpgenSnapshot").and_then(Value::as_u64)
        && v != u64::from(SNAPSHOT_VERSION)
    {
        return SnapshotError::Version(u32::try_from(v).unwrap_or(u32::MAX));
    }
    match serde_json::from_value::<Snapshot>(value) {
        Err(e) => SnapshotError::Invalid(e.to_string()),
        Ok(_) => SnapshotError::Invalid("the snapshot does not match its schema".into()),
    }
}

fn check_strings(value: &Value) -> Result<(), SnapshotError> {
    match value {
        Value::String(s) if s.chars().count() > MAX_STRING_CHARS => Err(SnapshotError::Invalid(
            format!("a string is longer than {MAX_STRING_CHARS} characters"),
        )),
        Value::Array(a) => a.iter().try_for_each(check_strings),
        Value::Object(o) => o.values().try_for_each(check_strings),
        _ => Ok(()),
    }
}

/// Parses a collector snapshot.
///
/// # Errors
/// Invalid JSON (with position), a wrong version, or values that do not fit their types.
pub fn from_json(text: &str) -> Result<HostState, SnapshotError> {
    if longest_string(text) > MAX_STRING_CHARS {
        return Err(SnapshotError::Invalid(format!(
            "a string is longer than {MAX_STRING_CHARS} characters"
        )));
    }
    // Straight into the typed snapshot; only a snapshot that does not fit takes the slow path
    // through a generic JSON value, which tells invalid JSON, another version and a wrong
    // shape apart.
    let snap: Snapshot = match serde_json::from_str(text) {
        Ok(snap) => snap,
        Err(_) => return Err(explain_bad_json(text)),
    };
    if snap.rdpgen_snapshot != SNAPSHOT_VERSION {
        return Err(SnapshotError::Version(snap.rdpgen_snapshot));
    }
    let Snapshot {
        host,
        os_version,
        captured_at,
        registry,
        certificate,
        firewall,
        listener,
        logon_rights,
        account_lockout,
        ..
    } = snap;
    let mut state = HostState {
        name: host,
        evidence: Evidence {
            all_registry: true,
            certificate: certificate.is_some(),
            firewall: firewall.is_some(),
            listener: listener.is_some(),
            logon_rights: logon_rights.is_some(),
            account_lockout: if account_lockout.is_some() {
                LockoutEvidence::Host
            } else {
                LockoutEvidence::None
            },
            ..Evidence::default()
        },
        captured_at: Some(captured_at),
        os_version,
        certificate: certificate.flatten(),
        firewall,
        listener,
        logon_rights,
        account_lockout,
        ..HostState::default()
    };
    let snap_registry = registry;
    state.kinds.insert("collector");
    for v in &snap_registry {
        let (hive, key) = split_hive(&v.key).ok_or_else(|| {
            SnapshotError::Invalid(format!("`{}` does not start with HKLM\\ or HKCU\\", v.key))
        })?;
        let value = json_value(&v.kind, &v.data)
            .map_err(|why| SnapshotError::Invalid(format!("{}\\{}: {why}", v.key, v.name)))?;
        state
            .registry
            .insert(RegistryPath::new(hive, key, &v.name), value);
    }
    Ok(state)
}

/// `HKLM\X` / `HKEY_LOCAL_MACHINE\X` → (hive, `X`).
#[must_use]
pub fn split_hive(path: &str) -> Option<(Hive, &str)> {
    let (root, rest) = path.split_once('\\')?;
    let hive = match root.to_ascii_uppercase().as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => Hive::LocalMachine,
        "HKCU" | "HKEY_CURRENT_USER" => Hive::CurrentUser,
        _ => return None,
    };
    Some((hive, rest.trim_end_matches('\\')))
}

fn json_value(kind: &str, data: &Value) -> Result<RegistryValue, String> {
    let bad = || format!("`{data}` is not {kind} data");
    Ok(match kind {
        "REG_DWORD" => RegistryValue::Dword(
            data.as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(bad)?,
        ),
        "REG_QWORD" => RegistryValue::Qword(data.as_u64().ok_or_else(bad)?),
        "REG_SZ" => RegistryValue::Sz(data.as_str().ok_or_else(bad)?.to_string()),
        "REG_EXPAND_SZ" => RegistryValue::ExpandSz(data.as_str().ok_or_else(bad)?.to_string()),
        "REG_MULTI_SZ" => RegistryValue::MultiSz(
            data.as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
        ),
        "REG_BINARY" | "REG_NONE" => {
            let hex = data.as_str().ok_or_else(bad)?;
            if hex.len() % 2 != 0 {
                return Err(bad());
            }
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(bad)?;
            if kind == "REG_NONE" {
                RegistryValue::None(bytes)
            } else {
                RegistryValue::Binary(bytes)
            }
        }
        other => return Err(format!("unknown registry type `{other}`")),
    })
}

fn from_reg(bytes: &[u8], default_name: &str) -> Result<HostState, SnapshotError> {
    let file = reg_file::read(bytes).map_err(|e| SnapshotError::Reg(e.to_string()))?;
    let mut state = HostState {
        name: default_name.to_string(),
        ..HostState::default()
    };
    state.kinds.insert(".reg");
    for section in file.sections {
        let RegSection::Key { path, values } = section else {
            continue;
        };
        let Some((hive, key)) = split_hive(&path) else {
            continue;
        };
        state.capture_key(hive, key);
        for v in values {
            let name = v.name.unwrap_or_default();
            match v.action {
                RegFileAction::Set(value) => {
                    state
                        .registry
                        .insert(RegistryPath::new(hive, key, &name), value);
                }
                RegFileAction::Delete => {
                    state.registry.remove(&RegistryPath::new(hive, key, &name));
                }
            }
        }
    }
    Ok(state)
}

fn from_pol(bytes: &[u8], default_name: &str) -> Result<HostState, SnapshotError> {
    let entries = registry_pol::read_view(bytes).map_err(|e| SnapshotError::Pol(e.to_string()))?;
    let mut state = HostState {
        name: default_name.to_string(),
        evidence: Evidence {
            policy_keys: true,
            ..Evidence::default()
        },
        ..HostState::default()
    };
    state.kinds.insert("Registry.pol");
    for e in entries.iter() {
        let lower = e.value_name.to_ascii_lowercase();
        if let Some(name) = lower.strip_prefix("**del.") {
            state
                .registry
                .remove(&RegistryPath::new(Hive::LocalMachine, e.key, name));
        } else if lower.starts_with("**delvals") {
            let key = e.key.to_ascii_lowercase();
            state.registry.retain(|p, _| p.key != key);
        } else if !lower.starts_with("**") {
            state.registry.insert(
                RegistryPath::new(Hive::LocalMachine, e.key, e.value_name),
                e.value(),
            );
        }
    }
    Ok(state)
}

/// The entry of `dir` whose name equals `name` ignoring ASCII case, as Windows finds it.
#[must_use]
pub fn child_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
}

/// `dir/a/b/c` with each part found ignoring ASCII case.
#[must_use]
pub fn path_ci(dir: &Path, parts: &[&str]) -> Option<PathBuf> {
    parts
        .iter()
        .try_fold(dir.to_path_buf(), |at, part| child_ci(&at, part))
}

/// The `Machine` folder of a GPO: `{GUID}\DomainSysvol\GPO\Machine` in a GPMC backup,
/// `Machine` in a SYSVOL GPO folder.
fn gpo_machine_dir(dir: &Path) -> Option<PathBuf> {
    if let Some(m) = path_ci(dir, &["DomainSysvol", "GPO", "Machine"]) {
        return Some(m);
    }
    let machine = child_ci(dir, "Machine")?;
    // A SYSVOL GPO folder has gpt.ini beside Machine; a bare `Machine` folder is not a GPO.
    (child_ci(dir, "gpt.ini").is_some() || child_ci(dir, "Backup.xml").is_some()).then_some(machine)
}

/// Whether a directory is one GPO (a GPMC backup `{GUID}` folder or a SYSVOL GPO folder).
#[must_use]
pub fn is_gpo_dir(dir: &Path) -> bool {
    gpo_machine_dir(dir).is_some()
}

/// The GPOs of a GPMC backup folder (the one holding `manifest.xml`), sorted.
fn backup_gpos(dir: &Path) -> Option<Vec<PathBuf>> {
    child_ci(dir, "manifest.xml")?;
    let mut gpos: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && is_gpo_dir(p))
        .collect();
    gpos.sort();
    Some(gpos)
}

/// The GPO's display name: `<GPODisplayName>` of a backup's bkupInfo.xml, or `displayName=`
/// of a SYSVOL folder's gpt.ini (which is not always there).
fn gpo_display_name(dir: &Path) -> Option<String> {
    if let Some(info) = child_ci(dir, "bkupInfo.xml") {
        let bytes = read_bounded(&info).ok()?;
        let text = crate::formats::text::decode(&bytes);
        let start = text.find("<GPODisplayName>")? + "<GPODisplayName>".len();
        let end = start + text[start..].find("</GPODisplayName>")?;
        let raw = text[start..end].trim();
        let name = raw
            .strip_prefix("<![CDATA[")
            .and_then(|r| r.strip_suffix("]]>"))
            .unwrap_or(raw);
        return (!name.is_empty()).then(|| name.to_string());
    }
    let ini = child_ci(dir, "gpt.ini")?;
    let bytes = read_bounded(&ini).ok()?;
    let text = crate::formats::text::decode(&bytes);
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("displayName") && !v.trim().is_empty())
            .then(|| v.trim().to_string())
    })
}

fn gpo_error(path: &Path, what: impl std::fmt::Display) -> SnapshotError {
    SnapshotError::Gpo(format!("{}: {what}", path.display()))
}

/// A GPO as a host input: its machine `registry.pol` (evidence of the Group Policy keys) and
/// its `GptTmpl.inf` (evidence of the logon rights and the account lockout: a right or number
/// the template does not list is not set by this GPO).
///
/// # Errors
/// Not a GPO folder, or a file of it that cannot be read.
pub fn from_gpo_dir(dir: &Path) -> Result<HostState, SnapshotError> {
    let machine = gpo_machine_dir(dir).ok_or_else(|| {
        gpo_error(
            dir,
            "not a GPO folder (no DomainSysvol\\GPO\\Machine, and no gpt.ini with Machine)",
        )
    })?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut state = match child_ci(&machine, "registry.pol") {
        Some(pol) => {
            let bytes = read_bounded(&pol).map_err(|e| gpo_error(&pol, e))?;
            from_pol(&bytes, &name).map_err(|e| gpo_error(&pol, e))?
        }
        None => HostState {
            name: name.clone(),
            evidence: Evidence {
                policy_keys: true,
                ..Evidence::default()
            },
            ..HostState::default()
        },
    };
    state.kinds.insert("GPO");
    if let Some(display) = gpo_display_name(dir) {
        state.name = display;
    }
    state.evidence.logon_rights = true;
    state.evidence.account_lockout = LockoutEvidence::Gpo;
    let mut lockout = AccountLockoutInfo::default();
    let mut rights = LogonRightsInfo::default();
    if let Some(inf) = path_ci(
        &machine,
        &["microsoft", "windows nt", "SecEdit", "GptTmpl.inf"],
    ) {
        let bytes = read_bounded(&inf).map_err(|e| gpo_error(&inf, e))?;
        let template =
            crate::formats::security_template::read(&bytes).map_err(|e| gpo_error(&inf, e))?;
        lockout = AccountLockoutInfo::of_template(&template);
        for right in template.privilege_rights {
            if right
                .name
                .eq_ignore_ascii_case("SeRemoteInteractiveLogonRight")
            {
                rights.allow = Some(right.members);
            } else if right
                .name
                .eq_ignore_ascii_case("SeDenyRemoteInteractiveLogonRight")
            {
                rights.deny = Some(right.members);
            }
        }
    }
    state.logon_rights = Some(rights);
    state.account_lockout = Some(lockout);
    Ok(state)
}

/// One host to read: a file, or a directory whose files are merged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostInput {
    pub name: String,
    pub files: Vec<PathBuf>,
    /// Why the host cannot be read at all (an unlistable directory, a link out of the
    /// directory given); it is then reported as unreadable and the other hosts go on.
    pub problem: Option<String>,
}

/// Why a directory entry is not read: a symbolic link whose target is outside `dir`.
fn escapes(entry: &Path, dir: &Path) -> Option<String> {
    let is_link = fs::symlink_metadata(entry).is_ok_and(|m| m.file_type().is_symlink());
    (is_link && !crate::fsread::stays_inside(entry, dir)).then(|| {
        format!(
            "`{}` is a symbolic link out of `{}`; rdpgen does not follow it",
            entry.display(),
            dir.display()
        )
    })
}

fn is_host_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    !name.starts_with('.')
        && (name.ends_with(".json")
            || name.ends_with(".reg")
            || name.ends_with(".pol")
            || name.ends_with(".log"))
}

/// Hosts to read, in order, held compactly: a directory of a million host files costs its file
/// names and 16 bytes a host here, not a [`HostInput`] (a `String`, a `Vec<PathBuf>` and their
/// heap blocks) each. [`HostInputs::get`] makes the `HostInput` of one host when it is read.
#[derive(Debug, Default)]
pub struct HostInputs {
    /// The directories named on the command line, for their plain host files.
    dirs: Vec<PathBuf>,
    /// The file names of the plain host files, one after the other.
    names: String,
    hosts: Vec<Entry>,
    /// The hosts that are not a plain file of a directory named on the command line: files
    /// named on the command line, subdirectories, GPO backups, links, names that are not UTF-8.
    other: Vec<HostInput>,
}

#[derive(Debug, Clone, Copy)]
enum Entry {
    /// The regular file `dirs[dir]/names[start..end]`.
    Plain { dir: u32, start: u32, end: u32 },
    /// `other[i]`.
    Other(u32),
}

impl HostInputs {
    /// The number of hosts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The `i`th host, or `None` past the end.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<HostInput> {
        Some(match *self.hosts.get(i)? {
            Entry::Plain { dir, start, end } => {
                let name = &self.names[start as usize..end as usize];
                let path = self.dirs[dir as usize].join(name);
                HostInput {
                    name: Path::new(name)
                        .file_stem()
                        .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
                    files: vec![path],
                    problem: None,
                }
            }
            Entry::Other(i) => self.other[i as usize].clone(),
        })
    }

    /// Every host, in order.
    pub fn iter(&self) -> impl Iterator<Item = HostInput> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    fn push(&mut self, input: HostInput) -> Result<(), String> {
        let i = index(self.other.len())?;
        self.other.push(input);
        self.hosts.push(Entry::Other(i));
        Ok(())
    }

    /// Lists the directory `arg`: one host per host file and per subdirectory, sorted by name.
    fn list_dir(&mut self, arg: &Path) -> Result<(), String> {
        let dir = index(self.dirs.len())?;
        let first = self.hosts.len();
        let first_other = self.other.len();
        // The entries that are not plain files, with the file name they sort by.
        let mut other_names = Vec::new();
        for e in fs::read_dir(arg)
            .map_err(|e| format!("cannot list `{}`: {e}", arg.display()))?
            .filter_map(Result::ok)
        {
            let file_name = e.file_name();
            // A regular file (not a link) with a UTF-8 name: no stat, no escape check needed.
            let plain = e.file_type().is_ok_and(|t| t.is_file());
            if plain && let Some(name) = file_name.to_str() {
                if is_host_file(Path::new(name)) {
                    let start = index(self.names.len())?;
                    self.names.push_str(name);
                    let end = index(self.names.len())?;
                    self.hosts.push(Entry::Plain { dir, start, end });
                }
                continue;
            }
            if let Some(input) = classify(&e.path(), arg) {
                self.push(input)?;
                other_names.push(file_name);
            }
        }
        let (names, other) = (&self.names, &other_names);
        let key = |e: &Entry| match *e {
            Entry::Plain { start, end, .. } => &names.as_bytes()[start as usize..end as usize],
            Entry::Other(i) => other[i as usize - first_other].as_encoded_bytes(),
        };
        self.hosts[first..].sort_unstable_by(|a, b| key(a).cmp(key(b)));
        self.dirs.push(arg.to_path_buf());
        Ok(())
    }
}

impl From<Vec<HostInput>> for HostInputs {
    fn from(inputs: Vec<HostInput>) -> Self {
        let hosts = (0..inputs.len())
            .map(|i| Entry::Other(u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        Self {
            hosts,
            other: inputs,
            ..Self::default()
        }
    }
}

fn index(n: usize) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| "too many host files (more than 4 GiB of file names)".to_owned())
}

/// The host of one entry of a directory named on the command line (`dir`), if it is one.
fn classify(entry: &Path, dir: &Path) -> Option<HostInput> {
    let entry_name = |stem: bool| {
        if stem {
            entry.file_stem()
        } else {
            entry.file_name()
        }
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
    };
    if let Some(problem) = escapes(entry, dir) {
        Some(HostInput {
            name: entry_name(entry.is_file()),
            files: vec![entry.to_path_buf()],
            problem: Some(problem),
        })
    } else if entry.is_dir() && is_gpo_dir(entry) {
        Some(HostInput {
            name: dir_name(entry),
            files: vec![entry.to_path_buf()],
            problem: None,
        })
    } else if entry.is_dir() {
        let (files, problem) = match fs::read_dir(entry) {
            Ok(list) => {
                let mut files: Vec<PathBuf> = Vec::new();
                let mut problem = None;
                for e in list {
                    match e {
                        Ok(e) => files.push(e.path()),
                        Err(e) => {
                            problem = Some(format!("cannot list `{}`: {e}", entry.display()));
                        }
                    }
                }
                if problem.is_none() {
                    problem = files.iter().find_map(|f| escapes(f, entry));
                }
                files.retain(|p| !p.is_dir() && is_host_file(p));
                files.sort();
                (files, problem)
            }
            Err(e) => (
                Vec::new(),
                Some(format!("cannot list `{}`: {e}", entry.display())),
            ),
        };
        Some(HostInput {
            name: entry_name(false),
            files,
            problem,
        })
    } else if is_host_file(entry) {
        Some(HostInput {
            name: entry_name(true),
            files: vec![entry.to_path_buf()],
            problem: None,
        })
    } else {
        None
    }
}

/// Expands command-line HOST arguments: a file is a host; a directory holds one host per file
/// and one host per subdirectory (whose files are merged). Sorted by name.
///
/// # Errors
/// An argument that does not exist or cannot be listed.
pub fn expand_inputs(args: &[PathBuf]) -> Result<HostInputs, String> {
    let mut out = HostInputs::default();
    for arg in args {
        let meta =
            fs::metadata(arg).map_err(|e| format!("cannot read `{}`: {e}", arg.display()))?;
        if meta.is_dir() && is_gpo_dir(arg) {
            out.push(HostInput {
                name: dir_name(arg),
                files: vec![arg.clone()],
                problem: None,
            })?;
        } else if meta.is_dir()
            && let Some(gpos) = backup_gpos(arg)
        {
            for gpo in gpos {
                out.push(HostInput {
                    name: dir_name(&gpo),
                    files: vec![gpo],
                    problem: None,
                })?;
            }
        } else if !meta.is_dir() {
            out.push(HostInput {
                name: arg.file_stem().map_or_else(
                    || arg.display().to_string(),
                    |s| s.to_string_lossy().into_owned(),
                ),
                files: vec![arg.clone()],
                problem: None,
            })?;
        } else {
            out.list_dir(arg)?;
        }
    }
    Ok(out)
}

fn dir_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads every file of one host and merges them.
///
/// # Errors
/// The first file that cannot be read, or a directory with no host files.
pub fn read_host(input: &HostInput) -> Result<HostState, SnapshotError> {
    if let Some(problem) = &input.problem {
        return Err(SnapshotError::Io(problem.clone()));
    }
    let mut files = input.files.iter();
    let first = files.next().ok_or(SnapshotError::EmptyDirectory)?;
    let mut state = read_file(first)?;
    for file in files {
        state.merge(read_file(file)?);
    }
    super::osquery::reconcile(&mut state);
    let named = state.kinds.contains("collector") || state.kinds.contains("GPO");
    if input.files.len() > 1 || state.name.is_empty() || !named {
        state.name.clone_from(&input.name);
    }
    Ok(state)
}

/// The JSON Schema of the snapshot format.
#[must_use]
pub fn snapshot_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<Snapshot>().to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snapshot's `accountLockout` keys are the catalog's `[System Access]` names.
    #[test]
    fn account_lockout_keys_are_the_catalogs_names() {
        let all = AccountLockoutInfo {
            threshold: Some(1),
            duration: Some(2),
            reset_after: Some(3),
            administrator: Some(4),
        };
        let v = serde_json::to_value(all).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut names: Vec<&str> = crate::catalog::keys::LOCKOUT_LINES
            .iter()
            .map(|(n, _)| *n)
            .collect();
        names.sort_unstable();
        assert_eq!(keys, names);
        assert_eq!(v[crate::catalog::keys::LOCKOUT_DURATION], 2);
    }

    /// A collector's export is the host's own: GPO templates do not fill the lines it lacks,
    /// in either file order; two GPOs complete each other line by line.
    #[test]
    fn a_collectors_account_lockout_outranks_gpo_templates() {
        let state = |gpo: bool, threshold: Option<i64>, admin: Option<i64>| HostState {
            evidence: Evidence {
                account_lockout: if gpo {
                    LockoutEvidence::Gpo
                } else {
                    LockoutEvidence::Host
                },
                ..Evidence::default()
            },
            account_lockout: Some(AccountLockoutInfo {
                threshold,
                administrator: admin,
                ..AccountLockoutInfo::default()
            }),
            ..HostState::default()
        };
        for collector_first in [true, false] {
            let collector = state(false, Some(5), None);
            let gpo = state(true, Some(3), Some(1));
            let (mut a, b) = if collector_first {
                (collector, gpo)
            } else {
                (gpo, collector)
            };
            a.merge(b);
            let l = a.account_lockout.unwrap();
            assert_eq!((l.threshold, l.administrator), (Some(5), None));
            assert_eq!(a.evidence.account_lockout, LockoutEvidence::Host);
        }
        let mut a = state(true, Some(3), None);
        a.merge(state(true, None, Some(1)));
        let l = a.account_lockout.unwrap();
        assert_eq!((l.threshold, l.administrator), (Some(3), Some(1)));
        assert_eq!(a.evidence.account_lockout, LockoutEvidence::Gpo);
    }

    /// Plain files (held compactly) and subdirectories (held whole) come out in one name order,
    /// each with the name and files a `HostInput` always had.
    #[test]
    fn a_directory_lists_plain_files_and_subdirectories_in_name_order() {
        let dir = std::env::temp_dir().join(format!("rdpgen-host-inputs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("m-host")).unwrap();
        for f in [
            "b.json",
            "a.reg",
            "Z.pol",
            "notes.txt",
            ".hidden.json",
            "m-host/x.json",
        ] {
            fs::write(dir.join(f), "{}").unwrap();
        }
        let inputs = expand_inputs(std::slice::from_ref(&dir)).unwrap();
        let got: Vec<(String, Vec<PathBuf>)> = inputs.iter().map(|h| (h.name, h.files)).collect();
        let _ = fs::remove_dir_all(&dir);
        let want = vec![
            ("Z".to_owned(), vec![dir.join("Z.pol")]),
            ("a".to_owned(), vec![dir.join("a.reg")]),
            ("b".to_owned(), vec![dir.join("b.json")]),
            ("m-host".to_owned(), vec![dir.join("m-host/x.json")]),
        ];
        assert_eq!(got, want);
        assert_eq!(inputs.len(), 4);
        assert!(inputs.get(4).is_none());
    }
}
