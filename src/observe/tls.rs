//! The cluster's CA as this machine and the node hosts hold it (`tls-ca.crt`, read by `cat`),
//! for `tls::judge_ca`.

use crate::facts::HostCa;
use crate::galera;
use crate::inventory::Inventory;
use crate::ssh::Hosts;

/// This machine's CA certificate (`None`: missing) and each connected node host's, or why one
/// could not be read (not for its absence). `Ok(None)` without `[tls]`.
#[allow(clippy::type_complexity)]
pub async fn cas(
    inventory: &Inventory,
    hosts: &Hosts,
) -> Result<Option<(Option<String>, Vec<(String, HostCa)>)>, String> {
    let Some(tls) = &inventory.tls else {
        return Ok(None);
    };
    let local = match std::fs::read_to_string(&tls.ca_cert) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(format!(
                "cannot read {}: {e}; nothing was changed",
                tls.ca_cert.display()
            ))
        }
    };
    let path = crate::tls::host_ca(inventory);
    let argv = crate::docker::shell::cat_if_present(&path);
    let node_hosts: std::collections::BTreeSet<&str> =
        inventory.nodes.iter().map(|n| n.host.as_str()).collect();
    let reads = futures::future::join_all(
        hosts
            .all()
            .filter(|r| node_hosts.contains(r.host.as_str()))
            .map(|r| {
                let argv = &argv;
                async move { (r.host.clone(), r.run(argv, None, r.command_timeout()).await) }
            }),
    )
    .await;
    let mut seen = Vec::new();
    for (host, out) in reads {
        let ca = match out {
            Ok(o) if o.code == 0 => HostCa::Pem(o.stdout),
            Ok(o) if o.code == 3 => HostCa::Missing,
            Ok(o) => {
                return Err(format!(
                    "host {host}: cannot read {path} (exit {}: {}); nothing was changed",
                    o.code,
                    o.stderr.trim()
                ))
            }
            Err(e) => {
                return Err(format!(
                    "host {host}: cannot read {path}: {e}; nothing was changed"
                ))
            }
        };
        seen.push((host, ca));
    }
    Ok(Some((local, seen)))
}

/// The running nodes whose server presents another certificate than this machine's (read
/// from its files): one
/// `ensure_certs` made (or would make), or one that ends at another time.
pub fn stale_certificates(
    inventory: &Inventory,
    statuses: &[Option<galera::NodeStatus>],
    made: &[String],
) -> Vec<String> {
    let Some(tls) = &inventory.tls else {
        return Vec::new();
    };
    inventory
        .nodes
        .iter()
        .zip(statuses)
        .filter_map(|(node, status)| {
            let served = status.as_ref()?.tls_not_after.as_deref()?;
            let local = crate::tls::local_cert(tls, &node.name);
            let renewed = made.contains(&local.display().to_string());
            let same = crate::tls::certs::not_after(&local)
                .is_some_and(|end| crate::tls::certs::same_end(served, end));
            (renewed || !same).then(|| node.name.clone())
        })
        .collect()
}
