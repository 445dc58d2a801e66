//! Watching a site for changes, for `switchboard watch` and `serve`.
//!
//! Folders are watched, never single files: editors replace files by rename
//! or delete-and-create, which silently ends a watch on the old file. The
//! site root is watched on its own (not recursively), only so that an input
//! folder created later (`templates/`, say) is noticed and watched too; each
//! input folder (`content/`, `templates/`, `static/`, `themes/`, `i18n/`) is watched
//! recursively. The root is never watched recursively, so `target/`, `.git/`
//! and the output folder cost no watches and cause no events.
//!
//! [`Watcher::next_batch`] blocks until a burst of changes has settled
//! ([`debounce`]); the caller rebuilds, then asks again. Rules for what
//! counts are in [`filter`].

mod debounce;
pub mod filter;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

pub use debounce::Changes;
use debounce::{Debouncer, Signal};
use filter::{INPUT_DIRS, touches_input_root};

/// The default quiet period before a rebuild.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);
/// How often `--poll` looks at the files.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Wait this long after the last change before rebuilding.
    pub debounce: Duration,
    /// Look for changes by polling instead of OS events (network drives, WSL
    /// mounts, some containers deliver no events).
    pub poll: bool,
    /// Site-relative folders to ignore besides the built-in ones (the output
    /// folder, should it live inside an input folder).
    pub ignored: Vec<PathBuf>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            debounce: DEFAULT_DEBOUNCE,
            poll: false,
            ignored: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The one error an editor can fix themselves, so it says how.
    #[error(
        "the system's limit on watched folders is reached{}. Raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (and `sudo sysctl fs.inotify.max_user_instances=512`; add both to /etc/sysctl.conf to keep them), or run with --poll to look for changes by polling instead",
        at_path(.path)
    )]
    Limit { path: Option<PathBuf> },
    #[error("cannot watch {}: {message}", .path.as_deref().map_or("the site".into(), |p| p.display().to_string()))]
    Other {
        path: Option<PathBuf>,
        message: String,
    },
}

fn at_path(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" (while watching {})", p.display()))
        .unwrap_or_default()
}

impl WatchError {
    fn from_notify(root: &Path, error: notify::Error) -> Self {
        let path = error.paths.first().cloned().or_else(|| Some(root.into()));
        let too_many = match &error.kind {
            notify::ErrorKind::MaxFilesWatch => true,
            // inotify_init fails with EMFILE when max_user_instances is reached.
            notify::ErrorKind::Io(io) => io.raw_os_error() == Some(24) && cfg!(target_os = "linux"),
            _ => false,
        };
        if too_many {
            WatchError::Limit { path }
        } else {
            WatchError::Other {
                path,
                message: error.to_string(),
            }
        }
    }
}

/// Watches one site; see the module docs.
pub struct Watcher {
    backend: Box<dyn notify::Watcher + Send>,
    debouncer: Debouncer,
    stop: Sender<Signal>,
    root: PathBuf,
    watched: BTreeSet<PathBuf>,
}

/// Ends a [`Watcher::next_batch`] that is waiting, from any thread (e.g. on Ctrl-C).
#[derive(Debug, Clone)]
pub struct StopHandle(Sender<Signal>);

impl StopHandle {
    pub fn stop(&self) {
        // A closed channel means the watcher is already gone: nothing to stop.
        let _ = self.0.send(Signal::Stop);
    }
}

