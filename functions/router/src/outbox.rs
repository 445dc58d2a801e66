//! The outbox: every accepted submission is written here, durably, before
//! the visitor is told anything, and stays until its notification is
//! delivered. Layout under the outbox directory:
//!
//! - `pending/REF.json` — waiting for (re)delivery
//! - `sent/REF.json`    — delivered (kept so a retried POST finds its reference)
//! - `failed/REF.json`  — given up on (permanent error or too many attempts);
//!   kept for the operator, never deleted by the router
//! - `keys/ID`          — idempotency key (hashed) → reference

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::compose::{ComposedMail, MailKind};
use crate::deliver::{DeliveryError, Envelope, Mailer};
use crate::durable;

/// How long an idempotency key maps to its reference: retries come within
/// minutes; a day later the same text is a new message.
pub const KEY_TTL_HOURS: i64 = 24;
/// After this many failed attempts a record moves to `failed/`.
pub const MAX_ATTEMPTS: u32 = 20;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub reference: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub key_id: Option<String>,
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

#[derive(Debug, Clone)]
pub struct Outbox {
    root: PathBuf,
}

impl Outbox {
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        for d in ["pending", "sent", "failed", "keys"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        Ok(Self { root })
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
        let d = Sha256::digest(key.as_bytes());
        d.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The reference an idempotency key already maps to, if still fresh.
    pub fn lookup_key(&self, key_id: &str, now: DateTime<Utc>) -> io::Result<Option<String>> {
        let path = self.root.join("keys").join(key_id);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut lines = text.lines();
        let (Some(reference), Some(at)) = (lines.next(), lines.next()) else {
            return Ok(None);
        };
        let fresh = DateTime::parse_from_rfc3339(at)
            .map(|t| now - t.with_timezone(&Utc) < Duration::hours(KEY_TTL_HOURS))
            .unwrap_or(false);
        if !fresh || !is_reference(reference) {
            let _ = std::fs::remove_file(&path);
            return Ok(None);
        }
        Ok(Some(reference.to_string()))
    }

    /// Claims `key_id` for `reference`; `Ok(Err(other))` if another request got there first.
    pub fn claim_key(
        &self,
        key_id: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> io::Result<Result<(), String>> {
        let path = self.root.join("keys").join(key_id);
        match durable::write_new(
            &path,
            format!("{reference}\n{}\n", now.to_rfc3339()).as_bytes(),
        ) {
            Ok(()) => Ok(Ok(())),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                match self.lookup_key(key_id, now)? {
                    Some(other) => Ok(Err(other)),
                    // Expired and removed by lookup: claim again.
                    None => durable::write_new(
                        &path,
                        format!("{reference}\n{}\n", now.to_rfc3339()).as_bytes(),
                    )
                    .map(Ok),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Writes a new record to `pending/`; `AlreadyExists` if the reference is taken.
    pub fn store_new(&self, record: &Record) -> io::Result<()> {
        durable::write_new(
            &self.path(State::Pending, &record.reference),
            &to_json(record)?,
        )
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
    pub fn finish_delivered(&self, record: &Record) -> io::Result<()> {
        durable::move_file(
            &self.path(State::Pending, &record.reference),
            &self.path(State::Sent, &record.reference),
        )
    }

    /// Forgets a record whose failure the visitor was told about (no lasting
    /// disk): they still have their text and will send again.
    pub fn discard(&self, record: &Record) -> io::Result<()> {
        if let Some(k) = &record.key_id {
            let _ = std::fs::remove_file(self.root.join("keys").join(k));
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

/// Tries to send every undelivered mail of `record`, saving progress after
/// each, so a crash never sends a delivered mail twice or forgets one.
pub async fn attempt(
    outbox: &Outbox,
    mailer: &dyn Mailer,
    mut record: Record,
    now: DateTime<Utc>,
) -> io::Result<Attempt> {
    let mut permanent = false;
    let mut failed = false;
    for i in 0..record.mails.len() {
        if record.mails[i].delivered {
            continue;
        }
        let mail = &record.mails[i];
        // Never acknowledge what the point of contact has not received: the
        // visitor could be told "received" by email and "failed" on the page.
        if mail.kind == MailKind::Acknowledgement && !record.notification_delivered() {
            continue;
        }
        let raw = STANDARD
            .decode(&mail.raw_base64)
            .map_err(io::Error::other)?;
        match mailer.send(&mail.envelope, &raw).await {
            Ok(()) => {
                record.mails[i].delivered = true;
                // Save progress only if more is to come: the final move to
                // `sent/` records the last success by itself (one fsync pair less).
                if record.mails[i + 1..].iter().any(|m| !m.delivered) {
                    outbox.update(&record)?;
                }
            }
            Err(e) => {
                failed = true;
                permanent |=
                    matches!(e, DeliveryError::Permanent(_)) && mail.kind == MailKind::Notification;
                record.last_error = Some(e.to_string());
            }
        }
    }
    if !failed {
        outbox.finish_delivered(&record)?;
        return Ok(Attempt::Delivered);
    }
    record.attempts += 1;
    record.next_attempt_at = now + backoff(record.attempts);
    let notified = record.notification_delivered();
    if permanent || record.attempts >= MAX_ATTEMPTS {
        outbox.finish(&record, State::Failed)?;
    } else {
        outbox.update(&record)?;
    }
    Ok(if notified {
        Attempt::NotificationOnly
    } else {
        Attempt::Failed { permanent }
    })
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

fn to_json(r: &Record) -> io::Result<Vec<u8>> {
    serde_json::to_vec_pretty(r).map_err(io::Error::other)
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
        assert_eq!(o.claim_key(&k, "AAAA-BBBB", now).unwrap(), Ok(()));
        assert_eq!(
            o.claim_key(&k, "CCCC-DDDD", now).unwrap(),
            Err("AAAA-BBBB".into())
        );
        assert_eq!(o.lookup_key(&k, now).unwrap().as_deref(), Some("AAAA-BBBB"));
        let later = now + Duration::hours(KEY_TTL_HOURS + 1);
        assert_eq!(o.lookup_key(&k, later).unwrap(), None);
        assert_eq!(o.claim_key(&k, "CCCC-DDDD", later).unwrap(), Ok(()));
    }
}
