//! Rules that a parsed inventory must satisfy before anything touches a host. Every rule
//! reports at the offending value's position; all findings are collected, none stops the rest.
//!
//! `validate` walks the inventory one section at a time (cluster, ssh, nodes, haproxy,
//! arbitrator), then checks what several sections share: hosts here, published ports and
//! container and volume names in `collisions`. Rules about one value on its own are in `rules`.
//! The secret and SSH files are judged last, from facts the I/O layer gathers (`files`).

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::collisions::{collisions, name_claims, port_collisions};
use super::raw::{
    RawArbitrator, RawCluster, RawHaproxy, RawInventory, RawNode, RawPorts, RawSsh, RawTls, S,
};
use super::rules::{self, check_address, host_key, is_valid_name, shown, OptionProblem};
use super::{
    Arbitrator, Cluster, Durability, Haproxy, Inventory, Node, PortUse, Ports, Routing,
    SecretFileFacts, SecretText, SshFileFacts, SshSettings, Tls, DEFAULT_CONFIG_DIR,
    DEFAULT_CONTAINER, DEFAULT_HAPROXY_IMAGE, DEFAULT_MONITOR_USER, DEFAULT_NETWORK, DEFAULT_PORTS,
    DEFAULT_PROVIDER, DEFAULT_TLS_DIR, DEFAULT_VOLUME, LOCAL_HOST, MAX_SECRET_BYTES,
};
use crate::diagnostic::{position, Diagnostic};

/// Where the checked inventory's values stand in the source, for checks made after parsing.
#[derive(Debug, Clone, Default)]
pub struct Located {
    pub ports: Vec<PortUse>,
    pub secrets: HashMap<&'static str, Range<usize>>,
    /// The SSH files the inventory names, by key (`ssh.identity`, `nodes[1].ssh_identity`, ...).
    pub ssh_files: HashMap<String, Range<usize>>,
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
                    "{what} {} is not valid: use letters, digits, '-', '_' or '.', starting with a letter or digit, at most 64 characters",
                    shown(name)
                ),
            );
        }
        name.clone()
    }

    fn host(&mut self, value: &S<String>, key: &str) -> String {
        let host = value.get_ref();
        if let Err(why) = check_address(host) {
            self.error(value.span(), key, format!("{} is not {why}", shown(host)));
        }
        host.clone()
    }

    fn non_empty(&mut self, value: &S<String>, key: &str) -> String {
        if value.get_ref().trim().is_empty() {
            self.error(value.span(), key, "must not be empty");
        }
        value.get_ref().clone()
    }

    /// A value that must not be empty and that `problem` must find nothing wrong with.
    fn judged(
        &mut self,
        value: &S<String>,
        key: &str,
        what: &str,
        problem: fn(&str) -> Option<&'static str>,
    ) -> String {
        let text = value.get_ref();
        if text.trim().is_empty() {
            self.error(value.span(), key, "must not be empty");
        } else if let Some(why) = problem(text) {
            self.error(value.span(), key, format!("{what}{} {why}", shown(text)));
        }
        text.clone()
    }

    /// A path on this machine, resolved from the inventory's directory. A control character
    /// in it (a newline, ...) is refused: no file needs one, and it would break every text the
    /// path is written into (a plan, `export k8s`'s comments).
    fn path(&mut self, base: &Path, value: &S<String>, key: &str) -> PathBuf {
        let text = value.get_ref();
        if text.chars().any(char::is_control) {
            self.error(
                value.span(),
                key,
                format!(
                    "path {} has a control character (a newline, a tab, ...): rename the file",
                    shown(text)
                ),
            );
        }
        resolve(base, text)
    }

    fn image(&mut self, value: &S<String>, key: &str) -> String {
        self.judged(value, key, "image ", rules::image_problem)
    }

    fn one_of<T: Copy>(
        &mut self,
        value: Option<&S<String>>,
        key: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(v) = value else { return default };
        if let Some((_, chosen)) = choices.iter().find(|(name, _)| name == v.get_ref()) {
            *chosen
        } else {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            self.error(
                v.span(),
                key,
                format!("{} is not one of {}", shown(v.get_ref()), names.join(", ")),
            );
            default
        }
    }
}

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

