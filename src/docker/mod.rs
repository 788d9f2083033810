//! Every command galeractl runs on a host (or on this machine for a host), built here and
//! nowhere else: `docker`, `mariadb` and plain shell command lines, each an argv
//! (`Vec<String>`), never a shell string; values a script needs travel as its positional
//! parameters. Container, volume and path names come from the inventory
//! (`inventory::layout`). Pure builders; nothing here runs anything, and the module imports
//! only `argv`, `inventory` and `tls`.
//!
//! This file: a node's `docker run` (with `src/node-start.sh` as entrypoint), its config file,
//! its stop, start and restart policy, the cluster's network and volumes, the image's copy.
//! Beside it: `container` (any container by name), `read` (read-only docker), `oneoff` (one-off
//! containers on a node's volume), `files` (files and owners on the hosts), `users` (the local
//! SST and backup users), `client` (`logs`, `sql`, `root_sql`), `backup` and `dump` (backup
//! and restore), `proxy` (HAProxy and the health endpoints), `garbd`, `listener` (preflight's
//! port mesh), `lock_scripts` (the cluster lock), `shell` (plain host shell lines).

pub mod backup;
pub mod client;
pub mod container;
pub mod dump;
pub mod files;
#[cfg(test)]
pub(crate) mod fixture;
pub mod garbd;
pub mod listener;
pub mod lock_scripts;
pub mod oneoff;
pub mod proxy;
pub mod read;
pub mod shell;
pub mod users;

pub use client::{root_sql, root_sql_script};
pub use files::{
    make_dirs, own_by_image_default_user, own_by_server_user, readable_by_server, write_file,
    write_in_place, write_secret,
};
pub use users::{
    backup_cnf_text, sst_auth_text, sst_user_path, sst_user_sql, uses_mariabackup, LocalUser,
    BACKUP_PASSWORD_PLACEHOLDER, BACKUP_USER, DESYNC_PROCEDURE, SST_PASSWORD_PLACEHOLDER, SST_USER,
};

use crate::argv::{spec_hash, words, Argv};
use crate::inventory::layout::{
    CONFIG_MOUNT, MONITOR_PASSWORD_FILE, NODE_START_MOUNT, ROOT_PASSWORD_FILE, SECRETS_MOUNT,
    SST_AUTH_MOUNT,
};
use crate::inventory::{host_port, Durability, Inventory, Node};

pub const LABEL_CLUSTER: &str = "io.galeractl.cluster";
pub const LABEL_NODE: &str = "io.galeractl.node";
pub const LABEL_SPEC: &str = "io.galeractl.spec";
/// `on` on a node or garbd container that runs with TLS (what `up` compares before a change
/// between plaintext and TLS).
pub const LABEL_TLS: &str = "io.galeractl.tls";
/// What a container of the cluster that is no node is: `check`, `haproxy`, `arbitrator`.
pub const LABEL_ROLE: &str = "io.galeractl.role";

/// The start script itself: recovers a crashed node's position, then runs the image's own
/// entrypoint (see the script's header).
pub const NODE_START_SCRIPT: &str = include_str!("../node-start.sh");
/// The entrypoint of the official `mariadb` image (and of the lab's image), which the start
/// script runs last.
pub const IMAGE_ENTRYPOINT: &str = "docker-entrypoint.sh";

/// Every node container restarts by itself after a crash or a host's reboot, unless an
/// operator stopped it.
pub const RESTART_POLICY: &str = "unless-stopped";

/// Seconds that `docker stop` (and a host shutdown) grants a node to close InnoDB and Galera,
/// so that grastate.dat keeps a real seqno.
pub const STOP_TIMEOUT_SECS: u32 = 120;

/// How long galeractl waits for a clean stop to return.
pub const STOP_GRACE: std::time::Duration =
    std::time::Duration::from_secs(STOP_TIMEOUT_SECS as u64 + 30);

