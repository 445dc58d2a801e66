//! A site in three languages (`tests/fixtures/languages-render`: English,
//! German, Arabic) built by the real binary: one tree per language, `<html
//! lang dir>`, `hreflang` alternates that answer each other over the whole
//! built site and the sitemap, a switcher that lands on the same page, and
//! the site's own strings.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use common::*;

const BASE: &str = "https://contact.fixture.example/";
const PAGES: [&str; 9] = [
    "index.html",
    "people/index.html",
    "departments/index.html",
    "contact/index.html",
    "contact/thanks/index.html",
    "departments/sales/index.html",
    "departments/help/index.html",
    "about/index.html",
    "404.html",
];
const TREES: [(&str, &str, &str); 3] = [
    ("en", "", "ltr"),
    ("de", "de/", "ltr"),
    ("ar", "ar/", "rtl"),
];

fn built() -> (tempfile::TempDir, PathBuf) {
    let site = site_with(Some("languages-render"));
    let output = switchboard(site.path(), &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    (site, public)
}

/// Every `<tag …>` of `html` whose text contains `marker`, as attribute maps.
fn tags(html: &str, tag: &str, marker: &str) -> Vec<BTreeMap<String, String>> {
    html.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|rest| rest.split_once('>').map(|(attrs, _)| attrs))
        .filter(|attrs| attrs.contains(marker))
        .map(|attrs| {
            attrs
                .split('"')
                .collect::<Vec<_>>()
                .chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| {
                    let name = c[0].trim().trim_end_matches('=').trim().to_string();
                    (name, c[1].replace("&amp;", "&"))
                })
                .collect()
        })
        .collect()
}

/// The `hreflang` -> URL alternates a page (or a sitemap entry) declares.
fn alternates(text: &str, tag: &str) -> BTreeMap<String, String> {
    tags(text, tag, "hreflang=")
        .into_iter()
        .filter(|a| a.get("rel").map(String::as_str) == Some("alternate"))
        .map(|a| (a["hreflang"].clone(), a["href"].clone()))
        .collect()
}

fn html_files(dir: &Path) -> Vec<String> {
    snapshot_tree(dir)
        .into_iter()
        .map(|(p, _)| p.to_string_lossy().replace('\\', "/"))
        .filter(|p| p.ends_with(".html"))
        .collect()
}

/// The public URL of a built file (`de/contact/index.html` -> `…/de/contact/`).
fn url_of(file: &str) -> String {
    format!("{BASE}{}", file.strip_suffix("index.html").unwrap_or(file))
}

#[test]
fn every_page_is_built_in_every_language_with_lang_and_dir() {
    let (_site, public) = built();
    for (code, prefix, dir) in TREES {
        for page in PAGES {
            let path = public.join(format!("{prefix}{page}"));
            let html =
                fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {prefix}{page}"));
            let open = format!("<html lang=\"{code}\" dir=\"{dir}\">");
            assert!(html.contains(&open), "{prefix}{page} lacks {open}");
        }
    }
    // vCards and assets are shared by every language.
    assert!(public.join("vcards/ann.vcf").is_file());
    assert!(!public.join("de/vcards").exists() && !public.join("de/assets").exists());
    let de = fs::read_to_string(public.join("de/contact/index.html")).unwrap();
    assert!(
        de.contains("href=\"../../assets/site.css\""),
        "assets from the site root"
    );
    assert!(de.contains("<button type=\"submit\">Nachricht senden</button>"));
    let ar = fs::read_to_string(public.join("ar/departments/sales/index.html")).unwrap();
    assert!(ar.contains("ساعات العمل"), "the Arabic hours title");
    assert!(
        ar.contains("الاثنين–الجمعة"),
        "Arabic weekday names in the hours table"
    );
}

#[test]
fn hreflang_alternates_answer_each_other_over_the_whole_site() {
    let (_site, public) = built();
    let files = html_files(&public);
    let mut declared: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let html = fs::read_to_string(public.join(file)).unwrap();
        let alts = alternates(&html, "link");
        assert_eq!(
            alts.len(),
            4,
            "{file}: en, de, ar and x-default, got {alts:?}"
        );
        declared.insert(url_of(file), alts);
    }
    for (url, alts) in &declared {
        assert!(
            alts.values().any(|u| u == url),
            "{url} does not list itself"
        );
        assert_eq!(
            alts["x-default"], alts["en"],
            "{url}: x-default is the default language"
        );
        for (lang, target) in alts {
            let back = declared.get(target).unwrap_or_else(|| {
                panic!("{url} points to {target} ({lang}), which was not built")
            });
            assert_eq!(back, alts, "{target} does not answer {url}'s alternates");
        }
    }
    assert_eq!(declared.len(), PAGES.len() * TREES.len());
}

