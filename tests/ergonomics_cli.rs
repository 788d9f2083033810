//! The command line of `status --format/--textfile`, `logs` and `sql`, where it needs no host:
//! the exact messages and exit codes of its refusals.

mod support;
use support::*;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = galeractl(args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn status_json_format_and_textfile_exclude_each_other() {
    for args in [
        &["status", "--json", "--format", "table"][..],
        &["status", "--textfile", "x.prom", "--json"],
        &["status", "--textfile", "x.prom", "--format", "prometheus"],
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 64, "{args:?}");
        assert_eq!(stdout, "");
        assert!(stderr.contains("cannot be used with"), "{stderr}");
    }
    let (code, _, stderr) = run(&["status", "--format", "yaml"]);
    assert_eq!(code, 64);
    assert!(
        stderr.contains("[possible values: table, json, prometheus]"),
        "{stderr}"
    );
}

#[test]
fn logs_refuses_a_since_docker_would_not_take() {
    let (code, stdout, stderr) = run(&[
        "logs",
        "nodea",
        "inventory.example.toml",
        "--since",
        "last week",
    ]);
    assert_eq!((code, stdout.as_str()), (64, ""));
    assert_eq!(
        stderr,
        "galeractl: --since \"last week\": give a duration such as 10m, 1h30m or 90s, or a timestamp such as 2026-01-02T13:23:37Z\n"
    );
}

#[test]
fn logs_and_sql_name_the_nodes_of_an_unknown_one() {
    let expected =
        "galeractl: no node \"nodez\" in inventory.example.toml (nodes: nodea, nodeb, nodec)\n";
    // After the example's warnings about its secret files, which these commands do not need.
    let (code, _, stderr) = run(&["logs", "nodez", "-i", "inventory.example.toml"]);
    assert_eq!(code, 64);
    assert!(stderr.ends_with(expected), "{stderr}");
    let (code, _, stderr) = run(&[
        "sql",
        "-i",
        "inventory.example.toml",
        "nodez",
        "-e",
        "select 1",
    ]);
    assert_eq!(code, 64);
    assert!(stderr.ends_with(expected), "{stderr}");
}
