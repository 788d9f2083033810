//! The plan: what `up` will do, as data. An [`Inventory`] and what was observed on the hosts
//! ([`Observed`]) go in; stages of steps come out, each step an argv for one host. No I/O here:
//! `galeractl plan` prints exactly what `galeractl up` would execute for the same facts.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

pub(crate) mod arbitrator;
mod proxy;
mod prune;
mod remnants;
mod renew;
mod restart;
mod upgrade;

pub use crate::facts::{
    ContainerFact, Gcache, Observed, ObservedNode, SqlSaid, Stray, StrayVolume, Versions,
};
pub use prune::{members as prune_members, volume_of as stray_volume, UpOptions};
pub use remnants::NEW_HISTORY_FLAG;
pub use restart::restart;
pub use upgrade::{gcache_size_of, replaces_running, series, ASSUMED_DOWNTIME_SECS};

use crate::argv::{shell_join, shell_quote, Argv};
use crate::docker::{self, ClusterAddress};
use crate::inventory::{layout, Inventory, Node};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub cluster: String,
    pub stages: Vec<Stage>,
    /// Run (best effort) when the plan fails or is interrupted after it began: what makes the
    /// hosts safe again (the bootstrap node named a normal member, so that a restart of its
    /// container never forms a second cluster). Printed with the plan.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<Step>,
    /// What the operator should know and the plan does not change (nodes not in the
    /// inventory, left in place); printed first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Steps that may run at the same time (they touch different nodes), then one condition that
/// must hold before the next stage starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub title: String,
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitFor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub description: String,
    pub argv: Argv,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin: Option<Stdin>,
    /// Where the command's standard output goes when it is kept (a backup's stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<Stdout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_if: Option<Guard>,
    /// Seconds the step may take when that is longer than a remote command's usual deadline
    /// (a clean stop: InnoDB and Galera close).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_secs: Option<u64>,
    /// What the step is, where a command needs to know (instead of reading its argv).
    #[serde(skip_serializing_if = "StepKind::is_other")]
    pub kind: StepKind,
    /// Its exit code is not checked (printed as `... || true`): what follows reads the result
    /// (`mariadbd --tc-heuristic-recover` exits non-zero by design once it has done its work).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore_exit: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    #[default]
    Other,
    /// Writes the cluster's history record (`history-uuid`).
    RecordHistory,
    /// Creates a node's container (`docker run`): its name and ports must be free, its
    /// image there.
    CreateNode,
    /// Creates HAProxy's container: its image must be on the proxy host.
    CreateProxy,
    /// Creates the arbitrator's container (garbd): its image must be on its host.
    CreateArbitrator,
    /// Creates a node's health endpoint container (HAProxy's check of that node).
    CreateCheck,
}

impl Step {
    /// A plain step on `host` (no node, no guard, the usual deadline).
    pub fn on_host(host: &str, description: String, argv: Argv, stdin: Option<Stdin>) -> Step {
        Step {
            host: host.to_string(),
            node: None,
            description,
            argv,
            stdin,
            stdout: None,
            only_if: None,
            deadline_secs: None,
            kind: StepKind::Other,
            ignore_exit: false,
        }
    }

    /// A plain step for `node`, on its host.
    pub fn on_node(node: &Node, description: String, argv: Argv, stdin: Option<Stdin>) -> Step {
        Step {
            node: Some(node.name.clone()),
            ..Step::on_host(&node.host, description, argv, stdin)
        }
    }
}

impl StepKind {
    fn is_other(&self) -> bool {
        *self == StepKind::Other
    }
}

/// What a step's command reads on its standard input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stdin {
    /// Text that may be shown (config files).
    Text(String),
    /// A local secret file: its path may be shown, its contents never.
    SecretFile(PathBuf),
    /// The output of a local command (`docker save`).
    LocalCommand(Argv),
    /// The cluster state UUID that `node` reports when the step runs (known only once the
    /// cluster is bootstrapped), as one line.
    ClusterStateUuid { node: String },
    /// Text that may be shown, but with `placeholder` replaced by a local secret file's
    /// content when it is sent.
    TextWithSecret {
        text: String,
        placeholder: String,
        secret: PathBuf,
    },
}

/// Where a step's standard output goes, on this machine (shown as `ssh HOST CMD > FILE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stdout {
    /// A new local file (refused when it exists), written as the bytes arrive.
    LocalFile(PathBuf),
}

