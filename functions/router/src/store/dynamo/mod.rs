//! The AWS store: each message is written to a DynamoDB table (a
//! conditional put, so its reference is unique), its idempotency key is
//! claimed (a conditional put, so a retried POST on any instance finds the
//! first reference), and its delivery is queued on SQS. The visitor hears
//! "sent" only after all three; the delivery worker (`crate::worker`) sends.

pub mod records;
pub mod table;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::{KeepError, Letterhead, NewMessage, Outcome, RetryReport, Store, SubmissionKey};
use crate::aws::{self, AwsClient, AwsConfig, AwsError, Service, sqs};
use crate::compose::MailKind;
use crate::deliver::BoxFuture;
use crate::limit::Limiter;
use crate::log;
use crate::outbox::{CONTENT_KEY_PREFIX, CONTENT_KEY_TTL_MINUTES, KEY_TTL_HOURS};
use table::{KeyEntry, Status, Table};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoConfig {
    pub aws: AwsConfig,
    pub table: String,
    pub queue_url: String,
    /// `SWITCHBOARD_RETENTION_DAYS`; `None`: the manifest's `[form] retention_days`.
    pub retention_days: Option<u32>,
    /// The queue's `maxReceiveCount`: the delivery worker's last attempt.
    pub max_receives: u32,
}

/// The queue's `maxReceiveCount` when `SWITCHBOARD_MAX_RECEIVES` is not set
/// (the template's default).
pub const DEFAULT_MAX_RECEIVES: u32 = 8;

pub struct DynamoStore {
    writer: Writer,
    retention: Duration,
    letterhead: Letterhead,
    limiter: Arc<Limiter>,
}

/// The body of a delivery's queue message.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct QueuedDelivery {
    pub reference: String,
}

impl DynamoStore {
    /// `retention_days`: the configured one, else the manifest's.
    pub(crate) fn new(
        config: DynamoConfig,
        retention_days: u32,
        letterhead: Letterhead,
        limiter: Arc<Limiter>,
    ) -> Self {
        Self {
            writer: Writer {
                table: Table {
                    client: AwsClient::new(config.aws),
                    name: config.table,
                },
                queue_url: config.queue_url,
            },
            retention: Duration::days(i64::from(config.retention_days.unwrap_or(retention_days))),
            letterhead,
            limiter,
        }
    }

    async fn keep_and_queue(&self, message: NewMessage<'_>) -> Result<Outcome, KeepError> {
        let now = message.now;
        // The acknowledgement's turn first, so the record holds only the
        // mails that will be sent; given back if nothing new is kept.
        let ack = self
            .letterhead
            .acknowledge
            .then(|| self.limiter.acknowledge(&message.sub.email, now))
            .flatten();
        let mut record = self.letterhead.compose(&message)?;
        if ack.is_none() {
            record.mails.retain(|m| m.kind != MailKind::Acknowledgement);
        }
        let key = KeyClaim {
            id: message.key.id.clone(),
            entry: KeyEntry {
                reference: record.reference.clone(),
                body_digest: message.key.body_digest.clone(),
            },
            expires: now + key_ttl(&message.key.id),
        };
        let (writer, expires) = (self.writer.clone(), now + self.retention);
        let outcome = aws::blocking(Service::DynamoDb, move || {
            writer.keep(&record, expires, &key, now)
        })
        .await
        .map_err(KeepError::other);
        if let Some(grant) = ack
            && !matches!(outcome, Ok(Outcome::Accepted(_)))
        {
            self.limiter.refund_ack(grant);
        }
        if let Ok(Outcome::Accepted(reference)) = &outcome {
            let route = message.route;
            log::event(&format!(
                "event=kept ref={reference} store=dynamodb topic={} department={} contact={} language={} by_language={}",
                route.topic_id,
                route.department_id,
                route.contact_id.as_deref().unwrap_or("-"),
                route.language,
                route.by_language,
            ));
        }
        outcome
    }
}

/// A key to claim for a new message.
struct KeyClaim {
    id: String,
    entry: KeyEntry,
    expires: DateTime<Utc>,
}

/// The blocking half: the table and the queue.
#[derive(Clone)]
struct Writer {
    table: Table,
    queue_url: String,
}

