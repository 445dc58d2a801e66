//! Missing translations: every text of the default language that one of the
//! site's other languages lacks. They are warnings (the visitor reads the
//! default text there), errors under `switchboard check --strict`.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::diagnostic::{Diagnostic, Severity, SourceFile};
use crate::model::load::{Parsed, RawPageTranslation, RawSite};
use crate::model::schema::{self, DepartmentFile};

/// What [`find_gaps`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslationGaps {
    /// One warning per untranslated text, naming its languages, in file order.
    pub warnings: Vec<Diagnostic>,
    /// How many texts each language lacks.
    pub missing: BTreeMap<String, usize>,
}

impl TranslationGaps {
    pub fn total(&self) -> usize {
        self.missing.values().sum()
    }

    /// `12 translations missing (fr: 10, ar: 2)`, or `None` without gaps.
    pub fn summary(&self) -> Option<String> {
        let total = self.total();
        let per_language: Vec<String> = self
            .missing
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(code, count)| format!("{code}: {count}"))
            .collect();
        (total > 0).then(|| {
            format!(
                "{total} translation{} missing ({})",
                if total == 1 { "" } else { "s" },
                per_language.join(", ")
            )
        })
    }
}

/// Every untranslated text in `raw`; `languages` are the site's, the default first.
pub(super) fn find_gaps(raw: &RawSite, languages: &[String]) -> TranslationGaps {
    let mut finder = Finder {
        default: &languages[0],
        others: &languages[1..],
        gaps: TranslationGaps {
            warnings: Vec::new(),
            missing: languages[1..].iter().map(|c| (c.clone(), 0)).collect(),
        },
    };
    if finder.others.is_empty() {
        return finder.gaps;
    }
    if let Some(file) = &raw.site {
        let (source, site) = (&file.source, &file.value.site);
        let table = Table::new(source, "site.translations", &site.translations);
        finder.text(&table, "title", Some(&site.title), |t| t.title.is_some());
        let description = site.description.as_ref();
        finder.text(&table, "description", description, |t| {
            t.description.is_some()
        });
        if let Some(form) = &file.value.form {
            let table = Table::new(source, "form.translations", &form.translations);
            let time = form.response_time.as_ref();
            finder.text(&table, "response_time", time, |t| t.response_time.is_some());
        }
    }
    for file in &raw.departments {
        finder.department(file);
    }
    if let Some(file) = &raw.topics {
        for topic in &file.value.topic {
            let table = Table::new(&file.source, "topic.translations", &topic.translations);
            finder.text(&table, "label", Some(&topic.label), |t| t.label.is_some());
            let description = topic.description.as_ref();
            finder.text(&table, "description", description, |t| {
                t.description.is_some()
            });
        }
    }
    for page in &raw.pages {
        let missing = finder.missing(|code| {
            let parsed = raw.page_translations.iter();
            let pairs = parsed.map(|t| (t.slug.as_str(), t.language.as_str()));
            let unparsed = raw.unparsed_page_translations.iter();
            pairs
                .chain(unparsed.map(|(slug, code)| (slug.as_str(), code.as_str())))
                .any(|pair| pair == (page.slug.as_str(), code))
        });
        let default = finder.default;
        finder.report(missing, |first| {
            Diagnostic::file(&page.source.path, "the page has no translation").with_hint(format!(
                "add content/pages/{}.{first}.md; until then visitors read the {default} page",
                page.slug
            ))
        });
    }
    for translated in &raw.page_translations {
        finder.page_front_matter(raw, translated);
    }
    finder
        .gaps
        .warnings
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    finder.gaps
}

/// A `translations` table and the file it is in.
struct Table<'a, T> {
    source: &'a SourceFile,
    /// As an editor writes it: `contacts.translations`.
    name: &'static str,
    translations: &'a schema::Translations<T>,
}

impl<'a, T> Table<'a, T> {
    fn new(
        source: &'a SourceFile,
        name: &'static str,
        translations: &'a schema::Translations<T>,
    ) -> Self {
        Table {
            source,
            name,
            translations,
        }
    }
}

