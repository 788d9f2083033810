//! The one way every command runs a plan ([`drive`]): the runner, raced against the operator's
//! interrupt, a panic caught as a failure, and on a failure or an interrupt the plan's
//! on-failure steps. [`Unfinished::exit`] is what a command says when the plan stopped.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{RunReport, Runner};
use crate::interrupt::{guard_panic, interrupted};
use crate::plan::Plan;

/// Why a plan stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The operator interrupted it (the signal's name).
    Interrupted(&'static str),
    /// A step or a wait failed: what it said.
    Failed(String),
    /// galeractl hit a bug (a panic, caught): what it said. Nothing more is decided after it.
    Bug(String),
}

/// A plan that did not run to its end: why, the first stage not done (the one under way), and
/// what its on-failure steps did, one line each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub stop: Stop,
    pub next_stage: usize,
    pub compensation: Vec<String>,
}

impl Unfinished {
    /// The exit code and the message of a command whose plan stopped: why, then what the
    /// on-failure steps did, one line each.
    pub fn exit(self) -> (u8, String) {
        let (code, mut message) = match self.stop {
            Stop::Interrupted(signal) => (
                crate::exit::INTERRUPTED,
                format!(
                    "interrupted by {signal}; the step under way may have completed on its host"
                ),
            ),
            Stop::Failed(message) | Stop::Bug(message) => (crate::exit::FAILED, message),
        };
        for line in self.compensation {
            message.push('\n');
            message.push_str(&line);
        }
        (code, message)
    }
}

/// Runs `plan` with `runner` until it ends or the operator interrupts it (a signal that came
/// already wins: no step starts after it); a panic is a failure ([`Stop::Bug`]); on a failure or an
/// interrupt, the plan's on-failure steps.
pub async fn drive(runner: &Runner<'_>, plan: &Plan) -> Result<RunReport, Unfinished> {
    let progress = AtomicUsize::new(0);
    let outcome = tokio::select! {
        biased;
        signal = interrupted() => Err((Stop::Interrupted(signal), progress.load(Ordering::SeqCst))),
        run = guard_panic(runner.run_tracked(plan, &progress)) => match run {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(e)) => Err((
                Stop::Failed(e.message),
                e.stage.unwrap_or_else(|| progress.load(Ordering::SeqCst)),
            )),
            Err(panic) => Err((Stop::Bug(panic), progress.load(Ordering::SeqCst))),
        },
    };
    match outcome {
        Ok(report) => Ok(report),
        Err((stop, next_stage)) => Err(Unfinished {
            stop,
            next_stage,
            compensation: runner.run_on_failure(plan).await,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_says_the_step_may_have_completed_then_the_compensation() {
        let unfinished = Unfinished {
            stop: Stop::Interrupted("SIGTERM"),
            next_stage: 2,
            compensation: vec![
                "on failure: step 1 done".into(),
                "on failure: step 2 failed".into(),
            ],
        };
        assert_eq!(
            unfinished.exit(),
            (
                crate::exit::INTERRUPTED,
                "interrupted by SIGTERM; the step under way may have completed on its host\non failure: step 1 done\non failure: step 2 failed".to_string()
            )
        );
    }

    #[test]
    fn a_failure_is_its_own_message() {
        let unfinished = Unfinished {
            stop: Stop::Failed("step 3 (start nodeb): exit 1".into()),
            next_stage: 0,
            compensation: Vec::new(),
        };
        assert_eq!(
            unfinished.exit(),
            (
                crate::exit::FAILED,
                "step 3 (start nodeb): exit 1".to_string()
            )
        );
    }
}
