//! The YAML surface of policy language v1, mirrored as serde types. `Option` means "not
//! configured": an absent field produces no setting in any artifact. The JSON Schema that
//! editors use is generated from these types, so their doc comments are its descriptions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::model::{FirewallProfile, TlsVersion};

/// `ALL` and the YAML spelling (`as_str`) of a choice enum, so lowering reads the typed value
/// and never serialises it; a test checks each spelling against serde's.
macro_rules! choices {
    ($t:ident { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [Self] = &[$(Self::$v),*];
            /// The value as the policy YAML writes it.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$v => $s),*
                }
            }
        }
    };
}

choices!(Transport { TcpUdp => "tcp-udp", Tcp => "tcp" });
choices!(SecurityLayer { Rdp => "rdp", Negotiate => "negotiate", Tls => "tls" });
choices!(EncryptionLevel { Low => "low", ClientCompatible => "client-compatible", High => "high" });
choices!(LicensingMode { PerUser => "per-user", PerDevice => "per-device" });
choices!(EncryptionOracle {
    ForceUpdatedClients => "force-updated-clients",
    Mitigated => "mitigated",
    Vulnerable => "vulnerable",
});
choices!(BuiltinRules { Override => "override", Keep => "keep" });
choices!(NetworkDetect {
    ConnectTimeAndContinuous => "connect-time-and-continuous",
    ContinuousOnly => "continuous-only",
    ConnectTimeOnly => "connect-time-only",
    Off => "off",
});
choices!(Shadow {
    Disabled => "disabled",
    FullWithConsent => "full-with-consent",
    FullWithoutConsent => "full-without-consent",
    ViewWithConsent => "view-with-consent",
    ViewWithoutConsent => "view-without-consent",
});
choices!(ClipboardLevel {
    None => "none",
    PlainText => "plain-text",
    TextImages => "text-images",
    TextImagesRtf => "text-images-rtf",
    TextImagesRtfHtml => "text-images-rtf-html",
});

/// An rdpgen policy: the Remote Desktop posture of a group of Windows hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "rdpgen policy")]
pub struct Policy {
    /// Policy format version. Must be 1.
    #[schemars(range(min = 1, max = 1))]
    pub rdpgen: u32,
    /// Names the outputs and seeds the GPO GUID: lowercase letters, digits and `-`, at most 63
    /// characters, starting with a letter or digit.
    #[schemars(pattern(r"^[a-z0-9][a-z0-9-]{0,62}$"))]
    pub name: String,
    /// Free text describing the policy; recorded in generated artifacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Bases applied in order before this file: built-in baselines by name (`cis-level1`,
    /// `cis-level2`, `stig`, `msft-baseline`, `break-glass`) or paths relative to this file (`./org-base.yaml`). Maps merge key by key;
    /// scalars and lists are replaced whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<Vec<String>>,
    /// The kind of host the policy (or baseline) is written for: `member-server`,
    /// `domain-controller` or `workgroup`. Logon-right rules depend on it: a workgroup host has
    /// only local accounts, so denying `Local account` locks everyone out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Whether and how clients connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
    /// Security layer, Network Level Authentication and encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
    /// SCHANNEL protocol versions on the server side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    /// The listener certificate: how it is chosen and what the audit requires of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Windows Defender Firewall allow rules for RDP, delivered by Group Policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall: Option<Firewall>,
    /// Remote Desktop licensing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensing: Option<Licensing>,
    /// Session time limits and session count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Sessions>,
    /// Device and resource redirection: `true` allows, `false` denies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirection: Option<Redirection>,
    /// CredSSP settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// Remote Assistance (RemoteAssistance.admx): whether help may be asked for or offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_assistance: Option<RemoteAssistance>,
    /// User rights for Remote Desktop logon (GptTmpl.inf `[Privilege Rights]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logon_rights: Option<LogonRights>,
    /// Metadata of the generated GPO backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpo: Option<Gpo>,
    /// Host-wide settings that decide whether RDP works or is safe but govern more than RDP
    /// (firewall profiles, NTLM, TLS cipher suites, account lockout): `diff` checks them; artifacts write
    /// them only with `mode: enforce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posture: Option<Posture>,
    /// Any other Computer Configuration policy of TerminalServer.admx,
    /// TerminalServer-Server.admx or CredSsp.admx (or, with `--admx DIR`, of the admin's own
    /// ADMX files), by id, with its state and element values, resolved against the ADMX:
    /// never a raw registry value. A policy a typed field covers must be set through that
    /// field. The list is replaced whole by a file that `extends` another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admx: Option<Vec<AdmxSetting>>,
    /// Accepted deviations: a failing `diff` check of `field` on the matching hosts is reported
    /// as waived (with the reason) and counts as passing until `expires`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<Vec<Waiver>>,
}

