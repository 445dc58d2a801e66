//! The router's side of the routing manifest, the contract whose other side is
//! the builder's `src/manifest.rs` (which fills it from the site's content).
//!
//! `switchboard build` fills a [`RoutingManifest`] from the site's content and
//! writes it to `.switchboard/routing.json`; the router loads it at start-up.
//! Every recipient address the router may ever use comes from here, never from
//! a request. Bump [`SCHEMA_VERSION`] on any change a reader must know about.
//!
//! The shape: `topics`, `hours`, `departments` and `contacts` are
//! lists of entries with unique `id`s, and every cross-reference is by id: a
//! topic names its department (and maybe a contact), a department its
//! primary, its after-hours contact and its set of weekly `hours`, a contact
//! its backup. Each distinct set of weekly hours is written once, however
//! many departments keep it. The builder writes it as compact JSON; loading
//! it (read, parse once, check every reference and address) is the router's
//! start-up, so it is kept cheap (BENCHMARKS.md has the figures).
//!
//! Languages: `site.languages` lists the site's, the default first;
//! `pages` and `strings` hold the router's answers and texts per language,
//! and departments and topics carry `translations` where a text differs
//! from the default language's (`languages.rs` looks them up).
//!
//! Here: the types; `check.rs`: loading and checking; `index.rs`: the id
//! lookups routing uses; `languages.rs`: texts in a submission's language.

mod check;
mod index;
mod languages;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::pages::Pages;
use crate::texts::Table;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use check::ManifestError;
pub use index::LookupIndex;
use index::find;

/// The type of the manifest's many short texts (ids, names, addresses):
/// short ones are kept inline, so loading a large organisation does not
/// allocate each of them (router start-up).
pub use compact_str::CompactString;

/// The manifest's file name, in the builder's state folder (`.switchboard/`)
/// or beside the deployed function.
pub const MANIFEST_FILE_NAME: &str = "routing.json";

/// Version of the JSON shape below; the router refuses manifests of another version.
///
/// 2: weekly hours are shared (`hours` list, departments name theirs by id);
/// contacts no longer repeat their department; empty `away` lists are left out.
///
/// 3: tokens carry their issue time (`form.token_max_age_days`,
/// `form.view_token_max_age_hours`), rate limits (`form.limits`), and a
/// department's published phone and address (offered when a visitor is limited).
///
/// 4: `pages`, the router's HTML answers rendered from the site's theme.
///
/// 5: `form.retention_days`, how long every accepted message is kept as a
/// record before it is purged (the local outbox; the AWS table's TTL).
///
/// 6: languages: `site.languages` (the default first), `pages` and the
/// router's `strings` per language, `translations` of departments and
/// topics, and each department's `speakers` per language.
pub const SCHEMA_VERSION: u32 = 6;

/// Everything the router needs to route a submission, and nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingManifest {
    pub schema_version: u32,
    /// Hash of the content this manifest was built from; the built form carries
    /// the same value so the router can tell a stale page from a current one.
    pub content_hash: String,
    pub site: SiteInfo,
    pub form: FormPolicy,
    /// In the order the form offers them.
    pub topics: Vec<Topic>,
    /// Each distinct set of weekly hours once; departments name theirs by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<WeeklyHours>,
    pub departments: Vec<Department>,
    pub contacts: Vec<Contact>,
    /// The router's HTML answers, from the site's theme, by language code
    /// (the default language's is required; a missing one falls back to it).
    pub pages: BTreeMap<String, Pages>,
    /// The router's own texts by language code, then by key (see
    /// [`crate::texts`]); a missing text falls back to the default language's,
    /// then to English.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub strings: BTreeMap<String, Table>,
    /// Id → position lookups, built by the check or on first use (not part of the JSON).
    #[serde(skip)]
    #[doc(hidden)]
    pub index: LookupIndex,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteInfo {
    pub title: String,
    /// Absolute base URL of the published site, without a trailing slash.
    pub base_url: String,
    /// Origins (scheme://host[:port]) allowed to post the form and read answers (CORS).
    pub allowed_origins: Vec<String>,
    /// Site-relative path of the form page, e.g. `/contact/`.
    pub form_path: String,
    /// Site-relative path of the thank-you page, e.g. `/contact/thanks/`.
    pub thank_you_path: String,
    /// The site's language codes, the default first (never empty).
    pub languages: Vec<String>,
}

