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

    pub(super) fn invalid(
        &self,
        errors: &[FieldError],
        page: &FormPage<'_>,
        json: bool,
    ) -> Response<Bytes> {
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

    pub(super) fn unavailable(&self, page: &FormPage<'_>, json: bool) -> Response<Bytes> {
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
