//! Errors in an editor's files, pointed at the exact place: file, line,
//! column, the offending line, and what to do about it.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A file read from the site, kept so errors can quote it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative to the site root, as the editor would type it.
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    fn line_text(&self, line: usize) -> &str {
        self.text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Whether a problem stops the build (an error) or only deserves a look
/// (a warning, such as a missing translation that falls back).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

/// One problem with the site's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
    /// The source line, with a marker under the offending part.
    pub snippet: Option<Snippet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// Character columns (0-based) of the marker under `text`.
    pub marker: Range<usize>,
}

impl Diagnostic {
    /// A problem with a whole file (missing, unreadable, misnamed).
    pub fn file(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: path.as_ref().to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            hint: None,
            snippet: None,
        }
    }

    /// A problem at a byte range of a file.
    pub fn at(source: &SourceFile, span: Range<usize>, message: impl Into<String>) -> Self {
        let (line, column) = source.line_col(span.start);
        let text = source.line_text(line).to_string();
        let (end_line, end_column) = source.line_col(span.end.max(span.start));
        let width = if end_line == line {
            end_column.saturating_sub(column).max(1)
        } else {
            text.chars().count().saturating_sub(column - 1).max(1)
        };
        Diagnostic {
            severity: Severity::Error,
            file: source.path.clone(),
            line,
            column,
            message: message.into(),
            hint: None,
            snippet: Some(Snippet {
                text,
                marker: column - 1..column - 1 + width,
            }),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// `file:line:column`, the form editors and terminals make clickable.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.display().to_string()
        } else {
            format!("{}:{}:{}", self.file.display(), self.line, self.column)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{label}: {}", self.message)?;
        write!(f, "  --> {}", self.location())?;
        if let Some(snippet) = &self.snippet {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            write!(f, "\n {pad} |\n {number} | {}\n {pad} | ", snippet.text)?;
            let marker = " ".repeat(snippet.marker.start) + &"^".repeat(snippet.marker.len());
            write!(f, "{marker}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// All the problems found in one pass, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Orders by file, then position, so reports read top to bottom.
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}\n")?;
        }
        let count = self.0.len();
        write!(
            f,
            "{count} error{} in the site's content",
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}

/// The closest of `candidates` to `word`, when close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_not_bytes() {
        let source = SourceFile::new("a.toml", "name = \"Zoë\"\nphone = 12\n");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(14), (2, 1));
        assert_eq!(source.line_col(22), (2, 9));
        // Offsets inside a multi-byte character snap back to its start.
        assert_eq!(source.line_col(11), (1, 11));
    }

    #[test]
    fn renders_location_snippet_and_hint() {
        let source = SourceFile::new(
            "content/departments/sales.toml",
            "id = \"sales\"\nnmae = \"Sales\"\n",
        );
        let diagnostic =
            Diagnostic::at(&source, 13..17, "unknown key `nmae`").with_hint("did you mean `name`?");
        assert_eq!(
            diagnostic.to_string(),
            "error: unknown key `nmae`\n  --> content/departments/sales.toml:2:1\n   |\n 2 | nmae = \"Sales\"\n   | ^^^^\n  = hint: did you mean `name`?"
        );
    }

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(
            did_you_mean("nmae", ["name", "summary", "inbox"]),
            Some("name")
        );
        assert_eq!(did_you_mean("zzz", ["name", "summary", "inbox"]), None);
    }
}
