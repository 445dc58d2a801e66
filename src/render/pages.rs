//! [`render_site`]: every output file of a site, from one [`Site`] and one
//! [`Theme`].
//!
//! The public view and the shared template context are built once; each page
//! then only adds its own few keys (cheap: tera values share their arrays and
//! maps). HTML pages are rendered on up to four threads, since one big
//! home page and many department pages are independent.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use tera::{Context, Value};

use super::form::{CONTACT_PATH, FormView, THANKS_PATH};
use super::view::{DepartmentView, SiteView, vcard_path};
use super::{
    FileSink, MemorySink, RenderError, RenderOptions, SiteOutput, Theme, csp, jsonld, sitemap,
    vcard,
};
use crate::model::Site;

/// One unit of work for the rendering threads.
enum Job {
    /// The home page's JSON-LD.
    JsonLd,
    /// Everything of one department: its directory entry (for the home
    /// page), its page and its contacts' vCards, from one template value
    /// that is dropped as soon as they are done.
    Department(usize),
    Contact,
    Thanks,
    Page(usize),
    NotFound,
}

/// What a [`Job`] produced besides the files it put out.
enum Done {
    Card(usize, String),
    JsonLd(String),
    Written,
}

/// Renders the whole site in memory (`serve`, tests). See
/// [`render_site_into`].
pub fn render_site(
    site: &Site,
    theme: &Theme,
    opts: &RenderOptions,
) -> Result<SiteOutput, RenderError> {
    let sink = MemorySink::default();
    render_site_into(site, theme, opts, &sink)?;
    Ok(sink.into_output())
}

/// Renders the whole site, handing each file to `sink` as soon as it is
/// done. See the module docs of [`super`] for the layout; every HTML page
/// gets `lang`, the CSP `<meta>` and the content hash.
///
/// The home page template renders first (with markers for the directory
/// and the JSON-LD); then everything else runs on the threads: the JSON-LD,
/// and per department its directory entry, page and vCards; then the home
/// page is written with the directory entries spliced in. So the home page of a thousand-department
/// directory is not one long single-threaded render, and each department's
/// template value lives only as long as its job.
pub fn render_site_into(
    site: &Site,
    theme: &Theme,
    opts: &RenderOptions,
    sink: &dyn FileSink,
) -> Result<(), RenderError> {
    let departments = DepartmentView::all(site);

    let mut base = Context::new();
    base.insert("site", &SiteView::new(site));
    // Built by us from a sanitized origin (no quotes, `<` or `&`), so it can
    // go into the attribute as is; escaping would turn every `'self'` into
    // `&#39;self&#39;`, valid but unreadable for anyone checking the policy.
    base.insert_value(
        "csp",
        Value::safe_string(&csp::policy(
            &opts.form_endpoint,
            site.form.captcha.as_ref().map(|c| c.provider),
        )),
    );
    base.insert("content_hash", &opts.content_hash);
    base.insert("live_reload", &opts.live_reload);
    base.insert("contact_path", CONTACT_PATH);
    base.insert("thanks_path", THANKS_PATH);

    let shared = Shared {
        site,
        theme,
        opts,
        base: &base,
        departments: &departments,
    };
    let n = site.departments.len();
    let home_html = shared.home()?;
    let mut jobs = vec![Job::JsonLd, Job::Contact, Job::Thanks, Job::NotFound];
    jobs.extend((0..n).map(Job::Department));
    jobs.extend((0..site.pages.len()).map(Job::Page));

    let out = Output::new(sink);
    for (path, file) in &theme.static_files {
        out.add(path.clone(), &[file], Origin::Named("a static file"))?;
    }
    let mut cards = vec![String::new(); n];
    let mut jsonld = String::new();
    for done in parallel(jobs, |j| shared.run(j, &out)) {
        match done? {
            Done::Card(i, html) => cards[i] = html,
            Done::JsonLd(text) => jsonld = text,
            Done::Written => {}
        }
    }
    let jsonld = [jsonld];
    let pieces = splice(
        &home_html,
        &[(DIRECTORY_MARK, &cards), (JSONLD_MARK, &jsonld)],
    );
    out.add("index.html".into(), &pieces, Origin::Named("the home page"))?;
    drop(pieces);
    drop(cards);

    let mut urls = vec![String::new(), CONTACT_PATH.to_string()];
    urls.extend(departments.iter().map(|d| d.path.clone()));
    urls.extend(site.pages.iter().map(|p| format!("{}/", p.slug)));
    let sitemap = sitemap::sitemap(&site.config.base_url, &urls);
    out.add(
        "sitemap.xml".into(),
        &[sitemap.as_bytes()],
        Origin::Named("the sitemap"),
    )?;
    let robots = sitemap::robots(&site.config.base_url);
    out.add(
        "robots.txt".into(),
        &[robots.as_bytes()],
        Origin::Named("robots.txt"),
    )?;
    Ok(())
}

