//! Listing sessions: every filter, the `session_time*` forms and precisions, the default 24 h
//! window and the 90-day cap, newest first, limit/offset and the meta URLs, the rate limit.

mod common;

use chrono::{DurationRound, TimeDelta};
use common::*;
use serde_json::json;

const NO_LIMIT: [&str; 2] = ["--list-rate-limit", "0"];

/// A list query and the sessions it must return, in order.
type Case<'a, V> = (Vec<(&'a str, V)>, Vec<&'a String>);

#[tokio::test]
async fn every_filter_really_filters() {
    let sb = Sandbox::start(&["--list-rate-limit", "0", "--max-attempts", "1"]).await;
    let (app_a, app_b) = (test_uuid(0xa), test_uuid(0xb));
    let a = sb
        .create_ok(json!({"recipient": "+14155550201", "app_uuid": app_a, "brand_name": "Acme", "app_hash": "HASH1"}))
        .await;
    let b = sb
        .create_ok(json!({"recipient": "+447700900201", "app_uuid": app_b, "brand_name": "Beta"}))
        .await;
    let c = sb
        .create_ok(json!({"recipient": "+919876500201", "app_uuid": app_a, "app_hash": "HASH2"}))
        .await;
    let d = sb
        .create_ok(json!({"recipient": "+14155550202", "app_uuid": app_b}))
        .await;
    // a verified, b expired (wrong codes past --max-attempts 1), c and d in progress.
    let otp = sb.otp(&a).await;
    sb.validate(&a, &otp).await.ok_json(200);
    let wrong = sb.wrong_otp(&b).await;
    sb.validate(&b, &wrong).await.error(400);
    sb.validate(&b, &wrong).await.error(400);
    assert_eq!(sb.get_ok(&b).await["status"], "expired");

    assert_eq!(
        sb.list_uuids(&[]).await,
        vec![d.clone(), c.clone(), b.clone(), a.clone()],
        "everything, newest first"
    );
    let cases: Vec<Case<&str>> = vec![
        (vec![("app_uuid", &app_a)], vec![&c, &a]),
        (vec![("app_uuid", &app_b)], vec![&d, &b]),
        (vec![("status", "verified")], vec![&a]),
        (vec![("status", "VERIFIED")], vec![&a]),
        (vec![("status", "expired")], vec![&b]),
        (vec![("status", "In-Progress")], vec![&d, &c]),
        (vec![("recipient", "+14155550201")], vec![&a]),
        (vec![("recipient", "14155550201")], vec![&a]),
        (vec![("recipient", "+447700900201")], vec![&b]),
        (vec![("country", "GB")], vec![&b]),
        (vec![("country", "IN")], vec![&c]),
        (vec![("country", "US")], vec![&d, &a]),
        (vec![("brand_name", "Acme")], vec![&a]),
        (vec![("brand_name", "Beta")], vec![&b]),
        (vec![("app_hash", "HASH2")], vec![&c]),
        (vec![("app_hash", "HASH1")], vec![&a]),
        (
            vec![("app_uuid", &app_a), ("status", "in-progress")],
            vec![&c],
        ),
        (vec![("app_uuid", &app_b), ("country", "GB")], vec![&b]),
        (vec![("recipient", "+10000000001")], vec![]),
        (vec![("subaccount", "SAXXXXXXXXXXXXXXXXXX")], vec![]),
        (vec![("foo", "bar"), ("limit", "20")], vec![&d, &c, &b, &a]),
    ];
    for (query, want) in cases {
        let got = sb.list_uuids(&query).await;
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(got, want, "filter {query:?}");
    }
}

