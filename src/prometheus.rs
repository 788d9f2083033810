//! `status --format prometheus`: the status report in Prometheus' text exposition format
//! (version 0.0.4), for a scrape or node_exporter's textfile collector. Pure: a function of
//! the `StatusReport`.

use crate::galera::{NodeStatus, Verdict};
use crate::report::{NodeReport, StatusReport};

/// One per-node gauge: its name, its help text, and its value (`None`: not known, because the
/// node did not answer SQL; the series is left out then).
struct Gauge {
    name: &'static str,
    help: &'static str,
    value: fn(&NodeReport) -> Option<f64>,
}

const GAUGES: [Gauge; 7] = [
    Gauge {
        name: "galera_up",
        help: "Whether the node answered SQL with its wsrep status (1) or not (0).",
        value: |n| Some(if n.wsrep.is_some() { 1.0 } else { 0.0 }),
    },
    Gauge {
        name: "galera_cluster_size",
        help: "Members of the node's cluster component (wsrep_cluster_size).",
        value: |n| wsrep(n, |s| f64::from(s.cluster_size)),
    },
    Gauge {
        name: "galera_local_state",
        help: "The node's state (wsrep_local_state): 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced, 0 other.",
        value: |n| wsrep(n, |s| f64::from(local_state(&s.local_state))),
    },
    Gauge {
        name: "galera_cluster_status",
        help: "Whether the node is in the Primary component (1) or not (0) (wsrep_cluster_status).",
        value: |n| wsrep(n, |s| flag(s.cluster_status == "Primary")),
    },
    Gauge {
        name: "galera_ready",
        help: "Whether the node accepts queries (wsrep_ready).",
        value: |n| wsrep(n, |s| flag(s.ready)),
    },
    Gauge {
        name: "galera_flow_control_paused",
        help: "Fraction of time replication was paused by flow control (wsrep_flow_control_paused).",
        value: |n| wsrep(n, |s| s.flow_control_paused),
    },
    Gauge {
        name: "galera_last_committed",
        help: "Sequence number of the last committed write-set (wsrep_last_committed).",
        value: |n| wsrep(n, |s| s.last_committed as f64),
    },
];

/// The verdict's states, as a state set: one series each, 1 for the cluster's verdict.
const VERDICTS: [&str; 5] = ["healthy", "degraded", "split", "down", "history_reset"];

fn wsrep(n: &NodeReport, f: impl Fn(&NodeStatus) -> f64) -> Option<f64> {
    n.wsrep.as_ref().map(f)
}

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// `wsrep_local_state`'s number for its comment, as Galera numbers them.
pub fn local_state(comment: &str) -> u8 {
    match comment {
        "Joining" => 1,
        "Donor/Desynced" => 2,
        "Joined" => 3,
        "Synced" => 4,
        _ => 0,
    }
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "healthy",
        Verdict::Degraded(_) => "degraded",
        Verdict::Split(_) => "split",
        Verdict::Down(_) => "down",
        Verdict::HistoryReset(_) => "history_reset",
    }
}

