//! `validate FILE...` as data: each inventory's own findings, then what the valid ones collide
//! on together (`cross_check`), counted; the run's end (the message of a failed run), the
//! `--json` document and the `ok` lines. Pure: `cmd/validate.rs` reads the files with
//! `inventory::read` and prints what this gives.

use std::path::PathBuf;

use serde::Serialize;

use super::{cross_check, Inventory, Parsed, PortUse};
use crate::diagnostic::{position, render, Diagnostic};

/// `validate --json`: the whole run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Every inventory could be read and has no error, alone or together.
    ok: bool,
    errors: usize,
    warnings: usize,
    inventories: Vec<FileReport>,
}

#[derive(Debug, Serialize)]
struct FileReport {
    path: PathBuf,
    ok: bool,
    /// Why the file could not be read (then there is nothing else).
    #[serde(skip_serializing_if = "Option::is_none")]
    read_error: Option<String>,
    /// The cluster's name and node count, when the inventory is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<usize>,
    diagnostics: Vec<Finding>,
}

/// One diagnostic, located: `line` and `column` count from 1 (the column in characters).
#[derive(Debug, Serialize)]
struct Finding {
    severity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    /// The key path (`nodes[2].host`), empty when none applies.
    key: String,
    message: String,
}

impl Finding {
    fn of(source: &str, d: &Diagnostic) -> Finding {
        let at = d.span.as_ref().map(|s| position(source, s.start));
        Finding {
            severity: d.severity.to_string(),
            line: at.map(|p| p.line),
            column: at.map(|p| p.column),
            key: d.key.clone(),
            message: d.message.clone(),
        }
    }
}

/// Why a `validate` run fails.
#[derive(Debug, PartialEq, Eq)]
pub enum Failed {
    /// A file could not be read (the last one's reason, and the summary of the errors).
    Unreadable(String),
    /// The summary of the errors found.
    Invalid(String),
}

/// Every finding of the inventories that could be read, in their order: each file's own, then
/// what the valid ones collide on together.
pub struct Findings {
    pub found: Vec<Vec<Diagnostic>>,
    pub errors: usize,
    pub warnings: usize,
}

impl Findings {
    pub fn of(parsed: &[Parsed]) -> Findings {
        let mut found: Vec<Vec<Diagnostic>> = parsed
            .iter()
            .map(|p| p.report.diagnostics.clone())
            .collect();
        let valid: Vec<usize> = (0..parsed.len())
            .filter(|&i| parsed[i].inventory.is_some())
            .collect();
        let together: Vec<(&str, &Inventory, &[PortUse])> = valid
            .iter()
            .filter_map(|&i| {
                let p = &parsed[i];
                p.inventory
                    .as_ref()
                    .map(|inv| (p.report.source.as_str(), inv, p.located.ports.as_slice()))
            })
            .collect();
        for (&i, cross) in valid.iter().zip(cross_check(&together)) {
            found[i].extend(cross);
        }
        let errors = found.iter().flatten().filter(|d| d.is_error()).count();
        let warnings = found.iter().flatten().filter(|d| !d.is_error()).count();
        Findings {
            found,
            errors,
            warnings,
        }
    }

    /// Every finding as it is printed on stderr: `file:line:col`, the line and a caret.
    pub fn rendered(&self, parsed: &[Parsed]) -> Vec<String> {
        parsed
            .iter()
            .zip(&self.found)
            .flat_map(|(p, found)| {
                found
                    .iter()
                    .map(|d| render(&p.report.path, &p.report.source, d))
            })
            .collect()
    }

    /// How the run ends: `Ok` when every file was read and none has an error.
    pub fn end(&self, unreadable: &[(PathBuf, String)], files: usize) -> Result<(), Failed> {
        let summary = (self.errors > 0).then(|| {
            format!(
                "{} error{} in {files} inventor{}",
                self.errors,
                if self.errors == 1 { "" } else { "s" },
                if files == 1 { "y" } else { "ies" }
            )
        });
        // Each file that cannot be read is named; the last one ends the run's message.
        match (unreadable.last(), summary) {
            (Some((_, last)), Some(summary)) => {
                Err(Failed::Unreadable(format!("{last}; and {summary}")))
            }
            (Some((_, last)), None) => Err(Failed::Unreadable(last.clone())),
            (None, Some(summary)) => Err(Failed::Invalid(summary)),
            (None, None) => Ok(()),
        }
    }

