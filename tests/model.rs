//! The content model on the base fixture: what a valid site resolves to.

mod common;

use switchboard::model::load_site;
use switchboard_router::manifest::{AfterHoursRule, OpenSpan};

#[test]
fn base_fixture_resolves_every_value() {
    let site_dir = common::site_with(None);
    let site = load_site(site_dir.path()).expect("base fixture is valid");

    assert_eq!(site.config.base_url, "https://contact.fixture.example");
    assert_eq!(site.config.theme, "default");
    assert_eq!(site.form.endpoint, "https://api.fixture.example/contact");
    assert_eq!(site.form.min_fill_seconds, 3);

    // No `order` anywhere: departments sort by name.
    let ids: Vec<&str> = site.departments.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["help", "sales"]);

    let sales = site.department("sales").expect("sales");
    assert_eq!(
        sales.primary, "ann",
        "the first contact is the primary by default"
    );
    assert_eq!(sales.after_hours, AfterHoursRule::Backup);
    assert_eq!(
        sales.phone.as_ref().map(|p| p.e164.as_str()),
        Some("+442079460001")
    );
    let hours = sales.hours.as_ref().expect("hours");
    assert_eq!(hours.timezone, "Europe/London");
    let nine_to_five = vec![OpenSpan {
        open: 540,
        close: 1020,
    }];
    assert_eq!(hours.days[..5], vec![nine_to_five; 5][..]);
    assert!(hours.days[5].is_empty() && hours.days[6].is_empty());

    let help = site.department("help").expect("help");
    assert_eq!(help.after_hours, AfterHoursRule::Primary);
    let help_hours = help.hours.as_ref().expect("hours");
    assert_eq!(help_hours.days[0].len(), 2, "split weekday");
    assert_eq!(
        help_hours.days[5],
        vec![OpenSpan {
            open: 600,
            close: 840
        }],
        "saturday"
    );

    let ann = site.contacts().find(|c| c.id == "ann").expect("ann");
    assert!(ann.publish_email);
    assert_eq!(ann.backup.as_deref(), Some("bob"));
    let bob = site.contacts().find(|c| c.id == "bob").expect("bob");
    assert!(
        !bob.publish_email,
        "addresses are unpublished unless the editor says so"
    );

    assert_eq!(site.topics.len(), 2);
    assert_eq!(site.topics[1].contact.as_deref(), Some("bea"));
    assert_eq!(site.pages[0].slug, "about");
    assert!(site.pages[0].body_html.contains("<p>Fixture page.</p>"));
}

#[test]
fn example_organisation_shows_every_feature() {
    let site = load_site(env!("CARGO_MANIFEST_DIR").as_ref()).expect("example is valid");
    assert!(site.departments.len() >= 5);
    assert!(site.contacts().count() >= 12);
    assert!(site.topics.len() >= 8);
    let zones: std::collections::BTreeSet<&str> = site
        .departments
        .iter()
        .filter_map(|d| d.hours.as_ref().map(|h| h.timezone.as_str()))
        .collect();
    assert!(zones.len() >= 2, "hours in at least two time zones");
    assert!(
        site.departments
            .iter()
            .any(|d| d.hours.as_ref().is_some_and(|h| !h.closures.is_empty()))
    );
    assert!(
        site.contacts().any(|c| !c.publish_email),
        "a contact reachable only through the form"
    );
    assert!(
        site.contacts().any(|c| !c.name.is_ascii()),
        "names with non-ASCII letters"
    );
    assert!(
        site.contacts().any(|c| !c.away.is_empty()),
        "an away period"
    );
}

