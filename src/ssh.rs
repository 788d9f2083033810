//! The SSH edge: one multiplexed connection per host (the system `ssh` through the openssh
//! crate, so ~/.ssh/config, the agent and known_hosts apply), commands as argv, a deadline on
//! everything, and errors that name the host. A node whose host is `local` runs on this
//! machine's own Docker: its commands run here, with the same argv, stdin and deadlines, and no
//! SSH.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use openssh::{KnownHosts, Session, SessionBuilder, Stdio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::argv::shell_join;
use crate::inventory::{Inventory, Node};

mod attach;
pub use attach::{AttachStdin, Attached};

/// sshd allows 10 sessions per connection by default; stay below it.
const CHANNELS_PER_HOST: usize = 8;
/// `sudo` before every remote command with `[ssh] sudo = true`: never a password prompt
/// (`-n` fails at once instead), and nothing after it read as sudo's own option.
pub const SUDO_ARGS: [&str; 2] = ["-n", "--"];
/// How much of a streaming command's stderr is kept for its error message.
const STDERR_TAIL: usize = 4096;

#[derive(Debug, Clone)]
pub struct SshOptions {
    pub connect_timeout: Duration,
    /// Deadline of one remote command unless a step says otherwise.
    pub command_timeout: Duration,
    /// Record unknown host keys (accept-new) instead of refusing them. A changed key is
    /// always refused.
    pub accept_new_host_keys: bool,
}

/// How to reach one host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub host: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    /// Run every command through `sudo -n` (the login is not root).
    pub sudo: bool,
}

impl Target {
    pub fn for_node(inventory: &Inventory, node: &Node) -> Target {
        let s = &inventory.ssh;
        Target {
            host: node.host.clone(),
            user: node.ssh_user.clone().or_else(|| s.user.clone()),
            port: node.ssh_port.or(s.port),
            identity: node.ssh_identity.clone().or_else(|| s.identity.clone()),
            known_hosts: s.known_hosts.clone(),
            config_file: s.config_file.clone(),
            sudo: s.sudo,
        }
    }

    /// A host that runs no node (the proxy's): the inventory's `[ssh]` settings.
    pub fn for_host(inventory: &Inventory, host: &str) -> Target {
        if let Some(node) = inventory.nodes.iter().find(|n| n.host == host) {
            return Target::for_node(inventory, node);
        }
        let s = &inventory.ssh;
        Target {
            host: host.to_string(),
            user: s.user.clone(),
            port: s.port,
            identity: s.identity.clone(),
            known_hosts: s.known_hosts.clone(),
            config_file: s.config_file.clone(),
            sudo: s.sudo,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("host {host}: its SSH host key is unknown or has changed, and host keys are checked strictly ({detail}); record the right key in known_hosts, or pass --accept-new-host-keys for a host never seen before")]
    HostKey { host: String, detail: String },
    #[error("host {host}: no SSH connection within {secs}s: {detail}")]
    Connect {
        host: String,
        secs: u64,
        detail: String,
    },
    #[error("host {host}: `{command}` did not finish within {secs}s")]
    Timeout {
        host: String,
        command: String,
        secs: u64,
    },
    #[error("host {host}: `{command}` failed with exit code {code}: {stderr}")]
    Failed {
        host: String,
        command: String,
        code: i32,
        stderr: String,
    },
    #[error("host {host}: ssh failed while running `{command}`: {detail}")]
    Transport {
        host: String,
        command: String,
        detail: String,
    },
    #[error("local command `{command}` failed: {detail}")]
    Local { command: String, detail: String },
}

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
    link: Link,
    /// Commands over SSH run as `sudo -n -- ARGV` (never on this machine's own Docker).
    sudo: bool,
    channels: Semaphore,
    options: SshOptions,
}

/// How a host's commands are run.
enum Link {
    Ssh(Session),
    /// This machine (`host = "local"`): the commands run here, without a shell.
    Local,
}

/// A started command, over SSH or here.
enum Spawned<'a> {
    Ssh(openssh::Child<&'a Session>),
    Local(tokio::process::Child),
}

type Writer = Box<dyn tokio::io::AsyncWrite + Unpin + Send>;
type Reader = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

/// Where a started command's stdout goes.
enum Stdout {
    Piped,
    File(std::fs::File),
}

