use super::index::{IdTable, slot_of};
use super::*;

const FIXTURE: &str = include_str!("../../tests/fixtures/manifest.json");

fn edit(f: impl FnOnce(&mut serde_json::Value)) -> Result<RoutingManifest, ManifestError> {
    let mut v: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    f(&mut v);
    RoutingManifest::from_json(&v.to_string())
}

#[test]
fn fixture_loads_and_round_trips() {
    let m = RoutingManifest::from_json(FIXTURE).unwrap();
    let again = RoutingManifest::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(m, again);
    assert_eq!(m.routable_addresses().len(), 9);
    // Shared hours, contacts without their department, no empty `away`.
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json.matches("\"timezone\"").count(), 2, "{json}");
    assert!(!json.contains("\"away\":[]"), "{json}");
    assert!(
        !json.contains("\"department\":\"sales\",\"backup\""),
        "{json}"
    );
}

#[test]
fn refuses_other_versions_first() {
    // A future shape: the version is named, not the unknown field.
    let e = edit(|v| {
        v["schema_version"] = 7.into();
        v["new_field"] = true.into();
    })
    .unwrap_err();
    assert!(matches!(e, ManifestError::Version { found: 7 }), "{e}");
    // A future version in a shape this router happens to read.
    let e = edit(|v| v["schema_version"] = 7.into()).unwrap_err();
    assert!(matches!(e, ManifestError::Version { found: 7 }), "{e}");
    // A version 5 manifest (no languages) asks for a rebuild.
    let e = edit(|v| v["schema_version"] = 5.into()).unwrap_err();
    assert!(matches!(e, ManifestError::Version { found: 5 }), "{e}");
    // A version 4 manifest (no retention) asks for a rebuild.
    let e = edit(|v| v["schema_version"] = 4.into()).unwrap_err();
    assert!(matches!(e, ManifestError::Version { found: 4 }), "{e}");
    // A version 3 manifest (no pages) asks for a rebuild.
    let e = edit(|v| v["schema_version"] = 3.into()).unwrap_err();
    assert!(matches!(e, ManifestError::Version { found: 3 }), "{e}");
    // A version 2 manifest (tokens without an issue time) asks for a rebuild.
    let e = edit(|v| v["schema_version"] = 2.into()).unwrap_err();
    assert!(matches!(e, ManifestError::Version { found: 2 }), "{e}");
    // A version 1 manifest (hours inside each department) asks for a rebuild.
    let e = edit(|v| {
        v["schema_version"] = 1.into();
        v["departments"][0]["hours"] = v["hours"][0].clone();
        v["contacts"][0]["department"] = "sales".into();
    })
    .unwrap_err();
    assert!(matches!(e, ManifestError::Version { found: 1 }), "{e}");
    assert!(e.to_string().contains("rebuild the site"), "{e}");
}

#[test]
fn a_parse_error_names_the_field() {
    let e = edit(|v| v["departments"][1]["hours"] = 7.into()).unwrap_err();
    assert!(
        matches!(&e, ManifestError::Json { field, .. } if field == "departments[1].hours"),
        "{e}"
    );
    assert!(e.to_string().contains("`departments[1].hours`"), "{e}");
    let e = edit(|v| v["contacts"][2]["department"] = "comms".into()).unwrap_err();
    assert!(e.to_string().contains("`contacts[2]"), "{e}");
    assert!(e.to_string().contains("unknown field `department`"), "{e}");
    let e = RoutingManifest::from_json("{\"schema_version\": 2, ").unwrap_err();
    assert!(matches!(e, ManifestError::Json { .. }), "{e}");
}

