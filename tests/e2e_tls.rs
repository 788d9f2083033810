//! End to end on the lab: a cluster with `[tls]` ("tlstest", ports 4446/5727/5604/5728,
//! mariabackup SST, require_secure_transport, HAProxy on 10.77.0.11 at 3356, stats 4459, health
//! 9250). In order: TLS asked of a running plaintext cluster is refused (exit 3, the operator's
//! plan printed, no container touched), and that plan followed: a backup without TLS restored
//! into the TLS cluster, its rows there; the health endpoints and a client through HAProxy over
//! verified TLS; with the lab's network captured on its bridge (tcpdump on the Galera, SST and
//! IST ports), rows carrying a known value are written while a node rejoins by IST and another,
//! its data removed, by a full SST: the capture holds the transfers' traffic, no packet dropped,
//! and not one copy of the value, which the new node's data file holds in the clear; a client
//! without TLS is refused; root cannot log in over the network on any node; a certificate made
//! anew is reloaded by `up` without a restart; a rolling restart of one node through HAProxy's
//! HTTPS stats; turning TLS off on the running cluster is refused.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use galeractl::galera::{catch_up, CatchUp};
use support::lab::{sql, sql_as, try_sql_tls, wait_until, Lab, HOSTS, TEST_ADMIN};
use support::*;

const CLUSTER: &str = "tlstest";
const PORT: u16 = 4446;
const GALERA: u16 = 5727;
const SST: u16 = 5604;
const IST: u16 = 5728;
const NODES: [&str; 3] = ["nodea", "nodeb", "nodec"];
/// The cluster's HAProxy on HOSTS[0], and each node's health endpoint.
const PROXY: u16 = 3356;
const CHECK: u16 = 9250;

/// The health endpoint's answer: its status line and body.
fn health(host: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect((host, CHECK)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

/// The TLS inventory and a plaintext one of the same cluster with nodea only, in `dir` (both
/// with a backup user).
fn inventories(lab: &Lab, dir: &Path) -> (String, String) {
    let backup_password = dir.join("backup-password");
    std::fs::write(&backup_password, "backup-pw-for-tls\n").unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&backup_password, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let plain = lab
        .cluster_inventory(CLUSTER, [PORT, GALERA, SST, IST])
        .replace(
            "distribute_image = true\n",
            &format!(
                "distribute_image = true\nsst_method = \"mariabackup\"\nbackup_password_file = \"{}\"\n",
                backup_password.display()
            ),
        );
    let tls = format!(
        "{plain}\n[haproxy]\nhost = \"{}\"\nimage = \"galeractl-lab/haproxy:2.6\"\nport = {PROXY}\nstats_port = 4459\ncheck_port = {CHECK}\nstats_user = \"admin\"\nstats_password_file = \"{}\"\ncheck_bind = \"node\"\n\n[tls]\nenabled = true\nrequire_secure_transport = true\n",
        HOSTS[0],
        lab.out.join("secrets/haproxy-stats-password").display()
    );
    let one = plain
        .split("[[nodes]]\nname = \"nodeb\"")
        .next()
        .unwrap_or_default()
        .to_string();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
        path.display().to_string()
    };
    let full_plain = write("plain.toml", &plain);
    let _ = full_plain;
    (write("tls.toml", &tls), write("plain-one.toml", &one))
}

fn sql_tls(ca: &Path, host: &str, root: &str, statements: &[&str]) -> Vec<Vec<String>> {
    try_sql_tls(host, PORT, root, Some(ca), statements).unwrap_or_else(|e| panic!("{e}"))
}

/// The machine's interface on the lab's network (its Docker bridge, 10.77.0.1).
fn lab_bridge() -> String {
    let out = Command::new("ip")
        .args(["-o", "-4", "addr", "show"])
        .output()
        .unwrap_or_else(|e| panic!("ip: {e}"));
    text(&out.stdout)
        .lines()
        .find(|l| l.contains(" 10.77.0.1/"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no interface with 10.77.0.1 on this machine"))
        .to_string()
}

/// tcpdump on the lab's bridge, ended (SIGINT, by its own pid) when dropped.
struct Capture {
    child: Child,
}

impl Capture {
    fn start(file: &Path) -> Capture {
        let filter = format!("tcp and (port {GALERA} or port {SST} or port {IST})");
        let child = Command::new("tcpdump")
            // A 64 MiB buffer: the SST's burst must not be dropped by the kernel.
            .args([
                "-i",
                &lab_bridge(),
                "-s",
                "0",
                "-B",
                "65536",
                "-U",
                "-n",
                "-w",
            ])
            .arg(file)
            .arg(&filter)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("tcpdump (apt-get install tcpdump): {e}"));
        // tcpdump creates the file once it listens.
        wait_until("tcpdump to listen", Duration::from_secs(10), || {
            file.exists()
        });
        Capture { child }
    }

    /// Ends the capture and returns tcpdump's own report (packets captured and dropped).
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let mut report = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut report);
        }
        let _ = self.child.wait();
        report
    }
}

