// Generated from the Rust types by `cargo test -p plivo-verify-core` (core/src/typescript.rs): do not edit.

/**
 * Answer of `createSession`: the new (or re-sent) session.
 */
export type CreateSessionResponse = {
  /**
   * Plivo's request id.
   */
  apiId: string | null,
  /**
   * `"Session initiated"`.
   */
  message: string | null,
  /**
   * The session's id (an answer without it is refused as `invalid_response`).
   */
  sessionUuid: string,
};

/**
 * Answer of `validateSession`.
 */
export type ValidateSessionResponse = {
  /**
   * Plivo's request id.
   */
  apiId: string | null,
  /**
   * `"session validated successfully."`
   */
  message: string | null,
  /**
   * The session (the Node SDK's fixture carries it; the reference's example does not).
   */
  sessionUuid: string | null,
};

/**
 * One delivery attempt of a session, with the settings it was sent with.
 */
export type AttemptDetail = {
  /**
   * `sms` or `voice`, lower case.
   */
  channel: Channel | (string & {}) | null,
  /**
   * The attempt's id (`attemp_uuid`, the spelling of one official SDK fixture as the
   * review of the SDKs behind issue 10 reported it, is read too).
   */
  attemptUuid: string | null,
  /**
   * Channel status, lower case (`"delivered"`, `"undelivered"`, `"failed"`, `"answer"`,
   * `"early media"`, …).
   */
  status: string | null,
  /**
   * As Plivo sends it, e.g. `"2023-06-01T10:40:05.804031Z"` or
   * `"2023-07-24T22:47:21.279363+05:30"`.
   */
  time: string | null,
  /**
   * Brand in the message.
   */
  brandName: string | null,
  /**
   * Android SMS Retriever hash.
   */
  appHash: string | null,
  /**
   * Digits in the code.
   */
  codeLength: number | null,
  /**
   * The `dtmf` setting of a voice attempt.
   */
  dtmf: number | null,
  /**
   * The `fraud_check` setting.
   */
  fraudCheck: string | null,
};

/**
 * What one attempt cost (a decimal string).
 */
export type AttemptCharge = {
  /**
   * The attempt's id (`attemp_uuid` is read too, as in [`AttemptDetail`]).
   */
  attemptUuid: string | null,
  /**
   * `sms` or `voice`, lower case.
   */
  channel: Channel | (string & {}) | null,
  /**
   * Decimal string.
   */
  charge: string | null,
};

/**
 * What a session cost (decimal strings).
 */
export type Charges = {
  /**
   * Sum of all charges.
   */
  totalCharge: string | null,
  /**
   * Charge for validating.
   */
  validationCharge: string | null,
  /**
   * One per attempt.
   */
  attemptCharges: Array<AttemptCharge>,
};

/**
 * A Verify session, as get and list return it. Any documented field may be `null` when
 * Plivo leaves it out.
 */
export type Session = {
  /**
   * Plivo's request id: present on `getSession` answers.
   */
  apiId?: string,
  /**
   * Always there: an answer without it is refused as `invalid_response`.
   */
  sessionUuid: string,
  /**
   * The Verify application used.
   */
  appUuid: string | null,
  /**
   * The number the code went to.
   */
  recipient: string | null,
  /**
   * The last channel used, lower case.
   */
  channel: Channel | (string & {}) | null,
  /**
   * `in-progress`, `verified`, `expired` (lower case; values Plivo may add pass through).
   */
  status: SessionStatus | null,
  /**
   * Language of the messages.
   */
  locale: string | null,
  /**
   * Number of attempts.
   */
  count: number | null,
  /**
   * Every delivery attempt.
   */
  attemptDetails: Array<AttemptDetail>,
  /**
   * What the session cost.
   */
  charges: Charges | null,
  /**
   * Creation time (UTC, as sent).
   */
  createdAt: string | null,
  /**
   * Last change (UTC, as sent).
   */
  updatedAt: string | null,
  /**
   * The Verify application's alias.
   */
  alias: string | null,
  /**
   * Where the session was requested from (often `""`).
   */
  requestorIp: string | null,
  /**
   * ISO 3166 alpha-2 (`""` when Plivo does not know the country).
   */
  destinationCountryIso2: string | null,
  /**
   * The number's network, e.g. `"Jio"`.
   */
  destinationNetwork: string | null,
};

/**
 * Pagination of a list answer.
 */
export type ListMeta = {
  /**
   * Page size.
   */
  limit: number | null,
  /**
   * Sessions skipped.
   */
  offset: number | null,
  /**
   * Relative URL of the next page, `null` on the last.
   */
  next: string | null,
  /**
   * Relative URL of the previous page, `null` on the first.
   */
  previous: string | null,
};

/**
 * Answer of `listSessions`.
 */
export type SessionList = {
  /**
   * Plivo's request id.
   */
  apiId: string | null,
  /**
   * Pagination (required: an answer without it is not a list).
   */
  meta: ListMeta,
  /**
   * This page, newest first. Required, but `null` is an empty page, as Node's and
   * Python's SDKs read it.
   */
  sessions: Array<Session>,
};

/**
 * One status change of a session, as Plivo reports it to the callback URL (the documented
 * fields; JavaScript receives them in camelCase).
 */
export type StatusCallback = {
  /**
   * 1 for the first attempt, 2 for the first re-send, …
   */
  attemptSequence: number | null,
  /**
   * The SMS or call this is about.
   */
  attemptUuid: string | null,
  /**
   * `sms` or `voice`, lower case.
   */
  channel: Channel | (string & {}) | null,
  /**
   * The channel's error code; empty or absent when all went well.
   */
  channelErrorCode: string | null,
  /**
   * `queued`, `sent`, `delivered`, `undelivered`, `failed`, `ringing`, `in-progress`,
   * `completed`, …, lower case.
   */
  channelStatus: string | null,
  /**
   * The number the code went to.
   */
  recipient: string | null,
  /**
   * When the attempt was made (`2023-07-24 17:17:21 +0000 UTC`).
   */
  requestTime: string | null,
  /**
   * `in-progress`, `verified`, `expired`, lower case.
   */
  sessionStatus: SessionStatus | null,
  /**
   * The session (required: a callback without it is not one).
   */
  sessionUuid: string,
};

/**
 * What a proof says (what `verifyProof` hands JavaScript, in camelCase).
 */
export type VerifiedProof = {
  /**
   * The verified session.
   */
  sessionUuid: string,
  /**
   * The verified number, E.164 with `+`.
   */
  recipient: string,
  /**
   * Unix seconds when it was issued.
   */
  issuedAt: number,
  /**
   * Unix seconds after which the proof is worthless.
   */
  expiresAt: number,
  /**
   * Who issued it (`iss`).
   */
  issuer: string,
  /**
   * Whom it is for (`aud`).
   */
  audience: string,
  /**
   * Unique per proof (`jti`).
   */
  id: string,
};
