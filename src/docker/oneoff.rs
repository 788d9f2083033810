//! The commands recovery runs on a node's host, as argv: one-off containers on the node's data
//! volume (same image, no network, no ports, removed when they exit) that read grastate.dat,
//! run `mariadbd --wsrep-recover`, or write grastate.dat; and the start and stop of the node's
//! own container. Pure builders; nothing here runs anything.

use crate::argv::{words, Argv};
use crate::docker::{self, LABEL_CLUSTER, LABEL_ROLE};
use crate::inventory::{Inventory, Node};

pub const DATADIR: &str = "/var/lib/mysql";
pub const GRASTATE: &str = "/var/lib/mysql/grastate.dat";
const GVWSTATE: &str = "/var/lib/mysql/gvwstate.dat";

/// Replaces grastate.dat with stdin, atomically, keeping its owner and mode (mariadbd runs as
/// mysql and rewrites the file itself). No value is interpolated: the content comes on stdin.
const WRITE_SCRIPT: &str = "set -e; f=/var/lib/mysql/grastate.dat; t=\"$f.galeractl\"; \
cat > \"$t\"; chown --reference=\"$f\" \"$t\"; chmod --reference=\"$f\" \"$t\"; mv \"$t\" \"$f\"; sync";

pub(crate) fn oneoff(inventory: &Inventory, node: &Node, read_only: bool, stdin: bool) -> Argv {
    let mut a = words(&["docker", "run", "--rm"]);
    if stdin {
        a.push("--interactive".into());
    }
    a.extend(["--name".into(), inventory.recover_container(node)]);
    // The cluster label (and no node label): `wipe` finds a leftover, and it is never taken
    // for the node's own container. The role label: only such a container is removed by name.
    a.extend([
        "--label".into(),
        format!("{LABEL_CLUSTER}={}", inventory.cluster.name),
        "--label".into(),
        oneoff_label(),
    ]);
    a.extend(words(&["--network", "none", "--volume"]));
    let mut mount = format!("{}:{DATADIR}", inventory.volume_name(node));
    if read_only {
        mount.push_str(":ro");
    }
    a.push(mount);
    a
}

/// Exits 0 when the volume holds a database (its `mysql` system schema directory).
pub fn has_database(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = oneoff(inventory, node, true, false);
    a.extend(["--entrypoint".into(), "test".into()]);
    a.push(inventory.cluster.image.clone());
    a.extend(["-d".into(), format!("{DATADIR}/mysql")]);
    a
}

pub fn read_grastate(inventory: &Inventory, node: &Node) -> Argv {
    read_file(inventory, node, GRASTATE)
}

/// Galera's saved Primary view, for pc.recovery.
pub fn read_gvwstate(inventory: &Inventory, node: &Node) -> Argv {
    read_file(inventory, node, GVWSTATE)
}

fn read_file(inventory: &Inventory, node: &Node, path: &str) -> Argv {
    let mut a = oneoff(inventory, node, true, false);
    a.extend(["--entrypoint".into(), "cat".into()]);
    a.push(inventory.cluster.image.clone());
    a.push(path.into());
    a
}

/// Runs its arguments (the image's entrypoint and mariadbd's options) unless the image's server
/// is of an older release series than the data directory's system tables: crash recovery (or a
/// heuristic commit) by an older server over newer data is a downgrade, which MariaDB does not
/// support. Then it exits 3 with the two series, and the node's position reads as unknown. The
/// node start script refuses the same start (`src/node-start.sh`).
const SERIES_GUARD: &str = "series() { sed -n '1s/^[^0-9]*\\([0-9][0-9]*\\)\\.\\([0-9][0-9]*\\)\\..*/\\1 \\2/p'; }; \
server=$(mariadbd --version 2>/dev/null | series); tables=; \
for f in /var/lib/mysql/mariadb_upgrade_info /var/lib/mysql/mysql_upgrade_info; do \
if [ -r \"$f\" ]; then tables=$(series <\"$f\"); break; fi; done; \
if [ -n \"$server\" ] && [ -n \"$tables\" ] && \
[ -n \"$(echo \"$server $tables\" | awk '$1 < $3 || ($1 == $3 && $2 < $4) { print 1 }')\" ]; then \
echo \"the image's server ($server) is of an older release series than the data directory's tables ($tables): a downgrade; nothing was run on the data\" | tr -s ' ' >&2; exit 3; fi; \
exec \"$@\"";

