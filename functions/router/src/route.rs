//! Routing: topic → department → contact, with the backup when a contact is
//! away and the department's after-hours rule when it is closed, both judged
//! in the department's own time zone, then a contact who speaks the
//! visitor's language when the one picked does not. Every address comes
//! from the manifest.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use crate::manifest::{
    AfterHoursRule, CompactString, Contact, Department, RoutingManifest, Topic, WeeklyHours,
};
use crate::texts::Texts;

/// Where one submission goes, and why (the why is written into the notification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub topic_id: CompactString,
    pub topic_label: CompactString,
    pub department_id: CompactString,
    pub department_name: CompactString,
    pub response_time: CompactString,
    /// The contact it went to; `None` when only the department inbox gets it.
    pub contact_id: Option<CompactString>,
    pub to: Vec<Recipient>,
    pub cc: Vec<Recipient>,
    /// Human-readable reason in the site's default language (the staff's),
    /// e.g. "Bob Brown covers for Alice Adams, who is away".
    pub rule: String,
    /// The submission's language (one of the site's).
    pub language: CompactString,
    /// The language as the notification names it, e.g. `Deutsch (de)`.
    pub language_name: String,
    /// Whether the contact was chosen because they speak [`Route::language`].
    pub by_language: bool,
    /// The topic, department and response time in the submission's language,
    /// for the visitor's acknowledgement (the fields above are the default
    /// language's, for the staff).
    pub for_visitor: VisitorTexts,
}

/// What the acknowledgement says about the route, in the visitor's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorTexts {
    pub topic_label: CompactString,
    pub department_name: CompactString,
    pub response_time: CompactString,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: CompactString,
    pub email: CompactString,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("unknown topic")]
    UnknownTopic,
}

/// Backup chains longer than this are treated as a loop (the manifest check
/// rejects dangling ids but not cycles, which are legal: A backs up B and B backs up A).
const MAX_BACKUP_HOPS: usize = 8;

/// [`route_in`] for a submission in the site's default language.
pub fn route(
    manifest: &RoutingManifest,
    topic_id: &str,
    now: DateTime<Utc>,
) -> Result<Route, RouteError> {
    route_in(manifest, topic_id, manifest.default_language(), now)
}

/// Routes a submission for `topic_id` in site language `lang` arriving at
/// `now`: the topic's contact (or its department's primary), covered for
/// when away, then the department's after-hours rule when it is closed,
/// then the department's first available speaker of `lang` when the one
/// picked does not speak it (for a language other than the default, in
/// hours or when the after-hours rule delivers as usual).
pub fn route_in(
    manifest: &RoutingManifest,
    topic_id: &str,
    lang: &str,
    now: DateTime<Utc>,
) -> Result<Route, RouteError> {
    let topic: &Topic = manifest.topic(topic_id).ok_or(RouteError::UnknownTopic)?;
    // The manifest check guarantees these resolve; treat a miss as unknown topic
    // rather than panic, should a manifest have skipped the check.
    let dept = manifest
        .department(&topic.department)
        .ok_or(RouteError::UnknownTopic)?;
    let base_id = topic.contact.as_deref().unwrap_or(&dept.primary);
    let base = manifest.contact(base_id).ok_or(RouteError::UnknownTopic)?;

    let hours = manifest.hours_of(dept);
    let tz: Tz = hours
        .and_then(|h| h.timezone.parse().ok())
        .unwrap_or(Tz::UTC);
    let local = now.with_timezone(&tz);

    // The reasons are for the staff: in the site's default language.
    let t = &manifest.texts(manifest.default_language());
    let mut reasons = Vec::new();
    let mut chosen = cover_if_away(manifest, base, dept, local.date_naive(), t, &mut reasons);
    let open = is_open(
        hours,
        local.date_naive(),
        local.weekday().num_days_from_monday(),
        local.hour() * 60 + local.minute(),
    );
    if !open {
        chosen = apply_after_hours_rule(manifest, dept, base, chosen, &local, t, &mut reasons);
    }
    // The default language is the staff's own: every contact reads it.
    // Outside hours the after-hours rule says who is on duty; a speaker is
    // preferred only when it delivers as usual.
    let by_language = lang != manifest.default_language()
        && (open || dept.after_hours == AfterHoursRule::Primary);
    let speaker = chosen
        .filter(|_| by_language)
        .and_then(|c| speaker_instead(manifest, dept, c, lang, local.date_naive()));
    if reasons.is_empty() && speaker.is_none() {
        reasons.push(match &topic.contact {
            Some(_) => t.fill("route.topic_contact", &[("contact", &base.name)]),
            None => t.fill(
                "route.primary",
                &[("contact", &base.name), ("department", &dept.name)],
            ),
        });
    }

    let language_name = manifest.language_name(lang);
    if let Some(s) = speaker {
        reasons.push(t.fill(
            "route.by_language",
            &[("contact", &s.name), ("language", &language_name)],
        ));
        chosen = Some(s);
    }

    let (to, cc) = recipients(dept, chosen);
    Ok(Route {
        topic_id: topic.id.clone(),
        topic_label: topic.label.clone(),
        department_id: dept.id.clone(),
        department_name: dept.name.clone(),
        response_time: dept.response_time.clone(),
        contact_id: chosen.map(|c| c.id.clone()),
        to,
        cc,
        rule: reasons.join("; "),
        language: lang.into(),
        language_name,
        by_language: speaker.is_some(),
        for_visitor: VisitorTexts {
            topic_label: topic.label_in(lang).into(),
            department_name: dept.name_in(lang).into(),
            response_time: dept.response_time_in(lang).into(),
        },
    })
}

