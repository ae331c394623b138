//! The edge proxy: holds the Plivo credentials in a worker and gives browsers a small, safe
//! API (`/start`, `/check`, `/session/{uuid}`, `/callback`), guarded by rate limits, CORS,
//! body limits and a signed proof of verification. Everything here is plain Rust; the JS
//! layer (`js::proxy`) plugs in `fetch`, the clock and the limits' store.

pub mod address;
pub mod answer;
pub mod config;
pub mod country;
pub mod handler;
pub mod limits;
pub mod proof;
pub mod route;

#[cfg(test)]
mod tests;
