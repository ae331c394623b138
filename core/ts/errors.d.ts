// Generated from the Rust types by `cargo test -p plivo-verify-core` (core/src/typescript.rs): do not edit.

/** The stable `code` of every `VerifyError` (Rust: `api::error::ErrorCode`). */
export type VerifyErrorCode =
  | "invalid_argument"
  | "authentication"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "rate_limited"
  | "server_error"
  | "timeout"
  | "network"
  | "invalid_response"
  | "invalid_signature"
  | "bad_request"
  | "invalid_proof"
  | "expired_proof"
  | "origin_not_allowed"
  | "country_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "invalid_json"
  | "rejected"
  | "upstream_error"
  | "upstream_timeout"
  | "limits_unavailable"
  | "on_status_failed"
  | "replayed_callback";