/// The cluster's port set and where each of its ports is written (`0..0`: the default).
struct ClusterPorts {
    ports: Ports,
    spans: [Range<usize>; 4],
}

fn ports_of(
    c: &mut Checker<'_>,
    raw: Option<&RawPorts>,
    prefix: &str,
    defaults: Ports,
) -> ClusterPorts {
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
    ClusterPorts {
        ports: Ports {
            mysql,
            galera,
            sst,
            ist,
        },
        spans: [s1, s2, s3, s4],
    }
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
    let mut located = Located::default();
    let (cluster, cluster_ports) = cluster_section(&mut c, &base, &raw.cluster);
    let ssh = ssh_section(&mut c, &base, &raw.ssh, &mut located);
    shared_hosts(&mut c, &raw);
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
    let nodes = nodes_section(
        &mut c,
        &base,
        raw_nodes.map_or(&[], |l| l.get_ref().as_slice()),
        &cluster.name,
        &cluster_ports,
        &mut located,
    );
    let haproxy = raw
        .haproxy
        .as_ref()
        .map(|h| haproxy_section(&mut c, &base, h, &nodes, &cluster.name, &mut located.ports));
    let arbitrator = raw.arbitrator.as_ref().map(|a| {
        arbitrator_section(
            &mut c,
            a,
            &cluster,
            cluster_ports.ports.galera,
            &mut located.ports,
        )
    });

    local_hosts(&mut c, &raw);
    let raw_nodes_list = raw_nodes.map_or(&[][..], |l| l.get_ref().as_slice());
    let tls = raw
        .tls
        .as_ref()
        .and_then(|t| tls_section(&mut c, &base, t, &raw.cluster, &cluster, raw_nodes_list));
    if tls.is_some() {
        // A member's certificate is NAME.crt beside the CA's ca.crt (here and on the hosts).
        for (i, n) in raw_nodes
            .map_or(&[][..], |l| l.get_ref().as_slice())
            .iter()
            .enumerate()
        {
            if n.name.get_ref() == "ca" {
                c.error(
                    n.name.span(),
                    format!("nodes[{i}].name"),
                    "\"ca\" is the CA's file name with [tls]: give the node another name",
                );
            }
        }
    }

    c.diagnostics
        .extend(port_collisions(source, &located.ports, &located.ports));
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

    let inventory = Inventory {
        path: path.to_path_buf(),
        cluster,
        ssh,
        nodes,
        haproxy,
        arbitrator,
        tls,
    };
    let names = name_claims(&inventory, Some(&raw));
    c.diagnostics
        .extend(collisions(source, &names, &names, true));

    c.diagnostics
        .sort_by_key(|d| d.span.as_ref().map(|s| s.start));
    let ok = !c.diagnostics.iter().any(Diagnostic::is_error);
    located.secrets.insert(
        "cluster.root_password_file",
        raw.cluster.root_password_file.span(),
    );
    located.secrets.insert(
        "cluster.monitor_password_file",
        raw.cluster.monitor_password_file.span(),
    );
    if let Some(p) = &raw.cluster.sst_password_file {
        located
            .secrets
            .insert("cluster.sst_password_file", p.span());
    }
    if let Some(p) = &raw.cluster.backup_password_file {
        located
            .secrets
            .insert("cluster.backup_password_file", p.span());
    }
    if let Some(h) = &raw.haproxy {
        located
            .secrets
            .insert("haproxy.stats_password_file", h.stats_password_file.span());
    }
    (ok.then_some(inventory), c.diagnostics, located)
}

/// The SST method; mariabackup needs the SST user's password file.
fn sst_method(c: &mut Checker<'_>, rc: &RawCluster) -> String {
    let method = c
        .one_of(
            rc.sst_method.as_ref(),
            "cluster.sst_method",
            &[("rsync", "rsync"), ("mariabackup", "mariabackup")],
            "rsync",
        )
        .to_string();
    if method == "mariabackup" && rc.sst_password_file.is_none() {
        let span = rc.sst_method.as_ref().map_or(0..0, toml::Spanned::span);
        c.error(
            span,
            "cluster.sst_method",
            "sst_method = \"mariabackup\" needs sst_password_file: a 0600 file with the password of the SST user galeractl creates on each node (galeractl_sst, localhost only)",
        );
    }
    method
}

