//! Rate limits as sliding-window logs: at most `limit` events per `window` for a key. The
//! decisions are plain Rust with the time passed in, so tests drive the clock.
//!
//! The log is bounded: a key lives until its newest event leaves its window, expired keys
//! are swept a few at a time on every decision, and past `max_keys` the key that would
//! expire first is evicted. Every decision costs O(rules × log n), whatever n is.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::rc::Rc;

use crate::api::error::{Error, ErrorCode};
use crate::api::json::Json;
use crate::api::params::Arg;

/// Keys a [`Limiter`] keeps by default.
pub const DEFAULT_MAX_KEYS: usize = 100_000;
/// Expired keys removed per decision (sweeping is spread over calls, never a pause).
const SWEEP_PER_CALL: usize = 8;

/// One limit on one key: at most `limit` events per `window_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What is counted, e.g. `send:+14155550100`.
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
    /// A rule refuses it; nothing was counted.
    Limited {
        /// Seconds until it would be allowed (for `Retry-After`).
        retry_after_secs: u64,
        /// Index of the refusing rule (the one that waits longest) in the rules asked.
        rule: usize,
    },
}

/// What a store is asked to do with a set of rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Decide only; nothing is written.
    Check,
    /// Decide, and when all allow, count the event under each rule.
    Record,
    /// Take back the event counted at `now` under each rule (what was recorded for a
    /// request that then failed on our side).
    Undo,
    /// Forget every event of each rule's key (a run of failures ended by a success).
    Reset,
}

impl Action {
    const ALL: [Action; 4] = [Action::Check, Action::Record, Action::Undo, Action::Reset];

    fn as_str(self) -> &'static str {
        match self {
            Action::Check => "check",
            Action::Record => "record",
            Action::Undo => "undo",
            Action::Reset => "reset",
        }
    }
}

/// The distinct keys of `rules`, each with the longest window it is asked about (several
/// rules on one key are windows of one log: an event is counted once).
pub fn distinct_keys(rules: &[Rule]) -> Vec<(&str, u64)> {
    let mut keys: Vec<(&str, u64)> = Vec::new();
    for rule in rules {
        match keys.iter_mut().find(|(key, _)| *key == rule.key) {
            Some((_, window_ms)) => *window_ms = (*window_ms).max(rule.window_ms),
            None => keys.push((&rule.key, rule.window_ms)),
        }
    }
    keys
}

/// One key's events (oldest first) and the longest window they are counted in.
#[derive(Debug, Clone, Default)]
struct Log {
    events: VecDeque<u64>,
    window_ms: u64,
}

impl Log {
    /// When the newest event leaves the window: the key is worth nothing after that.
    fn expires_at(&self) -> u64 {
        self.events
            .back()
            .map_or(0, |&t| t.saturating_add(self.window_ms))
    }

    /// Events inside a `window_ms` window at `now_ms` (they are sorted: a binary search).
    fn live(&self, window_ms: u64, now_ms: u64) -> usize {
        self.events.len()
            - self
                .events
                .partition_point(|&t| t.saturating_add(window_ms) <= now_ms)
    }
}

/// The event log of every key. All-or-nothing over a set of rules, so a request refused by
/// one limit uses up no other.
#[derive(Debug, Clone)]
pub struct Limiter {
    logs: BTreeMap<Rc<str>, Log>,
    /// `(expires_at, key)` of every log, soonest first: the sweep and the eviction order.
    /// Updating a log pushes a new entry; an entry whose key's log no longer expires at its
    /// time is stale and skipped, and the heap is rebuilt when stale entries outnumber live
    /// ones (amortised O(log n) per update).
    expiry: BinaryHeap<Reverse<(u64, Rc<str>)>>,
    max_keys: usize,
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter::with_max_keys(DEFAULT_MAX_KEYS)
    }
}

impl Limiter {
    /// A limiter that keeps at most `max_keys` keys (at least 1).
    pub fn with_max_keys(max_keys: usize) -> Limiter {
        Limiter {
            logs: BTreeMap::new(),
            expiry: BinaryHeap::new(),
            max_keys: max_keys.max(1),
        }
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.logs.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }

