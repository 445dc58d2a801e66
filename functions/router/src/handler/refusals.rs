//! The answers for a submission that is stopped before it is sent: refused
//! tokens, rate limits, field errors and a failure of ours. Each keeps
//! what the visitor typed, so nothing written is lost.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use super::Router;
use crate::answer::{self, FormPage};
use crate::limit::{Limited, Scope};
use crate::log;
use crate::screen::Refusal;
use crate::token::TokenError;
use crate::validate::{self, FieldError};

impl Router {
    /// A submission whose tokens did not pass. The answer for a form token
    /// hands out no token at all, so a page signed with another secret
    /// fails the same way every time, and the operator's log says why.
    pub(super) fn refused(
        &self,
        refusal: Refusal,
        mut page: FormPage<'_>,
        json: bool,
    ) -> Response<Bytes> {
        let reason = refusal.as_str();
        match refusal {
            Refusal::FormToken(TokenError::OtherSecret) => log::event(&format!(
                "event=token-from-another-secret reason={reason} hint=the page was built with another SWITCHBOARD_FORM_SECRET than this router's: rebuild the site with the router's secret, or give the router the build's"
            )),
            _ => log::event(&format!("event=refused reason={reason}")),
        }
        let key = match refusal {
            Refusal::ViewExpired => {
                // The form token passed: show the form again, timed from now.
                page.tokens = Some(self.page_tokens(page.raw));
                "refused.view_expired"
            }
            Refusal::FormToken(TokenError::Expired) | Refusal::PageTime(TokenError::Expired) => {
                "refused.expired"
            }
            _ => "refused.unconfirmed",
        };
        let summary = page.site.texts.get(key);
        answer::form_errors(StatusCode::FORBIDDEN, summary, &[], &page, json)
    }

    /// 429: the form again, with the wait and the department's published
    /// phone or address, so a person in a hurry has another way.
    pub(super) fn limited(
        &self,
        limited: Limited,
        sub: &validate::Submission,
        page: &FormPage<'_>,
        json: bool,
    ) -> Response<Bytes> {
        log::event(&format!(
            "event=rate-limited scope={} retry_after={}",
            limited.scope.as_str(),
            limited.retry_after_secs
        ));
        let t = &page.site.texts;
        let minutes = limited.retry_after_secs.div_ceil(60);
        let key = match (limited.scope, minutes) {
            (Scope::Client, 1) => "limited.client.one",
            (Scope::Client, _) => "limited.client.many",
            (Scope::Overall, 1) => "limited.overall.one",
            (Scope::Overall, _) => "limited.overall.many",
        };
        let mut summary = t.fill(key, &[("minutes", &minutes.to_string())]);
        let department = self
            .manifest
            .topic(&sub.topic)
            .and_then(|t| self.manifest.department(&t.department));
        if let Some(d) = department {
            let name = d.name_in(t.lang);
            let another_way = match (&d.phone, &d.public_email) {
                (Some(p), Some(e)) => Some(t.fill(
                    "limited.call_or_write",
                    &[("department", name), ("phone", p), ("email", e)],
                )),
                (Some(p), None) => {
                    Some(t.fill("limited.call", &[("department", name), ("phone", p)]))
                }
                (None, Some(e)) => Some(t.fill("limited.write", &[("email", e)])),
                (None, None) => None,
            };
            if let Some(way) = another_way {
                summary.push(' ');
                summary.push_str(&way);
            }
        }
        let mut r = answer::form_errors(StatusCode::TOO_MANY_REQUESTS, &summary, &[], page, json);
        if let Ok(v) = HeaderValue::from_str(&limited.retry_after_secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }

    pub(super) fn invalid(
        &self,
        errors: &[FieldError],
        page: &FormPage<'_>,
        json: bool,
    ) -> Response<Bytes> {
        let summary = page.site.texts.get(if errors.len() == 1 {
            "summary.one"
        } else {
            "summary.many"
        });
        answer::form_errors(
            StatusCode::UNPROCESSABLE_ENTITY,
            summary,
            errors,
            page,
            json,
        )
    }

    pub(super) fn unavailable(&self, page: &FormPage<'_>, json: bool) -> Response<Bytes> {
        let mut r = answer::form_errors(
            StatusCode::SERVICE_UNAVAILABLE,
            page.site.texts.get("unavailable"),
            &[],
            page,
            json,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        r
    }
}
