//! Facts read from hosts: containers, volumes, listening ports, images, node status. The
//! parsing is pure and unit-tested; the fetching is a few read-only commands over SSH and SQL.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::argv::words;
use crate::docker::{LABEL_CLUSTER, LABEL_NODE, LABEL_SPEC, LABEL_TLS};
use crate::facts::{Container, ContainerState, Observed, ObservedNode, SqlSaid};
pub use crate::facts::{ContainerRow, HostFacts, Liveness};
use crate::galera::{NoAnswer, NodeStatus, Probe};
use crate::inventory::{Inventory, Node};
use crate::secret::Secret;
use crate::sql::{self, SqlTarget};
use crate::ssh::{Remote, SshError};

pub mod program;

pub fn ps_argv() -> Vec<String> {
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

/// Ports in LISTEN state, from `ss -Hltn`.
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
    let argv = vec!["cat".to_string(), inventory.history_path()];
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
        .run_ok(
            &words(&["docker", "version", "--format", "{{.Server.Version}}"]),
            None,
        )
        .await?
        .trim()
        .to_string())
}

pub async fn image_present(remote: &Remote, image: &str) -> Result<bool, SshError> {
    let out = remote
        .run(
            &words(&["docker", "image", "inspect", "--format", "{{.Id}}", image]),
            None,
            remote.command_timeout(),
        )
        .await?;
    Ok(out.code == 0)
}

pub async fn containers(remote: &Remote) -> Result<Vec<ContainerRow>, SshError> {
    Ok(parse_ps(&remote.run_ok(&ps_argv(), None).await?))
}

