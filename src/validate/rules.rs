//! The RDP-aware rules of the policy language, run on the merged policy. Each rule has its own
//! stable code; locations point at the file and line that set the offending field.

use crate::catalog;
use crate::diagnostic::{Code, Diagnostic};
use crate::firewall_address::FirewallAddress;
use crate::policy::types::{BuiltinRules, FirewallProfile, SecurityLayer, TlsVersion};
use crate::policy::{Policy, TreeNode};

struct Rules<'a> {
    tree: &'a TreeNode,
    out: Vec<Diagnostic>,
}

impl Rules<'_> {
    fn report(&mut self, code: Code, pointer: &str, message: String) -> &mut Diagnostic {
        self.out.push(Diagnostic::new(
            code,
            message,
            Some(self.tree.locate(pointer)),
        ));
        self.out.last_mut().expect("just pushed")
    }
}

/// Runs every rule; the result is in no particular order.
#[must_use]
pub fn check(policy: &Policy, tree: &TreeNode) -> Vec<Diagnostic> {
    let mut r = Rules {
        tree,
        out: Vec::new(),
    };
    security_rules(policy, &mut r);
    certificate_rules(policy, &mut r);
    connection_rules(policy, &mut r);
    firewall_rules(policy, &mut r);
    session_rules(policy, &mut r);
    string_rules(policy, &mut r);
    waiver_rules(policy, &mut r, crate::audit::waiver::today());
    r.out
}

/// Waivers: a valid day and a reason (RDP092), not expired (RDP090), naming something the
/// policy checks (RDP091). `today` is days since the Unix epoch.
fn waiver_rules(p: &Policy, r: &mut Rules<'_>, today: i64) {
    for (i, w) in p.waivers.iter().flatten().enumerate() {
        let at = format!("/waivers/{i}");
        match crate::audit::waiver::parse_day(&w.expires) {
            None => {
                let d = r.report(
                    Code::BadWaiver,
                    &format!("{at}/expires"),
                    format!(
                        "waiver `expires: {}` is not a day written YYYY-MM-DD",
                        w.expires
                    ),
                );
                d.help = Some("write the last day the waiver holds, e.g. `2027-03-31`".into());
            }
            Some(day) if day < today => {
                let d = r.report(
                    Code::WaiverExpired,
                    &format!("{at}/expires"),
                    format!(
                        "the waiver for `{}` expired on {}: `diff` reports that drift again",
                        w.field, w.expires
                    ),
                );
                d.help =
                    Some("fix the hosts, or renew the waiver with a new date and reason".into());
            }
            Some(_) => {}
        }
        if w.reason.trim().is_empty() {
            r.report(
                Code::BadWaiver,
                &format!("{at}/reason"),
                format!("the waiver for `{}` gives no reason", w.field),
            );
        }
        if w.hosts.iter().flatten().any(|h| h.trim().is_empty()) {
            r.report(
                Code::BadWaiver,
                &format!("{at}/hosts"),
                format!("the waiver for `{}` has an empty host pattern", w.field),
            );
        }
        let stem = w.field.split(':').next().unwrap_or("");
        let pointer = format!("/{}", stem.replace('.', "/"));
        let known = r.tree.get(&pointer).is_some()
            || crate::audit::waiver::CHECK_STEMS
                .iter()
                .any(|s| stem == *s || stem.starts_with(&format!("{s}.")));
        if !known {
            let d = r.report(
                Code::WaiverMatchesNothing,
                &format!("{at}/field"),
                format!(
                    "the waiver's `{}` is neither a field this policy sets nor a `diff` check id",
                    w.field
                ),
            );
            d.help = Some("use the field or the check id a `diff` report shows".into());
        }
    }
}

