//! Every error status and its JSON shape, and that a rejected request changes nothing.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const OK_RECIPIENT: &str = "+14155550301";

/// Asserts that the sandbox holds no session and sent no message.
async fn assert_nothing_created(sb: &Sandbox, context: &str) {
    assert!(
        sb.messages(None).await.is_empty(),
        "{context}: a message was sent"
    );
    assert!(
        sb.all_listed().await.is_empty(),
        "{context}: a session was created"
    );
}

fn with(key: &str, value: Value) -> Value {
    let mut body = json!({ "recipient": OK_RECIPIENT });
    body[key] = value;
    body
}

#[tokio::test]
async fn create_rejects_each_bad_parameter_naming_it() {
    let sb = Sandbox::start(&["--list-rate-limit", "0"]).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "recipient"),
        (json!({ "channel": "sms" }), "recipient"),
        (json!({ "recipient": null }), "recipient"),
        (json!({ "recipient": "" }), "recipient"),
        (json!({ "recipient": "abc" }), "recipient"),
        (json!({ "recipient": "+123456" }), "recipient"),
        (json!({ "recipient": "+1234567890123456" }), "recipient"),
        (json!({ "recipient": "+1415555abcd" }), "recipient"),
        (json!({ "recipient": 14155550301u64 }), "recipient"),
        (json!({ "recipient": ["+14155550301"] }), "recipient"),
        (with("app_uuid", json!("not-a-uuid")), "app_uuid"),
        (with("app_uuid", json!(5)), "app_uuid"),
        (with("channel", json!("email")), "channel"),
        (with("channel", json!("")), "channel"),
        (with("channel", json!(1)), "channel"),
        (with("url", json!("ftp://example.com/cb")), "url"),
        (with("url", json!("not a url")), "url"),
        (with("url", json!("/relative/cb")), "url"),
        (with("url", json!(5)), "url"),
        (with("method", json!("PUT")), "method"),
        (with("method", json!("DELETE")), "method"),
        (with("method", json!(1)), "method"),
        (with("locale", json!(5)), "locale"),
        (with("locale", json!(true)), "locale"),
        (with("brand_name", json!(5)), "brand_name"),
        (with("app_hash", json!(false)), "app_hash"),
        (with("code_length", json!(3)), "code_length"),
        (with("code_length", json!(9)), "code_length"),
        (with("code_length", json!(-1)), "code_length"),
        (with("code_length", json!(6.5)), "code_length"),
        (with("code_length", json!("6")), "code_length"),
    ];
    for (body, param) in cases {
        let resp = sb.create(body.clone()).await;
        let err = resp.error_for(400, &format!("create {body}"));
        assert!(
            err.contains(param),
            "create {body}: error {err:?} does not name {param}"
        );
    }
    assert_nothing_created(&sb, "rejected creates").await;
    // The sandbox still works.
    sb.create_for(OK_RECIPIENT).await;
    assert_eq!(sb.messages(None).await.len(), 1);
}

