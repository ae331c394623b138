//! The TypeScript of every value the core hands JavaScript, generated from the same serde
//! types that produce the values (so a new field is one Rust field): `cargo test -p
//! plivo-verify-core` writes `core/ts/*.d.ts` when they differ and fails once, so the change
//! is seen and committed. The wasm crate appends the files to its `.d.ts`
//! (`src/js/types.rs`), at no runtime cost: ts-rs is a dev-dependency.

use std::path::Path;

use ts_rs::{Config, TS};

use crate::api::callback::StatusCallback;
use crate::api::error::ALL_CODES;
use crate::api::model::{
    AttemptCharge, AttemptDetail, Charges, CreateSessionResponse, Meta, Session, SessionList,
    ValidateSessionResponse,
};
use crate::proxy::answer::{CheckRefusal, CheckResult, SessionStatusResult, StartResult};
use crate::proxy::proof::Proof;

const HEADER: &str = "// Generated from the Rust types by `cargo test -p plivo-verify-core` \
                      (core/src/typescript.rs): do not edit.\n";

/// `export type T = { … };` with its doc comments, one field per line.
fn declaration<T: TS>(cfg: &Config) -> String {
    let mut out = format!("\n{}export ", T::docs().unwrap_or_default());
    let decl = T::decl(cfg);
    let mut lines = decl.lines().map(str::trim_end).peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("type ") {
            out.push_str(line);
        } else if let Some(last) = line.strip_suffix(" };") {
            out.push_str(&format!("  {last}\n}};"));
        } else if let Some(last) = line.strip_suffix(" } | {") {
            // Between two objects of a union.
            out.push_str(&format!("  {last}\n}} | {{"));
        } else {
            out.push_str(&format!("  {line}"));
        }
        out.push('\n');
        if lines.peek().is_none() && !out.ends_with(";\n") {
            out.insert(out.len() - 1, ';');
        }
    }
    out
}

/// `VerifyErrorCode`: every `ErrorCode`, from the enum itself.
fn errors() -> String {
    let mut out = format!(
        "{HEADER}\n/** The stable `code` of every `VerifyError` (Rust: `api::error::ErrorCode`). */\n\
         export type VerifyErrorCode =\n"
    );
    for code in ALL_CODES {
        out.push_str(&format!("  | \"{}\"\n", code.as_str()));
    }
    out.pop();
    out.push_str(";\n");
    out
}

/// The server side's answers.
fn answers() -> String {
    // Counts and times are far below 2^53: they are numbers in JavaScript.
    let cfg = Config::new().with_large_int("number");
    [
        HEADER.to_owned(),
        declaration::<CreateSessionResponse>(&cfg),
        declaration::<ValidateSessionResponse>(&cfg),
        declaration::<AttemptDetail>(&cfg),
        declaration::<AttemptCharge>(&cfg),
        declaration::<Charges>(&cfg),
        declaration::<Session>(&cfg),
        declaration::<Meta>(&cfg),
        declaration::<SessionList>(&cfg),
        declaration::<StatusCallback>(&cfg),
        declaration::<Proof>(&cfg),
    ]
    .concat()
}

/// The proxy's answers, what `VerifyBrowserClient` resolves to (both modules declare them).
fn proxy() -> String {
    let cfg = Config::new().with_large_int("number");
    [
        HEADER.to_owned(),
        declaration::<StartResult>(&cfg),
        declaration::<CheckRefusal>(&cfg),
        declaration::<CheckResult>(&cfg),
        declaration::<SessionStatusResult>(&cfg),
    ]
    .concat()
}

#[test]
fn the_checked_in_declarations_are_the_generated_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ts");
    let mut stale = Vec::new();
    let files = [
        ("errors.d.ts", errors()),
        ("answers.d.ts", answers()),
        ("proxy.d.ts", proxy()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, text).unwrap();
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "regenerated core/ts/{stale:?} from the Rust types: review and commit them"
    );
}
