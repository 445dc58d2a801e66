//! The directory beyond the home page, so the home page stays small
//! whatever the organisation's size: what the home page lists
//! ([`HomeListing`], from `[directory]` in `site.toml`), the people index
//! (`people/`, A–Z, split into pages that work without JavaScript) and the
//! list of every department (`departments/`). The search index the script
//! fetches is [`super::search_index`].

use serde::Serialize;
use tera::Context;

use super::RenderError;
use super::collisions::Output;
use super::pages::{Done, Shared};
use super::search_index::{self, fold};
use super::view::{ContactView, DepartmentView};
use crate::model::{Phone, Site};

/// People per page of the people index: about 25 KB of HTML.
pub(super) const PEOPLE_PER_PAGE: usize = 200;

/// Where the index pages are (site-relative, like every view path).
pub(super) const PEOPLE_PATH: &str = "people/";
pub(super) const DEPARTMENTS_PATH: &str = "departments/";

/// What the home page lists, and where the rest is: the `directory` value
/// of the home page's template.
#[derive(Debug, Clone, Serialize)]
pub struct HomeListing {
    /// Every contact is on the home page (at most `people_on_home_page`).
    pub people_on_home: bool,
    /// The home page lists the first this many departments.
    pub departments_listed: usize,
    pub all_departments_listed: bool,
    pub departments_total: usize,
    pub people_total: usize,
    pub people_path: &'static str,
    pub departments_path: &'static str,
    /// The search index: `search/all.json`, or one file per key.
    pub search_path: &'static str,
    pub search_chunked: bool,
}

impl HomeListing {
    pub fn new(site: &Site) -> HomeListing {
        let people_total = site.departments.iter().map(|d| d.contacts.len()).sum();
        let departments_total = site.departments.len();
        let listed = departments_total.min(site.directory.departments_on_home_page);
        HomeListing {
            people_on_home: people_total <= site.directory.people_on_home_page,
            departments_listed: listed,
            all_departments_listed: listed == departments_total,
            departments_total,
            people_total,
            people_path: PEOPLE_PATH,
            departments_path: DEPARTMENTS_PATH,
            search_path: search_index::PATH,
            search_chunked: search_index::chunked(site),
        }
    }
}

/// One person in the people index.
#[derive(Debug, Serialize)]
pub(super) struct PersonEntry<'a> {
    pub(super) name: &'a str,
    pub(super) role: &'a str,
    pub(super) department: &'a str,
    /// Their entry on their department's page: `departments/x/#contact-id`.
    pub(super) url: String,
    pub(super) language_codes: &'a str,
    /// Folded name ([`fold`]), for sorting.
    #[serde(skip)]
    sort_key: String,
}

/// Everyone, sorted by name as a visitor reads it (accents folded).
pub(super) fn people(departments: &[DepartmentView]) -> Vec<PersonEntry<'_>> {
    let mut all: Vec<PersonEntry<'_>> = departments
        .iter()
        .flat_map(|d| d.contacts.iter().map(move |c| person(d, c)))
        .collect();
    all.sort_by(|a, b| (&a.sort_key, a.name).cmp(&(&b.sort_key, b.name)));
    all
}

fn person<'a>(d: &'a DepartmentView, c: &'a ContactView) -> PersonEntry<'a> {
    PersonEntry {
        name: &c.name,
        role: &c.role,
        department: &d.name,
        url: format!("{}#contact-{}", d.path, c.id),
        language_codes: &c.language_codes,
        sort_key: fold(&c.name),
    }
}

/// The numbered pages of the people index for `people` people: none when
/// everyone fits on `people/` itself, else `people/1/`, `people/2/`…
pub(super) fn people_page_paths(people: usize) -> Vec<String> {
    let pages = people.div_ceil(PEOPLE_PER_PAGE);
    if pages <= 1 {
        return Vec::new();
    }
    (1..=pages).map(|n| format!("{PEOPLE_PATH}{n}/")).collect()
}

/// A page of the people index, as its link in the list of pages.
#[derive(Debug, Serialize)]
struct PeoplePage<'a> {
    path: String,
    /// The first and last name on the page, the link's text.
    first: &'a str,
    last: &'a str,
}

