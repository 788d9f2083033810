//! A cluster of `local` nodes whose `docker` is a script that answers reads with "nothing here"
//! and refuses any change: commands run for real, no host is reached, nothing changes.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{root, scratch, secret, text};

/// A `docker` that knows nothing and changes nothing: `version`, `ps`, `volume ls` and
/// `image inspect` answer; anything else fails.
const FAKE_DOCKER: &str = r#"#!/bin/sh
case "$1 $2" in
  version*) echo 27.0.0 ;;
  "ps "*) ;;
  "volume ls") ;;
  "image inspect") echo sha256:0 ;;
  *) echo "fake docker: refusing: $*" >&2; exit 1 ;;
esac
"#;

/// A scratch directory with the local inventory (3 nodes on this machine's "docker") of
/// cluster `name`, its secrets, and the fake docker in `bin/`; `ports` replace the golden's
/// `= 2430` and `= 255` prefixes (each test its own).
pub fn cluster(test: &str, name: &str, ports: (&str, &str)) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch(test);
    std::fs::create_dir_all(dir.join("bin")).unwrap_or_else(|e| panic!("{e}"));
    let docker = dir.join("bin/docker");
    std::fs::write(&docker, FAKE_DOCKER).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    secret(&dir.join("secrets/root-password"), 0o600);
    secret(&dir.join("secrets/monitor-password"), 0o600);
    let golden = std::fs::read_to_string(root().join("tests/golden/local-one.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    // The cluster's directory (its lock is taken there): galeractl refuses one in a
    // world-writable place such as /tmp, where a checkout may be (CARGO_TARGET_TMPDIR with it).
    let etc = config_dir(test, &dir);
    let _ = std::fs::remove_dir_all(&etc);
    std::fs::create_dir_all(&etc).unwrap_or_else(|e| panic!("mkdir {etc:?}: {e}"));
    // Ports of its own: tests/golden/local-one.toml's are e2e_local's, which may run here.
    let inventory = golden
        .replace("localone", name)
        .replace("= 2430", ports.0)
        .replace("= 255", ports.1)
        .replace(
            "network = \"galeractl-localtest-one\"",
            &format!(
                "network = \"galeractl-{name}\"\nconfig_dir = \"{}\"",
                etc.display()
            ),
        );
    std::fs::write(dir.join("inv.toml"), inventory).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// `dir/etc`, or, when `dir` is under a world-writable directory, one under
/// `$HOME/.cache/galeractl-tests` (made afresh by `cluster`).
pub fn config_dir(test: &str, dir: &Path) -> PathBuf {
    let shared = ["/tmp", "/var/tmp", "/dev/shm"]
        .iter()
        .any(|w| dir.starts_with(w));
    match std::env::var_os("HOME") {
        Some(home) if shared => PathBuf::from(home)
            .join(".cache/galeractl-tests")
            .join(format!("{test}-etc")),
        _ => dir.join("etc"),
    }
}

/// galeractl in `dir` with the fake docker first on PATH; (exit code, stdout, stderr).
pub fn run_local(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("RUST_LOG")
        .env_remove("GALERACTL_INVENTORY")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}
