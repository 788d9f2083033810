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
/// under the offending value, so both grep and people find it.
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
        out.push_str(&format!(
            "\n {gutter} | {text}\n {pad} | {space}{carets}",
            pad = " ".repeat(gutter.len()),
            space = " ".repeat(at.column - 1),
            carets =
                "^".repeat(width.min(text.chars().count().saturating_sub(at.column - 1).max(1)))
        ));
    }
    out
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
}
