//! Keeping and delivering an accepted submission: the outbox record is
//! written before anything is promised, an idempotency key maps a retried
//! POST to its first reference, and the outbox mode decides whether a failed
//! delivery is "received, will retry" or "failed, please try again".

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::compose::{self, Context};
use crate::config::OutboxMode;
use crate::durable;
use crate::handler::{Router, log};
use crate::outbox::{self, Attempt, Kept, Outbox, Record, State};
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
        let outbox = self.outbox.clone();
        let key_id = key_id.to_string();
        let found = durable::blocking(move || find_existing(&outbox, &key_id, now)).await??;
        match found {
            None => Ok(None),
            Some(found) => self.answer_existing(found, now).await,
        }
    }

    /// The answer for a key's earlier submission, found by [`find_existing`].
    async fn answer_existing(
        &self,
        (reference, loaded): Found,
        now: DateTime<Utc>,
    ) -> std::io::Result<Option<Outcome>> {
        log(&format!("event=idempotent-replay ref={reference}"));
        match loaded {
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
        // A key seen before is looked up in the same blocking task as the
        // new record is kept in (one hop to the blocking pool, not two).
        let mut look_up = key_id.is_some();
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
            // Written, synced (shared with concurrent requests) and its key
            // claimed off the async workers; nothing is answered before.
            let outbox = self.outbox.clone();
            let (record, step) = durable::blocking(move || {
                if let Some(k) = record.key_id.as_deref().filter(|_| look_up) {
                    if let Some(found) = find_existing(&outbox, k, now).transpose() {
                        return (record, Step::Seen(found));
                    }
                }
                let kept = outbox.keep(&record, now);
                (record, Step::Kept(kept))
            })
            .await
            .map_err(|e| KeepError::Other(e.to_string()))?;
            let kept = match step {
                Step::Kept(kept) => kept,
                Step::Seen(found) => {
                    let found = found.map_err(|e| KeepError::Other(e.to_string()))?;
                    match self.answer_existing(found, now).await {
                        Ok(Some(o)) => return Ok(o),
                        // Its record is gone: keep this one as new.
                        Ok(None) => {
                            look_up = false;
                            continue;
                        }
                        Err(e) => return Err(KeepError::Other(e.to_string())),
                    }
                }
            };
            match kept {
                Ok(Kept::Stored) => break record,
                Ok(Kept::Duplicate(other)) => {
                    // A concurrent request with the same key won: answer as it does.
                    log(&format!("event=idempotent-race ref={other}"));
                    let k = key_id.as_deref().unwrap_or_default();
                    return match self.existing(k, now).await {
                        Ok(Some(o)) => Ok(o),
                        _ => Ok(Outcome::Failed),
                    };
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts_left > 0 => {
                    attempts_left -= 1
                }
                Err(e) => return Err(KeepError::Other(e.to_string())),
            }
        };
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
                let outbox = self.outbox.clone();
                let discarded = durable::blocking(move || outbox.discard(&keep)).await;
                if let Err(e) = discarded.and_then(|r| r) {
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

/// A key's earlier reference and its record, where it is now (`None`: gone).
type Found = (String, Option<(Record, State)>);

/// What the keep step did, on the blocking pool.
enum Step {
    /// The key was seen before (or looking it up failed); nothing was written.
    Seen(std::io::Result<Found>),
    Kept(std::io::Result<Kept>),
}

/// The blocking half of [`Router::existing`]: the reference `key_id` maps
/// to, and its record. Blocks.
fn find_existing(
    outbox: &Outbox,
    key_id: &str,
    now: DateTime<Utc>,
) -> std::io::Result<Option<Found>> {
    let Some(reference) = outbox.lookup_key(key_id, now)? else {
        return Ok(None);
    };
    let loaded = outbox.load(&reference)?;
    if let Some((_, State::Pending)) = &loaded {
        // It may be another request's record whose group sync is
        // still running: make it durable before giving out its reference.
        outbox.sync()?;
    }
    Ok(Some((reference, loaded)))
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
