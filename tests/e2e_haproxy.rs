//! End to end on the lab: HAProxy in front of the nodes, deployed by `up`: the seed's insert
//! through the proxy, the protected stats page, traffic only to healthy nodes (a desynced node
//! gets none), failover when the active node stops under a bounded client loop with no
//! acknowledged write lost, and a proxy left untouched by a second `up`.
// lab-lane: local-test (it uses lab.toml's own cluster, local-test, as other tests do; lab/run-tests)

mod support;
use std::time::{Duration, Instant};

use support::lab::{sql, try_sql, wait_until, Lab, HOSTS};
use support::*;

const PROXY: &str = "10.77.0.11";

fn http_status(url: &str, auth: Option<&str>) -> (String, String) {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-s", "-m", "5", "-w", "\n%{http_code}", url]);
    if let Some(a) = auth {
        cmd.args(["-u", a]);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("curl: {e}"));
    let text = text(&out.stdout);
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", ""));
    (code.to_string(), body.to_string())
}

fn via_proxy(root: &str, statements: &[&str]) -> Result<Vec<Vec<String>>, String> {
    try_sql(PROXY, 3306, root, statements)
}

fn served_by(root: &str) -> Option<String> {
    via_proxy(root, &["select @@wsrep_node_name"])
        .ok()
        .and_then(|r| r.first().and_then(|row| row.first().cloned()))
}

