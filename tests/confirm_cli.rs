//! Destructive commands ask first (`restore --replace`, `up --prune --delete-data`, `recover
//! --force-without`, `unlock`): without a terminal and without `--yes` they are refused (exit
//! 64, the flag named) before anything is read from a host; on a terminal, anything but `y` or
//! `yes` (end of input included) changes nothing. Nothing here reaches a host: the inventory's
//! hosts (10.10.10.x) are never dialled, the refusal comes first.

mod support;
use std::time::Duration;

use support::pty::answer_when;
use support::*;

/// The seed's inventory with its secret files, in a scratch directory.
fn inventory_dir(test: &str) -> std::path::PathBuf {
    let dir = scratch(test);
    let example = std::fs::read_to_string(root().join("inventory.example.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("galeractl.toml"), example).unwrap_or_else(|e| panic!("{e}"));
    secret(&dir.join("secrets/root-password"), 0o600);
    secret(&dir.join("secrets/monitor-password"), 0o600);
    dir
}

/// Runs galeractl in `dir` with stdin from /dev/null (and stdout, stderr piped): no terminal.
fn without_terminal(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = galeractl_in(dir, args);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// The refusal: exit 64, the flag named, nothing printed on stdout, nothing changed.
fn assert_refused(dir: &std::path::Path, args: &[&str], what: &str) {
    let (code, stdout, stderr) = without_terminal(dir, args);
    assert_eq!(code, Some(64), "{args:?}: {stderr}");
    assert_eq!(stdout, "", "{args:?}");
    assert!(
        stderr.contains(&format!("galeractl: {what} destroys data or state"))
            && stderr.contains("pass --yes")
            && stderr.trim_end().ends_with("nothing was changed"),
        "{args:?}: {stderr}"
    );
    // Refused before any host was dialled: no ssh error, no log of a connection.
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
}

#[test]
fn destructive_commands_without_a_terminal_or_yes_are_refused_before_any_host() {
    let dir = inventory_dir("confirm-refused");
    assert_refused(
        &dir,
        &["restore", "backups/c1-20260101T000000Z", "--replace"],
        "restore --replace",
    );
    assert_refused(&dir, &["unlock"], "unlock");
    assert_refused(&dir, &["unlock", "galeractl.toml"], "unlock");
    assert_refused(
        &dir,
        &["recover", "--force-without", "nodec"],
        "recover --force-without",
    );
    assert_refused(&dir, &["recover", "--force"], "recover --force");
    assert_refused(
        &dir,
        &["recover", "--tc-heuristic-recover", "commit"],
        "recover --tc-heuristic-recover",
    );
    assert_refused(
        &dir,
        &["up", "--prune", "--delete-data"],
        "up --prune --delete-data",
    );
}

#[test]
fn dry_run_and_yes_pass_the_question() {
    let dir = inventory_dir("confirm-passed");
    // Past the question, restore reads the backup's manifest first (there is none here): the
    // failure is that, not the refusal.
    for extra in [&["--dry-run"][..], &["--yes"][..], &["-y"][..]] {
        let mut args = vec!["restore", "no-such-backup", "--replace"];
        args.extend_from_slice(extra);
        let (code, _, stderr) = without_terminal(&dir, &args);
        assert_eq!(code, Some(64), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot read the backup's manifest") && !stderr.contains("--yes"),
            "{args:?}: {stderr}"
        );
    }
    // A restore without --replace destroys nothing, and is not asked about.
    let (_, _, stderr) = without_terminal(&dir, &["restore", "no-such-backup"]);
    assert!(
        stderr.contains("cannot read the backup's manifest"),
        "{stderr}"
    );
}

#[test]
fn yes_is_a_flag_of_the_destructive_commands_only() {
    for command in [
        &["up", "--yes", "--help"][..],
        &["restore", "--yes", "--help"][..],
        &["recover", "--yes", "--help"][..],
        &["unlock", "--yes", "--help"][..],
    ] {
        let out = galeractl(command);
        assert_eq!(out.status.code(), Some(0), "{command:?}");
    }
    let out = galeractl(&["status", "--yes"]);
    assert_eq!(out.status.code(), Some(64));
}

/// On a terminal, `recover --force-without` asks before it reaches any host (and shows which
/// node it gives up); `n`, an empty line and end of input are no: exit 3, nothing changed.
#[test]
fn on_a_terminal_only_yes_goes_on() {
    if std::process::Command::new("setsid")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no setsid");
        return;
    }
    let dir = inventory_dir("confirm-terminal");
    let bin = env!("CARGO_BIN_EXE_galeractl");
    for answer in [Some("n"), Some(""), Some("no"), None] {
        let (code, seen) = answer_when(
            bin,
            &["recover", "--force-without", "nodec"],
            &dir,
            "Proceed? [y/N] ",
            answer,
            Duration::from_secs(30),
        );
        assert_eq!(code, Some(3), "answer {answer:?}:\n{seen}");
        assert!(
            seen.contains("recover --force-without gives up on cluster local-test's node: nodec on 10.10.10.12"),
            "answer {answer:?}:\n{seen}"
        );
        assert!(
            seen.contains("recover --force-without: not confirmed; nothing was changed"),
            "answer {answer:?}:\n{seen}"
        );
    }
}
