//! `intune/detect.ps1`, `intune/remediate.ps1` (Intune Remediations, ConfigMgr script settings)
//! and `intune/oma-uri.json` (a custom configuration profile).
//!
//! - detect checks every registry value of the model (the values of Registry.pol and
//!   `reg/apply.reg`, firewall rules in their Group Policy form included) and the listener
//!   binding; it only reads (`.ci/check-readonly.py` proves it from the syntax tree), prints one
//!   line and exits 1 when the host drifts, 0 otherwise. It cannot see whether NETWORK SERVICE
//!   may read the private key: the summary says so.
//! - remediate writes those values, binds the listener and repairs the key ACL (the DSC output's
//!   steps), then runs the same checks again and exits 0 only when they pass.
//! - Every policy string enters a script as a single-quoted literal made by
//!   [`crate::escape::powershell`], and free text only as `#` comment text.
//! - `oma-uri.json`: the ADMX-backed Policy CSP (`./Device/Vendor/MSFT/Policy/Config/
//!   ADMX_TerminalServer/<policy id>`) with `<enabled/>`/`<disabled/>` and `<data id value/>`
//!   payloads. Values that no inbox ADMX-backed policy writes (listener, SCHANNEL, firewall
//!   rules) are left to the scripts: Intune refuses custom ADMX ingestion under
//!   `Software\Policies\Microsoft`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Artifact, EmitError, Target};
use crate::catalog::{Element, State};
use crate::escape::powershell::{comment_text, literal};
use crate::formats::RegistryValue;
use crate::formats::xml::escape_attribute;
use crate::model::{CertificateSource, HostAction, Model, RegistryOp};

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

pub const DETECT: &str = "intune/detect.ps1";
pub const REMEDIATE: &str = "intune/remediate.ps1";
pub const OMA_URI: &str = "intune/oma-uri.json";

const KEY_FILE: &str = include_str!("../../templates/dsc/key-file.ps1.hbs");

const OMA_PREFIX: &str = "./Device/Vendor/MSFT/Policy/Config/";

fn error(message: String) -> EmitError {
    EmitError::Target {
        target: Target::Intune,
        message,
    }
}

const TEST_FUNCTION: &str = r"# Writes $Label when the value differs. $Kind '' means the value must be absent.
function Test-RdpgenValue {
    param([string]$Key, [string]$Name, [string]$Kind, [string[]]$Expected, [string]$Label)
    $item = Get-Item -LiteralPath ('Registry::' + $Key) -ErrorAction SilentlyContinue
    $present = $false
    if ($null -ne $item) {
        $present = @($item.GetValueNames()) -contains $Name
    }
    if ($Kind -eq '') {
        if ($present) {
            Write-Output $Label
        }
        return
    }
    if (-not $present) {
        Write-Output $Label
        return
    }
    if ($item.GetValueKind($Name).ToString() -ne $Kind) {
        Write-Output $Label
        return
    }
    $raw = $item.GetValue($Name, $null, 'DoNotExpandEnvironmentNames')
    $actual = @()
    if ($Kind -eq 'Binary') {
        $hex = ''
        foreach ($byte in $raw) {
            $hex += $byte.ToString('x2')
        }
        $actual = @($hex)
    } else {
        foreach ($v in @($raw)) {
            $actual += [string]$v
        }
    }
    if ($actual.Count -ne @($Expected).Count) {
        Write-Output $Label
        return
    }
    for ($i = 0; $i -lt $actual.Count; $i++) {
        if ($actual[$i] -cne @($Expected)[$i]) {
            Write-Output $Label
            return
        }
    }
}
";

const SET_FUNCTIONS: &str = r"function Set-RdpgenValue {
    param([string]$Key, [string]$Name, [string]$Kind, $Value)
    $path = 'Registry::' + $Key
    if (-not (Test-Path -LiteralPath $path)) {
        New-Item -Path $path -Force | Out-Null
    }
    New-ItemProperty -LiteralPath $path -Name $Name -PropertyType $Kind -Value $Value -Force | Out-Null
}

function Remove-RdpgenValue {
    param([string]$Key, [string]$Name)
    $path = 'Registry::' + $Key
    if (Test-Path -LiteralPath $path) {
        Remove-ItemProperty -LiteralPath $path -Name $Name -ErrorAction SilentlyContinue
    }
}
";