/// The Galera cluster address a node's config file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterAddress {
    /// `gcomm://`: form a new Primary component. Only ever for one node, only until the others
    /// have joined.
    Bootstrap,
    /// The other members' Galera addresses, in inventory order.
    Members(Vec<String>),
    /// A joiner of a new cluster: the other members, and the one node it may take its full copy
    /// (SST, then IST to its join) from. A node that itself joined by SST while other members
    /// joined lacks those joins' events in its gcache: chosen as the donor of a later joiner, it
    /// sends an IST that stops short ("IST didn't contain all write sets"), and that joiner is
    /// left disconnected (seen on the lab: TLS restore, mariabackup). The bootstrap node was
    /// Synced throughout, so it has every event.
    FirstJoin { members: Vec<String>, donor: String },
}

impl ClusterAddress {
    /// Every member of the inventory but `node`.
    pub fn others(inventory: &Inventory, node: &Node) -> Self {
        ClusterAddress::Members(other_members(inventory, node))
    }

    /// A new cluster's joiner: every member but `node`, copying from `donor` only.
    pub fn first_join(inventory: &Inventory, node: &Node, donor: &Node) -> Self {
        ClusterAddress::FirstJoin {
            members: other_members(inventory, node),
            donor: donor.name.clone(),
        }
    }

    pub fn gcomm(&self) -> String {
        match self {
            ClusterAddress::Bootstrap => "gcomm://".to_string(),
            ClusterAddress::Members(list) | ClusterAddress::FirstJoin { members: list, .. } => {
                format!("gcomm://{}", list.join(","))
            }
        }
    }
}

/// The Galera addresses of every member but `node`, in inventory order.
fn other_members(inventory: &Inventory, node: &Node) -> Vec<String> {
    inventory
        .nodes
        .iter()
        .filter(|n| n.name != node.name)
        .map(|n| host_port(&inventory.galera_host(n), n.ports.galera))
        .collect()
}

/// The node's config file: only what changes over the node's life, the cluster address.
/// Rewriting it in place changes what the next start of the container reads, without a restart.
pub fn node_config(address: &ClusterAddress) -> String {
    let donor = match address {
        ClusterAddress::FirstJoin { donor, .. } => format!("wsrep_sst_donor={donor}\n"),
        _ => String::new(),
    };
    format!(
        "# managed by galeractl\n[mysqld]\nwsrep_cluster_address={}\n{donor}",
        address.gcomm()
    )
}

/// A clean stop of the node's container: InnoDB and Galera close, grastate.dat keeps the seqno.
pub fn stop_node(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "stop", "--time"]);
    a.push(STOP_TIMEOUT_SECS.to_string());
    a.push(inventory.container_name(node));
    a
}

/// Turns the node container's restart policy off: nothing restarts it but an operator.
pub fn no_restart(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "update", "--restart", "no"]);
    a.push(inventory.container_name(node));
    a
}

/// Starts the node's stopped container.
pub fn start_node(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "start"]);
    a.push(inventory.container_name(node));
    a
}

/// Gives the node container back the restart policy `run_node` creates it with.
pub fn restart_policy(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "update", "--restart", RESTART_POLICY]);
    a.push(inventory.container_name(node));
    a
}

/// How long a node that waits non-Primary gets to stop before it is killed.
pub const WAITING_STOP_SECS: u32 = 10;

/// The stop of a node that waits non-Primary (it ignores SIGTERM while it waits).
pub fn stop_waiting_node(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "stop", "--time"]);
    a.push(WAITING_STOP_SECS.to_string());
    a.push(inventory.container_name(node));
    a
}

/// Creates the cluster's Docker network unless it exists (local nodes: this machine's).
pub fn network_create(inventory: &Inventory) -> Argv {
    let mut a = words(&[
        "sh",
        "-c",
        "docker network inspect \"$1\" >/dev/null 2>&1 || docker network create --label \"$2\" \"$1\" >/dev/null",
        "galeractl-network",
    ]);
    a.push(inventory.cluster.network.clone());
    a.push(format!("{LABEL_CLUSTER}={}", inventory.cluster.name));
    a
}

pub fn volume_create(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "volume", "create"]);
    a.extend(labels(inventory, node));
    a.push(inventory.volume_name(node));
    a
}

pub fn image_load() -> Argv {
    words(&["docker", "load"])
}

