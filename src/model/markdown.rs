//! Markdown to HTML, the one place the site's Markdown becomes markup:
//! pages and contact bios alike, converted once when the content is loaded.
//!
//! Tables, footnotes, strikethrough, task lists and smart punctuation are on.
//! Raw HTML written in the Markdown is kept as is: editors are trusted (they
//! already control the templates and the whole site), and they need it for
//! the odd `<abbr>` or embedded address block. Text that comes from visitors
//! never goes through here.

use pulldown_cmark::{Options, Parser, html};

/// Renders `source` (without front matter) to an HTML fragment.
pub fn markdown_to_html(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let parser = Parser::new_ext(source, options);
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_on() {
        let h =
            markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ text[^1]\n\n[^1]: note\n");
        assert!(h.contains("<table>"));
        assert!(h.contains("<del>old</del>"));
        assert!(h.contains("footnote"));
    }

    #[test]
    fn raw_html_is_kept_for_trusted_editors() {
        assert!(
            markdown_to_html("<abbr title=\"x\">X</abbr>").contains("<abbr title=\"x\">X</abbr>")
        );
    }
}
