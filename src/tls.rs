//! TLS for every connection between hosts, as data: where the certificates are on this machine,
//! on the hosts and inside the containers, and the options that turn encryption on for Galera
//! replication and IST (`socket.ssl_*`), mariabackup SST (`[sst] encrypt=3`), client SQL
//! (`ssl_cert`/`ssl_key`/`ssl_ca`, optionally `require_secure_transport`), the health
//! endpoint's client and garbd. Pure; `certs` (this machine's files) is the only I/O.

pub mod certs;

use std::path::PathBuf;

use crate::facts::HostCa;
use crate::inventory::{Inventory, Node, Tls};

/// Where a member's certificate, key and the CA are mounted in its container.
pub const MOUNT_DIR: &str = "/etc/mysql/galeractl-tls";
pub const CA_IN: &str = "/etc/mysql/galeractl-tls/ca.crt";
pub const CERT_IN: &str = "/etc/mysql/galeractl-tls/server.crt";
pub const KEY_IN: &str = "/etc/mysql/galeractl-tls/server.key";
/// Where the SST script's TLS settings are mounted (an option file the server and the SST
/// script read as the server's user).
pub const SST_CNF_MOUNT: &str = "/etc/mysql/conf.d/zz-galeractl-tls.cnf";
/// Where the health endpoint's client reads its TLS settings.
pub const CLIENT_CNF_MOUNT: &str = "/etc/mysql/conf.d/zz-galeractl-tls-client.cnf";
/// The name under which garbd's certificate is kept: no node can be named so (a node's name
/// starts with a letter or digit).
pub const ARBITRATOR: &str = "_arbitrator";
/// The name under which HAProxy's certificate (for its stats page over HTTPS) is kept.
pub const PROXY: &str = "_haproxy";
/// Where HAProxy reads its stats page's certificate and key (one PEM file).
pub const PROXY_PEM_IN: &str = "/usr/local/etc/haproxy/galeractl-stats.pem";
/// A certificate this close to its end is made anew by `up`.
pub const RENEW_DAYS: i64 = 30;

/// The CA certificate on a host of the cluster.
pub fn host_ca(inventory: &Inventory) -> String {
    format!("{}/tls-ca.crt", inventory.cluster_dir())
}

/// A member's certificate on its host (`member`: a node's name or [`ARBITRATOR`]).
pub fn host_cert(inventory: &Inventory, member: &str) -> String {
    format!("{}/tls-{member}.crt", inventory.cluster_dir())
}

/// A member's private key on its host (0600, the server's user's).
pub fn host_key(inventory: &Inventory, member: &str) -> String {
    format!("{}/tls-{member}.key", inventory.cluster_dir())
}

/// The SST script's TLS settings on a host.
pub fn host_sst_cnf(inventory: &Inventory) -> String {
    format!("{}/tls-sst.cnf", inventory.cluster_dir())
}

/// The health endpoint client's TLS settings on a host.
pub fn host_client_cnf(inventory: &Inventory) -> String {
    format!("{}/tls-client.cnf", inventory.cluster_dir())
}

/// A member's certificate on this machine.
pub fn local_cert(tls: &Tls, member: &str) -> PathBuf {
    tls.dir.join(format!("{member}.crt"))
}

/// A member's private key on this machine (0600).
pub fn local_key(tls: &Tls, member: &str) -> PathBuf {
    tls.dir.join(format!("{member}.key"))
}

/// Every member that gets a certificate, with the addresses its certificate names: each node
/// its own address (first: the common name) and HAProxy's, which its clients connect to; then
/// garbd; then HAProxy itself (its stats page over HTTPS).
pub fn members(inventory: &Inventory) -> Vec<(String, Vec<String>)> {
    let mut m: Vec<(String, Vec<String>)> = inventory
        .nodes
        .iter()
        .map(|n| {
            let mut names = vec![n.host.clone()];
            if let Some(h) = inventory.haproxy.as_ref().filter(|h| h.host != n.host) {
                names.push(h.host.clone());
            }
            (n.name.clone(), names)
        })
        .collect();
    if let Some(a) = &inventory.arbitrator {
        m.push((ARBITRATOR.to_string(), vec![a.host.clone()]));
    }
    if let Some(h) = &inventory.haproxy {
        m.push((PROXY.to_string(), vec![h.host.clone()]));
    }
    m
}

/// HAProxy's certificate and key in one file on this machine (0600), as HAProxy reads it.
pub fn local_proxy_pem(tls: &Tls) -> PathBuf {
    tls.dir.join(format!("{PROXY}.pem"))
}

