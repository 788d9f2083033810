//! The inventory: one cluster, its nodes, how to reach their hosts, and an optional proxy.
//!
//! `parse` turns TOML text into a checked [`Inventory`] or into every diagnostic at once, with
//! no I/O. `load` adds the only I/O of this module (in `files`): reading the file (a regular
//! file of at most 1 MiB) and the facts (existence, type, size, mode) of the secret and SSH
//! files it names. Secret *contents* are never read here.

mod collisions;
mod files;
pub mod findings;
pub mod layout;
mod raw;
mod rules;
mod schema;
mod validate;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, FileDiagnostics};

pub use collisions::{cross_check, PortUse};
pub(crate) use files::{read_regular, SECRET, UPLOAD};
pub use validate::Located;

/// The seed's port set: MySQL published on 4306, Galera 5567, SST 5444, IST 5568.
pub const DEFAULT_PORTS: Ports = Ports {
    mysql: 4306,
    galera: 5567,
    sst: 5444,
    ist: 5568,
};
pub const DEFAULT_VOLUME: &str = "{cluster}-{node}-data";
pub const DEFAULT_CONTAINER: &str = "{cluster}-{node}";
pub const DEFAULT_PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";
pub const DEFAULT_MONITOR_USER: &str = "galeractl_monitor";
pub const DEFAULT_CONFIG_DIR: &str = "/etc/galeractl";
/// The Docker network of a local cluster.
pub const DEFAULT_NETWORK: &str = "galeractl-{cluster}";
pub const DEFAULT_HAPROXY_IMAGE: &str = "haproxy:2.8";
/// The `host` of a node that runs on this machine's own Docker, with no SSH.
pub const LOCAL_HOST: &str = "local";
/// The largest inventory file `read` accepts.
pub const MAX_INVENTORY_BYTES: u64 = 1 << 20;
/// The largest secret file validation accepts.
pub const MAX_SECRET_BYTES: u64 = 64 << 10;

/// Ports published on the host. Inside the container MySQL listens on 3306 and the Galera
/// ports listen on the same numbers as outside, so that the advertised `host:port` works from
/// both sides of Docker's NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Ports {
    pub mysql: u16,
    pub galera: u16,
    pub sst: u16,
    pub ist: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// Every commit is flushed to disk before it is acknowledged.
    Durable,
    /// Flush about once a second: a crash of every node may lose the last second of commits.
    Fast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Routing {
    SingleWriter,
    RoundRobin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// The file it was read from; relative paths inside it are resolved against its directory.
    pub path: PathBuf,
    pub cluster: Cluster,
    pub ssh: SshSettings,
    pub nodes: Vec<Node>,
    pub haproxy: Option<Haproxy>,
    pub arbitrator: Option<Arbitrator>,
    /// `[tls]` with `enabled = true`: every inter-host connection encrypted and verified.
    pub tls: Option<Tls>,
}

/// Where the cluster's certificates are kept on this machine, and what TLS demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// The directory of the node certificates and keys (and of the generated CA).
    pub dir: PathBuf,
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    /// The CA is the operator's own (`ca_cert` and `ca_key` given): never generated.
    pub own_ca: bool,
    /// Clients must use TLS (`require_secure_transport`); the local socket stays open.
    pub require_secure_transport: bool,
}

