//! Mapping a request path onto the in-memory site, and content types.
//!
//! The site is a map from site-relative path to bytes, so nothing outside it
//! can ever be served; `..`, `.` and encoded variants are still refused
//! outright, so a request that tries is answered plainly rather than by
//! accident.

use percent_encoding::percent_decode_str;

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The site file with this key.
    File(String),
    /// `/x` where `x/index.html` exists: send the browser to `/x/` so the
    /// page's relative links resolve as they will on the published site.
    Redirect(String),
    NotFound,
    /// `..`, `.`, a backslash, a NUL or bad percent-encoding.
    Refused,
}

/// Resolves the path of a request URI (`query`, without `?`, is kept for redirects).
pub fn resolve(path: &str, query: Option<&str>, has: impl Fn(&str) -> bool) -> Resolved {
    let Some(rest) = path.strip_prefix('/') else {
        return Resolved::Refused;
    };
    let Ok(decoded) = percent_decode_str(rest).decode_utf8() else {
        return Resolved::Refused;
    };
    if decoded.contains(['\\', '\0']) {
        return Resolved::Refused;
    }
    let folder = decoded.is_empty() || decoded.ends_with('/');
    let trimmed = decoded.strip_suffix('/').unwrap_or(&decoded);
    let segments: Vec<&str> = if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    };
    if segments.iter().any(|s| matches!(*s, ".." | ".")) {
        return Resolved::Refused;
    }
    if segments.iter().any(|s| s.is_empty()) {
        return Resolved::NotFound;
    }
    let key = segments.join("/");
    let index = if key.is_empty() {
        "index.html".to_string()
    } else {
        format!("{key}/index.html")
    };
    if folder {
        return if has(&index) {
            Resolved::File(index)
        } else {
            Resolved::NotFound
        };
    }
    if has(&key) {
        return Resolved::File(key);
    }
    if has(&index) {
        let location = match query {
            Some(q) => format!("{path}/?{q}"),
            None => format!("{path}/"),
        };
        return Resolved::Redirect(location);
    }
    Resolved::NotFound
}

/// The `Content-Type` for a site file, by extension; text types say UTF-8.
pub fn content_type(key: &str) -> &'static str {
    let extension = key
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "vcf" => "text/vcard; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: [&str; 5] = [
        "index.html",
        "about/index.html",
        "vcards/ann.vcf",
        "assets/site.css",
        "a b/index.html",
    ];

    fn r(path: &str) -> Resolved {
        resolve(path, None, |k| SITE.contains(&k))
    }

    #[test]
    fn files_and_folder_indexes() {
        assert_eq!(r("/"), Resolved::File("index.html".into()));
        assert_eq!(r("/about/"), Resolved::File("about/index.html".into()));
        assert_eq!(
            r("/vcards/ann.vcf"),
            Resolved::File("vcards/ann.vcf".into())
        );
        assert_eq!(
            r("/about/index.html"),
            Resolved::File("about/index.html".into())
        );
        assert_eq!(r("/a%20b/"), Resolved::File("a b/index.html".into()));
    }

    #[test]
    fn folder_without_slash_redirects_keeping_the_query() {
        assert_eq!(r("/about"), Resolved::Redirect("/about/".into()));
        assert_eq!(
            resolve("/about", Some("topic=x"), |k| SITE.contains(&k)),
            Resolved::Redirect("/about/?topic=x".into())
        );
    }

    #[test]
    fn missing_things_are_not_found() {
        assert_eq!(r("/nope"), Resolved::NotFound);
        assert_eq!(r("/vcards/"), Resolved::NotFound);
        assert_eq!(r("//about/"), Resolved::NotFound);
        assert_eq!(r("/assets/site.css/"), Resolved::NotFound);
    }

    #[test]
    fn traversal_is_refused_however_it_is_spelled() {
        for path in [
            "/../etc/passwd",
            "/about/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/about/%2e%2e%2f%2e%2e%2fCargo.toml",
            "/..%5c..%5cwindows",
            "/./index.html",
            "/%00",
            "/%ff",
            "relative",
        ] {
            assert_eq!(r(path), Resolved::Refused, "{path}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("vcards/ann.vcf"), "text/vcard; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/site.css"), "text/css; charset=utf-8");
        assert_eq!(
            content_type("assets/site.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("logo.SVG"), "image/svg+xml");
        assert_eq!(
            content_type("sitemap.xml"),
            "application/xml; charset=utf-8"
        );
        assert_eq!(content_type("robots.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("data.json"), "application/json");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
