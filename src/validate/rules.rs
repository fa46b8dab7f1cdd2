//! The RDP-aware rules of the policy language, run on the merged policy. Each rule has its own
//! stable code; locations point at the file and line that set the offending field.

use crate::catalog;
use crate::diagnostic::{Code, Diagnostic};
use crate::firewall_address::FirewallAddress;
use crate::policy::types::{
    BuiltinRules, FirewallProfile, Role, SecurityLayer, Shadow, TlsVersion,
};
use crate::policy::{Policy, TreeNode, TreeValue};

struct Rules<'a> {
    tree: &'a TreeNode,
    out: Vec<Diagnostic>,
}

impl Rules<'_> {
    fn report(&mut self, code: Code, pointer: &str, message: String) -> &mut Diagnostic {
        let at = self.out.len();
        self.out.push(Diagnostic::new(
            code,
            message,
            Some(self.tree.locate(pointer)),
        ));
        &mut self.out[at]
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
    name_rules(policy, &mut r);
    logon_rules(policy, &mut r);
    invisible_rules(tree, &mut r);
    waiver_rules(policy, &mut r, crate::audit::waiver::today());
    admx_rules(policy, &mut r);
    posture_rules(policy, &mut r);
    r.out
}

/// `posture`: a cipher suite order Group Policy can store (RDP064), and lints for a firewall
/// posture that voids the scope (RDP065) and a weak LAN Manager level (RDP066).
fn posture_rules(p: &Policy, r: &mut Rules<'_>) {
    let Some(posture) = &p.posture else { return };
    if let Some(suites) = &posture.cipher_suites {
        let mut seen = std::collections::BTreeSet::new();
        let twice: Vec<&str> = suites
            .iter()
            .filter(|s| !seen.insert(s.as_str()))
            .map(String::as_str)
            .collect();
        let joined = suites.join(",").len();
        let message = if suites.is_empty() {
            Some("`posture.cipherSuites` is empty: TLS would have no suite".to_string())
        } else if let Some(t) = twice.first() {
            Some(format!("`posture.cipherSuites` names `{t}` twice"))
        } else if joined > 1023 {
            Some(format!(
                "`posture.cipherSuites` is {joined} characters comma-joined; Group Policy stores at most 1023"
            ))
        } else {
            None
        };
        if let Some(m) = message {
            r.report(Code::BadCipherSuites, "/posture/cipherSuites", m);
        }
    }
    if let Some(fw) = &posture.firewall {
        if fw.enabled == Some(false) {
            let d = r.report(
                Code::FirewallOff,
                "/posture/firewall/enabled",
                "`posture.firewall.enabled: false` turns the firewall off: no rule, this policy's scope included, restricts RDP".into(),
            );
            d.help = Some("keep the firewall on and scope RDP with `firewall`".into());
        }
        if fw.default_inbound == Some(crate::policy::types::DefaultInbound::Allow) {
            let d = r.report(
                Code::FirewallOff,
                "/posture/firewall/defaultInbound",
                "`posture.firewall.defaultInbound: allow` admits inbound traffic no rule blocks: the RDP scope restricts nothing".into(),
            );
            d.help = Some("use `block`".into());
        }
    }
    if let Some(l) = &posture.account_lockout {
        let enforce = posture.mode == Some(crate::policy::types::PostureMode::Enforce);
        lockout_rules(l, enforce, r);
    }
    if let Some(level) = posture.lm_compatibility_level
        && level < 3
    {
        let d = r.report(
            Code::WeakLmLevel,
            "/posture/lmCompatibilityLevel",
            format!("`posture.lmCompatibilityLevel: {level}` sends LM or NTLMv1 responses"),
        );
        d.help = Some(
            "use 5 (NTLMv2 only; refuse LM and NTLM), as CIS 2.3.11.7 and WN22-SO-000310 require"
                .into(),
        );
    }
}

