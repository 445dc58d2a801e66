//! Renders the fixture organisation (`src/render/testsite.rs`) with the
//! built-in theme and checks the promises the output makes to visitors and
//! to contacts: no unpublished address anywhere, every topic offered, every
//! page with `lang` and the CSP, well-formed vCards, sitemap and JSON-LD.
//!
//! Set `SWITCHBOARD_RENDER_DUMP=/some/dir` to write the output there for a look.

use switchboard::render::{RenderOptions, SiteOutput, Theme, render_site, testsite};

fn options() -> RenderOptions {
    RenderOptions {
        form_endpoint: "https://router.example.net/submit".into(),
        content_hash: "c0ffee".into(),
        form_token: "f2.c0ffee.1772323200.signature".into(),
        time_token: "t2.b.1772323200.signature".into(),
        live_reload: None,
    }
}

fn render() -> (switchboard::model::Site, SiteOutput) {
    let site = testsite::site();
    let tmp = tempfile::tempdir().expect("tempdir");
    let theme = Theme::load(tmp.path(), "default").expect("built-in theme");
    let out = render_site(&site, &theme, &options()).expect("render");
    if let Ok(dir) = std::env::var("SWITCHBOARD_RENDER_DUMP") {
        for (path, bytes) in &out.files {
            let p = std::path::Path::new(&dir).join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
    }
    (site, out)
}

fn html_pages(out: &SiteOutput) -> impl Iterator<Item = (&String, &str)> {
    out.files
        .iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, b)| (p, std::str::from_utf8(b).expect("utf-8 page")))
}

#[test]
fn expected_files_exist() {
    let (site, out) = render();
    for path in [
        "index.html",
        "contact/index.html",
        "contact/thanks/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "assets/site.css",
        "assets/people.css",
        "assets/form.css",
        "assets/directory.js",
        "assets/form.js",
        "about/index.html",
    ] {
        assert!(out.files.contains_key(path), "missing {path}");
    }
    for d in &site.departments {
        assert!(
            out.files
                .contains_key(&format!("departments/{}/index.html", d.id))
        );
        for c in &d.contacts {
            assert!(out.files.contains_key(&format!("vcards/{}.vcf", c.id)));
        }
    }
}

/// Every address the editor chose not to publish.
fn unpublished_addresses(site: &switchboard::model::Site) -> Vec<&str> {
    let contacts = site
        .contacts()
        .filter(|c| !c.publish_email)
        .map(|c| c.email.as_str());
    let inboxes = site
        .departments
        .iter()
        .filter(|d| !d.publish_inbox)
        .map(|d| d.inbox.as_str());
    contacts.chain(inboxes).collect()
}

#[test]
fn unpublished_addresses_appear_nowhere() {
    let (site, out) = render();
    let secrets = unpublished_addresses(&site);
    assert!(!secrets.is_empty());
    for (path, bytes) in &out.files {
        let text = String::from_utf8_lossy(bytes);
        for s in &secrets {
            assert!(!text.contains(s), "{path} leaks {s}");
        }
    }
    // Published ones are there, as mailto links on the home page.
    let home = out.text("index.html").unwrap();
    for c in site.contacts().filter(|c| c.publish_email) {
        assert!(
            home.contains(&format!("href=\"mailto:{}\"", c.email)),
            "{}",
            c.email
        );
    }
    assert!(home.contains("href=\"mailto:support@example.org\""));
}

#[test]
fn every_page_has_lang_csp_and_hash() {
    let (_, out) = render();
    for (path, html) in html_pages(&out) {
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">"),
            "{path}"
        );
        assert!(
            html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; style-src 'self';"),
            "{path}"
        );
        assert!(
            html.contains("form-action https://router.example.net;"),
            "{path}"
        );
        assert!(
            html.contains("<meta name=\"switchboard-content-hash\" content=\"c0ffee\">"),
            "{path}"
        );
        assert!(html.contains("<main id=\"main\""), "{path}");
        assert!(html.contains("href=\"#main\""), "{path}: skip link");
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
        // No inline scripts or styles: the CSP would block them.
        assert!(!html.contains("<script>"), "{path}");
        assert!(!html.contains("style=\""), "{path}");
    }
}

