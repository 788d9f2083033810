use super::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A healthy node of a 3-node cluster with galeractl's settings.
fn healthy() -> NodeReading {
    NodeReading {
        status: map(&[
            ("wsrep_ready", "ON"),
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_size", "3"),
            ("wsrep_flow_control_paused", "0.000"),
            ("wsrep_flow_control_sent", "0"),
            ("wsrep_local_cert_failures", "0"),
            ("wsrep_local_bf_aborts", "0"),
            ("wsrep_local_commits", "500"),
            ("wsrep_replicated_bytes", "1000"),
            ("wsrep_received_bytes", "1000"),
            ("Uptime", "600"),
        ]),
        variables: map(&[
            ("max_allowed_packet", "16777216"),
            ("log_output", "FILE"),
            ("auto_increment_increment", "3"),
            ("wsrep_auto_increment_control", "ON"),
            ("innodb_autoinc_lock_mode", "2"),
            ("character_set_server", "utf8mb4"),
            (
                "wsrep_provider_options",
                "base_port = 5567; gcache.page_size = 128M; gcache.size = 128M; gmcast.listen_addr = tcp://0.0.0.0:5567",
            ),
        ]),
        writeset_bytes_later: Some(2000),
        window_ms: 2000,
    }
}

fn table(schema: &str, name: &str, engine: &str) -> TableFacts {
    TableFacts {
        schema: schema.into(),
        name: name.into(),
        engine: engine.into(),
        avg_row_length: 100,
        has_primary_key: true,
        columns: Vec::new(),
        auto_increment_column: None,
    }
}

fn facts(nodes: Vec<(&str, Result<NodeReading, String>)>, tables: Tables) -> Facts {
    Facts {
        cluster: "shop".into(),
        members: 3,
        mariadbd_options: Vec::new(),
        nodes: nodes
            .into_iter()
            .map(|(name, reading)| NodeFacts {
                name: name.into(),
                reading,
            })
            .collect(),
        tables,
    }
}

fn three_healthy(tables: Vec<TableFacts>) -> Facts {
    facts(
        vec![
            ("nodea", Ok(healthy())),
            ("nodeb", Ok(healthy())),
            ("nodec", Ok(healthy())),
        ],
        Tables::Read(tables),
    )
}

#[test]
fn a_clean_cluster_has_no_findings_and_exit_0() {
    let report = examine(&three_healthy(vec![table("app", "orders", "InnoDB")]));
    assert_eq!(report.findings, Vec::new());
    assert_eq!(report.exit_code, 0);
    assert_eq!(render(&report), "cluster shop: no findings\n");
}