const BIND: &str = r"    if (-not (Test-Path -LiteralPath ('Cert:\LocalMachine\My\' + $ListenerThumbprint))) {
        throw ('certificate ' + $ListenerThumbprint + ' is not in Cert:\LocalMachine\My')
    }
    $setting = Get-CimInstance -Namespace 'root\cimv2\TerminalServices' -ClassName 'Win32_TSGeneralSetting' -Filter 'TerminalName=''RDP-Tcp'''
    if ([string]$setting.SSLCertificateSHA1Hash -ne $ListenerThumbprint) {
        Set-CimInstance -InputObject $setting -Property @{ SSLCertificateSHA1Hash = $ListenerThumbprint }
    }
";

const REPAIR: &str = r"    if ($null -eq $keyFile) {
        throw ('no private key file found for certificate ''' + $thumbprint + ''' in Cert:\LocalMachine\My or Cert:\LocalMachine\Remote Desktop')
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
    if (-not $granted) {
        $networkService = [System.Security.Principal.SecurityIdentifier]::new('S-1-5-20')
        $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new($networkService, $read, [System.Security.AccessControl.AccessControlType]::Allow))
        $file.SetAccessControl($acl)
    }
";

/// Registry kind (RegistryValueKind name) and the values the check compares, as text: DWord
/// and QWord as the signed decimal `[string]` gives for what `GetValue` returns, binary as hex.
fn expected(
    op: &RegistryOp,
    value: &RegistryValue,
) -> Result<(&'static str, Vec<String>), EmitError> {
    Ok(match value {
        RegistryValue::Sz(s) => ("String", vec![s.clone()]),
        RegistryValue::ExpandSz(s) => ("ExpandString", vec![s.clone()]),
        RegistryValue::MultiSz(items) => ("MultiString", items.clone()),
        RegistryValue::Dword(v) => (
            "DWord",
            vec![i32::from_ne_bytes(v.to_ne_bytes()).to_string()],
        ),
        RegistryValue::Qword(v) => (
            "QWord",
            vec![i64::from_ne_bytes(v.to_ne_bytes()).to_string()],
        ),
        RegistryValue::Binary(bytes) => (
            "Binary",
            vec![bytes.iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })],
        ),
        other => {
            return Err(error(format!(
                "a remediation script cannot write `{}` as {}",
                op.value_name,
                crate::model::describe::value_text(other)
            )));
        }
    })
}

fn array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| literal(i).to_string()).collect();
    format!("@({})", items.join(", "))
}

fn key_of(op: &RegistryOp) -> String {
    format!("{}\\{}", op.hive.regedit_name(), op.key)
}

fn label(op: &RegistryOp) -> String {
    format!("{} ({})", op.provenance.field(), op.value_name)
}

fn header(model: &Model, what: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated by rdpgen {}: Intune {what} script of policy {}",
        env!("CARGO_PKG_VERSION"),
        comment_text(&model.name).as_str()
    );
    let _ = writeln!(
        out,
        "# Policy hash: {}",
        comment_text(&model.policy_hash).as_str()
    );
    if let Some(d) = &model.description {
        let _ = writeln!(out, "# {}", comment_text(d).as_str());
    }
    let _ = writeln!(
        out,
        "# GPO: {}",
        comment_text(&model.gpo.display_name).as_str()
    );
    out.push_str(
        "# Run as SYSTEM in 64-bit PowerShell (\"Run script in 64-bit PowerShell\": Yes), or\n\
         # HKLM\\SOFTWARE reads and writes land in WOW6432Node.\n",
    );
    out
}

fn thumbprints(model: &Model) -> (Option<&str>, Option<&str>) {
    let mut bind = None;
    let mut repair = None;
    for action in &model.host_actions {
        match action {
            HostAction::BindListenerCertificate { thumbprint } => bind = Some(thumbprint.as_str()),
            HostAction::RepairPrivateKeyPermissions { certificate } => {
                repair = Some(match certificate {
                    CertificateSource::Thumbprint(t) => t.as_str(),
                    CertificateSource::Template(_) | CertificateSource::Unmanaged => "",
                });
            }
        }
    }
    (bind, repair)
}

/// The drift function: one line per check that fails.
fn drift_function(model: &Model) -> Result<String, EmitError> {
    let mut out = String::from(TEST_FUNCTION);
    out.push_str("\nfunction Get-RdpgenDrift {\n");
    for op in &model.registry_ops()? {
        let (kind, values) = match op.value_after(false) {
            Some(v) => expected(op, v)?,
            None => ("", Vec::new()),
        };
        let _ = writeln!(
            out,
            "    Test-RdpgenValue -Key {} -Name {} -Kind {} -Expected {} -Label {}",
            literal(&key_of(op)),
            literal(&op.value_name),
            literal(kind),
            array(&values),
            literal(&label(op))
        );
    }
    if let (Some(thumbprint), _) = thumbprints(model) {
        let _ = writeln!(
            out,
            "    $setting = Get-CimInstance -Namespace 'root\\cimv2\\TerminalServices' -ClassName 'Win32_TSGeneralSetting' -Filter 'TerminalName=''RDP-Tcp'''\n    if ([string]$setting.SSLCertificateSHA1Hash -ne {}) {{\n        Write-Output 'certificate.thumbprint (listener binding)'\n    }}",
            literal(thumbprint)
        );
    }
    out.push_str("}\n");
    Ok(out)
}

