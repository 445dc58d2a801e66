//! Durable file writes: write a temp file in the same directory, fsync it,
//! rename (or hard-link, to claim a name exactly once) into place, and fsync
//! the directory so the new name survives a crash too. On Linux a new file
//! is written unnamed (`O_TMPFILE`), fsynced and then linked to its name,
//! so no temp name is created and removed in the directory at all.
//!
//! The directory fsync is the step many writers can share: one fsync of a
//! directory makes every name created in it *before* that fsync started
//! durable. [`GroupSync`] is that sharing (group commit, as in a database's
//! write-ahead log): writers that create names while a directory sync is in
//! progress wait for the next one, which one of them runs for all. A file's
//! own data cannot be shared that way (an fsync covers one file), so every
//! file is still fsynced by its writer; concurrent file fsyncs are batched
//! by the file system's journal.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Atomically replaces `path` with `bytes`.
pub fn write_replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    let res = fs::rename(&tmp, path);
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res?;
    sync_dir(path)
}

/// Atomically creates `path` with `bytes`; fails with `AlreadyExists` if it
/// exists (the link is the atomic "first writer wins"). The file is
/// complete whenever the name exists (its data is fsynced before the name
/// appears), but the *name* is durable only once the directory is synced:
/// through a [`GroupSync`] of `path`'s directory, shared with other writers.
///
/// On Linux the file is written without a name (`O_TMPFILE`), fsynced, and
/// then linked to `path` (`linkat` of `/proc/self/fd/N`): one directory
/// entry made, none made and removed for a temp name. Where the file system
/// or kernel has no unnamed files, or `/proc` is missing, and on other
/// systems, a named temp file is written, fsynced, hard-linked and removed.
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    if let Some(done) = unnamed::create_new(path, bytes) {
        return done;
    }
    create_new_named(path, bytes)
}

/// [`create_new`] through a named temp file (the portable way).
fn create_new_named(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    let res = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    res
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::fs::File;
    use std::io::{self, Write};
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;

    /// Writes `bytes` to an unnamed file in `path`'s directory, fsyncs it
    /// and links it to `path`. `None` if unnamed files cannot be used here
    /// (the caller falls back to a named temp file); nothing is left behind
    /// either way: an unnamed file that is never linked vanishes with its
    /// descriptor.
    pub(super) fn create_new(path: &Path, bytes: &[u8]) -> Option<io::Result<()>> {
        let dir = match path.parent() {
            Some(d) if d.as_os_str().is_empty() => Path::new("."),
            Some(d) => d,
            None => return Some(Err(io::Error::other("path has no parent directory"))),
        };
        // Outbox records hold visitors' messages: readable by the owner only.
        let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(CWD, dir, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            // No unnamed files on this file system (or an old kernel that
            // takes the flag for O_DIRECTORY).
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return None,
            Err(e) => return Some(Err(e.into())),
        };
        let mut file = File::from(fd);
        if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
            return Some(Err(e));
        }
        let handle = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rustix::fs::linkat(CWD, handle.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => Some(Ok(())),
            // No /proc to name the descriptor by: the portable way.
            Err(Errno::NOENT) if !Path::new("/proc/self/fd").is_dir() => None,
            Err(e) => Some(Err(e.into())),
        }
    }
}

/// Atomically creates `path` holding a short text `value` (a reference and a
/// time); `AlreadyExists` if it exists. On Unix it is a symbolic link whose
/// target is the text: created in one step, complete whenever the name
/// exists, and with no data of its own to fsync (a short link's text lives
/// in its inode), so a sync of the directory alone makes it durable.
/// Elsewhere it is a file written with [`create_new`]. Read it with
/// [`read_value`].
pub fn create_value(path: &Path, value: &str) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(value, path)
    }
    #[cfg(not(unix))]
    {
        create_new(path, value.as_bytes())
    }
}

/// The text stored by [`create_value`]: a link's target, or, where
/// `create_value` writes a plain file (off Unix), its content.
pub fn read_value(path: &Path) -> io::Result<String> {
    match fs::read_link(path) {
        Ok(target) => Ok(target.to_string_lossy().into_owned()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(e),
        // Not a link: a plain file.
        Err(_) => fs::read_to_string(path),
    }
}

/// Runs blocking file work (writes, fsyncs, a wait for a [`GroupSync`]) off
/// the async workers: on tokio's blocking pool when there is a runtime, in
/// place otherwise.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> io::Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(work).await.map_err(io::Error::other),
        Err(_) => Ok(work()),
    }
}

/// Moves a file to another name in the same file system, durably.
pub fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    sync_dir(to)?;
    sync_dir(from)
}