/// The local command whose output `docker load` reads.
pub fn image_save(image: &str) -> Argv {
    let mut a = words(&["docker", "save"]);
    a.push(image.to_string());
    a
}

fn labels(inventory: &Inventory, node: &Node) -> Vec<String> {
    vec![
        "--label".into(),
        format!("{LABEL_CLUSTER}={}", inventory.cluster.name),
        "--label".into(),
        format!("{LABEL_NODE}={}", node.name),
    ]
}

/// The mariadbd options of a node: the seed's addresses and ports plus the settings Galera
/// needs and the durability profile.
pub fn mariadbd_options(inventory: &Inventory, node: &Node) -> Vec<String> {
    let c = &inventory.cluster;
    let p = node.ports;
    let flush = match c.durability {
        Durability::Durable => 1,
        Durability::Fast => 2,
    };
    // Where the other members reach it (its client address stays the inventory's host: the
    // name `status` and the strays' search match).
    let at = inventory.galera_host(node);
    let mut o = vec![
        "--wsrep-on=ON".to_string(),
        format!("--wsrep-provider={}", c.provider),
        format!("--wsrep-cluster-name={}", c.name),
        format!("--wsrep-node-name={}", node.name),
        format!("--wsrep-node-address={}", host_port(&at, p.galera)),
        format!(
            "--wsrep-node-incoming-address={}",
            host_port(&node.host, p.mysql)
        ),
        format!(
            "--wsrep-sst-receive-address={}",
            host_port(&at, p.sst)
        ),
        format!("--wsrep-sst-method={}", c.sst_method),
        // Bind inside the container, advertise the host's address: the host's IP does not exist
        // inside a bridge-networked container.
        format!(
            "--wsrep-provider-options=gmcast.listen_addr=tcp://0.0.0.0:{};ist.recv_addr={};ist.recv_bind=0.0.0.0{}",
            p.galera,
            host_port(&at, p.ist),
            c.gcache_size
                .as_ref()
                .map_or(String::new(), |g| format!(";gcache.size={g}"))
        ),
        "--binlog-format=ROW".to_string(),
        "--default-storage-engine=InnoDB".to_string(),
        "--innodb-autoinc-lock-mode=2".to_string(),
        format!("--innodb-flush-log-at-trx-commit={flush}"),
    ];
    o.extend(c.mariadbd_options.iter().cloned());
    o
}

