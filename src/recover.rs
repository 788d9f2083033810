//! Full-outage recovery, as decisions over facts: what `grastate.dat` and `mariadbd
//! --wsrep-recover` say, which node may bootstrap the cluster again, and the ordered actions
//! that follow, and what `recover` prints (`render.rs`, `report.rs`). Pure: no I/O, no clock;
//! `cmd::recover` reads the facts and runs the actions.
//!
//! The rules come from real data-loss bugs (a shortcut on `safe_to_bootstrap`, a reset after a
//! timeout, picking an empty node): only a node with a real position of the cluster's history
//! can bootstrap, the highest seqno wins, and anything unknown stops the command unless the
//! operator forces it.

mod actions;
pub mod commands;
mod history;
mod parse;
pub mod render;
pub mod report;
pub mod round;

pub use actions::{actions, Action};
pub use history::{history_after, HistoryAfter};
pub use parse::{
    is_uuid, parse_grastate, parse_gvwstate, parse_wsrep_recover, GraState, GraStateError,
    RecoverOutput, SavedView, ZERO_UUID,
};

use std::collections::BTreeSet;

pub use crate::facts::{ContainerState, NodePosition, Reading, Source};

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

/// Decides how the cluster comes back. See the module doc for the rules; each refusal names
/// the nodes concerned.
pub fn choose_bootstrap_node(nodes: &[NodePosition], safety: &Safety) -> Result<Choice, Refusal> {
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
    refuse_unread(nodes, safety)?;
    if let Some(choice) = stop_waiting(nodes) {
        return Ok(choice);
    }
    let best = most_advanced(nodes, safety)?;
    let mut notes = best.notes;
    let (chosen, uuid, seqno) = (best.node, best.uuid, best.seqno);
    let new_history = !safety.without.is_empty();
    let others = bootstrap_others(nodes, chosen, uuid, new_history, &mut notes);
    Ok(Choice::Bootstrap {
        node: chosen.name.clone(),
        uuid: uuid.to_string(),
        seqno,
        stop_first: chosen.container.is_running(),
        create: chosen.container.is_missing(),
        joiners: others.joiners,
        left_out: others.left_out,
        stop_left_out: others.stop_left_out,
        new_history,
        notes,
    })
}

/// No bootstrap while a node's position is unknown, unless the operator gave it up by name;
/// never beside a container that runs without answering (it may be a Primary's member).
fn refuse_unread(nodes: &[NodePosition], safety: &Safety) -> Result<(), Refusal> {
    // First, and given up or not: a node whose server answers serves, as far as anyone knows.
    let denied: Vec<(String, String)> = nodes
        .iter()
        .filter_map(|n| match &n.reading {
            Reading::AccessDenied(why) => Some((n.name.clone(), why.clone())),
            _ => None,
        })
        .collect();
    if !denied.is_empty() {
        return Err(Refusal::MonitorDenied(denied));
    }
    let given_up = |n: &NodePosition| safety.without.contains(&n.name);
    let not_unreadable: Vec<String> = safety
        .without
        .iter()
        .filter(|w| {
            !nodes
                .iter()
                .any(|n| &n.name == *w && matches!(n.reading, Reading::Unreadable(_)))
        })
        .cloned()
        .collect();
    if !not_unreadable.is_empty() {
        return Err(Refusal::WithoutReadable(not_unreadable));
    }
    let unreadable = |running: bool| -> Vec<(String, String)> {
        nodes
            .iter()
            .filter(|n| !given_up(n) && n.container.is_running() == running)
            .filter_map(|n| match &n.reading {
                Reading::Unreadable(why) => Some((n.name.clone(), why.clone())),
                _ => None,
            })
            .collect()
    };
    let silent = unreadable(true);
    if !silent.is_empty() {
        return Err(Refusal::RunningButSilent(silent));
    }
    let unknown = unreadable(false);
    if !unknown.is_empty() {
        return Err(Refusal::Unreadable(unknown));
    }
    Ok(())
}

/// Every node that runs waits non-Primary (its own log says so) and none serves: there is no
/// Primary component to split from. Their positions are read once they are stopped.
fn stop_waiting(nodes: &[NodePosition]) -> Option<Choice> {
    let waiting: Vec<&NodePosition> = nodes
        .iter()
        .filter(|n| matches!(n.reading, Reading::WaitingNonPrimary(_)))
        .collect();
    if waiting.is_empty() {
        return None;
    }
    Some(Choice::StopWaiting {
        nodes: waiting.iter().map(|n| n.name.clone()).collect(),
        notes: waiting
            .iter()
            .filter_map(|n| match &n.reading {
                Reading::WaitingNonPrimary(why) => Some(format!(
                    "{}: {why}; no node serves, so it is stopped and every position is read again (from InnoDB where the stop was not clean)",
                    n.name
                )),
                _ => None,
            })
            .collect(),
    })
}

/// The node to bootstrap from, at its position, with why.
struct Best<'a> {
    node: &'a NodePosition,
    uuid: &'a str,
    seqno: i64,
    notes: Vec<String>,
}

