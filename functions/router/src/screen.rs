//! Spam screening. Two kinds of outcome: a request that cannot have come from
//! our page (no valid form token) is *refused* openly, since a person with a
//! broken page deserves to know; a request that looks like a bot (honeypot
//! missing or filled, sent faster than a person types) is *screened out*
//! silently: it gets the same answer as a person and nothing is sent, so a
//! bot learns nothing from probing.

use chrono::{DateTime, Utc};

use crate::fields;
use crate::manifest::RoutingManifest;
use crate::parse::RawFields;
use crate::token::{self, Shown, TokenError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Looks like a person; `stale_page` when the page came from an older build.
    Pass { stale_page: bool },
    /// Not from a current page of ours: answer 403, keep what was typed.
    Refused(Refusal),
    /// A bot: answer as if accepted, send nothing.
    ScreenedOut(BotSign),
}

/// Which token failed, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The form token: the page is not ours, is too old, or was signed with
    /// another secret. The answer hands out no token: none would be honest.
    FormToken(TokenError),
    /// The time token is missing, or the build's one is too old.
    PageTime(TokenError),
    /// The form was shown longer ago than a viewed token lives: the form
    /// token was good, so the answer shows the form again with a fresh time.
    ViewExpired,
}

impl Refusal {
    /// The words used in log lines.
    pub fn as_str(self) -> String {
        match self {
            Refusal::FormToken(e) => format!("form-token-{}", e.as_str()),
            Refusal::PageTime(e) => format!("time-token-{}", e.as_str()),
            Refusal::ViewExpired => "time-token-expired".into(),
        }
    }
}

/// Why a submission was screened out; logged, never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotSign {
    HoneypotMissing,
    HoneypotFilled,
    TooFast,
    ForgedTimeToken,
}

impl BotSign {
    pub fn as_str(self) -> &'static str {
        match self {
            BotSign::HoneypotMissing => "honeypot-missing",
            BotSign::HoneypotFilled => "honeypot-filled",
            BotSign::TooFast => "too-fast",
            BotSign::ForgedTimeToken => "forged-time-token",
        }
    }
}

const DAY_SECONDS: i64 = 86_400;
const HOUR_SECONDS: i64 = 3_600;