/// The closing lines: the summary and the exit code.
fn verdict(model: &Model, remediation: bool) -> String {
    let (_, repair) = thumbprints(model);
    let prefix = format!("rdpgen {}: ", model.name);
    let ok = if repair.is_some() {
        "compliant (the private key ACL is not verified by detection)"
    } else {
        "compliant"
    };
    let drifted = if remediation {
        " still drifted after remediation: "
    } else {
        " drifted: "
    };
    format!(
        "$drift = @(Get-RdpgenDrift)\nif ($drift.Count -gt 0) {{\n    Write-Output ({} + $drift.Count + {} + ($drift -join ', '))\n    exit 1\n}}\nWrite-Output {}\nexit 0\n",
        literal(&prefix),
        literal(drifted),
        literal(&format!("{prefix}{ok}"))
    )
}

/// `detect.ps1` (without the byte-order mark).
///
/// # Errors
/// A registry value the script cannot compare.
pub fn render_detect(model: &Model) -> Result<String, EmitError> {
    let mut out = header(model, "detection");
    out.push_str(
        "# Read-only: reads registry values and the RDP-Tcp listener setting. Exit 1 with a\n\
         # one-line summary when the host drifts, 0 otherwise.\n\n",
    );
    out.push_str(&drift_function(model)?);
    out.push('\n');
    out.push_str(&verdict(model, false));
    Ok(out)
}

