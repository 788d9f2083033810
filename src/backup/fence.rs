//! What keeps a restore apart from the world while it runs: HAProxy sends no client to any node
//! until the restored cluster is verified (a client writing into the bootstrapped node before a
//! dump is loaded would lose its write to the dump's `DROP TABLE`), and the arbitrator (garbd),
//! which would carry the old cluster's view into the restored one, is removed first and deployed
//! again once the nodes have joined. Pure: stages of the restore's plan.

use crate::inventory::Inventory;
use crate::plan::{self, Stage, Step};

/// Every node drained (its health endpoint answers 503 whatever its state), before the first
/// change; none without `[haproxy]`. The flag is a file on the node's host, so it holds across
/// the containers' removal and the bootstrap.
pub fn drain_stage(inventory: &Inventory) -> Option<Stage> {
    inventory.haproxy.as_ref()?;
    Some(Stage {
        title:
            "drain every node: HAProxy sends no client to the cluster until the restore is verified"
                .into(),
        steps: inventory
            .nodes
            .iter()
            .map(|n| {
                Step::on_node(
                    n,
                    format!("{}: its health endpoint answers 503 (drained)", n.name),
                    crate::docker::proxy::drain(inventory, n),
                    None,
                )
            })
            .collect(),
        wait: None,
    })
}

/// Every node's endpoint answering from its state again: after the verify (never on a failure:
/// the restored data may be incomplete).
pub fn undrain_steps(inventory: &Inventory) -> Vec<Step> {
    if inventory.haproxy.is_none() {
        return Vec::new();
    }
    inventory
        .nodes
        .iter()
        .map(|n| {
            Step::on_node(
                n,
                format!(
                    "{}: its health endpoint answers from its state again",
                    n.name
                ),
                crate::docker::proxy::undrain(inventory, n),
                None,
            )
        })
        .collect()
}

/// The stage after the verify that lets clients in again; none without `[haproxy]`.
pub fn undrain_stage(inventory: &Inventory) -> Option<Stage> {
    let steps = undrain_steps(inventory);
    (!steps.is_empty()).then(|| Stage {
        title: "undrain every node: HAProxy sends clients to the restored cluster".into(),
        steps,
        wait: None,
    })
}

/// garbd removed before the nodes stop: a garbd left running would stay a Primary component of
/// the old history when the nodes leave, and dial the restored nodes (its address names them).
pub fn arbitrator_stop_stage(inventory: &Inventory) -> Option<Stage> {
    let a = inventory.arbitrator.as_ref()?;
    let name = inventory.arbitrator_container();
    Some(Stage {
        title: "remove the arbitrator (garbd): it must not carry the old cluster's view into the restored one".into(),
        steps: vec![Step::on_host(
            &a.host,
            format!("remove {name}, if it is there (it holds no data)"),
            crate::docker::oneoff::remove_with_role(
                inventory,
                &format!("{}=arbitrator", crate::docker::LABEL_ROLE),
                &name,
            ),
            None,
        )],
        wait: None,
    })
}

/// garbd deployed again, as `up` deploys it on a host without it, once the nodes have joined
/// (before the verify, which counts it).
pub fn arbitrator_deploy_stages(inventory: &Inventory) -> Vec<Stage> {
    plan::arbitrator::stages(inventory, &crate::facts::Observed::default())
}
