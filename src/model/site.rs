//! The organisation after loading and validation: every reference resolved,
//! every value checked. Renderers and the manifest read only this, never the
//! raw TOML, so they cannot see a half-valid site.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use switchboard_router::manifest::{AfterHoursRule, Captcha, DateRange, OpenSpan, RateLimits};

use super::translations::Translations;

/// A whole site, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    /// The folder holding `site.toml` (and usually `content/`).
    #[serde(skip)]
    pub root: PathBuf,
    pub config: SiteConfig,
    pub organization: Organization,
    pub form: FormSettings,
    pub directory: DirectorySettings,
    /// In display order (`order`, then name).
    pub departments: Vec<Department>,
    /// In the order of `topics.toml`.
    pub topics: Vec<Topic>,
    /// Sorted by slug.
    pub pages: Vec<Page>,
    /// The texts in the other languages; read them through
    /// [`Site::in_language`]. Shared, so copies of the site stay cheap.
    #[serde(skip)]
    pub translations: Arc<Translations>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    /// Absolute, without a trailing slash: `https://example.org`.
    pub base_url: String,
    /// BCP 47 language tag of the site's default language, e.g. `en` or
    /// `de-CH`: the first of [`SiteConfig::languages`].
    pub language: String,
    /// Every language the site is published in, the default first (never empty).
    pub languages: Vec<String>,
    /// Folder name under `themes/`.
    pub theme: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub name: String,
    /// Site-relative path of the logo, copied from `static/`.
    pub logo: Option<String>,
    pub address: Option<PostalAddress>,
    pub phone: Option<Phone>,
    /// A published general address, if any.
    pub email: Option<String>,
    pub social: Vec<SocialLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostalAddress {
    pub street: String,
    pub locality: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: String,
}

/// A phone number in international (E.164-like) form.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Phone {
    /// As the editor wrote it, for display: `+49 30 1234 5678`.
    pub display: String,
    /// Digits with a leading `+`, for `tel:` links and vCards: `+493012345678`.
    pub e164: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SocialLink {
    pub name: String,
    pub url: String,
}

/// `[directory]`: what the home page lists, so it stays small whatever the
/// organisation's size (everyone else is on the department pages, the
/// people index and the search index).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct DirectorySettings {
    /// Up to this many contacts in all, the home page lists every one.
    pub people_on_home_page: usize,
    /// The home page lists at most this many departments (in order).
    pub departments_on_home_page: usize,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        DirectorySettings {
            people_on_home_page: 60,
            departments_on_home_page: 40,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FormSettings {
    /// Where the form posts: the deployed router's public URL.
    pub endpoint: String,
    /// Default for departments that do not set their own.
    pub response_time: String,
    pub min_fill_seconds: u32,
    pub max_message_chars: u32,
    /// The captcha widget the form shows and the router verifies.
    pub captcha: Option<Captcha>,
    /// Days a built page's form keeps working: rebuild at least this often.
    pub token_max_age_days: u32,
    /// Days every accepted message is kept as a record before it is purged.
    pub retention_days: u32,
    pub limits: RateLimits,
}

#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub inbox: String,
    /// Whether the inbox address may be shown on the site.
    pub publish_inbox: bool,
    pub cc_inbox: bool,
    pub phone: Option<Phone>,
    pub languages: Vec<String>,
    /// Whether the router prefers a contact who speaks the visitor's
    /// language (`route_by_language`, default true).
    pub route_by_language: bool,
    pub response_time: String,
    /// Absent means the department does not publish hours (always reachable).
    pub hours: Option<Hours>,
    pub after_hours: AfterHoursRule,
    /// Id of the contact who handles topics without a contact of their own.
    pub primary: String,
    pub contacts: Vec<Contact>,
    /// The file it came from, relative to the site root, for messages.
    #[serde(skip)]
    pub source: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hours {
    pub timezone: String,
    /// Seven entries, Monday first.
    pub days: Vec<Vec<OpenSpan>>,
    pub closures: Vec<Closure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Closure {
    pub name: String,
    #[serde(flatten)]
    pub dates: DateRange,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: String,
    pub department: String,
    pub name: String,
    pub role: String,
    pub email: String,
    /// Contacts with `false` are reachable only through the form.
    pub publish_email: bool,
    pub phone: Option<Phone>,
    pub languages: Vec<String>,
    /// Site-relative path of the photo.
    pub photo: Option<String>,
    /// The bio rendered from Markdown to HTML (see `model::markdown`).
    pub bio_html: Option<String>,
    pub backup: Option<String>,
    pub away: Vec<DateRange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Topic {
    pub id: String,
    pub label: String,
    pub description: Option<String>,
    pub department: String,
    pub contact: Option<String>,
}

/// A Markdown page from `content/pages/`.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// URL path segment: `about` is served at `/about/`.
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    /// Position in the navigation; pages without one are not in the menu.
    pub menu: Option<i64>,
    pub body_html: String,
}

impl Site {
    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.departments.iter().flat_map(|d| d.contacts.iter())
    }
}
