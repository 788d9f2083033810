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

/// `stop-node --dry-run` and `start-node --dry-run` print these plans (the same renderer as
/// `up`), from the container fact observed on the node's host.
#[test]
fn stop_and_start_node_plans_match_golden() {
    use galeractl::facts::{self, Container};
    use galeractl::plan;
    let inv = example_inventory();
    let nodeb = inv.node("nodeb").unwrap_or_else(|| panic!("no nodeb"));
    let spec = galeractl::docker::spec_of(&galeractl::docker::run_node(&inv, nodeb))
        .unwrap_or_default()
        .to_string();
    let spec_of_nodeb = spec.clone();
    let same = facts::Versions {
        running: "11.4.8-MariaDB".into(),
        image: "11.4.8-MariaDB".into(),
    };
    let start = |fact: Container| {
        plan::start_node(&inv, nodeb, &fact, Some(&same), false).unwrap_or_else(|e| panic!("{e}"))
    };
    let mut out = String::from("## stop-node nodeb\n");
    out.push_str(&plan::render(&plan::stop_node(&inv, nodeb)));
    out.push_str("## start-node nodeb, its container stopped with the current spec\n");
    out.push_str(&plan::render(&start(Container::stopped(spec))));
    out.push_str("## start-node nodeb, its container stopped with another spec\n");
    out.push_str(&plan::render(&start(Container::stopped(
        "0000000000000000",
    ))));
    assert_golden("node.plans", &out);
    let json = serde_json::to_string_pretty(&plan::stop_node(&inv, nodeb))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_golden("stop-node.plan.json", &format!("{json}\n"));
    let start = start(Container::stopped(spec_of_nodeb));
    let json = serde_json::to_string_pretty(&start).unwrap_or_else(|e| panic!("{e}"));
    assert_golden("start-node.plan.json", &format!("{json}\n"));
}

/// mariabackup SST: per host the SST credentials and the SST user's creation (0600, given to
/// the image's mysql user), and both mounted into each node.
#[test]
fn mariabackup_plan_matches_golden() {
    assert_golden(
        "mariabackup.plan",
        &plan_of("tests/golden/mariabackup.toml", &[]),
    );
}

/// `galeractl restart`'s plan for a cluster with HAProxy, byte for byte: per node a verified
/// full cluster, the drain, a clean stop, the members named in its config, the start, the full
/// cluster again, the IST check, the node back in HAProxy; the writer (nodea) last; every node
/// started and undrained on failure.
#[test]
fn restart_plan_matches_golden() {
    let path = std::path::Path::new("tests/golden/haproxy.toml");
    let source = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{e}"));
    let parsed = galeractl::inventory::parse(path, &source);
    let inv = parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics));
    let nodes: Vec<&galeractl::inventory::Node> = inv.nodes.iter().collect();
    let plan = galeractl::plan::restart(&inv, &nodes);
    assert_golden("restart.plan", &galeractl::plan::render(&plan));
}

#[test]
fn local_cluster_plan_matches_golden() {
    // Nodes on this machine's Docker: the cluster's network first, each node on it, reached by
    // its container's name; ports of its own per node.
    let plan = plan_of("tests/golden/local-one.toml", &[]);
    assert_golden("local-one.plan", &plan);
    for want in [
        "wsrep_cluster_address=gcomm://localone-nodea:25501,localone-nodec:25503",
        "--network galeractl-localtest-one",
        "--wsrep-node-address=localone-nodea:25501",
        "--wsrep-sst-receive-address=localone-nodea:25511",
        "ist.recv_addr=localone-nodea:25521",
    ] {
        assert!(plan.contains(want), "{want} missing:\n{plan}");
    }
}

#[test]
fn two_local_clusters_validate_together_but_not_twice_the_same() {
    let dir = scratch("two_local_clusters");
    for f in ["root-password", "monitor-password"] {
        secret(&dir.join("secrets").join(f), 0o600);
    }
    for f in ["local-one.toml", "local-two.toml"] {
        std::fs::copy(root().join("tests/golden").join(f), dir.join(f))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = galeractl_in(&dir, &["validate", "local-one.toml", "local-two.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let clash = galeractl_in(&dir, &["validate", "local-one.toml", "local-one.toml"]);
    assert_eq!(clash.status.code(), Some(65));
    assert!(
        text(&clash.stderr).contains("port 24301 on host local"),
        "{}",
        text(&clash.stderr)
    );
}

/// `[tls]`: per host the CA certificate and the SST's TLS settings, per member its certificate
/// and key (given to the user that reads it), and every container with its TLS options.
#[test]
fn tls_plan_matches_golden() {
    let plan = plan_of("tests/golden/tls.toml", &[]);
    for want in [
        ";socket.ssl_cert=/etc/mysql/galeractl-tls/server.crt;socket.ssl_key=/etc/mysql/galeractl-tls/server.key;socket.ssl_ca=/etc/mysql/galeractl-tls/ca.crt",
        "--require-secure-transport=ON",
        "install -m 0600 /dev/stdin /etc/galeractl/local-test/tls-_arbitrator.key < /etc/galeractl-secrets/local-test-tls/_arbitrator.key",
        "; socket.ssl_cert=/etc/mysql/galeractl-tls/server.crt; socket.ssl_key",
    ] {
        assert!(plan.contains(want), "{want} missing in:\n{plan}");
    }
    assert!(
        !plan.contains("ca.key"),
        "the CA key leaves this machine:\n{plan}"
    );
    assert_golden("tls.plan", &plan);
}
