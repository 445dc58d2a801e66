//! A submission's language and the manifest's texts in it: the language
//! the form posted (if it is one of the site's), the router's strings and
//! pages in it, and the translated names of topics and departments, each
//! falling back to the default language.

use crate::pages::Pages;
use crate::texts::{Texts, primary_subtag};

use super::{Department, RoutingManifest, Topic};

/// The pages of a manifest that has none (an unchecked one): empty.
static NO_PAGES: Pages = Pages {
    form: String::new(),
    sent: String::new(),
    notice: String::new(),
};

/// Longest language tag considered (BCP 47 tags in use are far shorter).
const MAX_TAG_CHARS: usize = 35;

impl RoutingManifest {
    /// The site's default language: the first of `site.languages`.
    pub fn default_language(&self) -> &str {
        self.site.languages.first().map_or("en", String::as_str)
    }

    /// The site language to answer a submission in: `posted` (the form's
    /// `language` field) when it is one of the site's, case aside, or its
    /// primary subtag is (`de-AT` → `de`); otherwise the default. A
    /// malformed value is no error for the visitor: it gets the default.
    pub fn language_for(&self, posted: Option<&str>) -> &str {
        let Some(posted) = posted.map(str::trim).filter(|p| well_formed(p)) else {
            return self.default_language();
        };
        let find = |code: &str| {
            self.site
                .languages
                .iter()
                .find(|l| l.eq_ignore_ascii_case(code))
        };
        find(posted)
            .or_else(|| find(primary_subtag(posted)))
            .map_or_else(|| self.default_language(), String::as_str)
    }

    /// The router's texts in `lang`, falling back to the default language's
    /// and then to English.
    pub fn texts<'m>(&'m self, lang: &'m str) -> Texts<'m> {
        let default = self.default_language();
        Texts::new(
            lang,
            self.strings.get(lang),
            default,
            self.strings.get(default),
        )
    }

    /// The router's pages in `lang`, else the default language's.
    pub fn pages_in(&self, lang: &str) -> &Pages {
        self.pages
            .get(lang)
            .or_else(|| self.pages.get(self.default_language()))
            .unwrap_or(&NO_PAGES)
    }

    /// `lang` as the notification names it: its own name and its code, e.g.
    /// `Deutsch (de)`; the code alone when no table names it.
    pub fn language_name(&self, lang: &str) -> String {
        let name = self
            .strings
            .get(lang)
            .and_then(|t| t.get(crate::texts::LANGUAGE_NAME))
            .cloned()
            .or_else(|| {
                crate::texts::shipped(lang)
                    .and_then(|t| t.get(crate::texts::LANGUAGE_NAME).cloned())
            });
        match name {
            Some(name) => format!("{name} ({lang})"),
            None => lang.to_string(),
        }
    }
}

impl Topic {
    /// The topic's label in `lang` (the default language's when not translated).
    pub fn label_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.label.as_deref())
            .unwrap_or(&self.label)
    }
}

impl Department {
    /// The department's name in `lang` (the default language's when not translated).
    pub fn name_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.name.as_deref())
            .unwrap_or(&self.name)
    }

    /// The department's response time in `lang` (the default language's when not translated).
    pub fn response_time_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.response_time.as_deref())
            .unwrap_or(&self.response_time)
    }

    /// The department's contacts who speak `lang`, in its order (none when
    /// the department does not route by language).
    pub fn speakers_of(&self, lang: &str) -> &[super::CompactString] {
        self.speakers.get(lang).map_or(&[], Vec::as_slice)
    }
}

/// A language tag's shape: letters, digits and `-`/`_`, not too long.
fn well_formed(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= MAX_TAG_CHARS
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
