//! Smoke test of the lab (`lab/lab up`): every host answers ssh with host-key checking on, its
//! own Docker engine runs, and the node image is there. Uses the system `ssh`.
//!
//! Without a lab the test only prints a note,
//! except under CI=true, where it fails: CI must bring the lab up first.

mod support;

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const NODE_IMAGE: &str = "galeractl-lab/galera:10.11";

struct Lab {
    out: PathBuf,
    ssh_config: PathBuf,
    hosts: Vec<String>,
}

/// The lab of this checkout (`support::lab`: under CI=true a missing lab fails the test).
fn find_lab() -> Option<Lab> {
    let found = support::lab::Lab::find()?;
    Some(Lab {
        out: found.out.clone(),
        ssh_config: found.out.join("ssh_config"),
        hosts: support::lab::HOSTS
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
    })
}

/// `ssh -F lab/out/ssh_config [extra options] HOST REMOTE`, stdin null, with a connect timeout.
fn ssh(lab: &Lab, extra: &[&str], host: &str, remote: &str) -> Output {
    let mut cmd = Command::new("ssh");
    cmd.arg("-F")
        .arg(&lab.ssh_config)
        .args(["-o", "ConnectTimeout=10", "-o", "BatchMode=yes"])
        .args(extra)
        .arg(host)
        .arg(remote)
        .stdin(Stdio::null());
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run ssh (is openssh-client installed?): {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

/// A file in the temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("galeractl-lab-smoke-{}-{name}", std::process::id()));
        fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[test]
fn lab_hosts_answer_ssh_and_docker() {
    let Some(lab) = find_lab() else { return };
    for host in &lab.hosts {
        let start = Instant::now();
        let out = ssh(&lab, &[], host, "docker info --format '{{.ServerVersion}}'");
        assert!(
            out.status.success(),
            "`ssh -F {} {host} docker info` failed (is the lab up? `lab/lab up`): {}",
            lab.ssh_config.display(),
            describe(&out)
        );
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let out = ssh(
            &lab,
            &[],
            host,
            &format!("docker image inspect {NODE_IMAGE}"),
        );
        assert!(
            out.status.success(),
            "{host} has no {NODE_IMAGE} (lab/lab up preloads it): {}",
            describe(&out)
        );
        println!(
            "{host}: docker {version}, {NODE_IMAGE} present ({} ms)",
            start.elapsed().as_millis()
        );
    }
}

#[test]
fn lab_ssh_checks_host_keys() {
    let Some(lab) = find_lab() else { return };
    let host = &lab.hosts[0];

    // An empty known_hosts: the host's key is unknown, strict checking refuses.
    let empty = TempFile::new("empty_known_hosts", "");
    let opt = format!("UserKnownHostsFile={}", empty.0.display());
    let out = ssh(
        &lab,
        &[
            "-o",
            &opt,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
        ],
        host,
        "true",
    );
    assert!(
        !out.status.success(),
        "ssh to {host} succeeded with an empty known_hosts: host-key checking is off"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Host key verification failed"),
        "ssh to {host} with an empty known_hosts failed, but not on the host key: {}",
        describe(&out)
    );

    // A known_hosts that gives this host another host's key: a changed key is refused too.
    let known = fs::read_to_string(lab.out.join("known_hosts"))
        .unwrap_or_else(|e| panic!("cannot read lab/out/known_hosts: {e}"));
    let other_key = known
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(h, _)| *h == lab.hosts[1])
        .map_or_else(
            || panic!("lab/out/known_hosts has no key for {}", lab.hosts[1]),
            |(_, key)| key.to_string(),
        );
    let wrong = TempFile::new("wrong_known_hosts", &format!("{host} {other_key}\n"));
    let opt = format!("UserKnownHostsFile={}", wrong.0.display());
    let out = ssh(
        &lab,
        &[
            "-o",
            &opt,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
        ],
        host,
        "true",
    );
    assert!(
        !out.status.success(),
        "ssh to {host} succeeded with another host's key in known_hosts"
    );

    // And the lab's own known_hosts, with the same options, is accepted.
    let out = ssh(&lab, &["-o", "StrictHostKeyChecking=yes"], host, "true");
    assert!(
        out.status.success(),
        "ssh to {host} with the lab's known_hosts failed: {}",
        describe(&out)
    );
}
