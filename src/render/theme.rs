//! Themes: templates compiled once, plus the static files to copy.
//!
//! A theme lives in `<site>/themes/<name>/{templates,static}`. The `default`
//! theme is also compiled into the binary, so a site made by `switchboard
//! init` builds without a copy of it. A site overrides any template with a
//! same-named file in `<site>/templates/`, and adds or replaces static files
//! from `<site>/static/`.
//!
//! Output layout of static files: the theme's go under `assets/` (so they
//! cannot collide with pages), the site's are copied to the site root at
//! their path under `static/` (`static/img/logo.svg` -> `img/logo.svg`),
//! which is how `logo` and `photo` paths in the content are written. A site
//! replaces a theme asset with `static/assets/<name>`. The theme's CSS and
//! JS are minified on the way (`minify.rs`); the site's files are not.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tera::{Kwargs, State, Tera, Value};
use walkdir::WalkDir;

use super::i18n::Strings;
use super::{RenderError, minify};

/// Name of the theme compiled into the binary.
pub const BUILTIN_THEME: &str = "default";

/// Templates every theme must provide (directly or through a site override).
pub const REQUIRED_TEMPLATES: [&str; 7] = [
    "index.html",
    "department.html",
    "contact.html",
    "thanks.html",
    "notice.html",
    "page.html",
    "404.html",
];

/// Templates a theme may leave out: the built-in ones are used (they extend
/// the theme's own `base.html`), so themes written before these pages
/// existed keep working.
const OPTIONAL_TEMPLATES: [&str; 2] = ["people.html", "departments.html"];

macro_rules! builtin_files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/default/", $path)))),*]
    };
}

/// `themes/default`, embedded. A unit test checks this list against the folder.
const BUILTIN: &[(&str, &[u8])] = builtin_files!(
    "templates/base.html",
    "templates/index.html",
    "templates/department.html",
    "templates/contact.html",
    "templates/thanks.html",
    "templates/notice.html",
    "templates/page.html",
    "templates/404.html",
    "templates/partials/contact_form.html",
    "templates/partials/department_card.html",
    "templates/partials/hours.html",
    "templates/partials/script.html",
    "templates/people.html",
    "templates/departments.html",
    "static/site.css",
    "static/directory.js",
    "static/form.css",
    "static/form.js",
    "static/people.css",
);

