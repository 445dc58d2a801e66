//! Each page loads only the styles and scripts it uses, with only those
//! scripts' strings, and the theme's CSS and JS arrive minified (issue 16:
//! the home page's weight). Rendered from the fixture organisation, whose
//! home page lists its people.

use switchboard::render::{RenderOptions, SiteOutput, Theme, render_site, testsite};

fn render() -> SiteOutput {
    let site = testsite::site();
    let tmp = tempfile::tempdir().expect("tempdir");
    let theme = Theme::load(tmp.path(), "default").expect("built-in theme");
    let opts = RenderOptions {
        form_endpoint: "/api/contact".into(),
        content_hash: "c0ffee".into(),
        form_token: "f2.c0ffee.1772323200.signature".into(),
        time_token: "t2.b.1772323200.signature".into(),
        live_reload: None,
    };
    render_site(&site, &theme, &opts).expect("render")
}

/// The theme assets a page links to, in order (`people.css`, `form.js`…).
fn assets_of(html: &str) -> Vec<&str> {
    html.match_indices("assets/")
        .map(|(at, _)| {
            let rest = &html[at + "assets/".len()..];
            &rest[..rest.find('"').expect("a quoted path")]
        })
        .collect()
}

/// The JSON strings block for `script` on the page, parsed.
fn strings_of(html: &str, script: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let open = format!("<script type=\"application/json\" id=\"sb-strings-{script}\">");
    let start = html.find(&open)? + open.len();
    let end = start + html[start..].find("</script>")?;
    Some(serde_json::from_str(&html[start..end]).expect("the strings block is JSON"))
}

#[test]
fn each_page_loads_what_it_runs_and_nothing_else() {
    let out = render();
    let page = |path: &str| out.text(path).unwrap_or_else(|| panic!("no {path}"));
    let cases: [(&str, &[&str]); 6] = [
        ("index.html", &["site.css", "people.css", "directory.js"]),
        ("contact/index.html", &["site.css", "form.css", "form.js"]),
        ("contact/thanks/index.html", &["site.css", "form.js"]),
        (
            "departments/sales/index.html",
            &[
                "site.css",
                "people.css",
                "form.css",
                "directory.js",
                "form.js",
            ],
        ),
        ("people/index.html", &["site.css", "people.css"]),
        ("about/index.html", &["site.css"]),
    ];
    for (path, expected) in cases {
        assert_eq!(assets_of(page(path)), expected, "{path}");
    }
}

#[test]
fn a_page_carries_only_its_scripts_strings() {
    let out = render();
    let home = out.text("index.html").unwrap();
    let directory = strings_of(home, "directory").expect("the directory's strings");
    assert!(directory.contains_key("search_none") && directory.contains_key("weekdays"));
    assert!(
        !directory.contains_key("sending"),
        "a form string on the home page"
    );
    assert!(strings_of(home, "form").is_none());

    let contact = out.text("contact/index.html").unwrap();
    let form = strings_of(contact, "form").expect("the form's strings");
    assert!(form.contains_key("sending") && form.contains_key("error_name_missing"));
    assert!(!form.contains_key("search_none") && !form.contains_key("weekdays"));
    assert!(strings_of(contact, "directory").is_none());
}

#[test]
fn theme_assets_are_minified_and_every_one_is_used() {
    let out = render();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/static");
    let mut used: Vec<&str> = out
        .files
        .iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .flat_map(|(_, b)| assets_of(std::str::from_utf8(b).unwrap()))
        .collect();
    used.sort_unstable();
    used.dedup();
    let mut shipped = Vec::new();
    for entry in std::fs::read_dir(&source).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let written = out.text(&format!("assets/{name}")).expect("theme asset");
        let original = std::fs::read_to_string(source.join(&name)).unwrap();
        assert!(original.contains("/*"), "{name}: the source is commented");
        assert!(
            !written.contains("/*") && !written.contains("\n "),
            "{name}: {written}"
        );
        assert!(
            written.len() < original.len() * 9 / 10,
            "{name}: {} of {}",
            written.len(),
            original.len()
        );
        shipped.push(name);
    }
    shipped.sort_unstable();
    assert_eq!(used, shipped);
}
