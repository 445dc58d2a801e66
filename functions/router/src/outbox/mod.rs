//! The outbox: every accepted submission is written here, durably, before
//! the visitor is told anything, and stays until its notification is
//! delivered. Layout under the outbox directory:
//!
//! - `pending/REF.json` — waiting for (re)delivery
//! - `sent/REF.json`    — delivered (kept so a retried POST finds its reference)
//! - `failed/REF.json`  — given up on (permanent error or too many attempts);
//!   kept for the operator (`switchboard submissions retry` sends it again)
//! - `erased/REF.json`  — the tombstone of a record the operator erased
//!   (`records.rs`)
//!
//! Records of `sent/` and `failed/` are purged after the manifest's
//! `form.retention_days`, with their idempotency keys and their copies in
//! the local mail directory (`records.rs`, run by the retry pass).
//! - `keys/ID`          — idempotency key (hashed) → reference: a symbolic link
//!   whose text is `REFERENCE TIMESTAMP [DIGEST]` (a plain file off Unix)
//!
//! # What is promised, and which fsyncs it takes
//!
//! - **Kept before answered.** [`Outbox::keep`] returns only once the
//!   record's data is fsynced *and* its name in `pending/` is durable (a
//!   directory fsync that started after the name was created). Nothing is
//!   promised to the visitor before that: a crash loses no message that was
//!   acknowledged. Records written in the same moment share the directory
//!   fsync ([`GroupSync`]: group commit); each record's data is still
//!   fsynced on its own.
//! - **The idempotency key needs no fsync of its own.** It is a symbolic
//!   link whose text is `REFERENCE TIMESTAMP` (no data block: the text lives
//!   in the inode, so it is complete whenever the name exists), claimed
//!   atomically (`symlink` fails if the name exists), and made durable by the
//!   same group sync as the record (`keys/` is synced with `pending/`).
//! - **Delivery is at least once: never lost, repeated after some crashes.**
//!   A mail backend's success is durable before the record says so (the
//!   mail directory fsyncs each `.eml` and its directory; an SMTP relay's
//!   250 reply is its promise). The move to `sent/` is *not* fsynced: if a
//!   crash undoes it, the record is still in `pending/` and is delivered
//!   again. Progress between the notification and the acknowledgement is
//!   not saved either on success (one record write less per submission): a
//!   crash between the two sends the notification again. A failed attempt
//!   does save it, durably, so retries never repeat a mail that went out.
//! - **Failure states are durable.** Updates after a failed attempt and
//!   moves to `failed/` are fsynced (file and directory) before returning.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::compose::{ComposedMail, MailKind};
use crate::deliver::Envelope;
use crate::durable::{self, GroupSync};

mod attempt;
mod keys;
mod records;

pub use attempt::{
    Attempt, DEFAULT_RETRY_BASE_SECONDS, attempt, attempt_blocking, backoff, backoff_from,
};
pub use records::{
    ERASED_DIR, Erased, Listing, Purge, REQUEUED_NOTE, RecordError, Tombstone, mail_copies,
};

/// Whether the outbox directory outlives the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxMode {
    /// Local disk that lasts (`serve`, a server): a failed delivery is kept,
    /// retried later, and the visitor is told the message was received.
    Durable,
    /// Disk that may vanish (Lambda's `/tmp`): a failed delivery is answered
    /// as a failure, so the visitor keeps their text and tries again.
    Ephemeral,
}

/// The note an alert leaves in a record (see [`Record::alerted`]).
pub const ALERT_NOTE: &str = "alert";

/// How long an idempotency key maps to its reference: retries come within
/// minutes; a day later the same text is a new message.
pub const KEY_TTL_HOURS: i64 = 24;
/// How long a submission sent without a key is recognised by its content.
pub const CONTENT_KEY_TTL_MINUTES: i64 = 15;
/// Content keys start with this; a client key's hash is hex only.
pub(crate) const CONTENT_KEY_PREFIX: &str = "d-";
/// After this many failed attempts a record moves to `failed/`.
pub const MAX_ATTEMPTS: u32 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub reference: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub key_id: Option<String>,
    /// Digest of the message's fields: a key sent again with another
    /// message is refused (409), not answered with this one's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_digest: Option<String>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// Error text from the mail backend (never message content).
    #[serde(default)]
    pub last_error: Option<String>,
    /// Where it was routed: what an alert and a listing name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteIds>,
    /// What happened after sending: bounces, complaints, re-routing, alerts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the visitor sent, for the operator's listing and export (the
    /// local outbox keeps it; the mails carry it too). Gone with the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<Visitor>,
    /// The site language the visitor wrote in; `None` in records written
    /// before the router knew languages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub mails: Vec<StoredMail>,
}

/// The fields a visitor filled in, as validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Line endings normalised to `\n`.
    pub message: String,
}

impl Visitor {
    pub fn of(sub: &crate::validate::Submission) -> Self {
        Self {
            name: sub.name.clone(),
            email: sub.email.clone(),
            phone: sub.phone.clone(),
            company: sub.company.clone(),
            message: sub.message.clone(),
        }
    }
}

