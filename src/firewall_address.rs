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
    /// An inclusive IPv4 range (`first` <= `last`). Not part of the policy language: rdpgen
    /// makes ranges for the complement of `allowFrom` ([`complement`]).
    V4Range { first: Ipv4Addr, last: Ipv4Addr },
    /// An inclusive IPv6 range (`first` <= `last`), as [`FirewallAddress::V4Range`].
    V6Range { first: Ipv6Addr, last: Ipv6Addr },
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
            Self::V4Range { first, last } => write!(f, "{first}-{last}"),
            Self::V6Range { first, last } => write!(f, "{first}-{last}"),
        }
    }
}

fn v4_bounds(network: Ipv4Addr, prefix: u8) -> (u32, u32) {
    let start = u32::from(network);
    let host = if prefix >= 32 { 0 } else { u32::MAX >> prefix };
    (start, start | host)
}

fn v6_bounds(network: Ipv6Addr, prefix: u8) -> (u128, u128) {
    let start = u128::from(network);
    let host = if prefix >= 128 {
        0
    } else {
        u128::MAX >> prefix
    };
    (start, start | host)
}

/// Sorted, merged inclusive intervals.
fn merge<T: Ord + Copy>(mut spans: Vec<(T, T)>, next: impl Fn(T) -> Option<T>) -> Vec<(T, T)> {
    spans.sort();
    let mut out: Vec<(T, T)> = Vec::new();
    for (a, b) in spans {
        if let Some(last) = out.last_mut()
            && (a <= last.1 || next(last.1) == Some(a))
        {
            if b > last.1 {
                last.1 = b;
            }
            continue;
        }
        out.push((a, b));
    }
    out
}

/// The gaps between merged intervals over the whole space `[0, max]`.
fn gaps<T: Ord + Copy>(
    merged: &[(T, T)],
    zero: T,
    max: T,
    next: impl Fn(T) -> Option<T>,
    prev: impl Fn(T) -> Option<T>,
) -> Vec<(T, T)> {
    let mut out = Vec::new();
    let mut cursor = Some(zero);
    for &(a, b) in merged {
        if let Some(c) = cursor
            && c < a
            && let Some(end) = prev(a)
        {
            out.push((c, end));
        }
        cursor = next(b);
    }
    if let Some(c) = cursor
        && c <= max
    {
        out.push((c, max));
    }
    out
}

/// The fewest aligned subnets that cover `[a, b]` exactly, in an address space `width` bits
/// wide, none wider than half the space (a /0 is written as two /1s: every reader of rule
/// strings knows a subnet, not all know a zero-length prefix).
fn cidr_blocks(mut a: u128, b: u128, width: u32) -> Vec<(u128, u8)> {
    let mut out = Vec::new();
    loop {
        let align = if a == 0 {
            width
        } else {
            a.trailing_zeros().min(width)
        };
        let span = b - a;
        let fit = match span.checked_add(1) {
            Some(size) => 127 - size.leading_zeros(),
            None => 128,
        };
        let bits = align.min(fit).min(width - 1);
        out.push((a, u8::try_from(width - bits).unwrap_or(0)));
        let end = a + ((1u128 << bits) - 1);
        if end >= b {
            break;
        }
        a = end + 1;
    }
    out
}

