//! Writing a finished build to disk without ever leaving a half-written site:
//! the new site is written beside the old one, then swapped in by rename.

mod index;
pub mod leftovers;
mod staging;

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path};

pub use staging::{Staging, Written};

/// Writes one file atomically: temp file, fsync, rename.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    stage_file(path, bytes)?
        .persist(path)
        .map_err(|error| error.error)?;
    Ok(())
}

/// Writes `bytes` to a synced temp file beside `path`, to be renamed over it
/// with `persist(path)`; dropped unpersisted, it is removed and `path` never
/// changed.
pub fn stage_file(path: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)?;
    let mut temp = temp_file_in(parent)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    Ok(temp)
}

/// A temp file in `folder`, named so that [`leftovers::remove`] can tell
/// whether the build that made it still runs.
pub(crate) fn temp_file_in(folder: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&leftovers::temp_prefix())
        .tempfile_in(folder)
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
    use std::collections::BTreeMap;

    use super::*;

    /// Writes `files` (site-relative path → bytes) as the folder `dir`, replacing
    /// what was there only once every file is written.
    fn replace_dir(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> io::Result<()> {
        replace_dir_recycling(dir, files, None)
    }

    /// Like [`replace_dir`], recycling a folder tree between builds: see
    /// [`Staging`], which does the work (these write a finished, in-memory site;
    /// the build streams its files into a [`Staging`] instead).
    fn replace_dir_recycling(
        dir: &Path,
        files: &BTreeMap<String, Vec<u8>>,
        recycle: Option<&Path>,
    ) -> io::Result<()> {
        // Every path is checked before anything is written.
        for relative in files.keys() {
            safe_relative(relative)?;
        }
        let staging = Staging::begin(dir, recycle)?;
        for (relative, bytes) in files {
            staging.put(relative, &[bytes])?;
        }
        staging.commit().map(drop)
    }

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    fn text(path: &Path) -> String {
        fs::read_to_string(path).expect("read")
    }

    /// Every file and folder under `dir`, relative to it, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.expect("entry");
                let p = e.path().strip_prefix(dir).expect("inside");
                p.display().to_string()
            })
            .collect();
        names.sort();
        names
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
        assert_eq!(listing(&out), ["a.html", "b", "b/c.html"]);
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

    /// Pruning trusts a recycled folder's recorded names only while its
    /// stamp matches: anything added to the live site by hand is gone once
    /// that tree comes back as a staging tree.
    #[test]
    fn strays_in_a_recycled_tree_are_pruned() {
        let temp = tempfile::tempdir().expect("tempdir");
        let out = temp.path().join("public");
        let recycle = temp.path().join(".state/recycle");
        let site = files(&[("a/x.html", "1"), ("b/c/y.html", "2"), ("z.html", "3")]);
        let build = || replace_dir_recycling(&out, &site, Some(&recycle)).expect("build");
        for _ in 0..3 {
            build();
        }
        fs::write(out.join("a/stray.html"), "by hand").expect("stray file");
        fs::create_dir(out.join("b/c/extra")).expect("stray folder");
        fs::write(out.join("b/c/extra/deep.html"), "by hand").expect("stray file");
        fs::write(out.join("top.html"), "by hand").expect("stray file");
        let clean = ["a", "a/x.html", "b", "b/c", "b/c/y.html", "z.html"];
        for _ in 0..3 {
            build();
            assert_eq!(listing(&out), clean);
        }
        assert_eq!(fs::read_to_string(out.join("a/x.html")).expect("read"), "1");
    }

    /// A build into another folder takes the recycled tree with it (or it is
    /// deleted with that folder): the next build into the first folder finds
    /// no recycled tree and an index that describes another tree's files. It
    /// must still write every file right, and touch no other folder.
    #[test]
    fn a_build_into_another_folder_and_back() {
        let temp = tempfile::tempdir().expect("tempdir");
        let (a, b) = (temp.path().join("a"), temp.path().join("b"));
        let recycle = temp.path().join(".state/recycle");
        let site = files(&[("index.html", "home"), ("v/c.vcf", "card")]);
        let build = |out: &Path| replace_dir_recycling(out, &site, Some(&recycle)).expect("build");
        build(&a);
        build(&a);
        build(&b);
        assert_eq!(listing(&b), ["index.html", "v", "v/c.vcf"]);
        fs::remove_dir_all(&b).expect("remove b");
        let edited = files(&[("index.html", "new home"), ("v/c.vcf", "card")]);
        replace_dir_recycling(&a, &edited, Some(&recycle)).expect("back to a");
        assert_eq!(listing(&a), ["index.html", "v", "v/c.vcf"]);
        assert_eq!(text(&a.join("index.html")), "new home");
        assert_eq!(text(&a.join("v/c.vcf")), "card");
        // Into a new folder with no recycled tree but an index that lists
        // every path (a cold build as the benchmark makes it): all written.
        fs::remove_dir_all(&recycle).expect("forget the recycled tree");
        let c = temp.path().join("c");
        replace_dir_recycling(&c, &edited, Some(&recycle)).expect("cold");
        assert_eq!(listing(&c), ["index.html", "v", "v/c.vcf"]);
        assert_eq!(text(&c.join("v/c.vcf")), "card");
        assert_eq!(text(&a.join("index.html")), "new home");
    }

    /// A cold build into another folder (no recycled tree) leaves an index
    /// of its own new files; the next build into the first folder still
    /// keeps that folder's unchanged files (compared by reading, then
    /// linked) instead of writing every file anew.
    #[cfg(unix)]
    #[test]
    fn after_a_cold_build_elsewhere_unchanged_files_are_kept() {
        use std::os::unix::fs::MetadataExt;
        let temp = tempfile::tempdir().expect("tempdir");
        let (a, cold) = (temp.path().join("a"), temp.path().join("cold"));
        let recycle = temp.path().join(".state/recycle");
        let site = files(&[("same.html", "same"), ("edit.html", "old")]);
        replace_dir_recycling(&a, &site, Some(&recycle)).expect("a");
        replace_dir_recycling(&a, &site, Some(&recycle)).expect("a again");
        let inode = |name: &str| fs::metadata(a.join(name)).expect("meta").ino();
        let (same, edit) = (inode("same.html"), inode("edit.html"));
        fs::remove_dir_all(&recycle).expect("forget the recycled tree");
        replace_dir_recycling(&cold, &site, Some(&recycle)).expect("cold");
        let next = files(&[("same.html", "same"), ("edit.html", "new")]);
        replace_dir_recycling(&a, &next, Some(&recycle)).expect("back to a");
        assert_eq!(inode("same.html"), same, "unchanged file kept");
        assert_ne!(inode("edit.html"), edit, "changed file written anew");
        assert_eq!(text(&a.join("edit.html")), "new");
        assert_eq!(text(&cold.join("edit.html")), "old");
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
