//! The command line: clap types only. `main` turns them into calls of `cmd::*`. `generate.rs`
//! renders them as completion scripts and a man page.

pub mod generate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "galeractl",
    version,
    about = "Build and run MariaDB Galera clusters in Docker on several hosts over SSH",
    after_help = "Exit codes: 0 success, 1 degraded (status) or findings (doctor), 2 failed or cannot check (doctor), 3 refused for safety, 4 locked by another operator, 64 usage, 65 invalid inventory, 66 inventory not found.\nLogs go to stderr; RUST_LOG overrides -v/-q."
)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less log output: errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a new inventory (galeractl.toml) and its secret files (random passwords) for the
    /// given hosts, in DIR; never overwrites a file. Touches no host.
    Init(InitArgs),
    /// Print the steps that `up` would run on a cluster that does not exist yet.
    Plan(PlanArgs),
    /// Check one or several inventories, together: ports shared across clusters on one host.
    Validate(ValidateArgs),
    /// Check every host before `up`: SSH login (root or sudo -n), Docker, disk, images, free
    /// ports, the cluster's ports reachable from host to host, clocks; exit 0 ready, 1
    /// warnings, 2 `up` would fail.
    Preflight(PreflightArgs),
    /// Bring the cluster to the inventory: bootstrap, join, verify; idempotent.
    Up(UpArgs),
    /// Every node's wsrep state, in parallel; exit 0 healthy, 1 degraded, 2 down or split.
    Status(StatusArgs),
    /// Stop one node cleanly, unless that would cost the cluster its quorum.
    StopNode(NodeArgs),
    /// Start one node as a joiner of the running cluster; report IST or SST.
    StartNode(NodeArgs),
    /// After every node went down: read each node's position, bootstrap from the most
    /// advanced one, join the others one at a time; refuses what could lose data.
    Recover(RecoverArgs),
    /// Remove the cluster's lock, whoever holds it: for a lock left by a command that is gone.
    Unlock(UnlockArgs),
    /// Rolling restart, one node at a time: drained from HAProxy, stopped cleanly, started,
    /// Synced, caught up by IST, back in HAProxy; every member Synced before each.
    Restart(RestartArgs),
    /// Print a node container's log (stdout and stderr together), over SSH; -f follows it
    /// until Ctrl-C.
    Logs(LogsArgs),
    /// The node's own mariadb client as root, over SSH and docker exec, with no password on
    /// any command line (default: the proxy's active writer, else the first Synced node).
    Sql(SqlArgs),
    /// Print a shell completion script (bash, zsh, fish), node names included for bash and
    /// fish.
    Completions(CompletionsArgs),
    /// Print galeractl's man page (roff): `galeractl man | man -l -`.
    Man,
    /// The inventory's node names, one a line (for the completion scripts).
    #[command(hide = true)]
    CompleteNodes(InventoryArg),
    /// A physical backup (mariabackup) of one node, desynced meanwhile, streamed to this
    /// machine, with a manifest (cluster, Galera position, size, SHA-256).
    Backup(BackupArgs),
    /// The cluster rebuilt from a backup: bootstrapped from it on the first node, the others
    /// joined by a full copy, verified; refuses a cluster with data unless --replace.
    Restore(RestoreArgs),
    /// Check the running cluster for what breaks Galera clusters (non-InnoDB tables, tables
    /// without a primary key, nodes not ready, max_allowed_packet, log_output, ...): one line
    /// per finding with the fixing SQL where safe; exit 0 clean, 1 findings, 2 cannot check.
    Doctor(DoctorArgs),
    /// Supervise one or several clusters: observe every few seconds, heal what Galera cannot
    /// (a full outage by `recover`, a crashed node by `start-node`) through those commands'
    /// own plans under the cluster's lock, tell people, serve metrics.
    Watch(WatchArgs),
    /// Print the cluster for another platform (k8s: a mariadb-operator MariaDB resource and its
    /// Secret's template); touches no host and reads no secret.
    Export(ExportArgs),
}