/// The department's first speaker of `lang` who is not away on `today`,
/// when `picked` does not speak it; `None` keeps `picked` (it speaks the
/// language, no one does, or every speaker is away).
fn speaker_instead<'m>(
    manifest: &'m RoutingManifest,
    dept: &Department,
    picked: &Contact,
    lang: &str,
    today: NaiveDate,
) -> Option<&'m Contact> {
    let speakers = dept.speakers_of(lang);
    if speakers.is_empty() || speakers.contains(&picked.id) {
        return None;
    }
    speakers
        .iter()
        .filter_map(|id| manifest.contact(id))
        .find(|c| !is_away(c, today))
}

/// Who covers for `base` on `today`: `base` itself, else the first available
/// backup, else no one (the department inbox). Says why when it is not `base`.
fn cover_if_away<'m>(
    manifest: &'m RoutingManifest,
    base: &'m Contact,
    dept: &Department,
    today: NaiveDate,
    t: &Texts<'_>,
    reasons: &mut Vec<String>,
) -> Option<&'m Contact> {
    if !is_away(base, today) {
        return Some(base);
    }
    let chosen = first_available(manifest, base.backup.as_deref(), today);
    reasons.push(match chosen {
        Some(c) => t.fill(
            "route.covers",
            &[("backup", &c.name), ("contact", &base.name)],
        ),
        None => t.fill(
            "route.away_to_inbox",
            &[("contact", &base.name), ("department", &dept.name)],
        ),
    });
    chosen
}

/// Whom a message for closed `dept` goes to under its after-hours rule,
/// starting from `chosen` (who would get it in hours); says why.
fn apply_after_hours_rule<'m>(
    manifest: &'m RoutingManifest,
    dept: &Department,
    base: &'m Contact,
    chosen: Option<&'m Contact>,
    local: &DateTime<Tz>,
    t: &Texts<'_>,
    reasons: &mut Vec<String>,
) -> Option<&'m Contact> {
    let today = local.date_naive();
    let time = local.format("%a %H:%M %Z").to_string();
    let closed = t.fill(
        "route.closed",
        &[("department", &dept.name), ("time", &time)],
    );
    let why = |key: &str, who: &[(&str, &str)]| {
        let mut args = vec![("closed", closed.as_str())];
        args.extend_from_slice(who);
        t.fill(key, &args)
    };
    match &dept.after_hours {
        AfterHoursRule::Primary => {
            reasons.push(why("route.closed.as_usual", &[]));
            chosen
        }
        AfterHoursRule::Backup => {
            if let Some(b) = first_available(manifest, base.backup.as_deref(), today) {
                reasons.push(why("route.closed.backup", &[("backup", &b.name)]));
                Some(b)
            } else {
                reasons.push(why("route.closed.no_backup", &[]));
                chosen
            }
        }
        AfterHoursRule::Inbox => {
            reasons.push(why("route.closed.inbox", &[("department", &dept.name)]));
            None
        }
        AfterHoursRule::Contact(id) => {
            if let Some(c) = first_available(manifest, Some(id), today) {
                reasons.push(why("route.closed.contact", &[("contact", &c.name)]));
                Some(c)
            } else {
                reasons.push(why("route.closed.contact_away", &[]));
                chosen
            }
        }
    }
}

