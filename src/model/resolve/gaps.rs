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
        let table = "site.translations";
        finder.text(
            source,
            Some(&site.title),
            "title",
            table,
            &site.translations,
            |t| t.title.is_some(),
        );
        finder.text(
            source,
            site.description.as_ref(),
            "description",
            table,
            &site.translations,
            |t| t.description.is_some(),
        );
        if let Some(form) = &file.value.form {
            finder.text(
                source,
                form.response_time.as_ref(),
                "response_time",
                "form.translations",
                &form.translations,
                |t| t.response_time.is_some(),
            );
        }
    }
    for file in &raw.departments {
        finder.department(file);
    }
    if let Some(file) = &raw.topics {
        let table = "topic.translations";
        for topic in &file.value.topic {
            let t = &topic.translations;
            finder.text(&file.source, Some(&topic.label), "label", table, t, |t| {
                t.label.is_some()
            });
            finder.text(
                &file.source,
                topic.description.as_ref(),
                "description",
                table,
                t,
                |t| t.description.is_some(),
            );
        }
    }
    for page in &raw.pages {
        let missing = finder.missing(|code| {
            raw.page_translations
                .iter()
                .any(|t| t.slug == page.slug && t.language == code)
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

struct Finder<'a> {
    default: &'a str,
    others: &'a [String],
    gaps: TranslationGaps,
}

impl Finder<'_> {
    fn department(&mut self, file: &Parsed<DepartmentFile>) {
        let (source, raw) = (&file.source, &file.value);
        let t = &raw.translations;
        self.text(source, Some(&raw.name), "name", "translations", t, |t| {
            t.name.is_some()
        });
        self.text(
            source,
            raw.summary.as_ref(),
            "summary",
            "translations",
            t,
            |t| t.summary.is_some(),
        );
        self.text(
            source,
            raw.response_time.as_ref(),
            "response_time",
            "translations",
            t,
            |t| t.response_time.is_some(),
        );
        for closure in raw.hours.iter().flat_map(|h| h.closures.iter()) {
            let table = "hours.closures.translations";
            self.text(
                source,
                Some(&closure.name),
                "name",
                table,
                &closure.translations,
                |t| t.name.is_some(),
            );
        }
        for contact in &raw.contacts {
            let (t, table) = (&contact.translations, "contacts.translations");
            self.text(source, contact.role.as_ref(), "role", table, t, |t| {
                t.role.is_some()
            });
            self.text(source, contact.bio.as_ref(), "bio", table, t, |t| {
                t.bio.is_some()
            });
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
        source: &SourceFile,
        value: Option<&Spanned<String>>,
        key: &str,
        table: &str,
        translations: &schema::Translations<T>,
        translated: impl Fn(&T) -> bool,
    ) {
        let Some(value) = value.filter(|v| !v.get_ref().trim().is_empty()) else {
            return;
        };
        let missing = self.missing(|code| {
            translations
                .iter()
                .any(|(c, text)| c.get_ref() == code && translated(text))
        });
        let default = self.default;
        self.report(missing, |first| {
            Diagnostic::at(source, value.span(), format!("`{key}` has no translation"))
                .with_hint(format!(
                    "add `{key} = \"…\"` under `[{table}.{first}]`; until then visitors read the {default} text"
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
