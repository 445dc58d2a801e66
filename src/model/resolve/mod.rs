//! From raw files to a [`Site`]: every value checked, every reference
//! resolved, every problem reported with its file and line. Keeps going after
//! an error so the editor gets the whole list in one run.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use switchboard_router::manifest::DateRange;
use toml::Spanned;
use toml::value::Datetime;

use super::load::RawSite;
use super::site::*;
use super::value_checks::{self, Invalid};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile, did_you_mean};

mod departments;
mod gaps;
mod site_file;
mod topics;
mod translations;

use departments::{check_backup_cycles, resolve_department};
pub use gaps::TranslationGaps;
use site_file::resolve_site_file;
use topics::{resolve_pages, resolve_topics};
use translations::resolve_translations;

/// Where site-wide static files (logo, photos) live, relative to the root.
pub const STATIC_DIR: &str = "static";

/// Page slugs the builder itself uses.
const RESERVED_SLUGS: [&str; 5] = ["contact", "departments", "vcards", "assets", "api"];

/// Where the form posts when `[form] endpoint` is not set.
const DEFAULT_FORM_ENDPOINT: &str = "/api/contact";
const DEFAULT_RESPONSE_TIME: &str = "within two business days";
const DEFAULT_MIN_FILL_SECONDS: u32 = 3;
const DEFAULT_MAX_MESSAGE_CHARS: u32 = 5000;

/// A set of valid ids, sorted so hints list them in a stable order.
type Ids<'a> = BTreeSet<&'a str>;

/// How many ids a hint lists before it stops.
const HINT_IDS: usize = 12;

/// Where a value was written: its file and byte range.
#[derive(Clone)]
struct Origin<'a> {
    source: &'a SourceFile,
    span: Range<usize>,
}

struct Resolver<'a> {
    root: &'a Path,
    diagnostics: &'a mut Diagnostics,
}

impl Resolver<'_> {
    fn report(&mut self, source: &SourceFile, span: Range<usize>, invalid: Invalid) {
        self.diagnostics
            .push(Diagnostic::at(source, span, invalid.message).with_hint(invalid.hint));
    }

    /// Runs a check on a spanned value, reporting a failure at its span.
    fn check<T, U>(
        &mut self,
        source: &SourceFile,
        value: &Spanned<T>,
        check: impl FnOnce(&T) -> Result<U, Invalid>,
    ) -> Option<U> {
        match check(value.get_ref()) {
            Ok(ok) => Some(ok),
            Err(invalid) => {
                self.report(source, value.span(), invalid);
                None
            }
        }
    }

    fn phone(&mut self, source: &SourceFile, value: &Option<Spanned<String>>) -> Option<Phone> {
        value
            .as_ref()
            .and_then(|phone| self.check(source, phone, |p| value_checks::parse_phone(p)))
    }

    fn email(&mut self, source: &SourceFile, value: &Spanned<String>) -> String {
        self.check(source, value, |e| value_checks::check_email(e));
        value.get_ref().trim().to_string()
    }

    fn languages(&mut self, source: &SourceFile, values: &[Spanned<String>]) -> Vec<String> {
        values
            .iter()
            .filter_map(|tag| {
                self.check(source, tag, |t| value_checks::check_language(t))
                    .map(|()| tag.get_ref().clone())
            })
            .collect()
    }

    fn date(
        &mut self,
        source: &SourceFile,
        value: &Spanned<Datetime>,
    ) -> Option<chrono::NaiveDate> {
        self.check(source, value, value_checks::toml_date)
    }

    fn date_range(
        &mut self,
        source: &SourceFile,
        from: &Spanned<Datetime>,
        until: Option<&Spanned<Datetime>>,
    ) -> Option<DateRange> {
        let start = self.date(source, from)?;
        let end = match until {
            Some(until) => self.date(source, until)?,
            None => start,
        };
        if end < start {
            let span = until.map_or(from.span(), Spanned::span);
            self.report(
                source,
                span,
                Invalid::new(
                    format!("the period ends ({end}) before it starts ({start})"),
                    "swap `from` and `until`",
                ),
            );
            return None;
        }
        Some(DateRange {
            from: start,
            until: end,
        })
    }

    /// A site-relative path to a file under `static/` that must exist.
    fn static_file(&mut self, source: &SourceFile, value: &Spanned<String>) -> Option<String> {
        let relative = value.get_ref().trim_start_matches('/');
        let safe = !relative
            .split('/')
            .any(|part| part == ".." || part.is_empty());
        if safe && self.root.join(STATIC_DIR).join(relative).is_file() {
            return Some(relative.to_string());
        }
        self.report(
            source,
            value.span(),
            Invalid::new(
                format!("`{}` is not a file in `{STATIC_DIR}/`", value.get_ref()),
                format!(
                    "put the file under `{STATIC_DIR}/` and give its path relative to that folder"
                ),
            ),
        );
        None
    }

    /// Reports the second and later uses of an id.
    fn unique<'s>(
        &mut self,
        seen: &mut HashMap<String, Origin<'s>>,
        kind: &str,
        source: &'s SourceFile,
        id: &Spanned<String>,
    ) {
        let origin = Origin {
            source,
            span: id.span(),
        };
        if let Some(first) = seen.get(id.get_ref()) {
            let (line, _) = first.source.line_col(first.span.start);
            let hint = format!(
                "it is already used at {}:{line}; give each {kind} its own id",
                first.source.path.display()
            );
            self.report(
                source,
                id.span(),
                Invalid::new(format!("duplicate {kind} id `{}`", id.get_ref()), hint),
            );
        } else {
            seen.insert(id.get_ref().clone(), origin);
        }
    }

    /// Reports a reference to an id that does not exist, suggesting a close one.
    /// `kind` reads "there is no {kind} with id …"; `known` are the valid ids.
    fn reference(
        &mut self,
        source: &SourceFile,
        value: &Spanned<String>,
        kind: &str,
        known: &Ids,
    ) -> bool {
        if known.contains(value.get_ref().as_str()) {
            return true;
        }
        let hint = match did_you_mean(value.get_ref(), known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.is_empty() => "there are none yet".to_string(),
            None => {
                let listed: Vec<&str> = known.iter().take(HINT_IDS).copied().collect();
                let more = if known.len() > HINT_IDS { ", …" } else { "" };
                format!("the ids to choose from: {}{more}", listed.join(", "))
            }
        };
        self.report(
            source,
            value.span(),
            Invalid::new(
                format!("there is no {kind} with id `{}`", value.get_ref()),
                hint,
            ),
        );
        false
    }
}

