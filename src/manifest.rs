//! The builder's side of the routing manifest: fills the
//! [`RoutingManifest`] that `functions/router/src/manifest` defines, checks
//! and reads, from the validated site.
//! The form on the page and the routing behind it come from the same `Site`,
//! so they cannot drift; the content hash lets the router spot a stale page.
//! Languages: the site's list, topics' and departments' texts where another
//! language differs from the default, and each department's speakers of each
//! site language (the router's `strings` and `pages` are filled by `build`).

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use switchboard_router::manifest::{
    self as contract, CompactString, DEFAULT_VIEW_TOKEN_MAX_AGE_HOURS, DepartmentTranslation,
    FormPolicy, RoutingManifest, SCHEMA_VERSION, SiteInfo, TopicTranslation, WeeklyHours,
};

use crate::model::{Department, Site};

/// Where the form page and the thank-you page are published, relative to
/// the site root; the renderer writes them there and the manifest gives them
/// with a leading slash.
pub const FORM_PAGE_PATH: &str = "contact/";
pub const THANK_YOU_PAGE_PATH: &str = "contact/thanks/";
/// Name of the hidden field bots fill in and people never see.
pub const HONEYPOT_FIELD: &str = "website";

/// Builds the manifest for `site`; `extra_origins` adds origins allowed to
/// post (the local address under `serve`).
pub fn routing_manifest(site: &Site, extra_origins: &[String]) -> RoutingManifest {
    let mut hours = SharedHours::default();
    let translated = Translated::of(site);
    let mut departments: Vec<contract::Department> = site
        .departments
        .iter()
        .map(|department| department_entry(department, &site.config.languages, &mut hours))
        .collect();
    for department in &mut departments {
        department.translations = translated.department(&department.id);
    }
    let mut manifest = RoutingManifest {
        schema_version: SCHEMA_VERSION,
        content_hash: String::new(),
        site: site_info(site, extra_origins),
        form: form_policy(site),
        topics: site
            .topics
            .iter()
            .map(|topic| contract::Topic {
                id: topic.id.as_str().into(),
                label: topic.label.as_str().into(),
                department: topic.department.as_str().into(),
                contact: topic.contact.as_deref().map(Into::into),
                translations: translated.topic(&topic.id),
            })
            .collect(),
        hours: hours.weeks,
        departments,
        contacts: site
            .contacts()
            .map(|contact| contract::Contact {
                id: contact.id.as_str().into(),
                name: contact.name.as_str().into(),
                email: contact.email.as_str().into(),
                backup: contact.backup.as_deref().map(Into::into),
                away: contact.away.clone(),
            })
            .collect(),
        // Rendered from the theme once the form's tokens are known (`build`).
        pages: Default::default(),
        // The site's `i18n/` files are read by `build` (`router_texts`).
        strings: Default::default(),
        index: Default::default(),
    };
    manifest.content_hash = content_hash(&manifest);
    manifest
}

fn site_info(site: &Site, extra_origins: &[String]) -> SiteInfo {
    let mut allowed_origins = vec![origin_of(&site.config.base_url)];
    allowed_origins.extend(extra_origins.iter().cloned());
    allowed_origins.dedup();
    SiteInfo {
        title: site.config.title.clone(),
        base_url: site.config.base_url.clone(),
        allowed_origins,
        form_path: format!("/{FORM_PAGE_PATH}"),
        thank_you_path: format!("/{THANK_YOU_PAGE_PATH}"),
        languages: site.config.languages.clone(),
    }
}

fn form_policy(site: &Site) -> FormPolicy {
    FormPolicy {
        min_fill_seconds: site.form.min_fill_seconds,
        max_message_chars: site.form.max_message_chars,
        honeypot_field: HONEYPOT_FIELD.to_string(),
        captcha: site.form.captcha.clone(),
        token_max_age_days: site.form.token_max_age_days,
        view_token_max_age_hours: DEFAULT_VIEW_TOKEN_MAX_AGE_HOURS,
        limits: site.form.limits,
        retention_days: site.form.retention_days,
    }
}

/// The manifest's weekly hours: departments keeping the same hours share
/// one entry, since a thousand departments usually have a handful of
/// distinct weeks.
#[derive(Default)]
struct SharedHours {
    /// Each distinct week once, in order of first use.
    weeks: Vec<WeeklyHours>,
    ids: HashMap<WeeklyHours, CompactString>,
}

impl SharedHours {
    /// The id of `week` (given without one), adding it on first use.
    fn id_for(&mut self, week: WeeklyHours) -> CompactString {
        let weeks = &mut self.weeks;
        self.ids
            .entry(week)
            .or_insert_with_key(|week| {
                let id = CompactString::from(format!("hours-{}", weeks.len() + 1));
                weeks.push(WeeklyHours {
                    id: id.clone(),
                    ..week.clone()
                });
                id
            })
            .clone()
    }
}

fn department_entry(
    department: &Department,
    languages: &[String],
    hours: &mut SharedHours,
) -> contract::Department {
    contract::Department {
        id: department.id.as_str().into(),
        name: department.name.as_str().into(),
        inbox: department.inbox.as_str().into(),
        cc_inbox: department.cc_inbox,
        response_time: department.response_time.as_str().into(),
        primary: department.primary.as_str().into(),
        hours: department.hours.as_ref().map(|week| {
            hours.id_for(WeeklyHours {
                id: CompactString::default(),
                timezone: week.timezone.as_str().into(),
                days: week.days.clone(),
                closures: week.closures.iter().map(|closure| closure.dates).collect(),
            })
        }),
        after_hours: department.after_hours.clone(),
        phone: department
            .phone
            .as_ref()
            .map(|phone| phone.display.as_str().into()),
        public_email: department
            .publish_inbox
            .then(|| department.inbox.as_str().into()),
        translations: BTreeMap::new(),
        speakers: if department.route_by_language {
            speakers(department, languages)
        } else {
            BTreeMap::new()
        },
    }
}