/// `galeractl init`: a new cluster's inventory from its hosts.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The Galera cluster's name (also in container and volume names). Without it (or
    /// without --host), on a terminal, init asks.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// A node's host (IP address or host name), once per node (or comma-separated), in
    /// order: the first bootstraps; the nodes are named nodea, nodeb, ...
    #[arg(long = "host", value_name = "HOST", value_delimiter = ',')]
    pub hosts: Vec<String>,
    /// The SSH login user on the hosts ([ssh] user; default: ssh's own).
    #[arg(long, value_name = "USER")]
    pub ssh_user: Option<String>,
    /// The SSH private key ([ssh] identity); it must exist.
    #[arg(long, value_name = "FILE")]
    pub ssh_identity: Option<PathBuf>,
    /// The SSH known_hosts file ([ssh] known_hosts; default: ssh's own); it must exist.
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// The SSH user is not root: run every command on the hosts through `sudo -n`
    /// ([ssh] sudo = true).
    #[arg(long)]
    pub sudo: bool,
    /// Put HAProxy in front of the nodes, on this host (it gets a stats password too).
    #[arg(long, value_name = "HOST")]
    pub haproxy_host: Option<String>,
    /// The proxy's image (default: the [haproxy] default, the official haproxy image).
    #[arg(long, value_name = "IMAGE", requires = "haproxy_host")]
    pub haproxy_image: Option<String>,
    /// The node image (the official mariadb image's contract).
    #[arg(long, value_name = "IMAGE", default_value = crate::init::DEFAULT_IMAGE)]
    pub image: String,
    /// Where to write galeractl.toml and secrets/ (made if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Print what would be written (the inventory, the secret files' names, never a secret)
    /// and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print what was written (with --dry-run: what would be) as JSON: the inventory and its
    /// text, the secret files' names (never a secret), the directories, the nodes.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub target: ExportTarget,
}

#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// A mariadb-operator `MariaDB` (k8s.mariadb.com/v1alpha1, Galera enabled) and the template
    /// of its root password's Secret, as YAML on stdout; what has no equivalent as warnings (in
    /// the YAML and on stderr).
    K8s(K8sArgs),
}

#[derive(Debug, Args)]
pub struct K8sArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    /// Each pod's volume: a Kubernetes quantity.
    #[arg(long, value_name = "SIZE", default_value = "10Gi")]
    pub storage: String,
    /// The StorageClass of the volumes (default: the Kubernetes cluster's default).
    #[arg(long, value_name = "NAME")]
    pub storage_class: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    /// Print the findings as JSON (see docs/src/doctor.md for the document's shape).
    #[arg(long)]
    pub json: bool,
    /// Milliseconds each node has to answer its queries.
    #[arg(long, default_value_t = 10000, value_name = "MS")]
    pub timeout_ms: u64,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The node's name in the inventory.
    pub node: String,
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Only lines since then: a duration (10m, 1h30m, 90s) or a timestamp
    /// (2026-01-02T13:23:37Z).
    #[arg(long, value_name = "DUR")]
    pub since: Option<String>,
    /// Follow the log until Ctrl-C.
    #[arg(short, long)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The inventory file [env: GALERACTL_INVENTORY; default: ./galeractl.toml].
    #[arg(short = 'i', long = "inventory", value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The node's name in the inventory.
    #[arg(value_name = "NODE")]
    pub node: Option<String>,
    /// The client's own arguments (-e 'SQL', -N, -B, a database...), each passed as one word;
    /// after `--` anything, galeractl's own flags too.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// The nodes to restart, in this order (default: every node; HAProxy's writer last).
    #[arg(value_name = "NODE")]
    pub nodes: Vec<String>,
    /// The inventory file [env: GALERACTL_INVENTORY; default: ./galeractl.toml].
    #[arg(short = 'i', long = "inventory", value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Print the plan (pasteable commands per host) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The result as JSON (the nodes restarted); with --dry-run, the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which inventory: the positional argument, else `-i`, else $GALERACTL_INVENTORY, else
/// ./galeractl.toml.
#[derive(Debug, Args, Clone)]
pub struct InventoryArg {
    /// The inventory file (TOML).
    #[arg(value_name = "INVENTORY")]
    pub positional: Option<PathBuf>,
    /// The inventory file, as an option [env: GALERACTL_INVENTORY; default: ./galeractl.toml].
    #[arg(
        short = 'i',
        long = "inventory",
        value_name = "FILE",
        conflicts_with = "positional"
    )]
    pub flag: Option<PathBuf>,
}

