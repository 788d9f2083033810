//! `galeractl validate FILE...`: every inventory alone, then all of them together.

use std::process::ExitCode;

use super::{Failure, Outcome};
use crate::diagnostic::render;
use crate::{exit, inventory};

pub fn run(files: &[std::path::PathBuf]) -> Outcome {
    let mut parsed = Vec::new();
    for path in files {
        parsed.push(inventory::read(path, inventory::Secrets::Required)?);
    }
    let mut errors = 0;
    for p in &parsed {
        for d in &p.report.diagnostics {
            errln!("{}", p.report.render(d));
            errors += usize::from(d.is_error());
        }
    }
    let valid: Vec<&inventory::Parsed> = parsed.iter().filter(|p| p.inventory.is_some()).collect();
    let together: Vec<(&str, &inventory::Inventory, &[inventory::PortUse])> = valid
        .iter()
        .filter_map(|p| {
            p.inventory
                .as_ref()
                .map(|i| (p.report.source.as_str(), i, p.located.ports.as_slice()))
        })
        .collect();
    for (p, found) in valid.iter().zip(inventory::cross_check(&together)) {
        for d in &found {
            errln!("{}", render(&p.report.path, &p.report.source, d));
            errors += 1;
        }
    }
    if errors > 0 {
        return Err(Failure::new(
            exit::INVALID_INVENTORY,
            format!(
                "{errors} error{} in {} inventor{}",
                if errors == 1 { "" } else { "s" },
                files.len(),
                if files.len() == 1 { "y" } else { "ies" }
            ),
        ));
    }
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
    Ok(ExitCode::SUCCESS)
}
