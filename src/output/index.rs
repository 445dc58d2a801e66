//! What each file the last build wrote holds, so a rebuild can tell an
//! unchanged file from a changed one without reading it back.
//!
//! An entry says "the file with inode `ino`, size `len` and modification time
//! `mtime` holds content with this SHA-256". It describes a file, not a path
//! in one tree, so it stays true whichever tree (live or recycled) the file
//! sits in, and an entry whose file was edited by hand (new mtime or size) or
//! replaced (new inode) simply stops matching. The index is a cache: a
//! missing, stale or unreadable index costs time, never a wrong file.
//!
//! It also stamps every folder of the tree (inode and modification time):
//! a folder whose stamp still matches holds exactly the names the index
//! lists in it, since adding, removing or renaming anything in a folder
//! changes its modification time. So a build that recycles the tree can
//! prune it without listing ten thousand names.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

const HEADER: &str = "switchboard-output-index 2";

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

/// A folder as the last build left it: its inode and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub ino: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: i64,
}

impl Stamp {
    pub fn of(meta: &fs::Metadata) -> Option<Self> {
        let (ino, mtime_sec, mtime_nsec) = identity(meta)?;
        meta.is_dir().then_some(Stamp {
            ino,
            mtime_sec,
            mtime_nsec,
        })
    }
}

/// What one build wrote: files by site-relative path, and the stamps of
/// the tree's folders (`""` is the tree's root).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    pub files: HashMap<String, Entry>,
    pub folders: HashMap<String, Stamp>,
}

/// Reads the index at `path`; empty when it is missing or not one we wrote.
pub fn read(path: &Path) -> Index {
    let Ok(text) = fs::read_to_string(path) else {
        return Index::default();
    };
    parse(&text).unwrap_or_default()
}

fn parse(text: &str) -> Option<Index> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut index = Index::default();
    for line in lines {
        if let Some(rest) = line.strip_prefix("dir ") {
            let mut fields = rest.splitn(4, ' ');
            let stamp = Stamp {
                ino: fields.next()?.parse().ok()?,
                mtime_sec: fields.next()?.parse().ok()?,
                mtime_nsec: fields.next()?.parse().ok()?,
            };
            index.folders.insert(fields.next()?.to_string(), stamp);
            continue;
        }
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
        index.files.insert(path.to_string(), entry);
    }
    Some(index)
}

/// Writes `files` and `folders` as the index at `path` (temp file and
/// rename, so a reader never sees half of it; no fsync: losing it only
/// costs time). Folder stamps are written only when every file is listed.
pub fn write(
    path: &Path,
    files: &[(String, Entry)],
    folders: &[(String, Stamp)],
    every_file_listed: bool,
) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::with_capacity((files.len() + folders.len()) * 120 + HEADER.len() + 1);
    text.push_str(HEADER);
    text.push('\n');
    let unwritable = |p: &str| p.contains(['\n', '\r']);
    // A path with a line break cannot be written in this format; leaving it
    // out only means it is compared by reading next time, and its folder is
    // listed when pruning (so no folder stamps at all, then).
    let complete = every_file_listed && !files.iter().any(|(p, _)| unwritable(p));
    if complete {
        for (relative, stamp) in folders {
            if !unwritable(relative) {
                let _ = writeln!(
                    text,
                    "dir {} {} {} {relative}",
                    stamp.ino, stamp.mtime_sec, stamp.mtime_nsec
                );
            }
        }
    }
    for (relative, e) in files {
        if unwritable(relative) {
            continue;
        }
        for byte in e.hash {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 15)]));
        }
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
    let mut temp = super::temp_file_in(folder)?;
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
        let stamp = Stamp {
            ino: 7,
            mtime_sec: 1,
            mtime_nsec: 2,
        };
        let folders = vec![("".to_string(), stamp), ("a b".to_string(), stamp)];
        let good = vec![("a b/index.html".to_string(), entry)];
        write(&path, &good, &folders, true).expect("write");
        let index = read(&path);
        assert_eq!(index.files.get("a b/index.html"), Some(&entry));
        assert_eq!(index.folders.get("a b"), Some(&stamp));
        assert_eq!(index.folders.get(""), Some(&stamp));

        let mut entries = good.clone();
        entries.push(("bad\nname".to_string(), entry));
        write(&path, &entries, &folders, true).expect("write");
        let index = read(&path);
        assert_eq!(
            index.files.len(),
            1,
            "the path with a line break is left out"
        );
        assert!(index.folders.is_empty(), "so no folder can be trusted");
        write(&path, &good, &folders, false).expect("write");
        assert!(read(&path).folders.is_empty());

        fs::write(&path, "something else\n").expect("overwrite");
        assert_eq!(read(&path), Index::default());
        fs::write(&path, format!("{HEADER}\nnot-hex 1 2 3 4 x\n")).expect("overwrite");
        assert_eq!(
            read(&path),
            Index::default(),
            "a damaged index is ignored whole"
        );
        assert_eq!(read(&temp.path().join("missing")), Index::default());
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
