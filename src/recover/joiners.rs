//! What becomes of the nodes that do not bootstrap: each joins (by IST from its position, or by
//! a full copy), is left out, or is left alone beside a running Primary component.

use std::collections::BTreeSet;

use super::types::heuristic_source;
use super::{Choice, Joiner, NodePosition, Reading, Refusal, Safety, Source};

/// What becomes of the nodes other than the bootstrap node.
pub(super) struct Others {
    pub(super) joiners: Vec<Joiner>,
    /// Given up (`--force-without`), with why they could not be read.
    pub(super) left_out: Vec<(String, String)>,
    /// Given up and running: stopped before the bootstrap.
    pub(super) stop_left_out: Vec<String>,
}

/// The other nodes: each joins (by IST from its position, or by a full copy when it has none,
/// was resolved by heuristic, or the bootstrap starts a new history), or is left out.
pub(super) fn bootstrap_others(
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

pub(super) fn join_primary(
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
