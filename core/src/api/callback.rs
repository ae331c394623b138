//! Status callbacks: the documented fields, and checking a received request end to end.

use super::error::{Error, ErrorCode};
use super::options::{is_credential, Options};
use super::params::Arg;
use super::signature::{split_signatures, verify_v2, verify_v3, CallbackMethod};

/// One status change of a session, as Plivo reports it to the callback URL (the documented
/// fields; JavaScript receives them in camelCase).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StatusCallback {
    /// 1 for the first attempt, 2 for the first re-send, …
    pub attempt_sequence: Option<u64>,
    /// The SMS or call this is about.
    pub attempt_uuid: Option<String>,
    /// `sms` or `voice`, lower case.
    #[cfg_attr(test, ts(type = "Channel | (string & {}) | null"))]
    pub channel: Option<String>,
    /// The channel's error code; empty or absent when all went well.
    pub channel_error_code: Option<String>,
    /// `queued`, `sent`, `delivered`, `undelivered`, `failed`, `ringing`, `in-progress`,
    /// `completed`, …, lower case.
    pub channel_status: Option<String>,
    /// The number the code went to.
    pub recipient: Option<String>,
    /// When the attempt was made (`2023-07-24 17:17:21 +0000 UTC`).
    pub request_time: Option<String>,
    /// `in-progress`, `verified`, `expired`, lower case.
    #[cfg_attr(test, ts(type = "SessionStatus | null"))]
    pub session_status: Option<String>,
    /// The session (required: a callback without it is not one).
    pub session_uuid: String,
}

/// Reads the documented fields from a callback's parameters (form fields or query);
/// other parameters are ignored.
pub fn parse_status_callback<K: AsRef<str>, V: AsRef<str>>(
    params: &[(K, V)],
) -> Result<StatusCallback, Error> {
    let get = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v.as_ref().to_owned())
    };
    let lower = |name: &str| get(name).map(|v| v.to_ascii_lowercase());
    let session_uuid = get("SessionUUID")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Error::invalid_argument("params", "has no SessionUUID: not a Verify status callback")
        })?;
    Ok(StatusCallback {
        attempt_sequence: get("AttemptSequence").and_then(|v| v.trim().parse().ok()),
        attempt_uuid: get("AttemptUUID"),
        channel: lower("Channel"),
        channel_error_code: get("ChannelErrorCode"),
        channel_status: lower("ChannelStatus"),
        recipient: get("Recipient"),
        request_time: get("RequestTime"),
        session_status: lower("SessionStatus"),
        session_uuid,
    })
}

/// Longest nonce accepted (Plivo's are 20 digits); a longer one is refused unsigned.
pub const MAX_NONCE_LEN: usize = 128;
/// How long an accepted nonce is remembered and refused again.
pub const REPLAY_WINDOW_MS: u64 = 86_400_000;

/// A callback request as received: what the verifier needs of it.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedCallback<'a> {
    /// `GET` or `POST` (any case).
    pub method: &'a str,
    /// The URL Plivo called (the request's URL, or the public one when a proxy rewrote it).
    pub url: &'a str,
    /// The raw body (form-encoded for POST; ignored for GET).
    pub body: &'a str,
    /// `X-Plivo-Signature-V3`.
    pub v3_signature: Option<&'a str>,
    /// `X-Plivo-Signature-V3-Nonce`.
    pub v3_nonce: Option<&'a str>,
    /// `X-Plivo-Signature-V2`: signed with the token of the (sub)account of the session.
    pub v2_signature: Option<&'a str>,
    /// `X-Plivo-Signature-Ma-V2`: signed with the main account's token.
    pub ma_v2_signature: Option<&'a str>,
    /// `X-Plivo-Signature-V2-Nonce` (both V2 signatures use it).
    pub v2_nonce: Option<&'a str>,
}

impl<'a> ReceivedCallback<'a> {
    /// The callback of a request, its signature headers read with `header` (a lower-case
    /// name in, the value out).
    pub fn from_headers(
        method: &'a str,
        url: &'a str,
        body: &'a str,
        header: impl Fn(&str) -> Option<&'a str>,
    ) -> ReceivedCallback<'a> {
        ReceivedCallback {
            method,
            url,
            body,
            v3_signature: header("x-plivo-signature-v3"),
            v3_nonce: header("x-plivo-signature-v3-nonce"),
            v2_signature: header("x-plivo-signature-v2"),
            ma_v2_signature: header("x-plivo-signature-ma-v2"),
            v2_nonce: header("x-plivo-signature-v2-nonce"),
        }
    }
}