#[test]
fn refuses_dangling_references_bad_hours_and_bad_addresses() {
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|v| v["topics"][0]["department"] = "nope".into()),
            "topics[0].department",
            "unknown department `nope`",
        ),
        (
            Box::new(|v| v["topics"][2]["contact"] = "nope".into()),
            "topics[2].contact",
            "unknown contact `nope`",
        ),
        (
            Box::new(|v| v["departments"][0]["primary"] = "nope".into()),
            "departments[0].primary",
            "unknown primary `nope`",
        ),
        (
            Box::new(|v| v["contacts"][0]["backup"] = "nope".into()),
            "contacts[0].backup",
            "unknown backup `nope`",
        ),
        (
            Box::new(|v| v["departments"][1]["after_hours"]["contact"] = "nope".into()),
            "departments[1].after_hours.contact",
            "after-hours",
        ),
        (
            Box::new(|v| v["departments"][2]["hours"] = "hours-9".into()),
            "departments[2].hours",
            "unknown hours `hours-9`",
        ),
        (
            Box::new(|v| v["hours"][1]["timezone"] = "Mars/Olympus".into()),
            "hours[1].timezone",
            "time zone",
        ),
        (
            Box::new(|v| v["hours"][0]["days"][3][0]["close"] = 100.into()),
            "hours[0].days[3]",
            "open span",
        ),
        (
            Box::new(|v| v["hours"][0]["days"].as_array_mut().unwrap().truncate(6)),
            "hours[0].days",
            "7 days",
        ),
        (
            Box::new(|v| v["contacts"][1]["email"] = "bob at example".into()),
            "contacts[1].email",
            "contact `bob` has an invalid email address",
        ),
        (
            Box::new(|v| v["contacts"][4]["email"] = "erin@example.org\r\nBcc: x@y.z".into()),
            "contacts[4].email",
            "invalid email",
        ),
        // Addresses after one with a good domain: the local part, a
        // domain that only starts like the good one, and the lengths
        // are still checked.
        (
            Box::new(|v| v["contacts"][2]["email"] = "car..ol@example.org".into()),
            "contacts[2].email",
            "contact `carol` has an invalid email address",
        ),
        (
            Box::new(|v| v["contacts"][3]["email"] = "dan@example.org.".into()),
            "contacts[3].email",
            "invalid email",
        ),
        (
            Box::new(|v| v["contacts"][3]["email"] = "dan@example.org@evil.example".into()),
            "contacts[3].email",
            "invalid email",
        ),
        (
            Box::new(|v| {
                v["contacts"][5]["email"] = format!("{}@example.org", "x".repeat(65)).into()
            }),
            "contacts[5].email",
            "invalid email",
        ),
        (
            Box::new(|v| v["departments"][1]["inbox"] = "sup port@example.org".into()),
            "departments[1].inbox",
            "invalid inbox address",
        ),
        (
            Box::new(|v| v["departments"][2]["inbox"] = "press@".into()),
            "departments[2].inbox",
            "invalid inbox address",
        ),
        (
            Box::new(|v| v["topics"][1]["id"] = "sales".into()),
            "topics[1].id",
            "`sales` is listed twice",
        ),
        (
            Box::new(|v| v["contacts"][5]["id"] = "bob".into()),
            "contacts[5].id",
            "`bob` is listed twice",
        ),
        (
            Box::new(|v| v["hours"][1]["id"] = "hours-1".into()),
            "hours[1].id",
            "listed twice",
        ),
    ];
    for (f, field, want) in cases {
        let e = edit(f).unwrap_err();
        let text = e.to_string();
        assert!(
            matches!(&e, ManifestError::Inconsistent { field: f, .. } if f == field),
            "{text} should name {field}"
        );
        assert!(text.contains(want), "{text} should mention {want}");
    }
}

#[test]
fn lookups_find_every_entry_and_nothing_else() {
    let m = RoutingManifest::from_json(FIXTURE).unwrap();
    for c in &m.contacts {
        assert_eq!(m.contact(&c.id).map(|x| &x.email), Some(&c.email));
    }
    for d in &m.departments {
        assert_eq!(m.department(&d.id).map(|x| &x.name), Some(&d.name));
    }
    assert_eq!(
        m.topic("press").and_then(|t| t.contact.as_deref()),
        Some("carol")
    );
    assert!(m.contact("zed").is_none() && m.contact("").is_none());
    assert!(m.topic("aaa").is_none());
    let sales = m.department("sales").unwrap();
    assert_eq!(
        m.hours_of(sales).map(|h| h.timezone.as_str()),
        Some("Europe/Berlin")
    );
    assert!(m.hours_of(m.department("comms").unwrap()).is_none());
}

#[test]
fn thousands_of_ids_are_found_and_a_late_duplicate_is_named() {
    let mut m = RoutingManifest::from_json(FIXTURE).unwrap();
    let template = m.contacts[1].clone();
    m.contacts.extend((0..5000).map(|i| Contact {
        id: format!("c-{i}").into(),
        ..template.clone()
    }));
    let m = RoutingManifest::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
    for i in (0..5000).step_by(7) {
        let id = format!("c-{i}");
        assert_eq!(m.contact(&id).map(|c| c.id.as_str()), Some(id.as_str()));
    }
    assert!(m.contact("c-5000").is_none());
    let mut twice = m.clone();
    twice.contacts[4321].id = "c-17".into();
    let e = RoutingManifest::from_json(&serde_json::to_string(&twice).unwrap()).unwrap_err();
    assert!(
        matches!(&e, ManifestError::Inconsistent { field, .. } if field == "contacts[4321].id"),
        "{e}"
    );
    assert!(e.to_string().contains("`c-17` is listed twice"), "{e}");
}

