//! Create / get / validate flows, resend semantics, expiry and max attempts (with the sandbox
//! clock), attempt status progress, charges, and seed reproducibility.

mod common;

use common::*;
use serde_json::{json, Value};

/// A money string as an integer number of 1e-5 units; asserts at most 5 decimals.
#[track_caller]
fn money(s: &str) -> i64 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(
        !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()),
        "bad money {s:?}"
    );
    assert!(
        frac.len() <= 5 && frac.bytes().all(|b| b.is_ascii_digit()),
        "bad money {s:?}"
    );
    let frac_units: i64 = format!("{frac:0<5}").parse().expect("digits");
    int.parse::<i64>().expect("digits") * 100_000 + frac_units
}

#[track_caller]
fn decimals(s: &str) -> usize {
    s.split_once('.').map(|(_, f)| f.len()).unwrap_or(0)
}

/// Checks the documented money formats and that the total is the sum of the attempts.
#[track_caller]
fn check_charges(session: &Value) {
    let charges = &session["charges"];
    let validation = charges["validation_charge"]
        .as_str()
        .expect("validation string");
    assert_eq!(decimals(validation), 4, "{session}");
    assert_eq!(
        money(validation) > 0,
        session["status"] == "verified",
        "a validation is charged once verified: {session}"
    );
    let attempts = charges["attempt_charges"]
        .as_array()
        .unwrap_or_else(|| panic!("attempt_charges: {session}"));
    let mut sum = money(validation);
    for a in attempts {
        let c = a["charge"].as_str().expect("charge string");
        assert_eq!(decimals(c), 5, "attempt charge with 5 decimals: {c:?}");
        sum += money(c);
    }
    let total = charges["total_charge"].as_str().expect("total string");
    assert_eq!(
        money(total),
        sum,
        "total is the sum of attempts and validation: {session}"
    );
    assert!(
        !total.contains('.') || !total.ends_with('0'),
        "total_charge not trimmed: {total:?}"
    );
}

#[tokio::test]
async fn create_get_validate_flow() {
    let sb = Sandbox::start(&[]).await;
    let app = test_uuid(1);
    let uuid = sb
        .create_ok(json!({
            "recipient": "+14155550123",
            "app_uuid": app,
            "locale": "es",
            "brand_name": "Acme",
            "app_hash": "FA+9qCX9VSu",
        }))
        .await;

    let s = sb.get_ok(&uuid).await;
    assert!(s["api_id"].as_str().is_some_and(|a| !a.is_empty()), "{s}");
    assert_eq!(s["session_uuid"], uuid.as_str());
    assert_eq!(s["app_uuid"], app.as_str());
    assert_eq!(s["recipient"], "14155550123");
    assert_eq!(s["channel"], "sms");
    assert_eq!(s["status"], "in-progress");
    assert_eq!(s["locale"], "es");
    assert_eq!(s["count"], 1);
    assert_eq!(s["destination_country_iso2"], "US");
    assert_eq!(s["destination_network"], "Sandbox US Mobile");
    assert_eq!(
        (&s["alias"], &s["requestor_ip"]),
        (&Value::Null, &json!(""))
    );
    let attempts = s["attempt_details"].as_array().expect("attempt_details");
    assert_eq!(attempts.len(), 1, "{s}");
    // The attempt carries the settings it was sent with.
    assert_eq!(attempts[0]["brand_name"], "Acme");
    assert_eq!(attempts[0]["app_hash"], "FA+9qCX9VSu");
    assert_eq!(attempts[0]["code_length"], 6);
    assert_eq!(attempts[0]["dtmf"], Value::Null);
    assert_eq!(attempts[0]["fraud_check"], Value::Null);
    assert_eq!(attempts[0]["channel"], "sms");
    let attempt_uuid = attempts[0]["attempt_uuid"].as_str().expect("attempt_uuid");
    assert_uuid(attempt_uuid);
    assert!(
        ["queued", "sent", "delivered"].contains(&attempts[0]["status"].as_str().unwrap_or("")),
        "{s}"
    );
    let time = parse_ts(attempts[0]["time"].as_str().expect("time"));
    let created = created_at(&s);
    let updated = parse_ts(s["updated_at"].as_str().expect("updated_at"));
    assert!(updated >= created);
    assert!((time - created).num_seconds().abs() <= 1, "{s}");
    let charge = &s["charges"]["attempt_charges"][0];
    assert_eq!(charge["attempt_uuid"], attempt_uuid);
    assert_eq!(charge["channel"], "sms");
    check_charges(&s);

    let otp = sb.otp(&uuid).await;
    assert_eq!(otp.len(), 6, "default code_length 6: {otp:?}");
    assert!(otp.bytes().all(|b| b.is_ascii_digit()), "{otp:?}");

    let ok = sb.validate(&uuid, &otp).await.ok_json(200);
    assert_eq!(ok["message"], "session validated successfully.", "{ok}");
    assert!(ok["api_id"].as_str().is_some_and(|a| !a.is_empty()), "{ok}");
    let s = sb.get_ok(&uuid).await;
    assert_eq!(s["status"], "verified", "{s}");
    check_charges(&s);

    let again = sb.validate(&uuid, &otp).await.error(400);
    assert_eq!(again, "session already validated");
    assert_eq!(sb.get_ok(&uuid).await["status"], "verified");
}

