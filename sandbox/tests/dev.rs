//! Developer endpoints (messages, otp, reset, clock), CORS, the command line's stdout and
//! environment variables.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn digits(s: &str) -> String {
    s.trim_start_matches('+').to_owned()
}

#[tokio::test]
async fn messages_carry_the_code_newest_first_and_filter_by_recipient() {
    let sb = Sandbox::start(&[]).await;
    let a = sb
        .create_ok(json!({ "recipient": "+14155550601", "brand_name": "Acme" }))
        .await;
    sb.advance(2).await;
    let b = sb
        .create_ok(json!({ "recipient": "+447700900601", "channel": "voice" }))
        .await;
    sb.advance(2).await;
    assert_eq!(
        sb.create_ok(json!({ "recipient": "+14155550601", "brand_name": "Acme" }))
            .await,
        a
    );
    let otp_a = sb.otp(&a).await;
    let otp_b = sb.otp(&b).await;
    let sa = sb.get_ok(&a).await;
    let sbb = sb.get_ok(&b).await;

    let msgs = sb.messages(None).await;
    assert_eq!(msgs.len(), 3, "{msgs:#?}");
    let expect = [
        (&a, &sa, 1usize, "sms", "14155550601"),
        (&b, &sbb, 0, "voice", "447700900601"),
        (&a, &sa, 0, "sms", "14155550601"),
    ];
    for (m, (uuid, session, attempt, channel, recipient)) in msgs.iter().zip(expect) {
        assert_eq!(m["session_uuid"], uuid.as_str(), "newest first: {msgs:#?}");
        assert_eq!(
            m["attempt_uuid"], session["attempt_details"][attempt]["attempt_uuid"],
            "{m}"
        );
        assert_eq!(m["channel"], channel, "{m}");
        assert_eq!(
            digits(m["recipient"].as_str().expect("recipient")),
            recipient
        );
        assert!(m["time"].as_str().is_some_and(|t| !t.is_empty()), "{m}");
    }
    let times: Vec<DateTime<Utc>> = msgs
        .iter()
        .map(|m| {
            let t = m["time"].as_str().expect("time");
            DateTime::parse_from_rfc3339(t)
                .unwrap_or_else(|e| panic!("message time {t:?}: {e}"))
                .with_timezone(&Utc)
        })
        .collect();
    assert!(times[0] > times[1] && times[1] > times[2], "{times:?}");
    for m in [&msgs[0], &msgs[2]] {
        assert_eq!(
            m["text"],
            format!("Your Acme verification code is {otp_a}"),
            "{m}"
        );
    }
    assert!(text_has_code(&msgs[1], &otp_b), "{}", msgs[1]);

    let only_a = sb.messages(Some("+14155550601")).await;
    assert_eq!(only_a.len(), 2, "{only_a:#?}");
    assert!(only_a.iter().all(|m| m["session_uuid"] == a.as_str()));
    let only_b = sb.messages(Some("+447700900601")).await;
    assert_eq!(only_b.len(), 1);
    assert_eq!(only_b[0]["session_uuid"], b.as_str());
    assert!(sb.messages(Some("+10000000000")).await.is_empty());
}

