//! Rules that a parsed inventory must satisfy before anything touches a host. Every rule
//! reports at the offending value's position; all findings are collected, none stops the rest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::raw::{RawInventory, RawPorts, S};
use super::*;
use crate::diagnostic::{position, Diagnostic};

/// Where the checked inventory's values stand in the source, for checks made after parsing.
#[derive(Debug, Clone, Default)]
pub struct Located {
    pub ports: Vec<PortUse>,
    pub secrets: HashMap<&'static str, Range<usize>>,
}

/// One port that one role publishes on one host, with where the inventory says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortUse {
    pub host: String,
    pub port: u16,
    /// e.g. `nodea mysql` or `haproxy stats`.
    pub owner: String,
    pub cluster: String,
    pub span: Range<usize>,
}

struct Checker<'a> {
    source: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, key, message));
    }

    fn line_of(&self, span: &Range<usize>) -> usize {
        position(self.source, span.start).line
    }

    fn port(&mut self, value: Option<&S<i64>>, key: String, default: u16) -> (u16, Range<usize>) {
        let Some(v) = value else {
            return (default, 0..0);
        };
        match u16::try_from(*v.get_ref()) {
            Ok(p) if p > 0 => (p, v.span()),
            _ => {
                self.error(
                    v.span(),
                    key,
                    format!("port {} is out of range (1-65535)", v.get_ref()),
                );
                (default, v.span())
            }
        }
    }

    fn name(&mut self, value: &S<String>, key: &str, what: &str) -> String {
        let name = value.get_ref();
        if !is_valid_name(name) {
            self.error(
                value.span(),
                key,
                format!(
                    "{what} {name:?} is not valid: use letters, digits, '-', '_' or '.', starting with a letter or digit, at most 64 characters"
                ),
            );
        }
        name.clone()
    }

    fn host(&mut self, value: &S<String>, key: &str) -> String {
        let host = value.get_ref();
        if let Err(why) = check_address(host) {
            self.error(value.span(), key, format!("{host:?} is not {why}"));
        }
        host.clone()
    }

    fn non_empty(&mut self, value: &S<String>, key: &str) -> String {
        if value.get_ref().trim().is_empty() {
            self.error(value.span(), key, "must not be empty");
        }
        value.get_ref().clone()
    }

    fn one_of<T: Copy>(
        &mut self,
        value: Option<&S<String>>,
        key: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(v) = value else { return default };
        match choices.iter().find(|(name, _)| name == v.get_ref()) {
            Some((_, chosen)) => *chosen,
            None => {
                let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
                self.error(
                    v.span(),
                    key,
                    format!("{:?} is not one of {}", v.get_ref(), names.join(", ")),
                );
                default
            }
        }
    }
}

/// Names that become parts of container, volume and file names.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// An IP address or an RFC 1123 host name; dotted all-digit strings must be real IPv4.
fn check_address(host: &str) -> Result<(), &'static str> {
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err("a valid IPv4 address");
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if host.len() <= 253 && host.split('.').all(label_ok) {
        Ok(())
    } else {
        Err("an IP address or a host name")
    }
}

/// Galera settings that galeractl itself sets; an extra option may not fight them.
const MANAGED_OPTIONS: &[&str] = &[
    "wsrep-on",
    "wsrep-provider",
    "wsrep-cluster-name",
    "wsrep-cluster-address",
    "wsrep-node-name",
    "wsrep-node-address",
    "wsrep-node-incoming-address",
    "wsrep-sst-receive-address",
    "wsrep-provider-options",
    "wsrep-sst-method",
    "wsrep-new-cluster",
    "binlog-format",
    "innodb-autoinc-lock-mode",
    "innodb-flush-log-at-trx-commit",
    "port",
    "user",
    "datadir",
];

