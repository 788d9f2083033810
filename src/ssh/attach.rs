//! Commands attached to the operator's stdin, stdout and stderr (`logs`, `sql`): the system
//! `ssh` through the host's ControlMaster socket, because the openssh crate runs every
//! command without a terminal (`-T`). With `tty`, ssh asks for one (`-t`), for an interactive
//! client; without, its output streams through as it comes.

use std::process::Stdio;

use super::remote::{Link, Remote};
use super::SshError;
use crate::argv::shell_join;

/// What the remote command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachStdin {
    /// The operator's own stdin (a terminal, a pipe, a file).
    Inherit,
    /// A pipe galeractl holds open and never writes: the remote side sees its end only when
    /// the session closes (`logs -f`'s watcher).
    HeldOpen,
}

/// A running attached command.
pub struct Attached {
    child: tokio::process::Child,
    _stdin: Option<tokio::process::ChildStdin>,
    host: String,
    command: String,
}

impl Remote {
    /// Starts `argv` on the host with the operator's stdout and stderr.
    pub fn attach(
        &self,
        argv: &[String],
        tty: bool,
        stdin: AttachStdin,
    ) -> Result<Attached, SshError> {
        let command = shell_join(argv);
        tracing::debug!(host = %self.host, "attach: {command}");
        let mut ssh = match &self.link {
            Link::Ssh(session) => {
                let mut ssh = tokio::process::Command::new("ssh");
                ssh.arg("-S")
                    .arg(session.control_socket())
                    .args(["-o", "BatchMode=yes", "-o", "LogLevel=QUIET"])
                    .arg(if tty { "-t" } else { "-T" })
                    // The discard port: never a new connection when the master is gone.
                    .args(["-p", "9", "none", "--"]);
                if self.sudo {
                    let sudo: Vec<String> = std::iter::once("sudo")
                        .chain(super::SUDO_ARGS)
                        .map(String::from)
                        .collect();
                    ssh.arg(format!("{} {command}", shell_join(&sudo)));
                } else {
                    ssh.arg(&command);
                }
                ssh
            }
            // This machine: the command itself, on the operator's own terminal if any.
            Link::Local => {
                let (program, args) = argv
                    .split_first()
                    .ok_or_else(|| self.transport(&command, "empty command"))?;
                let mut local = tokio::process::Command::new(program);
                local.args(args);
                local
            }
        };
        ssh.stdin(match stdin {
            AttachStdin::Inherit => Stdio::inherit(),
            AttachStdin::HeldOpen => Stdio::piped(),
        })
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
        let mut child = ssh
            .spawn()
            .map_err(|e| self.transport(&command, &e.to_string()))?;
        let held = child.stdin.take();
        Ok(Attached {
            child,
            _stdin: held,
            host: self.host.clone(),
            command,
        })
    }
}

impl Attached {
    /// The remote command's exit code once it ends (255: ssh's own failure).
    pub async fn wait(&mut self) -> Result<i32, SshError> {
        let status = self.child.wait().await.map_err(|e| SshError::Transport {
            host: self.host.clone(),
            command: self.command.clone(),
            detail: e.to_string(),
        })?;
        Ok(status.code().unwrap_or(-1))
    }

    /// Ends the local ssh client: its channel closes, and the remote command sees its stdin
    /// end (a watcher ends it; a client without one ends at its next write).
    pub async fn end(mut self) {
        let _ = self.child.kill().await;
    }
}
