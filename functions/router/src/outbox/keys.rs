//! Idempotency keys and references: a retried POST finds its first
//! reference through its key; a reference is what the visitor reads out.

use std::io;

use chrono::{DateTime, Duration, Utc};

use super::{CONTENT_KEY_PREFIX, CONTENT_KEY_TTL_MINUTES, KEY_TTL_HOURS, KeyEntry, Outbox};
use crate::durable;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Outbox {
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
    pub(super) fn key_ttl(key_id: &str) -> Duration {
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
        // `REFERENCE TIMESTAMP [DIGEST]`, as `claim_key` writes it.
        let mut words = text.split_whitespace();
        let (Some(reference), Some(at)) = (words.next(), words.next()) else {
            return Ok(None);
        };
        let body_digest = words.next().map(str::to_string);
        let fresh = DateTime::parse_from_rfc3339(at)
            .map(|t| now - t.with_timezone(&Utc) < Self::key_ttl(key_id))
            .unwrap_or(false);
        if !fresh || !Self::is_reference(reference) {
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

    /// Whether `s` has the shape of a reference from [`Outbox::new_reference`].
    pub fn is_reference(s: &str) -> bool {
        s.len() == 9
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 {
                    b == b'-'
                } else {
                    ALPHABET.contains(&b)
                }
            })
    }
}
