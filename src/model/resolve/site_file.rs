//! `content/site.toml`: the site, the organisation and the form settings.

use super::{
    DEFAULT_FORM_ENDPOINT, DEFAULT_MAX_MESSAGE_CHARS, DEFAULT_MIN_FILL_SECONDS,
    DEFAULT_RESPONSE_TIME, Resolver,
};
use crate::diagnostic::SourceFile;
use crate::model::load::Parsed;
use crate::model::schema::{
    AddressSection, CaptchaEntry, FormSection, LimitsSection, OrganizationSection, SiteFile,
    SiteSection,
};
use crate::model::site::*;
use crate::model::value_checks::{self, Invalid};
use switchboard_router::manifest::{
    Captcha, CaptchaProvider, DEFAULT_RETENTION_DAYS, DEFAULT_TOKEN_MAX_AGE_DAYS, RateLimits,
};
use toml::Spanned;

/// The three sections of `site.toml`, each checked in full (so every problem
/// is reported) before any missing value ends the resolution.
pub(super) fn resolve_site_file(
    resolver: &mut Resolver,
    file: &Parsed<SiteFile>,
) -> Option<(SiteConfig, Organization, FormSettings)> {
    let source = &file.source;
    let config = resolve_site_section(resolver, source, &file.value.site);
    let organization = resolve_organization(resolver, source, &file.value.organization);
    let form = resolve_form(resolver, source, file.value.form.as_ref());
    Some((config?, organization, form?))
}

fn resolve_site_section(
    resolver: &mut Resolver,
    source: &SourceFile,
    site: &SiteSection,
) -> Option<SiteConfig> {
    let base_url = resolver.check(source, &site.base_url, |u| {
        value_checks::check_absolute_url(u)
    });
    let languages = resolve_languages(resolver, source, site);
    let theme = site
        .theme
        .as_ref()
        .map_or("default".to_string(), |t| t.get_ref().clone());
    Some(SiteConfig {
        title: site.title.get_ref().clone(),
        description: site
            .description
            .as_ref()
            .map(|d| d.get_ref().clone())
            .unwrap_or_default(),
        base_url: base_url?,
        language: languages.as_ref()?.first()?.clone(),
        languages: languages?,
        theme,
    })
}

/// `language` (one language) or `languages` (several, the default first);
/// English when neither is set.
fn resolve_languages(
    resolver: &mut Resolver,
    source: &SourceFile,
    site: &SiteSection,
) -> Option<Vec<String>> {
    let list = match (&site.language, &site.languages) {
        (Some(_), Some(languages)) => {
            resolver.report(
                source,
                languages.span(),
                Invalid::new(
                    "`language` and `languages` are both set",
                    "keep `languages` (the default language first) and remove `language`",
                ),
            );
            return None;
        }
        (Some(language), None) => std::slice::from_ref(language),
        (None, Some(languages)) => languages.get_ref().as_slice(),
        (None, None) => return Some(vec!["en".to_string()]),
    };
    if list.is_empty() {
        let span = site.languages.as_ref().map_or(0..0, |l| l.span());
        resolver.report(
            source,
            span,
            Invalid::new(
                "`languages` is empty",
                "list the site's languages, the default first: languages = [\"en\", \"de\"]",
            ),
        );
        return None;
    }
    let mut codes: Vec<String> = Vec::with_capacity(list.len());
    let mut all_valid = true;
    for tag in list {
        let Some(()) = resolver.check(source, tag, |t| value_checks::check_language(t)) else {
            all_valid = false;
            continue;
        };
        if codes.iter().any(|c| c.eq_ignore_ascii_case(tag.get_ref())) {
            resolver.report(
                source,
                tag.span(),
                Invalid::new(
                    format!("`{}` is listed twice in `languages`", tag.get_ref()),
                    "list each language once",
                ),
            );
            all_valid = false;
            continue;
        }
        codes.push(tag.get_ref().clone());
    }
    all_valid.then_some(codes)
}

/// The organisation; a problem in it is reported, never fatal on its own.
fn resolve_organization(
    resolver: &mut Resolver,
    source: &SourceFile,
    organization: &OrganizationSection,
) -> Organization {
    let phone = resolver.phone(source, &organization.phone);
    let email = organization
        .email
        .as_ref()
        .map(|e| resolver.email(source, e));
    let logo = organization
        .logo
        .as_ref()
        .and_then(|logo| resolver.static_file(source, logo));
    let address = organization
        .address
        .as_ref()
        .map(|address| resolve_address(resolver, source, address));
    let social = organization
        .social
        .iter()
        .filter_map(|link| {
            resolver
                .check(source, &link.url, |u| value_checks::check_absolute_url(u))
                .map(|url| SocialLink {
                    name: link.name.clone(),
                    url,
                })
        })
        .collect();
    Organization {
        name: organization.name.get_ref().clone(),
        logo,
        address,
        phone,
        email,
        social,
    }
}

fn resolve_address(
    resolver: &mut Resolver,
    source: &SourceFile,
    address: &AddressSection,
) -> PostalAddress {
    let country = address.country.get_ref().trim().to_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        resolver.report(
            source,
            address.country.span(),
            Invalid::new(
                format!("`{}` is not a country code", address.country.get_ref()),
                "use the two-letter ISO 3166 code, like DE, GB or US",
            ),
        );
    }
    PostalAddress {
        street: address.street.clone(),
        locality: address.locality.clone(),
        region: address.region.clone(),
        postal_code: address.postal_code.clone(),
        country,
    }
}

