//! The one place requests meet the network: a request description becomes a `fetch` call
//! (the global one, bound like gloo-net does so it works in browsers, Node and workers, or
//! the caller's own), with a per-attempt timeout (`AbortSignal.timeout`), the retry policy,
//! and the answer read into JSON or a typed error.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::api::error::{Error, ErrorCode};
use crate::api::json;
use crate::api::model::ErrorBody;
use crate::api::params::Arg;
use crate::api::request::{ApiRequest, Endpoint, Method};
use crate::api::retry::retry_delay;
use crate::js::convert::{property, type_name};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, called as a plain function (never through `window`).
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(url: &str, init: &Object) -> Result<Promise, JsValue>;

    /// The global `setTimeout` (present in every runtime we support).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;

    /// What `fetch` resolves to; read structurally so a polyfill's object works too.
    type FetchResponse;
    #[wasm_bindgen(method, getter, structural)]
    fn status(this: &FetchResponse) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn headers(this: &FetchResponse) -> FetchHeaders;
    #[wasm_bindgen(method, structural, catch)]
    fn text(this: &FetchResponse) -> Result<Promise, JsValue>;

    type FetchHeaders;
    #[wasm_bindgen(method, structural, catch)]
    fn get(this: &FetchHeaders, name: &str) -> Result<Option<String>, JsValue>;
}

/// How requests are sent.
pub struct Transport {
    /// The caller's `fetch`, or `None` for the global one.
    pub fetch: Option<Function>,
    /// Per attempt.
    pub timeout_ms: u32,
    /// Retries after the first attempt (see `api::retry`).
    pub max_retries: u32,
    /// `User-Agent` header value.
    pub user_agent: String,
}

/// An answer with a 2xx status: its status and its body parsed as a JSON object.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The parsed body (an [`Arg::Map`]).
    pub json: Arg,
}

impl Transport {
    /// Sends `request`, retrying as the policy allows.
    pub async fn send(&self, endpoint: &Endpoint, request: &ApiRequest) -> Result<Answer, Error> {
        let mut retry = 0;
        loop {
            let error = match self.attempt(endpoint, request).await {
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

    async fn attempt(&self, endpoint: &Endpoint, request: &ApiRequest) -> Result<Answer, Error> {
        let init = self.init(endpoint, request)?;
        plivo_answer(fetch_json(self.fetch.as_ref(), &request.url, &init).await?)
    }

    /// The `RequestInit`: method, headers, body, and a fresh timeout signal.
    fn init(&self, endpoint: &Endpoint, request: &ApiRequest) -> Result<Object, Error> {
        let headers = Object::new();
        let set = |object: &Object, key: &str, value: &JsValue| {
            Reflect::set(object, &JsValue::from_str(key), value)
                .map_err(|_| Error::new(ErrorCode::Network, "could not build the request"))
        };
        set(&headers, "Authorization", &endpoint.authorization().into())?;
        set(&headers, "Accept", &"application/json".into())?;
        set(&headers, "User-Agent", &self.user_agent.as_str().into())?;
        let init = Object::new();
        set(&init, "method", &request.method.as_str().into())?;
        if let (Method::Post, Some(body)) = (request.method, &request.body) {
            set(&headers, "Content-Type", &"application/json".into())?;
            set(&init, "body", &body.as_str().into())?;
        }
        set(&init, "headers", &headers)?;
        let signal = web_sys::AbortSignal::timeout_with_u32(self.timeout_ms);
        set(&init, "signal", &signal)?;
        Ok(init)
    }
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
    /// The body.
    pub text: String,
    /// The body parsed, when it is a JSON object.
    pub json: Option<Arg>,
}

/// Calls `fetch` with `init` and reads status, `Retry-After` and body; a failure to get an
/// answer is a `timeout` or `network` error.
pub(crate) async fn fetch_json(
    fetch: Option<&Function>,
    url: &str,
    init: &Object,
) -> Result<Reply, Error> {
    let started = match fetch {
        Some(fetch) => fetch
            .call2(&JsValue::UNDEFINED, &JsValue::from_str(url), init)
            .map(|value| Promise::resolve(&value)),
        None => global_fetch(url, init),
    };
    let response = match started {
        Ok(promise) => JsFuture::from(promise).await,
        Err(thrown) => Err(thrown),
    }
    .map_err(|thrown| fetch_failure(&thrown))?;
    if !response.is_object() {
        return Err(Error::invalid_response(format!(
            "fetch resolved to {}, not a Response",
            type_name(&response)
        )));
    }
    let response: FetchResponse = response.unchecked_into();
    let status = response
        .status()
        .as_f64()
        .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
        .map(|s| s as u16)
        .ok_or_else(|| Error::invalid_response("the answer has no HTTP status"))?;
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let promise = response
        .text()
        .map_err(|_| Error::invalid_response("the answer has no text() to read its body"))?;
    let text = JsFuture::from(promise)
        .await
        .map_err(|thrown| fetch_failure(&thrown))?
        .as_string()
        .unwrap_or_default();
    let json = json::parse(&text).ok().filter(|v| matches!(v, Arg::Map(_)));
    Ok(Reply {
        status,
        retry_after,
        text,
        json,
    })
}

/// A Plivo answer: a 2xx JSON object, or the typed error its status means.
fn plivo_answer(reply: Reply) -> Result<Answer, Error> {
    let Reply {
        status,
        retry_after,
        json,
        ..
    } = reply;
    if (200..300).contains(&status) {
        return match json {
            Some(json) => Ok(Answer { status, json }),
            None => Err(Error {
                status: Some(status),
                ..Error::invalid_response("the answer is not a JSON object")
            }),
        };
    }
    let body = json.as_ref().map(ErrorBody::read).unwrap_or_default();
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
