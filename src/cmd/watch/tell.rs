//! Telling people: every event as one log line on stderr (with journald's priority prefix when
//! journald reads it), a JSON POST to a webhook (its http:// URL read from a 0600 file: it may
//! hold a token) and/or a command that gets the JSON on its stdin. A notifier that fails or
//! hangs is logged and given up after its deadline; watch goes on.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cmd::Failure;
use crate::exit;
use crate::watch::Event;

const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where an http:// webhook lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub host: String,
    pub port: u16,
    pub path: String,
}

pub struct Notifier {
    journald: bool,
    webhook: Option<Webhook>,
    command: Option<String>,
}

impl Notifier {
    pub fn new(webhook_file: Option<&Path>, command: Option<String>) -> Result<Notifier, Failure> {
        let webhook = match webhook_file {
            Some(path) => Some(read_webhook(path)?),
            None => None,
        };
        Ok(Notifier {
            journald: std::env::var_os("JOURNAL_STREAM").is_some(),
            webhook,
            command,
        })
    }

    /// A line of watch's own log (not an event).
    pub fn log(&self, line: &str) {
        if self.journald {
            errln!("<6>{line}");
        } else {
            errln!("{line}");
        }
    }

    pub async fn send(&self, event: &Event) {
        let mut event = event.clone();
        event.unix_time = crate::lock::now_unix();
        errln!("{}", event.log_line(self.journald));
        let json = match serde_json::to_string(&event) {
            Ok(j) => j,
            Err(e) => {
                errln!("watch: cannot encode the event: {e}");
                return;
            }
        };
        if let Some(hook) = &self.webhook {
            match tokio::time::timeout(WEBHOOK_TIMEOUT, post(hook, &json)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => errln!("watch: webhook {}:{}: {e}", hook.host, hook.port),
                Err(_) => errln!(
                    "watch: webhook {}:{}: no answer within {}s",
                    hook.host,
                    hook.port,
                    WEBHOOK_TIMEOUT.as_secs()
                ),
            }
        }
        if let Some(command) = &self.command {
            if let Err(e) = run_command(command, &event, &json).await {
                errln!("watch: --notify-command: {e}");
            }
        }
    }
}

/// The webhook's URL from its file, which only its owner may read.
fn read_webhook(path: &Path) -> Result<Webhook, Failure> {
    use std::os::unix::fs::PermissionsExt;
    let refuse = |why: String| Failure::new(exit::USAGE, format!("{}: {why}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(refuse(format!(
            "mode {mode:04o}: the webhook's URL may hold a token; chmod 600 it"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
    parse_url(text.trim()).map_err(refuse)
}

/// An http:// URL: host, port (80 by default), path.
pub fn parse_url(url: &str) -> Result<Webhook, String> {
    let rest = match url.split_once("://") {
        Some(("http", rest)) => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "{scheme}:// is not supported: only http:// (for https, use --notify-command with curl)"
            ))
        }
        None => return Err("no URL (http://host:port/path)".into()),
    };
    let (authority, path) = match rest.find('/') {
        Some(k) => (&rest[..k], &rest[k..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err("user:password@ in the URL is not supported".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("bad port {p:?} in the URL"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() || path.contains(char::is_whitespace) {
        return Err("the URL has no host, or a space".into());
    }
    Ok(Webhook {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
        path: path.to_string(),
    })
}

async fn post(hook: &Webhook, json: &str) -> Result<(), String> {
    let mut stream = tokio::net::TcpStream::connect((hook.host.as_str(), hook.port))
        .await
        .map_err(|e| e.to_string())?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: galeractl-watch\r\n\r\n{json}",
        hook.path,
        hook.host,
        json.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).await.map_err(|e| e.to_string())?;
    let status = String::from_utf8_lossy(&head[..n]);
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code.starts_with('2') {
        Ok(())
    } else {
        Err(format!(
            "answered {:?}",
            status.lines().next().unwrap_or_default()
        ))
    }
}

async fn run_command(command: &str, event: &Event, json: &str) -> Result<(), String> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("GALERACTL_EVENT", event.kind.name())
        .env("GALERACTL_CLUSTER", &event.cluster)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(json.as_bytes()).await;
        let _ = stdin.write_all(b"\n").await;
    }
    match tokio::time::timeout(COMMAND_TIMEOUT, child.wait()).await {
        Ok(Ok(s)) if s.success() => Ok(()),
        Ok(Ok(s)) => Err(format!("exited with {s}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "still running after {}s: killed",
            COMMAND_TIMEOUT.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        assert_eq!(
            parse_url("http://alerts.example:8080/hooks/galera?t=1"),
            Ok(Webhook {
                host: "alerts.example".into(),
                port: 8080,
                path: "/hooks/galera?t=1".into()
            })
        );
        assert_eq!(
            parse_url("http://10.0.0.5"),
            Ok(Webhook {
                host: "10.0.0.5".into(),
                port: 80,
                path: "/".into()
            })
        );
        assert_eq!(
            parse_url("https://x/y"),
            Err("https:// is not supported: only http:// (for https, use --notify-command with curl)".into())
        );
        assert!(parse_url("http://u:p@x/").is_err());
        assert!(parse_url("x/y").is_err());
        assert!(parse_url("http://x:99999/").is_err());
    }
}