/// `posture.accountLockout`: durations Windows accepts, the reset no longer than the lockout
/// (RDP067), and a threshold that locks (RDP068).
fn lockout_rules(l: &crate::policy::types::AccountLockout, enforce: bool, r: &mut Rules<'_>) {
    // The Security client-side extension merges the template's numbers into the SAM's and
    // writes them together; a reset alone is checked against the duration the host already
    // has (10 or 30 minutes by default), so one without the other may be refused whole.
    if enforce && l.duration.is_some() != l.reset_after.is_some() {
        let (set, missing, at) = if l.duration.is_some() {
            ("duration", "resetAfter", "/posture/accountLockout/duration")
        } else {
            (
                "resetAfter",
                "duration",
                "/posture/accountLockout/resetAfter",
            )
        };
        let d = r.report(
            Code::BadLockout,
            at,
            format!(
                "`posture.accountLockout.{set}` is enforced without `{missing}`: Windows checks the reset against the lockout duration, and with the host's own {missing} it may refuse the whole lockout policy"
            ),
        );
        d.help = Some(format!("set `{missing}` too (at most `duration`)"));
    }
    // The duration's minutes (-1: until unlocked), `None` when absent or not a duration.
    let duration = l.duration.as_deref().and_then(|d| {
        let minutes = catalog::lockout_duration(d);
        if minutes.is_none() {
            let at = r.report(
                Code::BadLockout,
                "/posture/accountLockout/duration",
                format!("`posture.accountLockout.duration: {d}` is not a lockout duration"),
            );
            at.help = Some(format!(
                "write 1 to 99999 minutes as `Nm`, `Nh` or `Nd` (`15m`, `1h`), or `{}`",
                catalog::UNTIL_UNLOCKED
            ));
        }
        minutes
    });
    if let Some(reset) = l.reset_after.as_deref() {
        match catalog::lockout_minutes(reset) {
            None => {
                let at = r.report(
                    Code::BadLockout,
                    "/posture/accountLockout/resetAfter",
                    format!("`posture.accountLockout.resetAfter: {reset}` is not a reset time"),
                );
                at.help = Some("write 1 to 99999 minutes as `Nm`, `Nh` or `Nd` (`15m`)".into());
            }
            Some(minutes) => {
                if let Some(lockout) = duration
                    && lockout > 0
                    && i64::from(minutes) > lockout
                {
                    let at = r.report(
                        Code::BadLockout,
                        "/posture/accountLockout/resetAfter",
                        format!(
                            "`resetAfter` ({minutes} minutes) is longer than the lockout `duration` ({lockout} minutes): Windows refuses it"
                        ),
                    );
                    at.help = Some("make `resetAfter` at most `duration`".into());
                }
            }
        }
    }
    if l.threshold == Some(0) {
        let at = r.report(
            Code::NoLockout,
            "/posture/accountLockout/threshold",
            "`posture.accountLockout.threshold: 0` never locks an account out".into(),
        );
        at.help = Some(
            "lock after a few failed logons: 5 or fewer (CIS 1.2.2), 3 or fewer (WN22-AC-000020)"
                .into(),
        );
    }
}

