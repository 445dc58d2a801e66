//! The outbox as a record of every message: what the operator does with it
//! (`switchboard submissions`) and what retention does by itself. Listing,
//! sending a failed record again, erasing one, and purging what is older
//! than the retention period, with the `.eml` copies in the local mail
//! directory. Safe while a router runs on the same outbox: every change is
//! an atomic rename or write through the outbox's durable helpers.
//!
//! Layout added here: `erased/REF.json`, the tombstone of an erased record
//! (reference, when, its status then, topic and department; nothing the
//! visitor typed).

use std::collections::HashSet;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Outbox, Record, State, from_json, to_json};
use crate::durable;

/// A header every mail the router writes carries (`compose.rs`).
const REFERENCE_HEADER: &str = "x-switchboard-reference:";
/// The folder of tombstones under the outbox.
pub const ERASED_DIR: &str = "erased";
/// Notes about sending a failed record again start with this.
pub const REQUEUED_NOTE: &str = "requeued";

/// What an operator's change could not do, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "no record `{reference}` in the outbox {outbox} (references look like K7QM-3XPD; `switchboard submissions list` shows them)"
    )]
    NotFound { reference: String, outbox: String },
    #[error(
        "`{reference}` is {state}, not failed: only failed records are sent again (`switchboard submissions show {reference}`)"
    )]
    NotFailed {
        reference: String,
        state: &'static str,
    },
    #[error(
        "`{reference}` is still pending delivery: a running router may be sending it right now. Wait until it is sent or failed, or stop the router and pass --force"
    )]
    Pending { reference: String },
    #[error("cannot read the record {path}: {source} (fix or move the file by hand)")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl State {
    /// `pending`, `sent` or `failed`: the record's folder and its status.
    pub fn as_str(self) -> &'static str {
        self.dir()
    }
}

/// Every record in the outbox, and the files that could not be read.
#[derive(Debug, Default)]
pub struct Listing {
    /// Oldest first.
    pub records: Vec<(Record, State)>,
    pub unreadable: Vec<(PathBuf, String)>,
}

/// The tombstone an erased record leaves: that it existed and was erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub reference: String,
    pub erased_at: DateTime<Utc>,
    /// `pending`, `sent` or `failed` when it was erased.
    pub status: String,
    pub topic: Option<String>,
    pub department: Option<String>,
}

/// What [`Outbox::erase`] removed.
#[derive(Debug)]
pub struct Erased {
    pub status: State,
    /// The record, its key and its mail copies, as removed.
    pub removed: Vec<PathBuf>,
    pub tombstone: PathBuf,
}

/// What a purge removes (or, for a dry run, would remove).
#[derive(Debug, Default)]
pub struct Purge {
    /// Records of `sent/` and `failed/` older than the retention.
    pub records: Vec<(String, State, PathBuf)>,
    /// Their `.eml` copies, and copies whose record is gone, older than the retention.
    pub mails: Vec<PathBuf>,
    /// Idempotency keys past their lifetime.
    pub keys: Vec<PathBuf>,
    /// Tombstones older than the retention.
    pub tombstones: Vec<PathBuf>,
}

impl Purge {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.mails.is_empty()
            && self.keys.is_empty()
            && self.tombstones.is_empty()
    }

    /// Every file, mail copies first (so an interrupted purge leaves no
    /// copy without its record: the next purge finishes it).
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.mails
            .iter()
            .map(PathBuf::as_path)
            .chain(self.records.iter().map(|(_, _, p)| p.as_path()))
            .chain(self.keys.iter().map(PathBuf::as_path))
            .chain(self.tombstones.iter().map(PathBuf::as_path))
    }

    /// Removes the files; one already gone is not an error. Not fsynced: a
    /// crash that undoes a removal leaves the file to the next purge.
    pub fn apply(&self) -> io::Result<usize> {
        let mut removed = 0;
        for path in self.files() {
            match std::fs::remove_file(path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
                }
            }
        }
        Ok(removed)
    }
}

impl Outbox {
    /// Every record, in every state, oldest first. A file that cannot be
    /// read is listed apart, never skipped silently.
    pub fn records(&self) -> io::Result<Listing> {
        let mut listing = Listing::default();
        for state in [State::Pending, State::Sent, State::Failed] {
            for (path, read) in self.record_files(state)? {
                match read {
                    Ok(record) => listing.records.push((record, state)),
                    Err(e) => listing.unreadable.push((path, e.to_string())),
                }
            }
        }
        listing.records.sort_by(|a, b| {
            (a.0.created_at, &a.0.reference).cmp(&(b.0.created_at, &b.0.reference))
        });
        Ok(listing)
    }