/// `[cluster]`: names, ports, templates, image, paths inside the image and on the hosts, and
/// the extra mariadbd options.
fn cluster_section(c: &mut Checker<'_>, base: &Path, rc: &RawCluster) -> (Cluster, ClusterPorts) {
    let name = c.name(&rc.name, "cluster.name", "cluster name");
    let ports = ports_of(c, rc.ports.as_ref(), "cluster.ports", DEFAULT_PORTS);
    let volume_template = template(c, rc.volume.as_ref(), "cluster.volume", DEFAULT_VOLUME);
    let container_template = template(
        c,
        rc.container.as_ref(),
        "cluster.container",
        DEFAULT_CONTAINER,
    );
    let mariadbd_options = rc
        .mariadbd_options
        .iter()
        .enumerate()
        .map(|(i, opt)| mariadbd_option(c, i, opt))
        .collect();
    let monitor_user = match &rc.monitor_user {
        Some(u) => {
            let user = c.name(u, "cluster.monitor_user", "user name");
            if user == "root" {
                c.error(
                    u.span(),
                    "cluster.monitor_user",
                    format!(
                        "\"root\" cannot be the monitor user: the image's entrypoint refuses MARIADB_USER=root; leave monitor_user out (the default is {DEFAULT_MONITOR_USER:?}) or choose another name"
                    ),
                );
            }
            user
        }
        None => DEFAULT_MONITOR_USER.to_string(),
    };
    let cluster = Cluster {
        name,
        image: c.image(&rc.image, "cluster.image"),
        distribute_image: rc.distribute_image,
        root_password_file: c.path(base, &rc.root_password_file, "cluster.root_password_file"),
        monitor_password_file: c.path(
            base,
            &rc.monitor_password_file,
            "cluster.monitor_password_file",
        ),
        monitor_user,
        volume_template,
        container_template,
        provider: rc
            .provider
            .as_ref()
            .map_or(DEFAULT_PROVIDER.to_string(), |p| {
                c.judged(p, "cluster.provider", "provider ", rules::provider_problem)
            }),
        sst_method: sst_method(c, rc),
        sst_password_file: rc
            .sst_password_file
            .as_ref()
            .map(|p| c.path(base, p, "cluster.sst_password_file")),
        backup_password_file: rc
            .backup_password_file
            .as_ref()
            .map(|p| c.path(base, p, "cluster.backup_password_file")),
        durability: c.one_of(
            rc.durability.as_ref(),
            "cluster.durability",
            &[("durable", Durability::Durable), ("fast", Durability::Fast)],
            Durability::Durable,
        ),
        config_dir: rc
            .config_dir
            .as_ref()
            .map_or(DEFAULT_CONFIG_DIR.to_string(), |d| {
                c.judged(d, "cluster.config_dir", "", rules::config_dir_problem)
            }),
        mariadbd_options,
        network: match &rc.network {
            Some(n) => {
                if !is_valid_name(n.get_ref()) {
                    c.error(
                        n.span(),
                        "cluster.network",
                        format!("Docker network name {}: letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64", shown(n.get_ref())),
                    );
                }
                n.get_ref().clone()
            }
            None => DEFAULT_NETWORK.replace("{cluster}", rc.name.get_ref()),
        },
        gcache_size: rc.gcache_size.as_ref().map(|g| {
            c.judged(
                g,
                "cluster.gcache_size",
                "gcache size ",
                rules::gcache_size_problem,
            )
            .to_ascii_uppercase()
        }),
    };
    (cluster, ports)
}

/// A container or volume name template as written, or the default (which is known good).
fn template(c: &mut Checker<'_>, value: Option<&S<String>>, key: &str, default: &str) -> String {
    let Some(v) = value else {
        return default.to_string();
    };
    let template = v.get_ref();
    let expanded = template.replace("{cluster}", "c").replace("{node}", "n");
    if !template.contains("{node}") || !is_valid_name(&expanded) {
        c.error(
            v.span(),
            key,
            format!(
                "template {} must contain {{node}} and expand to a valid name (placeholders: {{cluster}}, {{node}})",
                shown(template)
            ),
        );
    } else if !template.contains("{cluster}") {
        c.error(
            v.span(),
            key,
            format!(
                "template {} has no {{cluster}}: another cluster on the same hosts would get the same names; put {{cluster}} in it, as in {default:?}",
                shown(template)
            ),
        );
    }
    template.clone()
}

