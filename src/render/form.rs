//! What the contact form needs: its field names, hidden values and topic
//! menu. The builder's side of `functions/router/src/fields.rs`: the page
//! sends the fields the router parses.
//!
//! Field names are taken from the router's constants and handed to
//! templates as `form.fields.*`, so a theme never hard-codes a name the
//! router would not recognise; the honeypot's name is the manifest's
//! `form.honeypot_field`.

use serde::Serialize;

use super::RenderOptions;
use super::view::{DepartmentView, TopicView};
use crate::manifest::{HONEYPOT_FIELD, THANK_YOU_PAGE_PATH};
use crate::model::Site;
use switchboard_router::fields;

/// Names of the form fields, as the router reads them.
#[derive(Debug, Clone, Serialize)]
pub struct FormFields {
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub company: &'static str,
    pub topic: &'static str,
    pub message: &'static str,
    /// Must be present and empty; bots fill it.
    pub honeypot: &'static str,
    /// The build-time signed token (proves the page is ours).
    pub token: &'static str,
    /// The build's time token; the script replaces it with one fetched
    /// from the endpoint when the form is shown (proves a minimum fill time).
    pub time_token: &'static str,
    /// Informational (the router reads the hash from the signed token); not
    /// a router field, and the router ignores fields it does not know.
    pub content_hash: &'static str,
    /// Filled by the script with a random value kept across retries, so a
    /// re-sent POST is not mailed twice. Empty without JavaScript: then the
    /// router recognises a re-sent message by its content.
    pub idempotency_key: &'static str,
    /// The page's language: the router answers and acknowledges in it.
    pub language: &'static str,
}

/// The field names the router expects, taken from the router itself.
pub const FIELDS: FormFields = FormFields {
    name: fields::NAME,
    email: fields::EMAIL,
    phone: fields::PHONE,
    company: fields::COMPANY,
    topic: fields::TOPIC,
    message: fields::MESSAGE,
    honeypot: HONEYPOT_FIELD,
    token: fields::FORM_TOKEN,
    time_token: fields::TIME_TOKEN,
    content_hash: "sb_content_hash",
    idempotency_key: fields::IDEMPOTENCY_KEY,
    language: fields::LANGUAGE,
};

/// A department's topics, rendered as one `<optgroup>`.
#[derive(Debug, Clone, Serialize)]
pub struct TopicGroup {
    pub department: String,
    pub department_name: String,
    pub topics: Vec<TopicView>,
}

/// Everything a template needs to render one form.
#[derive(Debug, Clone, Serialize)]
pub struct FormView {
    pub endpoint: String,
    pub fields: FormFields,
    pub content_hash: String,
    pub token: String,
    /// The build's time token (see [`super::RenderOptions::time_token`]).
    pub time_token: String,
    pub max_message_chars: u32,
    pub min_fill_seconds: u32,
    /// Site-relative path of the thank-you page.
    pub thanks_path: &'static str,
    /// One group per department that has topics, in department order.
    pub groups: Vec<TopicGroup>,
    /// Topic pre-selected (a department with a single topic).
    pub selected: Option<String>,
    /// Set on department pages: the response time promised there.
    pub response_time: String,
    /// The captcha widget, when `[form] captcha` names one.
    pub captcha: Option<CaptchaWidget>,
}

/// What the template needs to show a captcha provider's widget.
#[derive(Debug, Clone, Serialize)]
pub struct CaptchaWidget {
    pub class: &'static str,
    pub script: &'static str,
    pub site_key: String,
}

impl FormView {
    /// The general form: every topic, grouped by department.
    pub fn all(site: &Site, departments: &[DepartmentView], opts: &RenderOptions) -> FormView {
        let groups = departments
            .iter()
            .filter(|d| !d.topics.is_empty())
            .map(group)
            .collect();
        FormView::with_groups(site, opts, groups, site.form.response_time.clone())
    }

    /// A department page's form: only that department's topics.
    pub fn department(site: &Site, dept: &DepartmentView, opts: &RenderOptions) -> FormView {
        let groups = if dept.topics.is_empty() {
            vec![]
        } else {
            vec![group(dept)]
        };
        FormView::with_groups(site, opts, groups, dept.response_time.clone())
    }

    fn with_groups(
        site: &Site,
        opts: &RenderOptions,
        groups: Vec<TopicGroup>,
        response_time: String,
    ) -> FormView {
        let mut all = groups.iter().flat_map(|g| g.topics.iter());
        let selected = match (all.next(), all.next()) {
            (Some(only), None) => Some(only.id.clone()),
            _ => None,
        };
        FormView {
            endpoint: opts.form_endpoint.clone(),
            fields: FIELDS,
            content_hash: opts.content_hash.clone(),
            token: opts.form_token.clone(),
            time_token: opts.time_token.clone(),
            max_message_chars: site.form.max_message_chars,
            min_fill_seconds: site.form.min_fill_seconds,
            thanks_path: THANK_YOU_PAGE_PATH,
            groups,
            selected,
            response_time,
            captcha: site.form.captcha.as_ref().map(|c| CaptchaWidget {
                class: c.provider.widget_class(),
                script: c.provider.script_url(),
                site_key: c.site_key.clone(),
            }),
        }
    }
}

fn group(d: &DepartmentView) -> TopicGroup {
    TopicGroup {
        department: d.id.clone(),
        department_name: d.name.clone(),
        topics: d.topics.clone(),
    }
}
