//! What `recover` prints, as text and documents: the `--dry-run` document (positions, choice,
//! path, the plan, and with pc.recovery the fall-back's plans), and the closing report (each
//! node now, how each joiner caught up, whether the cluster kept its history). Pure:
//! `cmd/recover/report.rs` reads what is needed and prints what this gives.

use serde::Serialize;

use super::render::{self, PositionRow};
use super::{commands, history_after, Choice, NodePosition};
use crate::facts::NodeState;
use crate::plan::{self, Plan};

/// `recover --dry-run`: the choice, the path, then the plan that `recover` would run (with
/// pc.recovery: its plan, then the fall-back's); with `--json`, all of it as one document.
#[derive(Serialize)]
pub struct DryRun<'a> {
    cluster: &'a str,
    positions: Vec<PositionRow>,
    choice: &'a [String],
    path: &'a str,
    plan: &'a Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    fall_back: Option<FallBack<'a>>,
}

/// pc.recovery's fall-back: every node stopped cleanly, then (positions read again) the
/// bootstrap plan.
#[derive(Serialize)]
pub struct FallBack<'a> {
    pub stop: &'a Plan,
    pub then: &'a Plan,
}

impl<'a> DryRun<'a> {
    /// `plan` as it runs (`Plan::as_run`); `choice` is the choice's text, a line each.
    pub fn new(
        cluster: &'a str,
        positions: &[NodePosition],
        choice: &'a [String],
        path: &'a str,
        plan: &'a Plan,
        fall_back: Option<FallBack<'a>>,
    ) -> DryRun<'a> {
        DryRun {
            cluster,
            positions: positions.iter().map(PositionRow::of).collect(),
            choice,
            path,
            plan,
            fall_back,
        }
    }

    /// The text an operator reads.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in self.choice {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!(
            "path: {}\nwould run (--dry-run: nothing was changed):\n",
            self.path
        ));
        out.push_str(&plan::render(self.plan));
        if let Some(f) = &self.fall_back {
            out.push_str(&format!(
                "if no Primary component re-forms within {}s: the fall-back, then the bootstrap plan as read again (now, it would be):\n",
                commands::REFORM_SECS
            ));
            out.push_str(&plan::render(f.stop));
            out.push_str(&plan::render(f.then));
        }
        out
    }
}

/// The nodes that joined in the recovery `choice` ran, whose logs say how they caught up.
pub fn joiners(choice: &Choice) -> Vec<&str> {
    match choice {
        Choice::JoinPrimary { joiners, .. } | Choice::Bootstrap { joiners, .. } => {
            joiners.iter().map(|j| j.name.as_str()).collect()
        }
        Choice::StopWaiting { .. } => Vec::new(),
    }
}

/// The closing report of a recovery.
#[derive(Debug, Clone, PartialEq)]
pub struct Closing {
    /// The lines an operator reads (each ends with a newline).
    pub text: String,
    /// The `--json` document.
    pub json: serde_json::Value,
    /// Why the run fails: the cluster does not run with the history it should.
    pub lost_history: Option<String>,
}

/// What the closing report reads after the plan ran (`observe::recovered`).
pub struct After {
    /// Every node's container and wsrep state.
    pub states: Vec<NodeState>,
    /// The history UUIDs recorded on the hosts, one per host that has a record.
    pub recorded: Vec<String>,
    /// Per node of `states`, how it caught up (for a joiner, from its log); empty when not known.
    pub catch_ups: Vec<String>,
}

