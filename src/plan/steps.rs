//! Steps and stages that several planners share (`up`, `restart`, `stop-node`, `start-node`,
//! recovery, restore): a node prepared, created, started, stopped or removed; the cluster's
//! history recorded; TLS files uploaded; the final verification.

use std::collections::BTreeSet;

use super::{
    upgrade, Container, Guard, Plan, PlanError, Stage, Stdin, Step, StepKind, Versions, WaitFor,
};
use crate::argv::Argv;
use crate::docker::{self, ClusterAddress};
use crate::inventory::{layout, Inventory, Node};

/// Writes the cluster's history record on `host` (`uuid`: the UUID, or where to read it).
pub(crate) fn record_history_step(inventory: &Inventory, host: &str, uuid: Stdin) -> Step {
    Step {
        kind: StepKind::RecordHistory,
        ..Step::on_host(
            host,
            format!(
                "record the cluster state UUID in {}",
                crate::galera::HISTORY_FILE
            ),
            docker::write_file(&inventory.history_path(), "0644"),
            Some(uuid),
        )
    }
}

pub(super) const VERIFY: &str = "verify";

pub(crate) fn verify_stage(size: usize) -> Stage {
    Stage {
        title: VERIFY.into(),
        steps: Vec::new(),
        wait: Some(WaitFor::Verified { size }),
    }
}

/// Whether `start_node` creates the node's container (missing, or built from another spec).
pub fn start_node_creates(inventory: &Inventory, node: &Node, container: &Container) -> bool {
    let want = docker::run_node(inventory, node);
    let want_spec = docker::spec_of(&want).unwrap_or_default();
    if container.is_running() {
        false
    } else if container.is_stopped() {
        container.spec != want_spec
    } else {
        true
    }
}

/// The plan that brings one node back as a joiner of the running cluster: its files, then its
/// stopped container started (or, when missing or built from another spec, created anew), then
/// a wait until it is Synced. A container created anew passes the rolling upgrade's version
/// guard first (`versions`: what the serving nodes run and the image has; a downgrade or an
/// unreadable version is refused unless `force`), and with a new release series the node
/// must have come back by IST.
pub fn start_node(
    inventory: &Inventory,
    node: &Node,
    container: &Container,
    versions: Option<&Versions>,
    force: bool,
) -> Result<Plan, PlanError> {
    let (notes, ist_only) = if start_node_creates(inventory, node, container) {
        upgrade::check_created(inventory, &node.name, versions, force)?
    } else {
        (Vec::new(), false)
    };
    let mut plan = start_node_unchecked(inventory, node, container);
    plan.notes = notes;
    if ist_only {
        plan.stages.push(Stage {
            title: format!("{} caught up", node.name),
            steps: Vec::new(),
            wait: Some(WaitFor::JoinedByIst {
                node: node.name.clone(),
            }),
        });
    }
    Ok(plan)
}

fn start_node_unchecked(inventory: &Inventory, node: &Node, container: &Container) -> Plan {
    let want = docker::run_node(inventory, node);
    let want_spec = docker::spec_of(&want).unwrap_or_default();
    let mut steps = Vec::new();
    // A stopped container built from this spec has its directories, secrets and volume: only
    // its cluster address is made sure of, then it starts.
    let restart = container.is_stopped() && container.spec == want_spec;
    match container {
        c if c.is_running() => {}
        _ if restart => {
            steps.push(write_config_step(
                inventory,
                node,
                &ClusterAddress::others(inventory, node),
                "name the other members in the cluster address",
            ));
            steps.extend(start_or_run_steps(inventory, node, Some(container)));
        }
        c if c.is_stopped() => {
            steps.extend(remove_steps(inventory, node));
            steps.push(run_step(
                inventory,
                node,
                "start with the new spec, as a joiner",
            ));
        }
        _ => steps.push(run_step(inventory, node, "start as a joiner")),
    }
    let mut stages = Vec::new();
    if !steps.is_empty() && !restart {
        stages.push(prepare(inventory, &[node], |n| {
            ClusterAddress::others(inventory, n)
        }));
    }
    stages.push(Stage {
        title: format!("bring {} back as a joiner", node.name),
        steps,
        wait: Some(WaitFor::Synced {
            nodes: vec![node.name.clone()],
        }),
    });
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages,
        on_failure: Vec::new(),
    }
}

