//! The cluster lock's host commands (see `lock.rs` for the lock itself): each is
//! `sh -c SCRIPT NAME ARGS...`, the paths and the token passed as positional parameters, never
//! inside the script's text. Their exit codes are [`EXIT_HELD`] and [`EXIT_ABSENT`]; the
//! holder file travels on stdin and stdout. Pure builders; `lock/edge.rs` runs them.

use crate::argv::Argv;

/// Exit status of the host commands below when the lock exists and is not ours (their stdout
/// is then the holder file, possibly empty).
pub const EXIT_HELD: i32 = 3;
/// Exit status of the host commands below when there is no lock.
pub const EXIT_ABSENT: i32 = 4;

/// Makes the cluster directory if needed, then the lock directory, atomically, then writes the
/// holder from stdin (to a temporary name renamed into place, so a reader sees either no holder
/// or a whole one). Exit 0: taken. Exit 3: the lock exists; stdout is its holder file (empty
/// while it is being written). Any other status: a failure, on stderr.
const ACQUIRE_SCRIPT: &str = r#"mkdir -p -m 0700 -- "$1" || exit 2
if err=$(mkdir -- "$2" 2>&1); then
  if cat >"$2/holder.new" && mv -f -- "$2/holder.new" "$2/holder"; then exit 0; fi
  rm -rf -- "$2"; exit 2
fi
if [ -d "$2" ]; then cat -- "$2/holder" 2>/dev/null; exit 3; fi
printf '%s\n' "$err" >&2; exit 2"#;

/// Removes the lock only if its holder carries our token: renamed away first (atomic), then
/// deleted. Exit 0: released. Exit 3: someone else's; stdout is its holder. Exit 4: no lock.
const RELEASE_SCRIPT: &str = r#"[ -d "$1" ] || exit 4
if grep -qxF -e "token=$2" -- "$1/holder" 2>/dev/null; then
  t="$1.released.$$"; rm -rf -- "$t"; mv -- "$1" "$t" || exit 2; rm -rf -- "$t"; exit 0
fi
cat -- "$1/holder" 2>/dev/null; exit 3"#;

/// Prints the holder. Exit 0: locked; stdout is the holder file (empty when it has none).
/// Exit 4: no lock.
const READ_SCRIPT: &str = r#"[ -d "$1" ] || exit 4
cat -- "$1/holder" 2>/dev/null; exit 0"#;

/// Removes the lock whoever holds it, and prints the holder it removed: the directory is renamed
/// away first, so the holder printed is the one removed even if another command takes the lock
/// right after. Exit 0: removed. Exit 4: no lock.
const REMOVE_SCRIPT: &str = r#"[ -d "$1" ] || exit 4
t="$1.removed.$$"; rm -rf -- "$t"
if ! mv -- "$1" "$t"; then [ -e "$1" ] && exit 2; exit 4; fi
cat -- "$t/holder" 2>/dev/null; rm -rf -- "$t"; exit 0"#;

fn script(text: &str, name: &str, args: &[&str]) -> Argv {
    let mut a: Argv = vec!["sh".into(), "-c".into(), text.into(), name.into()];
    a.extend(args.iter().map(std::string::ToString::to_string));
    a
}

/// Try to take the lock in `<cluster_dir>/lock`; the holder text goes on stdin.
pub fn acquire(cluster_dir: &str) -> Argv {
    let lock = format!("{cluster_dir}/lock");
    script(ACQUIRE_SCRIPT, "galeractl-lock", &[cluster_dir, &lock])
}

/// Release the lock in `lock_dir` if its holder has `token`.
pub fn release(lock_dir: &str, token: &str) -> Argv {
    script(RELEASE_SCRIPT, "galeractl-unlock", &[lock_dir, token])
}

/// Read the holder of the lock in `lock_dir`.
pub fn read(lock_dir: &str) -> Argv {
    script(READ_SCRIPT, "galeractl-lock-holder", &[lock_dir])
}

/// Remove the lock in `lock_dir` whoever holds it, printing its holder.
pub fn remove(lock_dir: &str) -> Argv {
    script(REMOVE_SCRIPT, "galeractl-unlock", &[lock_dir])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::words;

    #[test]
    fn acquire_argv_is_exact() {
        assert_eq!(
            acquire("/etc/galeractl/lab"),
            words(&[
                "sh",
                "-c",
                "mkdir -p -m 0700 -- \"$1\" || exit 2\n\
                 if err=$(mkdir -- \"$2\" 2>&1); then\n  \
                 if cat >\"$2/holder.new\" && mv -f -- \"$2/holder.new\" \"$2/holder\"; then exit 0; fi\n  \
                 rm -rf -- \"$2\"; exit 2\n\
                 fi\n\
                 if [ -d \"$2\" ]; then cat -- \"$2/holder\" 2>/dev/null; exit 3; fi\n\
                 printf '%s\\n' \"$err\" >&2; exit 2",
                "galeractl-lock",
                "/etc/galeractl/lab",
                "/etc/galeractl/lab/lock",
            ])
        );
    }

    #[test]
    fn release_argv_is_exact() {
        assert_eq!(
            release("/etc/galeractl/lab/lock", "0123456789abcdef"),
            words(&[
                "sh",
                "-c",
                "[ -d \"$1\" ] || exit 4\n\
                 if grep -qxF -e \"token=$2\" -- \"$1/holder\" 2>/dev/null; then\n  \
                 t=\"$1.released.$$\"; rm -rf -- \"$t\"; mv -- \"$1\" \"$t\" || exit 2; rm -rf -- \"$t\"; exit 0\n\
                 fi\n\
                 cat -- \"$1/holder\" 2>/dev/null; exit 3",
                "galeractl-unlock",
                "/etc/galeractl/lab/lock",
                "0123456789abcdef",
            ])
        );
    }

    #[test]
    fn read_argv_is_exact() {
        assert_eq!(
            read("/etc/galeractl/lab/lock"),
            words(&[
                "sh",
                "-c",
                "[ -d \"$1\" ] || exit 4\ncat -- \"$1/holder\" 2>/dev/null; exit 0",
                "galeractl-lock-holder",
                "/etc/galeractl/lab/lock",
            ])
        );
    }

    #[test]
    fn remove_argv_is_exact() {
        assert_eq!(
            remove("/etc/galeractl/lab/lock"),
            words(&[
                "sh",
                "-c",
                "[ -d \"$1\" ] || exit 4\n\
                 t=\"$1.removed.$$\"; rm -rf -- \"$t\"\n\
                 if ! mv -- \"$1\" \"$t\"; then [ -e \"$1\" ] && exit 2; exit 4; fi\n\
                 cat -- \"$t/holder\" 2>/dev/null; rm -rf -- \"$t\"; exit 0",
                "galeractl-unlock",
                "/etc/galeractl/lab/lock",
            ])
        );
    }

    #[test]
    fn a_hostile_path_stays_one_word() {
        let argv = acquire("/etc/galeractl/a b;rm -rf ~");
        assert_eq!(argv[4], "/etc/galeractl/a b;rm -rf ~");
        assert_eq!(argv[5], "/etc/galeractl/a b;rm -rf ~/lock");
        assert_eq!(argv.len(), 6);
    }
}
