//! The routing manifest the router reads, filled from the validated site.
//! The form on the page and the routing behind it come from the same `Site`,
//! so they cannot drift; the content hash lets the router spot a stale page.

use sha2::{Digest, Sha256};
use switchboard_router::manifest::{
    self as contract, FormPolicy, RoutingManifest, SCHEMA_VERSION, SiteInfo, WeeklyHours,
};

use crate::model::Site;

/// Where the form page and the thank-you page are published.
pub const FORM_PATH: &str = "/contact/";
pub const THANK_YOU_PATH: &str = "/contact/thanks/";
/// Name of the hidden field bots fill in and people never see.
pub const HONEYPOT_FIELD: &str = "website";

/// Builds the manifest for `site`; `extra_origins` adds origins allowed to
/// post (the local address under `serve`).
pub fn routing_manifest(site: &Site, extra_origins: &[String]) -> RoutingManifest {
    let mut allowed_origins = vec![origin_of(&site.config.base_url)];
    allowed_origins.extend(extra_origins.iter().cloned());
    allowed_origins.dedup();
    let mut manifest = RoutingManifest {
        schema_version: SCHEMA_VERSION,
        content_hash: String::new(),
        site: SiteInfo {
            title: site.config.title.clone(),
            base_url: site.config.base_url.clone(),
            allowed_origins,
            form_path: FORM_PATH.to_string(),
            thank_you_path: THANK_YOU_PATH.to_string(),
        },
        form: FormPolicy {
            min_fill_seconds: site.form.min_fill_seconds,
            max_message_chars: site.form.max_message_chars,
            honeypot_field: HONEYPOT_FIELD.to_string(),
            captcha: None,
        },
        topics: site
            .topics
            .iter()
            .map(|topic| contract::Topic {
                id: topic.id.clone(),
                label: topic.label.clone(),
                department: topic.department.clone(),
                contact: topic.contact.clone(),
            })
            .collect(),
        departments: site
            .departments
            .iter()
            .map(|department| contract::Department {
                id: department.id.clone(),
                name: department.name.clone(),
                inbox: department.inbox.clone(),
                cc_inbox: department.cc_inbox,
                response_time: department.response_time.clone(),
                primary: department.primary.clone(),
                hours: department.hours.as_ref().map(|hours| WeeklyHours {
                    timezone: hours.timezone.clone(),
                    days: hours.days.clone(),
                    closures: hours.closures.iter().map(|closure| closure.dates).collect(),
                }),
                after_hours: department.after_hours.clone(),
            })
            .collect(),
        contacts: site
            .contacts()
            .map(|contact| contract::Contact {
                id: contact.id.clone(),
                name: contact.name.clone(),
                email: contact.email.clone(),
                department: contact.department.clone(),
                backup: contact.backup.clone(),
                away: contact.away.clone(),
            })
            .collect(),
        index: Default::default(),
    };
    manifest.content_hash = content_hash(&manifest);
    manifest
}

/// Hash of everything that decides routing (the manifest minus its hash and
/// the origins, which differ between `build` and `serve`).
fn content_hash(manifest: &RoutingManifest) -> String {
    let mut hasher = Sha256::new();
    for part in [
        serde_json::to_vec(&manifest.form),
        serde_json::to_vec(&manifest.topics),
        serde_json::to_vec(&manifest.departments),
        serde_json::to_vec(&manifest.contacts),
    ] {
        // Serialising plain data structures cannot fail.
        hasher.update(part.unwrap_or_default());
    }
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `https://example.org/path` → `https://example.org`.
fn origin_of(url: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let host_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    url[..host_end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(
            origin_of("https://example.org/contact"),
            "https://example.org"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
