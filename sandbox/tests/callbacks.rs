//! Status callbacks: POST and GET delivery, every documented field, the V2/Ma-V2 signatures
//! Plivo's Verify documentation describes (and V3 on request), order per session, retries,
//! and that callbacks never fail an API call.

mod common;

use std::collections::BTreeSet;

use common::*;
use plivo_verify_core::api::signature::{verify_v2, verify_v3, CallbackMethod};
use serde_json::{json, Value};

const TOKEN: &str = "cb-secret-token";
const FIELDS: [&str; 9] = [
    "AttemptSequence",
    "AttemptUUID",
    "Channel",
    "ChannelErrorCode",
    "ChannelStatus",
    "Recipient",
    "RequestTime",
    "SessionStatus",
    "SessionUUID",
];

/// A sandbox signing with every scheme, so each test checks them all.
async fn start() -> Sandbox {
    Sandbox::start(&["--auth-token", TOKEN, "--sign", "all"]).await
}

/// The callback's own parameters (without the URL's query keys for GET).
fn own_params(rec: &Recorded, url_query_keys: &[&str]) -> Vec<(String, String)> {
    rec.params()
        .into_iter()
        .filter(|(k, _)| !url_query_keys.contains(&k.as_str()))
        .collect()
}

/// Asserts that every signature verifies with `TOKEN` and fails when tampered with.
#[track_caller]
fn check_signatures(rec: &Recorded, url: &str, method: CallbackMethod) {
    let params = rec.params();
    let ma_v2 = rec
        .header("X-Plivo-Signature-Ma-V2")
        .unwrap_or_else(|| panic!("no X-Plivo-Signature-Ma-V2: {rec:?}"));
    let v3 = rec
        .header("X-Plivo-Signature-V3")
        .unwrap_or_else(|| panic!("no X-Plivo-Signature-V3: {rec:?}"));
    let v3_nonce = rec
        .header("X-Plivo-Signature-V3-Nonce")
        .unwrap_or_else(|| panic!("no X-Plivo-Signature-V3-Nonce: {rec:?}"));
    let v2 = rec
        .header("X-Plivo-Signature-V2")
        .unwrap_or_else(|| panic!("no X-Plivo-Signature-V2: {rec:?}"));
    let v2_nonce = rec
        .header("X-Plivo-Signature-V2-Nonce")
        .unwrap_or_else(|| panic!("no X-Plivo-Signature-V2-Nonce: {rec:?}"));
    assert!(!v3_nonce.is_empty() && !v2_nonce.is_empty());

    let (v2, ma_v2, v3) = (&[v2], &[ma_v2], &[v3]);
    assert!(
        verify_v3(TOKEN, method, url, &params, v3_nonce, v3),
        "V3 signature does not verify: {rec:?}"
    );
    assert!(
        verify_v2(TOKEN, url, v2_nonce, v2),
        "V2 signature does not verify: {rec:?}"
    );
    assert!(
        verify_v2(TOKEN, url, v2_nonce, ma_v2),
        "Ma-V2 signature does not verify: {rec:?}"
    );
    // The URL the receiver saw, rebuilt, verifies too.
    let seen = format!("http://{}{}", rec.header("host").expect("Host"), rec.uri);
    if method == CallbackMethod::Post {
        assert!(verify_v3(TOKEN, method, &seen, &params, v3_nonce, v3));
    }
    assert!(verify_v2(TOKEN, &seen, v2_nonce, v2));

    // Wrong token.
    assert!(!verify_v3(AUTH_TOKEN, method, url, &params, v3_nonce, v3));
    assert!(!verify_v2(AUTH_TOKEN, url, v2_nonce, v2));
    assert!(!verify_v2(AUTH_TOKEN, url, v2_nonce, ma_v2));
    // Wrong nonce.
    assert!(!verify_v3(TOKEN, method, url, &params, "1", v3));
    assert!(!verify_v2(TOKEN, url, "1", v2));
    // Each field tampered with.
    for field in FIELDS {
        let tampered: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| {
                if k == field {
                    (k.clone(), format!("{v}x"))
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect();
        assert!(
            !verify_v3(TOKEN, method, url, &tampered, v3_nonce, v3),
            "V3 still verifies with {field} tampered"
        );
    }
    // A dropped field.
    let dropped: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "SessionStatus")
        .cloned()
        .collect();
    assert!(!verify_v3(TOKEN, method, url, &dropped, v3_nonce, v3));
}

/// Asserts every documented field is present and consistent with the session.
#[track_caller]
fn check_fields(rec: &Recorded, session: &Value, url_query_keys: &[&str]) {
    let params = own_params(rec, url_query_keys);
    let keys: BTreeSet<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    for f in FIELDS {
        assert!(keys.contains(f), "callback without {f}: {rec:?}");
    }
    assert_eq!(
        rec.p("SessionUUID"),
        session["session_uuid"].as_str().unwrap()
    );
    assert_eq!(rec.p("Recipient"), session["recipient"].as_str().unwrap());
    let seq: usize = rec
        .p("AttemptSequence")
        .parse()
        .expect("AttemptSequence is a number");
    assert!(seq >= 1, "{rec:?}");
    let attempt = &session["attempt_details"][seq - 1];
    assert_eq!(
        rec.p("AttemptUUID"),
        attempt["attempt_uuid"].as_str().unwrap(),
        "{rec:?}"
    );
    assert_eq!(
        rec.p("Channel"),
        attempt["channel"].as_str().unwrap(),
        "{rec:?}"
    );
    parse_request_time(&rec.p("RequestTime"));
    let status = rec.p("SessionStatus");
    assert!(
        ["in-progress", "verified", "expired"].contains(&status.as_str()),
        "{rec:?}"
    );
}

fn has(requests: &[Recorded], key: &str, value: &str) -> bool {
    requests
        .iter()
        .any(|r| r.answered == 200 && r.param(key).as_deref() == Some(value))
}

/// The ChannelStatus values of the in-progress callbacks, in order.
fn channel_statuses(requests: &[Recorded]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.param("SessionStatus").as_deref() == Some("in-progress"))
        .map(|r| r.p("ChannelStatus"))
        .collect()
}

