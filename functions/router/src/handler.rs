//! The request handler: one submission's way through parse, screen,
//! validate, route, keep, deliver and answer. Independent of Lambda: it takes
//! and returns `http` types, so `switchboard serve` mounts it as is.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use lettre::message::Mailbox;

use crate::answer::{self, FormPage, PageTokens};
use crate::captcha::CaptchaVerifier;
use crate::clock::Clock;
use crate::config::{ConfigError, RouterConfig};
use crate::deliver::Mailer;
use crate::fields;
use crate::keep::{KeepError, Outcome, SubmissionKey};
use crate::limit::{ClientAddr, Limited, Limiter, Scope};
use crate::manifest::{ManifestError, RoutingManifest};
use crate::outbox::{self, Attempt, Outbox};
use crate::parse::{self, ParseError, RawFields};
use crate::route;
use crate::screen::{self, Refusal, Verdict};
use crate::token::{self, Shown, TokenError};
use crate::validate::{self, FieldError};

/// Longest idempotency key kept (a UUID is 36 characters).
const MAX_KEY_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the outbox {path}: {source}")]
    Outbox {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the manifest asks for a captcha but no verifier is configured (set SWITCHBOARD_CAPTCHA_SECRET)"
    )]
    CaptchaUnconfigured,
}

/// Counts from one [`Router::retry_pending`] pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetryReport {
    pub attempted: usize,
    pub delivered: usize,
    pub still_pending: usize,
}

pub struct Router {
    pub(crate) manifest: Arc<RoutingManifest>,
    pub(crate) config: RouterConfig,
    pub(crate) sender: Mailbox,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) outbox: Outbox,
    pub(crate) captcha: Option<Arc<dyn CaptchaVerifier>>,
    /// References being delivered by this process right now, so a retry pass
    /// and a request never send the same record at once.
    pub(crate) inflight: Mutex<HashSet<String>>,
    /// Per client, per acknowledgement address and overall (this process).
    pub(crate) limiter: Arc<Limiter>,
}

