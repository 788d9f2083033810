//! One connected host (`Remote`): connecting, running a command with a deadline
//! (`run`, `run_ok`), and closing.

use std::time::Duration;

use openssh::{KnownHosts, Session, SessionBuilder};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::error::{classify_connect_error, error_chain};
use super::{SshError, SshOptions, Target};
use crate::argv::shell_join;

/// Where a started command's stdout goes.
pub(super) enum Stdout {
    Piped,
    File(std::fs::File),
}

/// sshd allows 10 sessions per connection by default; stay below it.
const CHANNELS_PER_HOST: usize = 8;

/// A finished remote command.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A connected host.
pub struct Remote {
    pub host: String,
    pub(super) link: Link,
    /// Commands over SSH run as `sudo -n -- ARGV` (never on this machine's own Docker).
    pub(super) sudo: bool,
    pub(super) channels: Semaphore,
    pub(super) options: SshOptions,
}

/// How a host's commands are run.
pub(super) enum Link {
    Ssh(Session),
    /// This machine (`host = "local"`): the commands run here, without a shell.
    Local,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Remote {
    pub async fn connect(target: &Target, options: &SshOptions) -> Result<Remote, SshError> {
        if target.host == crate::inventory::LOCAL_HOST {
            return Ok(Remote {
                host: target.host.clone(),
                link: Link::Local,
                sudo: false,
                channels: Semaphore::new(CHANNELS_PER_HOST),
                options: options.clone(),
            });
        }
        let mut b = SessionBuilder::default();
        b.known_hosts_check(if options.accept_new_host_keys {
            KnownHosts::Add
        } else {
            KnownHosts::Strict
        })
        .connect_timeout(options.connect_timeout)
        .server_alive_interval(Duration::from_secs(5));
        if let Some(u) = &target.user {
            b.user(u.clone());
        }
        if let Some(p) = target.port {
            b.port(p);
        }
        if let Some(k) = &target.identity {
            b.keyfile(k);
        }
        if let Some(k) = &target.known_hosts {
            b.user_known_hosts_file(k);
        }
        if let Some(c) = &target.config_file {
            b.config_file(c);
        }
        let secs = options.connect_timeout.as_secs();
        // ssh's ConnectTimeout covers the TCP connect only; the whole handshake gets a bound too.
        let whole = options.connect_timeout + options.connect_timeout.min(Duration::from_secs(5));
        let session = match tokio::time::timeout(whole, b.connect(&target.host)).await {
            Err(_) => {
                return Err(SshError::Connect {
                    host: target.host.clone(),
                    secs: whole.as_secs(),
                    detail: "the SSH handshake did not complete".into(),
                })
            }
            Ok(Err(e)) => {
                let text = error_chain(&e);
                return Err(classify_connect_error(&target.host, secs, &text));
            }
            Ok(Ok(s)) => s,
        };
        Ok(Remote {
            host: target.host.clone(),
            link: Link::Ssh(session),
            sudo: target.sudo,
            channels: Semaphore::new(CHANNELS_PER_HOST),
            options: options.clone(),
        })
    }

    pub fn command_timeout(&self) -> Duration {
        self.options.command_timeout
    }

    /// Runs `argv`, feeding `stdin` if given; a non-zero exit is an `Output`, not an error.
    pub async fn run(
        &self,
        argv: &[String],
        stdin: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Output, SshError> {
        let command = shell_join(argv);
        let _permit = self.channels.acquire().await;
        tracing::debug!(host = %self.host, "run: {command}");
        let work = async {
            let mut child = self
                .spawn(argv, &command, stdin.is_some(), Stdout::Piped)
                .await?;
            if let (Some(bytes), Some(mut pipe)) = (stdin, child.take_stdin()) {
                // A command may end without reading all of its stdin (the lock's script, when
                // another holds the lock, answers with the holder and exit 3): its exit status
                // says what happened, not the broken pipe.
                let fed = match pipe.write_all(bytes).await {
                    Ok(()) => pipe.shutdown().await,
                    Err(e) => Err(e),
                };
                match fed {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        tracing::debug!(host = %self.host, "stdin closed early by: {command}");
                    }
                    Err(e) => return Err(self.transport(&command, &e.to_string())),
                }
            }
            child
                .wait_with_output()
                .await
                .map_err(|e| self.transport(&command, &e))
        };
        let out = tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| SshError::Timeout {
                host: self.host.clone(),
                command: command.clone(),
                secs: timeout.as_secs(),
            })??;
        Ok(Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Runs `argv` and returns its stdout; a non-zero exit is an error carrying stderr.
    pub async fn run_ok(&self, argv: &[String], stdin: Option<&[u8]>) -> Result<String, SshError> {
        self.run_ok_within(argv, stdin, self.options.command_timeout)
            .await
    }

    /// [`Remote::run_ok`] with a deadline of its own (a clean stop, a long transfer).
    pub async fn run_ok_within(
        &self,
        argv: &[String],
        stdin: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<String, SshError> {
        let out = self.run(argv, stdin, timeout).await?;
        if out.code == 0 {
            Ok(out.stdout)
        } else {
            Err(SshError::Failed {
                host: self.host.clone(),
                command: shell_join(argv),
                code: out.code,
                stderr: out.stderr.trim().to_string(),
            })
        }
    }

    pub(super) fn transport(&self, command: &str, detail: &str) -> SshError {
        SshError::Transport {
            host: self.host.clone(),
            command: command.to_string(),
            detail: detail.to_string(),
        }
    }

    pub async fn close(self) {
        if let Link::Ssh(session) = self.link {
            if let Err(e) = session.close().await {
                tracing::debug!(host = %self.host, "closing ssh: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command that ends without reading its stdin (as the lock's script does when another
    /// holds the lock) gives its exit status, not a broken pipe: more than a pipe's buffer is
    /// fed, so the write meets the closed end.
    #[test]
    fn a_command_that_leaves_its_stdin_unread_gives_its_exit_status() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let target = Target {
            host: crate::inventory::LOCAL_HOST.to_string(),
            user: None,
            port: None,
            identity: None,
            known_hosts: None,
            config_file: None,
            sudo: false,
        };
        let options = SshOptions {
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(20),
            accept_new_host_keys: false,
        };
        let out = runtime.block_on(async {
            let remote = Remote::connect(&target, &options)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let argv: Vec<String> = ["sh", "-c", "echo held; exit 3"]
                .iter()
                .map(ToString::to_string)
                .collect();
            let stdin = vec![b'x'; 4 << 20];
            remote
                .run(&argv, Some(&stdin), Duration::from_secs(20))
                .await
        });
        let out = out.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((out.code, out.stdout.as_str()), (3, "held\n"));
    }
}
