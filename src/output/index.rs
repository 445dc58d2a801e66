//! What each file the last build wrote holds, so a rebuild can tell an
//! unchanged file from a changed one without reading it back.
//!
//! An entry says "the file with inode `ino`, size `len` and modification time
//! `mtime` holds content with this SHA-256". It describes a file, not a path
//! in one tree, so it stays true whichever tree (live or recycled) the file
//! sits in, and an entry whose file was edited by hand (new mtime or size) or
//! replaced (new inode) simply stops matching. The index is a cache: a
//! missing, stale or unreadable index costs time, never a wrong file.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

const HEADER: &str = "switchboard-output-index 1";

/// The SHA-256 of a file given as pieces.
pub type Hash = [u8; 32];

pub fn hash(pieces: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    for piece in pieces {
        hasher.update(piece);
    }
    hasher.finalize().into()
}

/// One file as the last build left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub hash: Hash,
    pub len: u64,
    pub ino: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: i64,
}

impl Entry {
    /// The entry for `meta`, a file holding content with `hash`.
    pub fn of(hash: Hash, meta: &fs::Metadata) -> Option<Self> {
        let (ino, mtime_sec, mtime_nsec) = identity(meta)?;
        Some(Entry {
            hash,
            len: meta.len(),
            ino,
            mtime_sec,
            mtime_nsec,
        })
    }

    /// Whether `meta` is still the very file this entry describes, unchanged.
    pub fn describes(&self, meta: &fs::Metadata) -> bool {
        meta.is_file()
            && meta.len() == self.len
            && identity(meta) == Some((self.ino, self.mtime_sec, self.mtime_nsec))
    }
}

#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> Option<(u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.ino(), meta.mtime(), meta.mtime_nsec()))
}

/// Without inode numbers nothing can be trusted: every file is compared.
#[cfg(not(unix))]
fn identity(_: &fs::Metadata) -> Option<(u64, i64, i64)> {
    None
}

/// Site-relative path → entry.
pub type Index = HashMap<String, Entry>;

/// Reads the index at `path`; empty when it is missing or not one we wrote.
pub fn read(path: &Path) -> Index {
    let Ok(text) = fs::read_to_string(path) else {
        return Index::new();
    };
    parse(&text).unwrap_or_default()
}

fn parse(text: &str) -> Option<Index> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut index = Index::new();
    for line in lines {
        let mut fields = line.splitn(6, ' ');
        let hash = decode_hex(fields.next()?)?;
        let len = fields.next()?.parse().ok()?;
        let ino = fields.next()?.parse().ok()?;
        let mtime_sec = fields.next()?.parse().ok()?;
        let mtime_nsec = fields.next()?.parse().ok()?;
        let path = fields.next()?;
        let entry = Entry {
            hash,
            len,
            ino,
            mtime_sec,
            mtime_nsec,
        };
        index.insert(path.to_string(), entry);
    }
    Some(index)
}

/// Writes `entries` as the index at `path` (temp file and rename, so a
/// reader never sees half of it; no fsync: losing it only costs time).
pub fn write(path: &Path, entries: &[(String, Entry)]) -> io::Result<()> {
    let mut text = String::with_capacity(entries.len() * 120 + HEADER.len() + 1);
    text.push_str(HEADER);
    text.push('\n');
    for (relative, e) in entries {
        // A path with a line break cannot be written in this format; leaving
        // it out only means it is compared by reading next time.
        if relative.contains(['\n', '\r']) {
            continue;
        }
        for byte in e.hash {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 15)]));
        }
        use std::fmt::Write as _;
        let _ = writeln!(
            text,
            " {} {} {} {} {relative}",
            e.len, e.ino, e.mtime_sec, e.mtime_nsec
        );
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(folder)?;
    let mut temp = tempfile::NamedTempFile::new_in(folder)?;
    temp.write_all(text.as_bytes())?;
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn decode_hex(text: &str) -> Option<Hash> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_it_did_not_write() {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("state/index");
        let entry = Entry {
            hash: hash(&[b"hello ", b"world"]),
            len: 11,
            ino: 42,
            mtime_sec: 1_700_000_000,
            mtime_nsec: 123,
        };
        assert_eq!(entry.hash, hash(&[b"hello world"]), "pieces hash as one");
        let entries = vec![
            ("a b/index.html".to_string(), entry),
            ("bad\nname".to_string(), entry),
        ];
        write(&path, &entries).expect("write");
        let index = read(&path);
        assert_eq!(index.len(), 1, "the path with a line break is left out");
        assert_eq!(index.get("a b/index.html"), Some(&entry));

        fs::write(&path, "something else\n").expect("overwrite");
        assert!(read(&path).is_empty());
        fs::write(&path, format!("{HEADER}\nnot-hex 1 2 3 4 x\n")).expect("overwrite");
        assert!(read(&path).is_empty(), "a damaged index is ignored whole");
        assert!(read(&temp.path().join("missing")).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn an_entry_stops_matching_when_its_file_changes() {
        let temp = tempfile::tempdir().expect("tempdir");
        let file = temp.path().join("f");
        fs::write(&file, "one").expect("write");
        let meta = fs::metadata(&file).expect("meta");
        let entry = Entry::of(hash(&[b"one"]), &meta).expect("unix");
        assert!(entry.describes(&meta));
        std::thread::sleep(std::time::Duration::from_millis(5));
        fs::write(&file, "two").expect("edit in place");
        assert!(!entry.describes(&fs::metadata(&file).expect("meta")));
    }
}
