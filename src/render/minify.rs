//! Smaller theme assets: the theme's sources stay commented and indented,
//! the built site gets them without comments and needless whitespace.
//! Only that goes, nothing is renamed or rewritten, so what runs is what
//! was written: strings (and JS's regular expressions) are copied as they
//! are, and JS keeps the line breaks its automatic semicolons may need.
//! (The registry's JS minifiers were tried on the theme: `minify-js` 0.6
//! panics on it, `minifier` 0.4 turns `60 + +p.minute` into `60++p.minute`.)
//! A site's own files (`static/`) are copied as they are.

use std::iter::Peekable;
use std::str::Chars;

/// `bytes` of the theme asset `name`, minified when it is CSS or JS.
pub(super) fn theme_asset(name: &str, bytes: Vec<u8>) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return bytes;
    };
    if name.ends_with(".css") {
        css(text).into_bytes()
    } else if name.ends_with(".js") {
        js(text).map(String::into_bytes).unwrap_or(bytes)
    } else {
        bytes
    }
}

/// CSS without comments, with whitespace only where it separates words
/// (`0 auto`, `a .b`) and without the 0 of `0.5`; strings are kept as written.
fn css(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for d in chars.by_ref() {
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
                space = true;
            }
            '"' | '\'' => {
                flush_space(&mut out, &mut space, c);
                out.push(c);
                // A CSS string cannot hold a line break either; an unclosed
                // one is copied as it is.
                let _ = copy_until(&mut chars, &mut out, c);
            }
            c if c.is_whitespace() => space = true,
            _ => {
                flush_space(&mut out, &mut space, c);
                if c == '}' && out.ends_with(';') {
                    out.pop();
                }
                // `0.5rem` -> `.5rem`, where the 0 begins a number.
                let mut ahead = chars.clone();
                let fraction =
                    ahead.next() == Some('.') && ahead.next().is_some_and(|d| d.is_ascii_digit());
                if !(c == '0' && fraction && out.ends_with([':', ' ', '(', ','])) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Writes the pending space before `next` unless a neighbour makes it
/// meaningless: after or before `{ } ; ,`, after `:` (a selector never has
/// `: `; `a :hover` keeps its space), around `>` in selectors and before
/// `!important`.
fn flush_space(out: &mut String, space: &mut bool, next: char) {
    if std::mem::take(space)
        && !out.is_empty()
        && !out.ends_with(['{', '}', ';', ',', ':', '>'])
        && !matches!(next, '{' | '}' | ';' | ',' | '>' | '!')
    {
        out.push(' ');
    }
}

/// JS without comments and with whitespace only where it is needed: between
/// two words (`var a`), in `a + +b` or `a - -b`, and line breaks where
/// automatic semicolons may depend on them. `None` when the file has a
/// template literal (its text may span lines) or an unclosed string,
/// comment or regular expression: then it is served as written.
fn js(source: &str) -> Option<String> {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    // Whitespace seen since the last token: none, a space, or a line break.
    let mut gap = Gap::None;
    while let Some(c) = chars.next() {
        match c {
            '`' => return None,
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                gap = Gap::Line;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let (mut last, mut closed, mut line) = (' ', false, false);
                for d in chars.by_ref() {
                    if last == '*' && d == '/' {
                        closed = true;
                        break;
                    }
                    line |= d == '\n';
                    last = d;
                }
                if !closed {
                    return None;
                }
                gap = gap.max(if line { Gap::Line } else { Gap::Space });
            }
            c if c.is_whitespace() => gap = gap.max(if c == '\n' { Gap::Line } else { Gap::Space }),
            _ => {
                separate(&mut out, std::mem::take(&mut gap), c);
                if c == '"' || c == '\'' {
                    out.push(c);
                    copy_until(&mut chars, &mut out, c)?;
                } else if c == '/' && regex_may_start(&out) {
                    out.push(c);
                    copy_regex(&mut chars, &mut out)?;
                } else {
                    out.push(c);
                }
            }
        }
    }
    out.push('\n');
    Some(out)
}

/// Whitespace between two tokens, the line break being the stronger.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    #[default]
    None,
    Space,
    Line,
}

