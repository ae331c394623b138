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
use serde::{Deserialize, Serialize};

/// Keys a [`Limiter`] keeps by default.
pub const DEFAULT_MAX_KEYS: usize = 100_000;
/// Expired keys removed per decision (sweeping is spread over calls, never a pause).
const SWEEP_PER_CALL: usize = 8;

/// One limit on one key: at most `limit` events per `window_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// Leave the question's note on the rule's key, which holds a live event (what an
    /// idempotent start sent, for its repeats; see [`Limiter::claim`]).
    Note,
}

/// What [`Limiter::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// No one held the key: it is held now, by this request.
    Won,
    /// Another request holds it, and left this note (`None`: it is still at work).
    Held(Option<String>),
}

/// Longest note a key may hold, in bytes (a session UUID is 36).
pub const MAX_NOTE: usize = 64;

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

/// One key's events (oldest first), the longest window they are counted in, and the note
/// its holder left (see [`Limiter::claim`]).
#[derive(Debug, Clone, Default)]
struct Log {
    events: VecDeque<u64>,
    window_ms: u64,
    note: Option<Box<str>>,
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
            // The note comes with the question: see [`Limiter::leave_note`].
            Action::Note => Decision::Allowed,
        }
    }

    /// Holds `rule`'s key for its window if no one does (a record of `rule`, whose limit is
    /// 1; the Durable Object store sends the same record): what makes repeats of one request
    /// wait for, then share, the first one's outcome. The holder leaves its outcome with
    /// [`Limiter::leave_note`], or gives the key up with an [`Action::Undo`] at the time it
    /// claimed.
    pub fn claim(&mut self, rule: &Rule, now_ms: u64) -> Claim {
        match self.apply(std::slice::from_ref(rule), true, now_ms) {
            Decision::Allowed => Claim::Won,
            Decision::Limited { .. } => Claim::Held(self.note(&rule.key).map(str::to_owned)),
        }
    }

    /// Leaves `note` (at most [`MAX_NOTE`] bytes) on `key`, if it holds live events.
    pub fn leave_note(&mut self, key: &str, note: &str) {
        if note.len() <= MAX_NOTE {
            if let Some(log) = self.logs.get_mut(key) {
                log.note = Some(note.into());
            }
        }
    }

    /// The note left on `key`, if any.
    pub fn note(&self, key: &str) -> Option<&str> {
        self.logs.get(key).and_then(|log| log.note.as_deref())
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

    /// Restores the events of `key` counted in a `window_ms` window, and its note (from a
    /// store).
    pub fn load(&mut self, key: &str, events: Vec<u64>, window_ms: u64, note: Option<String>) {
        if self.logs.contains_key(key) || !events.is_empty() {
            self.update(key, |log| {
                *log = Log {
                    events: events.into(),
                    window_ms,
                    note: note.filter(|n| n.len() <= MAX_NOTE).map(Into::into),
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

    async fn claim(&self, rule: &Rule, now_ms: u64) -> Result<Claim, crate::api::error::Error> {
        Ok(self.limiter.borrow_mut().claim(rule, now_ms))
    }

    async fn leave_note(
        &self,
        rule: &Rule,
        note: &str,
        _now_ms: u64,
    ) -> Result<(), crate::api::error::Error> {
        self.limiter.borrow_mut().leave_note(&rule.key, note);
        Ok(())
    }
}
/// The question a worker asks the Durable Object limiter, written and read as JSON with
/// serde: `{"action":"record","now":1700000000000,"rules":[{"key":"…","limit":3,"windowMs":600000}]}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct LimiterQuestion {
    /// What to do.
    pub action: Action,
    /// The asking isolate's clock, in milliseconds.
    pub now: u64,
    /// The rules to decide (and count) under.
    pub rules: Vec<Rule>,
    /// With [`Action::Note`]: the note to leave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Rules one question may carry.
const MAX_RULES: usize = 8;
/// Longest key a question may name, in bytes.
const MAX_KEY: usize = 256;

impl LimiterQuestion {
    /// The question, once its bounds hold: 1 to 8 rules, keys of 1 to 256 bytes, a note of
    /// at most [`MAX_NOTE`] bytes with [`Action::Note`] only (a message from anything but a
    /// proxy is refused).
    pub fn checked(self) -> Result<LimiterQuestion, Error> {
        let bounded = |r: &Rule| !r.key.is_empty() && r.key.len() <= MAX_KEY;
        let note_fits = match (&self.note, self.action) {
            (Some(note), Action::Note) => note.len() <= MAX_NOTE,
            (None, Action::Note) | (Some(_), _) => false,
            (None, _) => true,
        };
        if self.rules.is_empty()
            || self.rules.len() > MAX_RULES
            || !self.rules.iter().all(bounded)
            || !note_fits
        {
            return Err(malformed());
        }
        Ok(self)
    }
}

/// The limiter's answer, as JSON: `{"allowed":true}` or
/// `{"allowed":false,"retryAfterSecs":30,"rule":0}` (the index of the refusing rule), with
/// `"note"` when the refusing key holds one (a held claim's outcome).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimiterAnswer {
    allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<usize>,
    /// The refusing key's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl From<Decision> for LimiterAnswer {
    fn from(decision: Decision) -> LimiterAnswer {
        match decision {
            Decision::Allowed => LimiterAnswer {
                allowed: true,
                retry_after_secs: None,
                rule: None,
                note: None,
            },
            Decision::Limited {
                retry_after_secs,
                rule,
            } => LimiterAnswer {
                allowed: false,
                retry_after_secs: Some(retry_after_secs),
                rule: Some(rule),
                note: None,
            },
        }
    }
}

impl LimiterAnswer {
    /// What a claim found: [`Claim::Won`] when allowed, else [`Claim::Held`] with the note.
    pub fn claim(self) -> Result<Claim, Error> {
        if self.note.as_ref().is_some_and(|n| n.len() > MAX_NOTE) {
            return Err(malformed());
        }
        Ok(match self.decision()? {
            Decision::Allowed => Claim::Won,
            Decision::Limited { .. } => Claim::Held(self.note),
        })
    }

    /// The decision it carries (a refusal names its wait and its rule).
    pub fn decision(&self) -> Result<Decision, Error> {
        match *self {
            LimiterAnswer { allowed: true, .. } => Ok(Decision::Allowed),
            LimiterAnswer {
                retry_after_secs: Some(retry_after_secs),
                rule: Some(rule),
                ..
            } => Ok(Decision::Limited {
                retry_after_secs,
                rule,
            }),
            _ => Err(malformed()),
        }
    }
}

/// A message between a proxy and its limiter that is not what either writes.
pub fn malformed() -> Error {
    Error::new(ErrorCode::InvalidResponse, "malformed limiter message")
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

    /// A question as the Durable Object reads it (serde_json, as the wasm package does).
    fn question(json: &str) -> Result<(Vec<Rule>, Action, u64, Option<String>), Error> {
        let q = serde_json::from_str::<LimiterQuestion>(json)
            .map_err(|_| malformed())?
            .checked()?;
        Ok((q.rules, q.action, q.now, q.note))
    }

    /// An answer as the proxy reads it.
    fn answer(json: &str) -> Result<Decision, Error> {
        serde_json::from_str::<LimiterAnswer>(json)
            .map_err(|_| malformed())?
            .decision()
    }

    #[test]
    fn a_claim_is_held_for_its_window_shares_its_note_and_can_be_given_up() {
        let mut l = Limiter::default();
        let held = rule("idem:+14155550100:sms:k", 1, 30);
        assert_eq!(l.claim(&held, 1_000), Claim::Won);
        assert_eq!(l.claim(&held, 2_000), Claim::Held(None), "at work");
        l.leave_note(&held.key, "00000000-0000-4000-8000-000000000001");
        assert_eq!(
            l.claim(&held, 3_000),
            Claim::Held(Some("00000000-0000-4000-8000-000000000001".into()))
        );
        assert_eq!(l.claim(&held, 31_000), Claim::Won, "the window lapsed");
        l.undo(std::slice::from_ref(&held), 31_000);
        assert_eq!(
            l.claim(&held, 31_500),
            Claim::Won,
            "given up, claimed afresh"
        );
        // A note is bounded, and only a held key takes one.
        l.leave_note(&held.key, &"n".repeat(MAX_NOTE + 1));
        l.leave_note("idem:nobody", "n");
        assert_eq!(l.claim(&held, 32_000), Claim::Held(None));
        assert_eq!(l.note("idem:nobody"), None);
        // A stored key comes back with its note.
        let mut other = Limiter::default();
        other.load(&held.key, l.events(&held.key), 30_000, Some("n".into()));
        assert_eq!(other.claim(&held, 32_000), Claim::Held(Some("n".into())));
    }

    #[test]
    fn messages_to_the_durable_object_round_trip() {
        let rules = vec![
            rule("send:+14155550100", 3, 600),
            rule("ip:203.0.113.7", 10, 3600),
        ];
        for action in [Action::Check, Action::Record, Action::Undo, Action::Reset] {
            let asked = LimiterQuestion {
                action,
                now: 1_700_000_000_123,
                rules: rules.clone(),
                note: None,
            };
            assert_eq!(
                question(&serde_json::to_string(&asked).unwrap()).unwrap(),
                (rules.clone(), action, 1_700_000_000_123, None)
            );
        }
        let noted =
            r#"{"action":"note","now":1,"rules":[{"key":"k","limit":1,"windowMs":1}],"note":"n"}"#;
        assert_eq!(question(noted).unwrap().3.as_deref(), Some("n"));
        let note_of = |n: &str| {
            format!(
                r#"{{"action":"note","now":1,"rules":[{{"key":"k","limit":1,"windowMs":1}}],"note":"{n}"}}"#
            )
        };
        assert!(question(&note_of(&"n".repeat(MAX_NOTE))).is_ok());
        assert!(
            question(&note_of(&"n".repeat(MAX_NOTE + 1))).is_err(),
            "a note is bounded"
        );
        for decision in [
            Decision::Allowed,
            Decision::Limited {
                retry_after_secs: 42,
                rule: 0,
            },
        ] {
            assert_eq!(
                answer(&serde_json::to_string(&LimiterAnswer::from(decision)).unwrap()).unwrap(),
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
            r#"{"action":"note","now":1,"rules":[{"key":"k","limit":1,"windowMs":1}]}"#,
            r#"{"action":"record","now":1,"rules":[{"key":"k","limit":1,"windowMs":1}],"note":"n"}"#,
        ] {
            assert!(question(bad).is_err(), "{bad}");
        }
        let long = format!(
            r#"{{"action":"check","now":1,"rules":[{{"key":"{}","limit":1,"windowMs":1}}]}}"#,
            "k".repeat(257)
        );
        assert!(question(&long).is_err());
        let nine = format!(
            r#"{{"action":"check","now":1,"rules":[{}]}}"#,
            [r#"{"key":"k","limit":1,"windowMs":1}"#; 9].join(",")
        );
        assert!(question(&nine).is_err());
        assert!(answer(r#"{"allowed":false}"#).is_err());
        assert!(answer(r#"{"allowed":false,"retryAfterSecs":1}"#).is_err());
        // The wire stays what deployed objects read and write.
        let asked = LimiterQuestion {
            action: Action::Record,
            now: 1,
            rules: vec![Rule {
                key: "k".into(),
                limit: 2,
                window_ms: 3,
            }],
            note: None,
        };
        assert_eq!(
            serde_json::to_string(&asked).unwrap(),
            r#"{"action":"record","now":1,"rules":[{"key":"k","limit":2,"windowMs":3}]}"#
        );
        assert_eq!(
            serde_json::to_string(&LimiterAnswer::from(Decision::Allowed)).unwrap(),
            r#"{"allowed":true}"#
        );
        let refused = Decision::Limited {
            retry_after_secs: 30,
            rule: 1,
        };
        assert_eq!(
            serde_json::to_string(&LimiterAnswer::from(refused)).unwrap(),
            r#"{"allowed":false,"retryAfterSecs":30,"rule":1}"#
        );
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
        other.load("k", l.events("k"), 10_000, None);
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
