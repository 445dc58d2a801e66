//! A multilingual site's routing manifest (issue 14): the router's texts
//! per language from its shipped tables and the site's `i18n/<code>.toml`
//! `[router]` table, the departments' speakers, and the pages per language.

mod common;

use std::fs;

use common::*;
use switchboard::model::load_site;
use switchboard::router_texts::{TextGap, router_strings, router_text_gaps};
use switchboard_router::RoutingManifest;

/// The base site with the router-languages overlay (en, de, fr and sv).
fn multilingual_site() -> tempfile::TempDir {
    let site = site_with(None);
    copy_tree(&fixtures().join("router-languages"), site.path());
    site
}

#[test]
fn the_router_texts_are_the_shipped_tables_with_the_sites_overrides() {
    let dir = multilingual_site();
    let site = load_site(dir.path()).expect("the languages fixture is valid");
    let strings = router_strings(&site).expect("the i18n files are valid");
    assert_eq!(strings["de"]["summary.one"], "Da stimmt etwas nicht:");
    assert_eq!(
        strings["de"]["summary.many"], "Mit Ihrer Nachricht gibt es mehrere Probleme:",
        "the shipped table fills the rest"
    );
    assert_eq!(
        strings["fr"]["summary.one"],
        "Votre message présente un problème :"
    );
    assert_eq!(
        strings["en"]["summary.one"],
        "There is a problem with your message:"
    );
    assert_eq!(
        strings["sv"].len(),
        1,
        "only the site's own text for Swedish"
    );
    let gaps = router_text_gaps(&site, &strings);
    let english = switchboard_router::texts::english().len();
    assert_eq!(
        gaps,
        [TextGap {
            language: "sv".into(),
            missing: english - 1
        }]
    );
}

#[test]
fn an_unknown_router_text_or_a_changed_placeholder_is_named_with_file_and_line() {
    let dir = multilingual_site();
    copy_tree(&fixtures().join("router-texts-invalid"), dir.path());
    let site = load_site(dir.path()).expect("the content is valid");
    let report = router_strings(&site)
        .expect_err("the i18n file is refused")
        .to_string();
    assert!(report.contains("i18n/de.toml:2"), "{report}");
    assert!(
        report.contains("`[router] summary.onee` is not a text the router has"),
        "{report}"
    );
    assert!(report.contains("did you mean `summary.one`?"), "{report}");
    assert!(report.contains("i18n/de.toml:3"), "{report}");
    assert!(
        report.contains(
            "`[router] error.name.too_long` must use the placeholders {max} (it uses {maximum})"
        ),
        "{report}"
    );
}

#[test]
fn the_built_manifest_carries_languages_strings_speakers_and_pages() {
    let dir = multilingual_site();
    let output = switchboard(dir.path(), &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json = fs::read_to_string(dir.path().join(".switchboard/routing.json")).expect("manifest");
    let manifest = RoutingManifest::from_json(&json).expect("the router reads it");
    assert_eq!(manifest.schema_version, 6);
    assert_eq!(manifest.site.languages, ["en", "de", "fr", "sv"]);
    assert_eq!(
        manifest.pages.keys().collect::<Vec<_>>(),
        ["de", "en", "fr", "sv"]
    );
    assert_eq!(
        manifest.texts("de").get("summary.one"),
        "Da stimmt etwas nicht:"
    );
    assert_eq!(
        manifest.texts("sv").get("summary.many"),
        "There are problems with your message:",
        "a gap falls back to the default language"
    );
    let sales = manifest.department("sales").expect("sales");
    let speakers =
        |code: &str| -> Vec<&str> { sales.speakers_of(code).iter().map(|s| s.as_str()).collect() };
    assert_eq!(speakers("en"), ["ann", "bob"], "`en-GB` speaks `en`");
    assert_eq!(speakers("de"), ["ann"], "`de-AT` speaks `de`");
    assert_eq!(speakers("fr"), ["bob"]);
    assert!(speakers("sv").is_empty());
    let help = manifest.department("help").expect("help");
    assert!(
        help.speakers.is_empty(),
        "route_by_language = false leaves speakers out"
    );
    // The form on every page posts its language.
    let contact = fs::read_to_string(dir.path().join("public/contact/index.html")).expect("page");
    assert_eq!(hidden_value(&contact, "language"), "en");
}

#[test]
fn translations_reach_the_manifest_only_where_they_differ() {
    let dir = site_with(Some("languages"));
    let site = load_site(dir.path()).expect("the languages fixture is valid");
    let manifest = switchboard::manifest::routing_manifest(&site, &[]);
    let sales = manifest.department("sales").expect("sales");
    assert_eq!(sales.name_in("de"), "Vertrieb");
    assert_eq!(sales.name_in("ar"), "المبيعات");
    assert_eq!(
        sales.response_time_in("de"),
        "innerhalb von zwei Werktagen",
        "the form's translated default"
    );
    assert_eq!(
        sales.translations["ar"].response_time, None,
        "an untranslated text is left out"
    );
    let help = manifest.department("help").expect("help");
    assert_eq!(help.name_in("de"), "Hilfe");
    assert!(!help.translations.contains_key("ar"), "nothing differs");
    let topic = manifest.topic("sales").expect("topic");
    assert_eq!(topic.label_in("de"), "Bei uns kaufen");
    assert_eq!(topic.label_in("ar"), "الشراء منا");
    assert_eq!(topic.label_in("en"), "Buying from us");
    assert!(!topic.translations.contains_key("en"));
}

#[test]
fn check_warns_about_a_language_the_router_has_no_texts_for() {
    let dir = multilingual_site();
    let output = switchboard(dir.path(), &["check"]);
    let report = stderr(&output);
    assert!(output.status.success(), "{report}");
    let english = switchboard_router::texts::english().len();
    assert!(
        report.contains(&format!(
            "{} of the router's texts have no `sv` translation",
            english - 1
        )),
        "{report}"
    );
    assert!(report.contains("i18n/sv.toml"), "{report}");
    assert!(
        report.contains("of the theme's texts have no `sv` translation"),
        "the theme's strings are a gap too: {report}"
    );

    let strict = switchboard(dir.path(), &["check", "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
}

#[test]
fn check_refuses_a_bad_router_table_as_build_does() {
    let dir = multilingual_site();
    copy_tree(&fixtures().join("router-texts-invalid"), dir.path());
    let output = switchboard(dir.path(), &["check"]);
    let report = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("i18n/de.toml:2"), "{report}");
    assert!(
        report.contains("`[router] summary.onee` is not a text the router has"),
        "{report}"
    );
}
