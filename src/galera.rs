//! What Galera reports, as data: a node's wsrep status rows become a [`NodeStatus`], and the
//! statuses of all nodes become a cluster [`Verdict`]. Pure; tested with rows seen on the lab.

use std::collections::BTreeSet;

use serde::Serialize;

mod no_answer;
pub use no_answer::{access_denied_advice, denied, said, NoAnswer, Probe};

/// The wsrep status of one node, from `SHOW GLOBAL STATUS LIKE 'wsrep_%'`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeStatus {
    /// `wsrep_local_state_comment`: Synced, Donor/Desynced, Joining, Joined, Initialized...
    pub local_state: String,
    /// `wsrep_cluster_status`: Primary, non-Primary, Disconnected.
    pub cluster_status: String,
    pub cluster_size: u32,
    pub connected: bool,
    pub ready: bool,
    pub last_committed: i64,
    pub cluster_state_uuid: String,
    /// `wsrep_flow_control_paused`: fraction of time paused by flow control since last read.
    pub flow_control_paused: f64,
    /// `wsrep_replicated_bytes` + `wsrep_received_bytes`: the write-set bytes this node has
    /// seen since its start (what fills a donor's gcache).
    #[serde(skip)]
    pub writeset_bytes: u64,
    /// `wsrep_incoming_addresses`: each member's client address (`host:port`) as it
    /// announced it (empty for the arbitrator, which serves no client).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incoming_addresses: Vec<String>,
    /// `Ssl_server_not_after`: when the server's TLS certificate ends (`Nov 26 19:50:00 2028
    /// GMT`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_not_after: Option<String>,
}

impl NodeStatus {
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> NodeStatus {
        let mut s = NodeStatus {
            last_committed: -1,
            ..NodeStatus::default()
        };
        for (name, value) in rows {
            match name.to_ascii_lowercase().as_str() {
                "wsrep_local_state_comment" => s.local_state = value.to_string(),
                "wsrep_cluster_status" => s.cluster_status = value.to_string(),
                "wsrep_cluster_size" => s.cluster_size = value.parse().unwrap_or(0),
                "wsrep_connected" => s.connected = value.eq_ignore_ascii_case("ON"),
                "wsrep_ready" => s.ready = value.eq_ignore_ascii_case("ON"),
                "wsrep_last_committed" => s.last_committed = value.parse().unwrap_or(-1),
                "wsrep_cluster_state_uuid" => s.cluster_state_uuid = value.to_string(),
                "wsrep_flow_control_paused" => s.flow_control_paused = value.parse().unwrap_or(0.0),
                "wsrep_replicated_bytes" | "wsrep_received_bytes" => {
                    s.writeset_bytes += value.parse::<u64>().unwrap_or(0);
                }
                "ssl_server_not_after" if !value.is_empty() => {
                    s.tls_not_after = Some(value.to_string());
                }
                "wsrep_incoming_addresses" => {
                    s.incoming_addresses = value
                        .split(',')
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                _ => {}
            }
        }
        s
    }

    pub fn is_primary(&self) -> bool {
        self.cluster_status == "Primary"
    }

    pub fn is_synced(&self) -> bool {
        self.local_state == "Synced"
    }

    /// Takes traffic: Primary, Synced and ready.
    pub fn is_healthy(&self) -> bool {
        self.is_primary() && self.is_synced() && self.ready
    }

    pub fn short_uuid(&self) -> &str {
        self.cluster_state_uuid
            .get(..8)
            .unwrap_or(&self.cluster_state_uuid)
    }
}

/// What `up` and `status` conclude about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "reason")]
pub enum Verdict {
    /// Every node of the inventory is healthy in one Primary component of full size.
    Healthy,
    /// A Primary component serves, but not every node is in it.
    Degraded(String),
    /// Two cluster UUIDs, or two Primary components.
    Split(String),
    /// No node is in a Primary component.
    Down(String),
    /// The Primary component runs with another history than the one galeractl recorded at
    /// bootstrap, or with none at all (an all-zero state UUID): transactions may have been
    /// lost or may diverge.
    HistoryReset(String),
}

/// The state UUID of a node, or of a cluster, that has no history: Galera's "undefined".
pub const ZERO_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// The file, in the cluster's directory on each node's host, that holds the cluster state UUID
/// recorded when galeractl bootstrapped (or recovered) the cluster.
pub const HISTORY_FILE: &str = "history-uuid";

/// Whether a state UUID names a real history (not empty, not all zeros).
pub fn is_history(uuid: &str) -> bool {
    !uuid.is_empty() && uuid != ZERO_UUID
}

impl Verdict {
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Healthy => crate::exit::OK,
            Verdict::Degraded(_) => crate::exit::DEGRADED,
            Verdict::Split(_) | Verdict::Down(_) | Verdict::HistoryReset(_) => crate::exit::FAILED,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Healthy => f.write_str("healthy"),
            Verdict::Degraded(why) => write!(f, "degraded: {why}"),
            Verdict::Split(why) => write!(f, "split: {why}"),
            Verdict::Down(why) => write!(f, "down: {why}"),
            Verdict::HistoryReset(why) => write!(f, "history reset: {why}"),
        }
    }
}

