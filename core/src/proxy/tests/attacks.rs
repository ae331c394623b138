//! The guards attacked as an attacker would: pumping, aimed lockouts, floods. Each test
//! drives the real proxy with the fake Plivo and the in-memory limits.

use super::*;

fn limits(entries: Vec<(&str, Arg)>) -> Vec<(&'static str, Arg)> {
    vec![(
        "limits",
        Arg::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ),
    )]
}

fn window(count: u32, secs: u32) -> Arg {
    Arg::List(vec![Arg::Number(count.into()), Arg::Number(secs.into())])
}

impl Harness {
    fn post_from(&self, path: &str, fields: &[(&str, Arg)], ip: &str) -> Answer {
        self.send(post_request(path, fields, &[("cf-connecting-ip", ip)]))
    }

    fn start_from(&self, recipient: &str, ip: &str) -> Answer {
        self.post_from(
            "/verify/start",
            &[("recipient", Arg::Text(recipient.into()))],
            ip,
        )
    }

    /// A start carrying a bot check's token.
    fn start_with_token(&self, recipient: &str, ip: &str, token: &str) -> Answer {
        self.post_from(
            "/verify/start",
            &[
                ("recipient", Arg::Text(recipient.into())),
                ("challengeToken", Arg::Text(token.into())),
            ],
            ip,
        )
    }

    fn check_from(&self, uuid: &str, otp: &str, ip: &str) -> Answer {
        self.post_from(
            "/verify/check",
            &[
                ("sessionUuid", Arg::Text(uuid.into())),
                ("otp", Arg::Text(otp.into())),
            ],
            ip,
        )
    }
}

