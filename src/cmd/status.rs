//! `galeractl status`: every node's wsrep state over SQL, in parallel, each with a deadline;
//! SSH only for the nodes that do not answer, to say what their container is doing.

use std::process::ExitCode;
use std::time::Duration;

use super::{inventory_path, monitor_password, print_warnings, ssh_options, Failure, Outcome};
use crate::cli::{StatusArgs, StatusFormat};
use crate::facts::ContainerState;
use crate::galera::{self, NodeStatus};
use crate::inventory::{self, Inventory, Node};
use crate::observe;
use crate::report::{ArbitratorReport, BackendReport, NodeReport, ProxyReport, StatusReport};
use crate::secret::Secret;
use crate::sql;
use crate::ssh::{Remote, Target};

pub async fn run(args: &StatusArgs) -> Outcome {
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let password = monitor_password(&inventory)?;
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let report = collect(&inventory, &password, timeout, args).await;
    if let Some(file) = &args.textfile {
        crate::textfile::write_atomic(file, &crate::prometheus::render(&report)).map_err(|e| {
            Failure::new(
                crate::exit::FAILED,
                format!("cannot write {}: {e}", file.display()),
            )
        })?;
        return Ok(ExitCode::from(report.exit_code));
    }
    let format = match (args.json, args.format) {
        (true, _) => StatusFormat::Json,
        (false, format) => format.unwrap_or(StatusFormat::Table),
    };
    match format {
        StatusFormat::Json => {
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::new(crate::exit::FAILED, format!("cannot encode: {e}")))?;
            outln!("{text}");
        }
        StatusFormat::Prometheus => out!("{}", crate::prometheus::render(&report)),
        StatusFormat::Table => out!("{}", render(&report)),
    }
    Ok(ExitCode::from(report.exit_code))
}

pub async fn collect(
    inventory: &Inventory,
    password: &Secret,
    timeout: Duration,
    args: &StatusArgs,
) -> StatusReport {
    let options = status_ssh_options(args);
    let first = inventory.nodes.first();
    let (nodes, first_record) = tokio::join!(
        futures::future::join_all(
            inventory
                .nodes
                .iter()
                .map(|n| node_report(inventory, n, password, timeout, args)),
        ),
        async {
            let record = match first {
                Some(node) => host_record(inventory, node, &options).await,
                None => None,
            };
            // No record there (the host unreachable, or none written): the other hosts are
            // needed whatever the nodes say, so they are read now, still beside the probes.
            let others = match record {
                None => Some(other_records(inventory, &options).await),
                Some(_) => None,
            };
            (record, others)
        }
    );
    let recorded_history = recorded_history(inventory, &nodes, first_record, &options).await;
    let pairs: Vec<(&str, Option<&NodeStatus>)> = nodes
        .iter()
        .map(|n| (n.name.as_str(), n.wsrep.as_ref()))
        .collect();
    let verdict = galera::verdict(inventory.members(), &pairs, &recorded_history);
    let proxy = match &inventory.haproxy {
        Some(h) => Some(proxy_report(inventory, h, &nodes, timeout).await),
        None => None,
    };
    let statuses: Vec<Option<NodeStatus>> = nodes.iter().map(|n| n.wsrep.clone()).collect();
    let arbitrator = match &inventory.arbitrator {
        Some(a) => {
            let container = arbitrator_container(inventory, &a.host, args).await;
            Some(ArbitratorReport {
                host: a.host.clone(),
                port: a.port,
                // Its container runs and the component counts a member no node accounts for.
                member: container == ContainerState::Running
                    && crate::arbitrator::is_member(&statuses, 0),
                container,
            })
        }
        None => None,
    };
    let advice = nodes
        .iter()
        .any(|n| {
            n.no_answer
                .as_ref()
                .is_some_and(galera::NoAnswer::is_access_denied)
        })
        .then(|| {
            galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file,
            )
        });
    StatusReport {
        cluster: inventory.cluster.name.clone(),
        advice,
        recorded_history,
        exit_code: verdict.exit_code(),
        verdict,
        nodes,
        proxy,
        arbitrator,
    }
}