/// The closing report: per node its container and wsrep state (and how each joiner caught
/// up), and whether the cluster kept its history (the same cluster UUID) against the history
/// recorded on the hosts.
pub fn closing(cluster: &str, choice: &Choice, after: &After, seconds: f64) -> Closing {
    let (states, catch_ups) = (&after.states, &after.catch_ups);
    let uuids: Vec<&str> = states
        .iter()
        .filter_map(|s| s.status.as_ref())
        .filter(|s| s.is_primary())
        .map(|s| s.cluster_state_uuid.as_str())
        .collect();
    let history = history_after(choice, &uuids, &after.recorded);
    let mut text = format!(
        "cluster {cluster}: recovered in {seconds:.1}s; cluster UUID {} ({})\n",
        uuids.first().copied().unwrap_or("-"),
        history.text
    );
    for (s, how) in states.iter().zip(catch_ups) {
        let how = if how.is_empty() {
            String::new()
        } else {
            format!("; joined by {how}")
        };
        text.push_str(&format!("  {s}{how}\n"));
    }
    let json = serde_json::json!({
        "cluster": cluster,
        "seconds": seconds,
        "choice": render::choice(choice).lines().collect::<Vec<_>>(),
        "cluster_uuid": uuids.first(),
        "history": history.history,
        "history_before": history.before,
        "nodes": states
            .iter()
            .zip(catch_ups)
            .map(|(s, how)| serde_json::json!({
                "name": s.name,
                "host": s.host,
                "container": s.container_text(),
                "status": s.status,
                "joined_by": (!how.is_empty()).then_some(how),
            }))
            .collect::<Vec<_>>(),
    });
    let lost_history = (!history.kept).then(|| {
        format!(
            "cluster {cluster} does not run with its history {}: transactions may be lost or diverge; check the data before sending writes",
            history.before
        )
    });
    Closing {
        text,
        json,
        lost_history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ContainerState;
    use crate::galera::NodeStatus;
    use crate::recover::Joiner;

    const U: &str = "1f113d7a-e8a1-11f1-be4d-f35e168f60a7";

    fn plan(cluster: &str) -> Plan {
        Plan {
            cluster: cluster.into(),
            stages: Vec::new(),
            on_failure: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn state(name: &str, uuid: &str) -> NodeState {
        NodeState {
            name: name.into(),
            host: format!("10.0.0.{}", name.len()),
            container: Some(ContainerState::Running),
            status: Some(NodeStatus::from_rows([
                ("wsrep_local_state_comment", "Synced"),
                ("wsrep_cluster_status", "Primary"),
                ("wsrep_cluster_size", "2"),
                ("wsrep_cluster_state_uuid", uuid),
                ("wsrep_ready", "ON"),
                ("wsrep_connected", "ON"),
            ])),
        }
    }

    fn join_primary() -> Choice {
        Choice::JoinPrimary {
            primary: vec!["nodea".into()],
            repair_config: Vec::new(),
            uuid: U.into(),
            joiners: vec![Joiner {
                name: "nodeb".into(),
                write_seqno: None,
                stop_first: false,
                create: false,
                clear_safe_flag: false,
                discard_position: false,
                own: None,
            }],
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_dry_run_with_a_fall_back() {
        let (fast, stop, then) = (plan("c"), plan("c"), plan("c"));
        let choice = vec!["choice: a".to_string(), "because b".to_string()];
        let fall_back = Some(FallBack {
            stop: &stop,
            then: &then,
        });
        let document = DryRun::new("c", &[], &choice, "pc.recovery", &fast, fall_back);
        assert_eq!(
            document.text(),
            "choice: a\nbecause b\npath: pc.recovery\nwould run (--dry-run: nothing was changed):\n# plan for cluster c\n# up to date: nothing to do\nif no Primary component re-forms within 45s: the fall-back, then the bootstrap plan as read again (now, it would be):\n# plan for cluster c\n# up to date: nothing to do\n# plan for cluster c\n# up to date: nothing to do\n"
        );
        assert_eq!(
            serde_json::to_string(&document).unwrap_or_default(),
            r#"{"cluster":"c","positions":[],"choice":["choice: a","because b"],"path":"pc.recovery","plan":{"cluster":"c","stages":[]},"fall_back":{"stop":{"cluster":"c","stages":[]},"then":{"cluster":"c","stages":[]}}}"#
        );
        let alone = DryRun::new("c", &[], &choice, "bootstrap", &fast, None);
        assert_eq!(
            alone.text(),
            "choice: a\nbecause b\npath: bootstrap\nwould run (--dry-run: nothing was changed):\n# plan for cluster c\n# up to date: nothing to do\n"
        );
    }

    #[test]
    fn the_closing_report_says_how_joiners_caught_up_and_whether_history_was_kept() {
        let choice = join_primary();
        assert_eq!(joiners(&choice), vec!["nodeb"]);
        let after = After {
            states: vec![state("nodea", U), state("nodeb", U)],
            recorded: vec![U.to_string()],
            catch_ups: vec![String::new(), "IST".to_string()],
        };
        let report = closing("c", &choice, &after, 12.34);
        assert_eq!(
            report.text,
            "cluster c: recovered in 12.3s; cluster UUID 1f113d7a-e8a1-11f1-be4d-f35e168f60a7 (kept: same history)\n  nodea        10.0.0.5         running    Primary Synced size 2 1f113d7a\n  nodeb        10.0.0.5         running    Primary Synced size 2 1f113d7a; joined by IST\n"
        );
        assert_eq!(
            report.json.to_string(),
            r#"{"choice":["choice: no bootstrap; nodea serves a Primary component; start nodeb as joiner"],"cluster":"c","cluster_uuid":"1f113d7a-e8a1-11f1-be4d-f35e168f60a7","history":"kept","history_before":"1f113d7a-e8a1-11f1-be4d-f35e168f60a7","nodes":[{"container":"running","host":"10.0.0.5","joined_by":null,"name":"nodea","status":{"cluster_size":2,"cluster_state_uuid":"1f113d7a-e8a1-11f1-be4d-f35e168f60a7","cluster_status":"Primary","connected":true,"flow_control_paused":0.0,"last_committed":-1,"local_state":"Synced","ready":true}},{"container":"running","host":"10.0.0.5","joined_by":"IST","name":"nodeb","status":{"cluster_size":2,"cluster_state_uuid":"1f113d7a-e8a1-11f1-be4d-f35e168f60a7","cluster_status":"Primary","connected":true,"flow_control_paused":0.0,"last_committed":-1,"local_state":"Synced","ready":true}}],"seconds":12.34}"#
        );
        assert_eq!(report.lost_history, None);
        let other = After {
            states: vec![state("nodea", "8204a10c-e8a1-11f1-a247-2f21d11ed522")],
            recorded: Vec::new(),
            catch_ups: vec![String::new()],
        };
        let lost = closing("c", &choice, &other, 1.0);
        assert_eq!(
            lost.lost_history.as_deref(),
            Some("cluster c does not run with its history 1f113d7a-e8a1-11f1-be4d-f35e168f60a7: transactions may be lost or diverge; check the data before sending writes")
        );
    }
}
