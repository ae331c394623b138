//! Delivers status callbacks in the background, signed as Plivo signs them, in order per
//! session, with retries; API calls never wait for them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use plivo_verify_core::api::signature::{sign_v2, sign_v3, CallbackMethod};
use serde::Serialize;

use crate::config::Signing;
use crate::console;
use crate::engine::{CallbackJob, Random};

/// Waits before the 2nd, 3rd and 4th tries.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];
/// How long one try may take.
const TRY_TIMEOUT: Duration = Duration::from_secs(5);

/// One callback as the developer endpoint shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    session_uuid: String,
    url: String,
    method: &'static str,
    params: BTreeMap<String, String>,
    state: &'static str,
    tries: u32,
    last_status: Option<u16>,
    last_error: Option<String>,
    /// The last try exactly as sent, so a test can verify its signatures itself.
    sent: Option<Sent>,
}

/// One signed request as it went out.
#[derive(Debug, Clone, Serialize)]
struct Sent {
    /// With the parameters in the query for GET.
    url: String,
    /// The form body (POST).
    body: Option<String>,
    /// The signature headers.
    headers: BTreeMap<&'static str, String>,
}

/// Hands callbacks to background workers, one per session with pending callbacks.
#[derive(Clone)]
pub struct Deliverer {
    inner: Arc<Inner>,
}

/// The tokens callbacks are signed with, and which headers they carry.
pub struct SigningKeys {
    /// The main account's token: Ma-V2, and V2 and V3 of its own sessions.
    pub main: String,
    /// Subaccount id → token: V2 and V3 of that subaccount's sessions.
    pub subaccounts: HashMap<String, String>,
    /// Which headers.
    pub signing: Signing,
}

struct Inner {
    http: reqwest::Client,
    keys: SigningKeys,
    random: Mutex<Random>,
    /// Pending callbacks of each session that has a worker running.
    queues: Mutex<HashMap<String, VecDeque<(u64, CallbackJob)>>>,
    log: Mutex<Log>,
}

#[derive(Default)]
struct Log {
    next_id: u64,
    records: BTreeMap<u64, Record>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Deliverer {
    /// A deliverer signing with `keys`.
    pub fn new(keys: SigningKeys, random: Random) -> Result<Deliverer, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(TRY_TIMEOUT).build()?;
        Ok(Deliverer {
            inner: Arc::new(Inner {
                http,
                keys,
                random: Mutex::new(random),
                queues: Mutex::default(),
                log: Mutex::default(),
            }),
        })
    }

    /// Queues callbacks; each session's are delivered in the order given.
    pub fn enqueue(&self, jobs: Vec<CallbackJob>) {
        for job in jobs {
            let id = {
                let mut log = lock(&self.inner.log);
                let id = log.next_id;
                log.next_id += 1;
                log.records.insert(
                    id,
                    Record {
                        session_uuid: job.session_uuid.clone(),
                        url: job.url.clone(),
                        method: method_name(job.method),
                        params: job.params.iter().cloned().collect(),
                        state: "pending",
                        tries: 0,
                        last_status: None,
                        last_error: None,
                        sent: None,
                    },
                );
                id
            };
            let mut queues = lock(&self.inner.queues);
            match queues.get_mut(&job.session_uuid) {
                Some(queue) => queue.push_back((id, job)),
                None => {
                    let session = job.session_uuid.clone();
                    queues.insert(session.clone(), VecDeque::from([(id, job)]));
                    tokio::spawn(self.clone().work(session));
                }
            }
        }
    }

    /// Delivers one session's callbacks until its queue is empty.
    async fn work(self, session: String) {
        loop {
            let next = {
                let mut queues = lock(&self.inner.queues);
                match queues.get_mut(&session).and_then(VecDeque::pop_front) {
                    Some(next) => next,
                    None => {
                        queues.remove(&session);
                        return;
                    }
                }
            };
            self.deliver(next.0, &next.1).await;
        }
    }

