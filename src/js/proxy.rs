//! The edge proxy for JavaScript: `VerifyProxy` (a worker's `fetch` handler) and
//! `verifyProof` for the app's server (the limits' stores are [`super::limiter`]). The
//! decisions are `crate::proxy`'s; this file turns fetch `Request`s into `ProxyRequest`s and
//! answers into `Response`s.

use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::api::error::{Error, ErrorCode};
use crate::api::options::Options;
use crate::api::params::{
    is_non_empty, optional_integer, optional_text, required_text, Arg, NON_EMPTY,
};
use crate::js::challenge::{Challenge, RequestCheck};
use crate::js::client::Client;
use crate::js::convert::{self, property};
use crate::js::env;
use crate::js::error;
use crate::js::limiter::Store;
use crate::js::web::{Request, Response};
use crate::proxy::config::{self, ProxyConfig};
use crate::proxy::handler::{self, Proxy, ProxyRequest, ProxyResponse, MAX_BODY};
use crate::proxy::limits::{self, MemoryStore};
use crate::proxy::proof;

#[wasm_bindgen]
extern "C" {
    /// `console.warn`.
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);
}

/// Awaits a value that may be a promise.
pub(crate) async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}

struct ProxyInner {
    proxy: Proxy<Client, Store>,
    on_status: Option<Function>,
    /// The app's `clientIp(request)`.
    client_ip: Option<Function>,
    /// How long a request's body may take to arrive.
    body_timeout_ms: u32,
    /// The bot check of `/start`, if any.
    challenge: Option<Challenge>,
}

/// Longest address taken from the app's `clientIp` (an IPv6 address is at most 45).
const MAX_CLIENT_IP: usize = 64;

/// What the app's `clientIp(request)` says (it may be async); `None` when it throws or
/// gives no usable string, so that the request counts against the shared bucket.
async fn app_client_ip(client_ip: &Function, request: &JsValue) -> Option<String> {
    let result = client_ip.call1(&JsValue::UNDEFINED, request).ok()?;
    settle(result)
        .await
        .ok()?
        .as_string()
        .filter(|ip| ip.len() <= MAX_CLIENT_IP)
}

/// The edge proxy: holds the Plivo credentials in a worker and answers the browser's
/// `/start`, `/check`, `/session/{uuid}` and Plivo's `/callback` under `basePath`.
///
/// ```js
/// const proxy = new VerifyProxy({ authId, authToken, proofSecret, allowedOrigins: [...] });
/// export default { fetch: (request) => proxy.fetch(request) };
/// ```
#[wasm_bindgen]
pub struct VerifyProxy {
    inner: Rc<ProxyInner>,
}

#[wasm_bindgen]
impl VerifyProxy {
    /// A proxy; throws `VerifyError` (`invalid_argument`) for bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "VerifyProxyOptions")] options: JsValue,
    ) -> Result<VerifyProxy, JsValue> {
        VerifyProxy::build(&options).map_err(error::to_js)
    }

    /// A proxy from a deployment's variables (a Worker's `env`, or `process.env` when
    /// `env` is not given): `PLIVO_AUTH_ID`, `PLIVO_AUTH_TOKEN`, `PROOF_SECRET` (and
    /// `PROOF_SECRET_PREVIOUS`), and optionally `PLIVO_BASE_URL`, `PUBLIC_URL`,
    /// `PROOF_AUDIENCE`, `ALLOWED_ORIGINS`, `ALLOWED_COUNTRIES`, `ALLOWED_COUNTRY_CODES`
    /// and `PLIVO_SUBACCOUNT_TOKENS` (comma-separated), `SHADOW` (`"true"`), `LIMITS`
    /// (JSON), the `VERIFY_LIMITER` binding and `LIMIT_SHARDS`. `options` are set on top
    /// (`onStatus`, `basePath`, `clientIp`…; the app's own `proofSecret` replaces the
    /// variables). `SHADOW` is `"true"` or `"false"`; `LIMIT_SHARDS` applies with the
    /// binding only. A bad value throws `VerifyError` naming the variable, never a secret.
    #[wasm_bindgen(js_name = fromEnv)]
    pub fn from_env(
        #[wasm_bindgen(unchecked_optional_param_type = "Record<string, unknown>")] env: Option<
            JsValue,
        >,
        // Not `Option`: that would take `null` for "no options", which no other option bag
        // does.
        #[wasm_bindgen(unchecked_optional_param_type = "Partial<VerifyProxyOptions>")]
        options: JsValue,
    ) -> Result<VerifyProxy, JsValue> {
        let build = || -> Result<VerifyProxy, Error> {
            let env = env::env_object(env)?;
            let from_env = env::proxy_options(&env, &options)?;
            VerifyProxy::build(&from_env.options)
                .map_err(|e| env::name_the_variable(e, &from_env.read_from))
        };
        build().map_err(error::to_js)
    }

    /// Answers one request (a worker's `fetch` handler).
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut read = match read_request(request.unchecked_ref(), inner.body_timeout_ms).await
            {
                Ok(read) => read,
                // A client trickling its body: answered, not thrown.
                Err(e) if e.code == ErrorCode::Timeout => {
                    return write_response(&handler::error(408, ErrorCode::Timeout, &e.message))
                }
                Err(e) => return Err(error::to_js(e)),
            };
            if let Some(client_ip) = &inner.client_ip {
                read.client_ip = app_client_ip(client_ip, &request).await;
            }
            let now_ms = js_sys::Date::now() as u64;
            let check = inner.challenge.as_ref().map(|challenge| RequestCheck {
                challenge,
                request: &request,
            });
            let handled = inner
                .proxy
                .handle_checked(&read, now_ms, check.as_ref())
                .await;
            for reason in &handled.shadowed {
                // Shadow mode: the refusal that was not made. Only the guard's name: no
                // number, address or session.
                console_warn(&format!(
                    "plivo-verify shadow: {reason} would have refused this request"
                ));
            }
            let mut response = handled.response;
            if let (Some(accepted), Some(on_status)) = (handled.event, &inner.on_status) {
                let delivered = match convert::to_js(&accepted.callback) {
                    Ok(event) => match on_status.call1(&JsValue::UNDEFINED, &event) {
                        Ok(result) => settle(result).await.is_ok(),
                        Err(_) => false,
                    },
                    Err(_) => false,
                };
                if !delivered {
                    inner.proxy.callback_failed(&accepted).await;
                    // 500 makes Plivo try again later; the handler's error stays private.
                    response = handler::error(
                        500,
                        ErrorCode::OnStatusFailed,
                        "the onStatus handler failed",
                    );
                }
            }
            write_response(&response)
        })
    }
}

