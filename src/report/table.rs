//! `status`'s table, the text an operator reads: one row per node (and garbd's), then each
//! node's certificate end, SQL error, container trouble and log lines, the advice, HAProxy's
//! view and the verdict. Pure: a function of the `StatusReport`.

use super::StatusReport;
use crate::galera;

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
    let mut rows: Vec<Vec<String>> = vec![header
        .iter()
        .map(std::string::ToString::to_string)
        .collect()];
    for n in &report.nodes {
        let host = format!("{}:{}", n.host, n.port);
        let container = n.container.word().to_string();
        rows.push(if let Some(s) = &n.wsrep {
            vec![
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
            ]
        } else {
            let why = n.no_answer.as_ref().map_or("-", galera::NoAnswer::short);
            let mut r = vec![n.name.clone(), host, container, why.to_string()];
            r.extend(["-"; 7].iter().map(std::string::ToString::to_string));
            r
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
        r.extend(["-"; 6].iter().map(std::string::ToString::to_string));
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
    use crate::facts::ContainerState;
    use crate::galera::NodeStatus;
    use crate::report::NodeReport;

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
