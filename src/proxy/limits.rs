//! Rate limits as sliding-window logs: at most `limit` events per `window` for a key. The
//! decisions are plain Rust with the time passed in, so tests drive the clock.

use std::collections::{BTreeMap, VecDeque};

use crate::api::error::{Error, ErrorCode};
use crate::api::json::Json;
use crate::api::params::Arg;

/// One limit on one key: at most `limit` events per `window_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What is counted, e.g. `send:recipient:+14155550100`.
    pub key: String,
    /// Events allowed in the window.
    pub limit: u32,
    /// Window length in milliseconds.
    pub window_ms: u64,
}

/// The answer for a set of rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Every rule allows it (and, when recording, the event was counted under each).
    Allowed,
    /// A rule refuses it; nothing was counted. Seconds until it would be allowed.
    Limited {
        /// For `Retry-After`.
        retry_after_secs: u64,
    },
}

/// What a store is asked to do with a set of rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Decide only.
    Check,
    /// Decide, and when all allow, count the event under each rule.
    Record,
    /// Take back the event counted at `now` under each rule (what was recorded for a
    /// request that then failed on our side).
    Undo,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Check => "check",
            Action::Record => "record",
            Action::Undo => "undo",
        }
    }
}

/// The event log of every key. All-or-nothing over a set of rules, so a request refused by
/// one limit uses up no other.
#[derive(Debug, Default, Clone)]
pub struct Limiter {
    events: BTreeMap<String, VecDeque<u64>>,
}

impl Limiter {
    /// Checks `rules` at `now_ms`; when all allow and `record`, counts the event under each.
    pub fn apply(&mut self, rules: &[Rule], record: bool, now_ms: u64) -> Decision {
        let mut wait_ms = 0;
        for rule in rules {
            let events = self.events.entry(rule.key.clone()).or_default();
            while events
                .front()
                .is_some_and(|&t| t.saturating_add(rule.window_ms) <= now_ms)
            {
                events.pop_front();
            }
            if events.len() >= rule.limit as usize {
                let wait = match rule.limit as usize {
                    0 => rule.window_ms,
                    // The event that must leave the window before one more fits.
                    limit => (events[events.len() - limit] + rule.window_ms).saturating_sub(now_ms),
                };
                wait_ms = wait_ms.max(wait.max(1));
            }
        }
        if wait_ms > 0 {
            return Decision::Limited {
                retry_after_secs: wait_ms.div_ceil(1000).max(1),
            };
        }
        if record {
            for rule in rules {
                self.events
                    .entry(rule.key.clone())
                    .or_default()
                    .push_back(now_ms);
            }
        }
        self.events.retain(|_, events| !events.is_empty());
        Decision::Allowed
    }

    /// Takes back one event counted at `at_ms` under each rule's key.
    pub fn undo(&mut self, rules: &[Rule], at_ms: u64) {
        for rule in rules {
            if let Some(events) = self.events.get_mut(&rule.key) {
                if let Some(i) = events.iter().rposition(|&t| t == at_ms) {
                    events.remove(i);
                }
                if events.is_empty() {
                    self.events.remove(&rule.key);
                }
            }
        }
    }

    /// Carries out `action` (an undo always answers [`Decision::Allowed`]).
    pub fn act(&mut self, rules: &[Rule], action: Action, now_ms: u64) -> Decision {
        match action {
            Action::Check => self.apply(rules, false, now_ms),
            Action::Record => self.apply(rules, true, now_ms),
            Action::Undo => {
                self.undo(rules, now_ms);
                Decision::Allowed
            }
        }
    }