fn mariadbd_option(c: &mut Checker<'_>, i: usize, opt: &S<String>) -> String {
    let key = format!("cluster.mariadbd_options[{i}]");
    let text = opt.get_ref();
    let problem = match rules::check_option(text) {
        Ok(()) => None,
        Err(OptionProblem::Malformed) => Some(format!(
            "{} is not a mariadbd option: write it as --name or --name=value",
            shown(text)
        )),
        Err(OptionProblem::Sets(managed)) => Some(format!(
            "{} sets {managed}, which galeractl manages itself",
            shown(text)
        )),
        Err(OptionProblem::Abbreviates(managed)) => Some(format!(
            "{} abbreviates {managed} (mariadbd takes a unique prefix of an option's name for the option), which galeractl manages itself",
            shown(text)
        )),
        Err(OptionProblem::Refused(name, why)) => Some(format!(
            "{} sets {name}, which {why}",
            shown(text)
        )),
        Err(OptionProblem::BadName) => Some(format!(
            "{} has a character no option name holds (whitespace, a control character, ...): mariadbd would stop on an unknown option; names are letters, digits, '-', '_' and '.'",
            shown(text)
        )),
        Err(OptionProblem::ControlInValue) => Some(format!(
            "{} has a control character (a newline, a tab, ...) in its value, which mariadbd refuses and which would break the exported option file",
            shown(text)
        )),
    };
    if let Some(message) = problem {
        c.error(opt.span(), key, message);
    }
    text.clone()
}

/// `[ssh]`; the files it names are checked for existence by the I/O layer (`check_ssh_files`).
fn ssh_section(
    c: &mut Checker<'_>,
    base: &Path,
    rs: &RawSsh,
    located: &mut Located,
) -> SshSettings {
    let mut file = |value: &Option<S<String>>, key: &str| {
        value.as_ref().map(|f| {
            located.ssh_files.insert(key.to_string(), f.span());
            c.path(base, f, key)
        })
    };
    let identity = file(&rs.identity, "ssh.identity");
    let known_hosts = file(&rs.known_hosts, "ssh.known_hosts");
    let config_file = file(&rs.config_file, "ssh.config_file");
    SshSettings {
        user: rs.user.as_ref().map(|u| c.non_empty(u, "ssh.user")),
        port: rs
            .port
            .as_ref()
            .map(|p| c.port(Some(p), "ssh.port".into(), 22).0),
        identity,
        known_hosts,
        config_file,
        sudo: rs.sudo.as_ref().is_some_and(|s| *s.get_ref()),
    }
}

