//! `[arbitrator]`: garbd's host, port and image.

use super::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::inventory::raw::RawArbitrator;
use crate::inventory::rules::shown;
use crate::inventory::{Arbitrator, Cluster, PortUse};

/// `[arbitrator]`: garbd's host and port.
pub(super) fn arbitrator_section(
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
