//! The pure decisions behind `galeractl logs` and `galeractl sql`, which attach the operator's
//! terminal (or pipes) to a node's container over SSH: whether `--since` is a value docker
//! takes, and which node `sql` talks to. Their host commands are built in `docker::client`.

use crate::galera::NodeStatus;
use crate::haproxy::Backend;

/// Whether `since` is something `docker logs --since` takes: a duration such as `10m`, `1h30m`
/// or `90s`, or a timestamp (`2026-01-02T13:23:37Z`, `2026-01-02`, a Unix time).
pub fn since_ok(since: &str) -> bool {
    duration_ok(since) || timestamp_ok(since)
}

fn duration_ok(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        if digits == 0 || rest[..digits].matches('.').count() > 1 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len())
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

fn timestamp_ok(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || "-:.TZ+".contains(c))
}

/// Which node `sql` without a NODE talks to, and why: the proxy's active writer (the first
/// server HAProxy has UP, a backup only when no other is), when its stats were read and it is
/// a node that is Synced; else the first node, in inventory order, that is Synced and Primary.
pub fn default_node<'a>(
    nodes: &[(&'a str, Option<&NodeStatus>)],
    backends: Option<&[Backend]>,
) -> Option<(&'a str, &'static str)> {
    let synced = |name: &str| {
        nodes
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(n, s)| s.filter(|s| s.is_healthy()).map(|_| *n))
    };
    if let Some(backends) = backends {
        let up = |backup: bool| {
            backends
                .iter()
                .find(|b| b.backup == backup && b.status.starts_with("UP"))
        };
        if let Some(writer) = up(false).or_else(|| up(true)) {
            if let Some(name) = synced(&writer.server) {
                return Some((name, "the proxy's active writer"));
            }
        }
    }
    nodes
        .iter()
        .find(|(_, s)| s.is_some_and(NodeStatus::is_healthy))
        .map(|(n, _)| (*n, "the first Synced node"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_timestamps_only() {
        for ok in [
            "10m",
            "1h30m",
            "90s",
            "1.5h",
            "2026-01-02T13:23:37Z",
            "1767360000",
        ] {
            assert!(since_ok(ok), "{ok}");
        }
        for bad in ["", "m", "10x", "1..5h", "yesterday", "10m;rm", "-1h", "1h "] {
            assert!(!since_ok(bad), "{bad}");
        }
        // A bare number is a Unix time for docker.
        assert!(since_ok("10"));
    }

    #[test]
    fn default_node_is_the_writer_else_the_first_synced() {
        let synced = NodeStatus::from_rows([
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_ready", "ON"),
            ("wsrep_connected", "ON"),
            ("wsrep_cluster_size", "3"),
        ]);
        let joining = NodeStatus::from_rows([("wsrep_local_state_comment", "Joining")]);
        let nodes = [
            ("nodea", Some(&joining)),
            ("nodeb", None),
            ("nodec", Some(&synced)),
            ("noded", Some(&synced)),
        ];
        let backend = |server: &str, status: &str, backup: bool| Backend {
            server: server.into(),
            status: status.into(),
            backup,
            sessions: 0,
        };
        assert_eq!(
            default_node(&nodes, None),
            Some(("nodec", "the first Synced node"))
        );
        let backends = [
            backend("nodea", "DOWN", false),
            backend("nodeb", "DOWN", true),
            backend("noded", "UP", true),
            backend("nodec", "UP", true),
        ];
        assert_eq!(
            default_node(&nodes, Some(&backends)),
            Some(("noded", "the proxy's active writer"))
        );
        // A writer that is not Synced (HAProxy's view lags): the first Synced node instead.
        let backends = [backend("nodea", "UP", false)];
        assert_eq!(
            default_node(&nodes, Some(&backends)),
            Some(("nodec", "the first Synced node"))
        );
        assert_eq!(default_node(&nodes[..2], None), None);
    }
}
