//! The `up` planner: from the inventory and what was observed, the plan that brings the
//! cluster there (a new cluster bootstrapped, a running one joined, changed or rolled), or the
//! refusal that says why not.

use std::collections::BTreeSet;

use super::steps::{
    join_stage, prepare, record_history_step, remove_steps, run_step, start_or_run_steps,
    verify_stage, write_config_step, VERIFY,
};
use super::{
    arbitrator, proxy, prune, remnants, renew, upgrade, Observed, ObservedNode, Plan, PlanError,
    Stage, Stdin, Step, UpOptions, WaitFor,
};
use crate::docker::{self, ClusterAddress};
use crate::inventory::{Inventory, Node};

/// The plan that brings the cluster to the inventory, given what was observed: the nodes, then
/// the proxy in front of them.
pub fn up(inventory: &Inventory, observed: &Observed) -> Result<Plan, PlanError> {
    up_with(inventory, observed, UpOptions::default())
}

/// [`up`], with what to do of the nodes that the inventory does not name.
pub fn up_with(
    inventory: &Inventory,
    observed: &Observed,
    options: UpOptions,
) -> Result<Plan, PlanError> {
    refuse_tls_change(inventory, observed)?;
    let notes = upgrade::check(inventory, observed, options.force)?;
    let mut plan = node_plan(inventory, observed, options.new_history)?;
    if let Some(tls) = &inventory.tls {
        plan.notes.push(format!(
            "TLS: the certificates come from {} (CA {}); `up` makes the CA when it is galeractl's and missing, and a member's certificate when it is missing, names another address or ends within {} days, before it runs this plan",
            tls.dir.display(),
            tls.ca_cert.display(),
            crate::tls::RENEW_DAYS
        ));
    }
    plan.notes.extend(notes);
    // Certificates renewed on running nodes, one at a time, before the cluster is verified.
    before_verify(inventory, &mut plan, renew::stages(inventory, observed));
    // Until they are taken out, the members the inventory does not name count in the size.
    let strays = prune::members(observed);
    if let Some(Stage {
        wait: Some(WaitFor::Verified { size }),
        ..
    }) = plan.stages.iter_mut().find(|s| s.title == VERIFY)
    {
        *size += strays;
    }
    // The arbitrator joins once the nodes run, before the cluster (its member too) is verified.
    before_verify(
        inventory,
        &mut plan,
        arbitrator::stages(inventory, observed),
    );
    if let Some(h) = &inventory.haproxy {
        plan.stages.extend(proxy::stages(inventory, h, observed));
    }
    prune::apply(inventory, observed, options, &mut plan)?;
    Ok(plan)
}

/// Running nodes whose TLS differs from the inventory's: a node restarted with the other
/// setting could not talk to them, so the change is refused with the operator's plan.
fn refuse_tls_change(inventory: &Inventory, observed: &Observed) -> Result<(), PlanError> {
    let want = inventory.tls.is_some();
    let differ: Vec<&str> = observed
        .tls_running
        .iter()
        .filter(|(name, tls)| **tls != want && inventory.node(name).is_some())
        .map(|(name, _)| name.as_str())
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    let path = inventory.path.display();
    let (what, now, then, steps) = if want {
        (
            "on",
            "without TLS",
            "with TLS",
            format!(
                "(1) stop the applications' writes; (2) with [tls] still off in {path}, take a backup (it needs backup_password_file): `galeractl backup {path} --to DIR`; (3) turn [tls] on and bring the cluster back from it with every connection encrypted: `galeractl restore DIR/BACKUP {path} --replace` (the old data stays in aside volumes); (4) `galeractl up {path}` (HAProxy and the arbitrator with TLS); (5) point the applications at it again (with TLS when require_secure_transport). Or leave [tls] off"
            ),
        )
    } else {
        (
            "off",
            "with TLS",
            "without TLS",
            format!(
                "turning TLS off is the same backup and restore with [tls] off: (1) stop the writes; (2) `galeractl backup {path} --to DIR` with [tls] still on; (3) turn it off, `galeractl restore DIR/BACKUP {path} --replace` and `galeractl up {path}`. Or keep [tls] on"
            ),
        )
    };
    Err(PlanError::TlsChange {
        cluster: inventory.cluster.name.clone(),
        what,
        nodes: differ.join(", "),
        now,
        then,
        steps,
    })
}