/// The ids of a message's routing decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteIds {
    pub topic: String,
    pub department: String,
    /// `None` when only the department inbox got it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Whether the contact was chosen because they speak the visitor's language.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_language: bool,
}

impl RouteIds {
    pub fn of(route: &crate::route::Route) -> Self {
        Self {
            topic: route.topic_id.to_string(),
            department: route.department_id.to_string(),
            contact: route.contact_id.as_ref().map(|c| c.to_string()),
            by_language: route.by_language,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMail {
    pub kind: MailKind,
    pub envelope: Envelope,
    /// The formatted message, base64 so the JSON stays valid whatever the bytes.
    pub raw_base64: String,
    pub delivered: bool,
}

impl StoredMail {
    /// The formatted message, as the backend sends it.
    pub fn raw(&self) -> io::Result<Vec<u8>> {
        STANDARD.decode(&self.raw_base64).map_err(io::Error::other)
    }
}

impl Record {
    pub fn new(
        reference: String,
        key_id: Option<String>,
        now: DateTime<Utc>,
        mails: Vec<ComposedMail>,
    ) -> Self {
        Self {
            reference,
            created_at: now,
            key_id,
            body_digest: None,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            route: None,
            notes: Vec::new(),
            visitor: None,
            language: None,
            mails: mails
                .into_iter()
                .map(|m| StoredMail {
                    kind: m.kind,
                    envelope: m.envelope,
                    raw_base64: STANDARD.encode(&m.raw),
                    delivered: false,
                })
                .collect(),
        }
    }

    pub fn notification_delivered(&self) -> bool {
        self.mails
            .iter()
            .filter(|m| m.kind == MailKind::Notification)
            .all(|m| m.delivered)
    }

    pub fn all_delivered(&self) -> bool {
        self.mails.iter().all(|m| m.delivered)
    }

    /// Readies a failed record to be sent again by the operator: due at
    /// `now`, its attempts counted from zero, its last error kept in a note
    /// (shared by the local outbox and the AWS table).
    pub fn requeue(&mut self, now: DateTime<Utc>) {
        let why = self.last_error.take().unwrap_or_else(|| "-".into());
        self.notes.push(format!(
            "{REQUEUED_NOTE} by the operator at {} after {} attempt(s): {why}",
            now.to_rfc3339(),
            self.attempts
        ));
        self.attempts = 0;
        self.next_attempt_at = now;
    }

    /// Whether the department was alerted about this record since it was
    /// last sent again by the operator (an alert goes out once per failure).
    pub fn alerted(&self) -> bool {
        for note in self.notes.iter().rev() {
            if note.starts_with(ALERT_NOTE) {
                return true;
            }
            if note.starts_with(REQUEUED_NOTE) {
                return false;
            }
        }
        false
    }
}

/// Where a record currently lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Sent,
    Failed,
}

impl State {
    fn dir(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sent => "sent",
            State::Failed => "failed",
        }
    }
}

/// What an idempotency key maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub reference: String,
    /// The digest of the message first sent with the key (none in older outboxes).
    pub body_digest: Option<String>,
}

/// What [`Outbox::keep`] did with a new record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// The record is durable in `pending/` (and its key claimed, if it has one).
    Stored,
    /// Another request claimed the record's idempotency key first, for this
    /// reference; the new record was dropped. That reference is durable.
    Duplicate(String),
}

/// Cloning is cheap and clones share the group commit.
#[derive(Debug, Clone)]
pub struct Outbox {
    root: PathBuf,
    /// Group commit of the names created in `pending/` and `keys/`.
    sync: Arc<GroupSync>,
    /// The first retry's delay; each further one doubles ([`backoff_from`]).
    retry_base: chrono::Duration,
}

