//! The accept loop. It sits in front of the router for what a router cannot do: close a
//! connection without answering (the `reset` fault), answer CORS preflights before any
//! route, and log every request.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::App;
use crate::console;
use crate::error::ApiError;
use crate::faults::Fault;
use crate::requests::Outcome;

/// Returned to hyper to drop the connection without a response.
#[derive(Debug)]
struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}

impl std::error::Error for Reset {}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    app: App,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    console::line(format_args!("accept failed: {error}"));
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (router, app) = (router.clone(), app.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                handle(app.clone(), router.clone(), peer, request)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    app: App,
    router: Router,
    peer: SocketAddr,
    mut request: Request<Incoming>,
) -> Result<Response<Body>, Reset> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // The request log's key: the path with its query, so that list calls can be told apart.
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let origin = request.headers().get(header::ORIGIN).cloned();
    request.extensions_mut().insert(ConnectInfo(peer));

    let mut response = if method == Method::OPTIONS {
        preflight()
    } else if path.starts_with("/v1/") {
        let (fault, delay) = app.run(|engine| {
            let draw = engine.random.draw();
            let fault = engine.faults.decide(draw);
            let outcome = if fault.is_some() {
                Outcome::Faulted
            } else {
                Outcome::Handled
            };
            engine.requests.record(method.as_str(), &target, outcome);
            (fault, engine.faults.spec.delay)
        });
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match fault {
            Some(Fault::Reset) => {
                console::request(method.as_str(), &path, "reset", started.elapsed());
                return Err(Reset);
            }
            Some(Fault::Status(code)) => {
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                app.error(ApiError::fault(status))
            }
            None => route(router, request).await,
        }
    } else {
        route(router, request).await
    };

    allow_origin(response.headers_mut(), origin);
    console::request(
        method.as_str(),
        &path,
        response.status().as_str(),
        started.elapsed(),
    );
    Ok(response)
}

async fn route(router: Router, request: Request<Incoming>) -> Response<Body> {
    let result: Result<_, Infallible> = router.oneshot(request.map(Body::new)).await;
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// 204 to any preflight: the sandbox is meant to be called from local test pages.
fn preflight() -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, User-Agent"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

fn allow_origin(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    let origin = origin.unwrap_or_else(|| HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Retry-After"),
    );
}