/// A clean stop (InnoDB and Galera close, grastate keeps the seqno), then removal; the data
/// volume stays.
/// What a node needs on its host before its container can be created (directories, secrets,
/// the image if it is distributed, its config file naming the others, its volume), as a plan.
pub fn prepare_node(inventory: &Inventory, node: &Node) -> Plan {
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: vec![prepare(inventory, &[node], |n| {
            ClusterAddress::others(inventory, n)
        })],
        on_failure: Vec::new(),
    }
}

pub(crate) fn remove_steps(inventory: &Inventory, node: &Node) -> [Step; 2] {
    let name = inventory.container_name(node);
    let step =
        |description: String, argv: Vec<String>| Step::on_node(node, description, argv, None);
    [
        stop_step(inventory, node),
        step(
            format!("{}: remove the container; its data volume stays", node.name),
            docker::container::remove(&name),
        ),
    ]
}

/// A clean stop of the node's container, within the stop grace.
pub(crate) fn stop_step(inventory: &Inventory, node: &Node) -> Step {
    let mut step = Step::on_node(
        node,
        format!(
            "{}: stop cleanly (InnoDB and Galera close; grastate.dat keeps the seqno)",
            node.name
        ),
        docker::stop_node(inventory, node),
        None,
    );
    step.deadline_secs = Some(docker::STOP_GRACE.as_secs());
    step
}

/// The plan of `galeractl stop-node`: the node's container stopped cleanly. (Whether the
/// cluster keeps its quorum is decided before, from what the nodes report.)
pub fn stop_node(inventory: &Inventory, node: &Node) -> Plan {
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: vec![Stage {
            title: format!("stop {} cleanly", node.name),
            steps: vec![
                record_stop_step(inventory, node),
                stop_step(inventory, node),
            ],
            wait: None,
        }],
        on_failure: Vec::new(),
    }
}

/// The operator's intent that the node stays down, recorded on its host for `watch`.
fn record_stop_step(inventory: &Inventory, node: &Node) -> Step {
    Step::on_node(
        node,
        format!(
            "{}: record that the operator stopped it (watch leaves it down until it is started again)",
            node.name
        ),
        docker::shell::record_stop(inventory, node),
        None,
    )
}

/// The plan of `stop-node` on a node whose container is already stopped: only the operator's
/// intent recorded, so that `watch` does not start it again.
pub fn record_stop(inventory: &Inventory, node: &Node) -> Plan {
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: vec![Stage {
            title: format!("keep {} stopped", node.name),
            steps: vec![record_stop_step(inventory, node)],
            wait: None,
        }],
        on_failure: Vec::new(),
    }
}

pub(super) fn join_stage(inventory: &Inventory, joiners: &[&Node]) -> Stage {
    let names: Vec<&str> = joiners.iter().map(|n| n.name.as_str()).collect();
    Stage {
        title: format!("join {}", names.join(", ")),
        steps: joiners
            .iter()
            .map(|n| run_step(inventory, n, "start as a joiner"))
            .collect(),
        wait: Some(WaitFor::Synced {
            nodes: joiners.iter().map(|n| n.name.clone()).collect(),
        }),
    }
}

/// A stopped container gets its restart policy back (`recover --force-without` turns it off on
/// a node it gives up), then `docker start`; a missing one is created.
pub(crate) fn start_or_run_steps(
    inventory: &Inventory,
    node: &Node,
    fact: Option<&Container>,
) -> Vec<Step> {
    let step =
        |what: &str, argv: Argv| Step::on_node(node, format!("{}: {what}", node.name), argv, None);
    match fact {
        Some(c) if c.is_stopped() => vec![
            step(
                "restart policy unless-stopped (a node once given up has none)",
                docker::restart_policy(inventory, node),
            ),
            step(
                "start the stopped container as a joiner",
                docker::start_node(inventory, node),
            ),
        ],
        _ => vec![run_step(inventory, node, "start as a joiner")],
    }
}

pub(super) fn run_step(inventory: &Inventory, node: &Node, what: &str) -> Step {
    Step {
        kind: StepKind::CreateNode,
        ..Step::on_node(
            node,
            format!("{}: {what}", node.name),
            docker::run_node(inventory, node),
            None,
        )
    }
}

