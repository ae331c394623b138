// Turns wasm-pack's `--target web` output in pkg/ into the published npm package, with the
// entry files checked in under npm/:
//
//   node.js     Node >= 18: reads the .wasm with node:fs and instantiates it at import
//   browser.js  browsers and bundlers: `await init(new URL(".wasm", import.meta.url))`
//   workerd.js  Cloudflare-style workers: `import wasm from "./….wasm"` + initSync
//   api.js      what those three export (checked against the glue's exports)
//   browser-client.js  the browser client's own module
//   element.js  <verify-phone>, on the browser client (element.d.ts: its types)
//   index.d.ts  the types of all three (the generated d.ts plus VerifyError)
//   package.json  with an `exports` map choosing among them by condition
//
// The web glue (plivo_verify_wasm.js, .d.ts) stays untouched and is exported as "./raw"
// for those who call `init`/`initSync` themselves. Run by scripts/build after wasm-pack
// and wasm-opt; fails loudly on anything unexpected.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const NAME = "plivo_verify_wasm";
const GLUE = `./${NAME}.js`;
const GLUE_DTS = `./${NAME}.d.ts`;
const WASM = `./${NAME}_bg.wasm`;
const ENTRIES = ["./node.js", "./browser.js", "./workerd.js"];
// What the three entries export, once: `export * from "./api.js"`.
const API = "api.js";
// The browser client's module: built without the `server` feature (scripts/build).
const BROWSER_NAME = "plivo_verify_browser";
const BROWSER_GLUE = `./${BROWSER_NAME}.js`;
const BROWSER_GLUE_DTS = `./${BROWSER_NAME}.d.ts`;
const BROWSER_WASM = `./${BROWSER_NAME}_bg.wasm`;
const BROWSER_ENTRY = "./browser-client.js";
const ELEMENT_ENTRY = "./element.js";
const SNIPPET_FILE = "src/js/verify_error.js";

function fail(message) {
  console.error(`package.mjs: ${message}`);
  process.exit(1);
}

const read = (file) => readFileSync(join(pkg, file), "utf8");
const write = (file, text) => writeFileSync(join(pkg, file), text);

for (const file of [GLUE, GLUE_DTS, WASM, BROWSER_GLUE, BROWSER_GLUE_DTS, BROWSER_WASM, "./package.json"]) {
  if (!existsSync(join(pkg, file))) fail(`pkg/${file} is missing: run scripts/build`);
}

// ---------------------------------------------------------------------------------------
// Metadata: the version comes from Cargo.toml (wasm-pack's package.json must agree).

