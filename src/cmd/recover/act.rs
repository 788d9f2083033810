//! Running recovery's plan with the runner, exactly as `recover --dry-run` prints it. On a
//! failure or an interrupt: the plan's on-failure steps (a bootstrap address back to the
//! members, a cleared position back), then each node's state and the stages not run.

use super::Context;
use crate::exit;
use crate::plan::{self, Plan};
use crate::runner::Runner;

use super::super::Failure;
use crate::runner::Stop;

/// Runs `plan`; on a failure or an interrupt, its compensation and a report.
pub(crate) async fn run(cx: &Context<'_>, plan: &Plan) -> Result<(), Failure> {
    if let Some(signal) = crate::interrupt::signalled() {
        return Err(interrupted_between(signal));
    }
    let runner = runner(cx);
    let Err(unfinished) = crate::runner::drive(&runner, plan).await else {
        return Ok(());
    };
    let (error, code) = match unfinished.stop {
        Stop::Interrupted(signal) => (
            format!("interrupted by {signal}; the step under way may have completed"),
            exit::INTERRUPTED,
        ),
        Stop::Failed(message) | Stop::Bug(message) => (message, exit::FAILED),
    };
    let next = unfinished.next_stage;
    let mut message = format!("recover stopped: {error}");
    for line in unfinished.compensation {
        message.push('\n');
        message.push_str(&line);
    }
    message.push_str("\nnodes now:");
    for s in node_states(cx).await {
        message.push_str(&format!("\n  {s}"));
    }
    let rest = Plan {
        stages: plan.stages.get(next..).unwrap_or_default().to_vec(),
        on_failure: Vec::new(),
        ..plan.clone()
    };
    if !rest.stages.is_empty() {
        message.push_str("\nnot done (what it would do next):\n");
        message.push_str(plan::render(&rest).trim_end());
    }
    message.push_str(
        "\nfix the cause, then run `galeractl recover` again: it reads every position afresh",
    );
    Err(Failure::new(code, message))
}

/// Recovery interrupted before one of its plans: earlier plans (stopping waiting nodes,
/// resolving prepared transactions) may have run.
pub(crate) fn interrupted_between(signal: &str) -> Failure {
    Failure::new(
        exit::INTERRUPTED,
        format!("interrupted by {signal}; stopped before running the next plan (any plan run before it is reported above); run `galeractl recover` again"),
    )
}

/// Runs `plan` the one way plans run (`cmd::drive`: interrupts, on-failure steps); on a
/// failure, nothing more: pc.recovery falls back on its own.
pub(crate) async fn try_run(cx: &Context<'_>, plan: &Plan) -> Result<(), Stop> {
    crate::runner::drive(&runner(cx), plan)
        .await
        .map(|_| ())
        .map_err(|unfinished| unfinished.stop)
}

fn runner<'a>(cx: &Context<'a>) -> Runner<'a> {
    Runner::new(cx.inventory, cx.hosts, cx.password.clone(), cx.long_timeout)
}

/// Every node's container and wsrep state, read now.
pub(crate) async fn node_states(cx: &Context<'_>) -> Vec<crate::facts::NodeState> {
    crate::observe::positions::now(cx.inventory, cx.hosts, &cx.password).await
}
