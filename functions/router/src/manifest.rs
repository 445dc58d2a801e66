//! The routing manifest: the contract between the builder and the router.
//!
//! `switchboard build` fills a [`RoutingManifest`] from the site's content and
//! writes it to `.switchboard/routing.json`; the router loads it at start-up.
//! Every recipient address the router may ever use comes from here, never from
//! a request. Bump [`SCHEMA_VERSION`] on any change a reader must know about.
//!
//! The shape (version 2): `topics`, `hours`, `departments` and `contacts` are
//! lists of entries with unique `id`s, and every cross-reference is by id: a
//! topic names its department (and maybe a contact), a department its
//! primary, its after-hours contact and its set of weekly `hours`, a contact
//! its backup. Each distinct set of weekly hours is written once, however
//! many departments keep it. The builder writes it as compact JSON; loading
//! it (read, parse once, check every reference and address) is the router's
//! start-up, a few milliseconds for 1,000 departments of 10 contacts.

use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::pages::Pages;
use crate::validate::looks_like_email_in;

/// The type of the manifest's many short texts (ids, names, addresses):
/// up to 24 bytes are kept inline, so loading 1,000 departments does not
/// allocate ~40,000 small strings (router start-up).
pub use compact_str::CompactString;

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
pub const SCHEMA_VERSION: u32 = 4;

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
    /// The router's HTML answers, from the site's theme.
    pub pages: Pages,
    /// Id → position lookups, built by the check or on first use (not part of the JSON).
    #[serde(skip)]
    #[doc(hidden)]
    pub index: LookupIndex,
}

/// Positions of topics, hours, departments and contacts by id, so routing a
/// submission for a large organisation does not scan thousands of entries.
/// [`RoutingManifest::check`] builds it (it finds duplicate ids and dangling
/// references with it); an unchecked manifest builds it on the first lookup.
/// A lookup always checks the id at the position it finds and falls back to
/// a scan, so an index that went stale (the lists edited after it was built)
/// can cost time but never give a wrong answer.
#[derive(Debug, Clone, Default)]
pub struct LookupIndex(OnceLock<Positions>);

#[derive(Debug, Clone)]
struct Positions {
    topics: IdTable,
    hours: IdTable,
    departments: IdTable,
    contacts: IdTable,
    /// The first id listed twice: the list's name, the second entry's position, the id.
    duplicate: Option<(&'static str, usize, String)>,
}

impl PartialEq for LookupIndex {
    /// A cache: never part of what makes two manifests equal.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Positions in one list, hashed by the entry's id (open addressing, linear
/// probing). The ids stay in the list, so a slot is four bytes: at start-up
/// every byte the index takes is a page the process has to fault in.
#[derive(Debug, Clone)]
struct IdTable {
    slots: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

/// FNV-1a over the id's bytes, its high half folded into the low bits the
/// mask keeps. Cheaper than `DefaultHasher` (SipHash) for short ids, which
/// the check hashes ~20,000 times at start-up; SipHash here had fixed keys
/// anyway, and a colliding id costs probes, never a wrong answer.
fn slot_of(id: &str, mask: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in id.as_bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Truncating the hash is what a mask does anyway.
    ((hash ^ (hash >> 32)) as usize) & mask
}

impl IdTable {
    /// The table for `items`, and the position of the first entry that
    /// repeats an earlier entry's id (the earlier one is the one found).
    fn new<T>(items: &[T], id_of: impl Fn(&T) -> &str) -> (Self, Option<usize>) {
        // At most two thirds full, so probes stay short and always end.
        let mut slots = vec![EMPTY; (items.len() * 3 / 2 + 1).next_power_of_two()];
        let mask = slots.len() - 1;
        let mut repeated = None;
        for (i, item) in items.iter().enumerate() {
            // Beyond u32 positions (never, in practice) lookups fall back to scans.
            let Ok(position) = u32::try_from(i) else {
                break;
            };
            let id = id_of(item);
            let mut at = slot_of(id, mask);
            loop {
                match slots[at] {
                    EMPTY => {
                        slots[at] = position;
                        break;
                    }
                    j if id_of(&items[j as usize]) == id => {
                        repeated.get_or_insert(i);
                        break;
                    }
                    _ => at = (at + 1) & mask,
                }
            }
        }
        (Self { slots }, repeated)
    }

