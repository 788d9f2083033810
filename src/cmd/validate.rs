//! `galeractl validate FILE...`: every inventory alone, then all of them together
//! (`inventory::findings`). Every finding of every file is reported in one run (a file that
//! cannot be read does not stop the others); `--json` prints them as one document on stdout.

use std::process::ExitCode;

use super::{Failure, Outcome};
use crate::cli::ValidateArgs;
use crate::inventory::findings::{ok_lines, Failed, Findings};
use crate::{exit, inventory};

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
    let findings = Findings::of(&parsed);
    if args.json {
        let document = findings.document(&parsed, &unreadable, files);
        let text = serde_json::to_string_pretty(&document)
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot encode the report: {e}")))?;
        outln!("{text}");
    } else {
        for line in findings.rendered(&parsed) {
            errln!("{line}");
        }
        // Each file that cannot be read is named; the last one ends the run's message.
        if let Some((_, others)) = unreadable.split_last() {
            for (_, e) in others {
                errln!("galeractl: {e}");
            }
        }
    }
    match findings.end(&unreadable, files.len()) {
        Err(Failed::Unreadable(message)) => Err(Failure::new(exit::NO_INVENTORY, message)),
        Err(Failed::Invalid(summary)) => Err(Failure::new(exit::INVALID_INVENTORY, summary)),
        Ok(()) => {
            if !args.json {
                for line in ok_lines(&parsed) {
                    outln!("{line}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
