//! Signed tokens that prove a submission came from the built page.
//!
//! The form token is rendered into the static form at build time: an HMAC of
//! the content hash under the site's secret. A script that never loaded the
//! page has no token and is refused. It proves origin, not freshness, so the
//! page's script can also fetch a time token (`GET` on the endpoint) when the
//! page is shown; with it, the router enforces the minimum fill time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const FORM_PREFIX: &str = "f1";
const TIME_PREFIX: &str = "t1";

/// Signs a form token for the site built from `content_hash`. The builder
/// calls this at build time with the secret from `SWITCHBOARD_FORM_SECRET`
/// and renders the result into the hidden [`crate::fields::FORM_TOKEN`] field.
pub fn sign_form_token(secret: &[u8], content_hash: &str) -> String {
    let hash = sanitize(content_hash);
    format!(
        "{FORM_PREFIX}.{hash}.{}",
        mac(secret, &format!("form:{hash}"))
    )
}

/// What a valid form token says about the page that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormTokenInfo {
    /// The content hash the page was built from; differs from the manifest's
    /// when the visitor holds a page from an older build (still accepted:
    /// the signature proves it was ours, and validation checks the topic).
    pub content_hash: String,
}

/// Checks a form token's signature; `None` if it is missing, malformed or forged.
pub fn verify_form_token(secret: &[u8], token: &str) -> Option<FormTokenInfo> {
    let mut parts = token.trim().splitn(3, '.');
    let (prefix, hash, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != FORM_PREFIX || hash != sanitize(hash) {
        return None;
    }
    verify_mac(secret, &format!("form:{hash}"), sig).then(|| FormTokenInfo {
        content_hash: hash.to_string(),
    })
}

/// Signs the moment the page was shown (seconds since the Unix epoch).
pub fn sign_time_token(secret: &[u8], unix_seconds: i64) -> String {
    format!(
        "{TIME_PREFIX}.{unix_seconds}.{}",
        mac(secret, &format!("time:{unix_seconds}"))
    )
}

/// The signed time of a time token; `None` if malformed or forged.
pub fn verify_time_token(secret: &[u8], token: &str) -> Option<i64> {
    let mut parts = token.trim().splitn(3, '.');
    let (prefix, secs, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != TIME_PREFIX {
        return None;
    }
    let t: i64 = secs.parse().ok()?;
    verify_mac(secret, &format!("time:{t}"), sig).then_some(t)
}

/// Content hashes are hex or similar; keep the token to one safe alphabet so
/// it can never break the HTML attribute or the `.`-separated format.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(128)
        .collect()
}

fn new_mac(secret: &[u8], msg: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(msg.as_bytes());
    m
}

fn mac(secret: &[u8], msg: &str) -> String {
    URL_SAFE_NO_PAD.encode(new_mac(secret, msg).finalize().into_bytes())
}

/// Constant-time comparison through `verify_slice`.
fn verify_mac(secret: &[u8], msg: &str, sig: &str) -> bool {
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    new_mac(secret, msg).verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_token_round_trip_and_forgery() {
        let t = sign_form_token(b"secret", "abc123");
        assert!(t.starts_with("f1.abc123."));
        assert_eq!(
            verify_form_token(b"secret", &t).unwrap().content_hash,
            "abc123"
        );
        assert_eq!(verify_form_token(b"other", &t), None);
        assert_eq!(
            verify_form_token(b"secret", &t.replace("abc123", "abc124")),
            None
        );
        assert_eq!(verify_form_token(b"secret", ""), None);
        assert_eq!(verify_form_token(b"secret", "f1.abc123.!!"), None);
    }

    #[test]
    fn time_token_round_trip_and_forgery() {
        let t = sign_time_token(b"k", 1_700_000_000);
        assert_eq!(verify_time_token(b"k", &t), Some(1_700_000_000));
        assert_eq!(
            verify_time_token(b"k", &t.replace("1700000000", "1600000000")),
            None
        );
        assert_eq!(verify_time_token(b"k", &sign_form_token(b"k", "x")), None);
    }

    #[test]
    fn hostile_hash_is_sanitised() {
        let t = sign_form_token(b"k", "a\"b<c>.d");
        assert!(t.starts_with("f1.abcd."));
        assert!(verify_form_token(b"k", &t).is_some());
    }
}
