//! Plivo's status-callback signatures, V3 and V2, computed exactly as Plivo's own SDKs
//! compute them.
//!
//! **V3** (headers `X-Plivo-Signature-V3` and `X-Plivo-Signature-V3-Nonce`) signs the
//! callback URL *and* its parameters: `base64(HMAC-SHA256(auth_token, S + "." + nonce))`,
//! where, with `base = scheme://host[:port]/path` of the URL:
//!
//! - GET: `S = base + "?" + "k=v&k=v…"` over the parameters merged with the URL's own query,
//!   keys sorted, values as received (decoded); with no parameters at all, `S = base`.
//! - POST: `S = base + "?" + ["k=v&…" of the URL's query + "."] + "kvkv…"` — the form
//!   parameters concatenated as key and value with no separators, keys sorted. With no form
//!   parameters, `S = base` (plus `"?" + query` when the URL has one).
//!
//! **V2** (`X-Plivo-Signature-V2`, `X-Plivo-Signature-Ma-V2`, `X-Plivo-Signature-V2-Nonce`)
//! signs only the URL without its query: `base64(HMAC-SHA256(auth_token, base + nonce))`.
//! This is what Plivo's Verify documentation ("Validating requests") says every Verify
//! callback carries: V2 with the token of the account or subaccount that made the session,
//! Ma-V2 always with the main account's. It does not cover the parameters, so a receiver
//! must accept each nonce once (see [`crate::api::callback`]).
//!
//! A header may carry several signatures separated by commas; any one may match.
//!
//! Verification decodes each offered signature and compares MACs in constant time.

use crate::api::base64::Base64::Standard as BASE64;
use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The HTTP method Plivo used to deliver a callback; it decides how parameters are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackMethod {
    /// Parameters in the query string.
    Get,
    /// Parameters as a form body.
    Post,
}

/// Computes the V3 signature (base64) of a callback.
///
/// `params` are the callback's parameters: the query parameters for GET (the URL's own
/// query is merged in, as Plivo does), the form fields for POST.
///
/// # Examples
///
/// ```
/// use plivo_verify_core::api::signature::{sign_v3, CallbackMethod};
/// let params = [("SessionStatus", "verified")];
/// let sig = sign_v3("token", CallbackMethod::Post, "https://example.com/cb", &params, "42");
/// assert_eq!(sig.len(), 44);
/// ```
pub fn sign_v3<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    method: CallbackMethod,
    url: &str,
    params: &[(K, V)],
    nonce: &str,
) -> String {
    BASE64.encode(
        v3_mac(auth_token, method, url, params, nonce)
            .finalize()
            .into_bytes(),
    )
}

/// Checks V3 signatures (any one may match) in constant time.
pub fn verify_v3<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    method: CallbackMethod,
    url: &str,
    params: &[(K, V)],
    nonce: &str,
    signatures: &[&str],
) -> bool {
    let mac = v3_mac(auth_token, method, url, params, nonce);
    signatures
        .iter()
        .any(|candidate| mac_matches(mac.clone(), candidate))
}

/// Most signatures one header may carry (Plivo sends one; a few during a key rotation).
pub const MAX_SIGNATURES: usize = 8;