/// The `[form]` section, defaults filled in.
fn resolve_form(
    resolver: &mut Resolver,
    source: &SourceFile,
    form: Option<&FormSection>,
) -> Option<FormSettings> {
    let endpoint = match form.and_then(|f| f.endpoint.as_ref()) {
        Some(endpoint) if endpoint.get_ref().starts_with('/') => Some(endpoint.get_ref().clone()),
        Some(endpoint) => resolver.check(source, endpoint, |u| value_checks::check_absolute_url(u)),
        None => Some(DEFAULT_FORM_ENDPOINT.to_string()),
    };
    let max_message_chars = match form.and_then(|f| f.max_message_chars.as_ref()) {
        Some(max) if !(100..=100_000).contains(max.get_ref()) => {
            resolver.report(
                source,
                max.span(),
                Invalid::new(
                    format!("max_message_chars = {} is out of range", max.get_ref()),
                    "pick a limit between 100 and 100000 characters",
                ),
            );
            None
        }
        Some(max) => Some(*max.get_ref()),
        None => Some(DEFAULT_MAX_MESSAGE_CHARS),
    };
    let captcha = form
        .and_then(|f| f.captcha.as_ref())
        .and_then(|c| resolve_captcha(resolver, source, c));
    let token_max_age_days = positive(
        resolver,
        source,
        "token_max_age_days",
        form.and_then(|f| f.token_max_age_days.as_ref()),
        DEFAULT_TOKEN_MAX_AGE_DAYS,
    );
    let retention_days = positive(
        resolver,
        source,
        "retention_days",
        form.and_then(|f| f.retention_days.as_ref()),
        DEFAULT_RETENTION_DAYS,
    );
    let limits = resolve_limits(resolver, source, form.and_then(|f| f.limits.as_ref()));
    Some(FormSettings {
        endpoint: endpoint?,
        response_time: form
            .and_then(|f| f.response_time.as_ref())
            .map(|r| r.get_ref().clone())
            .unwrap_or_else(|| DEFAULT_RESPONSE_TIME.to_string()),
        min_fill_seconds: form
            .and_then(|f| f.min_fill_seconds)
            .unwrap_or(DEFAULT_MIN_FILL_SECONDS),
        max_message_chars: max_message_chars?,
        captcha,
        token_max_age_days: token_max_age_days?,
        retention_days: retention_days?,
        limits: limits?,
    })
}

fn resolve_captcha(
    resolver: &mut Resolver,
    source: &SourceFile,
    captcha: &CaptchaEntry,
) -> Option<Captcha> {
    let provider = resolver.check(source, &captcha.provider, |p| match p.as_str() {
        "turnstile" => Ok(CaptchaProvider::Turnstile),
        "hcaptcha" => Ok(CaptchaProvider::Hcaptcha),
        other => Err(Invalid::new(
            format!("`{other}` is not a captcha provider Switchboard knows"),
            "use provider = \"turnstile\" (Cloudflare) or provider = \"hcaptcha\"",
        )),
    });
    let site_key = resolver.check(source, &captcha.site_key, |k| {
        let ok = !k.is_empty()
            && k.len() <= 100
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        ok.then(|| k.clone()).ok_or_else(|| {
            Invalid::new(
                format!("`{k}` is not a captcha site key"),
                "copy the public site key from the provider's dashboard (letters, digits, - and _); the secret key goes to the router as SWITCHBOARD_CAPTCHA_SECRET, never into content",
            )
        })
    });
    Some(Captcha {
        provider: provider?,
        site_key: site_key?,
    })
}

/// `[form.limits]`, each limit defaulting to the router's.
fn resolve_limits(
    resolver: &mut Resolver,
    source: &SourceFile,
    limits: Option<&LimitsSection>,
) -> Option<RateLimits> {
    let defaults = RateLimits::default();
    let per_client_per_hour = positive(
        resolver,
        source,
        "per_client_per_hour",
        limits.and_then(|l| l.per_client_per_hour.as_ref()),
        defaults.per_client_per_hour,
    );
    let overall_per_hour = positive(
        resolver,
        source,
        "overall_per_hour",
        limits.and_then(|l| l.overall_per_hour.as_ref()),
        defaults.overall_per_hour,
    );
    let acknowledgement_window_minutes = positive(
        resolver,
        source,
        "acknowledgement_window_minutes",
        limits.and_then(|l| l.acknowledgement_window_minutes.as_ref()),
        defaults.acknowledgement_window_minutes,
    );
    Some(RateLimits {
        per_client_per_hour: per_client_per_hour?,
        overall_per_hour: overall_per_hour?,
        acknowledgement_window_minutes: acknowledgement_window_minutes?,
    })
}

/// A count of at least 1 (0 would refuse every message), or `default`.
fn positive(
    resolver: &mut Resolver,
    source: &SourceFile,
    name: &str,
    value: Option<&Spanned<u32>>,
    default: u32,
) -> Option<u32> {
    match value {
        Some(v) => resolver.check(source, v, |&n| {
            if n >= 1 {
                Ok(n)
            } else {
                Err(Invalid::new(
                    format!("{name} = 0 would refuse every message"),
                    "use a number of at least 1, or leave the key out for the default",
                ))
            }
        }),
        None => Some(default),
    }
}
