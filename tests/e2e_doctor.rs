//! End to end on the lab: `doctor` on a cluster of its own ("doctor", ports 4436/5717/5594/
//! 5718). In order: a new cluster (its monitor user granted REFERENCES by `up`) is clean: exit
//! 0; without the grant: exit 2, naming it; granted again through `galeractl sql`: exit 0; then
//! a MyISAM table, a table without a primary key holding a 3 MB row and max_allowed_packet at
//! 1 MiB on every node: each reported with its fixing SQL, exit 1; that very SQL run: exit 0.

mod support;
use std::process::Output;
use std::time::Duration;

use support::lab::{sql, Lab, HOSTS};
use support::*;

const CLUSTER: &str = "doctor";
const PORT: u16 = 4436;
const NODES: [&str; 3] = ["nodea", "nodeb", "nodec"];

fn doctor(inv: &str) -> (Option<i32>, String) {
    let out: Output = galeractl(&["doctor", inv]);
    (out.status.code(), text(&out.stdout) + &text(&out.stderr))
}

/// The SQL of each finding line (after `; SQL: `).
fn sql_of(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split_once("; SQL: ").map(|(_, s)| s.to_string()))
        .collect()
}

/// Runs one query as galeractl's monitor user on the first node.
fn as_monitor(password: &str, query: &str) -> Result<(), String> {
    use mysql_async::prelude::Queryable;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname(HOSTS[0])
            .tcp_port(PORT)
            .user(Some("galeractl_monitor"))
            .pass(Some(password))
            .prefer_socket(false);
        let work = async {
            let mut conn = mysql_async::Conn::new(opts)
                .await
                .map_err(|e| e.to_string())?;
            let rows: Vec<mysql_async::Row> = conn.query(query).await.map_err(|e| e.to_string())?;
            let _ = conn.disconnect().await;
            Ok::<usize, String>(rows.len())
        };
        tokio::time::timeout(Duration::from_secs(10), work)
            .await
            .map_err(|_| "no answer within 10s".to_string())?
            .map(|_| ())
    })
}

#[test]
fn doctor_reports_each_problem_with_its_fix_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_doctor");
    let inv = dir.join("doctor.toml");
    std::fs::write(
        &inv,
        lab.cluster_inventory(CLUSTER, [PORT, 5717, 5594, 5718]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let inv = inv.display().to_string();
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &inv]);

    // A new cluster: `up` gave the monitor user REFERENCES, so it sees every table; clean.
    let (code, out) = doctor(&inv);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "cluster doctor: no findings\n")
    );
    // Without it (a cluster made before `up` granted it), doctor cannot check and names the
    // grant; given back through `galeractl sql`, clean again.
    galeractl_ok(&[
        "sql",
        "-i",
        &inv,
        "--",
        "-e",
        "REVOKE REFERENCES ON *.* FROM 'galeractl_monitor'@'%'",
    ]);
    let (code, out) = doctor(&inv);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("not checked: tables: the monitor user galeractl_monitor sees only the tables it has a privilege on; give it REFERENCES, which reads no data, once: galeractl sql -- -e \"GRANT REFERENCES ON *.* TO 'galeractl_monitor'@'%'\"\n"),
        "{out}"
    );
    galeractl_ok(&[
        "sql",
        "-i",
        &inv,
        "--",
        "-e",
        "GRANT REFERENCES ON *.* TO 'galeractl_monitor'@'%'",
    ]);
    let (code, out) = doctor(&inv);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "cluster doctor: no findings\n")
    );

    // Still no row is readable by the monitor user.
    let monitor = lab.secret("monitor-password");
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database doc",
            "create table doc.secret (id int primary key)",
        ],
    );
    let read = as_monitor(&monitor, "SELECT id FROM doc.secret");
    assert!(
        read.as_ref()
            .is_err_and(|e| e.contains("SELECT command denied")),
        "{read:?}"
    );

    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create table doc.legacy (id int primary key, line varchar(100)) engine=MyISAM",
            "create table doc.blobs (name varchar(20), body longblob) engine=InnoDB",
            "insert into doc.blobs values ('big', repeat('x', 3000000))",
            // The row's size reaches information_schema with the table's statistics: after
            // ANALYZE TABLE (as after an import), or once a tenth of its rows changed.
            "analyze table doc.blobs",
        ],
    );
    for host in HOSTS {
        sql(
            host,
            PORT,
            &root,
            &["set global max_allowed_packet = 1048576"],
        );
    }
    let expected = vec![
        "ALTER TABLE `doc`.`legacy` ENGINE=InnoDB;".to_string(),
        "ALTER TABLE `doc`.`blobs` ADD COLUMN `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT INVISIBLE PRIMARY KEY FIRST;".to_string(),
        "SET GLOBAL max_allowed_packet = 67108864;".to_string(),
        "SET GLOBAL max_allowed_packet = 67108864;".to_string(),
        "SET GLOBAL max_allowed_packet = 67108864;".to_string(),
    ];
    let (code, last) = doctor(&inv);
    assert_eq!((code, sql_of(&last)), (Some(1), expected.clone()), "{last}");
    let lines: Vec<&str> = last.lines().collect();
    assert_eq!(lines.len(), 6, "{last}");
    assert!(
        lines[0].starts_with("non-innodb doc.legacy: engine MyISAM: "),
        "{last}"
    );
    assert!(
        lines[1].starts_with("no-primary-key doc.blobs: no primary key: "),
        "{last}"
    );
    for (line, node) in lines[2..5].iter().zip(NODES) {
        assert!(
            line.starts_with(&format!("max-allowed-packet {node}: max_allowed_packet=1048576 is smaller than the largest row seen (")),
            "{last}"
        );
        assert!(line.contains("bytes on average in doc.blobs): writing or importing such a row fails with ERROR 2006 (MySQL server has gone away)"), "{last}");
    }
    assert_eq!(lines[5], "cluster doctor: 5 findings");

    // The JSON document says the same.
    let json = galeractl(&["doctor", &inv, "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}"));
    let checks: Vec<&str> = doc["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["check"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        checks,
        [
            "non-innodb",
            "no-primary-key",
            "max-allowed-packet",
            "max-allowed-packet",
            "max-allowed-packet"
        ]
    );
    assert_eq!(doc["exit_code"], 1);

    // The SQL it gave fixes it: tables on one node (replicated), the variable on each.
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[expected[0].as_str(), expected[1].as_str()],
    );
    for host in HOSTS {
        sql(host, PORT, &root, &[expected[2].as_str()]);
    }
    let (code, out) = doctor(&inv);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "cluster doctor: no findings\n")
    );

    lab.wipe_cluster(CLUSTER);
}
