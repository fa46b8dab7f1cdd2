//! `ansible/apply.yml` and `ansible/rollback.yml`: Ansible playbooks for Windows hosts.
//!
//! - Every registry operation of the model, except the Group Policy form of the firewall rules,
//!   becomes an `ansible.windows.win_regedit` task with the value `RegistryOp::value_after`
//!   gives (the values of `reg/apply.reg` and `reg/rollback.reg`).
//! - Firewall rules become `community.windows.win_firewall_rule` tasks (as the DSC output uses
//!   NetworkingDsc `Firewall`); rollback removes them.
//! - Host actions (listener certificate binding, private key ACL repair) are
//!   `ansible.windows.win_powershell` tasks whose script is fixed text from this module and
//!   whose one input, the thumbprint, is a module parameter: no policy text is ever script.
//! - `posture.accountLockout` (enforce mode) is a `win_powershell` task whose fixed script
//!   applies the four numbers, its parameters, with `secedit /configure`; rollback leaves it.
//! - Every string goes through [`crate::escape::yaml::unsafe_scalar`]: a single-quoted or plain
//!   YAML scalar tagged `!unsafe`, which Ansible never templates, so `{{` in a policy string
//!   stays text.

use std::fmt::Write as _;

use super::dsc::{profile_name, registry_ops};
use super::{Artifact, EmitError, Target};
use crate::escape::single_line;
use crate::escape::yaml::unsafe_scalar;
use crate::firewall_address::FirewallAddress;
use crate::formats::RegistryValue;
use crate::model::{
    CertificateSource, FirewallAction, FirewallRule, HostAction, Model, RegistryOp,
};

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

pub const APPLY: &str = "ansible/apply.yml";
pub const ROLLBACK: &str = "ansible/rollback.yml";

const KEY_FILE: &str = include_str!("../../templates/dsc/key-file.ps1.hbs");

fn error(message: String) -> EmitError {
    EmitError::Target {
        target: Target::Ansible,
        message,
    }
}

/// `text` as an `!unsafe` YAML scalar.
fn s(text: &str) -> Result<String, EmitError> {
    unsafe_scalar(text)
        .map(|v| v.to_string())
        .map_err(|e| error(format!("{e}: {}", text.escape_debug())))
}

