//! Issue 28: inputs that `validate` accepted and that broke only at run time (the safety
//! review's L-1, L-2, L-3, L-5, L-8). Each test asserts the exact diagnostic, located at
//! file:line:col, through the real binary. Nothing here touches a host.

mod support;
use support::*;

const CLUSTER: &str = r#"[cluster]
name = "c1"
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

/// Writes `inv.toml` with `body` and 0600 secrets (`root.pw`, `monitor.pw`, plus `extra`
/// with their contents) into a fresh directory, and runs `galeractl COMMAND inv.toml` there:
/// (exit code, stdout, stderr).
fn run(test: &str, command: &str, body: &str, extra: &[(&str, &str)]) -> (i32, String, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch(test);
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    for (file, content) in extra {
        let path = dir.join(file);
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(dir.join("inv.toml"), body).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &[command, "inv.toml"]);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn assert_invalid(test: &str, body: &str, expected_stderr: &str) {
    let (code, stdout, stderr) = run(test, "validate", body, &[]);
    assert_eq!(stderr, expected_stderr, "stderr of {test}");
    assert_eq!((code, stdout.as_str()), (65, ""), "{test}");
}

#[test]
fn auxiliary_container_names_are_claimed() {
    let body = format!(
        "{CLUSTER}\n[[nodes]]\nname = \"a\"\nhost = \"10.0.0.1\"\n\n[[nodes]]\nname = \"a-recover\"\nhost = \"10.0.0.1\"\nports = {{ mysql = 14306, galera = 15567, sst = 15444, ist = 15568 }}\n\n[[nodes]]\nname = \"a-backup-check\"\nhost = \"10.0.0.1\"\nports = {{ mysql = 24306, galera = 25567, sst = 25444, ist = 25568 }}\n\n[[nodes]]\nname = \"garbd\"\nhost = \"10.0.0.4\"\n\n[arbitrator]\nhost = \"10.0.0.4\"\nport = 6567\nimage = \"galera-arbitrator:4\"\n"
    );
    assert_invalid(
        "aux_names",
        &body,
        "\
inv.toml:12:8: error: nodes[1].name: container name \"c1-a-recover\" on host 10.0.0.1 is used twice: by recovery's one-off of node \"a\" (line 8) and by node \"a-recover\"
 12 | name = \"a-recover\"
    |        ^^^^^^^^^^^
inv.toml:17:8: error: nodes[2].name: container name \"c1-a-backup-check\" on host 10.0.0.1 is used twice: by the backup check of node \"a\" (line 8) and by node \"a-backup-check\"
 17 | name = \"a-backup-check\"
    |        ^^^^^^^^^^^^^^^^
inv.toml:26:8: error: arbitrator.host: container name \"c1-garbd\" on host 10.0.0.4 is used twice: by node \"garbd\" (line 22) and by the arbitrator
 26 | host = \"10.0.0.4\"
    |        ^^^^^^^^^^
galeractl: 3 errors in 1 inventory
",
    );
}

#[test]
fn another_clusters_one_off_name_is_claimed_across_files() {
    let dir = scratch("aux_cross");
    secret(&dir.join("root.pw"), 0o600);
    secret(&dir.join("monitor.pw"), 0o600);
    let one = format!("{CLUSTER}[[nodes]]\nname = \"b\"\nhost = \"db1.example\"\n")
        .replace("\"c1\"", "\"a\"");
    let two = format!(
        "{CLUSTER}ports = {{ mysql = 4307, galera = 5577, sst = 5454, ist = 5578 }}\n[[nodes]]\nname = \"recover\"\nhost = \"db1.example\"\n"
    )
    .replace("\"c1\"", "\"a-b\"");
    std::fs::write(dir.join("one.toml"), one).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("two.toml"), two).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["validate", "one.toml", "two.toml"]);
    assert_eq!(
        text(&out.stderr),
        "two.toml:8:8: error: nodes[0].name: container name \"a-b-recover\" on host db1.example is used twice: by cluster \"a\" (recovery's one-off of node \"b\") and by node \"recover\"
 8 | name = \"recover\"
   |        ^^^^^^^^^
galeractl: 1 error in 2 inventories
"
    );
    assert_eq!(out.status.code(), Some(65));
}