fn uuid_of(a: &Answer) -> String {
    a.body["sessionUuid"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn address(n: u32) -> String {
    format!("198.51.{}.{}", n / 250, n % 250 + 1)
}

#[test]
fn us_and_canada_refuse_jamaica_and_the_other_caribbean_countries() {
    let h = harness_with(vec![
        ("allowedCountryCodes", Arg::Absent),
        (
            "allowedCountries",
            Arg::List(vec![Arg::Text("US".into()), Arg::Text("CA".into())]),
        ),
    ]);
    for (n, number) in [
        "+18765550100",
        "+18095550100",
        "+12425550100",
        "+19005550100",
        "+447700900123",
    ]
    .iter()
    .enumerate()
    {
        let a = h.start_from(number, &address(n as u32));
        assert_eq!(
            (a.status, a.code(), a.reason()),
            (403, "country_not_allowed", "country_not_allowed"),
            "{number}"
        );
    }
    assert_eq!(h.calls(), 0, "nothing reached Plivo");
    assert_eq!(h.start_from("+14155550100", &address(10)).status, 200);
    assert_eq!(
        h.start_from("+15145550100", &address(11)).status,
        200,
        "Canada"
    );

    // The calling-code list still works, and the two combine: either admits.
    let h = harness_with(vec![
        (
            "allowedCountryCodes",
            Arg::List(vec![Arg::Text("44".into())]),
        ),
        ("allowedCountries", Arg::List(vec![Arg::Text("CA".into())])),
    ]);
    assert_eq!(h.start_from("+447700900123", &address(1)).status, 200);
    assert_eq!(h.start_from("+16045550100", &address(2)).status, 200);
    assert_eq!(h.start_from("+14155550100", &address(3)).status, 403);
}

#[test]
fn unknown_country_codes_are_refused_at_construction() {
    for bad in ["us", "USA", "XX", "+1"] {
        let options = vec![
            ("authId".into(), Arg::Text("MAXXXXXXXXXXXXXXXXXX".into())),
            ("authToken".into(), Arg::Text(TOKEN.into())),
            ("proofSecret".into(), Arg::Text(SECRET.into())),
            (
                "allowedCountries".into(),
                Arg::List(vec![Arg::Text(bad.into())]),
            ),
        ];
        let e = ProxyConfig::from_options(Options::new(options))
            .err()
            .expect(bad);
        assert_eq!(e.argument.as_deref(), Some("allowedCountries"), "{bad}");
    }
}

#[test]
fn a_pumping_run_over_many_numbers_and_addresses_meets_the_total_cap() {
    let h = harness_with(limits(vec![("sendsTotal", window(25, 3600))]));
    let mut sent = 0;
    for n in 0..40u32 {
        // Numbers far apart (no shared prefix) from fresh addresses: only the total binds.
        let a = h.start_from(&format!("+1415{:03}{:04}", 200 + n, n), &address(n));
        if a.status == 200 {
            sent += 1;
        } else {
            assert_eq!((a.status, a.reason()), (429, "sends_total"));
            assert!(a.header("Retry-After").is_some());
        }
    }
    assert_eq!(sent, 25);
    assert_eq!(h.calls(), 25, "refused sends never reach Plivo");
}

#[test]
fn a_number_range_walk_meets_the_prefix_cap() {
    let h = harness_with(limits(vec![("sendsPerPrefix", window(5, 3600))]));
    let answers: Vec<_> = (0..8u32)
        .map(|n| h.start_from(&format!("+1415555{n:04}"), &address(n)))
        .collect();
    let sent = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(sent, 5, "+1415555 0000..0999 share one prefix");
    assert_eq!(answers[5].reason(), "sends_per_prefix");
    assert_eq!(
        h.start_from("+14155551000", &address(99)).status,
        200,
        "the next block is another prefix"
    );
}

#[test]
fn voice_calls_have_their_own_cap() {
    let h = harness_with(limits(vec![
        ("voicePerRecipient", window(1, 3600)),
        ("resendAfterSecs", Arg::Number(0.0)),
        ("sendsPerRecipient", window(10, 600)),
        ("sendsPerIp", window(10, 600)),
    ]));
    let voice = |h: &Harness| {
        h.post_from(
            "/verify/start",
            &[
                ("recipient", Arg::Text("+14155550100".into())),
                ("channel", Arg::Text("voice".into())),
            ],
            "203.0.113.7",
        )
    };
    assert_eq!(voice(&h).status, 200);
    let a = voice(&h);
    assert_eq!((a.status, a.reason()), (429, "voice_per_recipient"));
    assert_eq!(h.start("+14155550100").status, 200, "texts still go");
}

#[test]
fn shadow_mode_decides_and_reports_but_never_refuses() {
    let h = harness_with(vec![
        ("shadow", Arg::Bool(true)),
        ("allowedCountries", Arg::List(vec![Arg::Text("US".into())])),
        ("allowedCountryCodes", Arg::Absent),
    ]);
    let first = h.start("+14155550100");
    assert_eq!(first.status, 200);
    assert!(first.shadowed.is_empty());
    let again = h.start("+14155550100");
    assert_eq!(again.status, 200, "past the resend wait, yet sent");
    assert_eq!(again.shadowed, ["resend_wait"]);
    let abroad = h.start_from("+18765550100", &address(1));
    assert_eq!(abroad.status, 200);
    assert_eq!(abroad.shadowed, ["country_not_allowed"]);
    assert_eq!(h.calls(), 3);
    // Without shadow the same requests are refused.
    let h = harness_with(vec![]);
    h.start("+14155550100");
    assert_eq!(h.start("+14155550100").reason(), "resend_wait");
}

#[test]
fn every_refusal_names_its_guard() {
    let h = harness();
    h.start("+14155550100");
    let a = h.start("+14155550100");
    assert_eq!(
        (a.status, a.code(), a.reason()),
        (429, "rate_limited", "resend_wait")
    );
    for n in 1..3 {
        h.start(&format!("+1415555020{n}"));
    }
    assert_eq!(h.start("+14155550299").reason(), "sends_per_ip");
}

#[test]
fn one_address_cannot_use_up_a_numbers_sends() {
    // The attacker asks for codes to the victim's number from one address, as fast as the
    // proxy lets it; the victim, from another, still gets a code.
    let h = harness_with(vec![("limits", Arg::Absent)]);
    let mut attacker_sends = 0;
    for _ in 0..120 {
        if h.start_from("+14155550100", "203.0.113.66").status == 200 {
            attacker_sends += 1;
        }
        h.advance(30);
    }
    assert_eq!(attacker_sends, 3, "3 per hour from one address");
    let victim = h.start_from("+14155550100", "198.51.100.20");
    assert_eq!(victim.status, 200, "{}", victim.body);
}

#[test]
fn wrong_codes_cool_down_the_guessing_address_not_the_number() {
    let h = harness_with(limits(vec![("checksPerSession", Arg::Number(20.0))]));
    h.proxy.backend.max_wrong.set(Some(100));
    let uuid = uuid_of(&h.start_from("+14155550100", "198.51.100.20"));
    let attacker = "203.0.113.66";
    let mut refused = None;
    for n in 0..6 {
        let a = h.check_from(&uuid, &format!("00000{n}"), attacker);
        if a.status == 429 {
            refused = Some(a);
            break;
        }
    }
    let refused = refused.expect("the sixth guess within 5 minutes waits");
    assert_eq!(refused.reason(), "failure_cooldown");
    assert_eq!(refused.header("Retry-After"), Some("300"));
    // The owner of the session, from their own address, is not held up.
    assert_eq!(
        h.check_from(&uuid, OTP, "198.51.100.20").body["verified"],
        true
    );
}

#[test]
fn checks_per_session_are_counted_per_address() {
    let h = harness_with(vec![("limits", Arg::Absent)]);
    h.proxy.backend.max_wrong.set(Some(100));
    let uuid = uuid_of(&h.start_from("+14155550100", "198.51.100.20"));
    for n in 0..5 {
        h.check_from(&uuid, &format!("00000{n}"), "203.0.113.66");
        h.advance(301);
    }
    assert_eq!(
        h.check_from(&uuid, "000009", "203.0.113.66").body["reason"],
        "too_many_attempts"
    );
    assert_eq!(
        h.check_from(&uuid, OTP, "198.51.100.20").body["verified"],
        true,
        "the other address's checks are its own"
    );
}

#[test]
fn a_numbers_consecutive_failures_stop_at_the_nist_bound_and_a_right_code_resets_them() {
    let h = harness_with(limits(vec![
        ("failuresPerRecipient", window(100, 86_400)),
        ("checksPerSession", Arg::Number(100.0)),
        ("readsPerIp", window(1000, 60)),
    ]));
    h.proxy.backend.max_wrong.set(Some(1_000));
    let uuid = uuid_of(&h.start("+14155550100"));
    // 100 wrong codes from 20 addresses (5 each, inside each address's first cool-down).
    for n in 0..100u32 {
        let a = h.check_from(&uuid, "000000", &address(n / 5));
        assert_eq!(a.body["reason"], "incorrect", "guess {n}: {}", a.body);
    }
    let a = h.check_from(&uuid, OTP, &address(500));
    assert_eq!((a.status, a.reason()), (429, "failures_per_recipient"));
    let a = h.start_from("+14155550100", &address(501));
    assert_eq!(
        (a.status, a.reason()),
        (429, "failures_per_recipient"),
        "no new codes"
    );
    assert_eq!(
        *h.proxy.backend.validations.borrow(),
        100,
        "the 101st never reached Plivo"
    );

    // Below the bound, a right code starts the count over.
    let h = harness_with(limits(vec![
        ("failuresPerRecipient", window(6, 86_400)),
        ("checksPerSession", Arg::Number(100.0)),
    ]));
    h.proxy.backend.max_wrong.set(Some(1_000));
    let uuid = uuid_of(&h.start("+14155550100"));
    for n in 0..5 {
        h.check_from(&uuid, "000000", &address(n));
    }
    assert_eq!(h.check_from(&uuid, OTP, &address(9)).body["verified"], true);
    let uuid = uuid_of(&h.start_from("+14155550100", &address(10)));
    for n in 0..6 {
        assert_eq!(
            h.check_from(&uuid, "000000", &address(20 + n)).body["reason"],
            "incorrect",
            "a new run of 6"
        );
    }
}

#[test]
fn a_session_of_another_app_gives_no_proof() {
    let app = "8f4c2a37-1b6e-4d9a-a5f0-3c7e9b2d1a64";
    let h = harness_with(vec![("appUuid", Arg::Text(app.into()))]);
    h.proxy.backend.sessions.borrow_mut().insert(
        "11111111-2222-4333-8444-555555555555".into(),
        FakeSession {
            recipient: "14155550100".into(),
            app_uuid: Some("00000000-0000-4000-8000-00000000beef".into()),
            status: "in-progress".into(),
            wrong: 0,
            created_at: T0,
        },
    );
    let a = h.check("11111111-2222-4333-8444-555555555555", OTP);
    assert_eq!((a.status, a.code()), (404, "not_found"));
    assert_eq!(
        *h.proxy.backend.validations.borrow(),
        0,
        "no code was tried"
    );
    let own = uuid_of(&h.start("+14155550100"));
    assert_eq!(h.check(&own, OTP).body["verified"], true);
}

#[test]
fn a_send_plivo_refused_is_given_back() {
    let h = harness();
    *h.proxy.backend.fail_with.borrow_mut() = Some(Error::from_status(
        400,
        Some("invalid destination".into()),
        None,
        None,
    ));
    assert_eq!(h.start("+14155550100").status, 400);
    assert_eq!(
        h.start("+14155550100").status,
        200,
        "no resend wait was spent"
    );
}

/// How long an attacker who knows only the victim's number, with `addresses` client
/// addresses, keeps the victim (on an address of their own) from verifying, in minutes,
/// under the default limits and Plivo's behaviour (one open session per number, expired
/// by its 10th wrong code or after 10 minutes). `None`: not within 6 hours.
///
/// The attacker starts an hour early and then acts every 5 seconds from each address: asks
/// for a code to the number (which also tells it the open session's UUID) and sends a
/// wrong code to the session it knows. The victim asks for a code, types it 30 seconds
/// later, and on any failure tries again a minute later. With `challenged`, `/start` has a
/// bot check that the victim passes and the attacker's script does not.
fn lockout_minutes(addresses: u32, challenged: bool) -> Option<u64> {
    let mut h = harness_with(vec![("limits", Arg::Absent)]);
    if challenged {
        h.challenge = Some(HumanCheck);
    }
    h.proxy.backend.like_plivo.set(true);
    h.proxy.backend.max_wrong.set(Some(10));
    let number = "+14155550100";
    let victim = "192.0.2.10";
    let step = 5;
    let mut known: Option<String> = None;
    let attack = |h: &Harness, known: &mut Option<String>| {
        for a in 0..addresses {
            let ip = address(a);
            let started = h.start_with_token(number, &ip, "scripted");
            if started.status == 200 {
                *known = Some(uuid_of(&started));
            }
            if let Some(uuid) = known.as_deref() {
                let _ = h.check_from(uuid, "000000", &ip);
            }
        }
    };
    for _ in 0..(3_600 / step) {
        attack(&h, &mut known);
        h.advance(step);
    }
    let began = *h.now.borrow();
    let mut next_try = began;
    while *h.now.borrow() - began < 6 * 3_600_000 {
        if *h.now.borrow() >= next_try {
            let started = h.start_with_token(number, victim, "human");
            let mut verified = false;
            if started.status == 200 {
                let uuid = uuid_of(&started);
                for _ in 0..(30 / step) {
                    attack(&h, &mut known);
                    h.advance(step);
                }
                verified = h.check_from(&uuid, OTP, victim).body["verified"] == true;
            }
            if verified {
                return Some((*h.now.borrow() - began) / 60_000);
            }

            next_try = *h.now.borrow() + 60_000;
        }
        attack(&h, &mut known);
        h.advance(step);
    }
    None
}

#[test]
fn an_attacker_who_knows_only_the_number_with_two_addresses_cannot_keep_the_victim_out() {
    // The figures the README states (Security): the victim's wait, by the attacker's
    // number of addresses (`cargo test lockout -- --nocapture` prints them). Verifying
    // takes the victim 30 s of typing at best (0 minutes).
    let figures: Vec<_> = [1, 2, 3, 4, 5]
        .map(|k| (k, lockout_minutes(k, false)))
        .into();
    eprintln!("minutes the victim is kept out, by attacker addresses: {figures:?}");
    assert_eq!(
        figures[0].1,
        Some(0),
        "one address cannot hold the victim up at all"
    );
    assert!(figures[1].1.is_some_and(|m| m <= 15), "{figures:?}");
}

#[test]
fn proofs_carry_the_configured_audience_and_rotate_secrets() {
    let previous = "the-previous-proof-secret-of-32-chars";
    let h = harness_with(vec![
        ("proofSecret", Arg::Absent),
        (
            "proofSecrets",
            Arg::List(vec![Arg::Text(SECRET.into()), Arg::Text(previous.into())]),
        ),
        ("proofAudience", Arg::Text("https://app.example.com".into())),
        (
            "proofIssuer",
            Arg::Text("https://verify.example.com".into()),
        ),
    ]);
    let uuid = uuid_of(&h.start("+14155550100"));
    let token = h.check(&uuid, OTP).body["proof"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = T0 / 1000 + 1;
    let expect = |audience| proof::Expected {
        audience: Some(audience),
        issuer: Some("https://verify.example.com"),
    };
    // Signed with the first secret: verifiers holding either list order accept it.
    let p = proof::verify(
        &token,
        &[SECRET.into()],
        &expect("https://app.example.com"),
        now,
    )
    .unwrap();
    assert_eq!(p.audience, "https://app.example.com");
    assert!(proof::verify(
        &token,
        &[previous.into(), SECRET.into()],
        &expect("https://app.example.com"),
        now
    )
    .is_ok());
    assert!(proof::verify(
        &token,
        &[previous.into()],
        &expect("https://app.example.com"),
        now
    )
    .is_err());
    assert_eq!(
        proof::verify(
            &token,
            &[SECRET.into()],
            &expect("https://other.example.com"),
            now
        )
        .unwrap_err()
        .code,
        ErrorCode::InvalidProof,
        "a proof for one app is worthless to another"
    );
    for (name, value) in [
        ("proofSecrets", Arg::List(vec![])),
        ("proofSecrets", Arg::List(vec![Arg::Text("short".into())])),
        ("proofAudience", Arg::Text("has \"quotes\"".into())),
        ("proofIssuer", Arg::Text(String::new())),
    ] {
        let mut options = vec![
            (
                "authId".to_owned(),
                Arg::Text("MAXXXXXXXXXXXXXXXXXX".into()),
            ),
            ("authToken".to_owned(), Arg::Text(TOKEN.into())),
            (name.to_owned(), value),
        ];
        if name != "proofSecrets" {
            options.push(("proofSecret".to_owned(), Arg::Text(SECRET.into())));
        }
        let e = ProxyConfig::from_options(Options::new(options))
            .err()
            .expect(name);
        assert_eq!(e.argument.as_deref(), Some(name));
    }
    let both = vec![
        (
            "authId".to_owned(),
            Arg::Text("MAXXXXXXXXXXXXXXXXXX".into()),
        ),
        ("authToken".to_owned(), Arg::Text(TOKEN.into())),
        ("proofSecret".to_owned(), Arg::Text(SECRET.into())),
        (
            "proofSecrets".to_owned(),
            Arg::List(vec![Arg::Text(SECRET.into())]),
        ),
    ];
    assert!(ProxyConfig::from_options(Options::new(both)).is_err());
}

#[test]
fn with_a_bot_check_an_attacker_with_any_number_of_addresses_cannot_keep_the_victim_out() {
    // The attacker's script cannot solve the check, so it never learns the open session's
    // UUID (a start is its only way to it) and never spends a number's sends: the victim is
    // not held up at all (README, Security).
    let figures: Vec<_> = [1, 5, 20].map(|k| (k, lockout_minutes(k, true))).into();
    eprintln!(
        "minutes the victim is kept out behind a bot check, by attacker addresses: {figures:?}"
    );
    assert!(figures.iter().all(|(_, m)| *m == Some(0)), "{figures:?}");
}
