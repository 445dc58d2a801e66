//! The Content-Security-Policy every page carries in a `<meta>`.
//!
//! Scripts, styles and images come from the site itself only; the form may
//! post, and the script may `fetch`, only to the form endpoint. No inline
//! script or style is ever needed: data for scripts lives in JSON
//! `<script type="application/json">` islands and `data-` attributes, which
//! CSP does not execute. (`frame-ancestors` cannot be set from a `<meta>`;
//! hosts that want it must send it as a header.)

use switchboard_router::manifest::CaptchaProvider;

/// The policy for a site whose form posts to `endpoint`, with the origins
/// of its captcha widget, if it has one (its script, frame, styles and calls).
pub fn policy(endpoint: &str, captcha: Option<CaptchaProvider>) -> String {
    let target = endpoint_source(endpoint);
    let (widget, frames) = match captcha {
        Some(provider) => (
            format!(" {}", provider.origins()),
            format!(" frame-src {};", provider.origins()),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "default-src 'none'; script-src 'self'{widget}; style-src 'self'{widget}; img-src 'self' data:; \
         font-src 'self'; manifest-src 'self'; base-uri 'none';{frames} \
         form-action {target}; connect-src 'self' {target}{widget}"
    )
    .replace(" 'self' 'self'", " 'self'")
}

/// The CSP source expression for the endpoint: its origin when absolute,
/// `'self'` when site-relative (as under `serve`).
fn endpoint_source(endpoint: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            // Only characters valid in a host[:port] may reach the policy.
            let host: String = host
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
                .collect();
            format!("{}://{}", scheme.to_ascii_lowercase(), host)
        }
        None => "'self'".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captcha_widget_is_allowed_its_provider_only() {
        let p = policy("/api/contact", Some(CaptchaProvider::Turnstile));
        assert!(
            p.contains("script-src 'self' https://challenges.cloudflare.com;"),
            "{p}"
        );
        assert!(
            p.contains("frame-src https://challenges.cloudflare.com;"),
            "{p}"
        );
        assert!(!policy("/api/contact", None).contains("frame-src"));
        let p = policy("/api/contact", Some(CaptchaProvider::Hcaptcha));
        assert!(
            p.contains("connect-src 'self' https://hcaptcha.com https://*.hcaptcha.com"),
            "{p}"
        );
    }

    #[test]
    fn absolute_endpoint_becomes_its_origin() {
        let p = policy("https://abc.lambda-url.eu-west-1.on.aws/submit?x=1", None);
        assert!(p.contains("form-action https://abc.lambda-url.eu-west-1.on.aws;"));
        assert!(p.ends_with("connect-src 'self' https://abc.lambda-url.eu-west-1.on.aws"));
        assert!(p.contains("script-src 'self';"));
    }

    #[test]
    fn relative_endpoint_is_self() {
        let p = policy("/api/contact", None);
        assert!(p.contains("form-action 'self';"));
        assert!(p.ends_with("connect-src 'self'"));
    }

    #[test]
    fn hostile_endpoint_cannot_inject_directives() {
        let p = policy("https://evil.example; script-src *", None);
        assert!(!p.contains("script-src *"));
    }
}