fn value_argument(op: &RegistryOp, value: &RegistryValue) -> Result<String, EmitError> {
    let (kind, values) = expected(op, value)?;
    Ok(match value {
        RegistryValue::Sz(s) | RegistryValue::ExpandSz(s) => literal(s).to_string(),
        RegistryValue::MultiSz(items) => format!("([string[]]{})", array(items)),
        RegistryValue::Binary(bytes) => format!(
            "([byte[]]@({}))",
            bytes
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => {
            let cast = if kind == "DWord" { "int32" } else { "int64" };
            let number = values.first().map(String::as_str).unwrap_or("0");
            format!("([{cast}]{})", literal(number))
        }
    })
}

/// `remediate.ps1` (without the byte-order mark).
///
/// # Errors
/// A registry value the script cannot write.
pub fn render_remediate(model: &Model) -> Result<String, EmitError> {
    let mut out = header(model, "remediation");
    out.push_str(
        "# Writes the policy's registry values, binds the listener certificate and grants NETWORK\n\
         # SERVICE read on its private key, then checks again: exit 0 only when the checks pass.\n\n",
    );
    out.push_str(&drift_function(model)?);
    out.push('\n');
    out.push_str(SET_FUNCTIONS);
    out.push_str("\n$ErrorActionPreference = 'Stop'\ntry {\n");
    for op in &model.registry_ops()? {
        match op.value_after(false) {
            Some(v) => {
                let (kind, _) = expected(op, v)?;
                let _ = writeln!(
                    out,
                    "    Set-RdpgenValue -Key {} -Name {} -Kind {} -Value {}",
                    literal(&key_of(op)),
                    literal(&op.value_name),
                    literal(kind),
                    value_argument(op, v)?
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "    Remove-RdpgenValue -Key {} -Name {}",
                    literal(&key_of(op)),
                    literal(&op.value_name)
                );
            }
        }
    }
    let (bind, repair) = thumbprints(model);
    if let Some(t) = bind {
        let _ = writeln!(out, "    $ListenerThumbprint = {}", literal(t));
        out.push_str(BIND);
    }
    if let Some(t) = repair {
        let _ = writeln!(out, "    $KeyCertificateThumbprint = {}", literal(t));
        for line in KEY_FILE
            .replace(
                "$using:KeyCertificateThumbprint",
                "$KeyCertificateThumbprint",
            )
            .lines()
        {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
        out.push_str(REPAIR);
    }
    let _ = writeln!(
        out,
        "}} catch {{\n    Write-Output ({} + $_.Exception.Message)\n    exit 1\n}}",
        literal(&format!("rdpgen {}: remediation failed: ", model.name))
    );
    out.push('\n');
    out.push_str(&verdict(model, true));
    Ok(out)
}

fn attribute(text: &str) -> Result<String, EmitError> {
    escape_attribute(text).map_err(|e| error(format!("oma-uri.json: {e}")))
}

/// The `<data id value/>` of one value of an ADMX element policy.
fn data_element(op: &RegistryOp) -> Result<Option<String>, EmitError> {
    if let Some((id, value)) = admx_data(op) {
        return Ok(Some(format!(
            "<data id=\"{}\" value=\"{}\"/>",
            attribute(id)?,
            attribute(&value)?
        )));
    }
    let Some(policy) = op.provenance.setting.policy else {
        return Ok(None);
    };
    // The element that writes this value: on the policy's value name, or a decimal element's
    // own (TS_KEEP_ALIVE's KeepAliveInterval beside KeepAliveEnable).
    let id = match policy.element {
        Some(Element::Enum { id, .. } | Element::Text { id })
            if policy.value_name.eq_ignore_ascii_case(&op.value_name) =>
        {
            id
        }
        Some(Element::Decimal { id, value_name, .. })
            if value_name.eq_ignore_ascii_case(&op.value_name) =>
        {
            id
        }
        _ => return Ok(None),
    };
    let value = match op.value_after(false) {
        Some(RegistryValue::Dword(v)) => v.to_string(),
        Some(RegistryValue::Sz(s) | RegistryValue::ExpandSz(s)) => s.clone(),
        _ => return Ok(None),
    };
    Ok(Some(format!(
        "<data id=\"{}\" value=\"{}\"/>",
        attribute(id)?,
        attribute(&value)?
    )))
}

/// For a value of the `admx:` section: the element that writes it and its `<data>` value, as
/// the ADMX-backed Policy CSP takes it (a decimal's number, a text, an enum item's value,
/// `true`/`false` for a boolean). None for the policy's own value and list items.
fn admx_data(op: &RegistryOp) -> Option<(&'static str, String)> {
    use crate::catalog::admx::{self, ElementKind, Value as AdmxValue};
    if op.provenance.setting.field != "admx" {
        return None;
    }
    let (file, name) = op.provenance.admx?;
    let def = admx::of_file(file, name)?;
    let element = def.elements.iter().find(|e| {
        !e.value_name.is_empty()
            && e.value_name.eq_ignore_ascii_case(&op.value_name)
            && e.key.eq_ignore_ascii_case(&op.key)
    })?;
    let value = op.value_after(false);
    let text = match (&element.kind, value) {
        (ElementKind::Boolean { on, .. }, v) => {
            // Without a trueValue, a checked box writes REG_DWORD 1.
            let on = on.map_or(Some(RegistryValue::Dword(1)), AdmxValue::registry);
            if v == on.as_ref() { "true" } else { "false" }.to_string()
        }
        (_, Some(RegistryValue::Dword(n))) => n.to_string(),
        (_, Some(RegistryValue::Qword(n))) => n.to_string(),
        (_, Some(RegistryValue::Sz(s) | RegistryValue::ExpandSz(s))) => s.clone(),
        (_, Some(RegistryValue::MultiSz(list))) => list.join("\u{F000}"),
        _ => return None,
    };
    Some((element.id, text))
}

/// `oma-uri.json`: a Graph `windows10CustomConfiguration` with one OMA-URI setting per
/// TerminalServer.admx policy of the model.
///
/// # Errors
/// Text an XML attribute cannot carry.
pub fn render_oma_uri(model: &Model) -> Result<String, EmitError> {
    // (policy id, state, data elements), in model order.
    let mut policies: Vec<(&str, State, Vec<String>)> = Vec::new();
    for op in &model.registry_ops()? {
        let (Some((file, id)), Some(state)) = (op.provenance.admx, op.provenance.state) else {
            continue;
        };
        if !file.eq_ignore_ascii_case("TerminalServer.admx") {
            continue;
        }
        let data = data_element(op)?;
        match policies.iter_mut().find(|(p, _, _)| *p == id) {
            Some((_, _, items)) => items.extend(data),
            None => policies.push((id, state, data.into_iter().collect())),
        }
    }
    let settings: Vec<Value> = policies
        .into_iter()
        .map(|(id, state, data)| {
            let value = match state {
                State::Disabled => "<disabled/>".to_string(),
                State::Enabled => format!("<enabled/>{}", data.concat()),
            };
            json!({
                "@odata.type": "#microsoft.graph.omaSettingString",
                "displayName": format!("rdpgen {} {id}", model.name),
                "omaUri": format!("{OMA_PREFIX}ADMX_TerminalServer/{id}"),
                "value": value,
            })
        })
        .collect();
    let document = json!({
        "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
        "displayName": format!("rdpgen {}", model.gpo.display_name),
        "description": format!(
            "rdpgen policy {} ({}): the TerminalServer.admx policies; run intune/remediate.ps1 for the values no ADMX-backed policy writes",
            model.name, model.policy_hash
        ),
        "omaSettings": settings,
    });
    let mut text =
        serde_json::to_string_pretty(&document).map_err(|e| error(format!("oma-uri.json: {e}")))?;
    text.push('\n');
    Ok(text)
}

fn with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// The three artifacts; the scripts are UTF-8 with a byte-order mark (Windows PowerShell 5.1).
///
/// # Errors
/// See the render functions.
pub fn emit(model: &Model) -> Result<Vec<Artifact>, EmitError> {
    Ok(vec![
        Artifact {
            path: DETECT.into(),
            bytes: with_bom(&render_detect(model)?),
        },
        Artifact {
            path: OMA_URI.into(),
            bytes: render_oma_uri(model)?.into_bytes(),
        },
        Artifact {
            path: REMEDIATE.into(),
            bytes: with_bom(&render_remediate(model)?),
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
    fn checks_compare_what_get_value_returns_and_writes_cast_to_it() {
        let e = |v: RegistryValue| expected(&op(), &v).unwrap();
        // GetValue returns Int32/Int64: the same bits, signed.
        assert_eq!(
            e(RegistryValue::Dword(u32::MAX)),
            ("DWord", vec!["-1".into()])
        );
        assert_eq!(
            e(RegistryValue::Qword(u64::MAX)),
            ("QWord", vec!["-1".into()])
        );
        assert_eq!(
            e(RegistryValue::Binary(vec![0x9f, 0])),
            ("Binary", vec!["9f00".into()])
        );
        let w = |v: RegistryValue| value_argument(&op(), &v).unwrap();
        assert_eq!(
            w(RegistryValue::Dword(0x8000_0000)),
            "([int32]'-2147483648')"
        );
        assert_eq!(w(RegistryValue::Sz("a’b".into())), "'a’’b'");
        assert_eq!(
            w(RegistryValue::MultiSz(vec!["x".into(), "y".into()])),
            "([string[]]@('x', 'y'))"
        );
        assert_eq!(
            expected(&op(), &RegistryValue::None(vec![]))
                .unwrap_err()
                .to_string(),
            "intune: a remediation script cannot write `V` as REG_NONE "
        );
    }
}