/// `serve` and `watch` keep parsed department files between builds: the
/// cached load must be the same site as a fresh one, and see every edit.
#[test]
fn a_parse_cache_changes_nothing_but_the_time() {
    use switchboard::model::load::ParseCache;
    use switchboard::model::load_site_cached;

    let site_dir = common::site_with(None);
    let root = site_dir.path();
    let cache = ParseCache::default();
    let debug = |site: &switchboard::model::Site| format!("{site:?}");
    let fresh = load_site(root).expect("valid");
    let first = load_site_cached(root, Some(&cache)).expect("valid");
    let from_cache = load_site_cached(root, Some(&cache)).expect("valid");
    assert_eq!(debug(&first), debug(&fresh));
    assert_eq!(debug(&from_cache), debug(&fresh));

    let sales = root.join("content/departments/sales.toml");
    let text = std::fs::read_to_string(&sales).expect("read");
    std::fs::write(
        &sales,
        text.replace("name = \"Sales\"", "name = \"Sales & Renewals\""),
    )
    .expect("edit");
    let edited = load_site_cached(root, Some(&cache)).expect("valid");
    assert_eq!(
        edited.department("sales").map(|d| d.name.as_str()),
        Some("Sales & Renewals")
    );

    std::fs::write(&sales, "id = \"sales\"\nname = ").expect("break");
    let broken = load_site_cached(root, Some(&cache)).expect_err("a syntax error");
    assert!(broken.to_string().contains("sales.toml"), "{broken}");

    std::fs::write(&sales, &text).expect("restore");
    let restored = load_site_cached(root, Some(&cache)).expect("valid again");
    assert_eq!(debug(&restored), debug(&fresh));

    std::fs::remove_file(root.join("content/departments/help.toml")).expect("delete");
    let error = load_site_cached(root, Some(&cache)).expect_err("topics still name help");
    assert!(error.to_string().contains("help"), "{error}");
}

/// The three-language fixture: `in_language` gives the German texts,
/// falls back to English where Arabic has none, and for English is the site.
#[test]
fn in_language_translates_and_falls_back_to_the_default() {
    let site_dir = common::site_with(Some("languages"));
    let site = load_site(site_dir.path()).expect("languages fixture is valid");
    assert_eq!(site.config.languages, ["en", "de", "ar"]);
    assert_eq!(site.config.language, "en");

    let de = site.in_language("de");
    assert_eq!(de.config.title, "Fixture Co. Kontakt");
    assert_eq!(de.config.description, "So erreichen Sie Fixture Co.");
    assert_eq!(de.form.response_time, "innerhalb von zwei Werktagen");
    let sales = de.department("sales").expect("sales");
    assert_eq!(sales.name, "Vertrieb");
    assert_eq!(sales.summary, "Angebote, Bestellungen und Rechnungen.");
    assert_eq!(
        sales.response_time, "innerhalb von zwei Werktagen",
        "a department without its own response time shows the form's, translated"
    );
    let closures = &sales.hours.as_ref().expect("hours").closures;
    assert_eq!(closures[0].name, "Weihnachten");
    let ann = de.contacts().find(|c| c.id == "ann").expect("ann");
    assert_eq!(ann.role, "Vertriebsleiterin");
    assert_eq!(
        ann.bio_html.as_deref(),
        Some("<p>Ann hat <em>alles</em> verkauft.</p>\n"),
        "a translated bio is Markdown like the default one"
    );
    assert_eq!(ann.name, "Ann Ärzt", "names are not translated");
    assert_eq!(de.topics[0].label, "Bei uns kaufen");
    assert_eq!(de.topics[1].label, "Hilfe bekommen");
    assert_eq!(de.pages[0].title, "Über uns");
    assert_eq!(
        de.pages[0].menu, None,
        "the menu position is the default page's"
    );
    assert_eq!(de.pages[0].body_html, "<p>Eine Testseite.</p>\n");

    let ar = site.in_language("ar");
    assert_eq!(ar.config.title, "اتصل بشركة فيكستشر");
    assert_eq!(
        ar.config.description, "How to reach Fixture Co.",
        "fallback"
    );
    let ar_sales = ar.department("sales").expect("sales");
    assert_eq!(ar_sales.name, "المبيعات");
    assert_eq!(ar_sales.summary, "Quotes, orders and invoices.", "fallback");
    assert_eq!(
        ar_sales.response_time, "within two business days",
        "fallback"
    );
    assert_eq!(
        ar_sales.hours.as_ref().expect("hours").closures[0].name,
        "Christmas"
    );
    let bob = ar.contacts().find(|c| c.id == "bob").expect("bob");
    assert_eq!(bob.role, "Sales assistant", "fallback");
    assert_eq!(
        ar.pages[0].title, "About",
        "an untranslated page falls back"
    );
    assert_eq!(ar.pages[0].body_html, "<p>Fixture page.</p>\n");

    let missing: Vec<(&str, usize)> = site
        .translations
        .iter()
        .map(|(code, text)| (code.as_str(), text.missing))
        .collect();
    assert_eq!(missing, [("ar", 9), ("de", 0)], "German is complete");

    let debug = |site: &switchboard::model::Site| format!("{site:?}");
    assert_eq!(
        debug(&site.in_language("en")),
        debug(&site),
        "the default is the site"
    );
    assert_eq!(
        site.department("sales").map(|d| d.name.as_str()),
        Some("Sales"),
        "the site itself stays in the default language"
    );
}
