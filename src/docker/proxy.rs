//! The proxy's host commands: HAProxy's container, each node's health endpoint container
//! (the node's image running `socat` and the script `haproxy::check_script` writes), the drain
//! flag that makes an endpoint answer 503, and where their files are on the hosts. Pure
//! builders; the configuration and the script come in as text (their hash is the spec label).

use super::{LABEL_CLUSTER, LABEL_ROLE, LABEL_SPEC};
use crate::argv::{spec_hash, Argv};
use crate::inventory::layout::{MONITOR_PASSWORD_FILE, SECRETS_MOUNT};
use crate::inventory::{Haproxy, Inventory, Node};

/// Inside the check container; published on the host as `check_port`.
const CHECK_LISTEN: u16 = 9200;
const CONFIG_MOUNT: &str = "/usr/local/etc/haproxy/haproxy.cfg";

/// HAProxy's configuration on the proxy's host (0600: it holds the stats password).
pub fn config_path(inventory: &Inventory) -> String {
    format!("{}/haproxy.cfg", inventory.cluster_dir())
}

/// The health endpoint's script on each node host.
pub fn check_script_path(inventory: &Inventory) -> String {
    format!("{}/check.sh", inventory.cluster_dir())
}

/// Where the health endpoint sees its node's drain flag directory.
const DRAIN_MOUNT: &str = "/run/galeractl/drain";

/// The directory on the node's host whose `drained` file makes its health endpoint answer
/// 503, so that HAProxy stops sending it traffic while it still serves.
pub fn drain_dir(inventory: &Inventory, node: &Node) -> String {
    format!("{}/drain/{}", inventory.cluster_dir(), node.name)
}

/// Drains the node: its health endpoint answers 503 from now on.
pub fn drain(inventory: &Inventory, node: &Node) -> Argv {
    let dir = drain_dir(inventory, node);
    vec![
        "sh".into(),
        "-c".into(),
        "mkdir -p -- \"$1\" && touch -- \"$1/drained\"".into(),
        "galeractl-drain".into(),
        dir,
    ]
}

/// Ends the drain: the endpoint answers from the node's state again.
pub fn undrain(inventory: &Inventory, node: &Node) -> Argv {
    vec![
        "rm".into(),
        "-f".into(),
        "--".into(),
        format!("{}/drained", drain_dir(inventory, node)),
    ]
}

/// `a` with the spec label (a hash of `a` and `extra`) put before `image`.
fn with_spec(mut a: Argv, image: &str, extra: &str) -> Argv {
    let mut hashed = a.clone();
    hashed.push(extra.to_string());
    let spec = spec_hash(&hashed);
    let at = a.iter().position(|w| w == image).unwrap_or(a.len());
    a.splice(
        at..at,
        ["--label".to_string(), format!("{LABEL_SPEC}={spec}")],
    );
    a
}

/// The check container of a node: the node's own image (it has `mariadb` and `socat`),
/// talking to the node through its host's published MySQL port.
pub fn run_check(inventory: &Inventory, node: &Node, h: &Haproxy, script: &str) -> Argv {
    let image = inventory.cluster.image.clone();
    let mut a: Argv = vec![
        "docker".into(),
        "run".into(),
        "--detach".into(),
        "--name".into(),
        inventory.check_container(node),
        "--restart".into(),
        "unless-stopped".into(),
        "--label".into(),
        format!("{LABEL_CLUSTER}={}", inventory.cluster.name),
        "--label".into(),
        format!("{LABEL_ROLE}=check"),
        "--publish".into(),
        if h.check_bind_node {
            // Only the node's address: not every address of the host.
            format!(
                "{}:{CHECK_LISTEN}",
                crate::inventory::host_port(&node.host, h.check_port)
            )
        } else {
            format!("{}:{CHECK_LISTEN}", h.check_port)
        },
        "--volume".into(),
        format!("{}:/check.sh:ro", check_script_path(inventory)),
        // Only the monitoring password: the endpoint answers on the network.
        "--volume".into(),
        format!(
            "{}/{MONITOR}:{}/{MONITOR}:ro",
            inventory.secrets_dir(),
            SECRETS_MOUNT,
            MONITOR = MONITOR_PASSWORD_FILE
        ),
        // The drain flag's directory: a file there makes the endpoint answer 503.
        "--volume".into(),
        format!("{}:{DRAIN_MOUNT}:ro", drain_dir(inventory, node)),
        "--env".into(),
        format!("CHECK_HOST={}", node.host),
        "--env".into(),
        format!("CHECK_PORT={}", node.ports.mysql),
        "--env".into(),
        format!("CHECK_USER={}", inventory.cluster.monitor_user),
        "--entrypoint".into(),
        "socat".into(),
        image.clone(),
        format!("TCP-LISTEN:{CHECK_LISTEN},fork,reuseaddr,max-children=16"),
        "EXEC:sh /check.sh".into(),
    ];
    if inventory.tls.is_some() {
        // The client asks over TLS and verifies the node's certificate (its address).
        let at = a
            .iter()
            .position(|w| w == "--entrypoint")
            .unwrap_or(a.len());
        let mounts = [
            format!(
                "{}:{}:ro",
                crate::tls::host_ca(inventory),
                crate::tls::CA_IN
            ),
            format!(
                "{}:{}:ro",
                crate::tls::host_client_cnf(inventory),
                crate::tls::CLIENT_CNF_MOUNT
            ),
        ];
        a.splice(
            at..at,
            mounts.into_iter().flat_map(|m| ["--volume".to_string(), m]),
        );
    }
    with_spec(a, &image, script)
}

