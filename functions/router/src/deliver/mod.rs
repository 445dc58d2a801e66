//! Mail backends behind one trait. The router hands a backend a finished
//! message and its envelope; a backend never chooses or changes recipients.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod maildir;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "smtp")]
pub mod smtp;

pub use maildir::MaildirMailer;

/// A boxed future, so `dyn Mailer` works without an extra crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// SMTP envelope: the bare sender and recipient addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth retrying later (connection refused, timeouts, 4xx SMTP replies, throttling).
    #[error("temporary delivery failure: {0}")]
    Temporary(String),
    /// Retrying the same message will not help (rejected address, bad credentials).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

pub trait Mailer: Send + Sync {
    /// Sends `raw` (a complete RFC 5322 message) to exactly `envelope.to`.
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>>;

    /// A short name for logs ("maildir", "smtp", "ses").
    fn kind(&self) -> &'static str;

    /// The same backend as a [`BlockingMailer`], when sending is blocking
    /// work on local files (the mail directory): the router then makes a
    /// whole delivery attempt (every mail, then the record's move) one task
    /// on its blocking pool instead of one per step. `None` (the default)
    /// for network backends, which are driven from the async workers.
    fn blocking(&self) -> Option<Arc<dyn BlockingMailer>> {
        None
    }
}

/// A backend that sends by blocking (local file work), called from a
/// blocking context only; see [`Mailer::blocking`].
pub trait BlockingMailer: Send + Sync {
    /// What [`Mailer::send`] does, blocking: the same promise on success.
    fn send_blocking(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), DeliveryError>;
}
