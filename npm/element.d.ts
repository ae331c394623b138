// plivo-verify-wasm/element: the types of <verify-phone> (npm/element.js).
import type { VerifyBrowserClient } from "./browser-client.js";

/** The element's texts; a function gets the value to show (a wait as m:ss, a number…). */
export interface VerifyPhoneStrings {
  phoneLabel: string;
  phoneHint: string;
  countriesHint: string | ((countries: string[]) => string);
  invalidNumber: string;
  channelLegend: string;
  sms: string;
  voice: string;
  send: string;
  resend: string;
  resendIn: string | ((wait: string) => string);
  callInstead: string;
  codeLabel: string;
  check: string;
  change: string;
  sending: string;
  calling: string;
  sentSms: string | ((recipient: string) => string);
  sentVoice: string | ((recipient: string) => string);
  expiresIn: string | ((wait: string) => string);
  checking: string;
  verified: string;
  incorrect: string;
  expired: string;
  tooManyAttempts: string;
  rateLimited: string | ((wait: string) => string);
  challengeFailed: string;
  challengeNeeded: string;
  networkError: string;
  error: string | ((message: string) => string);
}

/** What the element shows (also its `data-state` attribute). */
export type VerifyPhoneState =
  | "idle" | "sending" | "sent" | "checking" | "verified" | "incorrect" | "expired"
  | "too_many_attempts" | "rate_limited" | "challenge_failed" | "network_error" | "error";

/** The `verified` event's detail: send `proof` to your server (verifyProof). */
export interface VerifiedDetail {
  proof: string;
  sessionUuid: string;
  recipient: string;
}

/** The English texts. */
export declare const DEFAULT_STRINGS: VerifyPhoneStrings;

/**
 * `<verify-phone endpoint="/verify" channels="sms voice" countries="US CA" code-length="6"
 * code-expiry="600" turnstile-sitekey="…">`: the whole flow, on VerifyBrowserClient.
 */
export declare class VerifyPhoneElement extends HTMLElement {
  static observedAttributes: string[];
  /** The texts in use; assign some to replace them. */
  get strings(): VerifyPhoneStrings;
  set strings(value: Partial<VerifyPhoneStrings>);
  /** The client it talks through (one of its own, for `endpoint`, by default). */
  get client(): VerifyBrowserClient;
  set client(value: VerifyBrowserClient | null);
  /** What it shows now. */
  get state(): VerifyPhoneState;
  /** Back to an empty number, as at first. */
  reset(): void;
  addEventListener(type: "verified", listener: (event: CustomEvent<VerifiedDetail>) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: "statechange", listener: (event: CustomEvent<{ state: VerifyPhoneState }>) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "verify-phone": VerifyPhoneElement;
  }
}
