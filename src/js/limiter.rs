//! Where the limits' counts live for JavaScript: this isolate's memory, or `VerifyLimiter`
//! Durable Objects shared by every instance of a proxy.
//!
//! The Durable Object store is sharded: each rule's key belongs to one of `limitShards`
//! objects (by a hash of what it counts for: a number, a session, an address), so no single
//! object sees every decision. A decision over
//! keys of several objects asks them at once; a record that one of them refuses is taken
//! back from the others (an undo). That keeps all-or-nothing in what is counted, at one
//! price: until the undo lands, a concurrent request may see the extra event and be refused
//! (never admitted wrongly). Refusals are remembered in the isolate until they lapse (or
//! until this isolate takes back or resets the counts they were for), so a flood of requests
//! that are refused anyway is not asked of the objects again. Each object deletes
//! its expired keys itself, with an alarm.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::api::error::{Error, ErrorCode};
use crate::api::options::Options;
use crate::api::params::{optional_integer, Arg};
use crate::js::convert::{self, property, type_name};
use crate::js::proxy::{read_bounded, write_response, BODY_TIMEOUT_MS};
use crate::js::web::RequestInit;
use crate::proxy::handler::{self, LimitStore, ProxyResponse};
use crate::proxy::limits::{
    self, Action, Claim, Decision, Limiter, LimiterAnswer, LimiterQuestion, MemoryStore, Rule,
};

/// The objects' names: `plivo-verify-limits` alone, or `plivo-verify-limits:<shard>`.
const LIMITER_NAME: &str = "plivo-verify-limits";
/// Objects a store spreads its keys over, by default.
const DEFAULT_SHARDS: u32 = 32;
/// Largest message an object accepts.
const MAX_LIMITER_MESSAGE: usize = 16 * 1024;
/// Refusals an isolate remembers.
const MAX_REMEMBERED: usize = 10_000;
/// An object sweeps its storage at most this often.
const SWEEP_EVERY_MS: f64 = 60_000.0;
/// Keys one alarm looks at (and so deletes at most): the storage API's limit for one
/// `delete` of several keys is 128.
const SWEEP_BATCH: u32 = 128;
/// Window assumed for events stored as a bare array (before windows were stored): the
/// longest a limit may have, so that nothing counted is dropped early.
const LEGACY_WINDOW_MS: u64 = 32_000_000_000;

#[wasm_bindgen]
extern "C" {
    /// A Durable Object namespace binding.
    pub(crate) type DurableObjectNamespace;
    #[wasm_bindgen(method, catch, js_name = idFromName)]
    fn id_from_name(this: &DurableObjectNamespace, name: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn get(this: &DurableObjectNamespace, id: &JsValue) -> Result<DurableObjectStub, JsValue>;

    /// One object, as a worker reaches it.
    type DurableObjectStub;
    #[wasm_bindgen(method, catch)]
    fn fetch(this: &DurableObjectStub, url: &str, init: &RequestInit) -> Result<Promise, JsValue>;

    /// An object's storage (`state.storage`).
    type DurableObjectStorage;
    #[wasm_bindgen(method, catch, js_name = get)]
    fn get_many(this: &DurableObjectStorage, keys: &Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn put(this: &DurableObjectStorage, entries: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn delete(this: &DurableObjectStorage, keys: &Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn list(this: &DurableObjectStorage, options: &Object) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getAlarm)]
    fn get_alarm(this: &DurableObjectStorage) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setAlarm)]
    fn set_alarm(this: &DurableObjectStorage, at_ms: f64) -> Result<Promise, JsValue>;
}

/// Awaits a promise the runtime gave (or failed to give).
async fn done(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}

/// Where the limits' counts (and the callbacks' nonces) live.
pub(crate) enum Store {
    /// This isolate's memory (the default).
    Memory(Rc<MemoryStore>),
    /// `VerifyLimiter` Durable Objects, through their namespace binding.
    DurableObject(Shards),
}

