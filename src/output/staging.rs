//! A new output tree, written file by file while the site renders (from
//! several threads at once), then swapped in whole by [`Staging::commit`].
//! Until then the live folder is untouched; dropping a [`Staging`] without
//! committing (a failed build) gives a recycled tree back for the next
//! build, or removes what it wrote.
//!
//! With a recycle folder (in the site's build-state folder, on the same file
//! system), the tree the previous build replaced is reused as the staging
//! tree: only what changed is touched. Files in it are never written in
//! place, since they may be hard links to the live site's files: a changed
//! file is unlinked and written anew. Whether a file changed is decided from
//! the [`index`](super::index) of what the last build wrote, so an unchanged
//! file costs one `stat`, not a read; and the recycled tree's own index says
//! which of its folders are still as that build left them, so pruning it
//! lists only the folders that changed.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::index::{self, Entry, Index, Stamp};
use super::safe_relative;

/// An output tree being written beside the live one.
pub struct Staging {
    live: PathBuf,
    parent: PathBuf,
    name: String,
    /// The staging folder, until the build commits.
    folder: Claimed,
    recycle: Option<PathBuf>,
    /// Whether the staging folder started as the recycled tree.
    recycled: bool,
    /// Whether there was a live tree to link unchanged files from. A cold
    /// build into a new folder has none, so it never stats the ~11,000 live
    /// paths that cannot exist.
    live_exists: bool,
    /// What the last build wrote (the live tree).
    previous: Index,
    /// Folders of the recycled tree known to be as its build left them,
    /// with the names in each.
    known: HashMap<PathBuf, Vec<OsString>>,
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
        // The PID in the name tells the next build whether this one still
        // runs, should it be killed (super::leftovers).
        let folder = tempfile::Builder::new()
            .prefix(&super::leftovers::staging_prefix(&name))
            .tempdir_in(&parent)?;
        // Claim the recycled tree by renaming it over the (empty) staging
        // folder: atomic, so two builds never share one.
        let recycled = recycle.is_some_and(|r| fs::rename(r, folder.path()).is_ok());
        let folder = Claimed {
            folder: Some(folder),
            give_back: recycle.filter(|_| recycled).map(Path::to_path_buf),
        };
        let live_exists = fs::symlink_metadata(live).is_ok();
        // With neither a recycled tree nor a live one, no file can be kept
        // and the index of the last build is not needed.
        let previous = recycle
            .filter(|_| recycled || live_exists)
            .map(|r| index::read(&index_path(r)));
        let known = match recycle {
            Some(r) if recycled => known_folders(folder.path(), &index::read(&tree_path(r))),
            _ => HashMap::new(),
        };
        Ok(Staging {
            live: live.to_path_buf(),
            parent,
            name,
            folder,
            recycle: recycle.map(Path::to_path_buf),
            recycled,
            live_exists,
            previous: previous.unwrap_or_default(),
            known,
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
        let kept = if self.recycled || self.live_exists {
            self.keep_if_unchanged(relative, &target, hash, len, pieces, &mut staged)?
        } else {
            None
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
                write_pieces(&mut file, pieces)?;
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
            live_exists: _,
            previous: _,
            known,
            produced,
        } = self;
        let produced = produced.into_inner().unwrap_or_else(|p| p.into_inner());
        let files: HashSet<&Path> = produced.files.iter().map(|(p, _)| Path::new(p)).collect();
        let folders = folders_of(&files);
        if recycled {
            prune(folder.path(), &files, &folders, &known)?;
        }
        let stamps = stamp(folder.path(), &folders);
        drop((files, folders));
        let staged = folder.keep()?;
        let old = parent.join(super::leftovers::old_name(&name));
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
            // The index of the tree just moved to `recycle` goes with it.
            let index = index_path(recycle);
            if fs::rename(&index, tree_path(recycle)).is_err() {
                let _ = fs::remove_file(tree_path(recycle));
            }
            let entries: Vec<(String, Entry)> = files
                .iter()
                .filter_map(|(p, e)| e.map(|e| (p.clone(), e)))
                .collect();
            let complete = entries.len() == files.len() && stamps.is_some();
            let stamps = stamps.unwrap_or_default();
            // Only a cache: a build that could not record it is still a good build.
            let _ = index::write(&index, &entries, &stamps, complete);
        }
        Ok(Written {
            files: files.into_iter().map(|(p, _)| p).collect(),
            bytes: produced.bytes,
        })
    }