/// mariadbd with the node's own options (page size, log size and the like must match the
/// data), Galera on, and an empty cluster address: it prints the position and exits. Through
/// the image's own entrypoint, behind [`SERIES_GUARD`].
fn mariadbd(inventory: &Inventory, node: &Node, last: &str) -> Argv {
    let mut a = oneoff(inventory, node, false, false);
    a.extend(["--entrypoint".into(), "sh".into()]);
    a.push(inventory.cluster.image.clone());
    a.extend([
        "-c".into(),
        SERIES_GUARD.into(),
        "galeractl-series-guard".into(),
        docker::IMAGE_ENTRYPOINT.into(),
    ]);
    a.extend(docker::mariadbd_options(inventory, node));
    a.push("--wsrep-cluster-address=gcomm://".into());
    a.push(last.into());
    a
}

pub fn wsrep_recover(inventory: &Inventory, node: &Node) -> Argv {
    mariadbd(inventory, node, "--wsrep-recover")
}

/// Commits or rolls back the prepared transactions that crash recovery cannot resolve; the
/// server then exits ("Please restart without --tc-heuristic-recover").
pub fn tc_heuristic_recover(inventory: &Inventory, node: &Node, how: &str) -> Argv {
    mariadbd(inventory, node, &format!("--tc-heuristic-recover={how}"))
}

pub fn write_grastate(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = oneoff(inventory, node, false, true);
    a.extend(["--entrypoint".into(), "sh".into()]);
    a.push(inventory.cluster.image.clone());
    a.extend(["-c".into(), WRITE_SCRIPT.into()]);
    a
}

/// Writes stdin as grastate.dat only while the file still says "no position" (the all-zero
/// UUID and seqno -1, as a new history left it before the start); once the server has
/// started it holds the new history's UUID and is left alone. Says which it did.
const RESTORE_SCRIPT: &str = "set -e; f=/var/lib/mysql/grastate.dat; \
if grep -q '^uuid: *00000000-0000-0000-0000-000000000000' \"$f\" && grep -q '^seqno: *-1' \"$f\"; then \
t=\"$f.galeractl\"; cat > \"$t\"; chown --reference=\"$f\" \"$t\"; chmod --reference=\"$f\" \"$t\"; mv \"$t\" \"$f\"; sync; \
echo restored; else cat > /dev/null; echo 'left as is: it has a position'; fi";

pub fn restore_grastate_if_cleared(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = oneoff(inventory, node, false, true);
    a.extend(["--entrypoint".into(), "sh".into()]);
    a.push(inventory.cluster.image.clone());
    a.extend(["-c".into(), RESTORE_SCRIPT.into()]);
    a
}

pub fn remove_oneoff(inventory: &Inventory, node: &Node) -> Argv {
    remove_labelled(inventory, &inventory.recover_container(node))
}

/// The role label of galeractl's one-off containers (recovery's, the backup check, the
/// restore's aside copy): a container is removed by name only when it carries it.
pub fn oneoff_label() -> String {
    format!("{LABEL_ROLE}=oneoff")
}

/// Force-removes the container `name` only if it is one of this cluster's one-offs (its
/// cluster and role labels): a container of the operator's that happens to hold the name is
/// left alone. Exits 0 when there is nothing to remove.
pub fn remove_labelled(inventory: &Inventory, name: &str) -> Argv {
    remove_with_role(inventory, &oneoff_label(), name)
}

/// Removes the container `name` only when it carries the cluster's label and `role` (a
/// `key=value` label): a container of that name that galeractl did not make for this cluster
/// is left alone.
pub fn remove_with_role(inventory: &Inventory, role: &str, name: &str) -> Argv {
    let mut a = words(&["sh", "-c", REMOVE_LABELLED, "galeractl-remove"]);
    a.push(format!("{LABEL_CLUSTER}={}", inventory.cluster.name));
    a.push(role.to_string());
    // A name filter is a regular expression on "/NAME": anchored, and its dots literal.
    a.push(format!("^/{}$", name.replace('.', "\\.")));
    a
}

/// `$1`, `$2`: the labels; `$3`: the anchored name.
const REMOVE_LABELLED: &str = "ids=$(docker ps -aq --filter \"label=$1\" --filter \"label=$2\" --filter \"name=$3\") || exit; \
if [ -n \"$ids\" ]; then docker rm --force $ids; fi";

pub fn volume_exists(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "volume", "inspect", "--format", "{{.Name}}"]);
    a.push(inventory.volume_name(node));
    a
}

/// The volume a node's current data is moved into before a restore, labelled with the cluster
/// and the restore's stamp.
pub fn aside_volume_create(inventory: &Inventory, aside: &str, stamp: &str) -> Argv {
    let mut create = words(&["docker", "volume", "create", "--label"]);
    create.push(format!("{LABEL_CLUSTER}={}", inventory.cluster.name));
    create.push("--label".into());
    create.push(format!("io.galeractl.aside={stamp}"));
    create.push(aside.to_string());
    create
}