    /// The position in `items` of the entry with `id`, if the table has one.
    fn get<T>(&self, items: &[T], id: &str, id_of: impl Fn(&T) -> &str) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut at = slot_of(id, mask);
        for _ in 0..self.slots.len() {
            match self.slots[at] {
                EMPTY => return None,
                j if items.get(j as usize).is_some_and(|item| id_of(item) == id) => {
                    return Some(j as usize);
                }
                _ => at = (at + 1) & mask,
            }
        }
        None
    }
}

/// The entry with `id`: through `table`, else (a stale table) by a scan.
fn find<'a, T>(
    items: &'a [T],
    table: &IdTable,
    id: &str,
    id_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    match table.get(items, id, &id_of) {
        Some(i) => items.get(i),
        None => items.iter().find(|item| id_of(item) == id),
    }
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
    /// Days a built page's tokens are accepted: rebuild at least this often.
    #[serde(default = "default_token_max_age_days")]
    pub token_max_age_days: u32,
    /// Hours a token minted when the form was shown stays valid.
    #[serde(default = "default_view_token_max_age_hours")]
    pub view_token_max_age_hours: u32,
    #[serde(default)]
    pub limits: RateLimits,
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

/// Why a manifest could not be used. The router refuses to start on any of
/// these rather than route a message somewhere the editor did not mean; each
/// names the field at fault, as a path like `contacts[12].backup`.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the routing manifest {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the routing manifest is not valid JSON for this router, at `{field}`: {source}")]
    Json {
        field: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "the routing manifest has schema version {found}, this router reads version {SCHEMA_VERSION}; rebuild the site or redeploy the function"
    )]
    Version { found: u32 },
    #[error("the routing manifest is inconsistent at `{field}`: {problem}")]
    Inconsistent { field: String, problem: String },
}

/// `Err(Inconsistent)` for the field at `field`.
fn bad<T>(field: impl Into<String>, problem: impl Into<String>) -> Result<T, ManifestError> {
    Err(ManifestError::Inconsistent {
        field: field.into(),
        problem: problem.into(),
    })
}

impl RoutingManifest {
    /// Reads and checks the manifest the builder wrote (`.switchboard/routing.json`).
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, ManifestError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Parses and checks a manifest; see [`RoutingManifest::check`]. The JSON
    /// is parsed once; only when that fails is it read again, to tell a
    /// manifest of another schema version from a broken one and to name the
    /// field at fault.
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        let manifest: RoutingManifest =
            serde_json::from_str(text).map_err(|e| Self::explain_parse_error(text, e))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// The slow path of [`RoutingManifest::from_json`], for a text that did
    /// not parse: another version reports "version" rather than the unknown
    /// field that hides the real cause; otherwise the error names its field.
    fn explain_parse_error(text: &str, error: serde_json::Error) -> ManifestError {
        #[derive(Deserialize)]
        struct VersionOnly {
            schema_version: u32,
        }
        if let Ok(VersionOnly { schema_version }) = serde_json::from_str(text)
            && schema_version != SCHEMA_VERSION
        {
            return ManifestError::Version {
                found: schema_version,
            };
        }
        let mut de = serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, RoutingManifest>(&mut de) {
            Err(e) => ManifestError::Json {
                field: e.path().to_string(),
                source: e.into_inner(),
            },
            // Not reached: the same text failed a moment ago.
            Ok(_) => ManifestError::Json {
                field: ".".into(),
                source: error,
            },
        }
    }