/// `[[nodes]]`: each node's name, host, ports and SSH overrides, and the ports it publishes.
fn nodes_section(
    c: &mut Checker<'_>,
    base: &Path,
    raw_nodes: &[RawNode],
    cluster_name: &str,
    cluster_ports: &ClusterPorts,
    located: &mut Located,
) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    for (i, rn) in raw_nodes.iter().enumerate() {
        let key = format!("nodes[{i}]");
        let name = c.name(&rn.name, &format!("{key}.name"), "node name");
        if let Some(first) = nodes.iter().position(|n| n.name == name) {
            let line = c.line_of(&raw_nodes[first].name.span());
            c.error(
                rn.name.span(),
                format!("{key}.name"),
                format!(
                    "duplicate node name {} (first defined on line {line})",
                    shown(&name)
                ),
            );
        }
        let host = c.host(&rn.host, &format!("{key}.host"));
        let ports = ports_of(
            c,
            rn.ports.as_ref(),
            &format!("{key}.ports"),
            cluster_ports.ports,
        );
        let ssh_identity = rn.ssh_identity.as_ref().map(|f| {
            located
                .ssh_files
                .insert(format!("{key}.ssh_identity"), f.span());
            c.path(base, f, &format!("{key}.ssh_identity"))
        });
        let node = Node {
            name: name.clone(),
            host: host.clone(),
            ports: ports.ports,
            ssh_user: rn
                .ssh_user
                .as_ref()
                .map(|u| c.non_empty(u, &format!("{key}.ssh_user"))),
            ssh_port: rn
                .ssh_port
                .as_ref()
                .map(|p| c.port(Some(p), format!("{key}.ssh_port"), 22).0),
            ssh_identity,
        };
        if let Some(other) = nodes.iter().position(|n| {
            host_key(&n.host) == host_key(&node.host)
                && n.ports == node.ports
                && n.name != node.name
        }) {
            let line = c.line_of(&raw_nodes[other].name.span());
            c.error(
                rn.host.span(),
                format!("{key}.host"),
                format!(
                    "nodes {} (line {line}) and {} are both on host {host} with the same ports: give one of them its own [nodes.ports]",
                    shown(&nodes[other].name),
                    shown(&name)
                ),
            );
        } else {
            let published = [
                node.ports.mysql,
                node.ports.galera,
                node.ports.sst,
                node.ports.ist,
            ];
            for (r, role) in ["mysql", "galera", "sst", "ist"].into_iter().enumerate() {
                // A port inherited from the cluster is located at the cluster's value, or at the
                // node's host when the cluster relies on the default.
                let span = [&ports.spans[r], &cluster_ports.spans[r]]
                    .into_iter()
                    .find(|s| **s != (0..0))
                    .cloned()
                    .unwrap_or_else(|| rn.host.span());
                let port = published[r];
                located.ports.push(PortUse {
                    host: host.clone(),
                    port,
                    owner: format!("{name} {role}"),
                    cluster: cluster_name.to_string(),
                    span,
                });
            }
        }
        nodes.push(node);
    }
    nodes
}

/// `[haproxy]`: the proxy's ports on its host, and a health endpoint next to each node.
fn haproxy_section(
    c: &mut Checker<'_>,
    base: &Path,
    h: &RawHaproxy,
    nodes: &[Node],
    cluster_name: &str,
    uses: &mut Vec<PortUse>,
) -> Haproxy {
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
            cluster: cluster_name.to_string(),
            span: at(s),
        });
    }
    // One health endpoint per node, each on its node's host at check_port: two nodes on
    // one host collide there, and the collision check says so.
    for n in nodes {
        uses.push(PortUse {
            host: n.host.clone(),
            port: check_port,
            owner: format!("{} health check", n.name),
            cluster: cluster_name.to_string(),
            span: at(cs.clone()),
        });
    }
    Haproxy {
        host,
        image: h
            .image
            .as_ref()
            .map_or(DEFAULT_HAPROXY_IMAGE.to_string(), |i| {
                c.image(i, "haproxy.image")
            }),
        port,
        stats_port,
        check_port,
        stats_user: h.stats_user.as_ref().map_or("admin".to_string(), |u| {
            c.name(u, "haproxy.stats_user", "user name")
        }),
        stats_password_file: c.path(base, &h.stats_password_file, "haproxy.stats_password_file"),
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
        check_bind_node: check_bind(c, h, nodes),
    }
}

/// `check_bind`: `"all"` (the default: every address of the host) or `"node"` (the node's own
/// address, which must then be an IP address: Docker publishes on addresses, not names).
fn check_bind(c: &mut Checker<'_>, h: &RawHaproxy, nodes: &[Node]) -> bool {
    let node = c.one_of(
        h.check_bind.as_ref(),
        "haproxy.check_bind",
        &[("all", false), ("node", true)],
        false,
    );
    if let (true, Some(v)) = (node, &h.check_bind) {
        if let Some(n) = nodes
            .iter()
            .find(|n| n.host.parse::<std::net::IpAddr>().is_err())
        {
            c.error(
                v.span(),
                "haproxy.check_bind",
                format!(
                    "check_bind = \"node\" publishes each health endpoint on its node's address, which must be an IP address; {} has host {}",
                    n.name,
                    shown(&n.host)
                ),
            );
        }
    }
    node
}

