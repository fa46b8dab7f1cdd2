//! The firewall rule as Group Policy stores it: one rendering of a [`FirewallRule`] in the
//! [MS-GPFAS] grammar, used by the registry back ends (the rule string is the value's data),
//! by the DSC back ends (which read the program and service back from it) and by the audit.

use super::{
    FIREWALL_POLICY_VERSION, FirewallProfile, FirewallRule, Model, Provenance, RegistryAction,
    RegistryOp, Scope,
};
use crate::catalog::{self, Setting, keys};
use crate::firewall_address::FirewallAddress;
use crate::formats::firewall_rule::{RuleString, ra4, ra6};
use crate::formats::{Hive, RegistryValue};

/// A rule whose text the rule-string grammar cannot carry (a `|` or a control character in a
/// name or description). Lowering checks every rule, so a model that was lowered has none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("firewall rule `{id}` cannot be written: {reason}")]
pub struct FirewallRuleError {
    pub id: String,
    pub reason: String,
}

const PROFILES: &Setting = catalog::field("firewall.profiles");
const ALLOW_FROM: &Setting = catalog::field("firewall.allowFrom");

impl Model {
    /// The firewall in Group Policy's registry form, derived from [`Model::firewall`] (the
    /// one place a rule is stored): `PolicyVersion` under the firewall policy key, then one
    /// value per rule under `FirewallRules` (name = rule id, data = its rule string). Empty
    /// when the policy has no firewall rules.
    ///
    /// # Errors
    /// A rule the grammar cannot carry (never for a lowered model).
    pub fn firewall_registry(&self) -> Result<Vec<RegistryOp>, FirewallRuleError> {
        if self.firewall.is_empty() {
            return Ok(Vec::new());
        }
        let op = |key: &str, value_name: &str, value: RegistryValue, setting| RegistryOp {
            hive: Hive::LocalMachine,
            key: key.to_string(),
            value_name: value_name.to_string(),
            action: RegistryAction::Set(value),
            scope: Scope::Policy,
            provenance: Provenance {
                setting,
                admx: None,
                state: None,
            },
            rollback: self
                .host_firewall_values
                .get(&location(key, value_name))
                .cloned(),
        };
        let mut ops = vec![op(
            keys::FWPOL,
            keys::FIREWALL_POLICY_VERSION,
            RegistryValue::Dword(FIREWALL_POLICY_VERSION),
            PROFILES,
        )];
        for rule in &self.firewall {
            let text = rule
                .to_rule_string()
                .write()
                .map_err(|e| FirewallRuleError {
                    id: rule.id.clone(),
                    reason: e.to_string(),
                })?;
            let setting = if rule.remote_addresses.is_empty() {
                PROFILES
            } else {
                ALLOW_FROM
            };
            ops.push(op(
                keys::FWPOL_RULES,
                &rule.id,
                RegistryValue::Sz(text),
                setting,
            ));
        }
        Ok(ops)
    }

    /// Every registry operation, in the order the registry back ends write them: the
    /// settings ([`Model::registry`]), then [`Model::firewall_registry`].
    ///
    /// # Errors
    /// As [`Model::firewall_registry`].
    pub fn registry_ops(&self) -> Result<Vec<RegistryOp>, FirewallRuleError> {
        let mut ops = self.registry.clone();
        ops.extend(self.firewall_registry()?);
        Ok(ops)
    }
}

/// The key of [`Model::host_firewall_values`]: `key\value name`, lower case.
#[must_use]
pub fn location(key: &str, value_name: &str) -> String {
    format!("{key}\\{value_name}").to_ascii_lowercase()
}

impl FirewallRule {
    /// The rule in the [MS-GPFAS] grammar, as Group Policy stores it.
    #[must_use]
    pub fn to_rule_string(&self) -> RuleString {
        let mut rule = RuleString {
            version: "2.10".to_string(),
            action: Some(self.action.as_str().into()),
            active: Some(true),
            dir: Some("In".into()),
            protocol: Some(self.protocol.number()),
            profiles: self
                .profiles
                .iter()
                .map(|p| match p {
                    FirewallProfile::Domain => "Domain".to_string(),
                    FirewallProfile::Private => "Private".to_string(),
                    FirewallProfile::Public => "Public".to_string(),
                })
                .collect(),
            local_ports: vec![self.local_port.to_string()],
            app: self.program.clone(),
            svc: self.service.clone(),
            name: Some(self.display_name.clone()),
            desc: Some(self.description.clone()),
            embed_ctxt: Some(self.group.clone()),
            ..RuleString::default()
        };
        for a in &self.remote_addresses {
            match a {
                FirewallAddress::Any => {}
                FirewallAddress::LocalSubnet => {
                    rule.remote_v4.push("LocalSubnet".into());
                    rule.remote_v6.push("LocalSubnet".into());
                }
                FirewallAddress::V4 { network, prefix } => {
                    rule.remote_v4.push(ra4(*network, *prefix))
                }
                FirewallAddress::V6 { network, prefix } => {
                    rule.remote_v6.push(ra6(*network, *prefix))
                }
                FirewallAddress::V4Range { .. } => rule.remote_v4.push(a.to_string()),
                FirewallAddress::V6Range { .. } => rule.remote_v6.push(a.to_string()),
            }
        }
        rule
    }
}
