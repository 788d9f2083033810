//! `galeractl preflight`, the pure half: what every host must offer before `up` (a login that
//! is root or may `sudo -n`, a Docker engine, disk, the images, free ports, the cluster's ports
//! reachable from host to host, a clock that agrees) as findings, one line per check and
//! host. What the edge (`cmd/preflight.rs`) read comes in as [`HostReading`]s and
//! [`LinkResult`]s; the commands it runs for the port mesh are built in `docker::listener`,
//! from [`listener_name`], [`LISTENER_SECS`] and [`CONNECT_SECS`]. No I/O here.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::inventory::Inventory;

/// Docker Engine releases older than this are not tested (the lab runs 20.10).
pub const MIN_DOCKER: (u32, u32) = (20, 10);
/// Free bytes under Docker's data root below which `up` would soon fail (an image and a
/// node's first data directory).
pub const DISK_ERROR_BYTES: u64 = 2 << 30;
/// ... and below which a cluster that grows, or a full state transfer, would.
pub const DISK_WARN_BYTES: u64 = 10 << 30;
/// A host clock this far from this machine's: logs, certificates' validity and backups'
/// times disagree.
pub const CLOCK_WARN_SECS: f64 = 2.0;
/// Seconds a connect between hosts may take, in all (tries while the listener starts).
pub const CONNECT_SECS: u64 = 4;
/// Seconds a listener lives at most, if nobody removes it (galeractl interrupted).
pub const LISTENER_SECS: u64 = 90;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    /// `up` would fail, or leave a cluster that cannot work.
    Error,
}

/// One check's result on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub level: Level,
    /// A stable name of the check: `ssh`, `login`, `docker`, `disk`, `image`, `program`,
    /// `port-free`, `reachable`, `clock`.
    pub check: &'static str,
    pub host: String,
    pub message: String,
}

/// The `--json` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub cluster: String,
    /// 0 every check passed, 1 warnings only, 2 an error (`up` would fail).
    pub exit_code: u8,
    pub findings: Vec<Finding>,
}

/// What a login could do on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Login {
    /// The commands run as root (the login is root, or `sudo -n` works).
    Root,
    /// The commands run as this uid: not root, and `[ssh] sudo` is off.
    NotRoot(u32),
    /// `sudo -n` refused (its words: usually "a password is required").
    SudoRefused(String),
}

/// What the edge read on one host. A field is `Err` with the reason when its command failed.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostReading {
    pub host: String,
    /// `Err`: no SSH connection (the rest is then empty).
    pub ssh: Result<(), String>,
    pub login: Result<Login, String>,
    /// `docker version`'s server version.
    pub docker: Result<String, String>,
    /// Free bytes under Docker's data root.
    pub disk_free: Result<u64, String>,
    /// Each image this host needs, and whether it is there.
    #[serde(default)]
    pub images: Vec<(String, bool)>,
    /// `PROGRAM FLAG` run in the proxy's or the arbitrator's image: `Err` with what it said.
    #[serde(default)]
    pub programs: Vec<(String, Result<(), String>)>,
    /// Ports listening on the host (`None`: `ss` is missing).
    #[serde(default)]
    pub listening: Option<BTreeSet<u16>>,
    /// Ports published by this cluster's own containers there (they may hold them).
    #[serde(default)]
    pub own_ports: BTreeSet<u16>,
    /// The host's clock minus this machine's, in seconds, and the uncertainty of the reading
    /// (half the round trip).
    pub clock: Result<(f64, f64), String>,
}

impl HostReading {
    /// A host that could not be reached: only its SSH finding.
    pub fn unreachable(host: &str, why: String) -> HostReading {
        const NOT: &str = "no SSH connection";
        HostReading {
            host: host.to_string(),
            ssh: Err(why),
            login: Err(NOT.into()),
            docker: Err(NOT.into()),
            disk_free: Err(NOT.into()),
            images: Vec::new(),
            programs: Vec::new(),
            listening: None,
            own_ports: BTreeSet::new(),
            clock: Err(NOT.into()),
        }
    }
}

/// The `from` of a link galeractl itself opens, from the machine it runs on.
pub const THIS_MACHINE: &str = "this machine";