    /// Checks that every reference resolves, so that routing can never reach
    /// a dangling id at request time: ids are unique, topics name existing
    /// departments and contacts, primaries/backups/after-hours contacts and
    /// hours exist, time zones and hours are valid, and every address at
    /// least looks like one. It builds the id index routing uses.
    pub fn check(&self) -> Result<(), ManifestError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(ManifestError::Version {
                found: self.schema_version,
            });
        }
        if self.topics.is_empty() {
            return bad(
                "topics",
                "no topics: the form would offer nothing to choose",
            );
        }
        if self.form.honeypot_field.is_empty() {
            return bad("form.honeypot_field", "empty");
        }
        let limits = &self.form.limits;
        for (field, value) in [
            ("form.token_max_age_days", self.form.token_max_age_days),
            (
                "form.view_token_max_age_hours",
                self.form.view_token_max_age_hours,
            ),
            (
                "form.limits.per_client_per_hour",
                limits.per_client_per_hour,
            ),
            ("form.limits.overall_per_hour", limits.overall_per_hour),
            (
                "form.limits.acknowledgement_window_minutes",
                limits.acknowledgement_window_minutes,
            ),
        ] {
            if value == 0 {
                return bad(field, "must be at least 1");
            }
        }
        // Maps, not scans: a thousand departments with ten contacts each
        // would otherwise cost tens of millions of comparisons.
        let index = Positions::new(self);
        if let Some((list, at, id)) = &index.duplicate {
            return bad(
                format!("{list}[{at}].id"),
                format!("`{id}` is listed twice"),
            );
        }
        let has_department = |id: &str| {
            index
                .departments
                .get(&self.departments, id, |d| &d.id)
                .is_some()
        };
        let has_contact = |id: &str| index.contacts.get(&self.contacts, id, |c| &c.id).is_some();
        let has_hours = |id: &str| index.hours.get(&self.hours, id, |h| &h.id).is_some();
        for (i, t) in self.topics.iter().enumerate() {
            if !has_department(&t.department) {
                return bad(
                    format!("topics[{i}].department"),
                    format!(
                        "topic `{}` names unknown department `{}`",
                        t.id, t.department
                    ),
                );
            }
            if let Some(c) = &t.contact
                && !has_contact(c)
            {
                return bad(
                    format!("topics[{i}].contact"),
                    format!("topic `{}` names unknown contact `{c}`", t.id),
                );
            }
        }
        for (i, h) in self.hours.iter().enumerate() {
            if h.timezone.parse::<chrono_tz::Tz>().is_err() {
                return bad(
                    format!("hours[{i}].timezone"),
                    format!("hours `{}` name unknown time zone `{}`", h.id, h.timezone),
                );
            }
            if h.days.len() != 7 {
                return bad(
                    format!("hours[{i}].days"),
                    format!("hours `{}` must list 7 days, Monday first", h.id),
                );
            }
            for (day, spans) in h.days.iter().enumerate() {
                let mut last_close = 0u16;
                for s in spans {
                    if s.open >= s.close || s.close > 1440 || s.open < last_close {
                        return bad(
                            format!("hours[{i}].days[{day}]"),
                            format!("hours `{}` have an invalid or overlapping open span", h.id),
                        );
                    }
                    last_close = s.close;
                }
            }
        }
        // An organisation's addresses share a domain or two: each address's
        // domain is checked unless it is the one the previous address had.
        let mut known_domain = None;
        for (i, d) in self.departments.iter().enumerate() {
            if !looks_like_email_in(&d.inbox, &mut known_domain) {
                return bad(
                    format!("departments[{i}].inbox"),
                    format!("department `{}` has an invalid inbox address", d.id),
                );
            }
            if !has_contact(&d.primary) {
                return bad(
                    format!("departments[{i}].primary"),
                    format!(
                        "department `{}` names unknown primary `{}`",
                        d.id, d.primary
                    ),
                );
            }
            if let AfterHoursRule::Contact(c) = &d.after_hours
                && !has_contact(c)
            {
                return bad(
                    format!("departments[{i}].after_hours.contact"),
                    format!(
                        "department `{}` after-hours rule names unknown contact `{c}`",
                        d.id
                    ),
                );
            }
            if let Some(e) = &d.public_email
                && !looks_like_email_in(e, &mut known_domain)
            {
                return bad(
                    format!("departments[{i}].public_email"),
                    format!("department `{}` has an invalid public address", d.id),
                );
            }
            if let Some(h) = &d.hours
                && !has_hours(h)
            {
                return bad(
                    format!("departments[{i}].hours"),
                    format!("department `{}` names unknown hours `{h}`", d.id),
                );
            }
        }
        for (i, c) in self.contacts.iter().enumerate() {
            if !looks_like_email_in(&c.email, &mut known_domain) {
                return bad(
                    format!("contacts[{i}].email"),
                    format!("contact `{}` has an invalid email address", c.id),
                );
            }
            if let Some(b) = &c.backup
                && !has_contact(b)
            {
                return bad(
                    format!("contacts[{i}].backup"),
                    format!("contact `{}` names unknown backup `{b}`", c.id),
                );
            }
        }
        // Keep the index for routing (a second check finds it built).
        let _ = self.index.0.set(index);
        Ok(())
    }

    fn positions(&self) -> &Positions {
        self.index.0.get_or_init(|| Positions::new(self))
    }

    pub fn topic(&self, id: &str) -> Option<&Topic> {
        find(&self.topics, &self.positions().topics, id, |t| &t.id)
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        find(&self.departments, &self.positions().departments, id, |d| {
            &d.id
        })
    }

    pub fn contact(&self, id: &str) -> Option<&Contact> {
        find(&self.contacts, &self.positions().contacts, id, |c| &c.id)
    }

    /// The weekly hours `department` keeps; `None` means always open.
    pub fn hours_of(&self, department: &Department) -> Option<&WeeklyHours> {
        let id = department.hours.as_deref()?;
        find(&self.hours, &self.positions().hours, id, |h| &h.id)
    }

    /// Every address this manifest may route to: the only addresses, besides
    /// the visitor's own acknowledgement, that the router ever mails.
    pub fn routable_addresses(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.contacts.iter().map(|c| c.email.as_str()).collect();
        all.extend(self.departments.iter().map(|d| d.inbox.as_str()));
        all
    }
}