fn security_rules(p: &Policy, r: &mut Rules<'_>) {
    let sec = p.security.clone().unwrap_or_default();
    if sec.layer == Some(SecurityLayer::Rdp) {
        if sec.nla == Some(true) {
            let d = r.report(
                Code::NlaWithRdpLayer,
                "/security/nla",
                "`security.nla: true` cannot work with `security.layer: rdp`: NLA needs CredSSP inside TLS".into(),
            );
            d.label = Some("NLA required here".into());
            d.help = Some("use `layer: tls` (or `negotiate`), or set `nla: false`".into());
        }
        let d = r.report(
            Code::RdpLayer,
            "/security/layer",
            "`security.layer: rdp` does not authenticate the server".into(),
        );
        d.help = Some("prefer `layer: tls` with a PKI certificate".into());
    }
    if sec.layer == Some(SecurityLayer::Tls)
        && sec.encryption == Some(crate::policy::types::EncryptionLevel::Low)
    {
        let d = r.report(
            Code::TlsWithLowEncryption,
            "/security/encryption",
            "`security.encryption: low` is not compatible with `security.layer: tls`".into(),
        );
        d.help = Some("use `encryption: high` (or `client-compatible`)".into());
    }
    let min = p.tls.as_ref().and_then(|t| t.min_version);
    if let Some(v) = min
        && v > TlsVersion::Tls12
        && sec.layer != Some(SecurityLayer::Rdp)
    {
        let d = r.report(
            Code::Tls13Only,
            "/tls/minVersion",
            format!(
                "`tls.minVersion: \"{}\"` disables TLS 1.2; RDP clients and servers that cannot negotiate TLS 1.3 fail with 0x904/0x7",
                v.as_str()
            ),
        );
        d.help = Some(
            "keep `minVersion: \"1.2\"` unless every client and gateway speaks TLS 1.3".into(),
        );
    }
}

/// The thumbprint with spaces, colons and invisible marks removed, as Windows expects it.
#[must_use]
pub fn normalize_thumbprint(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | ':' | '\u{200E}' | '\u{200F}' | '\u{FEFF}' | '\t'))
        .collect::<String>()
        .to_ascii_uppercase()
}

fn certificate_rules(p: &Policy, r: &mut Rules<'_>) {
    let cert = p.certificate.clone().unwrap_or_default();
    if cert.template.is_some() && cert.thumbprint.is_some() {
        let d = r.report(
            Code::TemplateAndThumbprint,
            "/certificate/thumbprint",
            "`certificate.template` and `certificate.thumbprint` are both set".into(),
        );
        d.label = Some("the bound thumbprint wins on Windows".into());
        d.help = Some("Windows uses a certificate bound through SSLCertificateSHA1Hash before the template policy (CertTemplateName); keep one of the two".into());
    }
    if let Some(t) = &cert.thumbprint {
        let n = normalize_thumbprint(t);
        if n.len() != 40 || !n.chars().all(|c| c.is_ascii_hexdigit()) {
            let d = r.report(
                Code::BadThumbprint,
                "/certificate/thumbprint",
                format!(
                    "`certificate.thumbprint` must be 40 hexadecimal digits, found {} characters after removing spaces and colons",
                    n.chars().count()
                ),
            );
            d.label = Some("not a SHA-1 thumbprint".into());
        }
    }
    let layer = p.security.as_ref().and_then(|s| s.layer);
    if matches!(layer, Some(SecurityLayer::Negotiate | SecurityLayer::Tls))
        && cert.template.is_none()
        && cert.thumbprint.is_none()
        && cert.allow_self_signed != Some(true)
    {
        let d = r.report(
            Code::SelfSigned,
            "/security/layer",
            "no `certificate.template` or `certificate.thumbprint`: the listener will use its self-signed certificate".into(),
        );
        d.help = Some("self-signed listener certificates expire and cause 0x904/0x7; bind a PKI certificate or set `certificate.allowSelfSigned: true`".into());
    }
}

fn connection_rules(p: &Policy, r: &mut Rules<'_>) {
    let conn = p.connection.clone().unwrap_or_default();
    if let Some(port) = conn.port {
        if !(1..=65535).contains(&port) {
            let d = r.report(
                Code::PortOutOfRange,
                "/connection/port",
                format!("`connection.port` must be from 1 to 65535, found {port}"),
            );
            d.label = Some("not a TCP port".into());
        } else if port < 1024 && port != 3389 {
            r.report(
                Code::LowPort,
                "/connection/port",
                format!(
                    "`connection.port: {port}` is a privileged port of another well-known service"
                ),
            );
        }
    }
    if conn.allow == Some(false) {
        let mut others = Vec::new();
        if conn.port.is_some() {
            others.push("connection.port");
        }
        if conn.transport.is_some() {
            others.push("connection.transport");
        }
        if p.security
            .as_ref()
            .is_some_and(|s| *s != Default::default())
        {
            others.push("security");
        }
        if !others.is_empty() {
            let d = r.report(
                Code::DisabledWithSettings,
                "/connection/allow",
                format!(
                    "`connection.allow: false` denies Remote Desktop connections, so {} {} no effect",
                    others.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "),
                    if others.len() == 1 { "has" } else { "have" }
                ),
            );
            d.label = Some("connections denied here".into());
        }
    }
}

