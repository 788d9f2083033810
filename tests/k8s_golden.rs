//! `export k8s`: the manifests for the example inventory and for one that uses every section,
//! byte for byte; the warnings the same in the YAML and on stderr; no secret value in the
//! output; a bad `--storage` refused.

mod support;
use std::path::Path;

use support::*;

#[test]
fn example_inventory_manifest_matches_golden() {
    let out = galeractl(&["export", "k8s", "inventory.example.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    assert_golden("export-k8s.example.yaml", &yaml);
    // Each warning twice: as a comment atop the manifests and on stderr.
    let in_yaml: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("# warning: "))
        .collect();
    let stderr = text(&out.stderr);
    let on_stderr: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .collect();
    assert_eq!(in_yaml, on_stderr);
    assert_eq!(in_yaml.len(), 4, "{yaml}");
    assert!(in_yaml[1]
        .starts_with("Galera ports 5567/5568/5444 (replication/IST/SST) have no equivalent"));
}

const FULL: &str = r#"
[cluster]
name = "Shop_EU"
image = "registry.example.com/mariadb:11.4.4"
distribute_image = true
root_password_file = "secrets/root"
monitor_password_file = "secrets/monitor"
sst_method = "mariabackup"
sst_password_file = "secrets/sst"
durability = "fast"
gcache_size = "2G"
provider = "/usr/lib64/galera-4/libgalera_smm.so"
mariadbd_options = ["--max-connections=500", "--skip-name-resolve", "--max_allowed_packet=256M"]

[cluster.ports]
mysql = 3306
galera = 4567
sst = 4444
ist = 4568

[[nodes]]
name = "a"
host = "10.0.0.1"

[[nodes]]
name = "b"
host = "10.0.0.2"

[[nodes]]
name = "c"
host = "10.0.0.3"
[nodes.ports]
mysql = 3307

[[nodes]]
name = "d"
host = "10.0.0.4"

[haproxy]
host = "10.0.0.9"
stats_password_file = "secrets/stats"

[arbitrator]
host = "10.0.0.9"
"#;

#[test]
fn every_section_is_exported_or_warned_about() {
    let parsed = galeractl::inventory::parse(Path::new("/srv/shop/shop.toml"), FULL);
    let inventory = parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics));
    let export = galeractl::k8s::render(
        &inventory,
        &galeractl::k8s::Options {
            storage_size: "50Gi".into(),
            storage_class: Some("fast-ssd".into()),
        },
    );
    assert_golden("export-k8s.full.yaml", &export.yaml);
}

#[test]
fn no_secret_value_reaches_the_output() {
    let dir = scratch("k8s_secrets");
    for name in ["root-password", "monitor-password"] {
        secret(&dir.join("secrets").join(name), 0o600);
    }
    let source = std::fs::read_to_string(root().join("inventory.example.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = dir.join("inventory.toml");
    std::fs::write(&inv, source).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl(&["export", "k8s", &inv.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!all.contains("s3cret-for-tests"), "{all}");
    // No Secret document (applied, an empty value would blank the password): a template in
    // comments only.
    assert!(!all.contains("\nkind: Secret"), "{all}");
    assert!(all.contains("#   kind: Secret\n"), "{all}");
    assert!(
        all.contains("kubectl create secret generic local-test-root --from-file=password=secrets/root-password\n"),
        "{all}"
    );
}

#[test]
fn a_storage_size_kubernetes_would_refuse_is_a_usage_error() {
    let out = galeractl(&[
        "export",
        "k8s",
        "inventory.example.toml",
        "--storage",
        "10GB",
    ]);
    assert_eq!(out.status.code(), Some(64));
    assert_eq!(
        text(&out.stderr),
        "galeractl: --storage \"10GB\" is not a Kubernetes quantity (such as 10Gi, 500Mi, 1Ti)\n"
    );
    assert!(out.stdout.is_empty());
}
