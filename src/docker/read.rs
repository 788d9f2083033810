//! The read-only docker commands galeractl runs on a host (and on this machine): what runs,
//! which volumes exist, a container's state and last log lines, whether an image is there and
//! what it holds. Pure builders; `observe` runs them and parses what they print.

use super::{LABEL_CLUSTER, LABEL_NODE, LABEL_SPEC, LABEL_TLS};
use crate::argv::{words, Argv};
use crate::inventory::Inventory;

/// `docker ps -a`: id, name, state and galeractl's labels of every container, a tab between.
pub fn ps() -> Argv {
    vec![
        "docker".into(),
        "ps".into(),
        "--all".into(),
        "--no-trunc".into(),
        "--format".into(),
        format!(
            "{{{{.ID}}}}\t{{{{.Names}}}}\t{{{{.State}}}}\t{{{{.Label \"{LABEL_CLUSTER}\"}}}}\t{{{{.Label \"{LABEL_NODE}\"}}}}\t{{{{.Label \"{LABEL_SPEC}\"}}}}\t{{{{.Label \"{LABEL_TLS}\"}}}}"
        ),
    ]
}

/// The docker server's version (it answers, and to this user).
pub fn server_version() -> Argv {
    words(&["docker", "version", "--format", "{{.Server.Version}}"])
}

/// Where docker keeps its data (the disk preflight measures).
pub fn root_dir() -> Argv {
    words(&["docker", "info", "--format", "{{.DockerRootDir}}"])
}

/// Exits 0 when `image` is there.
pub fn image_inspect(image: &str) -> Argv {
    words(&["docker", "image", "inspect", "--format", "{{.Id}}", image])
}

/// A container's state and restart count, a space between.
pub fn liveness(container: &str) -> Argv {
    words(&[
        "docker",
        "container",
        "inspect",
        "--format",
        "{{.State.Status}} {{.RestartCount}}",
        container,
    ])
}

/// `true` or `false`: whether a container runs.
pub fn running(container: &str) -> Argv {
    words(&[
        "docker",
        "inspect",
        "--format",
        "{{.State.Running}}",
        container,
    ])
}

/// The last `lines` lines a container logged.
pub fn log_tail(container: &str, lines: usize) -> Argv {
    vec![
        "docker".into(),
        "logs".into(),
        "--tail".into(),
        lines.to_string(),
        container.to_string(),
    ]
}

/// The last `lines` lines a container logged, its stderr merged into its stdout (through
/// `sh`, so one stream keeps the order).
pub fn log_tail_merged(container: &str, lines: usize) -> Argv {
    vec![
        "sh".into(),
        "-c".into(),
        format!("docker logs --tail {lines} \"$1\" 2>&1"),
        "galeractl-garbd-log".into(),
        container.to_string(),
    ]
}

/// Every volume's name, one a line.
pub fn volume_names() -> Argv {
    words(&["docker", "volume", "ls", "--format", "{{.Name}}"])
}

/// The cluster's labelled volumes: name and node label, a tab between.
pub fn cluster_volumes(inventory: &Inventory) -> Argv {
    [
        "docker",
        "volume",
        "ls",
        "--filter",
        &format!("label={LABEL_CLUSTER}={}", inventory.cluster.name),
        "--format",
        &format!("{{{{.Name}}}}\t{{{{.Label \"{LABEL_NODE}\"}}}}"),
    ]
    .map(String::from)
    .to_vec()
}

/// `docker run --rm --network none --entrypoint PROGRAM IMAGE FLAG`: the program an image's
/// container would run, asked for its version (the same entrypoint, so the same `PATH` and
/// user).
pub fn run_program(image: &str, program: &str, flag: &str) -> Argv {
    words(&[
        "docker",
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        program,
        image,
        flag,
    ])
}

/// `mariadbd --version` in a one-off container of `image`, without network.
pub fn mariadbd_version(image: &str) -> Argv {
    run_program(image, "mariadbd", "--version")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;

    #[test]
    fn reads_are_exact() {
        assert_eq!(
            shell_join(&ps()),
            "docker ps --all --no-trunc --format '{{.ID}}\t{{.Names}}\t{{.State}}\t{{.Label \"io.galeractl.cluster\"}}\t{{.Label \"io.galeractl.node\"}}\t{{.Label \"io.galeractl.spec\"}}\t{{.Label \"io.galeractl.tls\"}}'"
        );
        assert_eq!(
            server_version(),
            ["docker", "version", "--format", "{{.Server.Version}}"]
        );
        assert_eq!(
            root_dir(),
            ["docker", "info", "--format", "{{.DockerRootDir}}"]
        );
        assert_eq!(
            image_inspect("i:1"),
            ["docker", "image", "inspect", "--format", "{{.Id}}", "i:1"]
        );
        assert_eq!(
            liveness("c-a"),
            [
                "docker",
                "container",
                "inspect",
                "--format",
                "{{.State.Status}} {{.RestartCount}}",
                "c-a"
            ]
        );
        assert_eq!(
            running("c-garbd"),
            [
                "docker",
                "inspect",
                "--format",
                "{{.State.Running}}",
                "c-garbd"
            ]
        );
        assert_eq!(
            log_tail("c-a", 40),
            ["docker", "logs", "--tail", "40", "c-a"]
        );
        assert_eq!(
            log_tail_merged("c-garbd", 400),
            [
                "sh",
                "-c",
                "docker logs --tail 400 \"$1\" 2>&1",
                "galeractl-garbd-log",
                "c-garbd"
            ]
        );
        assert_eq!(
            volume_names(),
            ["docker", "volume", "ls", "--format", "{{.Name}}"]
        );
    }

    #[test]
    fn cluster_volumes_are_exact() {
        let inventory = super::super::fixture::inventory("");
        assert_eq!(
            cluster_volumes(&inventory),
            [
                "docker",
                "volume",
                "ls",
                "--filter",
                "label=io.galeractl.cluster=c",
                "--format",
                "{{.Name}}\t{{.Label \"io.galeractl.node\"}}"
            ]
        );
    }

    #[test]
    fn programs_run_in_a_one_off_without_network() {
        assert_eq!(
            run_program("galeractl-lab/garbd:bookworm", "garbd", "--version").join(" "),
            "docker run --rm --network none --entrypoint garbd galeractl-lab/garbd:bookworm --version"
        );
        assert_eq!(
            mariadbd_version("mariadb:11.4").join(" "),
            "docker run --rm --network none --entrypoint mariadbd mariadb:11.4 --version"
        );
    }
}
