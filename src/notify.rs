//! Telling people, the pure half: what one notification carries (`Note`: its log line, its
//! JSON document, the environment of a notify command), journald's priority prefix on a plain
//! log line, and the rule for the file that holds a webhook's URL. The edge is `send.rs`.

pub mod send;

/// One notification: the log line on stderr, the JSON a webhook and a notify command get, and
/// the variables the command gets beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub line: String,
    pub json: String,
    pub env: Vec<(&'static str, String)>,
}

/// A line of a program's own log: journald's "informational" prefix (`<6>`) when journald
/// reads stderr.
pub fn log_line(journald: bool, line: &str) -> String {
    if journald {
        format!("<6>{line}")
    } else {
        line.to_string()
    }
}

/// Why a webhook's URL file is refused for its mode (its URL may hold a token), or `None`.
pub fn webhook_mode_refusal(mode: u32) -> Option<String> {
    let mode = mode & 0o777;
    (mode & 0o077 != 0)
        .then(|| format!("mode {mode:04o}: the webhook's URL may hold a token; chmod 600 it"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journald_prefix_and_the_url_files_mode() {
        assert_eq!(log_line(true, "watch: hello"), "<6>watch: hello");
        assert_eq!(log_line(false, "watch: hello"), "watch: hello");
        assert_eq!(webhook_mode_refusal(0o100_600), None);
        assert_eq!(webhook_mode_refusal(0o400), None);
        assert_eq!(
            webhook_mode_refusal(0o100_644),
            Some("mode 0644: the webhook's URL may hold a token; chmod 600 it".into())
        );
        assert_eq!(
            webhook_mode_refusal(0o660),
            Some("mode 0660: the webhook's URL may hold a token; chmod 600 it".into())
        );
    }
}
