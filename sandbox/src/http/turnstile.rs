//! `POST /turnstile/v0/siteverify`: Cloudflare Turnstile's server-side check, emulated so
//! that a proxy's bot check runs offline (point the proxy's `turnstileUrl` here).
//!
//! As Cloudflare's "Server-side validation" page describes it: a form (or JSON) body with
//! `secret`, `response` (the widget's token), optional `remoteip` and `idempotency_key`;
//! the answer `{"success", "error-codes", "challenge_ts", "hostname"}`. A token validates
//! once: presented again it is `timeout-or-duplicate`, unless with the idempotency key of
//! its first check, which gets the first answer again. Cloudflare's test secrets behave as
//! documented (`1x…AA` always passes, `2x…AA` always fails, `3x…AA` answers "already spent").
//!
//! The tokens of the emulator say what they do: `pass.<anything>` passes (once),
//! `fail.<anything>` is `invalid-input-response`, `expired.<anything>` is
//! `timeout-or-duplicate` (a token older than 300 s), and Cloudflare's dummy token
//! `XXXX.DUMMY.TOKEN.XXXX` passes like `pass.`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Largest body read (a token is at most 2,048 characters).
const MAX_BODY: usize = 8 * 1024;
/// Tokens remembered; past it the oldest half is forgotten.
const MAX_TOKENS: usize = 100_000;

/// The tokens seen, with the idempotency key and the answer of their first check.
#[derive(Clone, Default)]
pub struct Siteverify {
    seen: Arc<Mutex<Seen>>,
}

/// A token's first check: its idempotency key, its outcome (an error code when it failed),
/// and when it was seen (for forgetting the oldest).
type FirstCheck = (Option<String>, Result<(), &'static str>, u64);

#[derive(Default)]
struct Seen {
    answers: HashMap<String, FirstCheck>,
    next: u64,
}

/// A failed check's answer.
fn failure(code: &str) -> Value {
    json!({ "success": false, "error-codes": [code], "messages": [] })
}

/// The route's handler.
pub async fn siteverify(
    State(state): State<Siteverify>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Json(failure("bad-request")).into_response();
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let fields: HashMap<String, String> = if json {
        match serde_json::from_slice::<HashMap<String, Value>>(&bytes) {
            Ok(map) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
            Err(_) => return Json(failure("bad-request")).into_response(),
        }
    } else {
        form_urlencoded::parse(&bytes).into_owned().collect()
    };
    Json(state.check(&fields)).into_response()
}

impl Siteverify {
    fn check(&self, fields: &HashMap<String, String>) -> Value {
        let field = |name: &str| {
            fields
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let Some(secret) = field("secret") else {
            return failure("missing-input-secret");
        };
        let Some(token) = field("response") else {
            return failure("missing-input-response");
        };
        if token.len() > 2048 {
            return failure("invalid-input-response");
        }
        match secret {
            "1x0000000000000000000000000000000AA" => return passed(),
            "2x0000000000000000000000000000000AA" => return failure("invalid-input-response"),
            "3x0000000000000000000000000000000AA" => return failure("timeout-or-duplicate"),
            _ => {}
        }
        let key = field("idempotency_key").map(str::to_owned);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((first_key, outcome, _)) = seen.answers.get(token) {
            let repeated = first_key.is_some() && *first_key == key;
            return answer(if repeated {
                *outcome
            } else {
                Err("timeout-or-duplicate")
            });
        }
        let outcome = if token.starts_with("pass.") || token == "XXXX.DUMMY.TOKEN.XXXX" {
            Ok(())
        } else if token.starts_with("expired.") {
            Err("timeout-or-duplicate")
        } else {
            Err("invalid-input-response")
        };
        if seen.answers.len() >= MAX_TOKENS {
            let cut = seen.next - (MAX_TOKENS as u64) / 2;
            seen.answers.retain(|_, (_, _, at)| *at >= cut);
        }
        let at = seen.next;
        seen.next += 1;
        seen.answers.insert(token.to_owned(), (key, outcome, at));
        answer(outcome)
    }
}

/// The answer for an outcome.
fn answer(outcome: Result<(), &str>) -> Value {
    match outcome {
        Ok(()) => passed(),
        Err(code) => failure(code),
    }
}

fn passed() -> Value {
    json!({
        "success": true,
        "error-codes": [],
        "challenge_ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "hostname": "sandbox.turnstile.local",
        "action": "",
        "cdata": "",
        "messages": []
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &Siteverify, token: &str, key: Option<&str>) -> Value {
        let mut fields = HashMap::from([
            ("secret".to_owned(), "sandbox-turnstile-secret".to_owned()),
            ("response".to_owned(), token.to_owned()),
        ]);
        if let Some(key) = key {
            fields.insert("idempotency_key".into(), key.into());
        }
        s.check(&fields)
    }

    #[test]
    fn tokens_pass_once_fail_or_expire_and_an_idempotent_retry_is_answered_again() {
        let s = Siteverify::default();
        assert_eq!(check(&s, "pass.1", Some("k1"))["success"], true);
        assert_eq!(
            check(&s, "pass.1", Some("k1"))["success"],
            true,
            "the retry"
        );
        // (token, idempotency key, the error code expected), in order: each sees the ones before.
        for (token, key, code) in [
            ("pass.1", Some("k2"), "timeout-or-duplicate"),
            ("pass.1", None, "timeout-or-duplicate"),
            ("fail.1", None, "invalid-input-response"),
            ("fail.1", None, "timeout-or-duplicate"),
            ("expired.1", Some("k3"), "timeout-or-duplicate"),
            ("expired.1", Some("k3"), "timeout-or-duplicate"),
            ("", None, "missing-input-response"),
        ] {
            assert_eq!(
                check(&s, token, key)["error-codes"][0],
                code,
                "{token} {key:?}"
            );
        }
        let no_secret = HashMap::from([("response".to_owned(), "pass.2".to_owned())]);
        assert_eq!(
            s.check(&no_secret)["error-codes"][0],
            "missing-input-secret"
        );
        let always = |secret: &str| {
            let fields = HashMap::from([
                ("secret".to_owned(), secret.to_owned()),
                ("response".to_owned(), "anything".to_owned()),
            ]);
            s.check(&fields)["success"].clone()
        };
        assert_eq!(always("1x0000000000000000000000000000000AA"), true);
        assert_eq!(always("2x0000000000000000000000000000000AA"), false);
    }
}