pub(crate) fn write_config_step(
    inventory: &Inventory,
    node: &Node,
    address: &ClusterAddress,
    what: &str,
) -> Step {
    Step::on_node(
        node,
        format!("{}: {what}", node.name),
        docker::write_in_place(&inventory.config_path(node)),
        Some(Stdin::Text(docker::node_config(address))),
    )
}

/// Per host: the cluster's directories and secrets (once), and per node its config file, its
/// data volume and, where asked for, the image.
pub(super) fn prepare(
    inventory: &Inventory,
    nodes: &[&Node],
    address: impl Fn(&Node) -> ClusterAddress,
) -> Stage {
    let mut steps = Vec::new();
    let mut hosts_done = BTreeSet::new();
    let secrets = inventory.secrets_dir();
    for node in nodes {
        let on_host = |description: String, argv: Argv, stdin: Option<Stdin>| {
            Step::on_host(&node.host, description, argv, stdin)
        };
        if hosts_done.insert(node.host.clone()) {
            steps.push(on_host(
                "create the cluster's directories (0700)".into(),
                docker::make_dirs(inventory),
                None,
            ));
            for (file, local, what) in [
                (
                    layout::ROOT_PASSWORD_FILE,
                    &inventory.cluster.root_password_file,
                    "root",
                ),
                (
                    layout::MONITOR_PASSWORD_FILE,
                    &inventory.cluster.monitor_password_file,
                    "monitoring user's",
                ),
            ] {
                steps.push(on_host(
                    format!("upload the {what} password (0600)"),
                    docker::write_secret(&format!("{secrets}/{file}")),
                    Some(Stdin::SecretFile(local.clone())),
                ));
            }
            if inventory.is_local() {
                steps.push(on_host(
                    format!(
                        "create the cluster's Docker network {} (unless it exists)",
                        inventory.cluster.network
                    ),
                    docker::network_create(inventory),
                    None,
                ));
            }
            steps.push(on_host(
                "install galeractl's node start script (recovers a crashed node's position before the server starts)".into(),
                docker::write_file(&inventory.node_start_path(), "0755"),
                Some(Stdin::Text(docker::NODE_START_SCRIPT.to_string())),
            ));
            if inventory.cluster.distribute_image {
                let mut step = on_host(
                    format!("copy image {} to the host", inventory.cluster.image),
                    docker::image_load(),
                    Some(Stdin::LocalCommand(docker::image_save(
                        &inventory.cluster.image,
                    ))),
                );
                step.only_if = Some(Guard::ImageMissing {
                    image: inventory.cluster.image.clone(),
                });
                steps.push(step);
            }
            steps.extend(local_user_steps(inventory, &node.host));
            steps.extend(tls_host_steps(inventory, &node.host));
        }
        steps.extend(tls_member_steps(inventory, &node.host, &node.name, true));
        let mut config = write_config_step(
            inventory,
            node,
            &address(node),
            "write the node's config file",
        );
        config.node = Some(node.name.clone());
        let config_path = inventory.config_path(node);
        steps.push(config);
        let mut readable = on_host(
            format!(
                "{}: make the config file readable by the server's user (0644; no secret in it)",
                node.name
            ),
            docker::readable_by_server(&config_path),
            None,
        );
        readable.node = Some(node.name.clone());
        steps.push(readable);
        let mut volume = on_host(
            format!("{}: create the data volume", node.name),
            docker::volume_create(inventory, node),
            None,
        );
        volume.node = Some(node.name.clone());
        steps.push(volume);
    }
    Stage {
        title: "prepare the hosts".into(),
        steps,
        wait: None,
    }
}

