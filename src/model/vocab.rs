//! The vocabulary the model owns and the policy language spells: firewall profiles and TLS
//! versions. The surface (`crate::policy::types`) re-exports them and adds how YAML writes
//! them; everything below lowering names them from here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// A Windows Firewall profile (no doc comment: it would become a schema description).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallProfile {
    Domain,
    Private,
    Public,
}

impl FirewallProfile {
    pub const ALL: [FirewallProfile; 3] = [Self::Domain, Self::Private, Self::Public];

    /// The name Windows Firewall uses (`Profile=Domain` in a rule string).
    #[must_use]
    pub fn windows_name(self) -> &'static str {
        match self {
            Self::Domain => "Domain",
            Self::Private => "Private",
            Self::Public => "Public",
        }
    }
}

/// A TLS version. Written `1.2` or `"1.2"`: an unquoted version is a number to YAML 1.2 tools
/// (yaml-language-server shows `minVersion: 1.2` to the schema as the number 1.2), so the
/// schema and `validate` both accept the strings `"1.0"`..`"1.3"` and the numbers equal to
/// 1.0, 1.1, 1.2 and 1.3 (so `1`, `1.20` and `1.00` too: YAML cannot tell them from `1.0`
/// and `1.2` once read as numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum TlsVersion {
    #[serde(rename = "1.0")]
    Tls10,
    #[serde(rename = "1.1")]
    Tls11,
    #[serde(rename = "1.2")]
    Tls12,
    #[serde(rename = "1.3")]
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 4] = [Self::Tls10, Self::Tls11, Self::Tls12, Self::Tls13];

    /// `1.2` and so on, as written in policies.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls10 => "1.0",
            Self::Tls11 => "1.1",
            Self::Tls12 => "1.2",
            Self::Tls13 => "1.3",
        }
    }
}
