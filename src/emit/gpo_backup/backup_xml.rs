//! `Backup.xml`, `bkupInfo.xml` and `manifest.xml`, in the layout of Microsoft's own backups
//! (`../shared/reference/baseline-gpos`): UTF-8 without byte-order mark, values in CDATA,
//! element order fixed, GUIDs upper case with braces. rdpgen writes CRLF where GPMC's files
//! break lines (the copies examined passed through git, which hides the original line ends).
//!
//! Compared field by field with Microsoft's backups (a test does): what rdpgen can derive is
//! filled, the rest is left empty, as hand-made backups that `Import-GPO` accepts do.
//!
//! - `SecurityDescriptor`: the default GPO DACL in GPMC's hex form, restricted to its
//!   well-known principals (Authenticated Users read and Apply Group Policy, Enterprise Domain
//!   Controllers read, SYSTEM full control, CREATOR OWNER full control inherited). The ACEs
//!   for Domain Admins and Enterprise Admins need the domain SID, which rdpgen does not know.
//!   `Import-GPO` does not copy a backup's security to the target GPO, which keeps its own.
//! - `GPODomainGuid`, `GPODomainController`: the source domain's GUID and the DC GPMC talked
//!   to; unknowable, empty. `Restore-GPO` needs them and is not supported.
//! - `bkp:SourceExpandedPath`: where GPMC read each file; written with `gpo.domain` (as
//!   `\\<domain>\sysvol\<domain>\Policies\{GUID}\...`), omitted without it. Import reads each
//!   file from its `bkp:Location` in the backup.

use super::{Backup, PREFERENCES_REGISTRY, REGISTRY_POL, SECURITY_TEMPLATE, guid};
use crate::formats::registry_pol::compare_keys;
use crate::formats::xml::{XmlError, XmlWriter};

const OPERATIONS: &str = "http://www.microsoft.com/GroupPolicy/GPOOperations";
const MANIFEST: &str = "http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest";

