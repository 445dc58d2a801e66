//! Signed tokens that prove a submission came from one of our pages, and when.
//!
//! - The **form token** (`f2.HASH.ISSUED.MAC`) is rendered into the static
//!   form at build time: the content hash the page was built from and the
//!   build's time, under the site's secret. A script that never loaded a page
//!   of ours has none and is refused; a token older than the manifest's
//!   `token_max_age_days` is refused too, so a scraped token does not work forever.
//! - The **time token** (`t2.KIND.SHOWN.MAC`) says when the form was shown.
//!   It is required. Its kind tells how that moment is known: `v` (viewed)
//!   tokens are minted when the form is shown (`GET` on the endpoint by the
//!   page's script, or the router's own error page), so the minimum fill time
//!   applies and they expire after `view_token_max_age_hours`; the `b`
//!   (built) token in the static page serves visitors without JavaScript,
//!   knows only the build time and lives as long as the form token.
//!
//! A token proves origin and time, not identity: anyone can load the page.
//! Volume is what the rate limits ([`crate::limit`]) are for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const FORM_PREFIX: &str = "f2";
const TIME_PREFIX: &str = "t2";

/// Why a token was not accepted. `OtherSecret` is the one an operator must
/// hear about: a well-formed token whose signature does not match is what a
/// site built with another `SWITCHBOARD_FORM_SECRET` sends on every POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("missing")]
    Missing,
    #[error("malformed or from an older version")]
    Malformed,
    #[error("signed by another secret")]
    OtherSecret,
    #[error("expired")]
    Expired,
    #[error("issued in the future")]
    FromTheFuture,
}

impl TokenError {
    /// The word used in log lines.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenError::Missing => "missing",
            TokenError::Malformed => "malformed",
            TokenError::OtherSecret => "other-secret",
            TokenError::Expired => "expired",
            TokenError::FromTheFuture => "from-the-future",
        }
    }
}

/// Signs a form token for the site built from `content_hash` at `issued`
/// (seconds since the Unix epoch). The builder renders the result into the
/// hidden [`crate::fields::FORM_TOKEN`] field.
pub fn sign_form_token(secret: &[u8], content_hash: &str, issued: i64) -> String {
    let hash = sanitize(content_hash);
    format!(
        "{FORM_PREFIX}.{hash}.{issued}.{}",
        mac(secret, &format!("form:{hash}:{issued}"))
    )
}

/// What a valid form token says about the page that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken {
    /// The content hash the page was built from; differs from the manifest's
    /// when the visitor holds a page from an older build (still accepted:
    /// the signature proves it was ours, and validation checks the topic).
    pub content_hash: String,
    /// When the page was built.
    pub issued: i64,
}

/// Checks a form token's format and signature (not its age: see [`check_age`]).
pub fn verify_form_token(secret: &[u8], token: &str) -> Result<FormToken, TokenError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    let mut parts = token.splitn(4, '.');
    let (Some(FORM_PREFIX), Some(hash), Some(issued), Some(sig)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let issued: i64 = issued.parse().map_err(|_| TokenError::Malformed)?;
    if hash != sanitize(hash) {
        return Err(TokenError::Malformed);
    }
    verify_mac(secret, &format!("form:{hash}:{issued}"), sig)?;
    Ok(FormToken {
        content_hash: hash.to_string(),
        issued,
    })
}

/// How the moment in a time token is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Signed into the static page at build time (visitors without JavaScript).
    AtBuild,
    /// Minted when the form was shown to this visitor.
    AtView,
}

impl Shown {
    fn code(self) -> &'static str {
        match self {
            Shown::AtBuild => "b",
            Shown::AtView => "v",
        }
    }
}

/// Signs the moment the form was shown (seconds since the Unix epoch).
pub fn sign_time_token(secret: &[u8], shown: Shown, unix_seconds: i64) -> String {
    let kind = shown.code();
    format!(
        "{TIME_PREFIX}.{kind}.{unix_seconds}.{}",
        mac(secret, &format!("time:{kind}:{unix_seconds}"))
    )
}

/// The kind and signed time of a time token.
pub fn verify_time_token(secret: &[u8], token: &str) -> Result<(Shown, i64), TokenError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    let mut parts = token.splitn(4, '.');
    let (Some(TIME_PREFIX), Some(kind), Some(secs), Some(sig)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let shown = match kind {
        "b" => Shown::AtBuild,
        "v" => Shown::AtView,
        _ => return Err(TokenError::Malformed),
    };
    let t: i64 = secs.parse().map_err(|_| TokenError::Malformed)?;
    verify_mac(secret, &format!("time:{kind}:{t}"), sig)?;
    Ok((shown, t))
}

