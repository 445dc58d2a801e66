//! Loading a manifest and checking it before the router trusts it.

use crate::fields;
use crate::pages::{Pages, slot, slot_for, slots};
use crate::texts::{self, Table};
use serde::Deserialize;

use super::index::Positions;
use super::{AfterHoursRule, RoutingManifest, SCHEMA_VERSION, WeeklyHours};
use crate::validate::looks_like_email_in;

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
        self.check_form()?;
        // Maps, not scans: a large organisation's references would otherwise
        // cost a comparison with every entry each.
        let index = Positions::new(self);
        if let Some((list, at, id)) = &index.duplicate {
            return bad(
                format!("{list}[{at}].id"),
                format!("`{id}` is listed twice"),
            );
        }
        self.check_topics(&index)?;
        for (i, h) in self.hours.iter().enumerate() {
            check_weekly_hours(i, h)?;
        }
        // An organisation's addresses share a domain or two: each address's
        // domain is checked unless it is the one the previous address had.
        let mut known_domain = None;
        self.check_departments(&index, &mut known_domain)?;
        self.check_contacts(&index, &mut known_domain)?;
        self.check_languages(&index)?;
        // Keep the index for routing (a second check finds it built).
        self.index.keep(index);
        Ok(())
    }

    /// The form offers something, has its honeypot, and every count and
    /// lifetime is positive.
    fn check_form(&self) -> Result<(), ManifestError> {
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
            ("form.retention_days", self.form.retention_days),
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
        Ok(())
    }

    /// Every topic names a department, and maybe a contact, that exist.
    fn check_topics(&self, index: &Positions) -> Result<(), ManifestError> {
        for (i, t) in self.topics.iter().enumerate() {
            if !self.has_department(index, &t.department) {
                return bad(
                    format!("topics[{i}].department"),
                    format!(
                        "topic `{}` names unknown department `{}`",
                        t.id, t.department
                    ),
                );
            }
            if let Some(c) = &t.contact
                && !self.has_contact(index, c)
            {
                return bad(
                    format!("topics[{i}].contact"),
                    format!("topic `{}` names unknown contact `{c}`", t.id),
                );
            }
        }
        Ok(())
    }

    /// Every department's addresses look like addresses, and its primary,
    /// after-hours contact and hours exist.
    fn check_departments<'a>(
        &'a self,
        index: &Positions,
        known_domain: &mut Option<&'a str>,
    ) -> Result<(), ManifestError> {
        for (i, d) in self.departments.iter().enumerate() {
            if !looks_like_email_in(&d.inbox, known_domain) {
                return bad(
                    format!("departments[{i}].inbox"),
                    format!("department `{}` has an invalid inbox address", d.id),
                );
            }
            if !self.has_contact(index, &d.primary) {
                return bad(
                    format!("departments[{i}].primary"),
                    format!(
                        "department `{}` names unknown primary `{}`",
                        d.id, d.primary
                    ),
                );
            }
            if let AfterHoursRule::Contact(c) = &d.after_hours
                && !self.has_contact(index, c)
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
                && !looks_like_email_in(e, known_domain)
            {
                return bad(
                    format!("departments[{i}].public_email"),
                    format!("department `{}` has an invalid public address", d.id),
                );
            }
            if let Some(h) = &d.hours
                && !self.has_hours(index, h)
            {
                return bad(
                    format!("departments[{i}].hours"),
                    format!("department `{}` names unknown hours `{h}`", d.id),
                );
            }
        }
        Ok(())
    }

    /// Every contact's address looks like one, and its backup exists.
    fn check_contacts<'a>(
        &'a self,
        index: &Positions,
        known_domain: &mut Option<&'a str>,
    ) -> Result<(), ManifestError> {
        for (i, c) in self.contacts.iter().enumerate() {
            if !looks_like_email_in(&c.email, known_domain) {
                return bad(
                    format!("contacts[{i}].email"),
                    format!("contact `{}` has an invalid email address", c.id),
                );
            }
            if let Some(b) = &c.backup
                && !self.has_contact(index, b)
            {
                return bad(
                    format!("contacts[{i}].backup"),
                    format!("contact `{}` names unknown backup `{b}`", c.id),
                );
            }
        }
        Ok(())
    }

    /// Every language named anywhere is one of `site.languages`, the
    /// default language has its pages and every page its slots, every
    /// string is one the router knows with the English text's
    /// placeholders, and every speaker is a contact.
    fn check_languages(&self, index: &Positions) -> Result<(), ManifestError> {
        let languages = &self.site.languages;
        if languages.is_empty() {
            return bad(
                "site.languages",
                "empty: list the site's languages, the default first",
            );
        }
        let known = |field: String, code: &str| -> Result<(), ManifestError> {
            if languages.iter().any(|l| l == code) {
                Ok(())
            } else {
                bad(
                    field,
                    format!(
                        "language `{code}` is not one of the site's languages ({})",
                        languages.join(", ")
                    ),
                )
            }
        };
        if !self.pages.contains_key(self.default_language()) {
            return bad(
                "pages",
                format!(
                    "no pages for the default language `{}`",
                    self.default_language()
                ),
            );
        }
        for (code, pages) in &self.pages {
            known(format!("pages.{code}"), code)?;
            check_pages(code, pages)?;
        }
        for (code, table) in &self.strings {
            known(format!("strings.{code}"), code)?;
            check_strings(code, table)?;
        }
        for (i, t) in self.topics.iter().enumerate() {
            for code in t.translations.keys() {
                known(format!("topics[{i}].translations.{code}"), code)?;
            }
        }
        for (i, d) in self.departments.iter().enumerate() {
            for code in d.translations.keys() {
                known(format!("departments[{i}].translations.{code}"), code)?;
            }
            for (code, ids) in &d.speakers {
                known(format!("departments[{i}].speakers.{code}"), code)?;
                if let Some(id) = ids.iter().find(|id| !self.has_contact(index, id)) {
                    return bad(
                        format!("departments[{i}].speakers.{code}"),
                        format!("department `{}` names unknown contact `{id}`", d.id),
                    );
                }
            }
        }
        Ok(())
    }

    fn has_department(&self, index: &Positions, id: &str) -> bool {
        index
            .departments
            .get(&self.departments, id, |d| &d.id)
            .is_some()
    }

    fn has_contact(&self, index: &Positions, id: &str) -> bool {
        index.contacts.get(&self.contacts, id, |c| &c.id).is_some()
    }

    fn has_hours(&self, index: &Positions, id: &str) -> bool {
        index.hours.get(&self.hours, id, |h| &h.id).is_some()
    }
}