    /// The entry of the file at `relative` if the staged or the live one
    /// already holds these bytes and `target` is (now) that file.
    fn keep_if_unchanged(
        &self,
        relative: &str,
        target: &Path,
        hash: index::Hash,
        len: u64,
        pieces: &[&[u8]],
        staged: &mut Option<fs::Metadata>,
    ) -> io::Result<Option<Entry>> {
        let live = self.live_exists.then(|| self.live.join(relative));
        let live = live.as_deref();
        match self.previous.files.get(relative) {
            Some(entry) if entry.hash == hash && entry.len == len => {
                if let Some(kept) = keep(entry, live, target, staged)? {
                    return Ok(Some(kept));
                }
            }
            // The index describes the live file, and it held other bytes.
            Some(entry) if live.is_some_and(|live| describes(entry, live)) => return Ok(None),
            _ => {}
        }
        // The index does not describe the live file: no entry (a new file,
        // the first build with an index), an index of another folder's tree
        // (after a build into another output folder), or a file edited by
        // hand. Comparing by reading is far cheaper than writing it anew,
        // which costs a new inode.
        match live
            .and_then(|live| live_if_unchanged(live, len, pieces))
            .and_then(|m| Entry::of(hash, &m))
        {
            Some(entry) => keep(&entry, live, target, staged),
            None => Ok(None),
        }
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

/// The staging folder of a build in progress. Dropped before the build
/// commits, it is renamed back to the recycle folder if it came from there
/// (so a failed build does not cost the next one its recycled tree: every
/// file in it is still described truthfully by the index), else removed.
struct Claimed {
    folder: Option<tempfile::TempDir>,
    give_back: Option<PathBuf>,
}

impl Claimed {
    fn path(&self) -> &Path {
        self.folder.as_ref().map_or(Path::new(""), |f| f.path())
    }

    /// The folder, no longer removed or given back on drop.
    fn keep(mut self) -> io::Result<PathBuf> {
        self.folder
            .take()
            .map(tempfile::TempDir::keep)
            .ok_or_else(|| io::Error::other("the staging folder was already released"))
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        if let (Some(folder), Some(recycle)) = (&self.folder, &self.give_back) {
            // If the rename fails, the TempDir removes the folder as usual.
            let _ = fs::rename(folder.path(), recycle);
        }
    }
}

/// Where the index of the live tree (the last build's) is kept, beside the
/// recycled tree `recycle`.
fn index_path(recycle: &Path) -> PathBuf {
    beside(recycle, ".index")
}

/// Where the index of the recycled tree itself is kept.
fn tree_path(recycle: &Path) -> PathBuf {
    beside(recycle, ".tree-index")
}

fn beside(recycle: &Path, suffix: &str) -> PathBuf {
    let mut name = recycle.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    recycle.with_file_name(name)
}

/// The folders of the tree at `root` whose stamp in `index` still matches,
/// with the names the index lists in each. The root is never among them:
/// moving the tree may touch it.
fn known_folders(root: &Path, index: &Index) -> HashMap<PathBuf, Vec<OsString>> {
    let mut known: HashMap<PathBuf, Vec<OsString>> = index
        .folders
        .iter()
        .filter(|(relative, _)| !relative.is_empty())
        .filter(|(relative, stamp)| {
            fs::symlink_metadata(root.join(relative))
                .ok()
                .and_then(|meta| Stamp::of(&meta))
                .is_some_and(|now| now == **stamp)
        })
        .map(|(relative, _)| (PathBuf::from(relative), Vec::new()))
        .collect();
    let paths = index
        .files
        .keys()
        .chain(index.folders.keys().filter(|f| !f.is_empty()));
    for path in paths {
        let path = Path::new(path);
        if let (Some(folder), Some(name)) = (path.parent(), path.file_name()) {
            if let Some(names) = known.get_mut(folder) {
                names.push(name.to_os_string());
            }
        }
    }
    known
}

/// Every folder that holds a file of `files`, at any depth, and the root (`""`).
fn folders_of<'a>(files: &HashSet<&'a Path>) -> HashSet<&'a Path> {
    let mut folders: HashSet<&Path> = HashSet::from([Path::new("")]);
    for path in files {
        let mut up = path.parent();
        while let Some(folder) = up {
            if !folders.insert(folder) {
                break;
            }
            up = folder.parent();
        }
    }
    folders
}