/// `To` and `Cc`: the chosen contact, with the department inbox copied when
/// the department asks for it; the inbox alone when no contact was chosen.
fn recipients(dept: &Department, chosen: Option<&Contact>) -> (Vec<Recipient>, Vec<Recipient>) {
    let inbox = Recipient {
        name: dept.name.clone(),
        email: dept.inbox.clone(),
    };
    match chosen {
        Some(c) => {
            let to = vec![Recipient {
                name: c.name.clone(),
                email: c.email.clone(),
            }];
            let cc = if dept.cc_inbox && !c.email.eq_ignore_ascii_case(&dept.inbox) {
                vec![inbox]
            } else {
                vec![]
            };
            (to, cc)
        }
        None => (vec![inbox], vec![]),
    }
}

fn is_away(c: &Contact, day: NaiveDate) -> bool {
    c.away.iter().any(|r| r.contains(day))
}

/// Follows a backup chain from `start` to the first contact who is not away.
fn first_available<'m>(
    m: &'m RoutingManifest,
    start: Option<&str>,
    day: NaiveDate,
) -> Option<&'m Contact> {
    let mut next = start;
    for _ in 0..MAX_BACKUP_HOPS {
        let c = m.contact(next?)?;
        if !is_away(c, day) {
            return Some(c);
        }
        next = c.backup.as_deref();
    }
    None
}

