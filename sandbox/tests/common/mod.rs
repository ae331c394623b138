//! Shared helpers for the sandbox's integration tests: a handle on a running `verify-sandbox`
//! (one per test, on a free port), authed helpers for the Plivo routes and the developer
//! endpoints, and a small callback receiver.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Value};

/// The sandbox's built-in credentials.
pub const AUTH_ID: &str = "MAXXXXXXXXXXXXXXXXXX";
pub const AUTH_TOKEN: &str = "sandbox-auth-token";

/// Environment variables the sandbox reads; cleared so the host cannot change the defaults.
const SANDBOX_ENV: [&str; 8] = [
    "VERIFY_SANDBOX_LISTEN",
    "PLIVO_AUTH_ID",
    "PLIVO_AUTH_TOKEN",
    "VERIFY_SANDBOX_CODE_EXPIRY",
    "VERIFY_SANDBOX_MAX_ATTEMPTS",
    "VERIFY_SANDBOX_LIST_RATE_LIMIT",
    "VERIFY_SANDBOX_FAULTS",
    "VERIFY_SANDBOX_SEED",
];

/// A deadline for bounded polling loops.
pub struct Deadline {
    end: Instant,
}

impl Deadline {
    pub fn secs(secs: u64) -> Self {
        Self {
            end: Instant::now() + Duration::from_secs(secs),
        }
    }

    pub fn passed(&self) -> bool {
        Instant::now() > self.end
    }

    /// Sleeps a little, or panics with `what` once the deadline has passed.
    pub async fn tick(&self, what: &str) {
        if Instant::now() > self.end {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A plain HTTP client that never goes through a proxy.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// A response read whole.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub async fn read(response: reqwest::Response) -> Resp {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("read response body");
        Resp {
            status,
            headers,
            text,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): status {} body {:?}",
                self.status, self.text
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn ok_json(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {:?}",
            self.text
        );
        self.json()
    }

    /// Asserts an error response of `status` in the documented shape
    /// `{"api_id": "...", "error": "..."}` and returns the message.
    #[track_caller]
    pub fn error(&self, status: u16) -> String {
        self.error_for(status, "")
    }

    /// [`Resp::error`], naming the request in the failure message.
    #[track_caller]
    pub fn error_for(&self, status: u16, request: &str) -> String {
        assert_eq!(
            self.status, status,
            "{request}: unexpected status; body: {:?}",
            self.text
        );
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "error content-type {ct:?}, body {:?}",
            self.text
        );
        let body = self.json();
        let obj = body.as_object().expect("error body is an object");
        let api_id = obj
            .get("api_id")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("error without api_id: {body}"));
        assert!(!api_id.is_empty(), "empty api_id: {body}");
        let error = obj
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("error without an `error` string: {body}"));
        assert!(!error.is_empty(), "empty error message: {body}");
        error.to_owned()
    }
}

/// A running sandbox, killed on drop.
pub struct Sandbox {
    child: Child,
    /// Where stderr goes when captured (see [`Sandbox::start_logged`]).
    stderr_file: Option<std::path::PathBuf>,
    _stdout: BufReader<ChildStdout>,
    /// `127.0.0.1:PORT`, as printed on stdout.
    pub addr: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub auth_id: String,
    pub auth_token: String,
    pub client: reqwest::Client,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = &self.stderr_file {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Sandbox {
    /// Starts a sandbox with `--seed 1` and `args`.
    pub async fn start(args: &[&str]) -> Sandbox {
        Self::start_seeded(1, args).await
    }

    /// Starts a sandbox with `--listen 127.0.0.1:0 --seed <seed>` plus `args`.
    pub async fn start_seeded(seed: u64, args: &[&str]) -> Sandbox {
        Self::start_full(Some(seed), args, &[]).await
    }

    /// Starts a sandbox with `--listen 127.0.0.1:0`, `--seed` when given, `args`, and the
    /// environment variables `envs` (all other sandbox variables removed).
    pub async fn start_full(seed: Option<u64>, args: &[&str], envs: &[(&str, &str)]) -> Sandbox {
        Self::spawn(seed, args, envs, None).await
    }

    /// Like [`Sandbox::start`], with stderr written to a temporary file (read it with
    /// [`Sandbox::stderr_text`]) instead of discarded.
    pub async fn start_logged(args: &[&str]) -> Sandbox {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "verify-sandbox-test-{}-{n}.stderr",
            std::process::id()
        ));
        Self::spawn(Some(1), args, &[], Some(path)).await
    }