impl Router {
    /// A router over a checked manifest. The outbox directory is created if
    /// needed. If the manifest names a captcha, call [`Router::with_captcha`]
    /// (or use [`Router::from_config`], which does when the secret is set).
    pub fn new(
        manifest: RoutingManifest,
        config: RouterConfig,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RouterError> {
        manifest.check()?;
        Self::over_checked(manifest, config, mailer, clock)
    }

    /// [`Router::new`] for a manifest that has just passed its check.
    fn over_checked(
        manifest: RoutingManifest,
        config: RouterConfig,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RouterError> {
        let sender: Mailbox = config.sender.parse().map_err(|_| {
            RouterError::Config(ConfigError::Invalid {
                name: "SWITCHBOARD_SENDER",
                why: "expected `Name <address@domain>`".into(),
            })
        })?;
        let outbox = Outbox::open(&config.outbox_dir).map_err(|source| RouterError::Outbox {
            path: config.outbox_dir.display().to_string(),
            source,
        })?;
        Ok(Self {
            config,
            sender,
            mailer,
            clock,
            outbox,
            captcha: None,
            inflight: Mutex::new(HashSet::new()),
            limiter: Arc::new(Limiter::new(manifest.form.limits)),
            manifest: Arc::new(manifest),
        })
    }

    /// Loads the manifest from `config.manifest_path`, builds the configured
    /// mailer and captcha verifier, and uses the system clock.
    pub fn from_config(config: RouterConfig) -> Result<Self, RouterError> {
        // `load` checks it: no second check at start-up.
        let manifest = RoutingManifest::load(&config.manifest_path)?;
        let mailer = config.build_mailer()?;
        #[cfg(feature = "captcha")]
        let captcha = config.captcha_secret.clone().map(|s| {
            Arc::new(crate::captcha::HttpCaptchaVerifier::new(s)) as Arc<dyn CaptchaVerifier>
        });
        #[cfg(not(feature = "captcha"))]
        let captcha: Option<Arc<dyn CaptchaVerifier>> = None;
        let needs_captcha = manifest.form.captcha.is_some();
        let mut router = Self::over_checked(
            manifest,
            config,
            mailer,
            Arc::new(crate::clock::SystemClock),
        )?;
        router.captcha = captcha;
        if needs_captcha && router.captcha.is_none() {
            return Err(RouterError::CaptchaUnconfigured);
        }
        Ok(router)
    }

    pub fn with_captcha(mut self, verifier: Arc<dyn CaptchaVerifier>) -> Self {
        self.captcha = Some(verifier);
        self
    }

    pub fn manifest(&self) -> &RoutingManifest {
        &self.manifest
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The largest body this router accepts; hosts stop reading one byte past it.
    pub fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes
    }

    /// Answers one request: `POST` a submission, `GET` a fresh time token,
    /// `OPTIONS` a CORS preflight. CORS headers go on every answer.
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let allowed = origin.as_deref().filter(|o| self.origin_allowed(o));
        let mut resp = match *req.method() {
            Method::OPTIONS => self.preflight(&req, allowed.is_some()),
            Method::GET | Method::HEAD => self.time_token(),
            Method::POST => self.submit(req, origin.as_deref(), allowed).await,
            _ => {
                let mut r = answer::problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "This address only accepts the contact form.",
                    false,
                );
                r.headers_mut().insert(
                    header::ALLOW,
                    HeaderValue::from_static("GET, POST, OPTIONS"),
                );
                r
            }
        };
        let h = resp.headers_mut();
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        if let Some(v) = allowed.and_then(|o| HeaderValue::from_str(o).ok()) {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        resp
    }

    /// Retries due deliveries in the outbox; call it periodically (serve) or
    /// after each invocation (Lambda, where it only finds acknowledgements).
    pub async fn retry_pending(&self) -> RetryReport {
        let now = self.clock.now();
        let mut report = RetryReport::default();
        let outbox = self.outbox.clone();
        let due = match crate::durable::blocking(move || outbox.due(now))
            .await
            .and_then(|d| d)
        {
            Ok(d) => d,
            Err(e) => {
                log(&format!("event=retry-scan-failed error={e:?}"));
                return report;
            }
        };
        for record in due {
            let Some(_guard) = self.claim(&record.reference) else {
                continue;
            };
            report.attempted += 1;
            let reference = record.reference.clone();
            match outbox::attempt(&self.outbox, self.mailer.as_ref(), record, now).await {
                Ok(Attempt::Delivered) => report.delivered += 1,
                Ok(a) => {
                    report.still_pending += 1;
                    log(&format!("event=retry-failed ref={reference} outcome={a:?}"));
                }
                Err(e) => {
                    report.still_pending += 1;
                    log(&format!("event=outbox-error ref={reference} error={e:?}"));
                }
            }
        }
        report
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.manifest
            .site
            .allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    }

    fn preflight(&self, req: &Request<Bytes>, allowed: bool) -> Response<Bytes> {
        let method_ok = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .is_none_or(|m| m == "POST" || m == "GET");
        let mut r = Response::new(Bytes::new());
        if !allowed || !method_ok {
            *r.status_mut() = StatusCode::FORBIDDEN;
            return r;
        }
        *r.status_mut() = StatusCode::NO_CONTENT;
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type, Accept, Idempotency-Key"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        r
    }

    /// A token proving when the page was shown; the page's script puts it in
    /// the [`fields::TIME_TOKEN`] field.
    fn time_token(&self) -> Response<Bytes> {
        let t = token::sign_time_token(
            &self.config.form_secret,
            Shown::AtView,
            self.clock.now().timestamp(),
        );
        answer::json_response(
            StatusCode::OK,
            serde_json::json!({ "field": fields::TIME_TOKEN, "token": t }),
        )
    }

    fn thank_you_url(&self, allowed_origin: Option<&str>) -> String {
        // Send the visitor back to the site they came from (one of ours):
        // this makes `serve` on localhost and the published site both work.
        let base = allowed_origin.unwrap_or(&self.manifest.site.base_url);
        format!(
            "{}{}",
            base.trim_end_matches('/'),
            self.manifest.site.thank_you_path
        )
    }

    /// One submission: parse, screen, validate, limit, verify the captcha,
    /// route, keep and send, answer. Each step answers for itself when it stops one.
    async fn submit(
        &self,
        req: Request<Bytes>,
        origin: Option<&str>,
        allowed: Option<&str>,
    ) -> Response<Bytes> {
        let (parts, body) = req.into_parts();
        let kind = parse::body_kind(&parts.headers);
        let json = answer::wants_json(&parts.headers, kind.as_ref().ok().copied());
        // A browser always names the page's origin on a POST: refuse other
        // sites' pages, so nobody can embed our form as a relay.
        if origin.is_some() && allowed.is_none() {
            return answer::problem(
                StatusCode::FORBIDDEN,
                "This form may only be sent from our own site.",
                json,
            );
        }
        if parse::declares_more_than(&parts.headers, self.config.max_body_bytes) {
            let e = ParseError::TooLarge {
                max: self.config.max_body_bytes,
            };
            return answer::problem(e.status(), &e.to_string(), json);
        }
        let raw = match kind.and_then(|k| parse::parse_body(k, &body, self.config.max_body_bytes)) {
            Ok(r) => r,
            Err(e) => return answer::problem(e.status(), &e.to_string(), json),
        };
        let now = self.clock.now();
        let mut page = FormPage {
            manifest: &self.manifest,
            tokens: None,
            raw: &raw,
            keep_key: true,
        };

        match screen::screen(&raw, &self.manifest, &self.config.form_secret, now) {
            Verdict::Refused(refusal) => return self.refused(refusal, page, json),
            Verdict::ScreenedOut(sign) => {
                // Same answer as a person gets, with a reference that leads nowhere.
                log(&format!("event=screened-out sign={}", sign.as_str()));
                let fake = Outbox::new_reference().unwrap_or_else(|_| "0000-0000".into());
                return answer::accepted(&self.thank_you_url(allowed), &fake, json);
            }
            Verdict::Pass { stale_page } => {
                if stale_page {
                    log("event=stale-page");
                }
            }
        }
        page.tokens = Some(self.page_tokens(&raw));

        let sub = match validate::validate(&raw, &self.manifest) {
            Ok(s) => s,
            Err(errors) => return self.invalid(&errors, &page, json),
        };
        let client = parts.extensions.get::<ClientAddr>().copied();
        let permit = match self.limiter.admit(client, now) {
            Ok(p) => p,
            Err(limited) => return self.limited(limited, &sub, &page, json),
        };
        if let Err(answer) = self.verify_captcha(&raw, &page, json).await {
            self.limiter.refund(permit);
            return answer;
        }
        let key = submission_key(&parts.headers, &raw, &sub);
        let answered = self
            .route_keep_and_send(&sub, &key, &page, allowed, json, now)
            .await;
        if !answered.kept_new {
            // Nothing new was kept: it does not count against the limits.
            self.limiter.refund(permit);
        }
        answered.response
    }

    /// The tokens of a re-rendered form: the visitor's own form token (it
    /// passed) and a time token minted now.
    fn page_tokens(&self, raw: &RawFields) -> PageTokens {
        PageTokens {
            form_token: raw.get(fields::FORM_TOKEN).unwrap_or("").to_string(),
            time_token: token::sign_time_token(
                &self.config.form_secret,
                Shown::AtView,
                self.clock.now().timestamp(),
            ),
        }
    }

    /// A submission whose tokens did not pass. The answer for a form token
    /// hands out no token at all, so a page signed with another secret
    /// fails the same way every time, and the operator's log says why.
    fn refused(&self, refusal: Refusal, mut page: FormPage<'_>, json: bool) -> Response<Bytes> {
        let reason = refusal.as_str();
        match refusal {
            Refusal::FormToken(TokenError::OtherSecret) => log(&format!(
                "event=token-from-another-secret reason={reason} hint=the page was built with another SWITCHBOARD_FORM_SECRET than this router's: rebuild the site with the router's secret, or give the router the build's"
            )),
            _ => log(&format!("event=refused reason={reason}")),
        }
        let summary = match refusal {
            Refusal::ViewExpired => {
                // The form token passed: show the form again, timed from now.
                page.tokens = Some(self.page_tokens(page.raw));
                "This page was open for a long time, so your message was not sent yet. Please check it and send it again."
            }
            Refusal::FormToken(TokenError::Expired) | Refusal::PageTime(TokenError::Expired) => {
                "This copy of our contact page is out of date, so your message was not sent. Please open the contact page again and send it from there."
            }
            _ => {
                "We could not confirm that this message was sent from our contact page, so it was not sent. Please open the contact page again and send it from there."
            }
        };
        answer::form_errors(StatusCode::FORBIDDEN, summary, &[], &page, json)
    }

    /// 429: the form again, with the wait and the department's published
    /// phone or address, so a person in a hurry has another way.
    fn limited(
        &self,
        limited: Limited,
        sub: &validate::Submission,
        page: &FormPage<'_>,
        json: bool,
    ) -> Response<Bytes> {
        log(&format!(
            "event=rate-limited scope={} retry_after={}",
            limited.scope.as_str(),
            limited.retry_after_secs
        ));
        let minutes = limited.retry_after_secs.div_ceil(60);
        let mut summary = match limited.scope {
            Scope::Client => format!(
                "You have sent several messages in a short time. Please wait {minutes} minute{} and send this one again; your text is kept below.",
                if minutes == 1 { "" } else { "s" }
            ),
            Scope::Overall => format!(
                "We are receiving very many messages just now. Please try again in {minutes} minute{}; your text is kept below.",
                if minutes == 1 { "" } else { "s" }
            ),
        };
        let department = self
            .manifest
            .topic(&sub.topic)
            .and_then(|t| self.manifest.department(&t.department));
        if let Some(d) = department {
            match (&d.phone, &d.public_email) {
                (Some(p), Some(e)) => summary.push_str(&format!(
                    " You can also call {} at {p} or write to {e}.",
                    d.name
                )),
                (Some(p), None) => {
                    summary.push_str(&format!(" You can also call {} at {p}.", d.name))
                }
                (None, Some(e)) => summary.push_str(&format!(" You can also write to {e}.")),
                (None, None) => {}
            }
        }
        let mut r = answer::form_errors(StatusCode::TOO_MANY_REQUESTS, &summary, &[], page, json);
        if let Ok(v) = HeaderValue::from_str(&limited.retry_after_secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }

    /// The captcha, when the manifest names one; `Err` holds the answer.
    async fn verify_captcha(
        &self,
        raw: &RawFields,
        page: &FormPage<'_>,
        json: bool,
    ) -> Result<(), Response<Bytes>> {
        let Some(c) = &self.manifest.form.captcha else {
            return Ok(());
        };
        let response = raw.get(c.provider.response_field()).unwrap_or("");
        let verdict = match &self.captcha {
            Some(v) if !response.is_empty() => v.verify(c.provider, response).await,
            Some(_) => Ok(false),
            None => Err(crate::captcha::CaptchaError("no verifier".into())),
        };
        match verdict {
            Ok(true) => Ok(()),
            Ok(false) => {
                let e = [FieldError {
                    field: "captcha",
                    message: "Please complete the verification below.".into(),
                }];
                Err(self.invalid(&e, page, json))
            }
            Err(e) => {
                log(&format!("event=captcha-unavailable error={e}"));
                Err(self.unavailable(page, json))
            }
        }
    }

    /// Routes, keeps and sends; the answer, and whether a new message was kept.
    async fn route_keep_and_send(
        &self,
        sub: &validate::Submission,
        key: &SubmissionKey,
        page: &FormPage<'_>,
        allowed: Option<&str>,
        json: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Answered {
        let outcome = match route::route(&self.manifest, &sub.topic, now) {
            Ok(route) => self.keep_and_send(sub, &route, key, now).await,
            // A key seen before is answered as the first time, even when its
            // topic is gone since; otherwise the topic is the problem.
            Err(_) => match self.existing(key, now).await {
                Ok(Some(o)) => Ok(o),
                Ok(None) => {
                    let e = [FieldError {
                        field: fields::TOPIC,
                        message: "Please choose one of the topics in the list.".into(),
                    }];
                    return Answered {
                        response: self.invalid(&e, page, json),
                        kept_new: false,
                    };
                }
                Err(e) => Err(KeepError::Other(e.to_string())),
            },
        };
        let kept_new = matches!(outcome, Ok(Outcome::Accepted(_)));
        let response = match outcome {
            Ok(Outcome::Accepted(r) | Outcome::Replayed(r)) => {
                answer::accepted(&self.thank_you_url(allowed), &r, json)
            }
            Ok(Outcome::Failed) => self.unavailable(page, json),
            Ok(Outcome::Conflict) => {
                let page = FormPage {
                    manifest: page.manifest,
                    tokens: page.tokens.clone(),
                    raw: page.raw,
                    keep_key: false,
                };
                answer::form_errors(
                    StatusCode::CONFLICT,
                    "This form already sent a different message, which we received. To send this one as a new message, please send it again.",
                    &[],
                    &page,
                    json,
                )
            }
            Err(KeepError::BadVisitorAddress) => {
                let e = [FieldError {
                    field: fields::EMAIL,
                    message: "Please enter a valid email address, like name@example.com.".into(),
                }];
                self.invalid(&e, page, json)
            }
            Err(KeepError::Other(e)) => {
                log(&format!("event=keep-failed error={e}"));
                self.unavailable(page, json)
            }
        };
        Answered { response, kept_new }
    }

    fn invalid(&self, errors: &[FieldError], page: &FormPage<'_>, json: bool) -> Response<Bytes> {
        let summary = if errors.len() == 1 {
            "There is a problem with your message:"
        } else {
            "There are problems with your message:"
        };
        answer::form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            summary,
            errors,
            page,
            json,
        )
    }

    fn unavailable(&self, page: &FormPage<'_>, json: bool) -> Response<Bytes> {
        let mut r = answer::form_errors(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sorry, your message could not be sent just now, and nothing was sent. Please try again in a few minutes; your text is kept below.",
            &[],
            page,
            json,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        r
    }
}

/// What [`Router::route_keep_and_send`] answered, and whether it kept a new
/// message (which is what counts against the rate limits).
struct Answered {
    response: Response<Bytes>,
    kept_new: bool,
}

/// The submission's idempotency key: the client's (`Idempotency-Key`
/// header or the form's hidden field, filled by the page's script), or,
/// without one, the message's own digest, so a double submit without
/// JavaScript is recognised by its content.
fn submission_key(
    headers: &http::HeaderMap,
    raw: &RawFields,
    sub: &validate::Submission,
) -> SubmissionKey {
    let body_digest = sub.digest();
    let client_key = headers
        .get(fields::IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .or_else(|| raw.get(fields::IDEMPOTENCY_KEY))
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let id = match client_key {
        Some(k) => Outbox::key_id(&k.chars().take(MAX_KEY_CHARS).collect::<String>()),
        None => Outbox::content_key_id(&body_digest),
    };
    SubmissionKey { id, body_digest }
}

/// One line per event on stderr (CloudWatch on Lambda). Only references,
/// ids and outcomes: never a visitor's name, address or message, never a secret.
pub(crate) fn log(line: &str) {
    use std::io::Write;
    // One write per line (stderr is unbuffered, and `eprintln!` writes each
    // piece on its own); a line that cannot be written is dropped.
    let mut text = String::with_capacity(line.len() + 21);
    text.push_str("switchboard-router: ");
    text.push_str(line);
    text.push('\n');
    let _ = std::io::stderr().write_all(text.as_bytes());
}
