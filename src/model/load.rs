//! Reading the site's files and parsing them into the raw schema. Every file
//! is read and parsed even when an earlier one fails, so an editor sees all
//! problems in one run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use super::schema::{
    DepartmentFile, PageFrontMatter, PageTranslationFrontMatter, SiteFile, TopicsFile,
};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile, did_you_mean};

/// Where content lives inside a site root.
pub const CONTENT_DIR: &str = "content";

/// A parsed file together with its text, for error locations.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub source: SourceFile,
    pub value: T,
}

/// A Markdown page: front matter parsed, body still Markdown.
pub struct RawPage {
    pub source: SourceFile,
    pub slug: String,
    pub front: PageFrontMatter,
    pub markdown: String,
}

/// A page in another language: `about.de.md` beside `about.md`.
pub struct RawPageTranslation {
    pub source: SourceFile,
    /// The default page's slug: `about`.
    pub slug: String,
    /// The code between the slug and `.md`: `de`.
    pub language: String,
    pub front: PageTranslationFrontMatter,
    pub markdown: String,
}

/// Everything under `content/`, parsed as far as each file allows.
pub struct RawSite {
    pub site: Option<Parsed<SiteFile>>,
    pub departments: Vec<Parsed<DepartmentFile>>,
    /// File stems of department files that failed to parse (already reported).
    pub unparsed_departments: Vec<String>,
    pub topics: Option<Parsed<TopicsFile>>,
    pub pages: Vec<RawPage>,
    pub page_translations: Vec<RawPageTranslation>,
    /// (slug, language) of translated pages that failed to parse (already
    /// reported), so they are not also reported missing.
    pub unparsed_page_translations: Vec<(String, String)>,
}

/// Department files as last parsed, for `serve` and `watch`: an editor
/// changes one file at a time, and a large organisation has thousands, so
/// a rebuild re-parses only the files whose text changed.
#[derive(Debug, Default)]
pub struct ParseCache(Mutex<HashMap<PathBuf, Arc<Parsed<DepartmentFile>>>>);

impl ParseCache {
    /// The parse of `source` if the same file had the same text last time.
    fn get(&self, source: &SourceFile) -> Option<Arc<Parsed<DepartmentFile>>> {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&source.path)
            .filter(|cached| cached.source.text == source.text)
            .cloned()
    }

    /// Keeps exactly `parsed`: files that went away or stopped parsing are forgotten.
    fn replace(&self, parsed: impl Iterator<Item = Arc<Parsed<DepartmentFile>>>) {
        let fresh = parsed.map(|p| (p.source.path.clone(), p)).collect();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
    }
}

