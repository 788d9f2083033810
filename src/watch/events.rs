//! What watch tells people: one event per fault seen or gone, action started, done or failed,
//! and cluster given up; as a log line, and as the JSON document a webhook or a command gets.

use serde::Serialize;

use crate::notify::Note;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    FaultSeen,
    FaultGone,
    ActionStarted,
    ActionDone,
    ActionFailed,
    /// An operator's command held the cluster's lock: watch waited.
    LockHeld,
    GaveUp,
}

impl EventKind {
    pub fn name(self) -> &'static str {
        match self {
            EventKind::FaultSeen => "fault_seen",
            EventKind::FaultGone => "fault_gone",
            EventKind::ActionStarted => "action_started",
            EventKind::ActionDone => "action_done",
            EventKind::ActionFailed => "action_failed",
            EventKind::LockHeld => "lock_held",
            EventKind::GaveUp => "gave_up",
        }
    }

    /// Its syslog priority, which journald reads from a `<N>` prefix: errors for what needs a
    /// person, warnings for faults, notices for the rest.
    pub fn priority(self) -> u8 {
        match self {
            EventKind::GaveUp | EventKind::ActionFailed => 3,
            EventKind::FaultSeen => 4,
            _ => 5,
        }
    }
}

/// One event: the JSON document (`docs/src/watch.md`) is this struct with `unix_time` set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub cluster: String,
    pub kind: EventKind,
    pub detail: String,
    /// The command watch runs, when the event is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Seconds the action took, when it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    pub unix_time: i64,
}

impl Event {
    pub fn new(cluster: &str, kind: EventKind, detail: &str) -> Event {
        Event {
            cluster: cluster.to_string(),
            kind,
            detail: detail.to_string(),
            command: None,
            seconds: None,
            unix_time: 0,
        }
    }

    pub fn with_command(mut self, command: String) -> Event {
        self.command = Some(command);
        self
    }

    /// The log line: `cluster=NAME event=KIND ... detail`, one line whatever the detail holds,
    /// with journald's priority prefix when `journald` is true.
    pub fn log_line(&self, journald: bool) -> String {
        let mut line = String::new();
        if journald {
            line.push_str(&format!("<{}>", self.kind.priority()));
        }
        line.push_str(&format!(
            "watch: cluster={} event={}",
            self.cluster,
            self.kind.name()
        ));
        if let Some(c) = &self.command {
            line.push_str(&format!(" command=\"{c}\""));
        }
        if let Some(s) = self.seconds {
            line.push_str(&format!(" seconds={s:.1}"));
        }
        line.push_str(": ");
        line.push_str(&self.detail.replace('\n', " / "));
        line
    }

    /// What is sent of it: the log line, the JSON document, and the notify command's
    /// `GALERACTL_EVENT` and `GALERACTL_CLUSTER`.
    pub fn note(&self, journald: bool) -> Result<Note, String> {
        Ok(Note {
            line: self.log_line(journald),
            json: serde_json::to_string(self).map_err(|e| e.to_string())?,
            env: vec![
                ("GALERACTL_EVENT", self.kind.name().to_string()),
                ("GALERACTL_CLUSTER", self.cluster.clone()),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_holds_the_line_the_json_and_the_commands_environment() {
        let mut e = Event::new("shop", EventKind::FaultSeen, "nodeb down");
        e.unix_time = 1_700_000_000;
        assert_eq!(
            e.note(false),
            Ok(Note {
                line: "watch: cluster=shop event=fault_seen: nodeb down".into(),
                json: r#"{"cluster":"shop","kind":"fault_seen","detail":"nodeb down","unix_time":1700000000}"#.into(),
                env: vec![
                    ("GALERACTL_EVENT", "fault_seen".into()),
                    ("GALERACTL_CLUSTER", "shop".into()),
                ],
            })
        );
        assert_eq!(
            e.note(true).map(|n| n.line),
            Ok("<4>watch: cluster=shop event=fault_seen: nodeb down".into())
        );
    }
}
