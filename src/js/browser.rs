//! `VerifyBrowserClient`: the browser's side of the proxy. No credentials: it calls the
//! proxy's `/start`, `/check` and `/session/{uuid}` and answers with the same objects, or
//! rejects with the same `VerifyError`s, as the rest of the package.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::api::error::{parse_retry_after, Error, ErrorCode};
use crate::api::options::{Options, DEFAULT_TIMEOUT_MS};
use crate::api::params::*;
use crate::js::convert;
use crate::js::error;
use crate::transport::{exchange, headers, new_idempotency_key, read_reply, receive_otp};

/// A promise of `future`, through one instance of `future_to_promise` for the module (each
/// future type would bring its own copy of the glue).
fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    future_to_promise(boxed)
}

/// A path such as `/verify`, or an absolute http(s) URL; no trailing slash.
fn is_endpoint(text: &str) -> bool {
    (text.starts_with('/') && !text.starts_with("//") || is_http_url(text))
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// How long a start's `Idempotency-Key` is used again for the same number and channel: a
/// double click, or the app retrying a start that failed, within it sends one code (the
/// proxy keeps a key for its resend window, 30 s by default).
const KEY_REUSE_MS: f64 = 30_000.0;

/// The key of the last start, for [`KEY_REUSE_MS`].
struct LastStart {
    recipient: String,
    channel: &'static str,
    key: String,
    at_ms: f64,
}

/// Talks to a `VerifyProxy` from the browser.
///
/// ```js
/// const verify = new VerifyBrowserClient({ endpoint: "/verify" });
/// const { sessionUuid } = await verify.start("+14155550100", { channel: "sms" });
/// const result = await verify.check(sessionUuid, code);   // { verified: true, proof } or { verified: false, reason }
/// ```
#[wasm_bindgen]
pub struct VerifyBrowserClient {
    endpoint: String,
    fetch: Option<Function>,
    timeout_ms: u32,
    last_start: RefCell<Option<LastStart>>,
}

#[wasm_bindgen]
impl VerifyBrowserClient {
    /// `{ endpoint?: "/verify", fetch?, timeoutMs? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyBrowserClientOptions")]
        options: JsValue,
    ) -> Result<VerifyBrowserClient, JsValue> {
        let build = || -> Result<VerifyBrowserClient, Error> {
            let mut entries = convert::options("options", &options, true)?;
            let fetch = convert::take_fetch(&mut entries, &options)?;
            let endpoint = optional_text(
                "endpoint",
                entries.take("endpoint"),
                is_endpoint,
                "a path such as /verify or an absolute http(s) URL",
            )?
            .map_or_else(
                || "/verify".to_owned(),
                |e| e.trim_end_matches('/').to_owned(),
            );
            let timeout_ms = optional_integer("timeoutMs", entries.take("timeoutMs"), 1, 600_000)?
                .unwrap_or(DEFAULT_TIMEOUT_MS);
            entries.finish()?;
            Ok(VerifyBrowserClient {
                endpoint,
                fetch,
                timeout_ms: timeout_ms as u32,
                last_start: RefCell::new(None),
            })
        };
        build().map_err(error::to_js)
    }

    /// Sends a code to `recipient` (as typed: spaces, dashes and parentheses are fine).
    /// Each start carries an `Idempotency-Key`: `idempotencyKey` when given (one per user
    /// action), else the last start's for the same number and channel within 30 s, else a
    /// new one; so a double click or a retried start sends one code. `challengeToken`: the
    /// bot check's token (Turnstile's widget response), when the proxy has one.
    #[wasm_bindgen(unchecked_return_type = "Promise<StartResult>")]
    pub fn start(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] recipient: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StartOptions")] options: JsValue,
    ) -> Promise {
        let request = (|| -> Result<(String, String), Error> {
            let recipient = E164::from_typed_arg("recipient", convert::arg(&recipient))?;
            let mut options: Options = convert::options("options", &options, true)?;
            let channel = Channel::from_arg("channel", options.take("channel"))?;
            let key = optional_text(
                "idempotencyKey",
                options.take("idempotencyKey"),
                is_idempotency_key,
                IDEMPOTENCY_KEY,
            )?;
            let token = optional_text(
                "challengeToken",
                options.take("challengeToken"),
                is_challenge_token,
                CHALLENGE_TOKEN,
            )?;
            options.finish()?;
            let key = key.unwrap_or_else(|| {
                self.key_for(&recipient, channel.unwrap_or(Channel::Sms).as_str())
            });
            // The values are checked (a `+` and digits, `sms` or `voice`, a token of base64
            // characters): nothing in them needs escaping, so the JSON is written as is, with
            // no writer in this module.
            let mut body = format!(r#"{{"recipient":"{recipient}""#);
            if let Some(channel) = channel {
                body += &format!(r#","channel":"{}""#, channel.as_str());
            }
            if let Some(token) = token {
                body += &format!(r#","challengeToken":"{token}""#);
            }
            body.push('}');
            Ok((body, key))
        })();
        match request {
            Ok((body, key)) => self.send("POST", "/start".to_owned(), Ok(body), Some(key)),
            Err(e) => self.send("POST", String::new(), Err(e), None),
        }
    }

    /// The number a person typed, in E.164 (`+14155550100`) as [`start`](Self::start) reads
    /// it (spaces, dots, dashes and parentheses dropped, a missing `+` assumed), or
    /// `undefined` when it is not one: for checking a field as it is typed, by the same rule.
    #[wasm_bindgen(js_name = normaliseNumber)]
    pub fn normalise_number(
        #[wasm_bindgen(unchecked_param_type = "string")] typed: &JsValue,
    ) -> Option<String> {
        let typed = typed.as_string()?;
        E164::from_typed(&typed).map(|number| number.as_str().to_owned())
    }

    /// Checks a code: `{ verified: true, proof }` or `{ verified: false, reason }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CheckResult>")]
    pub fn check(
        &self,
        #[wasm_bindgen(js_name = sessionUuid, unchecked_param_type = "string")]
        session_uuid: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] otp: JsValue,
    ) -> Promise {
        let body = (|| -> Result<String, Error> {
            let uuid = SessionUuid::from_arg("sessionUuid", convert::arg(&session_uuid))?;
            let otp = required_text("otp", convert::arg(&otp), is_otp, OTP)?;
            // A UUID and digits: written as is (see `start`).
            Ok(format!(r#"{{"sessionUuid":"{uuid}","otp":"{otp}"}}"#))
        })();
        self.send("POST", "/check".to_owned(), body, None)
    }

    /// WebOTP: where the browser can read the code from the SMS itself (`OTPCredential`),
    /// waits for it while the page waits for the user; resolves to the code (4 to 8 digits)
    /// or `null` (no WebOTP, the user declined, or `signal` aborted: abort it when the flow
    /// ends). The SMS must end with `@your.domain #123456` (see the README: a Plivo template).
    ///
    /// ```js
    /// const waiting = new AbortController();
    /// verify.receiveCode(waiting.signal).then((code) => code && submit(code));
    /// ```
    #[wasm_bindgen(js_name = receiveCode, unchecked_return_type = "Promise<string | null>")]
    pub fn receive_code(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "AbortSignal")] signal: JsValue,
    ) -> Promise {
        let checked = (signal.is_undefined() || signal.is_object())
            .then_some(())
            .ok_or_else(|| Error::invalid_argument("signal", "must be an AbortSignal"));
        promise(async move {
            checked.map_err(error::to_js)?;
            let code = wasm_bindgen_futures::JsFuture::from(receive_otp(&signal))
                .await
                .ok()
                .and_then(|code| code.as_string())
                .filter(|code| is_otp(code));
            Ok(code.map_or(JsValue::NULL, JsValue::from))
        })
    }

    /// A session's `{ status, channel, attempts }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionStatusResult>")]
    pub fn status(
        &self,
        #[wasm_bindgen(js_name = sessionUuid, unchecked_param_type = "string")]
        session_uuid: JsValue,
    ) -> Promise {
        match SessionUuid::from_arg("sessionUuid", convert::arg(&session_uuid)) {
            Ok(uuid) => self.send("GET", format!("/session/{uuid}"), Ok(String::new()), None),
            Err(e) => self.send("GET", String::new(), Err(e), None),
        }
    }
}

impl VerifyBrowserClient {
    /// One call to the proxy; a refused argument rejects without sending anything.
    fn send(
        &self,
        method: &'static str,
        path: String,
        body: Result<String, Error>,
        idempotency_key: Option<String>,
    ) -> Promise {
        let url = format!("{}{path}", self.endpoint);
        let fetch = self.fetch.clone();
        let timeout_ms = self.timeout_ms;
        promise(async move {
            let body = body.map_err(error::to_js)?;
            let request = ProxyCall {
                url: &url,
                method,
                body,
                idempotency_key: idempotency_key.as_deref(),
            };
            call_proxy(fetch, request, timeout_ms)
                .await
                .map_err(error::to_js)
        })
    }

    /// The last start's key when it was for this number and channel within
    /// [`KEY_REUSE_MS`], else a new one (remembered).
    fn key_for(&self, recipient: &E164, channel: &'static str) -> String {
        let now = js_sys::Date::now();
        let mut last = self.last_start.borrow_mut();
        if let Some(last) = last.as_ref().filter(|l| {
            l.recipient == recipient.as_str()
                && l.channel == channel
                && now - l.at_ms < KEY_REUSE_MS
        }) {
            return last.key.clone();
        }
        // Unique is enough, not secret: a repeat of a key only ever answers the session of
        // the same number, which a `/start` for it answers anyway.
        let key = new_idempotency_key();
        *last = Some(LastStart {
            recipient: recipient.as_str().to_owned(),
            channel,
            key: key.clone(),
            at_ms: now,
        });
        key
    }
}

/// One request to the proxy.
struct ProxyCall<'a> {
    url: &'a str,
    method: &'a str,
    body: String,
    idempotency_key: Option<&'a str>,
}

