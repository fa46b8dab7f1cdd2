//! Registry key paths, spelled once. Every other module refers to these constants.

/// Terminal Services policy key (TerminalServer.admx), below HKLM.
pub const TS_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
/// The Remote Desktop client's policy key (TerminalServer.admx's client-side policies), below HKLM.
pub const TS_CLIENT_POLICY: &str =
    r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\Client";
/// The Terminal Server key of the running system, below HKLM (local, not policy).
pub const TERMINAL_SERVER: &str = r"SYSTEM\CurrentControlSet\Control\Terminal Server";
/// The default RDP listener, below HKLM (local, not policy).
pub const RDP_TCP: &str = r"SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";
/// SCHANNEL protocol switches, below HKLM; each version has `<Protocol>\Server`.
pub const SCHANNEL_PROTOCOLS: &str =
    r"SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";
/// CredSSP parameters written by CredSsp.admx, below HKLM.
pub const CREDSSP: &str =
    r"Software\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters";
/// Credentials Delegation policies written by CredSsp.admx (`AllowProtectedCreds`), below HKLM.
pub const CREDENTIALS_DELEGATION: &str =
    r"Software\Policies\Microsoft\Windows\CredentialsDelegation";
/// The SSL cipher suite order policy (CipherSuiteOrder.admx), below HKLM.
pub const SSL_CIPHER_POLICY: &str =
    r"SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
/// `LmCompatibilityLevel` below [`LSA`]: the LAN Manager authentication level.
pub const LM_COMPATIBILITY_LEVEL: &str = "LmCompatibilityLevel";
/// The LSA key of the running system, below HKLM (local, not policy): `DisableRestrictedAdmin`.
pub const LSA: &str = r"SYSTEM\CurrentControlSet\Control\Lsa";
/// The firewall policy key (Group Policy), below HKLM: `PolicyVersion`, the per-profile
/// keys and `FirewallRules`.
pub const FWPOL: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";
/// The local (non-policy) firewall settings, below HKLM: `DomainProfile`, `StandardProfile`
/// (= Private), `PublicProfile` and `FirewallRules`.
pub const FWLOCAL: &str =
    r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy";
/// Firewall rules delivered by Group Policy, below HKLM.
pub const FWPOL_RULES: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules";
/// The value under [`FWPOL`] that records the firewall policy's schema version.
pub const FIREWALL_POLICY_VERSION: &str = "PolicyVersion";

/// The firewall's profile subkeys below [`FWPOL`], in the order Domain, Private, Public.
pub const FW_POLICY_PROFILES: [&str; 3] = ["DomainProfile", "PrivateProfile", "PublicProfile"];
/// The same profiles below the local store (`FWLOCAL`): Private is `StandardProfile` there.
pub const FW_LOCAL_PROFILES: [&str; 3] = ["DomainProfile", "StandardProfile", "PublicProfile"];
/// The legacy WindowsFirewall.admx profiles (`WF_RemoteDesktop`): Domain, and Standard for
/// Private and Public.
pub const FW_LEGACY_PROFILES: [&str; 2] = ["DomainProfile", "StandardProfile"];
/// Per-profile firewall switches.
pub const FW_ENABLE: &str = "EnableFirewall";
pub const FW_DEFAULT_INBOUND: &str = "DefaultInboundAction";
pub const FW_LOCAL_POLICY_MERGE: &str = "AllowLocalPolicyMerge";
/// The legacy Remote Desktop exception below a legacy profile: its key and values.
#[must_use]
pub fn fw_legacy_remote_desktop(profile: &str) -> String {
    format!("{FWPOL}\\{profile}\\Services\\RemoteDesktop")
}
pub const FW_LEGACY_ENABLED: &str = "Enabled";
pub const FW_LEGACY_REMOTE_ADDRESSES: &str = "RemoteAddresses";
/// Firewall rules of the local store, below HKLM (audited, never written).
pub const FWLOCAL_RULES: &str =
    r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules";

/// The SCHANNEL server key of one protocol, e.g. `...\Protocols\TLS 1.2\Server`.
#[must_use]
pub fn schannel_server(protocol: &str) -> String {
    format!(r"{SCHANNEL_PROTOCOLS}\{protocol}\Server")
}