#[tokio::test]
async fn session_time_forms_and_precisions() {
    let sb = Sandbox::start(&NO_LIMIT).await;
    let s1 = sb.create_for("+14155550211").await;
    sb.advance(120).await;
    let s2 = sb.create_for("+14155550212").await;
    sb.advance(120).await;
    let s3 = sb.create_for("+14155550213").await;
    let t1 = created_at(&sb.get_ok(&s1).await);
    let t2 = created_at(&sb.get_ok(&s2).await);
    let t3 = created_at(&sb.get_ok(&s3).await);
    assert!(t1 < t2 && t2 < t3);

    let micros = |t| filter_time(t, Precision::Micros);
    // A point strictly between s1 and s2, on a whole minute / second.
    let mid_min = (t1 + TimeDelta::seconds(60))
        .duration_trunc(TimeDelta::minutes(1))
        .expect("trunc");
    let mid_sec = (t1 + TimeDelta::seconds(60))
        .duration_trunc(TimeDelta::seconds(1))
        .expect("trunc");
    assert!(t1 < mid_min && mid_min < t2 && t1 < mid_sec && mid_sec < t2);
    let mm = filter_time(mid_min, Precision::Minutes);
    let ms = filter_time(mid_sec, Precision::Seconds);

    let cases: Vec<Case<String>> = vec![
        // session_time matches at the precision given.
        (vec![("session_time", micros(t2))], vec![&s2]),
        (
            vec![("session_time", filter_time(t2, Precision::Seconds))],
            vec![&s2],
        ),
        (
            vec![("session_time", filter_time(t2, Precision::Minutes))],
            vec![&s2],
        ),
        (
            vec![("session_time", filter_time(t1, Precision::Minutes))],
            vec![&s1],
        ),
        (vec![("session_time", mm.clone())], vec![]),
        // The four comparisons, at microsecond precision on s2 itself.
        (vec![("session_time__gt", micros(t2))], vec![&s3]),
        (vec![("session_time__gte", micros(t2))], vec![&s3, &s2]),
        (vec![("session_time__lt", micros(t2))], vec![&s1]),
        (vec![("session_time__lte", micros(t2))], vec![&s2, &s1]),
        // Minute and second forms.
        (vec![("session_time__gt", mm.clone())], vec![&s3, &s2]),
        (vec![("session_time__gte", mm.clone())], vec![&s3, &s2]),
        (vec![("session_time__lt", mm.clone())], vec![&s1]),
        (vec![("session_time__lte", mm.clone())], vec![&s1]),
        (vec![("session_time__gt", ms.clone())], vec![&s3, &s2]),
        (vec![("session_time__lte", ms.clone())], vec![&s1]),
        // Combined into a range.
        (
            vec![
                ("session_time__gte", micros(t1)),
                ("session_time__lt", micros(t3)),
            ],
            vec![&s2, &s1],
        ),
        (
            vec![
                ("session_time__gt", micros(t1)),
                ("session_time__lte", micros(t3)),
            ],
            vec![&s3, &s2],
        ),
    ];
    for (query, want) in cases {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let got = sb.list_uuids(&q).await;
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(got, want, "filter {q:?}");
    }
}

#[tokio::test]
async fn without_session_time_only_the_last_24_hours() {
    let sb = Sandbox::start(&NO_LIMIT).await;
    let old = sb.create_for("+14155550221").await;
    sb.advance(23 * 3600).await;
    assert_eq!(sb.list_uuids(&[]).await, vec![old.clone()], "23 h old");
    let mid = sb.create_for("+14155550222").await;
    sb.advance(2 * 3600).await;
    assert_eq!(
        sb.list_uuids(&[]).await,
        vec![mid.clone()],
        "the 25 h old session is out of the default window"
    );
    assert_eq!(
        sb.list_uuids(&[("status", "expired")]).await,
        vec![mid.clone()],
        "filters alone do not widen the window"
    );
    let since = filter_time(sb.now().await - TimeDelta::days(3), Precision::Minutes);
    assert_eq!(
        sb.list_uuids(&[("session_time__gte", &since)]).await,
        vec![mid.clone(), old.clone()],
        "a session_time filter replaces the 24 h window"
    );
}

#[tokio::test]
async fn nothing_older_than_90_days_is_listed() {
    let sb = Sandbox::start(&NO_LIMIT).await;
    let old = sb.create_for("+14155550231").await;
    let t_old = created_at(&sb.get_ok(&old).await);
    sb.advance(89 * 86_400).await;
    let wide = [("session_time__gte", "2000-01-01 00:00")];
    assert_eq!(sb.list_uuids(&wide).await, vec![old.clone()], "89 days old");
    sb.advance(2 * 86_400).await;
    assert_eq!(
        sb.list_uuids(&wide).await,
        Vec::<String>::new(),
        "91 days old"
    );
    let new = sb.create_for("+14155550232").await;
    assert_eq!(sb.list_uuids(&wide).await, vec![new.clone()]);
    let exact = filter_time(t_old, Precision::Micros);
    assert!(
        sb.list_uuids(&[("session_time", &exact)]).await.is_empty(),
        "not even by exact time"
    );
    assert!(sb
        .list_uuids(&[("session_time__lte", &exact)])
        .await
        .is_empty());
}

fn meta_query(url: &str, base_path: &str) -> Vec<(String, String)> {
    let (path, query) = url
        .split_once('?')
        .unwrap_or_else(|| panic!("meta URL without a query: {url:?}"));
    assert_eq!(
        path, base_path,
        "meta URL is relative to the list route: {url:?}"
    );
    parse_pairs(query)
}

