//! End to end on the lab's shared cluster "local-test", read only: `status --format
//! prometheus` and `--textfile`, `logs`, `sql`. The cluster is brought up when it is not
//! healthy, and built anew only when `up` cannot (a cluster left by a checkout with other
//! secrets refuses this one's monitoring password).
// lab-lane: local-test (it uses lab.toml's own cluster, local-test, as other tests do; lab/run-tests)

mod support;
use std::collections::BTreeMap;

use support::lab::Lab;
use support::*;

/// Readied once for the tests of this file, which run in parallel.
static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();

/// The lab, with its cluster healthy (`up` when `status` says otherwise; wiped and built
/// anew when even `up` cannot bring it back).
fn lab() -> Option<(Lab, String)> {
    let lab = Lab::find()?;
    let inv = lab.inventory("lab.toml");
    READY.get_or_init(|| {
        if galeractl(&["status", inv.as_str()]).status.success() {
            return;
        }
        if !galeractl(&["up", inv.as_str()]).status.success() {
            lab.wipe_cluster("local-test");
            galeractl_ok(&["up", inv.as_str()]);
        }
    });
    Some((lab, inv))
}

/// One sample of the exposition format: its metric name and labels.
type Series = (String, BTreeMap<String, String>);

/// Parses Prometheus' text format strictly enough for galeractl's output: every sample's
/// metric has HELP and TYPE lines before it, label values are quoted and escaped, each value
/// is a number, and no series appears twice.
fn parse_exposition(text: &str) -> Vec<(Series, f64)> {
    let mut typed = std::collections::BTreeSet::new();
    let mut helped = std::collections::BTreeSet::new();
    let mut samples: Vec<(Series, f64)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            assert!(helped.insert(name.to_string()), "two HELP for {name}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut words = rest.split(' ');
            let name = words.next().unwrap_or_default().to_string();
            assert_eq!(words.next(), Some("gauge"), "{line}");
            assert!(helped.contains(&name), "TYPE before HELP: {line}");
            assert!(typed.insert(name), "two TYPE: {line}");
        } else {
            let (name, rest) = line.split_once('{').unwrap_or_else(|| panic!("{line}"));
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            );
            assert!(typed.contains(name), "sample before its TYPE: {line}");
            let mut labels = BTreeMap::new();
            let mut chars = rest.chars().peekable();
            loop {
                let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
                assert_eq!(chars.next(), Some('"'), "{line}");
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some('n') => value.push('\n'),
                            Some(c @ ('\\' | '"')) => value.push(c),
                            other => panic!("bad escape {other:?}: {line}"),
                        },
                        Some('"') => break,
                        Some(c) => value.push(c),
                        None => panic!("unterminated label value: {line}"),
                    }
                }
                labels.insert(key, value);
                match chars.next() {
                    Some(',') => {}
                    Some('}') => break,
                    other => panic!("{other:?} after a label: {line}"),
                }
            }
            let value: String = chars.collect();
            let value = value
                .strip_prefix(' ')
                .unwrap_or_else(|| panic!("{line}"))
                .parse::<f64>()
                .unwrap_or_else(|e| panic!("{e}: {line}"));
            let series = (name.to_string(), labels);
            assert!(
                samples.iter().all(|(s, _)| *s != series),
                "series twice: {line}"
            );
            samples.push((series, value));
        }
    }
    samples
}

const NODE_METRICS: [&str; 7] = [
    "galera_up",
    "galera_cluster_size",
    "galera_local_state",
    "galera_cluster_status",
    "galera_ready",
    "galera_flow_control_paused",
    "galera_last_committed",
];

