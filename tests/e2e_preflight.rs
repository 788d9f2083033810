//! End to end on the lab: `galeractl preflight` (issue 29) for a cluster of its own
//! ("pflight", ports 4596/5877/5754/5878) reached as the lab's non-root login `deploy` with
//! `[ssh] sudo = true`:
//! 1. every check passes (exit 0, JSON);
//! 2. with 5877 (its Galera port) dropped from host1 to host2 by iptables on host2, preflight
//!    names the port and both hosts and exits 2; `up` refuses the same way, having created no
//!    container, and leaves no listener;
//! 3. with its image on two hosts of three, preflight names the third.

mod support;
use std::path::{Path, PathBuf};

use support::lab::{Lab, HOSTS};
use support::*;

const CLUSTER: &str = "pflight";
const PORTS: [u16; 4] = [4596, 5877, 5754, 5878];
const TAG: &str = "galeractl-lab/galera:pflight";

fn inventory(lab: &Lab, dir: &Path, image: Option<&str>) -> PathBuf {
    let mut text = lab
        .cluster_inventory(CLUSTER, PORTS)
        .replace("user = \"root\"", "user = \"deploy\"\nsudo = true");
    if let Some(image) = image {
        text = text
            .replace("galeractl-lab/galera:10.11", image)
            .replace("distribute_image = true", "distribute_image = false");
    }
    assert!(text.contains("sudo = true"), "{text}");
    let path = dir.join(if image.is_some() {
        "tagged.toml"
    } else {
        "pflight.toml"
    });
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = galeractl(args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// An iptables rule on a lab host, deleted when dropped (also when the test fails).
struct Rule<'a> {
    lab: &'a Lab,
    host: &'a str,
    spec: String,
}

impl<'a> Rule<'a> {
    fn add(lab: &'a Lab, host: &'a str, spec: String) -> Rule<'a> {
        lab.ssh_ok(host, &format!("iptables -t raw -I PREROUTING {spec}"));
        Rule { lab, host, spec }
    }
}

impl Drop for Rule<'_> {
    fn drop(&mut self) {
        self.lab.ssh(
            self.host,
            &format!("iptables -t raw -D PREROUTING {}", self.spec),
        );
    }
}

/// The extra image tag on some hosts, removed when dropped.
struct Tagged<'a> {
    lab: &'a Lab,
    hosts: &'a [&'a str],
}

impl Drop for Tagged<'_> {
    fn drop(&mut self) {
        for h in self.hosts {
            self.lab.ssh(h, &format!("docker rmi {TAG}"));
        }
    }
}

fn errors(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("ERROR")).collect()
}

fn listeners(lab: &Lab) -> String {
    HOSTS
        .iter()
        .map(|h| {
            lab.ssh_ok(
                h,
                &format!("docker ps -aq --filter label=io.galeractl.preflight={CLUSTER}"),
            )
        })
        .collect()
}

#[test]
fn preflight_finds_a_dropped_port_and_a_missing_image() {
    let Some(lab) = Lab::find() else { return };
    lab.wipe_cluster(CLUSTER);
    let dir = scratch("e2e_preflight");
    let path = inventory(&lab, &dir, None);
    let inv = path.to_str().unwrap_or_default();

    // 1. Clean, as deploy through sudo -n.
    let (code, stdout, stderr) = run(&["preflight", inv, "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["cluster"], CLUSTER);
    let findings = doc["findings"].as_array().cloned().unwrap_or_default();
    // Clean: every finding ok, but for a machine short of disk (a warning under 10 GiB free,
    // exit 1), which is the machine's, not the cluster's.
    let not_ok: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["level"] != "ok")
        .filter(|f| !(f["check"] == "disk" && f["level"] == "warning"))
        .collect();
    assert_eq!(not_ok, Vec::<&serde_json::Value>::new(), "{stdout}");
    assert!(code == 0 || code == 1, "{stdout}{stderr}");
    assert_eq!(doc["exit_code"], code);
    let logins: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f["check"] == "login")
        .map(|f| {
            (
                f["host"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        logins,
        HOSTS.map(|h| (h, "sudo -n works")),
        "every host logged in as deploy, commands through sudo -n"
    );
    // 3 hosts, each reaching the two others' Galera, SST and IST ports, and this machine
    // each node's MySQL port (galeractl's probes).
    let reached: Vec<&str> = findings
        .iter()
        .filter(|f| f["check"] == "reachable" && f["level"] == "ok")
        .filter_map(|f| f["host"].as_str())
        .collect();
    assert_eq!(reached.len(), 18 + 3, "{stdout}");
    assert_eq!(
        reached.iter().filter(|h| **h == "this machine").count(),
        3,
        "{stdout}"
    );
    assert_eq!(listeners(&lab), "", "the listeners are gone");

    // 2. Galera's port dropped from host1 to host2.
    {
        let _rule = Rule::add(
            &lab,
            HOSTS[1],
            format!("-s {} -p tcp --dport {} -j DROP", HOSTS[0], PORTS[1]),
        );
        let (code, stdout, _) = run(&["preflight", inv]);
        assert_eq!(code, 2, "{stdout}");
        assert_eq!(
            errors(&stdout),
            [format!(
                "ERROR   {}      reachable  cannot reach {}:{} (Galera replication) within 4s: open port {} from {} to {} (firewall, security group)",
                HOSTS[0], HOSTS[1], PORTS[1], PORTS[1], HOSTS[0], HOSTS[1]
            )],
            "{stdout}"
        );
        let (code, _, stderr) = run(&["up", inv]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "preflight failed; nothing was changed:\n  host {} cannot reach {}:{} (Galera replication)",
                HOSTS[0], HOSTS[1], PORTS[1]
            )),
            "{stderr}"
        );
        assert_eq!(
            lab.container_ids(CLUSTER).concat(),
            "",
            "up created nothing"
        );
        assert_eq!(listeners(&lab), "", "the listeners are gone");
    }

    // 3. The image on host1 and host2 only.
    let tagged_hosts = [HOSTS[0], HOSTS[1]];
    let _tagged = Tagged {
        lab: &lab,
        hosts: &tagged_hosts,
    };
    for h in tagged_hosts {
        lab.ssh_ok(h, &format!("docker tag galeractl-lab/galera:10.11 {TAG}"));
    }
    let path = inventory(&lab, &dir, Some(TAG));
    let (code, stdout, _) = run(&["preflight", path.to_str().unwrap_or_default()]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        errors(&stdout),
        [format!(
            "ERROR   {}      image      {TAG} is missing: pull it there, or load it (docker save IMAGE | ssh HOST sudo docker load)",
            HOSTS[2]
        )],
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "WARNING {}      reachable  {}:{} (Galera replication) not checked: the node image {TAG} is not there for the listener",
            HOSTS[0], HOSTS[2], PORTS[1]
        )),
        "{stdout}"
    );
    assert_eq!(listeners(&lab), "", "the listeners are gone");
}
