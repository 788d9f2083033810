//! `galeractl export k8s`, pure: the inventory as a mariadb-operator `MariaDB` resource
//! (apiVersion k8s.mariadb.com/v1alpha1, Galera enabled) and the template of the Secret its root
//! password comes from, as YAML text, with a warning for each inventory setting that has no
//! equivalent in the operator. No secret value is ever read or written here.

use std::path::Path;

use crate::inventory::{Durability, Inventory, DEFAULT_PROVIDER};

/// What the command line adds to the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The size of each pod's volume, a Kubernetes quantity (`10Gi`).
    pub storage_size: String,
    /// The StorageClass of the volumes (the cluster's default when `None`).
    pub storage_class: Option<String>,
}

/// The manifests and the warnings (also written as comments atop the manifests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub yaml: String,
    pub warnings: Vec<String>,
}

/// The Galera ports that the operator uses, and no setting changes: replication, IST, SST.
pub const OPERATOR_GALERA_PORTS: (u16, u16, u16) = (4567, 4568, 4444);

/// Whether `size` is a Kubernetes quantity of bytes as a volume takes it: digits, an optional
/// fraction, and a binary or decimal suffix.
pub fn storage_size_ok(size: &str) -> bool {
    let digits_end = size
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(size.len());
    let (number, suffix) = size.split_at(digits_end);
    !number.is_empty()
        && number.starts_with(|c: char| c.is_ascii_digit())
        && number.matches('.').count() <= 1
        && !number.ends_with('.')
        && [
            "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E",
        ]
        .contains(&suffix)
}

/// A name Kubernetes accepts for the resources (RFC 1123: lower case letters, digits, `-`).
pub fn resource_name(cluster: &str) -> String {
    let name: String = cluster
        .chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            'a'..='z' | '0'..='9' | '-' => c,
            _ => '-',
        })
        .collect();
    name.trim_matches('-').to_string()
}

