//! The seed's manual procedure, run on the lab (`lab/lab up`): three `docker run` over ssh of the
//! lab's Galera image form a 3-node cluster. Ports 4316/5587/5464/5588, names seedtest-node*,
//! label io.galeractl.test=seed: nothing collides with the lab's inventories.
//! Uses std, the system `ssh`, and the shared lab discovery of `support::lab`.
//!
//! Without a lab the test only prints a note,
//! except under CI=true, where it fails: CI must bring the lab up first.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const IMAGE: &str = "galeractl-lab/galera:10.11";
const TEST_LABEL: &str = "io.galeractl.test=seed";
const NODES: [&str; 3] = ["nodea", "nodeb", "nodec"];
const MYSQL_PORT: u16 = 4316;
const GALERA_PORT: u16 = 5587;
const SST_PORT: u16 = 5464;
const IST_PORT: u16 = 5588;
const PASSWORD_DIR: &str = "/root/seedtest";

struct Lab {
    ssh_config: PathBuf,
    hosts: Vec<String>,
}

/// The lab of this checkout (`support::lab`: under CI=true a missing lab fails the test).
fn find_lab() -> Option<Lab> {
    let found = support::lab::Lab::find()?;
    Some(Lab {
        ssh_config: found.out.join("ssh_config"),
        hosts: support::lab::HOSTS
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
    })
}

impl Lab {
    fn ssh_command(&self, host: &str, remote: &str) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.arg("-F")
            .arg(&self.ssh_config)
            .args(["-o", "ConnectTimeout=10", "-o", "BatchMode=yes"])
            .arg(host)
            .arg(remote);
        cmd
    }

    /// Runs REMOTE on HOST (its shell parses it), stdin null.
    fn ssh(&self, host: &str, remote: &str) -> Output {
        self.ssh_command(host, remote)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run ssh: {e}"))
    }

    /// Runs REMOTE on HOST with INPUT as its stdin (secrets travel this way, never on argv).
    fn ssh_with_input(&self, host: &str, remote: &str, input: &[u8]) -> Output {
        let mut child = self
            .ssh_command(host, remote)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run ssh: {e}"));
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input)
                .unwrap_or_else(|e| panic!("cannot write to ssh: {e}"));
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("ssh failed: {e}"))
    }

    /// Output of a `docker exec CONTAINER mariadb -N -e SQL` on HOST, if it succeeded.
    fn sql(&self, host: &str, container: &str, sql: &str) -> Option<String> {
        let out = self.ssh(
            host,
            &format!("docker exec {container} mariadb -N -B -e \"{sql}\""),
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The value of a status variable, as seen by `show status like 'NAME'`.
    fn status(&self, host: &str, container: &str, name: &str) -> Option<String> {
        self.sql(host, container, &format!("show status like '{name}'"))
            .and_then(|s| s.split('\t').nth(1).map(str::to_string))
    }
}

fn describe(out: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

/// Removes the seed test's containers, volumes and password files on every host: made at the
/// start (leftovers of an earlier run) and dropped at the end, on success and on panic alike.
struct Cleanup<'a> {
    lab: &'a Lab,
}

impl Cleanup<'_> {
    fn run(&self) {
        let volumes: Vec<String> = NODES.iter().map(|n| format!("seedtest-{n}-data")).collect();
        let remote = format!(
            "ids=$(docker ps -aq --filter label={TEST_LABEL}); \
             if [ -n \"$ids\" ]; then docker rm -f -v $ids; fi; \
             vols=$(docker volume ls -q --filter label={TEST_LABEL}); \
             docker volume rm -f $vols {} ; rm -rf {PASSWORD_DIR}",
            volumes.join(" ")
        );
        for host in &self.lab.hosts {
            let out = self
                .lab
                .ssh(host, &format!("{{ {remote} ; }} >/dev/null 2>&1; true"));
            if !out.status.success() {
                eprintln!("cleanup on {host} failed: {}", describe(&out));
            }
        }
    }
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let start = Instant::now();
        self.run();
        println!("cleanup: {} ms", start.elapsed().as_millis());
    }
}

