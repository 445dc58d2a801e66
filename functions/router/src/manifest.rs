//! The routing manifest: the contract between the builder and the router.
//!
//! `switchboard build` fills a [`RoutingManifest`] from the site's content and
//! writes it to `.switchboard/routing.json`; the router loads it at start-up.
//! Every recipient address the router may ever use comes from here, never from
//! a request. Bump [`SCHEMA_VERSION`] on any change a reader must know about.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

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
    /// Id → position lookups, built on first use (not part of the JSON).
    #[serde(skip)]
    #[doc(hidden)]
    pub index: LookupIndex,
}

/// Positions of topics, departments and contacts by id, so routing a
/// submission for a large organisation does not scan thousands of entries.
/// Built once, on the first lookup; a lookup always checks the id at the
/// position it finds and falls back to a scan, so an index that went stale
/// (the lists edited after a lookup) can cost time but never give a wrong answer.
#[derive(Debug, Clone, Default)]
pub struct LookupIndex(OnceLock<Positions>);

#[derive(Debug, Clone)]
struct Positions {
    topics: HashMap<String, usize>,
    departments: HashMap<String, usize>,
    contacts: HashMap<String, usize>,
}

impl PartialEq for LookupIndex {
    /// A cache: never part of what makes two manifests equal.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

fn positions<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, id) in ids.enumerate() {
        map.entry(id.clone()).or_insert(i);
    }
    map
}

