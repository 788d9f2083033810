//! Full-outage recovery, as decisions over facts: what `grastate.dat` and `mariadbd
//! --wsrep-recover` say, which node may bootstrap the cluster again, and the ordered actions
//! that follow. Pure: no I/O, no clock; `cmd::recover` reads the facts and runs the actions.
//!
//! The rules come from real data-loss bugs (a shortcut on `safe_to_bootstrap`, a reset after a
//! timeout, picking an empty node): only a node with a real position of the cluster's history
//! can bootstrap, the highest seqno wins, and anything unknown stops the command unless the
//! operator forces it.

mod actions;
pub mod oneoff;
mod parse;
pub mod render;

pub use actions::{actions, Action};
pub use parse::{
    is_uuid, parse_grastate, parse_gvwstate, parse_wsrep_recover, rewrite_grastate, GraState,
    GraStateError, RecoverOutput, SavedView, ZERO_UUID,
};

use std::collections::BTreeSet;
use std::fmt;

/// Where a position was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Grastate,
    WsrepRecover,
    /// A running node's `wsrep_last_committed`.
    WsrepStatus,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Grastate => "grastate",
            Source::WsrepRecover => "wsrep-recover",
            Source::WsrepStatus => "wsrep status",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Running,
    Stopped,
    Missing,
    /// The host did not answer.
    Unknown,
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Container::Running => "running",
            Container::Stopped => "stopped",
            Container::Missing => "missing",
            Container::Unknown => "unknown",
        })
    }
}

/// What was learned of one node's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// The node runs in a Primary component.
    Primary {
        uuid: String,
        seqno: i64,
    },
    Position {
        uuid: String,
        seqno: i64,
        safe_to_bootstrap: bool,
        source: Source,
    },
    /// No data volume or no grastate.dat: it never held the cluster's data.
    NoData,
    PreparedTransactions(String),
    Unreadable(String),
}

/// One node as recovery sees it, in inventory order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePosition {
    pub name: String,
    pub host: String,
    pub container: Container,
    pub reading: Reading,
}

impl NodePosition {
    /// A position the cluster can restart from: a real cluster UUID and a seqno.
    fn valid(&self) -> Option<(&str, i64)> {
        match &self.reading {
            Reading::Position { uuid, seqno, .. } | Reading::Primary { uuid, seqno }
                if uuid != ZERO_UUID && *seqno >= 0 =>
            {
                Some((uuid, *seqno))
            }
            _ => None,
        }
    }
}