fn firewall_rules(p: &Policy, r: &mut Rules<'_>) {
    let Some(fw) = &p.firewall else { return };
    let mut has_any = false;
    let mut local_subnet = None;
    for (i, entry) in fw.allow_from.iter().flatten().enumerate() {
        let pointer = format!("/firewall/allowFrom/{i}");
        match FirewallAddress::parse(entry) {
            Ok(parsed) => {
                has_any |= parsed.address == FirewallAddress::Any;
                if parsed.address == FirewallAddress::LocalSubnet && local_subnet.is_none() {
                    local_subnet = Some(pointer.clone());
                }
                if parsed.had_host_bits {
                    let d = r.report(
                        Code::HostBitsSet,
                        &pointer,
                        format!(
                            "`{entry}` has host bits set; rdpgen uses `{}`",
                            parsed.address
                        ),
                    );
                    d.help = Some(format!("write `{}`", parsed.address));
                }
            }
            Err(why) => {
                let d = r.report(
                    Code::BadAddress,
                    &pointer,
                    format!("`firewall.allowFrom` entry `{entry}` is not a CIDR, IP address or keyword: {why}"),
                );
                d.help = Some(
                    "use `10.0.0.0/8`, `192.168.1.5`, `2001:db8::/32`, `any` or `local-subnet`"
                        .into(),
                );
            }
        }
    }
    if has_any
        && fw
            .profiles
            .iter()
            .flatten()
            .any(|p| *p == FirewallProfile::Public)
    {
        let d = r.report(
            Code::PublicAny,
            "/firewall/allowFrom",
            "RDP is allowed from any address on the public profile".into(),
        );
        d.help = Some(
            "narrow `firewall.allowFrom`, or leave `public` out of `firewall.profiles`".into(),
        );
    }
    if fw.builtin_rules == Some(BuiltinRules::Keep) {
        let d = r.report(
            Code::ScopeAdvisory,
            "/firewall/builtinRules",
            "with `builtinRules: keep` the firewall scope is advisory: other allow rules, such as Windows' RemoteDesktop-UserMode-In-TCP/UDP (any address, every profile), still admit RDP from outside `allowFrom` and on other profiles".into(),
        );
        d.help = Some(
            "remove `builtinRules: keep` to let rdpgen block RDP outside the scope, unless another tool manages this firewall".into(),
        );
    } else if let Some(pointer) = local_subnet
        && !has_any
    {
        let d = r.report(
            Code::ScopeLocalSubnet,
            &pointer,
            "`local-subnet` has no complement to block: on the chosen profiles, other allow rules such as Windows' RemoteDesktop-UserMode-In-TCP/UDP (any address) still admit RDP from outside `allowFrom`; other profiles stay blocked".into(),
        );
        d.help = Some(
            "list the subnets instead of `local-subnet`, or disable RemoteDesktop-UserMode-In-TCP/UDP on the host".into(),
        );
    }
}

fn session_rules(p: &Policy, r: &mut Rules<'_>) {
    let Some(s) = &p.sessions else { return };
    let fields = [
        ("idleTimeout", &s.idle_timeout),
        ("disconnectedTimeout", &s.disconnected_timeout),
        ("activeTimeout", &s.active_timeout),
    ];
    for (name, value) in fields {
        if let Some(v) = value
            && catalog::session_duration_ms(v).is_none()
        {
            let allowed: Vec<&str> = catalog::SESSION_DURATIONS.iter().map(|(n, _)| *n).collect();
            let d = r.report(
                Code::BadDuration,
                &format!("/sessions/{name}"),
                format!(
                    "`sessions.{name}: {v}` is not a duration Group Policy offers; allowed: {}",
                    allowed.join(", ")
                ),
            );
            d.label = Some("not an ADMX enum value".into());
        }
    }
}