#[track_caller]
fn assert_progress(statuses: &[String], expected: &[&str], first: &str) {
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    if statuses.first().map(String::as_str) == Some(first) {
        want.insert(0, first.to_owned());
    }
    assert_eq!(
        statuses,
        want.as_slice(),
        "channel status callbacks in order"
    );
}

/// A parameter of a `/__sandbox/callbacks` entry, whether `params` is an object or pairs.
fn entry_param(entry: &Value, key: &str) -> Option<String> {
    match &entry["params"] {
        Value::Object(map) => map.get(key).and_then(Value::as_str).map(str::to_owned),
        Value::Array(items) => items.iter().find_map(|item| match item {
            Value::Array(pair) if pair.len() == 2 && pair[0] == key => {
                pair[1].as_str().map(str::to_owned)
            }
            _ => None,
        }),
        Value::String(s) => parse_pairs(s)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v),
        _ => None,
    }
}

/// Polls `/__sandbox/callbacks` until `done` holds.
async fn wait_entries(
    sb: &Sandbox,
    uuid: &str,
    secs: u64,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Deadline::secs(secs);
    loop {
        let entries = sb.callbacks(Some(uuid)).await;
        if done(&entries) {
            return entries;
        }
        if deadline.passed() {
            panic!("timed out waiting for {what}: {entries:#?}");
        }
        deadline.tick(what).await;
    }
}

const SUBACCOUNT: &str = "SAXXXXXXXXXXXXXXXXX1";
const SUBACCOUNT_TOKEN: &str = "sub-secret-token";

