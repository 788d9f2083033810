//! The recovery rules, one test each, with text captured from the lab (MariaDB 10.11.19,
//! Galera 4).

use super::*;

const U: &str = "1f113d7a-e8a1-11f1-be4d-f35e168f60a7";
const OTHER: &str = "8204a10c-e8a1-11f1-a247-2f21d11ed522";

/// grastate.dat of a node killed with SIGKILL (captured on the lab).
const CRASHED: &str = "# GALERA saved state\nversion: 2.1\nuuid:    1f113d7a-e8a1-11f1-be4d-f35e168f60a7\nseqno:   -1\nsafe_to_bootstrap: 0\n";

/// The end of `mariadbd --wsrep-recover` on that node's volume (captured on the lab).
const RECOVER_LOG: &str = "\
2026-11-25  7:23:50 0 [Note] InnoDB: Starting crash recovery from checkpoint LSN=55071
2026-11-25  7:23:50 0 [Note] InnoDB: End of log at LSN=58236
2026-11-25  7:23:50 0 [Note] InnoDB: To recover: 7 pages
2026-11-25  7:23:50 0 [Note] InnoDB: 128 rollback segments are active.
2026-11-25  7:23:50 0 [Note] InnoDB: log sequence number 58236; transaction id 44
2026-11-25  7:23:50 0 [Warning] InnoDB: Skipping buffer pool dump/restore during wsrep recovery.
2026-11-25  7:23:50 0 [Note] Plugin 'FEEDBACK' is disabled.
2026-11-25  7:23:50 0 [Note] Recovering after a crash using tc.log
2026-11-25  7:23:50 0 [Note] Starting table crash recovery...
2026-11-25  7:23:50 0 [Note] Crash table recovery finished.
2026-11-25  7:23:50 0 [Note] Server socket created on IP: '0.0.0.0', port: '3306'.
2026-11-25  7:23:50 0 [Note] WSREP: Recovered position: 1f113d7a-e8a1-11f1-be4d-f35e168f60a7:6
";

/// The error mariadbd 10.11 prints when prepared transactions lack their tc log (the text of
/// the binary's own message).
const PREPARED_LOG: &str = "\
2026-11-25  7:40:02 0 [Note] Recovering after a crash using tc.log
2026-11-25  7:40:02 0 [Note] Found 2 prepared transaction(s) in InnoDB
2026-11-25  7:40:02 0 [ERROR] Found 2 prepared transactions! It means that server was not shut down properly last time and critical recovery information (last binlog or tc.log file) was manually deleted after a crash. You have to start server with --tc-heuristic-recover switch to commit or rollback pending transactions.
2026-11-25  7:40:02 0 [ERROR] Aborting
";

#[test]
fn grastate_of_a_crashed_node() {
    let g = parse_grastate(CRASHED).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.version.as_deref(), Some("2.1"));
    assert_eq!(g.uuid, U);
    assert_eq!(g.seqno, -1);
    assert!(!g.safe_to_bootstrap);
}

