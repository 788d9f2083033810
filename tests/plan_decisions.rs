//! The planner's decisions from observed facts: a converged cluster needs zero steps, a missing
//! node rejoins, a changed node is replaced alone, and data without a running cluster is never
//! bootstrapped over.

use std::path::Path;

use galeractl::docker;
use galeractl::facts::{self, Container, ContainerState, Observed, ObservedNode, SqlSaid};
use galeractl::galera::NoAnswer;
use galeractl::inventory::{parse, Inventory};
use galeractl::plan::{self, PlanError, WaitFor};

fn inventory() -> Inventory {
    let source = include_str!("../inventory.example.toml");
    let parsed = parse(Path::new("inventory.example.toml"), source);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
}

fn spec(inv: &Inventory, name: &str) -> String {
    let node = inv.node(name).unwrap_or_else(|| panic!("no node {name}"));
    docker::spec_of(&docker::run_node(inv, node))
        .unwrap_or_default()
        .to_string()
}

fn running(inv: &Inventory) -> Observed {
    Observed {
        nodes: inv
            .nodes
            .iter()
            .map(|n| ObservedNode {
                name: n.name.clone(),
                container: Container::running(spec(inv, &n.name)),
                volume: true,
                synced_primary: true,
                sql: SqlSaid::State {
                    cluster_status: "Primary".into(),
                    local_state: "Synced".into(),
                },
                waiting_non_primary: false,
                config: Some(docker::node_config(&docker::ClusterAddress::others(inv, n))),
            })
            .collect(),
        aux: Vec::new(),
        proxy_config_stale: false,
        history: inv
            .nodes
            .iter()
            .map(|n| (n.host.clone(), Some(UUID.to_string())))
            .collect(),
        cluster_uuid: Some(UUID.to_string()),
        // What `up` reads before a rolling replace: one release series.
        versions: Some(facts::Versions {
            running: "11.4.7-MariaDB".into(),
            image: "11.4.8-MariaDB".into(),
        }),
        ..Observed::default()
    }
}

const UUID: &str = "d807c36e-e9a2-11f1-839e-93f7b646d0a0";

fn commands(plan: &plan::Plan) -> Vec<String> {
    plan.stages
        .iter()
        .flat_map(|s| &s.steps)
        .map(|s| format!("{} {}", s.host, s.argv[..2.min(s.argv.len())].join(" ")))
        .collect()
}

#[test]
fn a_converged_cluster_needs_no_step() {
    let inv = inventory();
    let plan = plan::up(&inv, &running(&inv)).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.stages.is_empty());
    assert_eq!(
        plan::render(&plan),
        "# plan for cluster local-test\n# up to date: nothing to do\n"
    );
}

#[test]
fn a_stopped_node_is_started_as_a_joiner_and_nothing_else_moves() {
    let inv = inventory();
    let mut observed = running(&inv);
    observed.nodes[1].container = Container::stopped(spec(&inv, "nodeb"));
    observed.nodes[1].synced_primary = false;
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    let cmds = commands(&plan);
    assert!(
        cmds.contains(&"10.10.10.11 docker start".to_string()),
        "{cmds:?}"
    );
    assert!(
        cmds.iter().all(|c| c.starts_with("10.10.10.11 ")),
        "{cmds:?}"
    );
    assert_eq!(
        plan.stages.last().and_then(|s| s.wait.clone()),
        Some(WaitFor::Verified { size: 3 })
    );
    // Its config file names the other members, never gcomm://.
    let text = plan::render(&plan);
    assert!(text.contains("wsrep_cluster_address=gcomm://10.10.10.10:5567,10.10.10.12:5567"));
    assert!(!text.contains("wsrep_cluster_address=gcomm://\\n"));
}

#[test]
fn a_missing_node_is_created_as_a_joiner() {
    let inv = inventory();
    let mut observed = running(&inv);
    observed.nodes[2].container = Container::missing();
    observed.nodes[2].volume = false;
    observed.nodes[2].synced_primary = false;
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    let cmds = commands(&plan);
    assert!(
        cmds.contains(&"10.10.10.12 docker run".to_string()),
        "{cmds:?}"
    );
    assert!(!cmds
        .iter()
        .any(|c| c.starts_with("10.10.10.10") || c.starts_with("10.10.10.11")));
}

