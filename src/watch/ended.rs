//! What follows the end of an action that watch ran as a child: the memory for the next look,
//! what to tell, and the exit code of `--once`. Pure: the time is an argument.

use std::time::Duration;

use super::{after_action, Action, EventKind, Memory, Rules};
use crate::exit;

/// How an action run as a child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It exited 0.
    Done,
    /// `--dry-run`: it printed its plan.
    DryRun,
    /// An operator's command holds the cluster lock (the child's exit 4): what it said.
    Locked(String),
    /// It failed, or a signal ended it.
    Failed,
}

/// After an action's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterEnd {
    pub memory: Memory,
    /// An event to tell, beside the action's own.
    pub tell: Option<(EventKind, String)>,
    /// The exit code of `--once` it calls for (`None`: the look's own).
    pub code: Option<u8>,
    /// A held lock was told in this episode (told once, until the cluster is healthy again).
    pub lock_said: bool,
    /// The cluster was given up just now.
    pub gave_up: bool,
}

/// The memory after `action` ended as `ended` at `now`, and what to tell. A held lock is no
/// failure: the action is looked at again after a short pause (at most 10 s; a lock left by a
/// killed command is not retried at every look), and said once per episode.
pub fn after_ended(
    memory: &Memory,
    rules: &Rules,
    now: Duration,
    (action, ended): (&Action, &Ended),
    lock_said: bool,
) -> AfterEnd {
    let mut after = AfterEnd {
        memory: memory.clone(),
        tell: None,
        code: None,
        lock_said,
        gave_up: false,
    };
    match ended {
        Ended::Done | Ended::Failed => {
            let failed = *ended == Ended::Failed;
            let (next, gave_up) = after_action(memory, rules, now, (!failed).then_some(action));
            after.memory = next;
            after.gave_up = gave_up;
            if failed {
                after.code = Some(exit::FAILED);
            } else {
                after.lock_said = false;
            }
            if gave_up {
                after.tell = Some((
                    EventKind::GaveUp,
                    format!(
                        "{} {} {} times in a row: watch does nothing more to this cluster until it is healthy again; an operator must look",
                        action.describe(),
                        if failed { "failed" } else { "did not heal it" },
                        after.memory.failures
                    ),
                ));
            }
        }
        Ended::DryRun => {
            // Shown once per back-off, not at every look.
            after.memory.not_before = Some(now + rules.backoff);
        }
        Ended::Locked(why) => {
            after.code = Some(exit::LOCKED);
            after.memory.not_before = Some(now + rules.backoff.min(Duration::from_secs(10)));
            if !lock_said {
                after.tell = Some((
                    EventKind::LockHeld,
                    format!(
                        "an operator's command holds the lock; watch waits and looks again: {why}"
                    ),
                ));
                after.lock_said = true;
            }
        }
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Action {
        Action::StartNode("nodeb".into())
    }

    #[test]
    fn a_held_lock_pauses_is_said_once_and_is_no_failure() {
        let rules = Rules::default();
        let now = Duration::from_secs(100);
        let held = Ended::Locked("held by up (pid 7)".into());
        let first = after_ended(&Memory::default(), &rules, now, (&start(), &held), false);
        assert_eq!(first.code, Some(exit::LOCKED));
        assert_eq!(first.memory.failures, 0);
        assert_eq!(first.memory.not_before, Some(now + Duration::from_secs(10)));
        assert_eq!(
            first.tell,
            Some((
                EventKind::LockHeld,
                "an operator's command holds the lock; watch waits and looks again: held by up (pid 7)".into()
            ))
        );
        assert!(first.lock_said);
        let again = after_ended(&first.memory, &rules, now, (&start(), &held), true);
        assert_eq!(again.tell, None);
    }

    #[test]
    fn failures_back_off_then_give_up_with_one_event() {
        let rules = Rules::default();
        let mut memory = Memory::default();
        let mut told = Vec::new();
        for i in 0..3u64 {
            let now = Duration::from_secs(100 * (i + 1));
            let after = after_ended(&memory, &rules, now, (&start(), &Ended::Failed), false);
            assert_eq!(after.code, Some(exit::FAILED));
            memory = after.memory;
            told.extend(after.tell);
        }
        assert!(memory.gave_up);
        assert_eq!(
            told,
            vec![(
                EventKind::GaveUp,
                format!("{} failed 3 times in a row: watch does nothing more to this cluster until it is healthy again; an operator must look", start().describe())
            )]
        );
    }

    #[test]
    fn a_start_that_keeps_succeeding_without_healing_gives_up_and_says_so() {
        let rules = Rules::default();
        let mut memory = Memory::default();
        let mut told = Vec::new();
        // Each start succeeds, the node crashes again: 4 successes within the window.
        for i in 0..4u64 {
            let now = Duration::from_secs(10 * (i + 1));
            let after = after_ended(&memory, &rules, now, (&start(), &Ended::Done), true);
            assert_eq!(after.code, None);
            assert!(!after.lock_said);
            memory = after.memory;
            told.extend(after.tell.map(|(kind, _)| kind));
        }
        assert!(memory.gave_up);
        assert_eq!(told, vec![EventKind::GaveUp]);
    }

    #[test]
    fn a_dry_run_is_shown_once_per_back_off() {
        let rules = Rules::default();
        let now = Duration::from_secs(5);
        let after = after_ended(
            &Memory::default(),
            &rules,
            now,
            (&start(), &Ended::DryRun),
            false,
        );
        assert_eq!(after.memory.not_before, Some(now + rules.backoff));
        assert_eq!((after.code, after.tell), (None, None));
    }
}
