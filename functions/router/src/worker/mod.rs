//! The delivery worker (AWS): sends the mails of each message the form
//! function queued, off the request path. Driven by SQS: a message whose
//! delivery fails for a reason that passes (throttling, quota, expired
//! credentials, clock skew, 5xx) is handed back with a growing delay; after
//! the queue's last receive it is parked in the table, the department inbox
//! and the backup contact get an alert, and the queue moves it to its
//! dead-letter queue. A malformed message is parked at once. SES's bounce
//! and complaint events arrive through SNS: see [`bounce`].

mod alert;
pub mod bounce;

use std::sync::Arc;

use lettre::message::Mailbox;
use serde_json::{Value, json};

use crate::aws::{self, AwsClient, AwsError, Service, sqs};
use crate::compose::MailKind;
use crate::deliver::ses::{SesConfig, SesMailer};
use crate::log;
use crate::manifest::RoutingManifest;
use crate::outbox::Record;
use crate::store::dynamo::table::{Status, Table};
use crate::store::dynamo::{DynamoConfig, QueuedDelivery};

/// What the worker needs: the table and queue, SES, the manifest (for the
/// alert's recipients) and the sender.
#[derive(Clone)]
pub struct DeliveryWorker {
    table: Table,
    queue_url: String,
    ses: SesMailer,
    manifest: Arc<RoutingManifest>,
    sender: Mailbox,
    /// The queue's `maxReceiveCount`: the receive that is the last attempt.
    max_receives: u32,
}

/// What became of one queued delivery.
#[derive(Debug, PartialEq, Eq)]
enum Handled {
    /// Delivered, parked, or nothing left to do: the queue may forget it.
    Done,
    /// Try again after this many seconds.
    RetryAfter(u32),
    /// Parked after the last attempt; the queue moves it to the dead-letter queue.
    ToDeadLetters,
}

impl DeliveryWorker {
    pub fn new(
        store: &DynamoConfig,
        ses: SesConfig,
        manifest: Arc<RoutingManifest>,
        sender: Mailbox,
    ) -> Self {
        Self {
            table: Table {
                client: AwsClient::new(store.aws.clone()),
                name: store.table.clone(),
            },
            queue_url: store.queue_url.clone(),
            ses: SesMailer::new(ses),
            manifest,
            sender,
            max_receives: store.max_receives,
        }
    }

    /// Handles an SQS event; the answer lists the messages to receive again
    /// (`ReportBatchItemFailures`).
    pub async fn handle_queue(&self, event: &Value) -> Value {
        let mut failures = Vec::new();
        for message in event["Records"].as_array().into_iter().flatten() {
            let id = message["messageId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let receipt = message["receiptHandle"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let receives = message["attributes"]["ApproximateReceiveCount"]
                .as_str()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            let Ok(QueuedDelivery { reference }) =
                serde_json::from_str(message["body"].as_str().unwrap_or_default())
            else {
                log::event(&format!("event=queue-message-unreadable id={id}"));
                continue;
            };
            let worker = self.clone();
            let handled = aws::blocking(Service::DynamoDb, move || {
                Ok(worker.deliver(&reference, receives))
            })
            .await
            .unwrap_or(Handled::RetryAfter(backoff_seconds(receives)));
            match handled {
                Handled::Done => {}
                Handled::ToDeadLetters => failures.push(id),
                Handled::RetryAfter(seconds) => {
                    let (client, queue) = (self.table.client.clone(), self.queue_url.clone());
                    let delayed = aws::blocking(Service::Sqs, move || {
                        sqs::retry_after(&client, &queue, &receipt, seconds)
                    })
                    .await;
                    if let Err(e) = delayed {
                        log::event(&format!("event=backoff-failed id={id} error={e}"));
                    }
                    failures.push(id);
                }
            }
        }
        json!({
            "batchItemFailures": failures
                .into_iter()
                .map(|id| json!({ "itemIdentifier": id }))
                .collect::<Vec<_>>()
        })
    }

    /// Sends what is left of `reference`'s mails, in order (the visitor's
    /// acknowledgement only after the contact's notification), saving
    /// progress after each, so a retry never repeats a mail that went out.
    fn deliver(&self, reference: &str, receives: u32) -> Handled {
        let stored = match self.table.load(reference) {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                log::event(&format!("event=delivery-record-missing ref={reference}"));
                return Handled::Done;
            }
            Err(e) => return self.table_trouble(reference, receives, &e),
        };
        if matches!(stored.status, Status::Delivered | Status::Failed) {
            // Delivered before (SQS delivers at least once).
            return Handled::Done;
        }
        let (mut record, mut version) = (stored.record, stored.version);
        for i in 0..record.mails.len() {
            let mail = &record.mails[i];
            if mail.delivered || mail.kind == MailKind::Alert {
                continue;
            }
            let raw = match mail.raw() {
                Ok(raw) => raw,
                Err(e) => return self.park(record, version, "Unreadable", &e.to_string(), false),
            };
            let index = i.to_string();
            let sent = self.ses.send_tagged(
                &mail.envelope,
                &raw,
                &[("sb_ref", reference), ("sb_mail", &index)],
            );
            match sent {
                Ok(()) => {
                    record.mails[i].delivered = true;
                    match self.table.save(&record, Status::Queued, version) {
                        Ok(true) => version += 1,
                        Ok(false) => return Handled::RetryAfter(backoff_seconds(receives)),
                        Err(e) => return self.table_trouble(reference, receives, &e),
                    }
                }
                Err(e) => return self.failed(record, version, receives, &e),
            }
        }
        log::event(&format!(
            "event=delivered ref={reference} attempts={receives}"
        ));
        match self.table.save(&record, Status::Delivered, version) {
            Ok(_) => Handled::Done,
            Err(e) => self.table_trouble(reference, receives, &e),
        }
    }