/// Stand-ins for the home page's big pieces while its template renders
/// (private-use characters, which no content or template contains).
const DIRECTORY_MARK: &str = "\u{E000}switchboard:directory_html\u{E001}";
const JSONLD_MARK: &str = "\u{E000}switchboard:jsonld\u{E001}";

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

/// Runs `f` over `items` on up to four threads (interleaved, so the big and
/// small jobs spread evenly) and returns the results in any order.
fn parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 4)
        .min(items.len().max(1));
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let mut shares: Vec<Vec<T>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        shares[i % threads].push(item);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                let f = &f;
                s.spawn(move || share.into_iter().map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Read-only state shared by the rendering threads.
struct Shared<'a> {
    site: &'a Site,
    theme: &'a Theme,
    opts: &'a RenderOptions,
    base: &'a Context,
    departments: &'a [DepartmentView],
}

impl<'a> Shared<'a> {
    /// The home page template, with short markers where the directory and
    /// the JSON-LD go (they are megabytes for a large organisation: rather
    /// than copying them into a tera value and through the template, the
    /// pieces are spliced in as the page is written out). Rendered before
    /// the threads start: every department's template value exists only
    /// while it renders, never beside the department jobs' own values and
    /// the directory entries they accumulate.
    fn home(&self) -> Result<String, RenderError> {
        let mut ctx = self.base.clone();
        let all: Vec<Value> = self
            .departments
            .iter()
            .map(Value::from_serializable)
            .collect();
        ctx.insert_value("departments", Value::from(all));
        ctx.insert_value("directory_html", Value::safe_string(DIRECTORY_MARK));
        ctx.insert_value("jsonld", Value::safe_string(JSONLD_MARK));
        ctx.insert("title", &self.site.config.title);
        ctx.insert("root", "./");
        ctx.insert("path", "");
        self.theme.render("index.html", &ctx)
    }

