//! `VerifyClient`: the Verify Session API as a JavaScript class with async methods.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::api::error::{Error, ErrorCode};
use crate::api::model::{CreateSessionResponse, Session, SessionList, ValidateSessionResponse};
use crate::api::options::{ClientConfig, CreateSessionParams, ListFilter};
use crate::api::params::{required_text, SessionUuid, OTP};
use crate::api::request::{ApiRequest, Endpoint};
use crate::api::retry::MAX_RETRY_AFTER_MS;
use crate::js::convert;
use crate::js::env;
use crate::js::error;
use crate::proxy::handler::Backend;
use crate::transport::{sleep, Transport};

/// Consecutive 429s `sessions()` waits out before giving up.
const LIST_PATIENCE: u32 = 10;
/// Wait after a 429 without `Retry-After` (the list API allows 20 requests a minute).
const LIST_RATE_WAIT_MS: u64 = 3_000;

/// A client of Plivo's Verify Session API.
///
/// ```js
/// const client = new VerifyClient({ authId, authToken });
/// const { sessionUuid } = await client.createSession({ recipient: "+14155550100" });
/// await client.validateSession(sessionUuid, "123456");
/// ```
#[wasm_bindgen]
pub struct VerifyClient {
    inner: Rc<Client>,
}

/// What the JS class holds: where to send, and how. The proxy uses it as its Plivo.
pub(crate) struct Client {
    endpoint: Endpoint,
    transport: Transport,
}

/// Runs `future` as a JS promise that resolves to its value as a plain object, or rejects
/// with a `VerifyError`.
fn promise<T, F>(future: F) -> Promise
where
    T: Serialize,
    F: Future<Output = Result<T, Error>> + 'static,
{
    future_to_promise(async move {
        let value = future.await.map_err(error::to_js)?;
        convert::to_js(&value).map_err(error::to_js)
    })
}

