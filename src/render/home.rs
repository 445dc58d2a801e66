//! The home page. Its template renders first, with short markers where the
//! department directory and the JSON-LD go; the threads render those, and
//! [`write`] splices them in as the page is written out.

use tera::Value;

use super::RenderError;
use super::collisions::{Origin, Output};
use super::languages::root_for;
use super::pages::Shared;

/// Stand-ins for the home page's big pieces while its template renders
/// (private-use characters, which no content or template contains).
const DIRECTORY_MARK: &str = "\u{E000}switchboard:directory_html\u{E001}";
const JSONLD_MARK: &str = "\u{E000}switchboard:jsonld\u{E001}";

/// The home page template, with short markers where the directory and
/// the JSON-LD go (they are megabytes for a large organisation: rather
/// than copying them into a tera value and through the template, the
/// pieces are spliced in as the page is written out). Rendered before
/// the threads start: every department's template value exists only
/// while it renders, never beside the department jobs' own values and
/// the directory entries they accumulate.
pub(super) fn render_template(shared: &Shared<'_>) -> Result<String, RenderError> {
    let mut ctx = shared.base.clone();
    // Only the departments the home page lists (see `HomeListing`).
    let all: Vec<Value> = shared
        .departments
        .iter()
        .take(shared.listing.departments_listed)
        .map(Value::from_serializable)
        .collect();
    ctx.insert_value("departments", Value::from(all));
    ctx.insert_value("directory_html", Value::safe_string(DIRECTORY_MARK));
    ctx.insert_value("jsonld", Value::safe_string(JSONLD_MARK));
    ctx.insert("title", &shared.site.config.title);
    ctx.insert("root", &root_for(&shared.tree.prefix));
    ctx.insert("path", &shared.tree.prefix);
    ctx.insert("page_path", "");
    shared.theme.render("index.html", &ctx)
}

/// Writes `<prefix>index.html`: the rendered template with the departments'
/// directory entries (`cards`, in department order) and the JSON-LD spliced in.
pub(super) fn write(
    out: &Output<'_>,
    prefix: &str,
    home_html: &str,
    cards: Vec<String>,
    jsonld: String,
) -> Result<(), RenderError> {
    let jsonld = [jsonld];
    let pieces = splice(
        home_html,
        &[(DIRECTORY_MARK, &cards), (JSONLD_MARK, &jsonld)],
    );
    out.add(
        format!("{prefix}index.html"),
        &pieces,
        Origin::Named("the home page"),
    )
}

/// `html` as pieces, with every occurrence of each mark replaced by its pieces.
fn splice<'a>(html: &'a str, parts: &[(&str, &'a [String])]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = html;
    loop {
        let next = parts
            .iter()
            .filter_map(|(mark, pieces)| rest.find(mark).map(|i| (i, *mark, *pieces)))
            .min_by_key(|(i, _, _)| *i);
        let Some((i, mark, pieces)) = next else {
            out.push(rest.as_bytes());
            return out;
        };
        out.push(&rest.as_bytes()[..i]);
        out.extend(pieces.iter().map(String::as_bytes));
        rest = &rest[i + mark.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_every_mark() {
        let cards = ["<a>".to_string(), "<b>".to_string()];
        let ld = ["{}".to_string()];
        let html = format!("x{JSONLD_MARK}y{DIRECTORY_MARK}z{DIRECTORY_MARK}");
        let out = splice(&html, &[(DIRECTORY_MARK, &cards), (JSONLD_MARK, &ld)]).concat();
        assert_eq!(String::from_utf8(out).unwrap(), "x{}y<a><b>z<a><b>");
        assert_eq!(
            splice("plain", &[(DIRECTORY_MARK, &cards)]).concat(),
            b"plain"
        );
    }
}