    /// What the sandbox wrote to stderr so far (only for [`Sandbox::start_logged`]).
    pub fn stderr_text(&self) -> String {
        let path = self
            .stderr_file
            .as_ref()
            .expect("started with start_logged");
        std::fs::read_to_string(path).expect("read stderr file")
    }

    async fn spawn(
        seed: Option<u64>,
        args: &[&str],
        envs: &[(&str, &str)],
        stderr_file: Option<std::path::PathBuf>,
    ) -> Sandbox {
        let stderr = match &stderr_file {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("create stderr file")),
            None => Stdio::null(),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_verify-sandbox"));
        command.args(["--listen", "127.0.0.1:0"]);
        if let Some(seed) = seed {
            command.args(["--seed", &seed.to_string()]);
        }
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for var in SANDBOX_ENV {
            command.env_remove(var);
        }
        command.envs(envs.iter().copied());
        let mut child = command.spawn().expect("spawn verify-sandbox");
        let stdout = child.stdout.take().expect("stdout pipe");
        let read = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("read sandbox stdout");
            (reader, line, n)
        });
        let (reader, line, n) = match tokio::time::timeout(Duration::from_secs(30), read).await {
            Ok(joined) => joined.expect("stdout reader"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("verify-sandbox printed no address within 30 s");
            }
        };
        if n == 0 {
            let status = child.wait().expect("wait");
            panic!("verify-sandbox exited ({status}) before printing its address");
        }
        let addr = line.trim_end_matches(['\r', '\n']).to_owned();
        let port = addr
            .strip_prefix("127.0.0.1:")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("first stdout line is not 127.0.0.1:PORT: {line:?}"));
        assert_ne!(port, 0, "bound port");
        let env = |name: &str| envs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let auth_id = flag(args, "--auth-id")
            .or_else(|| env("PLIVO_AUTH_ID"))
            .unwrap_or(AUTH_ID)
            .to_owned();
        let auth_token = flag(args, "--auth-token")
            .or_else(|| env("PLIVO_AUTH_TOKEN"))
            .unwrap_or(AUTH_TOKEN)
            .to_owned();
        Sandbox {
            child,
            stderr_file,
            _stdout: reader,
            base: format!("http://{addr}"),
            addr,
            auth_id,
            auth_token,
            client: http_client(),
        }
    }

    /// Sends SIGTERM, waits (up to 10 s) for the exit, and returns the exit status and
    /// whatever the sandbox wrote to stdout after its first line.
    pub async fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM {pid}");
        let deadline = Deadline::secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            deadline.tick("the sandbox to exit after SIGTERM").await;
        };
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self._stdout, &mut rest).expect("read stdout");
        (status, rest)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `/v1/Account/{auth_id}/Verify/Session/`
    pub fn session_path(&self) -> String {
        format!("/v1/Account/{}/Verify/Session/", self.auth_id)
    }

    /// `/v1/Account/{auth_id}/Verify/Session/{uuid}/`
    pub fn one_session_path(&self, uuid: &str) -> String {
        format!("{}{uuid}/", self.session_path())
    }

    /// A request with the sandbox's credentials.
    pub fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(&self.auth_id, Some(&self.auth_token))
    }

    /// A request without credentials.
    pub fn raw(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Resp {
        Resp::read(request.send().await.expect("HTTP request")).await
    }

    // ---- Plivo routes -------------------------------------------------------------------

    pub async fn create(&self, body: Value) -> Resp {
        self.send(
            self.authed(reqwest::Method::POST, &self.session_path())
                .json(&body),
        )
        .await
    }

    /// Creates a session (asserting the 202 and the documented shape) and returns its uuid.
    pub async fn create_ok(&self, body: Value) -> String {
        let resp = self.create(body.clone()).await;
        let json = resp.ok_json(202);
        assert_eq!(
            json["message"], "Session initiated",
            "create {body}: {json}"
        );
        assert!(json["api_id"].as_str().is_some_and(|s| !s.is_empty()));
        let uuid = json["session_uuid"]
            .as_str()
            .unwrap_or_else(|| panic!("no session_uuid: {json}"))
            .to_owned();
        assert_uuid(&uuid);
        uuid
    }

    /// Creates a session for `recipient` with only that parameter.
    pub async fn create_for(&self, recipient: &str) -> String {
        self.create_ok(json!({ "recipient": recipient })).await
    }

    pub async fn get(&self, uuid: &str) -> Resp {
        self.send(self.authed(reqwest::Method::GET, &self.one_session_path(uuid)))
            .await
    }

    pub async fn get_ok(&self, uuid: &str) -> Value {
        self.get(uuid).await.ok_json(200)
    }

    /// `GET .../Session/?<query>` with pairs encoded properly.
    pub async fn list(&self, query: &[(&str, &str)]) -> Resp {
        self.send(
            self.authed(reqwest::Method::GET, &self.session_path())
                .query(query),
        )
        .await
    }

    /// `GET <path-and-query>` relative to the sandbox, authed (e.g. a `meta.next` URL).
    pub async fn get_path(&self, path_and_query: &str) -> Resp {
        self.send(self.authed(reqwest::Method::GET, path_and_query))
            .await
    }

    /// Lists and returns the session uuids in order (asserts 200).
    pub async fn list_uuids(&self, query: &[(&str, &str)]) -> Vec<String> {
        let json = self.list(query).await.ok_json(200);
        uuids_of(&json)
    }

    pub async fn validate(&self, uuid: &str, otp: &str) -> Resp {
        self.validate_body(uuid, json!({ "otp": otp })).await
    }

    pub async fn validate_body(&self, uuid: &str, body: Value) -> Resp {
        self.send(
            self.authed(reqwest::Method::POST, &self.one_session_path(uuid))
                .json(&body),
        )
        .await
    }

    // ---- developer endpoints ------------------------------------------------------------

    pub async fn dev_get(&self, path: &str) -> Resp {
        self.send(self.raw(reqwest::Method::GET, path)).await
    }

    pub async fn dev_post(&self, path: &str, body: Value) -> Resp {
        self.send(self.raw(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn otp(&self, uuid: &str) -> String {
        let json = self
            .dev_get(&format!("/__sandbox/sessions/{uuid}/otp"))
            .await
            .ok_json(200);
        json["otp"]
            .as_str()
            .unwrap_or_else(|| panic!("otp is not a string: {json}"))
            .to_owned()
    }

    /// A code that is certainly wrong for `uuid` (same length, last digit changed).
    pub async fn wrong_otp(&self, uuid: &str) -> String {
        let otp = self.otp(uuid).await;
        let mut digits: Vec<char> = otp.chars().collect();
        let last = digits.last_mut().expect("non-empty otp");
        *last = if *last == '0' { '1' } else { '0' };
        digits.into_iter().collect()
    }

    /// Sends wrong codes until one answers `too many attempts: session expired`; returns
    /// how many wrong codes that took (the last one included).
    pub async fn wrong_codes_until_expired(&self, uuid: &str) -> usize {
        let wrong = self.wrong_otp(uuid).await;
        for n in 1..=30 {
            let err = self.validate(uuid, &wrong).await.error(400);
            match err.as_str() {
                "too many attempts: session expired" => return n,
                "invalid OTP" => continue,
                other => panic!("wrong code #{n}: unexpected error {other:?}"),
            }
        }
        panic!("30 wrong codes did not expire the session");
    }

    pub async fn messages(&self, recipient: Option<&str>) -> Vec<Value> {
        let mut request = self.raw(reqwest::Method::GET, "/__sandbox/messages");
        if let Some(r) = recipient {
            request = request.query(&[("recipient", r)]);
        }
        let json = self.send(request).await.ok_json(200);
        json["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("messages is not an array: {json}"))
            .clone()
    }

    pub async fn callbacks(&self, session_uuid: Option<&str>) -> Vec<Value> {
        let mut request = self.raw(reqwest::Method::GET, "/__sandbox/callbacks");
        if let Some(s) = session_uuid {
            request = request.query(&[("session_uuid", s)]);
        }
        let json = self.send(request).await.ok_json(200);
        json["callbacks"]
            .as_array()
            .unwrap_or_else(|| panic!("callbacks is not an array: {json}"))
            .clone()
    }

    pub async fn clock(&self) -> Value {
        self.dev_get("/__sandbox/clock").await.ok_json(200)
    }

    /// The sandbox's current time.
    pub async fn now(&self) -> DateTime<Utc> {
        let clock = self.clock().await;
        let now = clock["now"]
            .as_str()
            .unwrap_or_else(|| panic!("clock.now is not a string: {clock}"));
        DateTime::parse_from_rfc3339(now)
            .unwrap_or_else(|e| panic!("clock.now {now:?} is not RFC 3339: {e}"))
            .with_timezone(&Utc)
    }

    /// Moves the sandbox clock forward.
    pub async fn advance(&self, secs: u64) {
        let resp = self
            .dev_post("/__sandbox/clock", json!({ "advance_secs": secs }))
            .await;
        assert_eq!(resp.status, 200, "advance clock: {:?}", resp.text);
    }

    pub async fn faults(&self) -> Value {
        self.dev_get("/__sandbox/faults").await.ok_json(200)
    }

    pub async fn set_faults(&self, body: Value) {
        let resp = self.dev_post("/__sandbox/faults", body.clone()).await;
        assert_eq!(resp.status, 200, "set faults {body}: {:?}", resp.text);
    }

    pub async fn reset(&self) {
        let resp = self.dev_post("/__sandbox/reset", json!({})).await;
        assert_eq!(resp.status, 200, "reset: {:?}", resp.text);
    }

    /// Every session the sandbox lists at all (a wide `session_time__gte` window, all pages).
    pub async fn all_listed(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let off = offset.to_string();
            let json = self
                .list(&[
                    ("session_time__gte", "2000-01-01 00:00"),
                    ("limit", "20"),
                    ("offset", &off),
                ])
                .await
                .ok_json(200);
            let page = uuids_of(&json);
            let n = page.len();
            out.extend(page);
            if n < 20 {
                return out;
            }
            offset += 20;
        }
    }
}

fn flag<'a>(args: &[&'a str], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| *a == name)
        .and_then(|i| args.get(i + 1).copied())
}