/// Whether YAML would take `c` for a line break or refuses it unescaped: control characters
/// (C0, DEL, C1 with NEL), the Unicode line and paragraph separators (line breaks in YAML
/// 1.1), the byte order mark and the non-characters U+FFFE and U+FFFF.
fn breaks_yaml(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// A YAML scalar: a double-quoted string, with `"`, `\` and every character of
/// [`breaks_yaml`] escaped, so no value can end the scalar or start a new line.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if breaks_yaml(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a `#` comment line: every character of [`breaks_yaml`] written as `\u{...}`, so
/// that it cannot end the comment and start a line of YAML.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if breaks_yaml(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A path as the operator reads it in the inventory: relative to the inventory's directory
/// when it is under it.
fn shown(path: &Path, inventory: &Inventory) -> String {
    inventory
        .path
        .parent()
        .and_then(|dir| path.strip_prefix(dir).ok())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `--max-connections=500` as the option file's `max_connections=500`.
fn cnf_line(option: &str) -> String {
    let option = option.trim_start_matches('-');
    let (name, value) = match option.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (option, None),
    };
    let name = name.replace('-', "_");
    match value {
        Some(v) => format!("{name}={v}"),
        None => name,
    }
}

/// Each inventory setting that the operator has no equivalent for, as a sentence.
pub fn warnings(inventory: &Inventory, name: &str) -> Vec<String> {
    let c = &inventory.cluster;
    let mut w = Vec::new();
    if name != c.name {
        w.push(format!(
            "cluster name {:?} is not a Kubernetes name: the resources are named {name:?} (wsrep_cluster_name becomes {name:?} too: a new cluster, not a member of the old one)",
            c.name
        ));
    }
    w.push(format!(
        "hosts and [ssh] have no equivalent: Kubernetes schedules the {} pods (one per Kubernetes node: affinity.antiAffinityEnabled)",
        inventory.nodes.len()
    ));
    let (galera, ist, sst) = OPERATOR_GALERA_PORTS;
    let custom: Vec<String> = inventory
        .nodes
        .iter()
        .map(|n| n.ports)
        .filter(|p| (p.galera, p.ist, p.sst) != (galera, ist, sst))
        .map(|p| format!("{}/{}/{}", p.galera, p.ist, p.sst))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !custom.is_empty() {
        w.push(format!(
            "Galera ports {} (replication/IST/SST) have no equivalent: the operator uses {galera}/{ist}/{sst} inside the pod network",
            custom.join(", ")
        ));
    }
    let mysql: std::collections::BTreeSet<String> = inventory
        .nodes
        .iter()
        .map(|n| n.ports.mysql)
        .filter(|p| *p != 3306)
        .map(|p| p.to_string())
        .collect();
    if !mysql.is_empty() {
        w.push(format!(
            "MySQL host port{} {} {} no equivalent: clients connect to the Service {name:?} (or {name}-primary, one writer) on 3306",
            if mysql.len() == 1 { "" } else { "s" },
            mysql.iter().cloned().collect::<Vec<_>>().join(", "),
            if mysql.len() == 1 { "has" } else { "have" },
        ));
    }
    if inventory.haproxy.is_some() {
        w.push(format!(
            "[haproxy] has no equivalent: the operator's Service {name}-primary sends clients to one ready pod, like routing = \"single-writer\" (spec.maxScale is the operator's proxy)"
        ));
    }
    if inventory.arbitrator.is_some() {
        w.push(
            "[arbitrator] has no equivalent: the operator runs no garbd; use an odd number of replicas"
                .into(),
        );
    }
    w.push(format!(
        "monitor_user {:?} is not created: galeractl's status and doctor do not reach pods; use kubectl get mariadb and the operator's metrics",
        c.monitor_user
    ));
    if c.sst_password_file.is_some() || c.backup_password_file.is_some() {
        w.push("sst_password_file and backup_password_file have no equivalent: the operator makes its own SST user; backups are its Backup resources".into());
    }
    if c.distribute_image {
        w.push(format!(
            "distribute_image has no equivalent: the Kubernetes nodes pull {:?} from a registry",
            c.image
        ));
    }
    w
}

/// The Secret and the MariaDB resource for `inventory`, warnings first as comments.
pub fn render(inventory: &Inventory, options: &Options) -> Export {
    let c = &inventory.cluster;
    let name = resource_name(&c.name);
    let secret = format!("{name}-root");
    let warnings = warnings(inventory, &name);
    let root_file = comment_text(&shown(&c.root_password_file, inventory));
    let mut y = String::new();
    y.push_str(&format!(
        "# galeractl export k8s: the cluster {:?} as a mariadb-operator MariaDB resource.\n",
        c.name
    ));
    y.push_str("# Create the Secret first; its value is never written here.\n");
    for w in &warnings {
        y.push_str(&format!("# warning: {}\n", comment_text(w)));
    }
    // The Secret is a commented template: applied as a document with an empty value, it would
    // blank an existing Secret's password.
    y.push_str(&format!(
        "# The root password's Secret: create it from the file, never from this output:\n#   kubectl create secret generic {secret} --from-file=password={root_file}\n"
    ));
    y.push_str("# or as a manifest of your own, with this shape:\n");
    y.push_str("#   apiVersion: v1\n#   kind: Secret\n#   metadata:\n");
    y.push_str(&format!("#     name: {}\n", quoted(&secret)));
    y.push_str("#   type: Opaque\n#   stringData:\n");
    y.push_str(&format!("#     password: <the content of {root_file}>\n"));
    y.push_str("---\napiVersion: k8s.mariadb.com/v1alpha1\nkind: MariaDB\nmetadata:\n");
    y.push_str(&format!("  name: {}\n", quoted(&name)));
    y.push_str("spec:\n");
    y.push_str(&format!("  image: {}\n", quoted(&c.image)));
    y.push_str("  rootPasswordSecretKeyRef:\n");
    y.push_str(&format!(
        "    name: {}\n    key: \"password\"\n",
        quoted(&secret)
    ));
    y.push_str(&format!("  replicas: {}\n", inventory.nodes.len()));
    y.push_str("  storage:\n");
    y.push_str(&format!("    size: {}\n", quoted(&options.storage_size)));
    if let Some(class) = &options.storage_class {
        y.push_str(&format!("    storageClassName: {}\n", quoted(class)));
    }
    y.push_str("  affinity:\n    antiAffinityEnabled: true\n");
    y.push_str("  galera:\n    enabled: true\n");
    y.push_str(&format!("    sst: {}\n", quoted(&c.sst_method)));
    if c.provider != DEFAULT_PROVIDER {
        y.push_str(&format!("    galeraLibPath: {}\n", quoted(&c.provider)));
    }
    if let Some(size) = &c.gcache_size {
        y.push_str(&format!(
            "    providerOptions:\n      gcache.size: {}\n",
            quoted(size)
        ));
    }
    let flush = match c.durability {
        Durability::Durable => 1,
        Durability::Fast => 2,
    };
    let mut cnf = vec![
        "[mariadb]".to_string(),
        format!("innodb_flush_log_at_trx_commit={flush}"),
    ];
    cnf.extend(c.mariadbd_options.iter().map(|o| cnf_line(o)));
    y.push_str(&my_cnf(&cnf));
    Export { yaml: y, warnings }
}

/// The `myCnf` key: a literal block of the lines when none can break out of it (the
/// inventory's validation refuses control characters in options), else one quoted scalar.
fn my_cnf(lines: &[String]) -> String {
    if lines.iter().any(|l| l.chars().any(breaks_yaml)) {
        return format!("  myCnf: {}\n", quoted(&(lines.join("\n") + "\n")));
    }
    let mut y = "  myCnf: |\n".to_string();
    for line in lines {
        y.push_str(&format!("    {line}\n"));
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_sizes_as_kubernetes_takes_them() {
        for ok in ["10Gi", "500Mi", "1.5Ti", "1000000", "20G"] {
            assert!(storage_size_ok(ok), "{ok}");
        }
        for bad in [
            "", "Gi", "10 Gi", "10gb", "1..5Gi", "-1Gi", "10Gi\n", ".5Gi",
        ] {
            assert!(!storage_size_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn names_and_options_as_kubernetes_and_the_option_file_spell_them() {
        assert_eq!(resource_name("local-test"), "local-test");
        assert_eq!(resource_name("Shop_EU"), "shop-eu");
        assert_eq!(resource_name("_x_"), "x");
        assert_eq!(cnf_line("--max-connections=500"), "max_connections=500");
        assert_eq!(cnf_line("--skip-name-resolve"), "skip_name_resolve");
        assert_eq!(cnf_line("--log-output=FILE,TABLE"), "log_output=FILE,TABLE");
    }

    #[test]
    fn no_value_breaks_out_of_its_scalar_or_comment() {
        let lines = vec![
            "[mariadb]".to_string(),
            "max_connections=5\n  image: \"evil/image\"\n  replicas: 0\n#".to_string(),
        ];
        assert_eq!(
            my_cnf(&lines),
            "  myCnf: \"[mariadb]\\nmax_connections=5\\n  image: \\\"evil/image\\\"\\n  replicas: 0\\n#\\n\"\n"
        );
        assert_eq!(
            my_cnf(&["[mariadb]".into(), "a=\u{2028}b".into()]),
            "  myCnf: \"[mariadb]\\na=\\u2028b\\n\"\n"
        );
        assert_eq!(
            my_cnf(&["[mariadb]".into(), "max_connections=5".into()]),
            "  myCnf: |\n    [mariadb]\n    max_connections=5\n"
        );
        assert_eq!(quoted("a\"b\\c\u{7f}\r"), "\"a\\\"b\\\\c\\u007f\\u000d\"");
        assert_eq!(comment_text("x\ny\u{2029}"), "x\\u{a}y\\u{2029}");
    }
}
