//! `gpreport.xml`: the settings report GPMC's backup browser shows ("View Settings"), in the
//! shape of the reports in Microsoft's baseline backups (UTF-16LE with byte-order mark, CRLF,
//! two-space indentation, namespace `http://www.microsoft.com/GroupPolicy/Settings`).
//! Importers do not read it.
//!
//! It lists what the backup holds, from the same data as the files: user rights (Security),
//! the inbound rules parsed back from registry.pol (Windows Firewall; element names are the
//! rule-string field names, an inference: no Microsoft report with rules was available), the
//! Administrative Templates policies (Microsoft's by their display name and state, rdpgen's
//! own with category, support, explain text and value), and the preference items.

use super::Backup;
use crate::catalog::custom_admx::{self, CustomState, CustomValue};
use crate::catalog::{self, State, keys};
use crate::formats::firewall_rule::RuleString;
use crate::formats::xml::{XmlError, XmlWriter};
use crate::model::{FIREWALL_POLICY_VERSION, RegistryAction, Scope};

const SETTINGS: &str = "http://www.microsoft.com/GroupPolicy/Settings";
const TYPES: &str = "http://www.microsoft.com/GroupPolicy/Types";

fn nl(w: &mut XmlWriter, depth: usize) {
    const INDENT: [&str; 8] = [
        "\r\n",
        "\r\n  ",
        "\r\n    ",
        "\r\n      ",
        "\r\n        ",
        "\r\n          ",
        "\r\n            ",
        "\r\n              ",
    ];
    w.raw(INDENT[depth.min(INDENT.len() - 1)]);
}

fn element(w: &mut XmlWriter, depth: usize, name: &'static str, text: &str) {
    nl(w, depth);
    w.text_element(name, &[], text);
}

/// `<ExtensionData><Extension xmlns:qN=... xsi:type="qN:Type">` ... then [`close_extension`].
fn open_extension(w: &mut XmlWriter, prefix: &'static str, namespace: &str, kind: &str) {
    nl(w, 2);
    w.open("ExtensionData", &[]);
    nl(w, 3);
    w.open("Extension", &[(prefix, namespace), ("xsi:type", kind)]);
}

fn close_extension(w: &mut XmlWriter, name: &str) {
    nl(w, 3);
    w.close("Extension");
    element(w, 3, "Name", name);
    nl(w, 2);
    w.close("ExtensionData");
}

fn security(w: &mut XmlWriter, backup: &Backup<'_>) {
    if !backup.has_security() {
        return;
    }
    open_extension(
        w,
        "xmlns:q1",
        "http://www.microsoft.com/GroupPolicy/Settings/Security",
        "q1:SecuritySettings",
    );
    // The account lockout as GPMC reports it: `q1:Account` elements sorted by name.
    let mut accounts: Vec<(&str, i64)> = backup
        .security
        .system_access
        .iter()
        .map(|(n, v)| (n.as_str(), *v))
        .collect();
    accounts.sort_unstable();
    for (name, value) in accounts {
        nl(w, 4);
        w.open("q1:Account", &[]);
        element(w, 5, "q1:Name", name);
        if name == keys::LOCKOUT_ADMINISTRATOR {
            element(
                w,
                5,
                "q1:SettingBoolean",
                if value == 1 { "true" } else { "false" },
            );
        } else {
            element(w, 5, "q1:SettingNumber", &value.to_string());
        }
        element(w, 5, "q1:Type", "Account Lockout");
        nl(w, 4);
        w.close("q1:Account");
    }
    let mut rights: Vec<_> = backup.model.logon_rights.iter().collect();
    rights.sort_by_key(|r| r.right.as_str());
    for right in rights {
        nl(w, 4);
        w.open("q1:UserRightsAssignment", &[]);
        element(w, 5, "q1:Name", right.right.as_str());
        for account in &right.accounts {
            nl(w, 5);
            w.open("q1:Member", &[]);
            if let Some(sid) = &account.sid {
                nl(w, 6);
                w.text_element("SID", &[("xmlns", TYPES)], sid);
            }
            nl(w, 6);
            w.text_element("Name", &[("xmlns", TYPES)], &account.name);
            nl(w, 5);
            w.close("q1:Member");
        }
        nl(w, 4);
        w.close("q1:UserRightsAssignment");
    }
    close_extension(w, "Security");
}

