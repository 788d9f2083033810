//! `galeractl init`: the inventory's text for fixed flags (golden), and the binary writing it:
//! what it prints, the files' modes and passwords, `validate` on the result, and its refusals
//! (a file that exists, flags that make an invalid inventory), each changing nothing.

mod support;
use support::*;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::SystemTime;

use galeractl::init::{inventory_text, InitSpec};

const SECRETS: [&str; 4] = [
    "secrets/root-password",
    "secrets/monitor-password",
    "secrets/sst-password",
    "secrets/backup-password",
];

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = galeractl_in(dir, args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .permissions()
        .mode()
        & 0o7777
}

/// Every file under `dir`, with its content and modification time.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, SystemTime)> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{d:?}: {e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            let meta = std::fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("{e}"));
            if meta.is_dir() {
                todo.push(path);
            } else {
                let content = if meta.is_symlink() {
                    let target = std::fs::read_link(&path).unwrap_or_else(|e| panic!("{e}"));
                    target.as_os_str().as_encoded_bytes().to_vec()
                } else {
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"))
                };
                let mtime = meta.modified().unwrap_or_else(|e| panic!("{e}"));
                all.push((path.display().to_string(), content, mtime));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn inventory_text_for_fixed_flags() {
    let spec = InitSpec {
        cluster: "shop".into(),
        hosts: vec!["10.0.0.1".into(), "10.0.0.2".into(), "db3.example".into()],
        image: "mariadb:11.4".into(),
        ssh_user: Some("deploy".into()),
        ssh_identity: Some("/home/deploy/.ssh/id_ed25519".into()),
        known_hosts: Some("/home/deploy/.ssh/known_hosts".into()),
        sudo: true,
        haproxy_host: Some("10.0.0.1".into()),
        haproxy_image: None,
    };
    let text = inventory_text(&spec);
    assert_golden("init.toml", &text);
    let parsed = galeractl::inventory::parse(Path::new("galeractl.toml"), &text);
    assert_eq!(parsed.report.diagnostics, []);
    let inventory = parsed.inventory.unwrap_or_else(|| panic!("no inventory"));
    assert!(inventory.ssh.sudo, "init --sudo writes [ssh] sudo = true");
    assert_eq!(inventory.ssh.user.as_deref(), Some("deploy"));
    let nodes: Vec<(&str, &str)> = inventory
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.host.as_str()))
        .collect();
    assert_eq!(
        nodes,
        [
            ("nodea", "10.0.0.1"),
            ("nodeb", "10.0.0.2"),
            ("nodec", "db3.example")
        ]
    );
    let secrets: Vec<String> = inventory
        .secret_files()
        .iter()
        .map(|(key, path)| format!("{key} {}", path.display()))
        .collect();
    assert_eq!(
        secrets,
        [
            "cluster.root_password_file secrets/root-password",
            "cluster.monitor_password_file secrets/monitor-password",
            "cluster.sst_password_file secrets/sst-password",
            "cluster.backup_password_file secrets/backup-password",
            "haproxy.stats_password_file secrets/haproxy-stats-password",
        ]
    );
}

