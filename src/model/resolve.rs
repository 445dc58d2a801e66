//! From raw files to a [`Site`]: every value checked, every reference
//! resolved, every problem reported with its file and line. Keeps going after
//! an error so the editor gets the whole list in one run.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use switchboard_router::manifest::{AfterHoursRule, DateRange};
use toml::Spanned;
use toml::value::Datetime;

use super::fields::{self, Invalid};
use super::hours::{self, DAY_NAMES};
use super::load::{Parsed, RawPage, RawSite};
use super::markdown::markdown_to_html;
use super::schema::{ContactEntry, DepartmentFile, HoursSection, SiteFile, TopicsFile};
use super::site::*;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile, did_you_mean};

/// Where site-wide static files (logo, photos) live, relative to the root.
pub const STATIC_DIR: &str = "static";

/// Page slugs the builder itself uses.
const RESERVED_SLUGS: [&str; 5] = ["contact", "departments", "vcards", "assets", "api"];

const DEFAULT_RESPONSE_TIME: &str = "within two business days";
const DEFAULT_MIN_FILL_SECONDS: u32 = 3;
const DEFAULT_MAX_MESSAGE_CHARS: u32 = 5000;

/// A set of valid ids, sorted so hints list them in a stable order.
type Ids<'a> = BTreeSet<&'a str>;

/// How many ids a hint lists before it stops.
const HINT_IDS: usize = 12;

/// Where a value was written: its file and byte range.
#[derive(Clone)]
struct Origin<'a> {
    source: &'a SourceFile,
    span: Range<usize>,
}

struct Resolver<'a> {
    root: &'a Path,
    diagnostics: &'a mut Diagnostics,
}

impl Resolver<'_> {
    fn report(&mut self, source: &SourceFile, span: Range<usize>, invalid: Invalid) {
        self.diagnostics
            .push(Diagnostic::at(source, span, invalid.message).with_hint(invalid.hint));
    }

    /// Runs a check on a spanned value, reporting a failure at its span.
    fn check<T, U>(
        &mut self,
        source: &SourceFile,
        value: &Spanned<T>,
        check: impl FnOnce(&T) -> Result<U, Invalid>,
    ) -> Option<U> {
        match check(value.get_ref()) {
            Ok(ok) => Some(ok),
            Err(invalid) => {
                self.report(source, value.span(), invalid);
                None
            }
        }
    }

    fn phone(&mut self, source: &SourceFile, value: &Option<Spanned<String>>) -> Option<Phone> {
        value
            .as_ref()
            .and_then(|phone| self.check(source, phone, |p| fields::parse_phone(p)))
    }

    fn email(&mut self, source: &SourceFile, value: &Spanned<String>) -> String {
        self.check(source, value, |e| fields::check_email(e));
        value.get_ref().trim().to_string()
    }

    fn languages(&mut self, source: &SourceFile, values: &[Spanned<String>]) -> Vec<String> {
        values
            .iter()
            .filter_map(|tag| {
                self.check(source, tag, |t| fields::check_language(t))
                    .map(|()| tag.get_ref().clone())
            })
            .collect()
    }

    fn date(
        &mut self,
        source: &SourceFile,
        value: &Spanned<Datetime>,
    ) -> Option<chrono::NaiveDate> {
        self.check(source, value, fields::toml_date)
    }

    fn date_range(
        &mut self,
        source: &SourceFile,
        from: &Spanned<Datetime>,
        until: Option<&Spanned<Datetime>>,
    ) -> Option<DateRange> {
        let start = self.date(source, from)?;
        let end = match until {
            Some(until) => self.date(source, until)?,
            None => start,
        };
        if end < start {
            let span = until.map_or(from.span(), Spanned::span);
            self.report(
                source,
                span,
                Invalid::new(
                    format!("the period ends ({end}) before it starts ({start})"),
                    "swap `from` and `until`",
                ),
            );
            return None;
        }
        Some(DateRange {
            from: start,
            until: end,
        })
    }

    /// A site-relative path to a file under `static/` that must exist.
    fn static_file(&mut self, source: &SourceFile, value: &Spanned<String>) -> Option<String> {
        let relative = value.get_ref().trim_start_matches('/');
        let safe = !relative
            .split('/')
            .any(|part| part == ".." || part.is_empty());
        if safe && self.root.join(STATIC_DIR).join(relative).is_file() {
            return Some(relative.to_string());
        }
        self.report(
            source,
            value.span(),
            Invalid::new(
                format!("`{}` is not a file in `{STATIC_DIR}/`", value.get_ref()),
                format!(
                    "put the file under `{STATIC_DIR}/` and give its path relative to that folder"
                ),
            ),
        );
        None
    }

    /// Reports the second and later uses of an id.
    fn unique<'s>(
        &mut self,
        seen: &mut HashMap<String, Origin<'s>>,
        kind: &str,
        source: &'s SourceFile,
        id: &Spanned<String>,
    ) {
        let origin = Origin {
            source,
            span: id.span(),
        };
        if let Some(first) = seen.get(id.get_ref()) {
            let (line, _) = first.source.line_col(first.span.start);
            let hint = format!(
                "it is already used at {}:{line}; give each {kind} its own id",
                first.source.path.display()
            );
            self.report(
                source,
                id.span(),
                Invalid::new(format!("duplicate {kind} id `{}`", id.get_ref()), hint),
            );
        } else {
            seen.insert(id.get_ref().clone(), origin);
        }
    }

    /// Reports a reference to an id that does not exist, suggesting a close one.
    /// `kind` reads "there is no {kind} with id …"; `known` are the valid ids.
    fn reference(
        &mut self,
        source: &SourceFile,
        value: &Spanned<String>,
        kind: &str,
        known: &Ids,
    ) -> bool {
        if known.contains(value.get_ref().as_str()) {
            return true;
        }
        let hint = match did_you_mean(value.get_ref(), known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.is_empty() => "there are none yet".to_string(),
            None => {
                let listed: Vec<&str> = known.iter().take(HINT_IDS).copied().collect();
                let more = if known.len() > HINT_IDS { ", …" } else { "" };
                format!("the ids to choose from: {}{more}", listed.join(", "))
            }
        };
        self.report(
            source,
            value.span(),
            Invalid::new(
                format!("there is no {kind} with id `{}`", value.get_ref()),
                hint,
            ),
        );
        false
    }
}

