//! `switchboard watch` as an editor uses it: the real binary on a copy of the
//! base fixture, edited the ways editors save.

mod common;
mod devloop;

use std::fs;
use std::path::Path;

use common::{site_with, snapshot_tree};
use devloop::{Running, poll, replace_by_delete_and_create, replace_by_rename, replace_in_place};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

fn page(root: &Path) -> String {
    fs::read_to_string(root.join("public/departments/help/index.html")).unwrap_or_default()
}

#[test]
fn watch_rebuilds_on_every_kind_of_save_and_keeps_the_last_good_site() {
    let site = site_with(None);
    let root = site.path();
    let help = root.join("content/departments/help.toml");
    let mut watch = Running::start(BIN, root, &["watch", "--debounce", "100"]);
    watch.wait_for_line("Watching");
    assert!(page(root).contains("Help desk"), "{}", watch.output());

    replace_in_place(&help, "Help desk", "Help in place");
    poll("the in-place edit to be built", || {
        page(root).contains("Help in place").then_some(())
    });
    watch.wait_for_line("content/departments/help.toml changed: rebuilt");

    replace_by_rename(&help, "Help in place", "Help renamed");
    poll("the save-by-rename to be built", || {
        page(root).contains("Help renamed").then_some(())
    });

    replace_by_delete_and_create(&help, "Help renamed", "Help recreated");
    poll("the delete-and-create to be built", || {
        page(root).contains("Help recreated").then_some(())
    });

    // A broken file: the report names file:line, and public/ stays as it was.
    let before = snapshot_tree(&root.join("public"));
    fs::write(
        &help,
        fs::read_to_string(&help).expect("read") + "\nbroken = \n",
    )
    .expect("break");
    let failed = watch.wait_for_line("build failed");
    watch.wait_for_output("--> content/departments/help.toml:");
    assert!(failed.contains("unchanged"), "{failed}");
    assert_eq!(snapshot_tree(&root.join("public")), before);

    replace_in_place(&help, "\nbroken = \n", "\n");
    let fixed = watch.wait_for_line("Fixed:");
    assert!(fixed.contains("rebuilt"), "{fixed}");

    #[cfg(unix)]
    {
        let status = watch.terminate();
        assert!(status.success(), "{status:?}\n{}", watch.output());
        watch.wait_for_line("Stopped.");
        let leftovers: Vec<String> = fs::read_dir(root)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".public"))
            .collect();
        assert!(leftovers.is_empty(), "half-written output: {leftovers:?}");
    }
}

#[test]
fn editor_scratch_files_and_the_output_do_not_trigger_builds() {
    let site = site_with(None);
    let root = site.path();
    let mut watch = Running::start(BIN, root, &["watch", "--debounce", "50"]);
    watch.wait_for_line("Watching");
    let departments = root.join("content/departments");
    fs::write(departments.join(".help.toml.swp"), "x").expect("swap");
    fs::write(departments.join("help.toml~"), "x").expect("backup");
    fs::write(departments.join("4913"), "").expect("vim probe");
    fs::write(root.join("public/extra.html"), "x").expect("output");
    // A real change after the noise: the first rebuild line must name it alone.
    replace_in_place(
        &departments.join("sales.toml"),
        "name = \"",
        "name = \"The ",
    );
    let line = watch.wait_for_line("changed: rebuilt");
    assert!(
        line.starts_with("content/departments/sales.toml changed"),
        "{line}\n{}",
        watch.output()
    );
}

#[test]
fn zero_debounce_is_refused_with_a_reason() {
    let site = site_with(None);
    let output = common::switchboard(site.path(), &["watch", "--debounce", "0"]);
    assert!(!output.status.success());
    let err = common::stderr(&output);
    assert!(err.contains("at least 1 ms"), "{err}");
}

#[test]
fn watch_with_poll_starts_on_a_broken_site_and_builds_once_fixed() {
    let site = site_with(Some("invalid/missing-key"));
    let mut watch = Running::start(BIN, site.path(), &["watch", "--poll"]);
    watch.wait_for_line("build failed");
    watch.wait_for_line("Watching");
    assert!(!site.path().join("public").exists());
    // Polling sees the fix as events would.
    fs::copy(
        common::fixtures().join("base/content/departments/help.toml"),
        site.path().join("content/departments/help.toml"),
    )
    .expect("fix");
    watch.wait_for_line("Fixed:");
    assert!(page(site.path()).contains("Help desk"));
}