    /// The records of one state's folder, each read (or the error).
    #[allow(clippy::type_complexity)]
    fn record_files(&self, state: State) -> io::Result<Vec<(PathBuf, io::Result<Record>)>> {
        let mut out = Vec::new();
        let dir = self.root.join(state.dir());
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let read = std::fs::read(&path).and_then(|b| from_json(&b));
            out.push((path, read));
        }
        Ok(out)
    }

    /// The record `reference` and its state, or an error that says what to do.
    pub fn find(&self, reference: &str) -> Result<(Record, State), RecordError> {
        let not_found = || RecordError::NotFound {
            reference: reference.to_string(),
            outbox: self.root.display().to_string(),
        };
        if !Self::is_reference(reference) {
            return Err(not_found());
        }
        for state in [State::Pending, State::Sent, State::Failed] {
            let path = self.path(state, reference);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    return from_json(&bytes)
                        .map(|r| (r, state))
                        .map_err(|source| RecordError::Unreadable { path, source });
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(RecordError::Io { path, source }),
            }
        }
        Err(not_found())
    }

    /// Sends a failed record again: it moves back to `pending/`, due now,
    /// its attempts counted from zero, so the router's next retry pass
    /// delivers it (the mails that went out are not sent twice). The
    /// record is rewritten in place and then renamed (atomic, fsynced): a
    /// running router sees it failed or pending, never half of it.
    pub fn requeue(&self, reference: &str, now: DateTime<Utc>) -> Result<Record, RecordError> {
        let (mut record, state) = self.find(reference)?;
        if state != State::Failed {
            return Err(RecordError::NotFailed {
                reference: reference.to_string(),
                state: state.as_str(),
            });
        }
        record.requeue(now);
        let failed = self.path(State::Failed, reference);
        let bytes = to_json(&record).map_err(at(&failed))?;
        durable::write_replace(&failed, &bytes).map_err(at(&failed))?;
        let pending = self.path(State::Pending, reference);
        durable::move_file(&failed, &pending).map_err(at(&pending))?;
        Ok(record)
    }

    /// Erases a record: its file, its idempotency key and its copies in
    /// `mail_dir` (the local mail directory), leaving a tombstone in
    /// `erased/` with no name, address or text. A pending record is
    /// refused unless `force` (a running router may be delivering it).
    pub fn erase(
        &self,
        reference: &str,
        now: DateTime<Utc>,
        mail_dir: Option<&Path>,
        force: bool,
    ) -> Result<Erased, RecordError> {
        let (record, status) = self.find(reference)?;
        if status == State::Pending && !force {
            return Err(RecordError::Pending {
                reference: reference.to_string(),
            });
        }
        let tombstone = Tombstone {
            reference: reference.to_string(),
            erased_at: now,
            status: status.as_str().to_string(),
            topic: record.route.as_ref().map(|r| r.topic.clone()),
            department: record.route.as_ref().map(|r| r.department.clone()),
        };
        let erased_dir = self.root.join(ERASED_DIR);
        std::fs::create_dir_all(&erased_dir).map_err(at(&erased_dir))?;
        let tomb_path = erased_dir.join(format!("{reference}.json"));
        let tomb = serde_json::to_vec(&tombstone).map_err(|e| RecordError::Io {
            path: tomb_path.clone(),
            source: io::Error::other(e),
        })?;
        // The tombstone first: an erasure cut short still says it was asked for.
        durable::write_replace(&tomb_path, &tomb).map_err(at(&tomb_path))?;

        let mut removed = Vec::new();
        if let Some(dir) = mail_dir {
            let wanted = HashSet::from([reference.to_string()]);
            for (path, _) in mail_copies(dir, |r| wanted.contains(r)).map_err(at(dir))? {
                remove(&path, &mut removed)?;
            }
        }
        if let Some(key) = &record.key_id {
            let path = self.root.join("keys").join(key);
            let ours = durable::read_value(&path)
                .is_ok_and(|v| v.split_whitespace().next() == Some(reference));
            if ours {
                remove(&path, &mut removed)?;
            }
        }
        // Every state: a copy left by a crash mid-move goes too.
        for state in [State::Pending, State::Sent, State::Failed] {
            remove(&self.path(state, reference), &mut removed)?;
        }
        Ok(Erased {
            status,
            removed,
            tombstone: tomb_path,
        })
    }

    /// What a purge at `now` removes: records of `sent/` and `failed/`
    /// created more than `retention` ago with their copies in `mail_dir`,
    /// copies older than that whose record is gone, tombstones older than
    /// that, and idempotency keys past their lifetime. Pending records are
    /// never purged (they are still being delivered), nor unreadable files.
    pub fn plan_purge(
        &self,
        now: DateTime<Utc>,
        retention: Duration,
        mail_dir: Option<&Path>,
    ) -> io::Result<Purge> {
        let cutoff = now - retention;
        let mut purge = Purge::default();
        let mut kept = HashSet::new();
        for state in [State::Pending, State::Sent, State::Failed] {
            for (path, read) in self.record_files(state)? {
                let reference = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                match read {
                    Ok(r) if state != State::Pending && r.created_at < cutoff => {
                        purge.records.push((reference, state, path));
                    }
                    _ => {
                        kept.insert(reference);
                    }
                }
            }
        }
        purge.records.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(dir) = mail_dir {
            let purged: HashSet<&str> = purge.records.iter().map(|(r, _, _)| r.as_str()).collect();
            for (path, reference) in mail_copies(dir, |_| true)? {
                let old = written_at(&path).is_some_and(|t| t < cutoff);
                if purged.contains(reference.as_str()) || (old && !kept.contains(&reference)) {
                    purge.mails.push(path);
                }
            }
        }
        for entry in read_dir_or_empty(&self.root.join("keys"))? {
            let path = entry?.path();
            let Some(key_id) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if key_id.starts_with('.') {
                continue;
            }
            let expired = durable::read_value(&path).is_ok_and(|text| {
                text.split_whitespace()
                    .nth(1)
                    .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                    .is_none_or(|t| now - t.with_timezone(&Utc) >= Self::key_ttl(key_id))
            });
            if expired {
                purge.keys.push(path);
            }
        }
        for entry in read_dir_or_empty(&self.root.join(ERASED_DIR))? {
            let path = entry?.path();
            let old = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Tombstone>(&b).ok())
                .is_some_and(|t| t.erased_at < cutoff);
            if old {
                purge.tombstones.push(path);
            }
        }
        purge.mails.sort();
        purge.keys.sort();
        purge.tombstones.sort();
        Ok(purge)
    }
}

