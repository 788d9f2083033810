//! `--json` everywhere a command prints a result: one JSON document on stdout. `plan --json`
//! and `up --dry-run --json` are the plan as data (steps with argv, waits); `up --dry-run` on
//! hosts that hold nothing of the cluster prints exactly what `plan` prints. No lab host is
//! reached: the inventory's nodes are `local`, its config_dir a scratch directory, and the
//! `docker` on PATH a script that answers reads with "nothing here" and refuses any change.

mod support;
use std::path::PathBuf;

use support::fake_local::{config_dir, run_local};
use support::*;

/// The local cluster of these tests, with its own name and ports.
fn local_cluster(test: &str) -> PathBuf {
    support::fake_local::cluster(test, "jsontest", ("= 3430", "= 355"))
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{stdout}"))
}

fn argv(step: &serde_json::Value) -> Vec<String> {
    step["argv"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|w| w.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn plan_json_is_the_plan_as_data() {
    let out = galeractl_ok(&["plan", "inventory.example.toml", "--json"]);
    let plan = json(&out);
    assert_eq!(plan["cluster"], "local-test");
    let stages = plan["stages"].as_array().cloned().unwrap_or_default();
    // The seed's new cluster: prepare, bootstrap, root's grant, first joiner, the others, the
    // bootstrap node made a member, verify.
    let titles: Vec<&str> = stages
        .iter()
        .map(|s| s["title"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(stages.len(), 8, "{titles:#?}");
    assert_eq!(titles[0], "prepare the hosts");
    let first = &stages[0]["steps"][0];
    assert_eq!(first["host"], "10.10.10.10");
    assert_eq!(
        argv(first),
        [
            "install",
            "-d",
            "-m",
            "0700",
            "/etc/galeractl/local-test",
            "/etc/galeractl/local-test/secrets"
        ]
    );
    // Every step is an argv of words; waits are data with a kind.
    for stage in &stages {
        for step in stage["steps"].as_array().cloned().unwrap_or_default() {
            assert!(!argv(&step).is_empty(), "{step}");
            assert!(step["host"].is_string(), "{step}");
        }
    }
    assert_eq!(
        stages[1]["wait"],
        serde_json::json!({ "kind": "synced", "nodes": ["nodea"] })
    );
    let runs = stages
        .iter()
        .flat_map(|s| s["steps"].as_array().cloned().unwrap_or_default())
        .filter(|s| argv(s).starts_with(&["docker".to_string(), "run".to_string()]))
        .count();
    assert_eq!(runs, 3);
}

/// Issue 29: `up --dry-run --json` printed text. On hosts with nothing of the cluster it is
/// `plan --json`, byte for byte (and the text dry-run is `plan`'s text).
#[test]
fn up_dry_run_json_is_the_plan_that_up_would_run() {
    let dir = local_cluster("json-up-dry-run");
    let (code, up, stderr) = run_local(&dir, &["up", "inv.toml", "--dry-run", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, plan, stderr) = run_local(&dir, &["plan", "inv.toml", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(up, plan);
    let doc = json(&up);
    assert_eq!(doc["cluster"], "jsontest");
    let stages = doc["stages"].as_array().cloned().unwrap_or_default();
    assert_eq!(stages.len(), 8);
    let first = argv(&stages[0]["steps"][0]);
    assert_eq!(first[..4], ["install", "-d", "-m", "0700"]);
    assert_eq!(
        first[4],
        format!("{}/jsontest", config_dir("json-up-dry-run", &dir).display())
    );

    let (code, up_text, stderr) = run_local(&dir, &["up", "inv.toml", "--dry-run"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (_, plan_text, _) = run_local(&dir, &["plan", "inv.toml"]);
    assert_eq!(up_text, plan_text);
    assert!(
        up_text.starts_with("# plan for cluster jsontest"),
        "{up_text}"
    );
}

/// The results of commands that change something, as JSON (here, on a cluster with nothing
/// to change: the lock is taken and released in the scratch directory).
#[test]
fn changing_commands_print_their_result_as_json() {
    let dir = local_cluster("json-results");
    let (code, out, stderr) = run_local(&dir, &["stop-node", "nodeb", "inv.toml", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        json(&out),
        serde_json::json!({
            "node": "nodeb",
            "changed": false,
            "container": "jsontest-nodeb",
            "state": "missing",
        })
    );
    let (code, out, stderr) = run_local(&dir, &["unlock", "inv.toml", "--json", "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        json(&out),
        serde_json::json!({
            "cluster": "jsontest",
            "removed": [],
            "not_locked": ["local"],
            "failed": [],
        })
    );
    // A refusal is no document: stdout stays empty, the reason is on stderr.
    let (code, out, stderr) = run_local(&dir, &["start-node", "nodea", "inv.toml", "--json"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(out, "");
}

#[test]
fn init_json_names_what_it_makes_and_never_a_password() {
    let dir = scratch("json-init");
    let args = [
        "init",
        "--cluster",
        "c1",
        "--host",
        "10.0.0.1,10.0.0.2,10.0.0.3",
        "--dir",
        "new",
        "--json",
    ];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let out = galeractl_in(&dir, &dry);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = json(&text(&out.stdout));
    assert_eq!(doc["written"], false);
    assert_eq!(doc["cluster"], "c1");
    assert_eq!(doc["inventory"], "new/galeractl.toml");
    assert_eq!(
        doc["nodes"][2],
        serde_json::json!({"name": "nodec", "host": "10.0.0.3"})
    );
    assert!(!dir.join("new").exists(), "a dry-run wrote");

    let out = galeractl_in(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = json(&text(&out.stdout));
    assert_eq!(doc["written"], true);
    let secrets = doc["secrets"].as_array().cloned().unwrap_or_default();
    assert!(!secrets.is_empty());
    for file in &secrets {
        let path = dir.join(file.as_str().unwrap_or_default());
        let password = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !text(&out.stdout).contains(password.trim()),
            "a password is in the document"
        );
    }
    let written =
        std::fs::read_to_string(dir.join("new/galeractl.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["text"], written);
}