/// Host-wide posture.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Posture {
    /// `audit` (the default): `diff` checks the values below and no artifact writes them, since
    /// they govern every service of the host; `enforce`: every target writes them too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<PostureMode>,
    /// The state of the Windows Defender Firewall profiles (all three), as Windows applies it:
    /// the Group Policy value where one is set, else the host's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall: Option<FirewallPosture>,
    /// `LmCompatibilityLevel` (Network security: LAN Manager authentication level), 0 to 5;
    /// 5 sends NTLMv2 only and refuses LM and NTLM (CIS 2.3.11.7, WN22-SO-000310).
    #[schemars(range(min = 0, max = 5))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lm_compatibility_level: Option<i64>,
    /// The TLS cipher suites SCHANNEL offers, in order (CipherSuiteOrder.admx
    /// SSLCipherSuiteOrder: `Functions`, comma-joined, at most 1023 characters).
    /// Names as SCHANNEL spells them (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`).
    #[schemars(inner(regex(pattern = r"^[A-Z][A-Z0-9_]{2,127}$")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suites: Option<Vec<String>>,
    /// The account lockout policy (GptTmpl.inf `[System Access]`, applied to the SAM of the
    /// host: on a member its local accounts; domain accounts follow only the GPO linked at the
    /// domain root, which domain controllers apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_lockout: Option<AccountLockout>,
}

/// Account lockout: what stops a password-guessing run against RDP.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountLockout {
    /// Failed logons before an account is locked (`LockoutBadCount`), 0 to 999; 0 never
    /// locks an account.
    #[schemars(range(min = 0, max = 999))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<i64>,
    /// How long a locked account stays locked (`LockoutDuration`): `Nm`, `Nh` or `Nd`, 1 to
    /// 99999 minutes, or `until-unlocked` (an administrator must unlock it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Minutes after a failed logon until the count starts again (`ResetLockoutCount`): `Nm`,
    /// `Nh` or `Nd`, 1 to 99999 minutes, at most `duration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_after: Option<String>,
    /// Whether the built-in Administrator account can be locked too
    /// (`AllowAdministratorLockout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub administrator: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PostureMode {
    Audit,
    Enforce,
}

/// Firewall profile state required on every profile.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FirewallPosture {
    /// The firewall is on (`EnableFirewall`=1). Off, no rule matters: the RDP scope is void.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// What inbound traffic no rule matches gets (`DefaultInboundAction`: 1 block, 0 allow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_inbound: Option<DefaultInbound>,
    /// Whether locally added allow rules apply beside Group Policy's (`AllowLocalPolicyMerge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_rules: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultInbound {
    Block,
    Allow,
}

/// One ADMX policy of the `admx:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmxSetting {
    /// `TerminalServer/TS_MAXDISPLAYRES`: the ADMX file's name without `.admx`, then the
    /// policy's name (`rdpgen explain TerminalServer/TS_MAXDISPLAYRES` shows its elements).
    #[schemars(regex(pattern = r"^[^/\s]+/[^/\s]+$"))]
    pub policy: String,
    /// `enabled` or `disabled`, as in the Group Policy editor.
    pub state: AdmxState,
    /// The element values of an enabled policy, by element id: a number (decimal), `true` or
    /// `false` (boolean), a string (text), an item name or its number (enum), a list of
    /// strings (list, multiText) or a map of value names to strings (a list with
    /// `explicitValue`). Every element but lists and multiText must be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<std::collections::BTreeMap<String, crate::catalog::admx::Input>>,
}

/// The state of an ADMX policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AdmxState {
    Enabled,
    Disabled,
}

impl AdmxState {
    /// The catalog's state.
    #[must_use]
    pub fn state(self) -> crate::catalog::State {
        match self {
            Self::Enabled => crate::catalog::State::Enabled,
            Self::Disabled => crate::catalog::State::Disabled,
        }
    }
}

