//! One delivery attempt on a kept record: each mail not yet delivered is
//! sent in order, progress is saved on failure, and the record moves to
//! `sent/` or `failed/` when it is done.

use std::io;

use chrono::{DateTime, Duration, Utc};

use super::{MAX_ATTEMPTS, MailKind, Outbox, Record, State};
use crate::deliver::{BlockingMailer, DeliveryError, Mailer};
use crate::durable;

/// Result of one delivery attempt on one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Every mail went out; the record is in `sent/`.
    Delivered,
    /// The notification went out, the acknowledgement did not (yet).
    NotificationOnly,
    /// The notification did not go out; the record stays pending, to be retried.
    Failed,
    /// The notification did not go out and never will by itself: the record
    /// moved to `failed/` (a permanent refusal, or the last of
    /// [`MAX_ATTEMPTS`]). The department is to be alerted.
    Parked { permanent: bool },
}

/// Tries to send every undelivered mail of `record`. Success is recorded by
/// the move to `sent/`; after a failure, progress is saved durably, so a
/// retry never repeats a mail that went out. A crash in between may repeat
/// one (at least once, see the module docs). The outbox's file work runs off
/// the async workers: with a [`Mailer::blocking`] backend (the mail
/// directory) the whole attempt is one blocking task, [`attempt_blocking`].
pub async fn attempt(
    outbox: &Outbox,
    mailer: &dyn Mailer,
    mut record: Record,
    now: DateTime<Utc>,
) -> io::Result<Attempt> {
    if let Some(mailer) = mailer.blocking() {
        let outbox = outbox.clone();
        return durable::blocking(move || attempt_blocking(&outbox, mailer.as_ref(), record, now))
            .await?;
    }
    let mut run = Run::default();
    for i in 0..record.mails.len() {
        if !run.due(&record, i) {
            continue;
        }
        let mail = &record.mails[i];
        let raw = mail.raw()?;
        let result = mailer.send(&mail.envelope, &raw).await;
        run.note(&mut record, i, result);
    }
    let outbox = outbox.clone();
    durable::blocking(move || run.conclude(&outbox, record, now)).await?
}

/// [`attempt`] with a blocking backend, in the calling thread (a blocking
/// context): the same order, promises and record updates.
pub fn attempt_blocking(
    outbox: &Outbox,
    mailer: &dyn BlockingMailer,
    mut record: Record,
    now: DateTime<Utc>,
) -> io::Result<Attempt> {
    let mut run = Run::default();
    for i in 0..record.mails.len() {
        if !run.due(&record, i) {
            continue;
        }
        let mail = &record.mails[i];
        let raw = mail.raw()?;
        let result = mailer.send_blocking(&mail.envelope, &raw);
        run.note(&mut record, i, result);
    }
    run.conclude(outbox, record, now)
}

/// One delivery attempt's bookkeeping, shared by [`attempt`] and
/// [`attempt_blocking`].
#[derive(Debug, Default)]
struct Run {
    failed: bool,
    permanent: bool,
}

impl Run {
    /// Whether mail `i` is to be sent now: not yet delivered, and never an
    /// acknowledgement before the point of contact has the notification (the
    /// visitor could be told "received" by email and "failed" on the page).
    fn due(&self, record: &Record, i: usize) -> bool {
        let mail = &record.mails[i];
        !mail.delivered
            && (mail.kind != MailKind::Acknowledgement || record.notification_delivered())
    }

    fn note(&mut self, record: &mut Record, i: usize, result: Result<(), DeliveryError>) {
        match result {
            // Not saved here: the move to `sent/` records full success, and
            // the failure path in `conclude` saves partial success. Only a
            // crash between two mails repeats the first (one fsynced record
            // write less per submission).
            Ok(()) => record.mails[i].delivered = true,
            Err(e) => {
                self.failed = true;
                self.permanent |= matches!(e, DeliveryError::Permanent(_))
                    && record.mails[i].kind == MailKind::Notification;
                // The backend's reason, never the message: the operator's first clue.
                let why = crate::log::without_addresses(&e.to_string());
                crate::log::event(&format!(
                    "event=send-failed ref={} mail={:?} attempt={} error={why}",
                    record.reference,
                    record.mails[i].kind,
                    record.attempts + 1
                ));
                record.last_error = Some(why);
            }
        }
    }

    /// Records the outcome on disk (blocking): the move to `sent/`, or the
    /// saved progress and next attempt, or the move to `failed/`.
    fn conclude(
        self,
        outbox: &Outbox,
        mut record: Record,
        now: DateTime<Utc>,
    ) -> io::Result<Attempt> {
        if !self.failed {
            outbox.finish_delivered(&record)?;
            return Ok(Attempt::Delivered);
        }
        record.attempts += 1;
        record.next_attempt_at = now + outbox.backoff(record.attempts);
        let notified = record.notification_delivered();
        let parked = self.permanent || record.attempts >= MAX_ATTEMPTS;
        if parked {
            outbox.finish(&record, State::Failed)?;
        } else {
            outbox.update(&record)?;
        }
        Ok(match (notified, parked) {
            (true, _) => Attempt::NotificationOnly,
            (false, false) => Attempt::Failed,
            (false, true) => Attempt::Parked {
                permanent: self.permanent,
            },
        })
    }
}

/// The default first retry delay, in seconds.
pub const DEFAULT_RETRY_BASE_SECONDS: u32 = 60;

/// 1, 2, 4, ... minutes, capped at six hours (the default base).
pub fn backoff(attempts: u32) -> Duration {
    backoff_from(
        Duration::seconds(DEFAULT_RETRY_BASE_SECONDS.into()),
        attempts,
    )
}

/// `base`, then doubling: 1, 2, 4, ... × `base`, capped at 360 × `base`
/// (six hours for the default minute).
pub fn backoff_from(base: Duration, attempts: u32) -> Duration {
    let factor = (1i32 << attempts.saturating_sub(1).min(9)).min(360);
    base * factor
}
