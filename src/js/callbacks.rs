//! Status callbacks for JavaScript: signature checks, a whole-request verifier for workers
//! and servers, and the parser of the documented fields.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::api::callback::{parse_status_callback, verify_received_callback, ReceivedCallback};
use crate::api::error::Error;
use crate::api::options::Options;
use crate::api::params::{is_http_url, is_non_empty};
use crate::api::params::{optional_bool, optional_text, required_text, HTTP_URL, NON_EMPTY};
use crate::api::signature::{verify_v2, verify_v3, CallbackMethod};
use crate::js::convert::{self, property, type_name};
use crate::js::error;

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
        Ok(verify_v3(
            &auth_token,
            method,
            &url,
            &pairs,
            &nonce,
            &signature,
        ))
    };
    check().map_err(error::to_js)
}

/// Checks a V2 signature (`X-Plivo-Signature-V2`): it covers the URL only, not the
/// parameters. Constant-time.
#[wasm_bindgen(js_name = verifyCallbackSignatureV2)]
pub fn verify_callback_signature_v2(
    #[wasm_bindgen(unchecked_param_type = "VerifyCallbackSignatureV2Params")] params: JsValue,
) -> Result<bool, JsValue> {
    let check = || -> Result<bool, Error> {
        let mut options = convert::options("params", &params, false)?;
        let url = take_required(&mut options, "url")?;
        let nonce = take_required(&mut options, "nonce")?;
        let signature = take_required(&mut options, "signature")?;
        let auth_token = take_required(&mut options, "authToken")?;
        options.finish()?;
        Ok(verify_v2(&auth_token, &url, &nonce, &signature))
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

/// Verifies a callback `Request` as a worker or server received it (V3; V2 too with
/// `allowV2`, though V2 does not sign the parameters) and returns its fields; rejects with
/// `VerifyError` code `invalid_signature` otherwise. `url`: the public URL Plivo called,
/// when a proxy rewrote `request.url`. The request's body is read from a clone.
#[wasm_bindgen(js_name = verifyCallbackRequest, unchecked_return_type = "Promise<StatusCallback>")]
pub fn verify_callback_request(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
    #[wasm_bindgen(js_name = authToken, unchecked_param_type = "string")] auth_token: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyCallbackRequestOptions")]
    options: JsValue,
) -> Promise {
    let checked = (|| -> Result<(String, Option<String>, bool), Error> {
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
        let mut options = convert::options("options", &options, true)?;
        let url = optional_text("url", options.take("url"), is_http_url, HTTP_URL)?;
        let allow_v2 = optional_bool("allowV2", options.take("allowV2"))?.unwrap_or(false);
        options.finish()?;
        Ok((token, url, allow_v2))
    })();
    wasm_bindgen_futures::future_to_promise(async move {
        let (token, public_url, allow_v2) = checked.map_err(error::to_js)?;
        let callback = read_request(&request, &token, public_url, allow_v2).await;
        callback
            .and_then(|c| convert::to_js(&c))
            .map_err(error::to_js)
    })
}

async fn read_request(
    request: &JsValue,
    token: &str,
    public_url: Option<String>,
    allow_v2: bool,
) -> Result<crate::api::callback::StatusCallback, Error> {
    let bad = |what: &str| Error::invalid_argument("request", format!("must be a Request: {what}"));
    let method = property(request, "method")
        .as_string()
        .ok_or_else(|| bad("no method"))?;
    let url = match public_url {
        Some(url) => url,
        None => property(request, "url")
            .as_string()
            .ok_or_else(|| bad("no url"))?,
    };
    let headers = property(request, "headers");
    let get: Function = property(&headers, "get")
        .dyn_into()
        .map_err(|_| bad("no headers"))?;
    let header = |name: &str| -> Option<String> {
        get.call1(&headers, &JsValue::from_str(name))
            .ok()?
            .as_string()
    };
    let body = if method.eq_ignore_ascii_case("POST") {
        let source = match property(request, "clone").dyn_into::<Function>() {
            Ok(clone) => clone
                .call0(request)
                .map_err(|_| bad("its body was already read"))?,
            Err(_) => request.clone(),
        };
        let text: Function = property(&source, "text")
            .dyn_into()
            .map_err(|_| bad("no text()"))?;
        let promise: Promise = text
            .call0(&source)
            .map_err(|_| bad("its body could not be read"))?
            .unchecked_into();
        JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| bad("its body could not be read"))?
    } else {
        String::new()
    };
    let (v3_signature, v3_nonce) = (
        header("x-plivo-signature-v3"),
        header("x-plivo-signature-v3-nonce"),
    );
    let (v2_signature, v2_nonce) = (
        header("x-plivo-signature-v2"),
        header("x-plivo-signature-v2-nonce"),
    );
    verify_received_callback(
        &ReceivedCallback {
            method: &method,
            url: &url,
            body: &body,
            v3_signature: v3_signature.as_deref(),
            v3_nonce: v3_nonce.as_deref(),
            v2_signature: v2_signature.as_deref(),
            v2_nonce: v2_nonce.as_deref(),
        },
        token,
        allow_v2,
    )
}
