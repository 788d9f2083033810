//! The ordered actions that carry out a [`Choice`]: stages run one after the other, the
//! actions of one stage in parallel across nodes.

use std::fmt;

use super::Choice;

/// One thing recovery does to a node, in the order of [`actions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `docker stop` (a clean shutdown writes its seqno).
    Stop {
        node: String,
    },
    /// A node that waits non-Primary: a short grace, then the kill (a waiting server does not
    /// leave its wait on SIGTERM; it has applied nothing since its start, and its position is
    /// then recovered from InnoDB).
    StopWaiting {
        node: String,
    },
    /// A node given up with `--force-without` whose container runs: its restart policy off,
    /// then a clean stop, so that it cannot serve beside the new Primary component.
    StopGivenUp {
        node: String,
    },
    /// Right before the bootstrap: none of these given-up nodes answers SQL (one that does may
    /// be serving); otherwise recovery stops there.
    CheckSilent {
        nodes: Vec<String>,
    },
    /// The cluster's directories and secrets, for a container to be created.
    PrepareHost {
        node: String,
    },
    /// The node's config file: `gcomm://` when `bootstrap`, else the other members.
    WriteConfig {
        node: String,
        bootstrap: bool,
    },
    WriteGrastate {
        node: String,
        uuid: String,
        seqno: i64,
        safe_to_bootstrap: bool,
    },
    Start {
        node: String,
        create: bool,
    },
    WaitSynced {
        node: String,
    },
    /// These nodes Synced in one Primary component of (at least) their number.
    Verify {
        nodes: Vec<String>,
    },
    /// The new history's cluster UUID, as `via` reports it, recorded on the hosts of `nodes`
    /// (the new cluster's members), for `status` to compare with.
    RecordHistory {
        via: String,
        nodes: Vec<String>,
    },
    /// Galera's pc.recovery re-forms one Primary component of all these nodes, within a short
    /// deadline; otherwise recovery falls back to bootstrapping.
    WaitReformed {
        nodes: Vec<String>,
    },
}

impl Action {
    pub fn node(&self) -> Option<&str> {
        match self {
            Action::Stop { node }
            | Action::StopWaiting { node }
            | Action::StopGivenUp { node }
            | Action::PrepareHost { node }
            | Action::WriteConfig { node, .. }
            | Action::WriteGrastate { node, .. }
            | Action::Start { node, .. }
            | Action::WaitSynced { node } => Some(node),
            Action::Verify { .. }
            | Action::WaitReformed { .. }
            | Action::CheckSilent { .. }
            | Action::RecordHistory { .. } => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Stop { node } => write!(f, "{node}: stop its container cleanly"),
            Action::StopWaiting { node } => write!(
                f,
                "{node}: stop its container (it waits non-Primary: {}s grace, then killed)",
                crate::docker::WAITING_STOP_SECS
            ),
            Action::StopGivenUp { node } => write!(
                f,
                "{node}: turn its container's restart policy off, then stop it (given up)"
            ),
            Action::RecordHistory { via, nodes } => write!(
                f,
                "record the new cluster UUID ({via}'s) as the cluster's history on the hosts of {}",
                nodes.join(", ")
            ),
            Action::CheckSilent { nodes } => write!(
                f,
                "check that {} still do{} not answer SQL (else stop here: it may be serving)",
                nodes.join(", "),
                if nodes.len() == 1 { "es" } else { "" }
            ),
            Action::PrepareHost { node } => {
                write!(f, "{node}: create the cluster's directories and secrets")
            }
            Action::WriteConfig {
                node,
                bootstrap: true,
            } => write!(f, "{node}: cluster address gcomm:// (bootstrap)"),
            Action::WriteConfig { node, .. } => {
                write!(f, "{node}: cluster address = the other members")
            }
            Action::WriteGrastate {
                node,
                uuid,
                seqno,
                safe_to_bootstrap,
            } => write!(
                f,
                "{node}: grastate.dat uuid {uuid}, seqno {seqno}, safe_to_bootstrap {}",
                u8::from(*safe_to_bootstrap)
            ),
            Action::Start { node, create: true } => write!(f, "{node}: create and start"),
            Action::Start { node, .. } => write!(f, "{node}: start"),
            Action::WaitSynced { node } => write!(f, "{node}: wait until Primary and Synced"),
            Action::WaitReformed { nodes } => write!(
                f,
                "wait until {} re-form one Primary component by themselves (pc.recovery)",
                nodes.join(", ")
            ),
            Action::Verify { nodes } => write!(
                f,
                "verify: {} Synced in one Primary component of {}, one cluster UUID",
                nodes.join(", "),
                nodes.len()
            ),
        }
    }
}

