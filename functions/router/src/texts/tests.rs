use super::*;

#[test]
fn every_shipped_table_has_exactly_the_english_keys_and_placeholders() {
    let english = english();
    assert!(english.len() > 40, "the English table parses");
    for code in shipped_languages() {
        let table = shipped(code).unwrap_or_else(|| panic!("{code}.toml parses"));
        let keys: Vec<_> = table.keys().collect();
        let wanted: Vec<_> = english.keys().collect();
        assert_eq!(keys, wanted, "{code}.toml has the English keys");
        for (key, text) in &table {
            assert_eq!(
                placeholders(text),
                placeholders(&english[key]),
                "{code}.toml `{key}` keeps the English placeholders"
            );
        }
    }
}

#[test]
fn a_regional_code_gets_its_language_and_an_unknown_one_nothing() {
    assert_eq!(shipped("de-AT").unwrap()["language.name"], "Deutsch");
    assert_eq!(shipped("FR").unwrap()["language.name"], "Français");
    assert!(shipped("sv").is_none());
}

#[test]
fn lookup_falls_back_to_the_default_language_then_english() {
    let de = Table::from([("summary.one".to_string(), "Ein Problem:".to_string())]);
    let fr = Table::from([
        ("summary.one".to_string(), "Un problème :".to_string()),
        ("summary.many".to_string(), "Des problèmes :".to_string()),
    ]);
    let texts = Texts::new("de", Some(&de), "fr", Some(&fr));
    assert_eq!(texts.get("summary.one"), "Ein Problem:");
    assert_eq!(texts.get("summary.many"), "Des problèmes :");
    assert_eq!(
        texts.get("error.captcha"),
        "Please complete the verification below."
    );
    assert_eq!(texts.get("no.such.key"), "no.such.key");
}

#[test]
fn fill_replaces_known_placeholders_once() {
    assert_eq!(
        fill("Hello {name}, {name}! {other} {", &[("name", "{name}")]),
        "Hello {name}, {name}! {other} {"
    );
    assert_eq!(
        fill("at most {max} characters", &[("max", "200")]),
        "at most 200 characters"
    );
    assert_eq!(
        placeholders("{a} {b_c} {Not} {} {"),
        BTreeSet::from(["a", "b_c"])
    );
}
