//! The lab, as the end-to-end tests see it: its inventory, ssh to its hosts, SQL to its nodes.
//! With CI=true a missing lab is a failure, never a skip.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

pub struct Lab {
    pub out: PathBuf,
}

pub const HOSTS: [&str; 3] = ["10.77.0.11", "10.77.0.12", "10.77.0.13"];
/// The hosts beyond the three of lab.toml (`lab/lab up 5`), for clusters that grow.
pub const MORE_HOSTS: [&str; 2] = ["10.77.0.14", "10.77.0.15"];

impl Lab {
    /// The lab of `lab/lab up`, or `None` (outside CI) when it is not there.
    pub fn find() -> Option<Lab> {
        let out = super::root().join("lab/out");
        let lab = Lab { out };
        let ready = lab.out.join("lab.toml").exists()
            && lab.out.join("ssh_config").exists()
            && lab.ssh(HOSTS[0], "true").status.success();
        if ready {
            return Some(lab);
        }
        let why = "no lab: lab/out/lab.toml or an ssh answer from 10.77.0.11 is missing; run `lab/lab up`";
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "{why} (CI=true: an end-to-end test without its lab fails)"
        );
        eprintln!("skipped: {why}");
        None
    }

    pub fn inventory(&self, name: &str) -> String {
        self.out.join(name).display().to_string()
    }

    pub fn secret(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join("secrets").join(name))
            .unwrap_or_else(|e| panic!("read secret {name}: {e}"))
            .trim_end()
            .to_string()
    }

    /// Runs a shell command on a lab host (host keys checked by the lab's ssh_config).
    pub fn ssh(&self, host: &str, command: &str) -> Output {
        Command::new("ssh")
            .arg("-F")
            .arg(self.out.join("ssh_config"))
            .args(["-o", "ConnectTimeout=5", host, command])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run ssh: {e}"))
    }

    pub fn ssh_ok(&self, host: &str, command: &str) -> String {
        let out = self.ssh(host, command);
        assert!(
            out.status.success(),
            "ssh {host} {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Removes every container, volume and file of `cluster` from the lab hosts.
    pub fn wipe_cluster(&self, cluster: &str) {
        let more = MORE_HOSTS
            .into_iter()
            .filter(|h| self.ssh(h, "true").status.success());
        for host in HOSTS.into_iter().chain(more) {
            self.ssh_ok(
                host,
                &format!(
                    "ids=$(docker ps -aq --filter label=io.galeractl.cluster={cluster}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null; \
                     vols=$(docker volume ls -q --filter label=io.galeractl.cluster={cluster}); [ -z \"$vols\" ] || docker volume rm $vols >/dev/null; \
                     rm -rf /etc/galeractl/{cluster}"
                ),
            );
        }
    }

    /// Container ids of `cluster`, per host, in host order.
    pub fn container_ids(&self, cluster: &str) -> Vec<String> {
        HOSTS
            .iter()
            .map(|h| {
                self.ssh_ok(
                    h,
                    &format!(
                        "docker ps -aq --no-trunc --filter label=io.galeractl.cluster={cluster}"
                    ),
                )
            })
            .collect()
    }
}

/// The tests' own administrator over TCP (galeractl's nodes have no network-reachable root):
/// created on first use through `docker exec` on the node, with the root password as its own.
pub const TEST_ADMIN: &str = "galeractl_test";

/// Runs SQL statements as the test administrator on host:port and returns the rows of the last.
pub fn sql(host: &str, port: u16, password: &str, statements: &[&str]) -> Vec<Vec<String>> {
    try_sql(host, port, password, statements).unwrap_or_else(|e| panic!("{e}"))
}

pub fn try_sql(
    host: &str,
    port: u16,
    password: &str,
    statements: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    try_sql_tls(host, port, password, None, statements)
}

/// [`try_sql`], over TLS when `ca` is given: the server's certificate must chain to that CA
/// and name `host`.
pub fn try_sql_tls(
    host: &str,
    port: u16,
    password: &str,
    ca: Option<&std::path::Path>,
    statements: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    match sql_as(TEST_ADMIN, host, port, password, ca, statements) {
        Err(e) if e.contains("Access denied") && e.contains(TEST_ADMIN) => {
            create_test_admin(host, port, password)?;
            sql_as(TEST_ADMIN, host, port, password, ca, statements)
        }
        other => other,
    }
}

/// Creates the test administrator on the node that publishes `port` on `host` (it replicates
/// to the others), or behind the HAProxy that binds it (on the host's network, its
/// configuration names the port), as root through the node's socket, the root password read inside the
/// container from galeractl's secret file (never on a command line).
fn create_test_admin(host: &str, port: u16, password: &str) -> Result<(), String> {
    let lab = Lab {
        out: super::root().join("lab/out"),
    };
    // The node that publishes the port; behind a proxy's port, a node of the proxy's cluster.
    let script = format!(
        "node=label=io.galeractl.node; \
         cid=$(docker ps -q --filter publish={port} --filter $node | head -n 1); \
         if [ -z \"$cid\" ]; then \
           c=$(docker ps --filter publish={port} --format '{{{{.Label \"io.galeractl.cluster\"}}}}' | head -n 1); \
           [ -n \"$c\" ] || c=$(grep -lx ' *bind :{port}' /etc/galeractl/*/haproxy.cfg 2>/dev/null | head -n 1 | xargs -r dirname | xargs -r basename); \
           cid=$(docker ps -q --filter label=io.galeractl.cluster=\"$c\" --filter $node | head -n 1); \
         fi; [ -n \"$cid\" ] && \
         docker exec -i \"$cid\" sh -c 'f=$(mktemp) && \
         printf \"[client]\\nuser=root\\npassword=%s\\n\" \"$(cat /run/secrets/galeractl/root-password)\" >\"$f\" && \
         mariadb --defaults-extra-file=\"$f\"; rc=$?; rm -f \"$f\"; exit $rc'"
    );
    let sql = format!(
        "CREATE USER IF NOT EXISTS '{TEST_ADMIN}'@'%' IDENTIFIED BY '{}';\nGRANT ALL ON *.* TO '{TEST_ADMIN}'@'%' WITH GRANT OPTION;\n",
        password.replace('\\', "\\\\").replace('\'', "\\'")
    );
    let mut child = Command::new("ssh")
        .arg("-F")
        .arg(lab.out.join("ssh_config"))
        .args(["-o", "ConnectTimeout=5", host, &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("ssh: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(sql.as_bytes())
            .map_err(|e| format!("ssh stdin: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("ssh: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{host}:{port}: creating the test administrator failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs SQL statements as `user` (over TLS when `ca` is given) and returns the rows of the
/// last.
pub fn sql_as(
    user: &str,
    host: &str,
    port: u16,
    password: &str,
    ca: Option<&std::path::Path>,
    statements: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async {
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname(host)
            .tcp_port(port)
            .user(Some(user))
            .pass(Some(password))
            .prefer_socket(false)
            .ssl_opts(ca.map(|ca| {
                mysql_async::SslOpts::default().with_root_certs(vec![ca.to_path_buf().into()])
            }));
        let mut conn = tokio::time::timeout(Duration::from_secs(10), mysql_async::Conn::new(opts))
            .await
            .map_err(|_| format!("{host}:{port}: no SQL connection within 10s"))?
            .map_err(|e| format!("{host}:{port}: {e}"))?;
        let mut rows = Vec::new();
        for s in statements {
            let result: Vec<mysql_async::Row> =
                tokio::time::timeout(Duration::from_secs(30), conn.query(*s))
                    .await
                    .map_err(|_| format!("{host}:{port}: {s}: no answer within 30s"))?
                    .map_err(|e| format!("{host}:{port}: {s}: {e}"))?;
            rows = result
                .into_iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| match r.as_ref(i) {
                            Some(mysql_async::Value::NULL) | None => "NULL".to_string(),
                            Some(mysql_async::Value::Bytes(b)) => {
                                String::from_utf8_lossy(b).into_owned()
                            }
                            Some(v) => v.as_sql(true),
                        })
                        .collect()
                })
                .collect();
        }
        let _ = conn.disconnect().await;
        Ok(rows)
    })
}

/// Polls `check` until it returns true or `limit` passes; panics naming `what` on timeout.
pub fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The value of one wsrep status variable, or None when the node does not answer.
pub fn wsrep(host: &str, port: u16, password: &str, name: &str) -> Option<String> {
    try_sql(
        host,
        port,
        password,
        &[&format!("SHOW GLOBAL STATUS LIKE '{name}'")],
    )
    .ok()
    .and_then(|rows| rows.first().and_then(|r| r.get(1).cloned()))
}

impl Lab {
    /// lab.toml as a cluster of a test's own: its name, its ports (mysql, galera, sst, ist),
    /// no proxy, absolute paths to the lab's secrets and keys.
    pub fn cluster_inventory(&self, cluster: &str, ports: [u16; 4]) -> String {
        let source = std::fs::read_to_string(self.out.join("lab.toml"))
            .unwrap_or_else(|e| panic!("read lab.toml: {e}"));
        let source = source.split("[haproxy]").next().unwrap_or_default();
        let out = self.out.display();
        let [mysql, galera, sst, ist] = ports;
        source
            .replace("name = \"local-test\"", &format!("name = \"{cluster}\""))
            .replace("mysql = 4306", &format!("mysql = {mysql}"))
            .replace("galera = 5567", &format!("galera = {galera}"))
            .replace("sst = 5444", &format!("sst = {sst}"))
            .replace("ist = 5568", &format!("ist = {ist}"))
            .replace("\"secrets/", &format!("\"{out}/secrets/"))
            .replace("\"id_ed25519\"", &format!("\"{out}/id_ed25519\""))
            .replace("\"known_hosts\"", &format!("\"{out}/known_hosts\""))
    }

    /// A copy of one of the lab's inventories in `dir`, with its relative paths made absolute
    /// and each `(from, to)` replacement applied, for a test's own cluster.
    pub fn inventory_copy(
        &self,
        source: &str,
        dir: &std::path::Path,
        replacements: &[(&str, &str)],
    ) -> String {
        let out = self.out.display().to_string();
        let mut text = std::fs::read_to_string(self.out.join(source))
            .unwrap_or_else(|e| panic!("read {source}: {e}"))
            .replace("\"secrets/", &format!("\"{out}/secrets/"))
            .replace("\"id_ed25519\"", &format!("\"{out}/id_ed25519\""))
            .replace("\"known_hosts\"", &format!("\"{out}/known_hosts\""));
        for (from, to) in replacements {
            assert!(text.contains(from), "{from:?} not in {source}");
            text = text.replace(from, to);
        }
        let path = dir.join(source);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
        path.display().to_string()
    }
}

/// The lab's host containers, in HOSTS order.
pub const LAB_HOSTS: [&str; 3] = [
    "galeractl-lab-host1",
    "galeractl-lab-host2",
    "galeractl-lab-host3",
];

/// Runs `docker ARGS` on this machine (the lab's host containers); panics when it fails.
pub fn docker_local(args: &[&str]) {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("docker {args:?}: {e}"));
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Lab {
    /// Cuts the power of the given lab hosts at once (their containers are killed with the
    /// host), then turns them on again and waits for their sshd and dockerd.
    pub fn power_cut(&self, hosts: &[usize]) {
        let names: Vec<&str> = hosts.iter().map(|&i| LAB_HOSTS[i]).collect();
        let mut kill = vec!["kill"];
        kill.extend(&names);
        docker_local(&kill);
        let mut start = vec!["start"];
        start.extend(&names);
        docker_local(&start);
        for &i in hosts {
            wait_until(
                &format!("{} to answer ssh after its power cut", HOSTS[i]),
                Duration::from_secs(60),
                || {
                    self.ssh(HOSTS[i], "docker info >/dev/null")
                        .status
                        .success()
                },
            );
        }
    }
}

/// This machine's SQL to a cluster's published port dropped on every lab host (in the raw
/// table, before Docker's DNAT: only that port and only from here); removed when dropped, also
/// when the test fails.
pub struct SqlFiltered<'a> {
    lab: &'a Lab,
    rule: String,
}

impl<'a> SqlFiltered<'a> {
    pub fn on(lab: &'a Lab, port: u16) -> SqlFiltered<'a> {
        let rule = format!("-t raw -p tcp -s 10.77.0.1 --dport {port} -j DROP");
        for host in HOSTS {
            lab.ssh_ok(host, &format!("iptables -I PREROUTING {rule}"));
        }
        SqlFiltered { lab, rule }
    }
}

impl Drop for SqlFiltered<'_> {
    fn drop(&mut self) {
        for host in HOSTS {
            let _ = self.lab.ssh(
                host,
                &format!("while iptables -D PREROUTING {}; do :; done", self.rule),
            );
        }
    }
}

impl Lab {
    /// Each node container of `cluster` (nodea..nodec on HOSTS): its id, state and start
    /// time. Unchanged means untouched.
    pub fn node_containers(&self, cluster: &str) -> Vec<String> {
        let format = "'{{.Id}} {{.State.Status}} {{.State.StartedAt}}'";
        HOSTS
            .iter()
            .zip(["nodea", "nodeb", "nodec"])
            .map(|(host, node)| {
                self.ssh_ok(
                    host,
                    &format!("docker inspect -f {format} {cluster}-{node}"),
                )
            })
            .collect()
    }
}
