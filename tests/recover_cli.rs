//! `galeractl recover` at the command line, without a lab: its help, usage errors and exit
//! codes for a bad or missing inventory.

mod support;
use support::*;

#[test]
fn help_names_the_safety_flags() {
    let out = galeractl(&["recover", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for flag in [
        "--dry-run",
        "--force",
        "--tc-heuristic-recover <ACTION>",
        "commit",
        "rollback",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn a_bad_tc_heuristic_value_is_a_usage_error() {
    let out = galeractl(&["recover", "x.toml", "--tc-heuristic-recover", "maybe"]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
}

#[test]
fn a_missing_inventory_is_exit_66() {
    let out = galeractl(&["recover", "no-such-inventory.toml", "--dry-run"]);
    assert_eq!(out.status.code(), Some(66), "{}", text(&out.stderr));
}

#[test]
fn an_invalid_inventory_is_exit_65_before_any_host_is_reached() {
    let dir = scratch("recover_cli_invalid");
    std::fs::write(dir.join("bad.toml"), "[cluster]\nname = \"x\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_in(&dir, &["recover", "bad.toml", "--dry-run"]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stderr));
}
