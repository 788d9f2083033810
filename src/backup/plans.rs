//! The plans of `backup` and `restore`, built from the inventory and what was observed,
//! without I/O: `--dry-run` prints them, the runner runs them.

pub use crate::facts::Present;
use std::path::Path;

use super::fence;
use super::manifest::{Format, Manifest};
use crate::argv::Argv;
use crate::docker::{self, backup, oneoff};
use crate::inventory::{Inventory, Node};
use crate::plan::{self, Plan, Stage, Stdin, Stdout, Step, WaitFor};

/// Desyncs the node (`on`) or brings it back: Galera's flow control ignores a desynced node,
/// so a backup that slows it never stalls the cluster's writes.
pub fn desync_step(inventory: &Inventory, node: &Node, on: bool) -> Step {
    let argv = backup::desync(inventory, node, on);
    let what = if on {
        "desync (wsrep_desync=ON: flow control does not wait for it during the copy)"
    } else {
        "back in sync (wsrep_desync=OFF)"
    };
    Step::on_node(node, format!("{}: {what}", node.name), argv, None)
}

/// The physical backup of `node` streamed into `file` on this machine: the node desynced for
/// the copy, and in sync again after it, on failure and on an interrupt too.
pub fn physical(inventory: &Inventory, node: &Node, file: &Path, transfer_secs: u64) -> Plan {
    let argv = backup::stream(inventory, node);
    let what = "mariabackup's stream (with its Galera position)";
    let title = format!("stream a physical backup of {} to this machine", node.name);
    let copy = copy_here(node, (argv, what), file, transfer_secs);
    desynced_copy(inventory, node, copy, title)
}

/// The logical backup of `node` (`docker::dump::dump_script`, as the backup user) into `file` on this
/// machine, desynced like the physical one: the dump's reads slow the node too.
pub fn logical(inventory: &Inventory, node: &Node, file: &Path, transfer_secs: u64) -> Plan {
    let argv = backup::dump(
        inventory,
        node,
        &docker::dump::dump_script(&inventory.cluster.monitor_user),
    );
    let what = "mariadb-dump of its accounts and user databases (one snapshot)";
    let title = format!("dump {} to this machine", node.name);
    let copy = copy_here(node, (argv, what), file, transfer_secs);
    desynced_copy(inventory, node, copy, title)
}

/// A physical backup kept on `node`'s own host in `host_dir` (the stream, then its manifest),
/// nothing copied to this machine but the manifest (`manifest`): the node desynced for the
/// copy, back in sync before the check, which extracts and prepares the copy (`mariadb-backup
/// --prepare`, the node's image) in a scratch container. On a failure or an interrupt, the
/// node is brought back in sync and the incomplete directory removed.
pub fn on_host(
    inventory: &Inventory,
    node: &Node,
    host_dir: &str,
    manifest: &Path,
    started: &str,
    transfer_secs: u64,
) -> Plan {
    let copy = backup::stream_into(inventory, node, host_dir);
    let copy = Step {
        deadline_secs: Some(transfer_secs),
        ..Step::on_node(
            node,
            format!(
                "{}: mariabackup's stream (with its Galera position) into {host_dir}/backup.xbstream on {}",
                node.name, node.host
            ),
            copy,
            None,
        )
    };
    let check = backup::check_on_host(inventory, node, host_dir, started);
    let check = Step {
        stdout: Some(Stdout::LocalFile(manifest.to_path_buf())),
        deadline_secs: Some(transfer_secs),
        ..Step::on_node(
            node,
            format!(
                "{}: the copy extracted and prepared in a scratch container (a check, removed after), its manifest written beside it and into {}",
                node.name,
                manifest.display()
            ),
            check,
            None,
        )
    };
    let back = desync_step(inventory, node, false);
    let remove = docker::shell::remove_tree(host_dir);
    let remove = Step::on_node(
        node,
        format!("{}: the incomplete backup {host_dir} removed", node.name),
        remove,
        None,
    );
    // The copy and the check run on the host, not through this connection: an interrupt
    // here does not stop them, so the on-failure steps do.
    let stop_copy = backup::stop_stream(inventory, node);
    let stop_copy = Step {
        ignore_exit: true,
        ..Step::on_node(
            node,
            format!("{}: stop a copy still running in its container", node.name),
            stop_copy,
            None,
        )
    };
    let stop_check = oneoff::remove_labelled(inventory, &inventory.backup_check_container(node));
    let stop_check = Step {
        ignore_exit: true,
        ..Step::on_node(
            node,
            format!("{}: remove a check container still running", node.name),
            stop_check,
            None,
        )
    };
    let title = format!("a physical backup of {} kept on {}", node.name, node.host);
    let mut plan = desynced_copy(inventory, node, copy, title);
    plan.stages.push(Stage {
        title: format!("check the backup on {} (prepare)", node.host),
        steps: vec![check],
        wait: None,
    });
    plan.on_failure = vec![stop_copy, stop_check, back, remove];
    plan
}

