//! `galeractl watch` without a lab: its systemd unit, one look (`--once`) at a cluster of
//! `local` nodes whose `docker` knows of no container (so: "the cluster does not exist"), with
//! the event delivered to a webhook served here on loopback and to a command, and the refusals
//! of a webhook file others may read and of an https:// URL.

mod support;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use support::fake_local::run_local;

fn cluster(test: &str) -> std::path::PathBuf {
    support::fake_local::cluster(test, "watchcli", ("= 3630", "= 375"))
}

fn write_mode(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_unit_runs_this_binary_on_the_absolute_inventory() {
    let dir = cluster("watch-unit");
    let (code, unit, err) = run_local(
        &dir,
        &["watch", "--unit", "--listen", "127.0.0.1:9104", "inv.toml"],
    );
    assert_eq!(code, Some(0), "{err}");
    let exec = format!(
        "ExecStart={} watch --interval 5 --settle 5 --backoff 20 --max-failures 3 --connect-timeout 10 --step-timeout 120 --sync-timeout 600 --listen 127.0.0.1:9104 {}\n",
        env!("CARGO_BIN_EXE_galeractl"),
        dir.join("inv.toml").display()
    );
    assert!(unit.contains(&exec), "{unit}");
    assert!(unit.contains("KillMode=mixed\n") && unit.contains("NoNewPrivileges=yes\n"));
    let (code, _, err) = run_local(&dir, &["watch", "--unit", "--dry-run", "inv.toml"]);
    assert_eq!(code, Some(64), "a service that would not act: {err}");
}

#[test]
fn one_look_tells_the_webhook_and_the_command() {
    let dir = cluster("watch-once");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    write_mode(
        &dir.join("hook.url"),
        &format!("http://127.0.0.1:{port}/hooks/galera\n"),
        0o600,
    );
    let _ = std::fs::remove_file(dir.join("events.jsonl"));
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap_or_else(|e| panic!("{e}"));
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut reader = BufReader::new(stream);
        let mut head = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("{e}"));
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                length = v.trim().parse().unwrap_or_default();
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push(line);
        }
        let mut body = vec![0u8; length];
        reader
            .read_exact(&mut body)
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = reader
            .get_mut()
            .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        (head, String::from_utf8_lossy(&body).into_owned())
    });
    let (code, _, err) = run_local(
        &dir,
        &[
            "watch",
            "--once",
            "--webhook-url-file",
            "hook.url",
            "--notify-command",
            "cat >> events.jsonl",
            "inv.toml",
        ],
    );
    assert_eq!(code, Some(3), "held back:\n{err}");
    assert!(
        err.contains(
            "watch: cluster=watchcli holding: the cluster does not exist: `galeractl up` makes it"
        ),
        "{err}"
    );
    let (head, body) = server
        .join()
        .unwrap_or_else(|_| panic!("the webhook server failed"));
    assert_eq!(head[0], "POST /hooks/galera HTTP/1.1\r\n");
    assert!(
        head.contains(&"Content-Type: application/json\r\n".to_string()),
        "{head:?}"
    );
    let event: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(event["cluster"], "watchcli");
    assert_eq!(event["kind"], "fault_seen");
    assert_eq!(event["detail"], "no node container exists");
    assert!(event["unix_time"].as_i64().unwrap_or(0) > 1_700_000_000);
    let told = std::fs::read_to_string(dir.join("events.jsonl")).unwrap_or_default();
    assert_eq!(told, format!("{body}\n"), "the command gets the same JSON");
}

#[test]
fn a_webhook_file_others_can_read_or_an_https_url_is_refused() {
    let dir = cluster("watch-refused");
    write_mode(&dir.join("open.url"), "http://127.0.0.1:9/x\n", 0o644);
    let (code, _, err) = run_local(
        &dir,
        &[
            "watch",
            "--once",
            "--webhook-url-file",
            "open.url",
            "inv.toml",
        ],
    );
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains("open.url: mode 0644: the webhook's URL may hold a token; chmod 600 it"),
        "{err}"
    );
    write_mode(&dir.join("tls.url"), "https://alerts.example/x\n", 0o600);
    let (code, _, err) = run_local(
        &dir,
        &[
            "watch",
            "--once",
            "--webhook-url-file",
            "tls.url",
            "inv.toml",
        ],
    );
    assert_eq!(code, Some(64), "{err}");
    assert!(
        err.contains("https:// is not supported: only http://"),
        "{err}"
    );
}