fn node_plan(
    inventory: &Inventory,
    observed: &Observed,
    new_history: bool,
) -> Result<Plan, PlanError> {
    let fact = |node: &Node| observed.nodes.iter().find(|o| o.name == node.name);
    let running: Vec<&Node> = inventory
        .nodes
        .iter()
        .filter(|n| fact(n).is_some_and(|f| f.synced_primary))
        .collect();
    let mut plan = Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: Vec::new(),
        on_failure: Vec::new(),
    };
    if running.is_empty() {
        remnants::refuse_running(inventory, observed)?;
        refuse_without_a_primary(inventory, observed)?;
        if inventory.nodes.is_empty() {
            return Ok(plan);
        }
        plan.notes = remnants::check(inventory, observed, new_history)?;
        new_cluster(inventory, &mut plan, MonitorGrant::Give);
    } else if !running_cluster(inventory, observed, &mut plan) {
        return Ok(plan);
    }
    plan.stages.push(verify_stage(inventory.members()));
    Ok(plan)
}

/// No node serves: why nothing may be bootstrapped (containers that run, or data), if so.
fn refuse_without_a_primary(inventory: &Inventory, observed: &Observed) -> Result<(), PlanError> {
    let evidence: Vec<String> = observed
        .nodes
        .iter()
        .filter(|o| o.volume || !o.container.state.is_missing())
        .map(|o| {
            format!(
                "{}: {}",
                o.name,
                if o.container.state.is_missing() {
                    "data volume"
                } else {
                    "container"
                }
            )
        })
        .collect();
    let running_nodes: Vec<&ObservedNode> = observed
        .nodes
        .iter()
        .filter(|o| o.container.is_running())
        .collect();
    // A node that refuses the monitoring user runs and may serve: never silent, never a
    // reason to recover; the password file is what is wrong.
    let denied: Vec<String> = running_nodes
        .iter()
        .filter(|o| o.sql.access_denied())
        .map(|o| format!("{}: {}", o.name, o.sql))
        .collect();
    if !denied.is_empty() {
        return Err(PlanError::MonitorDenied {
            cluster: inventory.cluster.name.clone(),
            nodes: denied.join("; "),
            advice: crate::galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file,
            ),
        });
    }
    if !running_nodes.is_empty() && running_nodes.iter().all(|o| o.waiting_non_primary) {
        return Err(PlanError::WaitingNonPrimary {
            cluster: inventory.cluster.name.clone(),
            nodes: running_nodes
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let silent: Vec<String> = running_nodes
        .iter()
        .map(|o| {
            let waits = if o.waiting_non_primary {
                "; its log: waits non-Primary"
            } else {
                ""
            };
            format!("{}: {}{waits}", o.name, o.sql)
        })
        .collect();
    if !silent.is_empty() {
        return Err(PlanError::SilentRunning {
            cluster: inventory.cluster.name.clone(),
            nodes: silent.join("; "),
        });
    }
    if !evidence.is_empty() {
        return Err(PlanError::NeedsRecovery {
            cluster: inventory.cluster.name.clone(),
            evidence: evidence.join(", "),
        });
    }
    Ok(())
}

/// `GRANT REFERENCES ON *.*` to the monitoring user, as root through the first node's socket
/// (it replicates): `information_schema` then shows it every table's definition, which
/// `doctor` reads; the privilege reads and writes no data.
fn monitor_grant_step(inventory: &Inventory, first: &Node) -> Step {
    Step::on_node(
        first,
        format!(
            "{}: grant {} REFERENCES (table definitions, no data) as root",
            first.name, inventory.cluster.monitor_user
        ),
        docker::root_sql(inventory, first),
        Some(Stdin::Text(format!(
            "GRANT REFERENCES ON *.* TO '{}'@'%';\n",
            inventory.cluster.monitor_user
        ))),
    )
}

/// Whether a new cluster's monitoring user is granted `REFERENCES` (`monitor_grant_step`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MonitorGrant {
    Give,
    /// The data (a physical backup's) brings its own accounts and grants, and its position
    /// must stay the backup's: nothing is written before the cluster is verified.
    Leave,
}

/// `stages` (when any) just before the plan's last stage if it is the verify, then the verify
/// (made when the plan had none).
fn before_verify(inventory: &Inventory, plan: &mut Plan, stages: Vec<Stage>) {
    if stages.is_empty() {
        return;
    }
    let verify = plan
        .stages
        .last()
        .is_some_and(|s| s.title == VERIFY)
        .then(|| plan.stages.pop())
        .flatten();
    plan.stages.extend(stages);
    plan.stages
        .push(verify.unwrap_or_else(|| verify_stage(inventory.members())));
}

/// A cluster that does not exist yet: prepare, bootstrap the first node, join the others one
/// after the other, make the first a normal member, record the history.
pub(crate) fn new_cluster(inventory: &Inventory, plan: &mut Plan, grant: MonitorGrant) {
    let all: Vec<&Node> = inventory.nodes.iter().collect();
    let Some((first, joiners)) = all.split_first() else {
        return;
    };
    plan.stages.push(prepare(inventory, &all, |n| {
        if n.name == first.name {
            ClusterAddress::Bootstrap
        } else {
            ClusterAddress::first_join(inventory, n, first)
        }
    }));
    plan.stages.push(Stage {
        title: format!("bootstrap a new cluster from {}", first.name),
        steps: vec![run_step(inventory, first, "start as the bootstrap node")],
        wait: Some(WaitFor::Synced {
            nodes: vec![first.name.clone()],
        }),
    });
    // Before any joiner: during a full copy the donor holds a read lock, and a GRANT there
    // would wait for the whole copy.
    if grant == MonitorGrant::Give {
        plan.stages.push(Stage {
            title: "let the monitoring user see table definitions (for doctor)".into(),
            steps: vec![monitor_grant_step(inventory, first)],
            wait: None,
        });
    }
    if let Some((second, rest)) = joiners.split_first() {
        // The first joiner alone, then all the others at once, once it is a member: their
        // starts and join handshakes overlap its copy. Every joiner takes its full copy (SST)
        // from the bootstrap node only (`wsrep_sst_donor`, see ClusterAddress::FirstJoin): a
        // donor serves one copy at a time, and a joiner that finds it busy asks again a second
        // later. Measured on the lab (issue 21's closing note): the second of two joiners
        // started together idles ~5 s in Galera's join handshake (its first view is
        // non-Primary), which costs a 3-node cluster more than it saves; many joiners started
        // together share that one stall. Copies fanned out to joiners done (9 nodes: 22 s
        // against 38 s) until a joiner's IST from such a donor stopped short.
        let mut stage = join_stage(inventory, &[second]);
        if !rest.is_empty() {
            stage.wait = Some(WaitFor::Member {
                node: second.name.clone(),
                via: first.name.clone(),
                size: 2,
            });
        }
        plan.stages.push(stage);
        if !rest.is_empty() {
            let mut stage = join_stage(inventory, rest);
            stage.wait = Some(WaitFor::Synced {
                nodes: joiners.iter().map(|n| n.name.clone()).collect(),
            });
            plan.stages.push(stage);
        }
        // The bootstrap node's config now names the others: any later start of its
        // container joins the running cluster instead of forming a new one. The joiners'
        // configs lose their one donor: a later copy may come from any member.
        let normal_member = write_config_step(
            inventory,
            first,
            &ClusterAddress::others(inventory, first),
            "name the other members in the cluster address",
        );
        let any_donor: Vec<Step> = joiners
            .iter()
            .map(|n| {
                write_config_step(
                    inventory,
                    n,
                    &ClusterAddress::others(inventory, n),
                    "any member may be its donor from now on",
                )
            })
            .collect();
        plan.stages.push(Stage {
            title: format!(
                "make {} a normal member, and free the joiners' choice of donor (config files, no restart)",
                first.name
            ),
            steps: std::iter::once(normal_member.clone())
                .chain(any_donor.iter().cloned())
                .collect(),
            wait: None,
        });
        // The same if anything fails or the run is interrupted before that stage.
        plan.on_failure.push(normal_member);
        plan.on_failure.extend(any_donor);
    }
    let hosts: BTreeSet<String> = all.iter().map(|n| n.host.clone()).collect();
    plan.stages.push(record_history_stage(
        inventory,
        &hosts,
        Stdin::ClusterStateUuid {
            node: first.name.clone(),
        },
    ));
}

/// The nodes to start as joiners (missing, stopped, or running but not yet Synced: joining
/// or catching up, waited for), and those whose container was built from another spec (to
/// replace), in inventory order.
fn absent_and_stale<'a>(
    inventory: &'a Inventory,
    observed: &Observed,
) -> (Vec<&'a Node>, Vec<&'a Node>) {
    let fact = |node: &Node| observed.nodes.iter().find(|o| o.name == node.name);
    let mut absent = Vec::new();
    let mut stale = Vec::new();
    for node in &inventory.nodes {
        let want = docker::run_node(inventory, node);
        let want_spec = docker::spec_of(&want).unwrap_or_default();
        match fact(node).map(|f| &f.container) {
            None => absent.push(node),
            Some(c) if c.state.is_missing() => absent.push(node),
            Some(c) if c.spec != want_spec => stale.push(node),
            Some(c) if !c.is_running() => absent.push(node),
            Some(_) => {
                if !fact(node).is_some_and(|f| f.synced_primary) {
                    absent.push(node);
                }
            }
        }
    }
    (absent, stale)
}

