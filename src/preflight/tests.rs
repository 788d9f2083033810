use super::*;

fn inventory(text: &str) -> Inventory {
    let parsed = crate::inventory::parse(std::path::Path::new("t.toml"), text);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
}

const THREE: &str = r#"
[cluster]
name = "shop"
image = "mariadb:11.4"
root_password_file = "r"
monitor_password_file = "m"

[[nodes]]
name = "nodea"
host = "10.0.0.1"

[[nodes]]
name = "nodeb"
host = "10.0.0.2"

[[nodes]]
name = "nodec"
host = "10.0.0.3"

[haproxy]
host = "10.0.0.1"
stats_password_file = "s"
"#;

fn ready(host: &str) -> HostReading {
    HostReading {
        host: host.into(),
        ssh: Ok(()),
        login: Ok(Login::Root),
        docker: Ok("20.10.24+dfsg1".into()),
        disk_free: Ok(50 << 30),
        images: vec![("mariadb:11.4".into(), true)],
        programs: Vec::new(),
        listening: Some([22].into()),
        own_ports: BTreeSet::new(),
        clock: Ok((0.2, 0.01)),
    }
}

#[test]
fn links_cover_every_pair_and_the_proxy() {
    let inv = inventory(THREE);
    let links = links(&inv);
    // 3 nodes: 6 ordered pairs x 3 ports; the proxy on host 1 reaches hosts 2 and 3 on
    // MySQL and the health port (host 1 itself is not checked); this machine reaches each
    // node's MySQL port and the proxy's stats port.
    assert_eq!(links.len(), 6 * 3 + 2 * 2 + 3 + 1);
    assert!(links.contains(&Link {
        from: THIS_MACHINE.into(),
        to: "10.0.0.1".into(),
        port: 4399,
        what: "HAProxy's stats (galeractl status)",
    }));
    assert!(links.contains(&Link {
        from: "10.0.0.1".into(),
        to: "10.0.0.2".into(),
        port: 5567,
        what: "Galera replication",
    }));
    assert!(!links.iter().any(|l| l.from == l.to));
}

#[test]
fn a_dropped_port_names_both_hosts_and_exits_2() {
    let inv = inventory(THREE);
    let readings: Vec<HostReading> = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
        .into_iter()
        .map(ready)
        .collect();
    let results: Vec<(Link, LinkResult)> = links(&inv)
        .into_iter()
        .map(|l| {
            let r = if l.from == "10.0.0.1" && l.to == "10.0.0.2" && l.port == 5567 {
                LinkResult::Failed
            } else {
                LinkResult::Reached
            };
            (l, r)
        })
        .collect();
    let report = judge(&inv, &readings, &results);
    assert_eq!(report.exit_code, 2);
    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].host, "10.0.0.1");
    assert_eq!(
        errors[0].message,
        format!("cannot reach 10.0.0.2:5567 (Galera replication) within {CONNECT_SECS}s: open port 5567 from 10.0.0.1 to 10.0.0.2 (firewall, security group)")
    );
}

#[test]
fn a_missing_image_a_refused_sudo_and_a_busy_port_are_errors() {
    let mut inv = inventory(THREE);
    inv.ssh.sudo = true;
    let mut a = ready("10.0.0.1");
    a.images = vec![("mariadb:11.4".into(), false)];
    let mut b = ready("10.0.0.2");
    b.login = Ok(Login::SudoRefused("sudo: a password is required".into()));
    let mut c = ready("10.0.0.3");
    c.listening = Some([22, 5567].into());
    let report = judge(&inv, &[a, b, c], &[]);
    let errors: Vec<(String, &str, String)> = report
        .findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .map(|f| (f.host.clone(), f.check, f.message.clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "10.0.0.1".to_string(),
                "image",
                "mariadb:11.4 is missing: pull it there, or load it (docker save IMAGE | ssh HOST sudo docker load)".to_string()
            ),
            (
                "10.0.0.2".to_string(),
                "login",
                "sudo -n refused (sudo: a password is required): [ssh] sudo = true needs sudo without a password for this user (sudoers: USER ALL=(ALL) NOPASSWD: ALL)".to_string()
            ),
            (
                "10.0.0.3".to_string(),
                "port-free",
                "in use by something else: 5567 (nodec's Galera)".to_string()
            ),
        ]
    );
    assert_eq!(report.exit_code, 2);
}

