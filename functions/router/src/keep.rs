//! Keeping and delivering an accepted submission: the outbox record is
//! written before anything is promised, an idempotency key maps a retried
//! POST to its first reference, and the outbox mode decides whether a failed
//! delivery is "received, will retry" or "failed, please try again".

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::compose::{self, Context};
use crate::config::OutboxMode;
use crate::handler::{Router, log};
use crate::outbox::{self, Attempt, Outbox, Record, State};
use crate::route;
use crate::validate;

/// What the visitor hears about a kept (or not kept) submission.
pub(crate) enum Outcome {
    Accepted(String),
    /// Not delivered and not kept for later: the visitor must try again.
    Failed,
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
}

impl Router {
    /// What to answer for an idempotency key seen before; `None` if unseen
    /// (or if its record was discarded after a failure the visitor was told about).
    pub(crate) async fn existing(
        &self,
        key_id: &str,
        now: DateTime<Utc>,
    ) -> std::io::Result<Option<Outcome>> {
        let Some(reference) = self.outbox.lookup_key(key_id, now)? else {
            return Ok(None);
        };
        log(&format!("event=idempotent-replay ref={reference}"));
        match self.outbox.load(&reference)? {
            None => Ok(None),
            Some((_, State::Sent)) => Ok(Some(Outcome::Accepted(reference))),
            Some((_, State::Failed)) => Ok(Some(Outcome::Failed)),
            Some((record, State::Pending)) => match self.config.outbox_mode {
                OutboxMode::Durable => Ok(Some(Outcome::Accepted(reference))),
                OutboxMode::Ephemeral => self.deliver(record, now).await.map(Some),
            },
        }
    }

    pub(crate) async fn keep_and_send(
        &self,
        sub: &validate::Submission,
        route: &route::Route,
        key_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, KeepError> {
        let mut attempts_left = 5;
        let record = loop {
            let reference = Outbox::new_reference().map_err(|e| KeepError::Other(e.to_string()))?;
            let ctx = Context {
                site_title: &self.manifest.site.title,
                sender: &self.sender,
                reference: &reference,
                received: now,
            };
            let mut mails =
                vec![compose::notification(&ctx, sub, route).map_err(KeepError::from_compose)?];
            if self.config.acknowledge {
                mails.push(
                    compose::acknowledgement(&ctx, sub, route).map_err(KeepError::from_compose)?,
                );
            }
            let mut record = Record::new(reference, key_id.clone(), now, mails);
            // Keep a retry pass off this record while this request delivers it.
            record.next_attempt_at = now + outbox::backoff(1);
            match self.outbox.store_new(&record) {
                Ok(()) => break record,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts_left > 0 => {
                    attempts_left -= 1
                }
                Err(e) => return Err(KeepError::Other(e.to_string())),
            }
        };
        if let Some(k) = &key_id {
            match self.outbox.claim_key(k, &record.reference, now) {
                Ok(Ok(())) => {}
                Ok(Err(_)) => {
                    // A concurrent request with the same key won: drop ours, answer as it does.
                    let _ = self.outbox.discard(&Record {
                        key_id: None,
                        ..record
                    });
                    return match self.existing(k, now).await {
                        Ok(Some(o)) => Ok(o),
                        _ => Ok(Outcome::Failed),
                    };
                }
                Err(e) => log(&format!("event=key-claim-failed error={e:?}")),
            }
        }
        log(&format!(
            "event=kept ref={} topic={} department={} contact={}",
            record.reference,
            route.topic_id,
            route.department_id,
            route.contact_id.as_deref().unwrap_or("-")
        ));
        self.deliver(record, now)
            .await
            .map_err(|e| KeepError::Other(e.to_string()))
    }

    /// Delivers a kept record now and decides what the visitor hears.
    async fn deliver(&self, record: Record, now: DateTime<Utc>) -> std::io::Result<Outcome> {
        let reference = record.reference.clone();
        let Some(_guard) = self.claim(&reference) else {
            // Another task of this process is delivering it right now.
            return Ok(Outcome::Accepted(reference));
        };
        let keep = record.clone();
        let result = outbox::attempt(&self.outbox, self.mailer.as_ref(), record, now).await?;
        log(&format!(
            "event=delivery ref={reference} backend={} result={result:?}",
            self.mailer.kind()
        ));
        Ok(match (result, self.config.outbox_mode) {
            (Attempt::Delivered | Attempt::NotificationOnly, _) => Outcome::Accepted(reference),
            (Attempt::Failed { permanent: false }, OutboxMode::Durable) => {
                Outcome::Accepted(reference)
            }
            (Attempt::Failed { permanent: false }, OutboxMode::Ephemeral) => {
                // Nothing lasting holds it: forget it, so a retry starts afresh.
                if let Err(e) = self.outbox.discard(&keep) {
                    log(&format!("event=discard-failed ref={reference} error={e:?}"));
                }
                Outcome::Failed
            }
            (Attempt::Failed { permanent: true }, _) => Outcome::Failed,
        })
    }

    pub(crate) fn claim(&self, reference: &str) -> Option<InflightGuard<'_>> {
        let mut set = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(reference.to_string()).then(|| InflightGuard {
            set: &self.inflight,
            reference: reference.to_string(),
        })
    }
}

/// Marks a reference as being delivered by this process until dropped.
pub(crate) struct InflightGuard<'a> {
    set: &'a Mutex<HashSet<String>>,
    reference: String,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.reference);
    }
}
