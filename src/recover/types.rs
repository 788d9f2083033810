//! What the bootstrap decision takes and gives: the operator's `Safety`, a `Choice` (with its
//! `Joiner`s) or a `Refusal` that names the nodes concerned; and what a node's reading says of
//! heuristic recovery.

use std::collections::BTreeSet;

use super::{NodePosition, Reading, Source};

/// What the operator allowed on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Safety {
    /// `--force`: bootstrap past a `safe_to_bootstrap` that disagrees with the seqnos (the
    /// highest seqno still wins), and let a stopped node that is ahead of the running Primary
    /// join by a full copy (its own later transactions are discarded).
    pub force: bool,
    /// `--force-without NODE`: nodes whose position cannot be read that the operator gives up.
    /// Recovery then starts a NEW history from the others, so that a given-up node can only
    /// ever come back by a full copy, never by IST on top of transactions the others lack.
    pub without: BTreeSet<String>,
}

impl Safety {
    pub fn strict() -> Safety {
        Safety::default()
    }

    pub fn forced() -> Safety {
        Safety {
            force: true,
            ..Safety::default()
        }
    }
}

/// A node started after the Primary component exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joiner {
    pub name: String,
    /// The recovered seqno to write into its grastate.dat (it said -1), so it asks for IST.
    pub write_seqno: Option<i64>,
    /// Stop it first: it runs outside any Primary component.
    pub stop_first: bool,
    /// Its container is missing: create it.
    pub create: bool,
    /// Its grastate.dat says safe_to_bootstrap: 1: write 0 (only the chosen node may have it).
    pub clear_safe_flag: bool,
    /// Throw its position away (grastate.dat to the zero UUID and seqno -1): it joins by a full
    /// copy. For a node whose data may differ from the cluster's at its seqno.
    pub discard_position: bool,
    /// Its own valid position, as read (to rewrite grastate.dat with only the flag changed).
    pub own: Option<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// No node serves, and the running ones wait non-Primary with no position to read: stop
    /// them cleanly (each writes its seqno), then read every position again and decide.
    StopWaiting {
        nodes: Vec<String>,
        notes: Vec<String>,
    },
    /// A Primary component runs: nothing to bootstrap; start the stopped nodes as joiners.
    JoinPrimary {
        primary: Vec<String>,
        /// The Primary nodes whose host galeractl reaches: their config files are rewritten
        /// in place to name the others (a bootstrap address left by an interrupted run).
        repair_config: Vec<String>,
        uuid: String,
        joiners: Vec<Joiner>,
        notes: Vec<String>,
    },
    Bootstrap {
        node: String,
        uuid: String,
        seqno: i64,
        stop_first: bool,
        create: bool,
        joiners: Vec<Joiner>,
        /// Nodes given up with `--force-without`, with why they could not be read.
        left_out: Vec<(String, String)>,
        /// Given-up nodes whose container is known to run: stopped, with their restart policy
        /// turned off, before the bootstrap.
        stop_left_out: Vec<String>,
        /// Start a new history (a new cluster UUID) rather than keep `uuid`: some node was
        /// given up, and it must never rejoin by IST.
        new_history: bool,
        notes: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("cannot read the position of {}: that node may be the most advanced, or may still be serving. Bring it back (or fix what is said) and run again. Only if you know it is down for good and accept losing what only it holds, pass --force-without {}: recovery then starts a new history from the others, and that node can only rejoin by a full copy", list_why(.0), .0.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(","))]
    Unreadable(Vec<(String, String)>),
    #[error("the container of {} runs but its SQL does not answer: it may be serving in a Primary component galeractl cannot see, and bootstrapping another beside it would split the cluster in two (both taking writes). Make it answer (the SQL port from this machine, the monitoring password, max_connections, a slow start), or stop it, then run again", list_why(.0))]
    RunningButSilent(Vec<(String, String)>),
    #[error("{} run and answer SQL but refuse the monitoring user: galeractl cannot read their state, and they may serve in a Primary component, so nothing is bootstrapped beside them and none is given up, whatever is forced; nothing was changed", list_why(.0))]
    MonitorDenied(Vec<(String, String)>),
    #[error("--force-without names {}, whose position can be read: it is for nodes that cannot be read; nothing was changed", .0.join(", "))]
    WithoutReadable(Vec<String>),
    #[error("crash recovery cannot resolve prepared transactions on {}; nothing was changed. Decide whether they commit or roll back, then run again with --tc-heuristic-recover=commit or --tc-heuristic-recover=rollback", list_why(.0))]
    PreparedTransactions(Vec<(String, String)>),
    #[error("the nodes do not share one cluster UUID ({}): they hold different histories; recover refuses to pick one", .0.iter().map(|(n, u, s)| format!("{n}: {u}:{s}")).collect::<Vec<_>>().join(", "))]
    ClusterUuids(Vec<(String, String, i64)>),
    #[error("safe_to_bootstrap: 1 is set on {flagged} (seqno {flagged_seqno}) but {best} is further ahead (seqno {best_seqno}); safe_to_bootstrap never overrides a higher seqno. Check the nodes, then pass --force to bootstrap from {best}")]
    SafeToBootstrapDisagrees {
        flagged: String,
        flagged_seqno: i64,
        best: String,
        best_seqno: i64,
    },
    #[error("no node has a valid position (a cluster UUID and a seqno): {}; recover never starts a new, empty history over existing data", .0.join(", "))]
    NoValidPosition(Vec<String>),
    #[error("{node} is stopped at seqno {seqno} of the running cluster's history, ahead of its Primary component (seqno {primary_seqno}): the cluster was restarted from a less advanced node, and {node} holds transactions it does not. Galera would either refuse it (states diverged) or, once the cluster passes seqno {seqno}, apply IST on top of them (silent divergence). Save what {node} holds, then pass --force: its position is thrown away and it joins by a full copy")]
    AheadOfPrimary {
        node: String,
        seqno: i64,
        primary_seqno: i64,
    },
    #[error("{} hold{} another history than the running Primary component ({uuid}): a full copy would overwrite {}. If they were given up (recover --force-without) or their data is saved, pass --force: their position is thrown away and they join by a full copy", .nodes.iter().map(|(n, u, s)| format!("{n} ({u}:{s})")).collect::<Vec<_>>().join(", "), if .nodes.len() == 1 { "s" } else { "" }, if .nodes.len() == 1 { "it" } else { "them" })]
    ForeignHistory {
        uuid: String,
        nodes: Vec<(String, String, i64)>,
    },
    #[error("more than one Primary component runs ({}): a split cluster; recover does not touch it", list_why(.0))]
    SplitPrimary(Vec<(String, String)>),
}

fn list_why(items: &[(String, String)]) -> String {
    items
        .iter()
        .map(|(n, why)| format!("{n} ({why})"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn heuristic_source(n: &NodePosition) -> bool {
    matches!(
        n.reading,
        Reading::Position {
            source: Source::Heuristic,
            ..
        }
    )
}