/// The `session_uuid`s of a list response, in order.
pub fn uuids_of(list: &Value) -> Vec<String> {
    list["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("sessions is not an array: {list}"))
        .iter()
        .map(|s| {
            s["session_uuid"]
                .as_str()
                .unwrap_or_else(|| panic!("session without session_uuid: {s}"))
                .to_owned()
        })
        .collect()
}

#[track_caller]
pub fn assert_uuid(s: &str) {
    assert_eq!(s.len(), 36, "not a 36-character UUID: {s:?}");
    uuid::Uuid::parse_str(s).unwrap_or_else(|e| panic!("not a UUID {s:?}: {e}"));
}

/// Parses a Session timestamp, asserting the documented form `2023-06-01T10:40:05.804031Z`.
#[track_caller]
pub fn parse_ts(s: &str) -> DateTime<Utc> {
    let b = s.as_bytes();
    assert!(
        s.len() == 27 && b[10] == b'T' && b[19] == b'.' && s.ends_with('Z'),
        "timestamp not RFC 3339 UTC with microseconds: {s:?}"
    );
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad timestamp {s:?}: {e}"))
        .with_timezone(&Utc)
}

/// The created_at of a Session object.
#[track_caller]
pub fn created_at(session: &Value) -> DateTime<Utc> {
    parse_ts(
        session["created_at"]
            .as_str()
            .unwrap_or_else(|| panic!("no created_at: {session}")),
    )
}

/// Formats a time for the list's `session_time*` filters at a given precision.
pub fn filter_time(t: DateTime<Utc>, precision: Precision) -> String {
    let fmt = match precision {
        Precision::Minutes => "%Y-%m-%d %H:%M",
        Precision::Seconds => "%Y-%m-%d %H:%M:%S",
        Precision::Micros => "%Y-%m-%d %H:%M:%S%.6f",
    };
    t.format(fmt).to_string()
}

#[derive(Clone, Copy, Debug)]
pub enum Precision {
    Minutes,
    Seconds,
    Micros,
}

/// Parses a callback's `RequestTime` (`2023-07-24 17:17:21 +0000 UTC`).
#[track_caller]
pub fn parse_request_time(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S +0000 UTC").unwrap_or_else(|e| {
        panic!("RequestTime {s:?} not like `2023-07-24 17:17:21 +0000 UTC`: {e}")
    })
}

