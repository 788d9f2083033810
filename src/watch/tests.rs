use std::time::Duration;

use super::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn view(nodes: &[(&str, Condition)]) -> View {
    View {
        cluster: "shop".into(),
        nodes: nodes
            .iter()
            .map(|(n, c)| (n.to_string(), c.clone()))
            .collect(),
        split: None,
        history_reset: None,
        beside: Vec::new(),
    }
}

fn down(state: &str) -> Condition {
    Condition::Down {
        state: state.into(),
        operator_stopped: false,
    }
}

fn stopped_by_operator() -> Condition {
    Condition::Down {
        state: "exited".into(),
        operator_stopped: true,
    }
}

/// The rules the tests reason with (the defaults may change).
fn rules() -> Rules {
    Rules {
        settle: secs(10),
        backoff: secs(20),
        max_failures: 3,
    }
}

const W: Condition = Condition::WaitingNonPrimary;
const S: Condition = Condition::Serving;

/// Looks at `v` at each time in turn, from an empty memory; the last decision.
fn looks(v: &View, times: &[u64]) -> Decision {
    let rules = rules();
    let mut memory = Memory::default();
    let mut last = None;
    for &t in times {
        let d = decide(v, &memory, &rules, secs(t));
        memory = d.memory.clone();
        last = Some(d);
    }
    last.unwrap_or_else(|| decide(v, &memory, &rules, secs(0)))
}

#[test]
fn a_healthy_cluster_is_left_alone() {
    let d = looks(&view(&[("a", S), ("b", S), ("c", S)]), &[0, 5, 60]);
    assert_eq!(d.faults, vec![]);
    assert_eq!(d.action, None);
    assert_eq!(d.holding, None);
    assert_eq!(d.events, vec![]);
}

#[test]
fn a_full_outage_is_recovered_once_it_has_settled() {
    let v = view(&[("a", W), ("b", down("exited")), ("c", W)]);
    let first = looks(&v, &[0]);
    assert_eq!(first.action, None);
    assert_eq!(
        first.holding.as_deref(),
        Some("recover in 10s unless it settles by itself")
    );
    assert_eq!(first.events.len(), 1);
    assert_eq!(
        first.events[0].detail,
        "no Primary component: a waiting non-Primary, b exited, c waiting non-Primary"
    );
    assert_eq!(looks(&v, &[0, 5]).action, None);
    let settled = looks(&v, &[0, 5, 10]);
    assert_eq!(settled.action, Some(Action::Recover));
    assert_eq!(settled.events, vec![], "the fault was announced once");
}

#[test]
fn a_silent_or_unreachable_node_blocks_every_recovery() {
    for blocker in [
        Condition::Silent("timeout after 2s".into()),
        Condition::Unknown("host h2 did not answer".into()),
    ] {
        let v = view(&[("a", W), ("b", blocker.clone()), ("c", down("exited"))]);
        let d = looks(&v, &[0, 30, 600, 6000]);
        assert_eq!(d.action, None, "{blocker:?}");
        assert!(
            d.holding
                .as_deref()
                .is_some_and(|h| h.starts_with("no recovery while a node may serve unseen: b")),
            "{d:?}"
        );
    }
}

#[test]
fn a_starting_node_is_waited_for() {
    let v = view(&[
        ("a", W),
        ("b", Condition::Starting("restarting".into())),
        ("c", W),
    ]);
    let d = looks(&v, &[0, 30]);
    assert_eq!(d.action, None);
    assert_eq!(
        d.holding.as_deref(),
        Some("waiting for b (restarting) to start")
    );
}

#[test]
fn a_crashed_node_beside_a_primary_is_started_but_not_one_the_operator_stopped() {
    let v = view(&[("a", S), ("b", down("exited")), ("c", down("missing"))]);
    let d = looks(&v, &[0, 10]);
    assert_eq!(d.action, Some(Action::StartNode("b".into())));
    assert_eq!(d.faults.len(), 2);
    let v = view(&[("a", S), ("b", stopped_by_operator()), ("c", S)]);
    let d = looks(&v, &[0, 10, 100]);
    assert_eq!((d.action, d.faults), (None, vec![]));
}

