//! Helpers shared by the integration tests: a router over the fixture
//! manifest with a pinned clock, and readers for what the mailers produced.
#![allow(dead_code)]

#[cfg(feature = "ses")]
pub mod fake_ses;
#[cfg(feature = "ses")]
pub mod moto;
#[cfg(feature = "server")]
pub mod process;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use switchboard_router::deliver::{BoxFuture, DeliveryError, Envelope, Mailer};
use switchboard_router::{
    FixedClock, MaildirMailer, OutboxMode, Router, RouterConfig, RoutingManifest,
};

pub const SECRET: &[u8] = b"test-form-secret-0123456789";
/// Monday 2026-03-02 10:00 in Berlin (sales open), 04:00 in New York (support closed).
pub const MONDAY_MORNING_BERLIN: &str = "2026-03-02T09:00:00Z";

pub fn manifest() -> RoutingManifest {
    RoutingManifest::from_json(include_str!("../fixtures/manifest.json")).expect("fixture manifest")
}

pub fn config(dir: &Path) -> RouterConfig {
    let mut c = RouterConfig::local(dir, SECRET.to_vec());
    c.sender = "Example Org <forms@example.org>".into();
    c
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub router: Router,
    pub clock: Arc<FixedClock>,
}

impl Harness {
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }
}

/// A router writing `.eml` files into a temp dir, clock pinned at `at`.
pub fn harness_at(at: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::at(at));
    let mailer = Arc::new(MaildirMailer::new(dir.path().join("mail")));
    let router = Router::new(manifest(), config(dir.path()), mailer, clock.clone()).unwrap();
    Harness { dir, router, clock }
}

pub fn harness() -> Harness {
    harness_at(MONDAY_MORNING_BERLIN)
}

/// A router over any mailer, in the given outbox mode.
pub fn harness_with(mailer: Arc<dyn Mailer>, mode: OutboxMode) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::at(MONDAY_MORNING_BERLIN));
    let mut c = config(dir.path());
    c.outbox_mode = mode;
    let router = Router::new(manifest(), c, mailer, clock.clone()).unwrap();
    Harness { dir, router, clock }
}

/// A mailer that fails (temporarily) until told otherwise, then writes to a maildir.
pub struct FlakyMailer {
    pub failures_left: AtomicUsize,
    pub inner: MaildirMailer,
    pub calls: AtomicUsize,
}

impl Mailer for FlakyMailer {
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let fail = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            return Box::pin(async { Err(DeliveryError::Temporary("relay down".into())) });
        }
        self.inner.send(envelope, raw)
    }
    fn kind(&self) -> &'static str {
        "flaky"
    }
}

/// Refuses for good (a permanent error with `reason`) while `refusing` is
/// set: every mail, or only mail to `only`; writes the others to a maildir.
pub struct RefusingMailer {
    pub refusing: AtomicBool,
    pub only: Option<&'static str>,
    pub reason: &'static str,
    pub inner: MaildirMailer,
    pub refusals: AtomicUsize,
}

impl RefusingMailer {
    pub fn new(only: Option<&'static str>, reason: &'static str, maildir: &Path) -> Self {
        Self {
            refusing: AtomicBool::new(true),
            only,
            reason,
            inner: MaildirMailer::new(maildir),
            refusals: AtomicUsize::new(0),
        }
    }
}

impl Mailer for RefusingMailer {
    fn send<'a>(
        &'a self,
        envelope: &'a Envelope,
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        let picked = self
            .only
            .is_none_or(|only| envelope.to.iter().any(|t| t == only));
        if self.refusing.load(Ordering::SeqCst) && picked {
            self.refusals.fetch_add(1, Ordering::SeqCst);
            let reason = self.reason;
            return Box::pin(async move { Err(DeliveryError::Permanent(reason.into())) });
        }
        self.inner.send(envelope, raw)
    }
    fn kind(&self) -> &'static str {
        "refusing"
    }
}

/// A form POST that asks for a JSON answer.
pub fn json_post(body: String) -> http::Request<Bytes> {
    http::Request::post("/api/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Bytes::from(body))
        .unwrap()
}

/// The messages in a Maildir (`new/` and `cur/`) that `keep` picks.
pub fn maildir_messages(maildir: &Path, keep: impl Fn(&[u8]) -> bool) -> Vec<Vec<u8>> {
    let mut out = vec![];
    for sub in ["new", "cur"] {
        let Ok(rd) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for e in rd {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            if keep(&bytes) {
                out.push(bytes);
            }
        }
    }
    out
}

/// One delivered message: its envelope recipients and the raw message.
pub struct Delivered {
    pub envelope_to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Delivered {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a parseable message")
    }
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }
}

/// Reads the `.eml` files a [`MaildirMailer`] wrote, oldest first.
pub fn read_eml_dir(dir: &Path) -> Vec<Delivered> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut paths: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            let mut envelope_to = vec![];
            let mut rest = &bytes[..];
            while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
                let line = std::str::from_utf8(&rest[..line_end]).unwrap();
                if let Some(addr) = line.strip_prefix("X-Envelope-To: <") {
                    envelope_to.push(addr.trim_end_matches('>').to_string());
                } else if !line.starts_with("X-Envelope-From:") {
                    break;
                }
                rest = &rest[line_end + 2..];
            }
            Delivered {
                envelope_to,
                raw: rest.to_vec(),
            }
        })
        .collect()
}

/// Every address a message may go to: the manifest's, plus the visitor's own.
pub fn assert_only_manifest_recipients(mails: &[Delivered], visitor: &str) {
    let m = manifest();
    let allowed: Vec<&str> = m.routable_addresses();
    for mail in mails {
        for to in &mail.envelope_to {
            assert!(
                allowed.contains(&to.as_str()) || to == visitor,
                "mail to {to} is outside the manifest"
            );
        }
    }
}

/// When the fixture's page was built: 2026-03-01, before every pinned clock here.
pub const TOKENS_ISSUED: i64 = 1_772_323_200;

pub fn form_token() -> String {
    switchboard_router::sign_form_token(SECRET, "c0ffee1234", TOKENS_ISSUED)
}

/// The time token a page without JavaScript carries (signed at build time).
pub fn build_time_token() -> String {
    switchboard_router::sign_time_token(SECRET, switchboard_router::Shown::AtBuild, TOKENS_ISSUED)
}

/// A valid urlencoded submission with extra `pairs` appended (or replacing).
pub fn form_body(overrides: &[(&str, &str)]) -> String {
    let token = form_token();
    let time_token = build_time_token();
    let mut pairs: Vec<(String, String)> = [
        ("name", "Ann Example"),
        ("email", "ann@example.net"),
        ("topic", "sales"),
        ("message", "Hello, I would like a quote."),
        ("website", ""),
        ("sb_form_token", token.as_str()),
        ("sb_time_token", time_token.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in overrides {
        pairs.retain(|(pk, _)| pk != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", enc(&k), enc(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn post_form(body: impl Into<Bytes>) -> http::Request<Bytes> {
    http::Request::post("/api/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://contact.example.org")
        .body(body.into())
        .unwrap()
}

pub fn body_text(r: &http::Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}
