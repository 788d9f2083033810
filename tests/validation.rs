//! One test per validation rule: the exact message, with file, line and column, through the
//! real binary. Nothing here touches a host.

mod support;
use support::*;

const CLUSTER: &str = r#"[cluster]
name = "local-test"
image = "mariadb:11.4"
root_password_file = "root.pw"
monitor_password_file = "monitor.pw"
"#;

const THREE_NODES: &str = r#"
[[nodes]]
name = "nodea"
host = "10.0.0.1"

[[nodes]]
name = "nodeb"
host = "10.0.0.2"

[[nodes]]
name = "nodec"
host = "10.0.0.3"
"#;

/// Writes `inv.toml` with `body` and 0600 secrets into a fresh directory, runs
/// `galeractl validate inv.toml` there, and returns (exit code, stdout, stderr).
fn validate(test: &str, body: &str) -> (i32, String, String) {
    let dir = scratch(test);
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    std::fs::write(dir.join("inv.toml"), body).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "inv.toml"]);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn assert_invalid(test: &str, body: &str, expected_stderr: &str) {
    let (code, stdout, stderr) = validate(test, body);
    assert_eq!(stderr, expected_stderr, "stderr of {test}");
    assert_eq!(stdout, "");
    assert_eq!(code, 65, "exit code of {test}");
}

#[test]
fn a_valid_inventory_passes() {
    let (code, stdout, stderr) = validate("valid", &format!("{CLUSTER}{THREE_NODES}"));
    assert_eq!(stderr, "");
    assert_eq!(stdout, "inv.toml: ok: cluster local-test, 3 nodes\n");
    assert_eq!(code, 0);
}