/// A one-off that moves the node's volume's content into `aside` (a copy, then the original
/// emptied).
pub fn move_to_aside(inventory: &Inventory, node: &Node, aside: &str) -> Argv {
    let mut mv = words(&["docker", "run", "--rm", "--name"]);
    mv.push(inventory.recover_container(node));
    mv.push("--label".into());
    mv.push(format!("{LABEL_CLUSTER}={}", inventory.cluster.name));
    mv.extend(["--label".into(), oneoff_label()]);
    mv.extend(words(&["--network", "none", "--volume"]));
    mv.push(format!("{}:/from", inventory.volume_name(node)));
    mv.push("--volume".into());
    mv.push(format!("{aside}:/to"));
    mv.extend(words(&["--entrypoint", "sh"]));
    mv.push(inventory.cluster.image.clone());
    mv.extend(words(&[
        "-c",
        "set -e; cp -a /from/. /to/; sync; find /from -mindepth 1 -delete",
    ]));
    mv
}

/// A one-off named `name` of the cluster's image that runs `bash -c SCRIPT ARGS...` (`script`
/// first in `script_and_args`) on a backup's directory on the host, mounted at `/backup`.
pub fn backup_check(
    inventory: &Inventory,
    name: &str,
    host_dir: &str,
    script_and_args: &[&str],
) -> Argv {
    let mut check = words(&["docker", "run", "--rm", "--name"]);
    check.push(name.to_string());
    check.push("--label".into());
    check.push(format!("{LABEL_CLUSTER}={}", inventory.cluster.name));
    check.extend(["--label".into(), oneoff_label()]);
    check.extend(words(&["--network", "none", "--volume"]));
    check.push(format!("{host_dir}:/backup"));
    check.extend(words(&["--entrypoint", "bash"]));
    check.push(inventory.cluster.image.clone());
    check.push("-c".to_string());
    check.extend(script_and_args.iter().map(std::string::ToString::to_string));
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oneoff_commands_touch_only_the_nodes_volume() {
        let source = "[cluster]\nname = \"recovery\"\nimage = \"galeractl-lab/galera:10.11\"\nroot_password_file = \"secrets/root-password\"\nmonitor_password_file = \"secrets/monitor-password\"\n\n[[nodes]]\nname = \"nodea\"\nhost = \"10.77.0.11\"\n\n[[nodes]]\nname = \"nodeb\"\nhost = \"10.77.0.12\"\n\n[[nodes]]\nname = \"nodec\"\nhost = \"10.77.0.13\"\n";
        let parsed = crate::inventory::parse(std::path::Path::new("recovery.toml"), source);
        let inventory = parsed
            .inventory
            .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics));
        let node = &inventory.nodes[1];
        let join = |a: Vec<String>| crate::argv::shell_join(&a);
        assert_eq!(
            join(read_grastate(&inventory, node)),
            "docker run --rm --name recovery-nodeb-recover --label io.galeractl.cluster=recovery --label io.galeractl.role=oneoff --network none --volume recovery-nodeb-data:/var/lib/mysql:ro --entrypoint cat galeractl-lab/galera:10.11 /var/lib/mysql/grastate.dat"
        );
        let recover = join(wsrep_recover(&inventory, node));
        assert!(
            recover.starts_with("docker run --rm --name recovery-nodeb-recover --label io.galeractl.cluster=recovery --label io.galeractl.role=oneoff --network none --volume recovery-nodeb-data:/var/lib/mysql --entrypoint sh galeractl-lab/galera:10.11 -c "),
            "{recover}"
        );
        // Through the release-series guard, then the image's own entrypoint.
        assert!(
            recover.contains("exec \"$@\"' galeractl-series-guard docker-entrypoint.sh --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so "),
            "{recover}"
        );
        assert!(
            recover.ends_with(" --wsrep-cluster-address=gcomm:// --wsrep-recover"),
            "{recover}"
        );
        assert!(!recover.contains("--publish"), "{recover}");
        assert!(join(tc_heuristic_recover(&inventory, node, "rollback"))
            .ends_with(" --wsrep-cluster-address=gcomm:// --tc-heuristic-recover=rollback"));
        let write = write_grastate(&inventory, node);
        assert_eq!(
            write[..4].join(" "),
            "docker run --rm --interactive",
            "the content comes on stdin"
        );
        assert!(write.iter().any(|w| w.contains("mv \"$t\" \"$f\"")));
        assert_eq!(
            join(super::super::stop_node(&inventory, node)),
            "docker stop --time 120 recovery-nodeb"
        );
        // A leftover is removed only when it carries the cluster's and the one-off's labels.
        assert_eq!(
            join(remove_oneoff(&inventory, node)),
            "sh -c 'ids=$(docker ps -aq --filter \"label=$1\" --filter \"label=$2\" --filter \"name=$3\") || exit; if [ -n \"$ids\" ]; then docker rm --force $ids; fi' galeractl-remove io.galeractl.cluster=recovery io.galeractl.role=oneoff '^/recovery-nodeb-recover$'"
        );
    }
}