/// Checks everything and builds the site; `None` when anything is wrong
/// (the problems are in `diagnostics`).
pub fn resolve(root: &Path, raw: RawSite, diagnostics: &mut Diagnostics) -> Option<Site> {
    let mut resolver = Resolver { root, diagnostics };
    let site_file = raw
        .site
        .as_ref()
        .and_then(|site| resolve_site_file(&mut resolver, site));
    let default_response_time = site_file
        .as_ref()
        .map_or(DEFAULT_RESPONSE_TIME.to_string(), |(_, _, form)| {
            form.response_time.clone()
        });

    let mut department_ids = HashMap::new();
    let mut contact_ids = HashMap::new();
    for file in &raw.departments {
        resolver.unique(
            &mut department_ids,
            "department",
            &file.source,
            &file.value.id,
        );
        for contact in &file.value.contacts {
            resolver.unique(&mut contact_ids, "contact", &file.source, &contact.id);
        }
    }
    let all_contacts: Ids = raw
        .departments
        .iter()
        .flat_map(|file| file.value.contacts.iter().map(|c| c.id.get_ref().as_str()))
        .collect();

    let mut departments: Vec<(Option<i64>, Department)> = raw
        .departments
        .iter()
        .filter_map(|file| {
            resolve_department(&mut resolver, file, &all_contacts, &default_response_time)
                .map(|department| (file.value.order, department))
        })
        .collect();
    departments.sort_by(|(a_order, a), (b_order, b)| {
        (a_order.is_none(), a_order, &a.name).cmp(&(b_order.is_none(), b_order, &b.name))
    });
    let departments: Vec<Department> = departments.into_iter().map(|(_, d)| d).collect();

    check_backup_cycles(&mut resolver, &raw);

    let topics = raw
        .topics
        .as_ref()
        .map(|topics| resolve_topics(&mut resolver, topics, &raw))
        .unwrap_or_default();

    let pages = resolve_pages(&mut resolver, &raw.pages);

    if !resolver.diagnostics.is_empty() || raw.departments.is_empty() && raw.site.is_some() {
        if raw.departments.is_empty() && raw.site.is_some() {
            resolver.diagnostics.push(
                Diagnostic::file("content/departments", "the site has no departments").with_hint(
                    "add a file like content/departments/support.toml (see `switchboard init`)",
                ),
            );
        }
        return None;
    }
    let (config, organization, form) = site_file?;
    Some(Site {
        root: root.to_path_buf(),
        config,
        organization,
        form,
        departments,
        topics,
        pages,
    })
}

