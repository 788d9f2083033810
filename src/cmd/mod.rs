//! The operator's commands: each reads like its runbook (observe, decide, act, verify).

pub mod plan;
pub mod validate;

use std::process::ExitCode;

/// A command's failure with the exit code it maps to; the message is printed once, by `main`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<crate::inventory::LoadError> for Failure {
    fn from(e: crate::inventory::LoadError) -> Self {
        let code = match e {
            crate::inventory::LoadError::Read { .. } => crate::exit::NO_INVENTORY,
            crate::inventory::LoadError::Invalid(_) => crate::exit::INVALID_INVENTORY,
        };
        Failure::new(code, e.to_string())
    }
}

pub type Outcome = Result<ExitCode, Failure>;

/// Prints warnings of a loaded inventory on stderr.
pub fn print_warnings(report: &crate::diagnostic::FileDiagnostics) {
    for d in &report.diagnostics {
        eprintln!("{}", report.render(d));
    }
}