#[tokio::test]
async fn defaults_for_optional_parameters() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+447700900123").await;
    let s = sb.get_ok(&uuid).await;
    assert_eq!(s["channel"], "sms", "{s}");
    assert_eq!(s["locale"], "en", "{s}");
    assert_uuid(s["app_uuid"].as_str().expect("a default app_uuid"));
    assert_eq!(s["recipient"], "447700900123");
    assert_eq!(s["destination_country_iso2"], "GB", "{s}");
    assert_eq!(sb.otp(&uuid).await.len(), 6);
}

#[tokio::test]
async fn validate_accepts_the_uppercase_otp_key() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550124").await;
    let otp = sb.otp(&uuid).await;
    let ok = sb
        .validate_body(&uuid, json!({ "OTP": otp, "something": "ignored" }))
        .await
        .ok_json(200);
    assert_eq!(ok["message"], "session validated successfully.");
    assert_eq!(sb.get_ok(&uuid).await["status"], "verified");
}

#[tokio::test]
async fn unknown_create_keys_are_ignored() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb
        .create_ok(json!({
            "recipient": "+14155550125",
            "dtmf": 1,
            "fraud_check": "block",
            "otp": "999999",
            "whatever": {"nested": [1, 2]},
        }))
        .await;
    assert_eq!(sb.get_ok(&uuid).await["status"], "in-progress");
}

#[tokio::test]
async fn code_length_sets_the_number_of_digits() {
    let sb = Sandbox::start(&[]).await;
    for (i, len) in [4u32, 5, 6, 7, 8].into_iter().enumerate() {
        let uuid = sb
            .create_ok(json!({ "recipient": format!("+1415555020{i}"), "code_length": len }))
            .await;
        let otp = sb.otp(&uuid).await;
        assert_eq!(otp.len(), len as usize, "code_length {len}: {otp:?}");
        assert!(otp.bytes().all(|b| b.is_ascii_digit()), "{otp:?}");
        let msgs = sb.messages(None).await;
        let text = msgs[0]["text"].as_str().expect("text");
        assert!(text.contains(&otp), "message {text:?} carries {otp}");
    }
}

#[tokio::test]
async fn recipient_forms_and_lengths() {
    let sb = Sandbox::start(&[]).await;
    for (given, stored) in [
        ("+1234567", "1234567"),
        ("1234568", "1234568"),
        ("+123456789012345", "123456789012345"),
        ("919876543210", "919876543210"),
    ] {
        let uuid = sb.create_for(given).await;
        let s = sb.get_ok(&uuid).await;
        assert_eq!(s["recipient"], stored, "recipient {given:?}: {s}");
    }
    let uuid = sb.create_for("+919876500001").await;
    assert_eq!(
        sb.get_ok(&uuid).await["destination_country_iso2"],
        "IN",
        "+91 is India"
    );
}

