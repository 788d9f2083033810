//! Helpers shared by the integration tests: the binary, paths, golden files.
#![allow(dead_code)]

pub mod fake_local;
pub mod lab;
pub mod pty;
pub mod writer;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the real binary with `args`, from the repository root, with no stdin.
pub fn galeractl(args: &[&str]) -> Output {
    galeractl_in(&root(), args)
}

pub fn galeractl_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run galeractl: {e}"))
}

/// Runs the real binary and returns its stdout; panics with both outputs when it fails.
pub fn galeractl_ok(args: &[&str]) -> String {
    let out = galeractl(args);
    assert!(
        out.status.success(),
        "galeractl {args:?} failed ({}):\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Compares `actual` with the checked-in file; `UPDATE_GOLDEN=1` rewrites the file instead.
pub fn assert_golden(file: &str, actual: &str) {
    let path = root().join("tests/golden").join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path:?}: {e}"));
    assert!(
        expected == actual,
        "{} differs from the output (rerun with UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// A fresh directory for one test under cargo's target tmp dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {dir:?}: {e}"));
    dir
}

/// `inventory.example.toml`, parsed (the seed's layout).
pub fn example_inventory() -> galeractl::inventory::Inventory {
    let path = std::path::Path::new("inventory.example.toml");
    let source = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{e}"));
    let parsed = galeractl::inventory::parse(path, &source);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
}

/// Writes a secret file with the given mode.
pub fn secret(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {parent:?}: {e}"));
    }
    std::fs::write(path, "s3cret-for-tests\n").unwrap_or_else(|e| panic!("write {path:?}: {e}"));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {path:?}: {e}"));
}

/// `inventory` with a backup user: its password (`password`) in a 0600 file made in `dir`,
/// named by `backup_password_file` (the user is made with the cluster, so `up` needs it).
pub fn with_backup_user(dir: &Path, inventory: &str, password: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let file = dir.join("backup-password");
    std::fs::write(&file, format!("{password}\n")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let line = "distribute_image = true\n";
    assert!(inventory.contains(line), "{inventory}");
    inventory.replacen(
        line,
        &format!("{line}backup_password_file = \"{}\"\n", file.display()),
        1,
    )
}