    /// The events of `key` (for stores that persist them).
    pub fn events(&self, key: &str) -> Vec<u64> {
        self.events
            .get(key)
            .map(|e| e.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Restores the events of `key` (from a store).
    pub fn load(&mut self, key: &str, events: Vec<u64>) {
        if events.is_empty() {
            self.events.remove(key);
        } else {
            self.events.insert(key.to_owned(), events.into());
        }
    }
}

/// The limits' counts in this isolate's memory (the default store): right for one
/// instance; several instances (every edge location) need the Durable Object store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    limiter: std::cell::RefCell<Limiter>,
}

impl super::handler::LimitStore for MemoryStore {
    async fn act(
        &self,
        rules: &[Rule],
        action: Action,
        now_ms: u64,
    ) -> Result<Decision, crate::api::error::Error> {
        Ok(self.limiter.borrow_mut().act(rules, action, now_ms))
    }
}

/// The question a worker asks the Durable Object limiter, as JSON:
/// `{"action":"record","now":1700000000000,"rules":[{"key":"…","limit":3,"windowMs":600000}]}`.
pub fn encode_request(rules: &[Rule], action: Action, now_ms: u64) -> String {
    let rules = rules
        .iter()
        .map(|r| {
            Json::Object(vec![
                ("key", Json::str(r.key.as_str())),
                ("limit", Json::Int(u64::from(r.limit))),
                ("windowMs", Json::Int(r.window_ms)),
            ])
        })
        .collect();
    Json::Object(vec![
        ("action", Json::str(action.as_str())),
        ("now", Json::Int(now_ms)),
        ("rules", Json::Array(rules)),
    ])
    .render()
}

fn malformed() -> Error {
    Error::new(ErrorCode::InvalidResponse, "malformed limiter message")
}

fn field(entries: &[(String, Arg)], key: &str) -> Option<Arg> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn whole(arg: Option<Arg>) -> Option<u64> {
    match arg {
        Some(Arg::Number(n)) if n >= 0.0 && n.fract() == 0.0 && n <= 9.0e15 => Some(n as u64),
        _ => None,
    }
}

/// Reads what [`encode_request`] wrote (parsed by the JS engine).
pub fn decode_request(message: Arg) -> Result<(Vec<Rule>, Action, u64), Error> {
    let Arg::Map(entries) = message else {
        return Err(malformed());
    };
    let action = match field(&entries, "action") {
        Some(Arg::Text(name)) => [Action::Check, Action::Record, Action::Undo]
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(malformed)?,
        _ => return Err(malformed()),
    };
    let now = whole(field(&entries, "now")).ok_or_else(malformed)?;
    let Some(Arg::List(items)) = field(&entries, "rules") else {
        return Err(malformed());
    };
    let rules = items
        .into_iter()
        .map(|item| {
            let Arg::Map(rule) = item else {
                return Err(malformed());
            };
            let Some(Arg::Text(key)) = field(&rule, "key") else {
                return Err(malformed());
            };
            let limit = whole(field(&rule, "limit")).and_then(|n| u32::try_from(n).ok());
            let window_ms = whole(field(&rule, "windowMs"));
            match (limit, window_ms) {
                (Some(limit), Some(window_ms)) if !key.is_empty() && key.len() <= 256 => Ok(Rule {
                    key,
                    limit,
                    window_ms,
                }),
                _ => Err(malformed()),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if rules.is_empty() || rules.len() > 8 {
        return Err(malformed());
    }
    Ok((rules, action, now))
}

/// The limiter's answer: `{"allowed":true}` or `{"allowed":false,"retryAfterSecs":30}`.
pub fn encode_decision(decision: Decision) -> String {
    match decision {
        Decision::Allowed => Json::Object(vec![("allowed", Json::Bool(true))]).render(),
        Decision::Limited { retry_after_secs } => Json::Object(vec![
            ("allowed", Json::Bool(false)),
            ("retryAfterSecs", Json::Int(retry_after_secs)),
        ])
        .render(),
    }
}

/// Reads what [`encode_decision`] wrote.
pub fn decode_decision(message: Arg) -> Result<Decision, Error> {
    let Arg::Map(entries) = message else {
        return Err(malformed());
    };
    match field(&entries, "allowed") {
        Some(Arg::Bool(true)) => Ok(Decision::Allowed),
        Some(Arg::Bool(false)) => Ok(Decision::Limited {
            retry_after_secs: whole(field(&entries, "retryAfterSecs")).ok_or_else(malformed)?,
        }),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(key: &str, limit: u32, window_secs: u64) -> Rule {
        Rule {
            key: key.into(),
            limit,
            window_ms: window_secs * 1000,
        }
    }

    #[test]
    fn counts_within_the_window_and_frees_up_after_it() {
        let mut l = Limiter::default();
        let r = [rule("a", 3, 600)];
        for t in [0, 1_000, 2_000] {
            assert_eq!(l.apply(&r, true, t), Decision::Allowed);
        }
        assert_eq!(
            l.apply(&r, true, 3_000),
            Decision::Limited {
                retry_after_secs: 597
            }
        );
        assert_eq!(
            l.apply(&r, true, 599_999),
            Decision::Limited {
                retry_after_secs: 1
            }
        );
        assert_eq!(
            l.apply(&r, true, 600_000),
            Decision::Allowed,
            "the first left the window"
        );
        assert_eq!(
            l.apply(&r, true, 600_001),
            Decision::Limited {
                retry_after_secs: 1
            }
        );
    }

    #[test]
    fn all_or_nothing_over_several_rules() {
        let mut l = Limiter::default();
        let both = [rule("recipient", 5, 60), rule("ip", 1, 60)];
        assert_eq!(l.apply(&both, true, 0), Decision::Allowed);
        assert!(matches!(l.apply(&both, true, 10), Decision::Limited { .. }));
        assert_eq!(
            l.events("recipient").len(),
            1,
            "the refused request used up nothing"
        );
        assert_eq!(
            l.apply(&[rule("recipient", 5, 60)], true, 20),
            Decision::Allowed
        );
        assert_eq!(l.events("recipient").len(), 2);
    }

    #[test]
    fn peeking_counts_nothing_and_zero_allows_nothing() {
        let mut l = Limiter::default();
        let r = [rule("k", 1, 10)];
        assert_eq!(l.apply(&r, false, 0), Decision::Allowed);
        assert_eq!(l.apply(&r, false, 0), Decision::Allowed);
        assert!(l.events("k").is_empty());
        assert_eq!(
            l.apply(&[rule("z", 0, 10)], true, 0),
            Decision::Limited {
                retry_after_secs: 10
            }
        );
    }

    fn parsed(json: &str) -> Arg {
        crate::api::json::parse(json).unwrap()
    }

    #[test]
    fn messages_to_the_durable_object_round_trip() {
        let rules = vec![
            rule("send:+14155550100", 3, 600),
            rule("ip:203.0.113.7", 10, 3600),
        ];
        for action in [Action::Check, Action::Record, Action::Undo] {
            let message = encode_request(&rules, action, 1_700_000_000_123);
            assert_eq!(
                decode_request(parsed(&message)).unwrap(),
                (rules.clone(), action, 1_700_000_000_123)
            );
        }
        for decision in [
            Decision::Allowed,
            Decision::Limited {
                retry_after_secs: 42,
            },
        ] {
            assert_eq!(
                decode_decision(parsed(&encode_decision(decision))).unwrap(),
                decision
            );
        }
        for bad in [
            "[]",
            r#"{"action":"record","now":1,"rules":[]}"#,
            r#"{"record":true,"now":1,"rules":[{"key":"k","limit":1,"windowMs":1}]}"#,
            r#"{"action":"forget","now":1,"rules":[{"key":"k","limit":1,"windowMs":1}]}"#,
            r#"{"action":"record","now":-1,"rules":[{"key":"k","limit":1,"windowMs":1}]}"#,
            r#"{"action":"record","now":1,"rules":[{"key":"","limit":1,"windowMs":1}]}"#,
            r#"{"action":"record","now":1,"rules":[{"key":"k","limit":1.5,"windowMs":1}]}"#,
        ] {
            assert!(decode_request(parsed(bad)).is_err(), "{bad}");
        }
        assert!(decode_decision(parsed(r#"{"allowed":false}"#)).is_err());
    }

    #[test]
    fn undo_takes_back_only_the_event_recorded_at_that_time() {
        let mut l = Limiter::default();
        let r = [rule("k", 1, 60), rule("j", 5, 60)];
        assert_eq!(l.act(&r, Action::Record, 100), Decision::Allowed);
        assert!(matches!(
            l.act(&r, Action::Record, 200),
            Decision::Limited { .. }
        ));
        l.act(&r, Action::Undo, 150);
        assert_eq!(l.events("k"), [100], "no event at 150: nothing taken back");
        l.act(&r, Action::Undo, 100);
        assert!(l.events("k").is_empty() && l.events("j").is_empty());
        assert_eq!(l.act(&r, Action::Record, 300), Decision::Allowed);
    }

    #[test]
    fn events_round_trip_through_a_store() {
        let mut l = Limiter::default();
        let r = [rule("k", 2, 10)];
        l.apply(&r, true, 1);
        l.apply(&r, true, 2);
        let mut other = Limiter::default();
        other.load("k", l.events("k"));
        assert!(matches!(other.apply(&r, true, 3), Decision::Limited { .. }));
    }
}