#[test]
fn grastate_with_trailing_spaces_and_old_version() {
    let text = "# GALERA saved state\nversion: 2.0   \nuuid:    1F113D7A-E8A1-11F1-BE4D-F35E168F60A7  \nseqno:   42   \ncert_index:\n";
    let g = parse_grastate(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((g.uuid.as_str(), g.seqno), (U, 42));
    assert!(!g.safe_to_bootstrap, "absent before 2.1: 0");
}

#[test]
fn bad_grastates_are_errors() {
    assert_eq!(
        parse_grastate("uuid: 1f113d7a\nseqno: 1\n"),
        Err(GraStateError::Bad {
            field: "uuid",
            value: "1f113d7a".into()
        })
    );
    assert_eq!(
        parse_grastate(&CRASHED.replace("seqno:   -1", "seqno:   -7")),
        Err(GraStateError::Bad {
            field: "seqno",
            value: "-7".into()
        })
    );
    assert_eq!(
        parse_grastate("# GALERA saved state\nversion: 2.1\n"),
        Err(GraStateError::Missing("uuid"))
    );
    assert!(
        parse_grastate(&CRASHED.replace("safe_to_bootstrap: 0", "safe_to_bootstrap: yes")).is_err()
    );
}

#[test]
fn a_written_grastate_reads_back_as_its_position() {
    let text = commands::grastate_text(U, 6, true);
    assert_eq!(
        text,
        "# GALERA saved state\nversion: 2.1\nuuid:    1f113d7a-e8a1-11f1-be4d-f35e168f60a7\nseqno:   6\nsafe_to_bootstrap: 1\n"
    );
    let g = parse_grastate(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (g.uuid.as_str(), g.seqno, g.safe_to_bootstrap),
        (U, 6, true)
    );
    let cleared = parse_grastate(&commands::grastate_text(ZERO_UUID, -1, false))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((cleared.uuid.as_str(), cleared.seqno), (ZERO_UUID, -1));
}

#[test]
fn recovered_position() {
    assert_eq!(
        parse_wsrep_recover(RECOVER_LOG),
        RecoverOutput::Position {
            uuid: U.into(),
            seqno: 6,
            gtid: None
        }
    );
    let with_gtid = "2026-11-25  7:23:50 0 [Note] WSREP: Recovered position: 1f113d7a-e8a1-11f1-be4d-f35e168f60a7:1234,0-1-1230\n";
    assert_eq!(
        parse_wsrep_recover(with_gtid),
        RecoverOutput::Position {
            uuid: U.into(),
            seqno: 1234,
            gtid: Some("0-1-1230".into())
        }
    );
    let never = format!("[Note] WSREP: Recovered position: {ZERO_UUID}:-1\n");
    assert_eq!(
        parse_wsrep_recover(&never),
        RecoverOutput::Position {
            uuid: ZERO_UUID.into(),
            seqno: -1,
            gtid: None
        }
    );
}

#[test]
fn no_position_shows_the_tail() {
    let log = "a\nb\n2026-11-25 [ERROR] InnoDB: Unable to lock ./ibdata1 error: 11\n";
    match parse_wsrep_recover(log) {
        RecoverOutput::Nothing(tail) => assert!(tail.contains("Unable to lock"), "{tail}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_wsrep_recover("WSREP: Recovered position: garbage:12\n"),
        RecoverOutput::Nothing(_)
    ));
}

#[test]
fn unresolved_prepared_transactions_are_found() {
    match parse_wsrep_recover(PREPARED_LOG) {
        RecoverOutput::PreparedTransactions(lines) => {
            assert_eq!(lines.len(), 1);
            assert!(lines[0].contains("Found 2 prepared transactions!"));
        }
        other => panic!("{other:?}"),
    }
    let failed = "[ERROR] Crash recovery failed. Either correct the problem (if it's, for example, out of memory error) and restart, or delete tc log and start server with --tc-heuristic-recover={commit|rollback}\n";
    assert!(matches!(
        parse_wsrep_recover(failed),
        RecoverOutput::PreparedTransactions(_)
    ));
    // Resolved by the tc log: an ordinary note, not a stop.
    let resolved = "[Note] Found 1 prepared transaction(s) in InnoDB\n[Note] WSREP: Recovered position: 1f113d7a-e8a1-11f1-be4d-f35e168f60a7:9\n";
    assert!(matches!(
        parse_wsrep_recover(resolved),
        RecoverOutput::Position { seqno: 9, .. }
    ));
}

fn at(name: &str, n: u8, reading: Reading) -> NodePosition {
    NodePosition {
        name: name.into(),
        host: format!("10.77.0.1{n}"),
        container: ContainerState::Exited,
        reading,
    }
}

fn recovered(seqno: i64) -> Reading {
    Reading::Position {
        uuid: U.into(),
        seqno,
        safe_to_bootstrap: false,
        source: Source::WsrepRecover,
    }
}

fn three(a: Reading, b: Reading, c: Reading) -> Vec<NodePosition> {
    vec![at("nodea", 1, a), at("nodeb", 2, b), at("nodec", 3, c)]
}

fn bootstrap_node(choice: &Choice) -> &str {
    match choice {
        Choice::Bootstrap { node, .. } => node,
        other => panic!("expected a bootstrap: {other:?}"),
    }
}

#[test]
fn highest_seqno_wins_and_keeps_the_history() {
    let nodes = three(recovered(40), recovered(42), recovered(41));
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    let Choice::Bootstrap {
        node,
        uuid,
        seqno,
        joiners,
        ..
    } = &choice
    else {
        panic!("{choice:?}")
    };
    assert_eq!((node.as_str(), uuid.as_str(), *seqno), ("nodeb", U, 42));
    let written: Vec<(&str, Option<i64>)> = joiners
        .iter()
        .map(|j| (j.name.as_str(), j.write_seqno))
        .collect();
    assert_eq!(written, vec![("nodea", Some(40)), ("nodec", Some(41))]);
}

#[test]
fn an_empty_node_is_never_a_candidate() {
    let empty = Reading::Position {
        uuid: ZERO_UUID.into(),
        seqno: -1,
        safe_to_bootstrap: true,
        source: Source::Grastate,
    };
    let nodes = three(empty.clone(), recovered(3), Reading::NoData);
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bootstrap_node(&choice), "nodeb");
    let text = render::choice(&choice);
    assert!(text.contains("nodea has no valid position"), "{text}");
    assert!(
        text.contains("nodec has no data of the cluster: it joins by full SST"),
        "{text}"
    );
    let nothing = three(empty, Reading::NoData, Reading::NoData);
    assert!(matches!(
        choose_bootstrap_node(&nothing, &Safety::forced()),
        Err(Refusal::NoValidPosition(_))
    ));
}