fn find<'a, T>(
    items: &'a [T],
    at: Option<&usize>,
    id: &str,
    id_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    match at.and_then(|&i| items.get(i)) {
        Some(item) if id_of(item) == id => Some(item),
        _ => items.iter().find(|item| id_of(item) == id),
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

/// Why a manifest could not be used. The router refuses to start on any of
/// these rather than route a message somewhere the editor did not mean.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the routing manifest {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the routing manifest is not valid JSON for this router: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "the routing manifest has schema version {found}, this router reads version {SCHEMA_VERSION}; rebuild the site or redeploy the function"
    )]
    Version { found: u32 },
    #[error("the routing manifest is inconsistent: {0}")]
    Inconsistent(String),
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

    /// Parses and checks a manifest; see [`RoutingManifest::check`].
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        // Read the version first, so a future shape reports "version" rather
        // than an unknown-field error that hides the real cause.
        #[derive(Deserialize)]
        struct VersionOnly {
            schema_version: u32,
        }
        let version: VersionOnly = serde_json::from_str(text)?;
        if version.schema_version != SCHEMA_VERSION {
            return Err(ManifestError::Version {
                found: version.schema_version,
            });
        }
        let manifest: RoutingManifest = serde_json::from_str(text)?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Checks that every reference resolves, so that routing can never reach
    /// a dangling id at request time: topics name existing departments and
    /// contacts, primaries/backups/after-hours contacts exist, time zones and
    /// hours are valid, and every address at least looks like one.
    pub fn check(&self) -> Result<(), ManifestError> {
        let bad = |msg: String| Err(ManifestError::Inconsistent(msg));
        if self.schema_version != SCHEMA_VERSION {
            return Err(ManifestError::Version {
                found: self.schema_version,
            });
        }
        if self.topics.is_empty() {
            return bad("no topics: the form would offer nothing to choose".into());
        }
        if self.form.honeypot_field.is_empty() {
            return bad("form.honeypot_field is empty".into());
        }
        // Sets, not `department()`/`contact()` scans: a thousand departments
        // with ten contacts each would otherwise cost tens of millions of
        // comparisons at every start-up.
        let departments: HashSet<&str> = self.departments.iter().map(|d| d.id.as_str()).collect();
        let contacts: HashSet<&str> = self.contacts.iter().map(|c| c.id.as_str()).collect();
        let has_department = |id: &str| departments.contains(id);
        let has_contact = |id: &str| contacts.contains(id);
        let mut topics: HashSet<&str> = HashSet::with_capacity(self.topics.len());
        for t in &self.topics {
            if !topics.insert(t.id.as_str()) {
                return bad(format!("topic `{}` is listed twice", t.id));
            }
            if !has_department(&t.department) {
                return bad(format!(
                    "topic `{}` names unknown department `{}`",
                    t.id, t.department
                ));
            }
            if let Some(c) = &t.contact
                && !has_contact(c)
            {
                return bad(format!("topic `{}` names unknown contact `{c}`", t.id));
            }
        }
        for d in &self.departments {
            if !crate::validate::looks_like_email(&d.inbox) {
                return bad(format!(
                    "department `{}` has an invalid inbox address",
                    d.id
                ));
            }
            if !has_contact(&d.primary) {
                return bad(format!(
                    "department `{}` names unknown primary `{}`",
                    d.id, d.primary
                ));
            }
            if let AfterHoursRule::Contact(c) = &d.after_hours
                && !has_contact(c)
            {
                return bad(format!(
                    "department `{}` after-hours rule names unknown contact `{c}`",
                    d.id
                ));
            }
            if let Some(h) = &d.hours {
                if h.timezone.parse::<chrono_tz::Tz>().is_err() {
                    return bad(format!(
                        "department `{}` has unknown time zone `{}`",
                        d.id, h.timezone
                    ));
                }
                if h.days.len() != 7 {
                    return bad(format!(
                        "department `{}` hours must list 7 days, Monday first",
                        d.id
                    ));
                }
                for day in &h.days {
                    let mut last_close = 0u16;
                    for s in day {
                        if s.open >= s.close || s.close > 1440 || s.open < last_close {
                            return bad(format!(
                                "department `{}` has an invalid or overlapping open span",
                                d.id
                            ));
                        }
                        last_close = s.close;
                    }
                }
            }
        }
        for c in &self.contacts {
            if !crate::validate::looks_like_email(&c.email) {
                return bad(format!("contact `{}` has an invalid email address", c.id));
            }
            if !has_department(&c.department) {
                return bad(format!(
                    "contact `{}` names unknown department `{}`",
                    c.id, c.department
                ));
            }
            if let Some(b) = &c.backup
                && !has_contact(b)
            {
                return bad(format!("contact `{}` names unknown backup `{b}`", c.id));
            }
        }
        Ok(())
    }

    fn positions(&self) -> &Positions {
        self.index.0.get_or_init(|| Positions {
            topics: positions(self.topics.iter().map(|t| &t.id)),
            departments: positions(self.departments.iter().map(|d| &d.id)),
            contacts: positions(self.contacts.iter().map(|c| &c.id)),
        })
    }

    pub fn topic(&self, id: &str) -> Option<&Topic> {
        let at = self.positions().topics.get(id);
        find(&self.topics, at, id, |t| &t.id)
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        let at = self.positions().departments.get(id);
        find(&self.departments, at, id, |d| &d.id)
    }

    pub fn contact(&self, id: &str) -> Option<&Contact> {
        let at = self.positions().contacts.get(id);
        find(&self.contacts, at, id, |c| &c.id)
    }

    /// Every address this manifest may route to: the only addresses, besides
    /// the visitor's own acknowledgement, that the router ever mails.
    pub fn routable_addresses(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.contacts.iter().map(|c| c.email.as_str()).collect();
        all.extend(self.departments.iter().map(|d| d.inbox.as_str()));
        all
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
    }

    #[test]
    fn refuses_other_versions_first() {
        let e = edit(|v| {
            v["schema_version"] = 2.into();
            v["new_field"] = true.into();
        })
        .unwrap_err();
        assert!(matches!(e, ManifestError::Version { found: 2 }), "{e}");
    }

    #[test]
    fn refuses_dangling_references_and_bad_hours() {
        type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|v| v["topics"][0]["department"] = "nope".into()),
                "unknown department",
            ),
            (
                Box::new(|v| v["topics"][2]["contact"] = "nope".into()),
                "unknown contact",
            ),
            (
                Box::new(|v| v["departments"][0]["primary"] = "nope".into()),
                "unknown primary",
            ),
            (
                Box::new(|v| v["contacts"][0]["backup"] = "nope".into()),
                "unknown backup",
            ),
            (
                Box::new(|v| v["departments"][1]["after_hours"]["contact"] = "nope".into()),
                "after-hours",
            ),
            (
                Box::new(|v| v["departments"][0]["hours"]["timezone"] = "Mars/Olympus".into()),
                "time zone",
            ),
            (
                Box::new(|v| v["departments"][0]["hours"]["days"][0][0]["close"] = 100.into()),
                "open span",
            ),
            (
                Box::new(|v| v["contacts"][1]["email"] = "bob at example".into()),
                "invalid email",
            ),
            (
                Box::new(|v| v["topics"][1]["id"] = "sales".into()),
                "listed twice",
            ),
        ];
        for (f, want) in cases {
            let e = edit(f).unwrap_err().to_string();
            assert!(e.contains(want), "{e} should mention {want}");
        }
    }

    #[test]
    fn load_names_the_file() {
        let e = RoutingManifest::load("/nonexistent/routing.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/routing.json"), "{e}");
    }
}