fn get_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn pages_follow_meta_next_and_previous() {
    let sb = Sandbox::start(&NO_LIMIT).await;
    let app = test_uuid(0x5);
    let other_app = test_uuid(0x6);
    let mut created = Vec::new();
    for i in 0..25 {
        let uuid = sb
            .create_ok(json!({"recipient": format!("+1415555{:04}", 3000 + i), "app_uuid": app}))
            .await;
        created.push(uuid);
        if i % 8 == 0 {
            sb.create_ok(
                json!({"recipient": format!("+1415555{:04}", 3500 + i), "app_uuid": other_app}),
            )
            .await;
        }
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    let base_path = sb.session_path();

    // Default limit 20, offset 0.
    let first = sb.list(&[]).await.ok_json(200);
    assert!(first["api_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(first["meta"]["limit"], 20, "{}", first["meta"]);
    assert_eq!(first["meta"]["offset"], 0);
    assert!(first["meta"]["previous"].is_null(), "{}", first["meta"]);
    assert_eq!(uuids_of(&first).len(), 20);
    let next = first["meta"]["next"].as_str().expect("a next page");
    let q = meta_query(next, &base_path);
    assert_eq!(get_param(&q, "limit"), Some("20"));
    assert_eq!(get_param(&q, "offset"), Some("20"));

    // Filtered, limit 7: follow next until null.
    let query = [
        ("app_uuid", app.as_str()),
        ("status", "in-progress"),
        ("session_time__gte", "2000-01-01 00:00"),
        ("limit", "7"),
    ];
    let mut page = sb.list(&query).await.ok_json(200);
    assert!(page["meta"]["previous"].is_null());
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut offset = 0;
    loop {
        let meta = page["meta"].clone();
        assert_eq!(meta["limit"], 7, "{meta}");
        assert_eq!(meta["offset"], offset, "{meta}");
        let uuids = uuids_of(&page);
        assert!(uuids.len() <= 7);
        seen.extend(uuids.clone());
        pages.push((meta.clone(), uuids));
        assert!(pages.len() <= 5, "next never becomes null: {meta}");
        match meta["next"].as_str() {
            None => {
                assert!(meta["next"].is_null(), "{meta}");
                break;
            }
            Some(next) => {
                let q = meta_query(next, &base_path);
                for (k, v) in &query {
                    assert_eq!(get_param(&q, k), Some(*v), "next carries {k}: {next}");
                }
                offset += 7;
                assert_eq!(get_param(&q, "offset"), Some(offset.to_string().as_str()));
                page = sb.get_path(next).await.ok_json(200);
            }
        }
    }
    assert_eq!(pages.len(), 4, "25 sessions in pages of 7");
    assert_eq!(seen, newest_first, "every session once, newest first");

    // previous of the second page gives the first page back, and carries the filters.
    let prev = pages[1].0["previous"].as_str().expect("previous of page 2");
    let q = meta_query(prev, &base_path);
    for (k, v) in &query {
        assert_eq!(get_param(&q, k), Some(*v), "previous carries {k}: {prev}");
    }
    assert_eq!(get_param(&q, "offset"), Some("0"));
    let back = sb.get_path(prev).await.ok_json(200);
    assert_eq!(uuids_of(&back), pages[0].1);

    // limit / offset directly.
    let off = sb
        .list_uuids(&[("app_uuid", &app), ("limit", "5"), ("offset", "3")])
        .await;
    assert_eq!(off, newest_first[3..8].to_vec());
    let last = sb
        .list(&[("app_uuid", &app), ("limit", "5"), ("offset", "20")])
        .await
        .ok_json(200);
    assert_eq!(uuids_of(&last), newest_first[20..25].to_vec());
    assert!(last["meta"]["next"].is_null(), "{}", last["meta"]);
    let beyond = sb
        .list(&[("app_uuid", &app), ("offset", "100")])
        .await
        .ok_json(200);
    assert!(uuids_of(&beyond).is_empty());
    assert!(beyond["meta"]["next"].is_null(), "{}", beyond["meta"]);
    assert_eq!(beyond["meta"]["offset"], 100);
}

#[tokio::test]
async fn an_empty_list_has_no_pages() {
    let sb = Sandbox::start(&[]).await;
    let json = sb.list(&[]).await.ok_json(200);
    assert!(uuids_of(&json).is_empty());
    assert_eq!(json["meta"]["limit"], 20);
    assert_eq!(json["meta"]["offset"], 0);
    assert!(json["meta"]["next"].is_null());
    assert!(json["meta"]["previous"].is_null());
}

#[tokio::test]
async fn the_list_rate_limit_answers_429_with_retry_after() {
    let sb = Sandbox::start(&["--list-rate-limit", "3"]).await;
    let uuid = sb.create_for("+14155550241").await;
    for i in 1..=3 {
        assert_eq!(sb.list(&[]).await.status, 200, "list #{i}");
    }
    let limited = sb.list(&[]).await;
    limited.error(429);
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After on 429")
        .trim()
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        limited.header("access-control-expose-headers").as_deref(),
        Some("Retry-After")
    );
    // Only listing is limited.
    sb.get_ok(&uuid).await;
    sb.create_for("+14155550242").await;
    assert_eq!(sb.list(&[]).await.status, 429, "still limited");

    sb.advance(retry).await;
    let json = sb.list(&[]).await.ok_json(200);
    assert_eq!(uuids_of(&json).len(), 2, "recovered after Retry-After");
}

#[tokio::test]
async fn the_default_list_rate_limit_is_20_a_minute() {
    let sb = Sandbox::start(&[]).await;
    for i in 1..=20 {
        assert_eq!(sb.list(&[]).await.status, 200, "list #{i}");
    }
    sb.list(&[]).await.error(429);
    sb.advance(60).await;
    assert_eq!(sb.list(&[]).await.status, 200);
}

#[tokio::test]
async fn a_zero_list_rate_limit_means_no_limit() {
    let sb = Sandbox::start(&NO_LIMIT).await;
    for i in 1..=30 {
        assert_eq!(sb.list(&[]).await.status, 200, "list #{i}");
    }
}