#[test]
fn changed_nodes_are_replaced_one_at_a_time() {
    let inv = inventory();
    let mut observed = running(&inv);
    for n in &mut observed.nodes {
        n.container = Container::running("0000000000000000");
    }
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    let replace: Vec<&plan::Stage> = plan
        .stages
        .iter()
        .filter(|s| s.title.starts_with("replace"))
        .collect();
    assert_eq!(replace.len(), 3);
    for (stage, name) in replace.iter().zip(["nodea", "nodeb", "nodec"]) {
        assert_eq!(
            stage
                .steps
                .iter()
                .map(|s| s.argv[1].as_str())
                .collect::<Vec<_>>(),
            vec!["stop", "rm", "run"],
            "a clean stop, removal, then run, one node: {stage:?}"
        );
        assert!(stage.steps.iter().all(|s| s.node.as_deref() == Some(name)));
        assert_eq!(
            stage.wait,
            Some(WaitFor::Synced {
                nodes: vec![name.to_string()]
            })
        );
    }
}

#[test]
fn data_without_a_primary_component_is_never_bootstrapped_over() {
    let inv = inventory();
    let mut observed = running(&inv);
    for n in &mut observed.nodes {
        n.container = Container::stopped(spec(&inv, &n.name));
        n.synced_primary = false;
    }
    observed.nodes[2].container = Container::missing();
    match plan::up(&inv, &observed) {
        Err(e @ PlanError::NeedsRecovery { .. }) => assert_eq!(
            e.to_string(),
            "cluster local-test has data (nodea: container, nodeb: container, nodec: data volume) but no node is running and Primary: bootstrapping a new cluster over it could lose data; run `galeractl recover` instead"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Review 2, M-2: the nodes renamed in the inventory while the cluster was stopped: the old
/// containers (stopped) and the history record forbid a new, empty cluster beside them.
#[test]
fn renamed_nodes_never_get_a_new_empty_cluster_beside_the_old_one() {
    let inv = inventory();
    let mut observed = Observed::default();
    for (i, n) in inv.nodes.iter().enumerate() {
        observed.nodes.push(ObservedNode {
            name: n.name.clone(),
            container: Container::missing(),
            volume: false,
            synced_primary: false,
            sql: SqlSaid::NotAsked,
            waiting_non_primary: false,
            config: None,
        });
        observed.strays.push(facts::Stray {
            name: format!("old{i}"),
            host: n.host.clone(),
            container: format!("local-test-old{i}"),
            state: ContainerState::Exited,
            member: false,
        });
        observed
            .history
            .insert(n.host.clone(), Some(UUID.to_string()));
    }
    let refused = plan::up(&inv, &observed).map(|p| plan::render(&p));
    assert_eq!(
        refused.map_err(|e| e.to_string()),
        Err(format!("cluster local-test: no node of the inventory has a container or data, but the hosts hold this cluster's container local-test-old0 of node old0 on 10.10.10.10 (stopped); container local-test-old1 of node old1 on 10.10.10.11 (stopped); container local-test-old2 of node old2 on 10.10.10.12 (stopped); history record {UUID} in /etc/galeractl/local-test/history-uuid on 10.10.10.10, 10.10.10.11, 10.10.10.12. Bootstrapping a new, empty cluster beside them would start another history on the same ports, and the record would no longer show the reset; nothing was changed. If these are the cluster's nodes under their old names, put those names back in the inventory and run `galeractl up` (or `galeractl recover` when none of them runs); to throw the old data away, remove those containers and volumes first; only to start an empty cluster on purpose (the old containers and volumes stay as they are, the record is rewritten), pass --new-history"))
    );
    // On purpose: a new history, said first, then the usual new cluster.
    let plan = plan::up_with(
        &inv,
        &observed,
        plan::UpOptions {
            new_history: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.notes[0].starts_with("--new-history: a new, empty cluster with a new history"));
    assert!(plan.records_history());
    // One of them runs: it may serve; no flag goes past that.
    observed.strays[1].state = ContainerState::Running;
    let refused = plan::up_with(
        &inv,
        &observed,
        plan::UpOptions {
            new_history: true,
            ..Default::default()
        },
    );
    assert!(
        matches!(refused, Err(PlanError::StraysRunning { ref containers, .. }) if containers == "local-test-old1 (old1 on 10.10.10.11)"),
        "{refused:?}"
    );
}

#[test]
fn provider_options_with_semicolons_are_quoted_in_the_printed_plan() {
    let source = include_str!("../inventory.example.toml").replace("10.10.10.12", "db-3.example");
    let parsed = parse(Path::new("x.toml"), &source);
    let inv = parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics));
    let plan = plan::up(&inv, &Observed::default()).unwrap_or_else(|e| panic!("{e}"));
    let text = plan::render(&plan);
    assert!(text.contains("'--wsrep-provider-options=gmcast.listen_addr=tcp://0.0.0.0:5567;ist.recv_addr=db-3.example:5568;ist.recv_bind=0.0.0.0'"));
}

#[test]
fn a_member_left_in_bootstrap_mode_gets_its_address_list_without_a_restart() {
    let inv = inventory();
    let mut observed = running(&inv);
    observed.nodes[0].config = Some(docker::node_config(&docker::ClusterAddress::Bootstrap));
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan::render(&plan),
        "\
# plan for cluster local-test
# stage 1: name every other member in the cluster address (no restart)
  1. [10.10.10.10] printf '# managed by galeractl\\n[mysqld]\\nwsrep_cluster_address=gcomm://10.10.10.11:5567,10.10.10.12:5567\\n' | cp /dev/stdin /etc/galeractl/local-test/nodea.cnf  # nodea: name the other members in the cluster address
# stage 2: verify
#   then wait: cluster size = 3 on every node, one cluster UUID, every node Primary and Synced
"
    );
}

#[test]
fn two_stopped_nodes_rejoin_in_turn() {
    let inv = inventory();
    let mut observed = running(&inv);
    for i in [1, 2] {
        observed.nodes[i].container =
            Container::stopped(spec(&inv, &observed.nodes[i].name.clone()));
        observed.nodes[i].synced_primary = false;
    }
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    let waits: Vec<Option<WaitFor>> = plan.stages.iter().map(|s| s.wait.clone()).collect();
    assert_eq!(
        waits,
        vec![
            None,
            Some(WaitFor::Synced {
                nodes: vec!["nodeb".into()]
            }),
            Some(WaitFor::Synced {
                nodes: vec!["nodeb".into(), "nodec".into()]
            }),
            Some(WaitFor::Verified { size: 3 }),
        ]
    );
}

#[test]
fn a_running_cluster_without_a_recorded_history_gets_it_recorded_where_missing_or_stale() {
    let inv = inventory();
    let mut observed = running(&inv);
    observed.history.insert("10.10.10.11".to_string(), None);
    observed
        .history
        .insert("10.10.10.12".to_string(), Some(OLD.to_string()));
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan::render(&plan),
        format!("# plan for cluster local-test\n# stage 1: record the cluster's history (its state UUID) on the hosts (steps run in parallel across hosts)\n  1. [10.10.10.11] printf '{UUID}\\n' | install -m 0644 /dev/stdin /etc/galeractl/local-test/history-uuid  # record the cluster state UUID in history-uuid\n  2. [10.10.10.12] printf '{UUID}\\n' | install -m 0644 /dev/stdin /etc/galeractl/local-test/history-uuid  # record the cluster state UUID in history-uuid\n")
    );
    // No record yet anywhere (a cluster made before galeractl recorded it): every host.
    for r in observed.history.values_mut() {
        *r = None;
    }
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.stages[0].steps.len(), 3);
}

