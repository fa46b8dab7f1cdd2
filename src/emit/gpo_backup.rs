//! `gpo/`: a GPMC backup of one GPO, as `Backup-GPO` writes it and `Import-GPO`, GPMC's
//! Import Settings and `LGPO.exe /g` read it:
//!
//! ```text
//! gpo/manifest.xml
//! gpo/{BACKUP-ID}/Backup.xml, bkupInfo.xml, gpreport.xml
//! gpo/{BACKUP-ID}/DomainSysvol/GPO/Machine/registry.pol
//! gpo/{BACKUP-ID}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf
//! gpo/{BACKUP-ID}/DomainSysvol/GPO/Machine/Preferences/Registry/Registry.xml
//! ```
//!
//! What goes where:
//! - `registry.pol`: every registry value of the model ([`super::pol_entries`]): the Microsoft
//!   ADMX policies, the firewall rules under `SOFTWARE\Policies\Microsoft\WindowsFirewall`, and
//!   the local values rdpgen's own template (`admx/rdpgen.admx`) describes, written exactly as
//!   that template does (checked here: a local value the template cannot express is an error);
//! - Group Policy Preferences `Registry.xml`: local values no ADMX can carry (binary data: the
//!   listener's `SSLCertificateSHA1Hash`), as "Update" items;
//! - `GptTmpl.inf`: the account lockout in enforce mode (`[System Access]`) and the logon
//!   rights (`[Privilege Rights]`), UTF-16LE as Windows writes it.
//!
//! Only files with content are written, and `Backup.xml` lists exactly the client-side
//! extensions of those files, with their tool GUIDs, in ascending order, and a machine version
//! of 1 (`65537`); a file without its extension, or a version of 0, is silently never applied.
//!
//! Identity and time are deterministic: the GPO GUID is the model's (`gpo.guid` or UUIDv5 of
//! the name); the backup id is the UUIDv5 of `backup:<GPO GUID>:<policy hash>` in rdpgen's GPO
//! namespace, so it changes exactly when the policy does; the backup time is
//! `SOURCE_DATE_EPOCH` when set (UTC), else [`super::DEFAULT_EPOCH`] (2000-01-01T00:00:00).

mod backup_xml;
mod preferences;
mod report;

use super::{Artifact, EmitError, Options, Target, pol_entries};
use crate::catalog::custom_admx;
use crate::formats::registry_pol::{self, PolEntry};
use crate::formats::security_template::{self, PrivilegeRight, SecurityTemplate};
use crate::formats::xml::XmlError;
use crate::formats::{Hive, RegistryValue};
use crate::model::{GPO_NAMESPACE, Model, RegistryAction, RegistryOp, Scope};

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

/// Client-side extensions and the editor ("tool") extensions that go with them, as
/// `gPCMachineExtensionNames` lists them ([MS-GPREG] §1.9, [MS-GPSB] §1.9, [MS-GPPREF] §1.9,
/// and Microsoft's baseline backups).
pub(crate) mod guid {
    /// Registry (Administrative Templates) CSE.
    pub const CSE_REGISTRY: &str = "{35378EAC-683F-11D2-A89A-00C04FBBCFA2}";
    /// Administrative Templates editor, computer side.
    pub const TOOL_ADMIN_TEMPLATES: &str = "{D02B1F72-3407-48AE-BA88-E8213C6761F1}";
    /// Windows Firewall with Advanced Security editor (rules in registry.pol).
    pub const TOOL_FIREWALL: &str = "{B05566AC-FE9C-4368-BE01-7A4CBB6CBA11}";
    /// The older Administrative Templates editor id; Microsoft's backups that hold firewall
    /// settings list it next to [`TOOL_FIREWALL`] (every one in the Server 2025 baseline).
    pub const TOOL_ADMIN_TEMPLATES_LEGACY: &str = "{0F6B957D-509E-11D1-A7CC-0000F87571E3}";
    /// Security CSE (GptTmpl.inf).
    pub const CSE_SECURITY: &str = "{827D319E-6EAC-11D2-A4EA-00C04F79F83A}";
    /// Security Settings editor.
    pub const TOOL_SECURITY: &str = "{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}";
    /// Preferences: the core entry GPMC's editor lists next to every preference CSE.
    pub const CSE_PREFERENCES_CORE: &str = "{00000000-0000-0000-0000-000000000000}";
    /// Preferences: Registry CSE.
    pub const CSE_PREFERENCES_REGISTRY: &str = "{B087BE9D-ED37-454F-AF9C-04291E351182}";
    /// Preferences: Registry editor.
    pub const TOOL_PREFERENCES_REGISTRY: &str = "{BEE07A6A-EC9F-4659-B8C9-0B1937907C83}";
    /// The backup's catch-all for files and folders no extension claims.
    pub const UNKNOWN_EXTENSION: &str = "{F15C46CD-82A0-4C2D-A210-5D0D3182A418}";
}

