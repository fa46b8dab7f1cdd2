//! Firewall remote addresses as the policy language writes them (`10.0.0.0/8`, `192.168.1.5`,
//! `2001:db8::/32`, `any`, `local-subnet`), parsed and normalised once for every phase.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FirewallAddress {
    /// Every address.
    Any,
    /// The subnets of the host's own interfaces (the firewall's `LocalSubnet` keyword).
    LocalSubnet,
    /// An IPv4 subnet; a single address has prefix 32. Host bits are always zero.
    V4 { network: Ipv4Addr, prefix: u8 },
    /// An IPv6 subnet; a single address has prefix 128. Host bits are always zero.
    V6 { network: Ipv6Addr, prefix: u8 },
}

/// A parsed address, and whether the text had host bits set beyond its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub address: FirewallAddress,
    pub had_host_bits: bool,
}

impl FirewallAddress {
    /// Parses one entry of `firewall.allowFrom`.
    ///
    /// # Errors
    /// A message saying why the text is not an address, subnet or keyword.
    pub fn parse(text: &str) -> Result<Parsed, String> {
        let t = text.trim();
        match t.to_ascii_lowercase().as_str() {
            "any" | "*" => {
                return Ok(Parsed {
                    address: Self::Any,
                    had_host_bits: false,
                });
            }
            "local-subnet" | "localsubnet" => {
                return Ok(Parsed {
                    address: Self::LocalSubnet,
                    had_host_bits: false,
                });
            }
            _ => {}
        }
        let (addr_text, prefix_text) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| format!("`{addr_text}` is not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) => {
                if let Ok(n) = p.parse::<u8>()
                    && n <= max
                    && !p.starts_with('+')
                {
                    n
                } else if let (IpAddr::V4(_), Ok(mask)) = (addr, p.parse::<Ipv4Addr>()) {
                    mask_to_prefix(mask)
                        .ok_or_else(|| format!("`{p}` is not a contiguous subnet mask"))?
                } else {
                    return Err(format!("`/{p}` is not a prefix length from 0 to {max}"));
                }
            }
        };
        Ok(match addr {
            IpAddr::V4(a) => {
                let bits = u32::from(a);
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - prefix)
                };
                Parsed {
                    address: Self::V4 {
                        network: Ipv4Addr::from(bits & mask),
                        prefix,
                    },
                    had_host_bits: bits & !mask != 0,
                }
            }
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                let mask = if prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - prefix)
                };
                Parsed {
                    address: Self::V6 {
                        network: Ipv6Addr::from(bits & mask),
                        prefix,
                    },
                    had_host_bits: bits & !mask != 0,
                }
            }
        })
    }
}

fn mask_to_prefix(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0).then(|| u8::try_from(ones).unwrap_or(32))
}

impl fmt::Display for FirewallAddress {
    /// The normalised policy spelling: a single address without `/32` or `/128`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::LocalSubnet => f.write_str("local-subnet"),
            Self::V4 {
                network,
                prefix: 32,
            } => write!(f, "{network}"),
            Self::V4 { network, prefix } => write!(f, "{network}/{prefix}"),
            Self::V6 {
                network,
                prefix: 128,
            } => write!(f, "{network}"),
            Self::V6 { network, prefix } => write!(f, "{network}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> (String, bool) {
        let p = FirewallAddress::parse(s).unwrap();
        (p.address.to_string(), p.had_host_bits)
    }

    #[test]
    fn normalises_cidr_mask_and_host_bits() {
        assert_eq!(norm("10.0.0.0/8"), ("10.0.0.0/8".into(), false));
        assert_eq!(norm("10.1.2.3/8"), ("10.0.0.0/8".into(), true));
        assert_eq!(
            norm("192.168.10.0/255.255.255.0"),
            ("192.168.10.0/24".into(), false)
        );
        assert_eq!(norm("192.168.10.7/32"), ("192.168.10.7".into(), false));
        assert_eq!(norm("2001:db8::1/32"), ("2001:db8::/32".into(), true));
        assert_eq!(norm("ANY"), ("any".into(), false));
        assert_eq!(norm("local-subnet"), ("local-subnet".into(), false));
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "10.0.0.256",
            "10.0.0.0/33",
            "10.0.0.0/255.0.255.0",
            "corp-net",
            "",
            "::1/129",
            "1.2.3.4/+8",
        ] {
            assert!(FirewallAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
