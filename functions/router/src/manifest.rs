//! The routing manifest: the contract between the builder and the router.
//!
//! `switchboard build` fills a [`RoutingManifest`] from the site's content and
//! writes it to `.switchboard/routing.json`; the router loads it at start-up.
//! Every recipient address the router may ever use comes from here, never from
//! a request. Bump [`SCHEMA_VERSION`] on any change a reader must know about.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Version of the JSON shape below; the router refuses manifests of another version.
pub const SCHEMA_VERSION: u32 = 1;

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
    pub departments: Vec<Department>,
    pub contacts: Vec<Contact>,
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

/// A choice in the form's topic menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub label: String,
    pub department: String,
    /// A specific contact for this topic; the department's primary when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub id: String,
    pub name: String,
    /// The department's shared inbox (may be unpublished on the site).
    pub inbox: String,
    /// Copy every routed message to the inbox.
    pub cc_inbox: bool,
    /// Human text shown to the visitor, e.g. "within one business day".
    pub response_time: String,
    /// Contact id that handles topics without a contact of their own.
    pub primary: String,
    /// Absent means "always open".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<WeeklyHours>,
    pub after_hours: AfterHoursRule,
}

/// Opening hours in the department's own time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Seven entries, Monday first; each day's open spans, sorted, not overlapping.
    pub days: Vec<Vec<OpenSpan>>,
    /// Whole days the department is closed (holidays), inclusive ranges.
    #[serde(default)]
    pub closures: Vec<DateRange>,
}

/// `[open, close)` in minutes after local midnight; `close` may be 1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    Contact(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub department: String,
    /// Contact id that takes over while this one is away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    #[serde(default)]
    pub away: Vec<DateRange>,
}

/// Inclusive range of calendar days, in the department's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
