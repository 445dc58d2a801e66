//! The request handler: one submission's way through parse, screen,
//! validate, route, keep, deliver and answer. Independent of Lambda: it takes
//! and returns `http` types, so `switchboard serve` mounts it as is.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use lettre::message::Mailbox;

use crate::answer::{self, FormPage};
use crate::captcha::CaptchaVerifier;
use crate::clock::Clock;
use crate::config::{ConfigError, RouterConfig};
use crate::deliver::Mailer;
use crate::fields;
use crate::keep::{KeepError, Outcome};
use crate::manifest::{ManifestError, RoutingManifest};
use crate::outbox::{self, Attempt, Outbox};
use crate::parse::{self, ParseError};
use crate::route;
use crate::screen::{self, Verdict};
use crate::token;
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
            manifest: Arc::new(manifest),
            config,
            sender,
            mailer,
            clock,
            outbox,
            captcha: None,
            inflight: Mutex::new(HashSet::new()),
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
        let t = token::sign_time_token(&self.config.form_secret, self.clock.now().timestamp());
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
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > self.config.max_body_bytes) {
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
        let page = FormPage {
            manifest: &self.manifest,
            form_token: token::sign_form_token(
                &self.config.form_secret,
                &self.manifest.content_hash,
            ),
            raw: &raw,
        };

        match screen::screen(&raw, &self.manifest, &self.config.form_secret, now) {
            Verdict::Refused => {
                log("event=refused reason=form-token");
                return answer::form_errors(
                    StatusCode::FORBIDDEN,
                    "We could not confirm that this message was sent from our contact page. Please check it and send it again.",
                    &[],
                    &page,
                    json,
                );
            }
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

        let sub = match validate::validate(&raw, &self.manifest) {
            Ok(s) => s,
            Err(errors) => return self.invalid(&errors, &page, json),
        };

        if let Some(c) = &self.manifest.form.captcha {
            let field = match c.provider {
                crate::manifest::CaptchaProvider::Turnstile => fields::TURNSTILE_RESPONSE,
                crate::manifest::CaptchaProvider::Hcaptcha => fields::HCAPTCHA_RESPONSE,
            };
            let response = raw.get(field).unwrap_or("");
            let verdict = match &self.captcha {
                Some(v) if !response.is_empty() => v.verify(c.provider, response).await,
                Some(_) => Ok(false),
                None => Err(crate::captcha::CaptchaError("no verifier".into())),
            };
            match verdict {
                Ok(true) => {}
                Ok(false) => {
                    let e = [FieldError {
                        field: "captcha",
                        message: "Please complete the verification below.".into(),
                    }];
                    return self.invalid(&e, &page, json);
                }
                Err(e) => {
                    log(&format!("event=captcha-unavailable error={e}"));
                    return self.unavailable(&page, json);
                }
            }
        }

        let key = parts
            .headers
            .get(fields::IDEMPOTENCY_HEADER)
            .and_then(|v| v.to_str().ok())
            .or_else(|| raw.get(fields::IDEMPOTENCY_KEY))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| Outbox::key_id(&k.chars().take(MAX_KEY_CHARS).collect::<String>()));

        // A key seen before is answered as the first time: `keep_and_send`
        // looks it up in the same step as it keeps a new record; here only
        // when this submission cannot be routed (its topic gone since).
        let Ok(route) = route::route(&self.manifest, &sub.topic, now) else {
            if let Some(key_id) = &key {
                match self.existing(key_id, now).await {
                    Ok(Some(Outcome::Accepted(r))) => {
                        return answer::accepted(&self.thank_you_url(allowed), &r, json);
                    }
                    Ok(Some(Outcome::Failed)) => return self.unavailable(&page, json),
                    Ok(None) => {}
                    Err(e) => {
                        log(&format!("event=outbox-error error={e:?}"));
                        return self.unavailable(&page, json);
                    }
                }
            }
            let e = [FieldError {
                field: fields::TOPIC,
                message: "Please choose one of the topics in the list.".into(),
            }];
            return self.invalid(&e, &page, json);
        };

        match self.keep_and_send(&sub, &route, key, now).await {
            Ok(Outcome::Accepted(r)) => answer::accepted(&self.thank_you_url(allowed), &r, json),
            Ok(Outcome::Failed) => self.unavailable(&page, json),
            Err(KeepError::BadVisitorAddress) => {
                let e = [FieldError {
                    field: fields::EMAIL,
                    message: "Please enter a valid email address, like name@example.com.".into(),
                }];
                self.invalid(&e, &page, json)
            }
            Err(KeepError::Other(e)) => {
                log(&format!("event=keep-failed error={e}"));
                self.unavailable(&page, json)
            }
        }
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