/// A copy of `node` (argv, what it writes) whose output is written into `file` on this
/// machine.
fn copy_here(node: &Node, (argv, what): (Argv, &str), file: &Path, transfer_secs: u64) -> Step {
    Step {
        stdout: Some(Stdout::LocalFile(file.to_path_buf())),
        deadline_secs: Some(transfer_secs),
        ..Step::on_node(
            node,
            format!("{}: {what} into {}", node.name, file.display()),
            argv,
            None,
        )
    }
}

/// The `copy` of `node` (its stage titled `title`) between the node's desync and its return
/// in sync, which is also the plan's on-failure step.
fn desynced_copy(inventory: &Inventory, node: &Node, copy: Step, title: String) -> Plan {
    let back = desync_step(inventory, node, false);
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: vec![
            Stage {
                title: format!("desync {}", node.name),
                steps: vec![desync_step(inventory, node, true)],
                wait: None,
            },
            Stage {
                title,
                steps: vec![copy],
                wait: None,
            },
            Stage {
                title: format!("bring {} back in sync", node.name),
                steps: vec![back.clone()],
                wait: Some(WaitFor::Synced {
                    nodes: vec![node.name.clone()],
                }),
            },
        ],
        on_failure: vec![back],
    }
}

/// The volume a node's data is moved to before a restore.
pub fn aside_volume(inventory: &Inventory, node: &Node, stamp: &str) -> String {
    format!("{}-aside-{stamp}", inventory.volume_name(node))
}

/// Moves a volume's content into a new volume (labelled with the cluster and the stamp), so
/// that the restore starts from empty volumes and nothing is deleted.
fn aside_steps(inventory: &Inventory, node: &Node, stamp: &str) -> Vec<Step> {
    let aside = aside_volume(inventory, node, stamp);
    let create = oneoff::aside_volume_create(inventory, &aside, stamp);
    let mv = oneoff::move_to_aside(inventory, node, &aside);
    vec![
        Step::on_node(
            node,
            format!("{}: a volume for its current data, {aside}", node.name),
            create,
            None,
        ),
        Step::on_node(
            node,
            format!(
                "{}: move its data into {aside} (copied, then removed from {})",
                node.name,
                inventory.volume_name(node)
            ),
            mv,
            None,
        ),
    ]
}

/// The backup onto the first node's (empty) volume, prepared, and its position as
/// grastate.dat, safe to bootstrap from.
fn restore_stage(
    inventory: &Inventory,
    first: &Node,
    manifest: &Manifest,
    file: &Path,
    secs: u64,
) -> Stage {
    let name = &first.name;
    let put = Step {
        deadline_secs: Some(secs),
        ..Step::on_node(
            first,
            format!(
                "{name}: the backup extracted onto its volume and prepared (mariabackup --prepare)"
            ),
            backup::extract(inventory, first),
            Some(Stdin::LocalCommand(docker::shell::cat(
                &file.display().to_string(),
            ))),
        )
    };
    // A NEW history: no position, so the bootstrap gets a new cluster UUID. A volume or a
    // member still on the backed-up history (a stray, a volume moved aside, a DR copy) can
    // then only rejoin by a full copy, never by IST on top of transactions that differ.
    let grastate = Step::on_node(
        first,
        format!(
            "{name}: grastate.dat with no position, safe_to_bootstrap 1: a NEW history (the backup was at {}:{})",
            manifest.cluster_uuid, manifest.seqno
        ),
        backup::write_restored_grastate(inventory, first),
        Some(Stdin::Text(crate::recover::commands::grastate_text(
            crate::recover::ZERO_UUID,
            -1,
            true,
        ))),
    );
    Stage {
        title: format!("restore the backup onto {name}'s volume"),
        steps: vec![put, grastate],
        wait: None,
    }
}