#[test]
fn status_in_prometheus_format_and_as_a_textfile() {
    let Some((lab, inv)) = lab() else { return };
    let out = galeractl_ok(&["status", inv.as_str(), "--format", "prometheus"]);
    let samples = parse_exposition(&out);
    for metric in NODE_METRICS {
        let nodes: Vec<&str> = samples
            .iter()
            .filter(|((name, _), _)| name == metric)
            .map(|((_, labels), _)| labels.get("node").map_or("", String::as_str))
            .collect();
        assert_eq!(nodes, ["nodea", "nodeb", "nodec"], "{metric}:\n{out}");
    }
    let value = |metric: &str, node: &str| {
        samples
            .iter()
            .find(|((name, labels), _)| {
                name == metric && labels.get("node").map(String::as_str) == Some(node)
            })
            .map(|(_, v)| *v)
    };
    assert_eq!(value("galera_up", "nodeb"), Some(1.0));
    assert_eq!(value("galera_cluster_size", "nodea"), Some(3.0));
    assert_eq!(value("galera_local_state", "nodec"), Some(4.0));
    let ((_, labels), _) = samples
        .iter()
        .find(|((name, _), _)| name == "galera_up")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        labels.get("cluster").map(String::as_str),
        Some("local-test")
    );
    assert_eq!(labels.get("host").map(String::as_str), Some("10.77.0.11"));
    let healthy = samples.iter().find(|((name, labels), _)| {
        name == "galera_verdict" && labels.get("verdict").map(String::as_str) == Some("healthy")
    });
    assert_eq!(healthy.map(|(_, v)| *v), Some(1.0), "{out}");

    // --textfile: the same text in a 0644 file, nothing on stdout.
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("ergonomics-textfile");
    let file = dir.join("galera.prom");
    let path = file.display().to_string();
    let printed = galeractl_ok(&["status", inv.as_str(), "--textfile", path.as_str()]);
    assert_eq!(printed, "");
    let written = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parse_exposition(&written).len(), samples.len());
    let mode = std::fs::metadata(&file).map_or(0, |m| m.permissions().mode() & 0o777);
    assert_eq!(mode, 0o644);
    drop(lab);
}

/// Makes nodeb log a line of its own, changing nothing: a login refused for `user`.
fn refused_login(lab: &Lab, user: &str) {
    lab.ssh(
        support::lab::HOSTS[1],
        &format!("docker exec local-test-nodeb mariadb -u{user} -pnot-a-password -h127.0.0.1 -e 'select 1'"),
    );
}