#[test]
fn every_topic_is_in_the_form_grouped_by_department() {
    let (site, out) = render();
    let form = out.text("contact/index.html").unwrap();
    for t in &site.topics {
        assert!(
            form.contains(&format!("<option value=\"{}\"", t.id)),
            "{}",
            t.id
        );
    }
    for d in &site.departments {
        assert!(form.contains(&format!(
            "<optgroup label=\"{}\">",
            d.name.replace('&', "&amp;")
        )));
    }
    assert!(form.contains(
        "method=\"post\" action=\"https://router.example.net/submit\" accept-charset=\"utf-8\""
    ));
    assert!(form.contains("name=\"sb_form_token\" value=\"f2.c0ffee.1772323200.signature\""));
    assert!(form.contains("autocomplete=\"email\""));
    // The honeypot: hidden from people and assistive technology, never autofilled.
    assert!(form.contains("<div class=\"hp\" aria-hidden=\"true\">"));
    assert!(form.contains("name=\"website\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\""));
}

#[test]
fn department_pages_offer_only_their_topics() {
    let (site, out) = render();
    for d in &site.departments {
        let page = out
            .text(&format!("departments/{}/index.html", d.id))
            .unwrap();
        for t in &site.topics {
            let offered = page.contains(&format!("<option value=\"{}\"", t.id));
            assert_eq!(offered, t.department == d.id, "{} on {}", t.id, d.id);
        }
    }
    // A department with a single topic has it pre-selected.
    let press = out.text("departments/press/index.html").unwrap();
    assert!(press.contains("<option value=\"press\" selected>"));
}

#[test]
fn text_is_escaped() {
    let (_, out) = render();
    let home = out.text("index.html").unwrap();
    assert!(home.contains("Quotes, pricing and &lt;partner&gt; programmes."));
    assert!(!home.contains("<partner>"));
    assert!(home.contains("Sales &amp; Partnerships"));
}

#[test]
fn tel_links_are_e164() {
    let (_, out) = render();
    let home = out.text("index.html").unwrap();
    assert!(home.contains("href=\"tel:+493012345678\""));
    assert!(!home.contains("href=\"tel:+49 "));
}

#[test]
fn home_jsonld_parses() {
    let (site, out) = render();
    let home = out.text("index.html").unwrap();
    let start = home.find("<script type=\"application/ld+json\">").unwrap();
    let rest = &home[start..];
    let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["@type"], "Organization");
    assert_eq!(
        v["department"].as_array().unwrap().len(),
        site.departments.len()
    );
}

#[test]
fn sitemap_lists_public_pages_absolutely() {
    let (site, out) = render();
    let xml = out.text("sitemap.xml").unwrap();
    assert!(xml.contains("<loc>https://contact.example.org/</loc>"));
    assert!(xml.contains("<loc>https://contact.example.org/contact/</loc>"));
    assert!(xml.contains("<loc>https://contact.example.org/about/</loc>"));
    for d in &site.departments {
        assert!(xml.contains(&format!(
            "<loc>https://contact.example.org/departments/{}/</loc>",
            d.id
        )));
    }
    assert!(!xml.contains("thanks"));
    assert!(
        out.text("robots.txt")
            .unwrap()
            .contains("Sitemap: https://contact.example.org/sitemap.xml")
    );
}

