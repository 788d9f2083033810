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
        "inv.toml:6:1: error: unknown field `colour`, expected one of `name`, `image`, `distribute_image`, `root_password_file`, `monitor_password_file`, `monitor_user`, `ports`, `volume`, `container`, `provider`, `sst_method`, `sst_password_file`, `backup_password_file`, `durability`, `config_dir`, `mariadbd_options`, `gcache_size`, `network`
 6 | colour = \"blue\"
   | ^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

/// Issue 29: one run reports every error, not the first: two unknown keys in different tables
/// and a port out of range, each at its line.
#[test]
fn every_error_is_reported_in_one_run() {
    let body = format!(
        "{CLUSTER}colour = \"blue\"\n\n[cluster.ports]\nmysql = 70000\n{}",
        THREE_NODES.replacen(
            "host = \"10.0.0.1\"",
            "host = \"10.0.0.1\"\nshape = \"round\"",
            1
        )
    );
    assert_invalid(
        "every_error",
        &body,
        "inv.toml:6:1: error: unknown field `colour`, expected one of `name`, `image`, `distribute_image`, `root_password_file`, `monitor_password_file`, `monitor_user`, `ports`, `volume`, `container`, `provider`, `sst_method`, `sst_password_file`, `backup_password_file`, `durability`, `config_dir`, `mariadbd_options`, `gcache_size`, `network`
 6 | colour = \"blue\"
   | ^^^^^^
inv.toml:14:1: error: unknown field `shape`, expected one of `name`, `host`, `ssh_user`, `ssh_port`, `ssh_identity`, `ports`
 14 | shape = \"round\"
    | ^^^^^
inv.toml:9:9: error: cluster.ports.mysql: port 70000 is out of range (1-65535)
 9 | mysql = 70000
   |         ^^^^^
galeractl: 3 errors in 1 inventory
",
    );
}