fn random_password() -> String {
    let mut bytes = [0u8; 18];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .unwrap_or_else(|e| panic!("cannot read /dev/urandom: {e}"));
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Polls F every 250 ms until it gives Some, or panics after LIMIT saying WHAT it waited for
/// (with the containers' last log lines).
fn poll<T>(lab: &Lab, limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            fail(
                lab,
                &format!("timed out after {limit:?} waiting for {what}"),
            );
        }
        sleep(Duration::from_millis(250));
    }
}

/// Panics with MSG and the seed containers' state and last log lines.
fn fail(lab: &Lab, msg: &str) -> ! {
    let mut report = String::new();
    for (host, node) in lab.hosts.iter().zip(NODES) {
        let out = lab.ssh(
            host,
            &format!(
                "docker ps -a --filter name=seedtest-{node} --format '{{{{.Status}}}}'; \
                 docker logs --tail 25 seedtest-{node} 2>&1"
            ),
        );
        report.push_str(&format!(
            "\n--- {node} on {host}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    panic!("{msg}{report}");
}

/// The `docker run` of one node of the seed procedure, as a command line for the host's shell.
fn docker_run(node: &str, ip: &str, cluster_address: &str) -> String {
    let provider_options = format!(
        "ist.recv_addr={ip}:{IST_PORT};ist.recv_bind=0.0.0.0;gmcast.listen_addr=tcp://0.0.0.0:{GALERA_PORT}"
    );
    [
        "docker run -d".to_string(),
        format!("--name seedtest-{node} --label {TEST_LABEL}"),
        format!("-p {MYSQL_PORT}:3306 -p {GALERA_PORT}:{GALERA_PORT}"),
        format!("-p {SST_PORT}:{SST_PORT} -p {IST_PORT}:{IST_PORT}"),
        format!("-v seedtest-{node}-data:/var/lib/mysql"),
        format!("-v {PASSWORD_DIR}/root-password:/run/secrets/root-password:ro"),
        "-e MARIADB_ROOT_PASSWORD_FILE=/run/secrets/root-password".to_string(),
        IMAGE.to_string(),
        "--wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so".to_string(),
        "--binlog-format=ROW --innodb-autoinc-lock-mode=2".to_string(),
        "--wsrep-cluster-name=seedtest".to_string(),
        format!("--wsrep-cluster-address={cluster_address}"),
        format!("--wsrep-node-name={node}"),
        format!("--wsrep-node-address={ip}:{GALERA_PORT}"),
        format!("--wsrep-node-incoming-address={ip}:{MYSQL_PORT}"),
        format!("--wsrep-sst-receive-address={ip}:{SST_PORT}"),
        format!("'--wsrep-provider-options={provider_options}'"),
    ]
    .join(" ")
}

#[test]
fn seed_procedure_forms_a_three_node_cluster() {
    let Some(lab) = find_lab() else { return };
    let t0 = Instant::now();
    let cleanup = Cleanup { lab: &lab };
    cleanup.run();
    println!("leftovers removed: {} ms", t0.elapsed().as_millis());

    // The root password: a 0600 file on each host, sent over ssh's stdin.
    let password = random_password();
    let placements: Vec<(&String, &str)> = lab.hosts.iter().zip(NODES).collect();
    for (host, node) in &placements {
        let out = lab.ssh_with_input(
            host,
            &format!(
                "umask 077 && mkdir -p {PASSWORD_DIR} && cat >{PASSWORD_DIR}/root-password && \
                 chmod 0600 {PASSWORD_DIR}/root-password && \
                 docker volume create --label {TEST_LABEL} seedtest-{node}-data"
            ),
            password.as_bytes(),
        );
        assert!(
            out.status.success(),
            "preparing {host} failed: {}",
            describe(&out)
        );
    }
    let t_prepared = t0.elapsed();

    // Bootstrap node, then wait for it to be Synced.
    let (host_a, ip_a) = (&lab.hosts[0], lab.hosts[0].as_str());
    let out = lab.ssh(host_a, &docker_run("nodea", ip_a, "gcomm://"));
    if !out.status.success() {
        fail(
            &lab,
            &format!("docker run of nodea failed: {}", describe(&out)),
        );
    }
    let t_a_started = t0.elapsed();
    poll(
        &lab,
        Duration::from_secs(60),
        "nodea (bootstrap) to be Synced",
        || {
            (lab.status(host_a, "seedtest-nodea", "wsrep_local_state_comment")? == "Synced")
                .then_some(())
        },
    );
    let t_a_synced = t0.elapsed();

    // Joiners, pointed at the bootstrap node.
    let join = format!("gcomm://{ip_a}:{GALERA_PORT}");
    for (host, node) in lab.hosts.iter().zip(NODES).skip(1) {
        let out = lab.ssh(host, &docker_run(node, host, &join));
        if !out.status.success() {
            fail(
                &lab,
                &format!("docker run of {node} failed: {}", describe(&out)),
            );
        }
    }
    let t_joiners_started = t0.elapsed();
    poll(
        &lab,
        Duration::from_secs(120),
        "wsrep_cluster_size 3 on nodea",
        || (lab.status(host_a, "seedtest-nodea", "wsrep_cluster_size")? == "3").then_some(()),
    );
    let t_size3 = t0.elapsed();
    for (host, node) in lab.hosts.iter().zip(NODES) {
        let container = format!("seedtest-{node}");
        poll(
            &lab,
            Duration::from_secs(60),
            &format!("{node} to be Synced"),
            || {
                (lab.status(host, &container, "wsrep_local_state_comment")? == "Synced")
                    .then_some(())
            },
        );
    }
    let t_synced = t0.elapsed();

    // root@'%' has the password of the file: nodeb logs in to nodea over the published port.
    // The option file is written inside the container by the shell's printf (a builtin): the
    // password is on no command line.
    let out = lab.ssh(
        &lab.hosts[1],
        "docker exec seedtest-nodeb sh -c 'umask 077; \
         printf \"[client]\\npassword=%s\\n\" \"$(cat /run/secrets/root-password)\" >/tmp/root.cnf'",
    );
    assert!(
        out.status.success(),
        "writing nodeb's client option file failed: {}",
        describe(&out)
    );
    let out = lab.ssh(
        &lab.hosts[1],
        &format!(
            "docker exec seedtest-nodeb mariadb --defaults-extra-file=/tmp/root.cnf \
             -h {ip_a} -P {MYSQL_PORT} -uroot -N -B \
             -e 'select current_user(), @@wsrep_node_name'"
        ),
    );
    assert!(
        out.status.success(),
        "root with the password over TCP to nodea failed: {}",
        describe(&out)
    );
    let who = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(who, "root@%\tnodea", "unexpected login over TCP");

    // A write on nodea is read on nodec.
    let wrote = lab.sql(
        host_a,
        "seedtest-nodea",
        "CREATE DATABASE seedcheck; CREATE TABLE seedcheck.t (id INT PRIMARY KEY); \
         INSERT INTO seedcheck.t VALUES (1), (2), (3)",
    );
    assert!(wrote.is_some(), "writing on nodea failed");
    poll(
        &lab,
        Duration::from_secs(20),
        "nodec to have nodea's 3 rows",
        || {
            (lab.sql(
                &lab.hosts[2],
                "seedtest-nodec",
                "SELECT COUNT(*) FROM seedcheck.t",
            )? == "3")
                .then_some(())
        },
    );
    let members = lab
        .sql(
            host_a,
            "seedtest-nodea",
            "show status like 'wsrep_incoming_addresses'",
        )
        .unwrap_or_default();
    println!("cluster: {members}");

    let ms = |d: Duration| d.as_millis();
    println!("timings (ms since start):");
    println!(
        "  hosts prepared (password file, volumes) {}",
        ms(t_prepared)
    );
    println!(
        "  nodea started                          {}",
        ms(t_a_started)
    );
    println!(
        "  nodea Synced                           {} (+{})",
        ms(t_a_synced),
        ms(t_a_synced.saturating_sub(t_a_started))
    );
    println!(
        "  joiners started                        {}",
        ms(t_joiners_started)
    );
    println!(
        "  wsrep_cluster_size 3                   {} (+{})",
        ms(t_size3),
        ms(t_size3.saturating_sub(t_joiners_started))
    );
    println!("  all 3 Synced                           {}", ms(t_synced));
    println!(
        "  seed procedure (first docker run to all Synced) {}",
        ms(t_synced.saturating_sub(t_prepared))
    );
    drop(cleanup);
    println!("total {} ms", ms(t0.elapsed()));
}
