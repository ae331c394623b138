// The wasm integration suite, included by tests/node.rs and tests/browser.rs: it drives the
// JS face exactly as JavaScript would (JsValue in, Promise out) against a Verify sandbox
// whose URL `scripts/test-wasm` bakes in as VERIFY_SANDBOX_URL.

use js_sys::{Array, Function, Object, Promise, Reflect};
use plivo_verify_wasm::js::callbacks::{
    parse_status_callback_js, verify_callback_request, verify_callback_signature,
    verify_callback_signature_v2,
};
use plivo_verify_wasm::js::client::VerifyClient;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const AUTH_ID: &str = "MAXXXXXXXXXXXXXXXXXX";
const AUTH_TOKEN: &str = "sandbox-auth-token";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &JsValue) -> Promise;
}

// Read at compile time so the browser build has it too; a clear panic beats a build error
// when the suite is compiled without the runner (clippy, an IDE).
#[allow(clippy::option_env_unwrap)]
fn sandbox() -> &'static str {
    option_env!("VERIFY_SANDBOX_URL").expect("VERIFY_SANDBOX_URL is not set: run scripts/test-wasm")
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn text(value: &JsValue, key: &str) -> String {
    get(value, key).as_string().unwrap_or_else(|| panic!("{key} is not a string"))
}

fn client_with(extra: &[(&str, JsValue)]) -> VerifyClient {
    let mut options = vec![
        ("authId", JsValue::from_str(AUTH_ID)),
        ("authToken", JsValue::from_str(AUTH_TOKEN)),
        ("baseUrl", JsValue::from_str(sandbox())),
    ];
    for (key, value) in extra {
        options.retain(|(k, _)| k != key);
        options.push((key, value.clone()));
    }
    VerifyClient::new(object(&options)).unwrap_or_else(|e| panic!("client: {}", text(&e, "message")))
}

fn client() -> VerifyClient {
    client_with(&[])
}

async fn resolves(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => value,
        Err(error) => panic!("rejected: {} {}", text(&error, "code"), text(&error, "message")),
    }
}

/// The `VerifyError` a promise rejects with.
async fn rejects(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => panic!("resolved: {value:?}"),
        Err(error) => {
            assert!(error.is_instance_of::<js_sys::Error>(), "an Error");
            assert_eq!(text(&error, "name"), "VerifyError");
            error
        }
    }
}

/// A developer endpoint of the sandbox, as JSON.
async fn dev(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let mut init = vec![("method", JsValue::from_str(method))];
    if let Some(body) = body {
        init.push(("body", JsValue::from_str(body)));
        init.push(("headers", object(&[("Content-Type", "application/json".into())])));
    }
    let response = JsFuture::from(global_fetch(&format!("{}{path}", sandbox()), &object(&init)))
        .await
        .unwrap();
    let json: Function = get(&response, "json").dyn_into().unwrap();
    JsFuture::from(json.call0(&response).unwrap().unchecked_into::<Promise>())
        .await
        .unwrap()
}

async fn otp_of(session_uuid: &str) -> String {
    text(&dev("GET", &format!("/__sandbox/sessions/{session_uuid}/otp"), None).await, "otp")
}

async fn set_faults(json: &str) {
    dev("POST", "/__sandbox/faults", Some(json)).await;
}

async fn faults_left() -> u32 {
    Array::from(&get(&dev("GET", "/__sandbox/faults", None).await, "next")).length()
}

/// A recipient no other test uses.
fn recipient() -> String {
    let n = (js_sys::Math::random() * 1e8) as u64;
    format!("+1415{n:08}")
}

async fn create(client: &VerifyClient, extra: &[(&str, JsValue)]) -> String {
    let mut params = vec![("recipient", JsValue::from_str(&recipient()))];
    params.extend(extra.iter().cloned());
    let created = resolves(client.create_session(object(&params))).await;
    assert_eq!(text(&created, "message"), "Session initiated");
    text(&created, "sessionUuid")
}

#[wasm_bindgen_test]
async fn the_whole_flow_sends_validates_and_reads_back() {
    let client = client();
    let uuid = create(&client, &[("brandName", "Acme".into()), ("codeLength", 4.into())]).await;
    let otp = otp_of(&uuid).await;
    assert_eq!(otp.len(), 4);
    let wrong = if otp == "0000" { "1111" } else { "0000" };
    let error = rejects(client.validate_session(uuid.clone().into(), wrong.into())).await;
    assert_eq!(text(&error, "code"), "bad_request");
    assert_eq!(get(&error, "status").as_f64(), Some(400.0));
    assert!(get(&error, "apiId").is_string());
    let validated = resolves(client.validate_session(uuid.clone().into(), otp.into())).await;
    assert_eq!(text(&validated, "message"), "session validated successfully.");
    let session = resolves(client.get_session(uuid.clone().into())).await;
    assert_eq!(text(&session, "sessionUuid"), uuid);
    assert_eq!(text(&session, "status"), "verified");
    assert_eq!(get(&session, "count").as_f64(), Some(1.0));
    let attempts = Array::from(&get(&session, "attemptDetails"));
    assert_eq!(attempts.length(), 1);
    assert_eq!(text(&attempts.get(0), "channel"), "sms");
    let charges = get(&session, "charges");
    assert!(text(&charges, "totalCharge").parse::<f64>().is_ok(), "money is a decimal string");
}

