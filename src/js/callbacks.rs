//! Status callbacks for JavaScript: signature checks, a whole-request verifier for workers
//! and servers, and the parser of the documented fields.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::api::callback::{
    parse_status_callback, take_callback_options, verify_received_callback, verify_v2_headers,
    CallbackKeys, ReceivedCallback, StatusCallback,
};
use crate::api::error::{Error, ErrorCode};
use crate::api::options::Options;
use crate::api::params::{is_http_url, is_non_empty};
use crate::api::params::{optional_text, required_text, HTTP_URL, NON_EMPTY};
use crate::api::signature::{split_signatures, verify_v3, CallbackMethod};
use crate::js::convert::{self, property, type_name};
use crate::js::error;
use crate::js::limiter::Store;
use crate::js::proxy::{read_request, BODY_TIMEOUT_MS};
use crate::js::web::Request;
use crate::proxy::handler::{nonce_rules, LimitStore};
use crate::proxy::limits::{Action, Decision, MemoryStore};

fn method_rule(text: &str) -> bool {
    text.eq_ignore_ascii_case("GET") || text.eq_ignore_ascii_case("POST")
}

/// The required strings every signature check needs.
fn take_required(options: &mut Options, name: &'static str) -> Result<String, Error> {
    let (rule, expected): (fn(&str) -> bool, &str) = match name {
        "url" => (is_http_url, HTTP_URL),
        "method" => (method_rule, "\"GET\" or \"POST\""),
        _ => (is_non_empty, NON_EMPTY),
    };
    required_text(name, options.take(name), rule, expected)
}

/// Checks a V3 signature (`X-Plivo-Signature-V3`, may hold several, comma-separated) of a
/// callback with its URL, parameters and nonce. Constant-time. Throws `VerifyError` only
/// for bad arguments.
#[wasm_bindgen(js_name = verifyCallbackSignature)]
pub fn verify_callback_signature(
    #[wasm_bindgen(unchecked_param_type = "VerifyCallbackSignatureParams")] params: JsValue,
) -> Result<bool, JsValue> {
    let check = || -> Result<bool, Error> {
        let mut options = convert::options("params", &params, false)?;
        let method = take_required(&mut options, "method")?;
        let url = take_required(&mut options, "url")?;
        let nonce = take_required(&mut options, "nonce")?;
        let signature = take_required(&mut options, "signature")?;
        let auth_token = take_required(&mut options, "authToken")?;
        options.take("params");
        options.finish()?;
        let pairs = convert::params("params", &property(&params, "params"))?;
        let method = if method.eq_ignore_ascii_case("GET") {
            CallbackMethod::Get
        } else {
            CallbackMethod::Post
        };
        let Some(signatures) = split_signatures(&signature) else {
            return Ok(false);
        };
        Ok(verify_v3(
            &auth_token,
            method,
            &url,
            &pairs,
            &nonce,
            &signatures,
        ))
    };
    check().map_err(error::to_js)
}

/// Checks V2 signatures (`X-Plivo-Signature-V2`, `X-Plivo-Signature-Ma-V2`; each header may
/// hold several, comma-separated): true when either verifies. They cover the URL and nonce
/// only, not the parameters, and this function remembers no nonce: `verifyCallbackRequest`
/// does both. Constant-time.
#[wasm_bindgen(js_name = verifyCallbackSignatureV2)]
pub fn verify_callback_signature_v2(
    #[wasm_bindgen(unchecked_param_type = "VerifyCallbackSignatureV2Params")] params: JsValue,
) -> Result<bool, JsValue> {
    let check = || -> Result<bool, Error> {
        let mut options = convert::options("params", &params, false)?;
        let url = take_required(&mut options, "url")?;
        let nonce = take_required(&mut options, "nonce")?;
        let signature = optional_text(
            "signature",
            options.take("signature"),
            is_non_empty,
            NON_EMPTY,
        )?;
        let ma_signature = optional_text(
            "maSignature",
            options.take("maSignature"),
            is_non_empty,
            NON_EMPTY,
        )?;
        let auth_token = take_required(&mut options, "authToken")?;
        let subaccounts = take_callback_options(&mut options)?;
        options.finish()?;
        if signature.is_none() && ma_signature.is_none() {
            return Err(Error::invalid_argument(
                "signature",
                "or maSignature is required",
            ));
        }
        let keys = CallbackKeys {
            main: &auth_token,
            subaccounts: &subaccounts,
        };
        Ok(verify_v2_headers(
            &url,
            &nonce,
            signature.as_deref(),
            ma_signature.as_deref(),
            keys,
        ))
    };
    check().map_err(error::to_js)
}

