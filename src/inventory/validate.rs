//! Rules that a parsed inventory must satisfy before anything touches a host. Every rule
//! reports at the offending value's position; all findings are collected, none stops the rest.
//!
//! `validate` walks the inventory one section at a time (cluster, ssh, nodes, haproxy,
//! arbitrator), then checks what several sections share: hosts here, published ports and
//! container and volume names in `collisions`. Rules about one value on its own are in `rules`.
//! The secret and SSH files are judged last, from facts the I/O layer gathers (`files`).
//!
//! One file per job: `checker` (the `Checker` that collects diagnostics and judges one value),
//! one per section (`cluster`, `ssh`, `nodes`, `haproxy`, `tls`, `arbitrator`), `hosts` (hosts
//! across sections, `host = "local"`), and `secrets` (the secret files); `ssh` also judges the
//! SSH files.

mod arbitrator;
mod checker;
mod cluster;
mod haproxy;
mod hosts;
mod nodes;
mod secrets;
mod ssh;
mod tls;

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use super::collisions::{collisions, name_claims, port_collisions};
use super::raw::RawInventory;
use super::{Inventory, PortUse};
use crate::diagnostic::Diagnostic;
use arbitrator::arbitrator_section;
use checker::Checker;
use cluster::cluster_section;
use haproxy::haproxy_section;
use hosts::{local_hosts, shared_hosts};
use nodes::nodes_section;
use ssh::ssh_section;
use tls::tls_section;

pub(super) use secrets::check_secret_files;
pub(super) use ssh::check_ssh_files;

/// Where the checked inventory's values stand in the source, for checks made after parsing.
#[derive(Debug, Clone, Default)]
pub struct Located {
    pub ports: Vec<PortUse>,
    pub secrets: HashMap<&'static str, Range<usize>>,
    /// The SSH files the inventory names, by key (`ssh.identity`, `nodes[1].ssh_identity`, ...).
    pub ssh_files: HashMap<String, Range<usize>>,
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