/// Relative paths are anchored at the inventory's directory; `~/...` is left for the I/O layer
/// to expand (the core reads no environment).
fn resolve(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() || file.starts_with("~/") {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn ports_of(
    c: &mut Checker<'_>,
    raw: Option<&RawPorts>,
    prefix: &str,
    defaults: Ports,
) -> (Ports, [Range<usize>; 4]) {
    let empty = RawPorts::default();
    let raw = raw.unwrap_or(&empty);
    let (mysql, s1) = c.port(
        raw.mysql.as_ref(),
        format!("{prefix}.mysql"),
        defaults.mysql,
    );
    let (galera, s2) = c.port(
        raw.galera.as_ref(),
        format!("{prefix}.galera"),
        defaults.galera,
    );
    let (sst, s3) = c.port(raw.sst.as_ref(), format!("{prefix}.sst"), defaults.sst);
    let (ist, s4) = c.port(raw.ist.as_ref(), format!("{prefix}.ist"), defaults.ist);
    (
        Ports {
            mysql,
            galera,
            sst,
            ist,
        },
        [s1, s2, s3, s4],
    )
}

pub(super) fn validate(
    path: &Path,
    source: &str,
    raw: RawInventory,
) -> (Option<Inventory>, Vec<Diagnostic>, Located) {
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut c = Checker {
        source,
        diagnostics: Vec::new(),
    };
    let rc = &raw.cluster;
    let cluster_name = c.name(&rc.name, "cluster.name", "cluster name");
    let (cluster_ports, cluster_port_spans) =
        ports_of(&mut c, rc.ports.as_ref(), "cluster.ports", DEFAULT_PORTS);
    let mut templates = Vec::new();
    for (value, key, default) in [
        (&rc.volume, "cluster.volume", DEFAULT_VOLUME),
        (&rc.container, "cluster.container", DEFAULT_CONTAINER),
    ] {
        let template = value.as_ref().map_or(default, |v| v.get_ref().as_str());
        if let Some(v) = value {
            let expanded = template.replace("{cluster}", "c").replace("{node}", "n");
            if !template.contains("{node}") || !is_valid_name(&expanded) {
                c.error(
                    v.span(),
                    key,
                    format!("template {template:?} must contain {{node}} and expand to a valid name (placeholders: {{cluster}}, {{node}})"),
                );
            }
        }
        templates.push(template.to_string());
    }
    let mut mariadbd_options = Vec::new();
    for (i, opt) in rc.mariadbd_options.iter().enumerate() {
        let key = format!("cluster.mariadbd_options[{i}]");
        let text = opt.get_ref();
        let name = text
            .trim_start_matches('-')
            .split('=')
            .next()
            .unwrap_or("")
            .replace('_', "-");
        if !text.starts_with("--") || name.is_empty() {
            c.error(
                opt.span(),
                key,
                format!("{text:?} is not a mariadbd option: write it as --name or --name=value"),
            );
        } else if MANAGED_OPTIONS.contains(&name.as_str()) {
            c.error(
                opt.span(),
                key,
                format!("{text:?} sets {name}, which galeractl manages itself"),
            );
        }
        mariadbd_options.push(text.clone());
    }
    let cluster = Cluster {
        name: cluster_name.clone(),
        image: c.non_empty(&rc.image, "cluster.image"),
        distribute_image: rc.distribute_image,
        root_password_file: resolve(&base, rc.root_password_file.get_ref()),
        monitor_password_file: resolve(&base, rc.monitor_password_file.get_ref()),
        monitor_user: match &rc.monitor_user {
            Some(u) => c.name(u, "cluster.monitor_user", "user name"),
            None => DEFAULT_MONITOR_USER.to_string(),
        },
        volume_template: templates[0].clone(),
        container_template: templates[1].clone(),
        provider: rc
            .provider
            .as_ref()
            .map_or(DEFAULT_PROVIDER.to_string(), |p| {
                c.non_empty(p, "cluster.provider")
            }),
        sst_method: c
            .one_of(
                rc.sst_method.as_ref(),
                "cluster.sst_method",
                &[("rsync", "rsync"), ("mariabackup", "mariabackup")],
                "rsync",
            )
            .to_string(),
        durability: c.one_of(
            rc.durability.as_ref(),
            "cluster.durability",
            &[("durable", Durability::Durable), ("fast", Durability::Fast)],
            Durability::Durable,
        ),
        config_dir: match &rc.config_dir {
            Some(d) if !d.get_ref().starts_with('/') => {
                c.error(d.span(), "cluster.config_dir", "must be an absolute path");
                d.get_ref().clone()
            }
            Some(d) => d.get_ref().clone(),
            None => DEFAULT_CONFIG_DIR.to_string(),
        },
        mariadbd_options,
    };

    let ssh = SshSettings {
        user: raw.ssh.user.as_ref().map(|u| c.non_empty(u, "ssh.user")),
        port: raw
            .ssh
            .port
            .as_ref()
            .map(|p| c.port(Some(p), "ssh.port".into(), 22).0),
        identity: raw
            .ssh
            .identity
            .as_ref()
            .map(|f| resolve(&base, f.get_ref())),
        known_hosts: raw
            .ssh
            .known_hosts
            .as_ref()
            .map(|f| resolve(&base, f.get_ref())),
        config_file: raw
            .ssh
            .config_file
            .as_ref()
            .map(|f| resolve(&base, f.get_ref())),
    };

    let mut uses: Vec<PortUse> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut node_spans: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let raw_nodes = raw.nodes.as_ref();
    match raw_nodes {
        None => c.error(
            0..0,
            "nodes",
            "the inventory has no nodes: add at least one [[nodes]] table with name and host",
        ),
        Some(list) if list.get_ref().is_empty() => c.error(
            list.span(),
            "nodes",
            "the node list is empty: add at least one node",
        ),
        Some(_) => {}
    }
    for (i, rn) in raw_nodes
        .map(|l| l.get_ref().as_slice())
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let key = format!("nodes[{i}]");
        let name = c.name(&rn.name, &format!("{key}.name"), "node name");
        if let Some(first) = nodes.iter().position(|n| n.name == name) {
            let line = c.line_of(&node_spans[first].0);
            c.error(
                rn.name.span(),
                format!("{key}.name"),
                format!("duplicate node name {name:?} (first defined on line {line})"),
            );
        }
        let host = c.host(&rn.host, &format!("{key}.host"));
        let (ports, spans) = ports_of(
            &mut c,
            rn.ports.as_ref(),
            &format!("{key}.ports"),
            cluster_ports,
        );
        let node = Node {
            name: name.clone(),
            host: host.clone(),
            ports,
            ssh_user: rn
                .ssh_user
                .as_ref()
                .map(|u| c.non_empty(u, &format!("{key}.ssh_user"))),
            ssh_port: rn
                .ssh_port
                .as_ref()
                .map(|p| c.port(Some(p), format!("{key}.ssh_port"), 22).0),
            ssh_identity: rn
                .ssh_identity
                .as_ref()
                .map(|f| resolve(&base, f.get_ref())),
        };
        if let Some(other) = nodes
            .iter()
            .position(|n| n.host == node.host && n.ports == node.ports && n.name != node.name)
        {
            let line = c.line_of(&node_spans[other].0);
            c.error(
                rn.host.span(),
                format!("{key}.host"),
                format!(
                    "nodes {:?} (line {line}) and {name:?} are both on host {host} with the same ports: give one of them its own [nodes.ports]",
                    nodes[other].name
                ),
            );
        } else {
            for ((role, port), span) in [
                ("mysql", ports.mysql),
                ("galera", ports.galera),
                ("sst", ports.sst),
                ("ist", ports.ist),
            ]
            .into_iter()
            .zip(spans)
            {
                // A port inherited from the cluster is located at the cluster's value, or at the
                // node's host when the cluster relies on the default.
                let span = if span != (0..0) {
                    span
                } else {
                    let at = cluster_port_spans[role_index(role)].clone();
                    if at != (0..0) {
                        at
                    } else {
                        rn.host.span()
                    }
                };
                uses.push(PortUse {
                    host: host.clone(),
                    port,
                    owner: format!("{name} {role}"),
                    cluster: cluster_name.clone(),
                    span,
                });
            }
        }
        node_spans.push((rn.name.span(), rn.host.span()));
        nodes.push(node);
    }

    let haproxy = raw.haproxy.as_ref().map(|h| {
        let host = c.host(&h.host, "haproxy.host");
        let (port, ps) = c.port(h.port.as_ref(), "haproxy.port".into(), 3306);
        let (stats_port, ss) = c.port(h.stats_port.as_ref(), "haproxy.stats_port".into(), 4399);
        let (check_port, cs) = c.port(h.check_port.as_ref(), "haproxy.check_port".into(), 9200);
        let at = |s: Range<usize>| if s == (0..0) { h.host.span() } else { s };
        for (owner, p, s) in [("haproxy", port, ps), ("haproxy stats", stats_port, ss)] {
            uses.push(PortUse {
                host: host.clone(),
                port: p,
                owner: owner.into(),
                cluster: cluster_name.clone(),
                span: at(s),
            });
        }
        // One health endpoint per node, each on its node's host at check_port: two nodes on
        // one host collide there, and the collision check says so.
        for n in &nodes {
            uses.push(PortUse {
                host: n.host.clone(),
                port: check_port,
                owner: format!("{} health check", n.name),
                cluster: cluster_name.clone(),
                span: at(cs.clone()),
            });
        }
        Haproxy {
            host,
            image: h
                .image
                .as_ref()
                .map_or(DEFAULT_HAPROXY_IMAGE.to_string(), |i| {
                    c.non_empty(i, "haproxy.image")
                }),
            port,
            stats_port,
            check_port,
            stats_user: h.stats_user.as_ref().map_or("admin".to_string(), |u| {
                c.name(u, "haproxy.stats_user", "user name")
            }),
            stats_password_file: resolve(&base, h.stats_password_file.get_ref()),
            routing: c.one_of(
                h.routing.as_ref(),
                "haproxy.routing",
                &[
                    ("single-writer", Routing::SingleWriter),
                    ("round-robin", Routing::RoundRobin),
                ],
                Routing::SingleWriter,
            ),
            donor_fallback: h.donor_fallback.unwrap_or(true),
        }
    });

    let arbitrator = raw.arbitrator.as_ref().map(|a| {
        let host = c.host(&a.host, "arbitrator.host");
        let (port, ps) = c.port(
            a.port.as_ref(),
            "arbitrator.port".into(),
            cluster_ports.galera,
        );
        uses.push(PortUse {
            host: host.clone(),
            port,
            owner: "arbitrator".into(),
            cluster: cluster_name.clone(),
            span: if ps == (0..0) { a.host.span() } else { ps },
        });
        Arbitrator {
            host,
            image: a.image.as_ref().map_or(cluster.image.clone(), |i| {
                c.non_empty(i, "arbitrator.image")
            }),
            port,
        }
    });

    c.diagnostics.extend(port_collisions(source, &uses, &uses));

    if let Some(list) = raw_nodes {
        let n = nodes.len();
        if n > 0 && n % 2 == 0 && arbitrator.is_none() {
            c.diagnostics.push(Diagnostic::warning(
                list.span(),
                "nodes",
                format!(
                    "{n} nodes and no [arbitrator]: if the cluster splits in two halves of {}, neither keeps quorum; use an odd number of nodes or add an arbitrator",
                    n / 2
                ),
            ));
        }
    }

    c.diagnostics
        .sort_by_key(|d| d.span.as_ref().map(|s| s.start));
    let ok = !c.diagnostics.iter().any(Diagnostic::is_error);
    let inventory = ok.then(|| Inventory {
        path: path.to_path_buf(),
        cluster,
        ssh,
        nodes,
        haproxy,
        arbitrator,
    });
    let mut secrets = HashMap::new();
    secrets.insert("cluster.root_password_file", rc.root_password_file.span());
    secrets.insert(
        "cluster.monitor_password_file",
        rc.monitor_password_file.span(),
    );
    if let Some(h) = &raw.haproxy {
        secrets.insert("haproxy.stats_password_file", h.stats_password_file.span());
    }
    (
        inventory,
        c.diagnostics,
        Located {
            ports: uses,
            secrets,
        },
    )
}

fn role_index(role: &str) -> usize {
    match role {
        "mysql" => 0,
        "galera" => 1,
        "sst" => 2,
        _ => 3,
    }
}

/// Ports of `new` that collide with a port of `earlier` on the same host. With `new` and
/// `earlier` the same list, each pair is reported once, at the later use.
fn port_collisions(source: &str, earlier: &[PortUse], new: &[PortUse]) -> Vec<Diagnostic> {
    let same_list = std::ptr::eq(earlier, new);
    let mut out = Vec::new();
    for (i, u) in new.iter().enumerate() {
        let limit = if same_list { i } else { earlier.len() };
        if let Some(first) = earlier[..limit]
            .iter()
            .find(|e| e.host == u.host && e.port == u.port)
        {
            let whose = if first.cluster == u.cluster {
                first.owner.clone()
            } else {
                format!("cluster {:?} ({})", first.cluster, first.owner)
            };
            let at = if same_list {
                format!(" (line {})", position(source, first.span.start).line)
            } else {
                String::new()
            };
            out.push(Diagnostic::error(
                u.span.clone(),
                "",
                format!(
                    "port {} on host {} is used twice: by {whose}{at} and by {}",
                    u.port, u.host, u.owner
                ),
            ));
        }
    }
    out
}

/// Checks several inventories that may share hosts: a port published twice on one host, or
/// two clusters of the same name on one host (their containers and volumes would collide).
/// Returns, per file, the diagnostics found in that file.
pub fn cross_check(files: &[(&str, &Inventory, &[PortUse])]) -> Vec<Vec<Diagnostic>> {
    let mut out = vec![Vec::new(); files.len()];
    let mut seen: Vec<PortUse> = Vec::new();
    let mut clusters: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, (source, inventory, uses)) in files.iter().enumerate() {
        for node in &inventory.nodes {
            let key = (inventory.cluster.name.as_str(), node.host.as_str());
            match clusters.get(&key) {
                Some(&j) if j != i => out[i].push(Diagnostic::error(
                    0..0,
                    "cluster.name",
                    format!(
                        "cluster {:?} is also defined by {} on host {}: cluster names must differ on shared hosts",
                        inventory.cluster.name,
                        files[j].1.path.display(),
                        node.host
                    ),
                )),
                _ => {
                    clusters.insert(key, i);
                }
            }
        }
        out[i].extend(port_collisions(source, &seen, uses));
        seen.extend(uses.iter().cloned());
    }
    for list in &mut out {
        list.dedup();
    }
    out
}

/// Secret files must exist, be non-empty and be readable by their owner only.
pub(super) fn check_secret_files(
    inventory: &Inventory,
    located: &Located,
    facts: impl Fn(&Path) -> SecretFileFacts,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, path) in inventory.secret_files() {
        let span = located.secrets.get(key).cloned().unwrap_or(0..0);
        let shown = path.display();
        let problem = match facts(path) {
            SecretFileFacts::Missing => Some(format!("secret file {shown} does not exist")),
            SecretFileFacts::NotAFile => Some(format!("secret file {shown} is not a regular file")),
            SecretFileFacts::Empty => Some(format!(
                "secret file {shown} is empty: an empty password is refused"
            )),
            SecretFileFacts::Mode(mode) if mode & 0o077 != 0 => Some(format!(
                "secret file {shown} is readable by group or others (mode {mode:04o}): run chmod 600 {shown}"
            )),
            SecretFileFacts::Mode(_) => None,
        };
        if let Some(message) = problem {
            out.push(Diagnostic::error(span, key, message));
        }
    }
    out
}
