//! `backup` and `restore`'s host commands: the node desynced and back (the backup user's
//! procedure), mariabackup's stream to this machine or into a directory on the node's host,
//! the logical dump run in the node's container, the check of a backup kept on its host, the
//! restore's one-offs on the first node's volume, and the measure of the volumes before data
//! is moved aside. Pure builders; `backup/plans.rs` places them, `observe::restore` runs the
//! measure, and the backup user's password stays in its option file.

use super::{oneoff, DESYNC_PROCEDURE};
use crate::argv::{words, Argv};
use crate::inventory::layout::{BACKUP_CNF_FILE, SECRETS_MOUNT};
use crate::inventory::{Inventory, Node};

/// Where mariabackup keeps its own small files while it streams (inside the node container).
const STREAM_TMP: &str = "/tmp/galeractl-backup";

/// The backup user's option file inside the node container (the first option of a client).
fn defaults_file() -> String {
    format!("--defaults-extra-file={SECRETS_MOUNT}/{BACKUP_CNF_FILE}")
}

/// `docker exec` of a client of the node's image in the node's container, as the backup user.
fn exec(inventory: &Inventory, node: &Node, client: &str) -> Argv {
    super::container::exec(&inventory.container_name(node), &[client, &defaults_file()])
}

/// Desyncs the node (`on`) or brings it back in sync, through the backup user's procedure.
pub fn desync(inventory: &Inventory, node: &Node, on: bool) -> Argv {
    let mut argv = exec(inventory, node, "mariadb");
    argv.push("-e".into());
    argv.push(format!("CALL {DESYNC_PROCEDURE}({})", u8::from(on)));
    argv
}

/// mariabackup's stream of the node (with its Galera position) on stdout.
pub fn stream(inventory: &Inventory, node: &Node) -> Argv {
    let mut argv = exec(inventory, node, "mariadb-backup");
    argv.extend(words(&[
        "--backup",
        "--galera-info",
        "--stream=xbstream",
        &format!("--target-dir={STREAM_TMP}"),
    ]));
    argv
}

/// The logical dump of the node on stdout: `script` (`docker::dump::dump_script`) run with
/// bash in the node's container.
pub fn dump(inventory: &Inventory, node: &Node, script: &str) -> Argv {
    super::container::exec(&inventory.container_name(node), &["bash", "-c", script])
}

/// mariabackup's stream of the node into `host_dir/backup.xbstream` on the node's host (the
/// directory made 0700 if needed).
pub fn stream_into(inventory: &Inventory, node: &Node, host_dir: &str) -> Argv {
    let mut copy = words(&["sh", "-c"]);
    copy.push(format!(
        "set -e; umask 077; mkdir -p -- \"$1\"; exec docker exec \"$2\" mariadb-backup {} --backup --galera-info --stream=xbstream --target-dir={STREAM_TMP} >\"$1/backup.xbstream\"",
        defaults_file()
    ));
    copy.extend([
        "galeractl-backup".to_string(),
        host_dir.to_string(),
        inventory.container_name(node),
    ]);
    copy
}

/// Stops a mariabackup still running in the node's container (exits 0 when none runs).
pub fn stop_stream(inventory: &Inventory, node: &Node) -> Argv {
    super::container::exec(
        &inventory.container_name(node),
        &[
            "sh",
            "-c",
            "for p in /proc/[0-9]*; do [ \"$(cat \"$p/comm\" 2>/dev/null)\" = mariadb-backup ] && kill \"${p#/proc/}\"; done; true",
        ],
    )
}