/// The state of garbd's container on its host.
async fn arbitrator_container(
    inventory: &Inventory,
    host: &str,
    args: &StatusArgs,
) -> ContainerState {
    let options = status_ssh_options(args);
    let remote = match Remote::connect(&Target::for_host(inventory, host), &options).await {
        Ok(r) => r,
        Err(e) => return ContainerState::Unknown(e.to_string()),
    };
    let name = inventory.arbitrator_container();
    let state = match observe::containers(&remote).await {
        Ok(rows) => rows
            .iter()
            .find(|r| r.name == name)
            .map_or(ContainerState::Missing, |r| r.state.clone()),
        Err(e) => ContainerState::Unknown(e.to_string()),
    };
    remote.close().await;
    state
}

async fn proxy_report(
    inventory: &Inventory,
    h: &crate::inventory::Haproxy,
    nodes: &[NodeReport],
    timeout: Duration,
) -> ProxyReport {
    let mut report = ProxyReport {
        host: h.host.clone(),
        port: h.port,
        stats_port: h.stats_port,
        error: None,
        backends: Vec::new(),
    };
    let backends = match Secret::read(&h.stats_password_file) {
        Err(e) => Err(format!(
            "cannot read {}: {e}",
            h.stats_password_file.display()
        )),
        Ok(password) => {
            let ca = inventory.tls.as_ref().map(|t| t.ca_cert.as_path());
            observe::proxy_backends(h, &password, ca, timeout).await
        }
    };
    match backends {
        Err(e) => report.error = Some(e),
        Ok(list) => {
            report.backends = list
                .into_iter()
                .map(|b| {
                    let node_healthy = nodes
                        .iter()
                        .find(|n| n.name == b.server)
                        .and_then(|n| n.wsrep.as_ref())
                        .is_some_and(NodeStatus::is_healthy);
                    BackendReport {
                        agrees: b.status.starts_with("UP") == node_healthy,
                        server: b.server,
                        status: b.status,
                        backup: b.backup,
                        node_healthy,
                    }
                })
                .collect()
        }
    }
    report
}

/// SSH for `status`, which answers within seconds even when a host is gone: connections and
/// commands capped.
fn status_ssh_options(args: &StatusArgs) -> crate::ssh::SshOptions {
    let mut options = ssh_options(&args.remote);
    options.command_timeout = options.command_timeout.min(Duration::from_secs(10));
    options.connect_timeout = options.connect_timeout.min(Duration::from_secs(3));
    options
}

/// The history UUIDs recorded on the nodes' hosts (each distinct one once). The first node's
/// host is read alongside the SQL probes; when its record is the Primary component's UUID, the
/// verdict is settled (the live history is recorded) and no other host is asked: one SSH
/// connection, whatever the node count. Otherwise (no record there, another UUID, no single
/// Primary UUID, that host unreachable) every other host is read too, at once, and the verdict
/// sees all their records, as before.
async fn recorded_history(
    inventory: &Inventory,
    nodes: &[NodeReport],
    (first_record, others): (Option<String>, Option<Vec<String>>),
    options: &crate::ssh::SshOptions,
) -> Vec<String> {
    let settled = record_settles(first_record.as_deref(), nodes);
    let mut distinct: std::collections::BTreeSet<String> = first_record.into_iter().collect();
    if !settled {
        let others = match others {
            Some(read) => read,
            None => other_records(inventory, options).await,
        };
        distinct.extend(others);
    }
    distinct.into_iter().collect()
}

/// Whether a host's record settles the history verdict: it is the one state UUID the Primary
/// nodes report (then no other host's record can change the verdict).
fn record_settles(record: Option<&str>, nodes: &[NodeReport]) -> bool {
    let live: std::collections::BTreeSet<&str> = nodes
        .iter()
        .filter_map(|n| n.wsrep.as_ref())
        .filter(|s| s.is_primary())
        .map(|s| s.cluster_state_uuid.as_str())
        .collect();
    record.is_some_and(|r| live.len() == 1 && live.contains(r))
}

