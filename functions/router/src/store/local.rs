//! The local store: the durable outbox on this machine's disk (`serve`, a
//! server). The record is written before anything is promised, an
//! idempotency key maps a retried POST to its first reference, the message
//! is delivered within the request, and the outbox mode decides whether a
//! failed delivery is "received, will retry" or "failed, please try again".

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::{KeepError, Letterhead, NewMessage, Outcome, RetryReport, Store, SubmissionKey};
use crate::alert;
use crate::compose;
use crate::deliver::{BoxFuture, Mailer};
use crate::durable;
use crate::limit::{AckGrant, Limiter};
use crate::log;
use crate::manifest::RoutingManifest;
use crate::outbox::{self, Attempt, Kept, Outbox, OutboxMode, Record, State};

/// How often the retry pass purges what is past the retention period.
pub(crate) const PURGE_EVERY_MINUTES: i64 = 60;

/// What an idempotency key already stands for.
enum Earlier {
    /// Nothing (never seen, expired, or freed because its record failed or is gone).
    Free,
    /// Another message was sent with this key.
    Conflict,
    /// This message, kept before: the reference and the record where it is now.
    Same(String, Box<Record>, State),
}

/// Keeps accepted submissions and delivers them, once per process at a time.
pub(crate) struct LocalStore {
    pub(crate) outbox: Outbox,
    pub(crate) mailer: Arc<dyn Mailer>,
    /// Shared with the request handler: the acknowledgement's turn is taken here.
    pub(crate) limiter: Arc<Limiter>,
    pub(crate) letterhead: Letterhead,
    pub(crate) mode: OutboxMode,
    /// References being delivered by this process right now, so a retry pass
    /// and a request never send the same record at once.
    pub(crate) inflight: Mutex<HashSet<String>>,
    /// The alerts' recipients and words.
    pub(crate) manifest: Arc<RoutingManifest>,
    /// How long records are kept (the manifest's `form.retention_days`).
    pub(crate) retention: Duration,
    /// The local mail directory, when that is the backend: where the
    /// records' copies are purged from.
    pub(crate) mail_dir: Option<PathBuf>,
    /// When the retry pass last purged (this store's, not the process's).
    pub(crate) last_purge: Mutex<Option<DateTime<Utc>>>,
}

impl Store for LocalStore {
    fn keep<'a>(&'a self, message: NewMessage<'a>) -> BoxFuture<'a, Result<Outcome, KeepError>> {
        Box::pin(self.keep_and_send(message))
    }

    fn existing<'a>(
        &'a self,
        key: &'a SubmissionKey,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Outcome>, KeepError>> {
        Box::pin(async move { self.existing(key, now).await.map_err(KeepError::other) })
    }

    fn retry_due(&self, now: DateTime<Utc>) -> BoxFuture<'_, RetryReport> {
        Box::pin(self.retry_due(now))
    }

    fn outbox(&self) -> Option<&Outbox> {
        Some(&self.outbox)
    }
}

impl LocalStore {
    /// Retries due deliveries in the outbox, and purges what is past the
    /// retention period (at most every [`PURGE_EVERY_MINUTES`]).
    async fn retry_due(&self, now: DateTime<Utc>) -> RetryReport {
        self.purge_if_due(now).await;
        let mut report = RetryReport::default();
        let outbox = self.outbox.clone();
        let due = match durable::blocking(move || outbox.due(now))
            .await
            .and_then(|d| d)
        {
            Ok(d) => d,
            Err(e) => {
                log::event(&format!("event=retry-scan-failed error={e:?}"));
                return report;
            }
        };
        for record in due {
            let Some(_guard) = self.claim(&record.reference) else {
                continue;
            };
            report.attempted += 1;
            let reference = record.reference.clone();
            match outbox::attempt(&self.outbox, self.mailer.as_ref(), record, now).await {
                Ok(Attempt::Delivered) => report.delivered += 1,
                Ok(Attempt::Parked { permanent }) => {
                    report.still_pending += 1;
                    self.alert_parked(&reference, permanent, now).await;
                }
                Ok(a) => {
                    report.still_pending += 1;
                    log::event(&format!("event=retry-failed ref={reference} outcome={a:?}"));
                }
                Err(e) => {
                    report.still_pending += 1;
                    log::event(&format!("event=outbox-error ref={reference} error={e:?}"));
                }
            }
        }
        report
    }