/// Checks a backup kept on its host (mounted at /backup): extracted and prepared in the
/// container's scratch space (removed after), then the manifest written beside the stream and
/// printed. Arguments: cluster, node, host, started.
const ON_HOST_CHECK: &str = "set -euo pipefail
f=/backup/backup.xbstream
x=$(mktemp -d /backup/.check.XXXXXX)
trap 'rm -rf \"$x\" \"$x.log\"' EXIT
mbstream -x -C \"$x\" <\"$f\"
if ! mariadb-backup --prepare --target-dir=\"$x\" >\"$x.log\" 2>&1; then tail -n 20 \"$x.log\" >&2; exit 1; fi
pos=$(head -n 1 \"$x/xtrabackup_galera_info\")
seqno=${pos#*:}
version=$(sed -n 's/^server_version = //p' \"$x/xtrabackup_info\")
umask 077
{
  echo '# galeractl backup manifest'
  echo 'format = \"mariabackup-xbstream\"'
  echo 'file = \"backup.xbstream\"'
  echo \"cluster = \\\"$1\\\"\"
  echo \"cluster_uuid = \\\"${pos%%:*}\\\"\"
  echo \"seqno = ${seqno%%[ ,]*}\"
  echo \"server_version = \\\"${version:-unknown}\\\"\"
  echo \"node = \\\"$2\\\"\"
  echo \"host = \\\"$3\\\"\"
  echo \"size = $(stat -c %s \"$f\")\"
  echo \"sha256 = \\\"$(sha256sum \"$f\" | cut -d ' ' -f 1)\\\"\"
  echo \"started = \\\"$4\\\"\"
  echo \"ended = \\\"$(date -u -r \"$f\" '+%Y-%m-%d %H:%M:%S UTC')\\\"\"
} >/backup/manifest.toml
cat /backup/manifest.toml
";

/// The check of the backup kept in `host_dir` on the node's host ([`ON_HOST_CHECK`]), in a
/// scratch container of the node's image; prints the manifest it writes beside the stream.
pub fn check_on_host(inventory: &Inventory, node: &Node, host_dir: &str, started: &str) -> Argv {
    oneoff::backup_check(
        inventory,
        &inventory.backup_check_container(node),
        host_dir,
        &[
            ON_HOST_CHECK,
            "galeractl-check",
            &inventory.cluster.name,
            &node.name,
            &node.host,
            started,
        ],
    )
}

/// Extracts the stream on stdin into an empty data directory, prepares it (the node's image:
/// its mariabackup is the server's version) and gives it to the server's user.
const EXTRACT_SCRIPT: &str = "set -e; cd /var/lib/mysql; \
if [ -n \"$(ls -A)\" ]; then echo the data volume is not empty, nothing was restored >&2; exit 1; fi; \
mbstream -x; mariadb-backup --prepare --target-dir=/var/lib/mysql; chown -R mysql:mysql /var/lib/mysql; sync";

/// Writes grastate.dat from stdin, as the server's user's.
const GRASTATE_SCRIPT: &str = "set -e; f=/var/lib/mysql/grastate.dat; t=\"$f.galeractl\"; \
cat > \"$t\"; chown mysql:mysql \"$t\"; chmod 0660 \"$t\"; mv \"$t\" \"$f\"; sync";

/// A one-off on the node's volume (read-write, stdin open) running `sh -c SCRIPT` in the
/// cluster's image.
fn oneoff_script(inventory: &Inventory, node: &Node, script: &str) -> Argv {
    let mut a = super::oneoff::oneoff(inventory, node, false, true);
    a.extend(words(&["--entrypoint", "sh"]));
    a.push(inventory.cluster.image.clone());
    a.extend(["-c".to_string(), script.to_string()]);
    a
}

/// Extracts the stream on stdin onto the node's empty volume and prepares it.
pub fn extract(inventory: &Inventory, node: &Node) -> Argv {
    oneoff_script(inventory, node, EXTRACT_SCRIPT)
}

/// Writes grastate.dat on the node's volume from stdin.
pub fn write_restored_grastate(inventory: &Inventory, node: &Node) -> Argv {
    oneoff_script(inventory, node, GRASTATE_SCRIPT)
}

/// Where the measure's one-off mounts the volumes (`/measure/0`, `/measure/1`, ...).
pub const MEASURE_MOUNT: &str = "/measure/";

/// The read-only one-off that prints, per volume of `nodes` (all on one host), `du -sk`'s
/// kibibytes and its mount point, then `df -Pk`'s line for the first one's filesystem (the
/// one the aside volumes are made on: the same Docker data root).
pub fn measure(inventory: &Inventory, nodes: &[&Node]) -> Argv {
    let mut a = words(&["docker", "run", "--rm", "--label"]);
    a.push(format!(
        "{}={}",
        super::LABEL_CLUSTER,
        inventory.cluster.name
    ));
    a.extend(words(&["--network", "none"]));
    let mut mounts = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        a.push("--volume".into());
        a.push(format!(
            "{}:{MEASURE_MOUNT}{i}:ro",
            inventory.volume_name(n)
        ));
        mounts.push(format!("{MEASURE_MOUNT}{i}"));
    }
    a.extend(words(&["--entrypoint", "sh"]));
    a.push(inventory.cluster.image.clone());
    a.push("-c".into());
    a.push(format!(
        "set -e; du -sk {}; df -Pk {MEASURE_MOUNT}0 | tail -n 1",
        mounts.join(" ")
    ));
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;

    #[test]
    fn the_backups_commands_are_exact() {
        let inventory = super::super::fixture::inventory("");
        let node = &inventory.nodes[0];
        let client =
            "docker exec c-a mariadb --defaults-extra-file=/run/secrets/galeractl/backup.cnf";
        assert_eq!(
            shell_join(&desync(&inventory, node, true)),
            format!("{client} -e 'CALL galeractl.desync(1)'")
        );
        assert_eq!(
            shell_join(&desync(&inventory, node, false)),
            format!("{client} -e 'CALL galeractl.desync(0)'")
        );
        assert_eq!(
            shell_join(&stream(&inventory, node)),
            "docker exec c-a mariadb-backup --defaults-extra-file=/run/secrets/galeractl/backup.cnf --backup --galera-info --stream=xbstream --target-dir=/tmp/galeractl-backup"
        );
        assert_eq!(
            dump(&inventory, node, "SCRIPT"),
            ["docker", "exec", "c-a", "bash", "-c", "SCRIPT"]
        );
        assert_eq!(
            shell_join(&stream_into(&inventory, node, "/b/x")),
            "sh -c 'set -e; umask 077; mkdir -p -- \"$1\"; exec docker exec \"$2\" mariadb-backup --defaults-extra-file=/run/secrets/galeractl/backup.cnf --backup --galera-info --stream=xbstream --target-dir=/tmp/galeractl-backup >\"$1/backup.xbstream\"' galeractl-backup /b/x c-a"
        );
        assert_eq!(
            shell_join(&stop_stream(&inventory, node)),
            "docker exec c-a sh -c 'for p in /proc/[0-9]*; do [ \"$(cat \"$p/comm\" 2>/dev/null)\" = mariadb-backup ] && kill \"${p#/proc/}\"; done; true'"
        );
    }

    #[test]
    fn the_one_offs_are_exact() {
        let inventory = super::super::fixture::inventory("");
        let node = &inventory.nodes[0];
        let check = check_on_host(&inventory, node, "/b/x", "2026-01-02 03:04:05 UTC");
        assert_eq!(
            shell_join(&check[..17]),
            "docker run --rm --name c-a-backup-check --label io.galeractl.cluster=c --label io.galeractl.role=oneoff --network none --volume /b/x:/backup --entrypoint bash i -c"
        );
        assert_eq!(
            check[17..],
            [
                ON_HOST_CHECK,
                "galeractl-check",
                "c",
                "a",
                "h",
                "2026-01-02 03:04:05 UTC"
            ]
        );
        let oneoff = "docker run --rm --interactive --name c-a-recover --label io.galeractl.cluster=c --label io.galeractl.role=oneoff --network none --volume c-a-data:/var/lib/mysql --entrypoint sh i -c";
        assert_eq!(
            shell_join(&extract(&inventory, node)),
            format!("{oneoff} 'set -e; cd /var/lib/mysql; if [ -n \"$(ls -A)\" ]; then echo the data volume is not empty, nothing was restored >&2; exit 1; fi; mbstream -x; mariadb-backup --prepare --target-dir=/var/lib/mysql; chown -R mysql:mysql /var/lib/mysql; sync'")
        );
        assert_eq!(
            shell_join(&write_restored_grastate(&inventory, node)),
            format!("{oneoff} 'set -e; f=/var/lib/mysql/grastate.dat; t=\"$f.galeractl\"; cat > \"$t\"; chown mysql:mysql \"$t\"; chmod 0660 \"$t\"; mv \"$t\" \"$f\"; sync'")
        );
    }

    #[test]
    fn the_measure_reads_every_volume_of_the_host_read_only() {
        let source = "[cluster]\nname = \"c\"\nimage = \"img:1\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n\n[[nodes]]\nname = \"a\"\nhost = \"h\"\n\n[[nodes]]\nname = \"b\"\nhost = \"h\"\n[nodes.ports]\nmysql = 4307\ngalera = 4567\nsst = 4444\nist = 4568\n";
        let inventory = super::super::fixture::parse(source);
        let nodes: Vec<&Node> = inventory.nodes.iter().collect();
        assert_eq!(
            measure(&inventory, &nodes).join(" "),
            "docker run --rm --label io.galeractl.cluster=c --network none --volume c-a-data:/measure/0:ro --volume c-b-data:/measure/1:ro --entrypoint sh img:1 -c set -e; du -sk /measure/0 /measure/1; df -Pk /measure/0 | tail -n 1"
        );
    }
}
