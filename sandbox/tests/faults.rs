//! Fault injection: the `next` queue, `--faults`, `reset`, `delay`, seeded randomness, and
//! that faults never touch `/__sandbox/` or preflights and never change anything.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::json;

/// Checks the documented shape of an injected error.
#[track_caller]
fn check_fault(resp: &Resp, status: u16) {
    resp.error(status);
    if status == 429 {
        assert_eq!(
            resp.header("retry-after").as_deref(),
            Some("1"),
            "an injected 429 has Retry-After: 1"
        );
    }
}

async fn assert_nothing_created(sb: &Sandbox) {
    assert!(sb.messages(None).await.is_empty(), "a message was sent");
    assert!(sb.all_listed().await.is_empty(), "a session was created");
}

#[tokio::test]
async fn queued_faults_answer_in_order_and_create_nothing() {
    let sb = Sandbox::start(&[]).await;
    sb.set_faults(json!({ "next": ["503", "500", "502", "504", "429"] }))
        .await;
    let faults = sb.faults().await;
    assert_eq!(
        faults["next"],
        json!(["503", "500", "502", "504", "429"]),
        "{faults}"
    );
    for status in [503, 500, 502, 504, 429] {
        let resp = sb.create(json!({ "recipient": "+14155550501" })).await;
        check_fault(&resp, status);
    }
    let faults = sb.faults().await;
    assert_eq!(faults["next"], json!([]), "the queue is used up: {faults}");
    assert_nothing_created(&sb).await;
    sb.create_for("+14155550501").await;
    assert_eq!(sb.messages(None).await.len(), 1);
}

#[tokio::test]
async fn each_queued_fault_is_used_by_one_plivo_request() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550502").await;
    sb.set_faults(json!({ "next": ["500", "502"] })).await;
    // Developer endpoints do not use the queue.
    sb.messages(None).await;
    sb.clock().await;
    sb.otp(&uuid).await;
    assert_eq!(sb.faults().await["next"], json!(["500", "502"]));
    check_fault(&sb.get(&uuid).await, 500);
    assert_eq!(sb.faults().await["next"], json!(["502"]));
    check_fault(&sb.list(&[]).await, 502);
    sb.get_ok(&uuid).await;
}

#[tokio::test]
async fn a_reset_fault_closes_the_connection_without_a_response() {
    let sb = Sandbox::start(&[]).await;
    let fresh = || {
        reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client")
    };
    sb.set_faults(json!({ "next": ["reset", "reset"] })).await;
    let result = fresh()
        .post(sb.url(&sb.session_path()))
        .basic_auth(&sb.auth_id, Some(&sb.auth_token))
        .json(&json!({ "recipient": "+14155550503" }))
        .send()
        .await;
    match result {
        Ok(resp) => panic!("a reset create got a response: {}", resp.status()),
        Err(e) => assert!(!e.is_timeout(), "closed, not hung: {e}"),
    }
    let result = fresh()
        .get(sb.url(&sb.session_path()))
        .basic_auth(&sb.auth_id, Some(&sb.auth_token))
        .send()
        .await;
    match result {
        Ok(resp) => panic!("a reset list got a response: {}", resp.status()),
        Err(e) => assert!(!e.is_timeout(), "closed, not hung: {e}"),
    }
    assert_nothing_created(&sb).await;
    sb.create_for("+14155550503").await;
    assert_eq!(sb.messages(None).await.len(), 1);
}

#[tokio::test]
async fn delay_waits_before_handling_plivo_requests() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550504").await;
    sb.set_faults(json!({ "spec": "delay=1500ms" })).await;
    let spec = sb.faults().await["spec"].as_str().unwrap_or("").to_owned();
    assert!(spec.contains("delay"), "spec {spec:?}");
    let started = Instant::now();
    let s = sb.get_ok(&uuid).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the answer came before the delay"
    );
    assert_eq!(s["session_uuid"], uuid.as_str(), "then handled normally");
}

