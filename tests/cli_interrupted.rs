//! `switchboard build` interrupted (Ctrl-C/SIGTERM, `kill -9`) through the
//! real binary: nothing of it stays behind, and the previous `public/` is
//! untouched. A large synthetic site (`benches/synth-org.py`) keeps the build
//! running long enough to be interrupted while it writes.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A PID no process has: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("run true");
    let pid = child.id();
    child.wait().expect("wait for true");
    pid
}

/// Names in `dir` starting with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// A site of 1,000 departments (thousands of files) with a previous
/// `public/` of its own (hand-made: only its survival matters).
fn big_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/synth-org.py");
    let status = Command::new("python3")
        .arg(script)
        .args(["--departments", "1000", "--contacts", "10", "--seed", "1"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .status()
        .expect("run benches/synth-org.py");
    assert!(status.success());
    let public = dir.path().join("public");
    fs::create_dir_all(public.join("departments/old")).unwrap();
    fs::write(public.join("index.html"), "the previous site").unwrap();
    fs::write(public.join("departments/old/index.html"), "an old page").unwrap();
    dir
}

fn start_build(root: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("build")
        .current_dir(root)
        .env_remove("SWITCHBOARD_FORM_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard build")
}

/// Waits until the build's staging folder holds its first files: the build
/// is writing the new site.
fn wait_until_writing(root: &Path, child: &mut Child) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(name) = named(root, ".public.new-").first() {
            let staging = root.join(name);
            if fs::read_dir(&staging).is_ok_and(|mut rd| rd.next().is_some()) {
                return staging;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the build ended ({status}) before it could be interrupted");
        }
        assert!(Instant::now() < deadline, "no staging folder appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[test]
fn the_next_build_removes_what_a_killed_build_left_and_nothing_else() {
    let site = site_with(None);
    let root = site.path();
    assert!(switchboard(root, &["build"]).status.success());
    let dead = dead_pid();
    let stale_staging = root.join(format!(".public.new-{dead}-Ab12Cd"));
    fs::create_dir_all(stale_staging.join("departments/sales")).unwrap();
    fs::write(stale_staging.join("departments/sales/index.html"), "half").unwrap();
    let stale_temp = root.join(format!(".switchboard/.tmp-{dead}-Xy34Zw"));
    fs::write(&stale_temp, "half a manifest").unwrap();
    // Not a dead build's: a live process's (this test's), another naming,
    // the editor's own files.
    let live = std::process::id();
    let kept = [
        format!(".public.new-{live}-Ab12Cd/index.html"),
        format!(".switchboard/.tmp-{live}-Xy34Zw"),
        ".public.new-drafts/notes.txt".to_string(),
        ".switchboard/notes.txt".to_string(),
        ".tmp-notes".to_string(),
        format!(".tmp-{dead}-Xy34Zw"),
        format!(".other.new-{dead}-Ab12Cd/index.html"),
        "notes/.tmp-1-abcdef".to_string(),
    ];
    for path in &kept {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "keep me").unwrap();
    }

    let output = switchboard(root, &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stale_staging.exists(), "stale staging folder left");
    assert!(!stale_temp.exists(), "stale temp file left");
    for path in &kept {
        assert_eq!(
            fs::read_to_string(root.join(path)).ok().as_deref(),
            Some("keep me"),
            "{path}"
        );
    }
    assert!(root.join("public/departments/sales/index.html").is_file());
}

#[test]
fn sigterm_mid_build_leaves_no_staging_folder_and_the_previous_site() {
    let site = big_site();
    let root = site.path();
    let before = snapshot_tree(&root.join("public"));
    let mut child = start_build(root);
    let staging = wait_until_writing(root, &mut child);
    send("-TERM", child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Stopped: nothing was written"),
        "{}",
        stderr(&output)
    );
    assert!(!staging.exists(), "{} left", staging.display());
    assert_eq!(named(root, ".public."), Vec::<String>::new());
    assert_eq!(
        named(&root.join(".switchboard"), ".tmp"),
        Vec::<String>::new()
    );
    assert_eq!(snapshot_tree(&root.join("public")), before);
}

#[test]
fn after_kill_9_mid_build_the_next_build_cleans_up() {
    let site = big_site();
    let root = site.path();
    let before = snapshot_tree(&root.join("public"));
    let mut child = start_build(root);
    let staging = wait_until_writing(root, &mut child);
    child.kill().unwrap(); // SIGKILL: nothing of the build runs after it
    child.wait().unwrap();
    assert!(staging.exists(), "a killed build leaves its staging folder");
    assert_eq!(snapshot_tree(&root.join("public")), before);

    // The next build (of a small site, to be quick) removes it.
    fs::remove_dir_all(root.join("content")).unwrap();
    copy_tree(&fixtures().join("base"), root);
    let output = switchboard(root, &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!staging.exists(), "{} left", staging.display());
    assert_eq!(named(root, ".public."), Vec::<String>::new());
    assert_eq!(
        named(&root.join(".switchboard"), ".tmp"),
        Vec::<String>::new()
    );
    assert!(root.join("public/departments/sales/index.html").is_file());
}
