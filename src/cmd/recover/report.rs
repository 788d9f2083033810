//! What `recover` prints: the `--dry-run` document (choice, path, plans), the lines of the
//! run's story, and the closing report (each node now, whether the history was kept).

use std::process::ExitCode;

use super::{act, Context, Failure, Outcome};
use crate::cli::RecoverArgs;
use crate::inventory::Inventory;
use crate::plan::Plan;
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
/// (with pc.recovery: its plan, then the fall-back's); `--json`: all of it as one document.
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
    match fast {
        Some(fast) => {
            let stop = recover::commands::stop_all(cx.inventory);
            let fall_back = FallBack {
                stop: &stop,
                then: plan,
            };
            print_dry_run(
                args,
                cx.inventory,
                positions,
                &choice,
                path,
                fast,
                Some(fall_back),
            )
        }
        None => print_dry_run(args, cx.inventory, positions, &choice, path, plan, None),
    }
}

pub(super) fn print_dry_run(
    args: &RecoverArgs,
    inventory: &Inventory,
    positions: &[recover::NodePosition],
    choice: &[String],
    path: &str,
    plan: &crate::plan::Plan,
    fall_back: Option<FallBack<'_>>,
) -> Outcome {
    let plan = &plan.as_run(&inventory.ssh);
    if args.json {
        let document = DryRun {
            cluster: &inventory.cluster.name,
            positions: positions.iter().map(render::PositionRow::of).collect(),
            choice,
            path,
            plan,
            fall_back,
        };
        let text = serde_json::to_string_pretty(&document)
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot encode the plan: {e}")))?;
        outln!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    for line in choice {
        outln!("{line}");
    }
    outln!("path: {path}");
    outln!("would run (--dry-run: nothing was changed):");
    out!("{}", crate::plan::render(plan));
    if let Some(f) = fall_back {
        outln!(
            "if no Primary component re-forms within {}s: the fall-back, then the bootstrap plan as read again (now, it would be):",
            recover::commands::REFORM_SECS
        );
        out!("{}", crate::plan::render(f.stop));
        out!("{}", crate::plan::render(f.then));
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
pub(super) struct DryRun<'a> {
    cluster: &'a str,
    positions: Vec<render::PositionRow>,
    choice: &'a [String],
    path: &'a str,
    plan: &'a crate::plan::Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    fall_back: Option<FallBack<'a>>,
}

/// pc.recovery's fall-back: every node stopped cleanly, then (positions read again) the
/// bootstrap plan.
#[derive(serde::Serialize)]
pub(super) struct FallBack<'a> {
    stop: &'a crate::plan::Plan,
    then: &'a crate::plan::Plan,
}

/// The closing report: per node its container and wsrep state, and whether the cluster kept
/// its history (the same cluster UUID).
pub(super) async fn finish(cx: &Context<'_>, choice: &Choice, seconds: f64, json: bool) -> Outcome {
    let inventory = cx.inventory;
    let states = act::node_states(cx).await;
    let uuids: Vec<&str> = states
        .iter()
        .filter_map(|s| s.status.as_ref())
        .filter(|s| s.is_primary())
        .map(|s| s.cluster_state_uuid.as_str())
        .collect();
    let recorded = futures::future::join_all(
        cx.hosts
            .all()
            .map(|remote| observe::recorded_history(remote, inventory)),
    )
    .await
    .into_iter()
    .flatten()
    .collect::<Vec<String>>();
    let recover::HistoryAfter {
        kept,
        history,
        text: history_text,
        before,
    } = recover::history_after(choice, &uuids, &recorded);
    if !json {
        outln!(
            "cluster {}: recovered in {seconds:.1}s; cluster UUID {} ({history_text})",
            inventory.cluster.name,
            uuids.first().copied().unwrap_or("-"),
        );
    }
    let joiners: Vec<&str> = match choice {
        Choice::JoinPrimary { joiners, .. } | Choice::Bootstrap { joiners, .. } => {
            joiners.iter().map(|j| j.name.as_str()).collect()
        }
        Choice::StopWaiting { .. } => Vec::new(),
    };
    let joiners = &joiners;
    let catch_ups = futures::future::join_all(states.iter().map(|s| async move {
        if !joiners.contains(&s.name.as_str()) {
            return String::new();
        }
        let Some(node) = inventory.node(&s.name) else {
            return String::new();
        };
        let Some(remote) = cx.hosts.get(&node.host) else {
            return String::new();
        };
        let log = observe::log_tail(&remote, &inventory.container_name(node), 400).await;
        crate::galera::catch_up(&log).to_string()
    }))
    .await;
    if json {
        let doc = serde_json::json!({
            "cluster": inventory.cluster.name,
            "seconds": seconds,
            "choice": render::choice(choice).lines().collect::<Vec<_>>(),
            "cluster_uuid": uuids.first(),
            "history": history,
            "history_before": before,
            "nodes": states
                .iter()
                .zip(&catch_ups)
                .map(|(s, how)| serde_json::json!({
                    "name": s.name,
                    "host": s.host,
                    "container": s.container_text(),
                    "status": s.status,
                    "joined_by": (!how.is_empty()).then_some(how),
                }))
                .collect::<Vec<_>>(),
        });
        outln!("{doc:#}");
    } else {
        for (s, how) in states.iter().zip(&catch_ups) {
            let how = if how.is_empty() {
                String::new()
            } else {
                format!("; joined by {how}")
            };
            outln!("  {s}{how}");
        }
    }
    if kept {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure::new(
            exit::FAILED,
            format!(
                "cluster {} does not run with its history {before}: transactions may be lost or diverge; check the data before sending writes",
                inventory.cluster.name
            ),
        ))
    }
}