#[test]
fn the_sitemap_lists_every_page_of_a_paged_people_index() {
    let mut site = testsite::site();
    let template = site.departments[0].contacts[0].clone();
    for i in 0..450 {
        let mut c = template.clone();
        c.id = format!("person-{i}");
        c.name = format!("Person {i:03}");
        site.departments[0].contacts.push(c);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let theme = Theme::load(tmp.path(), "default").expect("built-in theme");
    let out = render_site(&site, &theme, &options()).expect("render");
    let xml = out.text("sitemap.xml").unwrap();
    for (path, _) in html_pages(&out) {
        let Some(url) = path.strip_suffix("index.html") else {
            continue; // 404.html
        };
        if url.contains("thanks") {
            continue;
        }
        assert!(
            xml.contains(&format!("<loc>https://contact.example.org/{url}</loc>")),
            "{url} is not in the sitemap"
        );
    }
    assert!(xml.contains("<loc>https://contact.example.org/people/3/</loc>"));
}

#[test]
fn links_are_relative_and_404_is_absolute() {
    let (_, out) = render();
    let dept = out.text("departments/sales/index.html").unwrap();
    assert!(dept.contains("href=\"../../assets/site.css\""));
    assert!(dept.contains("href=\"../../vcards/ana.vcf\""));
    let nf = out.text("404.html").unwrap();
    assert!(nf.contains("href=\"/assets/site.css\""));
}

#[test]
fn live_reload_script_is_loaded_not_inlined() {
    let site = testsite::site();
    let tmp = tempfile::tempdir().unwrap();
    let theme = Theme::load(tmp.path(), "default").unwrap();
    let opts = RenderOptions {
        live_reload: Some("/__switchboard/reload.js".into()),
        form_endpoint: "/api/contact".into(),
        ..options()
    };
    let out = render_site(&site, &theme, &opts).unwrap();
    let home = out.text("index.html").unwrap();
    assert!(home.contains("<script src=\"/__switchboard/reload.js\" defer></script>"));
    assert!(home.contains("form-action 'self';"));
}

#[test]
fn a_page_slug_cannot_shadow_a_built_in_page() {
    let mut site = testsite::site();
    site.pages[0].slug = "contact".into();
    let tmp = tempfile::tempdir().unwrap();
    let theme = Theme::load(tmp.path(), "default").unwrap();
    let err = render_site(&site, &theme, &options()).unwrap_err();
    assert!(err.to_string().contains("contact/index.html"), "{err}");
}

/// The repository's example organisation, loaded by the real loader and
/// rendered with the real theme folder: every contact and department
/// gets its pages and vCards, and no unpublished address leaks into any file.
#[test]
fn example_organisation_renders_without_leaks() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let site = switchboard::model::load_site(root).expect("example content is valid");
    let theme = Theme::load(root, &site.config.theme).expect("theme");
    let out = render_site(&site, &theme, &options()).expect("render");
    let secrets = unpublished_addresses(&site);
    for (path, bytes) in &out.files {
        let text = String::from_utf8_lossy(bytes);
        for s in &secrets {
            assert!(!text.contains(s), "{path} leaks {s}");
        }
    }
    for d in &site.departments {
        assert!(
            out.files
                .contains_key(&format!("departments/{}/index.html", d.id))
        );
    }
    for c in site.contacts() {
        assert!(out.files.contains_key(&format!("vcards/{}.vcf", c.id)));
    }
    let form = out.text("contact/index.html").unwrap();
    for t in &site.topics {
        assert!(
            form.contains(&format!("<option value=\"{}\"", t.id)),
            "{}",
            t.id
        );
    }
}

/// Beyond `[directory]`'s thresholds the home page lists only the first
/// departments, without people; everyone is in the A–Z index and the
/// search index, linked to their entry on their department's page.
#[test]
fn a_directory_beyond_the_thresholds_keeps_people_off_the_home_page() {
    let mut site = testsite::site();
    site.directory.people_on_home_page = 0;
    site.directory.departments_on_home_page = 1;
    let tmp = tempfile::tempdir().expect("tempdir");
    let theme = Theme::load(tmp.path(), "default").expect("built-in theme");
    let out = render_site(&site, &theme, &options()).expect("render");
    let home = out.text("index.html").unwrap();
    assert_eq!(home.matches("<section class=\"department\"").count(), 1);
    assert!(
        !home.contains("class=\"contact\""),
        "no people on the home page"
    );
    assert!(
        home.contains("href=\"./departments/\""),
        "a link to every department"
    );
    let people = out.text("people/index.html").unwrap();
    let everyone = out.text("departments/index.html").unwrap();
    let index: serde_json::Value =
        serde_json::from_str(out.text("search/all.json").unwrap()).expect("JSON");
    for d in &site.departments {
        assert!(everyone.contains(&format!("href=\"../departments/{}/\"", d.id)));
        let page = out
            .text(&format!("departments/{}/index.html", d.id))
            .unwrap();
        assert!(
            page.contains("\"contactPoint\""),
            "{}: ContactPoints on its page",
            d.id
        );
        for c in &d.contacts {
            let url = format!("departments/{}/#contact-{}", d.id, c.id);
            assert!(
                people.contains(&format!("href=\"../{url}\"")),
                "{url} in the A–Z index"
            );
            assert!(page.contains(&format!("id=\"contact-{}\"", c.id)));
            let found = index
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["u"] == url.as_str());
            assert!(found, "{url} in the search index");
        }
    }
}