#[test]
fn the_sitemap_lists_every_version_with_reciprocal_alternates() {
    let (_site, public) = built();
    let xml = fs::read_to_string(public.join("sitemap.xml")).unwrap();
    let mut entries: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for block in xml.split("<url>").skip(1) {
        let loc = block
            .split_once("<loc>")
            .and_then(|(_, r)| r.split_once("</loc>"))
            .map(|(l, _)| l.replace("&amp;", "&"))
            .expect("a <loc>");
        entries.insert(loc, alternates(block, "xhtml:link"));
    }
    let expected: BTreeSet<String> = TREES
        .iter()
        .flat_map(|(_, prefix, _)| {
            [
                "",
                "contact/",
                "people/",
                "departments/",
                "departments/sales/",
                "departments/help/",
                "about/",
            ]
            .map(|p| format!("{BASE}{prefix}{p}"))
        })
        .collect();
    assert_eq!(entries.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for (loc, alts) in &entries {
        assert_eq!(alts.len(), 4, "{loc}: {alts:?}");
        for target in alts.values() {
            assert_eq!(
                entries.get(target),
                Some(alts),
                "{target} does not answer {loc}"
            );
        }
    }
    let robots = fs::read_to_string(public.join("robots.txt")).unwrap();
    assert!(robots.contains("Disallow: /ar/contact/thanks/"), "{robots}");
}

#[test]
fn the_switcher_leads_to_the_same_page_in_each_language() {
    let (_site, public) = built();
    for (code, prefix, _) in TREES {
        for page in PAGES.iter().filter(|p| **p != "404.html") {
            let file = format!("{prefix}{page}");
            let html = fs::read_to_string(public.join(&file)).unwrap();
            let nav = html
                .split_once("<nav class=\"languages\"")
                .and_then(|(_, r)| r.split_once("</nav>"))
                .map(|(n, _)| n)
                .unwrap_or_else(|| panic!("{file}: no language switcher"));
            let links = tags(nav, "a", "hreflang=");
            assert_eq!(links.len(), 3, "{file}");
            for link in links {
                let (to_code, to_prefix, _) = TREES
                    .iter()
                    .find(|(c, _, _)| *c == link["hreflang"])
                    .expect("a site language");
                assert_eq!(link["lang"], *to_code);
                // Resolve the relative link from the page's folder.
                let folder = Path::new(&file).parent().unwrap_or(Path::new(""));
                let mut target = folder.join(&link["href"]);
                if link["href"].ends_with('/') || link["href"].is_empty() {
                    target = target.join("index.html");
                }
                let resolved = normalize(&target);
                assert_eq!(
                    resolved,
                    format!("{to_prefix}{page}"),
                    "{file} -> {}",
                    link["href"]
                );
                assert_eq!(
                    link.contains_key("aria-current"),
                    *to_code == code,
                    "{file}: only the current language is marked"
                );
            }
        }
    }
    let de = fs::read_to_string(public.join("de/index.html")).unwrap();
    assert!(
        de.contains(">Deutsch</a>") && de.contains(">العربية</a>") && de.contains(">English</a>")
    );
}

/// `a/b/../c` -> `a/c`.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c.as_os_str().to_string_lossy().as_ref() {
            "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other.to_string()),
        }
    }
    parts.join("/")
}

#[test]
fn the_site_strings_win_over_the_theme() {
    let (_site, public) = built();
    let de = fs::read_to_string(public.join("de/index.html")).unwrap();
    assert!(de.contains(">Personen</a>"), "the site's de.toml");
    assert!(
        de.contains("Verzeichnis filtern"),
        "the rest from the theme's de.toml"
    );
    let en = fs::read_to_string(public.join("index.html")).unwrap();
    assert!(en.contains(">Directory</a>"));
}

#[test]
fn a_key_no_table_has_fails_the_build_naming_template_and_key() {
    let site = site_with(Some("languages-render"));
    fs::create_dir_all(site.path().join("templates")).unwrap();
    fs::write(
        site.path().join("templates/page.html"),
        "{% extends \"base.html\" %}\n{% block main %}\n<p>{{ t.no_such_key }}</p>\n{% endblock main %}\n",
    )
    .unwrap();
    let output = switchboard(site.path(), &["build"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(err.contains("templates/page.html:3"), "{err}");
    assert!(err.contains("no_such_key"), "{err}");
    assert!(
        !site.path().join("public").exists(),
        "no half-written public/"
    );
}

#[test]
fn a_site_table_with_an_unknown_key_names_file_and_line() {
    let site = site_with(Some("languages-render"));
    fs::write(
        site.path().join("i18n/ar.toml"),
        "# Arabic\n\nnav_drectory = \"x\"\n",
    )
    .unwrap();
    let output = switchboard(site.path(), &["build"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("i18n/ar.toml:3"), "{err}");
    assert!(err.contains("did you mean `nav_directory`"), "{err}");
}

#[test]
fn a_page_named_like_a_language_collides_with_its_tree() {
    let site = site_with(Some("languages-render"));
    fs::write(
        site.path().join("content/pages/de.md"),
        "+++\ntitle = \"Deutsch\"\n+++\nHallo.\n",
    )
    .unwrap();
    let output = switchboard(site.path(), &["build"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("de/index.html"), "{err}");
    assert!(err.contains("the Markdown page `de`"), "{err}");
    assert!(
        !site.path().join("public").exists(),
        "no half-written public/"
    );
}

#[test]
fn a_one_language_site_has_no_switcher_and_no_alternates() {
    let site = site_with(None);
    assert!(switchboard(site.path(), &["build"]).status.success());
    let html = fs::read_to_string(site.path().join("public/index.html")).unwrap();
    assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(!html.contains("hreflang") && !html.contains("class=\"languages\""));
    assert!(!site.path().join("public/en").exists());
    let xml = fs::read_to_string(site.path().join("public/sitemap.xml")).unwrap();
    assert!(!xml.contains("xhtml"));
}