/// The records on every host but the first node's (each host once), read at once.
async fn other_records(inventory: &Inventory, options: &crate::ssh::SshOptions) -> Vec<String> {
    let mut seen: std::collections::BTreeSet<&str> = inventory
        .nodes
        .first()
        .map(|n| n.host.as_str())
        .into_iter()
        .collect();
    let others: Vec<&Node> = inventory
        .nodes
        .iter()
        .filter(|n| seen.insert(n.host.as_str()))
        .collect();
    futures::future::join_all(
        others
            .into_iter()
            .map(|node| host_record(inventory, node, options)),
    )
    .await
    .into_iter()
    .flatten()
    .collect()
}

/// The history UUID recorded on a node's host, if the host answers and has one.
async fn host_record(
    inventory: &Inventory,
    node: &Node,
    options: &crate::ssh::SshOptions,
) -> Option<String> {
    let remote = Remote::connect(&Target::for_node(inventory, node), options)
        .await
        .ok()?;
    let record = observe::recorded_history(&remote, inventory).await;
    remote.close().await;
    record
}

async fn node_report(
    inventory: &Inventory,
    node: &Node,
    password: &Secret,
    timeout: Duration,
    args: &StatusArgs,
) -> NodeReport {
    let target = observe::monitor_target(inventory, node, password);
    let mut report = NodeReport {
        name: node.name.clone(),
        host: node.host.clone(),
        port: node.ports.mysql,
        container: ContainerState::Unknown(String::new()),
        error: None,
        no_answer: None,
        wsrep: None,
        log: Vec::new(),
    };
    match sql::probe(&target, timeout).await {
        Ok(status) => {
            report.container = ContainerState::Running;
            report.wsrep = Some(status);
        }
        Err(e) => {
            report.error = Some(format!("{}:{}: {e}", target.host, target.port));
            report.no_answer = Some(e);
            // SQL is silent: ask the host what the container is doing.
            let options = status_ssh_options(args);
            match Remote::connect(&Target::for_node(inventory, node), &options).await {
                Err(e) => report.container = ContainerState::Unknown(e.to_string()),
                Ok(remote) => {
                    let name = inventory.container_name(node);
                    report.container = match observe::containers(&remote).await {
                        Ok(rows) => observe::node_container(inventory, node, &rows)
                            .map_or(ContainerState::Missing, |r| r.state.clone()),
                        Err(e) => ContainerState::Unknown(e.to_string()),
                    };
                    if args.verbose_logs {
                        report.log = observe::log_tail(&remote, &name, 10)
                            .await
                            .lines()
                            .map(str::to_string)
                            .collect();
                    }
                    remote.close().await;
                }
            }
        }
    }
    report
}