#[test]
fn safe_to_bootstrap_confirms_but_never_overrides() {
    let flagged = |seqno| Reading::Position {
        uuid: U.into(),
        seqno,
        safe_to_bootstrap: true,
        source: Source::Grastate,
    };
    let agree = three(recovered(10), flagged(12), recovered(11));
    let choice = choose_bootstrap_node(&agree, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bootstrap_node(&choice), "nodeb");
    assert!(render::choice(&choice).contains("safe_to_bootstrap: 1 on nodeb confirms the choice"));

    let disagree = three(flagged(10), recovered(12), recovered(11));
    let refusal = choose_bootstrap_node(&disagree, &Safety::strict());
    assert_eq!(
        refusal,
        Err(Refusal::SafeToBootstrapDisagrees {
            flagged: "nodea".into(),
            flagged_seqno: 10,
            best: "nodeb".into(),
            best_seqno: 12
        })
    );
    let forced =
        choose_bootstrap_node(&disagree, &Safety::forced()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        bootstrap_node(&forced),
        "nodeb",
        "--force still takes the higher seqno"
    );
}

#[test]
fn different_cluster_uuids_are_refused_and_listed() {
    let other = Reading::Position {
        uuid: OTHER.into(),
        seqno: 99,
        safe_to_bootstrap: false,
        source: Source::Grastate,
    };
    let nodes = three(recovered(5), other, recovered(5));
    let refusal = choose_bootstrap_node(&nodes, &Safety::forced()).err();
    let text = refusal
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        matches!(refusal, Some(Refusal::ClusterUuids(ref l)) if l.len() == 3),
        "{text}"
    );
    assert!(text.contains(&format!("nodeb: {OTHER}:99")), "{text}");
    assert!(text.contains(&format!("nodea: {U}:5")), "{text}");
}

#[test]
fn ties_follow_the_inventory_order_and_say_so() {
    let nodes = three(recovered(7), recovered(9), recovered(9));
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bootstrap_node(&choice), "nodeb");
    assert!(render::choice(&choice)
        .contains("nodeb, nodec are tied at seqno 9: chose nodeb, the first in inventory order"));
}

fn without(names: &[&str]) -> Safety {
    Safety {
        force: false,
        without: names.iter().map(std::string::ToString::to_string).collect(),
    }
}