/// The `admx:` section: a known Machine policy (RDP060), state and values its ADMX allows
/// (RDP061), nothing a typed field sets (RDP062), no value written twice (RDP063).
fn admx_rules(p: &Policy, r: &mut Rules<'_>) {
    use crate::catalog::admx;
    // (key, value name) in lower case → the entry that writes it.
    let mut written: std::collections::BTreeMap<(String, String), String> =
        std::collections::BTreeMap::new();
    let empty = std::collections::BTreeMap::new();
    for (i, entry) in p.admx.iter().flatten().enumerate() {
        let at = format!("/admx/{i}");
        let Some(def) = admx::lookup(&entry.policy) else {
            let ids: Vec<String> = admx::all().map(admx::Policy::id).collect();
            let by_name: Vec<String> = entry
                .policy
                .rsplit('/')
                .next()
                .map(|n| admx::by_name(n).map(admx::Policy::id).collect())
                .unwrap_or_default();
            let help = match by_name.as_slice() {
                [one] => Some(format!("did you mean `{one}`?")),
                [] => crate::diagnostic::suggest(&entry.policy, ids.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        Some(
                            "`rdpgen explain admx` lists the policies; `--admx DIR` adds your own ADMX files"
                                .into(),
                        )
                    }),
                many => Some(format!("it is in several files: {}", many.join(", "))),
            };
            let d = r.report(
                Code::UnknownAdmxPolicy,
                &format!("{at}/policy"),
                format!("`{}` is not a known ADMX policy", entry.policy),
            );
            d.help = help;
            continue;
        };
        if let Some(field) = admx::typed_field(def) {
            let d = r.report(
                Code::AdmxSetByField,
                &format!("{at}/policy"),
                format!("{} is the policy of the field `{}`", def.id(), field.field),
            );
            d.help = Some(format!("set `{}` instead", field.field));
            continue;
        }
        let values = entry.values.as_ref().unwrap_or(&empty);
        match admx::writes(def, entry.state.state(), values) {
            Err(problems) => {
                for pr in problems {
                    let pointer = match &pr.element {
                        Some(e) if values.contains_key(e) => {
                            format!("{at}/values/{}", crate::policy::pointer_segment(e))
                        }
                        Some(_) if entry.values.is_some() => format!("{at}/values"),
                        _ if pr.message.contains("is disabled") => format!("{at}/values"),
                        _ => format!("{at}/state"),
                    };
                    let d = r.report(Code::BadAdmxValue, &pointer, pr.message);
                    d.help = pr.help;
                }
            }
            Ok(writes) => {
                let mut reported = false;
                for w in &writes {
                    if reported {
                        break;
                    }
                    let firewall_key = w
                        .key
                        .to_ascii_lowercase()
                        .starts_with(&catalog::keys::FWPOL.to_ascii_lowercase());
                    if firewall_key {
                        let d = r.report(
                            Code::AdmxSetByField,
                            &format!("{at}/policy"),
                            format!(
                                "{} writes under the firewall policy key ({}), which `firewall` and `posture.firewall` set",
                                def.id(),
                                w.key
                            ),
                        );
                        d.help = Some("set `firewall` or `posture.firewall` instead".into());
                        reported = true;
                        continue;
                    }
                    if let Some(field) = admx::field_writing(w.key, &w.value_name) {
                        let d = r.report(
                            Code::AdmxSetByField,
                            &format!("{at}/policy"),
                            format!(
                                "{} writes {}\\{}, which the field `{}` sets",
                                def.id(),
                                w.key,
                                w.value_name,
                                field.field
                            ),
                        );
                        d.help = Some(format!("set `{}` instead", field.field));
                        reported = true;
                        continue;
                    }
                    let slot = (w.key.to_lowercase(), w.value_name.to_lowercase());
                    if let Some(other) = written.get(&slot) {
                        let message = if *other == def.id() {
                            format!("{} is set twice", def.id())
                        } else {
                            format!(
                                "{} writes {}\\{}, which {other} also writes",
                                def.id(),
                                w.key,
                                w.value_name
                            )
                        };
                        let d = r.report(Code::AdmxConflict, &format!("{at}/policy"), message);
                        d.help = Some("keep one of the two entries".into());
                        reported = true;
                    }
                }
                for w in writes {
                    written
                        .entry((w.key.to_lowercase(), w.value_name.to_lowercase()))
                        .or_insert_with(|| def.id());
                }
            }
        }
    }
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
    tls_rules(p, r);
}

