//! The bot check on `/start` (`challenge`): a missing, failing or unverifiable token sends
//! nothing and uses up no limit; a passing one goes on to the guards.
use super::*;
use crate::proxy::handler::Challenger;

/// Passes tokens starting `pass`, fails others, cannot be reached for `down`; records what
/// it was asked.
#[derive(Default)]
struct FakeChallenger {
    asked: RefCell<Vec<(String, Option<String>)>>,
}

impl Challenger for FakeChallenger {
    async fn passes(&self, token: &str, remote_ip: Option<&str>) -> Result<bool, Error> {
        self.asked
            .borrow_mut()
            .push((token.to_owned(), remote_ip.map(str::to_owned)));
        match token {
            "down" => Err(Error::new(ErrorCode::Network, "unreachable")),
            t => Ok(t.starts_with("pass")),
        }
    }
}

fn start_request(token: Option<&str>, headers: &[(&str, &str)]) -> ProxyRequest {
    let mut fields = vec![("recipient", Arg::Text("+14155550100".into()))];
    if let Some(token) = token {
        fields.push(("challengeToken", Arg::Text(token.into())));
    }
    post_request("/verify/start", &fields, headers)
}

fn send_checked(h: &Harness, c: &FakeChallenger, request: ProxyRequest) -> Answer {
    let handled = block_on(h.proxy.handle_checked(&request, *h.now.borrow(), Some(c)));
    let body = serde_json::from_str(&handled.response.body).unwrap_or(serde_json::Value::Null);
    Answer {
        status: handled.response.status,
        body,
        raw: handled.response,
        event: handled.event,
        shadowed: handled.shadowed,
    }
}

#[test]
fn a_missing_failing_or_unverifiable_token_sends_nothing_and_spends_no_limit() {
    let h = harness();
    let c = FakeChallenger::default();
    for (token, status, code) in [
        (None, 403, "challenge_failed"),
        (Some("fail-1"), 403, "challenge_failed"),
        (Some("down"), 502, "upstream_error"),
    ] {
        let a = send_checked(&h, &c, start_request(token, &[]));
        assert_eq!((a.status, a.code()), (status, code), "{token:?}");
        if status == 403 {
            assert_eq!(a.reason(), "challenge_failed");
        }
    }
    assert!(h.proxy.backend.created.borrow().is_empty(), "nothing sent");
    // No resend wait, no send count was used: a passing token goes straight through.
    let a = send_checked(&h, &c, start_request(Some("pass-1"), &[]));
    assert_eq!(a.status, 200, "{:?}", a.body);
    // The provider was told the client's address (CF-Connecting-IP on Cloudflare).
    assert_eq!(
        c.asked.borrow().last().cloned(),
        Some(("pass-1".to_owned(), Some("203.0.113.7".to_owned())))
    );
    // And the guards still apply after it.
    let again = send_checked(&h, &c, start_request(Some("pass-2"), &[]));
    assert_eq!(again.reason(), "resend_wait");
    let h = harness();
    // An IPv6 client's own address, not its /64 bucket.
    let v6 = send_checked(
        &h,
        &c,
        start_request(Some("pass-v6"), &[("cf-connecting-ip", "2001:db8:1:2::7")]),
    );
    assert_eq!(v6.status, 200, "{:?}", v6.body);
    assert_eq!(
        c.asked.borrow().last().and_then(|a| a.1.clone()).as_deref(),
        Some("2001:db8:1:2::7")
    );
}

#[test]
fn a_repeat_of_an_idempotent_start_is_answered_without_a_second_check() {
    let h = harness();
    let c = FakeChallenger::default();
    let key = [("idempotency-key", "k-1")];
    let first = send_checked(&h, &c, start_request(Some("pass-1"), &key));
    // The retried request carries the same, now spent, token: it is not checked again.
    let repeat = send_checked(&h, &c, start_request(Some("fail-spent"), &key));
    assert_eq!(repeat.status, 200);
    assert_eq!(repeat.body, first.body);
    assert_eq!(c.asked.borrow().len(), 1);
    // A failed check gives the key up: the user solves the check again and it goes through.
    let h = harness();
    let key = [("idempotency-key", "k-2")];
    assert_eq!(
        send_checked(&h, &c, start_request(Some("fail-1"), &key)).status,
        403
    );
    assert_eq!(
        send_checked(&h, &c, start_request(Some("pass-3"), &key)).status,
        200
    );
}

#[test]
fn shadow_mode_logs_a_failed_check_and_goes_on() {
    let h = harness_with(vec![("shadow", Arg::Bool(true))]);
    let c = FakeChallenger::default();
    let a = send_checked(&h, &c, start_request(None, &[]));
    assert_eq!(a.status, 200);
    assert_eq!(a.shadowed, vec!["challenge_failed"]);
}

#[test]
fn without_a_challenge_a_token_is_ignored_and_a_malformed_one_refused() {
    let h = harness();
    assert_eq!(h.send(start_request(Some("anything"), &[])).status, 200);
    let c = FakeChallenger::default();
    for bad in ["", "has space", "quote\"d", &"t".repeat(2049)] {
        let a = send_checked(&h, &c, start_request(Some(bad), &[]));
        assert_eq!((a.status, a.code()), (400, "invalid_argument"), "{bad:?}");
    }
    assert!(
        c.asked.borrow().is_empty(),
        "a malformed token is never sent on"
    );
}
