//! The one place requests meet the network: a request description becomes one `exchange`
//! (`exchange.js`: the global `fetch` or the caller's, with a per-attempt timeout), the
//! retry policy applies, and the answer is a 2xx body or a typed error.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::api::error::{Error, ErrorCode};
use crate::api::model::ErrorBody;
use crate::api::request::{ApiRequest, Method};
use crate::api::retry::retry_delay;
use crate::js::convert::{from_json, property};

#[wasm_bindgen(module = "/src/js/exchange.js")]
extern "C" {
    /// `fetch` (the caller's, else the global one) and the whole answer, in one promise,
    /// with a timeout of `timeout_ms` over both (see the file). Read it with [`read_reply`].
    pub(crate) fn exchange(
        fetch: Option<&Function>,
        url: &str,
        method: &str,
        headers: &Object,
        body: Option<&str>,
        timeout_ms: u32,
        max_bytes: u32,
    ) -> Promise;

    /// A fresh `Idempotency-Key` (a random UUID where the runtime has one).
    #[wasm_bindgen(js_name = newIdempotencyKey)]
    pub(crate) fn new_idempotency_key() -> String;

    /// WebOTP's code, or `undefined` (see the file).
    #[wasm_bindgen(js_name = receiveOtp)]
    pub(crate) fn receive_otp(signal: &JsValue) -> Promise;

    /// What `exchange` resolves to.
    type Exchanged;
    #[wasm_bindgen(method, getter, structural, js_name = notResponse)]
    fn not_response(this: &Exchanged) -> Option<String>;
    #[wasm_bindgen(method, getter, structural, js_name = tooLarge)]
    fn too_large(this: &Exchanged) -> Option<bool>;
    #[wasm_bindgen(method, getter, structural)]
    fn status(this: &Exchanged) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = retryAfter)]
    fn retry_after(this: &Exchanged) -> Option<String>;
    #[wasm_bindgen(method, getter, structural)]
    fn body(this: &Exchanged) -> Vec<u8>;
}

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (present in every runtime we support).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
}

/// How requests are sent.
pub struct Transport {
    /// The caller's `fetch`, or `None` for the global one.
    fetch: Option<Function>,
    /// Per attempt.
    timeout_ms: u32,
    /// Longest answer body read.
    max_response_bytes: u32,
    /// Retries after the first attempt (see `api::retry`).
    max_retries: u32,
    /// The headers of every request, made once: without and with a JSON body.
    headers: Object,
    json_headers: Object,
}

/// An answer with a 2xx status: its status and its body, read as the caller's type.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body, at most `maxResponseBytes`.
    pub body: Vec<u8>,
}

impl Transport {
    /// A transport sending `Authorization: {authorization}` and `User-Agent: {user_agent}`.
    pub fn new(
        fetch: Option<Function>,
        timeout_ms: u32,
        max_response_bytes: u32,
        max_retries: u32,
        authorization: &str,
        user_agent: &str,
    ) -> Transport {
        let common = [
            ("Authorization", authorization),
            ("Accept", "application/json"),
            ("User-Agent", user_agent),
        ];
        Transport {
            fetch,
            timeout_ms,
            max_response_bytes,
            max_retries,
            headers: headers(&common),
            json_headers: headers(
                &[common.as_slice(), &[("Content-Type", "application/json")]].concat(),
            ),
        }
    }

    /// Sends `request`, retrying as the policy allows.
    pub async fn send(&self, request: &ApiRequest) -> Result<Answer, Error> {
        let mut retry = 0;
        loop {
            let error = match self.attempt(request).await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            let jitter = js_sys::Math::random();
            match retry_delay(request.idempotent, &error, retry, self.max_retries, jitter) {
                Some(ms) => sleep(ms).await,
                None => return Err(error),
            }
            retry += 1;
        }
    }

    async fn attempt(&self, request: &ApiRequest) -> Result<Answer, Error> {
        let (headers, body) = match (request.method, &request.body) {
            (Method::Post, Some(body)) => (&self.json_headers, Some(body.as_str())),
            _ => (&self.headers, None),
        };
        let exchanged = exchange(
            self.fetch.as_ref(),
            &request.url,
            request.method.as_str(),
            headers,
            body,
            self.timeout_ms,
            self.max_response_bytes,
        );
        plivo_answer(read_reply(exchanged).await?)
    }
}

/// A plain object of header names and values.
pub(crate) fn headers(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (name, value) in pairs {
        // Setting a string on a fresh plain object cannot throw.
        let _ = Reflect::set(&object, &(*name).into(), &(*value).into());
    }
    object
}

/// Why `fetch` failed: a timeout (our signal) or the network.
fn fetch_failure(thrown: &JsValue) -> Error {
    let name = property(thrown, "name").as_string().unwrap_or_default();
    if name == "TimeoutError" || name == "AbortError" {
        return Error::new(ErrorCode::Timeout, "the request timed out");
    }
    let detail = property(thrown, "message")
        .as_string()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "fetch failed".to_owned());
    Error::new(ErrorCode::Network, format!("network error: {detail}"))
}

/// One `fetch` call (the caller's, else the global one), read to the end.
pub(crate) struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The body, at most the exchange's `max_bytes`.
    pub body: Vec<u8>,
}

/// Awaits an [`exchange`] and reads status, `Retry-After` and body; a failure to get an
/// answer is a `timeout` or `network` error.
pub(crate) async fn read_reply(exchange: Promise) -> Result<Reply, Error> {
    let exchanged: Exchanged = JsFuture::from(exchange)
        .await
        .map_err(|thrown| fetch_failure(&thrown))?
        .unchecked_into();
    if let Some(what) = exchanged.not_response() {
        return Err(Error::invalid_response(format!(
            "fetch resolved to {what}, not a Response"
        )));
    }
    if exchanged.too_large() == Some(true) {
        return Err(Error::invalid_response(
            "the answer's body is longer than maxResponseBytes: not read further",
        ));
    }
    let status = exchanged
        .status()
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
        .map(|s| s as u16)
        .ok_or_else(|| Error::invalid_response("the answer has no HTTP status"))?;
    Ok(Reply {
        status,
        retry_after: exchanged.retry_after(),
        body: exchanged.body(),
    })
}

/// A Plivo answer: a 2xx body (read by the caller as the operation's type), or the typed
/// error its status means.
fn plivo_answer(reply: Reply) -> Result<Answer, Error> {
    let Reply {
        status,
        retry_after,
        body,
    } = reply;
    if (200..300).contains(&status) {
        return Ok(Answer { status, body });
    }
    // Whatever of its two fields an error body has (none, when it is not a JSON object).
    let body: ErrorBody = from_json(&body).unwrap_or_default();
    Err(Error::from_status(
        status,
        body.error,
        body.api_id,
        retry_after.as_deref(),
    ))
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u64) {
    let promise = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms as f64);
    });
    let _ = JsFuture::from(promise).await;
}