/// The stages of actions for a choice; the actions of one stage may run in parallel across
/// nodes (in order on one node), the stages one after the other.
pub fn actions(choice: &Choice) -> Vec<Vec<Action>> {
    let mut stages: Vec<Vec<Action>> = Vec::new();
    let joiners = match choice {
        Choice::JoinPrimary { joiners, .. } => joiners,
        Choice::Bootstrap { joiners, .. } => joiners,
        Choice::StopWaiting { nodes, .. } => {
            return vec![nodes
                .iter()
                .map(|n| Action::StopWaiting { node: n.clone() })
                .collect()];
        }
    };
    let mut prepare: Vec<Action> = Vec::new();
    let mut stops: Vec<Action> = Vec::new();
    let node_prep = |name: &str, stop: bool, create: bool, bootstrap: bool| {
        let mut v = Vec::new();
        if stop {
            v.push(Action::Stop { node: name.into() });
        }
        if create {
            v.push(Action::PrepareHost { node: name.into() });
        }
        v.push(Action::WriteConfig {
            node: name.into(),
            bootstrap,
        });
        v
    };
    let mut members: Vec<String> = match choice {
        Choice::JoinPrimary { primary, .. } => primary.clone(),
        Choice::Bootstrap { node, .. } => vec![node.clone()],
        Choice::StopWaiting { .. } => Vec::new(),
    };
    // A running Primary node whose config still says gcomm:// (a bootstrap left by an
    // interrupted run) would form a second cluster on its next restart: its file is rewritten
    // in place to name the others (no restart; the same text when it already does).
    if let Choice::JoinPrimary { repair_config, .. } = choice {
        prepare.extend(repair_config.iter().map(|p| Action::WriteConfig {
            node: p.clone(),
            bootstrap: false,
        }));
    }
    let mut given_up: Vec<String> = Vec::new();
    if let Choice::Bootstrap {
        node,
        uuid,
        seqno,
        stop_first,
        create,
        left_out,
        stop_left_out,
        new_history,
        ..
    } = choice
    {
        let mut v = node_prep(node, *stop_first, *create, true);
        if *stop_first {
            stops.push(v.remove(0));
        }
        stops.extend(
            stop_left_out
                .iter()
                .map(|n| Action::StopGivenUp { node: n.clone() }),
        );
        given_up = left_out.iter().map(|(n, _)| n.clone()).collect();
        prepare.extend(v);
        // A new history (no position, so Galera gives the bootstrap a new cluster UUID) is
        // written only right before the start, after the given-up nodes are checked silent:
        // until then the chosen node keeps its real position for any rerun to read.
        if !*new_history {
            prepare.push(Action::WriteGrastate {
                node: node.clone(),
                uuid: uuid.clone(),
                seqno: *seqno,
                safe_to_bootstrap: true,
            });
        }
    }
    let cluster_uuid = match choice {
        Choice::JoinPrimary { uuid, .. } | Choice::Bootstrap { uuid, .. } => uuid.clone(),
        Choice::StopWaiting { .. } => String::new(),
    };
    let cluster_uuid = &cluster_uuid;
    for j in joiners {
        let mut v = node_prep(&j.name, j.stop_first, j.create, false);
        if j.stop_first {
            stops.push(v.remove(0));
        }
        prepare.extend(v);
        // Only the chosen node may say safe_to_bootstrap: 1.
        let write = if j.discard_position {
            Some((super::ZERO_UUID.to_string(), -1))
        } else if let Some(seqno) = j.write_seqno {
            Some((cluster_uuid.clone(), seqno))
        } else if j.clear_safe_flag {
            j.own.clone()
        } else {
            None
        };
        if let Some((uuid, seqno)) = write {
            prepare.push(Action::WriteGrastate {
                node: j.name.clone(),
                uuid,
                seqno,
                safe_to_bootstrap: false,
            });
        }
    }
    if !stops.is_empty() {
        stages.push(stops);
    }
    if !prepare.is_empty() {
        stages.push(prepare);
    }
    if let Choice::Bootstrap {
        node,
        create,
        new_history,
        ..
    } = choice
    {
        if !given_up.is_empty() {
            stages.push(vec![Action::CheckSilent { nodes: given_up }]);
        }
        if *new_history {
            stages.push(vec![Action::WriteGrastate {
                node: node.clone(),
                uuid: super::ZERO_UUID.to_string(),
                seqno: -1,
                safe_to_bootstrap: true,
            }]);
        }
        stages.push(vec![Action::Start {
            node: node.clone(),
            create: *create,
        }]);
        stages.push(vec![Action::WaitSynced { node: node.clone() }]);
        // From here on a restart of its container joins the others instead of forming a new
        // cluster: no bootstrap flag is left behind.
        stages.push(vec![Action::WriteConfig {
            node: node.clone(),
            bootstrap: false,
        }]);
    }
    // One at a time: a joiner restarted during another's transfer would need a full SST.
    for j in joiners {
        stages.push(vec![Action::Start {
            node: j.name.clone(),
            create: j.create,
        }]);
        stages.push(vec![Action::WaitSynced {
            node: j.name.clone(),
        }]);
        members.push(j.name.clone());
    }
    stages.push(vec![Action::Verify {
        nodes: members.clone(),
    }]);
    if let Choice::Bootstrap {
        node,
        new_history: true,
        ..
    } = choice
    {
        stages.push(vec![Action::RecordHistory {
            via: node.clone(),
            nodes: members,
        }]);
    }
    stages
}