async fn post_raw(sb: &Sandbox, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
    sb.send(
        sb.authed(Method::POST, path)
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

#[tokio::test]
async fn create_rejects_bodies_that_are_not_a_json_object_or_too_big() {
    let sb = Sandbox::start(&["--list-rate-limit", "0"]).await;
    let path = sb.session_path();
    let json_ct = "application/json";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (json_ct, b"".to_vec()),
        (json_ct, b"{".to_vec()),
        (json_ct, b"{\"recipient\": \"+14155550301\",}".to_vec()),
        (json_ct, b"not json".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"recipient=%2B14155550301".to_vec(),
        ),
        (json_ct, b"[{\"recipient\": \"+14155550301\"}]".to_vec()),
        (json_ct, b"\"+14155550301\"".to_vec()),
        (json_ct, b"42".to_vec()),
        (json_ct, b"null".to_vec()),
        (json_ct, vec![0xff, 0xfe, b'{', b'}']),
    ];
    for (ct, body) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let resp = post_raw(&sb, &path, ct, body).await;
        assert_eq!(resp.status, 400, "body {shown:?} ({ct}): {}", resp.text);
        resp.error(400);
    }
    // Over 16 KiB, although a valid object with a valid recipient.
    let big = json!({ "recipient": OK_RECIPIENT, "padding": "x".repeat(16 * 1024 + 10) });
    let resp = post_raw(&sb, &path, json_ct, serde_json::to_vec(&big).expect("json")).await;
    resp.error(400);
    assert_nothing_created(&sb, "rejected bodies").await;

    // Just under the limit is fine.
    let fits = json!({ "recipient": OK_RECIPIENT, "padding": "x".repeat(15 * 1024) });
    let resp = post_raw(
        &sb,
        &path,
        json_ct,
        serde_json::to_vec(&fits).expect("json"),
    )
    .await;
    resp.ok_json(202);
    assert_eq!(sb.messages(None).await.len(), 1);
}

#[tokio::test]
async fn rejected_validations_are_not_attempts() {
    let sb = Sandbox::start(&["--max-attempts", "2"]).await;
    let uuid = sb.create_for(OK_RECIPIENT).await;
    let control = sb.create_for("+14155550399").await;
    let path = sb.one_session_path(&uuid);
    let cases: Vec<Value> = vec![
        json!({}),
        json!({ "code": "123456" }),
        json!({ "otp": null }),
        json!({ "otp": 123456 }),
        json!({ "otp": ["123456"] }),
    ];
    for body in cases {
        let err = sb
            .validate_body(&uuid, body.clone())
            .await
            .error_for(400, &format!("validate {body}"));
        assert!(
            err.to_ascii_lowercase().contains("otp"),
            "validate {body}: {err:?} does not name otp"
        );
    }
    for raw in [&b"otp=123456"[..], b"{", b"[]", b"\"123456\""] {
        post_raw(&sb, &path, "application/json", raw.to_vec())
            .await
            .error(400);
    }
    let big = json!({ "otp": "1", "padding": "x".repeat(16 * 1024 + 10) });
    post_raw(
        &sb,
        &path,
        "application/json",
        serde_json::to_vec(&big).expect("json"),
    )
    .await
    .error(400);
    let s = sb.get_ok(&uuid).await;
    assert_eq!(s["status"], "in-progress", "{s}");
    // The session takes as many wrong codes as an untouched one.
    assert_eq!(
        sb.wrong_codes_until_expired(&uuid).await,
        sb.wrong_codes_until_expired(&control).await,
        "a rejected validation counted as an attempt"
    );
}

#[tokio::test]
async fn list_rejects_each_bad_query_parameter_naming_it() {
    let sb = Sandbox::start(&["--list-rate-limit", "0"]).await;
    let uuid = sb.create_for(OK_RECIPIENT).await;
    for (key, value) in bad_list_params() {
        let err = sb
            .list(&[(key, value)])
            .await
            .error_for(400, &format!("list {key}={value:?}"));
        assert!(
            err.contains(key),
            "list {key}={value:?}: {err:?} does not name {key}"
        );
    }
    assert_eq!(sb.list_uuids(&[]).await, vec![uuid]);
}

#[tokio::test]
async fn rejected_lists_do_not_use_up_the_rate_limit() {
    let sb = Sandbox::start(&["--list-rate-limit", "2"]).await;
    let uuid = sb.create_for(OK_RECIPIENT).await;
    for (key, value) in bad_list_params().into_iter().take(4) {
        let resp = sb.list(&[(key, value)]).await;
        assert_eq!(resp.status, 400, "list {key}={value:?}: {:?}", resp.text);
    }
    for i in 1..=2 {
        let json = sb.list(&[]).await.ok_json(200);
        assert_eq!(uuids_of(&json), vec![uuid.clone()], "good list #{i}");
    }
    sb.list(&[]).await.error(429);
}

