//! The public view of a [`Site`]: what templates are allowed to see.
//!
//! This is the privacy boundary of the renderer. An address appears here only
//! when the editor published it (`publish_email`, `publish_inbox`); the raw
//! model, with every routing address, never reaches a template, a vCard or the
//! JSON-LD. Paths are site-relative without a leading slash
//! (`departments/sales/`); templates prefix them with `root`, which is
//! relative to the page being rendered, so the output works from any folder
//! of any host.

use std::collections::HashMap;

use serde::Serialize;

use super::hours::{self, HoursRow};
use super::i18n::LanguageStrings;
use crate::model::{Contact, Department, Organization, Phone, PostalAddress, Site, SocialLink};

#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub title: String,
    pub description: String,
    pub base_url: String,
    pub language: String,
    pub organization: OrganizationView,
    /// Pages with a `menu` position, in that order.
    pub menu: Vec<MenuItem>,
    /// Every language any department or contact speaks, for the filter.
    pub languages: Vec<Language>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganizationView {
    pub name: String,
    pub logo: Option<String>,
    pub address: Option<PostalAddress>,
    pub phone: Option<Phone>,
    /// `organization.email` is by definition a published address.
    pub email: Option<String>,
    pub social: Vec<SocialLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MenuItem {
    pub title: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Language {
    /// BCP 47 tag as written in the content (`en`, `pt-BR`).
    pub code: String,
    /// Its name in the page's language (the theme's `lang_<code>`), else the tag.
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentView {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub path: String,
    pub phone: Option<Phone>,
    /// The inbox, only when `publish_inbox`.
    pub email: Option<String>,
    pub languages: Vec<Language>,
    pub response_time: String,
    pub hours: Option<HoursView>,
    pub contacts: Vec<ContactView>,
    /// Topics routed to this department, in `topics.toml` order.
    pub topics: Vec<TopicView>,
    /// Space-separated, for `data-` attributes the filter script reads.
    pub topic_ids: String,
    pub language_codes: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub role: String,
    /// Only when `publish_email`.
    pub email: Option<String>,
    pub phone: Option<Phone>,
    pub languages: Vec<Language>,
    pub language_codes: String,
    pub photo: Option<String>,
    /// Editor-written Markdown rendered to HTML; trusted, emitted unescaped.
    pub bio_html: Option<String>,
    pub vcard: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HoursView {
    pub timezone: String,
    pub rows: Vec<HoursRow>,
    pub closures: Vec<ClosureView>,
    /// [`hours::HoursData`] as JSON with no `'`, `&`, `<` or `>` (written as
    /// `\u0027`…), so a template puts it unescaped in a `'`-quoted attribute:
    /// its many `"` then cost one byte each, not six (`&quot;`).
    pub data_json: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClosureView {
    pub name: String,
    pub from: String,
    pub until: String,
    /// "24 Dec 2025 – 26 Dec 2025" or a single day.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicView {
    pub id: String,
    pub label: String,
    pub description: Option<String>,
    pub department: String,
}

impl SiteView {
    pub fn new(site: &Site, t: &LanguageStrings) -> SiteView {
        let mut menu: Vec<_> = site
            .pages
            .iter()
            .filter_map(|p| p.menu.map(|m| (m, p)))
            .collect();
        menu.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.title.cmp(&b.1.title)));
        let mut languages: Vec<Language> = site
            .departments
            .iter()
            .flat_map(|d| {
                d.languages
                    .iter()
                    .chain(d.contacts.iter().flat_map(|c| c.languages.iter()))
            })
            .map(|code| language(code, t))
            .collect();
        languages.sort_by(|a, b| a.name.cmp(&b.name));
        languages.dedup();
        SiteView {
            title: site.config.title.clone(),
            description: site.config.description.clone(),
            base_url: site.config.base_url.clone(),
            language: site.config.language.clone(),
            organization: organization(&site.organization),
            menu: menu
                .into_iter()
                .map(|(_, p)| MenuItem {
                    title: p.title.clone(),
                    path: format!("{}/", p.slug),
                })
                .collect(),
            languages,
        }
    }
}

fn organization(org: &Organization) -> OrganizationView {
    OrganizationView {
        name: org.name.clone(),
        logo: org
            .logo
            .as_ref()
            .map(|l| l.trim_start_matches('/').to_string()),
        address: org.address.clone(),
        phone: org.phone.clone(),
        email: org.email.clone(),
        social: org.social.clone(),
    }
}

impl DepartmentView {
    /// Views of every department, in order, with hours and dates in the
    /// language of `t`. Topics are grouped in one pass so a thousand
    /// departments do not each scan every topic.
    pub fn all(site: &Site, t: &LanguageStrings) -> Vec<DepartmentView> {
        let mut by_dept: HashMap<&str, Vec<TopicView>> = HashMap::new();
        for t in &site.topics {
            by_dept.entry(&t.department).or_default().push(TopicView {
                id: t.id.clone(),
                label: t.label.clone(),
                description: t.description.clone(),
                department: t.department.clone(),
            });
        }
        site.departments
            .iter()
            .map(|d| DepartmentView::new(d, by_dept.remove(d.id.as_str()).unwrap_or_default(), t))
            .collect()
    }

    /// The view of `dept`, given the topics routed to it.
    pub fn new(dept: &Department, topics: Vec<TopicView>, t: &LanguageStrings) -> DepartmentView {
        DepartmentView {
            id: dept.id.clone(),
            name: dept.name.clone(),
            summary: dept.summary.clone(),
            path: department_path(&dept.id),
            phone: dept.phone.clone(),
            email: dept.publish_inbox.then(|| dept.inbox.clone()),
            languages: dept.languages.iter().map(|l| language(l, t)).collect(),
            language_codes: codes(
                dept.languages
                    .iter()
                    .chain(dept.contacts.iter().flat_map(|c| c.languages.iter())),
            ),
            response_time: dept.response_time.clone(),
            hours: dept.hours.as_ref().map(|h| HoursView {
                timezone: h.timezone.clone(),
                rows: hours::rows(h, t),
                closures: h
                    .closures
                    .iter()
                    .map(|c| ClosureView {
                        name: c.name.clone(),
                        from: c.dates.from.to_string(),
                        until: c.dates.until.to_string(),
                        text: if c.dates.from == c.dates.until {
                            t.date(c.dates.from)
                        } else {
                            format!("{} – {}", t.date(c.dates.from), t.date(c.dates.until))
                        },
                    })
                    .collect(),
                // Serializing plain strings and integers cannot fail.
                data_json: attribute_json(
                    &serde_json::to_string(&hours::data(h)).unwrap_or_default(),
                ),
            }),
            contacts: dept.contacts.iter().map(|c| contact(c, t)).collect(),
            topic_ids: topics
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            topics,
        }
    }
}

fn contact(c: &Contact, t: &LanguageStrings) -> ContactView {
    ContactView {
        id: c.id.clone(),
        name: c.name.clone(),
        role: c.role.clone(),
        email: c.publish_email.then(|| c.email.clone()),
        phone: c.phone.clone(),
        languages: c.languages.iter().map(|l| language(l, t)).collect(),
        language_codes: codes(c.languages.iter()),
        photo: c
            .photo
            .as_ref()
            .map(|p| p.trim_start_matches('/').to_string()),
        bio_html: c.bio_html.clone(),
        vcard: vcard_path(&c.id),
    }
}

pub fn department_path(id: &str) -> String {
    format!("departments/{id}/")
}

pub fn vcard_path(contact_id: &str) -> String {
    format!("vcards/{contact_id}.vcf")
}

fn codes<'a>(langs: impl Iterator<Item = &'a String>) -> String {
    let mut v: Vec<&str> = langs.map(|s| s.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v.join(" ")
}

/// `code` named in the page's language, from the theme's strings
/// (`lang_de`; a region is kept: `Portuguese (BR)`); a tag no table names
/// shows as written.
pub fn language(code: &str, t: &LanguageStrings) -> Language {
    let primary = switchboard_router::texts::primary_subtag(code).to_ascii_lowercase();
    let known = t.get(&format!("lang_{primary}"));
    let name = match (known, code.get(primary.len() + 1..)) {
        ("", _) => code.to_string(),
        (name, Some(region)) => format!("{name} ({region})"),
        (name, None) => name.to_string(),
    };
    Language {
        code: code.to_string(),
        name,
    }
}

/// See [`HoursView::data_json`]: JSON's own escapes keep the value the same.
fn attribute_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '\'' | '&' | '<' | '>' => out.push_str(&format!("\\u{:04x}", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_json_fits_a_single_quoted_attribute_unchanged() {
        let json = attribute_json(r#"{"tz":"a'b&<c>"}"#);
        assert_eq!(json, r#"{"tz":"a\u0027b\u0026\u003cc\u003e"}"#);
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["tz"], "a'b&<c>");
    }

    #[test]
    fn language_names_follow_the_page() {
        let strings = crate::render::i18n::Strings::default_theme();
        let en = strings.language("en", "en");
        assert_eq!(language("de", &en).name, "German");
        assert_eq!(language("pt-BR", &en).name, "Portuguese (BR)");
        assert_eq!(language("tlh", &en).name, "tlh");
        let de = strings.language("de", "en");
        assert_eq!(language("de", &de).name, "Deutsch");
        assert_eq!(language("fr", &de).name, "Französisch");
        assert_eq!(language("FR-ca", &de).name, "Französisch (ca)");
    }

    #[test]
    fn unpublished_addresses_are_not_in_the_view() {
        let site = crate::render::testsite::site();
        let t = crate::render::i18n::Strings::default_theme().language("en", "en");
        for (d, v) in site.departments.iter().zip(DepartmentView::all(&site, &t)) {
            assert_eq!(v.email.is_some(), d.publish_inbox);
            for (c, cv) in d.contacts.iter().zip(&v.contacts) {
                assert_eq!(cv.email.is_some(), c.publish_email);
            }
        }
    }
}