/// Paths below `DomainSysvol\GPO\Machine`, as GPMC spells them.
pub(crate) const REGISTRY_POL: &str = "registry.pol";
pub(crate) const SECURITY_TEMPLATE: &str = r"microsoft\windows nt\SecEdit\GptTmpl.inf";
pub(crate) const PREFERENCES_REGISTRY: &str = r"Preferences\Registry\Registry.xml";

/// Seconds since 1970-01-01T00:00:00 UTC, shown as a civil date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp(i64);

impl Timestamp {
    fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let part = |v: i64| u32::try_from(v).unwrap_or_default();
        (
            year,
            part(month),
            part(day),
            part(secs / 3600),
            part(secs % 3600 / 60),
            part(secs % 60),
        )
    }

    /// `2000-01-01T00:00:00` (bkupInfo.xml, gpreport.xml).
    pub(crate) fn iso(self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
    }

    /// `2000-01-01 00:00:00` (Group Policy Preferences `changed`).
    pub(crate) fn preferences(self) -> String {
        self.iso().replacen('T', " ", 1)
    }
}

/// A registry value the GPO carries as a Group Policy Preferences item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PreferenceItem {
    pub hive: Hive,
    pub key: String,
    pub value_name: String,
    /// `None`: delete the value.
    pub value: Option<RegistryValue>,
    /// The policy field behind it.
    pub field: String,
    /// `{GUID}`, deterministic.
    pub uid: String,
}

/// Everything one backup holds, computed once and rendered by the submodules.
pub(crate) struct Backup<'a> {
    pub model: &'a Model,
    /// `{GUID}` of this backup instance (the folder name).
    pub id: String,
    pub time: Timestamp,
    /// registry.pol entries, sorted as Windows writes them; empty: no registry.pol.
    pub pol: Vec<PolEntry>,
    /// Empty: no GptTmpl.inf.
    pub security: SecurityTemplate,
    pub preferences: Vec<PreferenceItem>,
}

fn upper_guid(u: uuid::Uuid) -> String {
    format!("{{{}}}", u.hyphenated()).to_uppercase()
}

fn bug(message: impl Into<String>) -> EmitError {
    EmitError::Target {
        target: Target::Gpo,
        message: message.into(),
    }
}

fn xml_error(e: XmlError) -> EmitError {
    bug(e.to_string())
}

/// Local values without an ADMX that the custom template cannot express either go to
/// Group Policy Preferences: binary data, and deletions.
fn goes_to_preferences(op: &RegistryOp) -> bool {
    op.scope == Scope::Local
        && match &op.action {
            RegistryAction::Set(value) => matches!(value, RegistryValue::Binary(_)),
            RegistryAction::Delete => true,
        }
}

/// Every local value that stays in registry.pol must be one state of a policy of rdpgen's
/// template, with all the values that state writes.
fn check_against_template(ops: &[&RegistryOp]) -> Result<(), EmitError> {
    // Grouped by the template policy each value belongs to (one key may hold several:
    // Lsa's DisableRestrictedAdmin and LmCompatibilityLevel).
    let mut groups: Vec<(custom_admx::CustomPolicy, Vec<(&str, &RegistryValue)>)> = Vec::new();
    for op in ops {
        let RegistryAction::Set(v) = &op.action else {
            continue;
        };
        let policy = custom_admx::policy_for(&op.key, &op.value_name).ok_or_else(|| {
            bug(format!(
                "local value `{}\\{}` has no policy in rdpgen's administrative template",
                op.key, op.value_name
            ))
        })?;
        match groups.iter_mut().find(|(p, _)| p.name == policy.name) {
            Some((_, values)) => values.push((op.value_name.as_str(), v)),
            None => groups.push((policy, vec![(op.value_name.as_str(), v)])),
        }
    }
    for (policy, at_key) in groups {
        let key = policy.key.clone();
        if policy.state_of(&at_key).is_none() {
            return Err(bug(format!(
                "the values under `{key}` are no state of the template policy `{}`",
                policy.name
            )));
        }
    }
    Ok(())
}