/// `type` and `data` of `win_regedit` for a value.
fn regedit_data(
    op: &RegistryOp,
    value: &RegistryValue,
) -> Result<(&'static str, String), EmitError> {
    Ok(match value {
        RegistryValue::Sz(text) => ("string", s(text)?),
        RegistryValue::ExpandSz(text) => ("expandstring", s(text)?),
        RegistryValue::MultiSz(items) => {
            let items = items.iter().map(|i| s(i)).collect::<Result<Vec<_>, _>>()?;
            ("multistring", format!("[{}]", items.join(", ")))
        }
        // win_regedit reads the unsigned number and stores its bits.
        RegistryValue::Dword(v) => ("dword", v.to_string()),
        RegistryValue::Qword(v) => ("qword", v.to_string()),
        RegistryValue::Binary(bytes) => (
            "binary",
            format!(
                "[{}]",
                bytes
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        other => {
            return Err(error(format!(
                "win_regedit cannot write `{}` as {}",
                op.value_name,
                crate::model::describe::value_text(other)
            )));
        }
    })
}

fn registry_tasks(model: &Model, rollback: bool, out: &mut String) -> Result<(), EmitError> {
    for op in registry_ops(model) {
        let path = format!("{}:\\{}", op.hive.short_name(), op.key);
        let verb = if rollback { "restore" } else { "set" };
        let _ = writeln!(
            out,
            "    - name: {}",
            s(&format!(
                "{} ({verb} {})",
                op.provenance.field(),
                op.value_name
            ))?
        );
        out.push_str("      ansible.windows.win_regedit:\n");
        let _ = writeln!(out, "        path: {}", s(&path)?);
        let _ = writeln!(out, "        name: {}", s(&op.value_name)?);
        match op.value_after(rollback) {
            Some(value) => {
                let (kind, data) = regedit_data(op, value)?;
                let _ = writeln!(out, "        data: {data}");
                let _ = writeln!(out, "        type: {kind}");
                out.push_str("        state: present\n");
            }
            None => out.push_str("        state: absent\n"),
        }
    }
    Ok(())
}

/// `remoteip` of `win_firewall_rule`: `any`, `localsubnet` or addresses.
fn remote_ip(rule: &FirewallRule) -> String {
    if rule.remote_addresses.is_empty() || rule.remote_addresses.contains(&FirewallAddress::Any) {
        return "any".into();
    }
    rule.remote_addresses
        .iter()
        .map(|a| match a {
            FirewallAddress::LocalSubnet => "localsubnet".to_string(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn firewall_tasks(model: &Model, rollback: bool, out: &mut String) -> Result<(), EmitError> {
    for rule in &model.firewall {
        let verb = if rollback {
            "remove"
        } else {
            match rule.action {
                FirewallAction::Allow => "allow",
                FirewallAction::Block => "block",
            }
        };
        let _ = writeln!(
            out,
            "    - name: {}",
            s(&format!("firewall ({verb} {})", rule.id))?
        );
        out.push_str("      community.windows.win_firewall_rule:\n");
        let _ = writeln!(out, "        name: {}", s(&rule.id)?);
        if rollback {
            out.push_str("        state: absent\n");
            continue;
        }
        let _ = writeln!(out, "        description: {}", s(&rule.description)?);
        let _ = writeln!(out, "        group: {}", s(&rule.group)?);
        let action = match rule.action {
            FirewallAction::Allow => "allow",
            FirewallAction::Block => "block",
        };
        let _ = writeln!(
            out,
            "        direction: in\n        action: {action}\n        enabled: true"
        );
        let _ = writeln!(
            out,
            "        protocol: {}",
            rule.protocol.as_str().to_ascii_lowercase()
        );
        let _ = writeln!(
            out,
            "        localport: {}",
            s(&rule.local_port.to_string())?
        );
        let _ = writeln!(out, "        remoteip: {}", s(&remote_ip(rule))?);
        if rule.profiles.is_empty() {
            out.push_str("        profiles: [domain, private, public]\n");
        } else {
            let names: Vec<String> = rule
                .profiles
                .iter()
                .map(|p| profile_name(*p).to_ascii_lowercase())
                .collect();
            let _ = writeln!(out, "        profiles: [{}]", names.join(", "));
        }
        if let Some(app) = &rule.program {
            let _ = writeln!(out, "        program: {}", s(app)?);
        }
        if let Some(svc) = &rule.service {
            let _ = writeln!(out, "        service: {}", s(svc)?);
        }
        out.push_str("        state: present\n");
    }
    Ok(())
}

const BIND_SCRIPT: &str = r"param([string]$Thumbprint)
$setting = Get-CimInstance -Namespace 'root\cimv2\TerminalServices' -ClassName 'Win32_TSGeneralSetting' -Filter 'TerminalName=''RDP-Tcp'''
if ([string]$setting.SSLCertificateSHA1Hash -eq $Thumbprint) {
    $Ansible.Changed = $false
} else {
    if (-not (Test-Path -LiteralPath ('Cert:\LocalMachine\My\' + $Thumbprint))) {
        throw ('rdpgen: certificate ' + $Thumbprint + ' is not in Cert:\LocalMachine\My')
    }
    Set-CimInstance -InputObject $setting -Property @{ SSLCertificateSHA1Hash = $Thumbprint }
    $Ansible.Changed = $true
}
";

const REPAIR_TAIL: &str = r"if ($null -eq $keyFile) {
    throw ('rdpgen: no private key file found for certificate ''' + $thumbprint + ''' in Cert:\LocalMachine\My or Cert:\LocalMachine\Remote Desktop')
}
$file = Get-Item -LiteralPath $keyFile
$acl = $file.GetAccessControl([System.Security.AccessControl.AccessControlSections]::Access)
$read = [System.Security.AccessControl.FileSystemRights]::Read
$granted = $false
foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
    if ($rule.IdentityReference.Value -eq 'S-1-5-20' -and $rule.AccessControlType -eq [System.Security.AccessControl.AccessControlType]::Allow -and ($rule.FileSystemRights -band $read) -eq $read) {
        $granted = $true
    }
}
if ($granted) {
    $Ansible.Changed = $false
} else {
    $networkService = [System.Security.Principal.SecurityIdentifier]::new('S-1-5-20')
    $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new($networkService, $read, [System.Security.AccessControl.AccessControlType]::Allow))
    $file.SetAccessControl($acl)
    $Ansible.Changed = $true
}
";

/// The account lockout (`posture.accountLockout` in enforce mode): the four numbers arrive as
/// parameters (integers, never script text). The script exports the local security policy,
/// and only when a number differs writes a template of exactly those lines and applies it
/// with `secedit /configure` (one call: Windows checks the reset against the duration with
/// the new numbers together, as the Security client-side extension does).
const LOCKOUT_SCRIPT: &str = r#"param($LockoutBadCount, $ResetLockoutCount, $LockoutDuration, $AllowAdministratorLockout)
$ErrorActionPreference = 'Stop'
$want = [ordered]@{}
foreach ($name in @('LockoutBadCount', 'ResetLockoutCount', 'LockoutDuration', 'AllowAdministratorLockout')) {
    $value = Get-Variable -Name $name -ValueOnly
    if ($null -ne $value) { $want[$name] = [long]$value }
}
$work = Join-Path -Path ([System.IO.Path]::GetTempPath()) -ChildPath ('rdpgen-lockout-' + [guid]::NewGuid().ToString())
$null = New-Item -ItemType Directory -Path $work
try {
    $current = Join-Path -Path $work -ChildPath 'current.inf'
    $null = secedit.exe /export /areas SECURITYPOLICY /cfg $current /quiet
    $have = @{}
    $section = ''
    foreach ($line in @(Get-Content -LiteralPath $current -Encoding Unicode)) {
        if ($line -match '^\s*\[(.+)\]\s*$') { $section = $Matches[1]; continue }
        if ($section -eq 'System Access' -and $line -match '^\s*(\w+)\s*=\s*(-?[0-9]+)\s*$') { $have[$Matches[1]] = [long]$Matches[2] }
    }
    $differs = @($want.Keys | Where-Object { $have[$_] -ne $want[$_] })
    if ($differs.Count -eq 0) {
        $Ansible.Changed = $false
    } else {
        $text = "[Unicode]`r`nUnicode=yes`r`n[System Access]`r`n"
        foreach ($name in $want.Keys) { $text += $name + ' = ' + $want[$name] + "`r`n" }
        $text += "[Version]`r`nsignature=`"`$CHICAGO`$`"`r`nRevision=1`r`n"
        $inf = Join-Path -Path $work -ChildPath 'lockout.inf'
        Set-Content -LiteralPath $inf -Value $text -Encoding Unicode
        $null = secedit.exe /configure /db (Join-Path -Path $work -ChildPath 'lockout.sdb') /cfg $inf /areas SECURITYPOLICY /quiet
        if ($LASTEXITCODE -ne 0) { throw ('rdpgen: secedit /configure failed with exit code ' + $LASTEXITCODE) }
        $Ansible.Changed = $true
    }
} finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
"#;

/// `posture.accountLockout` with `mode: enforce`: one `win_powershell` task.
fn lockout_task(model: &Model, out: &mut String) {
    let Some(lockout) = model.account_lockout.filter(|l| l.enforced) else {
        return;
    };
    out.push_str(
        "    - name: !unsafe 'posture.accountLockout (secedit /configure [System Access])'\n      ansible.windows.win_powershell:\n",
    );
    block(LOCKOUT_SCRIPT, out);
    out.push_str("        parameters:\n");
    for (name, value) in lockout.lines() {
        let _ = writeln!(out, "          {name}: {value}");
    }
}

/// The fixed key ACL repair script: the DSC `key-file` part reading `$Thumbprint`.
pub(in crate::emit) fn repair_script() -> String {
    format!(
        "param([string]$Thumbprint)\n{}{REPAIR_TAIL}",
        KEY_FILE.replace("$using:KeyCertificateThumbprint", "$Thumbprint")
    )
}

fn block(script: &str, out: &mut String) {
    out.push_str("        script: !unsafe |\n");
    for line in script.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "          {line}");
        }
    }
}

fn host_action_tasks(model: &Model, out: &mut String) -> Result<(), EmitError> {
    for action in &model.host_actions {
        match action {
            HostAction::BindListenerCertificate { thumbprint } => {
                out.push_str(
                    "    - name: !unsafe 'certificate (bind the RDP-Tcp listener)'\n      ansible.windows.win_powershell:\n",
                );
                block(BIND_SCRIPT, out);
                let _ = writeln!(
                    out,
                    "        parameters:\n          Thumbprint: {}",
                    s(thumbprint)?
                );
            }
            HostAction::RepairPrivateKeyPermissions { certificate } => {
                let thumbprint = match certificate {
                    CertificateSource::Thumbprint(t) => t.as_str(),
                    CertificateSource::Template(_) | CertificateSource::Unmanaged => "",
                };
                out.push_str(
                    "    - name: !unsafe 'certificate (grant NETWORK SERVICE read on the private key)'\n      ansible.windows.win_powershell:\n",
                );
                block(&repair_script(), out);
                let _ = writeln!(
                    out,
                    "        parameters:\n          Thumbprint: {}",
                    s(thumbprint)?
                );
            }
        }
    }
    Ok(())
}

/// One playbook.
///
/// # Errors
/// A value `win_regedit` cannot express, or a string a YAML scalar cannot carry.
pub fn render(model: &Model, rollback: bool) -> Result<String, EmitError> {
    let mut out = String::new();
    let what = if rollback { "rollback" } else { "apply" };
    let _ = writeln!(
        out,
        "# Generated by rdpgen {}: {what} playbook of policy {}",
        env!("CARGO_PKG_VERSION"),
        single_line(&model.name)
    );
    let _ = writeln!(out, "# Policy hash: {}", single_line(&model.policy_hash));
    if let Some(d) = &model.description {
        let _ = writeln!(out, "# {}", single_line(d));
    }
    out.push_str(
        "# Needs the ansible.windows and community.windows collections. Limit hosts with -l.\n",
    );
    let _ = writeln!(
        out,
        "- name: {}",
        s(&format!("rdpgen {what} {}", model.name))?
    );
    out.push_str("  hosts: all\n  gather_facts: false\n  tasks:\n");
    let start = out.len();
    registry_tasks(model, rollback, &mut out)?;
    firewall_tasks(model, rollback, &mut out)?;
    if !rollback {
        host_action_tasks(model, &mut out)?;
        lockout_task(model, &mut out);
    } else if model.account_lockout.is_some_and(|l| l.enforced) {
        out.push_str("    # posture.accountLockout is left as it is: Windows' own defaults differ by release.\n");
    }
    if out.len() == start {
        out.push_str("    - name: !unsafe 'nothing to do'\n      ansible.builtin.meta: noop\n");
    }
    Ok(out)
}

/// `ansible/apply.yml` and `ansible/rollback.yml`.
///
/// # Errors
/// See [`render`].
pub fn emit(model: &Model) -> Result<Vec<Artifact>, EmitError> {
    Ok(vec![
        Artifact {
            path: APPLY.into(),
            bytes: render(model, false)?.into_bytes(),
        },
        Artifact {
            path: ROLLBACK.into(),
            bytes: render(model, true)?.into_bytes(),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Hive;
    use crate::model::{Provenance, RegistryAction, Scope};

    fn op() -> RegistryOp {
        RegistryOp {
            hive: Hive::LocalMachine,
            key: "K".into(),
            value_name: "V".into(),
            action: RegistryAction::Delete,
            scope: Scope::Local,
            provenance: Provenance {
                setting: const { crate::catalog::field("security.nla") },
                admx: None,
                state: None,
            },
            rollback: None,
        }
    }

    #[test]
    fn win_regedit_data_is_unsigned_and_every_string_unsafe() {
        let d = |v: RegistryValue| regedit_data(&op(), &v).unwrap();
        assert_eq!(
            d(RegistryValue::Dword(u32::MAX)),
            ("dword", "4294967295".into())
        );
        assert_eq!(
            d(RegistryValue::Qword(u64::MAX)),
            ("qword", u64::MAX.to_string())
        );
        assert_eq!(
            d(RegistryValue::MultiSz(vec!["a'b".into(), "{{ x }}".into()])),
            ("multistring", "[!unsafe 'a''b', !unsafe '{{ x }}']".into())
        );
        assert_eq!(
            d(RegistryValue::Binary(vec![0, 255])),
            ("binary", "[0, 255]".into())
        );
        assert_eq!(
            regedit_data(&op(), &RegistryValue::DwordBigEndian(1))
                .unwrap_err()
                .to_string(),
            "ansible: win_regedit cannot write `V` as REG_DWORD_BIG_ENDIAN 1"
        );
    }

    #[test]
    fn fixed_scripts_read_their_input_as_a_parameter() {
        let repair = repair_script();
        assert!(repair.starts_with("param([string]$Thumbprint)\n"));
        assert!(!repair.contains("$using:"));
        assert!(!BIND_SCRIPT.contains("$using:"));
        // The lockout task passes the catalog's `[System Access]` names as parameters: the
        // script declares and applies exactly those.
        let (param, rest) = LOCKOUT_SCRIPT.split_once('\n').unwrap();
        let applied = rest
            .lines()
            .find(|l| l.starts_with("foreach ($name in @("))
            .unwrap();
        for (name, _) in crate::catalog::keys::LOCKOUT_LINES {
            assert!(param.contains(&format!("${name}")), "{name}: {param}");
            assert!(applied.contains(&format!("'{name}'")), "{name}: {applied}");
        }
        assert_eq!(param.matches('$').count(), 4, "{param}");
    }
}