fn resolve_site_file(
    resolver: &mut Resolver,
    file: &Parsed<SiteFile>,
) -> Option<(SiteConfig, Organization, FormSettings)> {
    let source = &file.source;
    let site = &file.value.site;
    let organization = &file.value.organization;
    let base_url = resolver.check(source, &site.base_url, |u| fields::check_absolute_url(u));
    let language = match &site.language {
        Some(language) => resolver
            .check(source, language, |l| fields::check_language(l))
            .map(|()| language.get_ref().clone()),
        None => Some("en".to_string()),
    };
    let phone = resolver.phone(source, &organization.phone);
    let email = organization
        .email
        .as_ref()
        .map(|e| resolver.email(source, e));
    let logo = organization
        .logo
        .as_ref()
        .and_then(|logo| resolver.static_file(source, logo));
    let address = organization.address.as_ref().map(|address| {
        let country = address.country.get_ref().trim().to_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            resolver.report(
                source,
                address.country.span(),
                Invalid::new(
                    format!("`{}` is not a country code", address.country.get_ref()),
                    "use the two-letter ISO 3166 code, like DE, GB or US",
                ),
            );
        }
        PostalAddress {
            street: address.street.clone(),
            locality: address.locality.clone(),
            region: address.region.clone(),
            postal_code: address.postal_code.clone(),
            country,
        }
    });
    let social = organization
        .social
        .iter()
        .filter_map(|link| {
            resolver
                .check(source, &link.url, |u| fields::check_absolute_url(u))
                .map(|url| SocialLink {
                    name: link.name.clone(),
                    url,
                })
        })
        .collect();
    let form = file.value.form.as_ref();
    let endpoint = match form.and_then(|f| f.endpoint.as_ref()) {
        Some(endpoint) if endpoint.get_ref().starts_with('/') => Some(endpoint.get_ref().clone()),
        Some(endpoint) => resolver.check(source, endpoint, |u| fields::check_absolute_url(u)),
        None => Some("/api/contact".to_string()),
    };
    let max_message_chars = match form.and_then(|f| f.max_message_chars.as_ref()) {
        Some(max) if !(100..=100_000).contains(max.get_ref()) => {
            resolver.report(
                source,
                max.span(),
                Invalid::new(
                    format!("max_message_chars = {} is out of range", max.get_ref()),
                    "pick a limit between 100 and 100000 characters",
                ),
            );
            None
        }
        Some(max) => Some(*max.get_ref()),
        None => Some(DEFAULT_MAX_MESSAGE_CHARS),
    };
    let theme = site
        .theme
        .as_ref()
        .map_or("default".to_string(), |t| t.get_ref().clone());
    let config = SiteConfig {
        title: site.title.get_ref().clone(),
        description: site.description.clone(),
        base_url: base_url?,
        language: language?,
        theme,
    };
    let organization = Organization {
        name: organization.name.get_ref().clone(),
        logo,
        address,
        phone,
        email,
        social,
    };
    let form = FormSettings {
        endpoint: endpoint?,
        response_time: form
            .and_then(|f| f.response_time.clone())
            .unwrap_or_else(|| DEFAULT_RESPONSE_TIME.to_string()),
        min_fill_seconds: form
            .and_then(|f| f.min_fill_seconds)
            .unwrap_or(DEFAULT_MIN_FILL_SECONDS),
        max_message_chars: max_message_chars?,
    };
    Some((config, organization, form))
}

