//! A department's page (`departments/<id>/`), its entry in the home page's
//! directory, and its contacts' vCards: rendered together, from one
//! template value that is dropped as soon as they are done.

use tera::Value;

use super::RenderError;
use super::collisions::{Origin, Output};
use super::form::FormView;
use super::pages::{Done, Shared};
use super::view::vcard_path;
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
    for c in &model.contacts {
        let card = vcard::contact_vcard(shared.site, model, c);
        out.add(vcard_path(&c.id), &[card.as_bytes()], Origin::VCard(&c.id))?;
    }
    let mut ctx = shared.base.clone();
    ctx.insert_value("department", value);
    let on_home = index < shared.listing.departments_listed;
    let card = if on_home {
        ctx.insert("heading_level", &2);
        ctx.insert("root", "./");
        ctx.insert("path", "");
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
    shared.write_page(d.path.clone(), "department.html", ctx, out)?;
    Ok(card.map_or(Done::Written, |card| Done::Card(index, card)))
}