#[test]
fn haproxy_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    lab.wipe_cluster("local-test");
    let inv = lab.inventory("lab.toml");
    let out = galeractl(&["up", inv.as_str()]);
    assert!(
        out.status.success(),
        "up: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Stats page: 401 without credentials, 200 with them, three backends.
    let url = format!("http://{PROXY}:4399/admin?stats");
    assert_eq!(http_status(&url, None).0, "401");
    let auth = format!("admin:{}", lab.secret("haproxy-stats-password"));
    let (code, body) = http_status(&format!("{url};csv"), Some(&auth));
    assert_eq!(code, "200");
    for node in ["nodea", "nodeb", "nodec"] {
        assert!(body.contains(&format!("galera_nodes,{node},")), "{body}");
    }

    // The seed's insert through the proxy reaches every node.
    wait_until("the proxy to serve", Duration::from_secs(30), || {
        served_by(&root).is_some()
    });
    via_proxy(
        &root,
        &[
            "create database hellodb",
            "create table hellodb.students (id int unsigned auto_increment not null primary key, name char(30) not null)",
            "insert into hellodb.students (name) values (\"haproxy\")",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for host in HOSTS {
        let rows = sql(host, 4306, &root, &["select name from hellodb.students"]);
        assert_eq!(rows, vec![vec!["haproxy".to_string()]], "on {host}");
    }
    assert_eq!(
        served_by(&root).as_deref(),
        Some("nodea"),
        "single writer: the first node"
    );

    // status shows the proxy and agrees with the nodes (once HAProxy's checks have risen).
    let line =
        "proxy 10.77.0.11:3306 (stats :4399): nodea UP, nodeb UP (backup), nodec UP (backup)";
    wait_until(
        "status to show every backend UP",
        Duration::from_secs(20),
        || text(&galeractl(&["status", "-i", inv.as_str()]).stdout).contains(line),
    );

    // A second `up` leaves the proxy and the health endpoints alone.
    let ids = lab.container_ids("local-test");
    let out = galeractl(&["up", inv.as_str()]);
    assert!(
        text(&out.stdout).contains("up to date, nothing changed"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(lab.container_ids("local-test"), ids);

    // A desynced node (Donor/Desynced) gets no traffic while so.
    sql(HOSTS[0], 4306, &root, &["SET GLOBAL wsrep_desync=ON"]);
    wait_until(
        "traffic to move off the desynced nodea",
        Duration::from_secs(10),
        || served_by(&root).as_deref() == Some("nodeb"),
    );
    for _ in 0..5 {
        assert_ne!(served_by(&root).as_deref(), Some("nodea"));
    }
    sql(HOSTS[0], 4306, &root, &["SET GLOBAL wsrep_desync=OFF"]);
    wait_until("traffic back on nodea", Duration::from_secs(10), || {
        served_by(&root).as_deref() == Some("nodea")
    });

    // Failover: stop the active node under a bounded client loop of short transactions.
    via_proxy(&root, &["create table hellodb.acks (id int primary key)"])
        .unwrap_or_else(|e| panic!("{e}"));
    let root2 = root.clone();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    let writer = std::thread::spawn(move || {
        let (mut acked, mut failed) = (Vec::new(), 0u32);
        let (mut last_ok, mut longest_gap) = (Instant::now(), Duration::ZERO);
        let started = Instant::now();
        let mut id = 0;
        while started.elapsed() < Duration::from_secs(20) {
            id += 1;
            match try_sql(
                PROXY,
                3306,
                &root2,
                &[&format!("insert into hellodb.acks values ({id})")],
            ) {
                Ok(_) => {
                    acked.push(id);
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    longest_gap = longest_gap.max(last_ok.elapsed());
                    last_ok = Instant::now();
                }
                Err(_) => failed += 1,
            }
        }
        (acked, failed, longest_gap)
    });
    wait_until(
        "the client loop to be writing",
        Duration::from_secs(10),
        || count.load(std::sync::atomic::Ordering::SeqCst) >= 50,
    );
    let out = galeractl(&["stop-node", "nodea", "-i", inv.as_str()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (acked, failed, gap) = writer.join().unwrap_or_else(|_| panic!("writer panicked"));
    eprintln!(
        "failover: {} writes acknowledged, {failed} failed attempts, longest gap between acknowledged writes {gap:?}",
        acked.len()
    );
    assert!(
        acked.len() > 20,
        "too few writes went through: {}",
        acked.len()
    );
    // inter 1s x fall 2, plus the client's own reconnect: well under 4 s.
    assert!(
        gap < Duration::from_secs(4),
        "the proxy took {gap:?} to fail over"
    );
    let out = galeractl(&["start-node", "nodea", "-i", inv.as_str()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for host in HOSTS {
        let rows = sql(
            host,
            4306,
            &root,
            &["select id from hellodb.acks order by id"],
        );
        let present: std::collections::BTreeSet<i64> =
            rows.iter().filter_map(|r| r[0].parse().ok()).collect();
        let lost: Vec<i64> = acked
            .iter()
            .filter(|id| !present.contains(id))
            .copied()
            .collect();
        assert!(
            lost.is_empty(),
            "acknowledged writes missing on {host}: {lost:?}"
        );
    }

    // A new stats password is applied by `up` (the spec label cannot show it): the proxy is
    // restarted with the new configuration; the old password stops working.
    let dir = scratch("e2e_haproxy_rotate");
    let new_password = "rotated-2Kq9zX";
    let pw_file = dir.join("stats-password");
    std::fs::write(&pw_file, new_password).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(
        &pw_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out_dir = lab.out.display().to_string();
    let rotated = lab.inventory_copy(
        "lab.toml",
        &dir,
        &[(
            &format!("\"{out_dir}/secrets/haproxy-stats-password\""),
            &format!("\"{}\"", pw_file.display()),
        )],
    );
    let out = galeractl(&["up", rotated.as_str()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("apply HAProxy's new configuration"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(new_password),
        "the password shows in the log"
    );
    wait_until(
        "the new stats password to work",
        Duration::from_secs(20),
        || http_status(&url, Some(&format!("admin:{new_password}"))).0 == "200",
    );
    assert_eq!(
        http_status(&url, Some(&auth)).0,
        "401",
        "the old password still works"
    );
    let out = galeractl(&["up", rotated.as_str()]);
    assert!(text(&out.stdout).contains("up to date, nothing changed"));
}