/// A SID in binary form: revision 1, the identifier authority, the sub-authorities.
fn sid(authority: u8, sub_authorities: &[u32]) -> Vec<u8> {
    let mut out = vec![1, u8::try_from(sub_authorities.len()).unwrap_or(0)];
    out.extend_from_slice(&[0, 0, 0, 0, 0, authority]);
    for s in sub_authorities {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn ace(kind: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    let size = u16::try_from(4 + body.len()).unwrap_or(0);
    let mut out = vec![kind, flags];
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The self-relative security descriptor of a new GPO's container as GPMC backs it up, with
/// only the ACEs whose principals are well known (see the module documentation).
pub(crate) fn security_descriptor() -> Vec<u8> {
    const CONTAINER_INHERIT: u8 = 0x02;
    const INHERIT_ONLY: u8 = 0x08;
    const READ: u32 = 0x0002_0094;
    const FULL: u32 = 0x000F_00FF;
    const CONTROL_ACCESS: u32 = 0x0000_0100;
    // edacfd8f-ffb3-11d1-b41d-00a0c968f939, the Apply Group Policy extended right, as a GUID
    // structure (first three fields little-endian).
    const APPLY_GROUP_POLICY: [u8; 16] = [
        0x8f, 0xfd, 0xac, 0xed, 0xb3, 0xff, 0xd1, 0x11, 0xb4, 0x1d, 0x00, 0xa0, 0xc9, 0x68, 0xf9,
        0x39,
    ];
    let authenticated_users = sid(5, &[11]);
    let enterprise_dcs = sid(5, &[9]);
    let system = sid(5, &[18]);
    let creator_owner = sid(3, &[0]);
    let allowed = |mask: u32, who: &[u8]| {
        let mut body = mask.to_le_bytes().to_vec();
        body.extend_from_slice(who);
        body
    };
    let mut apply = CONTROL_ACCESS.to_le_bytes().to_vec();
    apply.extend_from_slice(&1u32.to_le_bytes()); // ACE_OBJECT_TYPE_PRESENT
    apply.extend_from_slice(&APPLY_GROUP_POLICY);
    apply.extend_from_slice(&authenticated_users);
    let aces = [
        ace(0x05, CONTAINER_INHERIT, &apply),
        ace(0x00, CONTAINER_INHERIT, &allowed(READ, &enterprise_dcs)),
        ace(
            0x00,
            CONTAINER_INHERIT,
            &allowed(READ, &authenticated_users),
        ),
        ace(0x00, CONTAINER_INHERIT, &allowed(FULL, &system)),
        ace(
            0x00,
            CONTAINER_INHERIT | INHERIT_ONLY,
            &allowed(FULL, &creator_owner),
        ),
    ];
    let acl_size = 8 + aces.iter().map(Vec::len).sum::<usize>();
    let mut acl = vec![4, 0];
    acl.extend_from_slice(&u16::try_from(acl_size).unwrap_or(0).to_le_bytes());
    acl.extend_from_slice(&u16::try_from(aces.len()).unwrap_or(0).to_le_bytes());
    acl.extend_from_slice(&[0, 0]);
    for a in &aces {
        acl.extend_from_slice(a);
    }
    // Revision 1; control: self-relative, DACL protected, auto-inherited, present (0x9c04, as
    // GPMC writes it); no owner, group or SACL; the DACL right after the 20-byte header.
    let mut out = vec![1, 0, 0x04, 0x9c];
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&20u32.to_le_bytes());
    out.extend_from_slice(&acl);
    out
}

/// [`security_descriptor`] as GPMC writes it: lower-case hex bytes separated by spaces.
fn security_descriptor_hex() -> String {
    security_descriptor()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The children of `<BackupInst>`, shared by bkupInfo.xml and manifest.xml.
fn backup_inst(w: &mut XmlWriter, backup: &Backup<'_>) {
    let gpo = &backup.model.gpo;
    w.cdata_element("GPOGuid", &gpo.guid);
    match &gpo.domain {
        Some(d) => w.cdata_element("GPODomain", d),
        None => w.empty("GPODomain", &[]),
    };
    w.empty("GPODomainGuid", &[]);
    w.empty("GPODomainController", &[]);
    w.cdata_element("BackupTime", &backup.time.iso());
    w.cdata_element("ID", &backup.id);
    w.cdata_element(
        "Comment",
        backup.model.description.as_deref().unwrap_or_default(),
    );
    w.cdata_element("GPODisplayName", &gpo.display_name);
}

/// `bkupInfo.xml`: one line and a line break.
pub(super) fn bkup_info(backup: &Backup<'_>) -> Result<String, XmlError> {
    let mut w = XmlWriter::new();
    w.open("BackupInst", &[("xmlns", MANIFEST)]);
    backup_inst(&mut w, backup);
    w.close("BackupInst");
    w.raw("\r\n");
    w.finish()
}

/// `manifest.xml` of the backup folder: one line, no line break.
pub(super) fn manifest(backup: &Backup<'_>) -> Result<String, XmlError> {
    let mut w = XmlWriter::new();
    w.open(
        "Backups",
        &[
            ("xmlns", MANIFEST),
            ("xmlns:mfst", MANIFEST),
            ("mfst:version", "1.0"),
        ],
    );
    w.open("BackupInst", &[]);
    backup_inst(&mut w, backup);
    w.close("BackupInst");
    w.close("Backups");
    w.finish()
}

/// One `<FSObjectFile>`/`<FSObjectDir>` for a path below the GPO's `Machine` folder.
fn fs_object(
    w: &mut XmlWriter,
    backup: &Backup<'_>,
    element: &'static str,
    below: &str,
    extra: &[(&'static str, &str)],
) {
    let path = format!("%GPO_MACH_FSPATH%\\{below}");
    let source = backup.source_path(&format!("Machine\\{below}"));
    let location = format!("DomainSysvol\\GPO\\Machine\\{below}");
    let mut attributes: Vec<(&'static str, &str)> = vec![("bkp:Path", &path)];
    if let Some(s) = &source {
        attributes.push(("bkp:SourceExpandedPath", s));
    }
    attributes.extend_from_slice(extra);
    attributes.push(("bkp:Location", &location));
    w.empty(element, &attributes);
}

/// Folders below `Machine` and the files no extension claims, in GPMC's order (depth first,
/// names compared case-insensitively).
fn unknown_extension_objects(backup: &Backup<'_>) -> Vec<(bool, String)> {
    let mut files: Vec<&str> = Vec::new();
    if backup.has_registry_pol() {
        files.push(REGISTRY_POL);
    }
    if backup.has_security() {
        files.push(SECURITY_TEMPLATE);
    }
    if backup.has_preferences() {
        files.push(PREFERENCES_REGISTRY);
    }
    let mut objects: Vec<(bool, String)> = Vec::new();
    for file in &files {
        let parts: Vec<&str> = file.split('\\').collect();
        for depth in 1..parts.len() {
            let dir = parts[..depth].join("\\");
            if !objects.iter().any(|(_, p)| *p == dir) {
                objects.push((true, dir));
            }
        }
    }
    if backup.has_preferences() {
        objects.push((false, PREFERENCES_REGISTRY.to_string()));
    }
    objects.sort_by(|a, b| compare_keys(&a.1, &b.1));
    objects
}

/// `Backup.xml`.
pub(super) fn backup(backup: &Backup<'_>) -> Result<String, XmlError> {
    let gpo = &backup.model.gpo;
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    w.comment(&format!(
        " Generated by rdpgen from a policy with sha256 {} ",
        backup.model.policy_hash
    ));
    w.open(
        "GroupPolicyBackupScheme",
        &[
            ("bkp:version", "2.0"),
            ("bkp:type", "GroupPolicyBackupTemplate"),
            ("xmlns:bkp", OPERATIONS),
            ("xmlns", OPERATIONS),
        ],
    );
    w.raw("\r\n    ");
    w.open("GroupPolicyObject", &[]);
    security_groups(&mut w, backup);
    w.empty("FilePaths", &[]);
    w.open("GroupPolicyCoreSettings", &[]);
    w.cdata_element("ID", &gpo.guid);
    match &gpo.domain {
        Some(d) => w.cdata_element("Domain", d),
        None => w.empty("Domain", &[]),
    };
    w.text_element("SecurityDescriptor", &[], &security_descriptor_hex());
    w.cdata_element("DisplayName", &gpo.display_name);
    // 1: the User Configuration half is disabled (rdpgen writes computer settings only).
    w.cdata_element("Options", "1");
    w.cdata_element("UserVersionNumber", "0");
    w.cdata_element(
        "MachineVersionNumber",
        &backup.machine_version().to_string(),
    );
    let names = backup.machine_extension_names();
    if names.is_empty() {
        w.empty("MachineExtensionGuids", &[]);
    } else {
        w.cdata_element("MachineExtensionGuids", &names);
    }
    w.empty("UserExtensionGuids", &[]);
    w.empty("WMIFilter", &[]);
    w.close("GroupPolicyCoreSettings");
    w.raw(" ");

    // Registry: always present (GPMC lists the ADM folder even for an empty half).
    w.raw("\r\n        ");
    w.open(
        "GroupPolicyExtension",
        &[("bkp:ID", guid::CSE_REGISTRY), ("bkp:DescName", "Registry")],
    );
    if backup.has_registry_pol() {
        w.raw("\r\n            ");
        fs_object(&mut w, backup, "FSObjectFile", REGISTRY_POL, &[]);
    }
    w.raw("\r\n            ");
    let adm_source = backup.source_path("Adm\\*.*");
    let mut adm: Vec<(&'static str, &str)> = vec![("bkp:Path", "%GPO_FSPATH%\\Adm\\*.*")];
    if let Some(s) = &adm_source {
        adm.push(("bkp:SourceExpandedPath", s));
    }
    w.empty("FSObjectFile", &adm);
    w.raw("\r\n        ");
    w.close("GroupPolicyExtension");

    if backup.has_security() {
        w.raw("\r\n        ");
        w.open(
            "GroupPolicyExtension",
            &[("bkp:ID", guid::CSE_SECURITY), ("bkp:DescName", "Security")],
        );
        w.raw("\r\n            ");
        fs_object(
            &mut w,
            backup,
            "FSObjectFile",
            SECURITY_TEMPLATE,
            &[("bkp:ReEvaluateFunction", "SecurityValidateSettings")],
        );
        w.raw("\r\n        ");
        w.close("GroupPolicyExtension");
    }

    w.raw("\r\n    ");
    let unknown = [
        ("bkp:ID", guid::UNKNOWN_EXTENSION),
        ("bkp:DescName", "Unknown Extension"),
    ];
    let objects = unknown_extension_objects(backup);
    if objects.is_empty() {
        w.empty("GroupPolicyExtension", &unknown);
    } else {
        w.open("GroupPolicyExtension", &unknown);
        for (is_dir, path) in &objects {
            let element = if *is_dir {
                "FSObjectDir"
            } else {
                "FSObjectFile"
            };
            fs_object(&mut w, backup, element, path, &[]);
        }
        w.close("GroupPolicyExtension");
    }
    w.close("GroupPolicyObject");
    w.raw("\r\n");
    w.close("GroupPolicyBackupScheme");
    w.finish()
}

/// `<SecurityGroups>`: the principals the security template names, for migration tables
/// (`Import-GPO -MigrationTable`), as GPMC lists them: name and domain when written as
/// `DOMAIN\name`, the SID only when no name is known, type `Unknown`.
fn security_groups(w: &mut XmlWriter, backup: &Backup<'_>) {
    let mut seen: Vec<&str> = Vec::new();
    let accounts: Vec<_> = backup
        .model
        .logon_rights
        .iter()
        .flat_map(|r| &r.accounts)
        .filter(|a| {
            let new = !seen.iter().any(|s| s.eq_ignore_ascii_case(&a.name));
            if new {
                seen.push(&a.name);
            }
            new
        })
        .collect();
    if accounts.is_empty() {
        w.empty("SecurityGroups", &[]);
        return;
    }
    w.open("SecurityGroups", &[]);
    for account in accounts {
        let bare = account.name.strip_prefix('*').unwrap_or(&account.name);
        let is_sid = bare.starts_with("S-1-");
        let known = account
            .sid
            .as_deref()
            .and_then(crate::catalog::accounts::name_of);
        let (domain, name) = match (is_sid, known) {
            (true, Some(name)) => (None, Some(name)),
            (true, None) => (None, None),
            (false, _) => match bare.split_once('\\') {
                Some((d, n)) => (Some(d), Some(n)),
                None => (None, Some(bare)),
            },
        };
        w.open("Group", &[]);
        match (name, &account.sid) {
            (None, Some(sid)) => w.cdata_element("Sid", sid),
            _ => w.empty("Sid", &[]),
        };
        match name {
            Some(n) => w.cdata_element("SamAccountName", n),
            None => w.empty("SamAccountName", &[]),
        };
        w.cdata_element("Type", "Unknown");
        match domain {
            Some(d) => w.cdata_element("NetBIOSDomainName", d),
            None => w.empty("NetBIOSDomainName", &[]),
        };
        w.empty("DnsDomainName", &[]);
        w.empty("UPN", &[]);
        w.close("Group");
    }
    w.close("SecurityGroups");
}