#[test]
fn an_unreadable_node_is_refused_unless_given_up_by_name_and_then_a_new_history_starts() {
    let nodes = three(
        recovered(4),
        recovered(5),
        Reading::Unreadable("host 10.77.0.99: no SSH connection within 3s".into()),
    );
    for safety in [Safety::strict(), Safety::forced()] {
        let refusal = choose_bootstrap_node(&nodes, &safety)
            .err()
            .map(|r| r.to_string())
            .unwrap_or_default();
        assert!(
            refusal.starts_with("cannot read the position of nodec (host 10.77.0.99: no SSH connection within 3s): that node may be the most advanced, or may still be serving."),
            "{refusal}"
        );
        assert!(
            refusal.contains("pass --force-without nodec: recovery then starts a new history"),
            "{refusal}"
        );
    }
    let choice =
        choose_bootstrap_node(&nodes, &without(&["nodec"])).unwrap_or_else(|e| panic!("{e}"));
    let Choice::Bootstrap {
        node,
        joiners,
        left_out,
        new_history,
        ..
    } = &choice
    else {
        panic!("{choice:?}")
    };
    assert_eq!(node, "nodeb");
    assert!(new_history);
    assert_eq!(joiners.len(), 1);
    assert_eq!(left_out[0].0, "nodec");
    assert_eq!(
        render::actions(&actions(&choice)),
        format!(
            "  1. nodeb: cluster address gcomm:// (bootstrap)  (in parallel)
  2. nodea: cluster address = the other members  (in parallel)
  3. check that nodec still does not answer SQL (else stop here: it may be serving)
  4. nodeb: grastate.dat uuid {ZERO_UUID}, seqno -1, safe_to_bootstrap 1
  5. nodeb: start
  6. nodeb: wait until Primary and Synced
  7. nodeb: cluster address = the other members
  8. nodea: start
  9. nodea: wait until Primary and Synced
 10. verify: nodeb, nodea Synced in one Primary component of 2, one cluster UUID
 11. record the new cluster UUID (nodeb's) as the cluster's history on the hosts of nodeb, nodea
"
        ),
        "a new history: the chosen node's position cleared only after the check, right before its start; none written on the joiner (full SST)"
    );
    assert!(render::choice(&choice).contains(
        "--force-without nodec: given up; the cluster starts a NEW history from nodeb (a new cluster UUID), so nodec can only rejoin by a full copy"
    ));
}

#[test]
fn never_a_bootstrap_beside_a_running_container_that_is_silent() {
    // The safety review's reproduction: nodea and nodeb run but their SQL is filtered from
    // the operator's machine; nodec is stopped cleanly.
    let clean = Reading::Position {
        uuid: U.into(),
        seqno: 100,
        safe_to_bootstrap: true,
        source: Source::Grastate,
    };
    let silent = || Reading::Unreadable("container runs but SQL does not answer".into());
    let mut nodes = three(silent(), silent(), clean);
    nodes[0].container = ContainerState::Running;
    nodes[1].container = ContainerState::Running;
    for safety in [Safety::strict(), Safety::forced(), without(&["nodea"])] {
        let refusal = choose_bootstrap_node(&nodes, &safety);
        assert!(
            matches!(&refusal, Err(Refusal::RunningButSilent(l)) if !l.is_empty()),
            "{safety:?}: {refusal:?}"
        );
    }
    let text = choose_bootstrap_node(&nodes, &Safety::forced())
        .err()
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert!(
        text.starts_with("the container of nodea (container runs but SQL does not answer), nodeb (container runs but SQL does not answer) runs but its SQL does not answer: it may be serving in a Primary component galeractl cannot see, and bootstrapping another beside it would split the cluster in two"),
        "{text}"
    );
    assert!(
        !text.contains("--force"),
        "the refusal does not recommend forcing: {text}"
    );
    // Given up by name: they are stopped (restart policy off) before anything starts, and
    // checked silent again right before the bootstrap.
    let choice = choose_bootstrap_node(&nodes, &without(&["nodea", "nodeb"]))
        .unwrap_or_else(|e| panic!("{e}"));
    let stages = actions(&choice);
    assert_eq!(
        stages[0],
        vec![
            Action::StopGivenUp {
                node: "nodea".into()
            },
            Action::StopGivenUp {
                node: "nodeb".into()
            }
        ]
    );
    let check = stages
        .iter()
        .position(|s| matches!(s.first(), Some(Action::CheckSilent { .. })));
    let start = stages
        .iter()
        .position(|s| matches!(s.first(), Some(Action::Start { .. })));
    assert!(check.is_some() && check < start, "{stages:?}");
}

#[test]
fn a_node_that_refuses_the_monitoring_user_is_never_bootstrapped_beside_nor_given_up() {
    let clean = Reading::Position {
        uuid: U.into(),
        seqno: 100,
        safe_to_bootstrap: true,
        source: Source::Grastate,
    };
    let denied = || {
        Reading::AccessDenied(
            "container c-nodea runs; its SQL: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES))".into(),
        )
    };
    let mut nodes = three(denied(), clean.clone(), clean);
    nodes[0].container = ContainerState::Running;
    for safety in [
        Safety::strict(),
        Safety::forced(),
        without(&["nodea"]),
        Safety {
            force: true,
            without: ["nodea".to_string()].into_iter().collect(),
        },
    ] {
        let refusal = choose_bootstrap_node(&nodes, &safety)
            .err()
            .map(|r| r.to_string())
            .unwrap_or_default();
        assert_eq!(
            refusal,
            "nodea (container c-nodea runs; its SQL: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES))) run and answer SQL but refuse the monitoring user: galeractl cannot read their state, and they may serve in a Primary component, so nothing is bootstrapped beside them and none is given up, whatever is forced; nothing was changed",
            "{safety:?}"
        );
    }
    // Unreachable over SSH (container unknown) and denied: the same.
    nodes[0].container = ContainerState::Unknown(String::new());
    assert!(matches!(
        choose_bootstrap_node(&nodes, &Safety::forced()),
        Err(Refusal::MonitorDenied(_))
    ));
    // Beside a Primary component: left alone, never joined or restarted.
    nodes[1].reading = Reading::Primary {
        uuid: U.into(),
        seqno: 120,
    };
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    let stages = actions(&choice);
    assert!(!format!("{stages:?}").contains("\"nodea\""), "{stages:?}");
}

#[test]
fn force_without_a_readable_node_is_refused() {
    let nodes = three(recovered(4), recovered(5), recovered(6));
    assert_eq!(
        choose_bootstrap_node(&nodes, &without(&["nodea"])),
        Err(Refusal::WithoutReadable(vec!["nodea".into()]))
    );
}

#[test]
fn a_less_advanced_joiner_never_keeps_safe_to_bootstrap() {
    let flagged = Reading::Position {
        uuid: U.into(),
        seqno: 40,
        safe_to_bootstrap: true,
        source: Source::Grastate,
    };
    let nodes = three(flagged, recovered(42), recovered(41));
    let choice = choose_bootstrap_node(&nodes, &Safety::forced()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bootstrap_node(&choice), "nodeb");
    assert!(actions(&choice).iter().flatten().any(|a| a
        == &Action::WriteGrastate {
            node: "nodea".into(),
            uuid: U.into(),
            seqno: 40,
            safe_to_bootstrap: false
        }));
}

#[test]
fn a_node_resolved_by_heuristic_is_not_chosen_while_another_can_be_and_joins_by_full_copy() {
    let heuristic = Reading::Position {
        uuid: U.into(),
        seqno: 50,
        safe_to_bootstrap: false,
        source: Source::Heuristic,
    };
    let nodes = three(heuristic.clone(), recovered(45), recovered(44));
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bootstrap_node(&choice), "nodeb");
    assert!(actions(&choice).iter().flatten().any(|a| a
        == &Action::WriteGrastate {
            node: "nodea".into(),
            uuid: ZERO_UUID.into(),
            seqno: -1,
            safe_to_bootstrap: false
        }));
    // Alone with a position, it may still bootstrap.
    let alone = three(heuristic, Reading::NoData, Reading::NoData);
    let choice = choose_bootstrap_node(&alone, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bootstrap_node(&choice), "nodea");
}

