//! Where a cluster's things are, named from the inventory alone: its containers and volumes,
//! its directory and files on each host, and where a node's container sees them. Every
//! builder takes these names from here, and validation claims the same names
//! (`collisions.rs`) without knowing any builder. Pure. (The proxy's and TLS's own files are
//! named in `docker/proxy.rs` and `tls.rs`.)

use super::{Inventory, Node};

/// Where the node's config file is mounted: read after the image's own configuration.
pub const CONFIG_MOUNT: &str = "/etc/mysql/conf.d/zz-galeractl.cnf";
/// Where the cluster's secret directory is mounted, read-only.
pub const SECRETS_MOUNT: &str = "/run/secrets/galeractl";
pub const ROOT_PASSWORD_FILE: &str = "root-password";
pub const MONITOR_PASSWORD_FILE: &str = "monitor-password";
/// The backup user's option file, in the cluster's secrets directory (0600, root's: `docker
/// exec` runs as root), which every node container mounts at [`SECRETS_MOUNT`].
pub const BACKUP_CNF_FILE: &str = "backup.cnf";
/// Where galeractl's node start script is mounted, read-only, as the container's entrypoint.
pub const NODE_START_MOUNT: &str = "/usr/local/lib/galeractl/node-start";
/// Where the SST credentials are mounted: an option file the server reads as its own user.
pub const SST_AUTH_MOUNT: &str = "/etc/mysql/conf.d/zz-galeractl-sst.cnf";
/// Where the SST user's creation is mounted: the image runs it when it initialises a data
/// directory (wsrep off), so every node has the user before it first joins.
pub const SST_USER_MOUNT: &str = "/docker-entrypoint-initdb.d/galeractl-sst-user.sql";
/// Where the backup user's creation is mounted (see [`SST_USER_MOUNT`]).
pub const BACKUP_USER_MOUNT: &str = "/docker-entrypoint-initdb.d/galeractl-backup-user.sql";

impl Inventory {
    pub fn container_name(&self, node: &Node) -> String {
        self.expand(&self.cluster.container_template, node)
    }

    pub fn volume_name(&self, node: &Node) -> String {
        self.expand(&self.cluster.volume_template, node)
    }

    fn expand(&self, template: &str, node: &Node) -> String {
        template
            .replace("{cluster}", &self.cluster.name)
            .replace("{node}", &node.name)
    }

    /// HAProxy's container, on the proxy's host.
    pub fn proxy_container(&self) -> String {
        format!("{}-haproxy", self.cluster.name)
    }

    /// The health endpoint's container beside the node's container.
    pub fn check_container(&self, node: &Node) -> String {
        check_container_of(&self.container_name(node))
    }

    /// garbd's container, on the arbitrator's host.
    pub fn arbitrator_container(&self) -> String {
        format!("{}-garbd", self.cluster.name)
    }

    /// Recovery's one-off container on the node's volume: one at a time per node, so that a
    /// leftover is found and removed before the next one (two servers on one data directory
    /// must never run).
    pub fn recover_container(&self, node: &Node) -> String {
        format!("{}-recover", self.container_name(node))
    }

    /// `backup --on-host`'s check, a scratch container beside the node's.
    pub fn backup_check_container(&self, node: &Node) -> String {
        format!("{}-backup-check", self.container_name(node))
    }

    /// The cluster's own directory on every host.
    pub fn cluster_dir(&self) -> String {
        format!(
            "{}/{}",
            self.cluster.config_dir.trim_end_matches('/'),
            self.cluster.name
        )
    }

    /// The cluster's secret directory on every host, mounted at [`SECRETS_MOUNT`].
    pub fn secrets_dir(&self) -> String {
        format!("{}/secrets", self.cluster_dir())
    }

    /// The node's config file on its host, mounted at [`CONFIG_MOUNT`].
    pub fn config_path(&self, node: &Node) -> String {
        format!("{}/{}.cnf", self.cluster_dir(), node.name)
    }

    /// The cluster's recorded history UUID on the host (see [`crate::galera::HISTORY_FILE`]).
    pub fn history_path(&self) -> String {
        format!("{}/{}", self.cluster_dir(), crate::galera::HISTORY_FILE)
    }

    /// The SST credentials on the host (0600, owned by the image's server user).
    pub fn sst_auth_path(&self) -> String {
        format!("{}/sst-auth.cnf", self.cluster_dir())
    }

    /// The start script on the host, one per cluster.
    pub fn node_start_path(&self) -> String {
        format!("{}/node-start.sh", self.cluster_dir())
    }

    /// Where the backup user's option file is on the host.
    pub fn backup_cnf_path(&self) -> String {
        format!("{}/{BACKUP_CNF_FILE}", self.secrets_dir())
    }
}

/// The health endpoint's container beside the node container named `container`.
pub fn check_container_of(container: &str) -> String {
    format!("{container}-check")
}