#[test]
fn every_node_stopped_by_the_operator_is_no_fault() {
    let v = view(&[("a", stopped_by_operator()), ("b", stopped_by_operator())]);
    let d = looks(&v, &[0, 100]);
    assert_eq!((d.action, d.faults), (None, vec![]));
}

#[test]
fn a_split_or_a_history_reset_is_reported_never_healed() {
    let mut v = view(&[("a", S), ("b", down("exited"))]);
    v.history_reset = Some("uuid 1111 is not the recorded 2222".into());
    let d = looks(&v, &[0, 100]);
    assert_eq!(d.action, None);
    assert_eq!(d.faults[0].key, "history-reset");
    assert_eq!(
        d.holding.as_deref(),
        Some("a history reset is never healed: an operator must look")
    );
    let mut v = view(&[("a", S), ("b", S)]);
    v.split = Some("two Primary components".into());
    assert_eq!(looks(&v, &[0, 100]).action, None);
}

#[test]
fn failures_back_off_then_give_up_until_healthy() {
    let rules = rules();
    let v = view(&[("a", W), ("b", W)]);
    let mut m = Memory::default();
    m = decide(&v, &m, &rules, secs(0)).memory;
    let d = decide(&v, &m, &rules, secs(10));
    assert_eq!(d.action, Some(Action::Recover));
    let (m1, gave_up) = after_action(&d.memory, &rules, secs(30), None);
    assert!(!gave_up);
    assert_eq!(m1.not_before, Some(secs(50)));
    let d = decide(&v, &m1, &rules, secs(40));
    assert_eq!(d.action, None);
    assert_eq!(
        d.holding.as_deref(),
        Some("backing off after 1 failed action(s): recover again in 10s")
    );
    let d = decide(&v, &m1, &rules, secs(50));
    assert_eq!(d.action, Some(Action::Recover));
    let (m2, _) = after_action(&d.memory, &rules, secs(60), None);
    assert_eq!(m2.not_before, Some(secs(100)), "the back-off doubles");
    let (m3, gave_up) = after_action(&m2, &rules, secs(100), None);
    assert!(gave_up, "the third failure in a row gives up");
    let d = decide(&v, &m3, &rules, secs(10_000));
    assert_eq!(d.action, None);
    assert_eq!(
        d.holding.as_deref(),
        Some("given up after 3 failed actions in a row; waiting for an operator")
    );
    let (_, again) = after_action(&m3, &rules, secs(10_001), None);
    assert!(!again, "given up is said once");
    // Healthy again: forgotten.
    let healthy = view(&[("a", S), ("b", S)]);
    let d = decide(&healthy, &m3, &rules, secs(10_010));
    assert_eq!(d.memory.failures, 0);
    assert!(!d.memory.gave_up);
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].kind, EventKind::FaultGone);
}

#[test]
fn a_fault_that_comes_back_settles_anew() {
    let rules = rules();
    let outage = view(&[("a", W), ("b", W)]);
    let healthy = view(&[("a", S), ("b", S)]);
    let mut m = decide(&outage, &Memory::default(), &rules, secs(0)).memory;
    m = decide(&healthy, &m, &rules, secs(9)).memory;
    let d = decide(&outage, &m, &rules, secs(12));
    assert_eq!(d.action, None, "seen again at 12s: settles until 22s");
    assert_eq!(d.events[0].kind, EventKind::FaultSeen);
}

#[test]
fn an_event_is_one_log_line_with_journald_priority() {
    let e = Event::new("shop", EventKind::GaveUp, "recover failed\ntwice")
        .with_command("galeractl recover -i /etc/shop.toml".into());
    assert_eq!(
        e.log_line(true),
        "<3>watch: cluster=shop event=gave_up command=\"galeractl recover -i /etc/shop.toml\": recover failed / twice"
    );
    assert_eq!(
        serde_json::to_string(&e).unwrap_or_default(),
        r#"{"cluster":"shop","kind":"gave_up","detail":"recover failed\ntwice","command":"galeractl recover -i /etc/shop.toml","unix_time":0}"#
    );
}

