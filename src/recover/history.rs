//! Whether recovery kept the cluster's history: what the Primary nodes report after the plan
//! ran, against the position recovery started from and the history recorded on the hosts.

use super::Choice;

/// The history after a recovery, as `recover` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryAfter {
    /// The cluster runs with the history it should: the one recovery started from, or a new
    /// one when `--force-without` asked for it.
    pub kept: bool,
    /// `kept`, `new`, `unknown` or `reset` (the `--json` field).
    pub history: &'static str,
    /// The same for a reader.
    pub text: String,
    /// The history before: the UUID recovery started from, or the records when they do not
    /// name it.
    pub before: String,
}

/// From the choice run, the state UUIDs the Primary nodes report now (`uuids`) and the
/// history UUIDs recorded on the hosts (`recorded`). "Kept" only when every Primary node has
/// the history the recovery started from, that is a real one, and it is the one recorded at
/// bootstrap (when there is a record). A new history is right only when --force-without asked
/// for it (and then it is recorded).
pub fn history_after(choice: &Choice, uuids: &[&str], recorded: &[String]) -> HistoryAfter {
    let wanted = match choice {
        Choice::JoinPrimary { uuid, .. } | Choice::Bootstrap { uuid, .. } => uuid.as_str(),
        Choice::StopWaiting { .. } => "",
    };
    let new_history = matches!(
        choice,
        Choice::Bootstrap {
            new_history: true,
            ..
        }
    );
    let one_real = !uuids.is_empty()
        && uuids.iter().all(|u| *u == uuids[0])
        && crate::galera::is_history(uuids[0]);
    let named = |u: &str| recorded.iter().any(|r| r == u);
    let kept = if new_history {
        one_real && uuids[0] != wanted && named(uuids[0])
    } else {
        one_real && uuids[0] == wanted && (recorded.is_empty() || named(wanted))
    };
    let before = if new_history || recorded.is_empty() || named(wanted) {
        wanted.to_string()
    } else {
        recorded.join(", ")
    };
    let (history, text) = if kept && new_history {
        (
            "new",
            format!("a NEW history, as --force-without asked; it was {before}"),
        )
    } else if kept {
        ("kept", "kept: same history".to_string())
    } else if uuids.is_empty() {
        ("unknown", "unknown: no Primary node answers".to_string())
    } else {
        ("reset", format!("history reset: it was {before}"))
    };
    HistoryAfter {
        kept,
        history,
        text,
        before,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "5bd3c0a5-c0b0-11ef-8a6e-7e0a8f3a1b11";
    const NEW: &str = "0f9e6a11-c0b0-11ef-8a6e-7e0a8f3a1b11";

    fn bootstrap(new_history: bool) -> Choice {
        Choice::Bootstrap {
            node: "nodea".into(),
            uuid: OLD.into(),
            seqno: 7,
            stop_first: false,
            create: false,
            joiners: Vec::new(),
            left_out: Vec::new(),
            stop_left_out: Vec::new(),
            new_history,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_history_is_kept_new_reset_or_unknown() {
        let kept = history_after(&bootstrap(false), &[OLD, OLD], &[OLD.to_string()]);
        assert_eq!((kept.kept, kept.history), (true, "kept"));
        let reset = history_after(&bootstrap(false), &[NEW], &[OLD.to_string()]);
        assert_eq!((reset.kept, reset.history), (false, "reset"));
        assert_eq!(reset.text, format!("history reset: it was {OLD}"));
        let new = history_after(&bootstrap(true), &[NEW], &[NEW.to_string()]);
        assert_eq!((new.kept, new.history), (true, "new"));
        assert_eq!(
            new.text,
            format!("a NEW history, as --force-without asked; it was {OLD}")
        );
        let unknown = history_after(&bootstrap(false), &[], &[]);
        assert_eq!((unknown.kept, unknown.history), (false, "unknown"));
        // The records name another history: it is the one said to be lost.
        let other = history_after(&bootstrap(false), &[OLD], &[NEW.to_string()]);
        assert_eq!((other.kept, other.before.as_str()), (false, NEW));
    }
}