/// Screens one submission (captcha is checked separately: it needs the network).
pub fn screen(
    raw: &RawFields,
    manifest: &RoutingManifest,
    secret: &[u8],
    now: DateTime<Utc>,
) -> Verdict {
    let now = now.timestamp();
    let page_max_age = i64::from(manifest.form.token_max_age_days) * DAY_SECONDS;
    let form = token::verify_form_token(secret, raw.get(fields::FORM_TOKEN).unwrap_or(""))
        .and_then(|f| token::check_age(f.issued, now, page_max_age).map(|_| f));
    let form = match form {
        Ok(f) => f,
        Err(e) => return Verdict::Refused(Refusal::FormToken(e)),
    };
    match raw.get(&manifest.form.honeypot_field) {
        None => return Verdict::ScreenedOut(BotSign::HoneypotMissing),
        Some(v) if !v.is_empty() => return Verdict::ScreenedOut(BotSign::HoneypotFilled),
        Some(_) => {}
    }
    let (shown, at) =
        match token::verify_time_token(secret, raw.get(fields::TIME_TOKEN).unwrap_or("")) {
            Ok(t) => t,
            Err(TokenError::Missing) => {
                return Verdict::Refused(Refusal::PageTime(TokenError::Missing));
            }
            Err(_) => return Verdict::ScreenedOut(BotSign::ForgedTimeToken),
        };
    match shown {
        // Visitors without JavaScript: the page only knows when it was built.
        Shown::AtBuild => {
            if let Err(e) = token::check_age(at, now, page_max_age) {
                return Verdict::Refused(Refusal::PageTime(e));
            }
        }
        Shown::AtView => {
            let max = i64::from(manifest.form.view_token_max_age_hours) * HOUR_SECONDS;
            match token::check_age(at, now, max) {
                Err(TokenError::Expired) => return Verdict::Refused(Refusal::ViewExpired),
                Err(_) => return Verdict::ScreenedOut(BotSign::ForgedTimeToken),
                Ok(elapsed) if elapsed < i64::from(manifest.form.min_fill_seconds) => {
                    return Verdict::ScreenedOut(BotSign::TooFast);
                }
                Ok(_) => {}
            }
        }
    }
    Verdict::Pass {
        stale_page: form.content_hash != manifest.content_hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::manifest;
    use chrono::TimeZone;

    const K: &[u8] = b"secret";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
    }

    fn ago(seconds: i64) -> i64 {
        now().timestamp() - seconds
    }

    /// A page built a day ago, shown a minute ago.
    fn base() -> RawFields {
        let mut r = RawFields::default();
        r.insert(
            fields::FORM_TOKEN,
            token::sign_form_token(K, "c0ffee1234", ago(DAY_SECONDS)),
        );
        r.insert(
            fields::TIME_TOKEN,
            token::sign_time_token(K, Shown::AtView, ago(60)),
        );
        r.insert("website", "");
        r
    }

    fn with(field: &str, value: String) -> RawFields {
        let mut r = base();
        r.insert(field, value);
        r
    }

    #[test]
    fn passes_a_person() {
        assert_eq!(
            screen(&base(), &manifest(), K, now()),
            Verdict::Pass { stale_page: false }
        );
    }

    #[test]
    fn refuses_without_a_valid_form_token_and_names_another_secret() {
        let r = with(fields::FORM_TOKEN, "f2.c0ffee1234.1.AAAA".into());
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Refused(Refusal::FormToken(TokenError::OtherSecret))
        );
        let r = with(
            fields::FORM_TOKEN,
            token::sign_form_token(b"the build's own secret", "c0ffee1234", ago(60)),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Refused(Refusal::FormToken(TokenError::OtherSecret))
        );
        let r = with(fields::FORM_TOKEN, String::new());
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Refused(Refusal::FormToken(TokenError::Missing))
        );
    }

    #[test]
    fn tokens_expire() {
        // A page built longer ago than token_max_age_days (180).
        let r = with(
            fields::FORM_TOKEN,
            token::sign_form_token(K, "c0ffee1234", ago(181 * DAY_SECONDS)),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Refused(Refusal::FormToken(TokenError::Expired))
        );
        // A form shown 25 hours ago (view tokens live 24).
        let r = with(
            fields::TIME_TOKEN,
            token::sign_time_token(K, Shown::AtView, ago(25 * HOUR_SECONDS)),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Refused(Refusal::ViewExpired)
        );
        // The build's time token of a page without JavaScript: as old as the page may be.
        let r = with(
            fields::TIME_TOKEN,
            token::sign_time_token(K, Shown::AtBuild, ago(30 * DAY_SECONDS)),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Pass { stale_page: false }
        );
        let r = with(
            fields::TIME_TOKEN,
            token::sign_time_token(K, Shown::AtBuild, ago(181 * DAY_SECONDS)),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Refused(Refusal::PageTime(TokenError::Expired))
        );
    }

    #[test]
    fn the_time_token_is_required() {
        let mut r = base();
        r.insert(fields::TIME_TOKEN, "");
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Refused(Refusal::PageTime(TokenError::Missing))
        );
    }

    #[test]
    fn stale_page_is_accepted_and_flagged() {
        let r = with(
            fields::FORM_TOKEN,
            token::sign_form_token(K, "oldhash", ago(60)),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Pass { stale_page: true }
        );
    }

    #[test]
    fn honeypot_missing_or_filled_is_a_bot() {
        let mut r = RawFields::default();
        r.insert(
            fields::FORM_TOKEN,
            token::sign_form_token(K, "c0ffee1234", ago(60)),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::HoneypotMissing)
        );
        r.insert("website", "http://spam.example");
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::HoneypotFilled)
        );
    }

    #[test]
    fn minimum_fill_time_and_forged_time_tokens() {
        let time = |secret: &[u8], at: i64| {
            with(
                fields::TIME_TOKEN,
                token::sign_time_token(secret, Shown::AtView, at),
            )
        };
        assert_eq!(
            screen(&time(K, ago(1)), &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::TooFast)
        );
        assert_eq!(
            screen(&time(K, ago(3)), &manifest(), K, now()),
            Verdict::Pass { stale_page: false }
        );
        assert_eq!(
            screen(&time(b"forger", ago(30)), &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::ForgedTimeToken)
        );
        assert_eq!(
            screen(&time(K, ago(-3600)), &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::ForgedTimeToken)
        );
    }
}
