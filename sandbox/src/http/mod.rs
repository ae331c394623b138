//! The HTTP face: routes, authentication, JSON in and out, the developer endpoints.

mod auth;
mod body;
mod dev;
mod plivo;
pub mod server;
mod turnstile;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, map_response_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{extract::State, Json, Router};
use serde::Serialize;

pub use auth::Accounts;

use crate::callbacks::Deliverer;
use crate::engine::Engine;
use crate::error::ApiError;

/// Shared state of every request.
#[derive(Clone)]
pub struct App {
    engine: Arc<Mutex<Engine>>,
    deliverer: Deliverer,
    accounts: Arc<Accounts>,
}

impl App {
    /// Wraps the engine, the callback deliverer and the accepted credentials.
    pub fn new(engine: Engine, deliverer: Deliverer, accounts: Accounts) -> App {
        App {
            engine: Arc::new(Mutex::new(engine)),
            deliverer,
            accounts: Arc::new(accounts),
        }
    }

    /// Runs `f` on the engine, then hands the callbacks it produced to the deliverer.
    pub fn run<T>(&self, f: impl FnOnce(&mut Engine) -> T) -> T {
        let (result, callbacks) = {
            let mut engine = self.lock();
            let result = f(&mut engine);
            (result, engine.take_callbacks())
        };
        if !callbacks.is_empty() {
            self.deliverer.enqueue(callbacks);
        }
        result
    }

    fn lock(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies everything due (the background ticker's job).
    pub fn tick(&self) {
        self.run(Engine::advance);
    }

    /// The error as a response, with a fresh `api_id`.
    pub fn error(&self, error: ApiError) -> Response {
        error_response(self.run(Engine::api_id), error)
    }
}

/// `{"api_id": ..., <fields of body>}` with status 200.
pub fn reply<T: Serialize>(api_id: String, body: T) -> Response {
    #[derive(Serialize)]
    struct WithApiId<T> {
        api_id: String,
        #[serde(flatten)]
        body: T,
    }
    Json(WithApiId { api_id, body }).into_response()
}

/// `{"api_id": ..., "error": ...}` with the error's status (and `Retry-After`).
pub fn error_response(api_id: String, error: ApiError) -> Response {
    let body = serde_json::json!({ "api_id": api_id, "error": error.message });
    let mut response = (error.status, Json(body)).into_response();
    if let Some(secs) = error.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Every route of the sandbox.
pub fn router(app: App) -> Router {
    let session = "/v1/Account/{auth_id}/Verify/Session";
    let one = "/v1/Account/{auth_id}/Verify/Session/{session_uuid}";
    let plivo_routes = Router::new()
        .route(&format!("{session}/"), get(plivo::list).post(plivo::create))
        .route(session, get(plivo::list).post(plivo::create))
        .route(&format!("{one}/"), get(plivo::get).post(plivo::validate))
        .route(one, get(plivo::get).post(plivo::validate))
        .route_layer(from_fn_with_state(app.clone(), auth::require));
    // Cloudflare Turnstile's siteverify, emulated (its own state: no Plivo account).
    let siteverify = Router::new()
        .route("/turnstile/v0/siteverify", post(turnstile::siteverify))
        .with_state(turnstile::Siteverify::default());
    Router::new()
        .merge(plivo_routes)
        .merge(siteverify)
        .nest(
            "/__sandbox",
            dev::routes().route_layer(from_fn_with_state(app.clone(), dev::loopback_only)),
        )
        .fallback(not_found)
        .layer(map_response_with_state(
            app.clone(),
            json_method_not_allowed,
        ))
        .with_state(app)
}

async fn not_found(State(app): State<App>) -> Response {
    app.error(ApiError::not_found("not found"))
}

/// axum answers a wrong method with an empty 405 (and `Allow`); give it the JSON body.
async fn json_method_not_allowed(State(app): State<App>, response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut json = app.error(ApiError::method_not_allowed());
    if let Some(allow) = allow {
        json.headers_mut().insert(header::ALLOW, allow);
    }
    json
}