/// The table an operator reads, then the verdict.
pub fn render(report: &StatusReport) -> String {
    let header = [
        "NODE",
        "HOST",
        "CONTAINER",
        "STATE",
        "CLUSTER",
        "SIZE",
        "CONN",
        "READY",
        "SEQNO",
        "UUID",
        "FC_PAUSED",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for n in &report.nodes {
        let host = format!("{}:{}", n.host, n.port);
        let container = n.container.word().to_string();
        rows.push(match &n.wsrep {
            Some(s) => vec![
                n.name.clone(),
                host,
                container,
                s.local_state.clone(),
                s.cluster_status.clone(),
                s.cluster_size.to_string(),
                on_off(s.connected),
                on_off(s.ready),
                s.last_committed.to_string(),
                s.short_uuid().to_string(),
                format!("{:.3}", s.flow_control_paused),
            ],
            None => {
                let why = n.no_answer.as_ref().map_or("-", galera::NoAnswer::short);
                let mut r = vec![n.name.clone(), host, container, why.to_string()];
                r.extend(["-"; 7].iter().map(|s| s.to_string()));
                r
            }
        });
    }
    if let Some(a) = &report.arbitrator {
        let mut r = vec![
            "arbitrator".to_string(),
            format!("{}:{}", a.host, a.port),
            a.container.word().to_string(),
            "-".into(),
            if a.member { "member" } else { "absent" }.to_string(),
        ];
        r.extend(["-"; 6].iter().map(|s| s.to_string()));
        rows.push(r);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for n in &report.nodes {
        if let Some(end) = n.wsrep.as_ref().and_then(|s| s.tls_not_after.as_ref()) {
            out.push_str(&format!("{}: TLS certificate valid until {end}\n", n.name));
        }
        if let Some(e) = &n.error {
            out.push_str(&format!("{}: no SQL answer: {e}\n", n.name));
        }
        if n.container.why().is_some() {
            out.push_str(&format!("{}: container {}\n", n.name, n.container));
        }
        for line in &n.log {
            out.push_str(&format!("{}| {line}\n", n.name));
        }
    }
    if let Some(advice) = &report.advice {
        out.push_str(&format!("{advice}\n"));
    }
    if let Some(p) = &report.proxy {
        let backends: Vec<String> = p
            .backends
            .iter()
            .map(|b| {
                format!(
                    "{} {}{}{}",
                    b.server,
                    b.status,
                    if b.backup { " (backup)" } else { "" },
                    if b.agrees {
                        ""
                    } else if b.node_healthy {
                        " DISAGREES: the node is healthy"
                    } else {
                        " DISAGREES: the node is not healthy"
                    }
                )
            })
            .collect();
        out.push_str(&format!(
            "proxy {}:{} (stats :{}): {}\n",
            p.host,
            p.port,
            p.stats_port,
            match &p.error {
                Some(e) => format!("no stats: {e}"),
                None => backends.join(", "),
            }
        ));
    }
    out.push_str(&format!("cluster {}: {}\n", report.cluster, report.verdict));
    out
}

fn on_off(b: bool) -> String {
    if b { "ON" } else { "OFF" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_answering_and_silent_nodes() {
        let synced = NodeStatus::from_rows([
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_cluster_size", "2"),
            ("wsrep_connected", "ON"),
            ("wsrep_ready", "ON"),
            ("wsrep_last_committed", "12"),
            (
                "wsrep_cluster_state_uuid",
                "5bd3c0a5-c0b0-11ef-8a6e-7e0a8f3a1b11",
            ),
            ("wsrep_flow_control_paused", "0"),
        ]);
        let node =
            |name: &str, host: &str, wsrep: Option<NodeStatus>, container: &str| NodeReport {
                name: name.into(),
                host: host.into(),
                port: 4306,
                container: ContainerState::from_docker(container),
                error: wsrep
                    .is_none()
                    .then(|| format!("{host}:4306: connection refused")),
                no_answer: wsrep.is_none().then_some(galera::NoAnswer::Refused),
                wsrep,
                log: Vec::new(),
            };
        let nodes = vec![
            node("nodea", "10.0.0.1", Some(synced.clone()), "running"),
            node("nodeb", "10.0.0.2", None, "exited"),
            node("nodec", "10.0.0.3", Some(synced), "running"),
        ];
        let pairs: Vec<(&str, Option<&NodeStatus>)> = nodes
            .iter()
            .map(|n| (n.name.as_str(), n.wsrep.as_ref()))
            .collect();
        let verdict = galera::verdict(3, &pairs, &[]);
        let report = StatusReport {
            cluster: "local-test".into(),
            recorded_history: Vec::new(),
            exit_code: verdict.exit_code(),
            verdict,
            nodes,
            proxy: None,
            arbitrator: None,
            advice: None,
        };
        assert_eq!(
            render(&report),
            "\
NODE   HOST           CONTAINER  STATE    CLUSTER  SIZE  CONN  READY  SEQNO  UUID      FC_PAUSED
nodea  10.0.0.1:4306  running    Synced   Primary  2     ON    ON     12     5bd3c0a5  0.000
nodeb  10.0.0.2:4306  exited     refused  -        -     -     -      -      -         -
nodec  10.0.0.3:4306  running    Synced   Primary  2     ON    ON     12     5bd3c0a5  0.000
nodeb: no SQL answer: 10.0.0.2:4306: connection refused
cluster local-test: degraded: nodeb not answering; cluster size 2 of 3
"
        );
        assert_eq!(report.exit_code, 1);
    }

    #[test]
    fn nodes_that_refuse_the_monitoring_user_say_so_with_the_file_to_fix() {
        let denied = galera::NoAnswer::AccessDenied {
            message: "Access denied for user 'monitor'@'10.0.0.9' (using password: YES)".into(),
        };
        let nodes: Vec<NodeReport> = ["nodea", "nodeb"]
            .iter()
            .map(|name| NodeReport {
                name: name.to_string(),
                host: "10.0.0.1".into(),
                port: 4306,
                container: ContainerState::Running,
                error: Some(format!("10.0.0.1:4306: {denied}")),
                no_answer: Some(denied.clone()),
                wsrep: None,
                log: Vec::new(),
            })
            .collect();
        let pairs: Vec<(&str, Option<&NodeStatus>)> =
            nodes.iter().map(|n| (n.name.as_str(), None)).collect();
        let verdict = galera::verdict(2, &pairs, &[]);
        let report = StatusReport {
            cluster: "c".into(),
            recorded_history: Vec::new(),
            exit_code: verdict.exit_code(),
            verdict,
            nodes,
            proxy: None,
            arbitrator: None,
            advice: Some("the nodes refuse the monitoring user 'monitor': ...".into()),
        };
        let text = render(&report);
        assert!(text.starts_with("\
NODE   HOST           CONTAINER  STATE          CLUSTER  SIZE  CONN  READY  SEQNO  UUID  FC_PAUSED
nodea  10.0.0.1:4306  running    access-denied  -        -     -     -      -      -     -
nodeb  10.0.0.1:4306  running    access-denied  -        -     -     -      -      -     -
nodea: no SQL answer: 10.0.0.1:4306: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES))
"), "{text}");
        assert!(
            text.contains("\nthe nodes refuse the monitoring user 'monitor': ...\n"),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(
            json["nodes"][0]["no_answer"],
            serde_json::json!({"kind": "access_denied", "message": "Access denied for user 'monitor'@'10.0.0.9' (using password: YES)"})
        );
        assert_eq!(report.exit_code, crate::exit::FAILED);
    }
}

#[cfg(test)]
mod history_tests {
    use super::*;

    const LIVE: &str = "5bd3c0a5-c0b0-11ef-8a6e-7e0a8f3a1b11";
    const OLD: &str = "0f9e6a11-c0b0-11ef-8a6e-7e0a8f3a1b11";

    fn node(uuid: &str, status: &str) -> NodeReport {
        NodeReport {
            name: "n".into(),
            host: "h".into(),
            port: 4306,
            container: ContainerState::Running,
            error: None,
            no_answer: None,
            wsrep: Some(NodeStatus::from_rows([
                ("wsrep_cluster_status", status),
                ("wsrep_cluster_state_uuid", uuid),
            ])),
            log: Vec::new(),
        }
    }

    #[test]
    fn only_the_one_primary_uuid_settles_the_history_verdict() {
        let primary = [node(LIVE, "Primary"), node(LIVE, "Primary")];
        assert!(record_settles(Some(LIVE), &primary));
        assert!(!record_settles(Some(OLD), &primary));
        assert!(!record_settles(None, &primary));
        // Two Primary UUIDs (a split), or none (down): every host's record is read.
        let split = [node(LIVE, "Primary"), node(OLD, "Primary")];
        assert!(!record_settles(Some(LIVE), &split));
        let down = [node(LIVE, "non-Primary")];
        assert!(!record_settles(Some(LIVE), &down));
        assert!(!record_settles(Some(LIVE), &[]));
    }
}