#[test]
fn ids_of_a_large_organisation_spread_over_the_table() {
    // Ids as the builder writes them differ in their last bytes only.
    let ids: Vec<String> = (0..1000)
        .flat_map(|d| (0..10).map(move |c| format!("c-{d:05}-{c:02}")))
        .collect();
    let (table, repeated) = IdTable::new(&ids, |s| s);
    assert_eq!(repeated, None);
    let mask = table.slots.len() - 1;
    let mut probes = 0;
    for (i, id) in ids.iter().enumerate() {
        let mut at = slot_of(id, mask);
        while table.slots[at] as usize != i {
            probes += 1;
            at = (at + 1) & mask;
        }
    }
    // Uniform hashing at this fill (10,000 in 16,384) probes ~0.8 extra per id.
    assert!(probes < 2 * ids.len(), "{probes} extra probes");
}

#[test]
fn a_stale_index_costs_time_not_answers() {
    let mut m = RoutingManifest::from_json(FIXTURE).unwrap();
    assert!(m.contact("bob").is_some());
    // The index was built by the check; reorder and rename behind its back.
    m.contacts.reverse();
    m.contacts[0].id = "zoe".into();
    assert_eq!(
        m.contact("zoe").map(|c| c.name.as_str()),
        Some("On-call Desk")
    );
    assert!(m.contact("oncall").is_none());
    assert_eq!(
        m.contact("alice").map(|c| c.name.as_str()),
        Some("Alice Adams")
    );
    m.contacts.truncate(1);
    assert!(m.contact("alice").is_none());
}

#[test]
fn load_names_the_file() {
    let e = RoutingManifest::load("/nonexistent/routing.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/routing.json"), "{e}");
}

#[test]
fn pages_without_the_slots_their_answers_need_are_refused() {
    let e = edit(|v| v["pages"]["en"]["sent"] = "<p>Thank you</p>".into()).unwrap_err();
    assert!(
        e.to_string().contains("`pages.en.sent`") && e.to_string().contains("[[sb:reference]]"),
        "{e}"
    );
    let e = edit(|v| v["pages"]["de"]["form"] = "".into()).unwrap_err();
    assert!(e.to_string().contains("`pages.de.form`"), "{e}");
}

/// The check's language errors, each naming its field.
fn refused_at(f: impl FnOnce(&mut serde_json::Value), field: &str, says: &str) {
    let e = edit(f).expect_err(field).to_string();
    assert!(
        e.contains(&format!("`{field}`")) && e.contains(says),
        "{field}: {e}"
    );
}

#[test]
fn languages_outside_the_site_are_refused() {
    let not_ours = "not one of the site's languages (en, de, fr)";
    refused_at(
        |v| v["pages"]["it"] = v["pages"]["en"].clone(),
        "pages.it",
        not_ours,
    );
    refused_at(
        |v| v["strings"]["it"] = serde_json::json!({ "summary.one": "Un problema:" }),
        "strings.it",
        not_ours,
    );
    refused_at(
        |v| v["topics"][0]["translations"]["es"] = serde_json::json!({ "label": "Comprar" }),
        "topics[0].translations.es",
        not_ours,
    );
    refused_at(
        |v| v["departments"][0]["translations"]["es"] = serde_json::json!({ "name": "Ventas" }),
        "departments[0].translations.es",
        not_ours,
    );
    refused_at(
        |v| v["departments"][0]["speakers"]["es"] = serde_json::json!(["alice"]),
        "departments[0].speakers.es",
        not_ours,
    );
    refused_at(
        |v| v["site"]["languages"] = serde_json::json!([]),
        "site.languages",
        "empty",
    );
}

#[test]
fn strings_must_be_known_with_the_english_placeholders() {
    refused_at(
        |v| v["strings"]["de"]["greeting.hello"] = "Hallo".into(),
        "strings.de.greeting.hello",
        "not a text the router knows",
    );
    refused_at(
        |v| v["strings"]["fr"]["error.name.too_long"] = "Trop long ({maximum})".into(),
        "strings.fr.error.name.too_long",
        "has the placeholders [{maximum}] but the English text has [{max}]",
    );
    refused_at(
        |v| v["strings"]["de"]["ack.subject"] = "Danke".into(),
        "strings.de.ack.subject",
        "the English text has [{reference}]",
    );
}

#[test]
fn speakers_must_be_contacts_and_the_default_language_needs_pages() {
    refused_at(
        |v| v["departments"][0]["speakers"]["fr"] = serde_json::json!(["bob", "zoe"]),
        "departments[0].speakers.fr",
        "unknown contact `zoe`",
    );
    refused_at(
        |v| {
            v["pages"].as_object_mut().map(|p| p.remove("en"));
        },
        "pages",
        "no pages for the default language `en`",
    );
}

#[test]
fn a_language_without_pages_gets_the_default_languages() {
    let m = RoutingManifest::from_json(FIXTURE).unwrap();
    assert!(m.pages_in("de").form.contains("lang=\"de\""));
    assert!(m.pages_in("fr").form.contains("lang=\"en\""));
    assert_eq!(
        m.texts("fr").get("summary.one"),
        "Votre message présente un problème :"
    );
    assert_eq!(m.language_name("de"), "Deutsch (de)");
}