#[test]
fn metrics_of_two_clusters_keep_each_family_once() {
    let a = "# HELP galera_up up\n# TYPE galera_up gauge\ngalera_up{cluster=\"a\",node=\"n1\"} 1\n# HELP galera_verdict v\n# TYPE galera_verdict gauge\ngalera_verdict{cluster=\"a\",verdict=\"healthy\"} 1\n";
    let b = a.replace("cluster=\"a\"", "cluster=\"b\"");
    assert_eq!(
        merge_exposition(&[a.to_string(), b]),
        "# HELP galera_up up\n# TYPE galera_up gauge\ngalera_up{cluster=\"a\",node=\"n1\"} 1\ngalera_up{cluster=\"b\",node=\"n1\"} 1\n# HELP galera_verdict v\n# TYPE galera_verdict gauge\ngalera_verdict{cluster=\"a\",verdict=\"healthy\"} 1\ngalera_verdict{cluster=\"b\",verdict=\"healthy\"} 1\n"
    );
    let mut c = Counters::default();
    c.count_action("a", "recover", "done");
    c.gave_up.insert("a".into(), false);
    let text = c.render();
    assert!(text.contains(
        "galeractl_watch_actions_total{cluster=\"a\",action=\"recover\",result=\"done\"} 1\n"
    ));
    assert!(text.contains("galeractl_watch_gave_up{cluster=\"a\"} 0\n"));
}

#[test]
fn the_unit_runs_watch_with_its_inventories_and_keeps_the_child_on_stop() {
    let unit = systemd_unit(
        "/usr/bin/galeractl",
        &[
            "/etc/galeractl/shop.toml".into(),
            "/srv/my db/x.toml".into(),
        ],
        &["--listen".into(), "127.0.0.1:9104".into()],
    );
    assert!(unit.contains(
        "ExecStart=/usr/bin/galeractl watch --listen 127.0.0.1:9104 /etc/galeractl/shop.toml \"/srv/my db/x.toml\"\n"
    ));
    assert!(unit.contains("KillMode=mixed\n"));
    assert!(
        unit.contains("StateDirectory=galeractl\nEnvironment=XDG_STATE_HOME=/var/lib/galeractl\n")
    );
    assert!(
        unit.contains("ReadWritePaths=-/root/.ssh /etc/galeractl \"/srv/my db\"\n"),
        "{unit}"
    );
    let unit = systemd_unit(
        "/g",
        &["/i.toml".into()],
        &[
            "--notify-command".into(),
            "echo $GALERACTL_EVENT 100%".into(),
        ],
    );
    assert!(
        unit.contains(
            "ExecStart=/g watch --notify-command \"echo $$GALERACTL_EVENT 100%%\" /i.toml\n"
        ),
        "{unit}"
    );
}

#[test]
fn the_operators_stop_holds_until_the_container_starts_again() {
    use super::intent::operator_stopped;
    let at = "2026-12-07T19:00:00.123456789Z";
    assert!(operator_stopped(&format!("{at}\n\n{at}\n")));
    assert!(!operator_stopped(&format!(
        "{at}\n\n2026-12-07T20:00:00Z\n"
    )));
    assert!(!operator_stopped(&format!("\n{at}\n")), "no record");
    assert!(
        operator_stopped(&format!("{at}\n\n")),
        "the container removed after stop-node"
    );
    assert!(!operator_stopped(""));
}

#[test]
fn a_cluster_with_no_node_container_is_ups_job() {
    let v = view(&[("a", down("missing")), ("b", down("missing"))]);
    let d = looks(&v, &[0, 100]);
    assert_eq!(d.action, None);
    assert_eq!(
        d.holding.as_deref(),
        Some("the cluster does not exist: `galeractl up` makes it")
    );
}