#[test]
fn dry_run_prints_the_inventory_and_writes_nothing() {
    let dir = scratch("init-dry-run");
    let (code, stdout, stderr) = run_in(
        &dir,
        &[
            "init",
            "--cluster",
            "shop",
            "--host",
            "10.0.0.1,10.0.0.2",
            "--host",
            "db3.example",
            "--ssh-user",
            "root",
            "--haproxy-host",
            "10.0.0.1",
            "--dir",
            "new",
            "--dry-run",
        ],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    let expected_text = inventory_text(&InitSpec {
        cluster: "shop".into(),
        hosts: vec!["10.0.0.1".into(), "10.0.0.2".into(), "db3.example".into()],
        image: "mariadb:11.4".into(),
        ssh_user: Some("root".into()),
        ssh_identity: None,
        known_hosts: None,
        sudo: false,
        haproxy_host: Some("10.0.0.1".into()),
        haproxy_image: None,
    });
    let expected = format!(
        "# galeractl init --dry-run: nothing was written; init would make:
#   new/
#   new/secrets/ (0700)
#   new/secrets/root-password (0600): 32 random letters and digits
#   new/secrets/monitor-password (0600): 32 random letters and digits
#   new/secrets/sst-password (0600): 32 random letters and digits
#   new/secrets/backup-password (0600): 32 random letters and digits
#   new/secrets/haproxy-stats-password (0600): 32 random letters and digits
#   new/galeractl.toml, this text:
{expected_text}"
    );
    assert_eq!(stdout, expected);
    assert!(!dir.join("new").exists());
    // The whole output is TOML: the inventory itself.
    assert!(galeractl::inventory::parse(Path::new("x.toml"), &stdout)
        .inventory
        .is_some());
}

#[test]
fn init_writes_an_inventory_that_validates_and_its_secrets() {
    let dir = scratch("init-writes");
    let (code, stdout, stderr) = run_in(
        &dir,
        &[
            "init",
            "--cluster",
            "shop",
            "--host",
            "10.0.0.1",
            "--host",
            "10.0.0.2",
            "--host",
            "10.0.0.3",
        ],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        "made secrets/ (0700)
wrote secrets/root-password (0600): 32 random letters and digits
wrote secrets/monitor-password (0600): 32 random letters and digits
wrote secrets/sst-password (0600): 32 random letters and digits
wrote secrets/backup-password (0600): 32 random letters and digits
wrote galeractl.toml
next:
  galeractl validate galeractl.toml
  galeractl plan galeractl.toml
  galeractl preflight
  galeractl up
  galeractl status
"
    );
    assert_eq!(mode(&dir.join("secrets")), 0o700);
    let mut passwords = Vec::new();
    for file in SECRETS {
        let path = dir.join(file);
        assert_eq!(mode(&path), 0o600, "{file}");
        let content = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(content.len(), 32, "{file}");
        assert!(content.chars().all(|c| c.is_ascii_alphanumeric()), "{file}");
        let read = galeractl::secret::Secret::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.expose(), content);
        passwords.push(content);
    }
    passwords.sort();
    passwords.dedup();
    assert_eq!(passwords.len(), SECRETS.len(), "passwords repeat");
    let entries: Vec<String> = std::fs::read_dir(dir.join("secrets"))
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(entries.len(), SECRETS.len(), "{entries:?}");

    // What validate says, and the library's loader: no diagnostic at all.
    let (code, stdout, stderr) = run_in(&dir, &["validate", "galeractl.toml"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "galeractl.toml: ok: cluster shop, 3 nodes\n", "")
    );
    let (inventory, report) = galeractl::inventory::load(
        &dir.join("galeractl.toml"),
        galeractl::inventory::Secrets::Required,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.diagnostics, []);
    assert_eq!(inventory.cluster.sst_method, "mariabackup");
    assert_eq!(inventory.cluster.image, "mariadb:11.4");
    assert!(inventory.haproxy.is_none());
    // `plan`, which reads no secret, has no warning either.
    let (code, _, stderr) = run_in(&dir, &["plan", "galeractl.toml"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn init_twice_refuses_and_changes_nothing() {
    let dir = scratch("init-twice");
    let args = [
        "init",
        "--cluster",
        "shop",
        "--host",
        "10.0.0.1,10.0.0.2,10.0.0.3",
        "--haproxy-host",
        "10.0.0.4",
        "--dir",
        "c",
    ];
    let (code, _, stderr) = run_in(&dir, &args);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let before = snapshot(&dir);
    assert_eq!(before.len(), 6);
    // Later mtimes would show even where the clock's granularity is coarse.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (code, stdout, stderr) = run_in(&dir, &args);
    assert_eq!(code, 3);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "galeractl: c/secrets/root-password, c/secrets/monitor-password, c/secrets/sst-password, \
c/secrets/backup-password, c/secrets/haproxy-stats-password, c/galeractl.toml already exist: \
init never overwrites a file; nothing was written (move them away, or give another --dir)\n"
    );
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn one_existing_file_is_named_and_nothing_is_written() {
    let dir = scratch("init-one-exists");
    std::fs::create_dir(dir.join("secrets")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("secrets/sst-password"), "mine").unwrap_or_else(|e| panic!("{e}"));
    // A dangling link is a file that exists too.
    std::os::unix::fs::symlink("nowhere", dir.join("galeractl.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let before = snapshot(&dir);
    let (code, stdout, stderr) = run_in(&dir, &["init", "--cluster", "c", "--host", "10.0.0.1"]);
    assert_eq!((code, stdout.as_str()), (3, ""));
    assert_eq!(
        stderr,
        "galeractl: secrets/sst-password, galeractl.toml already exist: init never overwrites a \
file; nothing was written (move them away, or give another --dir)\n"
    );
    assert_eq!(snapshot(&dir), before);
    let left: Vec<_> = std::fs::read_dir(dir.join("secrets"))
        .unwrap_or_else(|e| panic!("{e}"))
        .collect();
    assert_eq!(left.len(), 1);
}

#[test]
fn flags_that_make_an_invalid_inventory_write_nothing() {
    let dir = scratch("init-invalid");
    let (code, stdout, stderr) = run_in(
        &dir,
        &[
            "init",
            "--cluster",
            "shop",
            "--host",
            "10.0.0.256,10.0.0.2,10.0.0.3",
            "--dir",
            "d",
        ],
    );
    assert_eq!((code, stdout.as_str()), (64, ""));
    assert_eq!(
        stderr,
        "d/galeractl.toml:36:8: error: nodes[0].host: \"10.0.0.256\" is not a valid IPv4 address
 36 | host = \"10.0.0.256\"
    |        ^^^^^^^^^^^^
galeractl: these flags make an invalid inventory (1 error above, in the text init would write); \
nothing was written
"
    );
    assert!(!dir.join("d").exists());

    let (code, stdout, stderr) = run_in(
        &dir,
        &[
            "init",
            "--cluster",
            "shop",
            "--host",
            "10.0.0.1",
            "--ssh-identity",
            "missing-key",
        ],
    );
    assert_eq!((code, stdout.as_str()), (64, ""));
    assert_eq!(
        stderr,
        "galeractl: --ssh-identity missing-key: No such file or directory (os error 2)\n"
    );
    assert_eq!(snapshot(&dir), []);
}

#[test]
fn an_even_number_of_hosts_is_warned_about_and_a_relative_key_made_absolute() {
    let dir = scratch("init-even");
    std::fs::write(dir.join("key"), "not really a key").unwrap_or_else(|e| panic!("{e}"));
    let (code, _, stderr) = run_in(
        &dir,
        &[
            "init",
            "--cluster",
            "two",
            "--host",
            "10.0.0.1,10.0.0.2",
            "--ssh-identity",
            "key",
            "--dir",
            "two",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let warning = "two/galeractl.toml:34:1: warning: nodes: 2 nodes and no [arbitrator]: if the \
cluster splits in two halves of 1, neither keeps quorum; use an odd number of nodes or add an \
arbitrator\n 34 | [[nodes]]\n    | ^\n";
    assert_eq!(stderr, warning);
    let text =
        std::fs::read_to_string(dir.join("two/galeractl.toml")).unwrap_or_else(|e| panic!("{e}"));
    let key = dir.join("key");
    assert!(
        text.contains(&format!("identity = \"{}\"\n", key.display())),
        "{text}"
    );
    // validate says the same warning, and nothing else.
    let (code, stdout, stderr) = run_in(&dir, &["validate", "two/galeractl.toml"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "two/galeractl.toml: ok: cluster two, 2 nodes\n", warning)
    );
}

#[test]
fn an_existing_secrets_directory_is_used_and_an_open_one_warned_about() {
    let dir = scratch("init-secrets-dir");
    let secrets = dir.join("secrets");
    std::fs::create_dir(&secrets).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o750))
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = run_in(&dir, &["init", "--cluster", "c", "--host", "10.0.0.1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr,
        "galeractl: warning: secrets/ exists with mode 0750: others may list it; `chmod 700 secrets`\n"
    );
    assert!(
        stdout.starts_with("wrote secrets/root-password (0600)"),
        "{stdout}"
    );
    assert_eq!(mode(&secrets), 0o750);
    assert_eq!(mode(&secrets.join("backup-password")), 0o600);
}

/// Without --cluster and --host and without a terminal, init names the flags (exit 64) and
/// writes nothing; on a terminal it asks for them, and for the SSH user, sudo and the proxy.
#[test]
fn without_flags_init_asks_on_a_terminal_only() {
    let dir = scratch("init-asks");
    let out = galeractl_in(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        text(&out.stderr).contains("init needs --cluster NAME and --host HOST"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("galeractl.toml").exists());

    if std::process::Command::new("setsid")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no setsid");
        return;
    }
    let (code, seen) = support::pty::answer_when(
        env!("CARGO_BIN_EXE_galeractl"),
        &["init"],
        &dir,
        "Cluster name [galera]: ",
        // The name, the hosts, the user, sudo's default (yes), no proxy.
        Some("shop\n10.0.0.1 10.0.0.2,10.0.0.3\ndeploy\n\n"),
        std::time::Duration::from_secs(30),
    );
    assert_eq!(code, Some(0), "{seen}");
    let written = std::fs::read_to_string(dir.join("galeractl.toml"))
        .unwrap_or_else(|e| panic!("{e}:\n{seen}"));
    let inventory = galeractl::inventory::parse(Path::new("galeractl.toml"), &written)
        .inventory
        .unwrap_or_else(|| panic!("{written}"));
    assert_eq!(inventory.cluster.name, "shop");
    let hosts: Vec<&str> = inventory.nodes.iter().map(|n| n.host.as_str()).collect();
    assert_eq!(hosts, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    assert_eq!(inventory.ssh.user.as_deref(), Some("deploy"));
    assert!(inventory.ssh.sudo);
    assert!(inventory.haproxy.is_none());
}
