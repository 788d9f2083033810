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

#[test]
fn haproxy_plan_matches_golden() {
    assert_golden("haproxy.plan", &plan_of("tests/golden/haproxy.toml", &[]));
}

#[test]
fn haproxy_config_matches_golden() {
    let path = std::path::Path::new("tests/golden/haproxy.toml");
    let source = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{e}"));
    let parsed = galeractl::inventory::parse(path, &source);
    let inventory = parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics));
    let h = inventory
        .haproxy
        .clone()
        .unwrap_or_else(|| panic!("no [haproxy]"));
    let config = galeractl::haproxy::render_config(&inventory, &h);
    assert!(config.contains("stats auth ops:@GALERACTL_STATS_PASSWORD@\n"));
    assert_golden("haproxy.cfg", &config);
}