/// Longest proxy answer read: the proxy's answers are a few hundred bytes.
const PROXY_ANSWER_MAX_BYTES: u32 = 64 * 1024;

async fn call_proxy(
    fetch: Option<Function>,
    call: ProxyCall<'_>,
    timeout_ms: u32,
) -> Result<JsValue, Error> {
    let mut names = vec![("Accept", "application/json")];
    if call.method == "POST" {
        names.push(("Content-Type", "application/json"));
    }
    if let Some(key) = call.idempotency_key {
        names.push(("Idempotency-Key", key));
    }
    let body = (call.method == "POST").then_some(call.body.as_str());
    let reply = read_reply(exchange(
        fetch.as_ref(),
        call.url,
        call.method,
        &headers(&names),
        body,
        timeout_ms,
        PROXY_ANSWER_MAX_BYTES,
    ))
    .await?;
    // The engine's JSON.parse: nothing of ours reads the proxy's answer.
    let text = String::from_utf8_lossy(&reply.body);
    let json = js_sys::JSON::parse(&text)
        .ok()
        .filter(|v| v.is_object() && !js_sys::Array::is_array(v));
    if (200..300).contains(&reply.status) {
        return json.ok_or_else(|| Error {
            status: Some(reply.status),
            ..Error::invalid_response("the proxy's answer is not a JSON object")
        });
    }
    // The proxy's errors: `{"error": {"code", "message", "reason"}}`.
    let detail = json.map(|body| convert::property(&body, "error"));
    let field = |name: &str| {
        detail
            .as_ref()
            .and_then(|d| convert::property(d, name).as_string())
    };
    let code = field("code")
        .and_then(|c| ErrorCode::parse(&c))
        .unwrap_or_else(|| ErrorCode::for_status(reply.status));
    let message = field("message").unwrap_or_else(|| format!("HTTP {}", reply.status));
    // A guard's name: short snake_case, anything else is dropped.
    let reason = field("reason").filter(|r| {
        (1..=40).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    });
    Err(Error {
        status: Some(reply.status),
        retry_after_ms: reply.retry_after.as_deref().and_then(parse_retry_after),
        reason,
        ..Error::new(code, message)
    })
}