struct Finder<'a> {
    default: &'a str,
    others: &'a [String],
    gaps: TranslationGaps,
}

impl Finder<'_> {
    fn department(&mut self, file: &Parsed<DepartmentFile>) {
        let (source, raw) = (&file.source, &file.value);
        let table = Table::new(source, "translations", &raw.translations);
        self.text(&table, "name", Some(&raw.name), |t| t.name.is_some());
        self.text(&table, "summary", raw.summary.as_ref(), |t| {
            t.summary.is_some()
        });
        let time = raw.response_time.as_ref();
        self.text(&table, "response_time", time, |t| t.response_time.is_some());
        for closure in raw.hours.iter().flat_map(|h| h.closures.iter()) {
            let name = "hours.closures.translations";
            let table = Table::new(source, name, &closure.translations);
            self.text(&table, "name", Some(&closure.name), |t| t.name.is_some());
        }
        for contact in &raw.contacts {
            let table = Table::new(source, "contacts.translations", &contact.translations);
            self.text(&table, "role", contact.role.as_ref(), |t| t.role.is_some());
            self.text(&table, "bio", contact.bio.as_ref(), |t| t.bio.is_some());
        }
    }

    /// A translated page without its own title or description shows the default page's.
    fn page_front_matter(&mut self, raw: &RawSite, translated: &RawPageTranslation) {
        let Some(page) = raw.pages.iter().find(|p| p.slug == translated.slug) else {
            return; // reported as an error
        };
        if !self.others.contains(&translated.language) {
            return; // reported as an error
        }
        let mut missing = Vec::new();
        if translated.front.title.is_none() {
            missing.push("title");
        }
        if translated.front.description.is_none() && page.front.description.is_some() {
            missing.push("description");
        }
        for key in missing {
            let diagnostic = Diagnostic::file(
                &translated.source.path,
                format!("`{key}` has no translation into {}", translated.language),
            )
            .with_hint(format!(
                "add `{key} = \"…\"` to the front matter; until then visitors read the {} {key}",
                self.default
            ));
            self.count(&translated.language);
            self.gaps
                .warnings
                .push(diagnostic.with_severity(Severity::Warning));
        }
    }

    /// Checks one text (if written and not empty) against its translation tables.
    fn text<T>(
        &mut self,
        table: &Table<T>,
        key: &str,
        value: Option<&Spanned<String>>,
        translated: impl Fn(&T) -> bool,
    ) {
        let Some(value) = value.filter(|v| !v.get_ref().trim().is_empty()) else {
            return;
        };
        let missing = self.missing(|code| {
            table
                .translations
                .iter()
                .any(|(c, text)| c.get_ref() == code && translated(text))
        });
        let (default, name) = (self.default, table.name);
        self.report(missing, |first| {
            Diagnostic::at(table.source, value.span(), format!("`{key}` has no translation"))
                .with_hint(format!(
                    "add `{key} = \"…\"` under `[{name}.{first}]`; until then visitors read the {default} text"
                ))
        });
    }

    /// The other languages `has` says are missing.
    fn missing(&self, has: impl Fn(&str) -> bool) -> Vec<String> {
        self.others
            .iter()
            .filter(|code| !has(code))
            .cloned()
            .collect()
    }

    /// One warning for the languages in `missing`, naming them.
    /// `diagnostic` is given the first missing language, for its hint.
    fn report(&mut self, missing: Vec<String>, diagnostic: impl FnOnce(&str) -> Diagnostic) {
        let Some(first) = missing.first() else {
            return;
        };
        let mut diagnostic = diagnostic(first).with_severity(Severity::Warning);
        diagnostic.message = format!("{} into {}", diagnostic.message, missing.join(", "));
        for code in &missing {
            self.count(code);
        }
        self.gaps.warnings.push(diagnostic);
    }

    fn count(&mut self, code: &str) {
        if let Some(count) = self.gaps.missing.get_mut(code) {
            *count += 1;
        }
    }
}