pub async fn host_facts(remote: &Remote, inventory: &Inventory) -> Result<HostFacts, SshError> {
    let volumes_argv = words(&["docker", "volume", "ls", "--format", "{{.Name}}"]);
    let ss_argv = words(&["ss", "-Hltn"]);
    let configs = inventory
        .nodes
        .iter()
        .filter(|n| n.host == remote.host)
        .map(|n| async move {
            let argv = vec!["cat".to_string(), inventory.config_path(n)];
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

pub fn liveness_argv(container: &str) -> Vec<String> {
    words(&[
        "docker",
        "container",
        "inspect",
        "--format",
        "{{.State.Status}} {{.RestartCount}}",
        container,
    ])
}

pub fn parse_liveness(text: &str) -> Option<Liveness> {
    let mut words = text.split_whitespace();
    let state = ContainerState::from_docker(words.next()?);
    let restarts = words.next()?.parse().ok()?;
    Some(Liveness { state, restarts })
}

/// `None` when the container does not exist or the host did not answer.
pub async fn liveness(remote: &Remote, container: &str) -> Option<Liveness> {
    let out = remote
        .run(&liveness_argv(container), None, remote.command_timeout())
        .await
        .ok()?;
    (out.code == 0)
        .then(|| parse_liveness(&out.stdout))
        .flatten()
}

/// The last lines a container logged (stdout and stderr), for error messages.
pub async fn log_tail(remote: &Remote, container: &str, lines: usize) -> String {
    let argv = vec![
        "docker".into(),
        "logs".into(),
        "--tail".into(),
        lines.to_string(),
        container.to_string(),
    ];
    match remote.run(&argv, None, Duration::from_secs(10)).await {
        Ok(o) => format!("{}{}", o.stdout, o.stderr).trim_end().to_string(),
        Err(e) => format!("(no log: {e})"),
    }
}

pub fn monitor_target(inventory: &Inventory, node: &Node, password: &Secret) -> SqlTarget {
    SqlTarget {
        host: inventory.sql_host(node),
        port: node.ports.mysql,
        user: inventory.cluster.monitor_user.clone(),
        password: password.clone(),
        ca: inventory.tls.as_ref().map(|t| t.ca_cert.clone()),
    }
}

/// The wsrep status of each named node, or why there is none, probed in parallel as the
/// monitoring user, each within `timeout`.
pub async fn probes<S: AsRef<str>>(
    inventory: &Inventory,
    names: &[S],
    password: &Secret,
    timeout: Duration,
) -> Vec<Probe> {
    futures::future::join_all(names.iter().map(|name| async move {
        let Some(node) = inventory.node(name.as_ref()) else {
            return Err(NoAnswer::Other {
                message: format!("{} is not in the inventory", name.as_ref()),
            });
        };
        sql::probe(&monitor_target(inventory, node, password), timeout).await
    }))
    .await
}

/// [`probes`] for every node of the inventory, in inventory order.
pub async fn probe_every(
    inventory: &Inventory,
    password: &Secret,
    timeout: Duration,
) -> Vec<Probe> {
    let names: Vec<&str> = inventory.nodes.iter().map(|n| n.name.as_str()).collect();
    probes(inventory, &names, password, timeout).await
}

/// The wsrep status of each named node (`None`: no answer, whatever the reason, or not in the
/// inventory), probed in parallel as the monitoring user, each within `timeout`.
pub async fn probe_named<S: AsRef<str>>(
    inventory: &Inventory,
    names: &[S],
    password: &Secret,
    timeout: Duration,
) -> Vec<Option<NodeStatus>> {
    probes(inventory, names, password, timeout)
        .await
        .into_iter()
        .map(Result::ok)
        .collect()
}

/// [`probe_named`] for every node of the inventory, in inventory order.
pub async fn probe_all(
    inventory: &Inventory,
    password: &Secret,
    timeout: Duration,
) -> Vec<Option<NodeStatus>> {
    let names: Vec<&str> = inventory.nodes.iter().map(|n| n.name.as_str()).collect();
    probe_named(inventory, &names, password, timeout).await
}

/// The container of `node` among a host's containers.
pub fn node_container<'a>(
    inventory: &Inventory,
    node: &Node,
    rows: &'a [ContainerRow],
) -> Option<&'a ContainerRow> {
    rows.iter()
        .find(|r| r.cluster == inventory.cluster.name && r.node == node.name)
}

/// Builds what the planner needs: per node its container, its volume, and whether it serves.
pub async fn observed(
    inventory: &Inventory,
    facts: &[(String, HostFacts)],
    password: &Secret,
    probe_timeout: Duration,
) -> (Observed, Vec<Option<NodeStatus>>) {
    let probes = inventory.nodes.iter().map(|node| {
        let target = monitor_target(inventory, node, password);
        let running = facts
            .iter()
            .find(|(h, _)| h == &node.host)
            .and_then(|(_, f)| node_container(inventory, node, &f.containers))
            .is_some_and(ContainerRow::is_running);
        async move {
            if running {
                Some(sql::probe(&target, probe_timeout).await)
            } else {
                None
            }
        }
    });
    let answers = futures::future::join_all(probes).await;
    let said: Vec<SqlSaid> = answers
        .iter()
        .map(|a| a.as_ref().map_or(SqlSaid::NotAsked, SqlSaid::of))
        .collect();
    let statuses: Vec<Option<NodeStatus>> = answers
        .into_iter()
        .map(|a| a.and_then(Result::ok))
        .collect();
    let nodes = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .zip(said)
        .map(|((node, status), sql)| {
            let host = facts.iter().find(|(h, _)| h == &node.host).map(|(_, f)| f);
            let row = host.and_then(|f| node_container(inventory, node, &f.containers));
            ObservedNode {
                name: node.name.clone(),
                container: Container::of_row(row),
                volume: host.is_some_and(|f| f.volumes.contains(&inventory.volume_name(node))),
                synced_primary: status.as_ref().is_some_and(NodeStatus::is_healthy),
                sql,
                waiting_non_primary: false,
                config: host.and_then(|f| f.configs.get(&node.name).cloned()),
            }
        })
        .collect();
    // The cluster's containers that are not nodes (health endpoints, proxy), by name.
    let aux = facts
        .iter()
        .flat_map(|(_, f)| &f.containers)
        .filter(|r| r.cluster == inventory.cluster.name && r.node.is_empty())
        .map(|r| (r.name.clone(), Container::of_row(Some(r))))
        .collect();
    (
        Observed {
            nodes,
            aux,
            proxy_config_stale: false,
            history: inventory
                .nodes
                .iter()
                .filter_map(|n| {
                    let (_, f) = facts.iter().find(|(h, _)| h == &n.host)?;
                    Some((n.host.clone(), f.history.clone()))
                })
                .collect(),
            strays: Vec::new(),
            stray_volumes: Vec::new(),
            tls_stale: Vec::new(),
            tls_running: inventory
                .nodes
                .iter()
                .filter_map(|n| {
                    let (_, f) = facts.iter().find(|(h, _)| h == &n.host)?;
                    let row = node_container(inventory, n, &f.containers)?;
                    row.is_running().then(|| (n.name.clone(), row.tls))
                })
                .collect(),
            arbitrator_member: false,
            arbitrator_surely: false,
            gcache: None,
            versions: None,
            cluster_uuid: statuses
                .iter()
                .flatten()
                .find(|s| s.is_healthy())
                .map(|s| s.cluster_state_uuid.clone()),
        },
        statuses,
    )
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

/// Standard base64 (RFC 4648) of `bytes`, for HTTP basic authentication.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Sends `request` on `stream` and reads the answer until the server closes. Over TLS, a
/// close without TLS's close_notify ends the answer too (HAProxy closes an HTTP/1.0 answer so).
async fn exchange(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    request: &str,
    address: &str,
) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("{address}: {e}"))?;
    let mut response = Vec::new();
    match stream.read_to_end(&mut response).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !response.is_empty() => {}
        Err(e) => return Err(format!("{address}: {e}")),
    }
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// A TLS connector that trusts only the cluster's CA (the file at `ca`).
fn tls_connector(ca: &std::path::Path) -> Result<tokio_rustls::TlsConnector, String> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{}: {e}", ca.display()))? {
        let cert = cert.map_err(|e| format!("{}: {e}", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", ca.display()))?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(std::sync::Arc::new(
        config,
    )))
}