/// A port that one host must reach on another: what it is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub port: u16,
    pub what: &'static str,
}

impl Link {
    /// A running server listens on it all the time (Galera, MySQL, the health endpoint), not
    /// only during a state transfer (SST, IST).
    pub fn always_listens(&self) -> bool {
        !matches!(self.what, "SST" | "IST")
    }

    /// It is not tried: this cluster's running container holds the port on `to`, and
    /// listens on it only during a transfer, or it is a running node's MySQL port (a bare
    /// connect there counts against the server's `max_connect_errors` for the host that
    /// connects, HAProxy's among them).
    pub fn held_idle(&self, to: Option<&HostReading>) -> bool {
        let untried = !self.always_listens() || self.what.starts_with("MySQL");
        untried && to.is_some_and(|r| r.own_ports.contains(&self.port))
    }
}

/// What a connect over one link found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkResult {
    Reached,
    /// No connection within [`CONNECT_SECS`] (a firewall that drops, or refuses).
    Failed,
    /// Not tried: no listener could be started there, or the source host has no shell.
    NotChecked(String),
    /// Not tried, and no cause for concern: the port is this cluster's own, held by its
    /// running container, and listens only at times (a state transfer's).
    Own,
}

/// Every host of the inventory, in order: the nodes', the proxy's, the arbitrator's.
pub fn hosts(inventory: &Inventory) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let all = inventory
        .nodes
        .iter()
        .map(|n| n.host.as_str())
        .chain(inventory.haproxy.as_ref().map(|h| h.host.as_str()))
        .chain(inventory.arbitrator.as_ref().map(|a| a.host.as_str()));
    for h in all {
        if !hosts.iter().any(|k| k == h) {
            hosts.push(h.to_string());
        }
    }
    hosts
}

/// The images each host needs: the node image where nodes run, the proxy's and the
/// arbitrator's where they run.
pub fn images(inventory: &Inventory) -> BTreeMap<String, Vec<String>> {
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |host: &str, image: &str| {
        let list = want.entry(host.to_string()).or_default();
        if !list.iter().any(|i| i == image) {
            list.push(image.to_string());
        }
    };
    for n in &inventory.nodes {
        add(&n.host, &inventory.cluster.image);
    }
    if let Some(h) = &inventory.haproxy {
        add(&h.host, &h.image);
    }
    if let Some(a) = &inventory.arbitrator {
        add(&a.host, &a.image);
    }
    want
}

/// Every port the cluster publishes on each host, and what it is for.
pub fn published(inventory: &Inventory) -> BTreeMap<String, Vec<(u16, String)>> {
    let mut ports: BTreeMap<String, Vec<(u16, String)>> = BTreeMap::new();
    for n in &inventory.nodes {
        let p = n.ports;
        let list = ports.entry(n.host.clone()).or_default();
        for (port, what) in [
            (p.mysql, "MySQL"),
            (p.galera, "Galera"),
            (p.sst, "SST"),
            (p.ist, "IST"),
        ] {
            list.push((port, format!("{}'s {what}", n.name)));
        }
        if let Some(h) = &inventory.haproxy {
            list.push((h.check_port, format!("{}'s health endpoint", n.name)));
        }
    }
    if let Some(h) = &inventory.haproxy {
        let list = ports.entry(h.host.clone()).or_default();
        list.push((h.port, "HAProxy's clients".into()));
        list.push((h.stats_port, "HAProxy's stats page".into()));
    }
    if let Some(a) = &inventory.arbitrator {
        let list = ports.entry(a.host.clone()).or_default();
        list.push((a.port, "the arbitrator's Galera".into()));
    }
    ports
}