#[test]
fn the_last_view_since_the_last_start_tells_a_waiting_node() {
    use crate::galera::last_view_since_start as last_view;
    let waiting = "2026-12-07 19:36:00 0 [Note] Starting MariaDB 10.11.6 as process 1\n\
        2026-12-07 19:36:06 0 [Note] WSREP: No nodes coming from primary view, primary view is not possible\n\
        2026-12-07 19:36:06 0 [Note] WSREP: view(view_id(NON_PRIM,71ce6308-a83f,1) memb {\n\
        \t71ce6308-a83f,0\n} joined {\n}\n";
    assert_eq!(last_view(waiting), Some(true));
    let serving = "Starting MariaDB\nWSREP: view(view_id(PRIM,71ce6308-a83f,3) memb {\n";
    assert_eq!(last_view(serving), Some(false));
    let lost = format!("{serving}View:\n  id: x\n  status: non-primary\n");
    assert_eq!(last_view(&lost), Some(true));
    // Views before the last start say nothing of now.
    let restarted = format!("{serving}[Note] [galeractl node-start]: recovering\n");
    assert_eq!(last_view(&restarted), None);
    assert_eq!(last_view(""), None);
    // pc.recovery restored the group's Primary view, but the quorum failed (seen on the lab
    // after an interrupted `up` and a power cut of the first node's host).
    let no_quorum = "Starting MariaDB\n\
        2026-12-07 20:22:28 0 [Note] WSREP: view(view_id(PRIM,e13b1703-8388,7) memb {\n\
        \te13b1703-8388,0\n}\n\
        2026-12-07 20:22:28 0 [ERROR] WSREP: gcs_state_msg_get_quorum():948: Failed to establish quorum.\n\
        2026-12-07 20:22:28 0 [Note] WSREP: Quorum results:\n\
        \tversion    = 6,\n\
        \tcomponent  = NON-PRIMARY,\n\
        \tconf_id    = -1,\n\
        2026-12-07 20:22:28 0 [Note] WSREP: Flow-control interval: [28, 28]\n\
        2026-12-07 20:22:28 0 [Note] WSREP: Received NON-PRIMARY.\n";
    assert_eq!(last_view(no_quorum), Some(true));
    let quorate = "Starting MariaDB\nWSREP: Quorum results:\n\tcomponent  = PRIMARY,\n";
    assert_eq!(last_view(quorate), Some(false));
}

#[test]
fn an_outage_settles_from_the_moment_every_node_waits() {
    let rules = rules();
    let starting = view(&[("a", W), ("b", Condition::Starting("restarting".into()))]);
    let waiting = view(&[("a", W), ("b", W)]);
    let mut m = Memory::default();
    for t in [0, 5, 10, 15, 20] {
        m = decide(&starting, &m, &rules, secs(t)).memory;
    }
    let d = decide(&waiting, &m, &rules, secs(25));
    assert_eq!(d.action, None, "Galera's pc.recovery gets its settle time");
    assert_eq!(d.events, vec![], "still the same outage");
    let d = decide(&waiting, &d.memory, &rules, secs(35));
    assert_eq!(d.action, Some(Action::Recover));
}

#[test]
fn what_is_wrong_beside_the_nodes_is_reported_not_healed() {
    let mut v = view(&[("a", S), ("b", S)]);
    v.beside = vec![("garbd".into(), "garbd's container is exited".into())];
    let d = looks(&v, &[0, 100]);
    assert_eq!(d.action, None);
    assert_eq!(d.faults[0].detail, "garbd's container is exited");
    assert_eq!(d.holding.as_deref(), Some("nothing watch may do"));
}