    /// The `--json` document: one entry per file, in the order given.
    pub fn document(
        &self,
        parsed: &[Parsed],
        unreadable: &[(PathBuf, String)],
        files: &[PathBuf],
    ) -> Report {
        let mut read = parsed.iter().zip(&self.found);
        let inventories = files
            .iter()
            .filter_map(|path| {
                if let Some((_, e)) = unreadable.iter().find(|(p, _)| p == path) {
                    return Some(FileReport {
                        path: path.clone(),
                        ok: false,
                        read_error: Some(e.clone()),
                        cluster: None,
                        nodes: None,
                        diagnostics: Vec::new(),
                    });
                }
                let (p, found) = read.next()?;
                let ok = !found.iter().any(Diagnostic::is_error);
                let valid = p.inventory.as_ref().filter(|_| ok);
                Some(FileReport {
                    path: p.report.path.clone(),
                    ok,
                    read_error: None,
                    cluster: valid.map(|i| i.cluster.name.clone()),
                    nodes: valid.map(|i| i.nodes.len()),
                    diagnostics: found
                        .iter()
                        .map(|d| Finding::of(&p.report.source, d))
                        .collect(),
                })
            })
            .collect();
        Report {
            ok: self.errors == 0 && unreadable.is_empty(),
            errors: self.errors,
            warnings: self.warnings,
            inventories,
        }
    }
}

/// The line of each valid inventory after a run without errors.
pub fn ok_lines(parsed: &[Parsed]) -> Vec<String> {
    parsed
        .iter()
        .filter_map(|p| {
            p.inventory.as_ref().map(|i| {
                format!(
                    "{}: ok: cluster {}, {} node{}",
                    p.report.path.display(),
                    i.cluster.name,
                    i.nodes.len(),
                    if i.nodes.len() == 1 { "" } else { "s" }
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parsed(name: &str) -> Parsed {
        super::super::parse(
            Path::new(name),
            include_str!("../../inventory.example.toml"),
        )
    }

    #[test]
    fn one_valid_inventory_is_ok_with_its_line() {
        let files = [parsed("a.toml")];
        let findings = Findings::of(&files);
        assert_eq!((findings.errors, findings.warnings), (0, 0));
        assert_eq!(findings.end(&[], 1), Ok(()));
        assert_eq!(
            ok_lines(&files),
            vec!["a.toml: ok: cluster local-test, 3 nodes".to_string()]
        );
    }

    #[test]
    fn two_inventories_on_the_same_hosts_and_ports_collide() {
        let files = [parsed("a.toml"), parsed("b.toml")];
        let findings = Findings::of(&files);
        assert_eq!((findings.errors, findings.warnings), (15, 0));
        let rendered = findings.rendered(&files);
        assert_eq!(rendered.len(), 15);
        assert_eq!(
            rendered[0],
            "b.toml:7:8: error: cluster.name: cluster \"local-test\" is also defined by a.toml on host 10.10.10.10: cluster names must differ on shared hosts\n 7 | name = \"local-test\"                       # Galera cluster name; also names containers and volumes\n   |        ^^^^^^^^^^^^"
        );
        assert_eq!(
            findings.end(&[], 2),
            Err(Failed::Invalid("15 errors in 2 inventories".into()))
        );
        let unreadable = [(PathBuf::from("c.toml"), "cannot read c.toml".to_string())];
        assert_eq!(
            findings.end(&unreadable, 3),
            Err(Failed::Unreadable(
                "cannot read c.toml; and 15 errors in 3 inventories".into()
            ))
        );
    }

    #[test]
    fn an_unreadable_file_ends_the_run_and_keeps_its_place_in_the_document() {
        let files = [parsed("a.toml")];
        let findings = Findings::of(&files);
        let unreadable = vec![(
            PathBuf::from("gone.toml"),
            "cannot read gone.toml".to_string(),
        )];
        assert_eq!(
            findings.end(&unreadable, 2),
            Err(Failed::Unreadable("cannot read gone.toml".into()))
        );
        let document = findings.document(
            &files,
            &unreadable,
            &[PathBuf::from("gone.toml"), PathBuf::from("a.toml")],
        );
        assert_eq!(
            serde_json::to_string(&document).unwrap_or_default(),
            r#"{"ok":false,"errors":0,"warnings":0,"inventories":[{"path":"gone.toml","ok":false,"read_error":"cannot read gone.toml","diagnostics":[]},{"path":"a.toml","ok":true,"cluster":"local-test","nodes":3,"diagnostics":[]}]}"#
        );
    }
}