/// `validate --json`: every finding of every file as data on stdout, nothing rendered on
/// stderr but the one-line failure; a file that cannot be read does not stop the others.
#[test]
fn validate_json_reports_every_finding_of_every_file() {
    let dir = scratch("validate_json");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    let bad =
        format!("{CLUSTER}colour = \"blue\"\n\n[cluster.ports]\nmysql = 70000\n{THREE_NODES}");
    std::fs::write(dir.join("bad.toml"), bad).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("good.toml"), format!("{CLUSTER}{THREE_NODES}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(
        &dir,
        &[
            "validate",
            "--json",
            "good.toml",
            "missing.toml",
            "bad.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(66), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "galeractl: cannot read inventory missing.toml: No such file or directory (os error 2); and 2 errors in 3 inventories\n"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["errors"], 2);
    let files = doc["inventories"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["path"], "good.toml");
    assert_eq!(files[0]["ok"], true);
    assert_eq!(files[0]["cluster"], "local-test");
    assert_eq!(files[0]["nodes"], 3);
    assert_eq!(files[1]["path"], "missing.toml");
    assert!(files[1]["read_error"]
        .as_str()
        .is_some_and(|e| e.contains("cannot read inventory")));
    assert_eq!(files[2]["ok"], false);
    let found: Vec<(u64, u64, String)> = files[2]["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["key"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (6, 1, String::new()),
            (9, 9, "cluster.ports.mysql".to_string())
        ]
    );

    // Valid files: ok, and the same document shape.
    let out = galeractl_in(&dir, &["validate", "--json", "good.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["inventories"][0]["diagnostics"], serde_json::json!([]));
}

/// A value of the wrong type does not hide an unknown key elsewhere, nor a missing key.
#[test]
fn wrong_types_and_missing_keys_are_reported_together() {
    let body = format!(
        "{CLUSTER}{}",
        THREE_NODES
            .replacen("host = \"10.0.0.2\"\n", "", 1)
            .replacen(
                "host = \"10.0.0.3\"",
                "host = \"10.0.0.3\"\nssh_port = \"22\"\nweight = 1",
                1
            )
    );
    let (code, stdout, stderr) = validate("types_and_missing", &body);
    assert_eq!((code, stdout.as_str()), (65, ""), "{stderr}");
    for expected in [
        "inv.toml:11:1: error: nodes[1]: missing field `host`",
        "inv.toml:17:12: error: nodes[2].ssh_port: invalid type: string \"22\", expected an integer",
        "inv.toml:18:1: error: unknown field `weight`",
        "galeractl: 3 errors in 1 inventory",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in:\n{stderr}");
    }
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

/// Runs `galeractl <command> <file>` in `dir`, killed after 10 s so that a read that blocks
/// (a FIFO) fails the test instead of hanging it; returns (exit code, stdout, stderr).
fn run_bounded(dir: &std::path::Path, command: &str, file: &str) -> (i32, String, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args([command, file])
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run galeractl: {e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("galeractl {command} {file} still runs after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("galeractl {command} {file}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn a_managed_option_behind_a_prefix_is_rejected() {
    let body = format!(
        "{CLUSTER}mariadbd_options = [\"--loose-skip-wsrep_on\", \"--skip-name-resolve\"]\n{THREE_NODES}"
    );
    assert_invalid(
        "prefixed_managed_option",
        &body,
        "inv.toml:6:21: error: cluster.mariadbd_options[0]: \"--loose-skip-wsrep_on\" sets wsrep-on, which galeractl manages itself
 6 | mariadbd_options = [\"--loose-skip-wsrep_on\", \"--skip-name-resolve\"]
   |                     ^^^^^^^^^^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn an_abbreviated_managed_option_is_rejected() {
    let body = format!("{CLUSTER}mariadbd_options = [\"--wsrep-new\"]\n{THREE_NODES}");
    assert_invalid(
        "abbreviated_option",
        &body,
        "inv.toml:6:21: error: cluster.mariadbd_options[0]: \"--wsrep-new\" abbreviates wsrep-new-cluster (mariadbd takes a unique prefix of an option's name for the option), which galeractl manages itself
 6 | mariadbd_options = [\"--wsrep-new\"]
   |                     ^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn an_inventory_that_is_not_a_regular_file_is_refused_without_reading_it() {
    let dir = scratch("not_a_file");
    let fifo = dir.join("inv.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(made.success());
    std::fs::create_dir_all(dir.join("inv.d")).unwrap_or_else(|e| panic!("{e}"));
    for (command, file, what) in [
        ("validate", "inv.fifo", "a FIFO (named pipe)"),
        ("plan", "inv.fifo", "a FIFO (named pipe)"),
        ("validate", "inv.d", "a directory"),
        ("validate", "/dev/zero", "a character device"),
    ] {
        let (code, stdout, stderr) = run_bounded(&dir, command, file);
        assert_eq!(
            stderr,
            format!("galeractl: cannot read inventory {file}: it is {what}, not a regular file\n")
        );
        assert_eq!(stdout, "");
        assert_eq!(code, 66, "exit code of {command} {file}");
    }
}

#[test]
fn an_inventory_over_1_mib_is_refused() {
    let dir = scratch("too_large");
    let body = format!("{CLUSTER}{THREE_NODES}{}", "#\n".repeat(600_000));
    std::fs::write(dir.join("inv.toml"), &body).unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = run_bounded(&dir, "validate", "inv.toml");
    assert_eq!(
        stderr,
        format!(
            "galeractl: cannot read inventory inv.toml: it is {} bytes, and an inventory may have at most 1048576 bytes (1 MiB)\n",
            body.len()
        )
    );
    assert_eq!(stdout, "");
    assert_eq!(code, 66);
}

#[test]
fn invalid_utf8_is_located_at_the_first_bad_byte() {
    let dir = scratch("not_utf8");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    let mut body = format!("{CLUSTER}{THREE_NODES}").into_bytes();
    body.extend_from_slice(b"note = \"caf\xe9\"\n");
    std::fs::write(dir.join("inv.toml"), &body).unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = run_bounded(&dir, "validate", "inv.toml");
    assert_eq!(
        stderr,
        "inv.toml:18:12: error: the file is not UTF-8 text: byte 0xe9 is not valid here; an inventory is TOML, which is UTF-8
 18 | note = \"caf\u{FFFD}\"
    |            ^
galeractl: 1 error in 1 inventory
"
    );
    assert_eq!(stdout, "");
    assert_eq!(code, 65);
}

#[test]
fn a_long_source_line_is_cut_in_the_diagnostic() {
    let image = format!("{} x", "m".repeat(100_000));
    let body = format!("{CLUSTER}{THREE_NODES}").replace("mariadb:11.4", &image);
    assert_invalid(
        "long_line",
        &body,
        &format!(
            "inv.toml:3:9: error: cluster.image: image \"{}\"... (100002 characters) contains whitespace or a control character, which no image reference holds
 3 | image = \"{}...
   |         {}
galeractl: 1 error in 1 inventory
",
            "m".repeat(60),
            "m".repeat(191),
            "^".repeat(192)
        ),
    );
}

#[test]
fn a_secret_file_over_64_kib_is_rejected() {
    let dir = scratch("large_secret");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    std::fs::write(dir.join("monitor.pw"), "x".repeat(70_000)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("inv.toml"), format!("{CLUSTER}{THREE_NODES}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = run_bounded(&dir, "validate", "inv.toml");
    assert_eq!(
        stderr,
        "inv.toml:5:25: error: cluster.monitor_password_file: secret file monitor.pw is 70000 bytes: a password file may hold at most 65536 bytes
 5 | monitor_password_file = \"monitor.pw\"
   |                         ^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
"
    );
    assert_eq!(stdout, "");
    assert_eq!(code, 65);
}

#[test]
fn a_name_template_without_cluster_is_rejected() {
    let body = format!("{CLUSTER}volume = \"{{node}}-data\"\n{THREE_NODES}");
    assert_invalid(
        "template_without_cluster",
        &body,
        "inv.toml:6:10: error: cluster.volume: template \"{node}-data\" has no {cluster}: another cluster on the same hosts would get the same names; put {cluster} in it, as in \"{cluster}-{node}-data\"
 6 | volume = \"{node}-data\"
   |          ^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn a_container_name_used_twice_on_one_host_is_rejected() {
    let body = format!(
        "{CLUSTER}{}\n[haproxy]\nhost = \"10.0.0.1\"\nstats_password_file = \"root.pw\"\n",
        THREE_NODES.replace("nodea", "haproxy")
    );
    assert_invalid(
        "container_twice",
        &body,
        "inv.toml:20:8: error: haproxy.host: container name \"local-test-haproxy\" on host 10.0.0.1 is used twice: by node \"haproxy\" (line 8) and by haproxy
 20 | host = \"10.0.0.1\"
    |        ^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn clusters_sharing_hosts_must_not_share_container_names() {
    let dir = scratch("cross_names");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    let one = format!("{CLUSTER}[[nodes]]\nname = \"b-c\"\nhost = \"db1.example\"\n")
        .replace("local-test", "a");
    let two = format!(
        "{CLUSTER}ports = {{ mysql = 4307, galera = 5577, sst = 5454, ist = 5578 }}\n[[nodes]]\nname = \"c\"\nhost = \"db1.example\"\n"
    )
    .replace("local-test", "a-b");
    std::fs::write(dir.join("one.toml"), one).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("two.toml"), two).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "one.toml", "two.toml"]);
    assert_eq!(
        text(&out.stderr),
        "two.toml:8:8: error: nodes[0].name: container name \"a-b-c\" on host db1.example is used twice: by cluster \"a\" (node \"b-c\") and by node \"c\"
 8 | name = \"c\"
   |        ^^^
two.toml:8:8: error: nodes[0].name: volume name \"a-b-c-data\" on host db1.example is used twice: by cluster \"a\" (node \"b-c\") and by node \"c\"
 8 | name = \"c\"
   |        ^^^
galeractl: 2 errors in 2 inventories
"
    );
    assert_eq!(out.status.code(), Some(65));
}

#[test]
fn an_image_that_docker_would_misread_is_rejected() {
    let body = format!("{CLUSTER}{THREE_NODES}").replace("mariadb:11.4", "--privileged");
    assert_invalid(
        "image_dash",
        &body,
        "inv.toml:3:9: error: cluster.image: image \"--privileged\" starts with '-', so docker would take it for an option
 3 | image = \"--privileged\"
   |         ^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
    let body = format!("{CLUSTER}{THREE_NODES}").replace("mariadb:11.4", "mariadb:11.4 --rm");
    assert_invalid(
        "image_space",
        &body,
        "inv.toml:3:9: error: cluster.image: image \"mariadb:11.4 --rm\" contains whitespace or a control character, which no image reference holds
 3 | image = \"mariadb:11.4 --rm\"
   |         ^^^^^^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn a_config_dir_that_cannot_be_mounted_is_rejected() {
    for (test, value, shown, why) in [
        (
            "config_dir_colon",
            "/opt/a:b",
            "\"/opt/a:b\"",
            "contains ':', which docker's --volume takes as the end of the host path",
        ),
        (
            "config_dir_newline",
            "/opt/a\\nb",
            "\"/opt/a\\nb\"",
            "contains a control character (a newline, a tab, ...)",
        ),
        (
            "config_dir_root",
            "/",
            "\"/\"",
            "is the root directory: give galeractl a directory of its own, such as \"/etc/galeractl\"",
        ),
        (
            "config_dir_relative",
            "etc/galeractl",
            "\"etc/galeractl\"",
            "must be an absolute path",
        ),
    ] {
        let line = format!("config_dir = \"{value}\"");
        assert_invalid(
            test,
            &format!("{CLUSTER}{line}\n{THREE_NODES}"),
            &format!(
                "inv.toml:6:14: error: cluster.config_dir: {shown} {why}
 6 | {line}
   |              {}
galeractl: 1 error in 1 inventory
",
                "^".repeat(value.chars().count() + 2)
            ),
        );
    }
}

#[test]
fn a_provider_path_that_is_relative_or_has_spaces_is_rejected() {
    let body = format!("{CLUSTER}provider = \"libgalera_smm.so\"\n{THREE_NODES}");
    assert_invalid(
        "provider_relative",
        &body,
        "inv.toml:6:12: error: cluster.provider: provider \"libgalera_smm.so\" must be an absolute path inside the image, such as \"/usr/lib/galera/libgalera_smm.so\"
 6 | provider = \"libgalera_smm.so\"
   |            ^^^^^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
    let body = format!("{CLUSTER}provider = \"/usr/lib/my galera.so\"\n{THREE_NODES}");
    assert_invalid(
        "provider_space",
        &body,
        "inv.toml:6:12: error: cluster.provider: provider \"/usr/lib/my galera.so\" contains whitespace or a control character
 6 | provider = \"/usr/lib/my galera.so\"
   |            ^^^^^^^^^^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn root_as_monitor_user_is_rejected() {
    let body = format!("{CLUSTER}monitor_user = \"root\"\n{THREE_NODES}");
    assert_invalid(
        "monitor_root",
        &body,
        "inv.toml:6:16: error: cluster.monitor_user: \"root\" cannot be the monitor user: the image's entrypoint refuses MARIADB_USER=root; leave monitor_user out (the default is \"galeractl_monitor\") or choose another name
 6 | monitor_user = \"root\"
   |                ^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn a_loopback_or_unspecified_host_is_rejected_with_several_members() {
    let body = format!(
        "{CLUSTER}{}",
        THREE_NODES
            .replace("10.0.0.1", "0.0.0.0")
            .replace("10.0.0.2", "localhost")
            .replace("10.0.0.3", "127.0.0.1")
    );
    let why = "which the other members cannot reach: galeractl advertises each member's host to the others (wsrep_node_address); use an address they can reach";
    assert_invalid(
        "loopback",
        &body,
        &format!(
            "inv.toml:9:8: error: nodes[0].host: \"0.0.0.0\" is the unspecified address, {why}
 9 | host = \"0.0.0.0\"
   |        ^^^^^^^^^
inv.toml:13:8: error: nodes[1].host: \"localhost\" is a name of the loopback address, {why}
 13 | host = \"localhost\"
    |        ^^^^^^^^^^^
inv.toml:17:8: error: nodes[2].host: \"127.0.0.1\" is a loopback address, {why}
 17 | host = \"127.0.0.1\"
    |        ^^^^^^^^^^^
galeractl: 3 errors in 1 inventory
"
        ),
    );
    // One node and no arbitrator: nobody else needs to reach it.
    let body = format!("{CLUSTER}[[nodes]]\nname = \"solo\"\nhost = \"127.0.0.1\"\n");
    let (code, stdout, stderr) = validate("loopback_single", &body);
    assert_eq!(stderr, "");
    assert_eq!(stdout, "inv.toml: ok: cluster local-test, 1 node\n");
    assert_eq!(code, 0);
}

#[test]
fn one_host_written_two_ways_is_rejected() {
    let body = format!(
        "{CLUSTER}{}[nodes.ports]\nmysql = 4307\ngalera = 5577\nsst = 5454\nist = 5578\n",
        THREE_NODES
            .replace("10.0.0.1", "db1.example")
            .replace("10.0.0.3", "DB1.Example")
    );
    assert_invalid(
        "host_case",
        &body,
        "inv.toml:17:8: error: nodes[2].host: \"DB1.Example\" and \"db1.example\" (line 9) are the same host written two ways (host names ignore case): write it one way everywhere
 17 | host = \"DB1.Example\"
    |        ^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn missing_ssh_files_are_errors_for_validate_and_warnings_for_plan() {
    let dir = scratch("ssh_files");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    let body = format!(
        "{CLUSTER}\n[ssh]\nidentity = \"keys/id\"\nknown_hosts = \"known_hosts\"\nconfig_file = \"/dev/null\"\n{THREE_NODES}"
    );
    std::fs::write(dir.join("inv.toml"), body).unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = run_bounded(&dir, "validate", "inv.toml");
    assert_eq!(
        stderr,
        "inv.toml:8:12: error: ssh.identity: SSH identity file keys/id does not exist
 8 | identity = \"keys/id\"
   |            ^^^^^^^^^
inv.toml:9:15: error: ssh.known_hosts: known_hosts file known_hosts does not exist
 9 | known_hosts = \"known_hosts\"
   |               ^^^^^^^^^^^^^
galeractl: 2 errors in 1 inventory
"
    );
    assert_eq!(stdout, "");
    assert_eq!(code, 65);
    let (code, _, stderr) = run_bounded(&dir, "plan", "inv.toml");
    assert!(
        stderr.starts_with("inv.toml:8:12: warning: ssh.identity: SSH identity file keys/id does not exist (up will refuse this)\n"),
        "{stderr}"
    );
    assert_eq!(code, 0);
}

#[test]
fn mariabackup_needs_the_sst_password_file() {
    let body = format!("{CLUSTER}sst_method = \"mariabackup\"\n{THREE_NODES}");
    let (code, stdout, stderr) = validate("mariabackup_no_password", &body);
    assert_eq!(
        stderr,
        "inv.toml:6:14: error: cluster.sst_method: sst_method = \"mariabackup\" needs sst_password_file: a 0600 file with the password of the SST user galeractl creates on each node (galeractl_sst, localhost only)
 6 | sst_method = \"mariabackup\"
   |              ^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
"
    );
    assert_eq!((code, stdout.as_str()), (65, ""));
    // With the file (0600), it validates; the file is checked like every secret file.
    let dir = scratch("mariabackup_password");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    secret(&dir.join("sst.pw"), 0o644);
    let body = format!(
        "{CLUSTER}sst_method = \"mariabackup\"\nsst_password_file = \"sst.pw\"\n{THREE_NODES}"
    );
    std::fs::write(dir.join("inv.toml"), body).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "inv.toml"]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cluster.sst_password_file: secret file sst.pw"),
        "{}",
        text(&out.stderr)
    );
    secret(&dir.join("sst.pw"), 0o600);
    let out = galeractl_in(&dir, &["validate", "inv.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_bad_gcache_size_is_rejected_and_a_good_one_reaches_the_provider_options() {
    let body = format!("{CLUSTER}gcache_size = \"12X\"\n{THREE_NODES}");
    assert_invalid(
        "gcache_unit",
        &body,
        "inv.toml:6:15: error: cluster.gcache_size: gcache size \"12X\" has an unknown unit: use K, M, G or T (as in \"512M\" or \"2G\")
 6 | gcache_size = \"12X\"
   |               ^^^^^
galeractl: 1 error in 1 inventory
",
    );
    let body = format!("{CLUSTER}gcache_size = \"8M\"\n{THREE_NODES}");
    assert_invalid(
        "gcache_small",
        &body,
        "inv.toml:6:15: error: cluster.gcache_size: gcache size \"8M\" is below 16M: a donor could keep almost nothing for IST
 6 | gcache_size = \"8M\"
   |               ^^^^
galeractl: 1 error in 1 inventory
",
    );
    let dir = scratch("gcache_good");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    std::fs::write(
        dir.join("inv.toml"),
        format!("{CLUSTER}gcache_size = \"2g\"\n{THREE_NODES}"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["plan", "inv.toml"]);
    assert!(
        text(&out.stdout).contains(";ist.recv_bind=0.0.0.0;gcache.size=2G' "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn backup_password_file_is_a_secret_file() {
    let dir = scratch("backup_password");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    secret(&dir.join("backup.pw"), 0o640);
    let body = format!("{CLUSTER}backup_password_file = \"backup.pw\"\n{THREE_NODES}");
    std::fs::write(dir.join("inv.toml"), body).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "inv.toml"]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "error: cluster.backup_password_file: secret file backup.pw is readable by group or others (mode 0640): run chmod 600 backup.pw"
        ),
        "{}",
        text(&out.stderr)
    );
    secret(&dir.join("backup.pw"), 0o600);
    let out = galeractl_in(&dir, &["validate", "inv.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn local_nodes_are_all_or_nothing_and_run_no_proxy_yet() {
    let body = format!(
        "{CLUSTER}network = \"-bad\"\n\n[[nodes]]\nname = \"nodea\"\nhost = \"local\"\n\n[[nodes]]\nname = \"nodeb\"\nhost = \"10.0.0.2\"\n\n[arbitrator]\nhost = \"local\"\nimage = \"galera-arbitrator:4\"\n"
    );
    assert_invalid(
        "local_all_or_nothing",
        &body,
        "\
inv.toml:6:11: error: cluster.network: Docker network name \"-bad\": letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64
 6 | network = \"-bad\"
   |           ^^^^^^
inv.toml:14:8: error: nodes[1].host: \"10.0.0.2\" with other nodes on \"local\": a local node is reached by its container's name on this machine only; make every node local, or none
 14 | host = \"10.0.0.2\"
    |        ^^^^^^^^^^
inv.toml:17:8: error: arbitrator.host: [arbitrator] is not supported for a cluster of local nodes yet
 17 | host = \"local\"
    |        ^^^^^^^
inv.toml:17:8: error: port 5567 on host local is used twice: by nodea galera (line 10) and by arbitrator
 17 | host = \"local\"
    |        ^^^^^^^
galeractl: 4 errors in 1 inventory
",
    );
}

#[test]
fn tls_needs_mariabackup_sst() {
    let body = format!("{CLUSTER}{THREE_NODES}\n[tls]\nenabled = true\n");
    let (code, stdout, stderr) = validate("tls_rsync", &body);
    assert_eq!(
        stderr,
        "inv.toml:20:11: error: cluster.sst_method: [tls] needs sst_method = \"mariabackup\": its transfer is encrypted and verified by socat's OpenSSL, which the node image has; rsync SST is encrypted only through stunnel, which the node image lacks, and would send every data file in the clear
 20 | enabled = true
    |           ^^^^
galeractl: 1 error in 1 inventory
"
    );
    assert_eq!((code, stdout.as_str()), (65, ""));
}

#[test]
fn tls_own_ca_needs_both_files() {
    let dir = scratch("tls_own_ca");
    secret(&dir.join("sst.pw"), 0o600);
    let body = format!(
        "{CLUSTER}sst_method = \"mariabackup\"\nsst_password_file = \"sst.pw\"\n{THREE_NODES}\n[tls]\nenabled = true\nca_cert = \"ca.crt\"\n"
    );
    let (code, stdout, stderr) = validate("tls_own_ca", &body);
    assert_eq!(
        stderr,
        "inv.toml:23:11: error: tls.ca_cert: give both ca_cert and ca_key (your own CA signs the node certificates), or neither (galeractl makes a CA in tls.dir)
 23 | ca_cert = \"ca.crt\"
    |           ^^^^^^^^
galeractl: 1 error in 1 inventory
"
    );
    assert_eq!((code, stdout.as_str()), (65, ""));
}

#[test]
fn tls_keeps_the_name_ca_for_the_ca() {
    let dir = scratch("tls_node_ca");
    secret(&dir.join("sst.pw"), 0o600);
    let body = format!(
        "{CLUSTER}sst_method = \"mariabackup\"\nsst_password_file = \"sst.pw\"\n{}\n[tls]\nenabled = true\n",
        THREE_NODES.replace("name = \"nodeb\"", "name = \"ca\"")
    );
    let (code, _, stderr) = validate("tls_node_ca", &body);
    assert_eq!(code, 65, "{stderr}");
    assert!(
        stderr.contains("error: nodes[1].name: \"ca\" is the CA's file name with [tls]: give the node another name"),
        "{stderr}"
    );
}

#[test]
fn tls_off_is_no_tls() {
    let body = format!("{CLUSTER}{THREE_NODES}\n[tls]\nenabled = false\n");
    let (code, _, stderr) = validate("tls_off", &body);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn check_bind_node_needs_ip_addresses() {
    let dir = scratch("check_bind_name");
    secret(&dir.join("stats.pw"), 0o600);
    let body = format!(
        "{CLUSTER}{}\n[haproxy]\nhost = \"10.0.0.9\"\nstats_password_file = \"stats.pw\"\ncheck_bind = \"node\"\n",
        THREE_NODES.replace("\"10.0.0.2\"", "\"db2.example\"")
    );
    let (code, stdout, stderr) = validate("check_bind_name", &body);
    assert_eq!(
        stderr,
        "inv.toml:22:14: error: haproxy.check_bind: check_bind = \"node\" publishes each health endpoint on its node's address, which must be an IP address; nodeb has host \"db2.example\"
 22 | check_bind = \"node\"
    |              ^^^^^^
galeractl: 1 error in 1 inventory
"
    );
    assert_eq!((code, stdout.as_str()), (65, ""));
}
