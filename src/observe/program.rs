//! Whether an image runs a program (garbd in the arbitrator's image, haproxy in HAProxy's):
//! the program itself, started in a one-off container without network, asked for its version.
//! A container started from an image without it would loop `Restarting (127)`.

use crate::ssh::{Remote, SshError};

pub use crate::facts::ProgramCheck;

/// Reads docker's exit code and output into a [`ProgramCheck`].
pub fn judge(code: i32, output: &str) -> ProgramCheck {
    let mut lines = output.lines().map(str::trim).filter(|l| !l.is_empty());
    match code {
        0 => ProgramCheck::Runs,
        // docker's own error comes first, its advice after.
        126 | 127 => ProgramCheck::Missing(lines.next().unwrap_or_default().to_string()),
        _ => ProgramCheck::Fails(code, lines.next_back().unwrap_or_default().to_string()),
    }
}

/// Runs the check ([`crate::docker::read::run_program`]: the same entrypoint the container
/// gets, so the same `PATH` and user) on the host of `remote`; the image must be there.
pub async fn check(
    remote: &Remote,
    image: &str,
    program: &str,
    flag: &str,
) -> Result<ProgramCheck, SshError> {
    let out = remote
        .run(
            &crate::docker::read::run_program(image, program, flag),
            None,
            remote.command_timeout(),
        )
        .await?;
    Ok(judge(out.code, &format!("{}\n{}", out.stdout, out.stderr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_exit_codes_tell_a_missing_program_from_a_failing_one() {
        assert_eq!(judge(0, "garbd: 26.4.20\n"), ProgramCheck::Runs);
        // docker's words when the entrypoint is not in the image: the error, then advice.
        let error = "docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"garbd\": executable file not found in $PATH: unknown";
        let missing = format!("\n{error}\n\nRun 'docker run --help' for more information\n");
        assert_eq!(judge(127, &missing), ProgramCheck::Missing(error.into()));
        assert_eq!(
            judge(1, "unknown option\n\n"),
            ProgramCheck::Fails(1, "unknown option".into())
        );
    }
}