#[test]
fn options_that_defeat_galeractl_are_refused_with_why() {
    let body = format!(
        "{CLUSTER}mariadbd_options = [\n  \"--wsrep-sst-donor=nodec\",\n  \"--innodb-data-home-dir=/srv\",\n  \"--log-error=/tmp/e\",\n  \"--skip-networking\",\n  \"--defaults-file=/x\",\n  \"--wsrep-new-cluster \",\n  \"--max-connections=5\\n  replicas: 0\",\n]\n{THREE_NODES}"
    );
    assert_invalid(
        "options_refused",
        &body,
        "\
inv.toml:7:3: error: cluster.mariadbd_options[0]: \"--wsrep-sst-donor=nodec\" sets wsrep-sst-donor, which would override the donor galeractl chooses (a new cluster's joiners copy from the bootstrap node)
 7 |   \"--wsrep-sst-donor=nodec\",
   |   ^^^^^^^^^^^^^^^^^^^^^^^^^
inv.toml:8:3: error: cluster.mariadbd_options[1]: \"--innodb-data-home-dir=/srv\" sets innodb-data-home-dir, which would keep durable state outside the node's data volume, where a rolling replace deletes it and recovery does not look
 8 |   \"--innodb-data-home-dir=/srv\",
   |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
inv.toml:9:3: error: cluster.mariadbd_options[2]: \"--log-error=/tmp/e\" sets log-error, which would send the server's log to a file, and galeractl reads it with docker logs (IST or SST, recover, the logs command)
 9 |   \"--log-error=/tmp/e\",
   |   ^^^^^^^^^^^^^^^^^^^^
inv.toml:10:3: error: cluster.mariadbd_options[3]: \"--skip-networking\" sets skip-networking, which would close the TCP port that galeractl's probes and every client use
 10 |   \"--skip-networking\",
    |   ^^^^^^^^^^^^^^^^^^^
inv.toml:11:3: error: cluster.mariadbd_options[4]: \"--defaults-file=/x\" sets defaults-file, which mariadbd takes only as its first argument and refuses anywhere else (a crash loop)
 11 |   \"--defaults-file=/x\",
    |   ^^^^^^^^^^^^^^^^^^^^
inv.toml:12:3: error: cluster.mariadbd_options[5]: \"--wsrep-new-cluster \" has a character no option name holds (whitespace, a control character, ...): mariadbd would stop on an unknown option; names are letters, digits, '-', '_' and '.'
 12 |   \"--wsrep-new-cluster \",
    |   ^^^^^^^^^^^^^^^^^^^^^^
inv.toml:13:3: error: cluster.mariadbd_options[6]: \"--max-connections=5\\n  replicas: 0\" has a control character (a newline, a tab, ...) in its value, which mariadbd refuses and which would break the exported option file
 13 |   \"--max-connections=5\\n  replicas: 0\",
    |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
galeractl: 7 errors in 1 inventory
",
    );
}