/// Writes `people/` and, when everyone does not fit on it, `people/1/`,
/// `people/2/`… ([`PEOPLE_PER_PAGE`] each), listed on `people/` by the
/// first and last name on each.
pub(super) fn render_people<'a>(
    shared: &Shared<'a>,
    out: &Output<'a>,
) -> Result<Done, RenderError> {
    let everyone = people(shared.departments);
    let chunks: Vec<&[PersonEntry<'_>]> = everyone.chunks(PEOPLE_PER_PAGE).collect();
    let pages: Vec<PeoplePage<'_>> = people_page_paths(everyone.len())
        .into_iter()
        .zip(&chunks)
        .map(|(path, chunk)| PeoplePage {
            path,
            first: chunk.first().map_or("", |p| p.name),
            last: chunk.last().map_or("", |p| p.name),
        })
        .collect();
    let paged = !pages.is_empty();
    let landing: &[PersonEntry<'_>] = if paged { &[] } else { &everyone };
    let page = |people: &[PersonEntry<'_>], number: usize| -> Context {
        let mut ctx = shared.base.clone();
        ctx.insert("people", people);
        ctx.insert("people_pages", if paged { &pages[..] } else { &[] });
        ctx.insert("page_number", &number);
        ctx.insert("people_total", &everyone.len());
        ctx.insert("title", &shared.site.config.title);
        ctx
    };
    shared.write_page(PEOPLE_PATH.into(), "people.html", page(landing, 0), out)?;
    if paged {
        for (i, chunk) in chunks.iter().enumerate() {
            let path = pages[i].path.clone();
            shared.write_page(path, "people.html", page(chunk, i + 1), out)?;
        }
    }
    Ok(Done::Written)
}

/// One department in the list of every department.
#[derive(Debug, Serialize)]
struct DepartmentEntry<'a> {
    name: &'a str,
    path: &'a str,
    phone: Option<&'a Phone>,
    people: usize,
}

/// Writes `departments/`: every department, in order, with its phone.
pub(super) fn render_departments<'a>(
    shared: &Shared<'a>,
    out: &Output<'a>,
) -> Result<Done, RenderError> {
    let entries: Vec<DepartmentEntry<'_>> = shared
        .departments
        .iter()
        .map(|d| DepartmentEntry {
            name: &d.name,
            path: &d.path,
            phone: d.phone.as_ref(),
            people: d.contacts.len(),
        })
        .collect();
    let mut ctx = shared.base.clone();
    ctx.insert("all_departments", &entries);
    ctx.insert("title", &shared.site.config.title);
    shared.write_page(DEPARTMENTS_PATH.into(), "departments.html", ctx, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_sorted_by_folded_name_and_link_to_their_entry() {
        let site = crate::render::testsite::site();
        let t = crate::render::i18n::Strings::default_theme().language("en", "en");
        let views = DepartmentView::all(&site, &t);
        let all = people(&views);
        assert_eq!(all.len(), site.contacts().count());
        assert!(all.windows(2).all(|w| w[0].sort_key <= w[1].sort_key));
        for p in &all {
            assert!(
                p.url.starts_with("departments/") && p.url.contains("/#contact-"),
                "{}",
                p.url
            );
        }
    }

    #[test]
    fn the_people_index_is_paged_only_when_everyone_does_not_fit() {
        assert!(people_page_paths(0).is_empty());
        assert!(people_page_paths(PEOPLE_PER_PAGE).is_empty());
        assert_eq!(
            people_page_paths(PEOPLE_PER_PAGE * 2 + 1),
            ["people/1/", "people/2/", "people/3/"]
        );
    }

    #[test]
    fn the_home_page_lists_everyone_up_to_the_threshold() {
        let mut site = crate::render::testsite::site();
        let n = site.contacts().count();
        site.directory.people_on_home_page = n;
        assert!(HomeListing::new(&site).people_on_home);
        site.directory.people_on_home_page = n - 1;
        assert!(!HomeListing::new(&site).people_on_home);
        site.directory.departments_on_home_page = 1;
        let listing = HomeListing::new(&site);
        assert_eq!(listing.departments_listed, 1);
        assert!(!listing.all_departments_listed);
    }
}