#[test]
fn prepared_transactions_stop_even_with_force() {
    let nodes = three(
        recovered(4),
        Reading::PreparedTransactions("Found 2 prepared transactions!".into()),
        recovered(5),
    );
    let refusal = choose_bootstrap_node(&nodes, &Safety::forced())
        .err()
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert!(
        refusal.contains("prepared transactions on nodeb"),
        "{refusal}"
    );
    assert!(
        refusal.contains("--tc-heuristic-recover=rollback"),
        "{refusal}"
    );
}

#[test]
fn a_running_primary_means_no_bootstrap() {
    let mut nodes = three(
        Reading::Primary {
            uuid: U.into(),
            seqno: 50,
        },
        recovered(45),
        Reading::Unreadable("no answer".into()),
    );
    nodes[0].container = ContainerState::Running;
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    let Choice::JoinPrimary {
        primary, joiners, ..
    } = &choice
    else {
        panic!("{choice:?}")
    };
    assert_eq!(primary, &vec!["nodea".to_string()]);
    assert_eq!(joiners.len(), 1);
    assert_eq!(joiners[0].name, "nodeb");
    let stages = actions(&choice);
    // The running Primary is not stopped or started; only its config file is made sure to
    // name the others (a bootstrap address left by an interrupted run would form a second
    // cluster on its next restart).
    let on_nodea: Vec<&Action> = stages
        .iter()
        .flatten()
        .filter(|a| a.node() == Some("nodea"))
        .collect();
    assert_eq!(
        on_nodea,
        vec![&Action::WriteConfig {
            node: "nodea".into(),
            bootstrap: false
        }],
        "{stages:?}"
    );
    assert!(
        !stages.iter().flatten().any(|a| matches!(
            a,
            Action::WriteConfig {
                bootstrap: true,
                ..
            }
        )),
        "{stages:?}"
    );
    // A stopped node ahead of the running Primary: its extra rows would be lost by an SST.
    let mut ahead = nodes.clone();
    ahead[1].reading = recovered(60);
    assert!(matches!(
        choose_bootstrap_node(&ahead, &Safety::strict()),
        Err(Refusal::AheadOfPrimary {
            seqno: 60,
            primary_seqno: 50,
            ..
        })
    ));
    // Forced: it joins by a full copy (its position thrown away), never by IST on top of its
    // own later transactions.
    let forced = choose_bootstrap_node(&ahead, &Safety::forced()).unwrap_or_else(|e| panic!("{e}"));
    assert!(actions(&forced).iter().flatten().any(|a| a
        == &Action::WriteGrastate {
            node: "nodeb".into(),
            uuid: ZERO_UUID.into(),
            seqno: -1,
            safe_to_bootstrap: false
        }));
    let text = choose_bootstrap_node(&ahead, &Safety::strict())
        .err()
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert!(
        text.contains("apply IST on top of them (silent divergence)") && !text.contains("replace"),
        "{text}"
    );
    // Two Primary components: a split, never touched.
    let mut split = three(
        Reading::Primary {
            uuid: U.into(),
            seqno: 50,
        },
        Reading::Primary {
            uuid: OTHER.into(),
            seqno: 3,
        },
        recovered(1),
    );
    split[1].container = ContainerState::Running;
    assert!(matches!(
        choose_bootstrap_node(&split, &Safety::forced()),
        Err(Refusal::SplitPrimary(_))
    ));
}