/// Writes what `gap` must become before `next`: a line break unless the
/// token before or after cannot end or start a statement (so no automatic
/// semicolon hangs on it), a space between words and between `+ +`, `- -`
/// or `/ /`, else nothing.
fn separate(out: &mut String, gap: Gap, next: char) {
    let Some(last) = out.chars().next_back() else {
        return;
    };
    let word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '$' | '\\') || !c.is_ascii();
    match gap {
        Gap::None => {}
        Gap::Line if !"{;,([:?=&|*%<>!".contains(last) && !")]},;.:?".contains(next) => {
            out.push('\n');
        }
        _ if (word(last) && word(next)) || (last == next && "+-/".contains(last)) => out.push(' '),
        _ => {}
    }
}

/// Whether a `/` after `out` starts a regular expression rather than
/// dividing: after an operator, an opening bracket or a keyword.
fn regex_may_start(out: &str) -> bool {
    let trimmed = out.trim_end();
    match trimmed.chars().next_back() {
        None => true,
        Some(c) if c.is_alphanumeric() || matches!(c, '_' | '$') => {
            let word: String = trimmed
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '$'))
                .collect();
            let word: String = word.chars().rev().collect();
            matches!(
                word.as_str(),
                "return"
                    | "typeof"
                    | "case"
                    | "do"
                    | "else"
                    | "in"
                    | "of"
                    | "new"
                    | "delete"
                    | "void"
                    | "throw"
                    | "instanceof"
                    | "yield"
                    | "await"
            )
        }
        Some(c) => !matches!(c, ')' | ']' | '"' | '\''),
    }
}

/// Copies a string's rest through its closing `quote`.
fn copy_until(chars: &mut Peekable<Chars>, out: &mut String, quote: char) -> Option<()> {
    let mut escaped = false;
    for d in chars.by_ref() {
        out.push(d);
        if escaped {
            escaped = false;
        } else if d == '\\' {
            escaped = true;
        } else if d == quote {
            return Some(());
        } else if d == '\n' {
            return None;
        }
    }
    None
}

/// Copies a regular expression's rest through its closing `/` (a `/` in a
/// `[class]` or escaped does not close it).
fn copy_regex(chars: &mut Peekable<Chars>, out: &mut String) -> Option<()> {
    let (mut escaped, mut class) = (false, false);
    for d in chars.by_ref() {
        out.push(d);
        match d {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => class = true,
            ']' => class = false,
            '/' if !class => return Some(()),
            '\n' => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_loses_comments_and_spaces_but_keeps_meaning() {
        let source = "/* theme */\n[hidden] { display: none !important; }\n.a > .b,\n.c :hover {\n  margin: 0 auto;\n  content: \"a  /* b */\";\n}\n\
                      @media (min-width: 40em) { .d { width: calc(1px + 2%); margin: 0.5rem 10.5% -0.5em; } }\n";
        assert_eq!(
            css(source),
            "[hidden]{display:none!important}.a>.b,.c :hover{margin:0 auto;content:\"a  /* b */\"}\
             @media (min-width:40em){.d{width:calc(1px + 2%);margin:.5rem 10.5% -0.5em}}"
        );
    }

    #[test]
    fn js_loses_comments_and_spaces_but_keeps_meaning() {
        let source = "/* A file\n   comment. */\n(function () {\n  // note\n  var a = 1; /* gone */\n\n  \
                      var re = /[/*]\\/ x/g, s = \"a  // b\", t = 'c /* d */';\n  \
                      var b = a / 2 / re, m = 60 + +b - -a, n = a++\n  b = typeof /x/;\n  \
                      return\n  n;\n})();\n";
        assert_eq!(
            js(source).unwrap(),
            "(function(){var a=1;var re=/[/*]\\/ x/g,s=\"a  // b\",t='c /* d */';\
             var b=a/2/re,m=60+ +b- -a,n=a++\nb=typeof/x/;return\nn;})();\n"
        );
    }

    #[test]
    fn template_literals_and_other_files_are_left_alone() {
        let source = b"var t = `\n  two lines`;\n".to_vec();
        assert_eq!(theme_asset("x.js", source.clone()), source);
        let continued = b"var s = \"a\\\n  b\";\n".to_vec();
        assert_eq!(theme_asset("x.js", continued), b"var s=\"a\\\n  b\";\n");
        let unclosed = b"var s = \"a\n  b\";\n".to_vec();
        assert_eq!(theme_asset("x.js", unclosed.clone()), unclosed);
        assert_eq!(
            theme_asset("x.js", b"/* `a` */\n  f( 1 );\n".to_vec()),
            b"f(1);\n"
        );
        assert_eq!(
            theme_asset("x.svg", b"<svg>  </svg>".to_vec()),
            b"<svg>  </svg>"
        );
    }
}
