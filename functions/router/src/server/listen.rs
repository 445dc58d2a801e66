//! The accept loop: hyper's HTTP/1 connections, at most `max_connections`
//! at a time, each with a deadline for its request headers, all watched for
//! graceful shutdown.
//!
//! Over the limit, new connections **wait**: the loop stops accepting until
//! a connection closes, so a new client waits in the kernel's listen backlog
//! (and is refused by the kernel only when that backlog is full). A slot
//! frees within the header deadline at worst, since an idle keep-alive
//! connection or a slow client is cut off then.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::request::{self, Limits};
use crate::handler::Router;
use crate::log;

/// The accept loop's settings (from [`crate::ServerConfig`]).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub max_connections: usize,
    /// For the request line and headers, and for an idle keep-alive
    /// connection's next request.
    pub header_timeout: Duration,
    /// How long open requests may take to finish after `shutdown`.
    pub grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting and lets open requests finish for at most `options.grace`;
/// `false` if some were still open then.
pub async fn serve(
    listener: TcpListener,
    router: Arc<Router>,
    limits: Limits,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> bool {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                log::event(&format!(
                    "event=connections-full max_connections={} action=wait",
                    options.max_connections
                ));
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait, do not spin.
                Err(e) => {
                    log::event(&format!("event=accept-failed error={e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = Arc::clone(&router);
        let service = service_fn(move |req| {
            let router = Arc::clone(&router);
            async move { Ok::<_, Infallible>(request::answer(router, limits, peer, req).await) }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or times out is not an error of ours.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::time::timeout(options.grace, graceful.shutdown())
        .await
        .is_ok()
}
