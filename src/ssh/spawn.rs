//! Starting a command on a host: over SSH (through `sudo -n --` with `[ssh] sudo = true`) or,
//! for `host = "local"`, on this machine, with stdin, stdout and stderr as the caller needs.

use openssh::{Session, Stdio};

use super::error::error_chain;
use super::remote::{Link, Remote, Stdout};
use super::SshError;

/// `sudo` before every remote command with `[ssh] sudo = true`: never a password prompt
/// (`-n` fails at once instead), and nothing after it read as sudo's own option.
pub const SUDO_ARGS: [&str; 2] = ["-n", "--"];

/// A started command, over SSH or here.
pub(super) enum Spawned<'a> {
    Ssh(openssh::Child<&'a Session>),
    Local(tokio::process::Child),
}

type Writer = Box<dyn tokio::io::AsyncWrite + Unpin + Send>;
type Reader = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

impl Spawned<'_> {
    pub(super) fn take_stdin(&mut self) -> Option<Writer> {
        match self {
            Spawned::Ssh(c) => c.stdin().take().map(|s| Box::new(s) as Writer),
            Spawned::Local(c) => c.stdin.take().map(|s| Box::new(s) as Writer),
        }
    }

    pub(super) fn take_stderr(&mut self) -> Option<Reader> {
        match self {
            Spawned::Ssh(c) => c.stderr().take().map(|s| Box::new(s) as Reader),
            Spawned::Local(c) => c.stderr.take().map(|s| Box::new(s) as Reader),
        }
    }

    pub(super) async fn wait_with_output(self) -> Result<std::process::Output, String> {
        match self {
            Spawned::Ssh(c) => match c.wait_with_output().await {
                Ok(out) => Ok(out),
                // The openssh crate turns exit status 127 into this error and drops the output;
                // the command ran and said "not found" (`docker run` of an image without the
                // program exits 127 too): its caller reads the status as any other.
                Err(openssh::Error::Remote(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    use std::os::unix::process::ExitStatusExt;
                    Ok(std::process::Output {
                        status: std::process::ExitStatus::from_raw(127 << 8),
                        stdout: Vec::new(),
                        stderr: b"exit status 127: not found".to_vec(),
                    })
                }
                Err(e) => Err(error_chain(&e)),
            },
            Spawned::Local(c) => c.wait_with_output().await.map_err(|e| e.to_string()),
        }
    }

    pub(super) async fn wait(self) -> Result<std::process::ExitStatus, String> {
        match self {
            Spawned::Ssh(c) => c.wait().await.map_err(|e| error_chain(&e)),
            Spawned::Local(mut c) => c.wait().await.map_err(|e| e.to_string()),
        }
    }
}

impl Remote {
    /// Starts `argv` on the host with stderr piped, stdin piped or closed, and stdout piped
    /// or into a local file.
    pub(super) async fn spawn(
        &self,
        argv: &[String],
        command: &str,
        piped_stdin: bool,
        stdout: Stdout,
    ) -> Result<Spawned<'_>, SshError> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| self.transport(command, "empty command"))?;
        match &self.link {
            Link::Ssh(session) => {
                let mut cmd = if self.sudo {
                    let mut sudo = session.command("sudo");
                    sudo.args(SUDO_ARGS).arg(program);
                    sudo
                } else {
                    session.command(program)
                };
                cmd.args(args)
                    .stdin(if piped_stdin {
                        Stdio::piped()
                    } else {
                        Stdio::null()
                    })
                    .stdout(match stdout {
                        Stdout::Piped => Stdio::piped(),
                        Stdout::File(f) => Stdio::from(std::os::fd::OwnedFd::from(f)),
                    })
                    .stderr(Stdio::piped());
                cmd.spawn()
                    .await
                    .map(Spawned::Ssh)
                    .map_err(|e| self.transport(command, &error_chain(&e)))
            }
            Link::Local => {
                let mut cmd = tokio::process::Command::new(program);
                cmd.args(args)
                    .stdin(if piped_stdin {
                        std::process::Stdio::piped()
                    } else {
                        std::process::Stdio::null()
                    })
                    .stdout(match stdout {
                        Stdout::Piped => std::process::Stdio::piped(),
                        Stdout::File(f) => std::process::Stdio::from(f),
                    })
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true);
                cmd.spawn()
                    .map(Spawned::Local)
                    .map_err(|e| self.transport(command, &e.to_string()))
            }
        }
    }
}
