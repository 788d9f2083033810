//! End to end on the lab: the safety review's holes, closed, on a cluster of its own
//! ("safety", ports 4356/5637/5514/5638). One scenario, in order:
//! 1. every node runs but its SQL port is filtered from this machine only (iptables on the lab
//!    hosts): `recover` and `recover --force` refuse (exit 3) and start or stop nothing; `up`
//!    names the silent running nodes and changes nothing;
//! 2. `up` of a new cluster interrupted with SIGINT right after the first joiner entered the
//!    Primary component: the bootstrap node's config names the members again (the plan's
//!    on-failure step), and a `docker restart` of it keeps the cluster UUID;
//! 3. a rolling image change while one node is stopped: the stopped node is replaced first, and
//!    a serving node only once every node is Synced.

mod support;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::lab::{wait_until, wsrep, Lab, SqlFiltered, HOSTS};
use support::writer::NODES;
use support::*;

const CLUSTER: &str = "safety";
const PORT: u16 = 4356;

fn inventory(lab: &Lab, dir: &Path, image: &str) -> PathBuf {
    let inv = lab
        .cluster_inventory(CLUSTER, [PORT, 5637, 5514, 5638])
        .replace("galeractl-lab/galera:10.11", image);
    let tag = image.rsplit(':').next().unwrap_or("image");
    let path = dir.join(format!("safety-{tag}.toml"));
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn container(i: usize) -> String {
    format!("{CLUSTER}-{}", NODES[i])
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = galeractl(args);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
    }
}

fn healthy(root: &str) -> bool {
    HOSTS.iter().all(|h| {
        wsrep(h, PORT, root, "wsrep_local_state_comment").as_deref() == Some("Synced")
            && wsrep(h, PORT, root, "wsrep_cluster_size").as_deref() == Some("3")
    })
}