/// Limits and anti-spam settings the built form was rendered with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormPolicy {
    /// Submissions faster than this (where the page can prove the time) are screened out.
    pub min_fill_seconds: u32,
    pub max_message_chars: u32,
    /// Name of the hidden field that must be present and empty.
    pub honeypot_field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captcha: Option<Captcha>,
    /// Days a built page's tokens are accepted: rebuild at least this often.
    #[serde(default = "default_token_max_age_days")]
    pub token_max_age_days: u32,
    /// Hours a token minted when the form was shown stays valid.
    #[serde(default = "default_view_token_max_age_hours")]
    pub view_token_max_age_hours: u32,
    #[serde(default)]
    pub limits: RateLimits,
    /// Days every accepted message is kept as a record (its mails, its
    /// route, its status); then it is purged, idempotency keys included.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
}

/// Default of [`FormPolicy::retention_days`].
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

fn default_retention_days() -> u32 {
    DEFAULT_RETENTION_DAYS
}

/// Default of [`FormPolicy::token_max_age_days`].
pub const DEFAULT_TOKEN_MAX_AGE_DAYS: u32 = 180;
/// Default of [`FormPolicy::view_token_max_age_hours`].
pub const DEFAULT_VIEW_TOKEN_MAX_AGE_HOURS: u32 = 24;

fn default_token_max_age_days() -> u32 {
    DEFAULT_TOKEN_MAX_AGE_DAYS
}

fn default_view_token_max_age_hours() -> u32 {
    DEFAULT_VIEW_TOKEN_MAX_AGE_HOURS
}

/// How much one client, one address and everyone together may send. Kept
/// per router process (per instance on Lambda, where the API's throttling
/// is the shared limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// Messages accepted from one client address in any hour; more get 429.
    pub per_client_per_hour: u32,
    /// Messages accepted from everyone together in any hour; more get 429.
    pub overall_per_hour: u32,
    /// At most one acknowledgement email to the same address in this many
    /// minutes; later messages are still routed, without one.
    pub acknowledgement_window_minutes: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_client_per_hour: 10,
            overall_per_hour: 300,
            acknowledgement_window_minutes: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Captcha {
    pub provider: CaptchaProvider,
    /// Public site key rendered into the form; the secret comes from the environment.
    pub site_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptchaProvider {
    Turnstile,
    Hcaptcha,
}

impl CaptchaProvider {
    /// The class of the element the provider's script turns into its widget.
    pub fn widget_class(self) -> &'static str {
        match self {
            CaptchaProvider::Turnstile => "cf-turnstile",
            CaptchaProvider::Hcaptcha => "h-captcha",
        }
    }

    /// The provider's widget script.
    pub fn script_url(self) -> &'static str {
        match self {
            CaptchaProvider::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/api.js",
            CaptchaProvider::Hcaptcha => "https://js.hcaptcha.com/1/api.js",
        }
    }

    /// The origins its widget loads scripts, frames, styles and data from
    /// (the pages' Content-Security-Policy allows them).
    pub fn origins(self) -> &'static str {
        match self {
            CaptchaProvider::Turnstile => "https://challenges.cloudflare.com",
            CaptchaProvider::Hcaptcha => "https://hcaptcha.com https://*.hcaptcha.com",
        }
    }

    /// The form field its widget fills with the response to verify.
    pub fn response_field(self) -> &'static str {
        match self {
            CaptchaProvider::Turnstile => crate::fields::TURNSTILE_RESPONSE,
            CaptchaProvider::Hcaptcha => crate::fields::HCAPTCHA_RESPONSE,
        }
    }
}