/// A condition checked on the host right before the step; the step is skipped when it is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Guard {
    ImageMissing { image: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WaitFor {
    /// Each named node is Synced and in the Primary component.
    Synced { nodes: Vec<String> },
    /// Every node: Synced, Primary, the same cluster UUID, and the given cluster size.
    Verified { size: usize },
    /// `node` has entered the Primary component (it may still be receiving its state):
    /// `via`, a Synced member, reports a component of at least `size`.
    Member {
        node: String,
        via: String,
        size: usize,
    },
    /// Fewer than every node (recovery leaving some out): each named node Synced and Primary,
    /// one cluster UUID, a component of at least their number.
    Healthy { nodes: Vec<String> },
    /// Galera's pc.recovery: one of `nodes` reports a Primary component of all of them within
    /// `secs` (its own, short deadline: recovery falls back to a bootstrap after it).
    Reformed { nodes: Vec<String>, secs: u64 },
    /// Checked once, not waited for: none of `nodes` answers SQL (one that does may be
    /// serving, and nothing may be bootstrapped beside it).
    Silent { nodes: Vec<String> },
    /// HAProxy has taken `node` out (DOWN) and no client session is open on it any more.
    ProxyDrained { node: String },
    /// HAProxy has `node` back (UP).
    ProxyUp { node: String },
    /// HAProxy serves: each of `nodes` is a server of it, UP.
    ProxyServes { nodes: Vec<String> },
    /// Checked once: `node`'s last start caught up by IST (its log says so), not by a full
    /// copy (SST).
    JoinedByIst { node: String },
}

impl std::fmt::Display for WaitFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitFor::Synced { nodes } => write!(f, "{} Primary and Synced", nodes.join(", ")),
            WaitFor::Member { node, via, size } => write!(
                f,
                "{node} in the Primary component ({via} sees a cluster of {size})"
            ),
            WaitFor::Verified { size } => write!(
                f,
                "cluster size = {size} on every node, one cluster UUID, every node Primary and Synced"
            ),
            WaitFor::Healthy { nodes } => write!(
                f,
                "{} Primary and Synced in one component of at least {}, one cluster UUID",
                nodes.join(", "),
                nodes.len()
            ),
            WaitFor::Reformed { nodes, secs } => write!(
                f,
                "{} re-form one Primary component by themselves (pc.recovery), within {secs}s",
                nodes.join(", ")
            ),
            WaitFor::ProxyDrained { node } => write!(
                f,
                "HAProxy has taken {node} out (DOWN) and no client session is left on it"
            ),
            WaitFor::ProxyUp { node } => write!(f, "HAProxy has {node} back (UP)"),
            WaitFor::ProxyServes { nodes } => {
                write!(f, "HAProxy serves {} (each UP behind it)", nodes.join(", "))
            }
            WaitFor::JoinedByIst { node } => write!(
                f,
                "{node} caught up by IST (its log), not by a full copy"
            ),
            WaitFor::Silent { nodes } => write!(
                f,
                "{} still do{} not answer SQL (else stop: it may be serving)",
                nodes.join(", "),
                if nodes.len() == 1 { "es" } else { "" }
            ),
        }
    }
}