fn resolve_department(
    resolver: &mut Resolver,
    file: &Parsed<DepartmentFile>,
    all_contacts: &Ids,
    default_response_time: &str,
) -> Option<Department> {
    let source = &file.source;
    let raw = &file.value;
    let id_ok = resolver
        .check(source, &raw.id, |id| fields::check_id(id))
        .is_some();
    let inbox = resolver.email(source, &raw.inbox);
    let phone = resolver.phone(source, &raw.phone);
    let languages = resolver.languages(source, &raw.languages);
    let own_contacts: Ids = raw
        .contacts
        .iter()
        .map(|c| c.id.get_ref().as_str())
        .collect();
    let contacts: Vec<Contact> = raw
        .contacts
        .iter()
        .filter_map(|contact| {
            resolve_contact(resolver, source, raw.id.get_ref(), contact, all_contacts)
        })
        .collect();
    let primary = match &raw.primary {
        Some(primary) => resolver
            .reference(source, primary, "contact in this department", &own_contacts)
            .then(|| primary.get_ref().clone()),
        None if raw.contacts.is_empty() => {
            resolver.report(
                source,
                raw.id.span(),
                Invalid::new(
                    format!("department `{}` has no contacts", raw.id.get_ref()),
                    "add at least one [[contacts]] entry: messages for this department need a person",
                ),
            );
            None
        }
        None => raw.contacts.first().map(|c| c.id.get_ref().clone()),
    };
    let (hours, after_hours) = match &raw.hours {
        Some(section) => resolve_hours(resolver, source, section, all_contacts)?,
        None => (None, AfterHoursRule::Primary),
    };
    if !id_ok || contacts.len() != raw.contacts.len() {
        return None;
    }
    Some(Department {
        id: raw.id.get_ref().clone(),
        name: raw.name.get_ref().clone(),
        summary: raw.summary.clone(),
        inbox,
        publish_inbox: raw.publish_inbox,
        cc_inbox: raw.cc_inbox,
        phone,
        languages,
        response_time: raw
            .response_time
            .clone()
            .unwrap_or_else(|| default_response_time.to_string()),
        hours,
        after_hours,
        primary: primary?,
        contacts,
        source: source.path.clone(),
    })
}

fn resolve_contact(
    resolver: &mut Resolver,
    source: &SourceFile,
    department: &str,
    raw: &ContactEntry,
    all_contacts: &Ids,
) -> Option<Contact> {
    let id_ok = resolver
        .check(source, &raw.id, |id| fields::check_id(id))
        .is_some();
    let email = resolver.email(source, &raw.email);
    let phone = resolver.phone(source, &raw.phone);
    let languages = resolver.languages(source, &raw.languages);
    let photo = raw
        .photo
        .as_ref()
        .and_then(|p| resolver.static_file(source, p));
    let backup_ok = match &raw.backup {
        Some(backup) if backup.get_ref() == raw.id.get_ref() => {
            resolver.report(
                source,
                backup.span(),
                Invalid::new(
                    format!("`{}` is their own backup", raw.id.get_ref()),
                    "name another contact, or remove `backup`",
                ),
            );
            false
        }
        Some(backup) => resolver.reference(source, backup, "contact", all_contacts),
        None => true,
    };
    let away: Vec<DateRange> = raw
        .away
        .iter()
        .filter_map(|period| resolver.date_range(source, &period.from, Some(&period.until)))
        .collect();
    if !id_ok || !backup_ok || away.len() != raw.away.len() {
        return None;
    }
    Some(Contact {
        id: raw.id.get_ref().clone(),
        department: department.to_string(),
        name: raw.name.get_ref().clone(),
        role: raw.role.clone(),
        email,
        publish_email: raw.publish_email,
        phone,
        languages,
        photo,
        bio_html: raw.bio.as_deref().map(markdown_to_html),
        backup: raw.backup.as_ref().map(|b| b.get_ref().clone()),
        away,
    })
}

