//! The outbox: every accepted submission is written here, durably, before
//! the visitor is told anything, and stays until its notification is
//! delivered. Layout under the outbox directory:
//!
//! - `pending/REF.json` — waiting for (re)delivery
//! - `sent/REF.json`    — delivered (kept so a retried POST finds its reference)
//! - `failed/REF.json`  — given up on (permanent error or too many attempts);
//!   kept for the operator, never deleted by the router
//! - `keys/ID`          — idempotency key (hashed) → reference: a symbolic link
//!   whose text is `REFERENCE TIMESTAMP` (plain files from earlier versions are read too)
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
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::compose::{ComposedMail, MailKind};
use crate::deliver::{BlockingMailer, DeliveryError, Envelope, Mailer};
use crate::durable::{self, GroupSync};

/// How long an idempotency key maps to its reference: retries come within
/// minutes; a day later the same text is a new message.
pub const KEY_TTL_HOURS: i64 = 24;
/// How long a submission sent without a key is recognised by its content.
pub const CONTENT_KEY_TTL_MINUTES: i64 = 15;
/// Content keys start with this; a client key's hash is hex only.
const CONTENT_KEY_PREFIX: &str = "d-";
/// After this many failed attempts a record moves to `failed/`.
pub const MAX_ATTEMPTS: u32 = 20;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

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
    pub mails: Vec<StoredMail>,
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
        })
    }

    /// How many group syncs of `pending/` and `keys/` have run.
    pub fn syncs(&self) -> u64 {
        self.sync.runs()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A fresh reference like `K7QM-3XPD`: 40 random bits in Crockford base32
    /// (no I, L, O, U), easy to read out on the phone.
    pub fn new_reference() -> io::Result<String> {
        let mut b = [0u8; 5];
        getrandom::fill(&mut b).map_err(|e| io::Error::other(e.to_string()))?;
        let n = b.iter().fold(0u64, |acc, x| acc << 8 | u64::from(*x));
        let chars: Vec<u8> = (0..8)
            .rev()
            .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize])
            .collect();
        let s = String::from_utf8_lossy(&chars).into_owned();
        Ok(format!("{}-{}", &s[..4], &s[4..]))
    }

    /// Hashes a client's idempotency key; the raw key never touches the disk.
    pub fn key_id(key: &str) -> String {
        crate::hex::short_sha256([key.as_bytes()])
    }

    /// The key of a submission sent without one (a form without JavaScript):
    /// its content's digest, valid for [`CONTENT_KEY_TTL_MINUTES`], so a
    /// double click or a re-sent page is one message, and the same text
    /// sent deliberately later is another.
    pub fn content_key_id(body_digest: &str) -> String {
        format!("{CONTENT_KEY_PREFIX}{body_digest}")
    }

    /// How long `key_id` maps to its reference.
    fn key_ttl(key_id: &str) -> Duration {
        if key_id.starts_with(CONTENT_KEY_PREFIX) {
            Duration::minutes(CONTENT_KEY_TTL_MINUTES)
        } else {
            Duration::hours(KEY_TTL_HOURS)
        }
    }

    /// What an idempotency key maps to, if still fresh.
    pub fn lookup_key(&self, key_id: &str, now: DateTime<Utc>) -> io::Result<Option<KeyEntry>> {
        let path = self.root.join("keys").join(key_id);
        let text = match durable::read_value(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // `REFERENCE TIMESTAMP [DIGEST]` (a link's text), or lines (older outboxes).
        let mut words = text.split_whitespace();
        let (Some(reference), Some(at)) = (words.next(), words.next()) else {
            return Ok(None);
        };
        let body_digest = words.next().map(str::to_string);
        let fresh = DateTime::parse_from_rfc3339(at)
            .map(|t| now - t.with_timezone(&Utc) < Self::key_ttl(key_id))
            .unwrap_or(false);
        if !fresh || !is_reference(reference) {
            let _ = std::fs::remove_file(&path);
            return Ok(None);
        }
        Ok(Some(KeyEntry {
            reference: reference.to_string(),
            body_digest,
        }))
    }

    /// Claims `key_id` for `reference` (and the message with `body_digest`);
    /// `Ok(Err(earlier))` if another request got there first. The claim is
    /// durable once the outbox is synced ([`Outbox::keep`] does); alone, call
    /// [`Outbox::sync`] after it.
    pub fn claim_key(
        &self,
        key_id: &str,
        reference: &str,
        body_digest: Option<&str>,
        now: DateTime<Utc>,
    ) -> io::Result<Result<(), KeyEntry>> {
        let path = self.root.join("keys").join(key_id);
        let mut value = format!("{reference} {}", now.to_rfc3339());
        if let Some(d) = body_digest {
            value.push(' ');
            value.push_str(d);
        }
        match durable::create_value(&path, &value) {
            Ok(()) => Ok(Ok(())),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                match self.lookup_key(key_id, now)? {
                    Some(other) => Ok(Err(other)),
                    // Expired and removed by lookup: claim again.
                    None => durable::create_value(&path, &value).map(Ok),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Frees `key_id` if it still maps to `reference`, so the visitor's next
    /// try is kept as a new message (its record failed, or is gone).
    pub fn release_key(&self, key_id: &str, reference: &str) -> io::Result<()> {
        let path = self.root.join("keys").join(key_id);
        let ours = durable::read_value(&path)
            .is_ok_and(|v| v.split_whitespace().next() == Some(reference));
        if ours {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
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

    /// Writes a new record to `pending/`, durably; `AlreadyExists` if the
    /// reference is taken. [`Outbox::keep`] is the same plus the key claim.
    pub fn store_new(&self, record: &Record) -> io::Result<()> {
        durable::create_new(
            &self.path(State::Pending, &record.reference),
            &to_json(record)?,
        )?;
        self.sync.sync()
    }

    pub fn update(&self, record: &Record) -> io::Result<()> {
        durable::write_replace(
            &self.path(State::Pending, &record.reference),
            &to_json(record)?,
        )
    }

    pub fn load(&self, reference: &str) -> io::Result<Option<(Record, State)>> {
        if !is_reference(reference) {
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

/// Result of one delivery attempt on one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Every mail went out; the record is in `sent/`.
    Delivered,
    /// The notification went out, the acknowledgement did not (yet).
    NotificationOnly,
    /// The notification did not go out; the record stays pending (or failed).
    Failed { permanent: bool },
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
                record.last_error = Some(e.to_string());
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
        record.next_attempt_at = now + backoff(record.attempts);
        let notified = record.notification_delivered();
        if self.permanent || record.attempts >= MAX_ATTEMPTS {
            outbox.finish(&record, State::Failed)?;
        } else {
            outbox.update(&record)?;
        }
        Ok(if notified {
            Attempt::NotificationOnly
        } else {
            Attempt::Failed {
                permanent: self.permanent,
            }
        })
    }
}

/// 1, 2, 4, ... minutes, capped at six hours.
pub fn backoff(attempts: u32) -> Duration {
    let minutes = 1i64 << attempts.saturating_sub(1).min(9);
    Duration::minutes(minutes.min(360))
}

fn is_reference(s: &str) -> bool {
    s.len() == 9
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 {
                b == b'-'
            } else {
                ALPHABET.contains(&b)
            }
        })
}

/// Compact JSON: records are read by the router (and `jq`), not by eye.
fn to_json(r: &Record) -> io::Result<Vec<u8>> {
    serde_json::to_vec(r).map_err(io::Error::other)
}

fn from_json(b: &[u8]) -> io::Result<Record> {
    serde_json::from_slice(b).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_readable() {
        for _ in 0..100 {
            let r = Outbox::new_reference().unwrap();
            assert!(is_reference(&r), "{r}");
        }
        assert!(!is_reference("../../etc"));
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(3), Duration::minutes(4));
        assert_eq!(backoff(30), Duration::minutes(360));
    }

    #[test]
    fn keys_expire_and_first_claim_wins() {
        let d = tempfile::tempdir().unwrap();
        let o = Outbox::open(d.path()).unwrap();
        let now: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
        let k = Outbox::key_id("abc");
        assert_eq!(o.claim_key(&k, "AAAA-BBBB", None, now).unwrap(), Ok(()));
        assert_eq!(
            o.claim_key(&k, "CCCC-DDDD", None, now)
                .unwrap()
                .map_err(|e| e.reference),
            Err("AAAA-BBBB".into())
        );
        assert_eq!(
            o.lookup_key(&k, now)
                .unwrap()
                .map(|e| e.reference)
                .as_deref(),
            Some("AAAA-BBBB")
        );
        let later = now + Duration::hours(KEY_TTL_HOURS + 1);
        assert_eq!(o.lookup_key(&k, later).unwrap(), None);
        assert_eq!(o.claim_key(&k, "CCCC-DDDD", None, later).unwrap(), Ok(()));
    }

    fn record(key: Option<&str>) -> Record {
        let now: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
        let reference = Outbox::new_reference().unwrap();
        Record::new(reference, key.map(Outbox::key_id), now, vec![])
    }

    fn now() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn keep_stores_the_record_and_its_key_and_dedupes() {
        let d = tempfile::tempdir().unwrap();
        let o = Outbox::open(d.path()).unwrap();
        let a = record(Some("k"));
        assert_eq!(o.keep(&a, now()).unwrap(), Kept::Stored);
        assert_eq!(o.load(&a.reference).unwrap().unwrap().1, State::Pending);
        let b = record(Some("k"));
        assert_eq!(
            o.keep(&b, now()).unwrap(),
            Kept::Duplicate(a.reference.clone())
        );
        // The loser's record is gone, the winner's key still maps to it.
        assert_eq!(o.load(&b.reference).unwrap(), None);
        assert_eq!(
            o.lookup_key(&Outbox::key_id("k"), now())
                .unwrap()
                .map(|e| e.reference),
            Some(a.reference.clone())
        );
        // Compact JSON on disk.
        let text = std::fs::read_to_string(o.path(State::Pending, &a.reference)).unwrap();
        assert!(!text.contains('\n'), "{text}");
    }

    /// The crash-ish case: a record written while a sync that started
    /// before it is running is not acknowledged on that sync. `keep` returns
    /// only after a sync that started after its write has completed.
    #[test]
    fn a_record_is_not_acknowledged_before_a_sync_that_covers_it() {
        let d = tempfile::tempdir().unwrap();
        let mut held = None;
        let o = Outbox::open_with(d.path().to_path_buf(), |dirs| {
            let (g, entered, release) = crate::durable::tests::held(dirs);
            held = Some((entered, release));
            g
        })
        .unwrap();
        let (entered, release) = held.unwrap();
        let first = {
            let o = o.clone();
            std::thread::spawn(move || o.keep(&record(None), now()))
        };
        entered.recv().unwrap();
        // The first record's sync is running (held). The second record is
        // written now, after that sync started...
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let second = {
            let o = o.clone();
            std::thread::spawn(move || {
                let r = record(None);
                let kept = o.keep(&r, now());
                let _ = done_tx.send(());
                (r, kept)
            })
        };
        crate::durable::tests::wait_for_waiters(&o.sync, 1);
        // ...and is on disk, but not acknowledged: no sync has covered it.
        assert_eq!(
            std::fs::read_dir(d.path().join("pending")).unwrap().count(),
            2
        );
        assert!(done_rx.try_recv().is_err(), "acknowledged before its sync");
        release.send(()).unwrap();
        assert_eq!(first.join().unwrap().unwrap(), Kept::Stored);
        let (r, kept) = second.join().unwrap();
        assert_eq!(kept.unwrap(), Kept::Stored);
        assert_eq!(o.load(&r.reference).unwrap().unwrap().1, State::Pending);
        // The held sync, then one that started after the second write.
        assert_eq!(o.syncs(), 2);
    }

    /// A blocking backend that answers from a script and notes what it was given.
    struct Scripted {
        answers: std::sync::Mutex<Vec<Result<(), DeliveryError>>>,
        sent: std::sync::Mutex<Vec<Vec<u8>>>,
    }

    impl Scripted {
        fn new(mut answers: Vec<Result<(), DeliveryError>>) -> Self {
            answers.reverse();
            Self {
                answers: std::sync::Mutex::new(answers),
                sent: std::sync::Mutex::new(Vec::new()),
            }
        }

        fn sent(&self) -> Vec<Vec<u8>> {
            self.sent.lock().unwrap().clone()
        }
    }

    impl BlockingMailer for Scripted {
        fn send_blocking(&self, _: &Envelope, raw: &[u8]) -> Result<(), DeliveryError> {
            self.sent.lock().unwrap().push(raw.to_vec());
            self.answers.lock().unwrap().pop().unwrap_or(Ok(()))
        }
    }

    fn two_mails() -> Record {
        let envelope = Envelope {
            from: "forms@example.org".into(),
            to: vec!["ana@example.org".into()],
        };
        let mail = |kind, raw: &str| ComposedMail {
            kind,
            envelope: envelope.clone(),
            raw: raw.as_bytes().to_vec(),
        };
        Record::new(
            Outbox::new_reference().unwrap(),
            None,
            now(),
            vec![
                mail(MailKind::Notification, "notification"),
                mail(MailKind::Acknowledgement, "acknowledgement"),
            ],
        )
    }

    /// The blocking attempt keeps the async one's rules: no acknowledgement
    /// before the notification went out, progress saved after a failure,
    /// a retry never repeats a mail that went out, success moves to `sent/`.
    #[test]
    fn a_blocking_attempt_sends_in_order_and_saves_progress_on_failure() {
        let d = tempfile::tempdir().unwrap();
        let o = Outbox::open(d.path()).unwrap();
        let r = two_mails();
        o.store_new(&r).unwrap();

        // The notification fails: the acknowledgement is not tried.
        let down = Scripted::new(vec![Err(DeliveryError::Temporary("down".into()))]);
        let a = attempt_blocking(&o, &down, r.clone(), now()).unwrap();
        assert_eq!(a, Attempt::Failed { permanent: false });
        assert_eq!(down.sent(), [b"notification".to_vec()]);
        let (saved, state) = o.load(&r.reference).unwrap().unwrap();
        assert_eq!((state, saved.attempts), (State::Pending, 1));
        assert_eq!(saved.next_attempt_at, now() + backoff(1));

        // The notification goes out, the acknowledgement fails: saved as such.
        let half = Scripted::new(vec![Ok(()), Err(DeliveryError::Temporary("ack".into()))]);
        let a = attempt_blocking(&o, &half, saved, now()).unwrap();
        assert_eq!(a, Attempt::NotificationOnly);
        assert_eq!(half.sent().len(), 2);
        let (saved, state) = o.load(&r.reference).unwrap().unwrap();
        assert_eq!(state, State::Pending);
        assert!(saved.notification_delivered() && !saved.all_delivered());

        // The retry sends the acknowledgement only, and the record is done.
        let up = Scripted::new(vec![]);
        let a = attempt_blocking(&o, &up, saved, now()).unwrap();
        assert_eq!(a, Attempt::Delivered);
        assert_eq!(up.sent(), [b"acknowledgement".to_vec()]);
        assert_eq!(o.load(&r.reference).unwrap().unwrap().1, State::Sent);

        // A permanent failure of the notification gives up on the record.
        let r = two_mails();
        o.store_new(&r).unwrap();
        let refused = Scripted::new(vec![Err(DeliveryError::Permanent("no".into()))]);
        let a = attempt_blocking(&o, &refused, r.clone(), now()).unwrap();
        assert_eq!(a, Attempt::Failed { permanent: true });
        assert_eq!(o.load(&r.reference).unwrap().unwrap().1, State::Failed);
    }

    #[test]
    fn a_failed_sync_is_not_acknowledged_and_leaves_nothing_to_deliver() {
        let d = tempfile::tempdir().unwrap();
        let o = Outbox::open_with(d.path().to_path_buf(), |dirs| {
            GroupSync::with_hook(
                dirs,
                crate::durable::TestHook(Box::new(|| Err(io::Error::other("disk on fire")))),
            )
        })
        .unwrap();
        let r = record(Some("k"));
        assert!(o.keep(&r, now()).is_err());
        // The visitor hears "failed": the record must not be sent later.
        assert_eq!(o.load(&r.reference).unwrap(), None);
        assert_eq!(o.lookup_key(&Outbox::key_id("k"), now()).unwrap(), None);
    }
}