#[test]
fn actions_bootstrap_then_join_one_at_a_time_and_leave_no_bootstrap_flag() {
    let mut nodes = three(recovered(8), recovered(9), Reading::NoData);
    nodes[2].container = ContainerState::Missing;
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    let text = render::actions(&actions(&choice));
    assert_eq!(
        text,
        "  1. nodeb: cluster address gcomm:// (bootstrap)  (in parallel)
  2. nodeb: grastate.dat uuid 1f113d7a-e8a1-11f1-be4d-f35e168f60a7, seqno 9, safe_to_bootstrap 1  (in parallel)
  3. nodea: cluster address = the other members  (in parallel)
  4. nodea: grastate.dat uuid 1f113d7a-e8a1-11f1-be4d-f35e168f60a7, seqno 8, safe_to_bootstrap 0  (in parallel)
  5. nodec: create the cluster's directories and secrets  (in parallel)
  6. nodec: cluster address = the other members  (in parallel)
  7. nodeb: start
  8. nodeb: wait until Primary and Synced
  9. nodeb: cluster address = the other members
 10. nodea: start
 11. nodea: wait until Primary and Synced
 12. nodec: create and start
 13. nodec: wait until Primary and Synced
 14. verify: nodeb, nodea, nodec Synced in one Primary component of 3, one cluster UUID
"
    );
}

#[test]
fn positions_table_golden() {
    let mut nodes = vec![
        at("nodea", 1, recovered(40)),
        at(
            "nodeb",
            2,
            Reading::Position {
                uuid: U.into(),
                seqno: 42,
                safe_to_bootstrap: true,
                source: Source::Grastate,
            },
        ),
        at("nodec", 3, Reading::NoData),
        at(
            "noded",
            4,
            Reading::Unreadable("host 10.77.0.14: no SSH connection within 3s".into()),
        ),
        at(
            "nodee",
            5,
            Reading::Primary {
                uuid: U.into(),
                seqno: 42,
            },
        ),
    ];
    nodes[2].container = ContainerState::Missing;
    nodes[3].container = ContainerState::Unknown(String::new());
    nodes[4].container = ContainerState::Running;
    assert_eq!(
        render::positions(&nodes),
        include_str!("../../tests/golden/recover-positions.txt")
    );
}

