//! A new output tree, written file by file while the site renders (from
//! several threads at once), then swapped in whole by [`Staging::commit`].
//! Until then the live folder is untouched; dropping a [`Staging`] without
//! committing removes what it wrote.
//!
//! With a recycle folder (in the site's build-state folder, on the same file
//! system), the tree the previous build replaced is reused as the staging
//! tree: only what changed is touched. Files in it are never written in
//! place, since they may be hard links to the live site's files: a changed
//! file is unlinked and written anew. Whether a file changed is decided from
//! the [`index`](super::index) of what the last build wrote, so an unchanged
//! file costs one `stat`, not a read.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::index::{self, Entry, Index};
use super::safe_relative;

/// An output tree being written beside the live one.
pub struct Staging {
    live: PathBuf,
    parent: PathBuf,
    name: String,
    /// Removes the staging folder if the build never commits.
    folder: tempfile::TempDir,
    recycle: Option<PathBuf>,
    /// Whether the staging folder started as the recycled tree.
    recycled: bool,
    previous: Index,
    produced: Mutex<Produced>,
}

#[derive(Default)]
struct Produced {
    folders: HashSet<PathBuf>,
    files: Vec<(String, Option<Entry>)>,
    bytes: u64,
}

/// What a committed build wrote.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Site-relative paths, sorted.
    pub files: Vec<String>,
    pub bytes: u64,
}