/// A choice in the form's topic menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: CompactString,
    pub label: CompactString,
    pub department: CompactString,
    /// A specific contact for this topic; the department's primary when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<CompactString>,
    /// By language code: the label where it differs from the default language's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, TopicTranslation>,
}

/// A topic's texts in another language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicTranslation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<CompactString>,
}

/// A department's texts in another language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentTranslation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_time: Option<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub id: CompactString,
    pub name: CompactString,
    /// The department's shared inbox (may be unpublished on the site).
    pub inbox: CompactString,
    /// Copy every routed message to the inbox.
    pub cc_inbox: bool,
    /// Human text shown to the visitor, e.g. "within one business day".
    pub response_time: CompactString,
    /// Contact id that handles topics without a contact of their own.
    pub primary: CompactString,
    /// Id of the department's weekly hours in [`RoutingManifest::hours`];
    /// absent means "always open".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<CompactString>,
    pub after_hours: AfterHoursRule,
    /// The department's published phone, offered when a visitor is rate-limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<CompactString>,
    /// The inbox when the editor published it (`publish_inbox`); same use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_email: Option<CompactString>,
    /// By language code: the name and response time where they differ
    /// from the default language's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, DepartmentTranslation>,
    /// By site language code: the department's contacts who speak it, in
    /// the department's order. Routing prefers them for a visitor writing in
    /// that language; absent when the department turned that off.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub speakers: BTreeMap<String, Vec<CompactString>>,
}

/// Opening hours in the department's own time zone, shared by every
/// department that keeps the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    pub id: CompactString,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub timezone: CompactString,
    /// Seven entries, Monday first; each day's open spans, sorted, not overlapping.
    pub days: Vec<Vec<OpenSpan>>,
    /// Whole days the department is closed (holidays), inclusive ranges.
    #[serde(default)]
    pub closures: Vec<DateRange>,
}

/// `[open, close)` in minutes after local midnight; `close` may be 1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenSpan {
    pub open: u16,
    pub close: u16,
}

/// What happens to a message that arrives while the department is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", content = "contact", rename_all = "snake_case")]
pub enum AfterHoursRule {
    /// Deliver to the usual contact anyway; they answer when back.
    Primary,
    /// Deliver to the routed contact's backup.
    Backup,
    /// Deliver to the department inbox only.
    Inbox,
    /// Deliver to this contact id (e.g. an on-call person).
    Contact(CompactString),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: CompactString,
    pub name: CompactString,
    pub email: CompactString,
    /// Contact id that takes over while this one is away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub away: Vec<DateRange>,
}

/// Inclusive range of calendar days, in the department's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl DateRange {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.until
    }
}

impl RoutingManifest {
    pub fn topic(&self, id: &str) -> Option<&Topic> {
        find(&self.topics, &self.index.positions(self).topics, id, |t| {
            &t.id
        })
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        find(
            &self.departments,
            &self.index.positions(self).departments,
            id,
            |d| &d.id,
        )
    }

    pub fn contact(&self, id: &str) -> Option<&Contact> {
        find(
            &self.contacts,
            &self.index.positions(self).contacts,
            id,
            |c| &c.id,
        )
    }

    /// The weekly hours `department` keeps; `None` means always open.
    pub fn hours_of(&self, department: &Department) -> Option<&WeeklyHours> {
        let id = department.hours.as_deref()?;
        find(&self.hours, &self.index.positions(self).hours, id, |h| {
            &h.id
        })
    }

    /// Every address this manifest may route to: the only addresses, besides
    /// the visitor's own acknowledgement, that the router ever mails.
    pub fn routable_addresses(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.contacts.iter().map(|c| c.email.as_str()).collect();
        all.extend(self.departments.iter().map(|d| d.inbox.as_str()));
        all
    }
}