    async fn deliver(&self, id: u64, job: &CallbackJob) {
        for attempt in 0..=RETRY_DELAYS.len() {
            if attempt > 0 {
                tokio::time::sleep(RETRY_DELAYS[attempt - 1]).await;
            }
            let (outcome, sent) = self.try_once(job).await;
            let delivered = matches!(outcome, Ok(status) if (200..300).contains(&status));
            let final_try = delivered || attempt == RETRY_DELAYS.len();
            let status = job
                .params
                .iter()
                .find(|(k, _)| k == "ChannelStatus")
                .map_or("", |(_, v)| v.as_str());
            match &outcome {
                Ok(code) => console::line(format_args!(
                    "callback {} {} -> {code} (session {}, {status})",
                    method_name(job.method),
                    job.url,
                    job.session_uuid
                )),
                Err(error) => console::line(format_args!(
                    "callback {} {} failed: {error} (session {})",
                    method_name(job.method),
                    job.url,
                    job.session_uuid
                )),
            }
            if let Some(record) = lock(&self.inner.log).records.get_mut(&id) {
                record.tries += 1;
                record.sent = Some(sent);
                match outcome {
                    Ok(code) => {
                        record.last_status = Some(code);
                        record.last_error = None;
                    }
                    Err(error) => record.last_error = Some(error),
                }
                record.state = match (delivered, final_try) {
                    (true, _) => "delivered",
                    (false, true) => "failed",
                    (false, false) => "pending",
                };
            }
            if final_try {
                return;
            }
        }
    }

    /// One signed request: the HTTP status (or why there was none), and what was sent.
    async fn try_once(&self, job: &CallbackJob) -> (Result<u16, String>, Sent) {
        // Every try is signed afresh, with new nonces.
        let (nonce_v3, nonce_v2) = {
            let mut random = lock(&self.inner.random);
            (random.digits(20), random.digits(20))
        };
        let keys = &self.inner.keys;
        let account_token = keys.subaccounts.get(&job.account).unwrap_or(&keys.main);
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&job.params)
            .finish();
        let mut headers = BTreeMap::new();
        if matches!(keys.signing, Signing::V2 | Signing::All) {
            headers.insert(
                "X-Plivo-Signature-V2",
                sign_v2(account_token, &job.url, &nonce_v2),
            );
            headers.insert(
                "X-Plivo-Signature-Ma-V2",
                sign_v2(&keys.main, &job.url, &nonce_v2),
            );
            headers.insert("X-Plivo-Signature-V2-Nonce", nonce_v2);
        }
        if matches!(keys.signing, Signing::V3 | Signing::All) {
            headers.insert(
                "X-Plivo-Signature-V3",
                sign_v3(account_token, job.method, &job.url, &job.params, &nonce_v3),
            );
            headers.insert("X-Plivo-Signature-V3-Nonce", nonce_v3);
        }
        let sent = match job.method {
            CallbackMethod::Post => Sent {
                url: job.url.clone(),
                body: Some(encoded),
                headers,
            },
            CallbackMethod::Get => {
                let separator = if job.url.contains('?') { '&' } else { '?' };
                Sent {
                    url: format!("{}{separator}{encoded}", job.url),
                    body: None,
                    headers,
                }
            }
        };
        let mut request = match &sent.body {
            Some(body) => self
                .inner
                .http
                .post(&sent.url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.clone()),
            None => self.inner.http.get(&sent.url),
        };
        for (name, value) in &sent.headers {
            request = request.header(*name, value);
        }
        let outcome = request
            .send()
            .await
            .map(|response| response.status().as_u16())
            .map_err(|error| error.to_string());
        (outcome, sent)
    }

    /// The delivery log, newest first.
    pub fn records(&self, session_uuid: Option<&str>, limit: usize) -> Vec<Record> {
        lock(&self.inner.log)
            .records
            .values()
            .rev()
            .filter(|r| session_uuid.is_none_or(|s| r.session_uuid == s))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Forgets the log and anything not yet sent.
    pub fn reset(&self) {
        lock(&self.inner.queues).clear();
        lock(&self.inner.log).records.clear();
    }
}

fn method_name(method: CallbackMethod) -> &'static str {
    match method {
        CallbackMethod::Get => "GET",
        CallbackMethod::Post => "POST",
    }
}