fn string_rules(p: &Policy, r: &mut Rules<'_>) {
    let mut strict: Vec<(String, &str)> = Vec::new();
    if let Some(t) = p.certificate.as_ref().and_then(|c| c.template.as_ref()) {
        strict.push(("/certificate/template".into(), t));
    }
    if let Some(g) = &p.gpo {
        for (k, v) in [
            ("displayName", &g.display_name),
            ("guid", &g.guid),
            ("domain", &g.domain),
        ] {
            if let Some(v) = v {
                strict.push((format!("/gpo/{k}"), v));
            }
        }
    }
    for (i, s) in p
        .licensing
        .iter()
        .flat_map(|l| l.servers.iter().flatten())
        .enumerate()
    {
        strict.push((format!("/licensing/servers/{i}"), s));
    }
    if let Some(lr) = &p.logon_rights {
        for (list, name) in [(&lr.allow, "allow"), (&lr.deny, "deny")] {
            for (i, s) in list.iter().flatten().enumerate() {
                strict.push((format!("/logonRights/{name}/{i}"), s));
            }
        }
    }
    let mut bad_control = std::collections::HashSet::new();
    for (pointer, text) in &strict {
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            bad_control.insert(pointer.clone());
            let d = r.report(
                Code::ControlCharacter,
                pointer,
                format!(
                    "`{}` holds the control character U+{:04X}",
                    crate::policy::pointer_to_field(pointer),
                    u32::from(c)
                ),
            );
            d.help = Some(
                "registry values, GPO files and scripts cannot carry control characters; remove it"
                    .into(),
            );
        }
    }
    if let Some(d) = &p.description
        && let Some(c) = d
            .chars()
            .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        r.report(
            Code::ControlCharacter,
            "/description",
            format!(
                "`description` holds the control character U+{:04X}",
                u32::from(c)
            ),
        );
    }

    if let Some(lr) = &p.logon_rights {
        for (list, name) in [(&lr.allow, "allow"), (&lr.deny, "deny")] {
            for (i, s) in list.iter().flatten().enumerate() {
                let pointer = format!("/logonRights/{name}/{i}");
                if !bad_control.contains(&pointer) && !is_account(s) {
                    let d = r.report(
                        Code::BadSid,
                        &pointer,
                        format!("`logonRights.{name}` entry `{s}` is not an account name or SID"),
                    );
                    d.help = Some("write a name such as `Remote Desktop Users` or `CORP\\RDP Admins`, or a SID such as `S-1-5-32-555`".into());
                }
            }
        }
    }
    if let Some(guid) = p.gpo.as_ref().and_then(|g| g.guid.as_ref())
        && !is_registry_guid(guid)
    {
        let d = r.report(
            Code::BadGuid,
            "/gpo/guid",
            format!("`gpo.guid` `{guid}` is not a GUID in registry format"),
        );
        d.help = Some("write it as `{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}`".into());
    }
    for (i, s) in p
        .licensing
        .iter()
        .flat_map(|l| l.servers.iter().flatten())
        .enumerate()
    {
        let pointer = format!("/licensing/servers/{i}");
        if !bad_control.contains(&pointer) && !is_host_name(s) {
            let d = r.report(
                Code::BadServerName,
                &pointer,
                format!("`licensing.servers` entry `{s}` is not a host name or IP address"),
            );
            d.help = Some("write a name such as `lic01.corp.example.com`".into());
        }
    }
}

/// An account name (optionally `DOMAIN\name`) or a SID, safe to list in GptTmpl.inf.
fn is_account(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("S-1-").or_else(|| s.strip_prefix("*S-1-")) {
        return !rest.is_empty()
            && rest
                .split('-')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    }
    !s.trim().is_empty()
        && s.trim() == s
        && s.chars().count() <= 256
        && !s.chars().any(|c| {
            c.is_control() || matches!(c, ',' | '=' | '"' | '*' | ';' | '[' | ']' | '<' | '>' | '|')
        })
}

fn is_registry_guid(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) else {
        return false;
    };
    let groups: Vec<&str> = inner.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_host_name(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}