/// The GPO's security template: the account lockout numbers when `posture.mode: enforce`
/// writes them, and the logon rights.
fn security_template(model: &Model) -> SecurityTemplate {
    SecurityTemplate {
        system_access: model
            .account_lockout
            .filter(|l| l.enforced)
            .map(|l| {
                l.lines()
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect()
            })
            .unwrap_or_default(),
        privilege_rights: model
            .logon_rights
            .iter()
            .map(|right| PrivilegeRight {
                name: right.right.as_str().to_string(),
                members: right
                    .accounts
                    .iter()
                    .map(|a| match &a.sid {
                        Some(sid) => format!("*{sid}"),
                        None => a.name.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

impl<'a> Backup<'a> {
    fn new(model: &'a Model, time: Timestamp) -> Result<Self, EmitError> {
        let mut in_pol = model.clone();
        in_pol.registry.retain(|op| !goes_to_preferences(op));
        let local: Vec<&RegistryOp> = in_pol
            .registry
            .iter()
            .filter(|op| op.scope == Scope::Local)
            .collect();
        check_against_template(&local)?;
        let preferences = model
            .registry
            .iter()
            .filter(|op| goes_to_preferences(op))
            .map(|op| PreferenceItem {
                hive: op.hive,
                key: op.key.clone(),
                value_name: op.value_name.clone(),
                value: match &op.action {
                    RegistryAction::Set(v) => Some(v.clone()),
                    RegistryAction::Delete => None,
                },
                field: op.provenance.field().to_string(),
                uid: upper_guid(uuid::Uuid::new_v5(
                    &GPO_NAMESPACE,
                    format!(
                        "preference:{}:{}\\{}\\{}",
                        model.gpo.guid,
                        op.hive.regedit_name(),
                        op.key,
                        op.value_name
                    )
                    .as_bytes(),
                )),
            })
            .collect();
        Ok(Self {
            model,
            id: backup_id(model),
            time,
            pol: pol_entries(&in_pol)?,
            security: security_template(model),
            preferences,
        })
    }

    pub(crate) fn has_registry_pol(&self) -> bool {
        !self.pol.is_empty()
    }

    pub(crate) fn has_security(&self) -> bool {
        !self.security.is_empty()
    }

    pub(crate) fn has_preferences(&self) -> bool {
        !self.preferences.is_empty()
    }

    pub(crate) fn has_firewall_rules(&self) -> bool {
        !self.model.firewall.is_empty()
    }

    /// Whether the computer half holds any setting.
    pub(crate) fn machine_has_settings(&self) -> bool {
        self.has_registry_pol() || self.has_security() || self.has_preferences()
    }

    /// `[{CSE}{tool}...]...` for `gPCMachineExtensionNames`: one bracket per client-side
    /// extension with settings, ascending by CSE GUID, tools ascending inside.
    pub(crate) fn machine_extension_names(&self) -> String {
        let mut lists: Vec<(&str, Vec<&str>)> = Vec::new();
        if self.has_registry_pol() {
            let mut tools = vec![guid::TOOL_ADMIN_TEMPLATES];
            if self.has_firewall_rules() {
                tools.push(guid::TOOL_FIREWALL);
                tools.push(guid::TOOL_ADMIN_TEMPLATES_LEGACY);
            }
            lists.push((guid::CSE_REGISTRY, tools));
        }
        if self.has_security() {
            lists.push((guid::CSE_SECURITY, vec![guid::TOOL_SECURITY]));
        }
        if self.has_preferences() {
            lists.push((
                guid::CSE_PREFERENCES_CORE,
                vec![guid::TOOL_PREFERENCES_REGISTRY],
            ));
            lists.push((
                guid::CSE_PREFERENCES_REGISTRY,
                vec![guid::TOOL_PREFERENCES_REGISTRY],
            ));
        }
        lists.sort_by(|a, b| a.0.cmp(b.0));
        lists
            .into_iter()
            .map(|(cse, mut tools)| {
                tools.sort_unstable();
                format!("[{cse}{}]", tools.concat())
            })
            .collect()
    }

    /// `MachineVersionNumber`: directory version in the high word, SYSVOL version in the low
    /// word, both 1 when the half has settings (as `(n << 16) | n` in Microsoft's backups).
    pub(crate) fn machine_version(&self) -> u32 {
        if self.machine_has_settings() {
            (1 << 16) | 1
        } else {
            0
        }
    }

    /// Files below `DomainSysvol\GPO\Machine`, with `\` separators, in GPMC's listing order.
    fn machine_files(&self) -> Result<Vec<(&'static str, Vec<u8>)>, EmitError> {
        let mut files = Vec::new();
        if self.has_registry_pol() {
            files.push((REGISTRY_POL, registry_pol::write(&self.pol)?));
        }
        if self.has_security() {
            let bytes = security_template::write(&self.security).map_err(|e| bug(e.to_string()))?;
            files.push((SECURITY_TEMPLATE, bytes));
        }
        if self.has_preferences() {
            let text = preferences::registry_xml(self)?;
            files.push((PREFERENCES_REGISTRY, text.into_bytes()));
        }
        Ok(files)
    }

    /// The source path of a GPO file on the domain's SYSVOL (`bkp:SourceExpandedPath`), when
    /// the domain is known.
    pub(crate) fn source_path(&self, below_gpo: &str) -> Option<String> {
        self.model.gpo.domain.as_ref().map(|d| {
            format!(
                "\\\\{d}\\sysvol\\{d}\\Policies\\{}\\{below_gpo}",
                self.model.gpo.guid
            )
        })
    }

    fn artifacts(&self) -> Result<Vec<Artifact>, EmitError> {
        let base = format!("gpo/{}", self.id);
        let mut out = vec![Artifact {
            path: "gpo/manifest.xml".into(),
            bytes: backup_xml::manifest(self).map_err(xml_error)?.into_bytes(),
        }];
        out.push(Artifact {
            path: format!("{base}/Backup.xml"),
            bytes: backup_xml::backup(self).map_err(xml_error)?.into_bytes(),
        });
        out.push(Artifact {
            path: format!("{base}/bkupInfo.xml"),
            bytes: backup_xml::bkup_info(self).map_err(xml_error)?.into_bytes(),
        });
        out.push(Artifact {
            path: format!("{base}/gpreport.xml"),
            bytes: crate::formats::xml::utf16le_with_bom(
                &report::gpreport(self).map_err(xml_error)?,
            ),
        });
        for (path, bytes) in self.machine_files()? {
            out.push(Artifact {
                path: format!(
                    "{base}/DomainSysvol/GPO/Machine/{}",
                    path.replace('\\', "/")
                ),
                bytes,
            });
        }
        Ok(out)
    }
}

/// The backup instance id: UUIDv5 of `backup:<GPO GUID>:<policy hash>` in rdpgen's GPO
/// namespace (policy names cannot contain `:`, so it never equals a GPO GUID).
fn backup_id(model: &Model) -> String {
    upper_guid(uuid::Uuid::new_v5(
        &GPO_NAMESPACE,
        format!("backup:{}:{}", model.gpo.guid, model.policy_hash).as_bytes(),
    ))
}

fn emit_at(model: &Model, time: Timestamp) -> Result<Vec<Artifact>, EmitError> {
    Backup::new(model, time)?.artifacts()
}

/// Emits the backup; the only input besides the model is the backup time.
pub fn emit(model: &Model, options: &Options) -> Result<Vec<Artifact>, EmitError> {
    emit_at(model, Timestamp(options.source_date_epoch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_utc() {
        let t = |s| Timestamp(s).iso();
        assert_eq!(t(0), "1970-01-01T00:00:00");
        assert_eq!(t(super::super::DEFAULT_EPOCH), "2000-01-01T00:00:00");
        assert_eq!(t(951_868_800), "2000-03-01T00:00:00");
        assert_eq!(t(1_700_000_000), "2023-11-14T22:13:20");
        assert_eq!(t(253_402_300_799), "9999-12-31T23:59:59");
        assert_eq!(Timestamp(1_709_164_800).iso(), "2024-02-29T00:00:00");
        assert_eq!(Timestamp(0).preferences(), "1970-01-01 00:00:00");
    }
}
