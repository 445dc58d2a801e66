//! Department files: the department, its contacts, its hours, and the
//! backup chains that run across departments.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use switchboard_router::manifest::{AfterHoursRule, DateRange, OpenSpan};
use toml::Spanned;

use super::{Ids, Resolver};
use crate::diagnostic::{SourceFile, did_you_mean};
use crate::model::hours::{self, DAY_NAMES};
use crate::model::load::{Parsed, RawSite};
use crate::model::markdown::markdown_to_html;
use crate::model::schema::{ClosureEntry, ContactEntry, DepartmentFile, HoursSection};
use crate::model::site::*;
use crate::model::value_checks::{self, Invalid};

pub(super) fn resolve_department(
    resolver: &mut Resolver,
    file: &Parsed<DepartmentFile>,
    all_contacts: &Ids,
    default_response_time: &str,
) -> Option<Department> {
    let source = &file.source;
    let raw = &file.value;
    let id_ok = resolver
        .check(source, &raw.id, |id| value_checks::check_id(id))
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
        summary: text(&raw.summary),
        inbox,
        publish_inbox: raw.publish_inbox,
        cc_inbox: raw.cc_inbox,
        phone,
        languages,
        route_by_language: raw.route_by_language.unwrap_or(true),
        response_time: raw.response_time.as_ref().map_or_else(
            || default_response_time.to_string(),
            |r| r.get_ref().clone(),
        ),
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
        .check(source, &raw.id, |id| value_checks::check_id(id))
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
        role: text(&raw.role),
        email,
        publish_email: raw.publish_email,
        phone,
        languages,
        photo,
        bio_html: raw.bio.as_ref().map(|bio| markdown_to_html(bio.get_ref())),
        backup: raw.backup.as_ref().map(|b| b.get_ref().clone()),
        away,
    })
}

/// An optional text, empty when not written.
fn text(value: &Option<Spanned<String>>) -> String {
    value
        .as_ref()
        .map(|v| v.get_ref().clone())
        .unwrap_or_default()
}

/// Hours with their time zone, and the after-hours rule; `None` on any error.
fn resolve_hours(
    resolver: &mut Resolver,
    source: &SourceFile,
    section: &HoursSection,
    all_contacts: &Ids,
) -> Option<(Option<Hours>, AfterHoursRule)> {
    let timezone_ok = check_timezone(resolver, source, &section.timezone);
    let (days, days_ok) = resolve_days(resolver, source, section);
    let after_hours = match &section.after_hours {
        Some(rule) => resolver.check(source, rule, |r| hours::parse_after_hours(r)),
        None => Some(AfterHoursRule::Primary),
    };
    if let (Some(AfterHoursRule::Contact(id)), Some(rule)) = (&after_hours, &section.after_hours) {
        if !all_contacts.contains(id.as_str()) {
            report_unknown_contact(resolver, source, rule, id, all_contacts);
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
    let closures = resolve_closures(resolver, source, &section.closures);
    if !timezone_ok || !days_ok || closures.len() != section.closures.len() {
        return None;
    }
    Some((
        Some(Hours {
            timezone: section.timezone.get_ref().clone(),
            days,
            closures,
        }),
        after_hours?,
    ))
}

/// Whether `timezone` is an IANA name; reports it (with the closest name) if not.
fn check_timezone(
    resolver: &mut Resolver,
    source: &SourceFile,
    timezone: &Spanned<String>,
) -> bool {
    let name = timezone.get_ref();
    let timezone_ok = name.parse::<chrono_tz::Tz>().is_ok();
    if !timezone_ok {
        let hint = match did_you_mean(name, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "use an IANA time zone name like Europe/Berlin or America/New_York".to_string(),
        };
        resolver.report(
            source,
            timezone.span(),
            Invalid::new(format!("`{name}` is not a known time zone"), hint),
        );
    }
    timezone_ok
}

/// The seven days' opening spans, Monday first (`weekdays` fills Monday to
/// Friday where a day is not named), and whether all of them parsed.
fn resolve_days(
    resolver: &mut Resolver,
    source: &SourceFile,
    section: &HoursSection,
) -> (Vec<Vec<OpenSpan>>, bool) {
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
    (days, days_ok)
}

/// `after_hours = "contact:<id>"` names no contact.
fn report_unknown_contact(
    resolver: &mut Resolver,
    source: &SourceFile,
    rule: &Spanned<String>,
    id: &str,
    all_contacts: &Ids,
) {
    let hint = did_you_mean(id, all_contacts.iter().copied())
        .map_or("name an existing contact id".to_string(), |c| {
            format!("did you mean `contact:{c}`?")
        });
    resolver.report(
        source,
        rule.span(),
        Invalid::new(format!("there is no contact with id `{id}`"), hint),
    );
}

/// The closures whose dates are valid (the others are reported).
fn resolve_closures(
    resolver: &mut Resolver,
    source: &SourceFile,
    closures: &[ClosureEntry],
) -> Vec<Closure> {
    closures
        .iter()
        .filter_map(|closure| {
            resolver
                .date_range(source, &closure.from, closure.until.as_ref())
                .map(|dates| Closure {
                    name: closure.name.get_ref().clone(),
                    dates,
                })
        })
        .collect()
}

/// A backup chain must end: follow each contact's backups and report loops once.
pub(super) fn check_backup_cycles(resolver: &mut Resolver, raw: &RawSite) {
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