impl Positions {
    fn new(m: &RoutingManifest) -> Self {
        fn table<T>(
            list: &'static str,
            items: &[T],
            id_of: impl Fn(&T) -> &str,
        ) -> (IdTable, Option<(&'static str, usize, String)>) {
            let (table, repeated) = IdTable::new(items, &id_of);
            let duplicate = repeated.map(|at| (list, at, id_of(&items[at]).to_string()));
            (table, duplicate)
        }
        let (topics, t) = table("topics", &m.topics, |t| &t.id);
        let (hours, h) = table("hours", &m.hours, |h| &h.id);
        let (departments, d) = table("departments", &m.departments, |d| &d.id);
        let (contacts, c) = table("contacts", &m.contacts, |c| &c.id);
        Self {
            topics,
            hours,
            departments,
            contacts,
            duplicate: t.or(h).or(d).or(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../tests/fixtures/manifest.json");

    fn edit(f: impl FnOnce(&mut serde_json::Value)) -> Result<RoutingManifest, ManifestError> {
        let mut v: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
        f(&mut v);
        RoutingManifest::from_json(&v.to_string())
    }

    #[test]
    fn fixture_loads_and_round_trips() {
        let m = RoutingManifest::from_json(FIXTURE).unwrap();
        let again = RoutingManifest::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(m, again);
        assert_eq!(m.routable_addresses().len(), 9);
        // Shared hours, contacts without their department, no empty `away`.
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json.matches("\"timezone\"").count(), 2, "{json}");
        assert!(!json.contains("\"away\":[]"), "{json}");
        assert!(
            !json.contains("\"department\":\"sales\",\"backup\""),
            "{json}"
        );
    }

    #[test]
    fn refuses_other_versions_first() {
        // A future shape: the version is named, not the unknown field.
        let e = edit(|v| {
            v["schema_version"] = 5.into();
            v["new_field"] = true.into();
        })
        .unwrap_err();
        assert!(matches!(e, ManifestError::Version { found: 5 }), "{e}");
        // A future version in a shape this router happens to read.
        let e = edit(|v| v["schema_version"] = 5.into()).unwrap_err();
        assert!(matches!(e, ManifestError::Version { found: 5 }), "{e}");
        // A version 3 manifest (no pages) asks for a rebuild.
        let e = edit(|v| v["schema_version"] = 3.into()).unwrap_err();
        assert!(matches!(e, ManifestError::Version { found: 3 }), "{e}");
        // A version 2 manifest (tokens without an issue time) asks for a rebuild.
        let e = edit(|v| v["schema_version"] = 2.into()).unwrap_err();
        assert!(matches!(e, ManifestError::Version { found: 2 }), "{e}");
        // A version 1 manifest (hours inside each department) asks for a rebuild.
        let e = edit(|v| {
            v["schema_version"] = 1.into();
            v["departments"][0]["hours"] = v["hours"][0].clone();
            v["contacts"][0]["department"] = "sales".into();
        })
        .unwrap_err();
        assert!(matches!(e, ManifestError::Version { found: 1 }), "{e}");
        assert!(e.to_string().contains("rebuild the site"), "{e}");
    }

    #[test]
    fn a_parse_error_names_the_field() {
        let e = edit(|v| v["departments"][1]["hours"] = 7.into()).unwrap_err();
        assert!(
            matches!(&e, ManifestError::Json { field, .. } if field == "departments[1].hours"),
            "{e}"
        );
        assert!(e.to_string().contains("`departments[1].hours`"), "{e}");
        let e = edit(|v| v["contacts"][2]["department"] = "comms".into()).unwrap_err();
        assert!(e.to_string().contains("`contacts[2]"), "{e}");
        assert!(e.to_string().contains("unknown field `department`"), "{e}");
        let e = RoutingManifest::from_json("{\"schema_version\": 2, ").unwrap_err();
        assert!(matches!(e, ManifestError::Json { .. }), "{e}");
    }

    #[test]
    fn refuses_dangling_references_bad_hours_and_bad_addresses() {
        type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
        let cases: Vec<(Edit, &str, &str)> = vec![
            (
                Box::new(|v| v["topics"][0]["department"] = "nope".into()),
                "topics[0].department",
                "unknown department `nope`",
            ),
            (
                Box::new(|v| v["topics"][2]["contact"] = "nope".into()),
                "topics[2].contact",
                "unknown contact `nope`",
            ),
            (
                Box::new(|v| v["departments"][0]["primary"] = "nope".into()),
                "departments[0].primary",
                "unknown primary `nope`",
            ),
            (
                Box::new(|v| v["contacts"][0]["backup"] = "nope".into()),
                "contacts[0].backup",
                "unknown backup `nope`",
            ),
            (
                Box::new(|v| v["departments"][1]["after_hours"]["contact"] = "nope".into()),
                "departments[1].after_hours.contact",
                "after-hours",
            ),
            (
                Box::new(|v| v["departments"][2]["hours"] = "hours-9".into()),
                "departments[2].hours",
                "unknown hours `hours-9`",
            ),
            (
                Box::new(|v| v["hours"][1]["timezone"] = "Mars/Olympus".into()),
                "hours[1].timezone",
                "time zone",
            ),
            (
                Box::new(|v| v["hours"][0]["days"][3][0]["close"] = 100.into()),
                "hours[0].days[3]",
                "open span",
            ),
            (
                Box::new(|v| v["hours"][0]["days"].as_array_mut().unwrap().truncate(6)),
                "hours[0].days",
                "7 days",
            ),
            (
                Box::new(|v| v["contacts"][1]["email"] = "bob at example".into()),
                "contacts[1].email",
                "contact `bob` has an invalid email address",
            ),
            (
                Box::new(|v| v["contacts"][4]["email"] = "erin@example.org\r\nBcc: x@y.z".into()),
                "contacts[4].email",
                "invalid email",
            ),
            // Addresses after one with a good domain: the local part, a
            // domain that only starts like the good one, and the lengths
            // are still checked.
            (
                Box::new(|v| v["contacts"][2]["email"] = "car..ol@example.org".into()),
                "contacts[2].email",
                "contact `carol` has an invalid email address",
            ),
            (
                Box::new(|v| v["contacts"][3]["email"] = "dan@example.org.".into()),
                "contacts[3].email",
                "invalid email",
            ),
            (
                Box::new(|v| v["contacts"][3]["email"] = "dan@example.org@evil.example".into()),
                "contacts[3].email",
                "invalid email",
            ),
            (
                Box::new(|v| {
                    v["contacts"][5]["email"] = format!("{}@example.org", "x".repeat(65)).into()
                }),
                "contacts[5].email",
                "invalid email",
            ),
            (
                Box::new(|v| v["departments"][1]["inbox"] = "sup port@example.org".into()),
                "departments[1].inbox",
                "invalid inbox address",
            ),
            (
                Box::new(|v| v["departments"][2]["inbox"] = "press@".into()),
                "departments[2].inbox",
                "invalid inbox address",
            ),
            (
                Box::new(|v| v["topics"][1]["id"] = "sales".into()),
                "topics[1].id",
                "`sales` is listed twice",
            ),
            (
                Box::new(|v| v["contacts"][5]["id"] = "bob".into()),
                "contacts[5].id",
                "`bob` is listed twice",
            ),
            (
                Box::new(|v| v["hours"][1]["id"] = "hours-1".into()),
                "hours[1].id",
                "listed twice",
            ),
        ];
        for (f, field, want) in cases {
            let e = edit(f).unwrap_err();
            let text = e.to_string();
            assert!(
                matches!(&e, ManifestError::Inconsistent { field: f, .. } if f == field),
                "{text} should name {field}"
            );
            assert!(text.contains(want), "{text} should mention {want}");
        }
    }

    #[test]
    fn lookups_find_every_entry_and_nothing_else() {
        let m = RoutingManifest::from_json(FIXTURE).unwrap();
        for c in &m.contacts {
            assert_eq!(m.contact(&c.id).map(|x| &x.email), Some(&c.email));
        }
        for d in &m.departments {
            assert_eq!(m.department(&d.id).map(|x| &x.name), Some(&d.name));
        }
        assert_eq!(
            m.topic("press").and_then(|t| t.contact.as_deref()),
            Some("carol")
        );
        assert!(m.contact("zed").is_none() && m.contact("").is_none());
        assert!(m.topic("aaa").is_none());
        let sales = m.department("sales").unwrap();
        assert_eq!(
            m.hours_of(sales).map(|h| h.timezone.as_str()),
            Some("Europe/Berlin")
        );
        assert!(m.hours_of(m.department("comms").unwrap()).is_none());
    }

    #[test]
    fn thousands_of_ids_are_found_and_a_late_duplicate_is_named() {
        let mut m = RoutingManifest::from_json(FIXTURE).unwrap();
        let template = m.contacts[1].clone();
        m.contacts.extend((0..5000).map(|i| Contact {
            id: format!("c-{i}").into(),
            ..template.clone()
        }));
        let m = RoutingManifest::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
        for i in (0..5000).step_by(7) {
            let id = format!("c-{i}");
            assert_eq!(m.contact(&id).map(|c| c.id.as_str()), Some(id.as_str()));
        }
        assert!(m.contact("c-5000").is_none());
        let mut twice = m.clone();
        twice.contacts[4321].id = "c-17".into();
        let e = RoutingManifest::from_json(&serde_json::to_string(&twice).unwrap()).unwrap_err();
        assert!(
            matches!(&e, ManifestError::Inconsistent { field, .. } if field == "contacts[4321].id"),
            "{e}"
        );
        assert!(e.to_string().contains("`c-17` is listed twice"), "{e}");
    }

    #[test]
    fn ids_of_a_large_organisation_spread_over_the_table() {
        // Ids as the builder writes them differ in their last bytes only.
        let ids: Vec<String> = (0..1000)
            .flat_map(|d| (0..10).map(move |c| format!("c-{d:05}-{c:02}")))
            .collect();
        let (table, repeated) = IdTable::new(&ids, |s| s);
        assert_eq!(repeated, None);
        let mask = table.slots.len() - 1;
        let mut probes = 0;
        for (i, id) in ids.iter().enumerate() {
            let mut at = slot_of(id, mask);
            while table.slots[at] as usize != i {
                probes += 1;
                at = (at + 1) & mask;
            }
        }
        // Uniform hashing at this fill (10,000 in 16,384) probes ~0.8 extra per id.
        assert!(probes < 2 * ids.len(), "{probes} extra probes");
    }

    #[test]
    fn a_stale_index_costs_time_not_answers() {
        let mut m = RoutingManifest::from_json(FIXTURE).unwrap();
        assert!(m.contact("bob").is_some());
        // The index was built by the check; reorder and rename behind its back.
        m.contacts.reverse();
        m.contacts[0].id = "zoe".into();
        assert_eq!(
            m.contact("zoe").map(|c| c.name.as_str()),
            Some("On-call Desk")
        );
        assert!(m.contact("oncall").is_none());
        assert_eq!(
            m.contact("alice").map(|c| c.name.as_str()),
            Some("Alice Adams")
        );
        m.contacts.truncate(1);
        assert!(m.contact("alice").is_none());
    }

    #[test]
    fn load_names_the_file() {
        let e = RoutingManifest::load("/nonexistent/routing.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/routing.json"), "{e}");
    }
}