/// Hours with their time zone, and the after-hours rule; `None` on any error.
fn resolve_hours(
    resolver: &mut Resolver,
    source: &SourceFile,
    section: &HoursSection,
    all_contacts: &Ids,
) -> Option<(Option<Hours>, AfterHoursRule)> {
    let timezone = section.timezone.get_ref();
    let timezone_ok = timezone.parse::<chrono_tz::Tz>().is_ok();
    if !timezone_ok {
        let hint = match did_you_mean(timezone, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "use an IANA time zone name like Europe/Berlin or America/New_York".to_string(),
        };
        resolver.report(
            source,
            section.timezone.span(),
            Invalid::new(format!("`{timezone}` is not a known time zone"), hint),
        );
    }
    let by_name = [
        &section.monday,
        &section.tuesday,
        &section.wednesday,
        &section.thursday,
        &section.friday,
        &section.saturday,
        &section.sunday,
    ];
    // Parsed once, so a mistake in `weekdays` is reported once, not five times.
    let weekdays = match &section.weekdays {
        Some(spec) => resolver.check(source, spec, |s| hours::parse_day(s)),
        None => Some(Vec::new()),
    };
    let mut days_ok = weekdays.is_some();
    let mut days = Vec::with_capacity(7);
    for (index, day) in by_name.iter().enumerate() {
        let spans = match day {
            Some(spec) => resolver.check(source, spec, |s| hours::parse_day(s)),
            None if index < 5 => weekdays.clone(),
            None => Some(Vec::new()),
        };
        days_ok &= spans.is_some();
        days.push(spans.unwrap_or_default());
    }
    let after_hours = match &section.after_hours {
        Some(rule) => resolver.check(source, rule, |r| hours::parse_after_hours(r)),
        None => Some(AfterHoursRule::Primary),
    };
    if let (Some(AfterHoursRule::Contact(id)), Some(rule)) = (&after_hours, &section.after_hours) {
        if !all_contacts.contains(id.as_str()) {
            let hint = did_you_mean(id, all_contacts.iter().copied())
                .map_or("name an existing contact id".to_string(), |c| {
                    format!("did you mean `contact:{c}`?")
                });
            resolver.report(
                source,
                rule.span(),
                Invalid::new(format!("there is no contact with id `{id}`"), hint),
            );
            return None;
        }
    }
    if days.iter().all(Vec::is_empty) && days_ok {
        resolver.report(
            source,
            section.timezone.span(),
            Invalid::new(
                "the hours open on no day",
                format!(
                    "set `weekdays` or some of {}, or remove [hours] if the department does not publish hours",
                    DAY_NAMES.join(", ")
                ),
            ),
        );
        return None;
    }
    let closures: Vec<Closure> = section
        .closures
        .iter()
        .filter_map(|closure| {
            resolver
                .date_range(source, &closure.from, closure.until.as_ref())
                .map(|dates| Closure {
                    name: closure.name.clone(),
                    dates,
                })
        })
        .collect();
    if !timezone_ok || !days_ok || closures.len() != section.closures.len() {
        return None;
    }
    Some((
        Some(Hours {
            timezone: timezone.clone(),
            days,
            closures,
        }),
        after_hours?,
    ))
}

/// A backup chain must end: follow each contact's backups and report loops once.
fn check_backup_cycles(resolver: &mut Resolver, raw: &RawSite) {
    let mut backups: HashMap<&str, (&str, &SourceFile, Range<usize>)> = HashMap::new();
    for file in &raw.departments {
        for contact in &file.value.contacts {
            if let Some(backup) = &contact.backup {
                backups.insert(
                    contact.id.get_ref(),
                    (backup.get_ref(), &file.source, backup.span()),
                );
            }
        }
    }
    let mut reported: HashSet<&str> = HashSet::new();
    let mut starts: Vec<&str> = backups.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        let mut chain = vec![start];
        let mut current = start;
        while let Some((next, _, _)) = backups.get(current) {
            if *next == current {
                break; // self-backup is reported where the contact is resolved
            }
            if let Some(position) = chain.iter().position(|id| id == next) {
                let cycle = &chain[position..];
                if cycle.len() > 1 && !cycle.iter().any(|id| reported.contains(id)) {
                    reported.extend(cycle.iter().copied());
                    let first = cycle.iter().min().copied().unwrap_or(start);
                    let (_, source, span) = &backups[first];
                    let mut names: Vec<&str> = cycle.to_vec();
                    let rotate = names.iter().position(|id| *id == first).unwrap_or(0);
                    names.rotate_left(rotate);
                    names.push(first);
                    resolver.report(
                        source,
                        span.clone(),
                        Invalid::new(
                            format!("the backups go round in a circle: {}", names.join(" → ")),
                            "end the chain: remove `backup` from one of them (when everyone in a chain is away, messages go to the department inbox)",
                        ),
                    );
                }
                break;
            }
            chain.push(next);
            current = next;
        }
    }
}