/// The cluster runs: start what is missing as joiners, then replace changed nodes one at a
/// time. `false` when nothing is left to do (no verification either).
fn running_cluster(inventory: &Inventory, observed: &Observed, plan: &mut Plan) -> bool {
    let fact = |node: &Node| observed.nodes.iter().find(|o| o.name == node.name);
    let all: Vec<&Node> = inventory.nodes.iter().collect();
    let (absent, stale) = absent_and_stale(inventory, observed);
    // A running member whose config file does not name the others (a bootstrap left by an
    // interrupted `up`, or a membership change) would form a new cluster, or miss members,
    // on its next start: rewrite the file in place, no restart.
    let misaddressed: Vec<&Node> = all
        .iter()
        .copied()
        .filter(|n| !absent.contains(n) && !stale.contains(n))
        .filter(|n| {
            let want = docker::node_config(&ClusterAddress::others(inventory, n));
            fact(n).is_some_and(|f| f.config.as_deref() != Some(want.as_str()))
        })
        .collect();
    let record = observed.cluster_uuid.as_deref().and_then(|uuid| {
        let hosts = hosts_to_record(observed, uuid);
        (!hosts.is_empty())
            .then(|| record_history_stage(inventory, &hosts, Stdin::Text(format!("{uuid}\n"))))
    });
    if absent.is_empty() && stale.is_empty() && misaddressed.is_empty() {
        plan.stages.extend(record);
        return false;
    }
    if !misaddressed.is_empty() {
        plan.stages.push(Stage {
            title: "name every other member in the cluster address (no restart)".into(),
            steps: misaddressed
                .iter()
                .map(|n| {
                    write_config_step(
                        inventory,
                        n,
                        &ClusterAddress::others(inventory, n),
                        "name the other members in the cluster address",
                    )
                })
                .collect(),
            wait: None,
        });
    }
    if absent.is_empty() && stale.is_empty() {
        plan.stages.extend(record);
        return true;
    }
    let touched: Vec<&Node> = absent.iter().chain(stale.iter()).copied().collect();
    plan.stages.push(prepare(inventory, &touched, |n| {
        ClusterAddress::others(inventory, n)
    }));
    // After `prepare`: a new node's host has the cluster's directory by then.
    plan.stages.extend(record);
    let start: Vec<&Node> = absent
        .iter()
        .copied()
        .filter(|n| !fact(n).is_some_and(|f| f.container.is_running()))
        .collect();
    if !absent.is_empty() {
        // One joiner at a time, each Synced before the next starts: a node that joins while
        // another receives a full copy may pick that one as its donor once it is Synced, and
        // its gcache lacks the events of that time, the new join among them: the IST stops
        // short and the joiner is left disconnected (seen on the lab with a new cluster's
        // joiners, which now take their copies from the bootstrap node only).
        let all_synced = WaitFor::Synced {
            nodes: absent.iter().map(|n| n.name.clone()).collect(),
        };
        for (i, n) in start.iter().enumerate() {
            let mut stage = join_stage(inventory, &[n]);
            stage.steps = start_or_run_steps(inventory, n, fact(n).map(|f| &f.container));
            if i + 1 == start.len() {
                stage.wait = Some(all_synced.clone());
            }
            plan.stages.push(stage);
        }
        if start.is_empty() {
            // Only nodes that are already starting: wait for them.
            plan.stages.push(Stage {
                title: "wait for the nodes that are joining".into(),
                steps: Vec::new(),
                wait: Some(all_synced),
            });
        }
    }
    // Stopped nodes are replaced first: they are down anyway. A running node (serving, or
    // joining, or a donor) is replaced only once every node is Synced in one component of
    // full size: never two nodes down at once, never a donor or a joiner mid-transfer.
    let runs = |n: &Node| fact(n).is_some_and(|f| f.container.is_running());
    let (running_stale, stopped_stale): (Vec<&Node>, Vec<&Node>) =
        stale.into_iter().partition(|n| runs(n));
    for node in stopped_stale.into_iter().chain(running_stale) {
        if runs(node) {
            plan.stages.push(Stage {
                title: format!(
                    "before replacing {}: every node Synced, none a donor",
                    node.name
                ),
                steps: Vec::new(),
                // The members running now: strays not yet taken out count, an arbitrator not
                // yet deployed (its stage comes after the nodes) does not.
                wait: Some(WaitFor::Verified {
                    size: inventory.nodes.len()
                        + usize::from(observed.arbitrator_member)
                        + prune::members(observed),
                }),
            });
        }
        plan.stages.push(Stage {
            title: format!("replace {} (its spec changed), alone", node.name),
            steps: remove_steps(inventory, node)
                .into_iter()
                .chain([run_step(
                    inventory,
                    node,
                    "start with the new spec, as a joiner",
                )])
                .collect(),
            wait: Some(WaitFor::Synced {
                nodes: vec![node.name.clone()],
            }),
        });
        if runs(node) {
            // It had the cluster's data: it must have come back by IST (a full copy between
            // two versions is unsafe); otherwise stop before the next one.
            plan.stages.push(Stage {
                title: format!("{} caught up", node.name),
                steps: Vec::new(),
                wait: Some(WaitFor::JoinedByIst {
                    node: node.name.clone(),
                }),
            });
        }
    }
    true
}