const OLD: &str = "5bd3c0a5-c0b0-11ef-8a6e-7e0a8f3a1b11";

#[test]
fn a_reset_history_is_never_recorded_over() {
    let inv = inventory();
    let mut observed = running(&inv);
    // Every record says another history than the running one: status reports the reset.
    for r in observed.history.values_mut() {
        *r = Some(OLD.to_string());
    }
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.stages.is_empty(), "{}", plan::render(&plan));
    // An all-zero state UUID is never recorded, even where no record exists.
    let mut observed = running(&inv);
    observed.history.insert("10.10.10.11".to_string(), None);
    observed.cluster_uuid = Some("00000000-0000-0000-0000-000000000000".to_string());
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.stages.is_empty(), "{}", plan::render(&plan));
}

#[test]
fn running_but_silent_containers_are_named_not_sent_to_recover() {
    let inv = inventory();
    let mut observed = running(&inv);
    for n in &mut observed.nodes {
        n.synced_primary = false;
        n.sql = SqlSaid::NoAnswer(NoAnswer::Timeout { ms: 2000 });
    }
    let error = plan::up(&inv, &observed)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.starts_with("cluster local-test: containers run but none answers SQL as Synced in a Primary component (nodea: no answer within 2000 ms; nodeb: "),
        "{error}"
    );
    assert!(!error.contains("recover"), "{error}");
}