impl VerifyProxy {
    fn build(options: &JsValue) -> Result<VerifyProxy, Error> {
        let mut entries = convert::options("options", options, false)?;
        let fetch = convert::take_fetch(&mut entries, options)?;
        let on_status = take_function(&mut entries, options, "onStatus")?;
        let client_ip = take_function(&mut entries, options, "clientIp")?;
        let body_timeout_ms =
            optional_integer("bodyTimeoutMs", entries.take("bodyTimeoutMs"), 100, 60_000)?
                .map_or(BODY_TIMEOUT_MS, |ms| ms as u32);
        let max_keys = optional_integer(
            "maxMemoryKeys",
            entries.take("maxMemoryKeys"),
            1,
            10_000_000,
        )?;
        if max_keys.is_some() && !property(options, "limitStore").is_undefined() {
            return Err(Error::invalid_argument(
                "maxMemoryKeys",
                "applies to the memory store only, not with limitStore",
            ));
        }
        let max_keys = max_keys.map_or(limits::DEFAULT_MAX_KEYS, |n| n as usize);
        let store = Store::take_option(&mut entries, options, || {
            Rc::new(MemoryStore::with_max_keys(max_keys))
        })?;
        let challenge = Challenge::take_option(&mut entries, options, fetch.clone())?;
        let config = ProxyConfig::from_options(entries)?;
        let backend = Client::new(&config.client, fetch);
        Ok(VerifyProxy {
            inner: Rc::new(ProxyInner {
                proxy: Proxy {
                    config,
                    backend,
                    store,
                },
                on_status,
                client_ip,
                body_timeout_ms,
                challenge,
            }),
        })
    }
}

/// An optional function option.
fn take_function(
    entries: &mut Options,
    options: &JsValue,
    name: &'static str,
) -> Result<Option<Function>, Error> {
    match entries.take(name) {
        Arg::Absent => Ok(None),
        Arg::Other("function") => Ok(Some(property(options, name).unchecked_into())),
        other => Err(Error::invalid_argument(
            name,
            format!("must be a function, not {}", other.type_name()),
        )),
    }
}

