//! What a host says, by read-only commands over SSH: its containers (`docker ps`), volumes,
//! listening ports, the image's presence, config files and history record; a container's
//! liveness and last log lines. Each fetcher beside its parser; the parsers are unit-tested.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::docker;
use crate::facts::{node_container, ContainerRow, ContainerState, HostFacts, Liveness, Present};
use crate::inventory::{Inventory, Node};
use crate::ssh::{Hosts, Remote, SshError};

/// The rows of `docker ps` ([`docker::read::ps`]).
pub fn parse_ps(text: &str) -> Vec<ContainerRow> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (f.len() == 6 || f.len() == 7).then(|| ContainerRow {
                id: f[0].to_string(),
                name: f[1].to_string(),
                state: ContainerState::from_docker(f[2]),
                cluster: f[3].to_string(),
                node: f[4].to_string(),
                spec: f[5].to_string(),
                tls: f.get(6).is_some_and(|v| *v == "on"),
            })
        })
        .collect()
}

/// Ports in LISTEN state, from `ss -Hltn` ([`docker::shell::listening_ports`]).
pub fn parse_listening(text: &str) -> BTreeSet<u16> {
    text.lines()
        .filter_map(|line| {
            let local = line.split_whitespace().nth(3)?;
            local.rsplit(':').next()?.parse().ok()
        })
        .collect()
}

/// The recorded history UUID in a history file's text (`None`: empty or not a UUID line).
pub fn parse_history(text: &str) -> Option<String> {
    let line = text.lines().next()?.trim();
    (line.len() == crate::galera::ZERO_UUID.len()).then(|| line.to_string())
}

/// The cluster's recorded history UUID on the host of `remote` (`None`: no record).
pub async fn recorded_history(remote: &Remote, inventory: &Inventory) -> Option<String> {
    let argv = docker::shell::cat(&inventory.history_path());
    let out = remote
        .run(&argv, None, remote.command_timeout())
        .await
        .ok()?;
    (out.code == 0)
        .then(|| parse_history(&out.stdout))
        .flatten()
}

pub async fn docker_version(remote: &Remote) -> Result<String, SshError> {
    Ok(remote
        .run_ok(&docker::read::server_version(), None)
        .await?
        .trim()
        .to_string())
}

pub async fn image_present(remote: &Remote, image: &str) -> Result<bool, SshError> {
    let out = remote
        .run(
            &docker::read::image_inspect(image),
            None,
            remote.command_timeout(),
        )
        .await?;
    Ok(out.code == 0)
}

pub async fn containers(remote: &Remote) -> Result<Vec<ContainerRow>, SshError> {
    Ok(parse_ps(&remote.run_ok(&docker::read::ps(), None).await?))
}

pub async fn host_facts(remote: &Remote, inventory: &Inventory) -> Result<HostFacts, SshError> {
    let volumes_argv = docker::read::volume_names();
    let ss_argv = docker::shell::listening_ports();
    let configs = inventory
        .nodes
        .iter()
        .filter(|n| n.host == remote.host)
        .map(|n| async move {
            let argv = docker::shell::cat(&inventory.config_path(n));
            let out = remote.run(&argv, None, remote.command_timeout()).await;
            (
                n.name.clone(),
                out.ok().filter(|o| o.code == 0).map(|o| o.stdout),
            )
        });
    let (version, containers, volumes, listening, image_present, configs, history) = tokio::join!(
        docker_version(remote),
        containers(remote),
        remote.run_ok(&volumes_argv, None),
        remote.run(&ss_argv, None, remote.command_timeout()),
        image_present(remote, &inventory.cluster.image),
        futures::future::join_all(configs),
        recorded_history(remote, inventory),
    );
    version?;
    Ok(HostFacts {
        history,
        configs: configs
            .into_iter()
            .filter_map(|(name, text)| text.map(|t| (name, t)))
            .collect(),
        containers: containers?,
        volumes: volumes?.lines().map(str::to_string).collect(),
        listening: listening
            .ok()
            .filter(|o| o.code == 0)
            .map(|o| parse_listening(&o.stdout)),
        image_present: image_present?,
    })
}