/// Whether a department keeping `hours` (`None`: always open) is open at
/// `minute` of local weekday `weekday` (Monday = 0).
pub fn is_open(hours: Option<&WeeklyHours>, day: NaiveDate, weekday: u32, minute: u32) -> bool {
    let Some(hours) = hours else {
        return true;
    };
    if hours.closures.iter().any(|r| r.contains(day)) {
        return false;
    }
    hours.days.get(weekday as usize).is_some_and(|spans| {
        spans
            .iter()
            .any(|s| u32::from(s.open) <= minute && minute < u32::from(s.close))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::manifest;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn emails(r: &[Recipient]) -> Vec<&str> {
        r.iter().map(|x| x.email.as_str()).collect()
    }

    #[test]
    fn primary_in_hours_with_inbox_cc() {
        // Monday 2026-03-02 10:00 in Berlin (09:00 UTC).
        let r = route(&manifest(), "sales", at("2026-03-02T09:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["alice@example.org"]);
        assert_eq!(emails(&r.cc), ["sales@example.org"]);
        assert!(r.rule.contains("primary contact"), "{}", r.rule);
    }

    #[test]
    fn away_primary_goes_to_backup() {
        // Wednesday 2026-07-08 in hours; Alice is away 07-01..07-14.
        let r = route(&manifest(), "sales", at("2026-07-08T10:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["bob@example.org"]);
        assert_eq!(r.contact_id.as_deref(), Some("bob"));
        assert!(r.rule.contains("covers for Alice Adams"), "{}", r.rule);
    }

    #[test]
    fn away_is_judged_in_the_department_time_zone() {
        // 2026-06-30 22:30 UTC is already 07-01 00:30 in Berlin: Alice is away there.
        let r = route(&manifest(), "sales", at("2026-06-30T22:30:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["bob@example.org"]);
    }

    #[test]
    fn outside_hours_applies_after_hours_rule() {
        // Support is in New York, 08:00-18:00; 2026-03-02 23:30 UTC = 18:30 EST: closed.
        let r = route(&manifest(), "support", at("2026-03-02T23:30:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["oncall@example.org"]);
        assert!(
            r.rule.contains("outside Customer Support's business hours"),
            "{}",
            r.rule
        );
        // Same instant is 00:30 Tuesday in Berlin: sales closed, rule = backup.
        let r = route(&manifest(), "sales", at("2026-03-02T23:30:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["bob@example.org"]);
        // 17:30 UTC = 12:30 in New York: open, primary.
        let r = route(&manifest(), "support", at("2026-03-02T17:30:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["dan@example.org"]);
        assert!(r.cc.is_empty());
    }

    #[test]
    fn closures_and_weekends_are_closed() {
        let m = manifest();
        let sales = m.hours_of(m.department("sales").unwrap());
        assert!(sales.is_some());
        let xmas = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        assert!(!is_open(sales, xmas, 3, 600));
        let d = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        assert!(!is_open(sales, d, 5, 600));
        assert!(is_open(
            sales,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            0,
            540
        ));
        assert!(!is_open(
            sales,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            0,
            1020
        ));
    }

    #[test]
    fn topic_contact_and_always_open() {
        let r = route(&manifest(), "press", at("2026-03-08T03:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["carol@example.org"]);
        assert!(r.rule.contains("handles this topic"));
    }

    #[test]
    fn unknown_topic() {
        assert_eq!(
            route(&manifest(), "x", Utc::now()),
            Err(RouteError::UnknownTopic)
        );
    }

    #[test]
    fn nobody_available_falls_back_to_inbox() {
        let mut m = manifest();
        let away = m.contacts[0].away.clone();
        m.contacts.iter_mut().find(|c| c.id == "bob").unwrap().away = away;
        let r = route(&m, "sales", at("2026-07-08T10:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["sales@example.org"]);
        assert!(r.cc.is_empty());
        assert_eq!(r.contact_id, None);
    }

    #[test]
    fn a_french_visitor_goes_to_the_french_speaker_when_available() {
        // Monday 10:00 in Berlin: Alice (the primary) is in, Bob speaks French.
        let r = route_in(&manifest(), "sales", "fr", at("2026-03-02T09:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["bob@example.org"]);
        assert_eq!(emails(&r.cc), ["sales@example.org"]);
        assert!(r.by_language);
        assert_eq!(r.language, "fr");
        assert!(
            r.rule.contains("Bob Brown speaks Français (fr)"),
            "{}",
            r.rule
        );
    }

    #[test]
    fn a_french_visitor_goes_to_the_primary_when_the_french_speaker_is_away() {
        let mut m = manifest();
        let bob = m.contacts.iter_mut().find(|c| c.id == "bob").unwrap();
        bob.away = vec![crate::manifest::DateRange {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            until: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
        }];
        let r = route_in(&m, "sales", "fr", at("2026-03-02T09:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["alice@example.org"]);
        assert!(!r.by_language);
        assert!(r.rule.contains("primary contact"), "{}", r.rule);
    }

    #[test]
    fn a_department_that_does_not_route_by_language_keeps_the_primary() {
        let mut m = manifest();
        m.departments[0].speakers.clear();
        let r = route_in(&m, "sales", "fr", at("2026-03-02T09:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["alice@example.org"]);
        assert!(!r.by_language);
    }

    #[test]
    fn outside_hours_the_after_hours_contact_is_kept_whatever_they_speak() {
        // 18:30 in New York: support is closed and the on-call desk has it.
        let mut m = manifest();
        m.departments[1]
            .speakers
            .insert("fr".into(), vec!["erin".into()]);
        let r = route_in(&m, "support", "fr", at("2026-03-02T23:30:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["oncall@example.org"]);
        assert!(!r.by_language);
        // In hours, Erin (who speaks French) gets it instead of Dan.
        let r = route_in(&m, "support", "fr", at("2026-03-02T17:30:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["erin@example.org"]);
        assert!(r.by_language);
    }

    #[test]
    fn a_visitor_writing_the_default_language_keeps_the_usual_contact() {
        let mut m = manifest();
        m.departments[0]
            .speakers
            .insert("en".into(), vec!["bob".into()]);
        let r = route_in(&m, "sales", "en", at("2026-03-02T09:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["alice@example.org"]);
        assert!(!r.by_language);
    }

    #[test]
    fn a_speaker_already_picked_is_kept() {
        // Alice is away: Bob covers, and he speaks French too.
        let r = route_in(&manifest(), "sales", "fr", at("2026-07-08T10:00:00Z")).unwrap();
        assert_eq!(emails(&r.to), ["bob@example.org"]);
        assert!(!r.by_language);
        assert!(r.rule.contains("covers for Alice Adams"), "{}", r.rule);
    }

    #[test]
    fn an_unknown_or_malformed_language_is_the_default() {
        let m = manifest();
        for posted in [None, Some("xx"), Some("<script>"), Some(""), Some("sv-SE")] {
            assert_eq!(m.language_for(posted), "en", "{posted:?}");
        }
        assert_eq!(m.language_for(Some("de-AT")), "de");
        assert_eq!(m.language_for(Some("FR")), "fr");
        let r = route_in(
            &m,
            "sales",
            m.language_for(Some("xx")),
            at("2026-03-02T09:00:00Z"),
        )
        .unwrap();
        assert_eq!(emails(&r.to), ["alice@example.org"]);
        assert_eq!(r.language, "en");
    }

    #[test]
    fn the_visitor_texts_are_translated_with_fallback_to_the_default() {
        let now = at("2026-03-02T09:00:00Z");
        let de = route_in(&manifest(), "sales", "de", now).unwrap();
        assert_eq!(de.for_visitor.topic_label, "Kauf unserer Produkte");
        assert_eq!(de.for_visitor.department_name, "Vertrieb");
        assert_eq!(de.for_visitor.response_time, "innerhalb eines Werktags");
        assert_eq!(de.department_name, "Sales", "the staff's texts stay");
        let fr = route_in(&manifest(), "sales", "fr", now).unwrap();
        assert_eq!(fr.for_visitor.topic_label, "Acheter nos produits");
        assert_eq!(fr.for_visitor.department_name, "Sales");
        assert_eq!(fr.for_visitor.response_time, "within one business day");
    }
}