#[tokio::test]
async fn routes_work_with_and_without_the_trailing_slash() {
    let sb = Sandbox::start(&[]).await;
    let base = sb.session_path();
    let bare = base.trim_end_matches('/').to_owned();
    let created = sb
        .send(
            sb.authed(reqwest::Method::POST, &bare)
                .json(&json!({ "recipient": "+14155550126" })),
        )
        .await
        .ok_json(202);
    let uuid = created["session_uuid"].as_str().expect("uuid").to_owned();
    let one = format!("{base}{uuid}");
    let got = sb
        .send(sb.authed(reqwest::Method::GET, &one))
        .await
        .ok_json(200);
    assert_eq!(got["session_uuid"], uuid.as_str());
    let listed = sb
        .send(sb.authed(reqwest::Method::GET, &bare))
        .await
        .ok_json(200);
    assert_eq!(uuids_of(&listed), vec![uuid.clone()]);
    let otp = sb.otp(&uuid).await;
    let validated = sb
        .send(
            sb.authed(reqwest::Method::POST, &one)
                .json(&json!({ "otp": otp })),
        )
        .await
        .ok_json(200);
    assert_eq!(validated["message"], "session validated successfully.");
}

#[tokio::test]
async fn resend_reuses_the_in_progress_session() {
    let sb = Sandbox::start(&[]).await;
    let app = test_uuid(7);
    let first = sb
        .create_ok(json!({ "recipient": "+447700900200", "app_uuid": app }))
        .await;
    let otp = sb.otp(&first).await;
    let before = sb.get_ok(&first).await;
    sb.advance(5).await;

    let second = sb
        .create_ok(json!({ "recipient": "+447700900200", "app_uuid": app, "channel": "voice" }))
        .await;
    assert_eq!(second, first, "same recipient and app within expiry");
    assert_eq!(sb.otp(&first).await, otp, "a resend keeps the code");
    let s = sb.get_ok(&first).await;
    assert_eq!(s["count"], 2, "{s}");
    assert_eq!(s["channel"], "voice", "channel is the last used: {s}");
    assert_eq!(s["status"], "in-progress");
    let attempts = s["attempt_details"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{s}");
    assert_eq!(attempts[0]["channel"], "sms");
    assert_eq!(attempts[1]["channel"], "voice");
    assert_ne!(attempts[0]["attempt_uuid"], attempts[1]["attempt_uuid"]);
    assert_eq!(
        s["charges"]["attempt_charges"].as_array().map(Vec::len),
        Some(2)
    );
    check_charges(&s);
    assert_eq!(s["created_at"], before["created_at"], "created_at is kept");
    let updated = parse_ts(s["updated_at"].as_str().expect("updated_at"));
    assert!(
        updated > created_at(&s),
        "updated_at moves with the resend: {s}"
    );

    // Both attempts delivered the same code.
    let msgs: Vec<Value> = sb
        .messages(None)
        .await
        .into_iter()
        .filter(|m| m["session_uuid"] == first.as_str())
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    for m in &msgs {
        assert!(text_has_code(m, &otp), "{m}");
    }

    // The `+` is optional: the same recipient.
    let third = sb
        .create_ok(json!({ "recipient": "447700900200", "app_uuid": app }))
        .await;
    assert_eq!(third, first);
    assert_eq!(sb.get_ok(&first).await["count"], 3);

    // Another app or another recipient: another session.
    let other_app = sb
        .create_ok(json!({ "recipient": "+447700900200", "app_uuid": test_uuid(8) }))
        .await;
    assert_ne!(other_app, first);
    let other_recipient = sb
        .create_ok(json!({ "recipient": "+447700900201", "app_uuid": app }))
        .await;
    assert_ne!(other_recipient, first);
    assert_ne!(other_recipient, other_app);
    assert_eq!(sb.get_ok(&first).await["count"], 3);
    assert_eq!(sb.get_ok(&other_app).await["count"], 1);
}

#[tokio::test]
async fn without_app_uuid_resends_share_the_default_app() {
    let sb = Sandbox::start(&[]).await;
    let a = sb.create_for("+14155550127").await;
    let b = sb.create_for("+14155550127").await;
    assert_eq!(a, b);
    assert_eq!(sb.get_ok(&a).await["count"], 2);
}

#[tokio::test]
async fn verified_or_expired_sessions_are_not_reused() {
    let sb = Sandbox::start(&["--code-expiry", "60s"]).await;
    let first = sb.create_for("+14155550128").await;
    let otp = sb.otp(&first).await;
    sb.validate(&first, &otp).await.ok_json(200);
    let second = sb.create_for("+14155550128").await;
    assert_ne!(second, first, "a verified session is not re-sent");
    assert_eq!(sb.get_ok(&second).await["count"], 1);
    assert_eq!(sb.get_ok(&first).await["count"], 1);

    sb.advance(61).await;
    assert_eq!(sb.get_ok(&second).await["status"], "expired");
    let third = sb.create_for("+14155550128").await;
    assert_ne!(third, second, "an expired session is not re-sent");
    assert_eq!(sb.get_ok(&third).await["status"], "in-progress");
}

#[tokio::test]
async fn sessions_expire_at_the_code_expiry() {
    for (flag, secs) in [("60s", 60u64), ("2m", 120), ("1h", 3600), ("90", 90)] {
        let sb = Sandbox::start(&["--code-expiry", flag]).await;
        let uuid = sb.create_for("+14155550129").await;
        let otp = sb.otp(&uuid).await;
        sb.advance(secs - 2).await;
        let s = sb.get_ok(&uuid).await;
        assert_eq!(s["status"], "in-progress", "--code-expiry {flag}: {s}");
        sb.advance(3).await;
        let s = sb.get_ok(&uuid).await;
        assert_eq!(s["status"], "expired", "--code-expiry {flag}: {s}");
        let err = sb.validate(&uuid, &otp).await.error(400);
        assert_eq!(err, "session expired", "--code-expiry {flag}");
        assert_eq!(sb.get_ok(&uuid).await["status"], "expired");
    }
}

#[tokio::test]
async fn a_millisecond_code_expiry_is_understood() {
    let sb = Sandbox::start(&["--code-expiry", "500ms"]).await;
    let uuid = sb.create_for("+14155550140").await;
    let otp = sb.otp(&uuid).await;
    sb.advance(1).await;
    assert_eq!(sb.get_ok(&uuid).await["status"], "expired");
    assert_eq!(sb.validate(&uuid, &otp).await.error(400), "session expired");
}

#[tokio::test]
async fn the_default_code_expiry_is_ten_minutes() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550130").await;
    sb.advance(590).await;
    assert_eq!(sb.get_ok(&uuid).await["status"], "in-progress");
    sb.advance(15).await;
    assert_eq!(sb.get_ok(&uuid).await["status"], "expired");
}

