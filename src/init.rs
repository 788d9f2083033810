//! `galeractl init`'s decisions, with no I/O outside `files.rs`: the text of a new inventory
//! for a list of hosts (`text.rs`), the secret files it names, the node names, a password made
//! from random bytes the caller reads, the questions asked on a terminal for what the flags do
//! not say (`interview.rs`), and every path `init` makes, with what it says about them
//! (`layout.rs`). `files.rs` is the I/O: the flags' files checked, the files made new (never
//! over one that exists) and removed again after a failure, the random bytes read.
//! `cmd::init` wires them, and checks the text with [`crate::inventory::parse`].

mod files;
mod interview;
mod layout;
mod text;

pub use files::{draw_passwords, flag_file, InitError};
pub use interview::{Answers, Given, Interview, Question, INTERVIEW_BANNER};
pub use layout::{invalid_text, Layout, Target};
pub use text::inventory_text;

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
}