/// Stamps of `folders` under `root`; `None` if any cannot be had.
fn stamp(root: &Path, folders: &HashSet<&Path>) -> Option<Vec<(String, Stamp)>> {
    folders
        .iter()
        .map(|folder| {
            let meta = fs::symlink_metadata(root.join(folder)).ok()?;
            Some((folder.to_str()?.to_string(), Stamp::of(&meta)?))
        })
        .collect()
}
/// Makes `target` the file `entry` describes, if that is cheap: it already
/// is (an unchanged file of a recycled tree), or the live file still is and
/// can be linked. `None`: the file must be written.
fn keep(
    entry: &Entry,
    live: Option<&Path>,
    target: &Path,
    staged: &mut Option<fs::Metadata>,
) -> io::Result<Option<Entry>> {
    if staged.as_ref().is_some_and(|meta| entry.describes(meta)) {
        return Ok(Some(*entry));
    }
    let Some(live) = live else {
        return Ok(None);
    };
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

/// Whether `entry` is what the file at `path` holds now.
fn describes(entry: &Entry, path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| entry.describes(&meta))
}

fn remove(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// Writes `pieces` in order with as few `write` calls as the kernel allows
/// (one, for all but the largest files), not one per piece.
fn write_pieces(file: &mut File, pieces: &[&[u8]]) -> io::Result<()> {
    let mut slices: Vec<io::IoSlice<'_>> = pieces
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| io::IoSlice::new(p))
        .collect();
    let mut rest = slices.as_mut_slice();
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
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
/// Folders in `known` are not listed: their names are known already (and
/// any name this build added there is one of `files`).
fn prune(
    root: &Path,
    files: &HashSet<&Path>,
    folders: &HashSet<&Path>,
    known: &HashMap<PathBuf, Vec<OsString>>,
) -> io::Result<()> {
    let mut pending = vec![PathBuf::new()];
    while let Some(folder) = pending.pop() {
        let names = match known.get(&folder) {
            Some(names) => names.clone(),
            None => fs::read_dir(root.join(&folder))?
                .map(|entry| entry.map(|e| e.file_name()))
                .collect::<io::Result<_>>()?,
        };
        for name in names {
            let relative = folder.join(&name);
            if folders.contains(relative.as_path()) {
                pending.push(relative);
            } else if !files.contains(relative.as_path()) {
                let path = root.join(&relative);
                match fs::symlink_metadata(&path) {
                    Ok(meta) => remove(&path, &meta)?,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => return Err(error),
                }
            }
        }
    }
    Ok(())
}

impl crate::render::FileSink for Staging {
    fn put(&self, path: &str, pieces: &[&[u8]]) -> io::Result<()> {
        Staging::put(self, path, pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_written_in_order_in_one_file() {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("f");
        let mut file = File::create(&path).expect("create");
        let long = vec![b'x'; 70_000];
        write_pieces(&mut file, &[b"<a>", b"", &long, b"</a>"]).expect("write");
        let mut want = b"<a>".to_vec();
        want.extend_from_slice(&long);
        want.extend_from_slice(b"</a>");
        assert_eq!(fs::read(&path).expect("read"), want);
    }
}