/// The IPv4 and IPv6 addresses that `addresses` does not cover, as the fewest subnets (a
/// single address as a /32 or /128), IPv4 first, each family in address order. `None` when the complement cannot be written: the list holds
/// `local-subnet`, whose extent only the host knows. Empty when the list covers everything
/// (or holds `any`).
#[must_use]
pub fn complement(addresses: &[FirewallAddress]) -> Option<Vec<FirewallAddress>> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for a in addresses {
        match *a {
            FirewallAddress::Any => return Some(Vec::new()),
            FirewallAddress::LocalSubnet => return None,
            FirewallAddress::V4 { network, prefix } => v4.push(v4_bounds(network, prefix)),
            FirewallAddress::V6 { network, prefix } => v6.push(v6_bounds(network, prefix)),
            FirewallAddress::V4Range { first, last } => {
                v4.push((u32::from(first), u32::from(last)))
            }
            FirewallAddress::V6Range { first, last } => {
                v6.push((u128::from(first), u128::from(last)));
            }
        }
    }
    let mut out = Vec::new();
    let v4_merged = merge(v4, |x: u32| x.checked_add(1));
    for (a, b) in gaps(
        &v4_merged,
        0,
        u32::MAX,
        |x: u32| x.checked_add(1),
        |x: u32| x.checked_sub(1),
    ) {
        for (start, prefix) in cidr_blocks(u128::from(a), u128::from(b), 32) {
            out.push(FirewallAddress::V4 {
                network: Ipv4Addr::from(u32::try_from(start).unwrap_or(u32::MAX)),
                prefix,
            });
        }
    }
    let v6_merged = merge(v6, |x: u128| x.checked_add(1));
    for (a, b) in gaps(
        &v6_merged,
        0,
        u128::MAX,
        |x: u128| x.checked_add(1),
        |x: u128| x.checked_sub(1),
    ) {
        for (start, prefix) in cidr_blocks(a, b, 128) {
            out.push(FirewallAddress::V6 {
                network: Ipv6Addr::from(start),
                prefix,
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<FirewallAddress> {
        list.iter()
            .map(|s| FirewallAddress::parse(s).unwrap().address)
            .collect()
    }

    fn texts(list: &[FirewallAddress]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn complement_covers_every_other_address_of_both_families() {
        let c = complement(&addrs(&["10.20.0.0/16", "192.168.10.0/24"])).unwrap();
        assert_eq!(
            texts(&c),
            [
                "0.0.0.0/5",
                "8.0.0.0/7",
                "10.0.0.0/12",
                "10.16.0.0/14",
                "10.21.0.0/16",
                "10.22.0.0/15",
                "10.24.0.0/13",
                "10.32.0.0/11",
                "10.64.0.0/10",
                "10.128.0.0/9",
                "11.0.0.0/8",
                "12.0.0.0/6",
                "16.0.0.0/4",
                "32.0.0.0/3",
                "64.0.0.0/2",
                "128.0.0.0/2",
                "192.0.0.0/9",
                "192.128.0.0/11",
                "192.160.0.0/13",
                "192.168.0.0/21",
                "192.168.8.0/23",
                "192.168.11.0/24",
                "192.168.12.0/22",
                "192.168.16.0/20",
                "192.168.32.0/19",
                "192.168.64.0/18",
                "192.168.128.0/17",
                "192.169.0.0/16",
                "192.170.0.0/15",
                "192.172.0.0/14",
                "192.176.0.0/12",
                "192.192.0.0/10",
                "193.0.0.0/8",
                "194.0.0.0/7",
                "196.0.0.0/6",
                "200.0.0.0/5",
                "208.0.0.0/4",
                "224.0.0.0/3",
                "::/1",
                "8000::/1",
            ]
        );
        // Adjacent and overlapping entries merge; the edges of the space have no gap.
        let c = complement(&addrs(&["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2", "::/0"])).unwrap();
        assert!(c.is_empty(), "{c:?}");
        let c = complement(&addrs(&["0.0.0.1", "255.255.255.254", "2001:db8::/32"])).unwrap();
        assert_eq!(texts(&c).first().map(String::as_str), Some("0.0.0.0"));
        assert!(texts(&c).contains(&"0.0.0.2/31".to_string()));
        assert!(texts(&c).contains(&"255.255.255.255".to_string()));
        assert!(texts(&c).contains(&"2001:db9::/32".to_string()));
        assert!(!texts(&c).contains(&"2001:db8::/32".to_string()));
        // An IPv6-only scope blocks all of IPv4, as two halves.
        let c = complement(&addrs(&["fd00::/8"])).unwrap();
        assert_eq!(texts(&c)[..2], ["0.0.0.0/1", "128.0.0.0/1"]);
        assert_eq!(complement(&addrs(&["any"])), Some(Vec::new()));
        assert_eq!(complement(&addrs(&["10.0.0.0/8", "local-subnet"])), None);
    }

    #[test]
    fn the_complement_and_the_scope_partition_the_address_space() {
        // Every probe is in exactly one of the scope and its complement.
        let scope = addrs(&[
            "10.20.0.0/16",
            "192.168.10.0/24",
            "203.0.113.7",
            "2001:db8::/48",
        ]);
        let c = complement(&scope).unwrap();
        let contains = |list: &[FirewallAddress], ip: IpAddr| {
            list.iter()
                .filter(|a| match (**a, ip) {
                    (FirewallAddress::V4 { network, prefix }, IpAddr::V4(x)) => {
                        let (lo, hi) = v4_bounds(network, prefix);
                        (lo..=hi).contains(&u32::from(x))
                    }
                    (FirewallAddress::V6 { network, prefix }, IpAddr::V6(x)) => {
                        let (lo, hi) = v6_bounds(network, prefix);
                        (lo..=hi).contains(&u128::from(x))
                    }
                    _ => false,
                })
                .count()
        };
        for probe in [
            "0.0.0.0",
            "10.19.255.255",
            "10.20.0.0",
            "10.20.255.255",
            "10.21.0.0",
            "192.168.9.255",
            "192.168.10.0",
            "192.168.11.0",
            "203.0.113.6",
            "203.0.113.7",
            "203.0.113.8",
            "255.255.255.255",
            "::",
            "2001:db7:ffff::1",
            "2001:db8::1",
            "2001:db8:1::",
            "ffff::1",
        ] {
            let ip: IpAddr = probe.parse().unwrap();
            assert_eq!(contains(&scope, ip) + contains(&c, ip), 1, "{probe}");
        }
    }

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
