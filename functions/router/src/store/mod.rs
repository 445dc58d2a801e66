//! Keeping: where an accepted message stays until it is delivered, and how
//! a retried POST finds its first reference. Two stores, one promise (the
//! visitor hears "sent" only once the message is kept where it outlives the
//! process, and a retried POST never mails twice):
//!
//! - [`local::LocalStore`]: the durable outbox on this machine's disk
//!   (`serve`, a server); delivery in the request, retries in the background.
//! - [`dynamo::DynamoStore`] (feature `ses`): a DynamoDB table and an SQS
//!   queue (AWS Lambda); the delivery worker (`crate::worker`) sends.

#[cfg(feature = "ses")]
pub mod dynamo;
pub(crate) mod local;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;

use crate::compose::{self, Context};
use crate::deliver::BoxFuture;
use crate::outbox::{Outbox, Record, RouteIds, Visitor};
use crate::route::Route;
use crate::texts::Texts;
use crate::validate::Submission;

/// What the visitor hears about a kept (or not kept) submission.
pub(crate) enum Outcome {
    /// Kept as a new message.
    Accepted(String),
    /// The same message was sent before with this key: its reference.
    Replayed(String),
    /// Not kept for later: the visitor must try again.
    Failed,
    /// The key was sent before with another message.
    Conflict,
}

pub(crate) enum KeepError {
    BadVisitorAddress,
    Other(String),
}

impl KeepError {
    fn from_compose(e: compose::ComposeError) -> Self {
        match e {
            compose::ComposeError::Address("the visitor") => KeepError::BadVisitorAddress,
            other => KeepError::Other(other.to_string()),
        }
    }

    pub(crate) fn other(e: impl std::fmt::Display) -> Self {
        KeepError::Other(e.to_string())
    }
}

/// The idempotency key of one submission and the digest of its message.
pub(crate) struct SubmissionKey {
    pub id: String,
    pub body_digest: String,
}

/// A routed submission, ready to be kept.
pub(crate) struct NewMessage<'a> {
    pub sub: &'a Submission,
    pub route: &'a Route,
    pub key: &'a SubmissionKey,
    pub now: DateTime<Utc>,
    /// The router's texts in the submission's language (the acknowledgement).
    pub texts: &'a Texts<'a>,
    /// The router's texts in the site's default language (the notification).
    pub staff: &'a Texts<'a>,
}

/// Counts from one [`Store::retry_due`] pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetryReport {
    pub attempted: usize,
    pub delivered: usize,
    pub still_pending: usize,
}

/// Where accepted messages are kept until delivered.
pub(crate) trait Store: Send + Sync {
    /// Keeps a routed message, unless its key was seen before, and sees it
    /// on its way; what the visitor hears.
    fn keep<'a>(&'a self, message: NewMessage<'a>) -> BoxFuture<'a, Result<Outcome, KeepError>>;

    /// What to answer for a key seen before; `None` if it is free.
    fn existing<'a>(
        &'a self,
        key: &'a SubmissionKey,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Outcome>, KeepError>>;

    /// Delivers what is due; a store whose queue drives delivery has nothing to do.
    fn retry_due(&self, now: DateTime<Utc>) -> BoxFuture<'_, RetryReport>;

    /// The local outbox, when this store is one.
    fn outbox(&self) -> Option<&Outbox> {
        None
    }
}

/// What every kept message's mails share: who sends them, and whether the
/// visitor gets an acknowledgement.
pub(crate) struct Letterhead {
    pub site_title: String,
    pub sender: Mailbox,
    pub acknowledge: bool,
}

impl Letterhead {
    /// The record of a new message: its mails composed under a fresh reference.
    pub(crate) fn compose(&self, message: &NewMessage<'_>) -> Result<Record, KeepError> {
        let (sub, route) = (message.sub, message.route);
        let reference = Outbox::new_reference().map_err(KeepError::other)?;
        let ctx = Context {
            site_title: &self.site_title,
            sender: &self.sender,
            reference: &reference,
            received: message.now,
        };
        let mut mails = vec![
            compose::notification(&ctx, sub, route, message.staff)
                .map_err(KeepError::from_compose)?,
        ];
        if self.acknowledge {
            mails.push(
                compose::acknowledgement(&ctx, sub, route, message.texts)
                    .map_err(KeepError::from_compose)?,
            );
        }
        let mut record = Record::new(reference, Some(message.key.id.clone()), message.now, mails);
        record.body_digest = Some(message.key.body_digest.clone());
        record.route = Some(RouteIds::of(route));
        record.language = Some(route.language.to_string());
        // For the operator's listing and export (`switchboard submissions`),
        // in either store; gone with the record.
        record.visitor = Some(Visitor::of(sub));
        Ok(record)
    }
}