#[test]
fn an_action_that_succeeds_without_healing_does_not_loop() {
    let rules = rules();
    let v = view(&[("a", S), ("b", down("exited"))]);
    let m = decide(&v, &Memory::default(), &rules, secs(0)).memory;
    let d = decide(&v, &m, &rules, secs(10));
    assert_eq!(d.action, Some(Action::StartNode("b".into())));
    let (m, _) = after_action(&d.memory, &rules, secs(12), d.action.as_ref());
    let d = decide(&v, &m, &rules, secs(15));
    assert_eq!(d.action, None);
    assert_eq!(
        d.holding.as_deref(),
        Some("start-node b succeeded and is called for again: again in 17s")
    );
    assert_eq!(
        decide(&v, &m, &rules, secs(32)).action,
        Some(Action::StartNode("b".into()))
    );
}

#[test]
fn an_action_that_keeps_succeeding_without_healing_is_given_up() {
    let rules = rules();
    let start_b = Action::StartNode("b".into());
    let mut m = Memory::default();
    let mut gave_up = false;
    // b crashes right after every successful start-node, 30 s apart.
    for (k, t) in (0u32..).zip([10u64, 40, 70, 100]) {
        let (next, g) = after_action(&m, &rules, secs(t), Some(&start_b));
        m = next;
        gave_up |= g;
        assert_eq!(m.failures, k, "after success {k}");
    }
    assert!(gave_up && m.gave_up);
    // Healthy for a moment between two crashes: still given up.
    let healthy = view(&[("a", S), ("b", S)]);
    assert!(decide(&healthy, &m, &rules, secs(105)).memory.gave_up);
    // Healthy long after the last start: forgotten.
    assert!(!decide(&healthy, &m, &rules, secs(200)).memory.gave_up);
    // A success long after the last one is a success again.
    let (m, _) = after_action(&Memory::default(), &rules, secs(1000), Some(&start_b));
    let (m, _) = after_action(&m, &rules, secs(2000), Some(&start_b));
    assert_eq!(m.failures, 0);
}

/// Every condition a node can be seen in, for the exhaustive checks.
fn every_condition() -> Vec<Condition> {
    vec![
        S,
        Condition::InPrimary("Donor/Desynced".into()),
        W,
        Condition::Silent("timeout".into()),
        down("exited"),
        down("missing"),
        stopped_by_operator(),
        Condition::Starting("restarting".into()),
        Condition::Unknown("host down".into()),
    ]
}

#[test]
fn no_view_of_three_nodes_makes_watch_bootstrap_beside_a_node_that_may_serve() {
    let conditions = every_condition();
    let may_serve = |c: &Condition| {
        matches!(
            c,
            Condition::Serving
                | Condition::InPrimary(_)
                | Condition::Silent(_)
                | Condition::Unknown(_)
                | Condition::Starting(_)
        )
    };
    let mut recovers = 0;
    for a in &conditions {
        for b in &conditions {
            for c in &conditions {
                let v = view(&[("a", a.clone()), ("b", b.clone()), ("c", c.clone())]);
                // Seen long enough to settle, from an empty memory.
                let d = looks(&v, &[0, 100, 200]);
                let nodes = [a, b, c];
                if d.action == Some(Action::Recover) {
                    recovers += 1;
                    assert!(
                        !nodes.iter().any(|n| may_serve(n)),
                        "recover beside a node that may serve: {nodes:?}"
                    );
                }
                if let Some(Action::StartNode(n)) = &d.action {
                    let i = usize::from(n.as_bytes()[0] - b'a');
                    assert!(
                        matches!(
                            nodes[i],
                            Condition::Down {
                                operator_stopped: false,
                                ..
                            }
                        ),
                        "start-node {n} in {nodes:?}"
                    );
                    assert!(
                        nodes
                            .iter()
                            .any(|x| matches!(x, Condition::Serving | Condition::InPrimary(_))),
                        "start-node with no Primary: {nodes:?}"
                    );
                }
            }
        }
    }
    // Only the views made of waiting and crashed nodes, not all missing, not all stopped by the
    // operator: W, exited, missing, operator-stopped (4^3 = 64) less all-missing (1) and
    // all-operator-stopped (1).
    assert_eq!(recovers, 62);
}