/// The auth tokens callbacks may be signed with.
#[derive(Clone, Copy)]
pub struct CallbackKeys<'a> {
    /// The main account's token: V3, V2 and Ma-V2.
    pub main: &'a str,
    /// Subaccounts' tokens: V2 (and V3) of the sessions those subaccounts created.
    pub subaccounts: &'a [String],
}

impl CallbackKeys<'_> {
    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.main).chain(self.subaccounts.iter().map(String::as_str))
    }
}

/// Most subaccount tokens one receiver takes.
pub const MAX_SUBACCOUNT_TOKENS: usize = 100;

/// Takes the callback settings out of an options object: `subaccountTokens` (the tokens of
/// subaccounts whose sessions report here). `allowV2`, an option of earlier versions, is
/// refused with what replaced it.
pub fn take_callback_options(options: &mut Options) -> Result<Vec<String>, Error> {
    if options.take("allowV2") != Arg::Absent {
        return Err(Error::invalid_argument(
            "allowV2",
            "is no longer an option: V2 and Ma-V2 signatures (what Plivo sends Verify callbacks with) are always accepted, each nonce once",
        ));
    }
    let expected = "an array of subaccount auth tokens (strings without spaces)";
    match options.take("subaccountTokens") {
        Arg::Absent => Ok(Vec::new()),
        Arg::List(items) if items.len() <= MAX_SUBACCOUNT_TOKENS => items
            .into_iter()
            .map(|item| match item {
                Arg::Text(token) if is_credential(&token) => Ok(token),
                // The message never echoes a token.
                _ => Err(Error::invalid_argument(
                    "subaccountTokens",
                    format!("must be {expected}"),
                )),
            })
            .collect(),
        Arg::List(_) => Err(Error::invalid_argument(
            "subaccountTokens",
            format!("may hold at most {MAX_SUBACCOUNT_TOKENS} tokens"),
        )),
        other => Err(Error::invalid_argument(
            "subaccountTokens",
            format!("must be {expected}, not {}", other.type_name()),
        )),
    }
}

/// A callback whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCallback {
    /// Its documented fields.
    pub callback: StatusCallback,
    /// One key per verified scheme's nonce (`callback-nonce:v2:…`, `callback-nonce:v3:…`):
    /// a receiver accepts the callback only if none was seen in the last
    /// [`REPLAY_WINDOW_MS`], and then remembers them all.
    pub replay_keys: Vec<String>,
}

/// Checks a received callback as Plivo's Verify documentation describes its signing, and
/// returns its fields; `invalid_signature` otherwise. Accepted, any one being enough:
///
/// - `X-Plivo-Signature-Ma-V2` made with the main account's token,
/// - `X-Plivo-Signature-V2` made with the main token or a subaccount's,
/// - `X-Plivo-Signature-V3` (signs the parameters too) made with any of those tokens.
///
/// V2 signs only the URL and the nonce, so the nonces are handed back for the receiver to
/// accept once ([`VerifiedCallback::replay_keys`]): a captured signature then cannot be
/// replayed, with the same parameters or others.
pub fn verify_received_callback(
    callback: &ReceivedCallback<'_>,
    keys: CallbackKeys<'_>,
) -> Result<VerifiedCallback, Error> {
    let method = if callback.method.eq_ignore_ascii_case("GET") {
        CallbackMethod::Get
    } else if callback.method.eq_ignore_ascii_case("POST") {
        CallbackMethod::Post
    } else {
        return Err(invalid_signature("callbacks arrive by GET or POST"));
    };
    // A malformed header refuses the request, whatever the others say.
    let headers = [
        callback.v2_signature,
        callback.ma_v2_signature,
        callback.v3_signature,
    ];
    let nonces = [callback.v2_nonce, callback.v3_nonce];
    if headers
        .into_iter()
        .flatten()
        .any(|h| split_signatures(h).is_none())
        || nonces.into_iter().flatten().any(|n| !is_nonce(n))
    {
        return Err(invalid_signature(
            "a signature header holds too many signatures, or a nonce is malformed",
        ));
    }
    let mut replay_keys = Vec::new();
    if let Some(nonce) = callback.v2_nonce {
        let (v2, ma_v2) = (callback.v2_signature, callback.ma_v2_signature);
        if verify_v2_headers(callback.url, nonce, v2, ma_v2, keys) {
            replay_keys.push(format!("callback-nonce:v2:{nonce}"));
        }
    }
    let v3_nonce = callback.v3_nonce;
    let params: Vec<(String, String)> = match method {
        CallbackMethod::Get => parse_pairs(callback.url.split_once('?').map_or("", |(_, q)| q)),
        CallbackMethod::Post => parse_pairs(callback.body),
    };
    let v3_offered = callback.v3_signature.and_then(split_signatures);
    if let (Some(nonce), Some(offered)) = (v3_nonce, v3_offered) {
        if keys
            .all()
            .any(|token| verify_v3(token, method, callback.url, &params, nonce, &offered))
        {
            replay_keys.push(format!("callback-nonce:v3:{nonce}"));
        }
    }
    if replay_keys.is_empty() {
        return Err(invalid_signature(
            "no X-Plivo-Signature-V2, -Ma-V2 or -V3 of the callback matches its URL, nonce and the auth tokens",
        ));
    }
    Ok(VerifiedCallback {
        callback: parse_status_callback(&params)?,
        replay_keys,
    })
}