#[test]
fn tables_that_galera_does_not_replicate_well() {
    let mut myisam = table("app", "legacy`log", "MyISAM");
    myisam.has_primary_key = false;
    myisam.columns = vec!["id".into(), "line".into()];
    let mut with_counter = table("app", "events", "InnoDB");
    with_counter.has_primary_key = false;
    with_counter.auto_increment_column = Some("seq".into());
    with_counter.columns = vec!["seq".into(), "what".into()];
    let tables = vec![
        myisam,
        table("app", "cache", "MEMORY"),
        table("app", "feed", "CSV"),
        with_counter,
        table("mysql", "user", "Aria"),
    ];
    let report = examine(&three_healthy(tables));
    assert_eq!(report.exit_code, 1);
    assert_eq!(
        render(&report),
        "\
non-innodb app.legacy`log: engine MyISAM: Galera replicates only InnoDB rows; its rows stay on the node that wrote them; convert it to InnoDB (a table copy, replicated as one schema change that blocks writes to it: run it at a quiet time); SQL: ALTER TABLE `app`.`legacy``log` ENGINE=InnoDB;
non-innodb app.cache: engine MEMORY: Galera replicates only InnoDB rows; its rows stay on the node that wrote them; convert it to InnoDB (a table copy, replicated as one schema change that blocks writes to it: run it at a quiet time); SQL: ALTER TABLE `app`.`cache` ENGINE=InnoDB;
non-innodb app.feed: engine CSV: Galera replicates only InnoDB rows; its rows stay on the node that wrote them; convert it to InnoDB if nothing needs the CSV engine, else keep it out of the cluster
no-primary-key app.legacy`log: no primary key: the other nodes apply each of its row changes by a full scan, and deleting one of two equal rows can remove different ones on different nodes; add an invisible AUTO_INCREMENT primary key, which `SELECT *` and INSERTs without a column list do not see (a table copy: run it at a quiet time); SQL: ALTER TABLE `app`.`legacy``log` ADD COLUMN `pk` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT INVISIBLE PRIMARY KEY FIRST;
no-primary-key app.events: no primary key: the other nodes apply each of its row changes by a full scan, and deleting one of two equal rows can remove different ones on different nodes; make its AUTO_INCREMENT column `seq` the primary key if its values are unique
cluster shop: 5 findings
"
    );
}

#[test]
fn a_row_larger_than_max_allowed_packet_is_reported_per_node_with_its_sql() {
    let mut big = table("app", "photos", "InnoDB");
    big.avg_row_length = 3_670_016;
    let mut small = healthy();
    small
        .variables
        .insert("max_allowed_packet".into(), "1048576".into());
    let f = facts(
        vec![("nodea", Ok(small)), ("nodeb", Ok(healthy()))],
        Tables::Read(vec![table("app", "users", "InnoDB"), big]),
    );
    let report = examine(&Facts { members: 2, ..f });
    assert_eq!(
        report.findings.iter().map(|f| f.check).collect::<Vec<_>>(),
        ["members", "max-allowed-packet"]
    );
    assert_eq!(
        report.findings[1],
        Finding {
            check: "max-allowed-packet",
            subject: "nodea".into(),
            problem: "max_allowed_packet=1048576 is smaller than the largest row seen (3670016 bytes on average in app.photos): writing or importing such a row fails with ERROR 2006 (MySQL server has gone away)".into(),
            action: "raise it on this node now (`galeractl sql nodea -e ...`) and for good: \"--max-allowed-packet=64M\" in cluster.mariadbd_options; give the importing client the same --max-allowed-packet".into(),
            sql: Some("SET GLOBAL max_allowed_packet = 67108864;".into()),
        }
    );
    assert_eq!(report.findings[0].problem, "2 members: when one fails or the network splits, no majority is left and every node refuses queries (ERROR 1047)");
}

#[test]
fn the_advised_packet_is_twice_the_row_in_powers_of_two_within_the_servers_limits() {
    const M: u64 = 1 << 20;
    assert_eq!(rules::advised_packet(1000), 64 * M);
    assert_eq!(rules::advised_packet(40 * M), 128 * M);
    assert_eq!(rules::advised_packet(700 * M), 1024 * M);
}

#[test]
fn a_node_not_ready_explains_error_1047_by_what_the_others_do() {
    let mut waiting = healthy();
    waiting.status.insert("wsrep_ready".into(), "OFF".into());
    waiting
        .status
        .insert("wsrep_cluster_status".into(), "non-Primary".into());
    waiting
        .status
        .insert("wsrep_local_state_comment".into(), "Initialized".into());
    let report = examine(&facts(
        vec![("nodea", Ok(waiting.clone())), ("nodeb", Ok(healthy()))],
        Tables::Read(Vec::new()),
    ));
    assert_eq!(
        render(&report),
        "\
not-ready nodea: wsrep_ready=OFF, cluster status non-Primary, state Initialized: it refuses queries with ERROR 1047 (WSREP has not yet prepared node for application use); other nodes serve: it is joining, or cut off from them; see `galeractl status` and `galeractl logs nodea`, and if it stays so, check the network between the hosts (the Galera ports), then `galeractl start-node nodea`
cluster shop: 1 finding
"
    );
    let report = examine(&facts(
        vec![
            ("nodea", Ok(waiting.clone())),
            ("nodeb", Ok(waiting)),
            ("nodec", Err("10.0.0.3:4306: connection refused".into())),
        ],
        Tables::Read(Vec::new()),
    ));
    assert_eq!(report.exit_code, 1);
    assert_eq!(
        report.findings[0].action,
        "no node serves: the cluster lost its quorum; if nodes are down, start them (`galeractl up`), and after an outage of every node run `galeractl recover`"
    );
    assert_eq!(
        report.findings[2],
        Finding {
            check: "no-answer",
            subject: "nodec".into(),
            problem:
                "no SQL answer (10.0.0.3:4306: connection refused): its settings were not checked"
                    .into(),
            action:
                "see `galeractl status`; if its container is stopped, `galeractl start-node nodec`"
                    .into(),
            sql: None,
        }
    );
}

#[test]
fn settings_that_galera_does_not_support() {
    let mut node = healthy();
    for (k, v) in [
        ("log_output", "FILE,TABLE"),
        ("character_set_server", "utf16"),
        ("wsrep_auto_increment_control", "OFF"),
        ("auto_increment_increment", "1"),
        ("innodb_autoinc_lock_mode", "1"),
    ] {
        node.variables.insert(k.into(), v.into());
    }
    let mut f = facts(vec![("nodea", Ok(node))], Tables::Read(Vec::new()));
    f.mariadbd_options = vec![
        "--max-connections=500".into(),
        "--loose-binlog_do_db=app".into(),
        "--binlog-ignore-db=tmp".into(),
    ];
    let report = examine(&f);
    let lines: Vec<(&str, &str, Option<&str>)> = report
        .findings
        .iter()
        .map(|f| (f.check, f.problem.as_str(), f.sql.as_deref()))
        .collect();
    assert_eq!(
        lines,
        [
            ("binlog-filter", "mariadbd option --loose-binlog_do_db=app: Galera's write-sets come from the binary log, so a filtered database's rows are not replicated while its schema changes are, and the nodes drift apart", None),
            ("binlog-filter", "mariadbd option --binlog-ignore-db=tmp: Galera's write-sets come from the binary log, so a filtered database's rows are not replicated while its schema changes are, and the nodes drift apart", None),
            ("log-output", "log_output=FILE,TABLE: the general and slow query logs go to tables (mysql.general_log, mysql.slow_log), which Galera does not replicate", Some("SET GLOBAL log_output = 'FILE';")),
            ("charset", "character_set_server=utf16: Galera does not support ucs2, utf16 or utf32 as the server's character set", None),
            ("auto-increment", "wsrep_auto_increment_control=OFF and auto_increment_increment=1, below the cluster's 3 nodes: inserts on two nodes at once can take the same id, and one fails", Some("SET GLOBAL wsrep_auto_increment_control = ON;")),
            ("auto-increment", "innodb_autoinc_lock_mode=1: Galera needs the interleaved mode (2), or inserts deadlock when applied in parallel", None),
        ]
    );
}

#[test]
fn conflicts_flow_control_and_a_small_gcache() {
    let mut busy = healthy();
    for (k, v) in [
        ("wsrep_local_cert_failures", "30"),
        ("wsrep_local_bf_aborts", "20"),
        ("wsrep_local_commits", "1000"),
        ("wsrep_flow_control_paused", "0.25"),
        // 3 MiB written in the 2 s window: 90 MiB a minute, 180 MiB in 120 s > 128M.
        ("wsrep_replicated_bytes", "1000"),
    ] {
        busy.status.insert(k.into(), v.into());
    }
    busy.writeset_bytes_later = Some(2000 + 3 * (1 << 20));
    let mut slow = healthy();
    slow.status
        .insert("wsrep_flow_control_sent".into(), "12".into());
    let report = examine(&facts(
        vec![("nodea", Ok(busy)), ("nodeb", Ok(slow))],
        Tables::Read(Vec::new()),
    ));
    assert_eq!(
        render(&report),
        "\
conflicts nodea: 50 transactions failed certification or were aborted by another node's (5.0% of its 1000 local commits): several nodes write the same rows at once, and the loser gets ERROR 1213 (deadlock); write through one node at a time ([haproxy] routing = \"single-writer\"), and retry a transaction that fails with a deadlock once
gcache nodea: gcache.size 128.0 MiB keeps less than 120s of writes at 90.0 MiB a minute: a node away that long comes back by a full copy (SST), not IST; set gcache_size = \"512M\" in the inventory's [cluster], then `galeractl up` (a rolling restart)
flow-control shop: replication was paused by flow control 25% of the time (wsrep_flow_control_paused, since the last FLUSH STATUS); the slow node that asked for them: nodeb; give the slow nodes faster disks or more applier threads (\"--wsrep-slave-threads=4\" in cluster.mariadbd_options), or write in smaller transactions
cluster shop: 3 findings
"
    );
}

#[test]
fn what_could_not_be_checked_makes_exit_2() {
    let report = examine(&facts(
        vec![("nodea", Ok(healthy()))],
        Tables::NotRead("the monitor user cannot see them".into()),
    ));
    assert_eq!(report.exit_code, 2);
    assert_eq!(
        render(&report),
        "not checked: tables: the monitor user cannot see them\ncluster shop: no findings; some checks could not run\n"
    );
    let report = examine(&facts(
        vec![("nodea", Err("timeout".into()))],
        Tables::NotRead("no node answered SQL".into()),
    ));
    assert_eq!(report.exit_code, 2);
    assert_eq!(
        report
            .not_checked
            .iter()
            .map(|n| n.check)
            .collect::<Vec<_>>(),
        ["nodes", "tables"]
    );
}

#[test]
fn only_a_global_privilege_that_shows_columns_makes_every_table_visible() {
    let grants = |lines: &[&str]| {
        lines
            .iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert!(!sees_all_tables(&grants(&[
        "GRANT USAGE ON *.* TO `galeractl_monitor`@`%` IDENTIFIED BY PASSWORD '*B2'"
    ])));
    assert!(sees_all_tables(&grants(&[
        "GRANT USAGE ON *.* TO `m`@`%` IDENTIFIED BY PASSWORD '*B2'",
        "GRANT REFERENCES ON *.* TO `m`@`%`",
    ])));
    assert!(sees_all_tables(&grants(&[
        "GRANT SELECT, PROCESS ON *.* TO `m`@`%`"
    ])));
    // SHOW VIEW shows tables but not their columns; a database's grant not the others.
    assert!(!sees_all_tables(&grants(&[
        "GRANT SHOW VIEW ON *.* TO `m`@`%`",
        "GRANT ALL PRIVILEGES ON `app`.* TO `m`@`%`",
    ])));
}