/// Deadlines and SSH behaviour for commands that reach hosts.
#[derive(Debug, Args, Clone)]
pub struct RemoteArgs {
    /// Seconds to wait for an SSH connection to a host.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub connect_timeout: u64,
    /// Seconds one remote command may take.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub step_timeout: u64,
    /// Seconds to wait for a node to become Synced (covers a full SST).
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub sync_timeout: u64,
    /// Accept and record the host key of a host never seen before (ssh's accept-new). A changed
    /// key is still refused.
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// Seconds to wait for the cluster's lock while another operator's command holds it (0:
    /// fail at once).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub lock_wait: u64,
}

#[derive(Debug, Args)]
pub struct PreflightArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Observe the hosts and print the steps that would run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON summary on stdout (the cluster's verdict and nodes); with --dry-run, the
    /// plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Take out the cluster's nodes that the inventory no longer names: after HAProxy stops
    /// sending them traffic, each is stopped cleanly and its containers removed (refused when
    /// the inventory's members that serve are not a majority).
    #[arg(long)]
    pub prune: bool,
    /// With --prune: delete their data volumes too (kept by default).
    #[arg(long, requires = "prune")]
    pub delete_data: bool,
    /// Do not ask before --prune --delete-data deletes data volumes (for scripts: without a
    /// terminal to ask on, it is refused unless --yes).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Replace running nodes (a new image, new options) even when a node may not come back by
    /// IST (the gcache may not cover its downtime), or across a downgrade of MariaDB's major
    /// version.
    #[arg(long)]
    pub force: bool,
    /// Bootstrap a new, empty cluster although no node of the inventory has data and the
    /// hosts still hold this cluster's stopped containers or volumes under other node names,
    /// or its history record (left as they are; the record is rewritten).
    #[arg(long)]
    pub new_history: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The inventory file (TOML).
    pub inventory: PathBuf,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Inventory files; clusters in them may share hosts.
    #[arg(required = true)]
    pub inventories: Vec<PathBuf>,
    /// Print every file's findings (severity, line, column, key, message) as one JSON document
    /// on stdout instead of the text on stderr.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Print the status as JSON (see docs/src/status.md for the document's shape); the same as
    /// --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// What to print: the table, the JSON document, or Prometheus' text exposition format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<StatusFormat>,
    /// Write the Prometheus text to PATH (atomically, mode 0644) for node_exporter's textfile
    /// collector, instead of printing anything.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["json", "format"])]
    pub textfile: Option<PathBuf>,
    /// Milliseconds each node has to answer SQL.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub timeout_ms: u64,
    /// Set from -v: show the last log lines of nodes that do not answer.
    #[arg(skip)]
    pub verbose_logs: bool,
}

/// `status --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
    Prometheus,
}

