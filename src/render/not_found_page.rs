//! `404.html`, served for any missing path at any depth; one per language
//! (`de/404.html`), for hosts that pick the 404 page by folder.

use super::RenderError;
use super::collisions::{Origin, Output};
use super::pages::{Done, Shared};

pub(super) fn render<'a>(shared: &Shared<'a>, out: &Output<'a>) -> Result<Done, RenderError> {
    let mut ctx = shared.base.clone();
    ctx.insert("title", shared.tree.strings.get("not_found_title"));
    // Served at any depth, so links must be absolute paths.
    ctx.insert("root", &base_path(&shared.site.config.base_url));
    let path = format!("{}404.html", shared.tree.prefix);
    ctx.insert("path", &path);
    ctx.insert("page_path", "404.html");
    let html = shared.theme.render("404.html", &ctx)?;
    out.add(path, &[html.as_bytes()], Origin::Named("the 404 page"))?;
    Ok(Done::Written)
}

/// The path part of `base_url`, with a trailing slash: `https://x.org/help`
/// -> `/help/`, `https://x.org` -> `/`.
fn base_path(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    match after_scheme.find('/') {
        Some(i) => format!("{}/", after_scheme[i..].trim_end_matches('/')),
        None => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::base_path;

    #[test]
    fn base_paths() {
        assert_eq!(base_path("https://x.org"), "/");
        assert_eq!(base_path("https://x.org/"), "/");
        assert_eq!(base_path("https://x.org/help"), "/help/");
    }
}