impl Spawned<'_> {
    fn take_stdin(&mut self) -> Option<Writer> {
        match self {
            Spawned::Ssh(c) => c.stdin().take().map(|s| Box::new(s) as Writer),
            Spawned::Local(c) => c.stdin.take().map(|s| Box::new(s) as Writer),
        }
    }

    fn take_stderr(&mut self) -> Option<Reader> {
        match self {
            Spawned::Ssh(c) => c.stderr().take().map(|s| Box::new(s) as Reader),
            Spawned::Local(c) => c.stderr.take().map(|s| Box::new(s) as Reader),
        }
    }

    async fn wait_with_output(self) -> Result<std::process::Output, String> {
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

    async fn wait(self) -> Result<std::process::ExitStatus, String> {
        match self {
            Spawned::Ssh(c) => c.wait().await.map_err(|e| error_chain(&e)),
            Spawned::Local(mut c) => c.wait().await.map_err(|e| e.to_string()),
        }
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Interprets ssh's own words about a failed connection.
pub fn classify_connect_error(host: &str, secs: u64, text: &str) -> SshError {
    let detail = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("@@@"))
        .collect::<Vec<_>>()
        .join(" ");
    if text.contains("Host key verification failed")
        || text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || text.contains("host key is known")
    {
        SshError::HostKey {
            host: host.to_string(),
            detail,
        }
    } else {
        SshError::Connect {
            host: host.to_string(),
            secs,
            detail,
        }
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
                pipe.write_all(bytes)
                    .await
                    .map_err(|e| self.transport(&command, &e.to_string()))?;
                pipe.shutdown()
                    .await
                    .map_err(|e| self.transport(&command, &e.to_string()))?;
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

    /// Starts `argv` on the host with stderr piped, stdin piped or closed, and stdout piped
    /// or into a local file.
    async fn spawn(
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

    fn transport(&self, command: &str, detail: &str) -> SshError {
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

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Connections to every host of the inventory, made in parallel. Fails if any host cannot be
/// reached, naming each one: nothing should start on some hosts when others are out of reach.
pub struct Hosts {
    remotes: BTreeMap<String, Arc<Remote>>,
}

impl Hosts {
    pub async fn connect_all(
        targets: Vec<Target>,
        options: &SshOptions,
    ) -> Result<Hosts, Vec<SshError>> {
        let (hosts, errors) = Hosts::connect_reachable(targets, options).await;
        if errors.is_empty() {
            Ok(hosts)
        } else {
            hosts.close().await;
            Err(errors)
        }
    }

    /// Connects to every host it can; the others are returned as errors beside it.
    pub async fn connect_reachable(
        targets: Vec<Target>,
        options: &SshOptions,
    ) -> (Hosts, Vec<SshError>) {
        let mut unique: BTreeMap<String, Target> = BTreeMap::new();
        for t in targets {
            unique.entry(t.host.clone()).or_insert(t);
        }
        let results =
            futures::future::join_all(unique.values().map(|t| Remote::connect(t, options))).await;
        let mut remotes = BTreeMap::new();
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(remote) => {
                    remotes.insert(remote.host.clone(), Arc::new(remote));
                }
                Err(e) => errors.push(e),
            }
        }
        (Hosts { remotes }, errors)
    }

    pub fn get(&self, host: &str) -> Option<Arc<Remote>> {
        self.remotes.get(host).cloned()
    }

    /// These connections and `more` together (closing the result closes only `more`'s; these
    /// stay open for their owner).
    pub fn joined(&self, more: Hosts) -> Hosts {
        let mut remotes = self.remotes.clone();
        for (host, remote) in more.remotes {
            remotes.entry(host).or_insert(remote);
        }
        Hosts { remotes }
    }

    /// No connection at all.
    pub fn none() -> Hosts {
        Hosts {
            remotes: BTreeMap::new(),
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<Remote>> {
        self.remotes.values()
    }

    pub async fn close(self) {
        for (_, r) in self.remotes {
            if let Ok(r) = Arc::try_unwrap(r) {
                r.close().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_failures_are_told_apart() {
        let text = "No ED25519 host key is known for 10.77.0.11 and you have requested strict checking.\r\nHost key verification failed.";
        assert!(matches!(
            classify_connect_error("10.77.0.11", 10, text),
            SshError::HostKey { .. }
        ));
        let refused = "ssh: connect to host 10.77.0.99 port 22: Connection timed out";
        let e = classify_connect_error("10.77.0.99", 10, refused);
        assert_eq!(
            e.to_string(),
            "host 10.77.0.99: no SSH connection within 10s: ssh: connect to host 10.77.0.99 port 22: Connection timed out"
        );
    }
}
