//! Streams between this machine and a host: a local command's stdout into a remote command
//! (`pipe_from_local`), a remote command's stdout into a new local file (`pipe_to_local`).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::remote::Stdout;
use super::{Remote, SshError};
use crate::argv::shell_join;

/// How much of a streaming command's stderr is kept for its error message.
const STDERR_TAIL: usize = 4096;

impl Remote {
    /// Streams the stdout of a local command into a remote command's stdin (`docker save |
    /// docker load`), reporting bytes as they pass. Returns the bytes sent.
    pub async fn pipe_from_local(
        &self,
        local: &[String],
        argv: &[String],
        timeout: Duration,
        progress: impl Fn(u64),
    ) -> Result<u64, SshError> {
        let command = format!("{} | {}", shell_join(local), shell_join(argv));
        let _permit = self.channels.acquire().await;
        let local_err = |detail: String| SshError::Local {
            command: shell_join(local),
            detail,
        };
        let work = async {
            let (lp, la) = local
                .split_first()
                .ok_or_else(|| local_err("empty command".into()))?;
            let mut source = tokio::process::Command::new(lp)
                .args(la)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| local_err(e.to_string()))?;
            let mut child = self.spawn(argv, &command, true, Stdout::Piped).await?;
            let mut sink = child
                .take_stdin()
                .ok_or_else(|| self.transport(&command, "no stdin pipe"))?;
            let mut from = source
                .stdout
                .take()
                .ok_or_else(|| local_err("no stdout pipe".into()))?;
            let mut buf = vec![0u8; 1 << 20];
            let mut sent = 0u64;
            // A write fails when the remote command stopped reading (it failed): its exit
            // status and stderr say why, not the broken pipe.
            let mut broken = None;
            loop {
                let n = from
                    .read(&mut buf)
                    .await
                    .map_err(|e| local_err(e.to_string()))?;
                if n == 0 {
                    break;
                }
                if let Err(e) = sink.write_all(&buf[..n]).await {
                    broken = Some(e.to_string());
                    break;
                }
                sent += n as u64;
                progress(sent);
            }
            if broken.is_none() {
                if let Err(e) = sink.shutdown().await {
                    broken = Some(e.to_string());
                }
            }
            drop(sink);
            if let Some(e) = broken {
                let _ = source.kill().await;
                let out = child
                    .wait_with_output()
                    .await
                    .map_err(|e| self.transport(&command, &e))?;
                return Err(if out.status.success() {
                    self.transport(&command, &e)
                } else {
                    SshError::Failed {
                        host: self.host.clone(),
                        command: command.clone(),
                        code: out.status.code().unwrap_or(-1),
                        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    }
                });
            }
            let local_out = source
                .wait_with_output()
                .await
                .map_err(|e| local_err(e.to_string()))?;
            if !local_out.status.success() {
                return Err(local_err(
                    String::from_utf8_lossy(&local_out.stderr)
                        .trim()
                        .to_string(),
                ));
            }
            let out = child
                .wait_with_output()
                .await
                .map_err(|e| self.transport(&command, &e))?;
            if !out.status.success() {
                return Err(SshError::Failed {
                    host: self.host.clone(),
                    command: command.clone(),
                    code: out.status.code().unwrap_or(-1),
                    stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                });
            }
            Ok(sent)
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| SshError::Timeout {
                host: self.host.clone(),
                command: command.clone(),
                secs: timeout.as_secs(),
            })?
    }

    /// Streams a remote command's stdout into a new local file (a backup's stream), as `ssh
    /// HOST CMD > FILE` does: the file itself is the command's stdout (the SSH connection
    /// writes into it, nothing passes through this process), its size reported to `progress`
    /// as it grows. Its stderr is read meanwhile (a chatty command never blocks on a full pipe)
    /// and its tail reported on failure. Returns the bytes written, once they are on disk. The
    /// file must not exist: nothing is ever overwritten.
    pub async fn pipe_to_local(
        &self,
        argv: &[String],
        file: &std::path::Path,
        timeout: Duration,
        progress: impl Fn(u64),
    ) -> Result<u64, SshError> {
        use std::os::unix::fs::OpenOptionsExt;
        let command = format!("{} > {}", shell_join(argv), file.display());
        let _permit = self.channels.acquire().await;
        let local_err = |detail: String| SshError::Local {
            command: format!("write {}", file.display()),
            detail,
        };
        let work = async {
            let sink = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(file)
                .map_err(|e| local_err(e.to_string()))?;
            let stdout = sink.try_clone().map_err(|e| local_err(e.to_string()))?;
            let mut child = self
                .spawn(argv, &command, false, Stdout::File(stdout))
                .await?;
            let mut errors = child
                .take_stderr()
                .ok_or_else(|| self.transport(&command, "no stderr pipe"))?;
            let stderr = async move {
                let mut tail: Vec<u8> = Vec::new();
                let mut buf = vec![0u8; 1 << 14];
                while let Ok(n) = errors.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    tail.extend_from_slice(&buf[..n]);
                    let excess = tail.len().saturating_sub(STDERR_TAIL);
                    tail.drain(..excess);
                }
                tail
            };
            let size = || sink.metadata().map_or(0, |m| m.len());
            let finished = async {
                let mut wait = std::pin::pin!(child.wait());
                loop {
                    tokio::select! {
                        status = &mut wait => break status,
                        () = tokio::time::sleep(Duration::from_millis(200)) => progress(size()),
                    }
                }
            };
            let (status, tail) = tokio::join!(finished, stderr);
            let status = status.map_err(|e| self.transport(&command, &e))?;
            if !status.success() {
                return Err(SshError::Failed {
                    host: self.host.clone(),
                    command: command.clone(),
                    code: status.code().unwrap_or(-1),
                    stderr: String::from_utf8_lossy(&tail).trim().to_string(),
                });
            }
            sink.sync_all().map_err(|e| local_err(e.to_string()))?;
            let written = size();
            progress(written);
            Ok(written)
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| SshError::Timeout {
                host: self.host.clone(),
                command: command.clone(),
                secs: timeout.as_secs(),
            })?
    }
}
