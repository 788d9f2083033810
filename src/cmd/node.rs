//! `galeractl stop-node` and `start-node`: one node out of the cluster and back, the way the
//! seed does it by hand, with the quorum arithmetic and the catch-up checked.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::NodeArgs;
use crate::exit;
use crate::facts::Container;
use crate::galera::{self, NodeStatus, Probe};
use crate::inventory::{self, Inventory, Node};
use crate::observe;
use crate::plan;
use crate::runner::Runner;
use crate::secret::Secret;
use crate::ssh::{Hosts, Remote, Target};

use super::PROBE_TIMEOUT;

/// Whether stopping `node` keeps a majority of the cluster's members Synced and Primary.
/// Returns the explanation either way.
pub fn quorum_after_stop(members: usize, healthy_others: &[&str], node: &str) -> (bool, String) {
    let needed = members / 2 + 1;
    let left = healthy_others.len();
    let ok = left >= needed;
    let who = if healthy_others.is_empty() {
        "none".to_string()
    } else {
        healthy_others.join(", ")
    };
    (
        ok,
        format!(
            "after stopping {node}, {left} of {members} members would be Synced and Primary ({who}); a majority of {members} is {needed}"
        ),
    )
}

/// The arithmetic, with the members the inventory does not name (counted, never as healthy).
pub fn with_unnamed(arithmetic: String, unnamed: &[(String, u16)]) -> String {
    if unnamed.is_empty() {
        return arithmetic;
    }
    let list: Vec<String> = unnamed.iter().map(|(h, p)| format!("{h}:{p}")).collect();
    format!(
        "{arithmetic}; the members count {} the inventory does not name ({}), whose state galeractl does not read (`galeractl up --prune` takes them out)",
        list.len(),
        list.join(", ")
    )
}

struct Context {
    inventory: Inventory,
    password: Secret,
    /// Each node's probe, in inventory order.
    probes: Vec<Probe>,
}

async fn context(args: &NodeArgs) -> Result<(Context, Node), Failure> {
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let node = inventory
        .node(&args.node)
        .cloned()
        .ok_or_else(|| super::unknown_node(&args.node, &path, &inventory))?;
    let password = monitor_password(&inventory)?;
    Ok((
        Context {
            inventory,
            password,
            probes: Vec::new(),
        },
        node,
    ))
}

/// Connects to the node's host and, unless `--dry-run`, the cluster lock's hosts.
async fn connect_for(cx: &Context, node: &Node, args: &NodeArgs) -> Result<Hosts, Failure> {
    let targets = vec![Target::for_node(&cx.inventory, node)];
    if args.dry_run {
        return super::connect(targets, &args.remote).await;
    }
    super::locked::connect_with_lock_hosts(targets, &cx.inventory, &args.remote).await
}

/// Runs `work` holding the cluster lock (none for `--dry-run`, which changes nothing).
async fn guarded(
    inventory: &Inventory,
    hosts: &Hosts,
    args: &NodeArgs,
    command: &str,
    work: impl std::future::Future<Output = Outcome>,
) -> Outcome {
    if args.dry_run {
        return work.await;
    }
    let wait = Duration::from_secs(args.remote.lock_wait);
    super::locked::locked(inventory, hosts, command, wait, false, work).await
}

async fn container_of(
    inventory: &Inventory,
    node: &Node,
    remote: &Remote,
) -> Result<Option<observe::ContainerRow>, Failure> {
    let rows = observe::containers(remote)
        .await
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
    Ok(observe::node_container(inventory, node, &rows).cloned())
}

pub async fn stop(args: &NodeArgs) -> Outcome {
    let (mut cx, node) = context(args).await?;
    let hosts = connect_for(&cx, &node, args).await?;
    let inventory = cx.inventory.clone();
    let command = format!("stop-node {}", node.name);
    let result = guarded(&inventory, &hosts, args, &command, async {
        // Read once the lock is held: another operator's stop lands before this decision.
        cx.probes = observe::probe_every(&cx.inventory, &cx.password, PROBE_TIMEOUT).await;
        stop_on(&cx, &node, &hosts, args).await
    })
    .await;
    hosts.close().await;
    result
}

fn runner<'a>(cx: &'a Context, hosts: &'a Hosts, args: &NodeArgs) -> Runner<'a> {
    Runner {
        inventory: &cx.inventory,
        hosts,
        monitor_password: cx.password.clone(),
        sync_timeout: Duration::from_secs(args.remote.sync_timeout.max(1)),
        probe_timeout: PROBE_TIMEOUT,
    }
}