/// The proxy container. It starts as root only to read its 0600 configuration, then HAProxy
/// drops to the `haproxy` user (global section).
pub fn run_proxy(inventory: &Inventory, h: &Haproxy, config: &str) -> Argv {
    let a: Argv = vec![
        "docker".into(),
        "run".into(),
        "--detach".into(),
        "--name".into(),
        inventory.proxy_container(),
        "--restart".into(),
        "unless-stopped".into(),
        "--user".into(),
        "0".into(),
        "--label".into(),
        format!("{LABEL_CLUSTER}={}", inventory.cluster.name),
        "--label".into(),
        format!("{LABEL_ROLE}=haproxy"),
        // The host's own network: HAProxy binds its port and the stats port there directly.
        // Published instead, a connection to a node on the same host went through Docker's
        // userland proxy as well (its hairpin): measured on the lab, 20% fewer transactions
        // through the proxy than with the host's network.
        "--network".into(),
        "host".into(),
        "--volume".into(),
        format!("{}:{CONFIG_MOUNT}:ro", config_path(inventory)),
    ];
    let mut a = a;
    if inventory.tls.is_some() {
        // The stats page over HTTPS: its certificate and key.
        a.extend([
            "--volume".to_string(),
            format!(
                "{}:{}:ro",
                crate::tls::host_proxy_pem(inventory),
                crate::tls::PROXY_PEM_IN
            ),
        ]);
    }
    a.push(h.image.clone());
    with_spec(a, &h.image, config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;

    const PROXY: &str = "\n[haproxy]\nhost = \"p\"\nimage = \"haproxy:2.8\"\nstats_user = \"ops\"\nstats_password_file = \"s\"\n";

    #[test]
    fn drains_are_exact() {
        let inventory = super::super::fixture::inventory(PROXY);
        let node = &inventory.nodes[0];
        assert_eq!(
            drain(&inventory, node),
            [
                "sh",
                "-c",
                "mkdir -p -- \"$1\" && touch -- \"$1/drained\"",
                "galeractl-drain",
                "/etc/galeractl/c/drain/a"
            ]
        );
        assert_eq!(
            undrain(&inventory, node),
            ["rm", "-f", "--", "/etc/galeractl/c/drain/a/drained"]
        );
        assert_eq!(config_path(&inventory), "/etc/galeractl/c/haproxy.cfg");
        assert_eq!(check_script_path(&inventory), "/etc/galeractl/c/check.sh");
    }

    #[test]
    fn the_containers_are_exact() {
        let check = "docker run --detach --name c-a-check --restart unless-stopped --label io.galeractl.cluster=c --label io.galeractl.role=check --publish 9200:9200 --volume /etc/galeractl/c/check.sh:/check.sh:ro --volume /etc/galeractl/c/secrets/monitor-password:/run/secrets/galeractl/monitor-password:ro --volume /etc/galeractl/c/drain/a:/run/galeractl/drain:ro --env CHECK_HOST=h --env CHECK_PORT=4306 --env CHECK_USER=galeractl_monitor";
        let check_tls = "--volume /etc/galeractl/c/tls-ca.crt:/etc/mysql/galeractl-tls/ca.crt:ro --volume /etc/galeractl/c/tls-client.cnf:/etc/mysql/conf.d/zz-galeractl-tls-client.cnf:ro";
        let listen = "i TCP-LISTEN:9200,fork,reuseaddr,max-children=16 'EXEC:sh /check.sh'";
        let proxy = "docker run --detach --name c-haproxy --restart unless-stopped --user 0 --label io.galeractl.cluster=c --label io.galeractl.role=haproxy --network host --volume /etc/galeractl/c/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro";
        let proxy_tls =
            "--volume /etc/galeractl/c/tls-_haproxy.pem:/usr/local/etc/haproxy/galeractl-stats.pem:ro";
        for (inventory, want_check, want_proxy) in [
            (
                super::super::fixture::inventory(PROXY),
                format!("{check} --entrypoint socat --label io.galeractl.spec=8139e659ec951c42 {listen}"),
                format!("{proxy} --label io.galeractl.spec=106e3138b0d6f020 haproxy:2.8"),
            ),
            (
                super::super::fixture::with_tls(PROXY),
                format!("{check} {check_tls} --entrypoint socat --label io.galeractl.spec=5e4ab9b4997b7bc0 {listen}"),
                format!("{proxy} {proxy_tls} --label io.galeractl.spec=ca632b8781f5b927 haproxy:2.8"),
            ),
        ] {
            let Some(h) = &inventory.haproxy else {
                panic!("no proxy")
            };
            assert_eq!(
                shell_join(&run_check(&inventory, &inventory.nodes[0], h, "script")),
                want_check
            );
            assert_eq!(shell_join(&run_proxy(&inventory, h, "config")), want_proxy);
        }
    }
}
