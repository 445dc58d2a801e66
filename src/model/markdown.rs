//! Markdown to HTML, the one place the site's Markdown is turned into markup
//! (pages and contact bios alike, so both support the same syntax).

use pulldown_cmark::{Options, Parser, html};

/// Renders CommonMark plus tables, footnotes, strikethrough and task lists.
/// Raw HTML is kept: editors are trusted, visitors never reach this path.
pub fn markdown_to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(markdown, options));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_tables_and_emphasis() {
        let html = markdown_to_html("*Hi*\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<em>Hi</em>"));
        assert!(html.contains("<table>"));
    }
}
