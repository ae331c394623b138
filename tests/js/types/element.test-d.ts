// Type-checked with usage.test-d.ts (scripts/test-js), never run: <verify-phone> through
// "plivo-verify-wasm/element".
import { DEFAULT_STRINGS, VerifyPhoneElement } from "plivo-verify-wasm/element";
import { VerifyBrowserClient } from "plivo-verify-wasm/browser-client";
import type { VerifiedDetail, VerifyPhoneState } from "plivo-verify-wasm/element";

export function page(): void {
  const el = document.querySelector("verify-phone");
  if (!el) return;
  const typed: VerifyPhoneElement = el;
  typed.addEventListener("verified", (event) => {
    const detail: VerifiedDetail = event.detail;
    void fetch("/login", { method: "POST", body: detail.proof });
  });
  typed.strings = { send: "Envoyer le code", resendIn: (wait) => `Renvoyer dans ${wait}` };
  const state: VerifyPhoneState = typed.state;
  const label: string = typeof DEFAULT_STRINGS.send === "string" ? DEFAULT_STRINGS.send : "";
  const e164: string | undefined = VerifyBrowserClient.normaliseNumber("+1 (415) 555-0100");
  void [state, label, e164];
  // @ts-expect-error not a state
  const wrong: VerifyPhoneState = "done";
  void wrong;
}