/// HAProxy's view of the backends, from its stats page (CSV), with basic authentication; over
/// HTTPS, its certificate verified against the CA at `ca` and the proxy's address, when given.
pub async fn proxy_backends(
    h: &crate::inventory::Haproxy,
    password: &Secret,
    ca: Option<&std::path::Path>,
    timeout: Duration,
) -> Result<Vec<crate::haproxy::Backend>, String> {
    let address = crate::inventory::host_port(&h.host, h.stats_port);
    let request = format!(
        "GET /admin?stats;csv HTTP/1.0\r\nHost: {address}\r\nAuthorization: Basic {}\r\n\r\n",
        base64(format!("{}:{}", h.stats_user, password.expose()).as_bytes())
    );
    let work = async {
        let stream = tokio::net::TcpStream::connect(&address)
            .await
            .map_err(|e| format!("{address}: {e}"))?;
        match ca {
            None => exchange(stream, &request, &address).await,
            Some(ca) => {
                let name = tokio_rustls::rustls::pki_types::ServerName::try_from(h.host.clone())
                    .map_err(|e| format!("{address}: {e}"))?;
                let stream = tls_connector(ca)?
                    .connect(name, stream)
                    .await
                    .map_err(|e| format!("{address}: TLS: {e}"))?;
                exchange(stream, &request, &address).await
            }
        }
    };
    let text = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("{address}: no answer within {} ms", timeout.as_millis()))??;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or("");
    if !status.contains(" 200 ") {
        return Err(format!("{address}: stats page answered {status:?}"));
    }
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok(crate::haproxy::parse_stats_csv(&body))
}

/// The payload of an HTTP/1.1 chunked body (HAProxy answers so even to HTTP/1.0).
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].strip_prefix("\r\n").unwrap_or(&after[size..]);
    }
    out
}

