//! `rdpgen init`: prints a commented starter policy that validates, to edit and commit.

use crate::cli::{InitArgs, InitRole};
use crate::exit_status::ExitStatus;

/// The `role:` line and, for a workgroup host, logon rights that lock nobody out.
fn role_text(role: Option<InitRole>) -> (String, &'static str) {
    match role {
        None => (
            "# role: member-server            # member-server | domain-controller | workgroup\n"
                .into(),
            "",
        ),
        Some(InitRole::MemberServer) => ("role: member-server\n".into(), ""),
        Some(InitRole::DomainController) => ("role: domain-controller\n".into(), ""),
        Some(InitRole::Workgroup) => (
            "role: workgroup                   # not domain-joined: every account is local\n"
                .into(),
            "
logonRights:                      # on a workgroup host every account is a local account
  allow: [Administrators, Remote Desktop Users]
  deny: [Guests]                  # never `Local account` here: that denies everyone
",
        ),
    }
}

/// The starter policy for a baseline (or none), a role and a policy name.
#[must_use]
pub fn starter(baseline: Option<&str>, name: &str, role: Option<InitRole>) -> String {
    let (role_line, rights) = role_text(role);
    let extends = baseline.map_or_else(
        || "# extends: [cis-level1]          # built-in baselines: cis-level1, cis-level2, stig, msft-baseline, break-glass\n".to_string(),
        |b| format!("extends: [{b}]                  # built-in baselines: cis-level1, cis-level2, stig, msft-baseline, break-glass\n"),
    );
    format!(
        "# yaml-language-server: $schema=./rdpgen.schema.json
# Write the schema beside this file for editor completion: rdpgen schema > rdpgen.schema.json
# Check:   rdpgen validate {name}.yaml
# Build:   rdpgen build {name}.yaml --out out
# Audit:   rdpgen diff {name}.yaml HOST-SNAPSHOTS/
# Every field is optional: an absent field is \"not configured\" and writes nothing.
# `rdpgen explain FIELD` tells what a field does, where it lands and its CIS/STIG items.
rdpgen: 1
name: {name}
description: Remote Desktop posture for {name}
{role_line}{extends}
connection:
  allow: true                     # Remote Desktop on (fDenyTSConnections 0)
  port: 3389
  transport: tcp-udp              # tcp-udp | tcp

security:
  layer: tls                      # rdp | negotiate | tls
  nla: true                       # Network Level Authentication
  encryption: high                # low | client-compatible | high

tls:
  minVersion: \"1.2\"               # TLS 1.0/1.1 off for every SCHANNEL server on the host

certificate:
  # template: RDP-ServerAuth      # auto-enrol the listener certificate from your CA
  expiryWarningDays: 30           # audit: finding when the listener certificate expires soon
  allowSelfSigned: true           # set false once a template or thumbprint binds a PKI certificate

# firewall:
#   profiles: [domain]
#   allowFrom: [10.0.0.0/8]       # CIDR, IP, or local-subnet

sessions:
  idleTimeout: 15m                # one of the ADMX values: rdpgen explain sessions.idleTimeout
  disconnectedTimeout: 1h

redirection:                      # true = allowed
  drives: false
  clipboard: true
{rights}"
    )
}

pub fn run(args: &InitArgs) -> ExitStatus {
    if let Some(b) = &args.baseline
        && !crate::policy::builtin::names().any(|n| n == b)
    {
        let names: Vec<&str> = crate::policy::builtin::names().collect();
        eprintln!(
            "error: `{b}` is not a built-in baseline; there are: {}",
            names.join(", ")
        );
        return ExitStatus::Failure;
    }
    let name = args.name.as_deref().unwrap_or("my-rdp-policy");
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        eprintln!(
            "error: `{name}` is not a policy name: lower-case letters, digits and `-`, 1 to 63 characters, starting with a letter or digit"
        );
        return ExitStatus::Failure;
    }
    super::print_bytes(starter(args.baseline.as_deref(), name, args.role).as_bytes())
}