/// Whether a message's text carries the code (voice scripts may space the digits out).
pub fn text_has_code(message: &Value, otp: &str) -> bool {
    let text = message["text"].as_str().unwrap_or_default();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    text.contains(otp) || digits.contains(otp)
}

/// A deterministic, valid UUID string for test app_uuids.
pub fn test_uuid(n: u32) -> String {
    format!("{n:08x}-1111-4222-8333-444455556666")
}

// ---- callback receiver --------------------------------------------------------------------

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as received.
    pub uri: String,
    /// Lower-cased names.
    pub headers: HashMap<String, String>,
    pub body: String,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }

    pub fn query(&self) -> &str {
        self.uri.split_once('?').map(|(_, q)| q).unwrap_or_default()
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_pairs(self.query())
    }

    pub fn form_pairs(&self) -> Vec<(String, String)> {
        parse_pairs(&self.body)
    }

    /// The callback's parameters: the form for POST, the query for GET.
    pub fn params(&self) -> Vec<(String, String)> {
        if self.method == "GET" {
            self.query_pairs()
        } else {
            self.form_pairs()
        }
    }

    pub fn param(&self, key: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    #[track_caller]
    pub fn p(&self, key: &str) -> String {
        self.param(key)
            .unwrap_or_else(|| panic!("callback without {key}: {self:?}"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

pub fn parse_pairs(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[derive(Default)]
struct ReceiverState {
    requests: Vec<Recorded>,
    fail_first: usize,
}

/// An HTTP server on 127.0.0.1:0 recording every request; answers 500 to the first
/// `fail_first` requests and 200 afterwards.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<ReceiverState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut state = state.lock().expect("receiver lock");
    let status = if state.fail_first > 0 {
        state.fail_first -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    let headers = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    state.requests.push(Recorded {
        method: method.as_str().to_owned(),
        uri: uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| uri.to_string()),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        answered: status.as_u16(),
    });
    status
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState {
            requests: Vec::new(),
            fail_first,
        }));
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, state, task }
    }

    /// `http://127.0.0.1:PORT{path_and_query}`
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("receiver lock").requests.clone()
    }

    /// Polls (up to `secs`) until `done` holds for the recorded requests; returns them.
    pub async fn wait_until(
        &self,
        secs: u64,
        what: &str,
        done: impl Fn(&[Recorded]) -> bool,
    ) -> Vec<Recorded> {
        let deadline = Deadline::secs(secs);
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            if deadline.passed() {
                panic!("timed out waiting for {what}; received so far: {requests:#?}");
            }
            deadline.tick(what).await;
        }
    }
}

/// A loopback port nobody listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}