#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The node's name in the inventory.
    pub node: String,
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// stop-node: stop even when the cluster would lose its quorum. start-node: create the
    /// container across a downgrade of MariaDB's release series, or when the versions cannot
    /// be read.
    #[arg(long)]
    pub force: bool,
    /// Print the plan (pasteable commands per host) after the checks, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The result as JSON (the node, whether it changed, its state, the seqno or how it caught
    /// up); with --dry-run, the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `galeractl watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The clusters' inventory files [default: $GALERACTL_INVENTORY, else ./galeractl.toml].
    #[arg(value_name = "INVENTORY")]
    pub inventories: Vec<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Seconds between two looks at each cluster.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub interval: u64,
    /// Seconds an action must have been called for before watch takes it (Galera or a restart
    /// policy may settle the fault); looks come every second meanwhile.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub settle: u64,
    /// Seconds to wait after a failed action before the next one (doubled after each failure
    /// in a row).
    #[arg(long, default_value_t = 20, value_name = "SECS")]
    pub backoff: u64,
    /// Failed actions in a row after which watch gives the cluster up (it still observes,
    /// reports and serves metrics) until the cluster is seen healthy again.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_failures: u32,
    /// Log what watch would do (the commands' own --dry-run output) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One look at each cluster, the action it calls for (settled at once), then exit: 0
    /// nothing to do or done, 2 an action failed, 3 held back (a silent node, a split...).
    #[arg(long)]
    pub once: bool,
    /// Serve /metrics (Prometheus) and /healthz on this address, e.g. 127.0.0.1:9104.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// A file (mode 0600) holding the http:// URL that gets each event as a JSON POST.
    #[arg(long, value_name = "FILE")]
    pub webhook_url_file: Option<PathBuf>,
    /// A shell command run for each event, the event's JSON on its stdin.
    #[arg(long, value_name = "COMMAND")]
    pub notify_command: Option<String>,
    /// Print a hardened systemd unit that runs this watch, and exit.
    #[arg(long)]
    pub unit: bool,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Read every node's position and print the choice and the steps; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The result as JSON (the choice, the cluster UUID and whether the history was kept, each
    /// node's state); with --dry-run, the positions, the choice and the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Bootstrap past a safe_to_bootstrap that disagrees with the seqnos (the highest seqno
    /// still wins); let a stopped node ahead of the running Primary join by a full copy (what
    /// only it holds is lost).
    #[arg(long)]
    pub force: bool,
    /// Give up these nodes, whose position cannot be read (their host is gone, their data
    /// lost): recover from the others as a NEW history, so the given-up nodes can only rejoin
    /// by a full copy. Never for a node whose container runs and answers.
    #[arg(long, value_name = "NODE", value_delimiter = ',')]
    pub force_without: Vec<String>,
    /// Do not ask before --force, --force-without or --tc-heuristic-recover (for scripts:
    /// without a terminal to ask on, they are refused unless --yes).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Go on without the cluster's lock when a majority of its hosts cannot be reached
    /// (hosts lost for good). Make sure nobody else runs galeractl on the cluster.
    #[arg(long)]
    pub without_lock: bool,
    /// Resolve prepared transactions that crash recovery cannot: commit or roll them back
    /// (mariadbd --tc-heuristic-recover) before reading the position.
    #[arg(long, value_enum, value_name = "ACTION")]
    pub tc_heuristic_recover: Option<TcHeuristic>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TcHeuristic {
    Commit,
    Rollback,
}

impl TcHeuristic {
    pub fn as_str(self) -> &'static str {
        match self {
            TcHeuristic::Commit => "commit",
            TcHeuristic::Rollback => "rollback",
        }
    }
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Do not ask before removing the lock (for scripts: without a terminal to ask on, it is
    /// refused unless --yes).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Print what was removed (each host's part and its holder) as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The node to copy (default: the last node in inventory order that is Synced, never the
    /// proxy's writer while another node serves).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// Where the backup's directory (CLUSTER-YYYYMMDDTHHMMSSZ) is made.
    #[arg(long, value_name = "DIR", default_value = "backups")]
    pub to: PathBuf,
    /// A logical backup (mariadb-dump, one snapshot) of the user databases and accounts,
    /// instead of mariabackup's physical copy: for small databases and moves between versions.
    #[arg(long)]
    pub logical: bool,
    /// Keep the (physical) backup on the node's own host, in DIR/CLUSTER-YYYYMMDDTHHMMSSZ
    /// (an absolute path there), prepared there as a check; only its manifest comes here.
    #[arg(long, value_name = "DIR", conflicts_with = "logical")]
    pub on_host: Option<String>,
    /// Seconds the copy may take.
    #[arg(long, default_value_t = 21600, value_name = "SECS")]
    pub transfer_timeout: u64,
    /// Print the plan (pasteable commands) after the checks, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The plan (with --dry-run) or the manifest as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup: its directory, or its manifest.toml.
    pub backup: PathBuf,
    #[command(flatten)]
    pub inventory: InventoryArg,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Replace a cluster that has containers or data: they are stopped and removed, and each
    /// node's data is moved to a volume VOLUME-aside-STAMP (not deleted).
    #[arg(long)]
    pub replace: bool,
    /// Do not ask before --replace stops and removes the cluster's containers (for scripts:
    /// without a terminal to ask on, it is refused unless --yes).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Restore a backup whose manifest names another cluster than the inventory's (refused
    /// without it: an old or wrong backup over this cluster).
    #[arg(long)]
    pub from_other_cluster: bool,
    /// Seconds the copy onto the first node may take.
    #[arg(long, default_value_t = 21600, value_name = "SECS")]
    pub transfer_timeout: u64,
    /// Print the plan (pasteable commands) after the checks, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The result as JSON (the backup restored, each node's state); with --dry-run, the plan
    /// as JSON.
    #[arg(long)]
    pub json: bool,
}
