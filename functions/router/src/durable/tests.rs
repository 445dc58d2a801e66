//! Group sync, durable creation and the stored values, with failures injected.
use super::*;
use std::sync::Arc;
use std::sync::mpsc;

#[test]
fn replace_new_and_move() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.json");
    write_replace(&p, b"1").unwrap();
    write_replace(&p, b"2").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"2");
    assert_eq!(
        create_new(&p, b"4").unwrap_err().kind(),
        io::ErrorKind::AlreadyExists
    );
    assert_eq!(fs::read(&p).unwrap(), b"2");
    let q = d.path().join("b.json");
    move_file(&p, &q).unwrap();
    assert!(!p.exists() && q.exists());
    // No temp files left behind.
    assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
}

/// Both ways of creating a file: complete content, owner-only, first
/// writer wins, nothing else left in the directory.
#[test]
fn new_files_are_claimed_once_either_way() {
    type Create = fn(&Path, &[u8]) -> io::Result<()>;
    let ways: [(&str, Create); 2] = [("create_new", create_new), ("named", create_new_named)];
    for (way, create) in ways {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("r.json");
        create(&p, b"first").unwrap();
        assert_eq!(
            create(&p, b"second").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists,
            "{way}"
        );
        assert_eq!(fs::read(&p).unwrap(), b"first", "{way}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{way}: {mode:o}");
        }
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["r.json"], "{way}");
        // A missing directory is `NotFound` (the mail directory relies on it).
        let missing = d.path().join("none").join("m.eml");
        assert_eq!(
            create(&missing, b"x").unwrap_err().kind(),
            io::ErrorKind::NotFound,
            "{way}"
        );
    }
}

/// Where the file system has unnamed files (ext4, xfs, btrfs, tmpfs on
/// any kernel since 3.11), `create_new` uses them.
#[cfg(target_os = "linux")]
#[test]
fn unnamed_files_are_linked_into_place() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("u.json");
    // The project's machines keep temp files on ext4 or tmpfs: a `None`
    // here means the fast path silently stopped being taken.
    let done = unnamed::create_new(&p, b"data").unwrap_or_else(|| {
        panic!("no O_TMPFILE in {}", d.path().display());
    });
    done.unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"data");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(fs::metadata(&p).unwrap().nlink(), 1);
    let again = unnamed::create_new(&p, b"other").expect("supported");
    assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(fs::read(&p).unwrap(), b"data");
    assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
}

#[test]
fn a_lone_caller_syncs_at_once() {
    let d = tempfile::tempdir().unwrap();
    let g = GroupSync::new(vec![d.path().to_path_buf()]);
    g.sync().unwrap();
    g.sync().unwrap();
    // One sync per call: nothing is waited for or skipped.
    assert_eq!(g.runs(), 2);
}

/// A group sync whose first run is held open until `release` sends;
/// `entered` receives once the leader is inside it.
pub(crate) fn held(dirs: Vec<PathBuf>) -> (GroupSync, mpsc::Receiver<()>, mpsc::SyncSender<()>) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::sync_channel::<()>(1);
    let first = std::sync::atomic::AtomicBool::new(true);
    let release_rx = Mutex::new(release_rx);
    let hook = TestHook(Box::new(move || {
        if first.swap(false, Ordering::SeqCst) {
            let _ = entered_tx.send(());
            let _ = release_rx.lock().unwrap().recv();
        }
        Ok(())
    }));
    (GroupSync::with_hook(dirs, hook), entered_rx, release_tx)
}

/// Waits until `n` callers are parked waiting for a sync.
pub(crate) fn wait_for_waiters(g: &GroupSync, n: usize) {
    while g.lock().waiting < n {
        std::thread::yield_now();
    }
}

#[test]
fn callers_during_a_sync_share_the_next_one() {
    let d = tempfile::tempdir().unwrap();
    let (g, entered, release) = held(vec![d.path().to_path_buf()]);
    let g = Arc::new(g);
    // The first caller leads a sync and is held inside it...
    let leader = {
        let g = Arc::clone(&g);
        std::thread::spawn(move || g.sync())
    };
    entered.recv().unwrap();
    // ...while eight more arrive: the running sync may have started
    // before their writes, so none of them may return on it.
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let g = Arc::clone(&g);
            std::thread::spawn(move || g.sync())
        })
        .collect();
    wait_for_waiters(&g, 8);
    assert_eq!(g.lock().finished, 0, "nobody returns before a sync ends");
    release.send(()).unwrap();
    leader.join().unwrap().unwrap();
    for w in waiters {
        w.join().unwrap().unwrap();
    }
    // The held sync, then exactly one more for all eight.
    assert_eq!(g.runs(), 2);
}

#[test]
fn a_failed_sync_fails_its_callers() {
    let d = tempfile::tempdir().unwrap();
    let g = GroupSync::new(vec![d.path().join("gone")]);
    assert!(g.sync().is_err());
    fs::create_dir(d.path().join("gone")).unwrap();
    g.sync().unwrap();
}

#[test]
fn values_are_claimed_once_and_read_back() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("k");
    create_value(&p, "AAAA-BBBB 2026-03-02T09:00:00+00:00").unwrap();
    assert_eq!(
        create_value(&p, "CCCC-DDDD x").unwrap_err().kind(),
        io::ErrorKind::AlreadyExists
    );
    assert_eq!(
        read_value(&p).unwrap(),
        "AAAA-BBBB 2026-03-02T09:00:00+00:00"
    );
    // A plain file (what `create_value` writes off Unix) reads the same way.
    let old = d.path().join("old");
    fs::write(&old, "AAAA-BBBB\n2026-03-02T09:00:00+00:00\n").unwrap();
    assert!(read_value(&old).unwrap().starts_with("AAAA-BBBB\n"));
    assert_eq!(
        read_value(&d.path().join("none")).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
}
