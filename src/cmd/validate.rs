//! `galeractl validate FILE...`: every inventory alone, then all of them together. Every
//! finding of every file is reported in one run (a file that cannot be read does not stop the
//! others); `--json` prints them as one document on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::{Failure, Outcome};
use crate::cli::ValidateArgs;
use crate::diagnostic::{position, render, Diagnostic};
use crate::{exit, inventory};

/// `validate --json`: the whole run.
#[derive(Debug, Serialize)]
struct Report {
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

pub fn run(args: &ValidateArgs) -> Outcome {
    let files = &args.inventories;
    let mut parsed = Vec::new();
    let mut unreadable = Vec::new();
    for path in files {
        match inventory::read(path, inventory::Secrets::Required) {
            Ok(p) => parsed.push(p),
            Err(e) => unreadable.push((path.clone(), e.to_string())),
        }
    }
    // Each file's own findings, then what they collide on together.
    let mut found: Vec<Vec<Diagnostic>> = parsed
        .iter()
        .map(|p| p.report.diagnostics.clone())
        .collect();
    let valid: Vec<usize> = (0..parsed.len())
        .filter(|&i| parsed[i].inventory.is_some())
        .collect();
    let together: Vec<(&str, &inventory::Inventory, &[inventory::PortUse])> = valid
        .iter()
        .filter_map(|&i| {
            let p = &parsed[i];
            p.inventory
                .as_ref()
                .map(|inv| (p.report.source.as_str(), inv, p.located.ports.as_slice()))
        })
        .collect();
    for (&i, cross) in valid.iter().zip(inventory::cross_check(&together)) {
        found[i].extend(cross);
    }
    let errors: usize = found.iter().flatten().filter(|d| d.is_error()).count();
    let warnings: usize = found.iter().flatten().filter(|d| !d.is_error()).count();
    if args.json {
        print_json(&parsed, &found, &unreadable, errors, warnings, files)?;
    } else {
        for (p, found) in parsed.iter().zip(&found) {
            for d in found {
                errln!("{}", render(&p.report.path, &p.report.source, d));
            }
        }
    }
    let summary = (errors > 0).then(|| {
        format!(
            "{errors} error{} in {} inventor{}",
            if errors == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "y" } else { "ies" }
        )
    });
    if let Some((_, last)) = unreadable.last() {
        // Each file that cannot be read is named; the last one ends the run's message.
        if !args.json {
            for (_, e) in &unreadable[..unreadable.len() - 1] {
                errln!("galeractl: {e}");
            }
        }
        let message = match &summary {
            Some(summary) => format!("{last}; and {summary}"),
            None => last.clone(),
        };
        return Err(Failure::new(exit::NO_INVENTORY, message));
    }
    if let Some(summary) = summary {
        return Err(Failure::new(exit::INVALID_INVENTORY, summary));
    }
    if !args.json {
        for p in &parsed {
            if let Some(i) = &p.inventory {
                outln!(
                    "{}: ok: cluster {}, {} node{}",
                    p.report.path.display(),
                    i.cluster.name,
                    i.nodes.len(),
                    if i.nodes.len() == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `--json` document: one entry per file, in the order given.
fn print_json(
    parsed: &[inventory::Parsed],
    found: &[Vec<Diagnostic>],
    unreadable: &[(PathBuf, String)],
    errors: usize,
    warnings: usize,
    files: &[PathBuf],
) -> Result<(), Failure> {
    let mut read = parsed.iter().zip(found);
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
    let report = Report {
        ok: errors == 0 && unreadable.is_empty(),
        errors,
        warnings,
        inventories,
    };
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Failure::new(exit::FAILED, format!("cannot encode the report: {e}")))?;
    outln!("{text}");
    Ok(())
}
