//! `galeractl init`'s decisions, with no I/O: the text of a new inventory for a list of hosts,
//! the secret files it names, the node names, and a password made from random bytes the caller
//! reads. `cmd::init` checks the text with [`crate::inventory::parse`] and writes the files.

/// The node image when `--image` is not given: the official image, which has Galera and
/// mariabackup.
pub const DEFAULT_IMAGE: &str = "mariadb:11.4";
/// The file `init` writes, the one galeractl looks for when no inventory is given.
pub const INVENTORY_FILE: &str = "galeractl.toml";
/// The directory of the secret files, beside the inventory (made 0700).
pub const SECRETS_DIR: &str = "secrets";
/// The length of a generated password.
pub const PASSWORD_LEN: usize = 32;
/// The characters of a generated password: letters and digits, which every consumer takes
/// unquoted (option files, HAProxy's configuration, the runner's own check).
pub const PASSWORD_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Hosts as typed in an answer: separated by commas, spaces or both, empty ones dropped.
pub fn split_hosts(line: &str) -> Vec<String> {
    line.split([',', ' ', '\t'])
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the operator asked for on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitSpec {
    pub cluster: String,
    /// One node per host, in order: the first bootstraps.
    pub hosts: Vec<String>,
    pub image: String,
    pub ssh_user: Option<String>,
    /// As it is written into the inventory (absolute, or starting with `~/`).
    pub ssh_identity: Option<String>,
    /// As it is written into the inventory, like `ssh_identity`.
    pub known_hosts: Option<String>,
    /// The login is not root: `[ssh] sudo = true`.
    pub sudo: bool,
    pub haproxy_host: Option<String>,
    /// The proxy's image when not the default (`[haproxy] image`).
    pub haproxy_image: Option<String>,
}

/// One secret file of the new inventory: its path relative to the inventory's directory, and
/// the key that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretFile {
    pub path: &'static str,
    pub key: &'static str,
}

const ROOT: SecretFile = SecretFile {
    path: "secrets/root-password",
    key: "cluster.root_password_file",
};
const MONITOR: SecretFile = SecretFile {
    path: "secrets/monitor-password",
    key: "cluster.monitor_password_file",
};
const SST: SecretFile = SecretFile {
    path: "secrets/sst-password",
    key: "cluster.sst_password_file",
};
const BACKUP: SecretFile = SecretFile {
    path: "secrets/backup-password",
    key: "cluster.backup_password_file",
};
const STATS: SecretFile = SecretFile {
    path: "secrets/haproxy-stats-password",
    key: "haproxy.stats_password_file",
};

/// Every secret file the inventory of `spec` names, in the order they are written.
pub fn secret_files(spec: &InitSpec) -> Vec<SecretFile> {
    let mut files = vec![ROOT, MONITOR, SST, BACKUP];
    if spec.haproxy_host.is_some() {
        files.push(STATS);
    }
    files
}

/// The name of the node at `index` (from 0): nodea ... nodez, then nodeaa, nodeab, ...
pub fn node_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        n -= 1;
        letters.push(b'a' + u8::try_from(n % 26).unwrap_or(0));
        n /= 26;
    }
    letters.reverse();
    format!("node{}", String::from_utf8_lossy(&letters))
}

/// A password of [`PASSWORD_LEN`] characters of [`PASSWORD_ALPHABET`] drawn from `bytes`
/// without bias (a byte past the largest multiple of the alphabet's size is skipped); `None`
/// when `bytes` ends first.
pub fn password(bytes: &mut impl Iterator<Item = u8>) -> Option<String> {
    let size = PASSWORD_ALPHABET.len();
    let limit = 256 - 256 % size;
    let mut out = String::with_capacity(PASSWORD_LEN);
    while out.len() < PASSWORD_LEN {
        let b = usize::from(bytes.next()?);
        if b < limit {
            out.push(char::from(PASSWORD_ALPHABET[b % size]));
        }
    }
    Some(out)
}