impl Writer {
    /// Writes the record, claims its key, queues its delivery; or answers
    /// for the key's earlier message.
    fn keep(
        &self,
        record: &crate::outbox::Record,
        expires: DateTime<Utc>,
        key: &KeyClaim,
        now: DateTime<Utc>,
    ) -> Result<Outcome, AwsError> {
        if !self.table.put_new(record, expires)? {
            // 40 random bits met an existing reference: the visitor tries again.
            return Ok(Outcome::Failed);
        }
        let mut claimed = self
            .table
            .claim_key(&key.id, &key.entry, now, key.expires, None)?;
        if !claimed {
            // The key names an earlier message: answer as it was answered, or
            // take the key over from one that never reached its contact.
            match self.earlier(&key.id, &key.entry.body_digest, now)? {
                Earlier::Answer(outcome) => {
                    self.drop_unpromised(&record.reference);
                    return Ok(outcome);
                }
                Earlier::Free(replacing) => {
                    claimed = self.table.claim_key(
                        &key.id,
                        &key.entry,
                        now,
                        key.expires,
                        replacing.as_deref(),
                    )?;
                }
            }
        }
        if !claimed {
            // Another request with this key got there first.
            self.drop_unpromised(&record.reference);
            return Ok(match self.earlier(&key.id, &key.entry.body_digest, now)? {
                Earlier::Answer(outcome) => outcome,
                Earlier::Free(_) => Outcome::Failed,
            });
        }
        self.queue(&record.reference)?;
        Ok(Outcome::Accepted(record.reference.clone()))
    }

    /// This record's key went to another message: nobody was promised it.
    fn drop_unpromised(&self, reference: &str) {
        if let Err(e) = self.table.delete_unpromised(reference) {
            log::event(&format!("event=orphan-record ref={reference} error={e}"));
        }
    }

    /// Queues the delivery of `reference` and marks it queued.
    fn queue(&self, reference: &str) -> Result<(), AwsError> {
        let body = serde_json::to_string(&QueuedDelivery {
            reference: reference.to_string(),
        })
        .map_err(|e| AwsError::local(Service::Sqs, e))?;
        sqs::send(&self.table.client, &self.queue_url, &body)?;
        // Only a listing and a retried POST read the mark; the worker does
        // not. A lost mark leaves `new`, which a retried POST queues again.
        if let Err(e) = self.table.mark_queued(reference) {
            log::event(&format!(
                "event=queued-mark-failed ref={reference} error={e}"
            ));
        }
        Ok(())
    }

    /// What `key_id` already stands for, for a message with `body_digest`.
    fn earlier(
        &self,
        key_id: &str,
        body_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Earlier, AwsError> {
        let Some(entry) = self.table.key(key_id, now)? else {
            return Ok(Earlier::Free(None));
        };
        if entry.body_digest != body_digest {
            log::event("event=idempotency-conflict");
            return Ok(Earlier::Answer(Outcome::Conflict));
        }
        let Some(stored) = self.table.load(&entry.reference)? else {
            // Its record expired: free to be kept again.
            return Ok(Earlier::Free(Some(entry.reference)));
        };
        if stored.status == Status::Failed && !stored.record.notification_delivered() {
            // Never reached its contact: the visitor's next try is a new message.
            return Ok(Earlier::Free(Some(entry.reference)));
        }
        log::event(&format!("event=idempotent-replay ref={}", entry.reference));
        if stored.status == Status::New {
            // Kept, but its queueing failed when it was sent: queue it now.
            self.queue(&entry.reference)?;
        }
        Ok(Earlier::Answer(Outcome::Replayed(entry.reference)))
    }
}

/// What a key already stands for.
enum Earlier {
    /// Nothing: claim it (replacing the reference it still names, if any).
    Free(Option<String>),
    /// The answer for the key's earlier message.
    Answer(Outcome),
}

/// How long a key maps to its reference: a day for a client's key, minutes
/// for a message's own digest (see [`crate::outbox`]).
fn key_ttl(key_id: &str) -> Duration {
    if key_id.starts_with(CONTENT_KEY_PREFIX) {
        Duration::minutes(CONTENT_KEY_TTL_MINUTES)
    } else {
        Duration::hours(KEY_TTL_HOURS)
    }
}

impl Store for DynamoStore {
    fn keep<'a>(&'a self, message: NewMessage<'a>) -> BoxFuture<'a, Result<Outcome, KeepError>> {
        Box::pin(self.keep_and_queue(message))
    }

    fn existing<'a>(
        &'a self,
        key: &'a SubmissionKey,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Outcome>, KeepError>> {
        let (writer, id, digest) = (self.writer.clone(), key.id.clone(), key.body_digest.clone());
        Box::pin(async move {
            let earlier =
                aws::blocking(Service::DynamoDb, move || writer.earlier(&id, &digest, now))
                    .await
                    .map_err(KeepError::other)?;
            Ok(match earlier {
                Earlier::Answer(outcome) => Some(outcome),
                Earlier::Free(_) => None,
            })
        })
    }

    fn retry_due(&self, _now: DateTime<Utc>) -> BoxFuture<'_, RetryReport> {
        // The queue drives delivery; nothing is due here.
        Box::pin(async { RetryReport::default() })
    }
}
