use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use switchboard::diagnostic::{Diagnostic, Diagnostics, Severity};
use switchboard::model::{Site, TranslationGaps, load_site_with_gaps};
use switchboard::render::Theme;
use switchboard::router_texts::{i18n_file, router_strings, router_text_gaps};

/// Untranslated texts shown in full per file; `--strict` shows every one.
const GAPS_PER_FILE: usize = 3;
/// Files whose untranslated texts are shown; the rest are counted.
const GAP_FILES: usize = 20;

/// `strict`: missing translations are errors, not warnings.
pub fn run(root: &Path, strict: bool) -> anyhow::Result<ExitCode> {
    let (mut site, mut gaps) = load_site_with_gaps(root, None);
    if let Ok(loaded) = &site
        && let Err(errors) = check_router_texts(loaded, &mut gaps)
    {
        site = Err(errors);
    }
    if let Ok(loaded) = &site {
        // The theme as `build` loads it: its templates and every table of
        // strings (the site's `i18n/` included) must load.
        match Theme::load(&loaded.root, &loaded.config.theme) {
            Ok(theme) => add_theme_gaps(loaded, &theme, &mut gaps),
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    if strict {
        let mut errors = site.as_ref().err().cloned().unwrap_or_default();
        errors.0.extend(
            gaps.warnings
                .iter()
                .map(|gap| gap.clone().with_severity(Severity::Error)),
        );
        errors.sort();
        if !errors.is_empty() {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    }
    let code = match &site {
        Ok(site) => {
            println!(
                "The content is valid: {} departments, {} contacts, {} topics, {} pages.",
                site.departments.len(),
                site.contacts().count(),
                site.topics.len(),
                site.pages.len()
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            ExitCode::FAILURE
        }
    };
    if let Some(summary) = gaps.summary() {
        if site.is_err() {
            eprintln!();
        }
        for warning in capped(&gaps) {
            eprintln!("{warning}\n");
        }
        eprintln!(
            "{summary}: visitors read the default language's text there; `switchboard check --strict` lists every one as an error"
        );
    }
    Ok(code)
}

/// The site's `[router]` tables: a bad one is an error (as at build); a
/// site language the router has no texts for is a gap, like content.
fn check_router_texts(site: &Site, gaps: &mut TranslationGaps) -> Result<(), Diagnostics> {
    let strings = router_strings(site)?;
    for gap in router_text_gaps(site, &strings) {
        let file = i18n_file(&gap.language);
        gaps.warnings.push(
            Diagnostic::file(
                &file,
                format!(
                    "{} of the router's texts have no `{}` translation: visitors writing in it get the default language's answers and acknowledgement",
                    gap.missing, gap.language
                ),
            )
            .with_severity(Severity::Warning)
            .with_hint(format!(
                "add them under `[router]` in {} (the keys and English texts are in functions/router/messages/en.toml)",
                file.display()
            )),
        );
        *gaps.missing.entry(gap.language).or_default() += gap.missing;
    }
    Ok(())
}

/// A site language the theme has no strings for is a gap: its pages show
/// the default language's words there.
fn add_theme_gaps(site: &Site, theme: &Theme, gaps: &mut TranslationGaps) {
    for code in &site.config.languages {
        let missing = theme.strings().missing_in(code);
        if missing == 0 {
            continue;
        }
        let file = i18n_file(code);
        gaps.warnings.push(
            Diagnostic::file(
                &file,
                format!(
                    "{missing} of the theme's texts have no `{code}` translation: its pages show the default language's words there"
                ),
            )
            .with_severity(Severity::Warning)
            .with_hint(format!(
                "add them to {} (the keys and English texts are in themes/default/i18n/en.toml)",
                file.display()
            )),
        );
        *gaps.missing.entry(code.clone()).or_default() += missing;
    }
}

/// The first few gaps of the first files in full, the rest as counts, so a
/// site that has just added a language gets a readable report.
fn capped(gaps: &TranslationGaps) -> Vec<Diagnostic> {
    let mut by_file: BTreeMap<&PathBuf, Vec<&Diagnostic>> = BTreeMap::new();
    for warning in &gaps.warnings {
        by_file.entry(&warning.file).or_default().push(warning);
    }
    let mut shown = Vec::new();
    let mut hidden = (0, 0); // (texts, files)
    for (index, (file, warnings)) in by_file.iter().enumerate() {
        if index >= GAP_FILES {
            hidden = (hidden.0 + warnings.len(), hidden.1 + 1);
            continue;
        }
        shown.extend(warnings.iter().take(GAPS_PER_FILE).copied().cloned());
        let more = warnings.len().saturating_sub(GAPS_PER_FILE);
        if more > 0 {
            shown.push(warning(
                file,
                format!("{more} more untranslated text{} in this file", plural(more)),
            ));
        }
    }
    if hidden.0 > 0 {
        let (texts, files) = hidden;
        shown.push(warning(
            Path::new("content"),
            format!(
                "{texts} more untranslated text{} in {files} more file{}",
                plural(texts),
                plural(files)
            ),
        ));
    }
    shown
}

fn warning(file: &Path, message: String) -> Diagnostic {
    Diagnostic::file(file, message)
        .with_severity(Severity::Warning)
        .with_hint("`switchboard check --strict` lists every one")
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(file: &str) -> Diagnostic {
        Diagnostic::file(file, "`name` has no translation into fr").with_severity(Severity::Warning)
    }

    #[test]
    fn shows_a_few_gaps_per_file_and_counts_the_rest() {
        let mut warnings: Vec<Diagnostic> = (0..5).map(|_| gap("content/a.toml")).collect();
        warnings.extend((0..(GAP_FILES + 2)).map(|i| gap(&format!("content/f{i:02}.toml"))));
        let gaps = TranslationGaps {
            warnings,
            ..TranslationGaps::default()
        };
        let shown = capped(&gaps);
        let messages: Vec<&str> = shown.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages
                .iter()
                .filter(|m| m.contains("has no translation"))
                .count(),
            GAPS_PER_FILE + GAP_FILES - 1
        );
        assert!(
            messages.contains(&"2 more untranslated texts in this file"),
            "{messages:?}"
        );
        assert_eq!(
            messages.last(),
            Some(&"3 more untranslated texts in 3 more files")
        );
    }
}