#[test]
fn logs_since_shows_the_recent_lines() {
    let Some((lab, inv)) = lab() else { return };
    let user = format!("logs_probe_{}", std::process::id());
    refused_login(&lab, &user);
    let recent = galeractl_ok(&["logs", "nodeb", inv.as_str(), "--since", "1m"]);
    assert!(
        recent.contains(&format!("Access denied for user '{user}'")),
        "{recent}"
    );
    let all = galeractl_ok(&["logs", "nodeb", "-i", inv.as_str()]);
    assert!(all.contains(&user), "{all}");
    // The last minute's lines are lines of the whole log (which may itself be younger than a
    // minute: the cluster may just have been built).
    assert!(
        recent.lines().all(|l| all.contains(l)),
        "{recent}\n---\n{all}"
    );
    assert!(all.contains("ready for connections"), "{all}");
    let out = galeractl(&["logs", "nodeb", inv.as_str(), "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(64));
    let out = galeractl(&["logs", "nodez", inv.as_str()]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
}

#[test]
fn logs_follow_streams_until_sigint_and_ends_on_the_host() {
    use std::io::BufRead;
    let Some((lab, inv)) = lab() else { return };
    let since = "61s"; // names this test's `docker logs` among the host's processes
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(["logs", "nodeb", "-i", inv.as_str(), "--since", since, "-f"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let user = format!("follow_probe_{}", std::process::id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = false;
    while !seen && std::time::Instant::now() < deadline {
        refused_login(&lab, &user);
        while let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
            if line.contains(&user) {
                seen = true;
                break;
            }
        }
    }
    assert!(seen, "logs -f never showed the new line");
    let running = |pattern: &str| {
        lab.ssh_ok(support::lab::HOSTS[1], "ps -eo args")
            .lines()
            .any(|l| l.starts_with("docker logs") && l.contains(pattern))
    };
    let pattern = format!("--since {since} --follow local-test-nodeb");
    assert!(running(&pattern), "no docker logs on the host");
    // Ctrl-C: galeractl ends, and so does docker logs on the host.
    let pid = i32::try_from(child.id()).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("ended by SIGINT"),
        "{}",
        text(&out.stderr)
    );
    support::lab::wait_until(
        "docker logs to end on the host",
        std::time::Duration::from_secs(10),
        || !running(&pattern),
    );
}

/// Runs galeractl with `input` on its stdin; returns (exit code, stdout, stderr).
fn galeractl_with_stdin(args: &[&str], input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn sql_runs_the_nodes_client_with_words_unchanged() {
    let Some((_lab, inv)) = lab() else { return };
    let i = inv.as_str();
    let out = galeractl_ok(&["sql", "nodea", "-i", i, "-e", "select 1"]);
    assert_eq!(out, "1\n1\n");
    // Quotes of both kinds, a semicolon, a backslash and $: one word to the client.
    let query = r#"select 'a;b' as x, "it's" as y, 'say "hi" $HOME `id`' as z, concat('back', '\\', 'slash'); select 2"#;
    let out = galeractl_ok(&["sql", "-i", i, "nodeb", "-N", "-B", "-e", query]);
    assert_eq!(out, "a;b\tit's\tsay \"hi\" $HOME `id`\tback\\\\slash\n2\n");
    // Piped stdin, after `--`.
    let (code, out, err) = galeractl_with_stdin(
        &["sql", "-i", i, "nodec", "--", "-N"],
        "select 40 + 2;\nselect @@hostname;\n",
    );
    assert_eq!((code, out.as_str()), (0, "42\nnodec\n"), "{err}");
    // No node: the proxy's active writer, named on stderr.
    let out = galeractl(&["sql", "-i", i, "--", "-N", "-e", "select @@hostname"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let host = text(&out.stdout);
    assert!(
        ["nodea\n", "nodeb\n", "nodec\n"].contains(&host.as_str()),
        "{host}"
    );
    assert!(
        text(&out.stderr).contains(&format!(
            "sql: {}, the proxy's active writer",
            host.trim_end()
        )),
        "{}",
        text(&out.stderr)
    );
    // The client's failure is galeractl's (exit 2), its message on stderr.
    let out = galeractl(&["sql", "nodea", "-i", i, "-e", "select no_such_column"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Unknown column"),
        "{}",
        text(&out.stderr)
    );
    let out = galeractl(&["sql", "nodez", "-i", i, "-e", "select 1"]);
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn sql_puts_the_root_password_on_no_command_line() {
    let Some((lab, inv)) = lab() else { return };
    let root = lab.secret("root-password");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args([
            "-vv",
            "sql",
            "nodea",
            "-i",
            inv.as_str(),
            "-e",
            "select sleep(4)",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let host = support::lab::HOSTS[0];
    let on_host = lab.ssh_ok(host, "ps -eo args");
    assert!(
        on_host.contains("select sleep(4)"),
        "not running:\n{on_host}"
    );
    let in_container = lab.ssh_ok(
        host,
        "docker exec local-test-nodea sh -c 'for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do tr \"\\0\" \" \" <\"$f\"; echo; done' 2>/dev/null || true",
    );
    let local = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .map(|o| text(&o.stdout))
        .unwrap_or_default();
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        in_container.contains("--defaults-extra-file="),
        "the client was not seen in the container:\n{in_container}"
    );
    let inspect = lab.ssh_ok(host, "docker inspect local-test-nodea");
    for (what, seen) in [
        ("the host's ps", on_host.as_str()),
        ("the container's processes", in_container.as_str()),
        ("this machine's ps", local.as_str()),
        ("docker inspect", inspect.as_str()),
        ("galeractl -vv's log", &text(&out.stderr)),
    ] {
        assert!(!seen.contains(&root), "the root password in {what}");
    }
    // The option file is gone.
    let left = lab.ssh_ok(
        host,
        "docker exec local-test-nodea sh -c 'grep -l \"^user=root\" /tmp/* 2>/dev/null || true'",
    );
    assert_eq!(left, "");
}

#[test]
fn sql_is_interactive_on_a_terminal() {
    let Some((_lab, inv)) = lab() else { return };
    let has_script = std::process::Command::new("sh")
        .args(["-c", "command -v script >/dev/null"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_script {
        eprintln!("skipped: no script(1) for a terminal");
        return;
    }
    // script(1) gives galeractl a terminal; the client prompts and answers on it.
    let command = format!(
        "(sleep 3; printf 'select 6*7 as answer;\\n'; sleep 2; printf 'exit\\n'; sleep 1) | script -qc '{} sql nodea -i {}' /dev/null",
        env!("CARGO_BIN_EXE_galeractl"),
        inv
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &command])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = text(&out.stdout);
    assert!(seen.contains("MariaDB [(none)]>"), "no prompt:\n{seen}");
    assert!(seen.contains("|     42 |"), "{seen}");
    assert!(seen.contains("Bye"), "{seen}");
}