#[tokio::test]
async fn otp_endpoint_knows_only_existing_sessions() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550602", "code_length": 7 }))
        .await;
    let otp = sb.otp(&uuid).await;
    assert_eq!(otp.len(), 7);
    let text = sb.messages(None).await[0]["text"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(text.contains(&otp), "{text:?}");
    sb.dev_get("/__sandbox/sessions/00000000-0000-4000-8000-000000000000/otp")
        .await
        .error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_forgets_everything() {
    let sb = Sandbox::start(&["--list-rate-limit", "2"]).await;
    let rx = Receiver::start(0).await;
    let uuid = sb
        .create_ok(json!({ "recipient": "+14155550603", "url": rx.url("/cb") }))
        .await;
    sb.advance(10).await;
    rx.wait_until(10, "the delivered callback", |r| {
        r.iter()
            .any(|x| x.param("ChannelStatus").as_deref() == Some("delivered"))
    })
    .await;
    let deadline = Deadline::secs(10);
    while !sb
        .callbacks(None)
        .await
        .iter()
        .all(|e| e["state"] == "delivered")
    {
        deadline.tick("callbacks delivered").await;
    }
    sb.list(&[]).await.ok_json(200);
    sb.list(&[]).await.ok_json(200);
    sb.list(&[]).await.error(429);
    sb.set_faults(json!({ "spec": "delay=1ms", "next": ["503", "503"] }))
        .await;
    assert!(!sb.messages(None).await.is_empty());
    assert!(!sb.callbacks(None).await.is_empty());

    sb.reset().await;

    let clock = sb.clock().await;
    assert_eq!(clock["offset_secs"].as_f64(), Some(0.0), "{clock}");
    let faults = sb.faults().await;
    assert!(
        faults["spec"].is_null() || faults["spec"] == "",
        "faults back to none: {faults}"
    );
    assert!(
        faults["next"].is_null() || faults["next"] == json!([]),
        "{faults}"
    );
    assert!(sb.messages(None).await.is_empty());
    assert!(sb.callbacks(None).await.is_empty());
    sb.dev_get(&format!("/__sandbox/sessions/{uuid}/otp"))
        .await
        .error(404);
    sb.get(&uuid).await.error(404);
    // The rate-limit count is forgotten too: two more lists pass.
    assert!(sb.list_uuids(&[]).await.is_empty());
    assert!(sb
        .list_uuids(&[("session_time__gte", "2000-01-01 00:00")])
        .await
        .is_empty());
    // And the sandbox works as new.
    let fresh = sb.create_for("+14155550603").await;
    assert_ne!(fresh, uuid);
    assert_eq!(sb.get_ok(&fresh).await["count"], 1);
}

fn clock_now(clock: &Value) -> DateTime<Utc> {
    let now = clock["now"].as_str().expect("now");
    DateTime::parse_from_rfc3339(now)
        .unwrap_or_else(|e| panic!("clock.now {now:?}: {e}"))
        .with_timezone(&Utc)
}

#[tokio::test]
async fn the_clock_only_moves_forward() {
    let sb = Sandbox::start(&[]).await;
    let c0 = sb.clock().await;
    assert_eq!(c0["offset_secs"].as_f64(), Some(0.0), "{c0}");
    let t0 = clock_now(&c0);
    assert!(
        (t0 - Utc::now()).num_seconds().abs() < 60,
        "without an offset the clock is the real time: {c0}"
    );

    sb.advance(3600).await;
    let c1 = sb.clock().await;
    assert_eq!(c1["offset_secs"].as_f64(), Some(3600.0), "{c1}");
    let t1 = clock_now(&c1);
    assert!(t1 - t0 >= TimeDelta::seconds(3600), "{c0} -> {c1}");
    assert!(t1 - t0 < TimeDelta::seconds(3660), "{c0} -> {c1}");
    sb.advance(0).await;
    assert_eq!(sb.clock().await["offset_secs"].as_f64(), Some(3600.0));

    for body in [
        json!({ "advance_secs": -5 }),
        json!({ "advance_secs": "10" }),
        json!({}),
        json!([10]),
    ] {
        sb.dev_post("/__sandbox/clock", body.clone())
            .await
            .error(400);
    }
    let raw = sb
        .send(
            sb.raw(Method::POST, "/__sandbox/clock")
                .header("content-type", "application/json")
                .body("advance_secs=5"),
        )
        .await;
    raw.error(400);
    assert_eq!(
        sb.clock().await["offset_secs"].as_f64(),
        Some(3600.0),
        "rejected moves change nothing"
    );

    // Sessions are stamped with the sandbox time.
    sb.advance(86_400).await;
    let now = sb.now().await;
    let uuid = sb.create_for("+14155550604").await;
    let created = created_at(&sb.get_ok(&uuid).await);
    assert!(
        (created - now).num_seconds().abs() < 60,
        "created_at {created} follows the sandbox clock {now}"
    );
}

/// The comma-separated tokens of a header, trimmed and upper-cased.
fn tokens(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .collect()
}

#[tokio::test]
async fn preflights_answer_204_with_the_cors_headers() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550605").await;
    let origin = "http://localhost:5173";
    for path in [
        sb.session_path(),
        sb.one_session_path(&uuid),
        "/__sandbox/messages".to_owned(),
    ] {
        let resp = sb
            .send(
                sb.raw(Method::OPTIONS, &path)
                    .header("origin", origin)
                    .header("access-control-request-method", "POST")
                    .header(
                        "access-control-request-headers",
                        "authorization,content-type",
                    ),
            )
            .await;
        assert_eq!(resp.status, 204, "OPTIONS {path}: {:?}", resp.text);
        assert_eq!(
            resp.header("access-control-allow-origin").as_deref(),
            Some(origin),
            "OPTIONS {path}"
        );
        let methods = tokens(
            &resp
                .header("access-control-allow-methods")
                .unwrap_or_default(),
        );
        assert_eq!(methods, ["GET", "POST", "OPTIONS"], "OPTIONS {path}");
        let headers = tokens(
            &resp
                .header("access-control-allow-headers")
                .unwrap_or_default(),
        );
        assert_eq!(
            headers,
            ["AUTHORIZATION", "CONTENT-TYPE", "USER-AGENT"],
            "OPTIONS {path}"
        );
        assert_eq!(
            resp.header("access-control-expose-headers").as_deref(),
            Some("Retry-After"),
            "OPTIONS {path}"
        );
    }
    // Without an Origin.
    let resp = sb.send(sb.raw(Method::OPTIONS, &sb.session_path())).await;
    assert_eq!(resp.status, 204);
    assert_eq!(
        resp.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    // A preflight changes nothing.
    assert_eq!(sb.messages(None).await.len(), 1);
}

#[tokio::test]
async fn every_response_carries_the_cors_headers() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550606").await;
    let origin = "https://app.example.com";
    let path = sb.session_path();
    let requests: Vec<(&str, u16, reqwest::RequestBuilder)> = vec![
        (
            "get",
            200,
            sb.authed(Method::GET, &sb.one_session_path(&uuid)),
        ),
        ("list", 200, sb.authed(Method::GET, &path)),
        (
            "create",
            202,
            sb.authed(Method::POST, &path)
                .json(&json!({ "recipient": "+14155550607" })),
        ),
        (
            "bad create",
            400,
            sb.authed(Method::POST, &path).json(&json!({})),
        ),
        ("no auth", 401, sb.raw(Method::GET, &path)),
        (
            "unknown session",
            404,
            sb.authed(
                Method::GET,
                &sb.one_session_path("00000000-0000-4000-8000-000000000000"),
            ),
        ),
        ("wrong method", 405, sb.authed(Method::DELETE, &path)),
        (
            "dev messages",
            200,
            sb.raw(Method::GET, "/__sandbox/messages"),
        ),
        ("dev clock", 200, sb.raw(Method::GET, "/__sandbox/clock")),
    ];
    for (what, status, rb) in requests {
        let with_origin = rb.try_clone().expect("clone").header("origin", origin);
        let resp = sb.send(with_origin).await;
        assert_eq!(resp.status, status, "{what}: {:?}", resp.text);
        assert_eq!(
            resp.header("access-control-allow-origin").as_deref(),
            Some(origin),
            "{what}"
        );
        assert_eq!(
            resp.header("access-control-expose-headers").as_deref(),
            Some("Retry-After"),
            "{what}"
        );
        if what == "create" {
            continue; // not twice
        }
        let resp = sb.send(rb).await;
        assert_eq!(resp.status, status, "{what} without Origin");
        assert_eq!(
            resp.header("access-control-allow-origin").as_deref(),
            Some("*"),
            "{what} without Origin"
        );
    }
}

