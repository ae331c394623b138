//! The bot check of `/start` for JavaScript: the proxy's `challenge` option, Cloudflare
//! Turnstile's secret key (each token checked with siteverify) or the app's own
//! `(request, token) => boolean`. The core decides where it runs ([`Challenger`]); this file
//! makes the check.

use js_sys::Function;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::api::error::{Error, ErrorCode};
use crate::api::options::Options;
use crate::api::params::{is_http_url, optional_text, Arg, HTTP_URL};
use crate::js::convert::{self, property};
use crate::js::proxy::settle;
use crate::proxy::handler::Challenger;
use crate::transport::{exchange, headers, new_idempotency_key, read_reply};

/// Cloudflare's siteverify, as its "Server-side validation" page gives it.
pub const TURNSTILE_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/// Per siteverify attempt.
const SITEVERIFY_TIMEOUT_MS: u32 = 10_000;
/// Longest siteverify answer read (a few hundred bytes).
const SITEVERIFY_MAX_BYTES: u32 = 16 * 1024;

/// The `challenge` option.
pub(crate) enum Challenge {
    /// Turnstile: the secret key, where siteverify is (`turnstileUrl`: the sandbox's
    /// emulator in tests), and the proxy's `fetch`.
    Turnstile {
        secret: String,
        url: String,
        fetch: Option<Function>,
    },
    /// The app's function `(request, token) => boolean | Promise<boolean>`.
    App(Function),
}

impl Challenge {
    /// Takes `challenge` and `turnstileUrl` out of the options.
    pub(crate) fn take_option(
        entries: &mut Options,
        options: &JsValue,
        fetch: Option<Function>,
    ) -> Result<Option<Challenge>, Error> {
        let url = optional_text(
            "turnstileUrl",
            entries.take("turnstileUrl"),
            is_http_url,
            HTTP_URL,
        )?;
        let only_turnstile =
            || Error::invalid_argument("turnstileUrl", "applies to a Turnstile secret key only");
        match entries.take("challenge") {
            Arg::Absent if url.is_some() => Err(only_turnstile()),
            Arg::Absent => Ok(None),
            Arg::Text(secret)
                if (1..=256).contains(&secret.len())
                    && secret.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Ok(Some(Challenge::Turnstile {
                    secret,
                    url: url.unwrap_or_else(|| TURNSTILE_URL.to_owned()),
                    fetch,
                }))
            }
            Arg::Other("function") if url.is_some() => Err(only_turnstile()),
            Arg::Other("function") => Ok(Some(Challenge::App(
                property(options, "challenge").unchecked_into(),
            ))),
            other => Err(Error::invalid_argument(
                "challenge",
                format!(
                    "must be a Turnstile secret key (a string) or a function (request, token) => boolean, not {}",
                    match other {
                        Arg::Text(_) => "that string",
                        other => other.type_name(),
                    }
                ),
            )),
        }
    }
}

/// The check of one request.
pub(crate) struct RequestCheck<'a> {
    pub(crate) challenge: &'a Challenge,
    pub(crate) request: &'a JsValue,
}

impl Challenger for RequestCheck<'_> {
    async fn passes(&self, token: &str, remote_ip: Option<&str>) -> Result<bool, Error> {
        match self.challenge {
            Challenge::App(check) => {
                let failed =
                    |_| Error::new(ErrorCode::UpstreamError, "the challenge function failed");
                let verdict = check
                    .call2(&JsValue::UNDEFINED, self.request, &token.into())
                    .map_err(failed)?;
                // Only `true` passes: a truthy string or object is a mistake, not a pass.
                Ok(settle(verdict).await.map_err(failed)?.as_bool() == Some(true))
            }
            Challenge::Turnstile { secret, url, fetch } => {
                siteverify(secret, url, fetch.as_ref(), token, remote_ip).await
            }
        }
    }
}

/// Siteverify's answer, as far as the proxy reads it.
#[derive(Deserialize)]
struct Verdict {
    success: bool,
}

/// Asks siteverify whether `token` passes: a form with `secret`, `response`, `remoteip`
/// and an `idempotency_key`, so that the one retry (after a network failure or a 5xx) is
/// answered again rather than refused as a spent token (Cloudflare's page: "If an
/// application requires to retry failed requests, it must utilize the idempotency
/// functionality").
async fn siteverify(
    secret: &str,
    url: &str,
    fetch: Option<&Function>,
    token: &str,
    remote_ip: Option<&str>,
) -> Result<bool, Error> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("secret", secret)
        .append_pair("response", token);
    if let Some(ip) = remote_ip {
        form.append_pair("remoteip", ip);
    }
    form.append_pair("idempotency_key", &new_idempotency_key());
    let body = form.finish();
    let names = headers(&[
        ("Accept", "application/json"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ]);
    let answered = |status| {
        Error::new(
            ErrorCode::UpstreamError,
            format!("siteverify answered HTTP {status}"),
        )
    };
    let mut last = Error::new(ErrorCode::UpstreamError, "siteverify failed");
    for _attempt in 0..2 {
        let asked = exchange(
            fetch,
            url,
            "POST",
            &names,
            Some(&body),
            SITEVERIFY_TIMEOUT_MS,
            SITEVERIFY_MAX_BYTES,
        );
        match read_reply(asked).await {
            Ok(reply) if (200..300).contains(&reply.status) => {
                return convert::from_json::<Verdict>(&reply.body)
                    .map(|verdict| verdict.success)
                    .map_err(|_| Error::invalid_response("siteverify's answer is not its JSON"));
            }
            // A 4xx will not change on a retry; a 5xx or a lost answer may.
            Ok(reply) if reply.status < 500 => return Err(answered(reply.status)),
            Ok(reply) => last = answered(reply.status),
            Err(e) => last = e,
        }
    }
    Err(last)
}