/// Why no plan can be made safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("cluster {cluster}: containers run but none answers SQL as Synced in a Primary component ({nodes}); galeractl cannot tell whether they serve, so it changes nothing. Check that this machine reaches their SQL port, the monitoring password and max_connections, or wait for a start in progress; do not bootstrap beside them")]
    SilentRunning { cluster: String, nodes: String },
    #[error("cluster {cluster}: containers run and answer SQL, but refuse the monitoring user ({nodes}); galeractl cannot tell whether they serve, so it changes nothing (no bootstrap beside them): {advice}")]
    MonitorDenied {
        cluster: String,
        nodes: String,
        advice: String,
    },
    #[error("cluster {cluster}: no node serves, and every running node waits non-Primary ({nodes}: its last view since its start is non-Primary), as after a power cut that hit while the cluster re-formed; run `galeractl recover`: it stops them, reads every position and brings the cluster back keeping its history")]
    WaitingNonPrimary { cluster: String, nodes: String },
    #[error("cluster {cluster} has data ({evidence}) but no node is running and Primary: bootstrapping a new cluster over it could lose data; run `galeractl recover` instead")]
    NeedsRecovery { cluster: String, evidence: String },
    #[error("cluster {cluster}: no node of the inventory serves, but containers of this cluster run under node names the inventory does not have ({containers}): they may be serving; nothing was changed. Put their names back in the inventory and run `galeractl status`, or stop them cleanly first; never bootstrap beside them")]
    StraysRunning { cluster: String, containers: String },
    #[error("cluster {cluster}: no node of the inventory has a container or data, but the hosts hold this cluster's {evidence}. Bootstrapping a new, empty cluster beside them would start another history on the same ports, and the record would no longer show the reset; nothing was changed. If these are the cluster's nodes under their old names, put those names back in the inventory and run `galeractl up` (or `galeractl recover` when none of them runs); to throw the old data away, remove those containers and volumes first; only to start an empty cluster on purpose (the old containers and volumes stay as they are, the record is rewritten), pass {flag}", flag = NEW_HISTORY_FLAG)]
    OldClusterLeft { cluster: String, evidence: String },
    #[error("cluster {cluster}: refusing to create a node's container from the inventory's image, nothing was changed: the image runs MariaDB {image}, older than the {running} running now; a downgrade across major versions is not supported by MariaDB (its data files and system tables may not be read back). Restore a backup instead, or pass --force")]
    Downgrade {
        cluster: String,
        running: String,
        image: String,
    },
    #[error("cluster {cluster}: refusing to create a node's container from {image}, nothing was changed: the MariaDB version the cluster runs or the image's could not be read, so a downgrade cannot be ruled out (a downgrade across major versions is not supported by MariaDB). Check that a node serves and that the image runs (`docker run --rm --entrypoint mariadbd {image} --version`), or pass --force")]
    VersionUnknown { cluster: String, image: String },
    #[error("cluster {cluster}: refusing to replace a running node, nothing was changed: the donors' gcache keeps {size} of write-sets, and at {per_minute} per minute a node away {secs}s misses about {needed}: it would come back by a full copy (SST), which between two versions is unsafe. Wait for a quieter time, or pass --force; a larger cluster.gcache_size (rolled in with --force, at a quiet time) avoids this next time", secs = ASSUMED_DOWNTIME_SECS)]
    GcacheTooSmall {
        cluster: String,
        size: String,
        per_minute: String,
        needed: String,
    },
    #[error("cluster {cluster}: refusing to turn TLS {what} on a running cluster, nothing was changed: {nodes} run {now}, and a node restarted {then} cannot talk to them (Galera replication, IST and SST all change at once), so a rolling change would split the cluster. The plan: {steps}")]
    TlsChange {
        cluster: String,
        what: &'static str,
        nodes: String,
        now: &'static str,
        then: &'static str,
        steps: String,
    },
    #[error("cluster {cluster}: refusing to prune, nothing was changed: only {serving} of its {size} members serve now (Synced and Primary), not a majority; bring them back first (`galeractl up`)")]
    PruneWithoutMajority {
        cluster: String,
        serving: usize,
        size: usize,
    },
}

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
        .filter(|o| o.volume || o.container != ContainerFact::Missing)
        .map(|o| {
            format!(
                "{}: {}",
                o.name,
                if o.container == ContainerFact::Missing {
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
        .filter(|o| matches!(o.container, ContainerFact::Running { .. }))
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
            None | Some(ContainerFact::Missing) => absent.push(node),
            Some(ContainerFact::Stopped { spec }) | Some(ContainerFact::Running { spec })
                if spec != want_spec =>
            {
                stale.push(node)
            }
            Some(ContainerFact::Stopped { .. }) => absent.push(node),
            Some(ContainerFact::Running { .. }) => {
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
        .filter(|n| {
            !matches!(
                fact(n).map(|f| &f.container),
                Some(ContainerFact::Running { .. })
            )
        })
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
    let runs = |n: &Node| {
        matches!(
            fact(n).map(|f| &f.container),
            Some(ContainerFact::Running { .. })
        )
    };
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

impl Plan {
    /// The plan as it is run with these SSH settings: with `[ssh] sudo = true`, a note that
    /// every step on a host runs as `sudo -n -- COMMAND` (the steps themselves stay as they
    /// are pasted on a root shell).
    pub fn as_run(&self, ssh: &crate::inventory::SshSettings) -> Plan {
        let mut plan = self.clone();
        let remote = plan.steps().any(|s| s.host != crate::inventory::LOCAL_HOST);
        if ssh.sudo && remote {
            plan.notes.insert(0, SUDO_NOTE.to_string());
        }
        plan
    }

    /// Whether a step sends this machine's file `path` to a host (a secret file's content).
    pub fn reads_local(&self, path: &std::path::Path) -> bool {
        self.steps().any(|s| match &s.stdin {
            Some(Stdin::SecretFile(p)) => p == path,
            Some(Stdin::TextWithSecret { secret, .. }) => secret == path,
            _ => false,
        })
    }

    /// Every step of every stage, in order (not the on-failure steps).
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.stages.iter().flat_map(|s| &s.steps)
    }

    /// The steps of one kind.
    pub fn steps_of(&self, kind: StepKind) -> impl Iterator<Item = &Step> {
        self.steps().filter(move |s| s.kind == kind)
    }

    /// Whether the plan writes the cluster's history record.
    pub fn records_history(&self) -> bool {
        self.steps_of(StepKind::RecordHistory).next().is_some()
    }
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

/// Writes the cluster's history record on `host` (`uuid`: the UUID, or where to read it).
pub(crate) fn record_history_step(inventory: &Inventory, host: &str, uuid: Stdin) -> Step {
    Step {
        kind: StepKind::RecordHistory,
        ..Step::on_host(
            host,
            format!(
                "record the cluster state UUID in {}",
                crate::galera::HISTORY_FILE
            ),
            docker::write_file(&inventory.history_path(), "0644"),
            Some(uuid),
        )
    }
}

const VERIFY: &str = "verify";

pub(crate) fn verify_stage(size: usize) -> Stage {
    Stage {
        title: VERIFY.into(),
        steps: Vec::new(),
        wait: Some(WaitFor::Verified { size }),
    }
}

/// Whether `start_node` creates the node's container (missing, or built from another spec).
pub fn start_node_creates(inventory: &Inventory, node: &Node, container: &ContainerFact) -> bool {
    let want = docker::run_node(inventory, node);
    let want_spec = docker::spec_of(&want).unwrap_or_default();
    match container {
        ContainerFact::Running { .. } => false,
        ContainerFact::Stopped { spec } => spec != want_spec,
        ContainerFact::Missing => true,
    }
}

/// The plan that brings one node back as a joiner of the running cluster: its files, then its
/// stopped container started (or, when missing or built from another spec, created anew), then
/// a wait until it is Synced. A container created anew passes the rolling upgrade's version
/// guard first (`versions`: what the serving nodes run and the image has; a downgrade or an
/// unreadable version is refused unless `force`), and with a new release series the node
/// must have come back by IST.
pub fn start_node(
    inventory: &Inventory,
    node: &Node,
    container: &ContainerFact,
    versions: Option<&Versions>,
    force: bool,
) -> Result<Plan, PlanError> {
    let (notes, ist_only) = if start_node_creates(inventory, node, container) {
        upgrade::check_created(inventory, &node.name, versions, force)?
    } else {
        (Vec::new(), false)
    };
    let mut plan = start_node_unchecked(inventory, node, container);
    plan.notes = notes;
    if ist_only {
        plan.stages.push(Stage {
            title: format!("{} caught up", node.name),
            steps: Vec::new(),
            wait: Some(WaitFor::JoinedByIst {
                node: node.name.clone(),
            }),
        });
    }
    Ok(plan)
}

fn start_node_unchecked(inventory: &Inventory, node: &Node, container: &ContainerFact) -> Plan {
    let want = docker::run_node(inventory, node);
    let want_spec = docker::spec_of(&want).unwrap_or_default();
    let mut steps = Vec::new();
    // A stopped container built from this spec has its directories, secrets and volume: only
    // its cluster address is made sure of, then it starts.
    let restart = matches!(container, ContainerFact::Stopped { spec } if spec == want_spec);
    match container {
        ContainerFact::Running { .. } => {}
        ContainerFact::Stopped { .. } if restart => {
            steps.push(write_config_step(
                inventory,
                node,
                &ClusterAddress::others(inventory, node),
                "name the other members in the cluster address",
            ));
            steps.extend(start_or_run_steps(inventory, node, Some(container)));
        }
        ContainerFact::Stopped { .. } => {
            steps.extend(remove_steps(inventory, node));
            steps.push(run_step(
                inventory,
                node,
                "start with the new spec, as a joiner",
            ));
        }
        ContainerFact::Missing => steps.push(run_step(inventory, node, "start as a joiner")),
    }
    let mut stages = Vec::new();
    if !steps.is_empty() && !restart {
        stages.push(prepare(inventory, &[node], |n| {
            ClusterAddress::others(inventory, n)
        }));
    }
    stages.push(Stage {
        title: format!("bring {} back as a joiner", node.name),
        steps,
        wait: Some(WaitFor::Synced {
            nodes: vec![node.name.clone()],
        }),
    });
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages,
        on_failure: Vec::new(),
    }
}

/// A clean stop (InnoDB and Galera close, grastate keeps the seqno), then removal; the data
/// volume stays.
/// What a node needs on its host before its container can be created (directories, secrets,
/// the image if it is distributed, its config file naming the others, its volume), as a plan.
pub fn prepare_node(inventory: &Inventory, node: &Node) -> Plan {
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: vec![prepare(inventory, &[node], |n| {
            ClusterAddress::others(inventory, n)
        })],
        on_failure: Vec::new(),
    }
}

pub(crate) fn remove_steps(inventory: &Inventory, node: &Node) -> [Step; 2] {
    let name = inventory.container_name(node);
    let step =
        |description: String, argv: Vec<String>| Step::on_node(node, description, argv, None);
    [
        stop_step(inventory, node),
        step(
            format!("{}: remove the container; its data volume stays", node.name),
            vec!["docker".into(), "rm".into(), name],
        ),
    ]
}

/// A clean stop of the node's container, within the stop grace.
pub(crate) fn stop_step(inventory: &Inventory, node: &Node) -> Step {
    let mut step = Step::on_node(
        node,
        format!(
            "{}: stop cleanly (InnoDB and Galera close; grastate.dat keeps the seqno)",
            node.name
        ),
        docker::stop_node(inventory, node),
        None,
    );
    step.deadline_secs = Some(docker::STOP_GRACE.as_secs());
    step
}

/// The plan of `galeractl stop-node`: the node's container stopped cleanly. (Whether the
/// cluster keeps its quorum is decided before, from what the nodes report.)
pub fn stop_node(inventory: &Inventory, node: &Node) -> Plan {
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: vec![Stage {
            title: format!("stop {} cleanly", node.name),
            steps: vec![stop_step(inventory, node)],
            wait: None,
        }],
        on_failure: Vec::new(),
    }
}

fn join_stage(inventory: &Inventory, joiners: &[&Node]) -> Stage {
    let names: Vec<&str> = joiners.iter().map(|n| n.name.as_str()).collect();
    Stage {
        title: format!("join {}", names.join(", ")),
        steps: joiners
            .iter()
            .map(|n| run_step(inventory, n, "start as a joiner"))
            .collect(),
        wait: Some(WaitFor::Synced {
            nodes: joiners.iter().map(|n| n.name.clone()).collect(),
        }),
    }
}

/// A stopped container gets its restart policy back (`recover --force-without` turns it off on
/// a node it gives up), then `docker start`; a missing one is created.
pub(crate) fn start_or_run_steps(
    inventory: &Inventory,
    node: &Node,
    fact: Option<&ContainerFact>,
) -> Vec<Step> {
    let step =
        |what: &str, argv: Argv| Step::on_node(node, format!("{}: {what}", node.name), argv, None);
    match fact {
        Some(ContainerFact::Stopped { .. }) => vec![
            step(
                "restart policy unless-stopped (a node once given up has none)",
                docker::restart_policy(inventory, node),
            ),
            step(
                "start the stopped container as a joiner",
                docker::start_node(inventory, node),
            ),
        ],
        _ => vec![run_step(inventory, node, "start as a joiner")],
    }
}

fn run_step(inventory: &Inventory, node: &Node, what: &str) -> Step {
    Step {
        kind: StepKind::CreateNode,
        ..Step::on_node(
            node,
            format!("{}: {what}", node.name),
            docker::run_node(inventory, node),
            None,
        )
    }
}

pub(crate) fn write_config_step(
    inventory: &Inventory,
    node: &Node,
    address: &ClusterAddress,
    what: &str,
) -> Step {
    Step::on_node(
        node,
        format!("{}: {what}", node.name),
        docker::write_in_place(&inventory.config_path(node)),
        Some(Stdin::Text(docker::node_config(address))),
    )
}

/// Per host: the cluster's directories and secrets (once), and per node its config file, its
/// data volume and, where asked for, the image.
fn prepare(
    inventory: &Inventory,
    nodes: &[&Node],
    address: impl Fn(&Node) -> ClusterAddress,
) -> Stage {
    let mut steps = Vec::new();
    let mut hosts_done = BTreeSet::new();
    let secrets = inventory.secrets_dir();
    for node in nodes {
        let on_host = |description: String, argv: Argv, stdin: Option<Stdin>| {
            Step::on_host(&node.host, description, argv, stdin)
        };
        if hosts_done.insert(node.host.clone()) {
            steps.push(on_host(
                "create the cluster's directories (0700)".into(),
                docker::make_dirs(inventory),
                None,
            ));
            for (file, local, what) in [
                (
                    layout::ROOT_PASSWORD_FILE,
                    &inventory.cluster.root_password_file,
                    "root",
                ),
                (
                    layout::MONITOR_PASSWORD_FILE,
                    &inventory.cluster.monitor_password_file,
                    "monitoring user's",
                ),
            ] {
                steps.push(on_host(
                    format!("upload the {what} password (0600)"),
                    docker::write_secret(&format!("{secrets}/{file}")),
                    Some(Stdin::SecretFile(local.clone())),
                ));
            }
            if inventory.is_local() {
                steps.push(on_host(
                    format!(
                        "create the cluster's Docker network {} (unless it exists)",
                        inventory.cluster.network
                    ),
                    docker::network_create(inventory),
                    None,
                ));
            }
            steps.push(on_host(
                "install galeractl's node start script (recovers a crashed node's position before the server starts)".into(),
                docker::write_file(&inventory.node_start_path(), "0755"),
                Some(Stdin::Text(docker::NODE_START_SCRIPT.to_string())),
            ));
            if inventory.cluster.distribute_image {
                let mut step = on_host(
                    format!("copy image {} to the host", inventory.cluster.image),
                    docker::image_load(),
                    Some(Stdin::LocalCommand(docker::image_save(
                        &inventory.cluster.image,
                    ))),
                );
                step.only_if = Some(Guard::ImageMissing {
                    image: inventory.cluster.image.clone(),
                });
                steps.push(step);
            }
            steps.extend(local_user_steps(inventory, &node.host));
            steps.extend(tls_host_steps(inventory, &node.host));
        }
        steps.extend(tls_member_steps(inventory, &node.host, &node.name, true));
        let mut config = write_config_step(
            inventory,
            node,
            &address(node),
            "write the node's config file",
        );
        config.node = Some(node.name.clone());
        let config_path = inventory.config_path(node);
        steps.push(config);
        let mut readable = on_host(
            format!(
                "{}: make the config file readable by the server's user (0644; no secret in it)",
                node.name
            ),
            docker::readable_by_server(&config_path),
            None,
        );
        readable.node = Some(node.name.clone());
        steps.push(readable);
        let mut volume = on_host(
            format!("{}: create the data volume", node.name),
            docker::volume_create(inventory, node),
            None,
        );
        volume.node = Some(node.name.clone());
        steps.push(volume);
    }
    Stage {
        title: "prepare the hosts".into(),
        steps,
        wait: None,
    }
}

/// The files of the users the image creates at initialisation (mariabackup SST's, the
/// backup's) and the option files their clients read, on `host`, the password filled in only
/// when sent; the files the server reads given to the image's `mysql` user.
fn local_user_steps(inventory: &Inventory, host: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for user in docker::LocalUser::used(inventory) {
        let Some(password) = user.password_file(inventory) else {
            continue;
        };
        let (options, what) = match user {
            docker::LocalUser::Sst => (
                inventory.sst_auth_path(),
                "the SST credentials the server reads (wsrep_sst_auth)",
            ),
            docker::LocalUser::Backup => (
                inventory.backup_cnf_path(),
                "the backup user's option file (read by mariabackup in the node's container, as root)",
            ),
        };
        let text = match user {
            docker::LocalUser::Sst => docker::sst_auth_text(),
            docker::LocalUser::Backup => docker::backup_cnf_text(),
        };
        let sql = user.sql_path(inventory);
        for (path, text, what) in [
            (options.clone(), text, what.to_string()),
            (
                sql.clone(),
                user.sql(),
                format!(
                    "the {} user's creation, which the image runs when it initialises a node",
                    if user == docker::LocalUser::Sst {
                        "SST"
                    } else {
                        "backup"
                    }
                ),
            ),
        ] {
            steps.push(Step::on_host(
                host,
                format!("upload {what} (0600)"),
                docker::write_secret(&path),
                Some(Stdin::TextWithSecret {
                    text,
                    placeholder: user.placeholder().into(),
                    secret: password.clone(),
                }),
            ));
        }
        // The server reads the SST files; the backup's option file stays root's.
        let (owned, what) = match user {
            docker::LocalUser::Sst => (vec![options, sql], "the SST files"),
            docker::LocalUser::Backup => (vec![sql], "the backup user's creation"),
        };
        steps.push(Step::on_host(
            host,
            format!("give {what} to the image's mysql user (the server reads them as that user)"),
            docker::own_by_server_user(&inventory.cluster.image, &owned),
            None,
        ));
    }
    steps
}

/// With `[tls]`: the CA certificate and the SST script's TLS settings on `host` (and the
/// health endpoint client's, with HAProxy), none of them secret.
pub(crate) fn tls_host_steps(inventory: &Inventory, host: &str) -> Vec<Step> {
    let Some(tls) = &inventory.tls else {
        return Vec::new();
    };
    let mut steps = vec![
        Step::on_host(
            host,
            "upload the cluster's CA certificate (0644; its key stays on this machine)".into(),
            docker::write_file(&crate::tls::host_ca(inventory), "0644"),
            Some(Stdin::SecretFile(tls.ca_cert.clone())),
        ),
        Step::on_host(
            host,
            "upload the TLS settings of mariabackup SST (0644: socat's OpenSSL, peers verified against the CA)".into(),
            docker::write_file(&crate::tls::host_sst_cnf(inventory), "0644"),
            Some(Stdin::Text(crate::tls::sst_cnf_text())),
        ),
    ];
    if inventory.haproxy.is_some() {
        steps.push(Step::on_host(
            host,
            "upload the TLS settings of the health endpoint's client (0644)".into(),
            docker::write_file(&crate::tls::host_client_cnf(inventory), "0644"),
            Some(Stdin::Text(crate::tls::client_cnf_text())),
        ));
    }
    steps
}

/// With `[tls]`: a member's certificate (0644) and key (0600) on `host`, the key given to the
/// image's `mysql` user when the server reads it (`server_reads`; garbd reads it as root).
pub(crate) fn tls_member_steps(
    inventory: &Inventory,
    host: &str,
    member: &str,
    server_reads: bool,
) -> Vec<Step> {
    let Some(tls) = &inventory.tls else {
        return Vec::new();
    };
    let shown = if member == crate::tls::ARBITRATOR {
        "the arbitrator"
    } else {
        member
    };
    let key = crate::tls::host_key(inventory, member);
    let mut steps = vec![
        Step::on_host(
            host,
            format!("{shown}: upload its certificate (0644)"),
            docker::write_file(&crate::tls::host_cert(inventory, member), "0644"),
            Some(Stdin::SecretFile(crate::tls::local_cert(tls, member))),
        ),
        Step::on_host(
            host,
            format!("{shown}: upload its private key (0600)"),
            docker::write_secret(&key),
            Some(Stdin::SecretFile(crate::tls::local_key(tls, member))),
        ),
    ];
    if server_reads {
        steps.push(Step::on_host(
            host,
            format!("{shown}: give its key to the image's mysql user (the server reads it as that user)"),
            docker::own_by_server_user(&inventory.cluster.image, &[key]),
            None,
        ));
    } else if let Some(a) = &inventory.arbitrator {
        steps.push(Step::on_host(
            host,
            format!("{shown}: give its key to the user garbd's image runs as"),
            docker::own_by_image_default_user(&a.image, &[key]),
            None,
        ));
    }
    for s in &mut steps {
        if member != crate::tls::ARBITRATOR {
            s.node = Some(member.to_string());
        }
    }
    steps
}

/// The note of a plan run with `[ssh] sudo = true`.
pub const SUDO_NOTE: &str =
    "[ssh] sudo = true: each step below runs on its host as `sudo -n -- COMMAND`";

/// Texts longer than this are shown as here-documents.
const HEREDOC_LINES: usize = 6;
const HEREDOC_END: &str = "GALERACTL_EOF";

/// The plan as an operator reads it: numbered steps, one per line, each a shell command that
/// can be pasted on its host, with what it is for and what is waited for after it.
pub fn render(plan: &Plan) -> String {
    let mut out = format!("# plan for cluster {}\n", plan.cluster);
    for note in &plan.notes {
        out.push_str(&format!("# note: {note}\n"));
    }
    if plan.stages.is_empty() {
        out.push_str("# up to date: nothing to do\n");
        return out;
    }
    let mut n = 0;
    for (i, stage) in plan.stages.iter().enumerate() {
        let hosts: BTreeSet<&str> = stage.steps.iter().map(|s| s.host.as_str()).collect();
        let parallel = if hosts.len() > 1 {
            " (steps run in parallel across hosts)"
        } else {
            ""
        };
        out.push_str(&format!("# stage {}: {}{parallel}\n", i + 1, stage.title));
        for step in &stage.steps {
            n += 1;
            out.push_str(&render_step(n, step));
        }
        if let Some(wait) = &stage.wait {
            out.push_str(&format!("#   then wait: {wait}\n"));
        }
    }
    if !plan.on_failure.is_empty() {
        out.push_str("# on failure or interrupt (Ctrl-C, SIGTERM, SIGHUP), after it began:\n");
        for step in &plan.on_failure {
            n += 1;
            out.push_str(&render_step(n, step));
        }
    }
    out
}

/// A command as the argument of `ssh HOST`: quoted once more when the remote shell would
/// otherwise see it without its quotes.
fn over_ssh(command: &str) -> String {
    if command.contains(['\'', '"', '\\', '$', '|', '>', '<', '&', ';']) {
        shell_quote(command)
    } else {
        command.to_string()
    }
}

/// One numbered step: a shell command that can be pasted on its host, then what it is for.
fn render_step(n: usize, step: &Step) -> String {
    format!("{n:>3}. {}", render_step_line(step))
}

/// A step as `[host] command  # what it is for`, with a long text as a here-document below.
pub fn render_step_line(step: &Step) -> String {
    let mut command = shell_join(&step.argv);
    if step.ignore_exit {
        command.push_str(" || true");
    }
    let line = match &step.stdin {
        None => command,
        // A long text (a script) as a here-document: readable, and pasteable as is.
        Some(Stdin::Text(text)) if text.lines().count() > HEREDOC_LINES => {
            let end = if text.ends_with('\n') { "" } else { "\n" };
            return format!(
                "[{}] {command} <<'{HEREDOC_END}'  # {}\n{text}{end}{HEREDOC_END}\n",
                step.host, step.description
            );
        }
        Some(Stdin::Text(text)) => format!(
            "printf {} | {command}",
            shell_quote(&text.replace('%', "%%").replace('\n', "\\n"))
        ),
        Some(Stdin::ClusterStateUuid { node }) => {
            format!("echo '<the wsrep_cluster_state_uuid {node} reports>' | {command}")
        }
        Some(Stdin::SecretFile(path)) => {
            format!("{command} < {}", shell_quote(&path.display().to_string()))
        }
        Some(Stdin::TextWithSecret {
            text,
            placeholder,
            secret,
        }) => format!(
            "printf {} | {command}  # with {placeholder} replaced by the content of {}",
            shell_quote(&text.replace('%', "%%").replace('\n', "\\n")),
            secret.display()
        ),
        Some(Stdin::LocalCommand(local)) => {
            format!(
                "{} | ssh {} {}",
                shell_join(local),
                step.host,
                over_ssh(&command)
            )
        }
    };
    let line = match &step.stdout {
        None => line,
        Some(Stdout::LocalFile(path)) => {
            let to = shell_quote(&path.display().to_string());
            match &step.stdin {
                // Already `LOCAL | ssh HOST CMD`.
                Some(Stdin::LocalCommand(_)) => format!("{line} > {to}"),
                _ => format!("ssh {} {} > {to}", step.host, over_ssh(&line)),
            }
        }
    };
    let guard = match &step.only_if {
        Some(Guard::ImageMissing { image }) => format!(" (only if {image} is missing)"),
        None => String::new(),
    };
    format!("[{}] {line}  # {}{guard}\n", step.host, step.description)
}
