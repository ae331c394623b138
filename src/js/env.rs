//! A deployment's environment (a Worker's `env`, or `process.env`) as the options of
//! `VerifyClient.fromEnv` and `VerifyProxy.fromEnv`: the one place where a variable's name,
//! the option it sets and how its text is read are written down.

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

use crate::api::error::Error;
use crate::js::convert::{self, property};
use crate::proxy::config::is_secret;

/// How a variable's value becomes its option.
#[derive(Clone, Copy)]
enum Kind {
    /// A string, given as is.
    Text,
    /// `"a, b,,c"` → `["a", "b", "c"]` (an array is given as is).
    List,
    /// `"true"` or `"false"` (or a boolean).
    Flag,
    /// An integer (or its digits).
    Integer,
    /// JSON text (or an object, as wrangler's `[vars]` may give).
    Json,
    /// A binding (a Durable Object namespace), given as is.
    Binding,
}

/// `(variable, option, kind)`: the client's variables, the first two required.
const CLIENT_VARS: [(&str, &str, Kind); 3] = [
    ("PLIVO_AUTH_ID", "authId", Kind::Text),
    ("PLIVO_AUTH_TOKEN", "authToken", Kind::Text),
    ("PLIVO_BASE_URL", "baseUrl", Kind::Text),
];

/// The proxy's variables beyond the client's (`PROOF_SECRET` and `PROOF_SECRET_PREVIOUS`
/// become `proofSecrets`, read apart).
const PROXY_VARS: [(&str, &str, Kind); 12] = [
    ("PUBLIC_URL", "publicUrl", Kind::Text),
    ("PROOF_AUDIENCE", "proofAudience", Kind::Text),
    ("ALLOWED_ORIGINS", "allowedOrigins", Kind::List),
    ("ALLOWED_COUNTRIES", "allowedCountries", Kind::List),
    ("ALLOWED_COUNTRY_CODES", "allowedCountryCodes", Kind::List),
    ("PLIVO_SUBACCOUNT_TOKENS", "subaccountTokens", Kind::List),
    ("SHADOW", "shadow", Kind::Flag),
    ("LIMITS", "limits", Kind::Json),
    ("VERIFY_LIMITER", "limitStore", Kind::Binding),
    ("LIMIT_SHARDS", "limitShards", Kind::Integer),
    ("TURNSTILE_SECRET_KEY", "challenge", Kind::Text),
    ("TURNSTILE_URL", "turnstileUrl", Kind::Text),
];

/// `env` when it is an object, else `process.env` when nothing was given.
pub(crate) fn env_object(env: Option<JsValue>) -> Result<JsValue, Error> {
    match env.filter(|e| !e.is_undefined()) {
        Some(env) if env.is_object() && !convert::is_array(&env) => Ok(env),
        Some(other) => Err(Error::invalid_argument(
            "env",
            format!(
                "must be an object (a Worker's env), not {}",
                convert::type_name(&other)
            ),
        )),
        None => Ok(property(&property(&js_sys::global(), "process"), "env")),
    }
}

/// The client's options from `env`: `{ authId, authToken, baseUrl? }`.
pub(crate) fn client_options(env: &JsValue) -> Result<Object, Error> {
    let options = Object::new();
    for (i, (name, option, kind)) in CLIENT_VARS.into_iter().enumerate() {
        match read(env, name, kind)? {
            Some(value) => set(&options, option, &value),
            None if i < 2 => {
                return Err(Error::invalid_argument(
                    name,
                    "is not set (pass the Worker's env, or set it in process.env)",
                ))
            }
            None => {}
        }
    }
    Ok(options)
}

/// `(variable, option)` of the client's variables, for [`name_the_variable`].
pub(crate) fn client_read_from() -> Vec<(&'static str, &'static str)> {
    CLIENT_VARS
        .iter()
        .map(|(name, option, _)| (*name, *option))
        .collect()
}

/// The proxy's options from `env`, then `overrides`' own keys on top (code-only settings
/// such as `onStatus`, `basePath` or `clientIp`, or anything the app sets itself). Also
/// which options came from which variable, for [`name_the_variable`].
pub(crate) fn proxy_options(env: &JsValue, overrides: &JsValue) -> Result<FromEnv, Error> {
    if !overrides.is_undefined() && (!overrides.is_object() || convert::is_array(overrides)) {
        return Err(Error::invalid_argument(
            "options",
            format!("must be an object, not {}", convert::type_name(overrides)),
        ));
    }
    let given = |key: &str| !overrides.is_undefined() && !property(overrides, key).is_undefined();
    let options = client_options(env)?;
    let mut read_from = client_read_from();
    // The app's own proofSecret(s) replace the variables, which are then not needed.
    if !given("proofSecret") && !given("proofSecrets") {
        set(&options, "proofSecrets", proof_secrets(env)?.as_ref());
        read_from.push(("PROOF_SECRET", "proofSecrets"));
    }
    let binding = !property(env, "VERIFY_LIMITER").is_undefined();
    for (name, option, kind) in PROXY_VARS {
        // The shards apply to the binding only (as the worker always read them).
        if option == "limitShards" && !binding {
            continue;
        }
        if let Some(value) = read(env, name, kind)? {
            set(&options, option, &value);
            read_from.push((name, option));
        }
    }
    if !overrides.is_undefined() {
        read_from.retain(|(_, option)| !given(option));
        // Object.assign: own enumerable keys, the app's last.
        Object::assign(&options, overrides.unchecked_ref());
    }
    Ok(FromEnv { options, read_from })
}

