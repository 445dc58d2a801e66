//! Writing a finished build to disk without ever leaving a half-written site:
//! the new site is written beside the old one, then swapped in by rename.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// Writes `files` (site-relative path → bytes) as the folder `dir`, replacing
/// what was there only once every file is written.
pub fn replace_dir(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
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
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(&parent)?;
    let mut folders_made = HashSet::new();
    for (relative, bytes) in files {
        let relative = safe_relative(relative)?;
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
        if unchanged(&previous, bytes) && fs::hard_link(&previous, &path).is_ok() {
            continue;
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
        fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Whether `path` is a regular file holding exactly `bytes`.
fn unchanged(path: &Path, bytes: &[u8]) -> bool {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            fs::read(path).is_ok_and(|old| old == bytes)
        }
        _ => false,
    }
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