/// `[tls]`: where the certificates are kept, whose CA signs them, and whether clients must use
/// TLS. Only `enabled = true` turns it on.
fn tls_section(
    c: &mut Checker<'_>,
    base: &Path,
    t: &RawTls,
    rc: &RawCluster,
    cluster: &Cluster,
    nodes: &[RawNode],
) -> Option<Tls> {
    if !*t.enabled.get_ref() {
        return None;
    }
    if cluster.sst_method != "mariabackup" {
        let span = rc
            .sst_method
            .as_ref()
            .map_or(t.enabled.span(), toml::Spanned::span);
        c.error(
            span,
            "cluster.sst_method",
            "[tls] needs sst_method = \"mariabackup\": its transfer is encrypted and verified by socat's OpenSSL, which the node image has; rsync SST is encrypted only through stunnel, which the node image lacks, and would send every data file in the clear",
        );
    }
    if cluster_is_local(nodes) {
        c.error(
            t.enabled.span(),
            "tls.enabled",
            "[tls] is not supported for a cluster of local nodes yet: the certificates would name \"local\", which the probes (to 127.0.0.1) and the SST donor's check of the joiner's name reject",
        );
    }
    let dir = match &t.dir {
        Some(d) => {
            c.non_empty(d, "tls.dir");
            if !d.get_ref().is_empty() && d.get_ref().trim_end_matches('/').is_empty() {
                c.error(
                    d.span(),
                    "tls.dir",
                    "\"/\" is the root directory: galeractl writes the CA and every member's key there; give the certificates a directory of their own",
                );
            }
            c.path(base, d, "tls.dir")
        }
        None => base.join(DEFAULT_TLS_DIR.replace("{cluster}", &cluster.name)),
    };
    let own = match (&t.ca_cert, &t.ca_key) {
        (Some(cert), Some(key)) if cert.get_ref() == key.get_ref() => {
            c.error(
                key.span(),
                "tls.ca_key",
                format!(
                    "{} is also ca_cert: the CA's key and its certificate are two files (the key stays on this machine, the certificate goes to every host)",
                    shown(key.get_ref())
                ),
            );
            None
        }
        (Some(cert), Some(key)) => Some((
            {
                c.non_empty(cert, "tls.ca_cert");
                c.path(base, cert, "tls.ca_cert")
            },
            {
                c.non_empty(key, "tls.ca_key");
                c.path(base, key, "tls.ca_key")
            },
        )),
        (None, None) => None,
        (Some(v), None) | (None, Some(v)) => {
            let key = if t.ca_cert.is_some() {
                "tls.ca_cert"
            } else {
                "tls.ca_key"
            };
            c.error(
                v.span(),
                key,
                "give both ca_cert and ca_key (your own CA signs the node certificates), or neither (galeractl makes a CA in tls.dir)",
            );
            None
        }
    };
    let own_ca = own.is_some();
    let (ca_cert, ca_key) = own.unwrap_or_else(|| (dir.join("ca.crt"), dir.join("ca.key")));
    Some(Tls {
        dir,
        ca_cert,
        ca_key,
        own_ca,
        require_secure_transport: t.require_secure_transport.unwrap_or(false),
    })
}

/// `[arbitrator]`: garbd's host and port.
fn arbitrator_section(
    c: &mut Checker<'_>,
    a: &RawArbitrator,
    cluster: &Cluster,
    galera_port: u16,
    uses: &mut Vec<PortUse>,
) -> Arbitrator {
    let host = c.host(&a.host, "arbitrator.host");
    let (port, ps) = c.port(a.port.as_ref(), "arbitrator.port".into(), galera_port);
    uses.push(PortUse {
        host: host.clone(),
        port,
        owner: "arbitrator".into(),
        cluster: cluster.name.clone(),
        span: if ps == (0..0) { a.host.span() } else { ps },
    });
    if a.image.is_none() {
        c.diagnostics.push(Diagnostic::warning(
            a.host.span(),
            "arbitrator.image",
            format!(
                "garbd runs from the node image {} when [arbitrator].image is left out, and the node image may not contain garbd; set [arbitrator].image",
                shown(&cluster.image)
            ),
        ));
    }
    Arbitrator {
        host,
        image: a
            .image
            .as_ref()
            .map_or(cluster.image.clone(), |i| c.image(i, "arbitrator.image")),
        port,
    }
}

