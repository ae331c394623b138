//! Status callbacks as a receiver gets them: method, URL, form or query body and the
//! signature headers (V3, V2 and Ma-V2), unsigned and signed; the parameters once a
//! signature passes; both signature schemes' checks.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use plivo_verify_core::api::callback::{
    parse_status_callback, verify_received_callback, CallbackKeys, ReceivedCallback,
};
use plivo_verify_core::api::signature::{
    sign_v2, sign_v3, split_signatures, verify_v2, verify_v3, CallbackMethod,
};

const TOKEN: &str = "plivo-auth-token-for-fuzzing";

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    get: bool,
    url: &'a str,
    body: &'a str,
    v3_signature: Option<&'a str>,
    v3_nonce: Option<&'a str>,
    v2_signature: Option<&'a str>,
    ma_v2_signature: Option<&'a str>,
    v2_nonce: Option<&'a str>,
    /// Replace the V2 signature by a valid one, so that the body reaches the parser.
    sign: bool,
    subaccounts: Vec<String>,
    params: Vec<(&'a str, &'a str)>,
}

fuzz_target!(|input: Input<'_>| {
    let method = if input.get { "GET" } else { "POST" };
    let signed = sign_v2(TOKEN, input.url, input.v2_nonce.unwrap_or(""));
    let v2 = if input.sign {
        Some(signed.as_str())
    } else {
        input.v2_signature
    };
    let callback =
        ReceivedCallback::from_headers(method, input.url, input.body, |name| match name {
            "x-plivo-signature-v3" => input.v3_signature,
            "x-plivo-signature-v3-nonce" => input.v3_nonce,
            "x-plivo-signature-v2" => v2,
            "x-plivo-signature-ma-v2" => input.ma_v2_signature,
            "x-plivo-signature-v2-nonce" => input.v2_nonce,
            _ => None,
        });
    let subaccounts: Vec<String> = input.subaccounts.into_iter().take(100).collect();
    let keys = CallbackKeys {
        main: TOKEN,
        subaccounts: &subaccounts,
    };
    let _ = verify_received_callback(&callback, keys);
    let _ = parse_status_callback(&input.params);
    for header in [
        input.v3_signature,
        input.v2_signature,
        input.ma_v2_signature,
    ]
    .into_iter()
    .flatten()
    {
        let _ = split_signatures(header);
    }

    // What one signs verifies; the same under another token does not.
    let scheme = if input.get {
        CallbackMethod::Get
    } else {
        CallbackMethod::Post
    };
    let nonce = input.v3_nonce.unwrap_or("");
    let v3 = sign_v3(TOKEN, scheme, input.url, &input.params, nonce);
    assert!(verify_v3(
        TOKEN,
        scheme,
        input.url,
        &input.params,
        nonce,
        &[&v3]
    ));
    assert!(!verify_v3(
        "another-token",
        scheme,
        input.url,
        &input.params,
        nonce,
        &[&v3]
    ));
    assert!(verify_v2(
        TOKEN,
        input.url,
        nonce,
        &[&sign_v2(TOKEN, input.url, nonce)]
    ));
});
