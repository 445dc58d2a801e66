//! [`render_site`]: every output file of a site, from one [`Site`] and one
//! [`Theme`]. This file hands out the work; each kind of page is rendered in
//! its own file: [`super::home`], [`super::department`],
//! [`super::contact_page`] (and the thank-you page), [`super::markdown_page`]
//! and [`super::not_found_page`].
//!
//! The public view and the shared template context are built once; each page
//! then only adds its own few keys (cheap: tera values share their arrays and
//! maps). HTML pages are rendered on up to four threads, since one big
//! home page and many department pages are independent.

use std::borrow::Cow;
use std::num::NonZeroUsize;

use tera::{Context, Value};

use super::collisions::{Origin, Output};
use super::directory::{DEPARTMENTS_PATH, HomeListing, PEOPLE_PATH, people_page_paths};
use super::languages::{self, Tree, root_for};
use super::view::{DepartmentView, SiteView, department_path};
use super::{
    FileSink, MemorySink, RenderError, RenderOptions, SiteOutput, Theme, contact_page, csp,
    department, directory, home, jsonld, markdown_page, not_found_page, search_index, sitemap,
};
use crate::manifest::FORM_PAGE_PATH;
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
    /// `people/`, A–Z.
    People,
    /// `departments/`, every department.
    Departments,
    /// The search index the home page's script fetches.
    SearchIndex,
}

/// What a [`Job`] produced besides the files it put out.
pub(super) enum Done {
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
    let trees = languages::trees(site, theme);
    // Every language's site, views and context first: the output's
    // collision records borrow page slugs and contact ids from them for
    // the whole build.
    let sites: Vec<Cow<Site>> = trees
        .iter()
        .map(|t| languages::site_in(site, &t.code))
        .collect();
    let views: Vec<(Vec<DepartmentView>, Context, HomeListing)> = trees
        .iter()
        .zip(&sites)
        .map(|(tree, site)| {
            let mut departments = DepartmentView::all(site, &tree.strings);
            for d in &mut departments {
                d.path.insert_str(0, &tree.prefix);
            }
            let listing = HomeListing::new(site);
            let mut base = base_context(site, opts, tree, &trees);
            base.insert("directory", &listing);
            (departments, base, listing)
        })
        .collect();
    let out = Output::new(sink);
    for (path, file) in &theme.static_files {
        out.add(path.clone(), &[file], Origin::Named("a static file"))?;
    }
    for (i, ((tree, site), (departments, base, listing))) in
        trees.iter().zip(&sites).zip(&views).enumerate()
    {
        let shared = Shared {
            site,
            theme,
            opts,
            base,
            departments,
            listing,
            tree,
            // vCards are written once, shared by every language.
            write_vcards: i == 0,
        };
        let home_html = home::render_template(&shared)?;
        let (cards, jsonld) = render_on_threads(&shared, &out)?;
        home::write(&out, &tree.prefix, &home_html, cards, jsonld)?;
    }
    write_sitemap_and_robots(site, &trees, &out)
}

/// The template context every page of `tree` starts from.
pub(super) fn base_context(
    site: &Site,
    opts: &RenderOptions,
    tree: &Tree,
    trees: &[Tree],
) -> Context {
    let mut base = Context::new();
    base.insert("site", &SiteView::new(site, &tree.strings));
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
    tree.insert_into(&mut base, trees);
    base
}

/// Runs every job but the home page's own template; returns the
/// departments' directory entries (in department order) and the JSON-LD.
fn render_on_threads<'a>(
    shared: &Shared<'a>,
    out: &Output<'a>,
) -> Result<(Vec<String>, String), RenderError> {
    let n = shared.site.departments.len();
    let mut jobs = vec![Job::JsonLd, Job::Contact, Job::Thanks, Job::NotFound];
    jobs.extend([Job::People, Job::Departments, Job::SearchIndex]);
    jobs.extend((0..n).map(Job::Department));
    jobs.extend((0..shared.site.pages.len()).map(Job::Page));
    let mut cards = vec![String::new(); shared.listing.departments_listed];
    let mut jsonld = String::new();
    for done in parallel(jobs, |j| shared.run(j, out)) {
        match done? {
            Done::Card(i, html) => cards[i] = html,
            Done::JsonLd(text) => jsonld = text,
            Done::Written => {}
        }
    }
    Ok((cards, jsonld))
}

