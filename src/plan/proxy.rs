//! Plan stages for the proxy: a health endpoint next to each node, then HAProxy, each
//! (re)deployed only when its spec label differs from what the inventory asks for.

use super::{Observed, Stage, Stdin, Step};
use crate::docker;
use crate::haproxy;
use crate::inventory::{Haproxy, Inventory};

fn step(
    host: &str,
    node: Option<&str>,
    description: String,
    argv: Vec<String>,
    stdin: Option<Stdin>,
) -> Step {
    Step {
        node: node.map(str::to_string),
        ..Step::on_host(host, description, argv, stdin)
    }
}

fn remove(host: &str, container: &str) -> Step {
    step(
        host,
        None,
        format!("remove the old {container} (stateless)"),
        docker::container::remove_forced(container),
        None,
    )
}

/// `None` when the container runs with the wanted spec; otherwise whether an old one exists.
fn needs(observed: &Observed, container: &str, want: &[String]) -> Option<bool> {
    let spec = docker::spec_of(&want.to_vec())
        .unwrap_or_default()
        .to_string();
    match observed
        .aux
        .iter()
        .find(|(name, _)| name == container)
        .map(|(_, f)| f)
    {
        Some(c) if c.runs_spec(&spec) => None,
        None => Some(false),
        Some(c) if c.state.is_missing() => Some(false),
        Some(_) => Some(true),
    }
}

/// What brings HAProxy and its health endpoints to the inventory's; when anything of them
/// changes, the last stage waits until HAProxy serves every node (each backend UP), so that a
/// proxy or an endpoint that fails to start fails `up` instead of passing unnoticed.
pub(super) fn stages(inventory: &Inventory, h: &Haproxy, observed: &Observed) -> Vec<Stage> {
    let mut stages = changes(inventory, h, observed);
    if let Some(last) = stages.last_mut() {
        last.wait = Some(super::WaitFor::ProxyServes {
            nodes: inventory.nodes.iter().map(|n| n.name.clone()).collect(),
        });
    }
    stages
}

fn changes(inventory: &Inventory, h: &Haproxy, observed: &Observed) -> Vec<Stage> {
    let mut stages = Vec::new();
    let script = haproxy::check_script(h.donor_fallback);
    let mut checks = Vec::new();
    let mut scripted = std::collections::BTreeSet::new();
    for node in &inventory.nodes {
        let name = inventory.check_container(node);
        let want = docker::proxy::run_check(inventory, node, h, &script);
        let Some(old) = needs(observed, &name, &want) else {
            continue;
        };
        if scripted.insert(node.host.clone()) {
            checks.push(step(
                &node.host,
                None,
                "write the health check script".into(),
                docker::write_in_place(&docker::proxy::check_script_path(inventory)),
                Some(Stdin::Text(script.clone())),
            ));
        }
        if old {
            checks.push(remove(&node.host, &name));
        }
        checks.push(Step {
            kind: super::StepKind::CreateCheck,
            ..step(
                &node.host,
                Some(&node.name),
                format!(
                    "{}: start its health endpoint on port {}",
                    node.name, h.check_port
                ),
                want,
                None,
            )
        });
    }
    if !checks.is_empty() {
        stages.push(Stage {
            title: "deploy the health endpoints HAProxy asks".into(),
            steps: checks,
            wait: None,
        });
    }
    let config = haproxy::render_config(inventory, h);
    let name = inventory.proxy_container();
    let want = docker::proxy::run_proxy(inventory, h, &config);
    let upload = |config: String| {
        step(
            &h.host,
            None,
            "upload HAProxy's configuration (0600: it holds the stats password)".into(),
            docker::write_secret(&docker::proxy::config_path(inventory)),
            Some(Stdin::TextWithSecret {
                text: config,
                placeholder: haproxy::PASSWORD_PLACEHOLDER.into(),
                secret: h.stats_password_file.clone(),
            }),
        )
    };
    // With TLS: the stats page's certificate and key, one 0600 file (HAProxy reads it as root).
    let pem = inventory.tls.as_ref().map(|tls| {
        step(
            &h.host,
            None,
            "upload the stats page's certificate and key (0600)".into(),
            docker::write_secret(&crate::tls::host_proxy_pem(inventory)),
            Some(Stdin::SecretFile(crate::tls::local_proxy_pem(tls))),
        )
    });
    let current = needs(observed, &name, &want).is_none();
    if current && observed.proxy_config_stale {
        stages.push(Stage {
            title: "apply HAProxy's new configuration".into(),
            steps: [upload(config)]
                .into_iter()
                .chain(pem)
                .chain([step(
                    &h.host,
                    None,
                    format!("restart {name} to read it"),
                    docker::container::restart(&name, 5),
                    None,
                )])
                .collect(),
            wait: None,
        });
        return stages;
    }
    if let Some(old) = needs(observed, &name, &want) {
        let mut steps = vec![
            step(
                &h.host,
                None,
                "create the cluster's directory (0700)".into(),
                docker::make_dirs(inventory),
                None,
            ),
            upload(config),
        ];
        steps.extend(pem);
        if old {
            steps.push(remove(&h.host, &name));
        }
        steps.push(Step {
            kind: super::StepKind::CreateProxy,
            ..step(
                &h.host,
                None,
                format!(
                    "start HAProxy: clients on port {}, stats on {}",
                    h.port, h.stats_port
                ),
                want,
                None,
            )
        });
        stages.push(Stage {
            title: "deploy HAProxy".into(),
            steps,
            wait: None,
        });
    }
    stages
}