/// The comma-separated signatures of a header, or `None` when it carries more than
/// [`MAX_SIGNATURES`] (nothing is computed for such a header).
pub fn split_signatures(header: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = header.split(',').take(MAX_SIGNATURES + 1).collect();
    (parts.len() <= MAX_SIGNATURES).then(|| {
        parts
            .into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// Computes the V2 signature (base64) of a callback URL.
pub fn sign_v2(auth_token: &str, url: &str, nonce: &str) -> String {
    BASE64.encode(v2_mac(auth_token, url, nonce).finalize().into_bytes())
}

/// Checks V2 (or Ma-V2) signatures (any one may match) in constant time.
pub fn verify_v2(auth_token: &str, url: &str, nonce: &str, signatures: &[&str]) -> bool {
    let mac = v2_mac(auth_token, url, nonce);
    signatures
        .iter()
        .any(|candidate| mac_matches(mac.clone(), candidate))
}

/// The string V3 signs, before `"." + nonce` is appended.
pub fn v3_string_to_sign<K: AsRef<str>, V: AsRef<str>>(
    method: CallbackMethod,
    url: &str,
    params: &[(K, V)],
) -> String {
    let (base, query) = split_url(url);
    let mut signed = base;
    match method {
        CallbackMethod::Get => {
            let mut all = multimap(params);
            // Like Plivo's SDKs, a key in the URL's query replaces a parameter of that name.
            for (key, values) in multimap(&parse_query(query)) {
                all.insert(key, values);
            }
            let joined = join_pairs(&all);
            if !joined.is_empty() {
                signed.push('?');
                signed.push_str(&joined);
            }
        }
        CallbackMethod::Post => {
            let query = join_pairs(&multimap(&parse_query(query)));
            if !query.is_empty() || !params.is_empty() {
                signed.push('?');
                signed.push_str(&query);
            }
            if !query.is_empty() && !params.is_empty() {
                signed.push('.');
            }
            for (key, values) in multimap(params) {
                for value in values {
                    signed.push_str(&key);
                    signed.push_str(&value);
                }
            }
        }
    }
    signed
}

fn v3_mac<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    method: CallbackMethod,
    url: &str,
    params: &[(K, V)],
    nonce: &str,
) -> HmacSha256 {
    let mut mac = new_mac(auth_token);
    mac.update(v3_string_to_sign(method, url, params).as_bytes());
    mac.update(b".");
    mac.update(nonce.as_bytes());
    mac
}

fn v2_mac(auth_token: &str, url: &str, nonce: &str) -> HmacSha256 {
    let mut mac = new_mac(auth_token);
    mac.update(split_url(url).0.as_bytes());
    mac.update(nonce.as_bytes());
    mac
}

fn new_mac(key: &str) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    HmacSha256::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// Constant-time check of one base64 signature against a finished MAC.
fn mac_matches(mac: HmacSha256, candidate: &str) -> bool {
    match BASE64.decode(candidate.trim()) {
        Some(bytes) => mac.verify_slice(&bytes).is_ok(),
        None => false,
    }
}

/// Splits a URL into `scheme://host[:port]/path` (scheme lower-cased) and its raw query,
/// dropping any fragment.
fn split_url(url: &str) -> (String, &str) {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let (base, query) = match without_fragment.split_once('?') {
        Some((base, query)) => (base, query),
        None => (without_fragment, ""),
    };
    let base = match base.split_once("://") {
        Some((scheme, rest)) => format!("{}://{rest}", scheme.to_ascii_lowercase()),
        None => base.to_owned(),
    };
    (base, query)
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// Groups parameters by key (sorted), with each key's values sorted.
fn multimap<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in params {
        map.entry(key.as_ref().to_owned())
            .or_default()
            .push(value.as_ref().to_owned());
    }
    for values in map.values_mut() {
        values.sort_unstable();
    }
    map
}

fn join_pairs(map: &BTreeMap<String, Vec<String>>) -> String {
    let mut joined = String::new();
    for (key, values) in map {
        for value in values {
            if !joined.is_empty() {
                joined.push('&');
            }
            joined.push_str(key);
            joined.push('=');
            joined.push_str(value);
        }
    }
    joined
}

/// The published V3 test vector's parameters (also used by other modules' tests).
#[cfg(test)]
pub(crate) const VECTOR_PARAMS: [(&str, &str); 9] = [
    ("AttemptSequence", "1"),
    ("AttemptUUID", "e2f66aeb-6b98-42a9-ba81-0aba74a7eb7c"),
    ("Channel", "sms"),
    ("ChannelErrorCode", ""),
    ("ChannelStatus", "delivered"),
    ("Recipient", "918707046406"),
    ("RequestTime", "2023-07-24 17:17:21 +0000 UTC"),
    ("SessionStatus", "in-progress"),
    ("SessionUUID", "d8f1b187-ddcb-438a-a298-eb17fb2b31f5"),
];

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_URL: &str = "https://example.com/verify/callback";
    const VECTOR_TOKEN: &str = "AbcdEfghIjklMnop1234";
    const VECTOR_NONCE: &str = "12345678901234567890";
    const VECTOR_SIGNATURE: &str = "37k2UL/Y5o5YWigAqWoego5zOtepBoTQEAL9zU4ejyk=";

    #[test]
    fn v3_matches_the_published_vector() {
        let sig = sign_v3(
            VECTOR_TOKEN,
            CallbackMethod::Post,
            VECTOR_URL,
            &VECTOR_PARAMS,
            VECTOR_NONCE,
        );
        assert_eq!(sig, VECTOR_SIGNATURE);
    }

    #[test]
    fn v3_verifies_any_of_several_signatures() {
        let header = format!("bm90LWl0, {VECTOR_SIGNATURE}");
        let ok = |header: &str, token: &str, params: &[(&str, &str)]| {
            verify_v3(
                token,
                CallbackMethod::Post,
                VECTOR_URL,
                params,
                VECTOR_NONCE,
                &split_signatures(header).unwrap(),
            )
        };
        assert!(ok(&header, VECTOR_TOKEN, &VECTOR_PARAMS));
        assert!(!ok(&header, "another-token", &VECTOR_PARAMS));
        assert!(!ok("", VECTOR_TOKEN, &VECTOR_PARAMS));
        assert!(!ok("not base64!", VECTOR_TOKEN, &VECTOR_PARAMS));
        let mut tampered = VECTOR_PARAMS;
        tampered[4] = ("ChannelStatus", "failed");
        assert!(!ok(&header, VECTOR_TOKEN, &tampered));
    }

    /// The vector of plivo-ruby's `spec/signature_spec.rb` and plivo-dotnet's
    /// `TestSignature.cs`: it passes with `my_auth_token` and fails with `my_auth_tokens`.
    #[test]
    fn v2_matches_the_published_vector() {
        let sig = sign_v2("my_auth_token", "https://answer.url", "12345");
        assert_eq!(sig, "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=");
        let ok = |token: &str, url: &str| verify_v2(token, url, "12345", &[sig.as_str()]);
        assert!(ok("my_auth_token", "https://answer.url"));
        assert!(ok("my_auth_token", "https://answer.url?ignored=1"));
        assert!(!ok("my_auth_tokens", "https://answer.url"));
        assert!(!ok("my_auth_token", "https://answer.url/x"));
        assert!(verify_v2(
            "my_auth_token",
            "https://answer.url",
            "12345",
            &["bm90LWl0", sig.as_str()]
        ));
        assert!(!verify_v2(
            "my_auth_token",
            "https://answer.url",
            "12345",
            &[]
        ));
    }

    #[test]
    fn headers_split_into_a_bounded_number_of_signatures() {
        assert_eq!(split_signatures("a, b,,c"), Some(vec!["a", "b", "c"]));
        assert_eq!(split_signatures(""), Some(vec![]));
        assert_eq!(
            split_signatures(&",".repeat(MAX_SIGNATURES - 1)),
            Some(vec![])
        );
        assert_eq!(split_signatures(&",".repeat(MAX_SIGNATURES)), None);
        assert_eq!(split_signatures(&"x,".repeat(10_000)), None);
    }

    #[test]
    fn get_strings_merge_the_url_query_and_sort() {
        let params = [("b", "2"), ("a", "1 x")];
        let s = v3_string_to_sign(CallbackMethod::Get, "HTTPS://h:8/p?c=3&a=9#frag", &params);
        assert_eq!(s, "https://h:8/p?a=9&b=2&c=3");
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            v3_string_to_sign(CallbackMethod::Get, "http://h/p", &none),
            "http://h/p"
        );
    }

    #[test]
    fn post_strings_follow_the_sdk_layout() {
        let none: [(&str, &str); 0] = [];
        let params = [("b", "2"), ("a", "1"), ("a", "0")];
        let post = |url: &str, params: &[(&str, &str)]| {
            v3_string_to_sign(CallbackMethod::Post, url, params)
        };
        assert_eq!(post("http://h/p", &none), "http://h/p");
        assert_eq!(post("http://h/p?z=1", &none), "http://h/p?z=1");
        assert_eq!(post("http://h/p", &params), "http://h/p?a0a1b2");
        assert_eq!(post("http://h/p?z=%20", &params), "http://h/p?z= .a0a1b2");
    }
}
