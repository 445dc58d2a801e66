//! What an interrupted build leaves behind, and its removal.
//!
//! A build writes its new tree into a staging folder beside the output
//! (`.public.new-PID-XXXXXX`), swaps it in through `.public.old-PID`, and
//! writes its small files (manifest, index, secret) through temp files
//! `.tmp-PID-XXXXXX` beside them in `.switchboard/`. Dropped on an error or
//! a handled Ctrl-C, these go away; a build killed outright (`kill -9`, a
//! power cut, a second Ctrl-C) leaves them, and [`remove`] clears them at the
//! start of the next build.
//!
//! Builds may run at the same time (`watch` beside a manual `build`), so a
//! name's PID tells a live build's folder from a dead one's: only names whose
//! process no longer exists are removed. (A PID reused by another process
//! only keeps the leftover until that process ends: never the wrong way.)
//! Names from before the PID was part of them (`.public.new-XXXXXX`,
//! `.tmpXXXXXX`) are removed once untouched for [`UNOWNED_AGE`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How old a leftover without a PID in its name must be to be removed.
pub const UNOWNED_AGE: Duration = Duration::from_secs(3600);

/// The prefix of this process's staging folders beside an output named `name`.
pub fn staging_prefix(name: &str) -> String {
    format!(".{name}.new-{}-", std::process::id())
}

/// The name the live output is moved to during the swap.
pub fn old_name(name: &str) -> String {
    format!(".{name}.old-{}", std::process::id())
}

/// The prefix of this process's temp files.
pub fn temp_prefix() -> String {
    format!(".tmp-{}-", std::process::id())
}

/// Removes what dead builds left beside `output` (the output folder) and in
/// `state_dir` (`.switchboard/`); returns what it removed or restored. An
/// output folder a killed build had moved aside for the swap (`.public.old-PID`
/// with no `public/`) is put back, not removed.
pub fn remove(output: &Path, state_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut done = vec![];
    if let (Some(parent), Some(name)) = (parent_of(output), output.file_name()) {
        let name = name.to_string_lossy();
        let new = format!(".{name}.new-");
        let old = format!(".{name}.old-");
        for (path, file_name, meta) in entries(&parent)? {
            if !meta.is_dir() {
                continue;
            }
            if let Some(rest) = file_name.strip_prefix(&new) {
                if of_dead_build(rest) || unowned_and_old(rest, &meta) {
                    ignore_not_found(fs::remove_dir_all(&path))?;
                    done.push(path);
                }
            } else if let Some(pid) = file_name.strip_prefix(&old) {
                if pid.parse().is_ok_and(is_dead) {
                    if fs::symlink_metadata(output).is_err() {
                        fs::rename(&path, output)?;
                    } else {
                        ignore_not_found(fs::remove_dir_all(&path))?;
                    }
                    done.push(path);
                }
            }
        }
    }
    for (path, file_name, meta) in entries(state_dir)? {
        if !meta.is_file() {
            continue;
        }
        let abandoned = match file_name.strip_prefix(".tmp-") {
            Some(rest) => of_dead_build(rest),
            None => file_name
                .strip_prefix(".tmp")
                .is_some_and(|rest| unowned_and_old(rest, &meta)),
        };
        if abandoned {
            ignore_not_found(fs::remove_file(&path))?;
            done.push(path);
        }
    }
    Ok(done)
}

/// tempfile's random part of a name: six ASCII letters and digits.
fn is_random(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether the rest of a leftover's name, `PID-XXXXXX`, names a dead build.
fn of_dead_build(rest: &str) -> bool {
    rest.split_once('-')
        .is_some_and(|(pid, tail)| is_random(tail) && pid.parse().is_ok_and(is_dead))
}

/// Whether the rest of a leftover's name is `XXXXXX` (named before PIDs were
/// part of the name) and it has not been touched for [`UNOWNED_AGE`].
fn unowned_and_old(rest: &str, meta: &fs::Metadata) -> bool {
    is_random(rest)
        && meta
            .modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age >= UNOWNED_AGE)
}

/// Whether no process `pid` exists (never this one).
fn is_dead(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // ESRCH: no such process. EPERM: one exists, someone else's.
        matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn parent_of(path: &Path) -> Option<PathBuf> {
    match path.parent() {
        Some(p) if p.as_os_str().is_empty() => Some(PathBuf::from(".")),
        Some(p) => Some(p.to_path_buf()),
        None => None,
    }
}

/// The entries of `dir` (none if it does not exist), not following links.
fn entries(dir: &Path) -> io::Result<Vec<(PathBuf, String, fs::Metadata)>> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let mut out = vec![];
    for entry in read {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.starts_with('.') {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(entry.path()) else {
            continue;
        };
        out.push((entry.path(), name, meta));
    }
    Ok(out)
}

fn ignore_not_found(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PID no process has: a child that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().expect("true");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    }

    #[test]
    fn removes_only_dead_builds_leftovers() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let state = root.join(".switchboard");
        fs::create_dir_all(root.join("public")).unwrap();
        fs::create_dir_all(&state).unwrap();
        let dead = dead_pid();
        let me = std::process::id();
        let made = |p: &str, dir: bool| {
            let path = root.join(p);
            if dir {
                fs::create_dir_all(path.join("x")).unwrap();
            } else {
                fs::write(path, b"x").unwrap();
            }
        };
        made(&format!(".public.new-{dead}-abc123"), true);
        made(&format!(".public.new-{me}-abc123"), true);
        made(".public.new-abc123", true); // old naming, fresh: may be live
        made(".public.new-notes", true); // not a staging name
        made(&format!(".other.new-{dead}-abc123"), true); // another output's
        made(&format!(".public.old-{dead}"), true);
        made(&format!(".switchboard/.tmp-{dead}-abc123"), false);
        made(&format!(".switchboard/.tmp-{me}-abc123"), false);
        made(".switchboard/.tmpabc123", false);
        made(".switchboard/.tmp-notes", false);
        made(".switchboard/form-secret", false);
        made(".switchboard/.tmpold123", false);
        let two_hours_ago = SystemTime::now() - 2 * UNOWNED_AGE;
        fs::File::options()
            .write(true)
            .open(state.join(".tmpold123"))
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();

        let removed = remove(&root.join("public"), &state).unwrap();
        assert_eq!(removed.len(), 4, "{removed:?}");
        assert!(!state.join(".tmpold123").exists());
        assert!(!root.join(format!(".public.new-{dead}-abc123")).exists());
        assert!(!root.join(format!(".public.old-{dead}")).exists());
        assert!(!state.join(format!(".tmp-{dead}-abc123")).exists());
        for kept in [
            format!(".public.new-{me}-abc123"),
            ".public.new-abc123".into(),
            ".public.new-notes".into(),
            format!(".other.new-{dead}-abc123"),
            format!(".switchboard/.tmp-{me}-abc123"),
            ".switchboard/.tmpabc123".into(),
            ".switchboard/.tmp-notes".into(),
            ".switchboard/form-secret".into(),
            "public".into(),
        ] {
            assert!(root.join(&kept).exists(), "{kept}");
        }
    }

    #[test]
    fn a_site_moved_aside_by_a_killed_swap_is_put_back() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let dead = dead_pid();
        let aside = root.join(format!(".public.old-{dead}"));
        fs::create_dir_all(&aside).unwrap();
        fs::write(aside.join("index.html"), b"previous").unwrap();
        remove(&root.join("public"), &root.join(".switchboard")).unwrap();
        assert_eq!(
            fs::read(root.join("public/index.html")).unwrap(),
            b"previous"
        );
        assert!(!aside.exists());
    }
}
