//! `galeractl completions SHELL`, `galeractl man` and the hidden `complete-nodes`: the text
//! of `cli::generate` on stdout, and the inventory's node names for the completion scripts.

use std::io::Write;
use std::process::ExitCode;

use super::{Failure, Outcome};
use crate::cli::{generate, CompletionShell, InventoryArg};

/// The completion script for `shell` on stdout.
pub fn completions(shell: CompletionShell) -> Outcome {
    let text = generate::completion_script(shell);
    write_stdout(text.as_bytes())
}

/// `galeractl man`: the man page on stdout (`galeractl man | man -l -`).
pub fn man() -> Outcome {
    let page = generate::man_page()
        .map_err(|e| Failure::new(crate::exit::FAILED, format!("man page: {e}")))?;
    write_stdout(&page)
}

/// `galeractl complete-nodes [INVENTORY]` (hidden, for the completion scripts): the
/// inventory's node names, one a line; nothing when there is no valid inventory.
pub fn complete_nodes(arg: &InventoryArg) -> Outcome {
    let Ok(path) = super::inventory_path(arg) else {
        return Ok(ExitCode::SUCCESS);
    };
    if let Ok((inventory, _)) = crate::inventory::load(&path, crate::inventory::Secrets::Advisory) {
        let names: String = inventory
            .nodes
            .iter()
            .map(|n| format!("{}\n", n.name))
            .collect();
        return write_stdout(names.as_bytes());
    }
    Ok(ExitCode::SUCCESS)
}

fn write_stdout(bytes: &[u8]) -> Outcome {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Failure::new(crate::exit::FAILED, format!("stdout: {e}"))),
    }
}
