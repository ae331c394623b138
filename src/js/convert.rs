//! JavaScript values in (loosely typed, checked by `api`) and Rust values out (camelCase
//! objects).

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use serde::{de::DeserializeOwned, Serialize};

use crate::api::error::Error;
use crate::api::options::Options;
use crate::api::params::Arg;

/// What JavaScript passed, for `api`'s rules.
pub fn arg(value: &JsValue) -> Arg {
    arg_at_depth(value, 0)
}

/// The reflective reads of a caller's value that a getter, a Proxy trap or a revoked Proxy
/// can make throw, with `catch` (js_sys declares them without: the exception would cross the
/// wasm frames and reach the caller as itself, not as a `VerifyError`).
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array_or_throw(value: &JsValue) -> Result<bool, JsValue>;
    /// `Array.from(value)`: a plain copy, read once.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = from)]
    fn array_copy(value: &JsValue) -> Result<Array, JsValue>;
    /// `Object.entries(value)`: plain `[key, value]` pairs, read once.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn entries_or_throw(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getPrototypeOf)]
    fn prototype_or_throw(value: &JsValue) -> Result<JsValue, JsValue>;
}

/// The type name of a value whose properties could not be read.
const UNREADABLE: &str = "an object whose properties throw";

/// A plain copy of an array-like `value` (`Array.from`), or `None` when reading it threw.
pub fn plain_array(value: &JsValue) -> Option<Array> {
    array_copy(value).ok()
}

/// Whether `value` is an array (a Proxy that throws when asked is not).
pub fn is_array(value: &JsValue) -> bool {
    value.is_object() && is_array_or_throw(value).unwrap_or(false)
}

/// An object's own enumerable string-keyed properties, or `None` when reading them threw.
fn entries(value: &JsValue) -> Option<Vec<(String, JsValue)>> {
    let pairs = entries_or_throw(value).ok()?;
    Some(
        pairs
            .iter()
            .filter_map(|entry| {
                let pair: Array = entry.unchecked_into();
                Some((pair.get(0).as_string()?, pair.get(1)))
            })
            .collect(),
    )
}

/// Levels of arrays and plain objects read; deeper ones stay opaque. Four: an option bag's
/// `limits.failureCooldowns: [[count, seconds], …]` is the deepest value taken.
const MAX_DEPTH: u8 = 4;

/// Arrays and plain objects are read [`MAX_DEPTH`] levels deep.
fn arg_at_depth(value: &JsValue, depth: u8) -> Arg {
    if depth < MAX_DEPTH && is_array(value) {
        return match array_copy(value) {
            Ok(items) => Arg::List(items.iter().map(|v| arg_at_depth(&v, depth + 1)).collect()),
            Err(_) => Arg::Other(UNREADABLE),
        };
    }
    if depth < MAX_DEPTH && is_plain_object(value) {
        return match entries(value) {
            Some(entries) => Arg::Map(
                entries
                    .into_iter()
                    .map(|(key, v)| (key, arg_at_depth(&v, depth + 1)))
                    .collect(),
            ),
            None => Arg::Other(UNREADABLE),
        };
    }
    if value.is_undefined() {
        Arg::Absent
    } else if let Some(text) = value.as_string() {
        Arg::Text(text)
    } else if let Some(number) = value.as_f64() {
        Arg::Number(number)
    } else if let Some(flag) = value.as_bool() {
        Arg::Bool(flag)
    } else {
        Arg::Other(type_name(value))
    }
}

/// An object made by `{}` or `Object.create(null)` (not a class instance or a Map).
fn is_plain_object(value: &JsValue) -> bool {
    if !value.is_object() || value.is_function() || is_array(value) {
        return false;
    }
    match prototype_or_throw(value) {
        Ok(prototype) => {
            prototype.is_null()
                || prototype == JsValue::from(Object::get_prototype_of(&Object::new()))
        }
        Err(_) => false,
    }
}

/// `typeof`, with `null` and arrays told apart.
pub fn type_name(value: &JsValue) -> &'static str {
    if value.is_undefined() {
        "undefined"
    } else if value.is_string() {
        "string"
    } else if value.as_f64().is_some() {
        "number"
    } else if value.is_null() {
        "null"
    } else if is_array(value) {
        "array"
    } else if value.is_function() {
        "function"
    } else if value.is_object() {
        "object"
    } else if value.as_bool().is_some() {
        "boolean"
    } else if value.is_bigint() {
        "bigint"
    } else if value.is_symbol() {
        "symbol"
    } else {
        "value"
    }
}

