//! What `recover` prints (`recover::report` holds the text and documents): the `--dry-run`
//! document, the lines of the run's story, and the closing report, read here.

use std::process::ExitCode;

use super::{Context, Failure, Outcome};
use crate::cli::RecoverArgs;
use crate::inventory::Inventory;
use crate::plan::Plan;
use crate::recover::report::{closing, joiners, DryRun, FallBack};
use crate::recover::{self, render, Choice};
use crate::{exit, observe};

/// A line of the run's story: on stdout, or with `--json` (stdout holds the one document) in
/// the log.
pub(super) fn say(json: bool, text: &str) {
    let text = text.trim_end_matches('\n');
    if json {
        for line in text.lines() {
            tracing::info!("{line}");
        }
    } else {
        outln!("{text}");
    }
}

/// What `--dry-run` prints: the choice, the path, then the plan that `recover` would run
/// (with pc.recovery: its plan, then the fall-back's).
pub(super) fn dry_run(
    cx: &Context<'_>,
    args: &RecoverArgs,
    positions: &[recover::NodePosition],
    choice: &Choice,
    path: &str,
    plan: &Plan,
    fast: Option<&Plan>,
) -> Outcome {
    let choice: Vec<String> = render::choice(choice).lines().map(str::to_string).collect();
    let (inventory, stop) = (cx.inventory, recover::commands::stop_all(cx.inventory));
    match fast {
        Some(fast) => {
            let fall_back = FallBack {
                stop: &stop,
                then: plan,
            };
            print_dry_run(
                args,
                inventory,
                positions,
                &choice,
                path,
                fast,
                Some(fall_back),
            )
        }
        None => print_dry_run(args, inventory, positions, &choice, path, plan, None),
    }
}

pub(super) fn print_dry_run(
    args: &RecoverArgs,
    inventory: &Inventory,
    positions: &[recover::NodePosition],
    choice: &[String],
    path: &str,
    plan: &Plan,
    fall_back: Option<FallBack<'_>>,
) -> Outcome {
    let plan = &plan.as_run(&inventory.ssh);
    let cluster = &inventory.cluster.name;
    let document = DryRun::new(cluster, positions, choice, path, plan, fall_back);
    if args.json {
        let text = serde_json::to_string_pretty(&document)
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot encode the plan: {e}")))?;
        outln!("{text}");
    } else {
        out!("{}", document.text());
    }
    Ok(ExitCode::SUCCESS)
}

/// The closing report: each node now (and how each joiner caught up, from its log), and
/// whether the cluster kept its history, against the history recorded on the hosts.
pub(super) async fn finish(cx: &Context<'_>, choice: &Choice, seconds: f64, json: bool) -> Outcome {
    let inventory = cx.inventory;
    let after = observe::recovered::read(inventory, cx.hosts, &cx.password, &joiners(choice)).await;
    let report = closing(&inventory.cluster.name, choice, &after, seconds);
    if json {
        outln!("{:#}", report.json);
    } else {
        out!("{}", report.text);
    }
    match report.lost_history {
        None => Ok(ExitCode::SUCCESS),
        Some(why) => Err(Failure::new(exit::FAILED, why)),
    }
}