/** `key = "value"` pairs of one `[section]` of a TOML file (enough for Cargo.toml). */
function tomlSection(text, section) {
  const values = {};
  let current = null;
  for (const line of text.split("\n")) {
    const header = line.match(/^\s*\[([^\]]+)\]\s*(#.*)?$/);
    if (header) current = header[1].trim();
    else if (current === section) {
      const pair = line.match(/^\s*([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"/);
      if (pair) values[pair[1]] = pair[2];
    }
  }
  return values;
}

const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
const crate = { ...tomlSection(cargo, "workspace.package"), ...tomlSection(cargo, "package") };
if (!crate.version) fail("Cargo.toml [package] has no version");
const generated = JSON.parse(read("./package.json"));
if (generated.version !== crate.version) {
  fail(`wasm-pack wrote version ${generated.version}, Cargo.toml says ${crate.version}`);
}

// ---------------------------------------------------------------------------------------
// What the glue exports at run time: every public name but init, initSync and internals.

const glue = await import(pathToFileURL(join(pkg, GLUE)).href);
const values = Object.keys(glue)
  .filter((name) => name !== "default" && name !== "initSync" && !name.startsWith("__"))
  .sort();

// VerifyError lives in a wasm-bindgen snippet: pkg/snippets/<crate>-<hash>/src/js/….
function findSnippets(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name, SNIPPET_FILE))
    .filter((file) => existsSync(file));
}
function crateUsesSnippet(dir) {
  return readdirSync(dir, { withFileTypes: true }).some((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return crateUsesSnippet(path);
    return entry.name.endsWith(".rs") && readFileSync(path, "utf8").includes("verify_error.js");
  });
}
const snippets = findSnippets(join(pkg, "snippets"));
let snippet = null; // "./snippets/…/verify_error.js"
if (snippets.length > 1) fail(`several copies of ${SNIPPET_FILE} in pkg/snippets: ${snippets}`);
if (snippets.length === 1) {
  snippet = "./" + relative(pkg, snippets[0]).split("\\").join("/");
} else if (crateUsesSnippet(join(root, "src"))) {
  fail(`the crate imports ${SNIPPET_FILE} but wasm-bindgen copied no such snippet into pkg/snippets`);
} else {
  console.warn(`package.mjs: warning: the crate does not use ${SNIPPET_FILE} yet: no VerifyError export`);
}
if (snippet) {
  const { VerifyError } = await import(pathToFileURL(join(pkg, snippet)).href);
  if (typeof VerifyError !== "function" || !(VerifyError.prototype instanceof Error)) {
    fail(`${snippet} does not export a class VerifyError extending Error`);
  }
  // index.d.ts declares this constructor: keep the two in step.
  const params = String(VerifyError).match(/constructor\s*\(([^)]*)\)/)?.[1].replace(/\s+/g, "");
  if (params !== "code,message,status,apiId,retryAfterMs,argument,reason") {
    fail(`VerifyError's constructor is (${params}): update the declaration in scripts/package.mjs`);
  }
  if (values.includes("VerifyError")) fail("the glue itself exports VerifyError: re-export only one");
}
const expected = ["VerifyClient", "verifyCallbackSignature", "verifyCallbackSignatureV2",
  "verifyCallbackRequest", "parseStatusCallback"];
const missing = expected.filter((name) => !values.includes(name));
if (missing.length > 0) {
  console.warn(`package.mjs: warning: the glue does not export ${missing.join(", ")} (yet)`);
}

// ---------------------------------------------------------------------------------------
// The generated d.ts: what it declares, split into values and types.

/**
 * The text with comments (and, if `blankStrings`, string contents) replaced by spaces,
 * newlines kept, so that line numbers stay right.
 */
function codeOnly(text, blankStrings) {
  let out = "";
  let i = 0;
  const blank = (s) => s.replace(/[^\n]/g, " ");
  while (i < text.length) {
    const c = text[i];
    if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      const literal = text.slice(i, j + 1);
      out += blankStrings ? c + blank(literal.slice(1, -1)) + c : literal;
      i = j + 1;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

function declaredExports(dts) {
  const code = codeOnly(dts, false);
  const found = { values: new Set(), types: new Set() };
  const declaration =
    /\bexport\s+(?:declare\s+)?(?:(default)\s+)?(?:abstract\s+)?(class|function|const|let|var|enum|interface|type|namespace)\s+([A-Za-z_$][\w$]*)/g;
  for (const [, isDefault, kind, name] of code.matchAll(declaration)) {
    if (isDefault) continue;
    (["interface", "type"].includes(kind) ? found.types : found.values).add(name);
  }
  for (const [, typeOnly, list] of code.matchAll(/\bexport\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const item of list.split(",").map((s) => s.trim()).filter(Boolean)) {
      const name = item.split(/\s+as\s+/).pop().replace(/^type\s+/, "");
      if (name !== "default") (typeOnly ? found.types : found.values).add(name);
    }
  }
  return found;
}

// wasm-bindgen types the raw wasm exports listed in `InitOutput` (what init() returns) with
// `any` for externref arguments and results. Those are the ABI, not the API; `unknown` keeps
// them callable and the published d.ts free of `any`. Nothing else of the file changes.
function cleanGlueDts(file) {
  const text = read(file).replace(/^export interface InitOutput \{\n[^}]*\n\}$/m, (block) =>
    block.replace(/\bany\b/g, "unknown"),
  );
  write(file, text);
  return text;
}
const glueDts = cleanGlueDts(GLUE_DTS);
const declared = declaredExports(glueDts);
const initTypes = new Set(["InitInput", "InitOutput", "SyncInitInput"]);
const valueTypes = [...declared.values].filter((n) => n !== "initSync" && !n.startsWith("__"));
const typeNames = [...declared.types].filter((n) => !initTypes.has(n) && !n.startsWith("__")).sort();
const untyped = values.filter((n) => !declared.values.has(n));
if (untyped.length > 0) fail(`${GLUE_DTS} declares no type for ${untyped.join(", ")}`);
const typeless = valueTypes.filter((n) => !values.includes(n));
if (typeless.length > 0) fail(`${GLUE_DTS} declares ${typeless.join(", ")}, which the glue does not export`);

// ---------------------------------------------------------------------------------------
// The entry files: checked in under npm/ and copied here, the VerifyError import pointed at
// the snippet wasm-bindgen wrote. npm/api.js must name exactly what the glue exports.

const npm = join(root, "npm");
const SNIPPET_SPECIFIER = "./snippets/verify_error.js";
/** Copies npm/<file> into the package; the names it exports. */
function copyEntry(file) {
  let text = readFileSync(join(npm, file), "utf8");
  if (text.includes(`"${SNIPPET_SPECIFIER}"`)) {
    if (!snippet) fail(`npm/${file} exports VerifyError, but wasm-bindgen wrote no ${SNIPPET_FILE}`);
    text = text.replaceAll(`"${SNIPPET_SPECIFIER}"`, `"${snippet}"`);
  }
  write(`./${file}`, text);
  return [...declaredExports(text).values].sort();
}
/** Fails unless `file` exports `names` (sorted), and only them. */
function exportsExactly(file, names, from) {
  const extra = names.filter((n) => !from.includes(n));
  const absent = from.filter((n) => !names.includes(n));
  if (extra.length > 0 || absent.length > 0) {
    fail(`npm/${file} must export exactly what its glue does (and VerifyError):` +
      (absent.length ? ` add ${absent.join(", ")}` : "") + (extra.length ? ` remove ${extra.join(", ")}` : ""));
  }
}
const withError = (list) => [...list, ...(snippet ? ["VerifyError"] : [])].sort();
exportsExactly(API, copyEntry(API), withError(values));
for (const entry of ENTRIES) copyEntry(entry.slice(2));

// ---------------------------------------------------------------------------------------
// index.d.ts: the generated declarations re-exported, plus VerifyError.

const has = (name) => declared.values.has(name) || declared.types.has(name);
let errorTypes = "";
if (snippet || has("VerifyError")) {
  // The union of codes is declared by the crate (src/js/types.rs), next to the Rust enum.
  if (!has("VerifyErrorCode")) fail("the crate's d.ts declares no VerifyErrorCode");
  if (!has("VerifyError")) {
    errorTypes += `
/**
 * Every failure of plivo-verify-wasm: thrown (or the rejection of a Promise) by every
 * function and method of this package. Branch on \`code\`; \`status\`, \`apiId\` and
 * \`retryAfterMs\` are there when the server answered, \`argument\` names the argument at
 * fault for \`invalid_argument\`, \`reason\` the proxy guard that refused a
 * \`VerifyBrowserClient\` call. Messages never contain the auth token or a code.
 */
export declare class VerifyError extends Error {
  constructor(
    code: VerifyErrorCode,
    message: string,
    status?: number,
    apiId?: string,
    retryAfterMs?: number,
    argument?: string,
    reason?: string,
  );
  readonly name: "VerifyError";
  /** What kind of failure; stable. */
  readonly code: VerifyErrorCode;
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** Plivo's request id, when the answer had one. */
  readonly apiId?: string;
  /** How long the server asked to wait (\`Retry-After\`), in milliseconds. */
  readonly retryAfterMs?: number;
  /** The argument at fault (\`invalid_argument\` only), as this API names it. */
  readonly argument?: string;
  /** The \`VerifyProxy\` guard that refused (e.g. \`sends_per_recipient\`, \`country_not_allowed\`). */
  readonly reason?: string;
}
`;
  }
}
const fromGlue = (list, type, glue = GLUE) =>
  list.length === 0 ? "" : `export ${type ? "type " : ""}{\n${list.map((n) => `  ${n},`).join("\n")}\n} from "${glue}";\n`;
write(
  "./index.d.ts",
  `// plivo-verify-wasm ${crate.version}: the types of the package's entry points (node, browser,\n// workerd). Generated by scripts/package.mjs from ${GLUE_DTS}.\n` +
    fromGlue(valueTypes.sort(), false) +
    fromGlue(typeNames, true) +
    (errorTypes ? `import type { VerifyErrorCode } from "${GLUE}";\n` : "") +
    errorTypes,
);

// ---------------------------------------------------------------------------------------
// "./browser-client": VerifyBrowserClient alone, from the module built without the `server`
// feature, so that a page downloads a fraction of the whole module. VerifyError is the same
// snippet (the same class) as the main entries'.

const browserGlue = await import(pathToFileURL(join(pkg, BROWSER_GLUE)).href);
const browserValues = Object.keys(browserGlue)
  .filter((name) => name !== "default" && name !== "initSync" && !name.startsWith("__"))
  .sort();
if (browserValues.join() !== "VerifyBrowserClient") {
  fail(`${BROWSER_GLUE} exports ${browserValues.join(", ") || "nothing"}: expected VerifyBrowserClient alone`);
}
const browserDeclared = declaredExports(cleanGlueDts(BROWSER_GLUE_DTS));
const browserTypes = [...browserDeclared.types].filter((n) => !initTypes.has(n) && !n.startsWith("__")).sort();
if (!browserDeclared.values.has("VerifyBrowserClient")) fail(`${BROWSER_GLUE_DTS} declares no VerifyBrowserClient`);
exportsExactly(BROWSER_ENTRY.slice(2), copyEntry(BROWSER_ENTRY.slice(2)), withError(["VerifyBrowserClient"]));
write(
  "./browser-client.d.ts",
  `// plivo-verify-wasm ${crate.version}: the types of "plivo-verify-wasm/browser-client".\n// Generated by scripts/package.mjs from ${BROWSER_GLUE_DTS}.\n` +
    fromGlue(["VerifyBrowserClient"], false, BROWSER_GLUE) +
    fromGlue(browserTypes, true, BROWSER_GLUE) +
    (errorTypes ? `import type { VerifyErrorCode } from "${BROWSER_GLUE}";\n` : "") +
    errorTypes,
);

// "./element": <verify-phone>, plain JS over the browser client's module; its types are
// checked in next to it.
exportsExactly(ELEMENT_ENTRY.slice(2), copyEntry(ELEMENT_ENTRY.slice(2)), ["DEFAULT_STRINGS", "VerifyPhoneElement"]);
write("./element.d.ts", readFileSync(join(npm, "element.d.ts"), "utf8"));

// ---------------------------------------------------------------------------------------
// package.json

const files = [
  ...ENTRIES.map((f) => f.slice(2)),
  API,
  "index.d.ts",
  GLUE.slice(2),
  GLUE_DTS.slice(2),
  WASM.slice(2),
  BROWSER_ENTRY.slice(2),
  "browser-client.d.ts",
  BROWSER_GLUE.slice(2),
  BROWSER_GLUE_DTS.slice(2),
  BROWSER_WASM.slice(2),
  ELEMENT_ENTRY.slice(2),
  "element.d.ts",
  ...(existsSync(join(pkg, "snippets")) ? ["snippets/"] : []),
];
const manifest = {
  name: "plivo-verify-wasm",
  version: crate.version,
  description: crate.description ?? generated.description,
  license: crate.license ?? generated.license,
  // npm's own form (publint: "git+https://….git"), from the crate's repository URL.
  repository: { type: "git", url: `git+${crate.repository.replace(/\.git$/, "")}.git` },
  keywords: ["plivo", "verify", "otp", "2fa", "webassembly", "cloudflare-workers"],
  type: "module",
  files,
  types: "./index.d.ts",
  exports: {
    ".": {
      types: "./index.d.ts",
      workerd: "./workerd.js",
      node: "./node.js",
      browser: "./browser.js",
      default: "./browser.js",
    },
    "./browser-client": { types: "./browser-client.d.ts", default: BROWSER_ENTRY },
    "./element": { types: "./element.d.ts", default: ELEMENT_ENTRY },
    "./raw": { types: GLUE_DTS, default: GLUE },
    [WASM]: WASM,
    [BROWSER_WASM]: BROWSER_WASM,
    "./package.json": "./package.json",
  },
  // The entries instantiate the module at import: a bundler must keep them.
  sideEffects: [...ENTRIES, BROWSER_ENTRY, ELEMENT_ENTRY],
  engines: { node: ">=18" },
};
write("./package.json", JSON.stringify(manifest, null, 2) + "\n");

// Not published: wasm-pack's "*" .gitignore (the repository ignores /pkg itself) and the
// raw wasm exports' d.ts (it types externrefs as `any`, and nothing imports it).
rmSync(join(pkg, ".gitignore"), { force: true });
rmSync(join(pkg, `${NAME}_bg.wasm.d.ts`), { force: true });

// ---------------------------------------------------------------------------------------
// Checks: no `any` in any published d.ts; every file listed exists.

const problems = [];
function publishedDts(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return publishedDts(path);
    return entry.name.endsWith(".d.ts") ? [path] : [];
  });
}
for (const file of publishedDts(pkg)) {
  codeOnly(readFileSync(file, "utf8"), true)
    .split("\n")
    .forEach((line, i) => {
      if (/\bany\b/.test(line)) problems.push(`${relative(root, file)}:${i + 1}: \`any\` as a type: ${line.trim()}`);
    });
}
for (const file of files) {
  if (!existsSync(join(pkg, file))) problems.push(`files lists ${file}, which does not exist`);
}
if (problems.length > 0) fail(`the package is not fit to publish:\n  ${problems.join("\n  ")}`);

console.log(
  `package.mjs: plivo-verify-wasm ${crate.version}: ${values.length + (snippet ? 1 : 0)} exports` +
    ` (${[...values, ...(snippet ? ["VerifyError"] : [])].join(", ") || "none yet"}), ${typeNames.length} types;` +
    ` ./browser-client: VerifyBrowserClient${snippet ? ", VerifyError" : ""}, ${browserTypes.length} types`,
);
