//! The known causes of RDP error 0x904 with extended error 0x7 (and its relatives), each tied
//! to the settings that prevent it and the audit checks that detect it. Microsoft documents no
//! meaning for the code pair; the causes are the failure points of the TLS, CredSSP and
//! licensing handshake that reports it.

use super::types::Cause;

pub const CAUSES: &[Cause] = &[
    Cause {
        id: "C1",
        title: "expired or corrupt self-signed listener certificate",
        mechanism: "Without a bound PKI certificate the listener presents its self-signed certificate from the Remote Desktop store. When it expires or is damaged and is not regenerated, the TLS handshake fails before logon.",
        prevented_by: &[
            "certificate.template",
            "certificate.thumbprint",
            "certificate.allowSelfSigned",
        ],
        detected_by: "the certificate in use: NotAfter against now and `certificate.expiryWarningDays`, and whether it is self-signed",
        remediation: "bind a PKI certificate (`certificate.template` or `certificate.thumbprint`); to recover, delete the self-signed certificate from Cert:\\LocalMachine\\Remote Desktop and restart SessionEnv so Windows makes a new one",
    },
    Cause {
        id: "C2",
        title: "private key under MachineKeys unreadable by NETWORK SERVICE",
        mechanism: "TermService runs as NETWORK SERVICE. If the ACL of the certificate's key file under %ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys does not let it read the key, the listener cannot use the certificate (event 1055) and the handshake fails.",
        prevented_by: &["certificate.repairKeyPermissions"],
        detected_by: "the ACL of the bound certificate's key file: NETWORK SERVICE read",
        remediation: "grant NETWORK SERVICE read on that key file only (`certificate.repairKeyPermissions: true`); the folder-wide reset is a last resort",
    },
    Cause {
        id: "C3",
        title: "SecurityLayer set one way by policy and another on the listener",
        mechanism: "The policy value of SecurityLayer (and UserAuthentication, MinEncryptionLevel) overrides the listener's own value. A listener fixed by hand keeps failing while a policy forces TLS without a usable certificate, or forces the RDP layer while clients require server authentication or NLA.",
        prevented_by: &["security.layer", "security.nla", "security.encryption"],
        detected_by: "the effective SecurityLayer, UserAuthentication and MinEncryptionLevel with the source that won (policy or listener)",
        remediation: "converge on `layer: tls`, `nla: true`, `encryption: high` with a valid certificate; for recovery the built-in `break-glass` baseline uses `negotiate`",
    },
    Cause {
        id: "C4",
        title: "TLS versions switched off in SCHANNEL",
        mechanism: "The TLS and negotiate layers and NLA need a TLS version that both sides have enabled. Hardening that disables TLS 1.2 by mistake, or disables the only version an old client or gateway speaks, breaks the handshake.",
        prevented_by: &["tls.minVersion"],
        detected_by: "the state of each SCHANNEL Protocols\\TLS x.y\\Server key: enabled, disabled by default, or disabled",
        remediation: "keep TLS 1.2 enabled on the server (`tls.minVersion: \"1.2\"`) and restart TermService",
    },
    Cause {
        id: "C5",
        title: "firewall rule missing for the active network profile or port",
        mechanism: "Allow rules that exist only for the Domain profile do nothing when the network is categorised Public; a profile that ignores local rules needs its own Group Policy rule; the built-in rules stay on port 3389 when the listener moves.",
        prevented_by: &["firewall.profiles", "firewall.allowFrom", "connection.port"],
        detected_by: "the current network category and the RDP allow rules in effect per profile, with their ports",
        remediation: "deliver rdpgen's allow rules for every profile the host may be in, on the listener's port; fix a wrong network category rather than opening Public",
    },
    Cause {
        id: "C6",
        title: "Remote Desktop or the listener disabled",
        mechanism: "Connections are refused when fDenyTSConnections is 1 (policy or local), the listener is disabled (fEnableWinStation=0) or logons are disabled or drained.",
        prevented_by: &["connection.allow"],
        detected_by: "fDenyTSConnections (policy and local), the RDP-Tcp listener switch fEnableWinStation, and the logon flags WinStationsDisabled (`change logon /disable`) and TSServerDrainMode (`change logon /drain`) under Control\\Terminal Server",
        remediation: "`connection.allow: true`; `change logon /enable`, and fEnableWinStation = 1 on RDP-Tcp",
    },
    Cause {
        id: "C7",
        title: "listener port changed or taken",
        mechanism: "A PortNumber that differs from what clients and firewall rules use, or a port held by another process, makes the connection fail or reach the wrong service.",
        prevented_by: &["connection.port"],
        detected_by: "the listener's PortNumber and state",
        remediation: "set `connection.port` explicitly so the listener and rdpgen's firewall rules agree",
    },
    Cause {
        id: "C8",
        title: "corrupt client license cache",
        mechanism: "A damaged HKLM\\SOFTWARE\\Microsoft\\MSLicensing key on the client makes the licensing exchange fail. This is a client-side problem; reports of it are third-party.",
        prevented_by: &[],
        detected_by: "not visible from the server: check the client",
        remediation: "on the client, export and delete HKLM\\SOFTWARE\\Microsoft\\MSLicensing, then run mstsc once elevated so it is rebuilt",
    },
    Cause {
        id: "C9",
        title: "server licensing misconfigured",
        mechanism: "A session host whose grace period has ended and that finds no license server, or whose licensing mode does not match the CALs (per-user needs a domain), disconnects clients during licensing.",
        prevented_by: &["licensing.mode", "licensing.servers"],
        detected_by: "the licensing mode and configured license servers",
        remediation: "set `licensing.mode` and `licensing.servers`; use RD Licensing Diagnoser on the host",
    },
    Cause {
        id: "C10",
        title: "CredSSP encryption-oracle mismatch",
        mechanism: "When one side forces updated clients and the other is unpatched or set to vulnerable, CredSSP and therefore NLA fail with an authentication error in the same family as 0x904.",
        prevented_by: &["credentials.encryptionOracle", "security.nla"],
        detected_by: "AllowEncryptionOracle on the host",
        remediation: "patch both sides and set `credentials.encryptionOracle: force-updated-clients` everywhere",
    },
    Cause {
        id: "C11",
        title: "UDP path problems",
        mechanism: "After the TCP handshake the client may switch to UDP; VPNs and middleboxes that drop or mangle UDP then break the session.",
        prevented_by: &["connection.transport"],
        detected_by: "SelectTransport and whether the UDP allow rule exists",
        remediation: "`connection.transport: tcp` to diagnose; on the client, the fClientDisableUDP policy",
    },
];
