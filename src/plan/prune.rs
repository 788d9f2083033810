//! Nodes that the inventory no longer names ("strays", found on their hosts by the cluster's
//! labels and in the members' own list of addresses): reported by every plan, and with
//! `up --prune` taken out one at a time, after HAProxy no longer sends them traffic: a clean
//! stop (the cluster shrinks), their containers removed, their data volume kept unless
//! `--delete-data`.

use super::{Observed, Plan, PlanError, Stage, Step, Stray};
use crate::docker;
use crate::inventory::Inventory;

/// What `up` was told beyond the inventory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpOptions {
    /// Take the strays out (`--prune`); otherwise they are only reported.
    pub prune: bool,
    /// Delete their data volumes too (`--delete-data`).
    pub delete_data: bool,
    /// Roll on although a node may not come back by IST, or across a downgrade (`--force`).
    pub force: bool,
    /// Bootstrap a new, empty cluster although the hosts hold this cluster's stopped
    /// containers or volumes under other node names, or a history record (`--new-history`).
    pub new_history: bool,
}

/// How many strays the running cluster counts as members (its size until they are removed).
pub fn members(observed: &Observed) -> usize {
    observed.strays.iter().filter(|s| s.member).count()
}

/// Adds the strays' report, or (with `--prune`) their removal, to `plan`, which already holds
/// the rest of `up` (HAProxy's new configuration among it: traffic leaves them first).
pub fn apply(
    inventory: &Inventory,
    observed: &Observed,
    prune: UpOptions,
    plan: &mut Plan,
) -> Result<(), PlanError> {
    if observed.strays.is_empty() {
        return Ok(());
    }
    if !prune.prune {
        plan.notes.extend(observed.strays.iter().map(|s| {
            format!(
                "{} on {} is not in the inventory ({}); `galeractl up --prune` takes it out (its data volume stays unless --delete-data)",
                s.name,
                s.host,
                if s.member {
                    "a member of the cluster"
                } else if s.state.is_running() {
                    "its container runs"
                } else {
                    "its container is stopped"
                }
            )
        }));
        return Ok(());
    }
    // Before anything is touched: the inventory's members that serve now must be a majority
    // of what the cluster will be.
    let serving = observed.nodes.iter().filter(|o| o.synced_primary).count()
        + usize::from(observed.arbitrator_surely);
    let size = inventory.members();
    if serving * 2 <= size {
        return Err(PlanError::PruneWithoutMajority {
            cluster: inventory.cluster.name.clone(),
            serving,
            size,
        });
    }
    // One at a time, each followed by a verified cluster of the size left: never the next
    // one while the cluster is not whole.
    let mut members_left = members(observed);
    for stray in &observed.strays {
        let mut stage = remove_stage(inventory, stray, prune.delete_data);
        members_left -= usize::from(stray.member);
        stage.wait = Some(super::WaitFor::Verified {
            size: nodes_and_arbitrator(inventory, observed) + members_left,
        });
        plan.stages.push(stage);
    }
    // A host that no role of the cluster uses any more keeps none of its files (secrets).
    let used = |h: &str| {
        inventory
            .nodes
            .iter()
            .any(|n| n.host.eq_ignore_ascii_case(h))
            || inventory
                .haproxy
                .as_ref()
                .is_some_and(|p| p.host.eq_ignore_ascii_case(h))
            || inventory
                .arbitrator
                .as_ref()
                .is_some_and(|a| a.host.eq_ignore_ascii_case(h))
    };
    let mut left: Vec<&str> = observed
        .strays
        .iter()
        .map(|s| s.host.as_str())
        .filter(|h| !used(h))
        .collect();
    left.sort_unstable();
    left.dedup();
    if !left.is_empty() {
        plan.stages.push(Stage {
            title: format!(
                "remove the cluster's files (its secrets) from {}: no member of it is left there",
                left.join(", ")
            ),
            steps: left
                .iter()
                .map(|h| {
                    Step::on_host(
                        h,
                        format!(
                            "remove galeractl's files from {}, then the directory if it is left empty, unless a container of the cluster is still there",
                            inventory.cluster_dir()
                        ),
                        docker::shell::remove_cluster_dir_if_unused(inventory),
                        None,
                    )
                })
                .collect(),
            wait: None,
        });
    }
    plan.stages.push(super::verify_stage(size));
    Ok(())
}