/// Whether `X-Plivo-Signature-V2` (`v2`, made with the main token or a subaccount's) or
/// `X-Plivo-Signature-Ma-V2` (`ma_v2`, made with the main token) verifies for `url` and
/// `X-Plivo-Signature-V2-Nonce`. Says nothing of the parameters, and remembers no nonce.
pub fn verify_v2_headers(
    url: &str,
    nonce: &str,
    v2: Option<&str>,
    ma_v2: Option<&str>,
    keys: CallbackKeys<'_>,
) -> bool {
    if !is_nonce(nonce) {
        return false;
    }
    let v2_ok = v2.and_then(split_signatures).is_some_and(|offered| {
        keys.all()
            .any(|token| verify_v2(token, url, nonce, &offered))
    });
    v2_ok
        || ma_v2
            .and_then(split_signatures)
            .is_some_and(|offered| verify_v2(keys.main, url, nonce, &offered))
}

/// A nonce worth a MAC: non-empty, bounded, printable ASCII without separators.
fn is_nonce(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NONCE_LEN
        && text.bytes().all(|b| b.is_ascii_graphic() && b != b',')
}

fn invalid_signature(message: &str) -> Error {
    Error::new(ErrorCode::InvalidSignature, message)
}

fn parse_pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::signature::{sign_v2, sign_v3};
    use super::*;

    const TOKEN: &str = "AbcdEfghIjklMnop1234";
    const FIELDS: [(&str, &str); 9] = super::super::signature::VECTOR_PARAMS;

    fn form() -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(FIELDS)
            .finish()
    }

    #[test]
    fn parses_the_documented_fields() {
        let cb = parse_status_callback(&FIELDS).unwrap();
        assert_eq!(cb.attempt_sequence, Some(1));
        assert_eq!(cb.channel_status.as_deref(), Some("delivered"));
        assert_eq!(
            cb.request_time.as_deref(),
            Some("2023-07-24 17:17:21 +0000 UTC")
        );
        assert_eq!(cb.session_uuid, "d8f1b187-ddcb-438a-a298-eb17fb2b31f5");
        let none: [(&str, &str); 1] = [("Channel", "sms")];
        assert_eq!(
            parse_status_callback(&none).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }

    const MAIN: CallbackKeys<'static> = CallbackKeys {
        main: TOKEN,
        subaccounts: &[],
    };

    /// A POST callback signed as Plivo's Verify docs describe: V2 (with `v2_token`),
    /// Ma-V2 (with `ma_token`) and their nonce.
    fn v2_callback<'a>(
        url: &'a str,
        body: &'a str,
        v2: &'a str,
        ma: &'a str,
    ) -> ReceivedCallback<'a> {
        ReceivedCallback {
            method: "POST",
            url,
            body,
            v3_signature: None,
            v3_nonce: None,
            v2_signature: Some(v2),
            ma_v2_signature: Some(ma),
            v2_nonce: Some("05429567804466091622"),
        }
    }

    #[test]
    fn accepts_v2_and_ma_v2_as_plivo_signs_verify_callbacks() {
        let url = "https://example.com/answer/?tenant=a";
        let nonce = "05429567804466091622";
        let body = form();
        let sub_token = "SubaccountToken0001".to_owned();
        let good_v2 = sign_v2(TOKEN, url, nonce);
        let good_ma = sign_v2(TOKEN, url, nonce);
        let sub_v2 = sign_v2(&sub_token, url, nonce);
        let with_sub = CallbackKeys {
            main: TOKEN,
            subaccounts: std::slice::from_ref(&sub_token),
        };
        let accepted = |v2: &str, ma: &str, keys| {
            verify_received_callback(&v2_callback(url, &body, v2, ma), keys).map(|v| v.replay_keys)
        };
        let once = Ok(vec![format!("callback-nonce:v2:{nonce}")]);
        assert_eq!(accepted(&good_v2, &good_ma, MAIN), once);
        assert_eq!(
            accepted("bad", &good_ma, MAIN),
            once,
            "Ma-V2 alone is enough"
        );
        assert_eq!(accepted(&good_v2, "bad", MAIN), once, "V2 alone is enough");
        // A subaccount's session: V2 with its token, Ma-V2 with the main token.
        assert_eq!(accepted(&sub_v2, &good_ma, MAIN), once);
        assert_eq!(accepted(&sub_v2, "bad", with_sub), once);
        assert!(
            accepted(&sub_v2, "bad", MAIN).is_err(),
            "unknown subaccount"
        );
        // Ma-V2 is the main account's alone: a subaccount token does not make it.
        assert!(accepted("bad", &sub_v2, with_sub).is_err());
        assert!(accepted("bad", "bad", MAIN).is_err());
        let cb = verify_received_callback(&v2_callback(url, &body, &good_v2, &good_ma), MAIN)
            .unwrap()
            .callback;
        assert_eq!(cb, parse_status_callback(&FIELDS).unwrap());
        // V2 signs the URL without its query; another path does not verify.
        let moved = "https://example.com/other/?tenant=a";
        assert!(
            verify_received_callback(&v2_callback(moved, &body, &good_v2, &good_ma), MAIN).is_err()
        );
    }

    #[test]
    fn refuses_hostile_headers_before_computing() {
        let url = "https://example.com/answer/";
        let body = form();
        let good = sign_v2(TOKEN, url, "05429567804466091622");
        let many = format!("{},{good}", "x,".repeat(10_000));
        assert!(verify_received_callback(&v2_callback(url, &body, &many, &many), MAIN).is_err());
        let long_nonce = "1".repeat(10 * 1024);
        let signed = sign_v2(TOKEN, url, &long_nonce);
        let received = ReceivedCallback {
            v2_nonce: Some(&long_nonce),
            ..v2_callback(url, &body, &signed, &signed)
        };
        assert!(verify_received_callback(&received, MAIN).is_err());
        for nonce in ["", "12 34", "1,2", "\u{e9}"] {
            let signed = sign_v2(TOKEN, url, nonce);
            let received = ReceivedCallback {
                v2_nonce: Some(nonce),
                ..v2_callback(url, &body, &signed, &signed)
            };
            assert!(
                verify_received_callback(&received, MAIN).is_err(),
                "{nonce:?}"
            );
        }
        let put = ReceivedCallback {
            method: "PUT",
            ..v2_callback(url, &body, &good, &good)
        };
        assert!(verify_received_callback(&put, MAIN).is_err());
    }

    #[test]
    fn verifies_a_signed_post_and_refuses_tampering() {
        let url = "https://example.com/verify/callback?tenant=a";
        let nonce = "12345678901234567890";
        let body = form();
        let signature = sign_v3(TOKEN, CallbackMethod::Post, url, &FIELDS, nonce);
        let received = ReceivedCallback {
            method: "POST",
            url,
            body: &body,
            v3_signature: Some(&signature),
            v3_nonce: Some(nonce),
            v2_signature: None,
            ma_v2_signature: None,
            v2_nonce: None,
        };
        assert_eq!(
            verify_received_callback(&received, MAIN)
                .unwrap()
                .replay_keys,
            [format!("callback-nonce:v3:{nonce}")]
        );
        let other = CallbackKeys {
            main: "other",
            subaccounts: &[],
        };
        assert!(verify_received_callback(&received, other).is_err());
        let tampered = body.replace("delivered", "failed");
        let e = verify_received_callback(
            &ReceivedCallback {
                body: &tampered,
                ..received
            },
            MAIN,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidSignature);
        let moved = ReceivedCallback {
            url: "https://example.com/elsewhere?tenant=a",
            ..received
        };
        assert!(verify_received_callback(&moved, MAIN).is_err());
        let unsigned = ReceivedCallback {
            v3_signature: None,
            ..received
        };
        assert!(verify_received_callback(&unsigned, MAIN).is_err());
    }

    #[test]
    fn verifies_a_signed_get_and_reports_every_verified_nonce() {
        let base = "http://127.0.0.1:9/cb?tenant=a";
        let url = format!("{base}&{}", form());
        let nonce = "42";
        let signature = sign_v3(TOKEN, CallbackMethod::Get, base, &FIELDS, nonce);
        let v2 = sign_v2(TOKEN, &url, "7");
        let received = ReceivedCallback {
            method: "get",
            url: &url,
            body: "",
            v3_signature: Some(&signature),
            v3_nonce: Some(nonce),
            v2_signature: Some(&v2),
            ma_v2_signature: None,
            v2_nonce: Some("7"),
        };
        let verified = verify_received_callback(&received, MAIN).unwrap();
        assert_eq!(verified.callback.channel.as_deref(), Some("sms"));
        assert_eq!(
            verified.replay_keys,
            ["callback-nonce:v2:7", "callback-nonce:v3:42"],
            "both nonces are spent, so neither header alone can be replayed"
        );
    }
}
