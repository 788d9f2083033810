//! `galeractl watch --unit`: a hardened systemd unit that runs watch as a service.

/// The unit for watch at `exe`, watching `inventories` (absolute paths), with `extra` flags.
/// SIGTERM goes to watch alone (`KillMode=mixed`): an action under way is a child process that
/// finishes, or compensates, before watch exits.
pub fn systemd_unit(exe: &str, inventories: &[String], extra: &[String]) -> String {
    let mut argv = vec![exe.to_string(), "watch".to_string()];
    argv.extend(extra.iter().cloned());
    argv.extend(inventories.iter().cloned());
    let command: Vec<String> = argv.iter().map(|w| unit_word(w)).collect();
    format!(
        "[Unit]
Description=galeractl watch: heal the Galera cluster(s) {names}
Documentation=man:galeractl(1)
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
ExecStart={command}
Restart=on-failure
RestartSec=5s
# An action under way (recover, start-node) runs to its end or compensates: up to its own
# deadlines. SIGTERM reaches watch alone; its child keeps running until it is done.
KillMode=mixed
TimeoutStopSec=15min
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictRealtime=yes
SystemCallArchitectures=native
UMask=0077
# ssh's control sockets (the openssh crate puts them under $XDG_STATE_HOME), SSH's known_hosts
# and the inventories' directories are written by the commands watch runs.
StateDirectory=galeractl
Environment=XDG_STATE_HOME=/var/lib/galeractl
ReadWritePaths={writable}

[Install]
WantedBy=multi-user.target
",
        names = inventories
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
            .collect::<Vec<_>>()
            .join(" "),
        command = command.join(" "),
        writable = writable_dirs(inventories)
            .iter()
            .map(|d| unit_word(d))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The inventories' directories (their secrets and the cluster's CA live beside them) and
/// root's SSH directory.
fn writable_dirs(inventories: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = inventories
        .iter()
        .map(|p| match p.rsplit_once('/') {
            Some(("", _)) => "/".to_string(),
            Some((dir, _)) => dir.to_string(),
            None => ".".to_string(),
        })
        .collect();
    dirs.push("-/root/.ssh".into());
    dirs.sort();
    dirs.dedup();
    dirs
}

/// A word of ExecStart=, quoted as systemd reads it when it holds a space, a quote or a
/// backslash; `%` and `$` doubled (systemd's specifiers and variables).
fn unit_word(word: &str) -> String {
    let word = word.replace('%', "%%").replace('$', "$$");
    if word.is_empty()
        || word
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\' || c == ';')
    {
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        word
    }
}
