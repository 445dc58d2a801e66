//! Writing a finished build to disk without ever leaving a half-written site:
//! the new site is written beside the old one, then swapped in by rename.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// Writes `files` (site-relative path → bytes) as the folder `dir`, replacing
/// what was there only once every file is written.
pub fn replace_dir(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    replace_dir_recycling(dir, files, None)
}

/// Like [`replace_dir`], recycling a folder tree between builds.
///
/// Building a new tree from nothing and deleting the old one costs a
/// directory and a link per file, twice, every build: on ext4 that is most
/// of a large site's build time. With `recycle` set, the replaced tree is
/// kept there (it should be in the site's build-state folder, on the same
/// file system as `dir`) and the next build stages into it, touching only
/// what changed: files that are already links to the current, identical
/// output stay as they are. Files in the staged tree are never written in
/// place (they may be links to the live site's files): a changed file is
/// unlinked and written anew. Without a usable `recycle` folder, the
/// staging folder starts empty and the old tree is deleted.
pub fn replace_dir_recycling(
    dir: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    recycle: Option<&Path>,
) -> io::Result<()> {
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let name = dir
        .file_name()
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the output folder has no name")
        })?
        .to_string_lossy()
        .into_owned();
    // Every path is checked before anything is written.
    let checked: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(relative, bytes)| Ok((safe_relative(relative)?, bytes.as_slice())))
        .collect::<io::Result<_>>()?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(&parent)?;
    // Claim the recycled tree by renaming it over the (empty) staging folder:
    // atomic, so two builds never share one.
    let recycled = recycle.is_some_and(|r| fs::rename(r, staging.path()).is_ok());
    if recycled {
        prune(staging.path(), &checked)?;
    }
    let mut folders_made = HashSet::new();
    for (relative, bytes) in &checked {
        let path = staging.path().join(relative);
        if let Some(folder) = path.parent() {
            if folders_made.insert(folder.to_path_buf()) {
                fs::create_dir_all(folder)?;
            }
        }
        // An unchanged file is linked from the previous build, not written
        // again: far cheaper than creating a file, and its mtime stays, so
        // deploy tools and caches see what really changed.
        let previous = dir.join(relative);
        let staged = if recycled {
            fs::symlink_metadata(&path).ok()
        } else {
            None
        };
        match previous_if_unchanged(&previous, bytes) {
            Some(previous_meta) => {
                if staged
                    .as_ref()
                    .is_some_and(|s| same_file(s, &previous_meta))
                {
                    continue;
                }
                if staged.is_some() {
                    fs::remove_file(&path)?;
                }
                if fs::hard_link(&previous, &path).is_ok() {
                    continue;
                }
            }
            None => {
                if staged.is_some() {
                    fs::remove_file(&path)?;
                }
            }
        }
        fs::write(&path, bytes)?;
    }
    let staged = staging.keep();
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let had_old = dir.exists();
    if had_old {
        fs::rename(dir, &old)?;
    }
    if let Err(error) = fs::rename(&staged, dir) {
        if had_old {
            // Put the previous site back; the new one stays aside for inspection.
            let _ = fs::rename(&old, dir);
        }
        return Err(error);
    }
    if had_old {
        let kept = recycle.is_some_and(|r| {
            r.parent().is_some_and(|p| fs::create_dir_all(p).is_ok()) && fs::rename(&old, r).is_ok()
        });
        if !kept {
            fs::remove_dir_all(&old)?;
        }
    }
    Ok(())
}

/// Removes from a recycled tree at `root` everything the new site does not
/// have: files it does not list and folders that hold none of its files.
fn prune(root: &Path, files: &[(&Path, &[u8])]) -> io::Result<()> {
    let wanted: HashSet<&Path> = files.iter().map(|(p, _)| *p).collect();
    let mut folders: HashSet<&Path> = HashSet::new();
    for (path, _) in files {
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

/// The metadata of `path` if it is a regular file holding exactly `bytes`.
fn previous_if_unchanged(path: &Path, bytes: &[u8]) -> Option<fs::Metadata> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            fs::read(path).is_ok_and(|old| old == bytes).then_some(meta)
        }
        _ => None,
    }
}

/// Whether two metadata describe the same file (one inode, two names).
#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.is_file() && a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