/// Packets of a capture file on `port`.
fn packets(file: &Path, port: u16) -> usize {
    {
        let out = Command::new("tcpdump")
            .args(["-n", "-r"])
            .arg(file)
            .arg(format!("port {port}"))
            .stderr(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("tcpdump -r: {e}"));
        text(&out.stdout).lines().count()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn insert_marked(ca: &Path, root: &str, marker: &str, from: u32, count: u32) {
    let values: Vec<String> = (from..from + count)
        .map(|i| format!("({i}, '{marker}-{i}')"))
        .collect();
    sql_tls(
        ca,
        HOSTS[0],
        root,
        &[&format!("insert into tls.t values {}", values.join(", "))],
    );
}

fn node_log(lab: &Lab, host: &str, node: &str) -> String {
    let out = lab.ssh(host, &format!("docker logs {CLUSTER}-{node} 2>&1"));
    text(&out.stdout)
}

#[test]
fn tls_cluster_encrypts_every_connection_between_hosts() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    lab.wipe_cluster(CLUSTER);
    let dir = scratch("tls");
    let (inv, plain_one) = inventories(&lab, &dir);
    let certs = dir.join(format!("{CLUSTER}-tls"));
    let _ = std::fs::remove_dir_all(&certs);
    let ca = certs.join("ca.crt");

    // TLS asked of a running plaintext cluster: refused, the plan printed, nothing touched.
    galeractl_ok(&["up", &plain_one]);
    let before = lab.container_ids(CLUSTER);
    let out = galeractl(&["up", &inv]);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "up with [tls] on plaintext:\n{err}"
    );
    assert!(
        err.contains("refusing to turn TLS on on a running cluster, nothing was changed: nodea run without TLS"),
        "{err}"
    );
    assert!(
        err.contains("galeractl backup") && err.contains("galeractl restore"),
        "{err}"
    );
    assert_eq!(lab.container_ids(CLUSTER), before, "containers changed");
    println!("refusal: {}", err.trim_end());

    // The refusal's plan, followed: rows written, a backup without TLS, a restore with it.
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database tls",
            "create table tls.t (id int primary key, v varchar(64) not null)",
            "insert into tls.t values (1000, 'before-tls'), (1001, 'before-tls')",
        ],
    );
    let backups = dir.join("backups");
    let _ = std::fs::remove_dir_all(&backups);
    let backups_arg = backups.display().to_string();
    galeractl_ok(&["backup", &plain_one, "--to", &backups_arg]);
    let backup = std::fs::read_dir(&backups)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path().display().to_string())
        .next()
        .unwrap_or_else(|| panic!("no backup in {backups_arg}"));

    // The TLS cluster forms from it; the CA key and node keys are 0600 here and on the hosts.
    let started = Instant::now();
    let out = galeractl(&["restore", &backup, &inv, "--replace", "--yes"]);
    assert!(out.status.success(), "restore: {}", text(&out.stderr));
    println!(
        "restore with TLS from a plaintext backup: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let kept = sql_tls(&ca, HOSTS[2], &root, &["select count(*) from tls.t"]);
    assert_eq!(kept, vec![vec!["2".to_string()]]);
    // Then `up`: HAProxy and its health endpoints, with TLS.
    galeractl_ok(&["up", &inv]);
    use std::os::unix::fs::PermissionsExt;
    for file in ["ca.key", "nodea.key", "nodeb.key", "nodec.key"] {
        let mode = std::fs::metadata(certs.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    for (host, node) in HOSTS.iter().zip(NODES) {
        let stat = lab.ssh_ok(
            host,
            &format!("stat -c '%a %u' /etc/galeractl/{CLUSTER}/tls-{node}.key; ls /etc/galeractl/{CLUSTER}"),
        );
        assert!(stat.starts_with("600 999\n"), "{host}: {stat}");
        assert!(
            !stat.contains("ca.key"),
            "{host}: the CA key left this machine: {stat}"
        );
    }
    // The health endpoints ask their node over verified TLS; a TLS client gets in through
    // HAProxy (each node's certificate names the proxy's address too).
    for host in HOSTS {
        wait_until(
            &format!("{host}'s health endpoint to answer 200"),
            Duration::from_secs(30),
            || health(host).starts_with("HTTP/1.1 200 OK"),
        );
    }
    // Each health endpoint is published on its node's address only.
    for (host, node) in HOSTS.iter().zip(NODES) {
        let published = lab.ssh_ok(host, &format!("docker port {CLUSTER}-{node}-check"));
        assert_eq!(
            published.trim(),
            format!("9200/tcp -> {host}:{CHECK}"),
            "{node}"
        );
    }
    let through = sql_as(TEST_ADMIN, HOSTS[0], PROXY, &root, Some(&ca), &["select 1"]);
    assert_eq!(through, Ok(vec![vec!["1".to_string()]]), "through HAProxy");
    // The stats page is HTTPS: galeractl reads it (verified against the CA), plain HTTP does
    // not get it (the stats password would cross the network in the clear).
    let table = galeractl_ok(&["status", &inv]);
    assert!(
        table.contains("nodea UP") && !table.contains("no stats:"),
        "{table}"
    );
    let plain_stats = {
        use std::io::{Read, Write};
        let mut answer = String::new();
        if let Ok(mut s) = std::net::TcpStream::connect((HOSTS[0], 4459)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(b"GET /admin?stats HTTP/1.0\r\n\r\n");
            let _ = s.read_to_string(&mut answer);
        }
        answer
    };
    assert!(!plain_stats.starts_with("HTTP/"), "{plain_stats}");
    let status = galeractl_ok(&["status", &inv, "--json"]);
    assert_eq!(
        status.matches("\"tls_not_after\": \"").count(),
        3,
        "{status}"
    );

    // The capture: rows with a known value written while nodeb rejoins by IST and nodec by a
    // full SST (its container and data removed, then `up`).
    let marker = format!("galeractl-plaintext-{}", std::process::id());
    let capture = Capture::start(&dir.join("lab.pcap"));
    insert_marked(&ca, &root, &marker, 0, 50);
    galeractl_ok(&["stop-node", "nodeb", &inv]);
    insert_marked(&ca, &root, &marker, 100, 50);
    let started = Instant::now();
    let out = galeractl_ok(&["start-node", "nodeb", &inv]);
    assert!(out.contains("caught up by IST ("), "{out}");
    println!(
        "nodeb back by IST over TLS: {:.1}s",
        started.elapsed().as_secs_f64()
    );

    galeractl_ok(&["stop-node", "nodec", &inv]);
    lab.ssh_ok(
        HOSTS[2],
        &format!("docker rm -f {CLUSTER}-nodec >/dev/null && docker volume rm {CLUSTER}-nodec-data >/dev/null"),
    );
    insert_marked(&ca, &root, &marker, 200, 50);
    let started = Instant::now();
    galeractl_ok(&["up", &inv]);
    println!(
        "nodec back by SST over TLS: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let log = node_log(&lab, HOSTS[2], "nodec");
    assert_eq!(catch_up(&log), CatchUp::Sst, "nodec's log:\n{log}");
    assert!(
        log.contains("Decrypting with cert="),
        "nodec's SST was not encrypted:\n{log}"
    );
    // The control: the value is in the clear in the data nodec received, so a transfer in the
    // clear would have shown it in the capture.
    let copies = lab.ssh_ok(
        HOSTS[2],
        &format!(
            "docker exec {CLUSTER}-nodec grep -a -c {marker} /var/lib/mysql/tls/t.ibd || true"
        ),
    );
    assert_ne!(copies.trim(), "0", "the value is not in nodec's data file");
    insert_marked(&ca, &root, &marker, 300, 50);
    for host in HOSTS {
        wait_until(
            &format!("every marked row on {host}"),
            Duration::from_secs(30),
            || {
                try_sql_tls(
                    host,
                    PORT,
                    &root,
                    Some(&ca),
                    &[&format!(
                        "select count(*) from tls.t where v like '{marker}-%'"
                    )],
                )
                .is_ok_and(|r| r == vec![vec!["200".to_string()]])
            },
        );
    }
    let report = capture.stop();
    let pcap = dir.join("lab.pcap");
    let bytes = std::fs::read(&pcap).unwrap_or_else(|e| panic!("pcap: {e}"));
    let (galera, sst, ist) = (
        packets(&pcap, GALERA),
        packets(&pcap, SST),
        packets(&pcap, IST),
    );
    println!(
        "capture: {} bytes; packets galera {galera}, sst {sst}, ist {ist}; tcpdump: {}",
        bytes.len(),
        report.trim().replace('\n', "; ")
    );
    assert!(
        galera > 0 && ist > 0 && sst > 100,
        "the capture missed the transfers"
    );
    assert!(
        bytes.len() > 1 << 20,
        "the SST's bytes are not in the capture"
    );
    assert!(
        !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
        "the capture holds the row value {marker} in the clear"
    );

    // A client without TLS is refused; root has no network login on any node.
    // MariaDB 10.11 answers a client without TLS under require_secure_transport with "Access
    // denied"; the same user and password over TLS get in, so the transport is what is refused.
    match sql_as(TEST_ADMIN, HOSTS[0], PORT, &root, None, &["select 1"]) {
        Ok(_) => panic!("a client without TLS was let in"),
        Err(why) => assert!(why.contains("Access denied"), "{why}"),
    }
    let over_tls = sql_as(TEST_ADMIN, HOSTS[0], PORT, &root, Some(&ca), &["select 1"]);
    assert_eq!(over_tls, Ok(vec![vec!["1".to_string()]]));
    for host in HOSTS {
        match sql_as("root", host, PORT, &root, Some(&ca), &["select 1"]) {
            Ok(_) => panic!("{host}: root logged in over the network"),
            Err(why) => assert!(
                why.contains("Access denied for user 'root'")
                    || why.contains("is not allowed to connect"),
                "{host}: {why}"
            ),
        }
    }

    // Renewal: nodea's certificate made anew on this machine; `up` writes it in place and
    // reloads it, no container is replaced, and a node rejoins by IST afterwards.
    let before = lab.container_ids(CLUSTER);
    std::fs::remove_file(certs.join("nodea.crt")).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    galeractl_ok(&["up", &inv]);
    println!(
        "nodea's certificate renewed: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        lab.container_ids(CLUSTER),
        before,
        "renewal replaced a container"
    );
    let end = galeractl::tls::certs::not_after(&certs.join("nodea.crt"))
        .unwrap_or_else(|| panic!("no new certificate"));
    let served = try_sql_tls(
        HOSTS[0],
        PORT,
        &root,
        Some(&ca),
        &["show global status like 'Ssl_server_not_after'"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let served = served
        .first()
        .and_then(|r| r.get(1))
        .cloned()
        .unwrap_or_default();
    assert!(
        galeractl::tls::certs::same_end(&served, end),
        "nodea serves {served}"
    );
    let again = galeractl_ok(&["up", &inv, "--dry-run"]);
    assert!(!again.contains("renew"), "{again}");
    galeractl_ok(&["stop-node", "nodec", &inv]);
    let out = galeractl_ok(&["start-node", "nodec", &inv]);
    assert!(out.contains("caught up by IST ("), "{out}");

    // A rolling restart of nodeb: drained and put back in HAProxy (its stats read over
    // HTTPS), back by IST (mariabackup's IST told from SST).
    let started = Instant::now();
    let out = galeractl(&["restart", "nodeb", "-i", &inv]);
    assert!(out.status.success(), "restart: {}", text(&out.stderr));
    println!(
        "rolling restart of nodeb over TLS: {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Turning TLS off on the running cluster: refused too.
    let plain_full = dir.join("plain.toml").display().to_string();
    let out = galeractl(&["up", &plain_full]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("refusing to turn TLS off"), "{err}");

    lab.wipe_cluster(CLUSTER);
}
