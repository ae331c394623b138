//! `/__sandbox/`: developer endpoints that are not part of Plivo's API (loopback only).

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::{json, Value};

use super::body::json_object;
use super::App;
use crate::engine::session::rfc3339;
use crate::error::ApiError;
use crate::faults::{Fault, FaultSpec};

/// Default and largest page of the outbox and the callback log.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// The developer routes (nested under `/__sandbox`).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/sessions/{session_uuid}/otp", get(otp))
        .route("/messages", get(messages))
        .route("/callbacks", get(callbacks))
        .route("/clock", get(clock).post(advance_clock))
        .route("/faults", get(faults).post(set_faults))
        .route("/requests", get(requests))
        .route("/reset", post(reset))
}

/// Middleware: answers only clients on the loopback interface.
pub async fn loopback_only(State(app): State<App>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if peer.is_some_and(|ip| ip.is_loopback()) {
        next.run(request).await
    } else {
        app.error(ApiError::forbidden(
            "the sandbox's developer endpoints answer loopback clients only",
        ))
    }
}

fn bad(app: &App, message: &str) -> Response {
    app.error(ApiError::bad_request(message))
}

async fn otp(State(app): State<App>, Path(uuid): Path<String>) -> Response {
    let otp = app.run(|engine| engine.otp(&uuid).map(str::to_owned));
    match otp {
        Some(otp) => Json(json!({ "otp": otp })).into_response(),
        None => app.error(ApiError::not_found("session not found")),
    }
}

/// `?recipient=` / `?session_uuid=` and `?limit=`.
#[derive(Deserialize)]
struct LogQuery {
    recipient: Option<String>,
    session_uuid: Option<String>,
    limit: Option<String>,
}

impl LogQuery {
    fn limit(&self) -> Result<usize, &'static str> {
        match &self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or("limit must be an integer between 1 and 1000"),
        }
    }
}

async fn messages(State(app): State<App>, Query(query): Query<LogQuery>) -> Response {
    let limit = match query.limit() {
        Ok(limit) => limit,
        Err(message) => return bad(&app, message),
    };
    let body =
        app.run(|engine| json!({ "messages": engine.messages(query.recipient.as_deref(), limit) }));
    Json(body).into_response()
}

async fn callbacks(State(app): State<App>, Query(query): Query<LogQuery>) -> Response {
    let limit = match query.limit() {
        Ok(limit) => limit,
        Err(message) => return bad(&app, message),
    };
    let records = app.deliverer.records(query.session_uuid.as_deref(), limit);
    Json(json!({ "callbacks": records })).into_response()
}

fn clock_body(app: &App) -> Value {
    app.run(|engine| {
        json!({
            "now": rfc3339(engine.clock.now()),
            "offset_secs": engine.clock.offset().num_milliseconds() as f64 / 1000.0,
        })
    })
}

async fn clock(State(app): State<App>) -> Response {
    Json(clock_body(&app)).into_response()
}

async fn advance_clock(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let secs = match json_object(&headers, body).await {
        Ok(map) => map.get("advance_secs").and_then(Value::as_f64),
        Err(error) => return app.error(error),
    };
    let Some(by) = secs
        .filter(|s| s.is_finite() && (0.0..=1e9).contains(s))
        .map(|s| TimeDelta::milliseconds((s * 1000.0) as i64))
    else {
        return bad(&app, "advance_secs must be a number of seconds >= 0");
    };
    app.run(|engine| {
        engine.clock.advance(by);
        engine.advance();
    });
    Json(clock_body(&app)).into_response()
}

fn faults_body(app: &App) -> Value {
    app.run(|engine| json!({ "spec": engine.faults.spec.to_string(), "next": engine.faults.next }))
}

async fn faults(State(app): State<App>) -> Response {
    Json(faults_body(&app)).into_response()
}

async fn set_faults(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let map = match json_object(&headers, body).await {
        Ok(map) => map,
        Err(error) => return app.error(error),
    };
    let spec = match map.get("spec") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => match FaultSpec::parse(text) {
            Ok(spec) => Some(spec),
            Err(message) => return bad(&app, &format!("spec: {message}")),
        },
        Some(_) => return bad(&app, "spec must be a string"),
    };
    let next = match map.get("next") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let parsed: Result<Vec<Fault>, String> = items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Fault::parse(text),
                    Value::Number(n) => Fault::parse(&n.to_string()),
                    _ => Err("next must list faults such as \"503\" or \"reset\"".into()),
                })
                .collect();
            match parsed {
                Ok(next) => Some(next),
                Err(message) => return bad(&app, &format!("next: {message}")),
            }
        }
        Some(_) => return bad(&app, "next must be an array"),
    };
    app.run(|engine| {
        if let Some(spec) = spec {
            engine.faults.spec = spec;
        }
        if let Some(next) = next {
            engine.faults.next = next.into();
        }
    });
    Json(faults_body(&app)).into_response()
}

/// What reached the Plivo routes since the start (or the last reset).
async fn requests(State(app): State<App>) -> Response {
    let counts = app.run(|engine| engine.requests.counts().clone());
    Json(json!({ "requests": counts })).into_response()
}

async fn reset(State(app): State<App>) -> Response {
    app.run(|engine| engine.reset());
    app.deliverer.reset();
    Json(json!({ "reset": true })).into_response()
}
