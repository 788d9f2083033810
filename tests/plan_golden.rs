//! The printed plan, byte for byte, for the seed's inventory and a 5-node custom one.

mod support;
use support::*;

fn plan_of(inventory: &str, extra: &[&str]) -> String {
    let mut args = vec!["plan", inventory];
    args.extend_from_slice(extra);
    let out = galeractl(&args);
    assert!(
        out.status.success(),
        "plan {inventory} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn seed_inventory_plan_matches_golden() {
    assert_golden("example.plan", &plan_of("inventory.example.toml", &[]));
}

#[test]
fn seed_inventory_plan_has_the_seed_addresses_and_ports() {
    let plan = plan_of("inventory.example.toml", &[]);
    let runs: Vec<&str> = plan.lines().filter(|l| l.contains("docker run")).collect();
    assert_eq!(runs.len(), 3);
    for (line, ip) in runs
        .iter()
        .zip(["10.10.10.10", "10.10.10.11", "10.10.10.12"])
    {
        for want in [
            "--publish 4306:3306 --publish 5567:5567 --publish 5444:5444 --publish 5568:5568"
                .to_string(),
            format!("--wsrep-node-address={ip}:5567"),
            format!("--wsrep-sst-receive-address={ip}:5444"),
            format!("ist.recv_addr={ip}:5568"),
        ] {
            assert!(line.contains(&want), "{want} missing in {line}");
        }
    }
}

#[test]
fn five_node_custom_ports_plan_matches_golden() {
    assert_golden(
        "five-nodes.plan",
        &plan_of("tests/golden/five-nodes.toml", &[]),
    );
}

#[test]
fn json_plan_matches_golden() {
    assert_golden(
        "example.plan.json",
        &plan_of("inventory.example.toml", &["--json"]),
    );
}
