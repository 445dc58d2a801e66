//! A department's page (`departments/<id>/`), its entry in the home page's
//! directory, and its contacts' vCards: rendered together, from one
//! template value that is dropped as soon as they are done.

use tera::Value;

use super::RenderError;
use super::collisions::{Origin, Output};
use super::form::FormView;
use super::languages::root_for;
use super::pages::{Done, Shared};
use super::view::{department_path, vcard_path};
use super::{jsonld, vcard};

/// Renders department `index` (in site order): writes its vCards and its
/// page (with its ContactPoints' JSON-LD), and returns its directory entry
/// for the home page when the home page lists it.
pub(super) fn render<'a>(
    shared: &Shared<'a>,
    index: usize,
    out: &Output<'a>,
) -> Result<Done, RenderError> {
    let d = &shared.departments[index];
    let value = Value::from_serializable(d);
    let model = &shared.site.departments[index];
    if shared.write_vcards {
        for c in &model.contacts {
            let card = vcard::contact_vcard(shared.site, model, c);
            out.add(vcard_path(&c.id), &[card.as_bytes()], Origin::VCard(&c.id))?;
        }
    }
    let mut ctx = shared.base.clone();
    ctx.insert_value("department", value);
    let on_home = index < shared.listing.departments_listed;
    let card = if on_home {
        ctx.insert("heading_level", &2);
        // The entry is spliced into the home page: links as from there.
        ctx.insert("root", &root_for(&shared.tree.prefix));
        ctx.insert("path", &shared.tree.prefix);
        ctx.insert("page_path", "");
        let card = shared.theme.render("partials/department_card.html", &ctx)?;
        ctx.remove("heading_level");
        Some(card)
    } else {
        None
    };
    let ld = jsonld::script_safe(&jsonld::department(shared.site, model));
    ctx.insert_value("jsonld", Value::safe_string(&ld));
    ctx.insert("form", &FormView::department(shared.site, d, shared.opts));
    ctx.insert("title", &d.name);
    shared.write_page(department_path(&d.id), "department.html", ctx, out)?;
    Ok(card.map_or(Done::Written, |card| Done::Card(index, card)))
}
