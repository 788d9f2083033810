//! `pc_recovery`: the fast path where Galera re-forms the Primary component by itself from the
//! nodes' saved views, with no bootstrap.

use std::collections::BTreeSet;

use super::types::heuristic_source;
use super::{Action, Choice, NodePosition, Reading, SavedView, Source};

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