#[wasm_bindgen]
impl VerifyClient {
    /// A client for `authId` / `authToken`; throws `VerifyError` (`invalid_argument`) for
    /// bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "VerifyClientOptions")] options: JsValue,
    ) -> Result<VerifyClient, JsValue> {
        VerifyClient::build(&options).map_err(error::to_js)
    }

    /// A client from `PLIVO_AUTH_ID`, `PLIVO_AUTH_TOKEN` and `PLIVO_BASE_URL` (optional) of
    /// `env` (a Worker's `env`), or of `process.env` when no object is given.
    #[wasm_bindgen(js_name = fromEnv)]
    pub fn from_env(
        #[wasm_bindgen(unchecked_optional_param_type = "Record<string, unknown>")] env: Option<
            JsValue,
        >,
    ) -> Result<VerifyClient, JsValue> {
        let build = || -> Result<VerifyClient, Error> {
            let options = env::client_options(&env::env_object(env)?)?;
            // Name the variable the user set, not the option it became.
            VerifyClient::build(&options)
                .map_err(|e| env::name_the_variable(e, &env::client_read_from()))
        };
        build().map_err(error::to_js)
    }

    /// Sends a code: creates a session (or re-sends the open one of this recipient).
    #[wasm_bindgen(js_name = createSession, unchecked_return_type = "Promise<CreateSessionResponse>")]
    pub fn create_session(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateSessionParams")] params: JsValue,
    ) -> Promise {
        let client = self.inner.clone();
        let params =
            convert::options("params", &params, false).and_then(CreateSessionParams::from_options);
        promise(async move {
            let request = client.endpoint.create_session(&params?);
            client.call::<CreateSessionResponse>(&request).await
        })
    }

    /// One session.
    #[wasm_bindgen(js_name = getSession, unchecked_return_type = "Promise<Session>")]
    pub fn get_session(
        &self,
        #[wasm_bindgen(js_name = sessionUuid, unchecked_param_type = "string")]
        session_uuid: JsValue,
    ) -> Promise {
        let client = self.inner.clone();
        let uuid = SessionUuid::from_arg("sessionUuid", convert::arg(&session_uuid));
        promise(async move {
            let request = client.endpoint.get_session(&uuid?);
            client.call::<Session>(&request).await
        })
    }

    /// One page of sessions, newest first (the API allows 20 list requests a minute).
    #[wasm_bindgen(js_name = listSessions, unchecked_return_type = "Promise<SessionList>")]
    pub fn list_sessions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListSessionsFilter")] filter: JsValue,
    ) -> Promise {
        let client = self.inner.clone();
        let filter = convert::options("filter", &filter, true).and_then(ListFilter::from_options);
        promise(async move {
            let request = client.endpoint.list_sessions(&filter?);
            client.call::<SessionList>(&request).await
        })
    }

    /// Every session matching `filter`, page after page, waiting out rate limits:
    /// `for await (const session of client.sessions({ status: "verified" })) { … }`.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<Session>")]
    pub fn sessions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListSessionsFilter")] filter: JsValue,
    ) -> JsValue {
        let filter = convert::options("filter", &filter, true).and_then(ListFilter::from_options);
        let pages = SessionIterator {
            client: self.inner.clone(),
            state: Rc::new(RefCell::new(Pages {
                filter,
                buffer: VecDeque::new(),
                done: false,
            })),
        };
        async_iterable(pages.into())
    }

    /// Checks a code. Resolves when it is right; rejects with `VerifyError` otherwise (a
    /// wrong, expired or exhausted code is Plivo's 400, code `bad_request`, with its message).
    #[wasm_bindgen(js_name = validateSession, unchecked_return_type = "Promise<ValidateSessionResponse>")]
    pub fn validate_session(
        &self,
        #[wasm_bindgen(js_name = sessionUuid, unchecked_param_type = "string")]
        session_uuid: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] otp: JsValue,
    ) -> Promise {
        let client = self.inner.clone();
        let uuid = SessionUuid::from_arg("sessionUuid", convert::arg(&session_uuid));
        let otp = required_text("otp", convert::arg(&otp), crate::api::params::is_otp, OTP);
        promise(async move { client.validate(&uuid?, &otp?).await })
    }
}

impl VerifyClient {
    fn build(options: &JsValue) -> Result<VerifyClient, Error> {
        let mut entries = convert::options("options", options, false)?;
        let fetch = convert::take_fetch(&mut entries, options)?;
        let config = ClientConfig::from_options(entries)?;
        Ok(VerifyClient {
            inner: Rc::new(Client::new(&config, fetch)),
        })
    }
}

impl Client {
    /// A client for validated settings.
    pub(crate) fn new(config: &ClientConfig, fetch: Option<Function>) -> Client {
        let mut user_agent = format!("plivo-verify-wasm/{}", env!("CARGO_PKG_VERSION"));
        if let Some(extra) = &config.user_agent {
            user_agent.push(' ');
            user_agent.push_str(extra);
        }
        let endpoint = Endpoint::new(&config.base_url, &config.auth_id, &config.auth_token);
        let transport = Transport::new(
            fetch,
            config.timeout_ms,
            config.max_response_bytes,
            config.max_retries,
            endpoint.authorization(),
            &user_agent,
        );
        Client {
            endpoint,
            transport,
        }
    }

    /// Sends `request` and reads the answer as `T`.
    async fn call<T: DeserializeOwned>(&self, request: &ApiRequest) -> Result<T, Error> {
        let answer = self.transport.send(request).await?;
        convert::from_json(&answer.body).map_err(|e| Error {
            status: Some(answer.status),
            ..Error::invalid_response(e)
        })
    }