/// By site language: the department's contacts who speak it, in the
/// department's order. A contact speaks `de` when one of its languages is
/// `de` or starts with `de-`.
fn speakers(department: &Department, languages: &[String]) -> BTreeMap<String, Vec<CompactString>> {
    languages
        .iter()
        .filter_map(|code| {
            let ids: Vec<CompactString> = department
                .contacts
                .iter()
                .filter(|contact| contact.languages.iter().any(|l| speaks(l, code)))
                .map(|contact| contact.id.as_str().into())
                .collect();
            (!ids.is_empty()).then(|| (code.clone(), ids))
        })
        .collect()
}

/// Whether a contact's language tag `tag` is site language `code` (`de-AT` is `de`).
fn speaks(tag: &str, code: &str) -> bool {
    tag.eq_ignore_ascii_case(code)
        || tag.get(..code.len() + 1).is_some_and(|head| {
            head[..code.len()].eq_ignore_ascii_case(code) && head.ends_with('-')
        })
}

/// The texts of topics and departments in each non-default language, where
/// they differ from the default language's.
struct Translated {
    topics: HashMap<String, BTreeMap<String, TopicTranslation>>,
    departments: HashMap<String, BTreeMap<String, DepartmentTranslation>>,
}

impl Translated {
    fn of(site: &Site) -> Self {
        let mut topics: HashMap<String, BTreeMap<String, TopicTranslation>> = HashMap::new();
        let mut departments: HashMap<String, BTreeMap<String, DepartmentTranslation>> =
            HashMap::new();
        for code in site.config.languages.iter().skip(1) {
            let other = site.in_language(code);
            for (topic, theirs) in site.topics.iter().zip(&other.topics) {
                let label = differs(&topic.label, &theirs.label);
                if label.is_some() {
                    topics
                        .entry(topic.id.clone())
                        .or_default()
                        .insert(code.clone(), TopicTranslation { label });
                }
            }
            for (department, theirs) in site.departments.iter().zip(&other.departments) {
                let translation = DepartmentTranslation {
                    name: differs(&department.name, &theirs.name),
                    response_time: differs(&department.response_time, &theirs.response_time),
                };
                if translation != DepartmentTranslation::default() {
                    departments
                        .entry(department.id.clone())
                        .or_default()
                        .insert(code.clone(), translation);
                }
            }
        }
        Self {
            topics,
            departments,
        }
    }

    fn topic(&self, id: &str) -> BTreeMap<String, TopicTranslation> {
        self.topics.get(id).cloned().unwrap_or_default()
    }

    fn department(&self, id: &str) -> BTreeMap<String, DepartmentTranslation> {
        self.departments.get(id).cloned().unwrap_or_default()
    }
}

/// `theirs` when it differs from `ours`.
fn differs(ours: &str, theirs: &str) -> Option<CompactString> {
    (ours != theirs).then(|| theirs.into())
}

/// Hash of everything that decides routing (the manifest minus its hash and
/// the origins, which differ between `build` and `serve`).
fn content_hash(manifest: &RoutingManifest) -> String {
    let mut hasher = Sha256::new();
    for part in [
        serde_json::to_vec(&manifest.form),
        serde_json::to_vec(&manifest.topics),
        serde_json::to_vec(&manifest.hours),
        serde_json::to_vec(&manifest.departments),
        serde_json::to_vec(&manifest.contacts),
    ] {
        // Serialising plain data structures cannot fail.
        hasher.update(part.unwrap_or_default());
    }
    let digest = hasher.finalize();
    switchboard_router::hex::hex(&digest[..8])
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
    fn the_hash_covers_routing_not_origins_and_the_router_accepts_the_result() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/base");
        let site = crate::model::load_site(&base).expect("base fixture");
        let built = routing_manifest(&site, &[]);
        let served = routing_manifest(&site, &["http://127.0.0.1:1111".to_string()]);
        assert_ne!(built.site.allowed_origins, served.site.allowed_origins);
        assert_eq!(built.content_hash, served.content_hash);
        let mut built = built;
        let theme = crate::render::Theme::load(&base, &site.config.theme).expect("theme");
        let options = crate::render::RenderOptions {
            form_endpoint: site.form.endpoint.clone(),
            content_hash: built.content_hash.clone(),
            form_token: "f2.token".into(),
            time_token: "t2.token".into(),
            live_reload: None,
        };
        built.pages = crate::render::router_pages(&site, &theme, &options).expect("pages");
        built.strings = crate::router_texts::router_strings(&site).expect("strings");
        built.check().expect("the router's check passes");
        let json = serde_json::to_string(&built).expect("json");
        let again = RoutingManifest::from_json(&json).expect("the router reads it back");
        assert_eq!(again, built);
        let mut other_week = site.clone();
        if let Some(hours) = other_week.departments[0].hours.as_mut() {
            hours.timezone = "Europe/Paris".into();
        }
        assert_ne!(
            routing_manifest(&other_week, &[]).content_hash,
            built.content_hash,
            "the shared hours are part of the hash"
        );
    }

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(
            origin_of("https://example.org/contact"),
            "https://example.org"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