#[tokio::test]
async fn wrong_codes_up_to_max_attempts_then_expired() {
    let sb = Sandbox::start(&["--max-attempts", "3"]).await;
    let uuid = sb.create_for("+14155550131").await;
    let otp = sb.otp(&uuid).await;
    let wrong = sb.wrong_otp(&uuid).await;
    // README: "validation attempts a session allows: the Nth wrong code expires it".
    for i in 1..=2 {
        let err = sb.validate(&uuid, &wrong).await.error(400);
        assert_eq!(err, "invalid OTP", "wrong code #{i}");
        assert_eq!(
            sb.get_ok(&uuid).await["status"],
            "in-progress",
            "after #{i}"
        );
    }
    let err = sb.validate(&uuid, &wrong).await.error(400);
    assert_eq!(err, "too many attempts: session expired");
    assert_eq!(sb.get_ok(&uuid).await["status"], "expired");
    let err = sb.validate(&uuid, &otp).await.error(400);
    assert_eq!(err, "session expired", "even the right code");
    let err = sb.validate(&uuid, &wrong).await.error(400);
    assert_eq!(err, "session expired");
}

#[tokio::test]
async fn the_default_max_attempts_is_ten() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550132").await;
    let otp = sb.otp(&uuid).await;
    let wrong = sb.wrong_otp(&uuid).await;
    for _ in 0..9 {
        assert_eq!(sb.validate(&uuid, &wrong).await.error(400), "invalid OTP");
    }
    // Nine wrong codes leave the last of ten attempts: the right one still verifies.
    sb.validate(&uuid, &otp).await.ok_json(200);

    let uuid = sb.create_for("+14155550133").await;
    let wrong = sb.wrong_otp(&uuid).await;
    for _ in 0..9 {
        assert_eq!(sb.validate(&uuid, &wrong).await.error(400), "invalid OTP");
    }
    assert_eq!(
        sb.validate(&uuid, &wrong).await.error(400),
        "too many attempts: session expired",
        "the 10th wrong code"
    );
}

