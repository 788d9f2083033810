//! What goes wrong on a host: `SshError`, ssh's own words about a failed connection told
//! apart (`classify_connect_error`), and an error's whole chain as one line.

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

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
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