#[test]
fn safety_holes_closed_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_safety");
    let inv = inventory(&lab, &dir, "galeractl-lab/galera:10.11");
    let inv_s = inv.display().to_string();
    lab.wipe_cluster(CLUSTER);
    let up = run(&["up", &inv_s]);
    assert_eq!(up.code, 0, "{}\n{}", up.stdout, up.stderr);

    // 1. Running but silent to this machine: no bootstrap, nothing touched.
    let before = lab.node_containers(CLUSTER);
    {
        let _filter = SqlFiltered::on(&lab, PORT);
        for extra in [&[][..], &["--force", "--yes"][..]] {
            let mut args = vec!["recover", inv_s.as_str(), "--step-timeout", "20"];
            args.extend_from_slice(extra);
            let r = run(&args);
            assert_eq!(r.code, 3, "recover {extra:?}:\n{}\n{}", r.stdout, r.stderr);
            assert!(
                r.stderr.contains("runs but its SQL does not answer")
                    && r.stderr.contains("would split the cluster in two"),
                "recover {extra:?}:\n{}",
                r.stderr
            );
        }
        let r = run(&["up", &inv_s]);
        assert_eq!(r.code, 3, "up:\n{}\n{}", r.stdout, r.stderr);
        assert!(
            r.stderr
                .contains("containers run but none answers SQL as Synced in a Primary component (nodea: no answer within 2000 ms")
                && !r.stderr.contains("galeractl recover"),
            "up:\n{}",
            r.stderr
        );
        assert_eq!(
            lab.node_containers(CLUSTER),
            before,
            "a refused command touched a node"
        );
    }
    assert!(
        healthy(&root),
        "the cluster is not healthy after the filter"
    );

    // 2. up interrupted right after the first joiner entered the Primary component.
    lab.wipe_cluster(CLUSTER);
    let mut child = Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(["up", &inv_s])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("RUST_LOG")
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut log = String::new();
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        log.push_str(&line);
        log.push('\n');
        if line.contains("ok: nodeb in the Primary component") {
            break;
        }
    }
    assert!(
        log.contains("ok: nodeb in the Primary component"),
        "up ended before nodeb joined:\n{log}"
    );
    let uuid = wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_state_uuid").unwrap_or_default();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(sent.success());
    for line in lines {
        log.push_str(&line.unwrap_or_default());
        log.push('\n');
    }
    let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
    assert_eq!(status.code(), Some(130), "up after SIGINT:\n{log}");
    assert!(
        log.contains("interrupted by SIGINT")
            && log.contains("on failure, done: [10.77.0.11] nodea: name the other members"),
        "{log}"
    );
    let config = lab.ssh_ok(HOSTS[0], &format!("cat /etc/galeractl/{CLUSTER}/nodea.cnf"));
    assert!(
        config.contains("wsrep_cluster_address=gcomm://10.77.0.12:5637,10.77.0.13:5637"),
        "{config}"
    );
    // The joiners already started finish joining (never restart a donor mid-transfer).
    let synced = |i: usize| {
        wsrep(HOSTS[i], PORT, &root, "wsrep_local_state_comment").as_deref() == Some("Synced")
    };
    wait_until(
        "nodeb Synced after the interrupt",
        Duration::from_secs(120),
        || synced(1),
    );
    wait_until(
        "nodec Synced, or never started, after the interrupt",
        Duration::from_secs(120),
        || {
            synced(2)
                || lab
                    .ssh_ok(
                        HOSTS[2],
                        &format!("docker ps -aq --filter name=^{}$", container(2)),
                    )
                    .trim()
                    .is_empty()
        },
    );
    lab.ssh_ok(HOSTS[0], &format!("docker restart {}", container(0)));
    wait_until(
        "nodea back and Synced after docker restart",
        Duration::from_secs(120),
        || wsrep(HOSTS[0], PORT, &root, "wsrep_local_state_comment").as_deref() == Some("Synced"),
    );
    for host in &HOSTS[..2] {
        assert_eq!(
            wsrep(host, PORT, &root, "wsrep_cluster_state_uuid").as_deref(),
            Some(uuid.as_str()),
            "{host}: not the cluster the interrupted up bootstrapped"
        );
    }
    let up = run(&["up", &inv_s]);
    assert_eq!(
        up.code, 0,
        "up after the interrupt:\n{}\n{}",
        up.stdout, up.stderr
    );
    assert!(healthy(&root));

    // 3. A rolling image change while nodec is stopped.
    for host in HOSTS {
        lab.ssh_ok(
            host,
            "docker tag galeractl-lab/galera:10.11 galeractl-lab/galera:rolling",
        );
    }
    let stop = run(&["stop-node", "nodec", "-i", &inv_s]);
    assert_eq!(stop.code, 0, "{}\n{}", stop.stdout, stop.stderr);
    let rolled = inventory(&lab, &dir, "galeractl-lab/galera:rolling");
    let up = run(&["up", &rolled.display().to_string()]);
    assert_eq!(up.code, 0, "rolling up:\n{}\n{}", up.stdout, up.stderr);
    let at = |what: &str| {
        up.stderr
            .find(what)
            .unwrap_or_else(|| panic!("no {what:?} in:\n{}", up.stderr))
    };
    let c = at("replace nodec (its spec changed), alone");
    let wait_a = at("before replacing nodea: every node Synced, none a donor");
    let a = at("replace nodea (its spec changed), alone");
    let wait_b = at("before replacing nodeb: every node Synced, none a donor");
    let b = at("replace nodeb (its spec changed), alone");
    assert!(
        c < wait_a && wait_a < a && a < wait_b && wait_b < b,
        "{}",
        up.stderr
    );
    for host in HOSTS {
        assert_eq!(
            wsrep(host, PORT, &root, "wsrep_cluster_state_uuid").as_deref(),
            Some(uuid.as_str()),
            "{host}"
        );
    }
    assert!(healthy(&root));
    lab.wipe_cluster(CLUSTER);
    for host in HOSTS {
        let _ = lab.ssh(host, "docker rmi galeractl-lab/galera:rolling");
    }

    // 4. A node that crash-loops (an option mariadbd rejects): `up` fails within seconds, not
    // the sync timeout, naming the node and showing its last log lines.
    let bad = dir.join("crashloop.toml");
    let text = std::fs::read_to_string(&inv).unwrap_or_else(|e| panic!("{e}"));
    let text = text.replace(
        "distribute_image = true\n",
        "distribute_image = true\nmariadbd_options = [\"--max-connections=lots\"]\n",
    );
    std::fs::write(&bad, text).unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    let r = run(&["up", &bad.display().to_string()]);
    let took = started.elapsed();
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        took < Duration::from_secs(90),
        "a crash loop took {took:?} to fail:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("nodea: container safety-nodea")
            && (r.stderr.contains("crash loop") || r.stderr.contains("exited"))
            && r.stderr.contains("--- last lines of safety-nodea"),
        "{}",
        r.stderr
    );
    eprintln!("crash loop detected in {took:?}");
    lab.wipe_cluster(CLUSTER);
}