/// A fetch `Request` as the handler needs it; the body is read up to the limit only, and
/// for `body_timeout_ms` at most (then `timeout`).
pub(crate) async fn read_request(
    request: &Request,
    body_timeout_ms: u32,
) -> Result<ProxyRequest, Error> {
    let bad = |what: &str| Error::invalid_argument("request", format!("must be a Request: {what}"));
    let text = |value: Result<JsValue, JsValue>| value.ok().and_then(|v| v.as_string());
    let method = text(request.method())
        .ok_or_else(|| bad("no method"))?
        .to_ascii_uppercase();
    let url = text(request.url()).ok_or_else(|| bad("no url"))?;
    let mut headers = Vec::new();
    let names = request.headers().unwrap_or(JsValue::UNDEFINED);
    if let Ok(Some(entries)) = js_sys::try_iter(&names) {
        for entry in entries.flatten() {
            // A copy: a caller's object may yield entries whose reads throw.
            let Some(pair) = convert::plain_array(&entry) else {
                continue;
            };
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                headers.push((name.to_ascii_lowercase(), value));
            }
        }
    }
    let declared = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    let body = match declared {
        Some(length) if length > MAX_BODY => None,
        _ if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") => Some(String::new()),
        _ => read_bounded(request, MAX_BODY, body_timeout_ms).await?,
    };
    let json = match body
        .as_deref()
        .map(|text| convert::from_json::<Arg>(text.as_bytes()))
    {
        Some(Ok(Arg::Map(entries))) => Some(Options::new(entries)),
        _ => None,
    };
    Ok(ProxyRequest {
        method,
        url,
        headers,
        body,
        json,
        on_cloudflare: request.cf().is_ok_and(|cf| cf.is_object()),
        client_ip: None,
    })
}

#[wasm_bindgen(module = "/src/js/exchange.js")]
extern "C" {
    /// A request's body, bounded in size and time (see the file).
    #[wasm_bindgen(js_name = readBody)]
    fn read_body(request: &JsValue, max_bytes: u32, timeout_ms: u32) -> Promise;

    /// What `readBody` resolves to.
    type BodyRead;
    #[wasm_bindgen(method, getter, structural, js_name = tooLarge)]
    fn too_large(this: &BodyRead) -> Option<bool>;
    #[wasm_bindgen(method, getter, structural, js_name = timedOut)]
    fn timed_out(this: &BodyRead) -> Option<bool>;
    #[wasm_bindgen(method, getter, structural)]
    fn body(this: &BodyRead) -> Option<Vec<u8>>;
}

/// How long a request's body may take to arrive, by default.
pub(crate) const BODY_TIMEOUT_MS: u32 = 10_000;

/// The body as text, or `None` when it is longer than `max` bytes (reading stops there);
/// `timeout` when it has not arrived within `timeout_ms`.
pub(crate) async fn read_bounded(
    source: &JsValue,
    max: usize,
    timeout_ms: u32,
) -> Result<Option<String>, Error> {
    let read: BodyRead = JsFuture::from(read_body(source, max as u32, timeout_ms))
        .await
        .map_err(|_| Error::new(ErrorCode::Network, "the request's body could not be read"))?
        .unchecked_into();
    if read.timed_out() == Some(true) {
        return Err(Error::new(
            ErrorCode::Timeout,
            "the request's body did not arrive in time",
        ));
    }
    if read.too_large() == Some(true) {
        return Ok(None);
    }
    let bytes = read.body().unwrap_or_default();
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The answer as a fetch `Response`.
pub(crate) fn write_response(response: &ProxyResponse) -> Result<JsValue, JsValue> {
    let mut headers = vec![
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ];
    if !response.body.is_empty() {
        headers.insert(0, ("Content-Type", "application/json; charset=utf-8"));
    }
    headers.extend(
        response
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str())),
    );
    Response::new(response.status, &headers, &response.body).map(JsValue::from)
}

/// Checks a proof of verification from the proxy's `/check` (an HS256 JWT) with the
/// proxy's `proofSecret`, or its `proofSecrets` during a rotation (the proof's key id picks
/// one); `options.audience` / `options.issuer` must match when given. Its fields, or
/// `VerifyError` `invalid_proof` / `expired_proof`.
#[wasm_bindgen(js_name = verifyProof, unchecked_return_type = "VerifiedProof")]
pub fn verify_proof(
    #[wasm_bindgen(unchecked_param_type = "string")] proof: JsValue,
    #[wasm_bindgen(js_name = proofSecret, unchecked_param_type = "string | string[]")]
    proof_secret: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyProofOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let check = || -> Result<JsValue, Error> {
        let token = required_text("proof", convert::arg(&proof), is_non_empty, NON_EMPTY)?;
        let secrets = config::secrets("proofSecret", convert::arg(&proof_secret))?;
        let mut options = convert::options("options", &options, true)?;
        let claim = |name: &'static str, arg: Arg| {
            optional_text(
                name,
                arg,
                proof::is_claim_name,
                "the proxy's proofAudience / proofIssuer",
            )
        };
        let audience = claim("audience", options.take("audience"))?;
        let issuer = claim("issuer", options.take("issuer"))?;
        options.finish()?;
        let expected = proof::Expected {
            audience: audience.as_deref(),
            issuer: issuer.as_deref(),
        };
        let now_secs = (js_sys::Date::now() / 1000.0) as u64;
        convert::to_js(&proof::verify(&token, &secrets, &expected, now_secs)?)
    };
    check().map_err(error::to_js)
}
