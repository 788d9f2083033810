//! Telling people, the edge: every note as one log line on stderr, a JSON POST to a webhook
//! (its http:// URL read from a 0600 file: it may hold a token) and/or a command that gets the
//! JSON on its stdin. A notifier that fails or hangs is logged and given up after its
//! deadline; the caller goes on.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::{log_line, webhook_mode_refusal, Note};
use crate::http::{self, Url};

const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Notifier {
    journald: bool,
    webhook: Option<Url>,
    command: Option<String>,
}

impl Notifier {
    /// With journald's prefixes when journald reads stderr (`JOURNAL_STREAM` is set).
    pub fn new(webhook: Option<Url>, command: Option<String>) -> Notifier {
        Notifier {
            journald: std::env::var_os("JOURNAL_STREAM").is_some(),
            webhook,
            command,
        }
    }

    /// Whether journald reads the log (its lines then carry a priority prefix).
    pub fn journald(&self) -> bool {
        self.journald
    }

    /// A line of the program's own log (not a note).
    pub fn log(&self, line: &str) {
        errln!("{}", log_line(self.journald, line));
    }

    pub async fn send(&self, note: &Note) {
        errln!("{}", note.line);
        if let Some(hook) = &self.webhook {
            match tokio::time::timeout(WEBHOOK_TIMEOUT, http::post::post_json(hook, &note.json))
                .await
            {
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
            if let Err(e) = run_command(command, note).await {
                errln!("watch: --notify-command: {e}");
            }
        }
    }
}

/// The webhook's URL from its file, which only its owner may read.
pub fn read_webhook(path: &Path) -> Result<Url, String> {
    use std::os::unix::fs::PermissionsExt;
    let refuse = |why: String| format!("{}: {why}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
    if let Some(why) = webhook_mode_refusal(meta.permissions().mode()) {
        return Err(refuse(why));
    }
    let text = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
    http::parse_url(text.trim()).map_err(refuse)
}

async fn run_command(command: &str, note: &Note) -> Result<(), String> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(note.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(note.json.as_bytes()).await;
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
