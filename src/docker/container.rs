//! Commands on any container or volume by its name: a clean stop, a removal, a command run in
//! it. Pure builders; the planners give them the names the inventory makes.

use crate::argv::{words, Argv};

/// A clean stop within [`STOP_TIMEOUT_SECS`](super::STOP_TIMEOUT_SECS).
pub fn stop(container: &str) -> Argv {
    let mut a = words(&["docker", "stop", "--time"]);
    a.push(super::STOP_TIMEOUT_SECS.to_string());
    a.push(container.to_string());
    a
}

/// Restarts a container, giving it `secs` to stop.
pub fn restart(container: &str, secs: u32) -> Argv {
    vec![
        "docker".into(),
        "restart".into(),
        "--time".into(),
        secs.to_string(),
        container.to_string(),
    ]
}

/// Removes a stopped container.
pub fn remove(container: &str) -> Argv {
    words(&["docker", "rm", container])
}

/// Removes a container, running or not.
pub fn remove_forced(container: &str) -> Argv {
    words(&["docker", "rm", "--force", container])
}

/// Deletes a volume (its data).
pub fn remove_volume(volume: &str) -> Argv {
    words(&["docker", "volume", "rm", volume])
}

/// Runs `command` in a running container.
pub fn exec(container: &str, command: &[&str]) -> Argv {
    let mut a = words(&["docker", "exec", container]);
    a.extend(command.iter().map(std::string::ToString::to_string));
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_commands_are_exact() {
        assert_eq!(stop("x"), ["docker", "stop", "--time", "120", "x"]);
        assert_eq!(restart("x", 5), ["docker", "restart", "--time", "5", "x"]);
        assert_eq!(remove("x"), ["docker", "rm", "x"]);
        assert_eq!(remove_forced("x"), ["docker", "rm", "--force", "x"]);
        assert_eq!(remove_volume("v"), ["docker", "volume", "rm", "v"]);
        assert_eq!(
            exec("x", &["mariadb", "-e", "SELECT 1"]),
            ["docker", "exec", "x", "mariadb", "-e", "SELECT 1"]
        );
    }
}