    /// Purges what is past the retention period, if the last purge of this
    /// store was [`PURGE_EVERY_MINUTES`] ago or more (or never).
    async fn purge_if_due(&self, now: DateTime<Utc>) {
        {
            let mut last = self.last_purge.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t <= now && now - t < Duration::minutes(PURGE_EVERY_MINUTES)) {
                return;
            }
            *last = Some(now);
        }
        let (outbox, retention, mail_dir) =
            (self.outbox.clone(), self.retention, self.mail_dir.clone());
        let purged = durable::blocking(move || {
            let purge = outbox.plan_purge(now, retention, mail_dir.as_deref())?;
            purge.apply().map(|_| purge)
        })
        .await
        .and_then(|r| r);
        match purged {
            Ok(p) if p.is_empty() => {}
            Ok(p) => log::event(&format!(
                "event=purged records={} mails={} keys={} tombstones={} retention_days={}",
                p.records.len(),
                p.mails.len(),
                p.keys.len(),
                p.tombstones.len(),
                self.retention.num_days()
            )),
            Err(e) => log::event(&format!("event=purge-failed error={e:?}")),
        }
    }

    /// Alerts the department inbox and the contact's backup, once, about a
    /// record that moved to `failed/` before its notification went out.
    async fn alert_parked(&self, reference: &str, permanent: bool, now: DateTime<Utc>) {
        let outbox = self.outbox.clone();
        let r = reference.to_string();
        let loaded = durable::blocking(move || outbox.load(&r))
            .await
            .and_then(|l| l);
        let mut record = match loaded {
            Ok(Some((record, State::Failed))) => record,
            other => {
                let why = other.err().map(|e| e.to_string()).unwrap_or_default();
                log::event(&format!("event=alert-record-missing ref={reference} {why}"));
                return;
            }
        };
        let code = if permanent {
            "permanent"
        } else {
            "attempts-exhausted"
        };
        let message = record.last_error.clone().unwrap_or_default();
        log::event(&format!(
            "event=parked ref={reference} code={code} attempts={} message={message:?}",
            record.attempts
        ));
        if record.alerted() {
            return;
        }
        let what_failed = format!("{code}: {message}");
        let to = alert::recipients(&self.manifest, record.route.as_ref());
        let sent = if to.is_empty() {
            log::event(&format!("event=alert-without-recipients ref={reference}"));
            Ok(())
        } else {
            let about = alert::About {
                reference,
                route: record.route.as_ref(),
                what_failed: &what_failed,
                next: alert::NEXT_OUTBOX,
            };
            match alert::compose(&self.manifest, &self.letterhead.sender, &to, &about, now) {
                Ok(mail) => self
                    .mailer
                    .send(&mail.envelope, &mail.raw)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        };
        match &sent {
            Ok(()) if !to.is_empty() => log::event(&format!("event=alert-sent ref={reference}")),
            Ok(()) => {}
            Err(e) => log::event(&format!("event=alert-failed ref={reference} error={e}")),
        }
        record.notes.push(alert::note(&to, sent, &what_failed));
        let outbox = self.outbox.clone();
        let saved = durable::blocking(move || outbox.update_in(State::Failed, &record))
            .await
            .and_then(|r| r);
        if let Err(e) = saved {
            log::event(&format!(
                "event=record-not-saved ref={reference} error={e:?}"
            ));
        }
    }

    /// What to answer for a key seen before; `None` if it is free.
    async fn existing(
        &self,
        key: &SubmissionKey,
        now: DateTime<Utc>,
    ) -> std::io::Result<Option<Outcome>> {
        let outbox = self.outbox.clone();
        let (key_id, digest) = (key.id.clone(), key.body_digest.clone());
        let earlier =
            durable::blocking(move || find_existing(&outbox, &key_id, &digest, now)).await??;
        self.answer_existing(earlier, now).await
    }

    /// The answer for a key's earlier submission, found by [`find_existing`].
    async fn answer_existing(
        &self,
        earlier: Earlier,
        now: DateTime<Utc>,
    ) -> std::io::Result<Option<Outcome>> {
        match earlier {
            Earlier::Free => Ok(None),
            Earlier::Conflict => {
                log::event("event=idempotency-conflict");
                Ok(Some(Outcome::Conflict))
            }
            Earlier::Same(reference, record, state) => {
                log::event(&format!("event=idempotent-replay ref={reference}"));
                match (state, self.mode) {
                    (State::Pending, OutboxMode::Ephemeral) => {
                        Ok(Some(match self.deliver(*record, now).await? {
                            Outcome::Accepted(r) => Outcome::Replayed(r),
                            other => other,
                        }))
                    }
                    _ => Ok(Some(Outcome::Replayed(reference))),
                }
            }
        }
    }

    /// Keeps a routed submission (unless its key was seen before), then
    /// delivers it and decides what the visitor hears.
    async fn keep_and_send(&self, message: NewMessage<'_>) -> Result<Outcome, KeepError> {
        let (route, now) = (message.route, message.now);
        let (mut record, ack) = match self.keep_new(&message).await? {
            NewRecord::Kept { record, ack } => (*record, ack),
            NewRecord::Seen(outcome) => return Ok(outcome),
        };
        // One acknowledgement per address per window: a form that mails
        // whatever address it is given must not mail it again and again.
        // The record on disk still lists it; a crash before the first
        // attempt may send it after all (at least once, as the outbox says).
        if self.letterhead.acknowledge && ack.is_none() {
            record
                .mails
                .retain(|m| m.kind != compose::MailKind::Acknowledgement);
        }
        log::event(&format!(
            "event=kept ref={} topic={} department={} contact={} language={} by_language={} acknowledgement={}",
            record.reference,
            route.topic_id,
            route.department_id,
            route.contact_id.as_deref().unwrap_or("-"),
            route.language,
            route.by_language,
            match (self.letterhead.acknowledge, &ack) {
                (false, _) => "off",
                (true, Some(_)) => "yes",
                (true, None) => "skipped-address-limit",
            }
        ));
        let outcome = self
            .deliver(record, now)
            .await
            .map_err(|e| KeepError::Other(e.to_string()));
        if let Some(grant) = ack
            && !matches!(outcome, Ok(Outcome::Accepted(_)))
        {
            self.limiter.refund_ack(grant);
        }
        outcome
    }

    /// Writes a new record under a fresh reference, or answers for the
    /// key's earlier message. A reference that happens to exist is drawn again.
    async fn keep_new(&self, message: &NewMessage<'_>) -> Result<NewRecord, KeepError> {
        let (key, now) = (message.key, message.now);
        let mut draws_left = 5;
        loop {
            let mut record = self.letterhead.compose(message)?;
            // Keep a retry pass off this record while this request delivers it.
            record.next_attempt_at = now + self.outbox.backoff(1);
            let (record, step) = self
                .write_unless_seen(record, key, &message.sub.email, now)
                .await?;
            let (kept, ack) = match step {
                Step::Kept(kept, ack) => (kept, ack),
                Step::Seen(earlier) => {
                    let earlier = earlier.map_err(|e| KeepError::Other(e.to_string()))?;
                    return match self.answer_existing(earlier, now).await {
                        Ok(Some(o)) => Ok(NewRecord::Seen(o)),
                        Ok(None) => Ok(NewRecord::Seen(Outcome::Failed)),
                        Err(e) => Err(KeepError::Other(e.to_string())),
                    };
                }
            };
            match kept {
                Ok(Kept::Stored) => {
                    return Ok(NewRecord::Kept {
                        record: Box::new(record),
                        ack,
                    });
                }
                Ok(Kept::Duplicate(other)) => {
                    // A concurrent request with the same key won: answer as it does.
                    log::event(&format!("event=idempotent-race ref={other}"));
                    return Ok(NewRecord::Seen(match self.existing(key, now).await {
                        Ok(Some(o)) => o,
                        _ => Outcome::Failed,
                    }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && draws_left > 0 => {
                    draws_left -= 1
                }
                Err(e) => return Err(KeepError::Other(e.to_string())),
            }
        }
    }

    /// The key is looked up, and the new record written, synced (shared
    /// with concurrent requests) and its key claimed, in one blocking task;
    /// nothing is answered before. Only the request whose record is kept
    /// asks for the acknowledgement's turn.
    async fn write_unless_seen(
        &self,
        record: Record,
        key: &SubmissionKey,
        visitor_email: &str,
        now: DateTime<Utc>,
    ) -> Result<(Record, Step), KeepError> {
        let outbox = self.outbox.clone();
        let limiter = Arc::clone(&self.limiter);
        let (acknowledge, email) = (self.letterhead.acknowledge, visitor_email.to_string());
        let (key_id, digest) = (key.id.clone(), key.body_digest.clone());
        durable::blocking(move || {
            match find_existing(&outbox, &key_id, &digest, now) {
                Ok(Earlier::Free) => {}
                other => return (record, Step::Seen(other)),
            }
            let kept = outbox.keep(&record, now);
            let ack = match (&kept, acknowledge) {
                (Ok(Kept::Stored), true) => limiter.acknowledge(&email, now),
                _ => None,
            };
            (record, Step::Kept(kept, ack))
        })
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
        log::event(&format!(
            "event=delivery ref={reference} backend={} result={result:?}",
            self.mailer.kind()
        ));
        Ok(match (result, self.mode) {
            (Attempt::Delivered | Attempt::NotificationOnly, _) => Outcome::Accepted(reference),
            (Attempt::Failed, OutboxMode::Durable) => Outcome::Accepted(reference),
            (Attempt::Failed, OutboxMode::Ephemeral) => {
                // Nothing lasting holds it: forget it, so a retry starts afresh.
                let outbox = self.outbox.clone();
                let discarded = durable::blocking(move || outbox.discard(&keep)).await;
                if let Err(e) = discarded.and_then(|r| r) {
                    log::event(&format!("event=discard-failed ref={reference} error={e:?}"));
                }
                Outcome::Failed
            }
            (Attempt::Parked { permanent }, _) => {
                self.alert_parked(&reference, permanent, now).await;
                Outcome::Failed
            }
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

/// What [`LocalStore::keep_new`] came to.
enum NewRecord {
    /// A new record, kept, with the acknowledgement's turn if it got one.
    Kept {
        record: Box<Record>,
        ack: Option<AckGrant>,
    },
    /// The key was seen before: the answer for its earlier message.
    Seen(Outcome),
}

/// What the keep step did, on the blocking pool.
enum Step {
    /// The key was seen before (or looking it up failed); nothing was written.
    Seen(std::io::Result<Earlier>),
    /// Kept (or not), and the acknowledgement's turn if it was kept.
    Kept(std::io::Result<Kept>, Option<AckGrant>),
}

/// The blocking half of [`LocalStore::existing`]: what `key_id` stands for, for
/// a message with `body_digest`. A key whose record is gone, or failed
/// before its notification went out, is freed here, so the visitor's next try is a new message (after an
/// operator fixed the mail backend, the same page must be able to send).
fn find_existing(
    outbox: &Outbox,
    key_id: &str,
    body_digest: &str,
    now: DateTime<Utc>,
) -> std::io::Result<Earlier> {
    let Some(entry) = outbox.lookup_key(key_id, now)? else {
        return Ok(Earlier::Free);
    };
    if entry
        .body_digest
        .as_deref()
        .is_some_and(|d| d != body_digest)
    {
        return Ok(Earlier::Conflict);
    }
    match outbox.load(&entry.reference)? {
        // Never reached its contact: free to be kept again. (A failed
        // record whose notification went out, only its acknowledgement
        // did not, is the same message: answered as before, never resent.)
        None => {
            outbox.release_key(key_id, &entry.reference)?;
            Ok(Earlier::Free)
        }
        Some((record, State::Failed)) if !record.notification_delivered() => {
            outbox.release_key(key_id, &entry.reference)?;
            Ok(Earlier::Free)
        }
        Some((record, state)) => {
            if state == State::Pending {
                // It may be another request's record whose group sync is
                // still running: make it durable before giving out its reference.
                outbox.sync()?;
            }
            Ok(Earlier::Same(entry.reference, Box::new(record), state))
        }
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