#[tokio::test]
async fn cli_faults_apply_to_plivo_routes_only_until_changed() {
    let sb = Sandbox::start(&["--faults", "503=1"]).await;
    let path = sb.session_path();
    for _ in 0..3 {
        check_fault(
            &sb.create(json!({ "recipient": "+14155550505" })).await,
            503,
        );
    }
    check_fault(&sb.list(&[]).await, 503);
    check_fault(&sb.get("00000000-0000-4000-8000-000000000000").await, 503);
    check_fault(
        &sb.validate("00000000-0000-4000-8000-000000000000", "123456")
            .await,
        503,
    );
    // Developer endpoints and preflights are never faulted.
    assert_eq!(sb.dev_get("/__sandbox/messages").await.status, 200);
    assert_eq!(sb.dev_get("/__sandbox/callbacks").await.status, 200);
    assert_eq!(sb.dev_get("/__sandbox/clock").await.status, 200);
    assert_eq!(sb.dev_get("/__sandbox/faults").await.status, 200);
    sb.advance(1).await;
    let preflight = sb
        .send(
            sb.raw(Method::OPTIONS, &path)
                .header("origin", "http://localhost:5173")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization, content-type",
                ),
        )
        .await;
    assert_eq!(preflight.status, 204, "{:?}", preflight.text);
    let messages = sb.messages(None).await;
    assert!(messages.is_empty(), "faulted creates sent nothing");

    // Replace the settings: the faults are gone.
    sb.set_faults(json!({ "spec": "", "next": [] })).await;
    let uuid = sb.create_for("+14155550505").await;
    assert_eq!(sb.get_ok(&uuid).await["count"], 1);
    assert_eq!(sb.messages(None).await.len(), 1);

    // Reset brings back the start values.
    sb.reset().await;
    check_fault(
        &sb.create(json!({ "recipient": "+14155550505" })).await,
        503,
    );
}

#[tokio::test]
async fn queued_faults_come_before_random_ones() {
    let sb = Sandbox::start(&[]).await;
    sb.set_faults(json!({ "spec": "500=1", "next": ["503", "429"] }))
        .await;
    let faults = sb.faults().await;
    assert!(
        faults["spec"].as_str().unwrap_or("").contains("500"),
        "{faults}"
    );
    check_fault(&sb.list(&[]).await, 503);
    check_fault(&sb.list(&[]).await, 429);
    check_fault(&sb.list(&[]).await, 500);
    check_fault(&sb.list(&[]).await, 500);
}

async fn fault_sequence(seed: u64) -> Vec<u16> {
    let sb = Sandbox::start_seeded(seed, &["--faults", "500=0.5"]).await;
    let mut out = Vec::new();
    for _ in 0..24 {
        out.push(sb.get("00000000-0000-4000-8000-000000000000").await.status);
    }
    out
}

#[tokio::test]
async fn random_faults_are_reproducible_with_a_seed() {
    let a = fault_sequence(7).await;
    let b = fault_sequence(7).await;
    assert_eq!(a, b, "--seed 7 twice");
    assert!(a.iter().all(|s| *s == 404 || *s == 500), "{a:?}");
    assert!(a.contains(&500) && a.contains(&404), "p = 0.5: {a:?}");
}

#[tokio::test]
async fn faulted_validations_and_resends_change_nothing() {
    let sb = Sandbox::start(&["--max-attempts", "2"]).await;
    let uuid = sb.create_for("+14155550506").await;
    let control = sb.create_for("+14155550507").await;
    let otp = sb.otp(&uuid).await;
    let wrong = sb.wrong_otp(&uuid).await;

    sb.set_faults(json!({ "next": ["503"] })).await;
    check_fault(&sb.validate(&uuid, &otp).await, 503);
    assert_eq!(
        sb.get_ok(&uuid).await["status"],
        "in-progress",
        "not verified"
    );

    sb.set_faults(json!({ "next": ["500", "reset"] })).await;
    check_fault(&sb.validate(&uuid, &wrong).await, 500);
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let reset = fresh
        .post(sb.url(&sb.one_session_path(&uuid)))
        .basic_auth(&sb.auth_id, Some(&sb.auth_token))
        .json(&json!({ "otp": wrong }))
        .send()
        .await;
    assert!(reset.is_err(), "reset gives no response");

    sb.set_faults(json!({ "next": ["502"] })).await;
    check_fault(
        &sb.create(json!({ "recipient": "+14155550506" })).await,
        502,
    );
    let s = sb.get_ok(&uuid).await;
    assert_eq!(s["count"], 1, "the faulted resend added no attempt: {s}");
    assert_eq!(sb.messages(None).await.len(), 2);

    // No wrong code was counted: it takes as many as for an untouched session.
    assert_eq!(
        sb.wrong_codes_until_expired(&uuid).await,
        sb.wrong_codes_until_expired(&control).await,
        "a faulted validation counted as an attempt"
    );
}