mod pc_recovery {
    use crate::recover::*;

    const UUID: &str = "10a08d6f-e8a6-11f1-b9f3-2379e26ad661";

    /// gvwstate.dat of nodeb, captured on the lab after `docker kill` of all three nodes.
    fn view(my: &str) -> String {
        format!(
            "my_uuid: {my}\n#vwbeg\nview_id: 3 11662492-e8a6-11f1-8101-fa1710cecab4 5\nbootstrap: 0\nmember: 11662492-e8a6-11f1-8101-fa1710cecab4 0\nmember: 147a2108-e8a6-11f1-b4c4-977ecac417c2 0\nmember: 196c91c9-e8a6-11f1-ac84-6e9b63b6021e 0\n#vwend\n"
        )
    }

    const IDS: [&str; 3] = [
        "11662492-e8a6-11f1-8101-fa1710cecab4",
        "147a2108-e8a6-11f1-b4c4-977ecac417c2",
        "196c91c9-e8a6-11f1-ac84-6e9b63b6021e",
    ];

    fn crashed(name: &str, seqno: i64) -> NodePosition {
        NodePosition {
            name: name.into(),
            host: format!("h-{name}"),
            container: ContainerState::Exited,
            reading: Reading::Position {
                uuid: UUID.into(),
                seqno,
                safe_to_bootstrap: false,
                source: Source::WsrepRecover,
            },
        }
    }

    fn all() -> (Vec<NodePosition>, Vec<Option<SavedView>>) {
        let nodes = vec![
            crashed("nodea", 8),
            crashed("nodeb", 9),
            crashed("nodec", 8),
        ];
        let views = IDS.iter().map(|id| parse_gvwstate(&view(id))).collect();
        (nodes, views)
    }

    #[test]
    fn parses_a_saved_view() {
        let v = parse_gvwstate(&view(IDS[2])).unwrap_or_else(|| panic!("no view"));
        assert_eq!(v.my_uuid, IDS[2]);
        assert_eq!(v.view_id, "3 11662492-e8a6-11f1-8101-fa1710cecab4 5");
        assert_eq!(v.members.len(), 3);
        assert_eq!(parse_gvwstate("my_uuid: x\n"), None);
    }

    #[test]
    fn every_member_with_one_view_restarts_together_keeping_each_seqno() {
        let (nodes, views) = all();
        let choice =
            choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
        let stages = pc_recovery(&choice, &nodes, &views).unwrap_or_else(|e| panic!("{e}"));
        let text = render::actions(&stages);
        assert!(text.contains("nodeb: grastate.dat uuid 10a08d6f-e8a6-11f1-b9f3-2379e26ad661, seqno 9, safe_to_bootstrap 0"), "{text}");
        assert!(!text.contains("gcomm:// (bootstrap)"), "{text}");
        assert!(!text.contains("safe_to_bootstrap 1"), "{text}");
        assert!(
            text.contains("re-form one Primary component by themselves"),
            "{text}"
        );
    }