    fn run(&self, job: Job, out: &Output<'a>) -> Result<Done, RenderError> {
        let page = |path: String, template: &str, mut ctx: Context| {
            ctx.insert("root", &root_for(&path));
            ctx.insert("path", &path);
            let html = self.theme.render(template, &ctx)?;
            let origin = page_origin(self.site, &path);
            out.add(format!("{path}index.html"), &[html.as_bytes()], origin)?;
            Ok(Done::Written)
        };
        let mut ctx = self.base.clone();
        match job {
            Job::JsonLd => Ok(Done::JsonLd(jsonld::organization_script(self.site))),
            Job::Department(i) => {
                let d = &self.departments[i];
                let value = Value::from_serializable(d);
                let model = &self.site.departments[i];
                for c in &model.contacts {
                    let card = vcard::contact_vcard(self.site, model, c);
                    out.add(vcard_path(&c.id), &[card.as_bytes()], Origin::VCard(&c.id))?;
                }
                ctx.insert_value("department", value);
                ctx.insert("heading_level", &2);
                ctx.insert("root", "./");
                ctx.insert("path", "");
                let card = self.theme.render("partials/department_card.html", &ctx)?;
                ctx.remove("heading_level");
                ctx.insert("form", &FormView::department(self.site, d, self.opts));
                ctx.insert("title", &d.name);
                page(d.path.clone(), "department.html", ctx)?;
                Ok(Done::Card(i, card))
            }
            Job::Contact => {
                ctx.insert(
                    "form",
                    &FormView::all(self.site, self.departments, self.opts),
                );
                ctx.insert("title", "Contact us");
                page(CONTACT_PATH.to_string(), "contact.html", ctx)
            }
            Job::Thanks => {
                ctx.insert("title", "Thank you");
                page(THANKS_PATH.to_string(), "thanks.html", ctx)
            }
            Job::Page(i) => {
                let p = &self.site.pages[i];
                ctx.insert("page", p);
                ctx.insert("title", &p.title);
                page(format!("{}/", p.slug), "page.html", ctx)
            }
            Job::NotFound => {
                ctx.insert("title", "Page not found");
                // Served at any depth, so links must be absolute paths.
                ctx.insert("root", &base_path(&self.site.config.base_url));
                ctx.insert("path", "404.html");
                let html = self.theme.render("404.html", &ctx)?;
                out.add(
                    "404.html".into(),
                    &[html.as_bytes()],
                    Origin::Named("the 404 page"),
                )?;
                Ok(Done::Written)
            }
        }
    }
}

/// The relative prefix from a page at `path` (`departments/sales/`) back to
/// the site root (`../../`); `./` for the home page.
fn root_for(path: &str) -> String {
    let depth = path.matches('/').count();
    if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    }
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

fn page_origin<'a>(site: &'a Site, path: &str) -> Origin<'a> {
    match site
        .pages
        .iter()
        .find(|p| path.strip_prefix(p.slug.as_str()) == Some("/"))
    {
        Some(p) => Origin::Page(&p.slug),
        None => Origin::Named("a built-in page"),
    }
}

/// What produced an output file, for collision messages (borrowed, not a
/// string per file: a large site has tens of thousands of files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Origin<'a> {
    Named(&'static str),
    Page(&'a str),
    VCard(&'a str),
}

impl std::fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Named(text) => f.write_str(text),
            Origin::Page(slug) => write!(f, "the Markdown page `{slug}`"),
            Origin::VCard(id) => write!(f, "the vCard of contact `{id}`"),
        }
    }
}

/// Hands files to the sink, refusing two sources for one path.
struct Output<'a> {
    sink: &'a dyn FileSink,
    /// Path → what produced it, for collision messages.
    origins: Mutex<HashMap<String, Origin<'a>>>,
}

impl<'a> Output<'a> {
    fn new(sink: &'a dyn FileSink) -> Self {
        Output {
            sink,
            origins: Mutex::default(),
        }
    }

    fn add(&self, path: String, pieces: &[&[u8]], origin: Origin<'a>) -> Result<(), RenderError> {
        {
            let mut origins = self.origins.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(&first) = origins.get(&path) {
                // Files arrive from several threads: name the two in a
                // stable order, so the message is the same on every run.
                let (first, second) = (first.min(origin), first.max(origin));
                return Err(RenderError::Collision {
                    path,
                    first: first.to_string(),
                    second: second.to_string(),
                });
            }
            origins.insert(path.clone(), origin);
        }
        self.sink
            .put(&path, pieces)
            .map_err(|source| RenderError::Write { path, source })
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

    #[test]
    fn roots_and_base_paths() {
        assert_eq!(root_for(""), "./");
        assert_eq!(root_for("contact/"), "../");
        assert_eq!(root_for("contact/thanks/"), "../../");
        assert_eq!(base_path("https://x.org"), "/");
        assert_eq!(base_path("https://x.org/"), "/");
        assert_eq!(base_path("https://x.org/help"), "/help/");
    }
}