#[test]
fn nodes_that_refuse_the_monitoring_user_serve_and_the_password_file_is_named() {
    let inv = inventory();
    let mut observed = running(&inv);
    for n in &mut observed.nodes {
        n.synced_primary = false;
        n.sql = SqlSaid::NoAnswer(NoAnswer::AccessDenied {
            message: "Access denied for user 'monitor'@'10.0.0.1' (using password: YES)".into(),
        });
        // Even when their logs would say they wait non-Primary: they answered.
        n.waiting_non_primary = true;
    }
    observed.nodes[2].sql = SqlSaid::NoAnswer(NoAnswer::Refused);
    observed.nodes[2].waiting_non_primary = false;
    let error = plan::up(&inv, &observed)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let file = inv.cluster.monitor_password_file.display();
    assert_eq!(
        error,
        format!(
            "cluster local-test: containers run and answer SQL, but refuse the monitoring user (nodea: access denied (Access denied for user 'monitor'@'10.0.0.1' (using password: YES)); nodeb: access denied (Access denied for user 'monitor'@'10.0.0.1' (using password: YES))); galeractl cannot tell whether they serve, so it changes nothing (no bootstrap beside them): the nodes refuse the monitoring user 'galeractl_monitor': the password in {file} (cluster.monitor_password_file) is not the one the nodes have for 'galeractl_monitor'; put the cluster's password back in that file (or set that password for 'galeractl_monitor' on the nodes), then run again"
        )
    );
    assert!(!error.contains("recover"), "{error}");
}

fn stage_titles(plan: &plan::Plan) -> Vec<String> {
    plan.stages.iter().map(|s| s.title.clone()).collect()
}

#[test]
fn a_rolling_change_replaces_the_down_nodes_first_and_a_serving_one_only_when_all_are_synced() {
    let inv = inventory();
    let mut observed = running(&inv);
    // A new image everywhere (every spec differs); nodeb is stopped, nodec runs but is not
    // Synced.
    for n in &mut observed.nodes {
        n.container = Container::running("0000000000000000");
    }
    observed.nodes[1].container = Container::stopped("0000000000000000");
    observed.nodes[2].synced_primary = false;
    observed.nodes[1].synced_primary = false;
    // Review 2, M-3: the versions could not be read: refused (fails closed) unless forced.
    let read = observed.versions.take();
    assert_eq!(
        plan::up(&inv, &observed).map_err(|e| e.to_string()).err(),
        Some("cluster local-test: refusing to create a node's container from mariadb:11.4, nothing was changed: the MariaDB version the cluster runs or the image's could not be read, so a downgrade cannot be ruled out (a downgrade across major versions is not supported by MariaDB). Check that a node serves and that the image runs (`docker run --rm --entrypoint mariadbd mariadb:11.4 --version`), or pass --force".to_string())
    );
    let forced = plan::up_with(
        &inv,
        &observed,
        plan::UpOptions {
            force: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        forced.notes[0],
        "--force: the version running or the image's could not be read: a downgrade was not checked"
    );
    observed.versions = read;
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    // nodec runs but is not Synced (a joiner mid-transfer, or a donor): it is waited for like
    // any running node, never stopped at once.
    assert_eq!(
        stage_titles(&plan),
        vec![
            "prepare the hosts",
            "replace nodeb (its spec changed), alone",
            "before replacing nodea: every node Synced, none a donor",
            "replace nodea (its spec changed), alone",
            "nodea caught up",
            "before replacing nodec: every node Synced, none a donor",
            "replace nodec (its spec changed), alone",
            "nodec caught up",
            "verify",
        ]
    );
    assert_eq!(
        plan.stages[4].wait,
        Some(plan::WaitFor::JoinedByIst {
            node: "nodea".into()
        })
    );
    // The gcache could not be read: said, and IST checked after the fact.
    assert_eq!(
        plan.notes,
        vec![
            "the gcache's size or the write rate could not be read: each replaced node is checked to come back by IST after the fact"
        ]
    );
    // A gcache that a node's downtime would outrun, and a downgrade: refused unless forced.
    observed.gcache = Some(facts::Gcache {
        size_bytes: 128 << 20,
        bytes_per_minute: 80 << 20,
        window_secs: 2,
    });
    let refused = plan::up(&inv, &observed)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.starts_with("cluster local-test: refusing to replace a running node, nothing was changed: the donors' gcache keeps 128.0 MiB of write-sets, and at 80.0 MiB per minute a node away 120s misses about 160.0 MiB: it would come back by a full copy (SST)"),
        "{refused}"
    );
    let forced = plan::up_with(
        &inv,
        &observed,
        plan::UpOptions {
            force: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(forced.notes[0].starts_with("--force: the gcache keeps 128.0 MiB"));
    observed.gcache = Some(facts::Gcache {
        size_bytes: 128 << 20,
        bytes_per_minute: 1 << 20,
        window_secs: 2,
    });
    let fine = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        fine.notes,
        vec!["each replaced node comes back by IST: the gcache keeps 128.0 MiB, write-sets came at 1.0 MiB per minute (measured over 2s), a node is assumed away 120s"]
    );
    observed.gcache = None;
    observed.versions = Some(facts::Versions {
        running: "11.8.3-MariaDB".into(),
        image: "10.11.14-MariaDB".into(),
    });
    let refused = plan::up(&inv, &observed)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.contains(
            "the image runs MariaDB 10.11.14-MariaDB, older than the 11.8.3-MariaDB running now"
        ),
        "{refused}"
    );
    observed.versions = Some(facts::Versions {
        running: "10.11.14-MariaDB".into(),
        image: "11.8.3-MariaDB".into(),
    });
    assert!(plan::up(&inv, &observed).is_ok());
    assert_eq!(
        plan.stages[2].wait,
        Some(plan::WaitFor::Verified { size: 3 })
    );
}

