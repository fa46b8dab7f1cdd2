//! The firewall rule as Group Policy stores it: one rendering of a [`FirewallRule`] in the
//! [MS-GPFAS] grammar, used by the registry back ends (the rule string is the value's data),
//! by the DSC back ends (which read the program and service back from it) and by the audit.

use super::{FirewallAction, FirewallProfile, FirewallRule};
use crate::firewall_address::FirewallAddress;
use crate::formats::firewall_rule::{RuleString, ra4, ra6};

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
            // Allow rules admit only the Remote Desktop service; block rules stop every
            // program on the port, so no other rule can reopen it.
            app: (self.action == FirewallAction::Allow)
                .then(|| r"%SystemRoot%\system32\svchost.exe".into()),
            svc: (self.action == FirewallAction::Allow).then(|| "termservice".into()),
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