fn tls_rules(p: &Policy, r: &mut Rules<'_>) {
    let Some(tls) = &p.tls else { return };
    let Some(min) = tls.min_version else { return };
    if min < TlsVersion::Tls12 {
        let d = r.report(
            Code::LegacyTls,
            "/tls/minVersion",
            format!(
                "`tls.minVersion: \"{}\"` enables TLS {} for every SCHANNEL server on the host (IIS, WinRM, LDAPS), not only for Remote Desktop",
                min.as_str(),
                if min == TlsVersion::Tls10 { "1.0 and 1.1" } else { "1.1" }
            ),
        );
        d.label = Some("machine-wide".into());
        d.help = Some("use `minVersion: \"1.2\"`; TLS 1.0 and 1.1 are deprecated".into());
    }
    if min == TlsVersion::Tls13 {
        match tls.minimum_os {
            Some(os) if !os.has_tls13() => {
                let d = r.report(
                    Code::Tls13Unavailable,
                    "/tls/minVersion",
                    format!(
                        "`tls.minVersion: \"1.3\"` on `{}`, which has no TLS 1.3 server: disabling TLS 1.2 leaves it with no TLS server protocol (RDP, WinRM over HTTPS, IIS)",
                        os.as_str()
                    ),
                );
                d.label = Some("TLS 1.2 disabled here".into());
                d.help = Some(
                    "keep `minVersion: \"1.2\"`, or raise `tls.minimumOs` to `windows-server-2022` or later if that is true"
                        .into(),
                );
            }
            _ => {
                let d = r.report(
                    Code::Tls13Only,
                    "/tls/minVersion",
                    format!(
                        "`tls.minVersion: \"1.3\"` disables TLS 1.2 for every SCHANNEL server on the host (IIS, WinRM, LDAPS, RDP); Windows Server 2019 and older have no TLS 1.3 and are left with no TLS server protocol, and clients that cannot negotiate TLS 1.3 fail with 0x904/0x7{}",
                        if tls.minimum_os.is_none() {
                            "; `tls.minimumOs` is not set, so rdpgen cannot check the release"
                        } else {
                            ""
                        }
                    ),
                );
                d.label = Some("machine-wide".into());
                d.help = Some(
                    "keep `minVersion: \"1.2\"` unless every host runs Windows Server 2022 or later and every client and gateway speaks TLS 1.3"
                        .into(),
                );
            }
        }
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
    if let Some(n) = conn.max_connections
        && !catalog::MAX_CONNECTIONS.contains(&n)
    {
        let d = r.report(
            Code::MaxConnectionsOutOfRange,
            "/connection/maxConnections",
            format!(
                "`connection.maxConnections` must be from {} to {} ({} = unlimited), found {n}",
                catalog::MAX_CONNECTIONS.start(),
                catalog::MAX_CONNECTIONS.end(),
                catalog::MAX_CONNECTIONS.end()
            ),
        );
        d.label = Some("outside TS_MAX_CON_POLICY's range".into());
    }
    if let Some(k) = &conn.keep_alive
        && catalog::keep_alive_minutes(k).is_none()
    {
        let d = r.report(
            Code::BadKeepAlive,
            "/connection/keepAlive",
            format!(
                "`connection.keepAlive: {k}` is not a keep-alive interval: write `never`, or whole minutes from 1 to 999999 as `Nm`, `Nh` (up to 9999) or `Nd` (up to 99)"
            ),
        );
        d.label = Some("not an interval Group Policy stores".into());
    }
    if conn.allow == Some(false) {
        let mut others = Vec::new();
        if conn.port.is_some() {
            others.push("connection.port");
        }
        if conn.transport.is_some() {
            others.push("connection.transport");
        }
        for (set, field) in [
            (conn.keep_alive.is_some(), "connection.keepAlive"),
            (conn.max_connections.is_some(), "connection.maxConnections"),
            (conn.auto_reconnect.is_some(), "connection.autoReconnect"),
            (conn.network_detect.is_some(), "connection.networkDetect"),
            (
                conn.disconnect_on_lock.is_some(),
                "connection.disconnectOnLock",
            ),
        ] {
            if set {
                others.push(field);
            }
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
                has_any |= covers_the_internet(parsed.address);
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
            "RDP is allowed from any address on the public profile (`any`, or a subnet as wide as `0.0.0.0/0` or `::/0`)".into(),
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
    if let Some(level @ (Shadow::FullWithoutConsent | Shadow::ViewWithoutConsent)) = s.shadow {
        let d = r.report(
            Code::ShadowWithoutConsent,
            "/sessions/shadow",
            format!(
                "`sessions.shadow: {}` lets administrators shadow sessions without asking the user",
                level.as_str()
            ),
        );
        d.label = Some("no consent prompt".into());
        d.help = Some(format!(
            "use `{}` unless unnoticed shadowing is intended",
            if level == Shadow::FullWithoutConsent {
                "full-with-consent"
            } else {
                "view-with-consent"
            }
        ));
    }
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
    // `admx:` strings reach registry data, value names and scripts like any other.
    for (i, entry) in p.admx.iter().flatten().enumerate() {
        strict.push((format!("/admx/{i}/policy"), &entry.policy));
        for (element, value) in entry.values.iter().flatten() {
            let at = format!(
                "/admx/{i}/values/{}",
                crate::policy::pointer_segment(element)
            );
            match value {
                catalog::admx::Input::Text(t) => strict.push((at, t)),
                catalog::admx::Input::Texts(list) => {
                    for (n, t) in list.iter().enumerate() {
                        strict.push((format!("{at}/{n}"), t));
                    }
                }
                catalog::admx::Input::Named(map) => {
                    for (name, t) in map {
                        let at = format!("{at}/{}", crate::policy::pointer_segment(name));
                        strict.push((at.clone(), name));
                        strict.push((at, t));
                    }
                }
                _ => {}
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
pub(crate) fn is_account(s: &str) -> bool {
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

pub(crate) fn is_registry_guid(s: &str) -> bool {
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

pub(crate) fn is_host_name(s: &str) -> bool {
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

/// Whether an `allowFrom` entry admits (nearly) the whole internet: `any`, or an IPv4 subnet
/// of prefix 4 or less (`0.0.0.0/0`, `0.0.0.0/1` + `128.0.0.0/1`) or an IPv6 subnet of prefix
/// 3 or less (`::/0`, `2000::/3`, all global unicast), or a range at least as wide.
fn covers_the_internet(address: FirewallAddress) -> bool {
    match address {
        FirewallAddress::Any => true,
        FirewallAddress::V4 { prefix, .. } => prefix <= 4,
        FirewallAddress::V6 { prefix, .. } => prefix <= 3,
        // A range as wide as such a subnet (`0.0.0.0-255.255.255.255`).
        FirewallAddress::V4Range { first, last } => {
            u32::from(last).saturating_sub(u32::from(first)) >= (1 << 28) - 1
        }
        FirewallAddress::V6Range { first, last } => {
            u128::from(last).saturating_sub(u128::from(first)) >= (1 << 125) - 1
        }
        FirewallAddress::LocalSubnet => false,
    }
}

/// Device names Windows reserves in every directory: a folder named `con` or `nul` cannot be
/// created, opened or deleted with ordinary tools.
pub(crate) const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    "conin", "conout", "clock",
];

/// Whether `name` is a device name Windows reserves (the pattern already refuses dots, so
/// `con.txt` and trailing dots never get this far).
#[must_use]
pub fn is_windows_reserved(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower.trim_end_matches(['.', ' ']);
    let stem = stem.split('.').next().unwrap_or(stem);
    WINDOWS_RESERVED.contains(&stem)
}

fn name_rules(p: &Policy, r: &mut Rules<'_>) {
    if is_windows_reserved(&p.name) {
        let d = r.report(
            Code::BadName,
            "/name",
            format!(
                "`name: {}` is a device name Windows reserves; its output folder could not be opened or deleted on Windows",
                p.name
            ),
        );
        d.label = Some("reserved on Windows".into());
        d.help = Some(format!("choose another name, such as `{}-rdp`", p.name));
    }
}

/// SIDs whose denial denies (nearly) every account on any host.
pub(crate) const EVERYONE_SIDS: &[(&str, &str)] = &[
    ("S-1-1-0", "Everyone"),
    ("S-1-5-11", "Authenticated Users"),
    ("S-1-5-32-545", "Users"),
    ("S-1-5-4", "INTERACTIVE"),
    ("S-1-5-14", "Remote Interactive Logon"),
];
pub(crate) const LOCAL_ACCOUNT_SIDS: &[&str] = &["S-1-5-113", "S-1-5-114"];
/// Built-in local groups (BUILTIN, S-1-5-32-*) whose local members a `Local account` deny cuts.
const LOCAL_GROUP_PREFIX: &str = "S-1-5-32-";
/// Well-known domain group names, resolvable only on a domain member.
pub(crate) const DOMAIN_GROUPS: &[&str] = &[
    "Domain Admins",
    "Domain Users",
    "Domain Guests",
    "Domain Computers",
    "Domain Controllers",
    "Enterprise Admins",
    "Schema Admins",
    "Cert Publishers",
    "Group Policy Creator Owners",
    "Protected Users",
    "Key Admins",
    "Enterprise Key Admins",
    "Read-only Domain Controllers",
    "Enterprise Read-only Domain Controllers",
    "Cloneable Domain Controllers",
    "DnsAdmins",
];

/// The SID an entry stands for, upper-cased, when rdpgen knows it.
pub(crate) fn entry_sid(entry: &str) -> Option<String> {
    let stripped = entry
        .strip_prefix("BUILTIN\\")
        .or_else(|| entry.strip_prefix("NT AUTHORITY\\"))
        .unwrap_or(entry);
    catalog::accounts::sid_of(stripped).map(|s| s.to_ascii_uppercase())
}

/// Whether an entry names a domain group: `DOMAIN\name` (other than BUILTIN, NT AUTHORITY and
/// the local `.\`), a well-known domain group name, or a domain SID with a domain group RID.
pub(crate) fn is_domain_group(entry: &str) -> bool {
    if let Some((domain, _)) = entry.split_once('\\') {
        let d = domain.to_ascii_uppercase();
        return !["BUILTIN", "NT AUTHORITY", ".", ""].contains(&d.as_str());
    }
    if DOMAIN_GROUPS.iter().any(|g| g.eq_ignore_ascii_case(entry)) {
        return true;
    }
    let bare = entry
        .strip_prefix('*')
        .unwrap_or(entry)
        .to_ascii_uppercase();
    if let Some(rest) = bare.strip_prefix("S-1-5-21-") {
        let parts: Vec<&str> = rest.split('-').collect();
        if parts.len() == 4
            && let Ok(rid) = parts[3].parse::<u32>()
        {
            return (512..=527).contains(&rid) || rid == 498;
        }
    }
    false
}

fn logon_rules(p: &Policy, r: &mut Rules<'_>) {
    let Some(lr) = &p.logon_rights else { return };
    let allow: Vec<(usize, &String)> = lr.allow.iter().flatten().enumerate().collect();
    let deny: Vec<(usize, &String)> = lr.deny.iter().flatten().enumerate().collect();
    let role = p.role;
    let mut locked_out = false;
    for (i, entry) in &deny {
        let pointer = format!("/logonRights/deny/{i}");
        let sid = entry_sid(entry);
        if let Some(sid) = &sid
            && let Some((_, name)) = EVERYONE_SIDS.iter().find(|(s, _)| s == sid)
        {
            locked_out = true;
            let d = r.report(
                Code::Lockout,
                &pointer,
                format!(
                    "denying `{entry}` ({name}, {sid}) denies Remote Desktop logon to every account: nobody can log on over RDP"
                ),
            );
            d.label = Some("deny beats allow".into());
            d.help = Some("deny specific groups such as `Guests` instead".into());
        } else if role == Some(Role::Workgroup)
            && sid
                .as_deref()
                .is_some_and(|s| LOCAL_ACCOUNT_SIDS.contains(&s))
        {
            locked_out = true;
            let who = if sid.as_deref() == Some("S-1-5-114") {
                "every administrator"
            } else {
                "everyone"
            };
            let d = r.report(
                Code::Lockout,
                &pointer,
                format!(
                    "denying `{entry}` on a workgroup host (`role: workgroup`) locks {who} out: every account there is a local account (S-1-5-113), and deny beats allow"
                ),
            );
            d.label = Some("denies every account on this host".into());
            d.help = Some(
                "remove `Local account` from `logonRights.deny` (list `deny` in full in this policy: lists replace the baseline's whole)"
                    .into(),
            );
        }
    }
    // Everything `allow` names is also denied: nobody it allows can log on.
    if !locked_out && !allow.is_empty() {
        let denied: Vec<String> = deny
            .iter()
            .map(|(_, e)| entry_sid(e).unwrap_or_else(|| e.to_ascii_uppercase()))
            .collect();
        let all_denied = allow
            .iter()
            .all(|(_, e)| denied.contains(&entry_sid(e).unwrap_or_else(|| e.to_ascii_uppercase())));
        if all_denied {
            locked_out = true;
            let d = r.report(
                Code::Lockout,
                "/logonRights/deny",
                "every account `logonRights.allow` names is also denied: nobody can log on over RDP".into(),
            );
            d.label = Some("deny beats allow".into());
            d.help = Some("remove the allowed accounts from `deny`".into());
        }
    }
    if !locked_out && role != Some(Role::DomainController) {
        let local_deny = deny
            .iter()
            .find(|(_, e)| entry_sid(e).is_some_and(|s| LOCAL_ACCOUNT_SIDS.contains(&s.as_str())));
        let local_allow = allow
            .iter()
            .find(|(_, e)| entry_sid(e).is_some_and(|s| s.starts_with(LOCAL_GROUP_PREFIX)));
        if let (Some((i, denied)), Some((_, allowed))) = (local_deny, local_allow) {
            let d = r.report(
                Code::LocalAccountDenied,
                &format!("/logonRights/deny/{i}"),
                format!(
                    "`logonRights.deny` names `{denied}` while `allow` names the local group `{allowed}`: its local members (the built-in Administrator included) cannot log on over RDP, only domain members can"
                ),
            );
            d.label = Some("deny beats allow".into());
            d.help = Some(if role == Some(Role::MemberServer) {
                "make sure a domain account in the allowed group can log on before applying this"
                    .into()
            } else {
                "on a domain member, say `role: member-server` and keep a domain account allowed; on a workgroup host, remove `Local account` from `deny`".into()
            });
        }
    }
    if role == Some(Role::Workgroup) {
        for (list, name) in [(&allow, "allow"), (&deny, "deny")] {
            for (i, entry) in list {
                if is_domain_group(entry) {
                    let d = r.report(
                        Code::DomainGroupOnWorkgroup,
                        &format!("/logonRights/{name}/{i}"),
                        format!(
                            "`logonRights.{name}` entry `{entry}` is a domain group, which a workgroup host (`role: workgroup`) cannot resolve"
                        ),
                    );
                    d.label = Some("not resolvable without a domain".into());
                    d.help = Some(
                        "name local groups (`Administrators`, `Remote Desktop Users`) or SIDs instead"
                            .into(),
                    );
                }
            }
        }
    }
}

pub use crate::escape::is_bidi_control;

/// Every string in the merged tree (keys' values and list items), checked for bidi controls.
fn invisible_rules(tree: &TreeNode, r: &mut Rules<'_>) {
    fn walk(node: &TreeNode, pointer: String, out: &mut Vec<(String, char)>) {
        match &node.value {
            TreeValue::Str { text, .. } => {
                if let Some(c) = text.chars().find(|c| is_bidi_control(*c)) {
                    out.push((pointer, c));
                }
            }
            TreeValue::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{pointer}/{i}"), out);
                }
            }
            TreeValue::Map(map) => {
                for (k, v) in map {
                    walk(
                        v,
                        format!("{pointer}/{}", crate::policy::pointer_segment(k)),
                        out,
                    );
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(tree, String::new(), &mut found);
    for (pointer, c) in found {
        let d = r.report(
            Code::BidiControl,
            &pointer,
            format!(
                "`{}` holds the bidirectional control character U+{:04X}: the text displays in a different order from the one that reaches artifacts and reports",
                crate::policy::pointer_to_field(&pointer),
                u32::from(c)
            ),
        );
        d.help = Some("remove it; write the text in logical order".into());
    }
}