    #[test]
    fn any_doubt_takes_the_bootstrap_path() {
        let (nodes, views) = all();
        let choice =
            choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
        // A node that saved no view (it left cleanly before the others crashed).
        let mut v = views.clone();
        v[1] = None;
        assert_eq!(
            pc_recovery(&choice, &nodes, &v).err().as_deref(),
            Some("nodeb saved no Primary view (gvwstate.dat)")
        );
        // Views that differ.
        let mut v = views.clone();
        v[2] = parse_gvwstate(
            &view(IDS[2])
                .replace("view_id: 3 ", "view_id: 3 x")
                .replace(" 5\n", " 4\n"),
        );
        assert!(pc_recovery(&choice, &nodes, &v).is_err());
        // A view of two members for three nodes.
        let two: Vec<Option<SavedView>> = views
            .iter()
            .map(|v| {
                v.clone().map(|mut v| {
                    v.members.remove(IDS[0]);
                    v
                })
            })
            .collect();
        assert!(pc_recovery(&choice, &nodes, &two).is_err());
        // A node never initialised.
        let mut n = nodes.clone();
        n[2].reading = Reading::NoData;
        let choice2 =
            choose_bootstrap_node(&n, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
        assert!(pc_recovery(&choice2, &n, &views).is_err());
    }
}

#[test]
fn a_stopped_node_of_another_history_is_never_joined_to_a_running_primary() {
    let mut nodes = three(
        Reading::Primary {
            uuid: U.into(),
            seqno: 50,
        },
        recovered(45),
        Reading::Position {
            uuid: "0a1b2c3d-c0b0-11ef-8a6e-7e0a8f3a1b11".into(),
            seqno: 7,
            safe_to_bootstrap: false,
            source: Source::Grastate,
        },
    );
    nodes[0].container = ContainerState::Running;
    let refusal = choose_bootstrap_node(&nodes, &Safety::strict())
        .err()
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert_eq!(
        refusal,
        format!("nodec (0a1b2c3d-c0b0-11ef-8a6e-7e0a8f3a1b11:7) holds another history than the running Primary component ({U}): a full copy would overwrite it. If they were given up (recover --force-without) or their data is saved, pass --force: their position is thrown away and they join by a full copy")
    );
    // Forced (a node given up earlier by --force-without): a full copy, said in the notes.
    let choice = choose_bootstrap_node(&nodes, &Safety::forced()).unwrap_or_else(|e| panic!("{e}"));
    assert!(actions(&choice).iter().flatten().any(|a| a
        == &Action::WriteGrastate {
            node: "nodec".into(),
            uuid: ZERO_UUID.into(),
            seqno: -1,
            safe_to_bootstrap: false
        }));
}

#[test]
fn a_node_resolved_by_heuristic_never_takes_the_pc_recovery_path() {
    let heuristic = Reading::Position {
        uuid: U.into(),
        seqno: 12,
        safe_to_bootstrap: false,
        source: Source::Heuristic,
    };
    let nodes = three(recovered(10), heuristic, recovered(9));
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bootstrap_node(&choice), "nodea");
    let ids = ["a1", "b1", "c1"];
    let views: Vec<Option<SavedView>> = ids
        .iter()
        .map(|me| {
            Some(SavedView {
                my_uuid: me.to_string(),
                view_id: "v7".into(),
                members: ids.iter().map(std::string::ToString::to_string).collect(),
            })
        })
        .collect();
    assert_eq!(
        pc_recovery(&choice, &nodes, &views).err().as_deref(),
        Some("nodeb's prepared transactions were resolved by heuristic")
    );
}

#[test]
fn nodes_that_wait_non_primary_are_stopped_then_read_again() {
    let waiting = || Reading::WaitingNonPrimary("its last view is non-Primary".into());
    let mut nodes = three(waiting(), waiting(), recovered(7));
    nodes[0].container = ContainerState::Running;
    nodes[1].container = ContainerState::Running;
    let choice = choose_bootstrap_node(&nodes, &Safety::strict()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        render::actions(&actions(&choice)),
        "  1. nodea: stop its container (it waits non-Primary: 10s grace, then killed)  (in parallel)
  2. nodeb: stop its container (it waits non-Primary: 10s grace, then killed)  (in parallel)
"
    );
    assert!(render::choice(&choice).starts_with(
        "choice: nothing serves and nodea, nodeb wait non-Primary: stop them, then read every position again and choose\n"
    ));
    // Beside a running node that says nothing of itself: still a refusal.
    let mut silent = nodes.clone();
    silent[1].reading = Reading::Unreadable("SQL does not answer".into());
    assert!(matches!(
        choose_bootstrap_node(&silent, &Safety::strict()),
        Err(Refusal::RunningButSilent(_))
    ));
    // Beside a Primary component: only joiners, the waiting node left alone.
    let mut primary = nodes;
    primary[2].reading = Reading::Primary {
        uuid: U.into(),
        seqno: 9,
    };
    primary[2].container = ContainerState::Running;
    assert!(matches!(
        choose_bootstrap_node(&primary, &Safety::strict()),
        Ok(Choice::JoinPrimary { .. })
    ));
}