/// How far a token's time may lie in the future (clock skew between the
/// build machine and the router, or between instances).
pub const MAX_FUTURE_SKEW_SECONDS: i64 = 300;

/// `Ok(age in seconds)` when a token issued at `issued` is still valid at `now`.
pub fn check_age(issued: i64, now: i64, max_age_seconds: i64) -> Result<i64, TokenError> {
    let age = now.saturating_sub(issued);
    if age < -MAX_FUTURE_SKEW_SECONDS {
        return Err(TokenError::FromTheFuture);
    }
    if age > max_age_seconds {
        return Err(TokenError::Expired);
    }
    Ok(age)
}

/// Content hashes are hex or similar; keep the token to one safe alphabet so
/// it can never break the HTML attribute or the `.`-separated format.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(128)
        .collect()
}

/// HMAC-SHA256 of `msg` under `key`, ready to finalize or verify: the
/// crate's one HMAC helper (tokens here, request signing for SES).
pub(crate) fn new_mac(key: &[u8], msg: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(msg);
    m
}

fn mac(secret: &[u8], msg: &str) -> String {
    URL_SAFE_NO_PAD.encode(new_mac(secret, msg.as_bytes()).finalize().into_bytes())
}

/// Constant-time comparison through `verify_slice`.
fn verify_mac(secret: &[u8], msg: &str, sig: &str) -> Result<(), TokenError> {
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| TokenError::Malformed)?;
    new_mac(secret, msg.as_bytes())
        .verify_slice(&sig)
        .map_err(|_| TokenError::OtherSecret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_700_000_000;

    #[test]
    fn form_token_round_trip_and_forgery() {
        let t = sign_form_token(b"secret", "abc123", T);
        assert!(t.starts_with("f2.abc123.1700000000."));
        let info = verify_form_token(b"secret", &t).unwrap();
        assert_eq!((info.content_hash.as_str(), info.issued), ("abc123", T));
        assert_eq!(
            verify_form_token(b"other", &t),
            Err(TokenError::OtherSecret)
        );
        assert_eq!(
            verify_form_token(b"secret", &t.replace("abc123", "abc124")),
            Err(TokenError::OtherSecret)
        );
        assert_eq!(
            verify_form_token(b"secret", &t.replace(".1700000000.", ".1800000000.")),
            Err(TokenError::OtherSecret),
            "the issue time is signed"
        );
        assert_eq!(verify_form_token(b"secret", ""), Err(TokenError::Missing));
        assert_eq!(
            verify_form_token(b"secret", "f2.abc123.1.!!"),
            Err(TokenError::Malformed)
        );
        // A version-1 token (no issue time) is no longer accepted.
        assert_eq!(
            verify_form_token(b"secret", "f1.abc123.AAAA"),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn time_token_round_trip_kinds_and_forgery() {
        let v = sign_time_token(b"k", Shown::AtView, T);
        assert_eq!(verify_time_token(b"k", &v), Ok((Shown::AtView, T)));
        let b = sign_time_token(b"k", Shown::AtBuild, T);
        assert_eq!(verify_time_token(b"k", &b), Ok((Shown::AtBuild, T)));
        assert_eq!(
            verify_time_token(b"k", &b.replacen(".b.", ".v.", 1)),
            Err(TokenError::OtherSecret),
            "a build token cannot pass for a view token"
        );
        assert_eq!(
            verify_time_token(b"k", &v.replace("1700000000", "1600000000")),
            Err(TokenError::OtherSecret)
        );
        assert_eq!(
            verify_time_token(b"k", &sign_form_token(b"k", "x", T)),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn ages() {
        assert_eq!(check_age(T, T + 10, 60), Ok(10));
        assert_eq!(check_age(T, T + 61, 60), Err(TokenError::Expired));
        assert_eq!(check_age(T + 301, T, 60), Err(TokenError::FromTheFuture));
        assert_eq!(check_age(T + 30, T, 60), Ok(-30));
    }

    #[test]
    fn hostile_hash_is_sanitised() {
        let t = sign_form_token(b"k", "a\"b<c>.d", T);
        assert!(t.starts_with("f2.abcd."));
        assert!(verify_form_token(b"k", &t).is_ok());
    }
}