fn read_dir_or_empty(
    dir: &Path,
) -> io::Result<Box<dyn Iterator<Item = io::Result<std::fs::DirEntry>>>> {
    match std::fs::read_dir(dir) {
        Ok(e) => Ok(Box::new(e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Box::new(std::iter::empty())),
        Err(e) => Err(e),
    }
}

fn remove(path: &Path, removed: &mut Vec<PathBuf>) -> Result<(), RecordError> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            removed.push(path.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RecordError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The `.eml` files in `dir` whose `X-Switchboard-Reference` passes
/// `wanted`, with that reference. Only the headers are read.
pub fn mail_copies(
    dir: &Path,
    wanted: impl Fn(&str) -> bool,
) -> io::Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for entry in read_dir_or_empty(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        if let Some(reference) = reference_header(io::BufReader::new(file))
            && wanted(&reference)
        {
            out.push((path, reference));
        }
    }
    out.sort();
    Ok(out)
}

/// The reference a mail file names in its headers.
fn reference_header(reader: impl BufRead) -> Option<String> {
    for line in reader.split(b'\n').take(200) {
        let line = line.ok()?;
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        if line.is_empty() {
            return None;
        }
        if let Some(name) = line.get(..REFERENCE_HEADER.len())
            && name.eq_ignore_ascii_case(REFERENCE_HEADER)
        {
            return Some(line[REFERENCE_HEADER.len()..].trim().to_string());
        }
    }
    None
}

/// When the mail directory wrote `path`: the stamp its name starts with
/// (`20260302T090000.123Z-…​.eml`), else the file's modification time.
fn written_at(path: &Path) -> Option<DateTime<Utc>> {
    let name = path.file_name()?.to_str()?;
    name.get(..15)
        .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").ok())
        .map(|t| t.and_utc())
        .or_else(|| {
            let modified = std::fs::metadata(path).ok()?.modified().ok()?;
            Some(DateTime::<Utc>::from(modified))
        })
}