#[tokio::test]
async fn stdout_has_only_the_address_and_sigterm_stops_cleanly() {
    let sb = Sandbox::start(&["--auth-token", "never-print-me"]).await;
    let uuid = sb.create_for("+14155550608").await;
    let otp = sb.otp(&uuid).await;
    sb.validate(&uuid, &otp).await.ok_json(200);
    sb.list(&[]).await.ok_json(200);
    let (status, rest) = sb.terminate().await;
    assert!(status.success(), "a clean stop after SIGTERM: {status}");
    assert_eq!(rest, "", "nothing but the address on stdout");
}

#[tokio::test]
async fn environment_variables_configure_the_sandbox() {
    let sb = Sandbox::start_full(
        None,
        &[],
        &[
            ("PLIVO_AUTH_ID", "MAENVENVENVENVENVENV"),
            ("PLIVO_AUTH_TOKEN", "env-token"),
            ("VERIFY_SANDBOX_MAX_ATTEMPTS", "1"),
            ("VERIFY_SANDBOX_LIST_RATE_LIMIT", "1"),
            ("VERIFY_SANDBOX_CODE_EXPIRY", "30s"),
            ("VERIFY_SANDBOX_SEED", "5"),
        ],
    )
    .await;
    assert_eq!(sb.auth_id, "MAENVENVENVENVENVENV");
    let uuid = sb.create_for("+14155550609").await;
    // One wrong code accepted, the next expires it (the default would take eleven).
    let n = sb.wrong_codes_until_expired(&uuid).await;
    assert!(
        n <= 2,
        "VERIFY_SANDBOX_MAX_ATTEMPTS=1 ignored: {n} wrong codes"
    );
    let other = sb.create_for("+14155550610").await;
    sb.advance(31).await;
    assert_eq!(sb.get_ok(&other).await["status"], "expired");
    sb.list(&[]).await.ok_json(200);
    sb.list(&[]).await.error(429);
    let resp = sb
        .send(
            sb.raw(
                Method::GET,
                &format!("/v1/Account/{AUTH_ID}/Verify/Session/"),
            )
            .basic_auth(AUTH_ID, Some(AUTH_TOKEN)),
        )
        .await;
    resp.error(401);

    // VERIFY_SANDBOX_SEED: same seed, same first session and code.
    let again = Sandbox::start_full(
        None,
        &[],
        &[
            ("PLIVO_AUTH_ID", "MAENVENVENVENVENVENV"),
            ("PLIVO_AUTH_TOKEN", "env-token"),
            ("VERIFY_SANDBOX_SEED", "5"),
        ],
    )
    .await;
    let first = again.create_for("+14155550609").await;
    assert_eq!(first, uuid);
    assert_eq!(again.otp(&first).await, sb.otp(&uuid).await);
}

