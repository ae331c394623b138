//! `/start` with an `Idempotency-Key`: repeats share the first answer, and only the first
//! sends, even when they arrive at once.
use super::*;
use crate::proxy::handler::LimitStore;

const KEY: &str = "0b6f5c1e-8c57-4c1a-9d7e-6a3b2f1e0d9c";

fn start_with_key(recipient: &str, key: &str) -> ProxyRequest {
    post_request(
        "/verify/start",
        &[("recipient", Arg::Text(recipient.into()))],
        &[("idempotency-key", key)],
    )
}

fn creates(h: &Harness) -> usize {
    h.proxy.backend.created.borrow().len()
}

#[test]
fn ten_starts_at_once_with_one_key_send_one_code_and_share_its_session() {
    let h = harness();
    *h.proxy.backend.slow_creates.borrow_mut() = true;
    let requests: Vec<_> = (0..10)
        .map(|_| start_with_key("+14155550100", KEY))
        .collect();
    let now = *h.now.borrow();
    let answers = block_on_all(requests.iter().map(|r| h.proxy.handle(r, now)).collect());
    assert_eq!(creates(&h), 1, "one code sent");
    let bodies: Vec<serde_json::Value> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.response.status, 200, "{}", a.response.body);
            serde_json::from_str(&a.response.body).unwrap()
        })
        .collect();
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    // A later repeat (a retried request) gets it too, and still nothing is sent.
    h.advance(5);
    let again = h.send(start_with_key("+14155550100", KEY));
    assert_eq!(again.body, bodies[0]);
    assert_eq!(creates(&h), 1);
    // Nor did the repeats count against any limit: the resend wait is the first one's.
    let other = h.send(start_with_key("+14155550100", "another-key"));
    assert_eq!(other.reason(), "resend_wait");
}

#[test]
fn a_key_holds_for_the_resend_window_and_per_number_and_channel() {
    let h = harness();
    assert_eq!(h.send(start_with_key("+14155550100", KEY)).status, 200);
    // The same key for another number is another start.
    assert_eq!(h.send(start_with_key("+14155550101", KEY)).status, 200);
    assert_eq!(creates(&h), 2);
    h.advance(31);
    // Past the resend window the key is spent: a deliberate resend with it sends again.
    assert_eq!(h.send(start_with_key("+14155550100", KEY)).status, 200);
    assert_eq!(creates(&h), 3);
}

#[test]
fn a_first_start_that_fails_gives_its_key_up() {
    // Plivo declined (a 4xx: nothing sent): the key and the counts are given back, and a
    // retry sends.
    let h = harness();
    let declined = Error::from_status(400, Some("invalid destination".into()), None, None);
    *h.proxy.backend.fail_with.borrow_mut() = Some(declined);
    assert_eq!(h.send(start_with_key("+14155550100", KEY)).status, 400);
    let retried = h.send(start_with_key("+14155550100", KEY));
    assert_eq!(retried.status, 200, "the retry sends: {:?}", retried.body);
    assert_eq!(creates(&h), 1);
    // A 5xx may have sent: the key is given up (its session is unknown), but the send stays
    // counted, so the retry waits out the resend wait rather than sending twice.
    let h = harness();
    *h.proxy.backend.fail_with.borrow_mut() = Some(Error::from_status(500, None, None, None));
    assert_eq!(h.send(start_with_key("+14155550100", KEY)).status, 502);
    assert_eq!(
        h.send(start_with_key("+14155550100", KEY)).reason(),
        "resend_wait"
    );
    // A start a guard refused gives it up too: the same request from an address with
    // sends left goes through at once.
    let h = harness_with(vec![(
        "limits",
        Arg::Map(vec![(
            "sendsPerIp".into(),
            Arg::List(vec![Arg::Number(1.0), Arg::Number(3600.0)]),
        )]),
    )]);
    assert_eq!(h.start("+14155550100").status, 200);
    let refused = h.send(start_with_key("+14155550199", KEY));
    assert_eq!(refused.reason(), "sends_per_ip");
    let mut elsewhere = start_with_key("+14155550199", KEY);
    elsewhere.headers.retain(|(k, _)| k != "cf-connecting-ip");
    elsewhere
        .headers
        .push(("cf-connecting-ip".into(), "198.51.100.9".into()));
    assert_eq!(h.send(elsewhere).status, 200);
    assert_eq!(creates(&h), 2);
}

#[test]
fn a_repeat_waits_for_a_first_one_still_at_work_and_then_gives_up() {
    let h = harness();
    // Someone holds the key and never finishes (its instance died mid-flight).
    let rule = crate::proxy::limits::Rule {
        key: format!("idem:+14155550100:sms:{KEY}"),
        limit: 1,
        window_ms: 30_000,
    };
    let claimed = block_on(h.proxy.store.claim(&rule, *h.now.borrow())).unwrap();
    assert_eq!(claimed, crate::proxy::limits::Claim::Won);
    let waited = h.send(start_with_key("+14155550100", KEY));
    assert_eq!((waited.status, waited.code()), (409, "in_progress"));
    assert_eq!(creates(&h), 0, "nothing sent");
    let slept = h.proxy.backend.clock.get() - *h.now.borrow();
    assert!((20_000..=21_000).contains(&slept), "waited {slept} ms");
}

#[test]
fn a_malformed_key_is_refused_and_nothing_sent() {
    let h = harness();
    for key in ["", "has space", "é", &"k".repeat(129), "a\"b"] {
        let a = h.send(start_with_key("+14155550100", key));
        assert_eq!((a.status, a.code()), (400, "invalid_argument"), "{key:?}");
    }
    assert_eq!(creates(&h), 0);
    assert_eq!(
        h.send(start_with_key("+14155550100", &"k".repeat(128)))
            .status,
        200
    );
}