/// One accepted deviation from the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Waiver {
    /// The policy field (`certificate.allowSelfSigned`) or `diff` check id
    /// (`tls.minVersion:TLS 1.0:Enabled`) whose failure is accepted.
    pub field: String,
    /// Host names the waiver covers, as globs (`*`, `?`; case-insensitive). Default: every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Why the deviation is accepted; shown in every report.
    pub reason: String,
    /// The last day the waiver holds (`YYYY-MM-DD`, UTC); from the next day the drift shows again.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Connection {
    /// Allow Remote Desktop connections (TS_DISABLE_CONNECTIONS: fDenyTSConnections 0 when true,
    /// 1 when false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<bool>,
    /// Listener port, 1..65535 (RDP-Tcp PortNumber, a local value with no ADMX policy). Firewall
    /// rules use the same port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    /// Transport protocols (TS_SELECT_TRANSPORT SelectTransport): `tcp-udp` (2) or `tcp` (1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// Keep-alive interval (TS_KEEP_ALIVE: KeepAliveEnable 1 and KeepAliveInterval in minutes,
    /// 1..999999): `Nm`, `Nh` or `Nd`; `never` writes KeepAliveEnable 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<String>,
    /// Most simultaneous connections, 1..999999, 999999 meaning unlimited (TS_MAX_CON_POLICY
    /// MaxInstanceCount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<i64>,
    /// Let clients reconnect by themselves after a network drop (TS_AUTO_RECONNECT, inverted:
    /// fDisableAutoReconnect 0 when true, 1 when false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_reconnect: Option<bool>,
    /// Network detection on the server (TS_SELECT_NETWORK_DETECT SelectNetworkDetect):
    /// `connect-time-and-continuous` (0), `continuous-only` (1), `connect-time-only` (2) or
    /// `off` (3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_detect: Option<NetworkDetect>,
    /// Disconnect a locked session instead of showing the remote lock screen, for legacy
    /// (password, smart card) authentication (TS_DISCONNECT_ON_LOCK_POLICY
    /// fDisconnectOnLockLegacy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_on_lock: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkDetect {
    // Connect Time Detect and Continuous Network Detect (SelectNetworkDetect 0).
    ConnectTimeAndContinuous,
    // Connect Time Detect off (SelectNetworkDetect 1).
    ContinuousOnly,
    // Continuous Network Detect off (SelectNetworkDetect 2).
    ConnectTimeOnly,
    // Both off (SelectNetworkDetect 3).
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    // Use either UDP or TCP (SelectTransport 2).
    TcpUdp,
    // Use only TCP (SelectTransport 1).
    Tcp,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Security {
    /// Security layer (TS_SECURITY_LAYER_POLICY SecurityLayer): `rdp` (0, server not
    /// authenticated), `negotiate` (1) or `tls` (2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<SecurityLayer>,
    /// Require Network Level Authentication (TS_USER_AUTHENTICATION_POLICY UserAuthentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nla: Option<bool>,
    /// Client connection encryption level (TS_ENCRYPTION_POLICY MinEncryptionLevel): `low` (1),
    /// `client-compatible` (2) or `high` (3). Applies to the native RDP layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionLevel>,
    /// Always prompt for password upon connection (TS_PASSWORD fPromptForPassword).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_for_password: Option<bool>,
    /// Require secure RPC communication (TS_RPC_ENCRYPTION fEncryptRPCTraffic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_rpc: Option<bool>,
    /// Do not allow passwords to be saved (TS_CLIENT_DISABLE_PASSWORD_SAVING_2
    /// DisablePasswordSaving).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_password_saving: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityLayer {
    // Native RDP encryption; the server is not authenticated (SecurityLayer 0).
    Rdp,
    // TLS when the client supports it, else native RDP (SecurityLayer 1).
    Negotiate,
    // TLS with server authentication; fails when TLS is not possible (SecurityLayer 2).
    Tls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EncryptionLevel {
    // MinEncryptionLevel 1.
    Low,
    // MinEncryptionLevel 2.
    ClientCompatible,
    // MinEncryptionLevel 3.
    High,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tls {
    /// Lowest TLS version the server side of SCHANNEL accepts. Versions at or above it get
    /// Enabled=1/DisabledByDefault=0, versions below it Enabled=0/DisabledByDefault=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<TlsVersion>,
    /// The oldest Windows release the policy is applied to. TLS 1.3 keys are written only when
    /// every targeted release has TLS 1.3 (Windows Server 2022 and later, Windows 11), and
    /// `minVersion: "1.3"` is an error when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_os: Option<TargetOs>,
}

/// The host kind a policy is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    // A domain-joined server that is not a domain controller.
    MemberServer,
    // A domain controller: it has no local accounts.
    DomainController,
    // A host that is not domain-joined: every account is local (S-1-5-113).
    Workgroup,
}

impl Role {
    /// As written in policies.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MemberServer => "member-server",
            Self::DomainController => "domain-controller",
            Self::Workgroup => "workgroup",
        }
    }
}

