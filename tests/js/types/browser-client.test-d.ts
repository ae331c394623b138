// Type-checked with usage.test-d.ts (scripts/test-js), never run: the page-side subpath
// "plivo-verify-wasm/browser-client" and its types, through the exports map.
import { VerifyBrowserClient, VerifyError } from "plivo-verify-wasm/browser-client";
import type { CheckResult, SessionStatusResult, StartOptions, StartResult, VerifyErrorCode } from "plivo-verify-wasm/browser-client";

export async function page(phone: string, code: string): Promise<string | null> {
  const verify = new VerifyBrowserClient({ endpoint: "/verify", timeoutMs: 5_000 });
  const started: StartResult = await verify.start(phone, { channel: "voice" });
  const wait: number = started.resendAfterSecs;
  const result: CheckResult = await verify.check(started.sessionUuid, code);
  const status: SessionStatusResult = await verify.status(started.sessionUuid);
  void [wait, status.attempts];
  try {
    await verify.start(phone);
  } catch (e) {
    if (e instanceof VerifyError) {
      const why: VerifyErrorCode = e.code;
      void why;
    }
  }
  const once: StartOptions = { channel: "sms", idempotencyKey: crypto.randomUUID() };
  void verify.start(phone, once);
  // @ts-expect-error an Idempotency-Key is a string
  void verify.start(phone, { idempotencyKey: 7 });
  const received: string | null = await verify.receiveCode(new AbortController().signal);
  void received;
  // @ts-expect-error "fax" is not a channel
  void verify.start(phone, { channel: "fax" });
  // @ts-expect-error the reason exists only when not verified
  void result.reason;
  return result.verified ? result.proof : null;
}

// @ts-expect-error the browser client's module has no VerifyClient
export { VerifyClient } from "plivo-verify-wasm/browser-client";
