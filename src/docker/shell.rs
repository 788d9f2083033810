//! Plain host commands, without a container: files read and removed (`cat`, `rm`), what a
//! host offers (`id`, `df`, `date`, `ss`), the operator's stop record that `watch` reads, and
//! `up --prune`'s removal of the cluster's directory. Pure builders; the paths come from the
//! inventory's layout, values travel as positional parameters of `sh -c`, never in a script.

use super::LABEL_CLUSTER;
use crate::argv::{words, Argv};
use crate::inventory::{Inventory, Node};

/// A file's text (exit non-zero when it cannot be read). Also the local command whose output
/// a step reads as its stdin (a backup file sent to a host).
pub fn cat(path: &str) -> Argv {
    words(&["cat", path])
}

/// A file's text, exit 3 when it does not exist (another failure: another non-zero exit).
pub fn cat_if_present(path: &str) -> Argv {
    words(&[
        "sh",
        "-c",
        "[ ! -e \"$1\" ] && exit 3; cat -- \"$1\"",
        "sh",
        path,
    ])
}

/// Removes a directory and all it holds.
pub fn remove_tree(dir: &str) -> Argv {
    words(&["rm", "-rf", "--", dir])
}

/// The TCP ports in LISTEN state, one socket a line, no header.
pub fn listening_ports() -> Argv {
    words(&["ss", "-Hltn"])
}

/// The user id the commands run as (0 is root).
pub fn user_id() -> Argv {
    words(&["id", "-u"])
}

/// `df`'s POSIX line (kibibytes) of the filesystem that holds `dir`.
pub fn disk_free(dir: &str) -> Argv {
    words(&["df", "-Pk", dir])
}

/// The host's clock as Unix seconds with nanoseconds.
pub fn clock() -> Argv {
    words(&["date", "+%s.%N"])
}

/// The directory of the operator's stop records on a node's host.
pub fn stop_record_dir(inventory: &Inventory) -> String {
    format!("{}/stopped", inventory.cluster_dir())
}

/// Writes the operator's stop record for `node`: its container's current start time (run
/// before the stop), written aside then renamed into place.
pub fn record_stop(inventory: &Inventory, node: &Node) -> Argv {
    vec![
        "sh".into(),
        "-c".into(),
        "mkdir -p \"$1\" && docker inspect -f '{{.State.StartedAt}}' \"$2\" > \"$1/$3.new\" && mv -f \"$1/$3.new\" \"$1/$3\"".into(),
        "galeractl-intent".into(),
        stop_record_dir(inventory),
        inventory.container_name(node),
        node.name.clone(),
    ]
}

/// Reads the stop record and the container's start time now, one a line (either line empty
/// when there is none).
pub fn read_stop_record(inventory: &Inventory, node: &Node) -> Argv {
    vec![
        "sh".into(),
        "-c".into(),
        "cat \"$1/$3\" 2>/dev/null; echo; docker inspect -f '{{.State.StartedAt}}' \"$2\" 2>/dev/null; true".into(),
        "galeractl-intent".into(),
        stop_record_dir(inventory),
        inventory.container_name(node),
        node.name.clone(),
    ]
}

/// Removes the files galeractl writes into the cluster's directory on a host, then the
/// directory if nothing else is left in it (`rmdir`), only when no container of the cluster
/// is left there (the host may be one the inventory reaches under another name). Nothing is
/// removed by `rm -rf`: a directory that was not galeractl's own keeps what it held.
pub fn remove_cluster_dir_if_unused(inventory: &Inventory) -> Argv {
    vec![
        "sh".into(),
        "-c".into(),
        REMOVE_OWN_FILES.into(),
        "galeractl-prune".into(),
        format!("{LABEL_CLUSTER}={}", inventory.cluster.name),
        inventory.cluster_dir(),
    ]
}