/// The default local directory of a cluster's certificates, beside the inventory.
pub const DEFAULT_TLS_DIR: &str = "{cluster}-tls";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub image: String,
    pub distribute_image: bool,
    pub root_password_file: PathBuf,
    pub monitor_password_file: PathBuf,
    pub monitor_user: String,
    pub volume_template: String,
    pub container_template: String,
    pub provider: String,
    pub sst_method: String,
    /// The SST user's password (`sst_method = "mariabackup"`).
    pub sst_password_file: Option<PathBuf>,
    /// The backup user's password (`galeractl backup`).
    pub backup_password_file: Option<PathBuf>,
    pub durability: Durability,
    /// Directory on each host for this tool's files; the cluster's own is `<dir>/<cluster>`.
    pub config_dir: String,
    pub mariadbd_options: Vec<String>,
    /// Galera's `gcache.size` (`512M`, `2G`...): how many write-sets a donor keeps for IST.
    pub gcache_size: Option<String>,
    /// The Docker network of a cluster whose nodes are `local`: they reach each other on it by
    /// container name.
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SshSettings {
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    /// Every remote command runs through `sudo -n` (a login that is not root).
    pub sudo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub host: String,
    pub ports: Ports,
    pub ssh_user: Option<String>,
    pub ssh_port: Option<u16>,
    pub ssh_identity: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Haproxy {
    pub host: String,
    pub image: String,
    pub port: u16,
    pub stats_port: u16,
    /// Port of the health endpoint that galeractl serves next to each node.
    pub check_port: u16,
    pub stats_user: String,
    pub stats_password_file: PathBuf,
    pub routing: Routing,
    /// A Donor takes traffic when it may be the last node standing.
    pub donor_fallback: bool,
    /// The health endpoints listen on their node's address only (`check_bind = "node"`), not
    /// on every address of the host.
    pub check_bind_node: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arbitrator {
    pub host: String,
    pub image: String,
    pub port: u16,
}

impl Inventory {
    /// The cluster's members when all are there: its nodes, and the arbitrator if any.
    pub fn members(&self) -> usize {
        self.nodes.len() + usize::from(self.arbitrator.is_some())
    }

    /// Whether the nodes run on this machine's own Docker (`host = "local"`), without SSH.
    pub fn is_local(&self) -> bool {
        self.nodes.iter().any(|n| n.host == LOCAL_HOST)
    }

    /// The address other members reach `node` at: its host, or on this machine its container's
    /// name on the cluster's network.
    pub fn galera_host(&self, node: &Node) -> String {
        if node.host == LOCAL_HOST {
            self.container_name(node)
        } else {
            node.host.clone()
        }
    }

    /// The address galeractl's SQL reaches `node` at: its host, or this machine's loopback.
    pub fn sql_host(&self, node: &Node) -> String {
        if node.host == LOCAL_HOST {
            "127.0.0.1".to_string()
        } else {
            node.host.clone()
        }
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Every secret file the inventory names, with the key that names it.
    pub fn secret_files(&self) -> Vec<(&'static str, &Path)> {
        let mut files = vec![
            (
                "cluster.root_password_file",
                self.cluster.root_password_file.as_path(),
            ),
            (
                "cluster.monitor_password_file",
                self.cluster.monitor_password_file.as_path(),
            ),
        ];
        if let Some(p) = &self.cluster.sst_password_file {
            files.push(("cluster.sst_password_file", p.as_path()));
        }
        if let Some(p) = &self.cluster.backup_password_file {
            files.push(("cluster.backup_password_file", p.as_path()));
        }
        if let Some(h) = &self.haproxy {
            files.push((
                "haproxy.stats_password_file",
                h.stats_password_file.as_path(),
            ));
        }
        files
    }
}

/// `host:port`, with IPv6 addresses in brackets as Galera and Docker expect.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Outcome of parsing one file: the inventory when there is no error, and every diagnostic
/// (warnings included) either way.
#[derive(Debug)]
pub struct Parsed {
    pub inventory: Option<Inventory>,
    pub report: FileDiagnostics,
    pub located: Located,
}

/// Parses and validates inventory text. No I/O: `path` only names the file in diagnostics and
/// anchors relative paths.
pub fn parse(path: &Path, source: &str) -> Parsed {
    // Every unknown key, wrong type and missing key first, wherever they are (serde would stop
    // at the first); the raw types ignore unknown keys, so validation still sees the rest.
    let shape = schema::check(source);
    let (inventory, diagnostics, located) =
        match (toml::from_str::<raw::RawInventory>(source), shape) {
            (Ok(raw), shape) => {
                let (inventory, found, located) = validate::validate(path, source, raw);
                let mut diagnostics = shape.map(schema::Findings::all).unwrap_or_default();
                diagnostics.extend(found);
                let inventory = inventory.filter(|_| !diagnostics.iter().any(Diagnostic::is_error));
                (inventory, diagnostics, located)
            }
            // The walk found what serde stopped at (a wrong type, a missing key), and the rest.
            (Err(_), Some(shape)) if !shape.structure.is_empty() => {
                (None, shape.all(), Located::default())
            }
            (Err(e), shape) => {
                let mut diagnostics = shape.map(schema::Findings::all).unwrap_or_default();
                diagnostics.push(Diagnostic::error(
                    e.span().unwrap_or(0..0),
                    "",
                    e.message().trim().to_string(),
                ));
                (None, diagnostics, Located::default())
            }
        };
    Parsed {
        inventory,
        report: FileDiagnostics {
            path: path.to_path_buf(),
            source: source.to_string(),
            diagnostics,
        },
        located,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read inventory {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_all(.0))]
    Invalid(FileDiagnostics),
}

fn render_all(report: &FileDiagnostics) -> String {
    let mut lines: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| report.render(d))
        .collect();
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    lines.push(format!(
        "{}: {} error{}; nothing was changed",
        report.path.display(),
        errors,
        if errors == 1 { "" } else { "s" }
    ));
    lines.join("\n")
}

/// Whether problems with secret files are errors (commands that use the secrets) or warnings
/// (commands that only show what would happen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Required,
    Advisory,
}

/// Reads, parses and validates an inventory file, and checks that its secret files exist, are
/// small and are readable by their owner only, and that the SSH files it names exist. The
/// result keeps warnings and errors alike.
///
/// A path that is not a regular file (a FIFO, a device, a directory), or a file larger than
/// [`MAX_INVENTORY_BYTES`], is a [`LoadError::Read`]. A file that is not UTF-8 is a located
/// diagnostic at its first bad byte, like any other invalid inventory.
pub fn read(path: &Path, secrets: Secrets) -> Result<Parsed, LoadError> {
    let bytes = files::read_inventory(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut parsed = match String::from_utf8(bytes) {
        Ok(source) => parse(path, &source),
        Err(e) => not_utf8(path, &e),
    };
    if let Some(inventory) = &mut parsed.inventory {
        expand_home(
            inventory,
            std::env::var_os("HOME").map(PathBuf::from).as_deref(),
        );
    }
    if let Some(inventory) = &parsed.inventory {
        let mut found =
            validate::check_secret_files(inventory, &parsed.located, files::secret_file_facts);
        found.extend(validate::check_ssh_files(
            inventory,
            &parsed.located,
            files::ssh_file_facts,
        ));
        if secrets == Secrets::Advisory {
            for d in &mut found {
                d.severity = crate::diagnostic::Severity::Warning;
                d.message.push_str(" (up will refuse this)");
            }
        }
        parsed.report.diagnostics.extend(found);
        if parsed.report.has_errors() {
            parsed.inventory = None;
        }
    }
    Ok(parsed)
}

/// The report on a file that is not UTF-8: one error at its first bad byte. The source kept
/// for rendering has U+FFFD in place of the bad bytes; everything before the first one is the
/// file's own bytes, so the position is exact.
fn not_utf8(path: &Path, e: &std::string::FromUtf8Error) -> Parsed {
    let at = e.utf8_error().valid_up_to();
    let bytes = e.as_bytes();
    let byte = bytes.get(at).copied().unwrap_or(0);
    Parsed {
        inventory: None,
        report: FileDiagnostics {
            path: path.to_path_buf(),
            source: String::from_utf8_lossy(bytes).into_owned(),
            diagnostics: vec![Diagnostic::error(
                at..at,
                "",
                format!("the file is not UTF-8 text: byte 0x{byte:02x} is not valid here; an inventory is TOML, which is UTF-8"),
            )],
        },
        located: Located::default(),
    }
}

/// Replaces a leading `~/` in the inventory's paths by `home` (when known).
pub fn expand_home(inventory: &mut Inventory, home: Option<&Path>) {
    let Some(home) = home else { return };
    let expand = |p: &mut PathBuf| {
        if let Ok(rest) = p.strip_prefix("~") {
            *p = home.join(rest);
        }
    };
    expand(&mut inventory.cluster.root_password_file);
    expand(&mut inventory.cluster.monitor_password_file);
    for p in [
        &mut inventory.cluster.sst_password_file,
        &mut inventory.cluster.backup_password_file,
    ]
    .into_iter()
    .flatten()
    {
        expand(p);
    }
    for p in [
        &mut inventory.ssh.identity,
        &mut inventory.ssh.known_hosts,
        &mut inventory.ssh.config_file,
    ]
    .into_iter()
    .flatten()
    {
        expand(p);
    }
    for node in &mut inventory.nodes {
        if let Some(p) = &mut node.ssh_identity {
            expand(p);
        }
    }
    if let Some(h) = &mut inventory.haproxy {
        expand(&mut h.stats_password_file);
    }
    if let Some(t) = &mut inventory.tls {
        expand(&mut t.dir);
        expand(&mut t.ca_cert);
        expand(&mut t.ca_key);
    }
}

/// [`read`], failing on any error; returns the warnings alongside the inventory.
pub fn load(path: &Path, secrets: Secrets) -> Result<(Inventory, FileDiagnostics), LoadError> {
    let parsed = read(path, secrets)?;
    match parsed.inventory {
        Some(inventory) => Ok((inventory, parsed.report)),
        None => Err(LoadError::Invalid(parsed.report)),
    }
}

/// What validation needs to know of a secret file: never its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFileFacts {
    Missing,
    NotAFile,
    Empty,
    /// Larger than [`MAX_SECRET_BYTES`], with its size.
    TooLarge(u64),
    /// Its mode, and what is known of its text when it could be read here as UTF-8.
    Present(u32, Option<SecretText>),
}

/// What validation needs to know of a secret's text, never the text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretText {
    /// A carriage return before the trailing newlines (a CRLF file): the image keeps it as
    /// part of the password, galeractl drops it, so the two never agree.
    pub ends_in_cr: bool,
    /// Every character (the line end aside) is one galeractl writes into an option file
    /// unquoted (`rules::is_plain`).
    pub plain: bool,
}

impl SecretText {
    pub fn of(raw: &str) -> SecretText {
        let value = raw.trim_end_matches('\n');
        SecretText {
            ends_in_cr: value.ends_with('\r'),
            plain: rules::is_plain(value.trim_end_matches(['\n', '\r'])),
        }
    }
}

/// What validation needs to know of an SSH file the inventory names (identity, known_hosts,
/// config file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshFileFacts {
    Missing,
    Directory,
    Present,
}
/// `source` parsed as an inventory named `lab.toml`, for unit tests (a diagnostic panics).
#[cfg(test)]
pub fn parsed_for_test(source: &str) -> Inventory {
    let parsed = parse(std::path::Path::new("lab.toml"), source);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
}

/// The seed's example inventory (`inventory.example.toml`), parsed, for unit tests.
#[cfg(test)]
pub fn example_for_test() -> Inventory {
    parsed_for_test(include_str!("../../inventory.example.toml"))
}