/// A label value, escaped as the exposition format wants: backslash, double quote, newline.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// A sample value: integers without a fraction, and Prometheus' words for the non-finite.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// The report as exposition text: for each gauge its HELP and TYPE lines, then one series per
/// node (`cluster`, `node`, `host` labels); last the verdict as a state set.
pub fn render(report: &StatusReport) -> String {
    let cluster = escape_label(&report.cluster);
    let mut out = String::new();
    for g in &GAUGES {
        out.push_str(&format!(
            "# HELP {} {}\n# TYPE {} gauge\n",
            g.name, g.help, g.name
        ));
        for n in &report.nodes {
            if let Some(v) = (g.value)(n) {
                out.push_str(&format!(
                    "{}{{cluster=\"{cluster}\",node=\"{}\",host=\"{}\"}} {}\n",
                    g.name,
                    escape_label(&n.name),
                    escape_label(&n.host),
                    number(v)
                ));
            }
        }
    }
    out.push_str(
        "# HELP galera_verdict galeractl's verdict on the cluster: 1 for the verdict it reached, 0 for the others.\n# TYPE galera_verdict gauge\n",
    );
    let current = verdict_name(&report.verdict);
    for v in VERDICTS {
        out.push_str(&format!(
            "galera_verdict{{cluster=\"{cluster}\",verdict=\"{v}\"}} {}\n",
            u8::from(v == current)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> StatusReport {
        let synced = NodeStatus::from_rows([
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_cluster_size", "2"),
            ("wsrep_connected", "ON"),
            ("wsrep_ready", "ON"),
            ("wsrep_last_committed", "12"),
            ("wsrep_flow_control_paused", "0.25"),
        ]);
        let node = |name: &str, host: &str, wsrep: Option<NodeStatus>| NodeReport {
            name: name.into(),
            host: host.into(),
            port: 4306,
            container: crate::facts::ContainerState::Running,
            error: None,
            no_answer: None,
            wsrep,
            log: Vec::new(),
        };
        StatusReport {
            cluster: "lab \"a\\b\"\nx".into(),
            verdict: Verdict::Degraded("nodeb not answering".into()),
            recorded_history: Vec::new(),
            exit_code: 1,
            nodes: vec![
                node("nodea", "10.0.0.1", Some(synced)),
                node("nodeb", "10.0.0.2", None),
            ],
            proxy: None,
            arbitrator: None,
            advice: None,
        }
    }

    #[test]
    fn exposition_text_is_exact() {
        let c = r#"cluster="lab \"a\\b\"\nx""#;
        let expected = format!(
            r#"# HELP galera_up Whether the node answered SQL with its wsrep status (1) or not (0).
# TYPE galera_up gauge
galera_up{{{c},node="nodea",host="10.0.0.1"}} 1
galera_up{{{c},node="nodeb",host="10.0.0.2"}} 0
# HELP galera_cluster_size Members of the node's cluster component (wsrep_cluster_size).
# TYPE galera_cluster_size gauge
galera_cluster_size{{{c},node="nodea",host="10.0.0.1"}} 2
# HELP galera_local_state The node's state (wsrep_local_state): 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced, 0 other.
# TYPE galera_local_state gauge
galera_local_state{{{c},node="nodea",host="10.0.0.1"}} 4
# HELP galera_cluster_status Whether the node is in the Primary component (1) or not (0) (wsrep_cluster_status).
# TYPE galera_cluster_status gauge
galera_cluster_status{{{c},node="nodea",host="10.0.0.1"}} 1
# HELP galera_ready Whether the node accepts queries (wsrep_ready).
# TYPE galera_ready gauge
galera_ready{{{c},node="nodea",host="10.0.0.1"}} 1
# HELP galera_flow_control_paused Fraction of time replication was paused by flow control (wsrep_flow_control_paused).
# TYPE galera_flow_control_paused gauge
galera_flow_control_paused{{{c},node="nodea",host="10.0.0.1"}} 0.25
# HELP galera_last_committed Sequence number of the last committed write-set (wsrep_last_committed).
# TYPE galera_last_committed gauge
galera_last_committed{{{c},node="nodea",host="10.0.0.1"}} 12
# HELP galera_verdict galeractl's verdict on the cluster: 1 for the verdict it reached, 0 for the others.
# TYPE galera_verdict gauge
galera_verdict{{{c},verdict="healthy"}} 0
galera_verdict{{{c},verdict="degraded"}} 1
galera_verdict{{{c},verdict="split"}} 0
galera_verdict{{{c},verdict="down"}} 0
galera_verdict{{{c},verdict="history_reset"}} 0
"#
        );
        assert_eq!(render(&report()), expected);
    }

    #[test]
    fn label_values_and_numbers_are_escaped() {
        assert_eq!(escape_label("a\\b\"c\nd"), r#"a\\b\"c\nd"#);
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(-1.0), "-1");
        assert_eq!(number(0.5), "0.5");
    }
}