/// Reads and parses every content file under `root`, collecting problems.
/// With a `cache`, department files whose text is unchanged are not parsed again.
pub fn read_site(
    root: &Path,
    cache: Option<&ParseCache>,
    diagnostics: &mut Diagnostics,
) -> RawSite {
    let content = root.join(CONTENT_DIR);
    if !content.is_dir() {
        diagnostics.push(
            Diagnostic::file(CONTENT_DIR, "no `content/` folder here").with_hint(format!(
                "run switchboard inside a site folder, pass --root, or create one with `switchboard init {}`",
                root.display()
            )),
        );
        return RawSite {
            site: None,
            departments: Vec::new(),
            unparsed_departments: Vec::new(),
            topics: None,
            pages: Vec::new(),
            page_translations: Vec::new(),
            unparsed_page_translations: Vec::new(),
        };
    }
    let site = read_required(root, "content/site.toml", diagnostics)
        .and_then(|source| parse_toml(source, diagnostics));
    let topics = read_required(root, "content/topics.toml", diagnostics)
        .and_then(|source| parse_toml(source, diagnostics));
    let mut departments = Vec::new();
    let mut unparsed_departments = Vec::new();
    let department_files = content_files(root, "content/departments", "toml");
    // A large organisation has thousands of department files: read and parse
    // them on every core, then merge in file order.
    let parsed = parallel_map(&department_files, |path| {
        let mut found = Diagnostics::default();
        let Some(source) = read_file(root, path, &mut found) else {
            return (None, found, None);
        };
        let Some(cache) = cache else {
            return (parse_toml(source, &mut found), found, None);
        };
        // One copy per file and load: the cache keeps one, the model takes the other.
        match cache.get(&source) {
            Some(cached) => (Some(Parsed::clone(&cached)), found, Some(cached)),
            None => {
                let parsed = parse_toml::<DepartmentFile>(source, &mut found);
                let kept = parsed.clone().map(Arc::new);
                (parsed, found, kept)
            }
        }
    });
    let mut keep = Vec::new();
    for (path, (parsed, found, kept)) in department_files.iter().zip(parsed) {
        diagnostics.0.extend(found.0);
        keep.extend(kept);
        match parsed {
            Some(parsed) => departments.push(parsed),
            None => unparsed_departments.extend(
                path.file_stem()
                    .and_then(|stem| stem.to_str())
                    .map(str::to_string),
            ),
        }
    }
    if let Some(cache) = cache {
        cache.replace(keep.into_iter());
    }
    let mut pages = Vec::new();
    let mut page_translations = Vec::new();
    let mut unparsed_page_translations = Vec::new();
    for path in content_files(root, "content/pages", "md") {
        let Some(source) = read_file(root, &path, diagnostics) else {
            continue;
        };
        match page_language(&source.path) {
            Some((slug, language)) => match parse_front_matter(&source, diagnostics) {
                Some((front, markdown)) => page_translations.push(RawPageTranslation {
                    slug,
                    language,
                    front,
                    markdown,
                    source,
                }),
                None => unparsed_page_translations.push((slug, language)),
            },
            None => pages.extend(parse_page(source, diagnostics)),
        }
    }
    RawSite {
        site,
        departments,
        unparsed_departments,
        topics,
        pages,
        page_translations,
        unparsed_page_translations,
    }
}

/// `about.de.md` → (`about`, `de`); `None` for a default-language page.
fn page_language(path: &Path) -> Option<(String, String)> {
    let stem = path.file_stem()?.to_str()?;
    let (slug, language) = stem.rsplit_once('.')?;
    Some((slug.to_string(), language.to_string()))
}

/// `f` over `items` on every core (in contiguous chunks), results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .min(items.len() / 64)
        .max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                s.spawn(move || part.iter().map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Files with `extension` under `dir`, sorted, skipping hidden and editor temp files.
fn content_files(root: &Path, dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = WalkDir::new(root.join(dir))
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| entry.into_path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && path.extension().is_some_and(|e| e == extension)
        })
        .filter_map(|path| path.strip_prefix(root).ok().map(Path::to_path_buf))
        .collect();
    files.sort();
    files
}

fn read_required(root: &Path, relative: &str, diagnostics: &mut Diagnostics) -> Option<SourceFile> {
    if !root.join(relative).is_file() {
        diagnostics.push(
            Diagnostic::file(relative, format!("`{relative}` is missing"))
                .with_hint("every site needs it: `switchboard init` shows a complete example"),
        );
        return None;
    }
    read_file(root, Path::new(relative), diagnostics)
}

pub(crate) fn read_file(
    root: &Path,
    relative: &Path,
    diagnostics: &mut Diagnostics,
) -> Option<SourceFile> {
    match std::fs::read(root.join(relative)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(SourceFile::new(relative, text)),
            Err(_) => {
                diagnostics.push(
                    Diagnostic::file(relative, "the file is not valid UTF-8")
                        .with_hint("save it as UTF-8 in your editor"),
                );
                None
            }
        },
        Err(error) => {
            diagnostics.push(Diagnostic::file(
                relative,
                format!("cannot read the file: {error}"),
            ));
            None
        }
    }
}