/// The `i`th hours: a known time zone, seven days, and each day's spans
/// in order, within the day and not overlapping.
/// Each page has the slots its answers need: a theme that dropped one would
/// leave a visitor without their errors, their tokens or their reference.
fn check_pages(code: &str, pages: &Pages) -> Result<(), ManifestError> {
    let needs = [
        ("form", &pages.form, slot(slots::SUMMARY)),
        (
            "form",
            &pages.form,
            slot_for(slots::VALUE, fields::FORM_TOKEN),
        ),
        (
            "form",
            &pages.form,
            slot_for(slots::VALUE, fields::TIME_TOKEN),
        ),
        ("form", &pages.form, slot_for(slots::VALUE, fields::MESSAGE)),
        ("sent", &pages.sent, slot(slots::REFERENCE)),
        ("notice", &pages.notice, slot(slots::BODY)),
    ];
    for (page_name, page, needed) in needs {
        if !page.contains(&needed) {
            return bad(
                format!("pages.{code}.{page_name}"),
                format!(
                    "has no `{needed}`: the theme's template for this page must show what the router fills in there (see the default theme's contact_form.html, thanks.html and notice.html)"
                ),
            );
        }
    }
    Ok(())
}

/// Each of `code`'s strings is one the router knows, with exactly the
/// placeholders of its English text (a missing one would leave a gap in
/// the sentence, an unknown one would show as typed).
fn check_strings(code: &str, table: &Table) -> Result<(), ManifestError> {
    let english = texts::english();
    for (key, text) in table {
        let Some(original) = english.get(key) else {
            return bad(
                format!("strings.{code}.{key}"),
                "not a text the router knows (see functions/router/messages/en.toml)",
            );
        };
        let (wanted, found) = (texts::placeholders(original), texts::placeholders(text));
        if wanted != found {
            return bad(
                format!("strings.{code}.{key}"),
                format!(
                    "has the placeholders [{}] but the English text has [{}]",
                    texts::placeholder_list(&found),
                    texts::placeholder_list(&wanted)
                ),
            );
        }
    }
    Ok(())
}

fn check_weekly_hours(i: usize, h: &WeeklyHours) -> Result<(), ManifestError> {
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
    Ok(())
}