/// The verdict for a cluster of `expected` nodes from what each answered (`None`: no answer),
/// and the history UUIDs galeractl recorded on the hosts (empty: none read). A host whose record
/// is stale (it was away when a new history was recorded) does not make a reset: only a
/// running UUID that no record names does.
pub fn verdict(
    expected: usize,
    nodes: &[(&str, Option<&NodeStatus>)],
    recorded: &[String],
) -> Verdict {
    let answering: Vec<(&str, &NodeStatus)> = nodes
        .iter()
        .filter_map(|(name, s)| s.map(|s| (*name, s)))
        .collect();
    let primaries: Vec<&(&str, &NodeStatus)> =
        answering.iter().filter(|(_, s)| s.is_primary()).collect();
    let uuids: BTreeSet<&str> = primaries
        .iter()
        .map(|(_, s)| s.cluster_state_uuid.as_str())
        .collect();
    if uuids.len() > 1 {
        return Verdict::Split(format!(
            "{} cluster UUIDs among Primary nodes ({})",
            uuids.len(),
            uuids.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    // Two Primary components of one history: sizes that cannot both hold.
    let claimed: u32 = primaries
        .iter()
        .map(|(_, s)| s.cluster_size)
        .max()
        .unwrap_or(0);
    if u32::try_from(primaries.len()).unwrap_or(u32::MAX) > claimed && claimed > 0 {
        return Verdict::Split(format!(
            "{} nodes say Primary but the largest component has {claimed}",
            primaries.len()
        ));
    }
    if let Some(live) = uuids.first() {
        if !is_history(live) {
            return Verdict::HistoryReset(format!(
                "the Primary component's state UUID is {ZERO_UUID}: it re-formed without any position (its nodes started with no recovered seqno), so no node's data was compared; stop writes and check the data before trusting it"
            ));
        }
        if !recorded.is_empty() && !recorded.iter().any(|r| r == live) {
            let recorded = recorded.join(", ");
            return Verdict::HistoryReset(format!(
                "the Primary component's state UUID is {live}, not {recorded} recorded when galeractl bootstrapped the cluster: it was bootstrapped anew (a new history) outside galeractl's recovery rules; if that was intended, remove the record ({HISTORY_FILE} in the cluster's directory on each host) and run `galeractl up` to record the new one"
            ));
        }
    }
    if primaries.is_empty() {
        let why = if answering.is_empty() {
            "no node answers".to_string()
        } else {
            format!(
                "no Primary component ({} of {expected} answering)",
                answering.len()
            )
        };
        return Verdict::Down(why);
    }
    let unhealthy: Vec<String> = nodes
        .iter()
        .filter_map(|(name, s)| match s {
            None => Some(format!("{name} not answering")),
            Some(s) if !s.is_healthy() => Some(format!(
                "{name} {}",
                if s.is_primary() {
                    s.local_state.as_str()
                } else {
                    s.cluster_status.as_str()
                }
            )),
            Some(_) => None,
        })
        .collect();
    if unhealthy.is_empty() && claimed as usize == expected {
        Verdict::Healthy
    } else if unhealthy.is_empty() {
        Verdict::Degraded(format!("cluster size {claimed}, expected {expected}"))
    } else {
        Verdict::Degraded(format!(
            "{}; cluster size {claimed} of {expected}",
            unhealthy.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced(uuid: &str, size: u32) -> NodeStatus {
        NodeStatus::from_rows([
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_cluster_size", &size.to_string() as &str),
            ("wsrep_connected", "ON"),
            ("wsrep_ready", "ON"),
            ("wsrep_last_committed", "7"),
            ("wsrep_cluster_state_uuid", uuid),
            ("wsrep_flow_control_paused", "0.000000"),
        ])
    }

    const U1: &str = "5bd3c0a5-c0b0-11ef-8a6e-7e0a8f3a1b11";
    const U2: &str = "0a1b2c3d-c0b0-11ef-8a6e-7e0a8f3a1b11";

    #[test]
    fn rows_become_a_status() {
        let s = synced(U1, 3);
        assert!(s.is_healthy());
        assert_eq!(s.cluster_size, 3);
        assert_eq!(s.last_committed, 7);
        assert_eq!(s.short_uuid(), "5bd3c0a5");
    }

    #[test]
    fn verdicts() {
        let a = synced(U1, 3);
        assert_eq!(
            verdict(
                3,
                &[("a", Some(&a)), ("b", Some(&a)), ("c", Some(&a))],
                &[U1.into()]
            ),
            Verdict::Healthy
        );
        let two = synced(U1, 2);
        assert_eq!(
            verdict(3, &[("a", Some(&two)), ("b", None), ("c", Some(&two))], &[]).to_string(),
            "degraded: b not answering; cluster size 2 of 3"
        );
        let other = synced(U2, 1);
        assert!(matches!(
            verdict(
                3,
                &[("a", Some(&two)), ("b", Some(&other)), ("c", Some(&two))],
                &[]
            ),
            Verdict::Split(_)
        ));
        let np = NodeStatus {
            cluster_status: "non-Primary".into(),
            ..synced(U1, 1)
        };
        assert_eq!(
            verdict(3, &[("a", Some(&np)), ("b", None), ("c", None)], &[]).to_string(),
            "down: no Primary component (1 of 3 answering)"
        );
        assert_eq!(
            verdict(3, &[("a", None), ("b", None), ("c", None)], &[]).exit_code(),
            2
        );
    }

    #[test]
    fn an_all_zero_state_uuid_is_a_history_reset() {
        let zero = synced(ZERO_UUID, 3);
        let nodes = [("a", Some(&zero)), ("b", Some(&zero)), ("c", Some(&zero))];
        let v = verdict(3, &nodes, &[]);
        assert_eq!(
            v.to_string(),
            "history reset: the Primary component's state UUID is 00000000-0000-0000-0000-000000000000: it re-formed without any position (its nodes started with no recovered seqno), so no node's data was compared; stop writes and check the data before trusting it"
        );
        assert_eq!(v.exit_code(), 2);
        // The record does not make an all-zero UUID acceptable.
        assert!(matches!(
            verdict(3, &nodes, &[ZERO_UUID.into()]),
            Verdict::HistoryReset(_)
        ));
    }

    #[test]
    fn a_state_uuid_other_than_the_recorded_one_is_a_history_reset() {
        let a = synced(U2, 3);
        let nodes = [("a", Some(&a)), ("b", Some(&a)), ("c", Some(&a))];
        let v = verdict(3, &nodes, &[U1.into()]);
        assert_eq!(
            v.to_string(),
            format!("history reset: the Primary component's state UUID is {U2}, not {U1} recorded when galeractl bootstrapped the cluster: it was bootstrapped anew (a new history) outside galeractl's recovery rules; if that was intended, remove the record (history-uuid in the cluster's directory on each host) and run `galeractl up` to record the new one")
        );
        assert_eq!(v.exit_code(), 2);
        assert_eq!(verdict(3, &nodes, &[U2.into()]), Verdict::Healthy);
        assert_eq!(verdict(3, &nodes, &[]), Verdict::Healthy);
        // One host's record is stale (it was away when the history changed): not a reset.
        assert_eq!(
            verdict(3, &nodes, &[U1.into(), U2.into()]),
            Verdict::Healthy
        );
    }
}

/// How a joiner caught up, read from its log since its last start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum CatchUp {
    /// Incremental: only the write-sets it missed.
    Ist {
        writesets: u64,
    },
    /// A full copy of a donor's data.
    Sst,
    /// Nothing to receive: it was already at the cluster's position.
    None,
    Unknown,
}

impl std::fmt::Display for CatchUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CatchUp::Ist { writesets } => write!(f, "IST ({writesets} write-sets)"),
            CatchUp::Sst => f.write_str("SST (full copy from a donor)"),
            CatchUp::None => f.write_str("nothing to catch up"),
            CatchUp::Unknown => f.write_str("unknown (no IST or SST line in the log)"),
        }
    }
}

/// Reads a node's log (all of it; only the part after its last start counts). The SST script
/// runs for an IST too, and MariaDB then still logs "SST received" for the joiner's own
/// position: the script's own line tells which it did ("rsync IST completed on joiner" versus
/// "rsync SST completed on joiner"); "Prepared IST receiver" alone proves nothing.
pub fn catch_up(log: &str) -> CatchUp {
    let since_start = log.rfind("Starting MariaDB").map_or(log, |i| &log[i..]);
    let writesets = since_start.find("Receiving IST: ").map(|i| {
        since_start[i + "Receiving IST: ".len()..]
            .split_whitespace()
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or(0)
    });
    let ist = |n: Option<u64>| match n {
        Some(0) | None => CatchUp::None,
        Some(writesets) => CatchUp::Ist { writesets },
    };
    if since_start.contains("IST completed on joiner") {
        return ist(writesets);
    }
    // mariabackup's script logs no "IST completed" line: its "SST" installed the very
    // position the node started at (it copied nothing), and IST brought the rest.
    let position_after = |marker: &str| {
        since_start.find(marker).and_then(|i| {
            since_start[i + marker.len()..]
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
    };
    if let (Some(start), Some(installed)) = (
        position_after("Setting GCS initial position to "),
        position_after("Installed new state from SST: "),
    ) {
        if start == installed && !start.starts_with(ZERO_UUID) {
            return ist(writesets);
        }
    }
    if since_start.contains("SST completed on joiner") || since_start.contains("SST succeeded") {
        return CatchUp::Sst;
    }
    if writesets.is_some()
        || since_start.contains("Shifting JOINER -> JOINED")
        || since_start.contains("Restored state OPEN -> JOINED")
    {
        return ist(writesets);
    }
    CatchUp::Unknown
}

#[cfg(test)]
mod catch_up_tests {
    use super::*;

    #[test]
    fn ist_sst_and_restarts_are_told_apart() {
        // Lines from the lab: a stopped node restarted after two writes elsewhere.
        let ist = "\
2026-11-25  7:24:33 0 [Note] Starting MariaDB 10.11.19-MariaDB-0+deb12u1 source revision x as process 1
WSREP_SST: [INFO] rsync SST started on joiner (20261125 07:24:34.218)
2026-11-25  7:24:34 2 [Note] WSREP: Prepared IST receiver for 9-10, listening at: tcp://0.0.0.0:5568
WSREP_SST: [INFO] rsync IST completed on joiner (20261125 07:24:35.563)
2026-11-25  7:24:36 3 [Note] WSREP: SST received: dc48a930-e8a0-11f1-aaf4-ee23e782a605:8
2026-11-25  7:24:36 3 [Note] WSREP: SST succeeded for position dc48a930-e8a0-11f1-aaf4-ee23e782a605:8
2026-11-25  7:24:36 2 [Note] WSREP: Receiving IST: 2 writesets, seqnos 9-10
2026-11-25  7:24:36 0 [Note] WSREP: Shifting JOINER -> JOINED (TO: 10)
";
        assert_eq!(catch_up(ist), CatchUp::Ist { writesets: 2 });
        let sst = "Starting MariaDB 10.11.19 as process 1
WSREP: Prepared IST receiver for 0-14, listening at: tcp://0.0.0.0:5568
WSREP_SST: [INFO] rsync SST completed on joiner (20261125 07:21:45.100)
WSREP: SST received: dc48a930-e8a0-11f1-aaf4-ee23e782a605:14
WSREP: Receiving IST: 0 writesets, seqnos 14-14";
        assert_eq!(catch_up(sst), CatchUp::Sst);
        // A full copy before the last start does not count.
        let later = format!("{sst}\n{ist}");
        assert_eq!(catch_up(&later), CatchUp::Ist { writesets: 2 });
        assert_eq!(catch_up("Starting MariaDB\n"), CatchUp::Unknown);
        // Galera's pc.recovery, every node at the same seqno: no transfer at all.
        // mariabackup: no "IST completed" line; the "SST" installed the node's own position.
        let mariabackup_ist = "Starting MariaDB 10.11.19 as process 1
WSREP: Setting GCS initial position to 16af8bd4-e9d3-11f1-8ad0-0e3251031799:8
WSREP_SST: [INFO] mariabackup SST started on joiner (20261126 19:54:28.197)
WSREP: Prepared IST receiver for 9-11, listening at: ssl://0.0.0.0:5728
WSREP: SST received
WSREP: Recovered position from storage: 16af8bd4-e9d3-11f1-8ad0-0e3251031799:8
WSREP: SST succeeded for position 16af8bd4-e9d3-11f1-8ad0-0e3251031799:8
WSREP: Installed new state from SST: 16af8bd4-e9d3-11f1-8ad0-0e3251031799:8
WSREP: Receiving IST: 3 writesets, seqnos 9-11";
        assert_eq!(catch_up(mariabackup_ist), CatchUp::Ist { writesets: 3 });
        let mariabackup_sst = "Starting MariaDB 10.11.19 as process 1
WSREP: Setting GCS initial position to 00000000-0000-0000-0000-000000000000:-1
WSREP_SST: [INFO] mariabackup SST started on joiner (20261126 19:53:50.659)
WSREP: SST succeeded for position 16af8bd4-e9d3-11f1-8ad0-0e3251031799:3
WSREP: Installed new state from SST: 16af8bd4-e9d3-11f1-8ad0-0e3251031799:3";
        assert_eq!(catch_up(mariabackup_sst), CatchUp::Sst);
        let reformed = "Starting MariaDB\n[Note] WSREP: restore pc from disk successfully\n[Note] WSREP: Restored state OPEN -> JOINED (9)\n[Note] WSREP: Shifting JOINED -> SYNCED (TO: 9)\n";
        assert_eq!(catch_up(reformed), CatchUp::None);
    }
}

/// Whether the last Galera view in a node's log, since the server's last start, is non-Primary:
/// the node waits for a Primary component (and keeps its SQL port closed meanwhile).
pub fn last_view_is_non_primary(log: &str) -> bool {
    last_view_since_start(log).unwrap_or(false)
}

/// The last view in a node's log since the server's last start, as the server reports it
/// (`status: non-primary`) or, before the server has any (a start that waits for a Primary
/// component, gives up after `pc.wait_prim_timeout` and is started again by its restart
/// policy), as Galera's group layer reports it (`view(view_id(NON_PRIM,...`): `Some(true)`
/// non-Primary, `Some(false)` Primary, `None` no view yet (the server is still starting).
pub fn last_view_since_start(log: &str) -> Option<bool> {
    // A start prints the start script's lines (after a crash), then the server's own.
    let start = ["[galeractl node-start]", "Starting MariaDB"]
        .iter()
        .filter_map(|mark| log.rfind(mark))
        .max();
    let since_start = start.map_or(log, |k| &log[k..]);
    // From the top layer down: the server's view, the group's quorum (`Quorum results:` ...
    // `component = NON-PRIMARY,`, then `Received NON-PRIMARY.`), Galera's group layer. A group
    // view restored as Primary by pc.recovery can still end without a quorum: the last line
    // of any of them says where the node is now.
    since_start.lines().rev().find_map(|l| {
        let l = l.trim();
        let quorum = l.strip_prefix("component").map(str::trim_start);
        if l == "status: non-primary"
            || quorum == Some("= NON-PRIMARY,")
            || l.ends_with("WSREP: Received NON-PRIMARY.")
            || l.contains("view(view_id(NON_PRIM,")
        {
            Some(true)
        } else if l == "status: primary"
            || quorum == Some("= PRIMARY,")
            || l.contains("view(view_id(PRIM,")
        {
            Some(false)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod waiting_tests {
    use super::last_view_is_non_primary;

    /// The end of a node's log on the lab after a power cut hit while the cluster re-formed.
    const WAITING: &str = "\
2026-11-26 14:52:54 0 [Note] WSREP: Bootstrapped primary 00000000-0000-0000-0000-000000000000 found: 2.
  status: primary
2026-11-26 14:53:12 [Note] [galeractl node-start]: recovered position 3b6b8db4-e9a8-11f1-829d-d76040a9a81d:10639: starting at it (--wsrep-start-position)
2026-11-26 14:53:13 0 [Note] WSREP: restore pc from disk successfully
2026-11-26 14:53:14 0 [Note] WSREP: No nodes coming from primary view, primary view is not possible
2026-11-26 14:53:15 0 [Note] WSREP: New COMPONENT: primary = no, bootstrap = no, my_idx = 2, memb_num = 3
View:
  id: 3b6b8db4-e9a8-11f1-829d-d76040a9a81d:-1
  status: non-primary
2026-11-26 14:53:15 2 [Note] WSREP: Non-primary view
";

    #[test]
    fn the_last_view_since_the_start_tells_a_waiting_node() {
        assert!(last_view_is_non_primary(WAITING));
        // A Primary view after it: not waiting.
        assert!(!last_view_is_non_primary(&format!(
            "{WAITING}View:\n  status: primary\n"
        )));
        // A non-Primary view before the last start does not count.
        assert!(!last_view_is_non_primary(&format!(
            "{WAITING}2026-11-26 15:00:00 0 [Note] Starting MariaDB 10.11.19 as process 1\n"
        )));
        assert!(!last_view_is_non_primary(""));
    }
}
