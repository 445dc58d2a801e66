//! `sitemap.xml` and `robots.txt`.
//!
//! No `<lastmod>`: the renderer has no trustworthy per-page date, and a
//! build date on every URL would make every build look like a change.

use switchboard_router::html::escape;

/// A sitemap of absolute URLs built from `base_url` (no trailing slash) and
/// site-relative `paths` (`""` for the home page, `departments/sales/`), in
/// every language of `versions` (code, prefix: `("de", "de/")`). With more
/// than one language, each URL lists all its versions (itself included)
/// and `x-default` (the first, the default language) as `xhtml:link`
/// alternates, as search engines ask.
pub fn sitemap(base_url: &str, paths: &[String], versions: &[(&str, &str)]) -> String {
    let many = versions.len() > 1;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"",
    );
    out.push_str(if many {
        " xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n"
    } else {
        ">\n"
    });
    let url = |prefix: &str, p: &str| escape(&format!("{base_url}/{prefix}{p}"));
    for p in paths {
        for (_, prefix) in versions {
            out.push_str("  <url><loc>");
            out.push_str(&url(prefix, p));
            out.push_str("</loc>");
            if many {
                let default = versions.first().map_or("", |v| v.1);
                let all = versions
                    .iter()
                    .map(|(code, pre)| (*code, *pre))
                    .chain([("x-default", default)]);
                for (code, pre) in all {
                    out.push_str("\n    <xhtml:link rel=\"alternate\" hreflang=\"");
                    out.push_str(&escape(code));
                    out.push_str("\" href=\"");
                    out.push_str(&url(pre, p));
                    out.push_str("\"/>");
                }
                out.push_str("\n  ");
            }
            out.push_str("</url>\n");
        }
    }
    out.push_str("</urlset>\n");
    out
}

/// Allows everything but the thank-you pages (nothing to index there; one
/// per language `prefixes`, `""` for the default) and points crawlers at
/// the sitemap.
pub fn robots(base_url: &str, prefixes: &[&str]) -> String {
    let mut out = String::from("User-agent: *\nAllow: /\n");
    for prefix in prefixes {
        out.push_str(&format!(
            "Disallow: /{prefix}{}\n",
            crate::manifest::THANK_YOU_PAGE_PATH
        ));
    }
    out.push_str(&format!("\nSitemap: {base_url}/sitemap.xml\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_escaped_urls() {
        let xml = sitemap(
            "https://example.org",
            &["".into(), "departments/r&d/".into()],
            &[("en", "")],
        );
        assert!(!xml.contains("xhtml"));
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset"));
        assert!(xml.contains("<loc>https://example.org/</loc>"));
        assert!(xml.contains("<loc>https://example.org/departments/r&amp;d/</loc>"));
        assert_eq!(xml.matches("<url>").count(), 2);
        assert!(xml.ends_with("</urlset>\n"));
    }

    #[test]
    fn robots_points_at_sitemap() {
        let r = robots("https://example.org/sub", &[""]);
        assert!(r.contains("Sitemap: https://example.org/sub/sitemap.xml\n"));
        assert!(r.contains("Disallow: /contact/thanks/\n"));
        let r = robots("https://example.org", &["", "de/"]);
        assert!(r.contains("Disallow: /de/contact/thanks/\n"), "{r}");
    }

    #[test]
    fn every_version_lists_every_alternate() {
        let xml = sitemap(
            "https://example.org",
            &["contact/".into()],
            &[("en", ""), ("ar", "ar/")],
        );
        assert_eq!(xml.matches("<url>").count(), 2);
        assert_eq!(
            xml.matches("hreflang=\"ar\" href=\"https://example.org/ar/contact/\"")
                .count(),
            2
        );
        assert_eq!(
            xml.matches("hreflang=\"x-default\" href=\"https://example.org/contact/\"")
                .count(),
            2
        );
        assert!(xml.contains("<loc>https://example.org/ar/contact/</loc>"));
        assert!(xml.contains("xmlns:xhtml=\"http://www.w3.org/1999/xhtml\""));
    }
}