fn parse_toml<T: DeserializeOwned>(
    source: SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<Parsed<T>> {
    match toml::from_str::<T>(&source.text) {
        Ok(value) => Some(Parsed { source, value }),
        Err(error) => {
            diagnostics.push(toml_diagnostic(&source, &error, 0));
            None
        }
    }
}

/// A default-language page: its front matter parsed, its body kept.
fn parse_page(source: SourceFile, diagnostics: &mut Diagnostics) -> Option<RawPage> {
    let slug = source
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let (front, markdown) = parse_front_matter(&source, diagnostics)?;
    Some(RawPage {
        source,
        slug,
        front,
        markdown,
    })
}

/// Splits `+++` TOML front matter (parsed as `F`) from a Markdown page's body.
fn parse_front_matter<F: DeserializeOwned>(
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<(F, String)> {
    let text = source.text.trim_start_matches('\u{feff}');
    let bom = source.text.len() - text.len();
    let Some(rest) = text.strip_prefix("+++") else {
        diagnostics.push(
            Diagnostic::at(source, 0..0, "the page has no front matter").with_hint(
                "start the file with a `+++` line, `title = \"…\"`, and another `+++` line",
            ),
        );
        return None;
    };
    let front_start = bom + 3;
    let Some(end) = rest.find("\n+++") else {
        diagnostics.push(
            Diagnostic::at(source, bom..bom + 3, "the front matter is never closed")
                .with_hint("add a line with only `+++` after the front matter"),
        );
        return None;
    };
    let front_text = &rest[..end];
    let after = &rest[end + 4..];
    let markdown = after
        .split_once('\n')
        .map_or("", |(_, body)| body)
        .to_string();
    match toml::from_str::<F>(front_text) {
        Ok(front) => Some((front, markdown)),
        Err(error) => {
            diagnostics.push(toml_diagnostic(source, &error, front_start));
            None
        }
    }
}

/// Turns a TOML or schema error into a diagnostic, with a "did you mean" for unknown keys.
pub(crate) fn toml_diagnostic(
    source: &SourceFile,
    error: &toml::de::Error,
    offset: usize,
) -> Diagnostic {
    let span = error
        .span()
        .map_or(offset..offset, |s| s.start + offset..s.end + offset);
    let message = error.message().trim().to_string();
    if let Some((unknown, expected)) = parse_unknown_field(&message) {
        let diagnostic = Diagnostic::at(source, span, format!("unknown key `{unknown}`"));
        return match did_you_mean(&unknown, expected.iter().map(String::as_str)) {
            Some(close) => diagnostic.with_hint(format!("did you mean `{close}`?")),
            None => diagnostic.with_hint(format!(
                "the keys allowed here are: {}",
                expected.join(", ")
            )),
        };
    }
    if let Some(missing) = parse_missing_field(&message) {
        return Diagnostic::at(source, span, format!("missing key `{missing}`")).with_hint(
            format!("add `{missing} = …` here; the README's content reference lists every key"),
        );
    }
    Diagnostic::at(source, span, message)
        .with_hint("fix the TOML here; see the README's content reference")
}

/// `unknown field `x`, expected one of `a`, `b`` → ("x", ["a", "b"]).
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((unknown.to_string(), expected))
}

fn parse_missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::TopicsFile;

    #[test]
    fn unknown_key_gets_a_did_you_mean_and_its_line() {
        let source = SourceFile::new(
            "content/topics.toml",
            "[[topic]]\nid = \"a\"\nlabell = \"A\"\n",
        );
        let mut diagnostics = Diagnostics::default();
        assert!(parse_toml::<TopicsFile>(source, &mut diagnostics).is_none());
        let diagnostic = &diagnostics.0[0];
        assert_eq!(diagnostic.message, "unknown key `labell`");
        assert_eq!((diagnostic.line, diagnostic.column), (3, 1));
        assert_eq!(diagnostic.hint.as_deref(), Some("did you mean `label`?"));
    }

    #[test]
    fn front_matter_errors_point_into_the_page() {
        let source = SourceFile::new(
            "content/pages/about.md",
            "+++\ntitle = \"About\"\nmenuu = 1\n+++\nHello\n",
        );
        let mut diagnostics = Diagnostics::default();
        assert!(parse_page(source, &mut diagnostics).is_none());
        assert_eq!(diagnostics.0[0].line, 3);
        assert_eq!(
            diagnostics.0[0].hint.as_deref(),
            Some("did you mean `menu`?")
        );
    }

    #[test]
    fn page_body_follows_front_matter() {
        let source = SourceFile::new(
            "content/pages/about.md",
            "+++\ntitle = \"About\"\n+++\n# Hello\n",
        );
        let mut diagnostics = Diagnostics::default();
        let page = parse_page(source, &mut diagnostics).expect("page parses");
        assert_eq!(page.slug, "about");
        assert_eq!(page.markdown, "# Hello\n");
    }
}
