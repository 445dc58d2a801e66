//! Checks on single content values: ids, emails, phones, languages, URLs,
//! dates. Each returns the cleaned value or a message plus a hint for the
//! editor. Email addresses are checked with the router's own rule
//! (`functions/router/src/validate.rs`), so a site that checks clean is one
//! the router starts on. (The form's field names, the builder's side of
//! `functions/router/src/fields.rs`, are in `render/form.rs`.)

use chrono::NaiveDate;
use toml::value::Datetime;

use crate::model::Phone;

/// A problem with one value: what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub message: String,
    pub hint: String,
}

impl Invalid {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Invalid {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// Ids appear in URLs and file names, so they stay lowercase ASCII.
pub fn check_id(id: &str) -> Result<(), Invalid> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            format!("`{id}` is not a valid id"),
            "use lowercase letters, digits and hyphens, like `customer-support`",
        ))
    }
}

/// The router's address rule ([`switchboard_router::validate::looks_like_email`]),
/// with the editor's hint.
pub fn check_email(email: &str) -> Result<(), Invalid> {
    // The router's rule, so a site that checks clean is one the router starts on.
    if switchboard_router::validate::looks_like_email(email) {
        Ok(())
    } else {
        Err(Invalid::new(
            format!("`{email}` is not a valid email address"),
            "write it as name@example.org",
        ))
    }
}

/// International form only: `+`, country code, then digits with optional
/// spaces, dots, hyphens or parentheses; 8 to 15 digits in all (E.164).
pub fn parse_phone(text: &str) -> Result<Phone, Invalid> {
    let invalid = || {
        Invalid::new(
            format!("`{text}` is not a phone number in international form"),
            "start with + and the country code, like +44 20 7946 0018",
        )
    };
    let rest = text.trim().strip_prefix('+').ok_or_else(invalid)?;
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || " .-()".contains(c))
    {
        return Err(invalid());
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(invalid());
    }
    Ok(Phone {
        display: text.trim().to_string(),
        e164: format!("+{digits}"),
    })
}

/// BCP 47 shape: a 2–3 letter language, then optional subtags (`en`, `pt-BR`, `zh-Hant`).
pub fn check_language(tag: &str) -> Result<(), Invalid> {
    let mut parts = tag.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    let subtags_ok =
        parts.all(|s| (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if language_ok && subtags_ok {
        Ok(())
    } else {
        Err(Invalid::new(
            format!("`{tag}` is not a language tag"),
            "use a BCP 47 tag like `en`, `de` or `pt-BR`",
        ))
    }
}

/// An absolute http(s) URL with a host; trailing slashes are trimmed.
pub fn check_absolute_url(url: &str) -> Result<String, Invalid> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            Invalid::new(
                format!("`{url}` is not an absolute URL"),
                "start it with https://",
            )
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(
            format!("`{url}` is not a valid URL"),
            "write it like https://example.org",
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// A TOML local date (`2026-12-24`, unquoted) as a calendar day.
pub fn toml_date(value: &Datetime) -> Result<NaiveDate, Invalid> {
    let invalid = || {
        Invalid::new(
            format!("`{value}` is not a plain date"),
            "write a date without quotes or time, like 2026-12-24",
        )
    };
    match (value.date, value.time) {
        (Some(date), None) => {
            NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
                .ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe() {
        assert!(check_id("customer-support").is_ok());
        assert!(check_id("Sales").is_err());
        assert!(check_id("a b").is_err());
        assert!(check_id("-x").is_err());
        assert!(check_id("").is_err());
    }

    #[test]
    fn emails() {
        assert!(check_email("ana@example.org").is_ok());
        assert!(check_email("zoë@exämple.de").is_ok());
        assert!(check_email("ana@localhost").is_err());
        assert!(check_email("ana example.org").is_err());
        assert!(check_email("ana@@example.org").is_err());
        // What the router refuses, the builder refuses too (it used to accept these).
        for bad in [
            "a..b@x.org",
            "a.@x.org",
            ".a@x.org",
            &format!("a@{}.org", "x".repeat(64)),
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
            assert!(!switchboard_router::validate::looks_like_email(bad));
        }
        assert!(check_email("ana@example.org\r\nBcc: x@y.z").is_err());
        assert!(check_email("@example.org").is_err());
    }

    #[test]
    fn phones_must_be_international() {
        let phone = parse_phone("+49 (30) 1234-5678").expect("valid");
        assert_eq!(phone.e164, "+493012345678");
        assert_eq!(phone.display, "+49 (30) 1234-5678");
        assert!(parse_phone("030 1234 5678").is_err());
        assert!(parse_phone("+1 555").is_err());
        assert!(parse_phone("+1 555 CALL NOW").is_err());
    }

    #[test]
    fn languages() {
        assert!(check_language("en").is_ok());
        assert!(check_language("pt-BR").is_ok());
        assert!(check_language("english").is_err());
        assert!(check_language("e").is_err());
    }

    #[test]
    fn urls() {
        assert_eq!(
            check_absolute_url("https://example.org/").as_deref(),
            Ok("https://example.org")
        );
        assert!(check_absolute_url("example.org").is_err());
        assert!(check_absolute_url("https://").is_err());
    }

    #[test]
    fn dates() {
        let date: Datetime = "2026-12-24".parse().expect("toml date");
        assert_eq!(
            toml_date(&date),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 24).expect("date"))
        );
        let datetime: Datetime = "2026-12-24T10:00:00".parse().expect("toml datetime");
        assert!(toml_date(&datetime).is_err());
    }
}