/// `docker run` for a node. The spec label is a hash of everything else in the command, so a
/// container whose label matches was created from exactly this command.
pub fn run_node(inventory: &Inventory, node: &Node) -> Argv {
    let c = &inventory.cluster;
    let p = node.ports;
    let secrets = inventory.secrets_dir();
    let mut a = words(&["docker", "run", "--detach", "--name"]);
    a.push(inventory.container_name(node));
    a.extend(["--hostname".to_string(), node.name.clone()]);
    if inventory.is_local() {
        // This machine's nodes reach each other on the cluster's own network, by name.
        a.extend(["--network".to_string(), c.network.clone()]);
    }
    a.extend(words(&["--restart", RESTART_POLICY, "--stop-timeout"]));
    a.push(STOP_TIMEOUT_SECS.to_string());
    a.extend(labels(inventory, node));
    if inventory.tls.is_some() {
        a.extend(["--label".to_string(), format!("{LABEL_TLS}=on")]);
    }
    // Where the spec label goes: after the fixed words above, never found by searching for a
    // value (a node named like the image would move it).
    let spec_at = a.len();
    for (outside, inside) in [
        (p.mysql, 3306),
        (p.galera, p.galera),
        (p.sst, p.sst),
        (p.ist, p.ist),
    ] {
        a.push("--publish".into());
        if inventory.is_local() {
            // This machine's own clients only: nodes reach each other on their network.
            a.push(format!("127.0.0.1:{outside}:{inside}"));
        } else {
            a.push(format!("{outside}:{inside}"));
        }
    }
    for mount in [
        format!("{}:/var/lib/mysql", inventory.volume_name(node)),
        format!("{}:{CONFIG_MOUNT}:ro", inventory.config_path(node)),
        format!("{secrets}:{SECRETS_MOUNT}:ro"),
        format!("{}:{NODE_START_MOUNT}:ro", inventory.node_start_path()),
    ] {
        a.push("--volume".into());
        a.push(mount);
    }
    if uses_mariabackup(inventory) {
        a.push("--volume".into());
        a.push(format!("{}:{SST_AUTH_MOUNT}:ro", inventory.sst_auth_path()));
    }
    for user in LocalUser::used(inventory) {
        a.push("--volume".into());
        a.push(format!(
            "{}:{}:ro",
            user.sql_path(inventory),
            user.sql_mount()
        ));
    }
    if inventory.tls.is_some() {
        for mount in crate::tls::node_mounts(inventory, node) {
            a.push("--volume".into());
            a.push(mount);
        }
    }
    for env in [
        format!("MARIADB_ROOT_PASSWORD_FILE={SECRETS_MOUNT}/{ROOT_PASSWORD_FILE}"),
        // root only through the node's own socket: galeractl never needs a remote root, and
        // the images' default ('%') would publish one on every node's SQL port.
        "MARIADB_ROOT_HOST=localhost".to_string(),
        format!("MARIADB_USER={}", c.monitor_user),
        // On a data directory of an older version (a rolling upgrade), the image's entrypoint
        // runs mariadb-upgrade first, on a server of its own with Galera off.
        "MARIADB_AUTO_UPGRADE=1".to_string(),
        format!("MARIADB_PASSWORD_FILE={SECRETS_MOUNT}/{MONITOR_PASSWORD_FILE}"),
    ] {
        a.push("--env".into());
        a.push(env);
    }
    a.extend(["--entrypoint".to_string(), NODE_START_MOUNT.to_string()]);
    a.push(c.image.clone());
    a.push(IMAGE_ENTRYPOINT.to_string());
    a.extend(mariadbd_options(inventory, node));
    if let Some(tls) = &inventory.tls {
        // Galera's replication and IST encrypted (the provider options are one word: TLS's
        // are appended to it), and the server's TLS for clients.
        if let Some(p) = a
            .iter_mut()
            .find(|w| w.starts_with("--wsrep-provider-options="))
        {
            p.push_str(&crate::tls::provider_options());
        }
        a.extend(crate::tls::server_options(tls));
    }
    // The script's text is part of the spec: a new start script rolls the nodes.
    let mut hashed = a.clone();
    hashed.push(NODE_START_SCRIPT.to_string());
    let spec = spec_hash(&hashed);
    a.splice(
        spec_at..spec_at,
        ["--label".to_string(), format!("{LABEL_SPEC}={spec}")],
    );
    a
}

/// The spec label a container must carry to match the inventory.
pub fn spec_of(run: &Argv) -> Option<&str> {
    run.iter()
        .find_map(|w| w.strip_prefix(LABEL_SPEC)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;

    #[test]
    fn a_nodes_lifecycle_commands_are_exact() {
        let inventory = fixture::inventory("");
        let node = &inventory.nodes[0];
        assert_eq!(
            stop_node(&inventory, node),
            ["docker", "stop", "--time", "120", "c-a"]
        );
        assert_eq!(
            stop_waiting_node(&inventory, node),
            ["docker", "stop", "--time", "10", "c-a"]
        );
        assert_eq!(
            no_restart(&inventory, node),
            ["docker", "update", "--restart", "no", "c-a"]
        );
        assert_eq!(
            restart_policy(&inventory, node),
            ["docker", "update", "--restart", "unless-stopped", "c-a"]
        );
        assert_eq!(start_node(&inventory, node), ["docker", "start", "c-a"]);
        assert_eq!(
            shell_join(&volume_create(&inventory, node)),
            "docker volume create --label io.galeractl.cluster=c --label io.galeractl.node=a c-a-data"
        );
        assert_eq!(image_load(), ["docker", "load"]);
        assert_eq!(image_save("i:1"), ["docker", "save", "i:1"]);
        assert_eq!(
            shell_join(&network_create(&inventory)),
            "sh -c 'docker network inspect \"$1\" >/dev/null 2>&1 || docker network create --label \"$2\" \"$1\" >/dev/null' galeractl-network galeractl-c io.galeractl.cluster=c"
        );
    }
}