    /// Removes the log that expires soonest if it expires by `until` (stale entries on the
    /// way are dropped); whether the heap had anything due.
    fn pop_due(&mut self, until: u64) -> bool {
        let Some(Reverse((expires_at, _))) = self.expiry.peek() else {
            return false;
        };
        if *expires_at > until {
            return false;
        }
        if let Some(Reverse((expires_at, key))) = self.expiry.pop() {
            if self
                .logs
                .get(&key)
                .is_some_and(|log| log.expires_at() == expires_at)
            {
                self.logs.remove(&key);
            }
        }
        true
    }

    /// Removes up to [`SWEEP_PER_CALL`] keys whose events have all left their windows.
    fn sweep(&mut self, now_ms: u64) {
        for _ in 0..SWEEP_PER_CALL {
            if !self.pop_due(now_ms) {
                break;
            }
        }
    }

    /// Changes `key`'s log in place (a new one when there is none), keeping the expiry
    /// index and the bound: past `max_keys`, the keys that expire first are evicted. A log
    /// left empty is removed.
    fn update(&mut self, key: &str, change: impl FnOnce(&mut Log)) {
        let shared: Rc<str> = match self.logs.get_key_value(key) {
            Some((shared, _)) => shared.clone(),
            None => {
                while self.logs.len() >= self.max_keys && self.pop_due(u64::MAX) {}
                let shared: Rc<str> = key.into();
                self.logs.insert(shared.clone(), Log::default());
                shared
            }
        };
        let Some(log) = self.logs.get_mut(key) else {
            return;
        };
        change(log);
        if log.events.is_empty() {
            self.logs.remove(key);
            return;
        }
        self.expiry.push(Reverse((log.expires_at(), shared)));
        if self.expiry.len() > 2 * self.logs.len() + 16 {
            self.expiry = self
                .logs
                .iter()
                .map(|(key, log)| Reverse((log.expires_at(), key.clone())))
                .collect();
        }
    }

    /// Checks `rules` at `now_ms`; when all allow and `record`, counts the event under each.
    pub fn apply(&mut self, rules: &[Rule], record: bool, now_ms: u64) -> Decision {
        self.sweep(now_ms);
        let mut refused: Option<(u64, usize)> = None;
        for (index, rule) in rules.iter().enumerate() {
            let log = self.logs.get(rule.key.as_str());
            let live = log.map_or(0, |log| log.live(rule.window_ms, now_ms));
            if live >= rule.limit as usize {
                let wait = match (log, rule.limit as usize) {
                    // The event that must leave the window before one more fits.
                    (Some(log), limit) if limit > 0 => {
                        let events = &log.events;
                        (events[events.len() - limit] + rule.window_ms).saturating_sub(now_ms)
                    }
                    _ => rule.window_ms,
                };
                let wait = wait.max(1);
                if refused.is_none_or(|(longest, _)| wait > longest) {
                    refused = Some((wait, index));
                }
            }
        }
        if let Some((wait_ms, rule)) = refused {
            return Decision::Limited {
                retry_after_secs: wait_ms.div_ceil(1000).max(1),
                rule,
            };
        }
        if record {
            for (key, window_ms) in distinct_keys(rules) {
                self.update(key, |log| {
                    log.window_ms = log.window_ms.max(window_ms);
                    // Events no window of this key counts any more.
                    let old = log
                        .events
                        .partition_point(|&t| t.saturating_add(log.window_ms) <= now_ms);
                    log.events.drain(..old);
                    log.events.push_back(now_ms);
                });
            }
        }
        Decision::Allowed
    }

    /// Takes back one event counted at `at_ms` under each rule's key.
    pub fn undo(&mut self, rules: &[Rule], at_ms: u64) {
        for (key, _) in distinct_keys(rules) {
            let recorded = self
                .logs
                .get(key)
                .and_then(|log| log.events.iter().rposition(|&t| t == at_ms));
            if let Some(i) = recorded {
                self.update(key, |log| {
                    log.events.remove(i);
                });
            }
        }
    }

