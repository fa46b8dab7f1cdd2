//! Firewall rule strings of [MS-GPFAS] 2.2.2.19 (`v2.10|Action=Allow|Dir=In|...|`), the REG_SZ
//! data of each value under the `FirewallRules` keys: written for rdpgen's rules, and parsed
//! (leniently about fields it does not model) for audits.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The fields rdpgen reads and writes; other fields are kept in `other` when parsing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleString {
    /// `2.10` etc.
    pub version: String,
    pub action: Option<String>,
    pub active: Option<bool>,
    pub dir: Option<String>,
    pub protocol: Option<u8>,
    /// Empty means every profile.
    pub profiles: Vec<String>,
    pub local_ports: Vec<String>,
    /// `RA4=` values as written (`10.0.0.0/255.0.0.0`, `LocalSubnet`, a range).
    pub remote_v4: Vec<String>,
    /// `RA6=` values as written.
    pub remote_v6: Vec<String>,
    pub app: Option<String>,
    pub svc: Option<String>,
    pub name: Option<String>,
    pub desc: Option<String>,
    pub embed_ctxt: Option<String>,
    /// Fields rdpgen does not model, in order.
    pub other: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleStringError {
    #[error("a firewall rule string starts with `v<major>.<minor>|`")]
    MissingVersion,
    #[error("field {index} (`{field}`) has no `=`")]
    MissingEquals { index: usize, field: String },
    #[error("`{field}` is not valid: `{value}`")]
    BadValue { field: String, value: String },
    #[error("the value of `{field}` contains `|`, which would end the field")]
    Separator { field: String },
}

impl RuleString {
    /// Parses a rule string. Fields rdpgen does not model are kept in `other`.
    ///
    /// # Errors
    /// A missing version, a field without `=`, or a malformed modelled value.
    pub fn parse(text: &str) -> Result<Self, RuleStringError> {
        let mut fields = text.split('|');
        let version = fields
            .next()
            .and_then(|v| v.strip_prefix('v').or_else(|| v.strip_prefix('V')))
            .filter(|v| {
                v.split_once('.')
                    .is_some_and(|(a, b)| is_digits(a) && is_digits(b))
            })
            .ok_or(RuleStringError::MissingVersion)?;
        let mut rule = RuleString {
            version: version.to_string(),
            ..Self::default()
        };
        for (index, field) in fields.enumerate() {
            if field.is_empty() {
                continue;
            }
            let (key, value) =
                field
                    .split_once('=')
                    .ok_or_else(|| RuleStringError::MissingEquals {
                        index: index + 1,
                        field: field.to_string(),
                    })?;
            let bad = || RuleStringError::BadValue {
                field: key.to_string(),
                value: value.to_string(),
            };
            match key {
                "Action" => rule.action = Some(value.to_string()),
                "Active" => {
                    rule.active = Some(match value.to_ascii_uppercase().as_str() {
                        "TRUE" => true,
                        "FALSE" => false,
                        _ => return Err(bad()),
                    });
                }
                "Dir" => rule.dir = Some(value.to_string()),
                "Protocol" => rule.protocol = Some(value.parse().map_err(|_| bad())?),
                "Profile" => rule.profiles.push(value.to_string()),
                "LPort" => rule.local_ports.push(value.to_string()),
                "RA4" => rule.remote_v4.push(value.to_string()),
                "RA6" => rule.remote_v6.push(value.to_string()),
                "App" => rule.app = Some(value.to_string()),
                "Svc" => rule.svc = Some(value.to_string()),
                "Name" => rule.name = Some(value.to_string()),
                "Desc" => rule.desc = Some(value.to_string()),
                "EmbedCtxt" => rule.embed_ctxt = Some(value.to_string()),
                _ => rule.other.push((key.to_string(), value.to_string())),
            }
        }
        Ok(rule)
    }