async fn stop_on(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let remote = hosts.get(&node.host).ok_or_else(|| {
        Failure::new(exit::FAILED, format!("host {} is not connected", node.host))
    })?;
    let remote = &remote;
    let name = inventory.container_name(node);
    match container_of(inventory, node, remote).await? {
        Some(row) if row.is_running() => {}
        Some(row) => {
            super::print_result(
                args.json,
                &format!(
                    "{}: already stopped (container {name} is {})",
                    node.name, row.state
                ),
                &serde_json::json!({
                    "node": node.name,
                    "changed": false,
                    "container": name,
                    "state": row.state,
                }),
            );
            return Ok(ExitCode::SUCCESS);
        }
        None => {
            super::print_result(
                args.json,
                &format!("{}: already stopped (no container {name})", node.name),
                &serde_json::json!({
                    "node": node.name,
                    "changed": false,
                    "container": name,
                    "state": "missing",
                }),
            );
            return Ok(ExitCode::SUCCESS);
        }
    }
    let statuses: Vec<Option<NodeStatus>> = cx.probes.iter().map(|p| p.clone().ok()).collect();
    let mut healthy_others: Vec<&str> = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .filter(|(n, s)| n.name != node.name && s.as_ref().is_some_and(NodeStatus::is_healthy))
        .map(|(n, _)| n.name.as_str())
        .collect();
    // Members the inventory does not name (the members' own list of addresses) are no
    // arbitrator; they count as members, never as healthy ones (their state is not read). A
    // node that refuses the monitoring user counts here as one whose SQL is silent: it may be
    // the extra member itself, so the arbitrator is not counted for it.
    let unnamed = crate::observe::strays::foreign_members(inventory, &statuses);
    if inventory.arbitrator.is_some() && crate::arbitrator::surely_member(&statuses, unnamed.len())
    {
        healthy_others.push("the arbitrator");
    }
    let (ok, arithmetic) = quorum_after_stop(
        inventory.members() + unnamed.len(),
        &healthy_others,
        &node.name,
    );
    let arithmetic = with_unnamed(arithmetic, &unnamed);
    if !ok && !args.force {
        return Err(Failure::new(
            exit::REFUSED,
            format!(
                "refusing to stop {}: the cluster would lose quorum: {arithmetic}{}. Nothing was stopped; --force overrides",
                node.name,
                not_counted(inventory, &cx.probes, &node.name)
            ),
        ));
    }
    if !ok {
        tracing::warn!("--force: stopping {} although {arithmetic}", node.name);
    }
    let plan = plan::stop_node(inventory, node);
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    if let Some(signal) = super::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let started = Instant::now();
    super::run_plan(&runner(cx, hosts, args), &plan).await?;
    let seqno = saved_seqno(inventory, node, remote).await;
    let seconds = started.elapsed().as_secs_f64();
    super::print_result(
        args.json,
        &format!(
            "{}: stopped cleanly in {seconds:.1}s; last committed seqno {} (grastate.dat)",
            node.name,
            seqno.map_or("unknown".into(), |s| s.to_string())
        ),
        &serde_json::json!({
            "node": node.name,
            "changed": true,
            "container": name,
            "state": "exited",
            "seconds": seconds,
            "seqno": seqno,
        }),
    );
    if seqno == Some(-1) {
        tracing::warn!(
            "{}: grastate.dat says seqno -1: the node did not close cleanly",
            node.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The seqno in the node's grastate.dat, read (read-only) through recovery's labelled one-off
/// container on its volume, with recovery's parser.
async fn saved_seqno(inventory: &Inventory, node: &Node, remote: &Remote) -> Option<i64> {
    let argv = crate::recover::oneoff::read_grastate(inventory, node);
    let out = remote.run_ok(&argv, None).await.ok()?;
    crate::recover::parse_grastate(&out).ok().map(|g| g.seqno)
}

pub async fn start(args: &NodeArgs) -> Outcome {
    let (mut cx, node) = context(args).await?;
    let hosts = connect_for(&cx, &node, args).await?;
    let inventory = cx.inventory.clone();
    let command = format!("start-node {}", node.name);
    let result = guarded(&inventory, &hosts, args, &command, async {
        // With TLS, the probes verify the nodes with this machine's CA: one that is not the
        // cluster's would make every node look silent. Said as what it is, first.
        super::trusted_ca::check(&cx.inventory, &hosts, &command).await?;
        cx.probes = observe::probe_every(&cx.inventory, &cx.password, PROBE_TIMEOUT).await;
        start_checked(&cx, &node, &hosts, args).await
    })
    .await;
    hosts.close().await;
    result
}

/// Starts the node unless it serves already, or there is no cluster to join.
async fn start_checked(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let own = inventory
        .nodes
        .iter()
        .position(|n| n.name == node.name)
        .and_then(|i| cx.probes.get(i))
        .and_then(|p| p.as_ref().ok());
    if own.is_some_and(NodeStatus::is_healthy) {
        super::print_result(
            args.json,
            &format!("{}: already running, Synced and Primary", node.name),
            &serde_json::json!({
                "node": node.name,
                "changed": false,
                "state": "Synced",
            }),
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(refusal) = start_refusal(inventory, &node.name, &cx.probes) {
        return Err(Failure::new(exit::REFUSED, refusal));
    }
    start_on(cx, node, hosts, args).await
}

/// Why `start-node` must not start `node` now: no other node is known to be Synced in a
/// Primary component. Nodes that refuse the monitoring user run and may serve: then the
/// password file is named, and a full outage (and `recover`) is not suggested.
pub fn start_refusal(inventory: &Inventory, node: &str, probes: &[Probe]) -> Option<String> {
    let others: Vec<(&str, &Probe)> = inventory
        .nodes
        .iter()
        .zip(probes)
        .filter(|(n, _)| n.name != node)
        .map(|(n, p)| (n.name.as_str(), p))
        .collect();
    if others
        .iter()
        .any(|(_, p)| p.as_ref().is_ok_and(NodeStatus::is_healthy))
    {
        return None;
    }
    let seen = others
        .iter()
        .map(|(n, p)| format!("{n}: {}", galera::said(p)))
        .collect::<Vec<_>>()
        .join("; ");
    let denied: Vec<&str> = others
        .iter()
        .filter(|(_, p)| {
            p.as_ref()
                .err()
                .is_some_and(galera::NoAnswer::is_access_denied)
        })
        .map(|(n, _)| *n)
        .collect();
    if !denied.is_empty() {
        return Some(format!(
            "refusing to start {node}: no other node is known to be Synced in a Primary component ({seen}); {} run and answer SQL but refuse the monitoring user, so their state is unknown and they may serve: {}",
            denied.join(", "),
            galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file
            )
        ));
    }
    let answered = others.iter().any(|(_, p)| {
        p.as_ref()
            .err()
            .is_some_and(galera::NoAnswer::server_answered)
    });
    if answered {
        return Some(format!(
            "refusing to start {node}: no other node is known to be Synced in a Primary component ({seen}); a node whose server answers with an error (refusing the monitoring user, a certificate this machine does not trust) runs and may serve: fix what it says, then run again"
        ));
    }
    Some(format!(
        "refusing to start {node}: no other node is Synced in a Primary component ({seen}), so there is no cluster to join; after a full outage run `galeractl recover`"
    ))
}

/// For `stop-node`'s refusal: the other nodes not counted as Synced and Primary because they
/// gave no status, and why (the password file when they refuse the monitoring user).
fn not_counted(inventory: &Inventory, probes: &[Probe], node: &str) -> String {
    let silent: Vec<(&str, &Probe)> = inventory
        .nodes
        .iter()
        .zip(probes)
        .filter(|(n, p)| n.name != node && p.is_err())
        .map(|(n, p)| (n.name.as_str(), p))
        .collect();
    if silent.is_empty() {
        return String::new();
    }
    let list = silent
        .iter()
        .map(|(n, p)| format!("{n}: {}", galera::said(p)))
        .collect::<Vec<_>>()
        .join("; ");
    if galera::denied(silent.iter().copied()).is_empty() {
        format!(" (not counted: {list})")
    } else {
        format!(
            " (not counted: {list}; {})",
            galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file
            )
        )
    }
}

async fn start_on(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let remote = hosts.get(&node.host).ok_or_else(|| {
        Failure::new(exit::FAILED, format!("host {} is not connected", node.host))
    })?;
    let fact = Container::of_row(container_of(inventory, node, &remote).await?.as_ref());
    // A container created anew: the rolling upgrade's version guard, as `up` has it.
    let versions = if plan::start_node_creates(inventory, node, &fact) {
        let statuses: Vec<Option<NodeStatus>> = cx.probes.iter().map(|p| p.clone().ok()).collect();
        crate::observe::versions::read(inventory, hosts, &cx.password, &statuses).await
    } else {
        None
    };
    let plan = plan::start_node(inventory, node, &fact, versions.as_ref(), args.force)
        .map_err(|e| Failure::new(exit::REFUSED, e.to_string()))?;
    if !args.dry_run {
        for note in &plan.notes {
            tracing::warn!("{note}");
        }
    }
    // It uploads this machine's TLS files: they must be the cluster's CA's (never a new CA),
    // and the node's certificate is made or renewed with it first.
    if inventory
        .tls
        .as_ref()
        .is_some_and(|t| plan.reads_local(&t.ca_cert))
    {
        super::trusted_ca::check(inventory, hosts, &format!("start-node {}", node.name)).await?;
        super::ensure_certs(inventory, args.dry_run, true)?;
    }
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    if let Some(signal) = super::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let started = Instant::now();
    super::run_plan(&runner(cx, hosts, args), &plan).await?;
    let log = observe::log_tail(&remote, &inventory.container_name(node), 400).await;
    let how = galera::catch_up(&log);
    let seconds = started.elapsed().as_secs_f64();
    let (by, writesets) = match how {
        galera::CatchUp::Ist { writesets } => ("IST", Some(writesets)),
        galera::CatchUp::Sst => ("SST", None),
        galera::CatchUp::None => ("none", None),
        galera::CatchUp::Unknown => ("unknown", None),
    };
    super::print_result(
        args.json,
        &format!("{}: Synced in {seconds:.1}s; caught up by {how}", node.name),
        &serde_json::json!({
            "node": node.name,
            "changed": true,
            "state": "Synced",
            "seconds": seconds,
            "caught_up_by": by,
            "writesets": writesets,
        }),
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::galera::NoAnswer;

    fn inventory() -> Inventory {
        let text = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"/s/root.pw\"\nmonitor_password_file = \"/s/monitor.pw\"\nmonitor_user = \"monitor\"\n[[nodes]]\nname = \"nodea\"\nhost = \"h1\"\n[[nodes]]\nname = \"nodeb\"\nhost = \"h2\"\n[[nodes]]\nname = \"nodec\"\nhost = \"h3\"\n";
        crate::inventory::parse(std::path::Path::new("/s/x.toml"), text)
            .inventory
            .unwrap_or_else(|| panic!("inventory"))
    }

    fn denied() -> Probe {
        Err(NoAnswer::AccessDenied {
            message: "Access denied for user 'monitor'@'10.0.0.9' (using password: YES)".into(),
        })
    }

    fn synced() -> Probe {
        Ok(NodeStatus::from_rows([
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_ready", "ON"),
            ("wsrep_cluster_size", "2"),
        ]))
    }

    #[test]
    fn start_refused_beside_peers_that_refuse_the_monitor_names_the_password_file() {
        let inv = inventory();
        let probes = [denied(), Err(NoAnswer::Refused), denied()];
        assert_eq!(
            start_refusal(&inv, "nodeb", &probes).as_deref(),
            Some("refusing to start nodeb: no other node is known to be Synced in a Primary component (nodea: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES)); nodec: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES))); nodea, nodec run and answer SQL but refuse the monitoring user, so their state is unknown and they may serve: the nodes refuse the monitoring user 'monitor': the password in /s/monitor.pw (cluster.monitor_password_file) is not the one the nodes have for 'monitor'; put the cluster's password back in that file (or set that password for 'monitor' on the nodes), then run again")
        );
        // One denied, one silent: still no advice to recover.
        let probes = [
            denied(),
            Err(NoAnswer::Refused),
            Err(NoAnswer::Timeout { ms: 2000 }),
        ];
        let refusal = start_refusal(&inv, "nodeb", &probes).unwrap_or_default();
        assert!(
            refusal.contains("nodea run and answer SQL but refuse the monitoring user"),
            "{refusal}"
        );
        assert!(!refusal.contains("recover"), "{refusal}");
        // Another server error: it runs too.
        let busy = Err(NoAnswer::ServerError {
            code: 1040,
            message: "Too many connections".into(),
        });
        let refusal = start_refusal(
            &inv,
            "nodeb",
            &[busy, Err(NoAnswer::Refused), Err(NoAnswer::Refused)],
        )
        .unwrap_or_default();
        assert!(!refusal.contains("recover"), "{refusal}");
    }

    #[test]
    fn start_refused_after_a_full_outage_says_why_each_peer_is_silent() {
        let inv = inventory();
        let probes = [
            Err(NoAnswer::Refused),
            Err(NoAnswer::Refused),
            Err(NoAnswer::Timeout { ms: 2000 }),
        ];
        assert_eq!(
            start_refusal(&inv, "nodeb", &probes).as_deref(),
            Some("refusing to start nodeb: no other node is Synced in a Primary component (nodea: connection refused; nodec: no answer within 2000 ms), so there is no cluster to join; after a full outage run `galeractl recover`")
        );
        // A Synced peer: nothing refused, whatever the others say.
        assert_eq!(
            start_refusal(&inv, "nodeb", &[denied(), Err(NoAnswer::Refused), synced()]),
            None
        );
    }

    #[test]
    fn stop_refusal_lists_the_peers_not_counted() {
        let inv = inventory();
        let probes = [synced(), synced(), denied()];
        assert_eq!(
            not_counted(&inv, &probes, "nodea"),
            " (not counted: nodec: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES)); the nodes refuse the monitoring user 'monitor': the password in /s/monitor.pw (cluster.monitor_password_file) is not the one the nodes have for 'monitor'; put the cluster's password back in that file (or set that password for 'monitor' on the nodes), then run again)"
        );
        let probes = [synced(), synced(), Err(NoAnswer::Refused)];
        assert_eq!(
            not_counted(&inv, &probes, "nodea"),
            " (not counted: nodec: connection refused)"
        );
        assert_eq!(
            not_counted(&inv, &[synced(), synced(), synced()], "nodea"),
            ""
        );
    }

    #[test]
    fn quorum_arithmetic() {
        let (ok, why) = quorum_after_stop(3, &["nodea", "nodec"], "nodeb");
        assert!(ok, "{why}");
        let (ok, why) = quorum_after_stop(3, &["nodea"], "nodec");
        assert!(!ok);
        assert_eq!(
            why,
            "after stopping nodec, 1 of 3 members would be Synced and Primary (nodea); a majority of 3 is 2"
        );
        assert!(!quorum_after_stop(4, &["a", "b"], "c").0);
        assert!(quorum_after_stop(5, &["a", "b", "c"], "d").0);
        assert!(!quorum_after_stop(1, &[], "a").0);
    }

    /// Review 2, L-7: a stray member is no arbitrator: with garbd down and one member the
    /// inventory does not name, stopping one of two healthy nodes is refused, and says why.
    #[test]
    fn a_stray_member_is_counted_as_such_not_as_the_arbitrator() {
        let primary = |size: &str| {
            Some(NodeStatus::from_rows([
                ("wsrep_cluster_status", "Primary"),
                ("wsrep_local_state_comment", "Synced"),
                ("wsrep_ready", "ON"),
                ("wsrep_connected", "ON"),
                ("wsrep_cluster_size", size),
                (
                    "wsrep_incoming_addresses",
                    "10.0.0.1:4306,10.0.0.2:4306,10.0.0.9:4306",
                ),
            ]))
        };
        let statuses = [primary("3"), primary("3")];
        // Without the stray's count, the third member would be taken for garbd.
        assert!(crate::arbitrator::surely_member(&statuses, 0));
        let source = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n\n[[nodes]]\nname = \"a\"\nhost = \"10.0.0.1\"\n\n[[nodes]]\nname = \"b\"\nhost = \"10.0.0.2\"\n\n[arbitrator]\nhost = \"10.0.0.3\"\n";
        let parsed = crate::inventory::parse(std::path::Path::new("inv.toml"), source);
        let Some(inventory) = parsed.inventory else {
            panic!("{:?}", parsed.report.diagnostics)
        };
        let unnamed = crate::observe::strays::foreign_members(&inventory, &statuses);
        assert_eq!(unnamed, vec![("10.0.0.9".to_string(), 4306)]);
        assert!(!crate::arbitrator::surely_member(&statuses, unnamed.len()));
        let (ok, why) = quorum_after_stop(inventory.members() + unnamed.len(), &["a"], "b");
        assert!(!ok);
        assert_eq!(
            with_unnamed(why, &unnamed),
            "after stopping b, 1 of 4 members would be Synced and Primary (a); a majority of 4 is 3; the members count 1 the inventory does not name (10.0.0.9:4306), whose state galeractl does not read (`galeractl up --prune` takes them out)"
        );
    }
}
