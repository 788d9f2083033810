//! Diagnostics about an inventory file: what is wrong, where (file, line, column, key path),
//! and how it renders for a person. Pure: positions come from byte spans into the source text
//! that the caller already read.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding, located by a byte span in one source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where in the source; `None` only when the finding concerns the file as a whole.
    pub span: Option<Range<usize>>,
    /// The key path, e.g. `nodes[2].host`; empty when the toml parser gave none.
    pub key: String,
    pub message: String,
}

impl Diagnostic {
    pub fn error(span: Range<usize>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span: Some(span),
            key: key.into(),
            message: message.into(),
        }
    }

    pub fn warning(span: Range<usize>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, key, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A line and column, both counted from 1; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

pub fn position(source: &str, offset: usize) -> Position {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Position { line, column }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Diagnostics of one file, with the text needed to render them.
#[derive(Debug, Clone)]
pub struct FileDiagnostics {
    pub path: PathBuf,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileDiagnostics {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        render(&self.path, &self.source, diagnostic)
    }
}

/// Renders as `file:line:col: severity: key: message`, then the source line with a caret
/// under the offending value, so both grep and people find it. A long line is cut to a window
/// of [`SHOWN_CHARS`] characters around the caret, and characters a terminal would act on are
/// replaced, so that echoing the source is always short and harmless.
pub fn render(path: &Path, source: &str, d: &Diagnostic) -> String {
    let key = if d.key.is_empty() {
        String::new()
    } else {
        format!("{}: ", d.key)
    };
    let Some(span) = &d.span else {
        return format!("{}: {}: {}{}", path.display(), d.severity, key, d.message);
    };
    let at = position(source, span.start);
    let mut out = format!(
        "{}:{}:{}: {}: {}{}",
        path.display(),
        at.line,
        at.column,
        d.severity,
        key,
        d.message
    );
    if let Some(text) = source.lines().nth(at.line - 1) {
        let gutter = at.line.to_string();
        let end = position(source, span.end);
        let width = if end.line == at.line && end.column > at.column {
            end.column - at.column
        } else {
            1
        };
        let shown = excerpt(text, at.column - 1);
        out.push_str(&format!(
            "\n {gutter} | {text}\n {pad} | {space}{carets}",
            text = shown.text,
            pad = " ".repeat(gutter.len()),
            space = " ".repeat(shown.caret),
            carets = "^".repeat(width.min(shown.room))
        ));
    }
    out
}

/// At most this many characters of a source line are shown.
pub const SHOWN_CHARS: usize = 200;

/// The part of a source line that is shown.
struct Excerpt {
    text: String,
    /// Characters before the caret.
    caret: usize,
    /// Characters from the caret to the end of what is shown (at least 1).
    room: usize,
}

/// The line around column `column` (counted from 0): all of it when short, otherwise
/// [`SHOWN_CHARS`] characters starting a little before the caret, with `...` where it is cut.
fn excerpt(line: &str, column: usize) -> Excerpt {
    let chars: Vec<char> = line.chars().map(harmless).collect();
    let (start, end) = if chars.len() <= SHOWN_CHARS {
        (0, chars.len())
    } else {
        let start = column
            .saturating_sub(SHOWN_CHARS / 4)
            .min(chars.len() - SHOWN_CHARS);
        (start, start + SHOWN_CHARS)
    };
    let mut text = String::new();
    let mut caret = column.saturating_sub(start);
    if start > 0 {
        text.push_str("...");
        caret += 3;
    }
    text.extend(&chars[start..end]);
    if end < chars.len() {
        text.push_str("...");
    }
    Excerpt {
        text,
        caret,
        room: end.saturating_sub(column).max(1),
    }
}

/// One character for one: a tab becomes a space (so the caret stays under its column), and
/// control and bidirectional-override characters become U+FFFD.
fn harmless(c: char) -> char {
    match c {
        '\t' => ' ',
        c if c.is_control() => '\u{FFFD}',
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '\u{FFFD}',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let src = "a = 1\nbé = \"x\"\n";
        assert_eq!(position(src, 0), Position { line: 1, column: 1 });
        assert_eq!(position(src, 6), Position { line: 2, column: 1 });
        // 'é' is two bytes but one column.
        assert_eq!(position(src, 12), Position { line: 2, column: 6 });
        assert_eq!(position(src, 999), Position { line: 3, column: 1 });
    }

    #[test]
    fn renders_location_line_and_caret() {
        let src = "[cluster]\nname = \"bad name\"\n";
        let d = Diagnostic::error(17..27, "cluster.name", "not a valid name");
        assert_eq!(
            render(Path::new("inv.toml"), src, &d),
            "inv.toml:2:8: error: cluster.name: not a valid name\n 2 | name = \"bad name\"\n   |        ^^^^^^^^^^"
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_caret() {
        let value = "x".repeat(100_000);
        let src = format!("[cluster]\nimage = \"{value}\" # end\n");
        let at = src.find("# end").unwrap_or(0);
        let d = Diagnostic::error(at..at + 5, "", "here");
        let text = render(Path::new("inv.toml"), &src, &d);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "inv.toml:2:100012: error: here");
        // Near the end of the line: the window is the line's last SHOWN_CHARS characters.
        let shown = format!(" 2 | ...{}\" # end", "x".repeat(SHOWN_CHARS - 7));
        assert_eq!(lines[1], shown);
        assert_eq!(
            lines[2],
            format!("   | {}^^^^^", " ".repeat(3 + SHOWN_CHARS - 5))
        );
        // In the middle of the line: a quarter of the window before the caret.
        let d = Diagnostic::error(5000..5001, "", "middle");
        let text = render(Path::new("inv.toml"), &src, &d);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], format!(" 2 | ...{}...", "x".repeat(SHOWN_CHARS)));
        assert_eq!(
            lines[2],
            format!("   | {}^", " ".repeat(3 + SHOWN_CHARS / 4))
        );
        // The start of a long line: cut at the end only.
        let d = Diagnostic::error(10..15, "", "there");
        let text = render(Path::new("inv.toml"), &src, &d);
        let line = text.lines().nth(1).unwrap_or("");
        assert_eq!(line.chars().count(), " 2 | ".len() + SHOWN_CHARS + 3);
        assert!(line.ends_with("xxx..."), "{line}");
        assert!(text.ends_with("\n   | ^^^^^"), "{text}");
    }

    #[test]
    fn control_characters_are_not_echoed() {
        let src = "a = \"\u{1b}[2J\tb\u{202e}\"\n";
        let d = Diagnostic::error(4..5, "a", "bad");
        assert_eq!(
            render(Path::new("f"), src, &d),
            "f:1:5: error: a: bad\n 1 | a = \"\u{FFFD}[2J b\u{FFFD}\"\n   |     ^"
        );
    }
}