/// The Durable Object store: the namespace, how many objects, and the refusals remembered.
pub(crate) struct Shards {
    namespace: DurableObjectNamespace,
    count: u32,
    refused: RefCell<Limiter>,
}

impl Store {
    /// The `limitStore` option (a `VerifyLimiter` namespace binding; `memory` when absent)
    /// and `limitShards` (objects to spread the keys over, 1 to 1024; default 32).
    pub(crate) fn take_option(
        entries: &mut Options,
        options: &JsValue,
        memory: impl FnOnce() -> Rc<MemoryStore>,
    ) -> Result<Store, Error> {
        let shards = optional_integer("limitShards", entries.take("limitShards"), 1, 1024)?;
        if entries.take("limitStore") == Arg::Absent {
            if shards.is_some() {
                return Err(Error::invalid_argument(
                    "limitShards",
                    "applies to a limitStore only",
                ));
            }
            return Ok(Store::Memory(memory()));
        }
        let namespace = property(options, "limitStore");
        if !property(&namespace, "idFromName").is_function() {
            return Err(Error::invalid_argument(
                "limitStore",
                format!(
                    "must be a Durable Object namespace binding (of VerifyLimiter), not {}",
                    type_name(&namespace)
                ),
            ));
        }
        Ok(Store::DurableObject(Shards {
            namespace: namespace.unchecked_into(),
            count: shards.map_or(DEFAULT_SHARDS, |n| n as u32),
            refused: RefCell::new(Limiter::with_max_keys(MAX_REMEMBERED)),
        }))
    }
}

impl LimitStore for Store {
    async fn act(&self, rules: &[Rule], action: Action, now_ms: u64) -> Result<Decision, Error> {
        match self {
            Store::Memory(memory) => memory.act(rules, action, now_ms).await,
            Store::DurableObject(shards) => shards.act(rules, action, now_ms).await,
        }
    }

    fn known_refusal(&self, rules: &[Rule], now_ms: u64) -> Option<Decision> {
        match self {
            Store::Memory(_) => None,
            Store::DurableObject(shards) => shards.remembered_refusal(rules, now_ms),
        }
    }

    async fn claim(&self, rule: &Rule, now_ms: u64) -> Result<Claim, Error> {
        match self {
            Store::Memory(memory) => memory.claim(rule, now_ms).await,
            Store::DurableObject(shards) => shards.claim(rule, now_ms).await,
        }
    }

    async fn leave_note(&self, rule: &Rule, note: &str, now_ms: u64) -> Result<(), Error> {
        match self {
            Store::Memory(memory) => memory.leave_note(rule, note, now_ms).await,
            Store::DurableObject(shards) => shards.leave_note(rule, note, now_ms).await,
        }
    }
}

/// What a key counts for: its object is chosen by this, so that the keys of one number
/// (`send:+1…`, `send:+1…:<address>`, `fail:+1…:<address>`…) or of one session
/// (`check:<uuid>:<address>`) share an object and a decision asks fewer of them. The text
/// after the kind, cut before the address for keys of a number or a session.
fn subject(key: &str) -> &str {
    let rest = key.split_once(':').map_or(key, |(_, rest)| rest);
    match rest.find(':') {
        Some(end) if rest.starts_with('+') || end == 36 => &rest[..end],
        _ => rest,
    }
}

/// FNV-1a of the key's [`subject`]: a stable spread of keys over objects (not a secret: a
/// key's object may be known; each object still counts its keys exactly).
fn shard_of(key: &str, count: u32) -> u32 {
    let hash = subject(key).bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % count
}

/// The key a refusal of `rule` is remembered under (a key's rules differ by their limits).
fn remembered(rule: &Rule) -> String {
    format!("{}\u{0}{}\u{0}{}", rule.key, rule.limit, rule.window_ms)
}

impl Shards {
    fn unreachable(_: JsValue) -> Error {
        Error::new(ErrorCode::LimitsUnavailable, "the limiter failed")
    }