/// The ports that this cluster's running containers on `host` publish (`running`: the names
/// of the containers that run there): a node's four, its health endpoint's, the proxy's two,
/// the arbitrator's.
pub fn own_ports(inventory: &Inventory, host: &str, running: &BTreeSet<String>) -> BTreeSet<u16> {
    let mut own = BTreeSet::new();
    let runs = |name: String| running.contains(&name);
    for n in inventory.nodes.iter().filter(|n| n.host == host) {
        if runs(inventory.container_name(n)) {
            let p = n.ports;
            own.extend([p.mysql, p.galera, p.sst, p.ist]);
        }
        if let Some(h) = &inventory.haproxy {
            if runs(inventory.check_container(n)) {
                own.insert(h.check_port);
            }
        }
    }
    if let Some(h) = inventory.haproxy.as_ref().filter(|h| h.host == host) {
        if runs(inventory.proxy_container()) {
            own.extend([h.port, h.stats_port]);
        }
    }
    if let Some(a) = inventory.arbitrator.as_ref().filter(|a| a.host == host) {
        if runs(inventory.arbitrator_container()) {
            own.insert(a.port);
        }
    }
    own
}

/// The connections the cluster makes between hosts: every node host to every other node's
/// Galera, SST and IST ports (a joiner and its donor, either way), the arbitrator to and from
/// the nodes' Galera ports, the proxy to each node's MySQL port and health endpoint. A host
/// reaching itself is not checked.
pub fn links(inventory: &Inventory) -> Vec<Link> {
    let mut links = BTreeSet::new();
    let mut add = |from: &str, to: &str, port: u16, what: &'static str| {
        if from != to {
            links.insert(Link {
                from: from.to_string(),
                to: to.to_string(),
                port,
                what,
            });
        }
    };
    for to in &inventory.nodes {
        for from in &inventory.nodes {
            add(&from.host, &to.host, to.ports.galera, "Galera replication");
            add(&from.host, &to.host, to.ports.sst, "SST");
            add(&from.host, &to.host, to.ports.ist, "IST");
        }
        if let Some(a) = &inventory.arbitrator {
            add(&a.host, &to.host, to.ports.galera, "Galera replication");
            add(&to.host, &a.host, a.port, "Galera replication (arbitrator)");
        }
        if let Some(h) = &inventory.haproxy {
            add(&h.host, &to.host, to.ports.mysql, "MySQL (from HAProxy)");
            add(
                &h.host,
                &to.host,
                h.check_port,
                "health check (from HAProxy)",
            );
        }
        // galeractl's own probes: every wait for Synced asks the node over SQL.
        if to.host != crate::inventory::LOCAL_HOST {
            add(
                THIS_MACHINE,
                &to.host,
                to.ports.mysql,
                "MySQL (galeractl's probes)",
            );
        }
    }
    if let Some(h) = inventory
        .haproxy
        .as_ref()
        .filter(|h| h.host != crate::inventory::LOCAL_HOST)
    {
        add(
            THIS_MACHINE,
            &h.host,
            h.stats_port,
            "HAProxy's stats (galeractl status)",
        );
    }
    links.into_iter().collect()
}

/// The ports a listener must open on `host` for `links`: those nobody listens on yet, and
/// this cluster's running containers do not hold. A port that already listens (a running
/// node's) is reached as it is.
pub fn listener_ports(
    host: &str,
    links: &[Link],
    listening: &BTreeSet<u16>,
    own: &BTreeSet<u16>,
) -> Vec<u16> {
    let ports: BTreeSet<u16> = links
        .iter()
        .filter(|l| l.to == host && !listening.contains(&l.port) && !own.contains(&l.port))
        .map(|l| l.port)
        .collect();
    ports.into_iter().collect()
}

/// The listener container's name on a host: this run's own (a preflight beside `up`'s check
/// of the same cluster never removes the other's).
pub fn listener_name(cluster: &str) -> String {
    format!("galeractl-preflight-{cluster}-{}", std::process::id())
}

/// Reads the connects' output: each target's result (a target without a line failed).
pub fn parse_connects(targets: &[(String, u16)], output: &str) -> Vec<LinkResult> {
    let said: BTreeMap<&str, bool> = output
        .lines()
        .filter_map(|l| {
            let (word, target) = l.trim().split_once(' ')?;
            Some((target, word == "ok"))
        })
        .collect();
    targets
        .iter()
        .map(|(h, p)| match said.get(format!("{h}:{p}").as_str()) {
            Some(true) => LinkResult::Reached,
            _ => LinkResult::Failed,
        })
        .collect()
}

