//! `sitemap.xml` and `robots.txt`.
//!
//! No `<lastmod>`: the renderer has no trustworthy per-page date, and a
//! build date on every URL would make every build look like a change.

use switchboard_router::html::escape;

/// A sitemap of absolute URLs built from `base_url` (no trailing slash) and
/// site-relative `paths` (`""` for the home page, `departments/sales/`).
pub fn sitemap(base_url: &str, paths: &[String]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for p in paths {
        out.push_str("  <url><loc>");
        out.push_str(&escape(&format!("{base_url}/{p}")));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// Allows everything but the thank-you page (nothing to index there) and
/// points crawlers at the sitemap.
pub fn robots(base_url: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /{}\n\nSitemap: {base_url}/sitemap.xml\n",
        crate::manifest::THANK_YOU_PAGE_PATH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_escaped_urls() {
        let xml = sitemap(
            "https://example.org",
            &["".into(), "departments/r&d/".into()],
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset"));
        assert!(xml.contains("<loc>https://example.org/</loc>"));
        assert!(xml.contains("<loc>https://example.org/departments/r&amp;d/</loc>"));
        assert_eq!(xml.matches("<url>").count(), 2);
        assert!(xml.ends_with("</urlset>\n"));
    }

    #[test]
    fn robots_points_at_sitemap() {
        let r = robots("https://example.org/sub");
        assert!(r.contains("Sitemap: https://example.org/sub/sitemap.xml\n"));
        assert!(r.contains("Disallow: /contact/thanks/\n"));
    }
}