/// The same on the proxy's host (0600, root's: HAProxy reads it before it drops to its user).
pub fn host_proxy_pem(inventory: &Inventory) -> String {
    format!("{}/tls-{PROXY}.pem", inventory.cluster_dir())
}

/// The `--volume` values that give a member its certificate, key and the CA, read-only.
pub fn mounts(inventory: &Inventory, member: &str) -> Vec<String> {
    vec![
        format!("{}:{CA_IN}:ro", host_ca(inventory)),
        format!("{}:{CERT_IN}:ro", host_cert(inventory, member)),
        format!("{}:{KEY_IN}:ro", host_key(inventory, member)),
    ]
}

/// The node's mounts: its certificate files and the SST settings.
pub fn node_mounts(inventory: &Inventory, node: &Node) -> Vec<String> {
    let mut m = mounts(inventory, &node.name);
    m.push(format!("{}:{SST_CNF_MOUNT}:ro", host_sst_cnf(inventory)));
    m
}

/// Galera's provider options for TLS (replication and IST), appended to the others: the
/// member's certificate and key, and the CA every peer's certificate must chain to.
pub fn provider_options() -> String {
    format!(";socket.ssl_cert={CERT_IN};socket.ssl_key={KEY_IN};socket.ssl_ca={CA_IN}")
}

/// The same for garbd, whose options are separated by `; `.
pub fn garbd_options() -> String {
    format!("; socket.ssl_cert={CERT_IN}; socket.ssl_key={KEY_IN}; socket.ssl_ca={CA_IN}")
}

/// The server's TLS for clients.
pub fn server_options(tls: &Tls) -> Vec<String> {
    let mut o = vec![
        format!("--ssl-cert={CERT_IN}"),
        format!("--ssl-key={KEY_IN}"),
        format!("--ssl-ca={CA_IN}"),
    ];
    if tls.require_secure_transport {
        o.push("--require-secure-transport=ON".to_string());
    }
    o
}

/// The option file of mariabackup SST's TLS: socat's OpenSSL on both ends (`encrypt=3`, a
/// certificate and key), the peer's certificate verified against the CA (`tca`), and the
/// donor checks that the joiner's certificate names the joiner's address (its common name).
/// Not `ssl-mode=VERIFY_*`: with it the joiner's script reads its own common name with the
/// `openssl` program, which the node image lacks, and the transfer fails (exit 42).
pub fn sst_cnf_text() -> String {
    format!(
        "# managed by galeractl\n[sst]\nencrypt=3\ntca={CA_IN}\ntcert={CERT_IN}\ntkey={KEY_IN}\n"
    )
}

/// What reloads a running node's certificate and key without a restart, on the stdin of
/// `docker::root_sql` (as root through the node's own socket): `FLUSH SSL` (the server's TLS
/// for clients) and `socket.ssl_reload=1` (Galera's).
pub const RELOAD_SQL: &str =
    "FLUSH SSL;\nSET GLOBAL wsrep_provider_options='socket.ssl_reload=1';\n";

/// The option file of the health endpoint's client: TLS, the node's certificate verified
/// against the CA and the node's address.
pub fn client_cnf_text() -> String {
    format!("# managed by galeractl\n[client]\nssl\nssl-ca={CA_IN}\nssl-verify-server-cert\n")
}

/// Whether `local` (this machine's CA certificate, `None` when missing) may be used with the
/// hosts' CAs; the refusal says what was seen and what to do.
pub fn judge_ca(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbd_and_node_name_the_same_files() {
        assert!(provider_options().contains("socket.ssl_ca=/etc/mysql/galeractl-tls/ca.crt"));
        assert!(garbd_options().contains("socket.ssl_key=/etc/mysql/galeractl-tls/server.key"));
        assert!(sst_cnf_text().contains("encrypt=3\n"));
    }
}

#[cfg(test)]
mod ca_tests {
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
            judge_ca(&inventory(), "recover", None, &[]),
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
            judge_ca(&inventory(), "start-node a", Some(CA), &hosts),
            Err("refusing to start-node a, nothing was changed: this machine's CA /inv/c1-tls/ca.crt is not the one the cluster trusts (/etc/galeractl/c1/tls-ca.crt on 10.0.0.2 differs): what it signed or uploads would not be trusted. Use the /inv/c1-tls of the machine that made the cluster (copy it here), then run again".to_string())
        );
    }

    #[test]
    fn the_same_ca_or_none_on_a_host_is_fine() {
        let hosts = [
            ("10.0.0.1".to_string(), HostCa::Pem(CA.to_string())),
            ("10.0.0.2".to_string(), HostCa::Missing),
        ];
        assert_eq!(judge_ca(&inventory(), "recover", Some(CA), &hosts), Ok(()));
    }
}