/// The files of the users the image creates at initialisation (mariabackup SST's, the
/// backup's) and the option files their clients read, on `host`, the password filled in only
/// when sent; the files the server reads given to the image's `mysql` user.
fn local_user_steps(inventory: &Inventory, host: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for user in docker::LocalUser::used(inventory) {
        let Some(password) = user.password_file(inventory) else {
            continue;
        };
        let (options, what) = match user {
            docker::LocalUser::Sst => (
                inventory.sst_auth_path(),
                "the SST credentials the server reads (wsrep_sst_auth)",
            ),
            docker::LocalUser::Backup => (
                inventory.backup_cnf_path(),
                "the backup user's option file (read by mariabackup in the node's container, as root)",
            ),
        };
        let text = match user {
            docker::LocalUser::Sst => docker::sst_auth_text(),
            docker::LocalUser::Backup => docker::backup_cnf_text(),
        };
        let sql = user.sql_path(inventory);
        for (path, text, what) in [
            (options.clone(), text, what.to_string()),
            (
                sql.clone(),
                user.sql(),
                format!(
                    "the {} user's creation, which the image runs when it initialises a node",
                    if user == docker::LocalUser::Sst {
                        "SST"
                    } else {
                        "backup"
                    }
                ),
            ),
        ] {
            steps.push(Step::on_host(
                host,
                format!("upload {what} (0600)"),
                docker::write_secret(&path),
                Some(Stdin::TextWithSecret {
                    text,
                    placeholder: user.placeholder().into(),
                    secret: password.clone(),
                }),
            ));
        }
        // The server reads the SST files; the backup's option file stays root's.
        let (owned, what) = match user {
            docker::LocalUser::Sst => (vec![options, sql], "the SST files"),
            docker::LocalUser::Backup => (vec![sql], "the backup user's creation"),
        };
        steps.push(Step::on_host(
            host,
            format!("give {what} to the image's mysql user (the server reads them as that user)"),
            docker::own_by_server_user(&inventory.cluster.image, &owned),
            None,
        ));
    }
    steps
}

/// With `[tls]`: the CA certificate and the SST script's TLS settings on `host` (and the
/// health endpoint client's, with HAProxy), none of them secret.
pub(crate) fn tls_host_steps(inventory: &Inventory, host: &str) -> Vec<Step> {
    let Some(tls) = &inventory.tls else {
        return Vec::new();
    };
    let mut steps = vec![
        Step::on_host(
            host,
            "upload the cluster's CA certificate (0644; its key stays on this machine)".into(),
            docker::write_file(&crate::tls::host_ca(inventory), "0644"),
            Some(Stdin::SecretFile(tls.ca_cert.clone())),
        ),
        Step::on_host(
            host,
            "upload the TLS settings of mariabackup SST (0644: socat's OpenSSL, peers verified against the CA)".into(),
            docker::write_file(&crate::tls::host_sst_cnf(inventory), "0644"),
            Some(Stdin::Text(crate::tls::sst_cnf_text())),
        ),
    ];
    if inventory.haproxy.is_some() {
        steps.push(Step::on_host(
            host,
            "upload the TLS settings of the health endpoint's client (0644)".into(),
            docker::write_file(&crate::tls::host_client_cnf(inventory), "0644"),
            Some(Stdin::Text(crate::tls::client_cnf_text())),
        ));
    }
    steps
}

/// With `[tls]`: a member's certificate (0644) and key (0600) on `host`, the key given to the
/// image's `mysql` user when the server reads it (`server_reads`; garbd reads it as root).
pub(crate) fn tls_member_steps(
    inventory: &Inventory,
    host: &str,
    member: &str,
    server_reads: bool,
) -> Vec<Step> {
    let Some(tls) = &inventory.tls else {
        return Vec::new();
    };
    let shown = if member == crate::tls::ARBITRATOR {
        "the arbitrator"
    } else {
        member
    };
    let key = crate::tls::host_key(inventory, member);
    let mut steps = vec![
        Step::on_host(
            host,
            format!("{shown}: upload its certificate (0644)"),
            docker::write_file(&crate::tls::host_cert(inventory, member), "0644"),
            Some(Stdin::SecretFile(crate::tls::local_cert(tls, member))),
        ),
        Step::on_host(
            host,
            format!("{shown}: upload its private key (0600)"),
            docker::write_secret(&key),
            Some(Stdin::SecretFile(crate::tls::local_key(tls, member))),
        ),
    ];
    if server_reads {
        steps.push(Step::on_host(
            host,
            format!("{shown}: give its key to the image's mysql user (the server reads it as that user)"),
            docker::own_by_server_user(&inventory.cluster.image, &[key]),
            None,
        ));
    } else if let Some(a) = &inventory.arbitrator {
        steps.push(Step::on_host(
            host,
            format!("{shown}: give its key to the user garbd's image runs as"),
            docker::own_by_image_default_user(&a.image, &[key]),
            None,
        ));
    }
    for s in &mut steps {
        if member != crate::tls::ARBITRATOR {
            s.node = Some(member.to_string());
        }
    }
    steps
}
