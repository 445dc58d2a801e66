//! One submission's way through the function, as named steps: parse,
//! screen, validate, limit, verify the captcha, route, keep and send,
//! answer. Each step answers for itself when it stops the submission.

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use super::Router;
use crate::answer::{self, FormPage, PageTokens};
use crate::fields;
use crate::limit::ClientAddr;
use crate::log;
use crate::outbox::Outbox;
use crate::parse::{self, ParseError, RawFields};
use crate::route;
use crate::screen::{self, Verdict};
use crate::store::{KeepError, NewMessage, Outcome, SubmissionKey};
use crate::token::{self, Shown};
use crate::validate::{self, FieldError};

/// Longest idempotency key kept (a UUID is 36 characters).
const MAX_KEY_CHARS: usize = 200;

impl Router {
    /// One submission: parse, screen, validate, limit, verify the captcha,
    /// route, keep and send, answer. Each step answers for itself when it stops one.
    pub(super) async fn submit(
        &self,
        req: Request<Bytes>,
        foreign_origin: bool,
        site_origin: Option<&str>,
    ) -> Response<Bytes> {
        let (parts, body) = req.into_parts();
        let kind = parse::body_kind(&parts.headers);
        let json = answer::wants_json(&parts.headers, kind.as_ref().ok().copied());
        // Until the body is read, the answer is in the default language.
        let default = self.manifest.default_language();
        // A browser always names the page's origin on a POST: refuse other
        // sites' pages, so nobody can embed our form as a relay.
        if foreign_origin {
            let site = self.site(None, default);
            let message = site.texts.get("problem.foreign_origin");
            return answer::problem(&site, StatusCode::FORBIDDEN, message, json);
        }
        if parse::declares_more_than(&parts.headers, self.config.max_body_bytes) {
            let e = ParseError::TooLarge {
                max: self.config.max_body_bytes,
            };
            let site = self.site(site_origin, default);
            return answer::problem(&site, e.status(), &e.message_in(&site.texts), json);
        }
        let raw = match kind.and_then(|k| parse::parse_body(k, &body, self.config.max_body_bytes)) {
            Ok(r) => r,
            Err(e) => {
                let site = self.site(site_origin, default);
                return answer::problem(&site, e.status(), &e.message_in(&site.texts), json);
            }
        };
        let now = self.clock.now();
        // The language the page posted, when it is one of the site's: every
        // answer from here on is in it.
        let lang = self.manifest.language_for(raw.get(fields::LANGUAGE));
        let mut page = FormPage {
            site: self.site(site_origin, lang),
            tokens: None,
            raw: &raw,
            keep_key: true,
        };

        match screen::screen(&raw, &self.manifest, &self.config.form_secret, now) {
            Verdict::Refused(refusal) => return self.refused(refusal, page, json),
            Verdict::ScreenedOut(sign) => {
                // Same answer as a person gets, with a reference that leads nowhere.
                log::event(&format!("event=screened-out sign={}", sign.as_str()));
                let fake = Outbox::new_reference().unwrap_or_else(|_| "0000-0000".into());
                return answer::accepted(&fake, &page.site.texts, json);
            }
            Verdict::Pass { stale_page } => {
                if stale_page {
                    log::event("event=stale-page");
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
            .route_keep_and_send(&sub, &key, &page, site_origin, json, now)
            .await;
        if !answered.kept_new {
            // Nothing new was kept: it does not count against the limits.
            self.limiter.refund(permit);
        }
        answered.response
    }

    /// The tokens of a re-rendered form: the visitor's own form token (it
    /// passed) and a time token minted now.
    pub(super) fn page_tokens(&self, raw: &RawFields) -> PageTokens {
        PageTokens {
            form_token: raw.get(fields::FORM_TOKEN).unwrap_or("").to_string(),
            time_token: token::sign_time_token(
                &self.config.form_secret,
                Shown::AtView,
                self.clock.now().timestamp(),
            ),
        }
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
                    message: page.site.texts.get("error.captcha").into(),
                }];
                Err(self.invalid(&e, page, json))
            }
            Err(e) => {
                log::event(&format!("event=captcha-unavailable error={e}"));
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
        site_origin: Option<&str>,
        json: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Answered {
        let texts = &page.site.texts;
        let staff = &self.manifest.texts(self.manifest.default_language());
        let outcome = match route::route_in(&self.manifest, &sub.topic, &sub.language, now) {
            Ok(route) => {
                let message = NewMessage {
                    sub,
                    route: &route,
                    key,
                    now,
                    texts,
                    staff,
                };
                self.store.keep(message).await
            }
            // A key seen before is answered as the first time, even when its
            // topic is gone since; otherwise the topic is the problem.
            Err(_) => match self.store.existing(key, now).await {
                Ok(Some(o)) => Ok(o),
                Ok(None) => {
                    let e = [FieldError {
                        field: fields::TOPIC,
                        message: texts.get("error.topic.unknown").into(),
                    }];
                    return Answered {
                        response: self.invalid(&e, page, json),
                        kept_new: false,
                    };
                }
                Err(e) => Err(e),
            },
        };
        let kept_new = matches!(outcome, Ok(Outcome::Accepted(_)));
        let response = match outcome {
            Ok(Outcome::Accepted(r) | Outcome::Replayed(r)) => answer::accepted(&r, texts, json),
            Ok(Outcome::Failed) => self.unavailable(page, json),
            Ok(Outcome::Conflict) => {
                let page = FormPage {
                    site: self.site(site_origin, texts.lang),
                    tokens: page.tokens.clone(),
                    raw: page.raw,
                    keep_key: false,
                };
                answer::form_errors(
                    StatusCode::CONFLICT,
                    texts.get("conflict"),
                    &[],
                    &page,
                    json,
                )
            }
            Err(KeepError::BadVisitorAddress) => {
                let e = [FieldError {
                    field: fields::EMAIL,
                    message: texts.get("error.email.invalid").into(),
                }];
                self.invalid(&e, page, json)
            }
            Err(KeepError::Other(e)) => {
                log::event(&format!("event=keep-failed error={e}"));
                self.unavailable(page, json)
            }
        };
        Answered { response, kept_new }
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
