//! What `up` checks on the hosts its plan touches, before the first change: the image is there
//! or will be copied, the ports that new containers publish are free, and no foreign container
//! holds a name the plan needs. Pure: over the hosts' facts and the plan.

use std::collections::BTreeSet;

use super::{Plan, Stdin, StepKind};
use crate::facts::{node_container, AuxImage, AuxSeen, HostFacts, ProgramCheck};
use crate::inventory::Inventory;

/// The plan copies the image from this machine (a step reads a local command's output) and
/// some host lacks it: this machine's docker must have it.
pub fn copies_image_to_some_host(plan: &Plan, facts: &[(String, HostFacts)]) -> bool {
    let copies_image = plan
        .steps()
        .any(|s| matches!(s.stdin, Some(Stdin::LocalCommand(_))));
    copies_image && facts.iter().any(|(_, f)| !f.image_present)
}

/// Every problem found, one line each (none: `up` may go on). `local_image`: whether this
/// machine's docker has the image, when [`copies_image_to_some_host`] asked.
pub fn preflight_up(
    inventory: &Inventory,
    plan: &Plan,
    facts: &[(String, HostFacts)],
    local_image: Option<bool>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let creates: BTreeSet<&str> = plan
        .steps_of(StepKind::CreateNode)
        .filter_map(|s| s.node.as_deref())
        .collect();
    for node in inventory
        .nodes
        .iter()
        .filter(|n| creates.contains(n.name.as_str()))
    {
        let Some((_, f)) = facts.iter().find(|(h, _)| h == &node.host) else {
            continue;
        };
        let own = node_container(inventory, node, &f.containers);
        let name = inventory.container_name(node);
        if own.is_none() && f.containers.iter().any(|r| r.name == name) {
            problems.push(format!(
                "host {}: a container named {name} exists and is not {}'s: remove or rename it",
                node.host, node.name
            ));
        }
        if !f.image_present && !inventory.cluster.distribute_image {
            problems.push(format!(
                "host {}: image {} is missing (load it there, or set cluster.distribute_image = true)",
                node.host, inventory.cluster.image
            ));
        }
        // The node's own container (being replaced) may hold its ports.
        if own.is_none_or(|r| !r.is_running()) {
            if let Some(listening) = &f.listening {
                let p = node.ports;
                let busy: Vec<String> = [p.mysql, p.galera, p.sst, p.ist]
                    .into_iter()
                    .filter(|port| listening.contains(port))
                    .map(|port| port.to_string())
                    .collect();
                if !busy.is_empty() {
                    problems.push(format!(
                        "host {}: port{} {} for {} already in use",
                        node.host,
                        if busy.len() == 1 { "" } else { "s" },
                        busy.join(", "),
                        node.name
                    ));
                }
            }
        }
    }
    if local_image == Some(false) {
        problems.push(format!(
            "image {} is missing on some hosts and cannot be read from this machine's docker to copy it",
            inventory.cluster.image
        ));
    }
    problems
}

/// The images of HAProxy and the arbitrator that the plan creates a container of, each with
/// the program its container runs.
pub fn aux_images(inventory: &Inventory, plan: &Plan) -> Vec<AuxImage> {
    let mut wanted = Vec::new();
    if let Some(h) = &inventory.haproxy {
        wanted.push((
            StepKind::CreateProxy,
            "HAProxy",
            &h.host,
            &h.image,
            ["haproxy", "-v"],
        ));
    }
    if let Some(a) = &inventory.arbitrator {
        let program = ["garbd", "--version"];
        wanted.push((
            StepKind::CreateArbitrator,
            "arbitrator",
            &a.host,
            &a.image,
            program,
        ));
    }
    wanted
        .into_iter()
        .filter(|(kind, ..)| plan.steps_of(*kind).next().is_some())
        .map(|(_, what, host, image, [program, flag])| AuxImage {
            what,
            host: host.clone(),
            image: image.clone(),
            program,
            flag,
        })
        .collect()
}

/// What is wrong with the images [`aux_images`] named, as their hosts showed them.
pub fn aux_problems(seen: &[(AuxImage, AuxSeen)]) -> Vec<String> {
    seen.iter()
        .filter_map(|(a, seen)| {
            let (host, what, image, program, flag) = (&a.host, a.what, &a.image, a.program, a.flag);
            match seen {
                AuxSeen::Missing => Some(format!(
                    "host {host}: {what} image {image} is missing (load it there)"
                )),
                AuxSeen::Error(e) => Some(e.clone()),
                AuxSeen::Program(ProgramCheck::Runs) => None,
                AuxSeen::Program(ProgramCheck::Missing(said)) => Some(format!(
                    "host {host}: {what} image {image} has no {program} (its container would loop, restarting): {said}"
                )),
                AuxSeen::Program(ProgramCheck::Fails(code, said)) => Some(format!(
                    "host {host}: {what} image {image}: `{program} {flag}` exits {code}: {said}"
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{ContainerRow, ContainerState, Observed};

    fn inventory() -> Inventory {
        crate::inventory::example_for_test()
    }

    #[test]
    fn a_foreign_name_a_missing_image_and_busy_ports_are_problems() {
        let inv = inventory();
        let plan = match crate::plan::up(&inv, &Observed::default()) {
            Ok(plan) => plan,
            Err(e) => panic!("{e}"),
        };
        let node = &inv.nodes[0];
        let mut facts: Vec<(String, HostFacts)> = inv
            .nodes
            .iter()
            .map(|n| {
                let f = HostFacts {
                    image_present: true,
                    ..HostFacts::default()
                };
                (n.host.clone(), f)
            })
            .collect();
        assert_eq!(
            preflight_up(&inv, &plan, &facts, None),
            Vec::<String>::new()
        );
        let first = &mut facts[0].1;
        first.image_present = false;
        first.listening = Some([node.ports.mysql].into_iter().collect());
        first.containers.push(ContainerRow {
            id: "1".into(),
            name: inv.container_name(node),
            state: ContainerState::Running,
            cluster: String::new(),
            node: String::new(),
            spec: String::new(),
            tls: false,
        });
        let problems = preflight_up(&inv, &plan, &facts, Some(false));
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("exists and is not"), "{problems:#?}");
        assert!(
            problems[1].contains("is missing (load it there"),
            "{problems:#?}"
        );
        assert!(problems[2].contains("already in use"), "{problems:#?}");
        assert!(
            problems[3].contains("this machine's docker"),
            "{problems:#?}"
        );
    }

    #[test]
    fn an_aux_image_missing_or_without_its_program_is_a_problem() {
        let aux = AuxImage {
            what: "arbitrator",
            host: "h".into(),
            image: "g:1".into(),
            program: "garbd",
            flag: "--version",
        };
        let seen = [
            (aux.clone(), AuxSeen::Program(ProgramCheck::Runs)),
            (aux.clone(), AuxSeen::Missing),
            (
                aux.clone(),
                AuxSeen::Program(ProgramCheck::Missing("not found".into())),
            ),
            (
                aux.clone(),
                AuxSeen::Program(ProgramCheck::Fails(2, "bad".into())),
            ),
            (aux, AuxSeen::Error("host h: no route".into())),
        ];
        assert_eq!(
            aux_problems(&seen),
            [
                "host h: arbitrator image g:1 is missing (load it there)",
                "host h: arbitrator image g:1 has no garbd (its container would loop, restarting): not found",
                "host h: arbitrator image g:1: `garbd --version` exits 2: bad",
                "host h: no route",
            ]
        );
    }
}