/// Checks everything and builds the site; `None` when anything is wrong
/// (the problems are in `diagnostics`). Missing translations go to `gaps`.
pub fn resolve(
    root: &Path,
    raw: RawSite,
    diagnostics: &mut Diagnostics,
    gaps: &mut TranslationGaps,
) -> Option<Site> {
    let mut resolver = Resolver { root, diagnostics };
    let site_file = raw
        .site
        .as_ref()
        .and_then(|site| resolve_site_file(&mut resolver, site));
    let default_response_time = site_file
        .as_ref()
        .map_or(DEFAULT_RESPONSE_TIME.to_string(), |(_, _, form)| {
            form.response_time.clone()
        });

    let mut department_ids = HashMap::new();
    let mut contact_ids = HashMap::new();
    for file in &raw.departments {
        resolver.unique(
            &mut department_ids,
            "department",
            &file.source,
            &file.value.id,
        );
        for contact in &file.value.contacts {
            resolver.unique(&mut contact_ids, "contact", &file.source, &contact.id);
        }
    }
    let all_contacts: Ids = raw
        .departments
        .iter()
        .flat_map(|file| file.value.contacts.iter().map(|c| c.id.get_ref().as_str()))
        .collect();

    let mut departments: Vec<(Option<i64>, Department)> = raw
        .departments
        .iter()
        .filter_map(|file| {
            resolve_department(&mut resolver, file, &all_contacts, &default_response_time)
                .map(|department| (file.value.order, department))
        })
        .collect();
    departments.sort_by(|(a_order, a), (b_order, b)| {
        (a_order.is_none(), a_order, &a.name).cmp(&(b_order.is_none(), b_order, &b.name))
    });
    let departments: Vec<Department> = departments.into_iter().map(|(_, d)| d).collect();

    check_backup_cycles(&mut resolver, &raw);

    let topics = raw
        .topics
        .as_ref()
        .map(|topics| resolve_topics(&mut resolver, topics, &raw))
        .unwrap_or_default();

    let pages = resolve_pages(&mut resolver, &raw.pages);

    // Without the site's languages (site.toml failed) translations cannot be checked.
    let languages = site_file.as_ref().map(|(config, _, _)| &config.languages);
    let translations = languages
        .map(|languages| {
            *gaps = gaps::find_gaps(&raw, languages);
            let mut translations = resolve_translations(&mut resolver, &raw, languages);
            for (code, text) in &mut translations {
                text.missing = gaps.missing.get(code).copied().unwrap_or_default();
            }
            translations
        })
        .unwrap_or_default();

    if raw.departments.is_empty() && raw.site.is_some() {
        resolver.diagnostics.push(
            Diagnostic::file("content/departments", "the site has no departments").with_hint(
                "add a file like content/departments/support.toml (see `switchboard init`)",
            ),
        );
    }
    if !resolver.diagnostics.is_empty() {
        return None;
    }
    let (config, organization, form) = site_file?;
    let defaults = DirectorySettings::default();
    let directory = raw
        .site
        .as_ref()
        .and_then(|site| site.value.directory.as_ref());
    let directory = DirectorySettings {
        people_on_home_page: directory
            .and_then(|d| d.people_on_home_page)
            .map_or(defaults.people_on_home_page, |n| n as usize),
        departments_on_home_page: directory
            .and_then(|d| d.departments_on_home_page)
            .map_or(defaults.departments_on_home_page, |n| n as usize),
    };
    Some(Site {
        root: root.to_path_buf(),
        config,
        organization,
        form,
        directory,
        departments,
        topics,
        pages,
        translations: Arc::new(translations),
    })
}