impl Staging {
    /// Starts a tree that will replace `live`, claiming the recycled tree in
    /// `recycle` if there is one.
    pub fn begin(live: &Path, recycle: Option<&Path>) -> io::Result<Self> {
        let parent = match live.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let name = live
            .file_name()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "the output folder has no name")
            })?
            .to_string_lossy()
            .into_owned();
        let folder = tempfile::Builder::new()
            .prefix(&format!(".{name}.new-"))
            .tempdir_in(&parent)?;
        // Claim the recycled tree by renaming it over the (empty) staging
        // folder: atomic, so two builds never share one.
        let recycled = recycle.is_some_and(|r| fs::rename(r, folder.path()).is_ok());
        let previous = recycle.map(index_path).map(|p| index::read(&p));
        Ok(Staging {
            live: live.to_path_buf(),
            parent,
            name,
            folder,
            recycle: recycle.map(Path::to_path_buf),
            recycled,
            previous: previous.unwrap_or_default(),
            produced: Mutex::new(Produced::default()),
        })
    }

    /// Adds the file at `relative` (a `/`-separated site path), given as
    /// pieces to be joined. Safe to call from several threads; each path once.
    pub fn put(&self, relative: &str, pieces: &[&[u8]]) -> io::Result<()> {
        let rel = safe_relative(relative)?;
        let target = self.folder.path().join(rel);
        self.make_parent(rel)?;
        let len: u64 = pieces.iter().map(|p| p.len() as u64).sum();
        let hash = index::hash(pieces);
        let mut staged = if self.recycled {
            fs::symlink_metadata(&target).ok()
        } else {
            None
        };
        let live = self.live.join(rel);
        let same = |e: &&Entry| e.hash == hash && e.len == len;
        let kept = match self.previous.get(relative) {
            Some(entry) => match Some(entry).filter(same) {
                Some(entry) => keep(entry, &live, &target, &mut staged)?,
                None => None,
            },
            // Not in the index (first build with one, or a new file): compare by reading.
            None => match live_if_unchanged(&live, len, pieces).and_then(|m| Entry::of(hash, &m)) {
                Some(entry) => keep(&entry, &live, &target, &mut staged)?,
                None => None,
            },
        };
        let entry = match kept {
            Some(entry) => Some(entry),
            None => {
                if let Some(meta) = staged.take() {
                    remove(&target, &meta)?;
                }
                // `create_new`: never write through a name that may still be
                // a link to a live file.
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)?;
                for piece in pieces {
                    file.write_all(piece)?;
                }
                Entry::of(hash, &file.metadata()?)
            }
        };
        let mut produced = self.lock();
        produced.files.push((relative.to_string(), entry));
        produced.bytes += len;
        Ok(())
    }

    /// Prunes what the new site does not have, swaps the tree in, keeps the
    /// replaced one for the next build and records what was written.
    pub fn commit(self) -> io::Result<Written> {
        let Staging {
            live,
            parent,
            name,
            folder,
            recycle,
            recycled,
            previous: _,
            produced,
        } = self;
        let produced = produced.into_inner().unwrap_or_else(|p| p.into_inner());
        if recycled {
            prune(
                folder.path(),
                produced.files.iter().map(|(p, _)| Path::new(p)),
            )?;
        }
        let staged = folder.keep();
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        let had_old = live.exists();
        if had_old {
            fs::rename(&live, &old)?;
        }
        if let Err(error) = fs::rename(&staged, &live) {
            if had_old {
                // Put the previous site back; the new one stays aside for inspection.
                let _ = fs::rename(&old, &live);
            }
            return Err(error);
        }
        if had_old {
            let kept = recycle.as_deref().is_some_and(|r| {
                r.parent().is_some_and(|p| fs::create_dir_all(p).is_ok())
                    && fs::rename(&old, r).is_ok()
            });
            if !kept {
                fs::remove_dir_all(&old)?;
            }
        }
        let mut files = produced.files;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(recycle) = &recycle {
            let entries: Vec<(String, Entry)> = files
                .iter()
                .filter_map(|(p, e)| e.map(|e| (p.clone(), e)))
                .collect();
            // Only a cache: a build that could not record it is still a good build.
            let _ = index::write(&index_path(recycle), &entries);
        }
        Ok(Written {
            files: files.into_iter().map(|(p, _)| p).collect(),
            bytes: produced.bytes,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Produced> {
        self.produced.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates the folder `rel` goes in (once per folder). A recycled tree
    /// may hold a file where the new site has a folder: that file goes.
    fn make_parent(&self, rel: &Path) -> io::Result<()> {
        let Some(folder) = rel.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        if self.lock().folders.contains(folder) {
            return Ok(());
        }
        let full = self.folder.path().join(folder);
        if let Err(error) = fs::create_dir_all(&full) {
            if !self.recycled {
                return Err(error);
            }
            let mut at = self.folder.path().to_path_buf();
            for part in folder.components() {
                at.push(part);
                match fs::symlink_metadata(&at) {
                    Ok(meta) if !meta.is_dir() => ignore_not_found(fs::remove_file(&at))?,
                    _ => {}
                }
            }
            fs::create_dir_all(&full)?;
        }
        self.lock().folders.insert(folder.to_path_buf());
        Ok(())
    }
}

/// Where the index of the files written next to the recycled tree `recycle` lives.
fn index_path(recycle: &Path) -> PathBuf {
    let mut name = recycle.file_name().unwrap_or_default().to_os_string();
    name.push(".index");
    recycle.with_file_name(name)
}

/// Makes `target` the file `entry` describes, if that is cheap: it already
/// is (an unchanged file of a recycled tree), or the live file still is and
/// can be linked. `None`: the file must be written.
fn keep(
    entry: &Entry,
    live: &Path,
    target: &Path,
    staged: &mut Option<fs::Metadata>,
) -> io::Result<Option<Entry>> {
    if staged.as_ref().is_some_and(|meta| entry.describes(meta)) {
        return Ok(Some(*entry));
    }
    match fs::symlink_metadata(live) {
        Ok(meta) if entry.describes(&meta) => Ok(link(live, target, staged)?.then_some(*entry)),
        _ => Ok(None),
    }
}

/// Links `live` as `target`, replacing what is staged there. An unchanged
/// file is linked rather than written: far cheaper, and its mtime stays, so
/// deploy tools and caches see what really changed.
fn link(live: &Path, target: &Path, staged: &mut Option<fs::Metadata>) -> io::Result<bool> {
    if let Some(meta) = staged.take() {
        remove(target, &meta)?;
    }
    Ok(fs::hard_link(live, target).is_ok())
}

fn remove(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

fn ignore_not_found(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// The metadata of `path` if it is a regular file holding exactly `pieces`.
fn live_if_unchanged(path: &Path, len: u64, pieces: &[&[u8]]) -> Option<fs::Metadata> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() != len {
        return None;
    }
    let mut old = File::open(path).ok()?;
    let mut bytes = Vec::with_capacity(len as usize);
    io::Read::read_to_end(&mut old, &mut bytes).ok()?;
    let mut rest = bytes.as_slice();
    for piece in pieces {
        let (head, tail) = rest.split_at_checked(piece.len())?;
        if head != *piece {
            return None;
        }
        rest = tail;
    }
    rest.is_empty().then_some(meta)
}

/// Removes from a recycled tree at `root` everything the new site does not
/// have: files it does not list and folders that hold none of its files.
fn prune<'a>(root: &Path, files: impl Iterator<Item = &'a Path>) -> io::Result<()> {
    let wanted: HashSet<&Path> = files.collect();
    let mut folders: HashSet<&Path> = HashSet::new();
    for path in &wanted {
        let mut up = path.parent();
        while let Some(folder) = up {
            if folder.as_os_str().is_empty() || !folders.insert(folder) {
                break;
            }
            up = folder.parent();
        }
    }
    let mut walker = walkdir::WalkDir::new(root).min_depth(1).into_iter();
    while let Some(entry) = walker.next() {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        if entry.file_type().is_dir() {
            if !folders.contains(relative) {
                fs::remove_dir_all(entry.path())?;
                walker.skip_current_dir();
            }
        } else if !wanted.contains(relative) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

impl crate::render::FileSink for Staging {
    fn put(&self, path: &str, pieces: &[&[u8]]) -> io::Result<()> {
        Staging::put(self, path, pieces)
    }
}
