//! What the sandbox writes for people: the address on stdout (line 1, for scripts), and
//! everything else on stderr. Write errors are ignored: a closed pipe must not stop the API.

use std::io::Write;
use std::time::Duration;

/// Line 1 of stdout: the bound address, for tests and scripts to read.
pub fn address(addr: &std::net::SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{addr}");
    let _ = out.flush();
}

/// One line on stderr.
pub fn line(text: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// One request: method, path, status, latency.
pub fn request(method: &str, path: &str, status: &str, latency: Duration) {
    line(format_args!(
        "{method} {path} {status} {:.1}ms",
        latency.as_secs_f64() * 1000.0
    ));
}

/// The one place an OTP is shown.
pub fn otp_sent(otp: &str, recipient: &str, channel: &str, session_uuid: &str) {
    line(format_args!(
        "OTP {otp} -> +{recipient} ({channel}, session {session_uuid})"
    ));
}
