//! Business hours as editors write them: `"09:00-12:30, 13:30-17:00"` or
//! `"closed"` per day, and the after-hours rule.

use switchboard_router::manifest::{AfterHoursRule, OpenSpan};

use super::value_checks::Invalid;

pub const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// One day's spans, sorted; refuses malformed times, empty and overlapping spans.
pub fn parse_day(text: &str) -> Result<Vec<OpenSpan>, Invalid> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("closed") || text.is_empty() {
        return Ok(Vec::new());
    }
    let mut spans = text
        .split(',')
        .map(|part| parse_span(part.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    spans.sort_by_key(|span| span.open);
    for pair in spans.windows(2) {
        if pair[1].open < pair[0].close {
            return Err(Invalid::new(
                format!(
                    "the hours {} and {} overlap",
                    format_span(pair[0]),
                    format_span(pair[1])
                ),
                "merge them into one span, or make one end before the other starts",
            ));
        }
    }
    Ok(spans)
}

fn parse_span(text: &str) -> Result<OpenSpan, Invalid> {
    let malformed = || {
        Invalid::new(
            format!("`{text}` is not a time span"),
            "write spans like \"09:00-17:00\", several separated by commas, or \"closed\"",
        )
    };
    let (open, close) = text.split_once('-').ok_or_else(malformed)?;
    let open = parse_time(open.trim()).ok_or_else(malformed)?;
    let close = parse_time(close.trim()).ok_or_else(malformed)?;
    if close <= open {
        return Err(Invalid::new(
            format!("`{text}` closes before it opens"),
            "a span must end after it starts on the same day; use 24:00 for midnight",
        ));
    }
    Ok(OpenSpan { open, close })
}

/// `HH:MM` in 24-hour time; `24:00` is allowed as an end of day.
fn parse_time(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= 24 * 60).then_some(total)
}

pub fn format_span(span: OpenSpan) -> String {
    format!(
        "{:02}:{:02}-{:02}:{:02}",
        span.open / 60,
        span.open % 60,
        span.close / 60,
        span.close % 60
    )
}

/// `primary`, `backup`, `inbox` or `contact:<id>` (the id is checked later).
pub fn parse_after_hours(text: &str) -> Result<AfterHoursRule, Invalid> {
    match text.trim() {
        "primary" => Ok(AfterHoursRule::Primary),
        "backup" => Ok(AfterHoursRule::Backup),
        "inbox" => Ok(AfterHoursRule::Inbox),
        other => match other.strip_prefix("contact:") {
            Some(id) if !id.trim().is_empty() => Ok(AfterHoursRule::Contact(id.trim().into())),
            _ => Err(Invalid::new(
                format!("`{other}` is not an after-hours rule"),
                "use \"primary\", \"backup\", \"inbox\" or \"contact:<contact id>\"",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_days_in_order() {
        let spans = parse_day("13:30-17:00, 09:00-12:30").expect("valid");
        assert_eq!(
            spans,
            vec![
                OpenSpan {
                    open: 540,
                    close: 750
                },
                OpenSpan {
                    open: 810,
                    close: 1020
                }
            ]
        );
        assert_eq!(parse_day("closed").expect("valid"), vec![]);
        assert_eq!(
            parse_day("00:00-24:00").expect("valid"),
            vec![OpenSpan {
                open: 0,
                close: 1440
            }]
        );
    }

    #[test]
    fn refuses_malformed_backwards_and_overlapping_hours() {
        assert!(parse_day("9-5").is_err());
        assert!(parse_day("09:00-25:00").is_err());
        assert!(parse_day("09:60-10:00").is_err());
        assert_eq!(
            parse_day("17:00-09:00").map_err(|e| e.message),
            Err("`17:00-09:00` closes before it opens".to_string())
        );
        assert_eq!(
            parse_day("09:00-13:00, 12:00-17:00").map_err(|e| e.message),
            Err("the hours 09:00-13:00 and 12:00-17:00 overlap".to_string())
        );
    }

    #[test]
    fn after_hours_rules() {
        assert_eq!(parse_after_hours("backup"), Ok(AfterHoursRule::Backup));
        assert_eq!(
            parse_after_hours("contact:li-wei"),
            Ok(AfterHoursRule::Contact("li-wei".into()))
        );
        assert!(parse_after_hours("contact:").is_err());
        assert!(parse_after_hours("voicemail").is_err());
    }
}