fn bad_list_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("limit", "0"),
        ("limit", "21"),
        ("limit", "abc"),
        ("limit", "-1"),
        ("limit", "1.5"),
        ("offset", "-1"),
        ("offset", "x"),
        ("status", "done"),
        ("session_time", "yesterday"),
        ("session_time", "2024-13-01 00:00"),
        ("session_time", "2024-01-01"),
        ("session_time", "2024-01-01T10:00:00Z"),
        ("session_time__gt", "x"),
        ("session_time__gte", "2024-01-32 00:00"),
        ("session_time__lt", "2024-01-01 25:00"),
        ("session_time__lte", "01/02/2024 10:00"),
    ]
}

#[tokio::test]
async fn list_rejects_a_country_that_is_not_alpha_2() {
    let sb = Sandbox::start(&["--list-rate-limit", "0"]).await;
    sb.create_for(OK_RECIPIENT).await;
    for value in ["USA", "1", "U"] {
        let err = sb
            .list(&[("country", value)])
            .await
            .error_for(400, &format!("list country={value:?}"));
        assert!(err.contains("country"), "{err:?} does not name country");
    }
}

#[tokio::test]
async fn auth_failures_are_401_and_change_nothing() {
    let sb = Sandbox::start(&["--max-attempts", "2", "--list-rate-limit", "3"]).await;
    let uuid = sb.create_for(OK_RECIPIENT).await;
    let control = sb.create_for("+14155550399").await;
    let wrong = sb.wrong_otp(&uuid).await;
    let other_id = "MAYYYYYYYYYYYYYYYYYY";
    let other_path = format!("/v1/Account/{other_id}/Verify/Session/");
    let own = sb.session_path();
    let own_one = sb.one_session_path(&uuid);
    let other_one = format!("{other_path}{uuid}/");

    // (path, credentials): None = no Authorization header.
    type Creds = Option<(String, String)>;
    let good = || Some((sb.auth_id.clone(), sb.auth_token.clone()));
    let variants: Vec<(&str, String, String, Creds)> = vec![
        ("no auth", own.clone(), own_one.clone(), None),
        (
            "bad token",
            own.clone(),
            own_one.clone(),
            Some((sb.auth_id.clone(), "wrong-token".into())),
        ),
        (
            "auth id differs from the path",
            own.clone(),
            own_one.clone(),
            Some((other_id.into(), sb.auth_token.clone())),
        ),
        (
            "path id differs from the auth id",
            other_path.clone(),
            other_one.clone(),
            good(),
        ),
        (
            "another account on its own path",
            other_path.clone(),
            other_one.clone(),
            Some((other_id.into(), sb.auth_token.clone())),
        ),
    ];
    for (what, list_path, one_path, creds) in variants {
        let auth = |rb: reqwest::RequestBuilder| match &creds {
            Some((id, token)) => rb.basic_auth(id, Some(token)),
            None => rb,
        };
        let requests = vec![
            (
                "create",
                auth(sb.raw(Method::POST, &list_path))
                    .json(&json!({ "recipient": "+14155550302" })),
            ),
            ("list", auth(sb.raw(Method::GET, &list_path))),
            ("get", auth(sb.raw(Method::GET, &one_path))),
            (
                "validate",
                auth(sb.raw(Method::POST, &one_path)).json(&json!({ "otp": wrong })),
            ),
        ];
        for (route, rb) in requests {
            let resp = sb.send(rb).await;
            let err = resp.error(401);
            assert!(!err.is_empty(), "{what} {route}");
        }
    }
    // Malformed Authorization headers.
    for header in [
        "Basic !!!notbase64",
        "Bearer sandbox-auth-token",
        "Basic",
        "",
    ] {
        let resp = sb
            .send(sb.raw(Method::GET, &own).header("authorization", header))
            .await;
        resp.error(401);
    }

    // Nothing changed: two sessions, two messages, no attempt used, list quota intact.
    assert_eq!(sb.messages(None).await.len(), 2);
    let s = sb.get_ok(&uuid).await;
    assert_eq!(s["count"], 1);
    assert_eq!(s["status"], "in-progress");
    for _ in 0..3 {
        assert_eq!(
            sb.list_uuids(&[]).await,
            vec![control.clone(), uuid.clone()]
        );
    }
    assert_eq!(
        sb.wrong_codes_until_expired(&uuid).await,
        sb.wrong_codes_until_expired(&control).await,
        "a rejected validation counted as an attempt"
    );
}