/// Hosts seen together. A member's host (a node's, the arbitrator's) is the address galeractl
/// advertises to the other members, so with more than one member it must not mean "this
/// machine". And one host written two ways (`db1.example`, `DB1.EXAMPLE`) is an error rather
/// than two hosts: the rest of galeractl (one SSH connection per host, one preparation per
/// host, the port checks of `validate A B`) compares hosts as written.
fn shared_hosts(c: &mut Checker<'_>, raw: &RawInventory) {
    let nodes = raw
        .nodes
        .as_ref()
        .map_or(&[][..], |l| l.get_ref().as_slice());
    let members = nodes.len() + usize::from(raw.arbitrator.is_some());
    let mut hosts: Vec<(String, &S<String>, bool)> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("nodes[{i}].host"), &n.host, true))
        .collect();
    if let Some(h) = &raw.haproxy {
        hosts.push(("haproxy.host".to_string(), &h.host, false));
    }
    if let Some(a) = &raw.arbitrator {
        hosts.push(("arbitrator.host".to_string(), &a.host, true));
    }
    hosts.sort_by_key(|(_, value, _)| value.span().start);
    let mut first_spelling: HashMap<String, &S<String>> = HashMap::new();
    for (key, value, member) in hosts {
        let host = value.get_ref();
        if check_address(host).is_err() {
            continue; // already reported
        }
        if host != LOCAL_HOST && host.eq_ignore_ascii_case(LOCAL_HOST) {
            c.error(
                value.span(),
                key.as_str(),
                format!(
                    "{} would be a host reached over SSH: only \"local\", in lower case, means this machine; write \"local\" or the host's name",
                    shown(host)
                ),
            );
        }
        if member && members > 1 {
            if let Some(what) = rules::local_only(host) {
                c.error(
                    value.span(),
                    key.as_str(),
                    format!(
                        "{} is {what}, which the other members cannot reach: galeractl advertises each member's host to the others (wsrep_node_address); use an address they can reach",
                        shown(host)
                    ),
                );
            }
        }
        match first_spelling.get(&host_key(host)) {
            Some(first) if first.get_ref() != host => {
                let why = if host.parse::<std::net::IpAddr>().is_ok() {
                    "it is one address"
                } else {
                    "host names ignore case"
                };
                let line = c.line_of(&first.span());
                c.error(
                    value.span(),
                    key,
                    format!(
                        "{} and {} (line {line}) are the same host written two ways ({why}): write it one way everywhere",
                        shown(host),
                        shown(first.get_ref())
                    ),
                );
            }
            Some(_) => {}
            None => {
                first_spelling.insert(host_key(host), value);
            }
        }
    }
}

/// Secret files must exist, be non-empty, small, and readable by their owner only.
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
            SecretFileFacts::TooLarge(size) => Some(format!(
                "secret file {shown} is {size} bytes: a password file may hold at most {MAX_SECRET_BYTES} bytes"
            )),
            SecretFileFacts::Present(mode, _) if mode & 0o077 != 0 => Some(format!(
                "secret file {shown} is readable by group or others (mode {mode:04o}): run chmod 600 {shown}"
            )),
            SecretFileFacts::Present(_, Some(text)) => secret_text_problem(key, &shown, text),
            SecretFileFacts::Present(_, None) => None,
        };
        if let Some(message) = problem {
            out.push(Diagnostic::error(span, key, message));
        }
    }
    out
}

/// What in a secret's text breaks at run time, for the key that names it: the monitoring
/// password must read the same to galeractl and to the image (no CRLF line end); the SST,
/// backup and stats passwords are written into option files unquoted.
fn secret_text_problem(
    key: &str,
    shown: &std::path::Display<'_>,
    text: SecretText,
) -> Option<String> {
    match key {
        "cluster.monitor_password_file" if text.ends_in_cr => Some(format!(
            "secret file {shown} ends in a carriage return (a CRLF line end): the image keeps it in the password and galeractl does not, so galeractl could not log in; remove it (dos2unix {shown})"
        )),
        "cluster.sst_password_file" | "cluster.backup_password_file" | "haproxy.stats_password_file"
            if !text.plain =>
        {
            Some(format!(
                "the password in {shown} has characters that galeractl does not write into a configuration file: use letters, digits and {} (openssl rand -hex 24 makes one)",
                rules::PLAIN_PUNCTUATION
            ))
        }
        _ => None,
    }
}

