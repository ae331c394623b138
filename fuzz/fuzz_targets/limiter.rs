//! The Durable Object limiter's messages: a question as an object reads it (then decided
//! on one long-lived limiter, so that memory stays bounded across inputs), and an answer as
//! a proxy reads it.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use plivo_verify_core::proxy::limits::{Limiter, LimiterAnswer, LimiterQuestion};

thread_local! {
    /// One object's limiter, small so that eviction is exercised too.
    static LIMITER: RefCell<Limiter> = RefCell::new(Limiter::with_max_keys(1_000));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(question) = serde_json::from_slice::<LimiterQuestion>(data) {
        if let Ok(question) = question.checked() {
            LIMITER.with(|l| {
                let mut limiter = l.borrow_mut();
                let (rules, now) = (&question.rules, question.now);
                let _ = limiter.act(rules, question.action, now);
                if let Some(note) = &question.note {
                    limiter.leave_note(&rules[0].key, note);
                }
                let _ = limiter.claim(&rules[0], now);
                assert!(
                    limiter.len() <= 1_000,
                    "the limiter holds more keys than its bound"
                );
            });
        }
    }
    if let Ok(answer) = serde_json::from_slice::<LimiterAnswer>(data) {
        let _ = answer.decision();
        let _ = answer.claim();
    }
});