/// What to do about a failed remote command whose words say the login lacks the rights:
/// `sudo -n` asking for a password, or a user that may not use Docker's socket.
pub fn login_hint(said: &str) -> Option<&'static str> {
    let said = said.to_lowercase();
    if said.contains("sudo:") {
        Some("[ssh] sudo = true needs sudo without a password for the login (sudoers NOPASSWD); `galeractl preflight` checks every host")
    } else if said.contains("permission denied") && said.contains("docker") {
        Some("the login may not use Docker: log in as root, or set [ssh] sudo = true; `galeractl preflight` checks every host")
    } else {
        None
    }
}

/// "20.10.24+dfsg1" → (20, 10).
pub fn docker_release(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim().split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `df -Pk`'s available kilobytes (the second line's fourth column), as bytes.
pub fn parse_df_free(text: &str) -> Option<u64> {
    let line = text.lines().nth(1)?;
    let kb: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(kb * 1024)
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// Every finding, host by host in the inventory's order, then the links.
pub fn judge(
    inventory: &Inventory,
    readings: &[HostReading],
    links: &[(Link, LinkResult)],
) -> Report {
    let mut findings = Vec::new();
    let published = published(inventory);
    for r in readings {
        host_findings(inventory, r, published.get(&r.host), &mut findings);
    }
    for (link, result) in links {
        let level = match result {
            LinkResult::Reached | LinkResult::Own => Level::Ok,
            LinkResult::Failed => Level::Error,
            LinkResult::NotChecked(_) => Level::Warning,
        };
        let message = match result {
            LinkResult::Reached => format!("reaches {}:{} ({})", link.to, link.port, link.what),
            LinkResult::Failed => format!(
                "cannot reach {}:{} ({}) within {CONNECT_SECS}s: open port {} from {} to {} (firewall, security group)",
                link.to, link.port, link.what, link.port, link.from, link.to
            ),
            LinkResult::Own => format!(
                "{}:{} ({}) not checked: the cluster's running container holds it",
                link.to, link.port, link.what
            ),
            LinkResult::NotChecked(why) => format!(
                "{}:{} ({}) not checked: {why}",
                link.to, link.port, link.what
            ),
        };
        findings.push(Finding {
            level,
            check: "reachable",
            host: link.from.clone(),
            message,
        });
    }
    let worst = findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok);
    Report {
        cluster: inventory.cluster.name.clone(),
        exit_code: match worst {
            Level::Ok => 0,
            Level::Warning => 1,
            Level::Error => 2,
        },
        findings,
    }
}

