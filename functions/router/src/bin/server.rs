//! `switchboard-server`: the contact-form router as a self-hosted HTTP
//! server (feature `server`). Configured by environment variables only
//! (`ServerConfig::from_env`; `deploy/server/README.md` lists them); all the
//! work is in the library's `server` module.

use std::process::ExitCode;
use std::time::Duration;

use switchboard_router::ServerConfig;
use switchboard_router::server;

fn main() -> ExitCode {
    // Refuse to start, loudly and without secrets, rather than serve with a
    // half-configured router.
    let config = match ServerConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("switchboard-router: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("switchboard-router: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let shutdown = server::signals()?;
        server::run(config, shutdown).await
    });
    // A file write still under way past the grace period is left to the
    // outbox's promises (nothing half-written is ever read back).
    runtime.shutdown_timeout(Duration::from_secs(2));
    match result {
        // Stopped on a signal: pending deliveries wait in the outbox.
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard-router: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}
