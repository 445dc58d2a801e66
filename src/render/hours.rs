//! Opening hours for people: rows like "Mon–Fri 09:00–17:00", and the
//! compact data the theme's script uses to say "open now / opens at …".
//!
//! The text is computed here, in the department's own time zone, so it is
//! right without JavaScript; the script only adds the live status and the
//! visitor's local time.

use serde::Serialize;

use super::i18n::LanguageStrings;
use crate::model::Hours;
use switchboard_router::manifest::OpenSpan;

/// schema.org `DayOfWeek` names, Monday first.
pub const SCHEMA_DAYS: [&str; 7] = [
    "https://schema.org/Monday",
    "https://schema.org/Tuesday",
    "https://schema.org/Wednesday",
    "https://schema.org/Thursday",
    "https://schema.org/Friday",
    "https://schema.org/Saturday",
    "https://schema.org/Sunday",
];

/// Consecutive days sharing the same spans, ready to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoursRow {
    /// "Mon–Fri", "Sat", …
    pub days: String,
    /// Spelled out for screen readers: "Monday to Friday".
    pub days_long: String,
    /// "09:00–12:00, 13:00–17:00", or "Closed".
    pub spans: String,
    pub closed: bool,
}

/// Groups the week (Monday first) into rows of consecutive days with equal
/// hours, in the language of `t` (its weekday names). Always covers all
/// seven days, closed days included, so a visitor never has to guess what
/// a missing Sunday means.
pub fn rows(hours: &Hours, t: &LanguageStrings) -> Vec<HoursRow> {
    let short = |d: usize| t.item("weekdays_short", d);
    let long = |d: usize| t.item("weekdays_long", d);
    let mut rows = Vec::new();
    let mut start = 0;
    for day in 1..=7 {
        if day == 7 || day_spans(hours, day) != day_spans(hours, start) {
            let spans = day_spans(hours, start);
            let (days, days_long) = if day - 1 == start {
                (short(start).to_string(), long(start).to_string())
            } else {
                (
                    format!("{}–{}", short(start), short(day - 1)),
                    t.fill(
                        "hours_days_range",
                        &[("first", long(start)), ("last", long(day - 1))],
                    ),
                )
            };
            rows.push(HoursRow {
                days,
                days_long,
                closed: spans.is_empty(),
                spans: format_spans(spans, t),
            });
            start = day;
        }
    }
    rows
}

fn day_spans(hours: &Hours, day: usize) -> &[OpenSpan] {
    hours.days.get(day).map(Vec::as_slice).unwrap_or(&[])
}

/// "09:00–12:00, 13:00–17:00"; "Closed" for none; "Open 24 hours" for a
/// full day (in the language of `t`; 24-hour times in every language).
pub fn format_spans(spans: &[OpenSpan], t: &LanguageStrings) -> String {
    match spans {
        [] => t.get("hours_closed").to_string(),
        [s] if s.open == 0 && s.close >= 1440 => t.get("hours_open_24").to_string(),
        _ => spans
            .iter()
            .map(|s| format!("{}–{}", hhmm(s.open), hhmm(s.close)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Minutes after midnight as `HH:MM`; 1440 is `24:00` (the end of the day).
pub fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The data the theme's script needs for one department, embedded in the
/// page as JSON: the zone, spans per day (Monday first, `[open, close]` in
/// minutes) and closures as inclusive ISO date pairs.
#[derive(Debug, Clone, Serialize)]
pub struct HoursData {
    pub tz: String,
    pub days: Vec<Vec<[u16; 2]>>,
    pub closed: Vec<[String; 2]>,
}

pub fn data(hours: &Hours) -> HoursData {
    HoursData {
        tz: hours.timezone.clone(),
        days: (0..7)
            .map(|d| {
                day_spans(hours, d)
                    .iter()
                    .map(|s| [s.open, s.close])
                    .collect()
            })
            .collect(),
        closed: hours
            .closures
            .iter()
            .map(|c| [c.dates.from.to_string(), c.dates.until.to_string()])
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Closure;
    use switchboard_router::manifest::DateRange;

    fn english() -> LanguageStrings {
        crate::render::i18n::Strings::default_theme().language("en", "en")
    }

    fn span(open: u16, close: u16) -> OpenSpan {
        OpenSpan { open, close }
    }

    fn week(days: Vec<Vec<OpenSpan>>) -> Hours {
        Hours {
            timezone: "Europe/Berlin".into(),
            days,
            closures: vec![],
        }
    }

    #[test]
    fn weekdays_are_grouped_and_weekend_closed() {
        let nine_five = vec![span(540, 1020)];
        let h = week(vec![
            nine_five.clone(),
            nine_five.clone(),
            nine_five.clone(),
            nine_five.clone(),
            vec![span(540, 720)],
            vec![],
            vec![],
        ]);
        let r = rows(&h, &english());
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].days, "Mon–Thu");
        assert_eq!(r[0].days_long, "Monday to Thursday");
        assert_eq!(r[0].spans, "09:00–17:00");
        assert_eq!(r[1].days, "Fri");
        assert_eq!(r[1].spans, "09:00–12:00");
        assert_eq!(r[2].days, "Sat–Sun");
        assert_eq!(r[2].spans, "Closed");
        assert!(r[2].closed);
    }

    #[test]
    fn split_days_and_round_the_clock() {
        assert_eq!(
            format_spans(&[span(510, 750), span(810, 1080)], &english()),
            "08:30–12:30, 13:30–18:00"
        );
        assert_eq!(format_spans(&[span(0, 1440)], &english()), "Open 24 hours");
        assert_eq!(format_spans(&[span(1200, 1440)], &english()), "20:00–24:00");
        assert_eq!(hhmm(0), "00:00");
    }

    #[test]
    fn rows_follow_the_language() {
        let de = crate::render::i18n::Strings::default_theme().language("de", "en");
        let r = rows(&week(vec![vec![span(510, 1020)]; 5]), &de);
        assert_eq!(r[0].days, "Mo–Fr");
        assert_eq!(r[0].days_long, "Montag bis Freitag");
        assert_eq!(r[1].spans, "Geschlossen");
    }

    #[test]
    fn missing_days_count_as_closed() {
        let r = rows(&week(vec![vec![span(60, 120)]]), &english());
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].days, "Tue–Sun");
        assert!(r[1].closed);
    }

    #[test]
    fn data_has_seven_days_and_iso_closures() {
        let mut h = week(vec![vec![span(540, 1020)]; 5]);
        h.closures.push(Closure {
            name: "Winter break".into(),
            dates: DateRange {
                from: "2025-12-24".parse().unwrap(),
                until: "2025-12-26".parse().unwrap(),
            },
        });
        let d = data(&h);
        assert_eq!(d.days.len(), 7);
        assert_eq!(d.days[0], vec![[540, 1020]]);
        assert!(d.days[6].is_empty());
        assert_eq!(
            d.closed,
            vec![["2025-12-24".to_string(), "2025-12-26".to_string()]]
        );
    }
}