/// Whether `--force` was given: go on without nodes that cannot be read, and past a
/// `safe_to_bootstrap` that disagrees with the seqnos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    Strict,
    Forced,
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// A Primary component runs: nothing to bootstrap; start the stopped nodes as joiners.
    JoinPrimary {
        primary: Vec<String>,
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
        /// Nodes left alone, with why (forced past).
        left_out: Vec<(String, String)>,
        notes: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("cannot read the position of {}: that node may be the most advanced; bring it back (or fix what is said) and run again, or pass --force to recover from the others", list_why(.0))]
    Unreadable(Vec<(String, String)>),
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
    #[error("{node} is stopped at seqno {seqno} of the running cluster's history, ahead of its Primary component (seqno {primary_seqno}): the cluster was restarted from a less advanced node, and joining would replace {node}'s extra transactions by a full copy. Save what {node} holds, then pass --force to let it join")]
    AheadOfPrimary {
        node: String,
        seqno: i64,
        primary_seqno: i64,
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

/// Decides how the cluster comes back. See the module doc for the rules; each refusal names
/// the nodes concerned.
pub fn choose_bootstrap_node(nodes: &[NodePosition], safety: Safety) -> Result<Choice, Refusal> {
    let prepared: Vec<(String, String)> = nodes
        .iter()
        .filter_map(|n| match &n.reading {
            Reading::PreparedTransactions(why) => Some((n.name.clone(), why.clone())),
            _ => None,
        })
        .collect();
    if !prepared.is_empty() {
        return Err(Refusal::PreparedTransactions(prepared));
    }
    let primaries: Vec<(&NodePosition, &str)> = nodes
        .iter()
        .filter_map(|n| match &n.reading {
            Reading::Primary { uuid, .. } => Some((n, uuid.as_str())),
            _ => None,
        })
        .collect();
    if !primaries.is_empty() {
        return join_primary(nodes, &primaries, safety);
    }
    let unreadable: Vec<(String, String)> = nodes
        .iter()
        .filter_map(|n| match &n.reading {
            Reading::Unreadable(why) => Some((n.name.clone(), why.clone())),
            _ => None,
        })
        .collect();
    if !unreadable.is_empty() && safety == Safety::Strict {
        return Err(Refusal::Unreadable(unreadable));
    }
    let candidates: Vec<(&NodePosition, &str, i64)> = nodes
        .iter()
        .filter_map(|n| n.valid().map(|(u, s)| (n, u, s)))
        .collect();
    let Some(&(_, uuid, seqno)) = candidates.iter().max_by_key(|(_, _, s)| *s) else {
        return Err(Refusal::NoValidPosition(
            nodes.iter().map(|n| n.name.clone()).collect(),
        ));
    };
    let uuids: BTreeSet<&str> = candidates.iter().map(|(_, u, _)| *u).collect();
    if uuids.len() > 1 {
        return Err(Refusal::ClusterUuids(
            candidates
                .iter()
                .map(|(n, u, s)| (n.name.clone(), u.to_string(), *s))
                .collect(),
        ));
    }
    let safe = |n: &NodePosition| {
        matches!(
            n.reading,
            Reading::Position {
                safe_to_bootstrap: true,
                ..
            }
        )
    };
    let tied: Vec<&NodePosition> = candidates
        .iter()
        .filter(|(_, _, s)| *s == seqno)
        .map(|(n, _, _)| *n)
        .collect();
    // Equal seqnos of one history are the same data: safe_to_bootstrap may pick among them,
    // else the inventory order does; never timing.
    let chosen = tied
        .iter()
        .find(|n| safe(n))
        .or(tied.first())
        .copied()
        .ok_or_else(|| Refusal::NoValidPosition(Vec::new()))?;
    let mut notes = vec![format!(
        "{} has the highest seqno ({uuid}:{seqno}, from {})",
        chosen.name,
        source_of(chosen)
    )];
    if tied.len() > 1 {
        let names: Vec<&str> = tied.iter().map(|n| n.name.as_str()).collect();
        notes.push(format!(
            "{} are tied at seqno {seqno}: chose {}, {}",
            names.join(", "),
            chosen.name,
            if safe(chosen) {
                "the one with safe_to_bootstrap: 1"
            } else {
                "the first in inventory order"
            }
        ));
    }
    if let Some((flagged, flagged_seqno)) = candidates
        .iter()
        .find(|(n, _, s)| safe(n) && *s < seqno)
        .map(|(n, _, s)| (n.name.clone(), *s))
    {
        if safety == Safety::Strict {
            return Err(Refusal::SafeToBootstrapDisagrees {
                flagged,
                flagged_seqno,
                best: chosen.name.clone(),
                best_seqno: seqno,
            });
        }
        notes.push(format!(
            "--force: safe_to_bootstrap: 1 on {flagged} (seqno {flagged_seqno}) ignored; {} is further ahead",
            chosen.name
        ));
    } else if safe(chosen) {
        notes.push(format!(
            "safe_to_bootstrap: 1 on {} confirms the choice",
            chosen.name
        ));
    }
    let mut left_out = Vec::new();
    let mut joiners = Vec::new();
    for n in nodes.iter().filter(|n| n.name != chosen.name) {
        match &n.reading {
            Reading::Unreadable(why) => {
                left_out.push((n.name.clone(), why.clone()));
                continue;
            }
            Reading::NoData => notes.push(format!(
                "{} has no data of the cluster: it joins by full SST",
                n.name
            )),
            _ if n.valid().is_none() => notes.push(format!(
                "{} has no valid position (never initialised, or an aborted SST): it joins by full SST",
                n.name
            )),
            _ => {}
        }
        joiners.push(joiner(n, uuid));
    }
    if !left_out.is_empty() {
        notes.push(format!(
            "--force: left out {}",
            left_out
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Choice::Bootstrap {
        node: chosen.name.clone(),
        uuid: uuid.to_string(),
        seqno,
        stop_first: chosen.container == Container::Running,
        create: chosen.container == Container::Missing,
        joiners,
        left_out,
        notes,
    })
}

fn source_of(n: &NodePosition) -> Source {
    match &n.reading {
        Reading::Position { source, .. } => *source,
        _ => Source::WsrepStatus,
    }
}

fn joiner(n: &NodePosition, cluster_uuid: &str) -> Joiner {
    let write_seqno = match &n.reading {
        Reading::Position {
            uuid,
            seqno,
            source: Source::WsrepRecover,
            ..
        } if uuid == cluster_uuid && *seqno >= 0 => Some(*seqno),
        _ => None,
    };
    Joiner {
        name: n.name.clone(),
        write_seqno,
        stop_first: n.container == Container::Running,
        create: n.container == Container::Missing,
    }
}

fn join_primary(
    nodes: &[NodePosition],
    primaries: &[(&NodePosition, &str)],
    safety: Safety,
) -> Result<Choice, Refusal> {
    let uuids: BTreeSet<&str> = primaries.iter().map(|(_, u)| *u).collect();
    if uuids.len() > 1 {
        return Err(Refusal::SplitPrimary(
            primaries
                .iter()
                .map(|(n, u)| (n.name.clone(), format!("cluster UUID {u}")))
                .collect(),
        ));
    }
    let uuid = primaries[0].1.to_string();
    let primary_seqno = nodes
        .iter()
        .filter_map(|n| match &n.reading {
            Reading::Primary { seqno, .. } => Some(*seqno),
            _ => None,
        })
        .max()
        .unwrap_or(-1);
    let ahead = nodes.iter().find_map(|n| match &n.reading {
        Reading::Position { uuid: u, seqno, .. } if *u == uuid && *seqno > primary_seqno => {
            Some((n.name.clone(), *seqno))
        }
        _ => None,
    });
    if let Some((node, seqno)) = ahead {
        if safety == Safety::Strict {
            return Err(Refusal::AheadOfPrimary {
                node,
                seqno,
                primary_seqno,
            });
        }
    }
    // A stopped node of another history would be overwritten by a full SST: never silently.
    let foreign: Vec<(String, String, i64)> = nodes
        .iter()
        .filter(|n| !matches!(n.reading, Reading::Primary { .. }))
        .filter_map(|n| {
            n.valid()
                .filter(|(u, _)| *u != uuid)
                .map(|(u, s)| (n.name.clone(), u.to_string(), s))
        })
        .collect();
    if !foreign.is_empty() {
        let mut all: Vec<(String, String, i64)> = primaries
            .iter()
            .map(|(n, u)| (n.name.clone(), u.to_string(), primary_seqno))
            .collect();
        all.extend(foreign);
        return Err(Refusal::ClusterUuids(all));
    }
    let mut notes = vec![format!(
        "{} running in a Primary component: nothing to bootstrap",
        primaries
            .iter()
            .map(|(n, _)| n.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let mut joiners = Vec::new();
    for n in nodes {
        match (&n.reading, n.container) {
            (Reading::Primary { .. }, _) => {}
            (Reading::Unreadable(why), _) => notes.push(format!("{} left alone: {why}", n.name)),
            (_, Container::Running) => notes.push(format!(
                "{} runs outside the Primary component (joining?): left alone",
                n.name
            )),
            _ => joiners.push(joiner(n, &uuid)),
        }
    }
    Ok(Choice::JoinPrimary {
        primary: primaries.iter().map(|(n, _)| n.name.clone()).collect(),
        uuid,
        joiners,
        notes,
    })
}

#[cfg(test)]
mod tests;

/// The fast path, when Galera can re-form the cluster by itself (`pc.recovery`): every node of
/// the inventory is stopped, has a valid position of the one history, and saved the SAME last
/// Primary view whose members are exactly these nodes. Then every grastate.dat gets its
/// recovered seqno (so the history is kept and laggards catch up by IST), every node starts at
/// once as a normal member, and Galera restores the Primary component when all of them are
/// back; no node bootstraps. Any doubt (a node missing, views that differ, a node that never
/// held data): `Err(why)`, and the caller takes the bootstrap path.
pub fn pc_recovery(
    choice: &Choice,
    nodes: &[NodePosition],
    views: &[Option<SavedView>],
) -> Result<Vec<Vec<Action>>, String> {
    let Choice::Bootstrap {
        uuid,
        left_out,
        stop_first: false,
        create: false,
        ..
    } = choice
    else {
        return Err("a node runs or must be created".into());
    };
    if !left_out.is_empty() {
        return Err("some nodes are left out".into());
    }
    let mut first: Option<&SavedView> = None;
    let mut node_ids = BTreeSet::new();
    for (n, view) in nodes.iter().zip(views) {
        if n.container != Container::Stopped {
            return Err(format!("{} is {}", n.name, n.container));
        }
        match n.valid() {
            Some((u, _)) if u == uuid => {}
            _ => return Err(format!("{} has no valid position of the history", n.name)),
        }
        let Some(view) = view else {
            return Err(format!("{} saved no Primary view (gvwstate.dat)", n.name));
        };
        match first {
            Some(f) if f.view_id != view.view_id || f.members != view.members => {
                return Err(format!(
                    "{} and {} saved different views",
                    nodes[0].name, n.name
                ))
            }
            _ => first = first.or(Some(view)),
        }
        if !view.members.contains(&view.my_uuid) || !node_ids.insert(view.my_uuid.clone()) {
            return Err(format!("{}'s saved view does not hold it once", n.name));
        }
    }
    if first.map(|v| v.members.len()) != Some(nodes.len()) {
        return Err("the saved view's members are not exactly the inventory's nodes".into());
    }
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    let mut prepare = Vec::new();
    for n in nodes {
        prepare.push(Action::WriteConfig {
            node: n.name.clone(),
            bootstrap: false,
        });
        if let (
            Reading::Position {
                source: Source::WsrepRecover,
                ..
            },
            Some((u, seqno)),
        ) = (&n.reading, n.valid())
        {
            prepare.push(Action::WriteGrastate {
                node: n.name.clone(),
                uuid: u.to_string(),
                seqno,
                safe_to_bootstrap: false,
            });
        }
    }
    Ok(vec![
        prepare,
        names
            .iter()
            .map(|n| Action::Start {
                node: n.clone(),
                create: false,
            })
            .collect(),
        vec![Action::WaitReformed {
            nodes: names.clone(),
        }],
        names
            .iter()
            .map(|n| Action::WaitSynced { node: n.clone() })
            .collect(),
        vec![Action::Verify { nodes: names }],
    ])
}
