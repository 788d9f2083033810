//! The arbitrator's stage in `up`'s plan: garbd (re)deployed when its container does not run
//! with the inventory's spec.

use super::{Observed, Stage, Step, StepKind};
use crate::docker;
use crate::inventory::Inventory;

/// The stage that (re)deploys garbd when its container does not run with the inventory's
/// spec; none when it does, or when the inventory has no arbitrator. It runs after the nodes
/// (garbd joins a running cluster).
pub fn stages(inventory: &Inventory, observed: &Observed) -> Vec<Stage> {
    let Some(a) = &inventory.arbitrator else {
        return Vec::new();
    };
    let name = inventory.arbitrator_container();
    let want = docker::garbd::run(inventory, a);
    let want_spec = docker::spec_of(&want).unwrap_or_default();
    let have = observed
        .aux
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| f);
    let mut steps = Vec::new();
    match have {
        Some(c) if c.runs_spec(want_spec) => return Vec::new(),
        None => {}
        Some(c) if c.state.is_missing() => {}
        Some(_) => steps.push(Step::on_host(
            &a.host,
            format!("remove the old {name} (it holds no data)"),
            docker::container::remove_forced(&name),
            None,
        )),
    }
    if inventory.tls.is_some() {
        steps.push(Step::on_host(
            &a.host,
            "create the cluster's directories (0700)".into(),
            docker::make_dirs(inventory),
            None,
        ));
        let host_steps = super::tls_host_steps(inventory, &a.host);
        steps.extend(host_steps.into_iter().take(1));
        steps.extend(super::tls_member_steps(
            inventory,
            &a.host,
            crate::tls::ARBITRATOR,
            false,
        ));
    }
    steps.push(Step {
        kind: StepKind::CreateArbitrator,
        ..Step::on_host(
            &a.host,
            format!(
                "start the arbitrator (garbd) on port {}: a member without data",
                a.port
            ),
            want,
            None,
        )
    });
    vec![Stage {
        title: "deploy the arbitrator".into(),
        steps,
        wait: None,
    }]
}