fn host_findings(
    inventory: &Inventory,
    r: &HostReading,
    published: Option<&Vec<(u16, String)>>,
    out: &mut Vec<Finding>,
) {
    let mut push = |level: Level, check: &'static str, message: String| {
        out.push(Finding {
            level,
            check,
            host: r.host.clone(),
            message,
        });
    };
    if let Err(why) = &r.ssh {
        push(Level::Error, "ssh", format!("no SSH login: {why}"));
        return;
    }
    let sudo = inventory.ssh.sudo;
    match &r.login {
        Ok(Login::Root) if sudo => push(Level::Ok, "login", "sudo -n works".into()),
        Ok(Login::Root) => push(Level::Ok, "login", "root".into()),
        Ok(Login::NotRoot(uid)) => push(
            Level::Error,
            "login",
            format!("the login is uid {uid}, not root: galeractl writes /etc/galeractl and runs docker as root; set [ssh] sudo = true (with sudo for this user without a password), or log in as root"),
        ),
        Ok(Login::SudoRefused(said)) => push(
            Level::Error,
            "login",
            format!("sudo -n refused ({said}): [ssh] sudo = true needs sudo without a password for this user (sudoers: USER ALL=(ALL) NOPASSWD: ALL)"),
        ),
        Err(why) => push(Level::Error, "login", format!("cannot tell who the login is: {why}")),
    }
    if !matches!(r.login, Ok(Login::Root)) {
        return;
    }
    match &r.docker {
        Ok(v) => match docker_release(v) {
            Some(release) if release < MIN_DOCKER => push(
                Level::Warning,
                "docker",
                format!(
                    "Docker Engine {v}: older than {}.{}, not tested",
                    MIN_DOCKER.0, MIN_DOCKER.1
                ),
            ),
            _ => push(Level::Ok, "docker", format!("Docker Engine {v}")),
        },
        Err(why) => {
            push(
                Level::Error,
                "docker",
                format!("no Docker engine answers: {why}"),
            );
            return;
        }
    }
    match r.disk_free {
        Ok(free) if free < DISK_ERROR_BYTES => push(
            Level::Error,
            "disk",
            format!("{} free under Docker's data root: at least {} are needed", gib(free), gib(DISK_ERROR_BYTES)),
        ),
        Ok(free) if free < DISK_WARN_BYTES => push(
            Level::Warning,
            "disk",
            format!("{} free under Docker's data root: a full state transfer or a backup may not fit (under {})", gib(free), gib(DISK_WARN_BYTES)),
        ),
        Ok(free) => push(Level::Ok, "disk", format!("{} free under Docker's data root", gib(free))),
        Err(ref why) => push(Level::Warning, "disk", format!("free space not read: {why}")),
    }
    for (image, present) in &r.images {
        if *present {
            push(Level::Ok, "image", format!("{image} is there"));
        } else if *image == inventory.cluster.image && inventory.cluster.distribute_image {
            push(
                Level::Ok,
                "image",
                format!("{image} is missing; up copies it (cluster.distribute_image)"),
            );
        } else {
            push(
                Level::Error,
                "image",
                format!(
                    "{image} is missing: pull it there, or load it (docker save IMAGE | ssh HOST {}docker load)",
                    if sudo { "sudo " } else { "" }
                ),
            );
        }
    }
    for (what, result) in &r.programs {
        match result {
            Ok(()) => push(Level::Ok, "program", format!("{what} runs")),
            Err(said) => push(Level::Error, "program", format!("{what}: {said}")),
        }
    }
    match &r.listening {
        Some(listening) => {
            let busy: Vec<String> = published
                .into_iter()
                .flatten()
                .filter(|(p, _)| listening.contains(p) && !r.own_ports.contains(p))
                .map(|(p, what)| format!("{p} ({what})"))
                .collect();
            if busy.is_empty() {
                push(
                    Level::Ok,
                    "port-free",
                    "the cluster's ports are free (or its own)".into(),
                );
            } else {
                push(
                    Level::Error,
                    "port-free",
                    format!("in use by something else: {}", busy.join(", ")),
                );
            }
        }
        None => push(
            Level::Warning,
            "port-free",
            "not checked: `ss` is missing on the host (iproute2)".into(),
        ),
    }
    match r.clock {
        Ok((skew, uncertainty)) if skew.abs() - uncertainty > CLOCK_WARN_SECS => push(
            Level::Warning,
            "clock",
            format!("{skew:+.1}s from this machine's clock: run NTP (chrony, systemd-timesyncd) on every host"),
        ),
        Ok((skew, _)) => push(Level::Ok, "clock", format!("{skew:+.1}s from this machine's")),
        Err(ref why) => push(Level::Warning, "clock", format!("not read: {why}")),
    }
}

/// The report as lines: `LEVEL host check: message`, then a verdict.
pub fn render(report: &Report) -> String {
    let mut text = String::new();
    for f in &report.findings {
        let level = match f.level {
            Level::Ok => "ok     ",
            Level::Warning => "WARNING",
            Level::Error => "ERROR  ",
        };
        text.push_str(&format!(
            "{level} {:<15} {:<10} {}\n",
            f.host, f.check, f.message
        ));
    }
    let count = |l: Level| report.findings.iter().filter(|f| f.level == l).count();
    text.push_str(&match report.exit_code {
        0 => format!("cluster {}: every host is ready for `up`\n", report.cluster),
        1 => format!(
            "cluster {}: ready for `up`, with {} warning(s) above\n",
            report.cluster,
            count(Level::Warning)
        ),
        _ => format!(
            "cluster {}: {} error(s) above: `up` would fail; fix them first\n",
            report.cluster,
            count(Level::Error)
        ),
    });
    text
}

#[cfg(test)]
mod tests;
