//! The request handler: [`Router`] answers each request (`POST` a
//! submission, `GET` a time token, `OPTIONS` a CORS preflight). A
//! submission's steps are in `submit.rs`; the answers for one that is
//! stopped (refused, limited, invalid, unavailable) in `refusals.rs`.
//! Independent of Lambda: it takes and returns `http` types, so
//! `switchboard serve` mounts it as is.

mod refusals;
mod submit;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};

use crate::answer;
use crate::captcha::CaptchaVerifier;
use crate::clock::Clock;
use crate::config::StoreConfig;
use crate::config::{ConfigError, MailConfig, RouterConfig};
use crate::deliver::Mailer;
use crate::fields;
use crate::limit::Limiter;
use crate::manifest::{ManifestError, RoutingManifest};
use crate::outbox::Outbox;
use crate::store::local::LocalStore;
use crate::store::{Letterhead, Store};
use crate::token::{self, Shown};

pub use crate::store::RetryReport;

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

/// The contact-form function: one per process, shared by all requests.
pub struct Router {
    manifest: Arc<RoutingManifest>,
    config: RouterConfig,
    clock: Arc<dyn Clock>,
    captcha: Option<Arc<dyn CaptchaVerifier>>,
    /// Per client, per acknowledgement address and overall (this process).
    limiter: Arc<Limiter>,
    /// Keeps what passed, and sees it delivered.
    store: Box<dyn Store>,
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
        let sender = config.sender_mailbox().map_err(RouterError::Config)?;
        let limiter = Arc::new(Limiter::new(manifest.form.limits));
        let letterhead = Letterhead {
            site_title: manifest.site.title.clone(),
            sender,
            acknowledge: config.acknowledge,
        };
        let manifest = Arc::new(manifest);
        let store: Box<dyn Store> = match &config.store {
            StoreConfig::Local => Box::new(LocalStore {
                outbox: Outbox::open(&config.outbox_dir)
                    .map_err(|source| RouterError::Outbox {
                        path: config.outbox_dir.display().to_string(),
                        source,
                    })?
                    .with_retry_base(config.retry_base),
                mailer,
                limiter: Arc::clone(&limiter),
                letterhead,
                mode: config.outbox_mode,
                inflight: Mutex::new(HashSet::new()),
                manifest: Arc::clone(&manifest),
                retention: chrono::Duration::days(i64::from(manifest.form.retention_days)),
                mail_dir: match &config.mail {
                    MailConfig::Maildir(dir) => Some(dir.clone()),
                    _ => None,
                },
                last_purge: Mutex::new(None),
            }),
            #[cfg(feature = "ses")]
            StoreConfig::Dynamo(c) => Box::new(crate::store::dynamo::DynamoStore::new(
                (**c).clone(),
                manifest.form.retention_days,
                letterhead,
                Arc::clone(&limiter),
            )),
        };
        Ok(Self {
            config,
            clock,
            captcha: None,
            limiter,
            store,
            manifest,
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

    /// The manifest, shared (the delivery worker routes alerts with it).
    pub fn shared_manifest(&self) -> Arc<RoutingManifest> {
        Arc::clone(&self.manifest)
    }

    /// The local outbox, when messages are kept on this machine.
    pub fn outbox(&self) -> Option<&Outbox> {
        self.store.outbox()
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
        // A browser names the origin on a POST, not on the GET that
        // follows a redirect: then the host tells which of our sites it is.
        let site_origin = allowed.or_else(|| self.origin_of_host(req.headers()));
        let mut resp = match *req.method() {
            Method::OPTIONS => self.preflight(&req, allowed.is_some()),
            Method::GET | Method::HEAD => match sent_reference(req.uri()) {
                Some(reference) => {
                    let lang = self
                        .manifest
                        .language_for(query_value(req.uri(), answer::SENT_LANGUAGE_QUERY));
                    answer::sent(&self.site(site_origin, lang), reference)
                }
                None => self.time_token(),
            },
            Method::POST => {
                let foreign = origin.is_some() && allowed.is_none();
                self.submit(req, foreign, site_origin).await
            }
            _ => {
                let site = self.site(site_origin, self.manifest.default_language());
                let mut r = answer::problem(
                    &site,
                    StatusCode::METHOD_NOT_ALLOWED,
                    site.texts.get("problem.method"),
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
        self.store.retry_due(self.clock.now()).await
    }

    /// The allowed origin whose host is the request's `Host`, if any.
    fn origin_of_host(&self, headers: &http::HeaderMap) -> Option<&str> {
        let host = headers.get(header::HOST)?.to_str().ok()?;
        self.manifest
            .site
            .allowed_origins
            .iter()
            .map(|o| o.as_str())
            .find(|o| {
                o.split_once("://")
                    .is_some_and(|(_, h)| h.eq_ignore_ascii_case(host))
            })
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

    /// The site the answer's links lead back to: the visitor's, when it is
    /// one of ours (so `serve` on localhost and the published site both work),
    /// with its pages and texts in site language `lang`.
    fn site<'a>(&'a self, allowed_origin: Option<&'a str>, lang: &'a str) -> answer::Site<'a> {
        let origin = allowed_origin.unwrap_or(&self.manifest.site.base_url);
        answer::Site {
            pages: self.manifest.pages_in(lang),
            texts: self.manifest.texts(lang),
            origin: origin.trim_end_matches('/'),
        }
    }
}

/// The reference in a thank-you page's address (`?ref=K7QM-3XPD`), if it
/// looks like one: nothing else from the address bar reaches the page.
fn sent_reference(uri: &http::Uri) -> Option<&str> {
    query_value(uri, answer::SENT_QUERY).filter(|value| Outbox::is_reference(value))
}

/// The value of query parameter `name` in `uri`, as written.
fn query_value<'u>(uri: &'u http::Uri, name: &str) -> Option<&'u str> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}
