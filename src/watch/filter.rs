//! What counts as a change to a site. Pure functions over paths and event
//! kinds, so the rules are tested without touching the file system.
//!
//! The rules follow how editors really save: by writing a temp file and
//! renaming it over the original (vim, helix, JetBrains), or by deleting and
//! re-creating it. So the *kind* of a create/modify/remove/rename event is
//! never trusted, nor whether its path still exists: any such event under an
//! input folder means "rebuild", and the rebuild re-reads the whole tree.
//! Only two things are filtered out: events that are not changes (a file
//! being opened or read, which the build itself causes) and paths no build
//! reads (editor scratch files, version control, build output and state).

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use notify::EventKind;

/// The site's top-level folders a build reads. Everything else at the top
/// (the output folder, `.switchboard/`, `target/`, a README) is not input.
pub const INPUT_DIRS: [&str; 5] = ["content", "templates", "static", "themes", "i18n"];

/// Folders ignored wherever they appear under an input folder.
pub const IGNORED_DIRS: [&str; 7] = [
    ".git",
    ".hg",
    ".svn",
    ".switchboard",
    "target",
    "node_modules",
    ".idea",
];

/// Whether an event of this kind can mean that a file's contents changed.
///
/// Opening and reading (`Access`) never change anything, and the build reads
/// every input file: counting those would make each build trigger the next.
/// Note that inotify reports a finished write as `Access(Close(Write))`, which
/// *is* a change.
pub fn counts_as_change(kind: &EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        EventKind::Any | EventKind::Other => true,
    }
}

