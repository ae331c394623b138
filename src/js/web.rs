//! Typed bindings of the fetch API's `Request`, `Response` and their init objects, declared
//! as worker-sys does (`extern "C"`, the few members used) rather than through web-sys,
//! whose getters return `String` and throw inside the glue when a caller's object is not a
//! real `Request`. A request here may be any object a caller passes: its getters are
//! structural, `catch` (a getter may throw) and return `JsValue`, checked by the reader.

use js_sys::Object;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// An incoming fetch `Request`, or an object shaped like one.
    pub type Request;
    /// `request.method`.
    #[wasm_bindgen(method, getter, structural, catch)]
    pub fn method(this: &Request) -> Result<JsValue, JsValue>;
    /// `request.url`.
    #[wasm_bindgen(method, getter, structural, catch)]
    pub fn url(this: &Request) -> Result<JsValue, JsValue>;
    /// `request.headers` (a `Headers`, iterated as `[name, value]` pairs).
    #[wasm_bindgen(method, getter, structural, catch)]
    pub fn headers(this: &Request) -> Result<JsValue, JsValue>;
    /// `request.cf`: Cloudflare's metadata, an object on Cloudflare only.
    #[wasm_bindgen(method, getter, structural, catch)]
    pub fn cf(this: &Request) -> Result<JsValue, JsValue>;
    /// `request.clone`, when the object has one.
    #[wasm_bindgen(method, getter, structural, catch, js_name = clone)]
    pub fn clone_method(this: &Request) -> Result<JsValue, JsValue>;

    /// A fetch `Response` made here (its body is read by `exchange.js`'s bounded reader).
    pub type Response;
    /// `new Response(body, init)`: `body` a string or `null`.
    #[wasm_bindgen(constructor, catch)]
    fn construct(body: &JsValue, init: &ResponseInit) -> Result<Response, JsValue>;

    /// The init of `new Response(body, init)`.
    type ResponseInit;
    #[wasm_bindgen(method, setter)]
    fn set_status(this: &ResponseInit, status: u16);
    #[wasm_bindgen(method, setter)]
    fn set_headers(this: &ResponseInit, headers: &Object);

    /// The init of `fetch(url, init)`.
    pub type RequestInit;
    #[wasm_bindgen(method, setter)]
    fn set_method(this: &RequestInit, method: &str);
    #[wasm_bindgen(method, setter)]
    fn set_body(this: &RequestInit, body: &str);
}

impl Request {
    /// A copy whose body can be read while the caller still reads the original's (the
    /// object itself when it has no `clone`); `None` when `clone` throws (the body was
    /// already read).
    pub fn copy(&self) -> Option<JsValue> {
        let clone = self.clone_method().unwrap_or(JsValue::UNDEFINED);
        match clone.dyn_into::<js_sys::Function>() {
            Ok(clone) => clone.call0(self).ok(),
            Err(_) => Some(self.into()),
        }
    }
}

impl Response {
    /// `new Response(body, { status, headers })`; an empty body is `null` (no body).
    pub fn new(status: u16, headers: &[(&str, &str)], body: &str) -> Result<Response, JsValue> {
        let names = Object::new();
        for (name, value) in headers {
            js_sys::Reflect::set(&names, &(*name).into(), &(*value).into())?;
        }
        let init: ResponseInit = Object::new().unchecked_into();
        init.set_status(status);
        init.set_headers(&names);
        let body = if body.is_empty() {
            JsValue::NULL
        } else {
            JsValue::from_str(body)
        };
        Response::construct(&body, &init)
    }
}

impl RequestInit {
    /// `{ method: "POST", body }`.
    pub fn post(body: &str) -> RequestInit {
        let init: RequestInit = Object::new().unchecked_into();
        init.set_method("POST");
        init.set_body(body);
        init
    }
}