/// Writes one file atomically: temp file, fsync, rename.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)?;
    let mut temp = tempfile::NamedTempFile::new_in(parent)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Refuses absolute paths and `..`, so a theme or page name cannot write outside the output.
fn safe_relative(relative: &str) -> io::Result<&Path> {
    let path = Path::new(relative);
    if path.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(path)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to write outside the output folder: {relative}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn replaces_the_whole_folder() {
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("public");
        replace_dir(
            &out,
            &files(&[("index.html", "one"), ("old.html", "gone soon")]),
        )
        .expect("first");
        replace_dir(&out, &files(&[("index.html", "two"), ("a/b.txt", "deep")])).expect("second");
        assert_eq!(
            fs::read_to_string(out.join("index.html")).expect("read"),
            "two"
        );
        assert_eq!(
            fs::read_to_string(out.join("a/b.txt")).expect("read"),
            "deep"
        );
        assert!(!out.join("old.html").exists());
        let leftovers: Vec<_> = fs::read_dir(temp.path()).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no staging or old folders left behind");
    }

    #[cfg(unix)]
    #[test]
    fn unchanged_files_are_linked_and_changed_ones_rewritten() {
        use std::os::unix::fs::MetadataExt;
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("public");
        replace_dir(&out, &files(&[("same.html", "same"), ("edit.html", "old")])).expect("first");
        let inode = |name: &str| fs::metadata(out.join(name)).expect("meta").ino();
        let (same_before, edit_before) = (inode("same.html"), inode("edit.html"));
        replace_dir(
            &out,
            &files(&[("same.html", "same"), ("edit.html", "new!")]),
        )
        .expect("second");
        assert_eq!(inode("same.html"), same_before, "unchanged file kept");
        assert_ne!(inode("edit.html"), edit_before, "changed file rewritten");
        assert_eq!(
            fs::read_to_string(out.join("edit.html")).expect("read"),
            "new!"
        );
    }

    #[test]
    fn recycled_trees_never_change_the_live_site() {
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("public");
        let recycle = temp.path().join(".state/recycle");
        let build = |pairs: &[(&str, &str)]| {
            replace_dir_recycling(&out, &files(pairs), Some(&recycle)).expect("build");
        };
        let read = |dir: &Path, name: &str| fs::read_to_string(dir.join(name)).expect("read");
        build(&[("a.html", "1"), ("b/c.html", "deep"), ("gone.html", "x")]);
        assert!(
            !recycle.exists(),
            "nothing to recycle after the first build"
        );
        build(&[("a.html", "1"), ("b/c.html", "deep")]);
        assert!(recycle.is_dir(), "the replaced tree is kept");
        // The recycled tree shares `a.html` with the live site: changing it
        // must write a new file, never the shared one.
        build(&[("a.html", "2"), ("b", "now a file"), ("d/e/f.html", "new")]);
        assert_eq!(read(&out, "a.html"), "2");
        assert_eq!(read(&out, "b"), "now a file");
        assert_eq!(read(&out, "d/e/f.html"), "new");
        assert!(!out.join("gone.html").exists());
        assert_eq!(read(&recycle, "a.html"), "1", "the previous tree is intact");
        build(&[("a.html", "2"), ("b/c.html", "back")]);
        assert_eq!(read(&out, "a.html"), "2");
        assert_eq!(read(&out, "b/c.html"), "back");
        assert!(
            !out.join("d").exists(),
            "folders the site no longer has are gone"
        );
        let mut names: Vec<String> = walkdir::WalkDir::new(&out)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.expect("entry");
                e.path()
                    .strip_prefix(&out)
                    .expect("inside")
                    .display()
                    .to_string()
            })
            .collect();
        names.sort();
        assert_eq!(names, ["a.html", "b", "b/c.html"]);
        let leftovers: Vec<_> = fs::read_dir(temp.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(
            leftovers.len(),
            2,
            "only public/ and the state folder: {leftovers:?}"
        );
    }

    #[test]
    fn refuses_paths_that_escape() {
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("public");
        replace_dir(&out, &files(&[("index.html", "keep")])).expect("first");
        assert!(replace_dir(&out, &files(&[("../evil.html", "x")])).is_err());
        assert_eq!(
            fs::read_to_string(out.join("index.html")).expect("read"),
            "keep"
        );
    }
}