fn write_temp(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("path has no parent directory"))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut rnd = [0u8; 6];
    getrandom::fill(&mut rnd).map_err(|e| io::Error::other(e.to_string()))?;
    let suffix = crate::hex::hex(&rnd);
    let tmp = dir.join(format!(".{name}.{suffix}.tmp"));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Outbox records hold visitors' messages: readable by the owner only.
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    let res = f.write_all(bytes).and_then(|()| f.sync_all());
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res.map(|()| tmp)
}

fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => fsync_dir(dir),
        None => Ok(()),
    }
}

fn fsync_dir(dir: &Path) -> io::Result<()> {
    // Directories can be opened and fsynced on Unix; elsewhere this is a no-op.
    if cfg!(unix) {
        File::open(dir)?.sync_all()
    } else {
        Ok(())
    }
}

/// Group commit of directory fsyncs.
///
/// [`GroupSync::sync`] returns once an fsync of every directory in the set
/// has *started after the call* and completed, so every name created in
/// those directories before the call is durable. Callers arriving while a
/// sync runs wait and share the next one; the first of them to find no sync
/// running runs it (the leader), for everyone waiting. There is no thread of
/// its own: alone (Lambda answers one request at a time) a caller is its own
/// leader at once, which is exactly a plain fsync, with no added latency.
///
/// `sync` blocks; call it from a blocking context (`spawn_blocking`).
#[derive(Debug)]
pub struct GroupSync {
    dirs: Vec<PathBuf>,
    state: Mutex<SyncState>,
    done: Condvar,
    /// Syncs run so far (each syncs every directory once), for tests and logs.
    runs: AtomicU64,
    /// Called by the leader before it fsyncs: tests hold a sync open, or fail it.
    #[cfg(test)]
    hook: Option<TestHook>,
}

#[cfg(test)]
pub(crate) struct TestHook(pub Box<dyn Fn() -> io::Result<()> + Send + Sync>);

#[cfg(test)]
impl std::fmt::Debug for TestHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestHook")
    }
}

#[derive(Debug, Default)]
struct SyncState {
    /// Number of the last sync started (syncs are numbered 1, 2, ...).
    started: u64,
    /// Number of the last sync finished; syncs finish in order (one runs at a time).
    finished: u64,
    running: bool,
    /// Callers waiting for a sync to end.
    waiting: usize,
    /// The last sync that failed, and why. A caller whose sync (or a later
    /// one) failed gets the error: after a failed fsync, a later successful
    /// one does not prove the earlier writes reached the disk.
    failed: Option<(u64, io::ErrorKind, String)>,
}

impl GroupSync {
    /// A group commit over `dirs` (each fsynced once per sync, in order).
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        Self {
            dirs,
            state: Mutex::new(SyncState::default()),
            done: Condvar::new(),
            runs: AtomicU64::new(0),
            #[cfg(test)]
            hook: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn with_hook(dirs: Vec<PathBuf>, hook: TestHook) -> Self {
        Self {
            hook: Some(hook),
            ..Self::new(dirs)
        }
    }

    /// How many syncs have run.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Makes every name created in the directories before this call durable.
    pub fn sync(&self) -> io::Result<()> {
        let mut state = self.lock();
        // A sync already running may have started before our write: we need
        // the next one.
        let need = state.started + 1;
        loop {
            if state.finished >= need {
                return match &state.failed {
                    Some((n, kind, why)) if *n >= need => Err(io::Error::new(
                        *kind,
                        format!("directory sync failed: {why}"),
                    )),
                    _ => Ok(()),
                };
            }
            if state.running {
                state.waiting += 1;
                state = self.done.wait(state).unwrap_or_else(|p| p.into_inner());
                state.waiting -= 1;
                continue;
            }
            // Lead: this sync starts now, after every waiter's write.
            state.running = true;
            state.started += 1;
            let number = state.started;
            drop(state);
            let result = self.before_sync().and_then(|()| {
                self.runs.fetch_add(1, Ordering::Relaxed);
                self.dirs.iter().try_for_each(|d| fsync_dir(d))
            });
            state = self.lock();
            state.running = false;
            state.finished = number;
            if let Err(e) = result {
                state.failed = Some((number, e.kind(), e.to_string()));
            }
            self.done.notify_all();
        }
    }

    #[cfg(test)]
    fn before_sync(&self) -> io::Result<()> {
        self.hook.as_ref().map_or(Ok(()), |h| (h.0)())
    }

    #[cfg(not(test))]
    fn before_sync(&self) -> io::Result<()> {
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, SyncState> {
        // The state stays consistent across a panic (plain counters).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
pub(crate) mod tests;