#[cfg(test)]
mod base64_tests {
    #[test]
    fn encodes_like_rfc_4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"admin:s3cret"), "YWRtaW46czNjcmV0");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            super::dechunk("4\r\nWiki\r\n6\r\npedia \r\n0\r\n\r\n"),
            "Wikipedia "
        );
        assert_eq!(super::dechunk("zz\r\n"), "");
    }
}

/// Whether HAProxy's configuration on its host differs from the one the inventory gives, its
/// stats password put in. Read over SSH, compared here, never shown; `false` when unknown.
pub async fn proxy_config_stale(inventory: &Inventory, hosts: &crate::ssh::Hosts) -> bool {
    let Some(h) = &inventory.haproxy else {
        return false;
    };
    let (Some(remote), Ok(password)) = (hosts.get(&h.host), Secret::read(&h.stats_password_file))
    else {
        return false;
    };
    let want = crate::haproxy::render_config(inventory, h)
        .replace(crate::haproxy::PASSWORD_PLACEHOLDER, password.expose());
    let argv = vec!["cat".to_string(), crate::haproxy::config_path(inventory)];
    match remote.run(&argv, None, remote.command_timeout()).await {
        Ok(o) if o.code == 0 => o.stdout != want,
        _ => false,
    }
}

/// A node's `wsrep_provider_options` (Galera's settings, `gcache.size` among them).
pub async fn provider_options(target: &crate::sql::SqlTarget, timeout: Duration) -> Option<String> {
    global_variable(target, "wsrep_provider_options", timeout).await
}

async fn global_variable(
    target: &crate::sql::SqlTarget,
    name: &str,
    timeout: Duration,
) -> Option<String> {
    let rows = crate::sql::query_pairs(
        target,
        &format!("SHOW GLOBAL VARIABLES LIKE '{name}'"),
        timeout,
    )
    .await
    .ok()?;
    rows.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The MariaDB version a node runs (`10.11.14-MariaDB-...`), or `None`.
pub async fn running_version(target: &crate::sql::SqlTarget, timeout: Duration) -> Option<String> {
    global_variable(target, "version", timeout).await
}

/// The MariaDB version in `image`, read on a host that has it (`mariadbd --version` in a
/// one-off container without network), or `None`.
pub async fn image_version(remote: &Remote, image: &str) -> Option<String> {
    let argv = image_version_argv(image);
    let out = remote
        .run(&argv, None, remote.command_timeout())
        .await
        .ok()?;
    parse_mariadbd_version(&out.stdout)
}

/// `mariadbd --version` in a one-off container of `image`, without network.
fn image_version_argv(image: &str) -> Vec<String> {
    program::argv(image, "mariadbd", "--version")
}

/// [`image_version`] on this machine's docker (the image `up` would copy to the hosts).
pub async fn local_image_version(image: &str) -> Option<String> {
    let argv = image_version_argv(image);
    let run = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .ok()?
        .ok()?;
    parse_mariadbd_version(&String::from_utf8_lossy(&out.stdout))
}

/// The version in `mariadbd --version`'s line (`mariadbd  Ver 11.8.3-MariaDB-... for ...`).
pub fn parse_mariadbd_version(text: &str) -> Option<String> {
    let at = text.find(" Ver ")?;
    text[at + 5..].split_whitespace().next().map(str::to_string)
}

#[cfg(test)]
mod version_tests {
    #[test]
    fn mariadbd_version_line() {
        assert_eq!(
            super::parse_mariadbd_version(
                "mariadbd  Ver 11.8.3-MariaDB-0+deb13u1 from Debian for debian-linux-gnu on x86_64 (Debian n/a)\n"
            )
            .as_deref(),
            Some("11.8.3-MariaDB-0+deb13u1")
        );
        assert_eq!(super::parse_mariadbd_version("garbage"), None);
    }
}