/// A TOML string holding `value` exactly (quoted and escaped by the toml crate).
fn quoted(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

/// Column of the comments after a key's value.
const COMMENT_COLUMN: usize = 46;

/// `key = value`, and `comment` after it at [`COMMENT_COLUMN`] (at least one space away).
fn line(out: &mut String, text: &str, comment: &str) {
    out.push_str(text);
    if !comment.is_empty() {
        let pad = COMMENT_COLUMN.saturating_sub(text.chars().count()).max(1);
        out.push_str(&" ".repeat(pad));
        out.push_str("# ");
        out.push_str(comment);
    }
    out.push('\n');
}

fn key(out: &mut String, name: &str, value: &str, comment: &str) {
    line(out, &format!("{name} = {}", quoted(value)), comment);
}

/// The text of the new inventory: every key `init` sets, and the main optional ones as
/// comments. It names the secret files of [`secret_files`] and nothing secret.
pub fn inventory_text(spec: &InitSpec) -> String {
    let mut t = String::new();
    header(&mut t, spec);
    cluster(&mut t, spec);
    ssh(&mut t, spec);
    nodes(&mut t, spec);
    haproxy(&mut t, spec);
    optional_sections(&mut t, spec);
    t
}

fn header(t: &mut String, spec: &InitSpec) {
    let n = spec.hosts.len();
    t.push_str(&format!(
        "# galeractl inventory of the cluster {}: {n} node{} on {n} host{}, written by `galeractl init`.\n",
        quoted(&spec.cluster),
        if n == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" },
    ));
    t.push_str(concat!(
        "# Every key is described in galeractl's docs/src/inventory.md, \"The inventory format\". Relative\n",
        "# paths are resolved from this file's directory.\n",
        "# The files under secrets/ hold random passwords (32 letters and digits, mode 0600). The\n",
        "# image reads them when it initialises a node's data directory, and never again: keep\n",
        "# them, and back them up, as long as the cluster lives. Never put them in version control.\n",
    ));
}

fn cluster(t: &mut String, spec: &InitSpec) {
    t.push_str("\n[cluster]\n");
    key(
        t,
        "name",
        &spec.cluster,
        "also names the containers and volumes",
    );
    key(
        t,
        "image",
        &spec.image,
        "must be on every host, or distributed",
    );
    line(
        t,
        "distribute_image = false",
        "true: `up` copies this machine's image over",
    );
    key(t, "root_password_file", ROOT.path, "MariaDB's root");
    key(
        t,
        "monitor_password_file",
        MONITOR.path,
        "galeractl's status user",
    );
    key(
        t,
        "sst_method",
        "mariabackup",
        "a full copy does not block the donor (or \"rsync\")",
    );
    key(
        t,
        "sst_password_file",
        SST.path,
        "the SST user, galeractl_sst",
    );
    key(
        t,
        "backup_password_file",
        BACKUP.path,
        "the user of `galeractl backup`",
    );
    line(
        t,
        "# durability = \"durable\"",
        "or \"fast\": see docs/src/durability.md",
    );
    line(
        t,
        "# gcache_size = \"512M\"",
        "how long a node may be away for IST",
    );
    line(t, "# mariadbd_options = [\"--max-connections=500\"]", "");
    t.push('\n');
    line(
        t,
        "[cluster.ports]",
        "published on each host (the defaults)",
    );
    line(t, "mysql = 4306", "the container's 3306");
    line(t, "galera = 5567", "");
    line(t, "sst = 5444", "");
    line(t, "ist = 5568", "");
}

fn ssh(t: &mut String, spec: &InitSpec) {
    t.push('\n');
    line(t, "[ssh]", "~/.ssh/config and the agent apply too");
    match &spec.ssh_user {
        Some(user) => key(
            t,
            "user",
            user,
            "root, or sudo = true: galeractl writes /etc/galeractl",
        ),
        None => line(
            t,
            "# user = \"root\"",
            "root, or sudo = true: galeractl writes /etc/galeractl",
        ),
    }
    match &spec.ssh_identity {
        Some(identity) => key(t, "identity", identity, ""),
        None => line(t, "# identity = \"/root/.ssh/id_ed25519\"", ""),
    }
    line(t, "# port = 22", "");
    match &spec.known_hosts {
        Some(file) => key(t, "known_hosts", file, "see `up --accept-new-host-keys`"),
        None => line(
            t,
            "# known_hosts = \"known_hosts\"",
            "see `up --accept-new-host-keys`",
        ),
    }
    if spec.sudo {
        line(
            t,
            "sudo = true",
            "every command on the hosts runs as `sudo -n`",
        );
    } else {
        line(
            t,
            "# sudo = true",
            "for a user that is not root: `sudo -n` every command",
        );
    }
}

fn nodes(t: &mut String, spec: &InitSpec) {
    for (i, host) in spec.hosts.iter().enumerate() {
        t.push_str("\n[[nodes]]\n");
        let comment = if i == 0 {
            "the first node bootstraps a new cluster"
        } else {
            ""
        };
        key(t, "name", &node_name(i), comment);
        key(t, "host", host, "");
    }
}

fn haproxy(t: &mut String, spec: &InitSpec) {
    let Some(host) = &spec.haproxy_host else {
        return;
    };
    t.push('\n');
    line(t, "[haproxy]", "a proxy in front of the nodes");
    key(t, "host", host, "");
    match &spec.haproxy_image {
        Some(image) => key(t, "image", image, ""),
        None => line(
            t,
            &format!("# image = \"{}\"", crate::inventory::DEFAULT_HAPROXY_IMAGE),
            "the official haproxy image's contract",
        ),
    }
    key(
        t,
        "stats_password_file",
        STATS.path,
        "the stats page's user, admin",
    );
    line(t, "# port = 3306", "clients connect here");
    line(t, "# stats_port = 4399", "http://<host>:4399/admin?stats");
    line(
        t,
        "# check_port = 9200",
        "a health endpoint next to each node",
    );
    line(t, "# routing = \"single-writer\"", "or \"round-robin\"");
}

fn optional_sections(t: &mut String, spec: &InitSpec) {
    t.push('\n');
    let why = if spec.hosts.len() % 2 == 0 {
        "garbd: with an even number of nodes"
    } else {
        "garbd, a member without data"
    };
    line(t, "# [arbitrator]", why);
    line(
        t,
        "# host = \"10.0.0.9\"",
        "its image needs garbd: the node's may not",
    );
    line(t, "# image = \"my-registry/garbd:4\"", "");
    t.push('\n');
    line(t, "# [tls]", "every connection between hosts encrypted");
    line(t, "# enabled = true", "needs sst_method = \"mariabackup\"");
    line(
        t,
        "# require_secure_transport = false",
        "true: clients must use TLS",
    );
}

/// The commands to run next; `inventory` is the path to show, `None` for ./galeractl.toml
/// (which `up` and `status` find by themselves).
pub fn next_commands(inventory: Option<&str>) -> Vec<String> {
    let shown = inventory.map_or(INVENTORY_FILE.to_string(), crate::argv::shell_quote);
    let found = inventory.map_or(String::new(), |_| format!(" {shown}"));
    vec![
        format!("galeractl validate {shown}"),
        format!("galeractl plan {shown}"),
        format!("galeractl preflight{found}"),
        format!("galeractl up{found}"),
        format!("galeractl status{found}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_go_on_past_z() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(node_name)
            .collect();
        assert_eq!(
            names,
            [
                "nodea", "nodeb", "nodez", "nodeaa", "nodeab", "nodeaz", "nodeba", "nodezz",
                "nodeaaa"
            ]
        );
    }

    #[test]
    fn password_takes_letters_and_digits_without_bias() {
        // 248 = 4 * 62 is the first byte skipped; 61 is '9', 62 wraps to 'A'.
        let mut bytes = [0u8, 25, 26, 51, 52, 61, 62, 248, 255]
            .into_iter()
            .chain(std::iter::repeat(247));
        let p = password(&mut bytes);
        assert_eq!(p.as_deref(), Some("AZaz09A9999999999999999999999999"));
        assert_eq!(PASSWORD_ALPHABET.len(), 62);
    }

    #[test]
    fn password_is_none_when_the_bytes_run_out() {
        assert_eq!(password(&mut [1u8; 31].into_iter()), None);
        assert_eq!(password(&mut [255u8; 100].into_iter()), None);
        assert_eq!(
            password(&mut [1u8; 32].into_iter()).as_deref(),
            Some("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")
        );
    }

    #[test]
    fn next_commands_name_the_file_only_where_it_is_not_found_by_itself() {
        assert_eq!(
            next_commands(None),
            [
                "galeractl validate galeractl.toml",
                "galeractl plan galeractl.toml",
                "galeractl preflight",
                "galeractl up",
                "galeractl status"
            ]
        );
        assert_eq!(
            next_commands(Some("my dir/galeractl.toml")),
            [
                "galeractl validate 'my dir/galeractl.toml'",
                "galeractl plan 'my dir/galeractl.toml'",
                "galeractl preflight 'my dir/galeractl.toml'",
                "galeractl up 'my dir/galeractl.toml'",
                "galeractl status 'my dir/galeractl.toml'"
            ]
        );
    }

    #[test]
    fn hosts_as_typed() {
        assert_eq!(
            split_hosts(" 10.0.0.1, 10.0.0.2  db3.example,"),
            ["10.0.0.1", "10.0.0.2", "db3.example"]
        );
        assert!(split_hosts("  ").is_empty());
    }

    #[test]
    fn secret_files_follow_the_sections() {
        let mut spec = InitSpec {
            cluster: "c".into(),
            hosts: vec!["h1".into()],
            image: DEFAULT_IMAGE.into(),
            ssh_user: None,
            ssh_identity: None,
            known_hosts: None,
            sudo: false,
            haproxy_host: None,
            haproxy_image: None,
        };
        let paths =
            |s: &InitSpec| -> Vec<&str> { secret_files(s).iter().map(|f| f.path).collect() };
        assert_eq!(
            paths(&spec),
            [
                "secrets/root-password",
                "secrets/monitor-password",
                "secrets/sst-password",
                "secrets/backup-password"
            ]
        );
        spec.haproxy_host = Some("h1".into());
        assert_eq!(paths(&spec).last(), Some(&"secrets/haproxy-stats-password"));
    }

    #[test]
    fn values_are_toml_strings_whatever_they_hold() {
        assert_eq!(quoted("a\"b\\c"), r#"'a"b\c'"#);
        assert_eq!(quoted("plain"), "\"plain\"");
    }
}