/// Where the running cluster's history (`uuid`) should be recorded: hosts without a record,
/// and hosts whose record is stale while another host's record confirms `uuid` (a host that
/// was away when `recover --force-without` started a new history). Never when no record
/// confirms it while some exist: that is a reset for `status` to report, not to paper over;
/// never an all-zero UUID.
fn hosts_to_record(observed: &Observed, uuid: &str) -> BTreeSet<String> {
    if !crate::galera::is_history(uuid) {
        return BTreeSet::new();
    }
    let records = &observed.history;
    let confirmed = records.values().any(|r| r.as_deref() == Some(uuid));
    let any = records.values().any(Option::is_some);
    records
        .iter()
        .filter(|(_, r)| match r {
            None => confirmed || !any,
            Some(r) => confirmed && r != uuid,
        })
        .map(|(h, _)| h.clone())
        .collect()
}

/// Writes the cluster's history UUID next to the node configs on `hosts`, for `status` and
/// `recover` to compare the running cluster with.
fn record_history_stage(inventory: &Inventory, hosts: &BTreeSet<String>, uuid: Stdin) -> Stage {
    Stage {
        title: "record the cluster's history (its state UUID) on the hosts".into(),
        steps: hosts
            .iter()
            .map(|host| record_history_step(inventory, host, uuid.clone()))
            .collect(),
        wait: None,
    }
}