#[test]
fn unknown_key_is_rejected() {
    assert_invalid(
        "unknown_key",
        &format!("{CLUSTER}colour = \"blue\"\n{THREE_NODES}"),
        "inv.toml:6:1: error: unknown field `colour`, expected one of `name`, `image`, `distribute_image`, `root_password_file`, `monitor_password_file`, `monitor_user`, `ports`, `volume`, `container`, `provider`, `sst_method`, `durability`, `config_dir`, `mariadbd_options`
 6 | colour = \"blue\"
   | ^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn duplicate_node_name_is_rejected() {
    let body = format!("{CLUSTER}{}", THREE_NODES.replace("\"nodec\"", "\"nodeb\""));
    assert_invalid(
        "duplicate_node",
        &body,
        "inv.toml:16:8: error: nodes[2].name: duplicate node name \"nodeb\" (first defined on line 12)
 16 | name = \"nodeb\"
    |        ^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn two_nodes_on_one_host_with_the_same_ports_are_rejected() {
    let body = format!("{CLUSTER}{}", THREE_NODES.replace("10.0.0.3", "10.0.0.1"));
    assert_invalid(
        "same_host_same_ports",
        &body,
        "inv.toml:17:8: error: nodes[2].host: nodes \"nodea\" (line 8) and \"nodec\" are both on host 10.0.0.1 with the same ports: give one of them its own [nodes.ports]
 17 | host = \"10.0.0.1\"
    |        ^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn a_port_used_twice_on_one_host_is_rejected() {
    let body = format!(
        "{CLUSTER}{}[nodes.ports]\nmysql = 5567\ngalera = 6567\nsst = 6444\nist = 6568\n",
        THREE_NODES.replace("10.0.0.3", "10.0.0.1")
    );
    assert_invalid(
        "port_twice",
        &body,
        "inv.toml:19:9: error: port 5567 on host 10.0.0.1 is used twice: by nodea galera (line 9) and by nodec mysql
 19 | mysql = 5567
    |         ^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn port_out_of_range_is_rejected() {
    let body = format!("{CLUSTER}\n[cluster.ports]\nmysql = 70000\n{THREE_NODES}");
    assert_invalid(
        "port_range",
        &body,
        "inv.toml:8:9: error: cluster.ports.mysql: port 70000 is out of range (1-65535)
 8 | mysql = 70000
   |         ^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn empty_node_list_is_rejected() {
    assert_invalid(
        "empty_nodes",
        &format!("nodes = []\n{CLUSTER}"),
        "inv.toml:1:9: error: nodes: the node list is empty: add at least one node
 1 | nodes = []
   |         ^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn missing_node_list_is_rejected() {
    assert_invalid(
        "no_nodes",
        CLUSTER,
        "inv.toml:1:1: error: nodes: the inventory has no nodes: add at least one [[nodes]] table with name and host
 1 | [cluster]
   | ^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn even_node_count_without_arbitrator_warns_but_passes() {
    let body =
        format!("{CLUSTER}{THREE_NODES}\n[[nodes]]\nname = \"noded\"\nhost = \"10.0.0.4\"\n");
    let (code, stdout, stderr) = validate("even_nodes", &body);
    assert_eq!(code, 0);
    assert_eq!(stdout, "inv.toml: ok: cluster local-test, 4 nodes\n");
    assert!(
        stderr.starts_with("inv.toml:7:1: warning: nodes: 4 nodes and no [arbitrator]: if the cluster splits in two halves of 2, neither keeps quorum"),
        "{stderr}"
    );
}

#[test]
fn bad_address_is_rejected() {
    let body = format!("{CLUSTER}{}", THREE_NODES.replace("10.0.0.2", "10.0.0.256"));
    assert_invalid(
        "bad_ip",
        &body,
        "inv.toml:13:8: error: nodes[1].host: \"10.0.0.256\" is not a valid IPv4 address
 13 | host = \"10.0.0.256\"
    |        ^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
    let body = format!("{CLUSTER}{}", THREE_NODES.replace("10.0.0.2", "db_2;rm"));
    assert_invalid(
        "bad_hostname",
        &body,
        "inv.toml:13:8: error: nodes[1].host: \"db_2;rm\" is not an IP address or a host name
 13 | host = \"db_2;rm\"
    |        ^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn missing_secret_file_is_rejected() {
    let body = format!("{CLUSTER}{THREE_NODES}").replace("monitor.pw", "absent.pw");
    assert_invalid(
        "missing_secret",
        &body,
        "inv.toml:5:25: error: cluster.monitor_password_file: secret file absent.pw does not exist
 5 | monitor_password_file = \"absent.pw\"
   |                         ^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn secret_file_readable_by_others_is_rejected() {
    let dir = scratch("open_secret");
    secret(&dir.join("root.pw"), 0o644);
    secret(&dir.join("monitor.pw"), 0o600);
    std::fs::write(dir.join("inv.toml"), format!("{CLUSTER}{THREE_NODES}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "inv.toml"]);
    assert_eq!(
        text(&out.stderr),
        "inv.toml:4:22: error: cluster.root_password_file: secret file root.pw is readable by group or others (mode 0644): run chmod 600 root.pw
 4 | root_password_file = \"root.pw\"
   |                      ^^^^^^^^^
galeractl: 1 error in 1 inventory
"
    );
    assert_eq!(out.status.code(), Some(65));
}

#[test]
fn syntax_error_has_a_location() {
    assert_invalid(
        "syntax",
        "[cluster]\nname = \"x\nimage = 1\n",
        "inv.toml:2:10: error: invalid basic string
 2 | name = \"x
   |          ^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn extra_option_that_galeractl_manages_is_rejected() {
    let body = format!(
        "{CLUSTER}mariadbd_options = [\"--wsrep_cluster_address=gcomm://x\"]\n{THREE_NODES}"
    );
    assert_invalid(
        "managed_option",
        &body,
        "inv.toml:6:21: error: cluster.mariadbd_options[0]: \"--wsrep_cluster_address=gcomm://x\" sets wsrep-cluster-address, which galeractl manages itself
 6 | mariadbd_options = [\"--wsrep_cluster_address=gcomm://x\"]
   |                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn clusters_sharing_hosts_must_not_share_ports() {
    let dir = scratch("cross");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    std::fs::write(dir.join("one.toml"), format!("{CLUSTER}{THREE_NODES}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let second = format!("{CLUSTER}{THREE_NODES}")
        .replace("local-test", "second")
        .replace(
            "[cluster]\n",
            "[cluster]\nports = { mysql = 4307, galera = 5577, sst = 5444, ist = 5578 }\n",
        );
    std::fs::write(dir.join("two.toml"), &second).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "one.toml", "two.toml"]);
    assert_eq!(
        text(&out.stderr),
        "two.toml:2:46: error: port 5444 on host 10.0.0.1 is used twice: by cluster \"local-test\" (nodea sst) and by nodea sst
 2 | ports = { mysql = 4307, galera = 5577, sst = 5444, ist = 5578 }
   |                                              ^^^^
two.toml:2:46: error: port 5444 on host 10.0.0.2 is used twice: by cluster \"local-test\" (nodeb sst) and by nodeb sst
 2 | ports = { mysql = 4307, galera = 5577, sst = 5444, ist = 5578 }
   |                                              ^^^^
two.toml:2:46: error: port 5444 on host 10.0.0.3 is used twice: by cluster \"local-test\" (nodec sst) and by nodec sst
 2 | ports = { mysql = 4307, galera = 5577, sst = 5444, ist = 5578 }
   |                                              ^^^^
galeractl: 3 errors in 2 inventories
"
    );
    assert_eq!(out.status.code(), Some(65));
    // With distinct ports the two clusters may share the hosts.
    std::fs::write(
        dir.join("two.toml"),
        second.replace("sst = 5444", "sst = 5454"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "one.toml", "two.toml"]);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(
        text(&out.stdout),
        "one.toml: ok: cluster local-test, 3 nodes\ntwo.toml: ok: cluster second, 3 nodes\n"
    );
}

#[test]
fn a_home_relative_secret_path_is_expanded() {
    let dir = scratch("home_path");
    let home = dir.join("home");
    secret(&home.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    let body = format!("{CLUSTER}{THREE_NODES}").replace("\"root.pw\"", "\"~/root.pw\"");
    std::fs::write(dir.join("inv.toml"), body).unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(["validate", "inv.toml"])
        .current_dir(&dir)
        .env("HOME", &home)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}
