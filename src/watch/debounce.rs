//! Turning a stream of raw file events into one "rebuild" per burst.
//!
//! A save is rarely one event (vim alone makes five or six; `git checkout`
//! makes hundreds), so a batch is closed only once no relevant event has
//! arrived for the quiet period. A stream that never goes quiet (a tool
//! writing constantly) still gets a build every `max_wait`. Events that
//! arrive while the caller builds wait in the channel and become exactly one
//! further batch, so builds never overlap and never fall behind.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::WatchError;
use super::filter::{counts_as_change, describe, input_path};

/// What the watcher's backend sends, plus the stop request.
#[derive(Debug)]
pub(crate) enum Signal {
    Event(notify::Result<notify::Event>),
    Stop,
}

/// One batch of changes: what to rebuild for.
#[derive(Debug, Default)]
pub struct Changes {
    /// Site-relative paths of the inputs that changed.
    pub paths: BTreeSet<PathBuf>,
    /// The backend lost track (an event queue overflowed): assume anything changed.
    pub rescan: bool,
    /// Problems the backend reported meanwhile (e.g. the watch limit reached
    /// for a new folder). Worth printing; not a reason to stop.
    pub warnings: Vec<WatchError>,
}

impl Changes {
    /// Whether the site must be rebuilt (a batch may carry only warnings).
    pub fn needs_rebuild(&self) -> bool {
        self.rescan || !self.paths.is_empty()
    }

    /// "content/site.toml" or "12 files", for the one line each rebuild prints.
    pub fn describe(&self) -> String {
        describe(&self.paths, self.rescan)
    }
}

pub(crate) struct Debouncer {
    pub rx: Receiver<Signal>,
    pub root: PathBuf,
    pub ignored: Vec<PathBuf>,
    pub quiet: Duration,
    pub max_wait: Duration,
}

