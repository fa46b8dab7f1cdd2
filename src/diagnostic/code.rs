//! The stable diagnostic codes. A code never changes meaning once released; retired codes are
//! not reused. `rdpgen explain RDPnnn` prints the explanation.

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal, $explain:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// `RDPnnn`.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            #[must_use]
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// A one-line summary.
            #[must_use]
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            /// Why rdpgen reports it and what to do.
            #[must_use]
            pub fn explanation(self) -> &'static str {
                match self { $( Code::$variant => $explain, )* }
            }
        }
    };
}

codes! {
    YamlSyntax = "RDP001", Error, "the file is not valid YAML",
        "The policy file could not be parsed as YAML. The message names the first place where the parser gave up.";
    NotUtf8 = "RDP002", Error, "the file is not UTF-8",
        "Policy files are UTF-8 text. Re-save the file as UTF-8 (without a byte-order mark is preferred).";
    EmptyFile = "RDP003", Error, "the file holds no policy",
        "The file is empty or holds only comments. A policy needs at least `rdpgen: 1` and `name`.";
    FileTooLarge = "RDP004", Error, "the file is too large",
        "Policy files are limited to 1 MiB; rdpgen refuses larger files without parsing them.";
    MultipleDocuments = "RDP005", Error, "the file holds several YAML documents",
        "A policy file holds exactly one YAML document. Split `---`-separated documents into separate files.";
    DuplicateKey = "RDP006", Error, "a key appears twice in one mapping",
        "YAML parsers disagree on which of two equal keys wins, so rdpgen rejects duplicate keys. Keep one.";
    ResourceLimit = "RDP007", Error, "the YAML exceeds a safety limit",
        "The document nests too deeply, expands too many aliases or has too many nodes. rdpgen bounds the work it does on any input; real policies are far below these limits.";
    NotAMapping = "RDP008", Error, "the document is not a mapping",
        "The top level of a policy is a mapping of keys such as `rdpgen`, `name` and `security`.";
    ExplicitTag = "RDP009", Error, "an explicit YAML tag",
        "Policy files do not use YAML tags. `!!binary`, `!!str` and application tags such as `!secret` change how a value is read while a reviewer sees different text (a `!!binary` value is base64), so rdpgen refuses them. Quote the value instead.";
    UnknownKey = "RDP010", Error, "unknown key",
        "The key is not part of the policy language. Check the spelling (keys are camelCase); the message suggests the closest known key.";
    WrongType = "RDP011", Error, "a value has the wrong type",
        "The value's YAML type does not match the field. Booleans are only `true` and `false` (`yes`, `no`, `on` and `off` are strings); quote strings that look like numbers.";
    MissingField = "RDP012", Error, "a required field is missing",
        "Every policy file names its format version (`rdpgen: 1`) and its `name`.";
    InvalidValue = "RDP013", Error, "a value is not allowed",
        "The value is outside what the field accepts: not one of its enumerated values, not matching its pattern, or out of its range.";
    UnsupportedVersion = "RDP014", Error, "unsupported policy format version",
        "This rdpgen reads policy format version 1 (`rdpgen: 1`).";
    ExtendsMissing = "RDP020", Error, "an `extends` target does not exist",
        "A relative `extends` entry is resolved against the directory of the file that names it. The message shows the chain of files that led there.";
    ExtendsCycle = "RDP021", Error, "`extends` forms a cycle",
        "A policy cannot extend itself, directly or through other files. The message shows the cycle.";
    UnknownBaseline = "RDP022", Error, "unknown built-in baseline",
        "Built-in baselines are `cis-level1`, `cis-level2`, `stig`, `msft-baseline` and `break-glass`. A relative file must start with `./` or `../` or end in `.yaml`.";
    ExtendsUnreadable = "RDP023", Error, "an `extends` target cannot be read",
        "The file exists but could not be read, or is not a policy file.";
    ExtendsOutsideTree = "RDP024", Error, "an `extends` target is outside the policy tree",
        "Relative `extends` paths must stay inside the policy's repository (the nearest directory above the policy that holds `.git`, else the policy's own directory), after following symbolic links. A policy from a pull request cannot make rdpgen read, and quote in its messages, files elsewhere on the machine.";
    NlaWithRdpLayer = "RDP030", Error, "NLA cannot be required with the RDP security layer",
        "Network Level Authentication runs CredSSP inside TLS. With `security.layer: rdp` there is no TLS, so `security.nla: true` cannot work. Use `negotiate` or `tls`.";
    TlsWithLowEncryption = "RDP031", Error, "the TLS security layer is incompatible with low encryption",
        "Microsoft documents SecurityLayer 2 (TLS) as not compatible with MinEncryptionLevel 1 (low); the listener reports event 1050 and corrects it. Use `client-compatible` or `high`.";
    RdpLayer = "RDP032", Warning, "the RDP security layer does not authenticate the server",
        "With `security.layer: rdp` the server presents no certificate, so clients cannot tell it from an impostor, and NLA is impossible. Prefer `tls`.";
    TemplateAndThumbprint = "RDP033", Error, "both a certificate template and a thumbprint are set",
        "On Windows a certificate bound explicitly through SSLCertificateSHA1Hash takes precedence over the template policy (CertTemplateName). Set one of `certificate.template` and `certificate.thumbprint`.";
    BadThumbprint = "RDP034", Error, "the thumbprint is not 40 hexadecimal digits",
        "A SHA-1 thumbprint is 40 hexadecimal digits. rdpgen strips spaces, colons and the invisible U+200E mark that the certificate console copies before checking.";
    SelfSigned = "RDP035", Warning, "the listener will use a self-signed certificate",
        "With layer `negotiate` or `tls` and neither `certificate.template` nor `certificate.thumbprint`, the listener uses its self-signed certificate. Those expire and are a common cause of error 0x904 with extended error 0x7. Bind a PKI certificate or set `certificate.allowSelfSigned: true` to accept this.";
    BadAddress = "RDP036", Error, "a firewall address is not a CIDR, IP address or keyword",
        "`firewall.allowFrom` takes IPv4 or IPv6 addresses, CIDR subnets (`10.0.0.0/8`) and the keywords `any` and `local-subnet`.";
    HostBitsSet = "RDP037", Warning, "a subnet has host bits set",
        "The address has bits set beyond its prefix length (`10.1.2.3/8`). rdpgen normalises it to the network address; write that instead to say what you mean.";
    PublicAny = "RDP038", Warning, "RDP is open to any address on the public profile",
        "`firewall.profiles` includes `public` while `firewall.allowFrom` is `[any]`: the host accepts RDP from anywhere on untrusted networks. Narrow `allowFrom`.";
    PortOutOfRange = "RDP039", Error, "the port is outside 1..65535",
        "`connection.port` is a TCP/UDP port number from 1 to 65535.";
    LowPort = "RDP040", Warning, "a privileged port other than 3389",
        "Ports below 1024 belong to well-known services; an RDP listener there may collide with one and confuse scanners and firewalls.";
    BadDuration = "RDP041", Error, "a duration is not one of the values Group Policy offers",
        "Session time limits are enumerations in Microsoft's ADMX; Group Policy can only store these values. The message lists the allowed durations.";
    DisabledWithSettings = "RDP042", Warning, "settings have no effect while connections are denied",
        "`connection.allow: false` denies Remote Desktop connections, so the other connection and security settings have no effect.";
    Tls13Only = "RDP043", Warning, "TLS 1.3 as the minimum disables TLS 1.2 machine-wide",
        "The SCHANNEL switches are machine-wide: `tls.minVersion: \"1.3\"` disables TLS 1.2 for every SCHANNEL server on the host (IIS, WinRM, LDAPS, the RDP listener). Windows Server 2019 and older have no TLS 1.3 server, so they are left with no TLS server protocol at all; on newer releases, clients and gateways that cannot negotiate TLS 1.3 fail (RDP with 0x904/0x7). Declare `tls.minimumOs` to have rdpgen check the release.";
    ControlCharacter = "RDP044", Error, "a string holds a control character",
        "Strings that reach the registry, Group Policy files or scripts cannot hold control characters such as CR, LF or NUL.";
    BadSid = "RDP045", Error, "a logon-right entry is not a valid account or SID",
        "`logonRights` entries are account names (`Administrators`, `CORP\\\\RDP Admins`) or SIDs (`S-1-5-32-544`). Names cannot contain `,`, `=`, `\"` or control characters.";
    BadGuid = "RDP046", Error, "`gpo.guid` is not a GUID",
        "`gpo.guid` is written in registry format: `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` with hexadecimal digits.";
    BadName = "RDP047", Error, "a name is not valid",
        "Policy names match `^[a-z0-9][a-z0-9-]{0,62}$`: they name output directories and seed the GPO GUID.";
    BadServerName = "RDP048", Error, "a license server name is not valid",
        "License servers are host names or IP addresses; they are joined with commas into the LicenseServers policy value, so a name cannot hold a comma, space or control character.";
    ScopeLocalSubnet = "RDP049", Warning, "`local-subnet` cannot be enforced against other allow rules",
        "rdpgen keeps `firewall.allowFrom` by blocking RDP from every address outside it (Windows Firewall: block beats allow). `local-subnet` is whatever the host's interfaces are on, so it has no complement to block: on the chosen profiles, any other enabled allow rule for the RDP port — Windows' own RemoteDesktop-UserMode-In-TCP/UDP allows any address on every profile — still admits RDP from outside `allowFrom`. The profiles not chosen are still blocked. List the subnets instead of `local-subnet`, or disable the built-in rules on the host.";
    ScopeAdvisory = "RDP050", Warning, "the firewall scope is advisory",
        "With `firewall.builtinRules: keep` rdpgen adds its allow rules and touches nothing else. Windows allows a packet when any enabled allow rule matches, so other rules — Windows' own RemoteDesktop-UserMode-In-TCP/UDP allows any address on every profile — still admit RDP from outside `firewall.allowFrom` and on other profiles; `rdpgen diff` reports them as warnings. Use it only where another tool manages the host firewall.";
    Lockout = "RDP055", Error, "the logon rights lock everyone out",
        "Deny beats allow in Windows user rights. Denying `Local account` (S-1-5-113 or S-1-5-114) on a `role: workgroup` host denies every account, since a workgroup host has only local accounts; denying `Everyone`, `Authenticated Users` or `Users`, or every account that `allow` names, does the same on any host. Nobody could log on over Remote Desktop to repair it.";
    LocalAccountDenied = "RDP056", Warning, "local members of an allowed local group are denied",
        "`logonRights.deny` names `Local account` (S-1-5-113/114) while `allow` names a local group such as `Administrators`: the local accounts in that group (the built-in Administrator included) cannot log on, because deny beats allow. Only domain members of the group can. That is the CIS/STIG intent on a domain member; say `role: member-server` and make sure a domain account can log on.";
    DomainGroupOnWorkgroup = "RDP051", Error, "a domain group on a workgroup host",
        "A `role: workgroup` host is not joined to a domain, so domain groups (`Domain Admins`, `CORP\\RDP Admins`, domain SIDs) cannot be resolved when the security template applies. Name local groups or SIDs instead.";
    LegacyTls = "RDP052", Warning, "TLS 1.0 or 1.1 re-enabled machine-wide",
        "The SCHANNEL switches are machine-wide: `tls.minVersion` of 1.0 or 1.1 enables those deprecated protocols for every SCHANNEL server on the host (IIS, WinRM, LDAPS, the RDP listener), not just for Remote Desktop. Use `\"1.2\"`.";
    Tls13Unavailable = "RDP053", Error, "TLS 1.3 as the minimum on a release without TLS 1.3",
        "`tls.minimumOs` names a release without a TLS 1.3 server (before Windows Server 2022 and Windows 11). `tls.minVersion: \"1.3\"` would disable TLS 1.2 and leave that host with no TLS server protocol: RDP with TLS or NLA, WinRM over HTTPS and IIS stop working.";
    BidiControl = "RDP054", Error, "a string holds a bidirectional control character",
        "Bidirectional controls (U+202A..U+202E, U+2066..U+2069) and other invisible formatting characters make text display in a different order from the one it is stored in, so a reviewer reads something other than what reaches GptTmpl.inf, the registry or a report. rdpgen refuses them in every string.";
    MaxConnectionsOutOfRange = "RDP057", Error, "the connection limit is outside 1..999999",
        "`connection.maxConnections` is TS_MAX_CON_POLICY's MaxInstanceCount, which Group Policy accepts from 1 to 999999; 999999 means unlimited.";
    ShadowWithoutConsent = "RDP058", Warning, "sessions can be shadowed without the user's consent",
        "`sessions.shadow: full-without-consent` or `view-without-consent` (Shadow 2 or 4) lets an administrator watch, or control, another user's session without asking: the user sees no prompt and may not notice. Prefer a `-with-consent` level, or `disabled` where nobody needs to shadow.";
    BadKeepAlive = "RDP059", Error, "a keep-alive interval Group Policy cannot store",
        "`connection.keepAlive` is TS_KEEP_ALIVE's KeepAliveInterval, whole minutes from 1 to 999999. Write `never` (the policy's Disabled state), `Nm` (1 to 999999), `Nh` (1 to 9999) or `Nd` (1 to 99), digits without sign or leading zero.";
    UnknownAdmxPolicy = "RDP060", Error, "an `admx:` entry names no known ADMX policy",
        "An `admx:` entry's `policy` is the ADMX file's name without `.admx`, a slash and the policy's name: `TerminalServer/TS_MAXDISPLAYRES`. rdpgen knows every policy of TerminalServer.admx, TerminalServer-Server.admx and CredSsp.admx; `--admx DIR` adds the ADMX files of your own PolicyDefinitions. `rdpgen explain TS_MAXDISPLAYRES` finds a policy by name.";
    BadAdmxValue = "RDP061", Error, "an `admx:` entry cannot be written as given",
        "The entry's state and values must be what the policy's ADMX allows: an element id it has, a value of the element's kind within its range (a number for decimal, true/false for boolean, a string for text, an item name for enum, a list of strings for list and multiText), every element given when enabled (rdpgen writes no editor defaults), no values when disabled. rdpgen refuses User policies, soft values and list policies whose state clears a key (`**delvals.`). `rdpgen explain <policy id>` lists the elements.";
    AdmxSetByField = "RDP062", Error, "an `admx:` entry sets what a typed field sets",
        "The policy (or one of the registry values it writes) belongs to a typed field of the policy language, which carries RDP-aware rules and lints: set the field instead, so one value has one source.";
    AdmxConflict = "RDP063", Error, "two `admx:` entries write the same registry value",
        "Two entries name the same policy, or two policies write the same value: Group Policy would apply whichever comes last, so rdpgen refuses the ambiguity. Keep one.";
    BadCipherSuites = "RDP064", Error, "a cipher suite order Group Policy cannot store",
        "`posture.cipherSuites` is written comma-joined into CipherSuiteOrder.admx's text element, which holds at most 1023 characters; names are SCHANNEL's (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`), each once, and the list cannot be empty (an empty order leaves TLS, and so RDP's TLS layer and NLA, without a suite).";
    FirewallOff = "RDP065", Warning, "the host's firewall posture voids the RDP scope",
        "`posture.firewall.enabled: false` turns Windows Defender Firewall off and `defaultInbound: allow` admits whatever no rule blocks: either way `firewall.allowFrom` and `firewall.profiles` restrict nothing, and RDP is reachable from every network the host is on.";
    WeakLmLevel = "RDP066", Warning, "LAN Manager authentication accepts LM or NTLM responses",
        "`posture.lmCompatibilityLevel` below 3 lets the host send LM or NTLM (v1) responses, which NLA falls back to where Kerberos cannot be used: they can be relayed and cracked. CIS and the STIG require 5 (NTLMv2 only; refuse LM and NTLM).";
    BadLockout = "RDP067", Error, "an account lockout Windows would not apply",
        "`posture.accountLockout.duration` is 1 to 99999 minutes written `Nm`, `Nh` or `Nd`, or `until-unlocked`; `resetAfter` is 1 to 99999 minutes and at most `duration` (the Security client-side extension refuses a reset longer than the lockout, and the settings editor will not save one). Enforced, the two come together: the extension checks the reset against the duration the host already has when the template sets only one.";
    NoLockout = "RDP068", Warning, "accounts are never locked out",
        "`posture.accountLockout.threshold: 0` never locks an account, so a password-guessing run against the RDP listener can go on for ever, and `duration` and `resetAfter` have no effect. CIS 1.2.2 requires 1 to 5 failed logons, WN22-AC-000020 1 to 3.";
    WaiverExpired = "RDP090", Warning, "a waiver has expired",
        "The waiver's `expires` day has passed: `rdpgen diff` no longer hides the drift it covered. Fix the hosts, or renew the waiver with a new reason and date.";
    WaiverMatchesNothing = "RDP091", Warning, "a waiver names nothing this policy checks",
        "A waiver's `field` must be a field the policy sets (`certificate.allowSelfSigned`) or a `diff` check id (`tls.minVersion:TLS 1.0:Enabled`, `certificate.expiry`, `consistency.tls12`). A waiver for anything else can never apply.";
    BadWaiver = "RDP092", Error, "a waiver is not valid",
        "A waiver needs a `field`, a non-empty `reason` and an `expires` day written `YYYY-MM-DD`; host globs use `*` and `?` and cannot be empty.";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Code {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(s.len() == 6 && s.starts_with("RDP"), "{s}");
            assert!(seen.insert(s), "duplicate {s}");
            assert!(!code.title().ends_with('.'), "house style: {s}");
        }
    }
}