    /// Checks a code (both arguments validated).
    async fn validate(
        &self,
        session_uuid: &SessionUuid,
        otp: &str,
    ) -> Result<ValidateSessionResponse, Error> {
        let request = self.endpoint.validate_session(session_uuid, otp);
        match self.call::<ValidateSessionResponse>(&request).await {
            // The status says the code was right even when the body is unreadable (the
            // reference's own example of this answer is not valid JSON).
            Err(e) if e.code == ErrorCode::InvalidResponse && e.status.is_some() => {
                Ok(ValidateSessionResponse::default())
            }
            other => other,
        }
    }
}

/// The proxy's Plivo.
impl Backend for Client {
    async fn create_session(&self, params: CreateSessionParams) -> Result<String, Error> {
        let request = self.endpoint.create_session(&params);
        Ok(self
            .call::<CreateSessionResponse>(&request)
            .await?
            .session_uuid)
    }

    async fn get_session(&self, session_uuid: &SessionUuid) -> Result<Session, Error> {
        self.call(&self.endpoint.get_session(session_uuid)).await
    }

    async fn validate_session(&self, session_uuid: &SessionUuid, otp: &str) -> Result<(), Error> {
        self.validate(session_uuid, otp).await.map(|_| ())
    }

    async fn sleep(&self, ms: u64) {
        sleep(ms).await;
    }
}

#[wasm_bindgen(module = "/src/js/verify_error.js")]
extern "C" {
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(iterator: JsValue) -> JsValue;
}

/// The pages behind `sessions()`.
struct Pages {
    /// The next page to fetch (its offset moves on), or why the filter was refused.
    filter: Result<ListFilter, Error>,
    /// Sessions fetched and not yet handed out.
    buffer: VecDeque<Session>,
    /// No page after the buffered ones.
    done: bool,
}

/// The iterator `sessions()` returns (wrapped so `for await` accepts it).
#[wasm_bindgen]
pub struct SessionIterator {
    client: Rc<Client>,
    state: Rc<RefCell<Pages>>,
}

#[wasm_bindgen]
impl SessionIterator {
    /// The next session: `{ value, done }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<Session, undefined>>")]
    pub fn next(&self) -> Promise {
        let client = self.client.clone();
        let state = self.state.clone();
        future_to_promise(async move {
            let next = next_session(&client, &state).await.map_err(error::to_js)?;
            let result = js_sys::Object::new();
            let value = match &next {
                Some(session) => convert::to_js(session).map_err(error::to_js)?,
                None => JsValue::UNDEFINED,
            };
            let _ = Reflect::set(&result, &"value".into(), &value);
            let _ = Reflect::set(&result, &"done".into(), &next.is_none().into());
            Ok(result.into())
        })
    }
}

/// Hands out the buffer, fetching the next page when it runs dry.
async fn next_session(client: &Client, state: &RefCell<Pages>) -> Result<Option<Session>, Error> {
    loop {
        let filter = {
            let mut pages = state.borrow_mut();
            if let Some(session) = pages.buffer.pop_front() {
                return Ok(Some(session));
            }
            if pages.done {
                return Ok(None);
            }
            pages.filter.clone()?
        };
        let page = list_waiting_out_rate_limits(client, &filter).await?;
        let mut pages = state.borrow_mut();
        let fetched = page.sessions.len() as u64;
        if let Ok(filter) = &mut pages.filter {
            filter.offset = Some(filter.offset.unwrap_or(0) + fetched);
        }
        pages.done = fetched == 0 || page.meta.next.is_none();
        pages.buffer.extend(page.sessions);
    }
}

async fn list_waiting_out_rate_limits(
    client: &Client,
    filter: &ListFilter,
) -> Result<SessionList, Error> {
    let request = client.endpoint.list_sessions(filter);
    let mut waits = 0;
    loop {
        match client.call::<SessionList>(&request).await {
            Err(e) if e.code == ErrorCode::RateLimited && waits < LIST_PATIENCE => {
                let wait = e.retry_after_ms.unwrap_or(LIST_RATE_WAIT_MS);
                sleep(wait.min(MAX_RETRY_AFTER_MS)).await;
                waits += 1;
            }
            other => return other,
        }
    }
}