fn firewall(w: &mut XmlWriter, backup: &Backup<'_>) {
    let model = backup.model;
    if model.firewall.is_empty() {
        return;
    }
    // In model order, as Registry.pol holds them.
    let rules: Vec<RuleString> = model.firewall.iter().map(|r| r.to_rule_string()).collect();
    open_extension(
        w,
        "xmlns:q2",
        "http://www.microsoft.com/GroupPolicy/Settings/WindowsFirewall",
        "q2:WindowsFirewallSettings",
    );
    // As GPMC reports Microsoft's baselines: GlobalSettings first.
    nl(w, 4);
    w.open("q2:GlobalSettings", &[]);
    nl(w, 5);
    w.open("q2:PolicyVersion", &[]);
    element(w, 6, "q2:Value", &FIREWALL_POLICY_VERSION.to_string());
    nl(w, 5);
    w.close("q2:PolicyVersion");
    nl(w, 4);
    w.close("q2:GlobalSettings");
    for rule in rules {
        nl(w, 4);
        w.open("q2:InboundFirewallRules", &[]);
        element(w, 5, "q2:Version", &rule.version);
        let fields: Vec<(&'static str, String)> = [
            ("q2:Action", rule.action.clone()),
            ("q2:Active", rule.active.map(|a| a.to_string())),
            ("q2:Dir", rule.dir.clone()),
            ("q2:Protocol", rule.protocol.map(|p| p.to_string())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .chain(rule.profiles.iter().map(|p| ("q2:Profile", p.clone())))
        .chain(rule.local_ports.iter().map(|p| ("q2:LPort", p.clone())))
        .chain(rule.remote_v4.iter().map(|a| ("q2:RA4", a.clone())))
        .chain(rule.remote_v6.iter().map(|a| ("q2:RA6", a.clone())))
        .chain(
            [
                ("q2:App", rule.app.clone()),
                ("q2:Svc", rule.svc.clone()),
                ("q2:Name", rule.name.clone()),
                ("q2:Desc", rule.desc.clone()),
                ("q2:EmbedCtxt", rule.embed_ctxt.clone()),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v))),
        )
        .collect();
        for (name, value) in fields {
            element(w, 5, name, &value);
        }
        nl(w, 4);
        w.close("q2:InboundFirewallRules");
    }
    close_extension(w, "Windows Firewall");
}

fn state_name(state: State) -> &'static str {
    match state {
        State::Enabled => "Enabled",
        State::Disabled => "Disabled",
    }
}

fn category_path(name: &str) -> String {
    let mut parts = Vec::new();
    let mut current = custom_admx::CATEGORIES.iter().find(|c| c.name == name);
    while let Some(c) = current {
        parts.push(c.display_name);
        current = c
            .parent
            .and_then(|p| custom_admx::CATEGORIES.iter().find(|x| x.name == p));
    }
    parts.reverse();
    parts.join("/")
}

fn registry(w: &mut XmlWriter, backup: &Backup<'_>) {
    let model = backup.model;
    // Microsoft's policies, once each, in model order.
    let mut microsoft: Vec<(&str, State)> = Vec::new();
    for op in &model.registry {
        if let (Some((_, id)), Some(state)) = (op.provenance.admx, op.provenance.state)
            && !microsoft.iter().any(|(seen, _)| *seen == id)
        {
            microsoft.push((id, state));
        }
    }
    // rdpgen's template policies, in template order, with their state.
    let mut custom = Vec::new();
    for policy in custom_admx::policies() {
        let values: Vec<(&str, &crate::formats::RegistryValue)> = model
            .registry
            .iter()
            .filter(|op| {
                op.scope == Scope::Local
                    && op.key.eq_ignore_ascii_case(&policy.key)
                    && policy
                        .value_names()
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(&op.value_name))
            })
            .filter_map(|op| match &op.action {
                RegistryAction::Set(v) => Some((op.value_name.as_str(), v)),
                RegistryAction::Delete => None,
            })
            .filter(|(_, v)| !matches!(v, crate::formats::RegistryValue::Binary(_)))
            .collect();
        if let Some(state) = policy.state_of(&values) {
            custom.push((policy, state));
        }
    }
    if microsoft.is_empty() && custom.is_empty() {
        return;
    }
    open_extension(
        w,
        "xmlns:q3",
        "http://www.microsoft.com/GroupPolicy/Settings/Registry",
        "q3:RegistrySettings",
    );
    for (id, state) in microsoft {
        let title = catalog::SETTINGS
            .iter()
            .find(|s| s.policy.is_some_and(|p| p.id == id))
            .map_or(id, |s| s.title);
        nl(w, 4);
        w.open("q3:Policy", &[]);
        element(w, 5, "q3:Name", title);
        element(w, 5, "q3:State", state_name(state));
        nl(w, 4);
        w.close("q3:Policy");
    }
    for (policy, state) in custom {
        nl(w, 4);
        w.open("q3:Policy", &[]);
        element(w, 5, "q3:Name", &policy.display_name);
        let (state_text, number) = match state {
            CustomState::Enabled(n) => ("Enabled", n),
            CustomState::Disabled => ("Disabled", None),
        };
        element(w, 5, "q3:State", state_text);
        element(w, 5, "q3:Explain", &policy.explain);
        let supported = custom_admx::SUPPORTED_ON
            .iter()
            .find(|s| s.name == policy.supported_on)
            .map_or("", |s| s.display_name);
        element(w, 5, "q3:Supported", supported);
        element(w, 5, "q3:Category", &category_path(policy.category));
        if let (Some(n), CustomValue::Decimal { label, .. }) = (number, &policy.value) {
            nl(w, 5);
            w.open("q3:Numeric", &[]);
            element(w, 6, "q3:Name", label);
            element(w, 6, "q3:State", "Enabled");
            element(w, 6, "q3:Value", &n.to_string());
            nl(w, 5);
            w.close("q3:Numeric");
        }
        nl(w, 4);
        w.close("q3:Policy");
    }
    element(w, 4, "q3:Blocked", "false");
    close_extension(w, "Registry");
}