/// Polls the sandbox's stderr until `done` holds.
async fn wait_stderr(sb: &Sandbox, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Deadline::secs(10);
    loop {
        let text = sb.stderr_text();
        if done(&text) {
            return text;
        }
        if deadline.passed() {
            panic!("stderr never showed {what}:\n{text}");
        }
        deadline.tick(what).await;
    }
}

#[tokio::test]
async fn stderr_shows_requests_and_otps_but_never_a_supplied_token() {
    let secret = "never-print-me-7f3a";
    let sb = Sandbox::start_logged(&["--auth-token", secret]).await;
    let uuid = sb.create_for("+14155550611").await;
    let otp = sb.otp(&uuid).await;
    sb.validate(&uuid, &otp).await.ok_json(200);
    let path = sb.session_path();
    let text = wait_stderr(&sb, "the OTP and the request lines", |t| {
        t.contains(&format!("OTP {otp}"))
            && t.lines()
                .any(|l| l.contains("POST") && l.contains(&path) && l.contains("200"))
    })
    .await;
    assert!(
        !text.contains(secret),
        "a supplied token was printed:\n{text}"
    );

    let default = Sandbox::start_logged(&[]).await;
    wait_stderr(&default, "the built-in token", |t| t.contains(AUTH_TOKEN)).await;
}

#[test]
fn exit_on_stdin_eof_stops_when_the_parent_closes_stdin() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let mut child = Command::new(env!("CARGO_BIN_EXE_verify-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--exit-on-stdin-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn verify-sandbox");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the address");
    assert!(line.starts_with("127.0.0.1:"), "{line:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "running while stdin is open"
    );

    drop(child.stdin.take()); // what the parent's death does to the pipe
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 10 s after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}
