//! Destructive commands ask first: `restore --replace`, `up --prune --delete-data`, `recover
//! --force-without` and `unlock`. On a terminal they show what they will destroy and ask
//! `Proceed? [y/N]`; `--yes` answers for the operator; with no terminal to ask on and no
//! `--yes`, they refuse (exit 64) before they read a host, take the lock or change anything.
//! `--dry-run` never asks. The decision and the question are `crate::terminal`'s; here they
//! become the command's failures.

use super::Failure;
use crate::exit;
use crate::terminal::{self, Decision};

/// The failure of a question answered no (or not answered: end of input).
pub fn declined(what: &str) -> Failure {
    Failure::new(
        exit::REFUSED,
        format!("{what}: not confirmed; nothing was changed"),
    )
}

/// The decision for this process: [`terminal::decide`] with [`terminal::is_terminal`]; a
/// refusal is the usage error that names `--yes`. `Ok(true)`: ask (with [`confirm`]) once what
/// will be destroyed is known, before the lock is taken.
pub fn gate(what: &str, destructive: bool, dry_run: bool, yes: bool) -> Result<bool, Failure> {
    // The terminal is looked at only when it matters.
    let on_terminal = destructive && !dry_run && !yes && terminal::is_terminal();
    match terminal::decide(destructive, dry_run, yes, on_terminal) {
        Decision::Proceed => Ok(false),
        Decision::Ask => Ok(true),
        Decision::Refuse => Err(Failure::new(exit::USAGE, terminal::refusal_message(what))),
    }
}

/// Shows `summary` (what will be destroyed) on stderr and asks `Proceed? [y/N]`; only `y` or
/// `yes` goes on. End of input (Ctrl-D) or a read error is no.
pub fn confirm(what: &str, summary: &str) -> Result<(), Failure> {
    if terminal::ask_yes(summary) {
        Ok(())
    } else {
        Err(declined(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_destructive_flag_the_gate_never_looks_at_the_terminal() {
        assert!(matches!(gate("up", false, false, false), Ok(false)));
        assert!(matches!(gate("up", true, true, false), Ok(false)));
        assert!(matches!(gate("up", true, false, true), Ok(false)));
    }
}