impl Outbox {
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        Self::open_with(root.into(), GroupSync::new)
    }

    fn open_with(root: PathBuf, sync: impl FnOnce(Vec<PathBuf>) -> GroupSync) -> io::Result<Self> {
        for d in ["pending", "sent", "failed", "keys"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        let sync = sync(vec![root.join("pending"), root.join("keys")]);
        Ok(Self {
            root,
            sync: Arc::new(sync),
            retry_base: chrono::Duration::seconds(DEFAULT_RETRY_BASE_SECONDS.into()),
        })
    }

    /// This outbox with another first-retry delay (`SWITCHBOARD_RETRY_BASE_SECONDS`
    /// on the server; tests shorten it to a second).
    pub fn with_retry_base(mut self, base: std::time::Duration) -> Self {
        self.retry_base = chrono::Duration::from_std(base)
            .unwrap_or(chrono::Duration::seconds(DEFAULT_RETRY_BASE_SECONDS.into()));
        self
    }

    /// The delay before attempt `attempts + 1` of a record that failed `attempts` times.
    pub fn backoff(&self, attempts: u32) -> chrono::Duration {
        backoff_from(self.retry_base, attempts)
    }

    /// How many records wait in `pending/` (`/healthz`).
    pub fn pending_count(&self) -> io::Result<usize> {
        let mut n = 0;
        for entry in std::fs::read_dir(self.root.join("pending"))? {
            if entry?.path().extension().and_then(|e| e.to_str()) == Some("json") {
                n += 1;
            }
        }
        Ok(n)
    }

    /// How many group syncs of `pending/` and `keys/` have run.
    pub fn syncs(&self) -> u64 {
        self.sync.runs()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Keeps a new record: writes it to `pending/`, claims its idempotency
    /// key, and returns once both are durable (see the module docs). Blocks:
    /// call it off the async workers. `AlreadyExists` if the reference is
    /// taken (draw another).
    pub fn keep(&self, record: &Record, now: DateTime<Utc>) -> io::Result<Kept> {
        let path = self.path(State::Pending, &record.reference);
        durable::create_new(&path, &to_json(record)?)?;
        let kept = match &record.key_id {
            None => Ok(Kept::Stored),
            Some(k) => {
                match self.claim_key(k, &record.reference, record.body_digest.as_deref(), now) {
                    Ok(Ok(())) => Ok(Kept::Stored),
                    Ok(Err(other)) => {
                        // Never synced, never promised: dropping it loses nothing.
                        std::fs::remove_file(&path).map(|()| Kept::Duplicate(other.reference))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        // For a duplicate, this sync also makes the other request's record
        // and key durable (it linked them before its key was visible to us),
        // so its reference may be given out.
        let kept = kept.and_then(|k| self.sync.sync().map(|()| k));
        if kept.is_err() {
            // Not durable, so the visitor is told it failed: do not send it later.
            let _ = self.discard(record);
        }
        kept
    }

    /// Makes every record and key created so far durable (a group sync).
    pub fn sync(&self) -> io::Result<()> {
        self.sync.sync()
    }

    /// Rewrites a record where it is now (`failed/`: the note of its alert).
    pub fn update_in(&self, state: State, record: &Record) -> io::Result<()> {
        durable::write_replace(&self.path(state, &record.reference), &to_json(record)?)
    }

    pub fn update(&self, record: &Record) -> io::Result<()> {
        durable::write_replace(
            &self.path(State::Pending, &record.reference),
            &to_json(record)?,
        )
    }

    pub fn load(&self, reference: &str) -> io::Result<Option<(Record, State)>> {
        if !Self::is_reference(reference) {
            return Ok(None);
        }
        for state in [State::Pending, State::Sent, State::Failed] {
            match std::fs::read(self.path(state, reference)) {
                Ok(bytes) => return Ok(Some((from_json(&bytes)?, state))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Moves a pending record to `sent/` or `failed/`, saving its latest state first.
    pub fn finish(&self, record: &Record, to: State) -> io::Result<()> {
        self.update(record)?;
        durable::move_file(
            &self.path(State::Pending, &record.reference),
            &self.path(to, &record.reference),
        )
    }

    /// Moves a pending record to `sent/`. The location is the state: the
    /// file is not rewritten, so the final delivered flag may read `false`.
    ///
    /// Not fsynced: the mails are already durable (delivered), so a crash
    /// that undoes the move only leaves the record in `pending/`, to be
    /// delivered again (at least once). The move becomes durable with the
    /// file system's next journal commit, or any later sync of the outbox.
    pub fn finish_delivered(&self, record: &Record) -> io::Result<()> {
        std::fs::rename(
            self.path(State::Pending, &record.reference),
            self.path(State::Sent, &record.reference),
        )
    }

    /// Forgets a record whose failure the visitor was told about (no lasting
    /// disk): they still have their text and will send again.
    pub fn discard(&self, record: &Record) -> io::Result<()> {
        if let Some(k) = &record.key_id {
            // Only if it still maps to this record (a duplicate's key is another's).
            let _ = self.release_key(k, &record.reference);
        }
        std::fs::remove_file(self.path(State::Pending, &record.reference))
    }

    /// Pending records whose next attempt is due, oldest first.
    pub fn due(&self, now: DateTime<Utc>) -> io::Result<Vec<Record>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.root.join("pending"))? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            // A record that cannot be read stays on disk for the operator.
            if let Ok(r) = std::fs::read(&path)
                .map_err(|_| ())
                .and_then(|b| from_json(&b).map_err(|_| ()))
                && r.next_attempt_at <= now
            {
                out.push(r);
            }
        }
        out.sort_by_key(|r| r.created_at);
        Ok(out)
    }

    fn path(&self, state: State, reference: &str) -> PathBuf {
        self.root
            .join(state.dir())
            .join(format!("{reference}.json"))
    }
}

/// Compact JSON: records are read by the router (and `jq`), not by eye.
fn to_json(r: &Record) -> io::Result<Vec<u8>> {
    serde_json::to_vec(r).map_err(io::Error::other)
}

fn from_json(b: &[u8]) -> io::Result<Record> {
    serde_json::from_slice(b).map_err(io::Error::other)
}

#[cfg(test)]
mod tests;