#[tokio::test]
async fn custom_credentials_replace_the_defaults() {
    let sb = Sandbox::start(&[
        "--auth-id",
        "MAZZZZZZZZZZZZZZZZZZ",
        "--auth-token",
        "s3cret-token",
    ])
    .await;
    let default_path = format!("/v1/Account/{AUTH_ID}/Verify/Session/");
    let resp = sb
        .send(
            sb.raw(Method::POST, &default_path)
                .basic_auth(AUTH_ID, Some(AUTH_TOKEN))
                .json(&json!({ "recipient": OK_RECIPIENT })),
        )
        .await;
    resp.error(401);
    let resp = sb
        .send(
            sb.raw(Method::GET, &sb.session_path())
                .basic_auth(&sb.auth_id, Some(AUTH_TOKEN)),
        )
        .await;
    resp.error(401);
    assert!(sb.messages(None).await.is_empty());
    let uuid = sb.create_for(OK_RECIPIENT).await;
    assert_eq!(sb.list_uuids(&[]).await, vec![uuid]);
}

#[tokio::test]
async fn unknown_sessions_and_routes_are_404() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for(OK_RECIPIENT).await;
    let unknown = "00000000-0000-4000-8000-000000000000";
    sb.get(unknown).await.error(404);
    sb.validate(unknown, "123456").await.error(404);
    let id = &sb.auth_id;
    for path in [
        "/".to_owned(),
        "/nope".to_owned(),
        "/v1/".to_owned(),
        format!("/v1/Account/{id}/Verify/"),
        format!("/v1/Account/{id}/Verify/Nope/"),
        format!("/v1/Account/{id}/Message/"),
        format!("/v1/Account/{id}/Verify/Session/{uuid}/extra/"),
        "/__sandbox/nope".to_owned(),
    ] {
        let resp = sb.send(sb.authed(Method::GET, &path)).await;
        resp.error(404);
    }
    sb.dev_get(&format!("/__sandbox/sessions/{unknown}/otp"))
        .await
        .error(404);
    assert_eq!(sb.get_ok(&uuid).await["count"], 1);
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let sb = Sandbox::start(&["--list-rate-limit", "0"]).await;
    let uuid = sb.create_for(OK_RECIPIENT).await;
    for path in [sb.session_path(), sb.one_session_path(&uuid)] {
        for method in [Method::DELETE, Method::PUT, Method::PATCH] {
            let resp = sb
                .send(
                    sb.authed(method.clone(), &path)
                        .json(&json!({ "recipient": "+14155550303", "otp": "1" })),
                )
                .await;
            resp.error(405);
            let allow = resp
                .header("allow")
                .unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"));
            let allowed: Vec<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
            for m in ["GET", "POST"] {
                assert!(
                    allowed.iter().any(|a| a == m),
                    "{method} {path}: Allow {allow:?} lacks {m}"
                );
            }
            assert!(!allowed.iter().any(|a| a == method.as_str()));
        }
    }
    assert_eq!(sb.list_uuids(&[]).await, vec![uuid.clone()]);
    assert_eq!(sb.messages(None).await.len(), 1);
    assert_eq!(sb.get_ok(&uuid).await["status"], "in-progress");
}
