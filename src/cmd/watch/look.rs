//! One look at a cluster: `status`'s own observation (every node's SQL in parallel, its
//! container over SSH when SQL is silent), then for each node that is neither serving nor
//! answering, one more read on its host: the log of a running one (does it wait
//! non-Primary?), the operator's stop record of a stopped one.

use crate::cli::{InventoryArg, RemoteArgs, StatusArgs};
use crate::facts::ContainerState;
use crate::galera::Verdict;
use crate::inventory::{Inventory, Node};
use crate::report::{NodeReport, StatusReport};
use crate::secret::Secret;
use crate::ssh::{Remote, SshOptions, Target};
use crate::watch::{self, Condition, View};

/// How much of a silent node's log is read for its last view.
const LOG_LINES: usize = 400;

pub async fn look(
    inventory: &Inventory,
    password: &Secret,
    remote: &RemoteArgs,
) -> (View, StatusReport) {
    let args = StatusArgs {
        inventory: InventoryArg {
            positional: None,
            flag: None,
        },
        remote: remote.clone(),
        json: false,
        format: None,
        textfile: None,
        timeout_ms: u64::try_from(super::super::PROBE_TIMEOUT.as_millis()).unwrap_or(u64::MAX),
        verbose_logs: false,
    };
    let report =
        super::super::status::collect(inventory, password, super::super::PROBE_TIMEOUT, &args)
            .await;
    let options = super::super::quick_ssh_options(remote);
    let conditions = futures::future::join_all(
        inventory
            .nodes
            .iter()
            .zip(&report.nodes)
            .map(|(node, r)| condition(inventory, node, r, &options)),
    )
    .await;
    let (split, history_reset) = match &report.verdict {
        Verdict::Split(why) => (Some(why.clone()), None),
        Verdict::HistoryReset(why) => (None, Some(why.clone())),
        _ => (None, None),
    };
    let mut beside = Vec::new();
    if let Some(why) = report.proxy.as_ref().and_then(|p| p.error.as_ref()) {
        beside.push(("haproxy".to_string(), format!("HAProxy's stats: {why}")));
    }
    if let Some(a) = report
        .arbitrator
        .as_ref()
        .filter(|a| a.container != ContainerState::Running)
    {
        beside.push((
            "garbd".to_string(),
            format!("garbd's container on {} is {}", a.host, a.container),
        ));
    }
    let view = View {
        cluster: inventory.cluster.name.clone(),
        nodes: inventory
            .nodes
            .iter()
            .map(|n| n.name.clone())
            .zip(conditions)
            .collect(),
        split,
        history_reset,
        beside,
    };
    (view, report)
}

async fn condition(
    inventory: &Inventory,
    node: &Node,
    report: &NodeReport,
    options: &SshOptions,
) -> Condition {
    if let Some(s) = &report.wsrep {
        return match (s.is_healthy(), s.is_primary()) {
            (true, _) => Condition::Serving,
            (false, true) => Condition::InPrimary(s.local_state.clone()),
            (false, false) => Condition::WaitingNonPrimary,
        };
    }
    let why = report.error.clone().unwrap_or_else(|| "no answer".into());
    if report
        .no_answer
        .as_ref()
        .is_some_and(crate::galera::NoAnswer::server_answered)
    {
        // Its server answered (it refused the monitoring user): it runs, and may serve.
        return Condition::Silent(why);
    }
    let state = &report.container;
    match state {
        ContainerState::Running => match read(inventory, node, options, |i, n| {
            crate::docker::read::log_tail_merged(&i.container_name(n), LOG_LINES)
        })
        .await
        {
            Ok(log) => match crate::galera::last_view_since_start(&log) {
                Some(true) => Condition::WaitingNonPrimary,
                Some(false) => Condition::Silent(why),
                None => Condition::Starting("starting: no Galera view since its start".into()),
            },
            Err(e) => Condition::Silent(format!("{why}; its log: {e}")),
        },
        ContainerState::Restarting => Condition::Starting(state.word().into()),
        ContainerState::Exited
        | ContainerState::Dead
        | ContainerState::Created
        | ContainerState::Missing => {
            match read(inventory, node, options, watch::intent::read_argv).await {
                Ok(text) => Condition::Down {
                    state: state.word().into(),
                    operator_stopped: watch::intent::operator_stopped(&text),
                },
                // Whether the operator stopped it is not known: nothing is done to it.
                Err(e) => Condition::Unknown(format!(
                    "{why}; its container is {state}, and its stop record could not be read: {e}"
                )),
            }
        }
        ContainerState::Unknown(_) => Condition::Unknown(format!("{why}; {state}")),
        other => Condition::Silent(format!("{why}; its container is {other}")),
    }
}

/// One command on the node's host, on a connection of its own.
async fn read(
    inventory: &Inventory,
    node: &Node,
    options: &SshOptions,
    argv: impl Fn(&Inventory, &Node) -> Vec<String>,
) -> Result<String, String> {
    let remote = Remote::connect(&Target::for_node(inventory, node), options)
        .await
        .map_err(|e| e.to_string())?;
    let out = remote
        .run(&argv(inventory, node), None, options.command_timeout)
        .await
        .map_err(|e| e.to_string());
    remote.close().await;
    let out = out?;
    match out.code {
        0 => Ok(out.stdout),
        code => Err(format!("exit {code}: {}", out.stderr.trim())),
    }
}