#[wasm_bindgen_test]
async fn errors_carry_their_code_and_status() {
    let uuid = create(&client(), &[]).await;
    let wrong_token = client_with(&[("authToken", "not-the-token".into())]);
    let error = rejects(wrong_token.get_session(uuid.clone().into())).await;
    assert_eq!(text(&error, "code"), "authentication");
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    assert!(!text(&error, "message").contains("not-the-token"), "no token in messages");

    let error = rejects(client().get_session("8e712097-8090-4644-81e7-8f4265d8354e".into())).await;
    assert_eq!(text(&error, "code"), "not_found");
    assert_eq!(get(&error, "status").as_f64(), Some(404.0));
}

#[wasm_bindgen_test]
async fn reads_retry_server_errors_and_writes_do_not() {
    let client = client();
    let uuid = create(&client, &[]).await;
    set_faults(r#"{"next": ["503", "503"]}"#).await;
    let session = resolves(client.get_session(uuid.clone().into())).await;
    assert_eq!(text(&session, "sessionUuid"), uuid, "a get succeeds on its third try");
    assert_eq!(faults_left().await, 0);

    set_faults(r#"{"next": ["503", "503", "503"]}"#).await;
    let error = rejects(client.get_session(uuid.clone().into())).await;
    assert_eq!(text(&error, "code"), "server_error");
    assert_eq!(get(&error, "status").as_f64(), Some(503.0));

    set_faults(r#"{"next": ["503", "503"]}"#).await;
    let error = rejects(client.create_session(object(&[("recipient", recipient().into())]))).await;
    assert_eq!(text(&error, "code"), "server_error");
    assert_eq!(faults_left().await, 1, "a create is not retried after a 5xx");

    // A dropped validate is not retried by the client: one fetch call. (Browsers re-send a
    // request themselves when a reused keep-alive connection closes unanswered: Chromium
    // once, Firefox sometimes twice; so more resets are queued than the client ever sends,
    // and what is left is cleared after.)
    let counting = Function::new_with_args(
        "url, init",
        "globalThis.__validateCalls = (globalThis.__validateCalls || 0) + 1; return fetch(url, init);",
    );
    let counted = client_with(&[("fetch", counting.into())]);
    set_faults(r#"{"next": ["reset", "reset", "reset", "reset"]}"#).await;
    let error = rejects(counted.validate_session(uuid.clone().into(), "123456".into())).await;
    assert_eq!(text(&error, "code"), "network");
    assert_eq!(get(&js_sys::global(), "__validateCalls").as_f64(), Some(1.0));
    set_faults(r#"{"next": []}"#).await;
}

#[wasm_bindgen_test]
async fn a_refused_write_is_retried_after_retry_after() {
    let client = client();
    set_faults(r#"{"next": ["429"]}"#).await;
    create(&client, &[]).await;
    assert_eq!(faults_left().await, 0);

    let no_retries = client_with(&[("maxRetries", 0.into())]);
    set_faults(r#"{"next": ["429"]}"#).await;
    let error = rejects(no_retries.create_session(object(&[("recipient", recipient().into())]))).await;
    assert_eq!(text(&error, "code"), "rate_limited");
    assert_eq!(get(&error, "retryAfterMs").as_f64(), Some(1000.0));
}

#[wasm_bindgen_test]
async fn a_slow_answer_times_out() {
    let uuid = create(&client(), &[]).await;
    let impatient = client_with(&[("timeoutMs", 50.into()), ("maxRetries", 0.into())]);
    set_faults(r#"{"spec": "delay=400ms"}"#).await;
    let error = rejects(impatient.get_session(uuid.into())).await;
    set_faults(r#"{"spec": ""}"#).await;
    assert_eq!(text(&error, "code"), "timeout");
}

#[wasm_bindgen_test]
async fn lists_filter_and_page() {
    let client = client();
    let brand = format!("Brand{}", (js_sys::Math::random() * 1e9) as u64);
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(create(&client, &[("brandName", brand.clone().into())]).await);
    }
    let page = resolves(client.list_sessions(object(&[
        ("brandName", brand.clone().into()),
        ("limit", 2.into()),
    ])))
    .await;
    let sessions = Array::from(&get(&page, "sessions"));
    assert_eq!(sessions.length(), 2);
    assert_eq!(text(&sessions.get(0), "sessionUuid"), created[2], "newest first");
    let meta = get(&page, "meta");
    assert!(get(&meta, "next").is_string());
    assert!(get(&meta, "previous").is_null());
    let last = resolves(client.list_sessions(object(&[
        ("brandName", brand.clone().into()),
        ("limit", 2.into()),
        ("offset", 2.into()),
    ])))
    .await;
    assert_eq!(Array::from(&get(&last, "sessions")).length(), 1);
    assert!(get(&get(&last, "meta"), "next").is_null());

    // Every page through the async iterator, waiting out two 429s on the way.
    let patient = client_with(&[("maxRetries", 0.into())]);
    set_faults(r#"{"next": ["429", "429"]}"#).await;
    let iterator = patient.sessions(object(&[("brandName", brand.into()), ("limit", 1.into())]));
    let next: Function = get(&iterator, "next").dyn_into().unwrap();
    let mut seen = Vec::new();
    loop {
        let step = resolves(next.call0(&iterator).unwrap().unchecked_into()).await;
        if get(&step, "done").as_bool() == Some(true) {
            break;
        }
        seen.push(text(&get(&step, "value"), "sessionUuid"));
    }
    created.reverse();
    assert_eq!(seen, created);
}

#[wasm_bindgen_test]
async fn callbacks_signed_by_the_sandbox_verify() {
    let client = client();
    let url = "http://127.0.0.1:9/verify/callback?tenant=a";
    let uuid = create(&client, &[("url", url.into())]).await;
    let log = loop {
        let log = dev("GET", &format!("/__sandbox/callbacks?session_uuid={uuid}"), None).await;
        let first = Array::from(&get(&log, "callbacks")).get(0);
        if !first.is_undefined() && !get(&first, "sent").is_null() {
            break first;
        }
        plivo_verify_wasm::transport::sleep(50).await;
    };
    let sent = get(&log, "sent");
    let headers = get(&sent, "headers");
    let body = text(&sent, "body");
    let signature = text(&headers, "X-Plivo-Signature-V3");
    let nonce = text(&headers, "X-Plivo-Signature-V3-Nonce");
    let check = |params: &str, token: &str| {
        verify_callback_signature(object(&[
            ("method", "POST".into()),
            ("url", url.into()),
            ("params", params.into()),
            ("nonce", nonce.clone().into()),
            ("signature", signature.clone().into()),
            ("authToken", token.into()),
        ]))
        .unwrap()
    };
    assert!(check(&body, AUTH_TOKEN));
    assert!(!check(&body, "another-token"));
    assert!(!check(&body.replace("SessionStatus=in-progress", "SessionStatus=verified"), AUTH_TOKEN));
    // V2 and Ma-V2, as Plivo signs Verify callbacks (scripts/test-wasm runs the sandbox with
    // `--sign all`, so V3 is there too).
    for (name, key) in [
        ("signature", "X-Plivo-Signature-V2"),
        ("maSignature", "X-Plivo-Signature-Ma-V2"),
    ] {
        let v2 = verify_callback_signature_v2(object(&[
            ("url", url.into()),
            ("nonce", text(&headers, "X-Plivo-Signature-V2-Nonce").into()),
            (name, text(&headers, key).into()),
            ("authToken", AUTH_TOKEN.into()),
        ]))
        .unwrap();
        assert!(v2, "{key}");
    }

    let parsed = parse_status_callback_js(body.clone().into()).unwrap();
    assert_eq!(text(&parsed, "sessionUuid"), uuid);

    // The whole request, as a worker would receive it.
    let request_class: Function = get(&js_sys::global(), "Request").dyn_into().unwrap();
    let request = |body: &str| {
        let init = object(&[
            ("method", "POST".into()),
            ("body", body.into()),
            ("headers", headers.clone()),
        ]);
        Reflect::construct(&request_class, &Array::of2(&url.into(), &init)).unwrap()
    };
    let callback = resolves(verify_callback_request(request(&body), AUTH_TOKEN.into(), JsValue::UNDEFINED)).await;
    assert_eq!(text(&callback, "sessionUuid"), uuid);
    assert_eq!(text(&callback, "channel"), "sms");
    // Its nonces are spent: the same request again, or with other parameters, is refused.
    let tampered = body.replace("Channel=sms", "Channel=voice");
    for body in [&body, &tampered] {
        let error = rejects(verify_callback_request(request(body), AUTH_TOKEN.into(), JsValue::UNDEFINED)).await;
        assert_eq!(text(&error, "code"), "replayed_callback");
    }
    let error = rejects(verify_callback_request(request(&body), "another-token".into(), JsValue::UNDEFINED)).await;
    assert_eq!(text(&error, "code"), "invalid_signature");
}

/// Every bad argument is refused before anything is sent, and the module keeps working.
#[wasm_bindgen_test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let counting = Function::new_with_args(
        "url, init",
        "globalThis.__verifyCalls = (globalThis.__verifyCalls || 0) + 1; return fetch(url, init);",
    );
    let client = client_with(&[("fetch", counting.into())]);
    let good = recipient();
    let creates: Vec<(&str, JsValue)> = vec![
        ("params", JsValue::UNDEFINED),
        ("params", JsValue::NULL),
        ("params", "+14155550100".into()),
        ("params", Array::new().into()),
        ("recipient", object(&[])),
        ("recipient", object(&[("recipient", 14155550100u64.into())])),
        ("recipient", object(&[("recipient", JsValue::NULL)])),
        ("recipient", object(&[("recipient", "+1 415 555".into())])),
        ("channel", object(&[("recipient", good.clone().into()), ("channel", "fax".into())])),
        ("method", object(&[("recipient", good.clone().into()), ("method", "PUT".into())])),
        ("url", object(&[("recipient", good.clone().into()), ("url", "/relative".into())])),
        ("codeLength", object(&[("recipient", good.clone().into()), ("codeLength", 9.into())])),
        ("codeLength", object(&[("recipient", good.clone().into()), ("codeLength", "6".into())])),
        ("appUuid", object(&[("recipient", good.clone().into()), ("appUuid", "../x".into())])),
        ("locale", object(&[("recipient", good.clone().into()), ("locale", true.into())])),
        ("recipeint", object(&[("recipient", good.clone().into()), ("recipeint", "x".into())])),
    ];
    for (argument, params) in creates {
        let error = rejects(client.create_session(params)).await;
        assert_eq!(text(&error, "code"), "invalid_argument");
        assert_eq!(text(&error, "argument"), argument);
    }
    for (argument, uuid, otp) in [
        ("sessionUuid", JsValue::from_str("../../Account/"), JsValue::from_str("123456")),
        ("sessionUuid", JsValue::from_f64(1.0), JsValue::from_str("123456")),
        ("otp", JsValue::from_str("8e712097-8090-4644-81e7-8f4265d8354e"), JsValue::from_f64(123456.0)),
        ("otp", JsValue::from_str("8e712097-8090-4644-81e7-8f4265d8354e"), JsValue::from_str("12")),
    ] {
        let error = rejects(client.validate_session(uuid, otp)).await;
        assert_eq!(text(&error, "argument"), argument);
    }
    for (argument, filter) in [
        ("filter", JsValue::from_str("status=verified")),
        ("limit", object(&[("limit", 21.into())])),
        ("offset", object(&[("offset", (-1).into())])),
        ("status", object(&[("status", "Verified".into())])),
        ("sessionTimeGt", object(&[("sessionTimeGt", "2021-03-21T11:47".into())])),
    ] {
        let error = rejects(client.list_sessions(filter)).await;
        assert_eq!(text(&error, "argument"), argument);
    }
    let error = rejects(client.get_session(JsValue::NULL)).await;
    assert_eq!(text(&error, "argument"), "sessionUuid");
    for (argument, options) in [
        ("options", JsValue::NULL),
        ("authToken", object(&[("authId", AUTH_ID.into())])),
        ("baseUrl", object(&[("authId", AUTH_ID.into()), ("authToken", "t".into()), ("baseUrl", "localhost".into())])),
        ("fetch", object(&[("authId", AUTH_ID.into()), ("authToken", "t".into()), ("fetch", "fetch".into())])),
    ] {
        let error = VerifyClient::new(options).err().expect("refused");
        assert_eq!(text(&error, "argument"), argument);
    }
    let calls = get(&js_sys::global(), "__verifyCalls");
    assert!(calls.is_undefined(), "nothing was sent: {calls:?}");
    create(&client, &[]).await;
    assert_eq!(get(&js_sys::global(), "__verifyCalls").as_f64(), Some(1.0), "and it still works");
}

#[wasm_bindgen_test]
async fn from_env_reads_a_workers_env() {
    let env = object(&[
        ("PLIVO_AUTH_ID", AUTH_ID.into()),
        ("PLIVO_AUTH_TOKEN", AUTH_TOKEN.into()),
        ("PLIVO_BASE_URL", sandbox().into()),
    ]);
    let client = VerifyClient::from_env(Some(env)).unwrap_or_else(|_| panic!("fromEnv"));
    create(&client, &[]).await;
    let error = VerifyClient::from_env(Some(object(&[("PLIVO_AUTH_ID", AUTH_ID.into())])))
        .err()
        .expect("no token");
    assert_eq!(text(&error, "argument"), "PLIVO_AUTH_TOKEN");
}
