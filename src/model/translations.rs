//! The site's texts in its other languages, resolved from the
//! `translations` tables and the `page.<code>.md` files. A `None` is a text
//! nobody translated: [`Site::in_language`](super::Site::in_language) keeps
//! the default language's text there.

use std::collections::BTreeMap;

/// By language code; the default language is never a key. Ordered maps
/// throughout, so two loads of the same site print the same.
pub type Translations = BTreeMap<String, LanguageText>;

/// Every translated text of one language, by the id of what it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LanguageText {
    /// How many of the default language's texts this language lacks (they
    /// fall back; `switchboard check` lists them).
    pub missing: usize,
    pub site: SiteText,
    /// The form's default response time.
    pub response_time: Option<String>,
    /// By department id.
    pub departments: BTreeMap<String, DepartmentText>,
    /// By contact id (unique across the site).
    pub contacts: BTreeMap<String, ContactText>,
    /// By topic id.
    pub topics: BTreeMap<String, TopicText>,
    /// By page slug.
    pub pages: BTreeMap<String, PageText>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteText {
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentText {
    pub name: Option<String>,
    pub summary: Option<String>,
    /// The department's own, or the form's when the department inherits it.
    pub response_time: Option<String>,
    /// Closure names by the closure's position in the file.
    pub closures: BTreeMap<usize, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactText {
    pub role: Option<String>,
    /// Rendered from Markdown like the default bio.
    pub bio_html: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicText {
    pub label: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageText {
    pub title: Option<String>,
    pub description: Option<String>,
    pub body_html: String,
}