/// The dump loaded into the bootstrapped first node as root (`docker::root_sql`); the
/// others then join by a full copy of it.
fn load_stage(inventory: &Inventory, first: &Node, file: &Path, secs: u64) -> Stage {
    let argv = crate::docker::root_sql(inventory, first);
    let load = Step {
        deadline_secs: Some(secs),
        ..Step::on_node(
            first,
            format!("{}: the dump loaded as root (it replicates)", first.name),
            argv,
            Some(Stdin::LocalCommand(docker::shell::cat(
                &file.display().to_string(),
            ))),
        )
    };
    Stage {
        title: format!("load the logical backup into {}", first.name),
        steps: vec![load],
        wait: None,
    }
}

/// The restore of `manifest`'s backup (`file`) as the whole cluster: the node containers
/// stopped and removed, their data moved aside (`present` says what is there), the backup put
/// on the first node's volume at its position, then the cluster bootstrapped from it as a new
/// one would be (the others join by a full copy from it), and verified. A logical backup is
/// loaded into the bootstrapped first node instead: a new history, not the backup's.
pub fn restore(
    inventory: &Inventory,
    manifest: &Manifest,
    file: &Path,
    present: &[Present],
    stamp: &str,
    transfer_secs: u64,
) -> Plan {
    let mut stages: Vec<Stage> = Vec::new();
    stages.extend(fence::drain_stage(inventory));
    stages.extend(fence::arbitrator_stop_stage(inventory));
    let is = |p: &Present, n: &Node| p.node == n.name;
    let with = |f: fn(&Present) -> bool| -> Vec<&Node> {
        inventory
            .nodes
            .iter()
            .filter(|n| present.iter().any(|p| is(p, n) && f(p)))
            .collect()
    };
    let containers = with(|p| p.container);
    if !containers.is_empty() {
        stages.push(Stage {
            title: "stop and remove the node containers (their volumes stay)".into(),
            steps: containers
                .iter()
                .flat_map(|n| plan::remove_steps(inventory, n))
                .collect(),
            wait: None,
        });
    }
    let volumes = with(|p| p.volume);
    let mut notes = Vec::new();
    if !volumes.is_empty() {
        stages.push(Stage {
            title: "move the current data aside (nothing is deleted)".into(),
            steps: volumes
                .iter()
                .flat_map(|n| aside_steps(inventory, n, stamp))
                .collect(),
            wait: None,
        });
        notes.push(format!(
            "the current data goes to {}; remove them (docker volume rm) once the restore is verified",
            volumes
                .iter()
                .map(|n| format!("{} on {}", aside_volume(inventory, n, stamp), n.host))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut fresh = Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: Vec::new(),
        on_failure: Vec::new(),
    };
    let grant = match manifest.format {
        Format::MariabackupXbstream => plan::MonitorGrant::Leave,
        Format::MariadbDumpSql => plan::MonitorGrant::Give,
    };
    plan::new_cluster(inventory, &mut fresh, grant);
    let mut fresh_stages = fresh.stages.into_iter();
    // The hosts prepared (the first node's volume created, its config saying bootstrap),
    // then a physical backup onto it, or a dump loaded once it runs, before the others join.
    stages.extend(fresh_stages.next());
    if let Some(first) = inventory.nodes.first() {
        match manifest.format {
            Format::MariabackupXbstream => {
                stages.push(restore_stage(
                    inventory,
                    first,
                    manifest,
                    file,
                    transfer_secs,
                ));
                stages.extend(fresh_stages.next());
            }
            Format::MariadbDumpSql => {
                stages.extend(fresh_stages.next());
                stages.push(load_stage(inventory, first, file, transfer_secs));
            }
        }
    }
    stages.extend(fresh_stages);
    stages.extend(fence::arbitrator_deploy_stages(inventory));
    stages.push(plan::verify_stage(inventory.members()));
    stages.extend(fence::undrain_stage(inventory));
    // On a failure the nodes stay drained: a node with half a backup loaded must not take
    // the applications' writes (a second restore would set them aside). `cmd::restore` says
    // how to let clients in again.
    let on_failure = fresh.on_failure;
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes,
        stages,
        on_failure,
    }
}
