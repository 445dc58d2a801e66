//! The TOML files exactly as editors write them. Values that later checks may
//! complain about are `Spanned`, so every error can point at its line.
//! Unknown keys are refused (`deny_unknown_fields`): a typo must not be
//! silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

/// `[translations.<code>]` sub-tables: one table of texts per language code,
/// the code spanned so an unknown language is reported at its line.
pub type Translations<T> = BTreeMap<Spanned<String>, T>;

/// `content/site.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    pub site: SiteSection,
    pub organization: OrganizationSection,
    pub form: Option<FormSection>,
    pub directory: Option<DirectorySection>,
}

/// `[directory]`: how much of the directory the home page carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySection {
    pub people_on_home_page: Option<u32>,
    pub departments_on_home_page: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSection {
    pub title: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub base_url: Spanned<String>,
    /// A one-language site's language; `languages` lists several.
    pub language: Option<Spanned<String>>,
    /// The site's languages, the default first.
    pub languages: Option<Spanned<Vec<Spanned<String>>>>,
    pub theme: Option<Spanned<String>>,
    #[serde(default)]
    pub translations: Translations<SiteTranslation>,
}

/// `[site.translations.<code>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteTranslation {
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSection {
    pub name: Spanned<String>,
    pub logo: Option<Spanned<String>>,
    pub email: Option<Spanned<String>>,
    pub phone: Option<Spanned<String>>,
    pub address: Option<AddressSection>,
    #[serde(default)]
    pub social: Vec<SocialEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressSection {
    pub street: String,
    pub locality: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialEntry {
    pub name: String,
    pub url: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSection {
    pub endpoint: Option<Spanned<String>>,
    pub response_time: Option<Spanned<String>>,
    pub min_fill_seconds: Option<u32>,
    pub max_message_chars: Option<Spanned<u32>>,
    /// `{ provider = "turnstile" | "hcaptcha", site_key = "…" }`.
    pub captcha: Option<CaptchaEntry>,
    pub token_max_age_days: Option<Spanned<u32>>,
    pub retention_days: Option<Spanned<u32>>,
    pub limits: Option<LimitsSection>,
    #[serde(default)]
    pub translations: Translations<FormTranslation>,
}

/// `[form.translations.<code>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormTranslation {
    pub response_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptchaEntry {
    pub provider: Spanned<String>,
    pub site_key: Spanned<String>,
}

/// `[form.limits]`: how much one client, one address and everyone may send.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    pub per_client_per_hour: Option<Spanned<u32>>,
    pub overall_per_hour: Option<Spanned<u32>>,
    pub acknowledgement_window_minutes: Option<Spanned<u32>>,
}

/// One file under `content/departments/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentFile {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    pub summary: Option<Spanned<String>>,
    pub inbox: Spanned<String>,
    #[serde(default)]
    pub publish_inbox: bool,
    #[serde(default)]
    pub cc_inbox: bool,
    pub phone: Option<Spanned<String>>,
    #[serde(default)]
    pub languages: Vec<Spanned<String>>,
    /// Route a visitor to a contact who speaks their language (default true).
    pub route_by_language: Option<bool>,
    pub response_time: Option<Spanned<String>>,
    /// Position on the home page; departments without one follow, by name.
    pub order: Option<i64>,
    pub primary: Option<Spanned<String>>,
    pub hours: Option<HoursSection>,
    #[serde(default)]
    pub contacts: Vec<ContactEntry>,
    #[serde(default)]
    pub translations: Translations<DepartmentTranslation>,
}

/// `[translations.<code>]` in a department file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentTranslation {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub response_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursSection {
    pub timezone: Spanned<String>,
    /// Applies to Monday–Friday unless a day says otherwise.
    pub weekdays: Option<Spanned<String>>,
    pub monday: Option<Spanned<String>>,
    pub tuesday: Option<Spanned<String>>,
    pub wednesday: Option<Spanned<String>>,
    pub thursday: Option<Spanned<String>>,
    pub friday: Option<Spanned<String>>,
    pub saturday: Option<Spanned<String>>,
    pub sunday: Option<Spanned<String>>,
    /// `primary`, `backup`, `inbox` or `contact:<id>`.
    pub after_hours: Option<Spanned<String>>,
    #[serde(default)]
    pub closures: Vec<ClosureEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureEntry {
    pub name: Spanned<String>,
    pub from: Spanned<Datetime>,
    /// Inclusive; a one-day closure may leave it out.
    pub until: Option<Spanned<Datetime>>,
    #[serde(default)]
    pub translations: Translations<ClosureTranslation>,
}

/// `[hours.closures.translations.<code>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureTranslation {
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEntry {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    pub role: Option<Spanned<String>>,
    pub email: Spanned<String>,
    #[serde(default)]
    pub publish_email: bool,
    pub phone: Option<Spanned<String>>,
    #[serde(default)]
    pub languages: Vec<Spanned<String>>,
    pub photo: Option<Spanned<String>>,
    /// Markdown.
    pub bio: Option<Spanned<String>>,
    pub backup: Option<Spanned<String>>,
    #[serde(default)]
    pub away: Vec<AwayEntry>,
    #[serde(default)]
    pub translations: Translations<ContactTranslation>,
}

/// `[contacts.translations.<code>]`, after its `[[contacts]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactTranslation {
    pub role: Option<String>,
    /// Markdown, like the default bio.
    pub bio: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwayEntry {
    pub from: Spanned<Datetime>,
    pub until: Spanned<Datetime>,
}

/// `content/topics.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicsFile {
    #[serde(default)]
    pub topic: Vec<TopicEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicEntry {
    pub id: Spanned<String>,
    pub label: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub department: Spanned<String>,
    pub contact: Option<Spanned<String>>,
    #[serde(default)]
    pub translations: Translations<TopicTranslation>,
}

/// `[topic.translations.<code>]`, after its `[[topic]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicTranslation {
    pub label: Option<String>,
    pub description: Option<String>,
}

/// The `+++` front matter of a Markdown page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageFrontMatter {
    pub title: Spanned<String>,
    pub description: Option<String>,
    pub menu: Option<i64>,
}

/// The front matter of a translated page (`about.de.md`): its position in
/// the menu is the default page's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageTranslationFrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
}
