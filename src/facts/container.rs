//! A container's state, in one type for every reader: `docker ps`, `docker container inspect`,
//! the planners, recovery, the waits and the status report.

use std::fmt;

/// What is known of a container's state. Docker's own states keep their names; `Missing` is
/// no container by that name, `Unknown` a state that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    Missing,
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    /// Not read (the host or docker did not answer), and why (empty: not said).
    Unknown(String),
}

impl ContainerState {
    /// The state docker names with `word` (`{{.State}}` of `docker ps`, `{{.State.Status}}` of
    /// `docker container inspect`).
    pub fn from_docker(word: &str) -> ContainerState {
        match word {
            "created" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "removing" => ContainerState::Removing,
            "exited" => ContainerState::Exited,
            "dead" => ContainerState::Dead,
            other => ContainerState::Unknown(format!("docker says {other:?}")),
        }
    }

    /// Its process is there (running, paused, or being restarted by its restart policy).
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
        )
    }

    /// It exists and its process is not there.
    pub fn is_stopped(&self) -> bool {
        matches!(
            self,
            ContainerState::Created
                | ContainerState::Removing
                | ContainerState::Exited
                | ContainerState::Dead
        )
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, ContainerState::Missing)
    }

    /// Its name without the why: docker's word, `missing` or `unknown`.
    pub fn word(&self) -> &'static str {
        match self {
            ContainerState::Missing => "missing",
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Restarting => "restarting",
            ContainerState::Removing => "removing",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
            ContainerState::Unknown(_) => "unknown",
        }
    }

    /// Why it is unknown, when that was said.
    pub fn why(&self) -> Option<&str> {
        match self {
            ContainerState::Unknown(why) if !why.is_empty() => Some(why),
            _ => None,
        }
    }

    /// Running, stopped, missing or unknown: the four recovery tells apart.
    pub fn coarse(&self) -> &'static str {
        if self.is_running() {
            "running"
        } else if self.is_stopped() {
            "stopped"
        } else if self.is_missing() {
            "missing"
        } else {
            "unknown"
        }
    }
}

/// Docker's word for it; `missing`; `unknown (why)`.
impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.why() {
            Some(why) => f.pad(&format!("unknown ({why})")),
            None => f.pad(self.word()),
        }
    }
}

/// As its [`Display`](fmt::Display) text: the `--json` outputs name states as strings.
impl serde::Serialize for ContainerState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// From its [`Display`](fmt::Display) text, as it is serialised (the fact fixtures of
/// `tests/fixtures/` are written so): docker's word, `missing`, `unknown`, `unknown (why)`.
impl<'de> serde::Deserialize<'de> for ContainerState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if let Some(why) = text
            .strip_prefix("unknown (")
            .and_then(|t| t.strip_suffix(')'))
        {
            return Ok(ContainerState::Unknown(why.to_string()));
        }
        match text.as_str() {
            "missing" => Ok(ContainerState::Missing),
            "unknown" => Ok(ContainerState::Unknown(String::new())),
            word => match ContainerState::from_docker(word) {
                ContainerState::Unknown(_) => Err(serde::de::Error::custom(format!(
                    "not a container state: {word:?}"
                ))),
                state => Ok(state),
            },
        }
    }
}

/// A container as the planners see it: its state and the spec hash it was created with (its
/// `io.galeractl.spec` label; empty when it is missing).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Container {
    pub state: ContainerState,
    pub spec: String,
}

impl Container {
    pub fn missing() -> Container {
        Container {
            state: ContainerState::Missing,
            spec: String::new(),
        }
    }

    pub fn running(spec: impl Into<String>) -> Container {
        Container {
            state: ContainerState::Running,
            spec: spec.into(),
        }
    }

    /// Exited: made with `spec`, not running.
    pub fn stopped(spec: impl Into<String>) -> Container {
        Container {
            state: ContainerState::Exited,
            spec: spec.into(),
        }
    }

    /// Of a `docker ps` row (`None`: no such container).
    pub fn of_row(row: Option<&ContainerRow>) -> Container {
        row.map_or_else(Container::missing, |r| Container {
            state: r.state.clone(),
            spec: r.spec.clone(),
        })
    }

    pub fn is_running(&self) -> bool {
        self.state.is_running()
    }

    /// It runs, made with `spec`.
    pub fn runs_spec(&self, spec: &str) -> bool {
        self.is_running() && self.spec == spec
    }

    /// It exists and does not run (the planners: whatever is not running or missing).
    pub fn is_stopped(&self) -> bool {
        !self.is_running() && !self.state.is_missing()
    }
}

/// One container on a host, from `docker ps -a`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerRow {
    pub id: String,
    pub name: String,
    pub state: ContainerState,
    pub cluster: String,
    pub node: String,
    pub spec: String,
    /// It carries `io.galeractl.tls=on`: it runs with TLS.
    #[serde(default)]
    pub tls: bool,
}

impl ContainerRow {
    pub fn is_running(&self) -> bool {
        self.state.is_running()
    }
}

/// A container's state and how often its restart policy has restarted it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Liveness {
    pub state: ContainerState,
    pub restarts: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_words_round_trip() {
        for word in [
            "created",
            "running",
            "paused",
            "restarting",
            "removing",
            "exited",
            "dead",
        ] {
            assert_eq!(ContainerState::from_docker(word).to_string(), word);
        }
        assert_eq!(
            ContainerState::from_docker("odd").to_string(),
            "unknown (docker says \"odd\")"
        );
        assert_eq!(ContainerState::Missing.to_string(), "missing");
        assert_eq!(format!("{:<9}|", ContainerState::Exited), "exited   |");
        assert_eq!(
            ContainerState::Unknown("no route".into()).to_string(),
            "unknown (no route)"
        );
    }

    #[test]
    fn states_read_back_from_their_text() {
        for state in [
            ContainerState::Missing,
            ContainerState::Running,
            ContainerState::Exited,
            ContainerState::Unknown(String::new()),
            ContainerState::Unknown("no route (to host)".into()),
        ] {
            let json = serde_json::to_string(&state).unwrap_or_default();
            let back: Result<ContainerState, _> = serde_json::from_str(&json);
            assert_eq!(back.ok(), Some(state), "{json}");
        }
        assert!(serde_json::from_str::<ContainerState>("\"runing\"").is_err());
    }

    #[test]
    fn coarse_states() {
        assert_eq!(ContainerState::Restarting.coarse(), "running");
        assert_eq!(ContainerState::Dead.coarse(), "stopped");
        assert_eq!(ContainerState::Missing.coarse(), "missing");
        assert_eq!(ContainerState::Unknown(String::new()).coarse(), "unknown");
        assert!(Container::stopped("a").is_stopped());
        assert!(!Container::missing().is_stopped());
        assert!(Container::running("a").runs_spec("a"));
    }
}
