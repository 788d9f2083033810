//! `choose_bootstrap_node` and its phases: refusals first (prepared transactions, unread or
//! silent nodes), then a running Primary to join, nodes waiting non-Primary to stop, or the
//! most advanced node to bootstrap from.

use std::collections::BTreeSet;

use super::joiners::{bootstrap_others, join_primary};
use super::types::heuristic_source;
use super::{Choice, NodePosition, Reading, Refusal, Safety, Source};

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

fn source_of(n: &NodePosition) -> Source {
    match &n.reading {
        Reading::Position { source, .. } => *source,
        _ => Source::WsrepStatus,
    }
}
