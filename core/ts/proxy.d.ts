// Generated from the Rust types by `cargo test -p plivo-verify-core` (core/src/typescript.rs): do not edit.

/**
 * Answer of the proxy's `/start`.
 */
export type StartResult = {
  /**
   * The session the code was sent for.
   */
  sessionUuid: string,
  /**
   * How the code is delivered.
   */
  channel: Channel,
  /**
   * Seconds before another code may be sent to this number.
   */
  resendAfterSecs: number,
};

/**
 * Why `/check` did not verify.
 */
export type CheckRefusal = "incorrect" | "expired" | "too_many_attempts";

/**
 * Answer of the proxy's `/check`: `{ verified: true, proof }` or `{ verified: false, reason }`.
 */
export type CheckResult = {
  /**
   * `true`: the code was right.
   */
  verified: true,
  /**
   * The proof, an HS256 JWT.
   */
  proof: string,
} | {
  /**
   * `false`: it was not.
   */
  verified: false,
  /**
   * Why.
   */
  reason: CheckRefusal,
};

/**
 * Answer of the proxy's `/session/{uuid}`.
 */
export type SessionStatusResult = {
  /**
   * The session's status, lower case.
   */
  status: SessionStatus | null,
  /**
   * How its last code went out.
   */
  channel: Channel | (string & {}) | null,
  /**
   * Codes sent so far.
   */
  attempts: number,
};
