//! Registry key paths, spelled once. Every other module refers to these constants.

/// Terminal Services policy key (TerminalServer.admx), below HKLM.
pub const TS_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
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
/// Firewall rules delivered by Group Policy, below HKLM.
pub const FWPOL_RULES: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules";
/// Firewall rules of the local store, below HKLM (audited, never written).
pub const FWLOCAL_RULES: &str =
    r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules";

/// The SCHANNEL server key of one protocol, e.g. `...\Protocols\TLS 1.2\Server`.
#[must_use]
pub fn schannel_server(protocol: &str) -> String {
    format!(r"{SCHANNEL_PROTOCOLS}\{protocol}\Server")
}
