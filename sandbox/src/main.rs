//! `verify-sandbox`: a stateful local emulator of Plivo's Verify Session API.
//! See the crate's README for the full contract.

mod callbacks;
mod config;
mod console;
mod engine;
mod error;
mod faults;
mod http;
mod requests;

use std::process::ExitCode;
use std::time::Duration;

use chrono::TimeDelta;
use clap::Parser;

use callbacks::{Deliverer, SigningKeys};
use config::Config;
use engine::{Engine, Random, Settings};
use http::{Accounts, App};

/// How often due events (channel statuses, expiries) are applied without a request.
const TICK: Duration = Duration::from_millis(200);

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            console::line(format_args!(
                "verify-sandbox: cannot listen on {}: {error}",
                config.listen
            ));
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            console::line(format_args!("verify-sandbox: {error}"));
            return ExitCode::FAILURE;
        }
    };
    console::address(&addr);
    banner(&config, addr);

    let mut random = Random::new(config.seed);
    let keys = SigningKeys {
        main: config.auth_token.clone(),
        subaccounts: config.subaccounts.iter().cloned().collect(),
        signing: config.sign,
    };
    let deliverer = match Deliverer::new(keys, random.fork()) {
        Ok(deliverer) => deliverer,
        Err(error) => {
            console::line(format_args!("verify-sandbox: HTTP client: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let code_expiry = TimeDelta::from_std(config.code_expiry).unwrap_or(TimeDelta::MAX);
    let settings = Settings {
        main_account: config.auth_id.clone(),
        code_expiry,
        max_attempts: config.max_attempts,
        list_rate_limit: config.list_rate_limit,
        faults: config.faults,
        times: engine::session::TimeFormat {
            offset: config.time_offset,
        },
    };
    let accounts = Accounts::new((config.auth_id, config.auth_token), config.subaccounts);
    let app = App::new(Engine::new(settings, random), deliverer, accounts);

    let ticker = app.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        loop {
            interval.tick().await;
            ticker.tick();
        }
    });
    let stop = shutdown_signal(config.exit_on_stdin_eof);
    http::server::serve(listener, http::router(app.clone()), app, stop).await;
    console::line(format_args!("verify-sandbox: stopped"));
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM, or (with `--exit-on-stdin-eof`) when stdin ends.
async fn shutdown_signal(stdin_lifeline: bool) {
    tokio::select! {
        _ = signalled() => {},
        _ = stdin_closed(), if stdin_lifeline => {},
    }
}

/// Resolves when standard input reaches its end (or cannot be read). Read on a thread of its
/// own, not tokio's stdin: a blocking read there would hold up the runtime's shutdown.
async fn stdin_closed() {
    let (closed, on_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 256];
        while matches!(std::io::Read::read(&mut stdin, &mut buffer), Ok(read) if read > 0) {}
        let _ = closed.send(());
    });
    let _ = on_closed.await;
}

/// Resolves on SIGINT or SIGTERM.
async fn signalled() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn banner(config: &Config, addr: std::net::SocketAddr) {
    let token = if config.auth_token == config::DEFAULT_AUTH_TOKEN {
        config.auth_token.as_str()
    } else {
        "(the one you set; not shown)"
    };
    let base = format!("http://{addr}");
    console::line(format_args!(
        "Plivo Verify sandbox on {base}\n  \
         auth id:    {}\n  \
         auth token: {token}\n  \
         API:        {base}/v1/Account/{}/Verify/Session/\n  \
         outbox:     {base}/__sandbox/messages\n  \
         code expiry {}s, max attempts {}, list rate limit {}/min, faults: {}\n  \
         callbacks signed with: {}",
        config.auth_id,
        config.auth_id,
        config.code_expiry.as_secs_f64(),
        config.max_attempts,
        config.list_rate_limit,
        if config.faults.odds.is_empty() && config.faults.delay.is_zero() {
            "none".to_owned()
        } else {
            config.faults.to_string()
        },
        match config.sign {
            config::Signing::V2 =>
                "X-Plivo-Signature-V2 and -Ma-V2 (as Plivo signs Verify callbacks)",
            config::Signing::V3 => "X-Plivo-Signature-V3",
            config::Signing::All => "X-Plivo-Signature-V2, -Ma-V2 and -V3",
        },
    ));
    for (id, _) in &config.subaccounts {
        console::line(format_args!("  subaccount: {id} (token not shown)"));
    }
}