impl Watcher {
    /// Starts watching the site at `root` (made absolute, so event paths match).
    pub fn new(root: &Path, options: &WatchOptions) -> Result<Self, WatchError> {
        let root = std::fs::canonicalize(root).map_err(|e| WatchError::Other {
            path: Some(root.to_path_buf()),
            message: e.to_string(),
        })?;
        let (tx, rx) = channel();
        let handler_tx = tx.clone();
        let handler = move |event| {
            let _ = handler_tx.send(Signal::Event(event));
        };
        let backend: Box<dyn notify::Watcher + Send> = if options.poll {
            // notify's poller keeps modification times in whole seconds, so a
            // second save within the same second would go unseen; comparing
            // contents too costs a read of every watched file per poll, which
            // an editor who needs polling will take over a missed save.
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Box::new(
                PollWatcher::new(handler, config).map_err(|e| WatchError::from_notify(&root, e))?,
            )
        } else {
            Box::new(
                RecommendedWatcher::new(handler, notify::Config::default())
                    .map_err(|e| WatchError::from_notify(&root, e))?,
            )
        };
        let debouncer = Debouncer {
            rx,
            root: root.clone(),
            ignored: options.ignored.clone(),
            quiet: options.debounce,
            // A stream of events that never settles still rebuilds this often.
            max_wait: (options.debounce * 10).max(Duration::from_secs(2)),
        };
        let mut watcher = Self {
            backend,
            debouncer,
            stop: tx,
            root,
            watched: BTreeSet::new(),
        };
        watcher
            .backend
            .watch(&watcher.root, RecursiveMode::NonRecursive)
            .map_err(|e| WatchError::from_notify(&watcher.root, e))?;
        watcher.sync_watches(true)?;
        Ok(watcher)
    }

    /// The site root, absolute.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop.clone())
    }

    /// Blocks until a burst of changes has settled; `None` once stopped.
    pub fn next_batch(&mut self) -> Option<Changes> {
        let mut changes = self.debouncer.next_batch()?;
        let refresh = changes.rescan || changes.paths.iter().any(|p| touches_input_root(p));
        if refresh {
            if let Err(error) = self.sync_watches(changes.rescan) {
                changes.warnings.push(error);
            }
        }
        Some(changes)
    }

    /// Watches every input folder that exists now. With `renew`, folders
    /// already watched are watched afresh (one may have been deleted and
    /// re-created, which ends the OS's watch on it).
    fn sync_watches(&mut self, renew: bool) -> Result<(), WatchError> {
        for name in INPUT_DIRS {
            let dir = self.root.join(name);
            let known = self.watched.contains(&dir);
            if !dir.is_dir() {
                if known {
                    let _ = self.backend.unwatch(&dir);
                    self.watched.remove(&dir);
                }
                continue;
            }
            if known && !renew {
                continue;
            }
            if known {
                let _ = self.backend.unwatch(&dir);
            }
            self.backend
                .watch(&dir, RecursiveMode::Recursive)
                .map_err(|e| WatchError::from_notify(&self.root, e))?;
            self.watched.insert(dir);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_error_says_how_to_fix_it() {
        let error = WatchError::from_notify(
            Path::new("/site"),
            notify::Error::new(notify::ErrorKind::MaxFilesWatch).add_path("/site/content".into()),
        );
        let text = error.to_string();
        assert!(text.contains("fs.inotify.max_user_watches="), "{text}");
        assert!(text.contains("--poll"), "{text}");
        assert!(text.contains("/site/content"), "{text}");
    }

    #[test]
    fn sees_a_save_by_rename_in_a_real_folder() {
        let site = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(site.path().join("content")).expect("mkdir");
        std::fs::write(site.path().join("content/site.toml"), "a").expect("write");
        let mut watcher = Watcher::new(
            site.path(),
            &WatchOptions {
                debounce: Duration::from_millis(50),
                ..WatchOptions::default()
            },
        )
        .expect("watch");
        let temp = site.path().join("content/site.toml.tmp");
        std::fs::write(&temp, "b").expect("write temp");
        std::fs::rename(&temp, site.path().join("content/site.toml")).expect("rename");
        let changes = watcher.next_batch().expect("changes");
        assert_eq!(changes.describe(), "content/site.toml");
        // A folder created after start is picked up and watched.
        std::fs::create_dir(site.path().join("templates")).expect("mkdir");
        let changes = watcher.next_batch().expect("changes");
        assert_eq!(changes.describe(), "templates");
        std::fs::write(site.path().join("templates/base.html"), "x").expect("write");
        let changes = watcher.next_batch().expect("changes");
        assert_eq!(changes.describe(), "templates/base.html");
        watcher.stop_handle().stop();
        assert!(watcher.next_batch().is_none());
    }
}
