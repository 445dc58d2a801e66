//! The self-hosted server (`switchboard-server`, feature `server`): the
//! router behind hyper's HTTP/1 server, for a machine of your own.
//!
//! - `listen.rs`: the accept loop: the connection limit, the header
//!   deadline, graceful shutdown.
//! - `request.rs`: one request: `/healthz`, the client's address, the body
//!   read under its cap and deadline, then [`Router::handle`].
//!
//! Delivery retries run in a background task ([`run`]), never inside a
//! request. On SIGTERM or SIGINT the server stops accepting, lets open
//! requests finish (for `SWITCHBOARD_SHUTDOWN_GRACE_SECONDS`), lets a retry
//! pass that is under way finish, and returns: whatever is still pending
//! stays in the outbox for the next start.

mod listen;
mod request;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::ServerConfig;
use crate::handler::{Router, RouterError};
use crate::log;

pub use listen::{Options, serve};
pub use request::{Limits, client_addr};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Router(#[from] RouterError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot watch for SIGTERM/SIGINT: {0}")]
    Signals(std::io::Error),
}

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Every open request finished within the grace period.
    pub requests_finished: bool,
    /// The retry task stopped within the grace period.
    pub retries_finished: bool,
}

/// Starts the router from `config`, listens, and serves until `shutdown`
/// resolves; then stops as the module docs say. Chooses the log format
/// first (once per process).
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<Stopped, ServerError> {
    log::set_format(config.log_format);
    let router = Arc::new(Router::from_config(config.router.clone())?);
    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Listen {
                addr: config.listen,
                source,
            })?;
    let local = listener.local_addr().unwrap_or(config.listen);
    log::event(&format!(
        "event=listening addr={local} max_connections={} retry_every_s={} trust_proxy={}",
        config.max_connections,
        config.retry_every.as_secs_f64(),
        config.trust_proxy
    ));
    let (stop, stopped) = watch::channel(false);
    let retries = tokio::spawn(retry_loop(Arc::clone(&router), config.retry_every, stopped));
    let limits = Limits {
        trust_proxy: config.trust_proxy,
        body_timeout: config.body_timeout,
    };
    let requests_finished = serve(
        listener,
        router,
        limits,
        Options {
            max_connections: config.max_connections,
            header_timeout: config.header_timeout,
            grace: config.shutdown_grace,
        },
        shutdown,
    )
    .await;
    let _ = stop.send(true);
    let retries_finished = tokio::time::timeout(config.shutdown_grace, retries)
        .await
        .is_ok();
    log::event(&format!(
        "event=stopped requests_finished={requests_finished} retries_finished={retries_finished}"
    ));
    Ok(Stopped {
        requests_finished,
        retries_finished,
    })
}

/// Resolves on the first SIGTERM or SIGINT. The handlers are installed
/// here, at once (not when the future is first polled), so a signal that
/// comes right after start-up is never the default "terminate now".
pub fn signals() -> Result<impl Future<Output = ()>, ServerError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(ServerError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(ServerError::Signals)?;
    Ok(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        log::event(&format!("event=shutdown signal={name}"));
    })
}

/// Retries due deliveries now, then every `every`, until told to stop. A
/// pass under way is finished (it saves each record's progress); the stop
/// is seen between passes.
async fn retry_loop(router: Arc<Router>, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let report = router.retry_pending().await;
        if report.attempted > 0 {
            log::event(&format!(
                "event=retry-pass attempted={} delivered={} still_pending={}",
                report.attempted, report.delivered, report.still_pending
            ));
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
