//! Before `recover` or `start-node` touch a TLS cluster: this machine's CA must be the one the
//! cluster's hosts trust (`tls-ca.crt` on each host). These commands work on a cluster that
//! exists, so they never make a CA: a missing one, or another one, is refused. (`up` makes the
//! CA of a new cluster.)

use super::Failure;
use crate::exit;
use crate::inventory::Inventory;
use crate::ssh::Hosts;

/// What a host holds as the cluster's CA certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostCa {
    /// No file there (a host the cluster has not used with TLS yet).
    Missing,
    Pem(String),
}

/// Whether `local` (this machine's CA certificate, `None` when missing) may be used with the
/// hosts' CAs; the refusal says what was seen and what to do.
pub fn judge(
    inventory: &Inventory,
    command: &str,
    local: Option<&str>,
    hosts: &[(String, HostCa)],
) -> Result<(), String> {
    let Some(tls) = &inventory.tls else {
        return Ok(());
    };
    let path = tls.ca_cert.display();
    let dir = tls.dir.display();
    let Some(local) = local else {
        return Err(format!(
            "refusing to {command}, nothing was changed: [tls] needs the cluster's CA on this machine, and {path} is missing; {command} never makes a CA (the cluster's nodes would not trust it). Copy {dir} (its ca.crt and ca.key, the key 0600) from the machine that made the cluster, then run again"
        ));
    };
    let differ: Vec<&str> = hosts
        .iter()
        .filter(|(_, ca)| matches!(ca, HostCa::Pem(pem) if pem.trim() != local.trim()))
        .map(|(h, _)| h.as_str())
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    Err(format!(
        "refusing to {command}, nothing was changed: this machine's CA {path} is not the one the cluster trusts ({} on {} differs): what it signed or uploads would not be trusted. Use the {dir} of the machine that made the cluster (copy it here), then run again",
        crate::tls::host_ca(inventory),
        differ.join(", ")
    ))
}

/// [`judge`] with this machine's CA file and each connected host's `tls-ca.crt` (`cat`).
/// A host whose file cannot be read for another reason than its absence fails the command.
pub async fn check(inventory: &Inventory, hosts: &Hosts, command: &str) -> Result<(), Failure> {
    let Some(tls) = &inventory.tls else {
        return Ok(());
    };
    let local = match std::fs::read_to_string(&tls.ca_cert) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Failure::new(
                exit::FAILED,
                format!(
                    "cannot read {}: {e}; nothing was changed",
                    tls.ca_cert.display()
                ),
            ))
        }
    };
    let path = crate::tls::host_ca(inventory);
    let script = "[ ! -e \"$1\" ] && exit 3; cat -- \"$1\"";
    let argv = crate::argv::words(&["sh", "-c", script, "sh", path.as_str()]);
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
                return Err(Failure::new(
                    exit::FAILED,
                    format!(
                        "host {host}: cannot read {path} (exit {}: {}); nothing was changed",
                        o.code,
                        o.stderr.trim()
                    ),
                ))
            }
            Err(e) => {
                return Err(Failure::new(
                    exit::FAILED,
                    format!("host {host}: cannot read {path}: {e}; nothing was changed"),
                ))
            }
        };
        seen.push((host, ca));
    }
    judge(inventory, command, local.as_deref(), &seen).map_err(|m| Failure::new(exit::REFUSED, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory() -> Inventory {
        let source = "[cluster]\nname = \"c1\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\nsst_method = \"mariabackup\"\nsst_password_file = \"s\"\n\n[[nodes]]\nname = \"a\"\nhost = \"10.0.0.1\"\n\n[[nodes]]\nname = \"b\"\nhost = \"10.0.0.2\"\n\n[tls]\nenabled = true\ndir = \"c1-tls\"\n";
        let parsed = crate::inventory::parse(std::path::Path::new("/inv/c1.toml"), source);
        let Some(inventory) = parsed.inventory else {
            panic!("{:?}", parsed.report.diagnostics)
        };
        inventory
    }

    const CA: &str = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_missing_local_ca_is_refused_never_made() {
        assert_eq!(
            judge(&inventory(), "recover", None, &[]),
            Err("refusing to recover, nothing was changed: [tls] needs the cluster's CA on this machine, and /inv/c1-tls/ca.crt is missing; recover never makes a CA (the cluster's nodes would not trust it). Copy /inv/c1-tls (its ca.crt and ca.key, the key 0600) from the machine that made the cluster, then run again".to_string())
        );
    }

    #[test]
    fn another_ca_on_a_host_is_refused_and_named() {
        let hosts = [
            ("10.0.0.1".to_string(), HostCa::Pem(CA.trim().to_string())),
            (
                "10.0.0.2".to_string(),
                HostCa::Pem(CA.replace("AAA", "BBB")),
            ),
        ];
        assert_eq!(
            judge(&inventory(), "start-node a", Some(CA), &hosts),
            Err("refusing to start-node a, nothing was changed: this machine's CA /inv/c1-tls/ca.crt is not the one the cluster trusts (/etc/galeractl/c1/tls-ca.crt on 10.0.0.2 differs): what it signed or uploads would not be trusted. Use the /inv/c1-tls of the machine that made the cluster (copy it here), then run again".to_string())
        );
    }

    #[test]
    fn the_same_ca_or_none_on_a_host_is_fine() {
        let hosts = [
            ("10.0.0.1".to_string(), HostCa::Pem(CA.to_string())),
            ("10.0.0.2".to_string(), HostCa::Missing),
        ];
        assert_eq!(judge(&inventory(), "recover", Some(CA), &hosts), Ok(()));
    }
}
