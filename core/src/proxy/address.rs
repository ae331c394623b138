//! Which client address a request counts against, from a trusted source only:
//!
//! 1. the address the app's own `clientIp(request)` gave (the JS layer calls it);
//! 2. `CF-Connecting-IP`, only on Cloudflare (`request.cf` present): Cloudflare sets it and
//!    a client cannot, whereas anywhere else (Node, Deno, Bun, self-hosted workerd) it is
//!    just a header the client wrote;
//! 3. with `trustForwardedFor: N`, the entry of `X-Forwarded-For` that the N-th trusted proxy
//!    in front appended: the N-th from the right. The left-most entries are the client's
//!    own writing and never count.
//!
//! With none of these, every request counts against one shared bucket, `unknown`: a header
//! cannot choose a fresh bucket, and the per-number limits hold as ever. An address that
//! does not parse also counts as `unknown`. IPv6 addresses count per /64 (one subscriber
//! usually holds a whole /64, so single addresses would be free to rotate).

/// The shared bucket of requests with no trusted address.
pub const UNKNOWN: &str = "unknown";

/// Where a request says it comes from, as the JS layer read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    /// What the app's `clientIp(request)` returned.
    pub from_app: Option<&'a str>,
    /// `CF-Connecting-IP`.
    pub cf_connecting_ip: Option<&'a str>,
    /// Whether the request came through Cloudflare (`request.cf` present).
    pub on_cloudflare: bool,
    /// `X-Forwarded-For`.
    pub forwarded_for: Option<&'a str>,
}

/// Where a request comes from, from a source the client cannot write, and its bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// What the per-address limits count: an IPv4 address, an IPv6 /64
    /// (`2001:db8:1:2::/64`), or [`UNKNOWN`].
    pub bucket: String,
    /// The address itself, when a trusted source gave one that parses (for a bot check's
    /// provider, which wants the address, not its bucket).
    pub address: Option<String>,
}

/// The client of a request. `trusted_hops`: how many proxies of the app's own append to
/// `X-Forwarded-For` (0: it is not trusted).
pub fn client(sources: Sources<'_>, trusted_hops: u32) -> Client {
    let forwarded = || {
        let hops = usize::try_from(trusted_hops).ok().filter(|&n| n > 0)?;
        let entries: Vec<&str> = sources.forwarded_for?.split(',').collect();
        entries.len().checked_sub(hops).map(|i| entries[i])
    };
    let chosen = sources
        .from_app
        .or(sources.cf_connecting_ip.filter(|_| sources.on_cloudflare))
        .or_else(forwarded)
        .map(str::trim);
    let bucket = chosen.map_or_else(|| UNKNOWN.to_owned(), bucket);
    let address = chosen.filter(|_| bucket != UNKNOWN).map(str::to_owned);
    Client { bucket, address }
}