/// `$1`: the cluster's label; `$2`: its directory. The names are those galeractl writes there
/// (`docker`, `tls`, `haproxy`, `lock`, `galera::HISTORY_FILE`); a name it does not write
/// keeps the directory, and says so.
const REMOVE_OWN_FILES: &str = "ids=$(docker ps -aq --filter \"label=$1\") || exit; \
if [ -n \"$ids\" ]; then echo \"kept $2: a container of the cluster is still here\"; exit 0; fi; \
cd -- \"$2\" 2>/dev/null || exit 0; \
rm -f -- ./*.cnf ./*.sql ./history-uuid ./node-start.sh ./haproxy.cfg ./check.sh ./tls-*.crt ./tls-*.key ./tls-*.pem \
./secrets/root-password ./secrets/monitor-password ./secrets/backup.cnf ./drain/*/drained ./lock/holder; \
rmdir -- ./drain/* secrets drain lock 2>/dev/null; \
cd / && rmdir -- \"$2\" 2>/dev/null || echo \"kept $2: it holds files that galeractl does not write\"";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;
    use std::path::Path;
    use std::process::Command;

    #[test]
    fn plain_commands_are_exact() {
        assert_eq!(cat("/etc/x y"), ["cat", "/etc/x y"]);
        assert_eq!(
            cat_if_present("/etc/galeractl/c/tls-ca.crt"),
            [
                "sh",
                "-c",
                "[ ! -e \"$1\" ] && exit 3; cat -- \"$1\"",
                "sh",
                "/etc/galeractl/c/tls-ca.crt"
            ]
        );
        assert_eq!(remove_tree("/b/x"), ["rm", "-rf", "--", "/b/x"]);
        assert_eq!(listening_ports(), ["ss", "-Hltn"]);
        assert_eq!(user_id(), ["id", "-u"]);
        assert_eq!(
            disk_free("/var/lib/docker"),
            ["df", "-Pk", "/var/lib/docker"]
        );
        assert_eq!(clock(), ["date", "+%s.%N"]);
    }

    #[test]
    fn stop_record_and_prune_are_exact() {
        let inventory = super::super::fixture::inventory("");
        let node = &inventory.nodes[0];
        assert_eq!(
            shell_join(&record_stop(&inventory, node)),
            "sh -c 'mkdir -p \"$1\" && docker inspect -f '\\''{{.State.StartedAt}}'\\'' \"$2\" > \"$1/$3.new\" && mv -f \"$1/$3.new\" \"$1/$3\"' galeractl-intent /etc/galeractl/c/stopped c-a a"
        );
        assert_eq!(
            shell_join(&read_stop_record(&inventory, node)),
            "sh -c 'cat \"$1/$3\" 2>/dev/null; echo; docker inspect -f '\\''{{.State.StartedAt}}'\\'' \"$2\" 2>/dev/null; true' galeractl-intent /etc/galeractl/c/stopped c-a a"
        );
        let prune = remove_cluster_dir_if_unused(&inventory);
        assert_eq!(
            prune[..4],
            ["sh", "-c", REMOVE_OWN_FILES, "galeractl-prune"]
        );
        assert_eq!(prune[4..], ["io.galeractl.cluster=c", "/etc/galeractl/c"]);
    }

    /// Runs the removal under sh with a `docker` on PATH that prints `ps` (the cluster's
    /// containers left on the host).
    fn prune(bin: &Path, dir: &Path, ps: &str) -> String {
        std::fs::write(bin.join("docker"), format!("#!/bin/sh\nprintf '{ps}'\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .args(["-c", REMOVE_OWN_FILES, "galeractl-prune", "label=x"])
            .arg(dir)
            .env("PATH", path)
            .output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn only_galeractls_files_are_removed() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = std::env::temp_dir().join(format!("galeractl-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let bin = scratch.join("bin");
        let ours = scratch.join("c1");
        let theirs = scratch.join("c2");
        for dir in [&bin, &ours, &theirs] {
            for sub in ["secrets", "drain/nodea", "lock"] {
                std::fs::create_dir_all(dir.join(sub)).unwrap_or_else(|e| panic!("{e}"));
            }
            for file in [
                "nodea.cnf",
                "sst-user.sql",
                "history-uuid",
                "node-start.sh",
                "tls-nodea.key",
                "secrets/root-password",
                "drain/nodea/drained",
                "lock/holder",
            ] {
                std::fs::write(dir.join(file), "x").unwrap_or_else(|e| panic!("{e}"));
            }
        }
        std::fs::write(bin.join("docker"), "").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(bin.join("docker"), std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(theirs.join("app.conf"), "x").unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(
            prune(&bin, &ours, "abc\\n"),
            format!(
                "kept {}: a container of the cluster is still here\n",
                ours.display()
            )
        );
        assert!(ours.join("nodea.cnf").exists());
        assert_eq!(prune(&bin, &ours, ""), "");
        assert!(!ours.exists());
        assert_eq!(
            prune(&bin, &theirs, ""),
            format!(
                "kept {}: it holds files that galeractl does not write\n",
                theirs.display()
            )
        );
        assert!(theirs.join("app.conf").exists());
        assert!(!theirs.join("nodea.cnf").exists());
        assert_eq!(prune(&bin, &scratch.join("absent"), ""), "");
        let _ = std::fs::remove_dir_all(&scratch);
    }
}
