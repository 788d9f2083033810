//! garbd's container on the arbitrator's host: a member of the cluster's group communication
//! without data. Pure builder; `plan::arbitrator` places it.

use super::{LABEL_CLUSTER, LABEL_ROLE, LABEL_SPEC, LABEL_TLS, RESTART_POLICY};
use crate::argv::{spec_hash, Argv};
use crate::inventory::{host_port, Arbitrator, Inventory};

/// The members garbd connects to: every node's published Galera port.
fn members(inventory: &Inventory) -> String {
    let peers: Vec<String> = inventory
        .nodes
        .iter()
        .map(|n| host_port(&n.host, n.ports.galera))
        .collect();
    format!("gcomm://{}", peers.join(","))
}

/// `docker run` of garbd: its port published on its host and advertised as the host's
/// (`base_host`/`base_port`), as the nodes do, so the members can reach it back; `--init`, so
/// that a `docker stop` ends it at once (garbd ignores SIGTERM while it connects). The spec
/// label hashes the rest of the command.
pub fn run(inventory: &Inventory, a: &Arbitrator) -> Argv {
    let name = inventory.arbitrator_container();
    let mut words: Argv = [
        "docker",
        "run",
        "--detach",
        "--init",
        "--name",
        &name,
        "--restart",
        RESTART_POLICY,
        "--label",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    words.push(format!("{LABEL_CLUSTER}={}", inventory.cluster.name));
    words.push("--label".into());
    words.push(format!("{LABEL_ROLE}=arbitrator"));
    if inventory.tls.is_some() {
        words.push("--label".into());
        words.push(format!("{LABEL_TLS}=on"));
    }
    let spec_at = words.len();
    words.extend(["--publish".to_string(), format!("{}:{}", a.port, a.port)]);
    if inventory.tls.is_some() {
        for mount in crate::tls::mounts(inventory, crate::tls::ARBITRATOR) {
            words.push("--volume".into());
            words.push(mount);
        }
    }
    words.extend([
        "--entrypoint".to_string(),
        "garbd".to_string(),
        a.image.clone(),
        "--address".to_string(),
        members(inventory),
        "--group".to_string(),
        inventory.cluster.name.clone(),
        "--options".to_string(),
        format!(
            "base_host={}; base_port={}; gmcast.listen_addr=tcp://0.0.0.0:{}{}",
            a.host,
            a.port,
            a.port,
            if inventory.tls.is_some() {
                crate::tls::garbd_options()
            } else {
                String::new()
            }
        ),
    ]);
    let spec = spec_hash(&words);
    words.splice(
        spec_at..spec_at,
        ["--label".to_string(), format!("{LABEL_SPEC}={spec}")],
    );
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;

    #[test]
    fn garbds_run_is_exact() {
        let plain = super::super::fixture::inventory(
            "\n[[nodes]]\nname = \"b\"\nhost = \"h2\"\n\n[arbitrator]\nhost = \"h3\"\n",
        );
        let Some(a) = &plain.arbitrator else {
            panic!("no arbitrator")
        };
        assert_eq!(
            shell_join(&run(&plain, a)),
            "docker run --detach --init --name c-garbd --restart unless-stopped --label io.galeractl.cluster=c --label io.galeractl.role=arbitrator --label io.galeractl.spec=309e052b956fa04f --publish 5567:5567 --entrypoint garbd i --address gcomm://h:5567,h2:5567 --group c --options 'base_host=h3; base_port=5567; gmcast.listen_addr=tcp://0.0.0.0:5567'"
        );
        let tls = super::super::fixture::with_tls(
            "\n[[nodes]]\nname = \"b\"\nhost = \"h2\"\n\n[arbitrator]\nhost = \"h3\"\n",
        );
        let Some(a) = &tls.arbitrator else {
            panic!("no arbitrator")
        };
        assert_eq!(
            shell_join(&run(&tls, a)),
            "docker run --detach --init --name c-garbd --restart unless-stopped --label io.galeractl.cluster=c --label io.galeractl.role=arbitrator --label io.galeractl.tls=on --label io.galeractl.spec=b7e589addc7d80ee --publish 5567:5567 --volume /etc/galeractl/c/tls-ca.crt:/etc/mysql/galeractl-tls/ca.crt:ro --volume /etc/galeractl/c/tls-_arbitrator.crt:/etc/mysql/galeractl-tls/server.crt:ro --volume /etc/galeractl/c/tls-_arbitrator.key:/etc/mysql/galeractl-tls/server.key:ro --entrypoint garbd i --address gcomm://h:5567,h2:5567 --group c --options 'base_host=h3; base_port=5567; gmcast.listen_addr=tcp://0.0.0.0:5567; socket.ssl_cert=/etc/mysql/galeractl-tls/server.crt; socket.ssl_key=/etc/mysql/galeractl-tls/server.key; socket.ssl_ca=/etc/mysql/galeractl-tls/ca.crt'"
        );
    }
}