    /// Sends `rules` (and a note, with [`Action::Note`]) to object `shard`; the answer is
    /// awaited by [`Shards::answer`].
    fn ask(
        &self,
        shard: u32,
        rules: &[Rule],
        action: Action,
        note: Option<&str>,
        now_ms: u64,
    ) -> Result<Promise, Error> {
        let name = if self.count == 1 {
            LIMITER_NAME.to_owned()
        } else {
            format!("{LIMITER_NAME}:{shard}")
        };
        let id = self
            .namespace
            .id_from_name(&name)
            .map_err(Shards::unreachable)?;
        let stub = self.namespace.get(&id).map_err(Shards::unreachable)?;
        let question = LimiterQuestion {
            action,
            now: now_ms,
            rules: rules.to_vec(),
            note: note.map(str::to_owned),
        };
        let init = RequestInit::post(&convert::to_json(&question)?);
        stub.fetch("https://verify-limiter.internal/apply", &init)
            .map_err(Shards::unreachable)
    }

    async fn answer(asked: Result<Promise, Error>) -> Result<LimiterAnswer, Error> {
        let response = JsFuture::from(asked?).await.map_err(Shards::unreachable)?;
        let text = read_bounded(&response, MAX_LIMITER_MESSAGE, BODY_TIMEOUT_MS)
            .await
            .map_err(|_| Shards::unreachable(JsValue::UNDEFINED))?
            .ok_or_else(limits::malformed)?;
        convert::from_json::<LimiterAnswer>(text.as_bytes()).map_err(|_| limits::malformed())
    }

    /// A claim, asked of its key's object directly: a held key is not a refusal to
    /// remember, and its note only the object has.
    async fn claim(&self, rule: &Rule, now_ms: u64) -> Result<Claim, Error> {
        let shard = shard_of(&rule.key, self.count);
        let asked = self.ask(
            shard,
            std::slice::from_ref(rule),
            Action::Record,
            None,
            now_ms,
        );
        Shards::answer(asked).await?.claim()
    }

    /// Leaves `note` on a claimed key, in its object.
    async fn leave_note(&self, rule: &Rule, note: &str, now_ms: u64) -> Result<(), Error> {
        let shard = shard_of(&rule.key, self.count);
        let rules = std::slice::from_ref(rule);
        let asked = self.ask(shard, rules, Action::Note, Some(note), now_ms);
        Shards::answer(asked).await.map(|_| ())
    }

    /// A refusal remembered from an earlier answer, if one of `rules` has one.
    fn remembered_refusal(&self, rules: &[Rule], now_ms: u64) -> Option<Decision> {
        let refused = self.refused.borrow();
        rules.iter().enumerate().find_map(|(index, rule)| {
            let until = refused
                .lapses_at(&remembered(rule))
                .filter(|&t| t > now_ms)?;
            Some(Decision::Limited {
                retry_after_secs: (until - now_ms).div_ceil(1000).max(1),
                rule: index,
            })
        })
    }

    /// Remembers that the objects refused `rule` for `retry_after_secs`.
    fn remember(&self, rule: &Rule, retry_after_secs: u64, now_ms: u64) {
        let refusal = Rule {
            key: remembered(rule),
            limit: u32::MAX,
            window_ms: retry_after_secs * 1000,
        };
        self.refused.borrow_mut().apply(&[refusal], true, now_ms);
    }