    /// A send failed: again later, or parked (the last receive, or a
    /// failure that no retry mends).
    fn failed(&self, mut record: Record, version: i64, receives: u32, e: &AwsError) -> Handled {
        log::event(&format!(
            "event=delivery-failed ref={} code={} retryable={} receive={receives}/{} error={e}",
            record.reference,
            e.code(),
            e.is_retryable(),
            self.max_receives
        ));
        record.attempts = receives;
        record.last_error = Some(e.to_string());
        if e.is_retryable() && receives < self.max_receives {
            if let Err(e) = self.table.save(&record, Status::Queued, version) {
                log::event(&format!(
                    "event=record-not-saved ref={} error={e}",
                    record.reference
                ));
            }
            return Handled::RetryAfter(backoff_seconds(receives));
        }
        self.park(record, version, e.code(), &e.to_string(), e.is_retryable())
    }

    /// Gives up on the message: the record says why, and unless the
    /// contact has it already, the department inbox and backup are alerted.
    fn park(
        &self,
        mut record: Record,
        version: i64,
        code: &str,
        why: &str,
        retryable: bool,
    ) -> Handled {
        let reached_contact = record.notification_delivered();
        record.last_error = Some(why.to_string());
        let status = if reached_contact {
            Status::Delivered
        } else {
            Status::Failed
        };
        if !reached_contact {
            let what_failed = format!("{code}: {why}");
            let note = self.alert(&record, &what_failed, crate::alert::NEXT_TABLE);
            record.notes.push(note);
        }
        if let Err(e) = self.table.save(&record, status, version) {
            log::event(&format!(
                "event=record-not-saved ref={} error={e}",
                record.reference
            ));
        }
        log::event(&format!(
            "event=parked ref={} code={code} status={}",
            record.reference,
            status.as_str()
        ));
        if retryable {
            Handled::ToDeadLetters
        } else {
            Handled::Done
        }
    }

    /// The table could not be read or written: try again later, unless this
    /// was the last receive (then the dead-letter queue holds it).
    fn table_trouble(&self, reference: &str, receives: u32, e: &AwsError) -> Handled {
        log::event(&format!(
            "event=table-error ref={reference} code={} error={e}",
            e.code()
        ));
        if receives < self.max_receives {
            Handled::RetryAfter(backoff_seconds(receives))
        } else {
            Handled::ToDeadLetters
        }
    }
}

/// Seconds before the next try after `receives` attempts: 30 s, doubling,
/// at most 15 minutes (the queue's visibility timeout may not exceed 12 h).
fn backoff_seconds(receives: u32) -> u32 {
    30u32
        .saturating_mul(1 << receives.saturating_sub(1).min(10))
        .min(900)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(super::backoff_seconds(1), 30);
        assert_eq!(super::backoff_seconds(2), 60);
        assert_eq!(super::backoff_seconds(4), 240);
        assert_eq!(super::backoff_seconds(20), 900);
    }
}
