//! The plan language: a [`Plan`] is stages of steps run one stage after another, each
//! [`Step`] an argv for one host with its stdin and what it is ([`StepKind`]), each [`Stage`]
//! followed by what is waited for ([`WaitFor`]); [`PlanError`] is why no plan is made. Data
//! only: the planners build it, `render` prints it, the runner runs it.

use std::path::PathBuf;

use serde::Serialize;

use super::{ASSUMED_DOWNTIME_SECS, NEW_HISTORY_FLAG};
use crate::argv::Argv;
use crate::inventory::Node;

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
    // serde's skip_serializing_if hands it a reference.
    #[allow(clippy::trivially_copy_pass_by_ref)]
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

/// The note of a plan run with `[ssh] sudo = true`.
pub const SUDO_NOTE: &str =
    "[ssh] sudo = true: each step below runs on its host as `sudo -n -- COMMAND`";

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
