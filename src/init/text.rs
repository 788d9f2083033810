//! The text of a new inventory ([`inventory_text`]): every key `init` sets, and the main
//! optional ones as comments, aligned. Pure.

use super::{node_name, InitSpec, BACKUP, MONITOR, ROOT, SST, STATS};

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
/// comments. It names the secret files of [`super::secret_files`] and nothing secret.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_toml_strings_whatever_they_hold() {
        assert_eq!(quoted("a\"b\\c"), r#"'a"b\c'"#);
        assert_eq!(quoted("plain"), "\"plain\"");
    }
}