#[test]
fn running_nodes_that_all_wait_non_primary_are_sent_to_recover() {
    let inv = inventory();
    let mut observed = running(&inv);
    for n in &mut observed.nodes {
        n.synced_primary = false;
        n.waiting_non_primary = true;
    }
    let error = plan::up(&inv, &observed)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        error,
        "cluster local-test: no node serves, and every running node waits non-Primary (nodea, nodeb, nodec: its last view since its start is non-Primary), as after a power cut that hit while the cluster re-formed; run `galeractl recover`: it stops them, reads every position and brings the cluster back keeping its history"
    );
    // One that says nothing of itself: the general refusal.
    observed.nodes[1].waiting_non_primary = false;
    let error = plan::up(&inv, &observed)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("containers run but none answers SQL"),
        "{error}"
    );
}

/// Each step as its pasteable line, without what it is for.
fn lines(plan: &plan::Plan) -> Vec<String> {
    plan.steps()
        .map(|s| {
            let line = plan::render_step_line(s);
            line.split("  # ").next().unwrap_or_default().to_string()
        })
        .collect()
}

/// A node the inventory no longer names is reported, and nothing is done to it; with
/// --prune it is taken out (a clean stop, its containers removed, its volume kept) after
/// everything else, and the cluster verified at the inventory's size.
#[test]
fn a_node_not_in_the_inventory_is_reported_then_pruned() {
    let inv = inventory();
    let mut observed = running(&inv);
    observed.strays.push(facts::Stray {
        name: "noded".into(),
        host: "10.10.10.13".into(),
        container: "local-test-noded".into(),
        state: ContainerState::Running,
        member: true,
    });
    let plan = plan::up(&inv, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan::render(&plan),
        "# plan for cluster local-test\n# note: noded on 10.10.10.13 is not in the inventory (a member of the cluster); `galeractl up --prune` takes it out (its data volume stays unless --delete-data)\n# up to date: nothing to do\n"
    );
    let pruned = plan::up_with(
        &inv,
        &observed,
        plan::UpOptions {
            prune: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        lines(&pruned),
        vec![
            "[10.10.10.13] docker stop --time 120 local-test-noded",
            "[10.10.10.13] docker rm local-test-noded",
            "[10.10.10.13] docker rm --force local-test-noded-check || true",
            "[10.10.10.13] sh -c 'ids=$(docker ps -aq --filter \"label=$1\") || exit; if [ -n \"$ids\" ]; then echo \"kept $2: a container of the cluster is still here\"; exit 0; fi; cd -- \"$2\" 2>/dev/null || exit 0; rm -f -- ./*.cnf ./*.sql ./history-uuid ./node-start.sh ./haproxy.cfg ./check.sh ./tls-*.crt ./tls-*.key ./tls-*.pem ./secrets/root-password ./secrets/monitor-password ./secrets/backup.cnf ./drain/*/drained ./lock/holder; rmdir -- ./drain/* secrets drain lock 2>/dev/null; cd / && rmdir -- \"$2\" 2>/dev/null || echo \"kept $2: it holds files that galeractl does not write\"' galeractl-prune io.galeractl.cluster=local-test /etc/galeractl/local-test",
        ]
    );
    assert!(plan::render(&pruned).ends_with(
        "# stage 3: verify\n#   then wait: cluster size = 3 on every node, one cluster UUID, every node Primary and Synced\n"
    ));
    let deleted = plan::up_with(
        &inv,
        &observed,
        plan::UpOptions {
            prune: true,
            delete_data: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        lines(&deleted)[3],
        "[10.10.10.13] docker volume rm local-test-noded-data"
    );
    // Only one of the three serves: no majority, nothing is touched.
    for o in observed.nodes.iter_mut().skip(1) {
        o.synced_primary = false;
        o.container = Container::stopped(String::new());
    }
    let refused = plan::up_with(
        &inv,
        &observed,
        plan::UpOptions {
            prune: true,
            ..Default::default()
        },
    );
    assert!(
        matches!(
            refused,
            Err(plan::PlanError::PruneWithoutMajority {
                serving: 1,
                size: 3,
                ..
            })
        ),
        "{refused:?}"
    );
}

/// The example's inventory with `[tls]` (and the mariabackup SST it needs).
fn tls_inventory() -> Inventory {
    let source = include_str!("../inventory.example.toml").replace(
        "[cluster]\n",
        "[cluster]\nsst_method = \"mariabackup\"\nsst_password_file = \"sst.pw\"\n",
    ) + "\n[tls]\nenabled = true\n";
    let parsed = parse(Path::new("inventory.example.toml"), &source);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
}

#[test]
fn tls_on_a_running_plaintext_cluster_is_refused_and_a_tls_cluster_converges() {
    let tls = tls_inventory();
    // Observed: the plaintext cluster runs, its containers without the TLS label.
    let mut observed = running(&inventory());
    observed.tls_running = tls.nodes.iter().map(|n| (n.name.clone(), false)).collect();
    match plan::up(&tls, &observed) {
        Err(PlanError::TlsChange { what, nodes, .. }) => {
            assert_eq!((what, nodes.as_str()), ("on", "nodea, nodeb, nodec"));
        }
        other => panic!("expected the TLS refusal, got {other:?}"),
    }
    // Turning it off again is refused the same way.
    let mut observed = running(&tls);
    observed.tls_running = tls.nodes.iter().map(|n| (n.name.clone(), true)).collect();
    match plan::up(&inventory(), &observed) {
        Err(PlanError::TlsChange { what, .. }) => assert_eq!(what, "off"),
        other => panic!("expected the TLS refusal, got {other:?}"),
    }
    // The TLS cluster running with TLS: nothing to do.
    let plan = plan::up(&tls, &observed).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.stages.is_empty(), "{}", plan::render(&plan));
}

#[test]
fn a_node_serving_an_old_certificate_reloads_a_new_one_without_a_restart() {
    let tls = tls_inventory();
    let mut observed = running(&tls);
    observed.tls_running = tls.nodes.iter().map(|n| (n.name.clone(), true)).collect();
    observed.tls_stale = vec!["nodeb".to_string()];
    let plan = plan::up(&tls, &observed).unwrap_or_else(|e| panic!("{e}"));
    let titles: Vec<&str> = plan.stages.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["renew nodeb's TLS certificate (no restart)", "verify"]
    );
    let steps: Vec<String> = plan
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .map(|s| s.argv.join(" "))
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(steps[0].starts_with("cp /dev/stdin /etc/galeractl/local-test/tls-nodeb.crt"));
    let reload = &plan.stages[0].steps[2];
    assert_eq!(
        reload.argv,
        ["docker", "exec", "-i", "local-test-nodeb", "bash", "-c"]
            .map(String::from)
            .into_iter()
            .chain([docker::root_sql_script()])
            .collect::<Vec<_>>()
    );
    assert_eq!(
        reload.stdin,
        Some(plan::Stdin::Text(
            "FLUSH SSL;\nSET GLOBAL wsrep_provider_options='socket.ssl_reload=1';\n".into()
        ))
    );
    assert!(!steps
        .iter()
        .any(|s| s.contains("docker run") || s.contains("docker stop")));
}

