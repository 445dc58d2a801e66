//! The contact page (the general form, every topic) and the thank-you page
//! the form leads to.

use super::RenderError;
use super::collisions::Output;
use super::form::FormView;
use super::pages::{Done, Shared};
use crate::manifest::{FORM_PAGE_PATH, THANK_YOU_PAGE_PATH};

/// The contact page at [`FORM_PAGE_PATH`].
pub(super) fn render_form_page<'a>(
    shared: &Shared<'a>,
    out: &Output<'a>,
) -> Result<Done, RenderError> {
    let mut ctx = shared.base.clone();
    ctx.insert(
        "form",
        &FormView::all(shared.site, shared.departments, shared.opts),
    );
    ctx.insert("title", shared.tree.strings.get("contact_title"));
    shared.write_page(FORM_PAGE_PATH.to_string(), "contact.html", ctx, out)
}

/// The thank-you page at [`THANK_YOU_PAGE_PATH`].
pub(super) fn render_thank_you_page<'a>(
    shared: &Shared<'a>,
    out: &Output<'a>,
) -> Result<Done, RenderError> {
    let mut ctx = shared.base.clone();
    ctx.insert("title", shared.tree.strings.get("thanks_title"));
    shared.write_page(THANK_YOU_PAGE_PATH.to_string(), "thanks.html", ctx, out)
}