/// The SCHANNEL server key of a TLS version: `...\Protocols\TLS 1.2\Server`.
#[must_use]
pub fn tls_server_key(version: crate::model::TlsVersion) -> String {
    schannel_server(&format!("TLS {}", version.as_str()))
}

/// The SSL protocols rdpgen switches off on the server side whenever `tls.minVersion` is set.
pub const SSL_PROTOCOLS: [&str; 2] = ["SSL 2.0", "SSL 3.0"];

/// The SCHANNEL server keys of every protocol rdpgen may write: SSL 2.0 and 3.0, then every
/// TLS version the policy language names.
#[must_use]
pub fn tls_server_keys() -> Vec<String> {
    SSL_PROTOCOLS
        .into_iter()
        .map(schannel_server)
        .chain(
            crate::model::TlsVersion::ALL
                .into_iter()
                .map(tls_server_key),
        )
        .collect()
}

/// Whether `key` (below HKLM) is [`FWPOL`] or a key below it.
#[must_use]
pub fn is_firewall_policy_key(key: &str) -> bool {
    key.get(..FWPOL.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(FWPOL))
        && key
            .get(FWPOL.len()..)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('\\'))
}

/// The two switches of a SCHANNEL protocol key (`...\TLS 1.2\Server`), read as booleans.
pub const SCHANNEL_ENABLED: &str = "Enabled";
pub const SCHANNEL_DISABLED_BY_DEFAULT: &str = "DisabledByDefault";

/// Whether `value_name` under `key` is one of SCHANNEL's protocol switches, which SCHANNEL
/// reads as booleans: any non-zero DWORD is on (much TLS guidance writes `0xffffffff`).
#[must_use]
pub fn is_schannel_flag(key: &str, value_name: &str) -> bool {
    key.to_ascii_lowercase()
        .starts_with(&SCHANNEL_PROTOCOLS.to_ascii_lowercase())
        && (value_name.eq_ignore_ascii_case(SCHANNEL_ENABLED)
            || value_name.eq_ignore_ascii_case(SCHANNEL_DISABLED_BY_DEFAULT))
}

/// The listener's certificate binding (under [`RDP_TCP`], 20 bytes of SHA-1 thumbprint).
pub const LISTENER_CERT_HASH: &str = "SSLCertificateSHA1Hash";
/// The listener's TCP port (under [`RDP_TCP`]).
pub const LISTENER_PORT: &str = "PortNumber";

/// The listener switch of RDP-Tcp.
pub const LISTENER_ENABLED: &str = "fEnableWinStation";
/// `change logon /disable` (under [`TERMINAL_SERVER`]).
pub const LOGONS_DISABLED: &str = "WinStationsDisabled";
/// `change logon /drain` (under [`TERMINAL_SERVER`]).
pub const DRAIN_MODE: &str = "TSServerDrainMode";

/// The two roots Group Policy writes machine policies below.
pub const POLICY_ROOTS: [&str; 2] = [
    r"SOFTWARE\Policies\",
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\",
];

/// A Group Policy key (below one of [`POLICY_ROOTS`], case-insensitive): what Registry.pol
/// and GPO inputs are evidence of.
#[must_use]
pub fn is_policy_key(key: &str) -> bool {
    POLICY_ROOTS.iter().any(|root| {
        key.get(..root.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(root))
    })
}

/// The account lockout lines of GptTmpl.inf `[System Access]` (secedit's export names them the
/// same), in the order Microsoft's Domain Security baseline writes them.
pub const LOCKOUT_BAD_COUNT: &str = "LockoutBadCount";
pub const LOCKOUT_RESET: &str = "ResetLockoutCount";
pub const LOCKOUT_DURATION: &str = "LockoutDuration";
pub const LOCKOUT_ADMINISTRATOR: &str = "AllowAdministratorLockout";

/// Each account lockout line with the `posture.accountLockout` field that carries it, in
/// writing order.
pub const LOCKOUT_LINES: [(&str, &str); 4] = [
    (LOCKOUT_BAD_COUNT, "posture.accountLockout.threshold"),
    (LOCKOUT_RESET, "posture.accountLockout.resetAfter"),
    (LOCKOUT_DURATION, "posture.accountLockout.duration"),
    (
        LOCKOUT_ADMINISTRATOR,
        "posture.accountLockout.administrator",
    ),
];