fn preferences(w: &mut XmlWriter, backup: &Backup<'_>) {
    if !backup.has_preferences() {
        return;
    }
    open_extension(
        w,
        "xmlns:q4",
        "http://www.microsoft.com/GroupPolicy/Settings/Registry",
        "q4:RegistrySettings",
    );
    nl(w, 4);
    w.open(
        "q4:RegistrySettings",
        &[("clsid", "{A3CCFC41-DFDB-43a5-8D26-0FE8B954DA51}")],
    );
    let changed = backup.time.preferences();
    for (order, item) in backup.preferences.iter().enumerate() {
        nl(w, 5);
        w.open(
            "q4:Registry",
            &[
                ("clsid", "{9CD4B2F4-923D-47f5-A062-E897DD1DAD50}"),
                ("name", &item.value_name),
                ("status", &item.value_name),
                ("changed", &changed),
                ("uid", &item.uid),
            ],
        );
        element(w, 6, "q4:GPOSettingOrder", &(order + 1).to_string());
        nl(w, 6);
        w.empty(
            "q4:Properties",
            &[
                ("action", if item.value.is_some() { "U" } else { "D" }),
                ("hive", item.hive.regedit_name()),
                ("key", &item.key),
                ("name", &item.value_name),
            ],
        );
        nl(w, 6);
        w.empty("q4:Filters", &[]);
        nl(w, 5);
        w.close("q4:Registry");
    }
    nl(w, 4);
    w.close("q4:RegistrySettings");
    close_extension(w, "Registry");
}

/// The report as text; the caller encodes it as UTF-16LE with a byte-order mark.
pub(super) fn gpreport(backup: &Backup<'_>) -> Result<String, XmlError> {
    let gpo = &backup.model.gpo;
    let time = backup.time.iso();
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n");
    w.open(
        "GPO",
        &[
            ("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xmlns", SETTINGS),
        ],
    );
    nl(&mut w, 1);
    w.open("Identifier", &[]);
    nl(&mut w, 2);
    w.text_element("Identifier", &[("xmlns", TYPES)], &gpo.guid);
    if let Some(d) = &gpo.domain {
        nl(&mut w, 2);
        w.text_element("Domain", &[("xmlns", TYPES)], d);
    }
    nl(&mut w, 1);
    w.close("Identifier");
    element(&mut w, 1, "Name", &gpo.display_name);
    element(&mut w, 1, "IncludeComments", "false");
    element(&mut w, 1, "CreatedTime", &time);
    element(&mut w, 1, "ModifiedTime", &time);
    element(&mut w, 1, "ReadTime", &format!("{time}.0000000Z"));
    element(&mut w, 1, "FilterDataAvailable", "true");
    nl(&mut w, 1);
    w.open("Computer", &[]);
    let version = if backup.machine_has_settings() {
        "1"
    } else {
        "0"
    };
    element(&mut w, 2, "VersionDirectory", version);
    element(&mut w, 2, "VersionSysvol", version);
    element(&mut w, 2, "Enabled", "true");
    security(&mut w, backup);
    firewall(&mut w, backup);
    registry(&mut w, backup);
    preferences(&mut w, backup);
    nl(&mut w, 1);
    w.close("Computer");
    nl(&mut w, 1);
    w.open("User", &[]);
    element(&mut w, 2, "VersionDirectory", "0");
    element(&mut w, 2, "VersionSysvol", "0");
    element(&mut w, 2, "Enabled", "false");
    nl(&mut w, 1);
    w.close("User");
    nl(&mut w, 0);
    w.close("GPO");
    w.finish()
}