fn resolve_topics(resolver: &mut Resolver, file: &Parsed<TopicsFile>, raw: &RawSite) -> Vec<Topic> {
    let source = &file.source;
    if file.value.topic.is_empty() {
        resolver.diagnostics.push(
            Diagnostic::file(
                &source.path,
                "there are no topics, so the form would offer nothing",
            )
            .with_hint("add [[topic]] entries with an id, a label and a department"),
        );
    }
    let mut department_ids: Ids = raw
        .departments
        .iter()
        .map(|d| d.value.id.get_ref().as_str())
        .collect();
    // A department whose file did not parse is already reported; its file
    // name is the likely id, so do not also report every topic naming it.
    department_ids.extend(raw.unparsed_departments.iter().map(String::as_str));
    let departments_by_id: HashMap<&str, &Parsed<DepartmentFile>> = raw
        .departments
        .iter()
        .map(|d| (d.value.id.get_ref().as_str(), d))
        .collect();
    let mut seen = HashMap::new();
    let mut topics = Vec::new();
    for topic in &file.value.topic {
        resolver.unique(&mut seen, "topic", source, &topic.id);
        let id_ok = resolver
            .check(source, &topic.id, |id| fields::check_id(id))
            .is_some();
        let department_ok =
            resolver.reference(source, &topic.department, "department", &department_ids);
        let contact_ok = match (&topic.contact, department_ok) {
            (Some(_), true)
                if raw
                    .unparsed_departments
                    .contains(topic.department.get_ref()) =>
            {
                false
            }
            (Some(contact), true) => {
                let department = departments_by_id.get(topic.department.get_ref().as_str());
                let members: Ids = department
                    .map(|d| {
                        d.value
                            .contacts
                            .iter()
                            .map(|c| c.id.get_ref().as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                resolver.reference(
                    source,
                    contact,
                    &format!("contact in department `{}`", topic.department.get_ref()),
                    &members,
                )
            }
            (Some(_), false) => false,
            (None, ok) => ok,
        };
        let parsed = !raw
            .unparsed_departments
            .contains(topic.department.get_ref());
        if id_ok && department_ok && contact_ok && parsed {
            topics.push(Topic {
                id: topic.id.get_ref().clone(),
                label: topic.label.get_ref().clone(),
                description: topic.description.clone(),
                department: topic.department.get_ref().clone(),
                contact: topic.contact.as_ref().map(|c| c.get_ref().clone()),
            });
        }
    }
    topics
}

fn resolve_pages(resolver: &mut Resolver, raw_pages: &[RawPage]) -> Vec<Page> {
    let mut seen: HashMap<String, &SourceFile> = HashMap::new();
    let mut pages = Vec::new();
    for raw in raw_pages {
        let slug_ok =
            fields::check_id(&raw.slug).is_ok() && !RESERVED_SLUGS.contains(&raw.slug.as_str());
        if !slug_ok {
            resolver.diagnostics.push(
                Diagnostic::file(
                    &raw.source.path,
                    format!("`{}` cannot be a page's file name", raw.slug),
                )
                .with_hint(format!(
                    "name the file with lowercase letters, digits and hyphens, not one of {}",
                    RESERVED_SLUGS.join(", ")
                )),
            );
            continue;
        }
        if let Some(first) = seen.get(&raw.slug) {
            resolver.diagnostics.push(
                Diagnostic::file(
                    &raw.source.path,
                    format!("two pages are both named `{}`", raw.slug),
                )
                .with_hint(format!("rename this file or {}", first.path.display())),
            );
            continue;
        }
        seen.insert(raw.slug.clone(), &raw.source);
        pages.push(Page {
            slug: raw.slug.clone(),
            title: raw.front.title.get_ref().clone(),
            description: raw.front.description.clone(),
            menu: raw.front.menu,
            body_html: markdown_to_html(&raw.markdown),
        });
    }
    pages.sort_by(|a, b| a.slug.cmp(&b.slug));
    pages
}