#[test]
fn a_path_with_a_control_character_is_refused() {
    let body = format!(
        "{}{THREE_NODES}",
        CLUSTER.replace("\"root.pw\"", "\"root.pw\\n  image: evil\"")
    );
    assert_invalid(
        "path_control",
        &body,
        "\
inv.toml:4:22: error: cluster.root_password_file: path \"root.pw\\n  image: evil\" has a control character (a newline, a tab, ...): rename the file
 4 | root_password_file = \"root.pw\\n  image: evil\"
   |                      ^^^^^^^^^^^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn a_system_or_world_writable_config_dir_is_refused() {
    let body = format!(
        "{}config_dir = \"/etc\"\n{THREE_NODES}",
        CLUSTER.replace("\"c1\"", "\"ssh\"")
    );
    assert_invalid(
        "config_dir_etc",
        &body,
        "\
inv.toml:6:14: error: cluster.config_dir: \"/etc\" is a system directory: the cluster's directory in it could be one the system uses (/etc/ssh, /var/lib/docker), which galeractl would make 0700 and write into; give galeractl a directory of its own, such as \"/etc/galeractl\"
 6 | config_dir = \"/etc\"
   |              ^^^^^^
galeractl: 1 error in 1 inventory
",
    );
    let body = format!("{CLUSTER}config_dir = \"/tmp/galeractl\"\n{THREE_NODES}");
    assert_invalid(
        "config_dir_tmp",
        &body,
        "\
inv.toml:6:14: error: cluster.config_dir: \"/tmp/galeractl\" is in /tmp, which every user may write: another user could make the cluster's directory first and own it
 6 | config_dir = \"/tmp/galeractl\"
   |              ^^^^^^^^^^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn tls_with_local_nodes_is_refused() {
    let body = format!(
        "{CLUSTER}sst_method = \"mariabackup\"\nsst_password_file = \"root.pw\"\n\n[[nodes]]\nname = \"nodea\"\nhost = \"local\"\n\n[tls]\nenabled = true\n"
    );
    assert_invalid(
        "tls_local",
        &body,
        "\
inv.toml:14:11: error: tls.enabled: [tls] is not supported for a cluster of local nodes yet: the certificates would name \"local\", which the probes (to 127.0.0.1) and the SST donor's check of the joiner's name reject
 14 | enabled = true
    |           ^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn a_local_proxy_or_arbitrator_with_remote_nodes_is_refused() {
    let body = format!(
        "{CLUSTER}{THREE_NODES}\n[haproxy]\nhost = \"local\"\nstats_password_file = \"root.pw\"\n\n[arbitrator]\nhost = \"local\"\nimage = \"galera-arbitrator:4\"\n"
    );
    assert_invalid(
        "local_proxy_remote_nodes",
        &body,
        "\
inv.toml:20:8: error: haproxy.host: \"local\" (this machine) with nodes on other hosts: the nodes could not reach it, and it would advertise \"local\" to them; give the host they reach it at
 20 | host = \"local\"
    |        ^^^^^^^
inv.toml:24:8: error: arbitrator.host: \"local\" (this machine) with nodes on other hosts: the nodes could not reach it, and it would advertise \"local\" to them; give the host they reach it at
 24 | host = \"local\"
    |        ^^^^^^^
galeractl: 2 errors in 1 inventory
",
    );
}

#[test]
fn a_built_in_docker_network_is_refused_for_local_nodes() {
    let body =
        format!("{CLUSTER}network = \"host\"\n\n[[nodes]]\nname = \"nodea\"\nhost = \"local\"\n");
    assert_invalid(
        "local_network_host",
        &body,
        "\
inv.toml:6:11: error: cluster.network: Docker's network \"host\" gives containers no names to reach each other by, and local nodes find each other by container name; leave network out (galeractl makes galeractl-c1) or name a network of your own
 6 | network = \"host\"
   |           ^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn an_upper_case_image_and_a_provider_with_shell_characters_are_refused() {
    let body = format!(
        "{}provider = \"/usr/lib/galera/libgalera_smm.so;x\"\n{THREE_NODES}",
        CLUSTER.replace("mariadb:11.4", "MariaDB:11.4")
    );
    assert_invalid(
        "image_case_provider",
        &body,
        "\
inv.toml:3:9: error: cluster.image: image \"MariaDB:11.4\" has upper case in its repository name, which docker refuses: write the name in lower case (a tag may keep its case)
 3 | image = \"MariaDB:11.4\"
   |         ^^^^^^^^^^^^^^
inv.toml:6:12: error: cluster.provider: provider \"/usr/lib/galera/libgalera_smm.so;x\" has a character a library's path does not need (';', '$', quotes, ...): use letters, digits, '/', '.', '_', '+' and '-'
 6 | provider = \"/usr/lib/galera/libgalera_smm.so;x\"
   |            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
galeractl: 2 errors in 1 inventory
",
    );
}

#[test]
fn tls_dir_root_and_one_file_for_the_ca_cert_and_key_are_refused() {
    let body = format!(
        "{CLUSTER}sst_method = \"mariabackup\"\nsst_password_file = \"root.pw\"\n{THREE_NODES}\n[tls]\nenabled = true\ndir = \"/\"\nca_cert = \"ca.pem\"\nca_key = \"ca.pem\"\n"
    );
    assert_invalid(
        "tls_dir_root",
        &body,
        "\
inv.toml:23:7: error: tls.dir: \"/\" is the root directory: galeractl writes the CA and every member's key there; give the certificates a directory of their own
 23 | dir = \"/\"
    |       ^^^
inv.toml:25:10: error: tls.ca_key: \"ca.pem\" is also ca_cert: the CA's key and its certificate are two files (the key stays on this machine, the certificate goes to every host)
 25 | ca_key = \"ca.pem\"
    |          ^^^^^^^^
galeractl: 2 errors in 1 inventory
",
    );
}

#[test]
fn a_host_named_local_in_another_case_is_refused() {
    let body = format!("{CLUSTER}\n[[nodes]]\nname = \"nodea\"\nhost = \"LOCAL\"\n");
    assert_invalid(
        "host_upper_local",
        &body,
        "\
inv.toml:9:8: error: nodes[0].host: \"LOCAL\" would be a host reached over SSH: only \"local\", in lower case, means this machine; write \"local\" or the host's name
 9 | host = \"LOCAL\"
   |        ^^^^^^^
galeractl: 1 error in 1 inventory
",
    );
}

#[test]
fn an_arbitrator_without_its_own_image_is_warned_about() {
    let body = format!(
        "{CLUSTER}\n[[nodes]]\nname = \"nodea\"\nhost = \"10.0.0.1\"\n\n[[nodes]]\nname = \"nodeb\"\nhost = \"10.0.0.2\"\n\n[arbitrator]\nhost = \"10.0.0.3\"\n"
    );
    let (code, stdout, stderr) = run("arbitrator_image", "validate", &body, &[]);
    assert_eq!(
        stderr,
        "\
inv.toml:16:8: warning: arbitrator.image: garbd runs from the node image \"mariadb:11.4\" when [arbitrator].image is left out, and the node image may not contain garbd; set [arbitrator].image
 16 | host = \"10.0.0.3\"
    |        ^^^^^^^^^^
"
    );
    assert_eq!(
        (code, stdout.as_str()),
        (0, "inv.toml: ok: cluster c1, 2 nodes\n")
    );
}

#[test]
fn secrets_that_break_at_run_time_are_refused_by_validate_and_warned_about_by_plan() {
    let body = format!(
        "{}backup_password_file = \"backup.pw\"\n{THREE_NODES}\n[haproxy]\nhost = \"10.0.0.9\"\nstats_password_file = \"stats.pw\"\n",
        CLUSTER.replace("\"monitor.pw\"", "\"monitor-crlf.pw\"")
    );
    let secrets = [
        ("monitor-crlf.pw", "s3cret\r\n"),
        ("backup.pw", "a b#c\n"),
        ("stats.pw", "YWJj/ZGVm+Z2hp==\n"),
    ];
    let (code, stdout, stderr) = run("secret_text", "validate", &body, &secrets);
    assert_eq!(
        stderr,
        "\
inv.toml:5:25: error: cluster.monitor_password_file: secret file monitor-crlf.pw ends in a carriage return (a CRLF line end): the image keeps it in the password and galeractl does not, so galeractl could not log in; remove it (dos2unix monitor-crlf.pw)
 5 | monitor_password_file = \"monitor-crlf.pw\"
   |                         ^^^^^^^^^^^^^^^^^
inv.toml:6:24: error: cluster.backup_password_file: the password in backup.pw has characters that galeractl does not write into a configuration file: use letters, digits and ._~!@%^*+=- (openssl rand -hex 24 makes one)
 6 | backup_password_file = \"backup.pw\"
   |                        ^^^^^^^^^^^
inv.toml:22:23: error: haproxy.stats_password_file: the password in stats.pw has characters that galeractl does not write into a configuration file: use letters, digits and ._~!@%^*+=- (openssl rand -hex 24 makes one)
 22 | stats_password_file = \"stats.pw\"
    |                       ^^^^^^^^^^
galeractl: 3 errors in 1 inventory
"
    );
    assert_eq!((code, stdout.as_str()), (65, ""));
    // `plan` shows what would happen: the same findings, as warnings.
    let (code, stdout, stderr) = run("secret_text_plan", "plan", &body, &secrets);
    assert_eq!(
        stderr,
        "\
inv.toml:5:25: warning: cluster.monitor_password_file: secret file monitor-crlf.pw ends in a carriage return (a CRLF line end): the image keeps it in the password and galeractl does not, so galeractl could not log in; remove it (dos2unix monitor-crlf.pw) (up will refuse this)
 5 | monitor_password_file = \"monitor-crlf.pw\"
   |                         ^^^^^^^^^^^^^^^^^
inv.toml:6:24: warning: cluster.backup_password_file: the password in backup.pw has characters that galeractl does not write into a configuration file: use letters, digits and ._~!@%^*+=- (openssl rand -hex 24 makes one) (up will refuse this)
 6 | backup_password_file = \"backup.pw\"
   |                        ^^^^^^^^^^^
inv.toml:22:23: warning: haproxy.stats_password_file: the password in stats.pw has characters that galeractl does not write into a configuration file: use letters, digits and ._~!@%^*+=- (openssl rand -hex 24 makes one) (up will refuse this)
 22 | stats_password_file = \"stats.pw\"
    |                       ^^^^^^^^^^
"
    );
    assert!(stdout.starts_with("# plan for cluster c1\n"), "{stdout}");
    assert_eq!(code, 0);
}