impl Debouncer {
    /// Blocks until a burst of changes has settled, and returns it; `None`
    /// once stopped (or the backend is gone).
    pub fn next_batch(&self) -> Option<Changes> {
        let mut changes = Changes::default();
        let mut first: Option<Instant> = None;
        let mut deadline: Option<Instant> = None;
        loop {
            let signal = match deadline {
                None => self.rx.recv().ok()?,
                Some(deadline) => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    match self.rx.recv_timeout(wait) {
                        Ok(signal) => signal,
                        Err(RecvTimeoutError::Timeout) => return Some(changes),
                        Err(RecvTimeoutError::Disconnected) => return None,
                    }
                }
            };
            match signal {
                Signal::Stop => return None,
                Signal::Event(Err(error)) => {
                    changes
                        .warnings
                        .push(WatchError::from_notify(&self.root, error));
                    if deadline.is_none() {
                        // Nothing to build for: report the warning at once.
                        return Some(changes);
                    }
                }
                Signal::Event(Ok(event)) => {
                    if self.absorb(&mut changes, event) {
                        let now = Instant::now();
                        let first = *first.get_or_insert(now);
                        deadline = Some((now + self.quiet).min(first + self.max_wait));
                    }
                }
            }
        }
    }

    /// Adds the event's relevant paths to `changes`; true when there were any.
    fn absorb(&self, changes: &mut Changes, event: notify::Event) -> bool {
        if event.need_rescan() {
            changes.rescan = true;
            return true;
        }
        if !counts_as_change(&event.kind) {
            return false;
        }
        let mut relevant = false;
        for path in &event.paths {
            if let Some(relative) = input_path(&self.root, path, &self.ignored) {
                changes.paths.insert(relative);
                relevant = true;
            }
        }
        relevant
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, Flag, ModifyKind};
    use notify::{Event, EventKind};
    use std::sync::mpsc::{Sender, channel};

    fn debouncer(quiet_ms: u64, max_wait_ms: u64) -> (Sender<Signal>, Debouncer) {
        let (tx, rx) = channel();
        let debouncer = Debouncer {
            rx,
            root: PathBuf::from("/site"),
            ignored: vec![PathBuf::from("public")],
            quiet: Duration::from_millis(quiet_ms),
            max_wait: Duration::from_millis(max_wait_ms),
        };
        (tx, debouncer)
    }

    fn event(kind: EventKind, path: &str) -> Signal {
        Signal::Event(Ok(
            Event::new(kind).add_path(PathBuf::from("/site").join(path))
        ))
    }

    fn modify(path: &str) -> Signal {
        event(EventKind::Modify(ModifyKind::Any), path)
    }

    #[test]
    fn a_burst_becomes_one_batch() {
        let (tx, debouncer) = debouncer(50, 10_000);
        tx.send(event(
            EventKind::Create(CreateKind::File),
            "content/departments/4913",
        ))
        .expect("send");
        tx.send(modify("content/departments/.help.toml.swp"))
            .expect("send");
        tx.send(modify("content/departments/help.toml"))
            .expect("send");
        tx.send(modify("content/site.toml")).expect("send");
        tx.send(modify("public/index.html")).expect("send");
        let changes = debouncer.next_batch().expect("a batch");
        assert_eq!(changes.describe(), "2 files");
        assert!(changes.needs_rebuild());
    }

    #[test]
    fn reads_and_ignored_paths_alone_never_close_a_batch() {
        let (tx, debouncer) = debouncer(20, 10_000);
        tx.send(event(
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            "content/site.toml",
        ))
        .expect("send");
        tx.send(modify(".switchboard/routing.json")).expect("send");
        tx.send(modify("content/site.toml")).expect("send");
        let changes = debouncer.next_batch().expect("a batch");
        assert_eq!(changes.describe(), "content/site.toml");
    }

    #[test]
    fn events_during_a_build_make_exactly_one_more_batch() {
        let (tx, debouncer) = debouncer(20, 10_000);
        tx.send(modify("content/a.toml")).expect("send");
        assert_eq!(
            debouncer.next_batch().expect("first").describe(),
            "content/a.toml"
        );
        // The caller is "building" now; three saves arrive meanwhile.
        for name in ["b", "c", "d"] {
            tx.send(modify(&format!("content/{name}.toml")))
                .expect("send");
        }
        assert_eq!(
            debouncer.next_batch().expect("second").describe(),
            "3 files"
        );
        tx.send(Signal::Stop).expect("send");
        assert!(
            debouncer.next_batch().is_none(),
            "nothing left but the stop"
        );
    }

    #[test]
    fn a_stream_that_never_settles_still_builds_after_max_wait() {
        let (tx, debouncer) = debouncer(200, 300);
        let writer = std::thread::spawn(move || {
            for i in 0..80 {
                if tx.send(modify(&format!("content/{i}.toml"))).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        });
        let started = Instant::now();
        let changes = debouncer.next_batch().expect("a batch");
        assert!(changes.needs_rebuild());
        // Generous bound: the point is that it did not wait for the writer to finish.
        assert!(
            started.elapsed() < Duration::from_millis(950),
            "{:?}",
            started.elapsed()
        );
        drop(debouncer);
        writer.join().expect("writer");
    }

    #[test]
    fn rescan_and_stop() {
        let (tx, debouncer) = debouncer(10, 1_000);
        tx.send(Signal::Event(Ok(
            Event::new(EventKind::Other).set_flag(Flag::Rescan)
        )))
        .expect("send");
        let changes = debouncer.next_batch().expect("a batch");
        assert!(changes.rescan && changes.needs_rebuild());
        tx.send(Signal::Stop).expect("send");
        assert!(debouncer.next_batch().is_none());
    }

    #[test]
    fn a_backend_error_alone_is_reported_without_a_rebuild() {
        let (tx, debouncer) = debouncer(10, 1_000);
        tx.send(Signal::Event(Err(notify::Error::new(
            notify::ErrorKind::MaxFilesWatch,
        ))))
        .expect("send");
        let changes = debouncer.next_batch().expect("a batch");
        assert!(!changes.needs_rebuild());
        assert_eq!(changes.warnings.len(), 1);
        assert!(changes.warnings[0].to_string().contains("max_user_watches"));
    }
}