/// One stray out: stopped cleanly (it leaves the component, which shrinks), its container and
/// health endpoint removed, its volume deleted only when asked.
fn remove_stage(inventory: &Inventory, stray: &Stray, delete_data: bool) -> Stage {
    let on = |description: String, argv: Vec<String>| Step {
        node: Some(stray.name.clone()),
        ..Step::on_host(&stray.host, description, argv, None)
    };
    let mut stop = on(
        format!(
            "{}: stop cleanly (it leaves the cluster, which shrinks)",
            stray.name
        ),
        docker::container::stop(&stray.container),
    );
    stop.deadline_secs = Some(docker::STOP_GRACE.as_secs());
    let check = crate::inventory::layout::check_container_of(&stray.container);
    let mut remove_check = on(
        format!("{}: remove its health endpoint, if any", stray.name),
        docker::container::remove_forced(&check),
    );
    remove_check.ignore_exit = true;
    let mut steps = vec![
        stop,
        on(
            format!("{}: remove its container", stray.name),
            docker::container::remove(&stray.container),
        ),
        remove_check,
    ];
    let volume = volume_of(inventory, stray);
    if delete_data {
        steps.push(on(
            format!("{}: delete its data volume (--delete-data)", stray.name),
            docker::container::remove_volume(&volume),
        ));
    }
    Stage {
        title: format!(
            "take out {} (not in the inventory){}",
            stray.name,
            if delete_data {
                ""
            } else {
                "; its data volume stays"
            }
        ),
        steps,
        wait: None,
    }
}

/// The members of the cluster the inventory names that run now: its nodes, and the arbitrator
/// when it is a member.
fn nodes_and_arbitrator(inventory: &Inventory, observed: &Observed) -> usize {
    inventory.nodes.len() + usize::from(observed.arbitrator_member)
}

/// The stray's data volume, named as the inventory names a node's.
pub fn volume_of(inventory: &Inventory, stray: &Stray) -> String {
    match inventory.nodes.first() {
        Some(n) => inventory.volume_name(&crate::inventory::Node {
            name: stray.name.clone(),
            host: stray.host.clone(),
            ..n.clone()
        }),
        None => format!("{}-{}-data", inventory.cluster.name, stray.name),
    }
}

/// What `up --prune --delete-data` deletes, for its question.
pub fn deletion_question(inventory: &Inventory, strays: &[Stray]) -> String {
    let mut lines = vec![format!(
        "up --prune --delete-data takes out cluster {}'s nodes that the inventory no longer names, and deletes their data:",
        inventory.cluster.name
    )];
    for stray in strays {
        lines.push(format!(
            "  {} on {}: container {} stopped and removed, volume {} deleted",
            stray.name,
            stray.host,
            if stray.container.is_empty() {
                "(unknown)"
            } else {
                stray.container.as_str()
            },
            volume_of(inventory, stray)
        ));
    }
    lines.push("A deleted volume cannot be brought back.".to_string());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    /// Issue 29: the question of `up --prune --delete-data` names each volume it deletes.
    #[test]
    fn the_delete_data_question_names_each_volume() {
        let inventory = crate::inventory::example_for_test();
        let strays = [crate::facts::Stray {
            name: "noded".into(),
            host: "10.10.10.13".into(),
            container: "local-test-noded".into(),
            state: crate::facts::ContainerState::Running,
            member: true,
        }];
        assert_eq!(
            super::deletion_question(&inventory, &strays),
            "up --prune --delete-data takes out cluster local-test's nodes that the inventory no longer names, and deletes their data:
  noded on 10.10.10.13: container local-test-noded stopped and removed, volume local-test-noded-data deleted
A deleted volume cannot be brought back."
        );
    }
}
