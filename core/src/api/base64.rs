//! Base64 (RFC 4648) in the two forms the package uses: the standard alphabet with padding
//! (HTTP Basic credentials, Plivo's signatures) and the URL-safe one without (the proxy's
//! proofs). Our own rather than the `base64` crate: its engines cost the module about 6 KB,
//! this about 1 KB (the tests check the two agree).

/// Which base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64 {
    /// `+` and `/`, padded with `=`.
    Standard,
    /// `-` and `_`, no padding.
    UrlSafe,
}

impl Base64 {
    fn symbol(self, value: u32) -> char {
        let table = match self {
            Base64::Standard => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            Base64::UrlSafe => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        };
        char::from(table[(value & 63) as usize])
    }

    fn value(self, symbol: u8) -> Option<u32> {
        let value = match (symbol, self) {
            (b'A'..=b'Z', _) => symbol - b'A',
            (b'a'..=b'z', _) => symbol - b'a' + 26,
            (b'0'..=b'9', _) => symbol - b'0' + 52,
            (b'+', Base64::Standard) | (b'-', Base64::UrlSafe) => 62,
            (b'/', Base64::Standard) | (b'_', Base64::UrlSafe) => 63,
            _ => return None,
        };
        Some(u32::from(value))
    }

    /// `bytes` encoded.
    pub fn encode(self, bytes: impl AsRef<[u8]>) -> String {
        let bytes = bytes.as_ref();
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
            let group = byte(0) << 16 | byte(1) << 8 | byte(2);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(self.symbol(group >> (18 - 6 * i)));
                } else if self == Base64::Standard {
                    out.push('=');
                }
            }
        }
        out
    }

    /// `text` decoded, or `None` when it is not canonical base64 of this form (wrong
    /// symbols or padding, or unused bits that are not zero).
    pub fn decode(self, text: &str) -> Option<Vec<u8>> {
        let mut symbols = text.as_bytes();
        if self == Base64::Standard {
            if symbols.len() % 4 != 0 {
                return None;
            }
            let padding = symbols
                .iter()
                .rev()
                .take(2)
                .take_while(|&&c| c == b'=')
                .count();
            symbols = &symbols[..symbols.len() - padding];
        }
        if symbols.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(symbols.len() * 3 / 4);
        let (mut bits, mut count) = (0u32, 0);
        for &symbol in symbols {
            bits = bits << 6 | self.value(symbol)?;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        (bits == 0).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Base64;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;

    #[test]
    fn agrees_with_the_base64_crate() {
        for len in 0..70usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 97 + len * 31) as u8).collect();
            for (ours, theirs) in [
                (Base64::Standard, STANDARD.encode(&bytes)),
                (Base64::UrlSafe, URL_SAFE_NO_PAD.encode(&bytes)),
            ] {
                assert_eq!(ours.encode(&bytes), theirs);
                assert_eq!(ours.decode(&theirs), Some(bytes.clone()));
            }
        }
    }

    #[test]
    fn refuses_what_the_base64_crate_refuses() {
        let standard = [
            "A", "AA", "AA=", "A===", "AB==", "QQ=A", "QQ==QQ==", "Q-==", "Q_==", " QQ==", "QUJD\n",
        ];
        let url_safe = ["A", "QQ==", "AB", "Q+", "Q/", "QUJD=", "QR", "QUJ"];
        for bad in standard {
            assert_eq!(Base64::Standard.decode(bad), None, "{bad}");
            assert!(STANDARD.decode(bad).is_err(), "{bad}");
        }
        for bad in url_safe {
            assert_eq!(Base64::UrlSafe.decode(bad), None, "{bad}");
            assert!(URL_SAFE_NO_PAD.decode(bad).is_err(), "{bad}");
        }
        assert_eq!(Base64::Standard.decode("QUI="), Some(b"AB".to_vec()));
        assert_eq!(Base64::UrlSafe.decode("QUJ"), None, "unused bits set");
        assert_eq!(Base64::UrlSafe.decode("QUI"), Some(b"AB".to_vec()));
    }
}