/// Review 2, M-6: start-node checks this machine's CA against the hosts' only when its plan
/// uploads it (a node created anew), not for a plain `docker start`.
#[test]
fn start_node_uploads_the_local_ca_only_when_it_creates_the_container() {
    let tls = tls_inventory();
    let Some(ca) = tls.tls.as_ref().map(|t| t.ca_cert.clone()) else {
        panic!("no [tls]")
    };
    let node = &tls.nodes[2];
    let same = Container::stopped(spec(&tls, &node.name));
    let other = Container::stopped("old");
    let v = facts::Versions {
        running: "11.4.8-MariaDB".into(),
        image: "11.4.8-MariaDB".into(),
    };
    let start = |fact: &Container| {
        plan::start_node(&tls, node, fact, Some(&v), false).unwrap_or_else(|e| panic!("{e}"))
    };
    assert!(!start(&same).reads_local(&ca));
    assert!(start(&other).reads_local(&ca));
    assert!(start(&Container::missing()).reads_local(&ca));
}

/// Review 2, M-3: `stop-node nodec`, the image changed, `start-node nodec`: the container made
/// anew passes the rolling upgrade's version guard, as `up` would.
#[test]
fn start_node_creating_a_container_passes_the_upgrade_guard() {
    let inv = inventory();
    let nodec = inv.node("nodec").unwrap_or_else(|| panic!("no nodec"));
    let old = Container::stopped("0000000000000000");
    let versions = |running: &str, image: &str| facts::Versions {
        running: running.into(),
        image: image.into(),
    };
    // A downgrade: refused, nothing planned; --force goes past it and says so.
    let down = versions("11.8.3-MariaDB-ubu2404", "10.11.14-MariaDB-ubu2204");
    assert_eq!(
        plan::start_node(&inv, nodec, &old, Some(&down), false).map_err(|e| e.to_string()).err(),
        Some("cluster local-test: refusing to create a node's container from the inventory's image, nothing was changed: the image runs MariaDB 10.11.14-MariaDB-ubu2204, older than the 11.8.3-MariaDB-ubu2404 running now; a downgrade across major versions is not supported by MariaDB (its data files and system tables may not be read back). Restore a backup instead, or pass --force".to_string())
    );
    let forced =
        plan::start_node(&inv, nodec, &old, Some(&down), true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        forced.notes,
        [
            "--force: a downgrade from 11.8.3-MariaDB-ubu2404 to 10.11.14-MariaDB-ubu2204",
            "nodec is created from an image with MariaDB 10.11.14-MariaDB-ubu2204, while 11.8.3-MariaDB-ubu2404 runs: it must come back by IST (a full copy between two versions is unsafe)"
        ]
    );
    // The versions could not be read: refused (fails closed), for a missing container too.
    for fact in [&old, &Container::missing()] {
        assert!(matches!(
            plan::start_node(&inv, nodec, fact, None, false),
            Err(PlanError::VersionUnknown { .. })
        ));
    }
    // An upgrade: allowed, and the node must have come back by IST.
    let up = versions("10.11.14-MariaDB", "11.8.3-MariaDB");
    let plan =
        plan::start_node(&inv, nodec, &old, Some(&up), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan.stages.last().and_then(|s| s.wait.clone()),
        Some(WaitFor::JoinedByIst {
            node: "nodec".into()
        })
    );
    // The same series: no note, no IST-only check (a full copy is fine then).
    let same = versions("11.4.7-MariaDB", "11.4.8-MariaDB");
    let plan =
        plan::start_node(&inv, nodec, &old, Some(&same), false).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.notes.is_empty());
    assert_eq!(
        plan.stages.last().and_then(|s| s.wait.clone()),
        Some(WaitFor::Synced {
            nodes: vec!["nodec".into()]
        })
    );
    // Its own stopped container, same spec: a plain start, no version read or checked.
    let own = Container::stopped(spec(&inv, "nodec"));
    assert!(!plan::start_node_creates(&inv, nodec, &own));
    assert!(plan::start_node(&inv, nodec, &own, None, false).is_ok());
}
