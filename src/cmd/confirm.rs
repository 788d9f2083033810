//! Destructive commands ask first: `restore --replace`, `up --prune --delete-data`, `recover
//! --force-without` and `unlock`. On a terminal they show what they will destroy and ask
//! `Proceed? [y/N]`; `--yes` answers for the operator; with no terminal to ask on and no
//! `--yes`, they refuse (exit 64) before they read a host, take the lock or change anything.
//! `--dry-run` never asks.
//!
//! The decision ([`decide`]) and the reading of an answer ([`is_yes`]) are pure; [`terminal`]
//! and [`ask`] are this module's only I/O (stdin and stderr).

use std::io::{BufRead, IsTerminal};

use super::Failure;
use crate::exit;

/// What a command does about its confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go on: nothing destructive, a dry-run, or `--yes`.
    Proceed,
    /// Show what will be destroyed and ask on the terminal.
    Ask,
    /// No terminal to ask on and no `--yes`: refuse, changing nothing.
    Refuse,
}

/// Whether a command asks: `destructive` (this run, with these flags, destroys something),
/// `dry_run` (it changes nothing), `yes` (`--yes`), `terminal` (stdin and stderr are both a
/// terminal).
// Four independent flags of the command line, named at every call.
#[allow(clippy::fn_params_excessive_bools)]
pub fn decide(destructive: bool, dry_run: bool, yes: bool, terminal: bool) -> Decision {
    if !destructive || dry_run || yes {
        Decision::Proceed
    } else if terminal {
        Decision::Ask
    } else {
        Decision::Refuse
    }
}

/// Whether an answer to `Proceed? [y/N]` is yes: `y` or `yes`, in any case, blanks around it
/// ignored; anything else (an empty line included) is no.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The refusal without a terminal: `what` is the command and its destructive flags.
pub fn refusal_message(what: &str) -> String {
    format!(
        "{what} destroys data or state and asks for a confirmation first, but there is no terminal to ask on (stdin and stderr must both be one): pass --yes to confirm (--dry-run shows the plan first); nothing was changed"
    )
}

/// The failure of a question answered no (or not answered: end of input).
pub fn declined(what: &str) -> Failure {
    Failure::new(
        exit::REFUSED,
        format!("{what}: not confirmed; nothing was changed"),
    )
}

/// Stdin and stderr are both terminals: a person can see the question and answer it.
pub fn terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The decision for this process: [`decide`] with [`terminal`]; a refusal is the usage error
/// that names `--yes`. `Ok(true)`: ask (with [`confirm`]) once what will be destroyed is known,
/// before the lock is taken.
pub fn gate(what: &str, destructive: bool, dry_run: bool, yes: bool) -> Result<bool, Failure> {
    // The terminal is looked at only when it matters.
    let terminal = destructive && !dry_run && !yes && terminal();
    match decide(destructive, dry_run, yes, terminal) {
        Decision::Proceed => Ok(false),
        Decision::Ask => Ok(true),
        Decision::Refuse => Err(Failure::new(exit::USAGE, refusal_message(what))),
    }
}

/// Shows `summary` (what will be destroyed) on stderr and asks `Proceed? [y/N]`; only `y` or
/// `yes` goes on. End of input (Ctrl-D) or a read error is no.
pub fn confirm(what: &str, summary: &str) -> Result<(), Failure> {
    if ask(summary) {
        Ok(())
    } else {
        Err(declined(what))
    }
}

/// The question itself: `summary`, then `Proceed? [y/N] `, then one line from stdin.
fn ask(summary: &str) -> bool {
    errln!("{}", summary.trim_end());
    err!("Proceed? [y/N] ");
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => {
            // The prompt's line ends here, not in the next message.
            errln!("");
            false
        }
        Ok(_) => is_yes(&line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_destructive_run_without_yes_or_dry_run_asks_or_refuses() {
        use Decision::*;
        // (destructive, dry_run, yes, terminal) -> decision, every combination.
        let table = [
            ((false, false, false, false), Proceed),
            ((false, false, false, true), Proceed),
            ((false, false, true, false), Proceed),
            ((false, true, false, false), Proceed),
            ((true, false, false, true), Ask),
            ((true, false, false, false), Refuse),
            ((true, false, true, false), Proceed),
            ((true, false, true, true), Proceed),
            ((true, true, false, false), Proceed),
            ((true, true, false, true), Proceed),
            ((true, true, true, false), Proceed),
        ];
        for ((destructive, dry_run, yes, terminal), want) in table {
            assert_eq!(
                decide(destructive, dry_run, yes, terminal),
                want,
                "destructive {destructive}, dry-run {dry_run}, yes {yes}, terminal {terminal}"
            );
        }
    }

    #[test]
    fn only_y_or_yes_is_yes() {
        for yes in ["y", "Y", "yes", "YES", " yes\n", "y\r\n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yess", "ye", "y y", "sure", "1"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_refusal_names_the_flag_and_says_nothing_changed() {
        let m = refusal_message("unlock");
        assert!(m.starts_with("unlock destroys"), "{m}");
        assert!(m.contains("pass --yes"), "{m}");
        assert!(m.ends_with("nothing was changed"), "{m}");
    }

    #[test]
    fn without_a_destructive_flag_the_gate_never_looks_at_the_terminal() {
        assert!(matches!(gate("up", false, false, false), Ok(false)));
        assert!(matches!(gate("up", true, true, false), Ok(false)));
        assert!(matches!(gate("up", true, false, true), Ok(false)));
    }
}
