//! [`Site::in_language`]: the site as a visitor of one language reads it.

use super::Site;
use super::translations::LanguageText;

impl Site {
    /// A copy of the site with every translatable text in `code`; a text
    /// nobody translated keeps the default language's. For the default
    /// language (or a code the site does not list) the copy equals the site.
    /// `config.language` stays the default language: it says where `/` is.
    ///
    /// One clone of the site and one map lookup per item, so it is cheap
    /// enough to run once per language per build on a large organisation.
    pub fn in_language(&self, code: &str) -> Site {
        let mut site = self.clone();
        if let Some(text) = self.translations.get(code) {
            translate(&mut site, text);
        }
        site
    }
}

/// Overwrites every text `text` translates.
fn translate(site: &mut Site, text: &LanguageText) {
    replace(&mut site.config.title, &text.site.title);
    replace(&mut site.config.description, &text.site.description);
    replace(&mut site.form.response_time, &text.response_time);
    for department in &mut site.departments {
        if let Some(own) = text.departments.get(&department.id) {
            replace(&mut department.name, &own.name);
            replace(&mut department.summary, &own.summary);
            replace(&mut department.response_time, &own.response_time);
            if let Some(hours) = &mut department.hours {
                for (index, name) in &own.closures {
                    if let Some(closure) = hours.closures.get_mut(*index) {
                        closure.name.clone_from(name);
                    }
                }
            }
        }
        for contact in &mut department.contacts {
            if let Some(own) = text.contacts.get(&contact.id) {
                replace(&mut contact.role, &own.role);
                if own.bio_html.is_some() {
                    contact.bio_html.clone_from(&own.bio_html);
                }
            }
        }
    }
    for topic in &mut site.topics {
        if let Some(own) = text.topics.get(&topic.id) {
            replace(&mut topic.label, &own.label);
            if own.description.is_some() {
                topic.description.clone_from(&own.description);
            }
        }
    }
    for page in &mut site.pages {
        if let Some(own) = text.pages.get(&page.slug) {
            replace(&mut page.title, &own.title);
            if own.description.is_some() {
                page.description.clone_from(&own.description);
            }
            page.body_html.clone_from(&own.body_html);
        }
    }
}

fn replace(text: &mut String, translated: &Option<String>) {
    if let Some(translated) = translated {
        text.clone_from(translated);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::model::translations::*;
    use crate::render::testsite;

    #[test]
    fn translates_what_is_translated_and_keeps_the_rest() {
        let mut site = testsite::site();
        let mut de = LanguageText::default();
        de.site.title = Some("Kontakt".into());
        let sales = de.departments.entry("sales".into()).or_default();
        sales.name = Some("Vertrieb".into());
        sales.closures.insert(0, "Betriebsferien".into());
        sales.closures.insert(7, "no such closure".into());
        de.contacts.insert(
            "ana".into(),
            ContactText {
                role: None,
                bio_html: Some("<p>Zehn Jahre.</p>\n".into()),
            },
        );
        site.translations = Arc::new([("de".to_string(), de)].into());

        let german = site.in_language("de");
        assert_eq!(german.config.title, "Kontakt");
        let sales = german.department("sales").expect("sales");
        assert_eq!(sales.name, "Vertrieb");
        assert_eq!(sales.summary, site.departments[0].summary, "fallback");
        let closures = &sales.hours.as_ref().expect("hours").closures;
        assert_eq!(closures[0].name, "Betriebsferien");
        let ana = german.contacts().find(|c| c.id == "ana").expect("ana");
        assert_eq!(ana.bio_html.as_deref(), Some("<p>Zehn Jahre.</p>\n"));
        let original = site.contacts().find(|c| c.id == "ana").expect("ana");
        assert_eq!(ana.role, original.role, "fallback");

        let debug = |site: &crate::model::Site| format!("{site:?}");
        assert_eq!(
            debug(&site.in_language("fr")),
            debug(&site),
            "not a site language"
        );
    }
}