/// An address's bucket: IPv4 as it is, IPv6 by its /64, anything else [`UNKNOWN`].
pub fn bucket(address: &str) -> String {
    let address = address.trim();
    if let Some(v4) = parse_v4(address) {
        return v4_text(v4);
    }
    match parse_v6(address) {
        // An IPv4-mapped address (`::ffff:a.b.c.d`) is that IPv4 client.
        Some([0, 0, 0, 0, 0, 0xffff, high, low]) => {
            v4_text([(high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8])
        }
        Some(groups) => {
            let mut out = String::with_capacity(24);
            for group in &groups[..4] {
                push_hex(&mut out, *group);
                out.push(':');
            }
            out.push_str(":/64");
            out
        }
        None => UNKNOWN.to_owned(),
    }
}

// A small parser of our own: std's `IpAddr` parsing and formatting cost the wasm module about
// 3 KB gzipped. The tests hold it to std's answers.

fn parse_v4(text: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?.as_bytes();
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut value = 0u16;
        for &b in part {
            value = value * 10 + u16::from(char::from(b).to_digit(10)? as u8);
        }
        *octet = u8::try_from(value).ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// Hex groups of one side of `::` into `out`; their count. The last may be a dotted IPv4.
fn parse_groups(side: &str, out: &mut [u16; 8], allow_v4_tail: bool) -> Option<usize> {
    if side.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    let mut parts = side.split(':').peekable();
    while let Some(part) = parts.next() {
        if allow_v4_tail && parts.peek().is_none() && part.contains('.') {
            let [a, b, c, d] = parse_v4(part)?;
            *out.get_mut(n)? = u16::from_be_bytes([a, b]);
            *out.get_mut(n + 1)? = u16::from_be_bytes([c, d]);
            return Some(n + 2);
        }
        if part.is_empty() || part.len() > 4 {
            return None;
        }
        let mut value = 0u16;
        for c in part.chars() {
            value = value << 4 | c.to_digit(16)? as u16;
        }
        *out.get_mut(n)? = value;
        n += 1;
    }
    Some(n)
}

fn parse_v6(text: &str) -> Option<[u16; 8]> {
    let mut all = [0u16; 8];
    match text.split_once("::") {
        Some((head, tail)) => {
            let heads = parse_groups(head, &mut all, false)?;
            let mut tail_groups = [0u16; 8];
            let tails = parse_groups(tail, &mut tail_groups, true)?;
            if heads + tails > 7 {
                return None;
            }
            all[8 - tails..].copy_from_slice(&tail_groups[..tails]);
        }
        None => {
            if parse_groups(text, &mut all, true)? != 8 {
                return None;
            }
        }
    }
    Some(all)
}

fn v4_text(octets: [u8; 4]) -> String {
    let mut out = String::with_capacity(15);
    for (i, octet) in octets.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(&octet.to_string());
    }
    out
}

fn push_hex(out: &mut String, value: u16) {
    let digits = b"0123456789abcdef";
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let digit = (value >> shift) & 0xf;
        if digit != 0 || started || shift == 0 {
            started = true;
            out.push(digits[digit as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(list: &str, hops: u32) -> String {
        client(
            Sources {
                forwarded_for: Some(list),
                ..Sources::default()
            },
            hops,
        )
        .bucket
    }

    #[test]
    fn cf_connecting_ip_counts_only_on_cloudflare() {
        let cf = |on_cloudflare| Sources {
            cf_connecting_ip: Some("203.0.113.7"),
            on_cloudflare,
            ..Sources::default()
        };
        assert_eq!(client(cf(true), 0).bucket, "203.0.113.7");
        assert_eq!(client(cf(false), 0).bucket, UNKNOWN);
        let app = Sources {
            from_app: Some("198.51.100.1"),
            ..cf(true)
        };
        assert_eq!(
            client(app, 0).bucket,
            "198.51.100.1",
            "the app's own answer first"
        );
    }

    #[test]
    fn forwarded_for_counts_from_the_right() {
        // The client wrote "1.1.1.1, 2.2.2.2"; the app's proxy appended 203.0.113.9.
        let list = "1.1.1.1, 2.2.2.2, 203.0.113.9";
        assert_eq!(forwarded(list, 0), UNKNOWN, "not trusted unless asked");
        assert_eq!(forwarded(list, 1), "203.0.113.9");
        assert_eq!(
            forwarded(list, 2),
            "2.2.2.2",
            "two proxies of the app's own"
        );
        assert_eq!(
            forwarded("203.0.113.9", 2),
            UNKNOWN,
            "fewer entries than hops"
        );
        // Whatever a client puts on the left, the bucket is the one the proxy appended.
        for spoofed in ["9.9.9.9", "8.8.8.8, 7.7.7.7", "garbage, ::1"] {
            assert_eq!(
                forwarded(&format!("{spoofed}, 203.0.113.9"), 1),
                "203.0.113.9"
            );
        }
    }

    #[test]
    fn the_client_keeps_its_whole_address_only_when_it_parses() {
        let from_app = |ip| Sources {
            from_app: Some(ip),
            ..Sources::default()
        };
        let v6 = client(from_app(" 2001:db8:1:2::7 "), 0);
        assert_eq!(v6.bucket, "2001:db8:1:2::/64");
        assert_eq!(v6.address.as_deref(), Some("2001:db8:1:2::7"));
        let junk = client(from_app("not an address"), 0);
        assert_eq!((junk.bucket.as_str(), junk.address), (UNKNOWN, None));
        assert_eq!(client(Sources::default(), 0).address, None);
    }

    #[test]
    fn ipv6_counts_per_64_and_junk_is_unknown() {
        assert_eq!(bucket("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_ne!(bucket("2001:db8:1:3::1"), bucket("2001:db8:1:2::1"));
        assert_eq!(bucket("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(bucket(" 203.0.113.7 "), "203.0.113.7");
        for junk in ["", "unknown", "203.0.113.999", "a b", "1.2.3.4:80"] {
            assert_eq!(bucket(junk), UNKNOWN, "{junk}");
        }
    }

    /// Our parser answers as std's does, on addresses and near-addresses alike.
    #[test]
    fn the_parser_agrees_with_std() {
        use std::net::{Ipv4Addr, Ipv6Addr};
        let cases = [
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3.4",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1..2.3",
            "1.2.3.4 ",
            "+1.2.3.4",
            "::",
            "::1",
            "1::",
            "1::2",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "::ffff:1.2.3.4",
            "::1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            ":::",
            "1:::2",
            "1::2::3",
            "12345::",
            "g::",
            "fe80::1%eth0",
            "2001:db8:0:0:1:0:0:1",
            "2001:DB8::A",
            ":1::",
            "1::2:",
            "::ffff:256.1.1.1",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4::5:6:7:8",
        ];
        for case in cases {
            assert_eq!(
                parse_v4(case),
                case.parse::<Ipv4Addr>().ok().map(|a| a.octets()),
                "{case}"
            );
            assert_eq!(
                parse_v6(case),
                case.parse::<Ipv6Addr>().ok().map(|a| a.segments()),
                "{case}"
            );
        }
        let mut hex = String::new();
        for value in [0u16, 1, 0xa, 0x10, 0xdb8, 0xffff, 0x1000] {
            hex.clear();
            push_hex(&mut hex, value);
            assert_eq!(hex, format!("{value:x}"));
        }
    }
}
