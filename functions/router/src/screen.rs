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
use crate::token;

/// How far a time token may lie in the future (clock skew between instances).
const MAX_FUTURE_SKEW_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Looks like a person; `stale_page` when the page came from an older build.
    Pass { stale_page: bool },
    /// Not from our page: answer 403 and keep what was typed.
    Refused,
    /// A bot: answer as if accepted, send nothing.
    ScreenedOut(BotSign),
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

/// Screens one submission (captcha is checked separately: it needs the network).
pub fn screen(
    raw: &RawFields,
    manifest: &RoutingManifest,
    secret: &[u8],
    now: DateTime<Utc>,
) -> Verdict {
    let Some(form) = raw
        .get(fields::FORM_TOKEN)
        .and_then(|t| token::verify_form_token(secret, t))
    else {
        return Verdict::Refused;
    };
    match raw.get(&manifest.form.honeypot_field) {
        None => return Verdict::ScreenedOut(BotSign::HoneypotMissing),
        Some(v) if !v.is_empty() => return Verdict::ScreenedOut(BotSign::HoneypotFilled),
        Some(_) => {}
    }
    if let Some(t) = raw.get(fields::TIME_TOKEN).filter(|t| !t.is_empty()) {
        let Some(shown) = token::verify_time_token(secret, t) else {
            return Verdict::ScreenedOut(BotSign::ForgedTimeToken);
        };
        let elapsed = now.timestamp() - shown;
        if elapsed < -MAX_FUTURE_SKEW_SECONDS {
            return Verdict::ScreenedOut(BotSign::ForgedTimeToken);
        }
        if elapsed < i64::from(manifest.form.min_fill_seconds) {
            return Verdict::ScreenedOut(BotSign::TooFast);
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

    fn base() -> RawFields {
        let mut r = RawFields::default();
        r.insert(fields::FORM_TOKEN, token::sign_form_token(K, "c0ffee1234"));
        r.insert("website", "");
        r
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
    }

    #[test]
    fn passes_a_person() {
        assert_eq!(
            screen(&base(), &manifest(), K, now()),
            Verdict::Pass { stale_page: false }
        );
    }

    #[test]
    fn refuses_without_a_valid_form_token() {
        let mut r = base();
        r.insert(fields::FORM_TOKEN, "f1.c0ffee1234.AAAA");
        assert_eq!(screen(&r, &manifest(), K, now()), Verdict::Refused);
        let mut r = RawFields::default();
        r.insert("website", "");
        assert_eq!(screen(&r, &manifest(), K, now()), Verdict::Refused);
    }

    #[test]
    fn stale_page_is_accepted_and_flagged() {
        let mut r = base();
        r.insert(fields::FORM_TOKEN, token::sign_form_token(K, "oldhash"));
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Pass { stale_page: true }
        );
    }

    #[test]
    fn honeypot_missing_or_filled_is_a_bot() {
        let mut r = RawFields::default();
        r.insert(fields::FORM_TOKEN, token::sign_form_token(K, "c0ffee1234"));
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
    fn minimum_fill_time_only_when_proven() {
        let mut r = base();
        r.insert(
            fields::TIME_TOKEN,
            token::sign_time_token(K, now().timestamp() - 1),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::TooFast)
        );
        r.insert(
            fields::TIME_TOKEN,
            token::sign_time_token(K, now().timestamp() - 3),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::Pass { stale_page: false }
        );
        r.insert(
            fields::TIME_TOKEN,
            token::sign_time_token(b"forger", now().timestamp() - 30),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::ForgedTimeToken)
        );
        r.insert(
            fields::TIME_TOKEN,
            token::sign_time_token(K, now().timestamp() + 3600),
        );
        assert_eq!(
            screen(&r, &manifest(), K, now()),
            Verdict::ScreenedOut(BotSign::ForgedTimeToken)
        );
    }
}