/// A container's state and restart count, from [`docker::read::liveness`].
pub fn parse_liveness(text: &str) -> Option<Liveness> {
    let mut words = text.split_whitespace();
    let state = ContainerState::from_docker(words.next()?);
    let restarts = words.next()?.parse().ok()?;
    Some(Liveness { state, restarts })
}

/// `None` when the container does not exist or the host did not answer.
pub async fn liveness(remote: &Remote, container: &str) -> Option<Liveness> {
    let out = remote
        .run(
            &docker::read::liveness(container),
            None,
            remote.command_timeout(),
        )
        .await
        .ok()?;
    (out.code == 0)
        .then(|| parse_liveness(&out.stdout))
        .flatten()
}

/// The last lines a container logged (stdout and stderr), for error messages.
pub async fn log_tail(remote: &Remote, container: &str, lines: usize) -> String {
    let argv = docker::read::log_tail(container, lines);
    match remote.run(&argv, None, Duration::from_secs(10)).await {
        Ok(o) => format!("{}{}", o.stdout, o.stderr).trim_end().to_string(),
        Err(e) => format!("(no log: {e})"),
    }
}

/// The container of `node` on its host (`remote`), if any.
pub async fn node_row(
    inventory: &Inventory,
    node: &Node,
    remote: &Remote,
) -> Result<Option<ContainerRow>, SshError> {
    let rows = containers(remote).await?;
    Ok(node_container(inventory, node, &rows).cloned())
}

/// The containers of each of `hosts` named (each distinct host once, in parallel; a host not
/// connected, or whose docker does not answer, has none).
pub async fn containers_by_host<'a>(
    hosts: &Hosts,
    names: impl Iterator<Item = &'a str>,
) -> Vec<(String, Vec<ContainerRow>)> {
    let mut distinct: Vec<&str> = Vec::new();
    for name in names {
        if !distinct.contains(&name) {
            distinct.push(name);
        }
    }
    futures::future::join_all(distinct.into_iter().map(|host| async move {
        let rows = match hosts.get(host) {
            Some(remote) => containers(&remote).await.unwrap_or_default(),
            None => Vec::new(),
        };
        (host.to_string(), rows)
    }))
    .await
}

/// A read of the hosts failed: a host not connected, or what SSH said.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("host {0} is not connected")]
    NotConnected(String),
    #[error(transparent)]
    Ssh(#[from] SshError),
}

/// Each node's container and volume, as its host shows them (before a restore), node by node.
pub async fn present(inventory: &Inventory, hosts: &Hosts) -> Result<Vec<Present>, ReadError> {
    let volumes_argv = docker::read::volume_names();
    let mut out = Vec::new();
    for node in &inventory.nodes {
        let remote = hosts
            .get(&node.host)
            .ok_or_else(|| ReadError::NotConnected(node.host.clone()))?;
        let rows = containers(&remote).await?;
        let volumes = remote.run_ok(&volumes_argv, None).await?;
        out.push(Present {
            node: node.name.clone(),
            container: node_container(inventory, node, &rows).is_some(),
            volume: volumes
                .lines()
                .any(|v| v.trim() == inventory.volume_name(node)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_ps_rows() {
        let text = "4f1e\tlocal-test-nodea\trunning\tlocal-test\tnodea\tc727b32693ee2f94\n9a0b\tother\texited\t\t\t\n";
        let rows = parse_ps(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].node, "nodea");
        assert!(rows[0].is_running());
        assert!(!rows[1].is_running());
        assert_eq!(rows[1].cluster, "");
    }

    #[test]
    fn parses_listening_ports() {
        let text = "LISTEN 0      4096         0.0.0.0:4306       0.0.0.0:*\nLISTEN 0 128 [::]:22 [::]:*\nLISTEN 0 4096 127.0.0.11:37473 0.0.0.0:*\n";
        let ports: Vec<u16> = parse_listening(text).into_iter().collect();
        assert_eq!(ports, vec![22, 4306, 37473]);
    }
}