    /// Carries out `action` (an undo or a reset always answers [`Decision::Allowed`]).
    pub fn act(&mut self, rules: &[Rule], action: Action, now_ms: u64) -> Decision {
        match action {
            Action::Check => self.apply(rules, false, now_ms),
            Action::Record => self.apply(rules, true, now_ms),
            Action::Undo => {
                self.undo(rules, now_ms);
                Decision::Allowed
            }
            Action::Reset => {
                for rule in rules {
                    self.logs.remove(rule.key.as_str());
                }
                Decision::Allowed
            }
        }
    }

    /// When `key`'s newest event leaves its window, if it has events.
    pub fn lapses_at(&self, key: &str) -> Option<u64> {
        self.logs.get(key).map(Log::expires_at)
    }

    /// The events of `key` (for stores that persist them).
    pub fn events(&self, key: &str) -> Vec<u64> {
        self.logs
            .get(key)
            .map(|log| log.events.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Restores the events of `key` counted in a `window_ms` window (from a store).
    pub fn load(&mut self, key: &str, events: Vec<u64>, window_ms: u64) {
        if self.logs.contains_key(key) || !events.is_empty() {
            self.update(key, |log| {
                *log = Log {
                    events: events.into(),
                    window_ms,
                }
            });
        }
    }
}

/// The limits' counts in this isolate's memory (the default store): right for one
/// instance; several instances (every edge location) need the Durable Object store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    limiter: std::cell::RefCell<Limiter>,
}

impl MemoryStore {
    /// A store that keeps at most `max_keys` keys.
    pub fn with_max_keys(max_keys: usize) -> MemoryStore {
        MemoryStore {
            limiter: std::cell::RefCell::new(Limiter::with_max_keys(max_keys)),
        }
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.limiter.borrow().len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.limiter.borrow().is_empty()
    }
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
        Some(Arg::Text(name)) => Action::ALL
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

/// The limiter's answer: `{"allowed":true}` or
/// `{"allowed":false,"retryAfterSecs":30,"rule":0}` (the index of the refusing rule).
pub fn encode_decision(decision: Decision) -> String {
    match decision {
        Decision::Allowed => Json::Object(vec![("allowed", Json::Bool(true))]).render(),
        Decision::Limited {
            retry_after_secs,
            rule,
        } => Json::Object(vec![
            ("allowed", Json::Bool(false)),
            ("retryAfterSecs", Json::Int(retry_after_secs)),
            ("rule", Json::Int(rule as u64)),
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
            rule: whole(field(&entries, "rule"))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(malformed)?,
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
                retry_after_secs: 597,
                rule: 0,
            }
        );
        assert_eq!(
            l.apply(&r, true, 599_999),
            Decision::Limited {
                retry_after_secs: 1,
                rule: 0,
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
                retry_after_secs: 1,
                rule: 0,
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
                retry_after_secs: 10,
                rule: 0,
            }
        );
    }

    /// A message as the Durable Object receives it: `JSON.parse`d, then read as an `Arg`.
    fn parsed(json: &str) -> Arg {
        fn arg(value: serde_json::Value) -> Arg {
            use serde_json::Value;
            match value {
                Value::Null => Arg::Other("null"),
                Value::Bool(b) => Arg::Bool(b),
                Value::Number(n) => Arg::Number(n.as_f64().unwrap()),
                Value::String(s) => Arg::Text(s),
                Value::Array(items) => Arg::List(items.into_iter().map(arg).collect()),
                Value::Object(map) => Arg::Map(map.into_iter().map(|(k, v)| (k, arg(v))).collect()),
            }
        }
        arg(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn messages_to_the_durable_object_round_trip() {
        let rules = vec![
            rule("send:+14155550100", 3, 600),
            rule("ip:203.0.113.7", 10, 3600),
        ];
        for action in Action::ALL {
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
                rule: 0,
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
        assert!(decode_decision(parsed(r#"{"allowed":false,"retryAfterSecs":1}"#)).is_err());
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
        other.load("k", l.events("k"), 10_000);
        assert!(matches!(other.apply(&r, true, 3), Decision::Limited { .. }));
    }

    #[test]
    fn the_refusing_rule_is_the_one_that_waits_longest() {
        let mut l = Limiter::default();
        let r = [
            rule("short", 1, 10),
            rule("long", 1, 100),
            rule("free", 9, 100),
        ];
        assert_eq!(l.apply(&r, true, 0), Decision::Allowed);
        assert_eq!(
            l.apply(&r, true, 1_000),
            Decision::Limited {
                retry_after_secs: 99,
                rule: 1
            }
        );
    }

    #[test]
    fn a_check_writes_nothing_and_a_reset_forgets() {
        let mut l = Limiter::default();
        for key in ["a", "b", "c"] {
            l.apply(&[rule(key, 5, 60)], false, 0);
        }
        assert!(l.is_empty(), "checks create no keys");
        let r = [rule("fail", 2, 600)];
        l.act(&r, Action::Record, 0);
        l.act(&r, Action::Record, 1);
        assert!(matches!(
            l.act(&r, Action::Check, 2),
            Decision::Limited { .. }
        ));
        l.act(&r, Action::Reset, 3);
        assert!(l.is_empty());
        assert_eq!(l.act(&r, Action::Check, 4), Decision::Allowed);
    }

    #[test]
    fn expired_keys_are_swept_as_decisions_go_by() {
        let mut l = Limiter::default();
        for i in 0..1_000 {
            l.apply(&[rule(&format!("k{i}"), 1, 60)], true, i);
        }
        assert_eq!(l.len(), 1_000);
        // Every key has left its window; each decision sweeps a few.
        for i in 0..1_000 {
            l.apply(&[rule("probe", 1_000_000, 1)], false, 120_000 + i);
        }
        assert!(l.is_empty(), "{} keys left", l.len());
        assert!(l.expiry.len() <= 16, "the index is swept with the logs");
    }

    #[test]
    fn past_the_bound_the_key_that_expires_first_is_evicted() {
        let mut l = Limiter::with_max_keys(3);
        l.apply(&[rule("day", 1, 86_400)], true, 0);
        l.apply(&[rule("minute-a", 1, 60)], true, 1);
        l.apply(&[rule("minute-b", 1, 60)], true, 2);
        l.apply(&[rule("hour", 1, 3_600)], true, 3);
        assert_eq!(l.len(), 3);
        assert!(l.events("minute-a").is_empty(), "expired first: evicted");
        for kept in ["day", "minute-b", "hour"] {
            assert_eq!(l.events(kept).len(), 1, "{kept}");
        }
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_within_the_bound() {
        // 120,000 distinct keys against a bound of 100,000, every key counted for a day, as
        // an attacker's /check requests with new session UUIDs would be.
        let mut l = Limiter::default();
        let day = 86_400;
        for i in 0..120_000u64 {
            let key = format!("check:{i:036}");
            assert_eq!(l.apply(&[rule(&key, 5, day)], true, i), Decision::Allowed);
            assert!(l.len() <= DEFAULT_MAX_KEYS);
        }
        assert_eq!(l.len(), DEFAULT_MAX_KEYS);
        assert!(
            l.expiry.len() <= 2 * DEFAULT_MAX_KEYS + 16,
            "stale entries are bounded"
        );
        assert!(
            l.events(&format!("check:{:036}", 19_999)).is_empty(),
            "oldest went first"
        );
        assert_eq!(l.events(&format!("check:{:036}", 20_000)).len(), 1);
    }

    #[test]
    fn several_windows_on_one_key_count_each_event_once() {
        // Growing cool-downs: 2 per minute, 3 per hour.
        let mut l = Limiter::default();
        let r = [rule("k", 2, 60), rule("k", 3, 3_600)];
        assert_eq!(l.act(&r, Action::Record, 0), Decision::Allowed);
        assert_eq!(l.events("k"), [0], "counted once");
        assert_eq!(l.act(&r, Action::Record, 1_000), Decision::Allowed);
        assert_eq!(
            l.act(&r, Action::Record, 2_000),
            Decision::Limited {
                retry_after_secs: 58,
                rule: 0
            }
        );
        assert_eq!(l.act(&r, Action::Record, 60_000), Decision::Allowed);
        assert_eq!(
            l.act(&r, Action::Record, 120_000),
            Decision::Limited {
                retry_after_secs: 3_480,
                rule: 1
            },
            "the longer window waits longer"
        );
        l.act(&r, Action::Undo, 60_000);
        assert_eq!(l.events("k"), [0, 1_000], "one event taken back");
    }
}