/// Reads the documented fields of a callback's parameters (`URLSearchParams`, an object, or
/// a query/form string). Does not check the signature: see `verifyCallbackRequest`.
#[wasm_bindgen(js_name = parseStatusCallback, unchecked_return_type = "StatusCallback")]
pub fn parse_status_callback_js(
    #[wasm_bindgen(unchecked_param_type = "CallbackParams")] params: JsValue,
) -> Result<JsValue, JsValue> {
    convert::params("params", &params)
        .and_then(|pairs| parse_status_callback(&pairs))
        .and_then(|callback| convert::to_js(&callback))
        .map_err(error::to_js)
}

thread_local! {
    /// The nonces `verifyCallbackRequest` accepted in this isolate (without `limitStore`).
    static SEEN_NONCES: Rc<MemoryStore> = Rc::default();
}

/// Verifies a callback `Request` as a worker or server received it, as Plivo signs Verify
/// callbacks (`X-Plivo-Signature-V2` or `-Ma-V2` with `-V2-Nonce`; V3 too), accepts each
/// nonce once in 24 hours, and returns its fields. Rejects with `VerifyError` code
/// `invalid_signature`, `replayed_callback` (a nonce already accepted) or
/// `payload_too_large`. `url`: the public URL Plivo called, when a proxy rewrote
/// `request.url`. The request's body is read from a clone, at most 4 KiB.
#[wasm_bindgen(js_name = verifyCallbackRequest, unchecked_return_type = "Promise<StatusCallback>")]
pub fn verify_callback_request(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
    #[wasm_bindgen(js_name = authToken, unchecked_param_type = "string")] auth_token: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyCallbackRequestOptions")]
    options: JsValue,
) -> Promise {
    let checked = (|| -> Result<_, Error> {
        if !request.is_object() {
            return Err(Error::invalid_argument(
                "request",
                format!("must be a Request, not {}", type_name(&request)),
            ));
        }
        let token = required_text(
            "authToken",
            convert::arg(&auth_token),
            is_non_empty,
            NON_EMPTY,
        )?;
        let mut entries = convert::options("options", &options, true)?;
        let url = optional_text("url", entries.take("url"), is_http_url, HTTP_URL)?;
        let subaccounts = take_callback_options(&mut entries)?;
        let store = Store::take_option(&mut entries, &options, || SEEN_NONCES.with(Rc::clone))?;
        entries.finish()?;
        Ok((token, url, subaccounts, store))
    })();
    wasm_bindgen_futures::future_to_promise(async move {
        let (token, public_url, subaccounts, store) = checked.map_err(error::to_js)?;
        let keys = CallbackKeys {
            main: &token,
            subaccounts: &subaccounts,
        };
        let callback = verify_request(request.unchecked_ref(), keys, public_url, &store).await;
        callback
            .and_then(|c| convert::to_js(&c))
            .map_err(error::to_js)
    })
}

async fn verify_request(
    request: &Request,
    keys: CallbackKeys<'_>,
    public_url: Option<String>,
    store: &Store,
) -> Result<StatusCallback, Error> {
    // A copy, so the caller can still read the body.
    let source = request.copy().ok_or_else(|| {
        Error::invalid_argument("request", "must be a Request: its body was already read")
    })?;
    let received = read_request(source.unchecked_ref(), BODY_TIMEOUT_MS).await?;
    let body = received.body.as_deref().ok_or_else(|| {
        Error::new(
            ErrorCode::PayloadTooLarge,
            "the callback's body is larger than 4 KiB",
        )
    })?;
    let url = public_url.as_deref().unwrap_or(&received.url);
    let callback =
        ReceivedCallback::from_headers(&received.method, url, body, |name| received.header(name));
    let verified = verify_received_callback(&callback, keys)?;
    let now_ms = js_sys::Date::now() as u64;
    match store
        .act(&nonce_rules(verified.replay_keys), Action::Record, now_ms)
        .await?
    {
        Decision::Allowed => Ok(verified.callback),
        Decision::Limited { .. } => Err(Error::new(
            ErrorCode::ReplayedCallback,
            "this callback's nonce was already accepted: a replay, or a repeat of one handled before",
        )),
    }
}