#[tokio::test]
async fn a_wrong_code_then_the_right_one_verifies() {
    let sb = Sandbox::start(&[]).await;
    let uuid = sb.create_for("+14155550134").await;
    let wrong = sb.wrong_otp(&uuid).await;
    assert_eq!(sb.validate(&uuid, &wrong).await.error(400), "invalid OTP");
    let otp = sb.otp(&uuid).await;
    sb.validate(&uuid, &otp).await.ok_json(200);
    assert_eq!(sb.get_ok(&uuid).await["status"], "verified");
}

fn attempt_status(s: &Value, i: usize) -> String {
    s["attempt_details"][i]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("attempt {i} status: {s}"))
        .to_owned()
}

#[tokio::test]
async fn attempt_status_moves_on_with_the_clock() {
    let sb = Sandbox::start(&[]).await;
    let sms_ok = sb.create_for("+14155550135").await;
    let sms_fail = sb.create_for("+14155550000").await;
    let voice_ok = sb
        .create_ok(json!({ "recipient": "+14155550136", "channel": "voice" }))
        .await;
    let voice_fail = sb
        .create_ok(json!({ "recipient": "+14155560000", "channel": "voice" }))
        .await;
    assert_eq!(sb.get_ok(&voice_ok).await["channel"], "voice");

    sb.advance(1).await;
    let st = attempt_status(&sb.get_ok(&sms_ok).await, 0);
    assert!(
        ["sent", "delivered"].contains(&st.as_str()),
        "sms +1s: {st}"
    );
    sb.advance(2).await;
    // Voice attempts read as in the reference's example: upper case, ANSWER once answered.
    let st = attempt_status(&sb.get_ok(&voice_ok).await, 0);
    assert_eq!(st, "ANSWER", "voice +3s");

    // How long a failed delivery takes is not documented: two minutes is plenty.
    sb.advance(120).await;
    assert_eq!(attempt_status(&sb.get_ok(&sms_ok).await, 0), "delivered");
    assert_eq!(
        attempt_status(&sb.get_ok(&sms_fail).await, 0),
        "undelivered"
    );
    assert_eq!(attempt_status(&sb.get_ok(&voice_ok).await, 0), "ANSWER");
    assert_eq!(
        attempt_status(&sb.get_ok(&voice_fail).await, 0),
        "EARLY MEDIA",
        "an unanswered call, charged nothing, as in the reference's example"
    );
    // A failed delivery does not change the session's own status.
    assert_eq!(sb.get_ok(&sms_fail).await["status"], "in-progress");
}

