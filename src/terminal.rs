//! The operator's terminal: whether a command asks there, and its questions. Destructive
//! commands (`restore --replace`, `up --prune --delete-data`, `recover --force-without`,
//! `unlock`) ask before they act ([`decide`]; the command's side is `cmd::confirm`), and
//! `init` asks for what its flags do not say (`init::Interview`).
//!
//! The decision, a question's prompt and the reading of an answer are pure, here; `edge.rs`
//! is the I/O: whether stdin and stderr are a terminal, a prompt on stderr and a line read
//! from stdin. Imports only `out`.

mod edge;

pub use edge::{ask, ask_yes, is_terminal};

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

/// A question's prompt: `text`, the default an empty answer takes in brackets (when there is
/// one to show), then `: `.
pub fn prompt(text: &str, default: Option<&str>) -> String {
    match default {
        Some(d) if !d.is_empty() => format!("{text} [{d}]: "),
        _ => format!("{text}: "),
    }
}

/// The answer in `line`, trimmed; an empty one takes `default` when there is one.
pub fn answer(line: &str, default: Option<&str>) -> String {
    let answer = line.trim();
    match default {
        Some(d) if answer.is_empty() => d.to_string(),
        _ => answer.to_string(),
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
    fn a_prompt_shows_the_default_it_has() {
        assert_eq!(
            prompt("Cluster name", Some("galera")),
            "Cluster name [galera]: "
        );
        assert_eq!(
            prompt("Proxy host (empty: none)", Some("")),
            "Proxy host (empty: none): "
        );
        assert_eq!(prompt("Hosts", None), "Hosts: ");
    }

    #[test]
    fn an_empty_answer_takes_the_default() {
        assert_eq!(answer("  db1 \n", Some("galera")), "db1");
        assert_eq!(answer(" \n", Some("galera")), "galera");
        assert_eq!(answer("\n", Some("")), "");
        assert_eq!(answer("\n", None), "");
    }
}
