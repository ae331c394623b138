// A small app as a user writes it: both entries of the package imported by name, bundled by
// esbuild, Vite or webpack (tests/bundlers/bundlers.test.mjs builds it with each), then run
// in Chromium. VerifyClient talks to the sandbox; VerifyBrowserClient to the proxy that this
// page's own server runs at /verify. The page posts what happened to /result.
import { VerifyClient, VerifyError } from "plivo-verify-wasm";
import { VerifyBrowserClient, VerifyError as BrowserClientError } from "plivo-verify-wasm/browser-client";

const post = (result) => fetch("/result", { method: "POST", body: JSON.stringify(result) });
const outcome = async (call) => {
  try {
    await call();
    return { ok: true };
  } catch (e) {
    return { ok: false, isVerifyError: e instanceof VerifyError, code: e.code, argument: e.argument };
  }
};

async function run() {
  // The credentials come from the test's server, not the page's source.
  const config = await (await fetch("/config")).json();
  const otpOf = async (uuid) => (await (await fetch(`${config.client.baseUrl}/__sandbox/sessions/${uuid}/otp`)).json()).otp;

  const client = new VerifyClient(config.client);
  const created = await client.createSession({ recipient: config.recipients[0] });
  await client.validateSession(created.sessionUuid, await otpOf(created.sessionUuid));
  const session = await client.getSession(created.sessionUuid);

  const browser = new VerifyBrowserClient({ endpoint: "/verify" });
  const started = await browser.start(config.recipients[1]);
  const checked = await browser.check(started.sessionUuid, await otpOf(started.sessionUuid));
  return {
    status: session.status,
    verified: checked.verified,
    proof: typeof checked.proof === "string" && checked.proof.split(".").length === 3,
    oneErrorClass: VerifyError === BrowserClientError,
    badInput: await outcome(() => client.createSession({ recipient: 42 })),
    badNumber: await outcome(() => browser.start("call me")),
  };
}

run().then(post, (e) => post({ crashed: String((e && e.stack) || e) }));
