//! A Markdown page from `content/pages/` (`<slug>/`).

use super::RenderError;
use super::collisions::Output;
use super::pages::{Done, Shared};

/// Renders page `index` (in site order) with `page.html`.
pub(super) fn render<'a>(
    shared: &Shared<'a>,
    index: usize,
    out: &Output<'a>,
) -> Result<Done, RenderError> {
    let p = &shared.site.pages[index];
    let mut ctx = shared.base.clone();
    ctx.insert("page", p);
    ctx.insert("title", &p.title);
    shared.write_page(format!("{}/", p.slug), "page.html", ctx, out)
}