/// A Windows release a policy targets, oldest supported first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TargetOs {
    #[serde(rename = "windows-server-2012-r2")]
    WindowsServer2012R2,
    #[serde(rename = "windows-server-2016")]
    WindowsServer2016,
    #[serde(rename = "windows-server-2019")]
    WindowsServer2019,
    #[serde(rename = "windows-server-2022")]
    WindowsServer2022,
    #[serde(rename = "windows-server-2025")]
    WindowsServer2025,
    #[serde(rename = "windows-10")]
    Windows10,
    #[serde(rename = "windows-11")]
    Windows11,
}

impl TargetOs {
    pub const ALL: [TargetOs; 7] = [
        Self::WindowsServer2012R2,
        Self::WindowsServer2016,
        Self::WindowsServer2019,
        Self::WindowsServer2022,
        Self::WindowsServer2025,
        Self::Windows10,
        Self::Windows11,
    ];

    /// As written in policies.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WindowsServer2012R2 => "windows-server-2012-r2",
            Self::WindowsServer2016 => "windows-server-2016",
            Self::WindowsServer2019 => "windows-server-2019",
            Self::WindowsServer2022 => "windows-server-2022",
            Self::WindowsServer2025 => "windows-server-2025",
            Self::Windows10 => "windows-10",
            Self::Windows11 => "windows-11",
        }
    }

    /// Whether SCHANNEL of this release (and every later one) has a TLS 1.3 server.
    #[must_use]
    pub fn has_tls13(self) -> bool {
        matches!(
            self,
            Self::WindowsServer2022 | Self::WindowsServer2025 | Self::Windows11
        )
    }
}

