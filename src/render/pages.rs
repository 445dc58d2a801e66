//! [`render_site`]: every output file of a site, from one [`Site`] and one
//! [`Theme`].
//!
//! The public view and the shared template context are built once; each page
//! then only adds its own few keys (cheap: tera values share their arrays and
//! maps). HTML pages are rendered on up to four threads, since one big
//! home page and many department pages are independent.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use tera::{Context, Value};

use super::form::{CONTACT_PATH, FormView, THANKS_PATH};
use super::view::{DepartmentView, SiteView, vcard_path};
use super::{RenderError, RenderOptions, SiteOutput, Theme, csp, jsonld, sitemap, vcard};
use crate::model::Site;

/// One HTML page to render.
enum Job {
    Home,
    Department(usize),
    Contact,
    Thanks,
    Page(usize),
    NotFound,
}

/// Renders the whole site in memory. See the module docs of [`super`] for the
/// layout; every HTML page gets `lang`, the CSP `<meta>` and the content hash.
pub fn render_site(
    site: &Site,
    theme: &Theme,
    opts: &RenderOptions,
) -> Result<SiteOutput, RenderError> {
    let departments: Vec<DepartmentView> = site
        .departments
        .iter()
        .map(|d| DepartmentView::new(site, d))
        .collect();
    let dept_values: Vec<Value> = departments.iter().map(Value::from_serializable).collect();

    let mut base = Context::new();
    base.insert("site", &SiteView::new(site));
    base.insert("csp", &csp::policy(&opts.form_endpoint));
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
        dept_values: &dept_values,
    };

    let mut jobs = vec![Job::Home, Job::Contact, Job::Thanks, Job::NotFound];
    jobs.extend((0..site.departments.len()).map(Job::Department));
    jobs.extend((0..site.pages.len()).map(Job::Page));

    let threads = std::thread::available_parallelism()
        .map(NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 4)
        .min(jobs.len().max(1));
    let rendered: Vec<Result<Vec<(String, String)>, RenderError>> = if threads == 1 {
        vec![jobs.iter().map(|j| shared.render(j)).collect()]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let shared = &shared;
                    let jobs = &jobs;
                    s.spawn(move || {
                        jobs.iter()
                            .skip(t)
                            .step_by(threads)
                            .map(|j| shared.render(j))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };

    let mut out = Output::default();
    for (path, file) in &theme.static_files {
        out.add(path.clone(), file.clone(), "a static file")?;
    }
    for batch in rendered {
        for (path, html) in batch? {
            let origin = page_origin(site, &path);
            out.add(path, html.into_bytes(), &origin)?;
        }
    }
    for d in &site.departments {
        for c in &d.contacts {
            out.add(
                vcard_path(&c.id),
                vcard::contact_vcard(site, d, c).into_bytes(),
                &format!("the vCard of contact `{}`", c.id),
            )?;
        }
    }
    let mut urls = vec![String::new(), CONTACT_PATH.to_string()];
    urls.extend(departments.iter().map(|d| d.path.clone()));
    urls.extend(site.pages.iter().map(|p| format!("{}/", p.slug)));
    out.add(
        "sitemap.xml".into(),
        sitemap::sitemap(&site.config.base_url, &urls).into_bytes(),
        "the sitemap",
    )?;
    out.add(
        "robots.txt".into(),
        sitemap::robots(&site.config.base_url).into_bytes(),
        "robots.txt",
    )?;
    Ok(SiteOutput { files: out.files })
}

/// Read-only state shared by the rendering threads.
struct Shared<'a> {
    site: &'a Site,
    theme: &'a Theme,
    opts: &'a RenderOptions,
    base: &'a Context,
    departments: &'a [DepartmentView],
    dept_values: &'a [Value],
}

impl Shared<'_> {
    fn render(&self, job: &Job) -> Result<(String, String), RenderError> {
        let mut ctx = self.base.clone();
        let (path, template) = match job {
            Job::Home => {
                ctx.insert_value("departments", Value::from(self.dept_values.to_vec()));
                ctx.insert_value(
                    "jsonld",
                    Value::safe_string(&jsonld::script_safe(&jsonld::organization(self.site))),
                );
                ctx.insert("title", &self.site.config.title);
                (String::new(), "index.html")
            }
            Job::Department(i) => {
                let d = &self.departments[*i];
                ctx.insert_value("department", self.dept_values[*i].clone());
                ctx.insert("form", &FormView::department(self.site, d, self.opts));
                ctx.insert("title", &d.name);
                (d.path.clone(), "department.html")
            }
            Job::Contact => {
                ctx.insert("form", &FormView::all(self.site, self.departments, self.opts));
                ctx.insert("title", "Contact us");
                (CONTACT_PATH.to_string(), "contact.html")
            }
            Job::Thanks => {
                ctx.insert("title", "Thank you");
                (THANKS_PATH.to_string(), "thanks.html")
            }
            Job::Page(i) => {
                let p = &self.site.pages[*i];
                ctx.insert("page", p);
                ctx.insert("title", &p.title);
                (format!("{}/", p.slug), "page.html")
            }
            Job::NotFound => {
                ctx.insert("title", "Page not found");
                // Served at any depth, so links must be absolute paths.
                ctx.insert("root", &base_path(&self.site.config.base_url));
                ctx.insert("path", "404.html");
                let html = self.theme.render("404.html", &ctx)?;
                return Ok(("404.html".to_string(), html));
            }
        };
        ctx.insert("root", &root_for(&path));
        ctx.insert("path", &path);
        let html = self.theme.render(template, &ctx)?;
        Ok((format!("{path}index.html"), html))
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

fn page_origin(site: &Site, path: &str) -> String {
    match site
        .pages
        .iter()
        .find(|p| path == format!("{}/index.html", p.slug))
    {
        Some(p) => format!("the Markdown page `{}`", p.slug),
        None => "a built-in page".to_string(),
    }
}

/// Collects output files, refusing two sources for one path.
#[derive(Default)]
struct Output {
    files: BTreeMap<String, Vec<u8>>,
    origins: BTreeMap<String, String>,
}

impl Output {
    fn add(&mut self, path: String, bytes: Vec<u8>, origin: &str) -> Result<(), RenderError> {
        if let Some(first) = self.origins.get(&path) {
            return Err(RenderError::Collision {
                path,
                first: first.clone(),
                second: origin.to_string(),
            });
        }
        self.origins.insert(path.clone(), origin.to_string());
        self.files.insert(path, bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