/// `[PROOF_SECRET, PROOF_SECRET_PREVIOUS?]`, each checked under its own name.
fn proof_secrets(env: &JsValue) -> Result<Array, Error> {
    let secrets = Array::new();
    for (i, name) in ["PROOF_SECRET", "PROOF_SECRET_PREVIOUS"]
        .into_iter()
        .enumerate()
    {
        match read(env, name, Kind::Text)?.and_then(|v| v.as_string()) {
            Some(secret) if is_secret(&secret) => {
                secrets.push(&secret.into());
            }
            Some(_) => {
                return Err(Error::invalid_argument(
                    name,
                    "must be a random string of at least 32 characters",
                ))
            }
            None if i == 0 => {
                return Err(Error::invalid_argument(
                    name,
                    "is not set (a random string of at least 32 characters)",
                ))
            }
            None => {}
        }
    }
    Ok(secrets)
}

/// Options built from a deployment's variables.
pub(crate) struct FromEnv {
    /// The options object.
    pub options: Object,
    /// `(variable, option)` of each option a variable set (and the app did not).
    pub read_from: Vec<(&'static str, &'static str)>,
}

/// An error about an option that came from a variable names the variable instead
/// (`limits.sendsTotal` → `LIMITS.sendsTotal`); one about the app's own options is kept.
pub(crate) fn name_the_variable(mut e: Error, read_from: &[(&str, &str)]) -> Error {
    let Some(argument) = e.argument.take() else {
        return e;
    };
    let (option, rest) = argument.split_once('.').unwrap_or((&argument, ""));
    let variable = read_from
        .iter()
        .find(|(_, known)| *known == option)
        .map(|(name, _)| *name);
    e.argument = Some(match variable {
        Some(variable) => {
            e.message = e.message.replacen(option, variable, 1);
            if rest.is_empty() {
                variable.to_owned()
            } else {
                format!("{variable}.{rest}")
            }
        }
        None => argument,
    });
    e
}

fn set(options: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(options, &key.into(), value);
}

/// `env[name]` as its option's value; `None` when unset or empty.
fn read(env: &JsValue, name: &'static str, kind: Kind) -> Result<Option<JsValue>, Error> {
    let value = property(env, name);
    if value.is_undefined() || value.is_null() || value.as_string().is_some_and(|t| t.is_empty()) {
        return Ok(None);
    }
    let wrong = |expected: &str| {
        Error::invalid_argument(
            name,
            format!("must be {expected}, not {}", convert::type_name(&value)),
        )
    };
    let text = value.as_string();
    let read = match (kind, text) {
        (Kind::Binding, _) if value.is_object() => value.clone(),
        (Kind::Binding, _) => return Err(wrong("a Durable Object namespace binding")),
        (_, None) => match kind {
            Kind::List if convert::is_array(&value) => value.clone(),
            Kind::Flag if value.as_bool().is_some() => value.clone(),
            Kind::Integer if value.as_f64().is_some() => value.clone(),
            Kind::Json if value.is_object() => value.clone(),
            _ => return Err(wrong("a string")),
        },
        (Kind::Text, Some(text)) => text.into(),
        (Kind::List, Some(text)) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(JsValue::from_str)
            .collect::<Array>()
            .into(),
        (Kind::Flag, Some(text)) => match text.trim() {
            "true" => JsValue::TRUE,
            "false" => JsValue::FALSE,
            _ => {
                return Err(Error::invalid_argument(
                    name,
                    "must be \"true\" or \"false\"",
                ))
            }
        },
        (Kind::Integer, Some(text)) => match text.trim().parse::<u32>() {
            Ok(n) => n.into(),
            Err(_) => return Err(Error::invalid_argument(name, "must be an integer")),
        },
        // The text is the operator's; a parse error says where, never what it held.
        (Kind::Json, Some(text)) => JSON::parse(&text)
            .map_err(|_| Error::invalid_argument(name, "must be JSON (an object of limits)"))?,
    };
    Ok(Some(read))
}