/// How a policy writes a TLS version ([`TlsVersion`], owned by the model): `1.2` or `"1.2"`.
impl JsonSchema for TlsVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TlsVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "enum": ["1.0", "1.1", "1.2", "1.3", 1.0, 1.1, 1.2, 1.3]
        })
    }
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = TlsVersion;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("one of `1.0`, `1.1`, `1.2`, `1.3`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TlsVersion, E> {
                TlsVersion::ALL
                    .into_iter()
                    .find(|t| t.as_str() == v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<TlsVersion, E> {
                TlsVersion::ALL
                    .into_iter()
                    .find(|t| t.as_str().parse::<f64>().is_ok_and(|n| n == v))
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TlsVersion, E> {
                match v {
                    1 => Ok(TlsVersion::Tls10),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TlsVersion, E> {
                match v {
                    1 => Ok(TlsVersion::Tls10),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Certificate {
    /// Certificate template the listener enrols from (TS_CERTIFICATE_TEMPLATE_POLICY
    /// CertTemplateName). Set this or `thumbprint`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// SHA-1 thumbprint of a certificate in LocalMachine\My to bind to the listener (RDP-Tcp
    /// SSLCertificateSHA1Hash, 20 bytes). Spaces, colons and U+200E are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    /// Audit: report a finding when the bound certificate expires within this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_warning_days: Option<u32>,
    /// Audit: smallest acceptable key size in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_key_size: Option<u32>,
    /// Audit and lint: whether a self-signed listener certificate is acceptable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_self_signed: Option<bool>,
    /// Remediation: grant NETWORK SERVICE read on the bound certificate's private key file only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_key_permissions: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Firewall {
    /// Network profiles on which the RDP allow rules apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<Vec<FirewallProfile>>,
    /// Remote addresses allowed to connect: IPv4/IPv6 addresses, CIDR subnets, or the keywords
    /// `any` and `local-subnet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<Vec<String>>,
    /// What rdpgen does about other inbound allow rules for the RDP port, such as Windows' own
    /// `RemoteDesktop-UserMode-In-TCP/UDP` (any address, every profile): `override` (the
    /// default) adds block rules for every address outside `allowFrom` and for the profiles
    /// not chosen, so the scope holds whatever else the host allows (block beats allow);
    /// `keep` adds allow rules only, and the scope is then advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin_rules: Option<BuiltinRules>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinRules {
    // Block RDP from outside allowFrom and on the other profiles.
    Override,
    // Leave other rules alone: the scope is advisory.
    Keep,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Licensing {
    /// Licensing mode (TS_LICENSING_MODE LicensingMode): `per-user` (4) or `per-device` (2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<LicensingMode>,
    /// License servers tried first (TS_LICENSE_SERVERS LicenseServers, comma-separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LicensingMode {
    // LicensingMode 4.
    PerUser,
    // LicensingMode 2.
    PerDevice,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sessions {
    /// Time limit for active but idle sessions (TS_SESSIONS_Idle_Limit_2 MaxIdleTime): `never` or
    /// one of 1m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 8h, 12h, 16h, 18h, 1d, 2d, 3d, 4d, 5d.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<String>,
    /// Time limit for disconnected sessions (TS_SESSIONS_Disconnected_Timeout_2
    /// MaxDisconnectionTime); same values as `idleTimeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnected_timeout: Option<String>,
    /// Time limit for active sessions (TS_SESSIONS_Limits_2 MaxConnectionTime); same values as
    /// `idleTimeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_timeout: Option<String>,
    /// Restrict each user to a single session (TS_SINGLE_SESSION fSingleSessionPerUser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_session_per_user: Option<bool>,
    /// Delete per-session temporary folders at logoff (TS_TEMP_DELETE, inverted:
    /// DeleteTempDirsOnExit 1 when true). An rdpgen addition to language v1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_temp_folders_on_exit: Option<bool>,
    /// Give each session its own temporary folder (TS_TEMP_PER_SESSION, inverted:
    /// PerSessionTempDir 1 when true). An rdpgen addition to language v1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_session_temp_folders: Option<bool>,
    /// End (log off) a session that reaches its time limit instead of disconnecting it
    /// (TS_Session_End_On_Limit_2 fResetBroken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_at_limit: Option<bool>,
    /// Shadowing of user sessions (TS_RemoteControl_2 Shadow): `disabled` (0),
    /// `full-with-consent` (1), `full-without-consent` (2), `view-with-consent` (3) or
    /// `view-without-consent` (4). The no-consent levels are a warning (RDP058).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<Shadow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Shadow {
    // No remote control allowed (Shadow 0).
    Disabled,
    // Full control with the user's permission (Shadow 1).
    FullWithConsent,
    // Full control without the user's permission (Shadow 2).
    FullWithoutConsent,
    // View the session with the user's permission (Shadow 3).
    ViewWithConsent,
    // View the session without the user's permission (Shadow 4).
    ViewWithoutConsent,
}

/// What may cross the clipboard in one direction (TS_CLIENT_CLIPBOARDRESTRICTION_SC/_CS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClipboardLevel {
    // Nothing (level 0).
    None,
    // Plain text (level 1).
    PlainText,
    // Plain text and images (level 2).
    TextImages,
    // Plain text, images and Rich Text Format (level 3).
    TextImagesRtf,
    // Plain text, images, Rich Text Format and HTML (level 4).
    TextImagesRtfHtml,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Redirection {
    /// Clipboard redirection (TS_CLIENT_CLIPBOARD fDisableClip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clipboard: Option<bool>,
    /// Drive redirection (TS_CLIENT_DRIVE_M fDisableCdm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drives: Option<bool>,
    /// Client printer redirection (TS_CLIENT_PRINTER fDisableCpm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printers: Option<bool>,
    /// COM port redirection (TS_CLIENT_COM fDisableCcm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub com_ports: Option<bool>,
    /// LPT port redirection (TS_CLIENT_LPT fDisableLPT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lpt_ports: Option<bool>,
    /// Plug and Play device redirection (TS_CLIENT_PNP fDisablePNPRedir).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pnp_devices: Option<bool>,
    /// Smart card redirection (TS_SMART_CARD fEnableSmartCard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_cards: Option<bool>,
    /// Clipboard transfer from server to client, Windows 11 22H2 / Server 2025
    /// (TS_CLIENT_CLIPBOARDRESTRICTION_SC SCClipLevel): `none` (0), `plain-text` (1),
    /// `text-images` (2), `text-images-rtf` (3) or `text-images-rtf-html` (4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clipboard_server_to_client: Option<ClipboardLevel>,
    /// Clipboard transfer from client to server (TS_CLIENT_CLIPBOARDRESTRICTION_CS CSClipLevel);
    /// same values as `clipboardServerToClient`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clipboard_client_to_server: Option<ClipboardLevel>,
    /// UI Automation redirection (TS_UIA EnableUiaRedirection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_automation: Option<bool>,
    /// Location redirection (TS_LOCATION_REDIRECTION fDisableLocationRedir).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<bool>,
    /// WebAuthn redirection (TS_WEBAUTHN fDisableWebAuthn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_authn: Option<bool>,
    /// Audio recording (microphone) redirection (TS_CLIENT_AUDIO_CAPTURE, inverted:
    /// fDisableAudioCapture 0 when true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_capture: Option<bool>,
    /// Video capture (camera) redirection (TS_CAMERA_REDIRECTION fDisableCameraRedir).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<bool>,
    /// Time zone redirection (TS_TIME_ZONE fEnableTimeZoneRedirection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<bool>,
    /// RemoteFX USB redirection from this computer when it is the client
    /// (TS_USB_REDIRECTION_DISABLE, client side: fUsbRedirectionEnableMode 2 when true, deleted
    /// when false). A session host's own acceptance is `pnpDevices`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usb: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credentials {
    /// CredSSP Encryption Oracle Remediation (AllowEncryptionOracle): `force-updated-clients`
    /// (0), `mitigated` (1) or `vulnerable` (2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_oracle: Option<EncryptionOracle>,
    /// Accept Restricted Admin / Remote Credential Guard connections that delegate only
    /// non-exportable credentials (CredSsp.admx AllowProtectedCreds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_protected_creds: Option<bool>,
    /// Restricted Admin and Remote Credential Guard accepted on this host (local value
    /// `SYSTEM\CurrentControlSet\Control\Lsa` DisableRestrictedAdmin, 0 when true, 1 when
    /// false; no ADMX policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted_admin: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RemoteAssistance {
    /// Let users ask for Remote Assistance (RemoteAssistance.admx RA_Solicit fAllowToGetHelp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solicited: Option<bool>,
    /// Let helpers offer Remote Assistance unasked (RA_Unsolicit fAllowUnsolicited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsolicited: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EncryptionOracle {
    ForceUpdatedClients,
    Mitigated,
    Vulnerable,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogonRights {
    /// Accounts granted "Allow log on through Remote Desktop Services"
    /// (SeRemoteInteractiveLogonRight): well-known names or SIDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// Accounts denied Remote Desktop logon (SeDenyRemoteInteractiveLogonRight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Gpo {
    /// Display name of the generated GPO. Default: `rdpgen <name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// GUID of the generated GPO, `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`. Default: a
    /// deterministic UUIDv5 of the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// Domain recorded in Backup.xml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_name<T: Serialize>(v: T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// How many items `all` has, each checked to spell itself as serde writes it.
    fn spelled<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) -> usize {
        for &v in all {
            assert_eq!(as_str(v), serde_name(v));
        }
        all.len()
    }

    #[test]
    fn choice_spellings_are_serdes() {
        let seen = spelled(Transport::ALL, Transport::as_str)
            + spelled(SecurityLayer::ALL, SecurityLayer::as_str)
            + spelled(EncryptionLevel::ALL, EncryptionLevel::as_str)
            + spelled(LicensingMode::ALL, LicensingMode::as_str)
            + spelled(EncryptionOracle::ALL, EncryptionOracle::as_str)
            + spelled(BuiltinRules::ALL, BuiltinRules::as_str)
            + spelled(NetworkDetect::ALL, NetworkDetect::as_str)
            + spelled(Shadow::ALL, Shadow::as_str)
            + spelled(ClipboardLevel::ALL, ClipboardLevel::as_str);
        assert_eq!(seen, 29);
    }
}