#[tokio::test]
async fn charges_come_from_the_price_table() {
    let sb = Sandbox::start(&[]).await;
    let us1 = sb.get_ok(&sb.create_for("+14155550137").await).await;
    let us2 = sb.get_ok(&sb.create_for("+12125550138").await).await;
    let us_charge = &us1["charges"]["attempt_charges"][0]["charge"];
    assert_eq!(
        us_charge, &us2["charges"]["attempt_charges"][0]["charge"],
        "same calling code, same price"
    );
    for r in [
        "+447700900300",
        "+919876500002",
        "+33612345678",
        "+4915112345678",
        "+61412345678",
        "+8613812345678",
    ] {
        let s = sb.get_ok(&sb.create_for(r).await).await;
        check_charges(&s);
    }
    // A resend adds an attempt charge to the total.
    let uuid = sb.create_for("+14155550139").await;
    let one = sb.get_ok(&uuid).await;
    sb.create_for("+14155550139").await;
    let two = sb.get_ok(&uuid).await;
    check_charges(&two);
    let t1 = money(one["charges"]["total_charge"].as_str().expect("total"));
    let t2 = money(two["charges"]["total_charge"].as_str().expect("total"));
    assert_eq!(t2, 2 * t1, "two sms attempts to +1: {two}");
    assert!(t1 > 0, "an sms to +1 costs something: {one}");
}

async fn run_script(seed: u64) -> Vec<(String, String)> {
    let sb = Sandbox::start_seeded(seed, &[]).await;
    let mut out = Vec::new();
    for (r, len) in [
        ("+14155550140", 6),
        ("+447700900400", 8),
        ("+919876500003", 4),
    ] {
        let uuid = sb
            .create_ok(json!({ "recipient": r, "code_length": len }))
            .await;
        let otp = sb.otp(&uuid).await;
        out.push((uuid, otp));
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_codes_and_uuids() {
    let a = run_script(42).await;
    let b = run_script(42).await;
    assert_eq!(a, b, "--seed 42 twice");
    let c = run_script(43).await;
    assert_ne!(
        a.iter().map(|(u, _)| u).collect::<Vec<_>>(),
        c.iter().map(|(u, _)| u).collect::<Vec<_>>(),
        "another seed, other uuids"
    );
}

/// What Plivo's answers look like beyond the reference's examples (the SDKs' fixtures),
/// and what the real SDKs send.
#[tokio::test]
async fn answers_and_requests_as_the_sdks_know_them() {
    let sb = Sandbox::start(&["--time-offset", "+05:30"]).await;
    // The caller's own code (Node's tests send it as a number), dtmf and fraud_check.
    let uuid = sb
        .create_ok(json!({
            "recipient": "+919876500301", "channel": "voice", "otp": 4321,
            "dtmf": 1, "fraud_check": "block", "code_length": 0
        }))
        .await;
    let s = sb.get_ok(&uuid).await;
    let attempt = &s["attempt_details"][0];
    assert_eq!(attempt["code_length"], 4, "the caller's code: {s}");
    assert_eq!(
        (&attempt["dtmf"], &attempt["fraud_check"]),
        (&json!(1), &json!("block"))
    );
    assert_eq!(s["destination_network"], "Jio");
    for time in [&s["created_at"], &attempt["time"]] {
        let time = time.as_str().unwrap();
        assert!(time.ends_with("+05:30"), "{time}");
        chrono::DateTime::parse_from_rfc3339(time).expect("RFC 3339");
    }
    assert_eq!(s["charges"]["validation_charge"], "0.0000");
    sb.validate(&uuid, "4321").await.ok_json(200);
    let verified = sb.get_ok(&uuid).await;
    let charges = &verified["charges"];
    assert_eq!(charges["validation_charge"], "0.0500", "{verified}");
    let sum = |v: &Value| v.as_str().unwrap().parse::<f64>().unwrap();
    let attempts: f64 = charges["attempt_charges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| sum(&c["charge"]))
        .sum();
    assert!(
        (sum(&charges["total_charge"]) - attempts - 0.05).abs() < 1e-9,
        "the validation charge is in the total: {charges}"
    );
    // An unknown country is "" (not left out), and a failed SMS says so.
    let other = sb.create_for("+85291239999").await;
    sb.advance(5).await;
    let s = sb.get_ok(&other).await;
    assert_eq!(s["destination_country_iso2"], "");
    assert_eq!(s["destination_network"], Value::Null);
    assert_eq!(s["attempt_details"][0]["status"], "failed");
}