    async fn act(&self, rules: &[Rule], action: Action, now_ms: u64) -> Result<Decision, Error> {
        let deciding = matches!(action, Action::Check | Action::Record);
        if deciding {
            if let Some(refusal) = self.remembered_refusal(rules, now_ms) {
                return Ok(refusal);
            }
        } else {
            // What is taken back may end a refusal: this isolate forgets it too.
            let forgotten: Vec<Rule> = rules
                .iter()
                .map(|rule| Rule {
                    key: remembered(rule),
                    ..rule.clone()
                })
                .collect();
            self.refused
                .borrow_mut()
                .act(&forgotten, Action::Reset, now_ms);
        }
        // The rules of each object, by their index among `rules`.
        let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let shard = shard_of(&rule.key, self.count);
            match groups.iter_mut().find(|(s, _)| *s == shard) {
                Some((_, indexes)) => indexes.push(index),
                None => groups.push((shard, vec![index])),
            }
        }
        let subset = |indexes: &[usize]| -> Vec<Rule> {
            indexes.iter().map(|&i| rules[i].clone()).collect()
        };
        // All objects are asked before any answer is awaited: they decide side by side.
        let asked: Vec<_> = groups
            .iter()
            .map(|(shard, indexes)| self.ask(*shard, &subset(indexes), action, None, now_ms))
            .collect();
        let mut counted = Vec::new();
        let mut refusal: Option<(u64, usize)> = None;
        let mut failure = None;
        for ((shard, indexes), asked) in groups.iter().zip(asked) {
            match Shards::answer(asked).await.and_then(|a| a.decision()) {
                Ok(Decision::Allowed) => counted.push((*shard, indexes)),
                Ok(Decision::Limited {
                    retry_after_secs,
                    rule,
                }) => {
                    let index = indexes.get(rule).copied().unwrap_or(indexes[0]);
                    self.remember(&rules[index], retry_after_secs, now_ms);
                    if refusal.is_none_or(|(longest, _)| retry_after_secs > longest) {
                        refusal = Some((retry_after_secs, index));
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        if action == Action::Record && (refusal.is_some() || failure.is_some()) {
            // All or nothing: what the other objects counted for this request is taken
            // back. (An object that failed may or may not have counted: it keeps it, one
            // try too few rather than one too many.)
            let undone: Vec<_> = counted
                .iter()
                .map(|(shard, indexes)| {
                    self.ask(*shard, &subset(indexes), Action::Undo, None, now_ms)
                })
                .collect();
            for asked in undone {
                let _ = Shards::answer(asked).await;
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(match refusal {
            Some((retry_after_secs, rule)) if deciding => Decision::Limited {
                retry_after_secs,
                rule,
            },
            _ => Decision::Allowed,
        })
    }
}

/// The Durable Object that keeps the limits' counts for every instance of a proxy. Bind it
/// as `VERIFY_LIMITER` (class `VerifyLimiter`) and pass `limitStore: env.VERIFY_LIMITER`;
/// re-export it from the worker: `export { VerifyLimiter } from "plivo-verify-wasm"`. Each
/// object holds the keys of one shard and deletes them with an alarm once they expire.
#[wasm_bindgen]
pub struct VerifyLimiter {
    storage: DurableObjectStorage,
    /// Where the next alarm goes on listing keys (after this one), when the last stopped
    /// at a full page.
    swept_to: Rc<RefCell<Option<String>>>,
}

#[wasm_bindgen]
impl VerifyLimiter {
    /// Called by the runtime with the object's state.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "unknown")] state: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] _env: JsValue,
    ) -> VerifyLimiter {
        VerifyLimiter {
            storage: property(&state, "storage").unchecked_into(),
            swept_to: Rc::default(),
        }
    }

    /// Answers a proxy's question (a `proxy::limits::LimiterQuestion`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
    ) -> Promise {
        let storage: DurableObjectStorage = self.storage.clone().unchecked_into();
        future_to_promise(async move {
            let answer = match limiter_answer(&storage, &request).await {
                Ok(answer) => ProxyResponse {
                    status: 200,
                    headers: Vec::new(),
                    body: convert::to_json(&answer).unwrap_or_default(),
                },
                Err(e) => handler::error(400, e.code, &e.message),
            };
            write_response(&answer)
        })
    }

    /// The runtime's alarm: looks at the next [`SWEEP_BATCH`] keys, deletes those whose
    /// events have all left their windows, and sets the next alarm: at once (1 s) when the
    /// page was full, else for the soonest expiry it saw.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn alarm(&self) -> Promise {
        let storage: DurableObjectStorage = self.storage.clone().unchecked_into();
        let swept_to = self.swept_to.clone();
        future_to_promise(async move {
            let now_ms = js_sys::Date::now() as u64;
            let page = Object::new();
            let _ = Reflect::set(&page, &"limit".into(), &SWEEP_BATCH.into());
            if let Some(after) = swept_to.borrow().as_deref() {
                let _ = Reflect::set(&page, &"startAfter".into(), &after.into());
            }
            let entries = done(storage.list(&page)).await?;
            let (expired, mut next) = (Array::new(), None::<u64>);
            let (mut seen, mut last) = (0u32, None::<String>);
            if let Ok(Some(pairs)) = js_sys::try_iter(&entries) {
                for pair in pairs.flatten() {
                    let pair: Array = pair.unchecked_into();
                    seen += 1;
                    last = pair.get(0).as_string();
                    let Stored {
                        events, window_ms, ..
                    } = Stored::read(&pair.get(1));
                    let expires_at = events.last().map_or(0, |t| t.saturating_add(window_ms));
                    if expires_at <= now_ms {
                        expired.push(&pair.get(0));
                    } else {
                        next = Some(next.map_or(expires_at, |n| n.min(expires_at)));
                    }
                }
            }
            if expired.length() > 0 {
                done(storage.delete(&expired)).await?;
            }
            let full = seen >= SWEEP_BATCH;
            *swept_to.borrow_mut() = if full { last } else { None };
            let at = match next {
                _ if full => Some(now_ms as f64 + 1_000.0),
                Some(next) => Some((next as f64).max(now_ms as f64 + SWEEP_EVERY_MS)),
                None => None,
            };
            if let Some(at) = at {
                done(storage.set_alarm(at)).await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// A stored key: `{windowMs, events, note?}`, or a bare array of events (as stored before
/// windows were).
struct Stored {
    events: Vec<u64>,
    window_ms: u64,
    note: Option<String>,
}

impl Stored {
    fn read(value: &JsValue) -> Stored {
        let times = |list: &JsValue| -> Vec<u64> {
            if !Array::is_array(list) {
                return Vec::new();
            }
            Array::from(list)
                .iter()
                .filter_map(|t| t.as_f64())
                .filter(|t| *t >= 0.0)
                .map(|t| t as u64)
                .collect()
        };
        if Array::is_array(value) {
            return Stored {
                events: times(value),
                window_ms: LEGACY_WINDOW_MS,
                note: None,
            };
        }
        let window_ms = property(value, "windowMs")
            .as_f64()
            .filter(|w| *w >= 0.0)
            .map_or(LEGACY_WINDOW_MS, |w| w as u64);
        Stored {
            events: times(&property(value, "events")),
            window_ms,
            note: property(value, "note").as_string(),
        }
    }
}

/// Loads the rules' events from storage, decides (a refusal carries the refusing key's
/// note), stores what changed, and makes sure an alarm will sweep it once it expires.
async fn limiter_answer(
    storage: &DurableObjectStorage,
    request: &JsValue,
) -> Result<LimiterAnswer, Error> {
    let failed = |_| Error::new(ErrorCode::LimitsUnavailable, "storage failed");
    let text = read_bounded(request, MAX_LIMITER_MESSAGE, BODY_TIMEOUT_MS)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::PayloadTooLarge, "message too large"))?;
    let LimiterQuestion {
        rules,
        action,
        now: now_ms,
        note,
    } = convert::from_json::<LimiterQuestion>(text.as_bytes())
        .map_err(|_| limits::malformed())?
        .checked()?;
    let distinct = limits::distinct_keys(&rules);
    let keys: Array = distinct
        .iter()
        .map(|(key, _)| JsValue::from_str(key))
        .collect();
    let stored = done(storage.get_many(&keys)).await.map_err(failed)?;
    let mut limiter = Limiter::default();
    for &(key, window_ms) in &distinct {
        let value = Reflect::get(&stored, &"get".into())
            .ok()
            .and_then(|get| get.dyn_into::<js_sys::Function>().ok())
            .and_then(|get| get.call1(&stored, &key.into()).ok())
            .unwrap_or(JsValue::UNDEFINED);
        // The stored window is the alarm's; the decision counts in the rules' own.
        let stored = Stored::read(&value);
        limiter.load(key, stored.events, window_ms, stored.note);
    }
    let decision = limiter.act(&rules, action, now_ms);
    if let (Action::Note, Some(note)) = (action, &note) {
        limiter.leave_note(&rules[0].key, note);
    }
    let mut answer = LimiterAnswer::from(decision);
    if let Decision::Limited { rule, .. } = decision {
        answer.note = rules
            .get(rule)
            .and_then(|r| limiter.note(&r.key))
            .map(str::to_owned);
    }
    if action == Action::Check {
        // A check changes nothing worth a write.
        return Ok(answer);
    }
    let (changed, emptied) = (Object::new(), Array::new());
    let mut expires_at = None::<u64>;
    for &(key, window_ms) in &distinct {
        let events = limiter.events(key);
        match events.last() {
            None => {
                emptied.push(&key.into());
            }
            Some(&last) => {
                let at = last.saturating_add(window_ms);
                expires_at = Some(expires_at.map_or(at, |e| e.min(at)));
                let list: Array = events
                    .iter()
                    .map(|&t| JsValue::from_f64(t as f64))
                    .collect();
                let value = Object::new();
                let _ = Reflect::set(&value, &"windowMs".into(), &(window_ms as f64).into());
                let _ = Reflect::set(&value, &"events".into(), &list);
                if let Some(note) = limiter.note(key) {
                    let _ = Reflect::set(&value, &"note".into(), &note.into());
                }
                let _ = Reflect::set(&changed, &key.into(), &value);
            }
        }
    }
    if Object::keys(&changed).length() > 0 {
        done(storage.put(&changed)).await.map_err(failed)?;
    }
    if emptied.length() > 0 {
        done(storage.delete(&emptied)).await.map_err(failed)?;
    }
    if let Some(expires_at) = expires_at {
        let alarm = done(storage.get_alarm()).await.map_err(failed)?;
        if alarm.as_f64().is_none_or(|at| at > expires_at as f64) {
            done(storage.set_alarm(expires_at as f64))
                .await
                .map_err(failed)?;
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_the_shards_and_stay_put() {
        let mut seen = vec![0u32; 32];
        for i in 0..3_200 {
            let shard = shard_of(&format!("check:{i:08}:203.0.113.{}", i % 250), 32);
            assert_eq!(
                shard,
                shard_of(&format!("check:{i:08}:203.0.113.{}", i % 250), 32)
            );
            seen[shard as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (50..=150).contains(&n)), "{seen:?}");
        assert_eq!(shard_of("anything", 1), 0);
    }

    #[test]
    fn the_keys_of_one_number_or_session_share_an_object() {
        let uuid = "8e712097-8090-4644-81e7-8f4265d8354e";
        for (key, subject_) in [
            ("send:+14155550100", "+14155550100"),
            ("send:+14155550100:203.0.113.7", "+14155550100"),
            ("fail:+14155550100:2001:db8:1:2::/64", "+14155550100"),
            (
                "check:8e712097-8090-4644-81e7-8f4265d8354e:203.0.113.7",
                uuid,
            ),
            ("ip:2001:db8:1:2::/64", "2001:db8:1:2::/64"),
            ("fail-ip:203.0.113.7", "203.0.113.7"),
            ("sends:total", "total"),
            ("prefix:14155550", "14155550"),
        ] {
            assert_eq!(subject(key), subject_, "{key}");
        }
    }
}