/// Whether `name` (a file name, no folders) is an editor's temp, swap, lock
/// or backup file, or an OS droppings file, rather than content.
pub fn is_editor_scratch(name: &str) -> bool {
    const SUFFIXES: [&str; 10] = [
        "~",    // emacs, gedit, kate backups: `x~`
        ".swp", // vim swap files: `.x.swp`, then `.x.swo`, `.x.swn`, and `.x.swx` at startup
        ".swo",
        ".swn",
        ".swx",
        ".tmp",         // many tools write `x.tmp` then rename
        "___jb_tmp___", // JetBrains "safe write"
        "___jb_old___",
        ".kate-swp",
        ".crswap", // Chrome's File System Access API
    ];
    name.starts_with(".#") // emacs lock files
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#')) // emacs autosave
        || name == "4913" // vim probes whether it may write in a folder
        || name == ".DS_Store"
        || name == "Thumbs.db"
        || name.starts_with(".goutputstream-") // GNOME's atomic writes
        || name.starts_with(".!") // rsync-style partial files
        || is_sed_temp(name)
        || SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// `sed -i` writes `sedXXXXXX` (six random letters or digits) beside the
/// file, then renames it over the original.
fn is_sed_temp(name: &str) -> bool {
    name.len() == 9
        && name.starts_with("sed")
        && name[3..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The path of `path` relative to the site `root` when it is an input the
/// build reads, `None` when it can be ignored.
///
/// `ignored` lists further site-relative folders to skip (the output folder,
/// when it was put inside an input folder).
pub fn input_path(root: &Path, path: &Path, ignored: &[PathBuf]) -> Option<PathBuf> {
    let relative = path.strip_prefix(root).ok()?;
    let mut components = relative.components();
    let first = match components.next()? {
        Component::Normal(first) => first.to_str()?,
        _ => return None,
    };
    if !INPUT_DIRS.contains(&first) {
        return None;
    }
    if ignored.iter().any(|skip| relative.starts_with(skip)) {
        return None;
    }
    for component in relative.components() {
        let Component::Normal(name) = component else {
            return None;
        };
        let name = name.to_string_lossy();
        if IGNORED_DIRS.contains(&name.as_ref()) {
            return None;
        }
    }
    let name = relative.file_name()?.to_string_lossy();
    if is_editor_scratch(&name) {
        return None;
    }
    Some(relative.to_path_buf())
}

/// Whether a change to `relative` may have created or removed one of the
/// input folders themselves, so the set of watched folders must be refreshed.
pub fn touches_input_root(relative: &Path) -> bool {
    relative.components().count() == 1
}

/// One line's worth of "what changed": the path when one file changed,
/// otherwise how many.
pub fn describe(paths: &BTreeSet<PathBuf>, rescan: bool) -> String {
    match paths.len() {
        _ if rescan => "many files (the file system asked for a rescan)".to_string(),
        0 => "nothing".to_string(),
        1 => paths
            .iter()
            .next()
            .map(|p| slash_path(p))
            .unwrap_or_default(),
        n => format!("{n} files"),
    }
}

/// `path` with `/` separators, as editors see them in the site's docs.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RemoveKind, RenameMode,
    };

    fn input(path: &str) -> Option<String> {
        input_path(
            Path::new("/site"),
            &Path::new("/site").join(path),
            &[PathBuf::from("content/out")],
        )
        .map(|p| slash_path(&p))
    }

    #[test]
    fn input_folders_count_and_their_paths_are_relative() {
        assert_eq!(
            input("content/departments/help.toml").as_deref(),
            Some("content/departments/help.toml")
        );
        assert_eq!(
            input("templates/base.html").as_deref(),
            Some("templates/base.html")
        );
        assert_eq!(input("static/logo.svg").as_deref(), Some("static/logo.svg"));
        assert_eq!(input("i18n/de.toml").as_deref(), Some("i18n/de.toml"));
        assert_eq!(
            input("themes/mine/templates/x.html").as_deref(),
            Some("themes/mine/templates/x.html")
        );
        // The site's string tables.
        assert_eq!(input("i18n/de.toml").as_deref(), Some("i18n/de.toml"));
        // The folder itself (created, removed, renamed) counts too.
        assert_eq!(input("content").as_deref(), Some("content"));
    }

    #[test]
    fn everything_outside_the_input_folders_is_ignored() {
        for path in [
            "public/index.html",
            ".public.new-abc/index.html",
            ".public.old-123",
            ".switchboard/routing.json",
            ".switchboard/mail/x.eml",
            ".git/index",
            "target/debug/switchboard",
            "README.md",
            "Cargo.toml",
            "",
        ] {
            assert_eq!(input(path), None, "{path}");
        }
        assert_eq!(
            input_path(
                Path::new("/site"),
                Path::new("/elsewhere/content/x.toml"),
                &[]
            ),
            None
        );
    }

    #[test]
    fn nested_ignored_folders_and_the_output_folder_are_ignored() {
        assert_eq!(input("static/.git/HEAD"), None);
        assert_eq!(input("themes/mine/node_modules/a/b.js"), None);
        assert_eq!(input("themes/mine/target/x"), None);
        assert_eq!(input("content/out/index.html"), None);
        assert_eq!(
            input("content/outline.md").as_deref(),
            Some("content/outline.md")
        );
    }

    #[test]
    fn editor_scratch_files_are_ignored() {
        for name in [
            ".#help.toml",
            "help.toml~",
            ".help.toml.swp",
            ".help.toml.swx",
            ".help.toml.swo",
            "4913",
            "help.toml.tmp",
            "help.toml___jb_tmp___",
            "help.toml___jb_old___",
            ".DS_Store",
            "#help.toml#",
            ".goutputstream-XYZ123",
            "sedAb3xYz",
        ] {
            assert!(is_editor_scratch(name), "{name}");
            assert_eq!(
                input(&format!("content/departments/{name}")),
                None,
                "{name}"
            );
        }
        for name in [
            "help.toml",
            "swp.toml",
            "#",
            "4913.toml",
            "tmp",
            "about.md",
            "sed.toml",
        ] {
            assert!(!is_editor_scratch(name), "{name}");
        }
    }

    #[test]
    fn reads_are_not_changes_but_every_write_kind_is() {
        assert!(!counts_as_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!counts_as_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        for kind in [
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            EventKind::Remove(RemoveKind::File),
            EventKind::Any,
        ] {
            assert!(counts_as_change(&kind), "{kind:?}");
        }
    }

    #[test]
    fn describes_one_path_or_a_count() {
        let one: BTreeSet<PathBuf> = [PathBuf::from("content/site.toml")].into();
        assert_eq!(describe(&one, false), "content/site.toml");
        let three: BTreeSet<PathBuf> = ["a", "b", "c"].iter().map(PathBuf::from).collect();
        assert_eq!(describe(&three, false), "3 files");
        assert!(describe(&three, true).starts_with("many files"));
    }

    #[test]
    fn only_top_level_input_folders_touch_the_watch_set() {
        assert!(touches_input_root(Path::new("templates")));
        assert!(!touches_input_root(Path::new("templates/base.html")));
    }
}