    /// Writes the rule in the field order Windows uses.
    ///
    /// # Errors
    /// A value that holds `|` (it would start a new field) or a control character.
    pub fn write(&self) -> Result<String, RuleStringError> {
        let mut out = format!("v{}|", self.version);
        let mut field = |key: &str, value: &str| -> Result<(), RuleStringError> {
            if value.contains('|') || value.chars().any(char::is_control) {
                return Err(RuleStringError::Separator {
                    field: key.to_string(),
                });
            }
            let _ = write!(out, "{key}={value}|");
            Ok(())
        };
        if let Some(v) = &self.action {
            field("Action", v)?;
        }
        if let Some(v) = self.active {
            field("Active", if v { "TRUE" } else { "FALSE" })?;
        }
        if let Some(v) = &self.dir {
            field("Dir", v)?;
        }
        if let Some(v) = self.protocol {
            field("Protocol", &v.to_string())?;
        }
        for p in &self.profiles {
            field("Profile", p)?;
        }
        for p in &self.local_ports {
            field("LPort", p)?;
        }
        for a in &self.remote_v4 {
            field("RA4", a)?;
        }
        for a in &self.remote_v6 {
            field("RA6", a)?;
        }
        if let Some(v) = &self.app {
            field("App", v)?;
        }
        if let Some(v) = &self.svc {
            field("Svc", v)?;
        }
        if let Some(v) = &self.name {
            field("Name", v)?;
        }
        if let Some(v) = &self.desc {
            field("Desc", v)?;
        }
        if let Some(v) = &self.embed_ctxt {
            field("EmbedCtxt", v)?;
        }
        for (k, v) in &self.other {
            field(k, v)?;
        }
        Ok(out)
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// `RA4=` spelling of an IPv4 subnet: a single address bare, a subnet with its dotted mask.
#[must_use]
pub fn ra4(network: Ipv4Addr, prefix: u8) -> String {
    if prefix >= 32 {
        return network.to_string();
    }
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    format!("{network}/{}", Ipv4Addr::from(mask))
}

/// `RA6=` spelling of an IPv6 subnet: a single address bare, a subnet with its prefix length.
#[must_use]
pub fn ra6(network: Ipv6Addr, prefix: u8) -> String {
    if prefix >= 128 {
        network.to_string()
    } else {
        format!("{network}/{prefix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_built_in_rule_and_writes_it_back() {
        let text = r"v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|Desc=@FirewallAPI.dll,-28756|EmbedCtxt=@FirewallAPI.dll,-28752|";
        let rule = RuleString::parse(text).unwrap();
        assert_eq!(rule.version, "2.33");
        assert_eq!(rule.protocol, Some(6));
        assert_eq!(rule.local_ports, ["3389"]);
        assert_eq!(rule.active, Some(true));
        assert_eq!(rule.write().unwrap(), text);
    }

    #[test]
    fn keeps_repeated_and_unknown_fields() {
        let text = "v2.22|Action=Allow|Dir=In|Profile=Domain|Profile=Private|RA4=10.0.0.0/255.0.0.0|RA4=LocalSubnet|Edge=TRUE|";
        let rule = RuleString::parse(text).unwrap();
        assert_eq!(rule.profiles, ["Domain", "Private"]);
        assert_eq!(rule.remote_v4, ["10.0.0.0/255.0.0.0", "LocalSubnet"]);
        assert_eq!(rule.other, [("Edge".to_string(), "TRUE".to_string())]);
    }

    #[test]
    fn rejects_malformed_rules() {
        assert_eq!(
            RuleString::parse("Action=Allow|"),
            Err(RuleStringError::MissingVersion)
        );
        assert!(matches!(
            RuleString::parse("v2.10|Action|"),
            Err(RuleStringError::MissingEquals { .. })
        ));
        assert!(matches!(
            RuleString::parse("v2.10|Protocol=tcp|"),
            Err(RuleStringError::BadValue { .. })
        ));
        let rule = RuleString {
            version: "2.10".into(),
            desc: Some("a|b".into()),
            ..RuleString::default()
        };
        assert!(matches!(
            rule.write(),
            Err(RuleStringError::Separator { .. })
        ));
    }

    #[test]
    fn subnet_spellings() {
        assert_eq!(ra4(Ipv4Addr::new(10, 0, 0, 0), 8), "10.0.0.0/255.0.0.0");
        assert_eq!(
            ra4(Ipv4Addr::new(192, 168, 10, 0), 24),
            "192.168.10.0/255.255.255.0"
        );
        assert_eq!(ra4(Ipv4Addr::new(203, 0, 113, 10), 32), "203.0.113.10");
        assert_eq!(ra6("2001:db8::".parse().unwrap(), 32), "2001:db8::/32");
    }
}