/// A plain options object (or `undefined` when `optional`) as [`Options`].
pub fn options(name: &'static str, value: &JsValue, optional: bool) -> Result<Options, Error> {
    if optional && value.is_undefined() {
        return Ok(Options::default());
    }
    if !value.is_object() || is_array(value) || value.is_function() {
        let expected = if optional {
            "an object or undefined"
        } else {
            "an object"
        };
        return Err(Error::invalid_argument(
            name,
            format!("must be {expected}, not {}", type_name(value)),
        ));
    }
    let entries = entries(value).ok_or_else(|| {
        Error::invalid_argument(name, "could not be read: a getter or a Proxy trap threw")
    })?;
    Ok(Options::new(
        entries
            .into_iter()
            .map(|(key, v)| (key, arg_at_depth(&v, 1)))
            .collect(),
    ))
}

/// The `fetch` option: a function, or absent for the global one.
pub fn take_fetch(entries: &mut Options, options: &JsValue) -> Result<Option<Function>, Error> {
    match entries.take("fetch") {
        Arg::Absent => Ok(None),
        Arg::Other("function") => Ok(Some(property(options, "fetch").unchecked_into())),
        other => Err(Error::invalid_argument(
            "fetch",
            format!("must be a function, not {}", other.type_name()),
        )),
    }
}

/// A property of an object (`undefined` when the object is not one, or the getter throws).
pub fn property(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() && !object.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Longest error message taken from serde_json (its messages may quote the answer).
const MAX_MESSAGE: usize = 200;

/// An answer's body as `T`, read by serde_json straight from the bytes (linear time, nesting
/// limited to 128 levels, a repeated field refused). The error says what is not the
/// documented shape.
///
/// Measured against the engine's `JSON.parse` + serde-wasm-bindgen (ARCHITECTURE.md): that
/// path crosses the wasm boundary for every field of every session, a 20-session list 10×
/// raw fetch without a network; the text crosses once here.
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        let mut message = e.to_string();
        if message.len() > MAX_MESSAGE {
            let mut end = MAX_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        message
    })
}

/// A Rust value as a plain JS object, by its serde description: serde_json's text, then
/// one `JSON.parse` (`None` is `null`).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&to_json(value)?)
        .map_err(|_| Error::invalid_response("could not hand the answer to JavaScript"))
}

/// A Rust value as JSON text, by its serde description (for JavaScript, or between the
/// proxy and its Durable Objects).
pub fn to_json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value)
        .map_err(|_| Error::invalid_response("could not write the value as JSON"))
}

/// Callback parameters: `URLSearchParams`, a `Record<string, string>` (array values for
/// repeated keys), or a query/form string (a leading `?` is ignored).
pub fn params(name: &'static str, value: &JsValue) -> Result<Vec<(String, String)>, Error> {
    if let Some(text) = value.as_string() {
        let text = text.strip_prefix('?').unwrap_or(&text);
        return Ok(form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect());
    }
    if value.is_undefined() {
        return Ok(Vec::new());
    }
    if !value.is_object() || is_array(value) {
        return Err(Error::invalid_argument(
            name,
            format!(
                "must be URLSearchParams, an object or a string, not {}",
                type_name(value)
            ),
        ));
    }
    // URLSearchParams (and Map-like objects): iterate their [key, value] entries.
    if property(value, "entries").is_function() {
        if let Ok(Some(iter)) = js_sys::try_iter(value) {
            let mut pairs = Vec::new();
            for entry in iter {
                let unreadable = |_| Error::invalid_argument(name, "could not be read");
                let pair = array_copy(&entry.map_err(unreadable)?).map_err(unreadable)?;
                match (pair.get(0).as_string(), pair.get(1).as_string()) {
                    (Some(k), Some(v)) => pairs.push((k, v)),
                    _ => return Err(Error::invalid_argument(name, "entries must be strings")),
                }
            }
            return Ok(pairs);
        }
    }
    let unreadable =
        || Error::invalid_argument(name, "could not be read: a getter or a Proxy trap threw");
    let mut pairs = Vec::new();
    for (key, item) in entries(value).ok_or_else(unreadable)? {
        if let Some(text) = item.as_string() {
            pairs.push((key, text));
        } else if is_array(&item) {
            for element in array_copy(&item).map_err(|_| unreadable())?.iter() {
                let text = element.as_string().ok_or_else(|| {
                    Error::invalid_argument(name, format!("{key}: values must be strings"))
                })?;
                pairs.push((key.clone(), text));
            }
        } else if !item.is_undefined() {
            return Err(Error::invalid_argument(
                name,
                format!("{key}: values must be strings, not {}", type_name(&item)),
            ));
        }
    }
    Ok(pairs)
}
