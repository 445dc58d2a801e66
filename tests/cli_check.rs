//! `switchboard check` on fixture sites, through the real binary. Each
//! folder under tests/fixtures/invalid/ overlays the base site with one
//! mistake and holds the exact report in `expected.txt`.
//! Run with SWITCHBOARD_BLESS=1 to rewrite the expected reports after a
//! deliberate wording change, then review the diff.

mod common;

use std::fs;
use std::path::Path;

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
    // French is deliberately partial (it shows the fallback); English and
    // German are complete, so every warning is a French gap.
    let report = stderr(&output);
    let warnings: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert!(!warnings.is_empty(), "the example shows French gaps");
    for warning in &warnings {
        assert!(
            warning.ends_with("into fr") || warning.contains("more untranslated text"),
            "only French may be missing: {warning}"
        );
    }
    assert!(report.contains("translations missing (fr: "), "{report}");
    assert!(!report.contains("de: "), "German is complete: {report}");
}

/// `tests/fixtures/languages` (English, German complete, Arabic partial and
/// right to left): the exact warnings of `check` and errors of `--strict`.
#[test]
fn three_language_fixture_reports_its_exact_gaps() {
    let site = site_with(Some("languages"));
    let cases: [(&[&str], &str, i32); 2] = [
        (&["check"], "check.txt", 0),
        (&["check", "--strict"], "check-strict.txt", 1),
    ];
    let mut failures = Vec::new();
    for (args, expected, code) in cases {
        let output = switchboard(site.path(), args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&output)
        );
        let expected_path = fixtures().join("languages").join(expected);
        failures.extend(compare_or_bless(&expected_path, &stderr(&output)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_translation_for_a_one_language_site_names_the_fix() {
    let site = site_with(None);
    let department = site.path().join("content/departments/help.toml");
    let text = fs::read_to_string(&department).expect("help.toml");
    fs::write(
        &department,
        text + "\n[translations.de]\nname = \"Hilfe\"\n",
    )
    .expect("write");
    let output = switchboard(site.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1));
    let report = stderr(&output);
    assert!(
        report.contains("error: `de` is not one of the site's languages\n  --> content/departments/help.toml:15:15"),
        "{report}"
    );
    assert!(
        report.contains("add it to `languages` in content/site.toml"),
        "{report}"
    );
}

/// `None` when `report` is the file's text; with SWITCHBOARD_BLESS set,
/// writes it there instead.
fn compare_or_bless(expected_path: &Path, report: &str) -> Option<String> {
    if std::env::var_os("SWITCHBOARD_BLESS").is_some() {
        fs::write(expected_path, report).expect("bless");
        return None;
    }
    let name = expected_path.display();
    let expected = fs::read_to_string(expected_path)
        .unwrap_or_else(|_| panic!("no {name} (run with SWITCHBOARD_BLESS=1)"));
    (report != expected).then(|| format!("--- {name}: expected\n{expected}\n--- got\n{report}"))
}

#[test]
fn each_invalid_fixture_reports_its_exact_diagnostic() {
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
        let expected_path = fixtures().join(&overlay).join("expected.txt");
        failures.extend(compare_or_bless(&expected_path, &stderr(&output)));
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

#[test]
fn a_bad_table_of_theme_strings_fails_check_as_it_fails_build() {
    let site = site_with(None);
    fs::create_dir_all(site.path().join("i18n")).expect("i18n folder");
    fs::write(
        site.path().join("i18n/en.toml"),
        "skip_link = \"Skip ahead\"\nskip_lnk = \"typo\"\n",
    )
    .expect("write table");
    let output = switchboard(site.path(), &["check"]);
    let report = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("i18n/en.toml"), "{report}");
    assert!(report.contains("skip_lnk"), "{report}");
    assert!(
        report.contains("skip_link"),
        "the hint names the key meant: {report}"
    );
}