/// The most advanced node of one history: the highest seqno (a node whose prepared
/// transactions were resolved by heuristic only when no other node can); among equals,
/// `safe_to_bootstrap`, else the inventory order. A `safe_to_bootstrap` behind the highest
/// seqno is refused unless forced.
fn most_advanced<'a>(nodes: &'a [NodePosition], safety: &Safety) -> Result<Best<'a>, Refusal> {
    let all_valid: Vec<(&NodePosition, &str, i64)> = nodes
        .iter()
        .filter_map(|n| n.valid().map(|(u, s)| (n, u, s)))
        .collect();
    // A node whose prepared transactions were resolved by heuristic may hold data the others
    // do not at its seqno: it bootstraps only when no other node can, and otherwise rejoins by
    // a full copy.
    let plain: Vec<(&NodePosition, &str, i64)> = all_valid
        .iter()
        .copied()
        .filter(|(n, _, _)| !heuristic_source(n))
        .collect();
    let candidates = if plain.is_empty() { all_valid } else { plain };
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
        if !safety.force {
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
    Ok(Best {
        node: chosen,
        uuid,
        seqno,
        notes,
    })
}

/// What becomes of the nodes other than the bootstrap node.
struct Others {
    joiners: Vec<Joiner>,
    /// Given up (`--force-without`), with why they could not be read.
    left_out: Vec<(String, String)>,
    /// Given up and running: stopped before the bootstrap.
    stop_left_out: Vec<String>,
}

/// The other nodes: each joins (by IST from its position, or by a full copy when it has none,
/// was resolved by heuristic, or the bootstrap starts a new history), or is left out.
fn bootstrap_others(
    nodes: &[NodePosition],
    chosen: &NodePosition,
    uuid: &str,
    new_history: bool,
    notes: &mut Vec<String>,
) -> Others {
    let mut left_out = Vec::new();
    let mut stop_left_out = Vec::new();
    let mut joiners = Vec::new();
    for n in nodes.iter().filter(|n| n.name != chosen.name) {
        match &n.reading {
            Reading::Unreadable(why) => {
                left_out.push((n.name.clone(), why.clone()));
                if n.container.is_running() {
                    stop_left_out.push(n.name.clone());
                }
                continue;
            }
            _ if heuristic_source(n) => notes.push(format!(
                "{}'s prepared transactions were resolved by heuristic: its position is thrown away and it joins by full SST",
                n.name
            )),
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
        let mut j = joiner(n, uuid);
        if heuristic_source(n) || new_history {
            // A new history: every joiner is copied in full from the chosen node.
            j.write_seqno = None;
            j.discard_position = heuristic_source(n);
        }
        joiners.push(j);
    }
    if new_history {
        let names: Vec<&str> = left_out.iter().map(|(n, _)| n.as_str()).collect();
        notes.push(format!(
            "--force-without {}: given up; the cluster starts a NEW history from {} (a new cluster UUID), so {} can only rejoin by a full copy; every other node joins by full SST",
            names.join(","),
            chosen.name,
            names.join(", ")
        ));
        if !stop_left_out.is_empty() {
            notes.push(format!(
                "{} runs: stopped with its restart policy turned off before the bootstrap",
                stop_left_out.join(", ")
            ));
        }
    }
    Others {
        joiners,
        left_out,
        stop_left_out,
    }
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
        stop_first: n.container.is_running(),
        create: n.container.is_missing(),
        clear_safe_flag: matches!(
            n.reading,
            Reading::Position {
                safe_to_bootstrap: true,
                ..
            }
        ),
        discard_position: false,
        own: n.valid().map(|(u, s)| (u.to_string(), s)),
    }
}

fn join_primary(
    nodes: &[NodePosition],
    primaries: &[(&NodePosition, &str)],
    safety: &Safety,
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
    if let Some((node, seqno)) = &ahead {
        if !safety.force {
            return Err(Refusal::AheadOfPrimary {
                node: node.clone(),
                seqno: *seqno,
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
    if !foreign.is_empty() && !safety.force {
        return Err(Refusal::ForeignHistory {
            uuid,
            nodes: foreign,
        });
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
        match (&n.reading, n.container.is_running()) {
            (Reading::Primary { .. }, _) => {}
            (Reading::Unreadable(why), _) => notes.push(format!("{} left alone: {why}", n.name)),
            (Reading::AccessDenied(why), _) => notes.push(format!(
                "{} left alone: it answers SQL but refuses the monitoring user ({why})",
                n.name
            )),
            (_, true) => notes.push(format!(
                "{} runs outside the Primary component (joining?): left alone",
                n.name
            )),
            _ => {
                let mut j = joiner(n, &uuid);
                let is_foreign = foreign.iter().any(|(f, _, _)| *f == n.name);
                if ahead.as_ref().is_some_and(|(a, _)| *a == n.name)
                    || heuristic_source(n)
                    || is_foreign
                {
                    j.write_seqno = None;
                    j.discard_position = true;
                    notes.push(format!(
                        "{}: its position is thrown away (grastate.dat reset): it joins by a full copy, and what only it held is lost",
                        n.name
                    ));
                }
                joiners.push(j);
            }
        }
    }
    Ok(Choice::JoinPrimary {
        primary: primaries.iter().map(|(n, _)| n.name.clone()).collect(),
        repair_config: primaries
            .iter()
            .filter(|(n, _)| n.container.is_running())
            .map(|(n, _)| n.name.clone())
            .collect(),
        uuid,
        joiners,
        notes,
    })
}

fn heuristic_source(n: &NodePosition) -> bool {
    matches!(
        n.reading,
        Reading::Position {
            source: Source::Heuristic,
            ..
        }
    )
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
        if !n.container.is_stopped() {
            return Err(format!("{} is {}", n.name, n.container.coarse()));
        }
        if heuristic_source(n) {
            return Err(format!(
                "{}'s prepared transactions were resolved by heuristic",
                n.name
            ));
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
