//! The inventory exactly as written in TOML, with the spans that validation needs to point
//! at a value. Nothing here is checked beyond what serde's types enforce; `validate` turns it
//! into an [`Inventory`](super::Inventory). Unknown keys are ignored here: `schema` reports
//! every one of them (serde's `deny_unknown_fields` would stop at the first), and its test
//! keeps its lists of keys equal to these fields.

use serde::Deserialize;
use toml::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
pub struct RawInventory {
    pub cluster: RawCluster,
    #[serde(default)]
    pub ssh: RawSsh,
    #[serde(default)]
    pub nodes: Option<S<Vec<RawNode>>>,
    pub haproxy: Option<RawHaproxy>,
    pub arbitrator: Option<RawArbitrator>,
    pub tls: Option<RawTls>,
}

#[derive(Debug, Deserialize)]
pub struct RawCluster {
    pub name: S<String>,
    pub image: S<String>,
    #[serde(default)]
    pub distribute_image: bool,
    pub root_password_file: S<String>,
    pub monitor_password_file: S<String>,
    pub monitor_user: Option<S<String>>,
    pub ports: Option<RawPorts>,
    pub volume: Option<S<String>>,
    pub container: Option<S<String>>,
    pub provider: Option<S<String>>,
    pub sst_method: Option<S<String>>,
    pub sst_password_file: Option<S<String>>,
    pub backup_password_file: Option<S<String>>,
    pub durability: Option<S<String>>,
    pub config_dir: Option<S<String>>,
    #[serde(default)]
    pub mariadbd_options: Vec<S<String>>,
    pub gcache_size: Option<S<String>>,
    pub network: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawPorts {
    pub mysql: Option<S<i64>>,
    pub galera: Option<S<i64>>,
    pub sst: Option<S<i64>>,
    pub ist: Option<S<i64>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawSsh {
    pub user: Option<S<String>>,
    pub port: Option<S<i64>>,
    pub identity: Option<S<String>>,
    pub known_hosts: Option<S<String>>,
    pub config_file: Option<S<String>>,
    pub sudo: Option<S<bool>>,
}

#[derive(Debug, Deserialize)]
pub struct RawNode {
    pub name: S<String>,
    pub host: S<String>,
    pub ssh_user: Option<S<String>>,
    pub ssh_port: Option<S<i64>>,
    pub ssh_identity: Option<S<String>>,
    pub ports: Option<RawPorts>,
}

#[derive(Debug, Deserialize)]
pub struct RawHaproxy {
    pub host: S<String>,
    pub image: Option<S<String>>,
    pub port: Option<S<i64>>,
    pub stats_port: Option<S<i64>>,
    pub check_port: Option<S<i64>>,
    pub stats_user: Option<S<String>>,
    pub stats_password_file: S<String>,
    pub routing: Option<S<String>>,
    pub donor_fallback: Option<bool>,
    pub check_bind: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RawArbitrator {
    pub host: S<String>,
    pub image: Option<S<String>>,
    pub port: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
pub struct RawTls {
    pub enabled: S<bool>,
    pub dir: Option<S<String>>,
    pub ca_cert: Option<S<String>>,
    pub ca_key: Option<S<String>>,
    pub require_secure_transport: Option<bool>,
}