#[test]
fn own_ports_old_docker_and_a_skewed_clock() {
    let inv = inventory(THREE);
    let mut a = ready("10.0.0.1");
    a.listening = Some([22, 4306, 5567, 3306].into());
    a.own_ports = [4306, 5567, 5444, 5568, 3306, 4399, 9200].into();
    a.docker = Ok("19.03.13".into());
    a.clock = Ok((5.0, 0.1));
    let report = judge(&inv, &[a], &[]);
    let levels: Vec<(&str, Level)> = report.findings.iter().map(|f| (f.check, f.level)).collect();
    assert_eq!(
        levels,
        [
            ("login", Level::Ok),
            ("docker", Level::Warning),
            ("disk", Level::Ok),
            ("image", Level::Ok),
            ("port-free", Level::Ok),
            ("clock", Level::Warning),
        ]
    );
    assert_eq!(report.exit_code, 1);
}

#[test]
fn not_root_without_sudo_says_how_to_fix_it() {
    let inv = inventory(THREE);
    let mut a = ready("10.0.0.1");
    a.login = Ok(Login::NotRoot(1000));
    let report = judge(&inv, &[a], &[]);
    assert_eq!(report.findings.len(), 1);
    assert!(report.findings[0].message.contains("set [ssh] sudo = true"));
}

#[test]
fn the_connects_are_read_per_target() {
    assert_eq!(
        listener_name("shop"),
        format!("galeractl-preflight-shop-{}", std::process::id())
    );
    let targets = vec![
        ("10.0.0.2".to_string(), 5567),
        ("10.0.0.3".to_string(), 5444),
    ];
    assert_eq!(
        parse_connects(&targets, "fail 10.0.0.3:5444\nok 10.0.0.2:5567\n"),
        [LinkResult::Reached, LinkResult::Failed]
    );
    assert_eq!(
        parse_connects(&targets, ""),
        [LinkResult::Failed, LinkResult::Failed]
    );
}

#[test]
fn listener_ports_skip_what_listens() {
    let inv = inventory(THREE);
    let links = links(&inv);
    assert_eq!(
        listener_ports("10.0.0.2", &links, &[5567].into(), &BTreeSet::new()),
        [4306, 5444, 5568, 9200]
    );
    assert_eq!(
        listener_ports("10.0.0.2", &links, &[5567].into(), &[5444, 5568].into()),
        [4306, 9200]
    );
}

#[test]
fn small_parsers() {
    assert_eq!(docker_release("20.10.24+dfsg1"), Some((20, 10)));
    assert_eq!(docker_release("28.2.2"), Some((28, 2)));
    assert_eq!(docker_release("x"), None);
    assert_eq!(
        parse_df_free("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 50 2048 50% /\n"),
        Some(2048 * 1024)
    );
}

#[test]
fn login_hints() {
    assert!(login_hint("sudo: a password is required").is_some_and(|h| h.contains("NOPASSWD")));
    assert!(login_hint("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock").is_some_and(|h| h.contains("[ssh] sudo = true")));
    assert!(login_hint(
        "mkdir: cannot create directory '/etc/galeractl': Permission denied (docker)"
    )
    .is_some());
    assert_eq!(login_hint("Cannot connect to the Docker daemon"), None);
}

#[test]
fn own_ports_are_those_of_the_containers_that_run() {
    let inv = inventory(THREE);
    let check = inv.check_container(&inv.nodes[1]);
    // nodeb's node container is gone, its health endpoint runs: only the health port is own.
    assert_eq!(own_ports(&inv, "10.0.0.2", &[check].into()), [9200].into());
    let running: BTreeSet<String> =
        [inv.container_name(&inv.nodes[0]), inv.proxy_container()].into();
    assert_eq!(
        own_ports(&inv, "10.0.0.1", &running),
        [3306, 4306, 4399, 5444, 5567, 5568].into()
    );
}
