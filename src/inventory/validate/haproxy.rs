//! `[haproxy]`: the proxy's ports, its health endpoints beside the nodes, and `check_bind`.

use std::ops::Range;
use std::path::Path;

use super::checker::Checker;
use crate::inventory::raw::RawHaproxy;
use crate::inventory::rules::shown;
use crate::inventory::{Haproxy, Node, PortUse, Routing, DEFAULT_HAPROXY_IMAGE};

/// `[haproxy]`: the proxy's ports on its host, and a health endpoint next to each node.
pub(super) fn haproxy_section(
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