/// A loaded theme: compiled templates and the static files to copy.
pub struct Theme {
    pub(crate) tera: Tera,
    /// Output path -> bytes, site overrides already applied.
    pub(crate) static_files: BTreeMap<String, Vec<u8>>,
    /// Template name -> where it came from, for error messages.
    origins: HashMap<String, String>,
    /// The theme's string tables with the site's overrides (`i18n/`).
    pub(crate) strings: Strings,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("templates", &self.origins.keys().collect::<Vec<_>>())
            .field(
                "static_files",
                &self.static_files.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Theme {
    /// Loads theme `theme_name` for the site at `site_root`, applies the site's
    /// overrides and compiles every template.
    pub fn load(site_root: &Path, theme_name: &str) -> Result<Theme, RenderError> {
        let dir = site_root.join("themes").join(theme_name);
        let mut templates: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut statics: BTreeMap<String, Vec<u8>> = BTreeMap::new();

        if dir.is_dir() {
            for (name, path, bytes) in read_tree(&dir.join("templates"))? {
                templates.insert(name, (path.display().to_string(), utf8(&path, bytes)?));
            }
            for (name, _, bytes) in read_tree(&dir.join("static"))? {
                statics.insert(format!("assets/{name}"), minify::theme_asset(&name, bytes));
            }
        } else if theme_name == BUILTIN_THEME {
            for (path, bytes) in BUILTIN {
                let shown = format!("(built-in) themes/default/{path}");
                if let Some(name) = path.strip_prefix("templates/") {
                    let text = utf8(Path::new(&shown), bytes.to_vec())?;
                    templates.insert(name.to_string(), (shown, text));
                } else if let Some(name) = path.strip_prefix("static/") {
                    statics.insert(
                        format!("assets/{name}"),
                        minify::theme_asset(name, bytes.to_vec()),
                    );
                }
            }
        } else {
            return Err(RenderError::ThemeNotFound {
                theme: theme_name.to_string(),
                path: dir,
            });
        }

        for (name, path, bytes) in read_tree(&site_root.join("templates"))? {
            templates.insert(name, (path.display().to_string(), utf8(&path, bytes)?));
        }
        for (name, _, bytes) in read_tree(&site_root.join("static"))? {
            statics.insert(name, bytes);
        }

        for optional in OPTIONAL_TEMPLATES {
            let builtin = BUILTIN
                .iter()
                .find(|(path, _)| path.strip_prefix("templates/") == Some(optional));
            if let (false, Some((path, bytes))) = (templates.contains_key(optional), builtin) {
                let shown = format!("(built-in) themes/default/{path}");
                let text = utf8(Path::new(&shown), bytes.to_vec())?;
                templates.insert(optional.to_string(), (shown, text));
            }
        }
        for required in REQUIRED_TEMPLATES {
            if !templates.contains_key(required) {
                return Err(RenderError::MissingTemplate {
                    theme: theme_name.to_string(),
                    template: required.to_string(),
                    searched: format!(
                        "{} and {}",
                        dir.join("templates").display(),
                        site_root.join("templates").display()
                    ),
                });
            }
        }

        let theme_i18n = dir.join("i18n");
        let strings = Strings::load(
            dir.is_dir().then_some(theme_i18n.as_path()),
            &site_root.join("i18n"),
        )?;

        let mut tera = Tera::new();
        register_filters(&mut tera);
        let origins: HashMap<String, String> = templates
            .iter()
            .map(|(name, (origin, _))| (name.clone(), origin.clone()))
            .collect();
        // All at once, so `extends` and `include` resolve across files.
        let result = tera.add_raw_templates(
            templates
                .iter()
                .map(|(name, (_, text))| (name.as_str(), text.as_str())),
        );
        let theme = Theme {
            tera,
            static_files: statics,
            origins,
            strings,
        };
        result.map_err(|e| theme.error("", e))?;
        Ok(theme)
    }

    /// Every table of strings the theme's pages draw from.
    pub fn strings(&self) -> &Strings {
        &self.strings
    }

    /// Names of the compiled templates.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        self.tera.get_template_names()
    }

    /// Renders `template` with `ctx`, mapping errors to the template's file.
    pub(crate) fn render(
        &self,
        template: &str,
        ctx: &tera::Context,
    ) -> Result<String, RenderError> {
        self.render_sized(template, ctx, 16 * 1024)
    }

    /// Like [`Theme::render`], into a buffer of `capacity` bytes: the home page
    /// of a large directory is megabytes, and growing a buffer that size by
    /// doubling costs more than filling it.
    pub(crate) fn render_sized(
        &self,
        template: &str,
        ctx: &tera::Context,
        capacity: usize,
    ) -> Result<String, RenderError> {
        let mut buf = Vec::with_capacity(capacity);
        self.tera
            .render_to(template, ctx, &mut buf)
            .map_err(|e| self.error(template, e))?;
        // Valid UTF-8 templates and values render to valid UTF-8.
        String::from_utf8(buf).map_err(|e| RenderError::Template {
            file: template.to_string(),
            line: 0,
            message: e.to_string(),
        })
    }

    /// A tera error as a [`RenderError`] naming the file the template came from.
    fn error(&self, template: &str, e: tera::Error) -> RenderError {
        match RenderError::from_tera(template, e) {
            RenderError::Template {
                file,
                line,
                message,
            } => RenderError::Template {
                file: self.origins.get(&file).cloned().unwrap_or(file),
                line,
                message,
            },
            other => other,
        }
    }
}

/// Every file under `dir` as (`/`-separated relative name, path, bytes);
/// nothing when `dir` does not exist. Hidden files (editor droppings like
/// `.index.html.swp`) are skipped.
fn read_tree(dir: &Path) -> Result<Vec<(String, PathBuf, Vec<u8>)>, RenderError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let walker = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.map_err(|e| RenderError::Io {
            path: e.path().unwrap_or(dir).to_path_buf(),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let bytes = std::fs::read(&path).map_err(|source| RenderError::Io {
            path: path.clone(),
            source,
        })?;
        out.push((name, path, bytes));
    }
    Ok(out)
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, RenderError> {
    String::from_utf8(bytes).map_err(|_| RenderError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Filters the default theme uses; site templates may use them too.
fn register_filters(tera: &mut Tera) {
    // `{{ t.home_intro | link(href=root ~ contact_path) }}`: the text,
    // escaped, with its `[bracketed part]` as a link to `href`. So a
    // translation places the link where its language wants it.
    tera.register_filter(
        "link",
        |v: &str, kwargs: Kwargs, _: &State| -> tera::TeraResult<Value> {
            let href = kwargs.must_get::<&str>("href")?;
            Ok(Value::safe_string(&linked(v, href)))
        },
    );
    // `{{ phone | tel_href }}` -> `tel:+4930123`; accepts a Phone or a string.
    // Only `+` and digits survive, so the link can never carry anything else.
    tera.register_filter("tel_href", |v: Value, _: Kwargs, _: &State| {
        let raw = v
            .as_map()
            .and_then(|m| {
                m.get(&"e164".into())
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
            })
            .or_else(|| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let clean: String = raw
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        format!("tel:{clean}")
    });
    // `{{ contact.email | mailto }}` -> `mailto:ana@example.org`, percent-encoding
    // what could break out of the URL.
    tera.register_filter("mailto", |v: &str, _: Kwargs, _: &State| {
        let mut out = String::from("mailto:");
        for c in v.chars() {
            match c {
                '?' | '&' | '#' | '%' | '"' | '<' | '>' | ' ' | '\n' | '\r' => {
                    out.push_str(&format!("%{:02X}", c as u32));
                }
                _ => out.push(c),
            }
        }
        out
    });
    // `{{ contact.email | break_address }}`: the address escaped, with `<wbr>`
    // after `@` and before each dot, so a narrow card breaks it there
    // (`anais.dubois@` / `harbourlight.example`), never mid-word.
    tera.register_filter("break_address", |v: &str, _: Kwargs, _: &State| {
        Value::safe_string(&break_address(v))
    });
}

/// See the `break_address` filter.
fn break_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len() + 16);
    for (i, c) in address.char_indices() {
        if c == '.' && i > 0 {
            out.push_str("<wbr>");
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
        if c == '@' {
            out.push_str("<wbr>");
        }
    }
    out
}

/// `text` escaped, with its first `[…]` as `<a href="href">…</a>`.
fn linked(text: &str, href: &str) -> String {
    let escape = |s: &str| {
        let mut buf = Vec::new();
        // Writing to a Vec cannot fail; the input is UTF-8, so is the output.
        let _ = tera::escape_html(s, &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    };
    match text.split_once('[').and_then(|(before, rest)| {
        rest.split_once(']')
            .map(|(inside, after)| (before, inside, after))
    }) {
        Some((before, inside, after)) => format!(
            "{}<a href=\"{}\">{}</a>{}",
            escape(before),
            escape(href),
            escape(inside),
            escape(after)
        ),
        None => escape(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_filter_escapes_and_links() {
        assert_eq!(
            linked("Or [write <us>] & more", "../contact/?a=1&b=\""),
            "Or <a href=\"../contact/?a=1&amp;b=&quot;\">write &lt;us&gt;</a> &amp; more"
        );
        assert_eq!(linked("no link", "x"), "no link");
    }

    #[test]
    fn addresses_break_at_the_at_sign_and_dots_only() {
        assert_eq!(
            break_address("anais.dubois@harbourlight.example"),
            "anais<wbr>.dubois@<wbr>harbourlight<wbr>.example"
        );
        assert_eq!(break_address("a<b>@x"), "a&lt;b&gt;@<wbr>x");
    }

    #[test]
    fn builtin_list_matches_the_theme_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        let on_disk: Vec<String> = read_tree(&dir)
            .unwrap()
            .into_iter()
            .map(|(name, _, _)| name)
            // The string tables are embedded by, and checked in, i18n.rs.
            .filter(|name| !name.starts_with("i18n/"))
            .collect();
        let mut embedded: Vec<String> = BUILTIN.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "update BUILTIN in theme.rs");
    }

    #[test]
    fn builtin_theme_loads_without_a_themes_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let theme = Theme::load(tmp.path(), "default").unwrap();
        assert!(theme.static_files.contains_key("assets/site.css"));
        assert!(theme.template_names().any(|n| n == "index.html"));
    }

    #[test]
    fn unknown_theme_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Theme::load(tmp.path(), "fancy").unwrap_err();
        assert!(err.to_string().contains("fancy"), "{err}");
    }

    #[test]
    fn site_overrides_templates_and_static_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("templates")).unwrap();
        std::fs::create_dir_all(tmp.path().join("static/img")).unwrap();
        std::fs::write(tmp.path().join("templates/404.html"), "gone").unwrap();
        std::fs::write(tmp.path().join("static/img/logo.svg"), "<svg/>").unwrap();
        let theme = Theme::load(tmp.path(), "default").unwrap();
        assert_eq!(
            theme.render("404.html", &tera::Context::new()).unwrap(),
            "gone"
        );
        assert_eq!(theme.static_files["img/logo.svg"], b"<svg/>");
    }

    #[test]
    fn template_errors_name_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("templates")).unwrap();
        std::fs::write(
            tmp.path().join("templates/page.html"),
            "line one\nline two\n{% if %}\n",
        )
        .unwrap();
        let err = Theme::load(tmp.path(), "default").unwrap_err();
        match &err {
            RenderError::Template { file, line, .. } => {
                assert!(file.ends_with("templates/page.html"), "{file}");
                assert_eq!(*line, 3);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
