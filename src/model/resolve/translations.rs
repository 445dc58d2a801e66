//! The `translations` tables and the translated pages (`about.de.md`): each
//! must be for one of the site's languages other than its default; what is
//! translated is collected into [`Translations`] for [`Site::in_language`].
//!
//! [`Site::in_language`]: crate::model::Site::in_language

use std::collections::HashSet;

use super::Resolver;
use crate::diagnostic::{Diagnostic, SourceFile, did_you_mean};
use crate::model::load::{Parsed, RawSite};
use crate::model::markdown::markdown_to_html;
use crate::model::schema::{self, DepartmentFile};
use crate::model::translations::*;
use crate::model::value_checks::Invalid;

/// Every translation in `raw`, checked against `languages` (the default first).
pub(super) fn resolve_translations(
    resolver: &mut Resolver,
    raw: &RawSite,
    languages: &[String],
) -> Translations {
    let mut translations: Translations = languages
        .iter()
        .skip(1)
        .map(|code| (code.clone(), LanguageText::default()))
        .collect();
    let mut codes = Codes {
        resolver,
        languages,
    };
    if let Some(file) = &raw.site {
        let source = &file.source;
        for (code, text) in codes.tables(source, &file.value.site.translations) {
            translations.entry(code).or_default().site = SiteText {
                title: text.title.clone(),
                description: text.description.clone(),
            };
        }
        if let Some(form) = &file.value.form {
            for (code, text) in codes.tables(source, &form.translations) {
                translations.entry(code).or_default().response_time = text.response_time.clone();
            }
        }
    }
    for file in &raw.departments {
        department_translations(&mut codes, file, &mut translations);
    }
    if let Some(file) = &raw.topics {
        for topic in &file.value.topic {
            for (code, text) in codes.tables(&file.source, &topic.translations) {
                let topic_text = TopicText {
                    label: text.label.clone(),
                    description: text.description.clone(),
                };
                translations
                    .entry(code)
                    .or_default()
                    .topics
                    .insert(topic.id.get_ref().clone(), topic_text);
            }
        }
    }
    page_translations(&mut codes, raw, &mut translations);
    translations
}

/// A department's, its closures' and its contacts' translations. A
/// department without its own response time shows the form's, translated.
fn department_translations(
    codes: &mut Codes,
    file: &Parsed<DepartmentFile>,
    translations: &mut Translations,
) {
    let source = &file.source;
    let raw = &file.value;
    let id = raw.id.get_ref();
    for (code, text) in codes.tables(source, &raw.translations) {
        let department = department_text(translations, code, id);
        department.name = text.name.clone();
        department.summary = text.summary.clone();
        department.response_time = text.response_time.clone();
    }
    let closures = raw.hours.iter().flat_map(|hours| hours.closures.iter());
    for (index, closure) in closures.enumerate() {
        for (code, text) in codes.tables(source, &closure.translations) {
            if let Some(name) = &text.name {
                let department = department_text(translations, code, id);
                department.closures.insert(index, name.clone());
            }
        }
    }
    if raw.response_time.is_none() {
        for language in translations.values_mut() {
            if let Some(form_time) = &language.response_time {
                let department = language.departments.entry(id.clone()).or_default();
                department
                    .response_time
                    .get_or_insert_with(|| form_time.clone());
            }
        }
    }
    for contact in &raw.contacts {
        for (code, text) in codes.tables(source, &contact.translations) {
            let contact_text = ContactText {
                role: text.role.clone(),
                bio_html: text.bio.as_deref().map(markdown_to_html),
            };
            translations
                .entry(code)
                .or_default()
                .contacts
                .insert(contact.id.get_ref().clone(), contact_text);
        }
    }
}

/// The department `id`'s texts in `code`, created empty if there are none yet.
fn department_text<'t>(
    translations: &'t mut Translations,
    code: String,
    id: &str,
) -> &'t mut DepartmentText {
    translations
        .entry(code)
        .or_default()
        .departments
        .entry(id.to_string())
        .or_default()
}

/// `about.de.md`: for a language the site lists, beside its `about.md`.
fn page_translations(codes: &mut Codes, raw: &RawSite, translations: &mut Translations) {
    let slugs: HashSet<&str> = raw.pages.iter().map(|p| p.slug.as_str()).collect();
    for page in &raw.page_translations {
        let path = &page.source.path;
        let Some(code) = codes.page_code(path, &page.slug, &page.language) else {
            continue;
        };
        if !slugs.contains(page.slug.as_str()) {
            codes.resolver.diagnostics.push(
                Diagnostic::file(
                    path,
                    format!(
                        "a translation of the page `{}`, which does not exist",
                        page.slug
                    ),
                )
                .with_hint(format!(
                    "add content/pages/{}.md in the default language ({}), or rename this file",
                    page.slug, codes.languages[0]
                )),
            );
            continue;
        }
        let page_text = PageText {
            title: page.front.title.clone(),
            description: page.front.description.clone(),
            body_html: markdown_to_html(&page.markdown),
        };
        translations
            .entry(code)
            .or_default()
            .pages
            .insert(page.slug.clone(), page_text);
    }
}

/// Checks language codes against the site's languages, reporting the rest.
struct Codes<'r, 'a> {
    resolver: &'r mut Resolver<'a>,
    /// The default first.
    languages: &'r [String],
}

impl Codes<'_, '_> {
    /// The tables of `table` for a language the site lists besides the default.
    fn tables<'t, T>(
        &mut self,
        source: &SourceFile,
        table: &'t schema::Translations<T>,
    ) -> Vec<(String, &'t T)> {
        table
            .iter()
            .filter(|(code, _)| match self.problem(code.get_ref()) {
                Some(invalid) => {
                    self.resolver.report(source, code.span(), invalid);
                    false
                }
                None => true,
            })
            .map(|(code, text)| (code.get_ref().clone(), text))
            .collect()
    }

    /// The language of a translated page's file name, if the site lists it.
    fn page_code(&mut self, path: &std::path::Path, slug: &str, code: &str) -> Option<String> {
        let Some(invalid) = self.problem(code) else {
            return Some(code.to_string());
        };
        let hint = if code == self.languages[0] {
            format!("the default language's page is {slug}.md: edit that one and remove this file")
        } else {
            match did_you_mean(code, self.languages.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{slug}.{close}.md`?"),
                None => format!(
                    "add `{code}` to `languages` in content/site.toml, or rename the file (the site's languages: {})",
                    self.languages.join(", ")
                ),
            }
        };
        self.resolver
            .diagnostics
            .push(Diagnostic::file(path, invalid.message).with_hint(hint));
        None
    }

    /// Why `code` cannot have translations, if it cannot.
    fn problem(&self, code: &str) -> Option<Invalid> {
        let default = &self.languages[0];
        if code == default {
            return Some(Invalid::new(
                format!("`{code}` is the site's default language, so it has no translation"),
                "edit the text itself (outside `translations`), or for a page its file without the language code",
            ));
        }
        if self.languages.iter().any(|l| l == code) {
            return None;
        }
        let hint = match did_you_mean(code, self.languages.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "add it to `languages` in content/site.toml, or fix the code (the site's languages: {})",
                self.languages.join(", ")
            ),
        };
        Some(Invalid::new(
            format!("`{code}` is not one of the site's languages"),
            hint,
        ))
    }
}
