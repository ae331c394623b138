//! Status callbacks: the documented fields, and checking a received request end to end.

use super::error::{Error, ErrorCode};
use super::json::Json;
use super::model::{opt_text, ToJson};
use super::signature::{verify_v2, verify_v3, CallbackMethod};

/// One status change of a session, as Plivo reports it to the callback URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// 1 for the first attempt, 2 for the first re-send, …
    pub attempt_sequence: Option<u64>,
    /// The SMS or call this is about.
    pub attempt_uuid: Option<String>,
    /// `sms` or `voice`, lower case.
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
    pub session_status: Option<String>,
    /// The session (required: a callback without it is not one).
    pub session_uuid: String,
}

impl ToJson for StatusCallback {
    fn to_json(&self) -> Json<'_> {
        Json::Object(vec![
            (
                "attemptSequence",
                self.attempt_sequence.map_or(Json::Null, Json::Int),
            ),
            ("attemptUuid", opt_text(&self.attempt_uuid)),
            ("channel", opt_text(&self.channel)),
            ("channelErrorCode", opt_text(&self.channel_error_code)),
            ("channelStatus", opt_text(&self.channel_status)),
            ("recipient", opt_text(&self.recipient)),
            ("requestTime", opt_text(&self.request_time)),
            ("sessionStatus", opt_text(&self.session_status)),
            ("sessionUuid", Json::str(self.session_uuid.as_str())),
        ])
    }
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
    /// `X-Plivo-Signature-V2`.
    pub v2_signature: Option<&'a str>,
    /// `X-Plivo-Signature-V2-Nonce`.
    pub v2_nonce: Option<&'a str>,
}

/// Checks a received callback's signature (V3; V2 too when `allow_v2`, though it does not
/// cover the parameters) and returns its fields; `invalid_signature` otherwise.
pub fn verify_received_callback(
    callback: &ReceivedCallback<'_>,
    auth_token: &str,
    allow_v2: bool,
) -> Result<StatusCallback, Error> {
    let method = if callback.method.eq_ignore_ascii_case("GET") {
        CallbackMethod::Get
    } else if callback.method.eq_ignore_ascii_case("POST") {
        CallbackMethod::Post
    } else {
        return Err(invalid_signature("callbacks arrive by GET or POST"));
    };
    let params: Vec<(String, String)> = match method {
        CallbackMethod::Get => parse_pairs(callback.url.split_once('?').map_or("", |(_, q)| q)),
        CallbackMethod::Post => parse_pairs(callback.body),
    };
    let v3_ok = match (callback.v3_signature, callback.v3_nonce) {
        (Some(signature), Some(nonce)) => {
            verify_v3(auth_token, method, callback.url, &params, nonce, signature)
        }
        _ => false,
    };
    let v2_ok = allow_v2
        && match (callback.v2_signature, callback.v2_nonce) {
            (Some(signature), Some(nonce)) => verify_v2(auth_token, callback.url, nonce, signature),
            _ => false,
        };
    if !(v3_ok || v2_ok) {
        return Err(invalid_signature(
            "the callback's X-Plivo-Signature-V3 does not match its URL, parameters and the auth token",
        ));
    }
    parse_status_callback(&params)
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
            v2_nonce: None,
        };
        assert!(verify_received_callback(&received, TOKEN, false).is_ok());
        assert!(verify_received_callback(&received, "other", false).is_err());
        let tampered = body.replace("delivered", "failed");
        let e = verify_received_callback(
            &ReceivedCallback {
                body: &tampered,
                ..received
            },
            TOKEN,
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidSignature);
        let moved = ReceivedCallback {
            url: "https://example.com/elsewhere?tenant=a",
            ..received
        };
        assert!(verify_received_callback(&moved, TOKEN, false).is_err());
        let unsigned = ReceivedCallback {
            v3_signature: None,
            ..received
        };
        assert!(verify_received_callback(&unsigned, TOKEN, true).is_err());
    }

    #[test]
    fn verifies_a_signed_get_and_v2_only_when_allowed() {
        let base = "http://127.0.0.1:9/cb?tenant=a";
        let url = format!("{base}&{}", form());
        let nonce = "42";
        let signature = sign_v3(TOKEN, CallbackMethod::Get, base, &FIELDS, nonce);
        let received = ReceivedCallback {
            method: "get",
            url: &url,
            body: "",
            v3_signature: Some(&signature),
            v3_nonce: Some(nonce),
            v2_signature: None,
            v2_nonce: None,
        };
        assert_eq!(
            verify_received_callback(&received, TOKEN, false)
                .unwrap()
                .channel
                .as_deref(),
            Some("sms")
        );
        let v2 = sign_v2(TOKEN, &url, "7");
        let v2_only = ReceivedCallback {
            v3_signature: None,
            v2_signature: Some(&v2),
            v2_nonce: Some("7"),
            ..received
        };
        assert!(verify_received_callback(&v2_only, TOKEN, false).is_err());
        assert!(verify_received_callback(&v2_only, TOKEN, true).is_ok());
    }
}
