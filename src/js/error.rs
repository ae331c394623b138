//! `api::error::Error` as a JavaScript `VerifyError`.

use wasm_bindgen::prelude::*;

use crate::api::error::Error;

#[wasm_bindgen(module = "/src/js/verify_error.js")]
extern "C" {
    #[wasm_bindgen(js_name = VerifyError)]
    type JsVerifyError;

    #[wasm_bindgen(constructor, js_class = "VerifyError")]
    fn new(
        code: &str,
        message: &str,
        status: Option<u16>,
        api_id: Option<String>,
        retry_after_ms: Option<f64>,
        argument: Option<String>,
        reason: Option<String>,
    ) -> JsVerifyError;
}

/// The error as a thrown/rejected JS value: `VerifyError` (an `Error`).
pub fn to_js(error: Error) -> JsValue {
    JsVerifyError::new(
        error.code.as_str(),
        &error.message,
        error.status,
        error.api_id,
        error.retry_after_ms.map(|ms| ms as f64),
        error.argument,
        error.reason,
    )
    .into()
}