/// By default callbacks are signed as Plivo's Verify docs say: V2 with the token of the
/// (sub)account that made the session, Ma-V2 with the main token, one nonce, and no V3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_callbacks_carry_v2_and_ma_v2_with_the_sessions_account_token() {
    let subaccount = format!("{SUBACCOUNT}:{SUBACCOUNT_TOKEN}");
    let sb = Sandbox::start(&["--auth-token", TOKEN, "--subaccount", &subaccount]).await;
    let rx = Receiver::start(0).await;
    let url = rx.url("/hooks/plivo");
    let main_uuid = sb
        .create_ok(json!({ "recipient": "+14155550411", "url": url }))
        .await;
    let sub_resp = sb
        .send(
            sb.client
                .post(sb.url(&format!("/v1/Account/{SUBACCOUNT}/Verify/Session/")))
                .basic_auth(SUBACCOUNT, Some(SUBACCOUNT_TOKEN))
                .json(&json!({ "recipient": "+14155550412", "url": url })),
        )
        .await
        .ok_json(202);
    let sub_uuid = sub_resp["session_uuid"].as_str().unwrap().to_owned();
    let requests = rx
        .wait_until(10, "a callback of each session", |r| {
            has(r, "SessionUUID", &main_uuid) && has(r, "SessionUUID", &sub_uuid)
        })
        .await;
    for rec in &requests {
        let v2 = rec.header("X-Plivo-Signature-V2").expect("V2");
        let ma = rec.header("X-Plivo-Signature-Ma-V2").expect("Ma-V2");
        let nonce = rec.header("X-Plivo-Signature-V2-Nonce").expect("V2-Nonce");
        assert_eq!(nonce.len(), 20, "{rec:?}");
        assert!(nonce.bytes().all(|b| b.is_ascii_digit()));
        assert!(
            rec.header("X-Plivo-Signature-V3").is_none(),
            "V3 only when asked"
        );
        assert!(verify_v2(TOKEN, &url, nonce, &[ma]), "Ma-V2: main token");
        let account_token = if rec.p("SessionUUID") == sub_uuid {
            SUBACCOUNT_TOKEN
        } else {
            TOKEN
        };
        assert!(verify_v2(account_token, &url, nonce, &[v2]), "{rec:?}");
        if account_token == SUBACCOUNT_TOKEN {
            assert!(!verify_v2(TOKEN, &url, nonce, &[v2]));
        }
    }
    let nonces: BTreeSet<String> = requests
        .iter()
        .filter_map(|r| r.header("X-Plivo-Signature-V2-Nonce"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        nonces.len(),
        requests.len(),
        "a new nonce for every request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_v3_sends_only_v3() {
    let sb = Sandbox::start(&["--auth-token", TOKEN, "--sign", "v3"]).await;
    let rx = Receiver::start(0).await;
    let url = rx.url("/hooks/v3");
    sb.create_ok(json!({ "recipient": "+14155550413", "url": url }))
        .await;
    let requests = rx.wait_until(10, "a callback", |r| !r.is_empty()).await;
    let rec = &requests[0];
    assert!(rec.header("X-Plivo-Signature-V2").is_none());
    assert!(rec.header("X-Plivo-Signature-Ma-V2").is_none());
    let v3 = rec.header("X-Plivo-Signature-V3").expect("V3");
    let nonce = rec.header("X-Plivo-Signature-V3-Nonce").expect("V3-Nonce");
    assert!(verify_v3(
        TOKEN,
        CallbackMethod::Post,
        &url,
        &rec.params(),
        nonce,
        &[v3]
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_callbacks_carry_every_field_and_are_signed() {
    let sb = start().await;
    let rx = Receiver::start(0).await;
    let url = rx.url("/hooks/verify?tag=abc&x=1");
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550401", "url": url }))
        .await;
    sb.advance(10).await;
    rx.wait_until(10, "the delivered callback", |r| {
        has(r, "ChannelStatus", "delivered")
    })
    .await;
    let otp = sb.otp(&uuid).await;
    sb.validate(&uuid, &otp).await.ok_json(200);
    let requests = rx
        .wait_until(10, "the verified callback", |r| {
            has(r, "SessionStatus", "verified")
        })
        .await;
    let session = sb.get_ok(&uuid).await;

    for rec in &requests {
        assert_eq!(rec.method, "POST", "{rec:?}");
        assert_eq!(rec.path(), "/hooks/verify");
        assert_eq!(
            rec.query_pairs(),
            vec![("tag".into(), "abc".into()), ("x".into(), "1".into())],
            "the URL's own query is kept"
        );
        let ct = rec.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/x-www-form-urlencoded"),
            "form data: {ct:?}"
        );
        assert!(rec.form_pairs().iter().all(|(k, _)| k != "tag"));
        check_fields(rec, &session, &[]);
        assert_eq!(rec.p("Channel"), "sms");
        assert_eq!(rec.p("AttemptSequence"), "1");
        check_signatures(rec, &url, CallbackMethod::Post);
    }
    assert_progress(
        &channel_statuses(&requests),
        &["sent", "delivered"],
        "queued",
    );
    let last = requests.last().expect("callbacks");
    assert_eq!(last.p("SessionStatus"), "verified", "verified comes last");
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.p("SessionStatus") == "verified")
            .count(),
        1
    );
    assert!(requests.iter().all(|r| r.p("ChannelErrorCode") != "30008"));

    // The dev view agrees: all delivered once, newest first.
    let entries = wait_entries(&sb, &uuid, 10, "all delivered", |e| {
        e.len() == requests.len() && e.iter().all(|x| x["state"] == "delivered")
    })
    .await;
    for e in &entries {
        assert_eq!(e["session_uuid"], uuid.as_str());
        assert_eq!(e["url"], url.as_str());
        assert_eq!(e["method"], "POST");
        assert_eq!(e["tries"], 1, "{e}");
        assert_eq!(e["last_status"], 200, "{e}");
    }
    assert_eq!(
        entry_param(&entries[0], "SessionStatus").as_deref(),
        Some("verified"),
        "newest first: {}",
        entries[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_callbacks_use_the_query_with_the_urls_own_parameters() {
    let sb = start().await;
    let rx = Receiver::start(0).await;
    let url = rx.url("/cb/get?token=abc&mode=test");
    let uuid = sb
        .create_ok(json!({
            "recipient": "+447700900402",
            "channel": "voice",
            "url": url,
            "method": "GET",
        }))
        .await;
    sb.advance(20).await;
    let requests = rx
        .wait_until(10, "the completed callback", |r| {
            has(r, "ChannelStatus", "completed")
        })
        .await;
    let session = sb.get_ok(&uuid).await;
    for rec in &requests {
        assert_eq!(rec.method, "GET", "{rec:?}");
        assert_eq!(rec.path(), "/cb/get");
        assert!(rec.body.is_empty(), "GET without a body: {rec:?}");
        assert_eq!(rec.param("token").as_deref(), Some("abc"));
        assert_eq!(rec.param("mode").as_deref(), Some("test"));
        check_fields(rec, &session, &["token", "mode"]);
        assert_eq!(rec.p("Channel"), "voice");
        assert_eq!(rec.p("Recipient"), "447700900402");
        check_signatures(rec, &url, CallbackMethod::Get);
    }
    assert_progress(
        &channel_statuses(&requests),
        &["in-progress", "completed"],
        "ringing",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_resends_and_expiry_are_reported() {
    let sb = start().await;
    let rx = Receiver::start(0).await;
    let url = rx.url("/cb");
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550000", "url": url }))
        .await;
    sb.advance(10).await;
    let requests = rx
        .wait_until(10, "the undelivered callback", |r| {
            has(r, "ChannelStatus", "undelivered")
        })
        .await;
    let undelivered = requests
        .iter()
        .find(|r| r.p("ChannelStatus") == "undelivered")
        .expect("undelivered");
    assert_eq!(undelivered.p("ChannelErrorCode"), "30008");
    assert_eq!(undelivered.p("SessionStatus"), "in-progress");
    assert_eq!(undelivered.p("AttemptSequence"), "1");

    // A resend by voice: attempt 2 ends no-answer (480), after a time the README leaves
    // open; two minutes is plenty.
    let again = sb
        .create_ok(json!({ "recipient": "+14155550000", "url": url, "channel": "voice" }))
        .await;
    assert_eq!(again, uuid);
    sb.advance(120).await;
    let requests = rx
        .wait_until(10, "the no-answer callback", |r| {
            has(r, "ChannelStatus", "no-answer")
        })
        .await;
    let session = sb.get_ok(&uuid).await;
    let no_answer = requests
        .iter()
        .find(|r| r.p("ChannelStatus") == "no-answer")
        .expect("no-answer");
    assert_eq!(no_answer.p("ChannelErrorCode"), "480");
    assert_eq!(no_answer.p("AttemptSequence"), "2");
    assert_eq!(no_answer.p("Channel"), "voice");
    for rec in &requests {
        check_fields(rec, &session, &[]);
        check_signatures(rec, &url, CallbackMethod::Post);
    }
    // Attempt 1's callbacks all come before attempt 2's.
    let seqs: Vec<String> = requests.iter().map(|r| r.p("AttemptSequence")).collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(seqs, sorted);

    // Expiry is a status change too.
    sb.advance(700).await;
    let requests = rx
        .wait_until(10, "the expired callback", |r| {
            has(r, "SessionStatus", "expired")
        })
        .await;
    assert_eq!(
        requests.last().map(|r| r.p("SessionStatus")).as_deref(),
        Some("expired")
    );
    assert_eq!(sb.get_ok(&uuid).await["status"], "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_by_too_many_attempts_is_reported() {
    let sb = Sandbox::start(&[
        "--auth-token",
        TOKEN,
        "--max-attempts",
        "2",
        "--sign",
        "all",
    ])
    .await;
    let rx = Receiver::start(0).await;
    let url = rx.url("/cb");
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550403", "url": url }))
        .await;
    sb.wrong_codes_until_expired(&uuid).await;
    let requests = rx
        .wait_until(10, "the expired callback", |r| {
            has(r, "SessionStatus", "expired")
        })
        .await;
    let expired = requests
        .iter()
        .filter(|r| r.p("SessionStatus") == "expired")
        .count();
    assert_eq!(expired, 1);
    for rec in &requests {
        check_signatures(rec, &url, CallbackMethod::Post);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_retry_and_stay_in_order() {
    let sb = start().await;
    let rx = Receiver::start(2).await;
    let url = rx.url("/retry");
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550404", "url": url }))
        .await;
    sb.advance(10).await;
    let otp = sb.otp(&uuid).await;
    sb.validate(&uuid, &otp).await.ok_json(200);
    let requests = rx
        .wait_until(20, "the verified callback", |r| {
            has(r, "SessionStatus", "verified")
        })
        .await;

    // The first event was tried three times (500, 500, 200) before anything else was sent.
    assert!(requests.len() >= 4, "{requests:#?}");
    let answered: Vec<u16> = requests.iter().map(|r| r.answered).collect();
    assert_eq!(&answered[..3], &[500, 500, 200], "{requests:#?}");
    assert!(answered[3..].iter().all(|s| *s == 200));
    let first = requests[0].params();
    assert_eq!(requests[1].params(), first, "a retry repeats the event");
    assert_eq!(requests[2].params(), first, "a retry repeats the event");
    for rec in &requests {
        check_signatures(rec, &url, CallbackMethod::Post);
    }
    // After the retries, each event exactly once and in order.
    let delivered: Vec<Recorded> = requests[2..].to_vec();
    assert_progress(
        &channel_statuses(&delivered),
        &["sent", "delivered"],
        "queued",
    );
    assert_eq!(
        delivered.last().map(|r| r.p("SessionStatus")).as_deref(),
        Some("verified")
    );

    let entries = wait_entries(&sb, &uuid, 10, "all delivered", |e| {
        e.len() == delivered.len() && e.iter().all(|x| x["state"] == "delivered")
    })
    .await;
    let oldest = entries.last().expect("entries");
    assert_eq!(oldest["tries"], 3, "{oldest}");
    assert_eq!(oldest["last_status"], 200, "{oldest}");
    assert!(entries[..entries.len() - 1].iter().all(|e| e["tries"] == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_three_retries_then_failed() {
    let sb = start().await;
    let rx = Receiver::start(usize::MAX).await;
    let url = rx.url("/down");
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550405", "url": url }))
        .await;
    let entries = wait_entries(&sb, &uuid, 25, "a failed callback", |e| {
        e.last().is_some_and(|x| x["state"] == "failed")
    })
    .await;
    let oldest = entries.last().expect("entries");
    assert_eq!(oldest["tries"], 4, "1 try + 3 retries: {oldest}");
    assert_eq!(oldest["last_status"], 500, "{oldest}");
    let requests = rx.requests();
    let first = requests[0].params();
    assert_eq!(
        requests.iter().filter(|r| r.params() == first).count(),
        4,
        "{requests:#?}"
    );
    // The API was never affected.
    sb.get_ok(&uuid).await;
    let otp = sb.otp(&uuid).await;
    sb.validate(&uuid, &otp).await.ok_json(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_callback_url_never_fails_the_api() {
    let sb = start().await;
    let url = format!("http://127.0.0.1:{}/nobody-home?x=1", closed_port());
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550406", "url": url }))
        .await;
    assert_eq!(
        sb.create_ok(json!({ "recipient": "+14155550406", "url": url, "channel": "voice" }))
            .await,
        uuid
    );
    sb.advance(20).await;
    assert_eq!(sb.get_ok(&uuid).await["count"], 2);
    assert_eq!(sb.list_uuids(&[]).await, vec![uuid.clone()]);
    let otp = sb.otp(&uuid).await;
    sb.validate(&uuid, &otp).await.ok_json(200);
    assert_eq!(sb.get_ok(&uuid).await["status"], "verified");

    let entries = wait_entries(&sb, &uuid, 25, "a failed callback", |e| {
        e.last().is_some_and(|x| x["state"] == "failed")
    })
    .await;
    let oldest = entries.last().expect("entries");
    assert_eq!(oldest["tries"], 4, "{oldest}");
    assert!(
        oldest["last_error"].as_str().is_some_and(|s| !s.is_empty()),
        "a network error is recorded: {oldest}"
    );
    assert_eq!(oldest["url"], url.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_without_url_send_no_callbacks() {
    let sb = start().await;
    let rx = Receiver::start(0).await;
    let silent = sb.create_for("+14155550407").await;
    let loud = sb
        .create_ok(json!({ "recipient": "+14155550408", "url": rx.url("/cb") }))
        .await;
    sb.advance(10).await;
    let otp = sb.otp(&silent).await;
    sb.validate(&silent, &otp).await.ok_json(200);
    let otp = sb.otp(&loud).await;
    sb.validate(&loud, &otp).await.ok_json(200);
    let requests = rx
        .wait_until(10, "the verified callback", |r| {
            has(r, "SessionStatus", "verified")
        })
        .await;
    assert!(requests.iter().all(|r| r.p("SessionUUID") == loud));
    assert!(sb.callbacks(Some(&silent)).await.is_empty());
    let all = sb.callbacks(None).await;
    assert!(!all.is_empty());
    assert!(all.iter().all(|e| e["session_uuid"] == loud.as_str()));
}