fn write_sitemap_and_robots(
    site: &Site,
    trees: &[Tree],
    out: &Output<'_>,
) -> Result<(), RenderError> {
    let mut urls = vec![
        String::new(),
        FORM_PAGE_PATH.to_string(),
        PEOPLE_PATH.to_string(),
        DEPARTMENTS_PATH.to_string(),
    ];
    urls.extend(people_page_paths(site.contacts().count()));
    urls.extend(site.departments.iter().map(|d| department_path(&d.id)));
    urls.extend(site.pages.iter().map(|p| format!("{}/", p.slug)));
    let versions: Vec<(&str, &str)> = trees
        .iter()
        .map(|t| (t.code.as_str(), t.prefix.as_str()))
        .collect();
    let sitemap = sitemap::sitemap(&site.config.base_url, &urls, &versions);
    out.add(
        "sitemap.xml".into(),
        &[sitemap.as_bytes()],
        Origin::Named("the sitemap"),
    )?;
    let prefixes: Vec<&str> = trees.iter().map(|t| t.prefix.as_str()).collect();
    let robots = sitemap::robots(&site.config.base_url, &prefixes);
    out.add(
        "robots.txt".into(),
        &[robots.as_bytes()],
        Origin::Named("robots.txt"),
    )
}

/// Runs `f` over `items` on up to four threads and returns the results in
/// any order. Each thread takes the next item when it is done with its last
/// (a shared queue, not fixed shares): jobs differ a lot in size (the search
/// index against one department), and on a shared machine one thread may be
/// descheduled for a while; with fixed shares the other then idles at the end.
fn parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 4)
        .min(items.len().max(1));
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let queue = std::sync::Mutex::new(items.into_iter());
    let next = || queue.lock().unwrap_or_else(|p| p.into_inner()).next();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (f, next) = (&f, &next);
                s.spawn(move || std::iter::from_fn(next).map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Read-only state shared by the rendering threads.
pub(super) struct Shared<'a> {
    pub(super) site: &'a Site,
    pub(super) theme: &'a Theme,
    pub(super) opts: &'a RenderOptions,
    /// The context every page starts from (see [`base_context`]).
    pub(super) base: &'a Context,
    /// In this tree's language, paths with its prefix.
    pub(super) departments: &'a [DepartmentView],
    /// The language being rendered.
    pub(super) tree: &'a Tree,
    /// Whether this tree writes the vCards (the first does, for all).
    pub(super) write_vcards: bool,
    /// What the home page lists (see [`HomeListing`]).
    pub(super) listing: &'a HomeListing,
}

impl<'a> Shared<'a> {
    /// Hands `job` to the file that renders its kind of page.
    fn run(&self, job: Job, out: &Output<'a>) -> Result<Done, RenderError> {
        match job {
            Job::JsonLd => Ok(Done::JsonLd(jsonld::organization_script(
                self.site,
                self.listing.departments_listed,
            ))),
            Job::Department(i) => department::render(self, i, out),
            Job::Contact => contact_page::render_form_page(self, out),
            Job::Thanks => contact_page::render_thank_you_page(self, out),
            Job::Page(i) => markdown_page::render(self, i, out),
            Job::NotFound => not_found_page::render(self, out),
            Job::People => directory::render_people(self, out),
            Job::Departments => directory::render_departments(self, out),
            Job::SearchIndex => search_index::render(self, out),
        }
    }

    /// Renders `template` as the page at `page_path` (`departments/sales/`)
    /// in this tree (`de/departments/sales/`), written as `…/index.html`.
    pub(super) fn write_page(
        &self,
        page_path: String,
        template: &str,
        mut ctx: Context,
        out: &Output<'a>,
    ) -> Result<Done, RenderError> {
        let path = format!("{}{page_path}", self.tree.prefix);
        ctx.insert("root", &root_for(&path));
        ctx.insert("path", &path);
        ctx.insert("page_path", &page_path);
        let html = self.theme.render(template, &ctx)?;
        let origin = page_origin(self.site, &page_path);
        out.add(format!("{path}index.html"), &[html.as_bytes()], origin)?;
        Ok(Done::Written)
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
