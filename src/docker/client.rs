//! Commands in a node's container as its own clients: `docker logs` (`galeractl logs`), the
//! node's `mariadb` client as root for the operator (`galeractl sql`), and SQL on stdin run as
//! root through the node's socket (`root_sql`, for plans). Root's password is read inside the
//! container from the mounted secret, never put on a command line. User words stay separate
//! words of the argv (the SSH edge quotes each one for the remote shell).

use crate::argv::{words, Argv};
use crate::inventory::layout::{ROOT_PASSWORD_FILE, SECRETS_MOUNT};
use crate::inventory::{Inventory, Node};

/// `docker logs` of `container`, stderr into stdout (the server logs on stderr). With
/// `follow`, a watcher ends it when the SSH channel's stdin closes (fd 3: a background job's
/// own stdin is /dev/null), so that closing the
/// session (Ctrl-C) ends it on the host too, even while the container logs nothing.
pub fn logs(container: &str, since: Option<&str>, follow: bool) -> Argv {
    let script = if follow {
        "exec 3<&0; docker logs \"$@\" 2>&1 & p=$!; (cat <&3 >/dev/null; kill $p 2>/dev/null) >/dev/null 2>&1 & exec 3<&-; wait $p"
    } else {
        "exec docker logs \"$@\" 2>&1"
    };
    let mut a = words(&["sh", "-c", script, "sh"]);
    if let Some(since) = since {
        a.push("--since".into());
        a.push(since.to_string());
    }
    if follow {
        a.push("--follow".into());
    }
    a.push(container.to_string());
    a
}

/// The script `sql` runs inside the node container: root's password, read from the mounted
/// secret, goes into a 0600 option file (umask 077) that only the client reads, then the
/// client runs with the operator's words as its own arguments, through the server's socket
/// (root is `localhost` only). The file is removed when the client ends.
pub const SQL_SCRIPT: &str = r#"umask 077
f=$(mktemp) || exit 1
trap 'rm -f "$f"' EXIT
awk 'NR == 1 { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "[client]\nuser=root\npassword=\"%s\"\n", $0 }' \
  "$SECRET" >"$f" || exit 1
mariadb --defaults-extra-file="$f" "$@"
"#;

/// `docker exec` of the node's own `mariadb` client as root, without a password on any
/// command line: `-i` always (piped stdin), `-t` too for a terminal; `args` are the
/// client's arguments, each its own word.
pub fn sql(container: &str, tty: bool, args: &[String]) -> Argv {
    let mut a = words(&["docker", "exec", "-i"]);
    if tty {
        a.push("-t".into());
    }
    a.extend([
        "-e".to_string(),
        format!("SECRET={SECRETS_MOUNT}/{ROOT_PASSWORD_FILE}"),
        container.to_string(),
        "sh".into(),
        "-c".into(),
        SQL_SCRIPT.into(),
        "sh".into(),
    ]);
    a.extend(args.iter().cloned());
    a
}

/// Run with bash in a node's container: the SQL on stdin run as root through the node's
/// socket, the password read from galeractl's secret file into a 0600 option file (by shell
/// builtins: never on a command line), removed after.
pub fn root_sql_script() -> String {
    format!(
        "set -euo pipefail\n\
         f=$(mktemp)\n\
         trap 'rm -f \"$f\"' EXIT\n\
         p=$(cat {SECRETS_MOUNT}/{ROOT_PASSWORD_FILE})\n\
         p=${{p//\\\\/\\\\\\\\}}\n\
         p=${{p//\\\"/\\\\\\\"}}\n\
         printf '[client]\\nuser=root\\npassword=\"%s\"\\n' \"$p\" >\"$f\"\n\
         mariadb --defaults-extra-file=\"$f\" --binary-mode\n"
    )
}

/// `docker exec` of [`root_sql_script`] in the node's container: the SQL on its stdin runs as
/// root through the node's own socket.
pub fn root_sql(inventory: &Inventory, node: &Node) -> Argv {
    let mut a = words(&["docker", "exec", "-i"]);
    a.push(inventory.container_name(node));
    a.extend(words(&["bash", "-c"]));
    a.push(root_sql_script());
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;

    #[test]
    fn logs_argv() {
        assert_eq!(
            shell_join(&logs("local-test-nodeb", Some("1m"), false)),
            "sh -c 'exec docker logs \"$@\" 2>&1' sh --since 1m local-test-nodeb"
        );
        let follow = logs("c", None, true);
        assert_eq!(&follow[4..], ["--follow", "c"]);
    }

    #[test]
    fn sql_argv_keeps_the_words_apart_and_no_password() {
        let args = vec![
            "-e".to_string(),
            "select 'a;b', \"c\"; select 2".to_string(),
        ];
        let a = sql("local-test-nodea", false, &args);
        assert_eq!(
            a[..6],
            [
                "docker",
                "exec",
                "-i",
                "-e",
                "SECRET=/run/secrets/galeractl/root-password",
                "local-test-nodea"
            ]
        );
        assert_eq!(a[6..8], ["sh", "-c"]);
        assert_eq!(a[9..], ["sh", "-e", "select 'a;b', \"c\"; select 2"]);
        assert!(sql("c", true, &[]).contains(&"-t".to_string()));
    }

    /// Review 2, L-4: the option file quotes and escapes the root password the same way for
    /// every root statement (an unquoted `#` ended the value; quotes and `\\` were read as
    /// syntax).
    #[test]
    fn root_sql_quotes_the_root_password() {
        let inventory = super::super::fixture::inventory("");
        let argv = root_sql(&inventory, &inventory.nodes[0]);
        assert_eq!(argv[..6], ["docker", "exec", "-i", "c-a", "bash", "-c"]);
        assert_eq!(argv[6], root_sql_script());
        assert_eq!(argv.len(), 7);
        assert_eq!(
            root_sql_script(),
            r#"set -euo pipefail
f=$(mktemp)
trap 'rm -f "$f"' EXIT
p=$(cat /run/secrets/galeractl/root-password)
p=${p//\\/\\\\}
p=${p//\"/\\\"}
printf '[client]\nuser=root\npassword="%s"\n' "$p" >"$f"
mariadb --defaults-extra-file="$f" --binary-mode
"#
        );
    }
}