/// Every SSH file the inventory names, with its key and what it is.
fn ssh_files(inventory: &Inventory) -> Vec<(String, &'static str, &Path)> {
    let s = &inventory.ssh;
    let mut files: Vec<(String, &'static str, &Path)> = [
        ("ssh.identity", "SSH identity file", &s.identity),
        ("ssh.known_hosts", "known_hosts file", &s.known_hosts),
        ("ssh.config_file", "SSH config file", &s.config_file),
    ]
    .into_iter()
    .filter_map(|(key, what, path)| path.as_deref().map(|p| (key.to_string(), what, p)))
    .collect();
    for (i, node) in inventory.nodes.iter().enumerate() {
        if let Some(p) = &node.ssh_identity {
            files.push((format!("nodes[{i}].ssh_identity"), "SSH identity file", p));
        }
    }
    files
}

/// The SSH files the inventory names must exist (ssh would stop, or worse, silently skip a
/// missing identity). Anything but a directory passes: `config_file = "/dev/null"` is a
/// common way to ignore ~/.ssh/config.
pub(super) fn check_ssh_files(
    inventory: &Inventory,
    located: &Located,
    facts: impl Fn(&Path) -> SshFileFacts,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, what, path) in ssh_files(inventory) {
        let problem = match facts(path) {
            SshFileFacts::Missing => "does not exist",
            SshFileFacts::Directory => "is a directory",
            SshFileFacts::Present => continue,
        };
        let span = located.ssh_files.get(&key).cloned().unwrap_or(0..0);
        out.push(Diagnostic::error(
            span,
            key,
            format!("{what} {} {problem}", path.display()),
        ));
    }
    out
}

/// Docker's own networks, on which containers do not resolve each other's names.
const BUILT_IN_NETWORKS: &[&str] = &["host", "bridge", "none", "default"];

/// Whether the inventory's nodes run on this machine (`host = "local"`).
fn cluster_is_local(nodes: &[RawNode]) -> bool {
    nodes.iter().any(|n| n.host.get_ref() == LOCAL_HOST)
}

/// `host = "local"` (this machine's Docker, no SSH) is all or nothing: a local node's address
/// is its container's name on this machine's network, which no other host can reach; and the
/// proxy and the arbitrator are not run locally yet.
fn local_hosts(c: &mut Checker<'_>, raw: &RawInventory) {
    let Some(nodes) = raw.nodes.as_ref() else {
        return;
    };
    let local = |h: &S<String>| h.get_ref() == LOCAL_HOST;
    if !nodes.get_ref().iter().any(|n| local(&n.host)) {
        for (key, host) in [
            ("haproxy.host", raw.haproxy.as_ref().map(|h| &h.host)),
            ("arbitrator.host", raw.arbitrator.as_ref().map(|a| &a.host)),
        ] {
            if let Some(h) = host.filter(|h| local(h)) {
                c.error(
                    h.span(),
                    key,
                    "\"local\" (this machine) with nodes on other hosts: the nodes could not reach it, and it would advertise \"local\" to them; give the host they reach it at",
                );
            }
        }
        return;
    }
    if let Some(n) = &raw.cluster.network {
        if BUILT_IN_NETWORKS.contains(&n.get_ref().as_str()) {
            c.error(
                n.span(),
                "cluster.network",
                format!(
                    "Docker's network {} gives containers no names to reach each other by, and local nodes find each other by container name; leave network out (galeractl makes {}) or name a network of your own",
                    shown(n.get_ref()),
                    DEFAULT_NETWORK.replace("{cluster}", raw.cluster.name.get_ref())
                ),
            );
        }
    }
    for (i, n) in nodes.get_ref().iter().enumerate() {
        if !local(&n.host) {
            c.error(
                n.host.span(),
                format!("nodes[{i}].host"),
                format!("{} with other nodes on \"local\": a local node is reached by its container's name on this machine only; make every node local, or none", shown(n.host.get_ref())),
            );
        }
    }
    if let Some(h) = &raw.haproxy {
        c.error(
            h.host.span(),
            "haproxy.host",
            "[haproxy] is not supported for a cluster of local nodes yet",
        );
    }
    if let Some(a) = &raw.arbitrator {
        c.error(
            a.host.span(),
            "arbitrator.host",
            "[arbitrator] is not supported for a cluster of local nodes yet",
        );
    }
}
