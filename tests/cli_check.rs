//! `switchboard check` on fixture sites, through the real binary. Each
//! folder under tests/fixtures/invalid/ overlays the base site with one
//! mistake and holds the exact report in `expected.txt`.
//! Run with SWITCHBOARD_BLESS=1 to rewrite the expected reports after a
//! deliberate wording change, then review the diff.

mod common;

use std::fs;

use common::*;

#[test]
fn base_fixture_is_valid() {
    let site = site_with(None);
    let output = switchboard(site.path(), &["check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "The content is valid: 2 departments, 3 contacts, 2 topics, 1 pages.\n"
    );
}

#[test]
fn example_site_is_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = switchboard(root.as_ref(), &["check"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn each_invalid_fixture_reports_its_exact_diagnostic() {
    let bless = std::env::var_os("SWITCHBOARD_BLESS").is_some();
    let mut cases: Vec<_> = fs::read_dir(fixtures().join("invalid"))
        .expect("invalid fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "expected the full set of invalid fixtures"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let overlay = format!("invalid/{case}");
        let site = site_with(Some(&overlay));
        fs::remove_file(site.path().join("expected.txt")).ok();
        let output = switchboard(site.path(), &["check"]);
        assert_eq!(output.status.code(), Some(1), "{case}: check must fail");
        let report = stderr(&output);
        let expected_path = fixtures().join(&overlay).join("expected.txt");
        if bless {
            fs::write(&expected_path, &report).expect("bless");
            continue;
        }
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{case}: no expected.txt (run with SWITCHBOARD_BLESS=1)"));
        if report != expected {
            failures.push(format!(
                "--- {case}: expected\n{expected}\n--- got\n{report}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_name_file_and_line() {
    let site = site_with(Some("invalid/unknown-key"));
    let output = switchboard(site.path(), &["check"]);
    assert!(stderr(&output).contains("--> content/departments/help.toml:2:1"));
}

#[test]
fn a_missing_content_folder_is_explained() {
    let dir = tempfile::tempdir().expect("temp");
    let output = switchboard(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no `content/` folder here"),
        "{}",
        stderr(&output)
    );
}
