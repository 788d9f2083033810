//! The logical backup's script (`backup --logical`): run with bash in a node's container as
//! the backup user, it dumps the accounts that are not the cluster's own and every user
//! database in one snapshot with `mariadb-dump`, between the marker lines that
//! `backup::dump` reads back. Pure text; `docker::backup::dump` runs it.

use crate::inventory::layout::{BACKUP_CNF_FILE, SECRETS_MOUNT};

/// The dump's first line.
pub const FIRST_LINE: &str = "-- galeractl logical backup";
/// The line before the Galera position (`UUID:SEQNO`).
pub const POSITION_PREFIX: &str = "-- galeractl position: ";
/// The dump's last line: written only when every dump before it succeeded.
pub const LAST_LINE: &str = "-- galeractl: complete";
/// The schemas a logical backup leaves out: the server's own, and galeractl's procedure.
pub const SYSTEM_SCHEMAS: [&str; 5] = [
    "mysql",
    "information_schema",
    "performance_schema",
    "sys",
    "galeractl",
];
/// Accounts the dump leaves out: each cluster has its own (the image's, and galeractl's with
/// the inventory's passwords); restoring them would replace those passwords.
/// The dump names an account `user`@`host` or 'user'@'host'. Bash's `$'...'` quoting: `\'`
/// is a quote, `\\` a backslash. `{MONITOR}` is the inventory's monitoring user.
const OWN_ACCOUNTS: &str =
    r"[`\'](root|mysql|mariadb\\.sys|healthcheck|galeractl_[a-z]+|{MONITOR})[`\']@[`\']";

/// A name as an extended regular expression that matches it alone: every character but a
/// letter, digit or `_` in brackets (no backslash, which the quoting would need doubled).
fn literal(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_string()
            } else {
                format!("[{c}]")
            }
        })
        .collect()
}

/// Run with bash in the node's container, as the backup user: the position (the last
/// committed write-set before the snapshot, so the dump holds at least it, read after a causal
/// wait, `wsrep_sync_wait`: the node has applied every write-set the cluster committed before
/// the backup began, wherever it was written), the accounts that
/// are not the cluster's own (`CREATE USER IF NOT EXISTS`, grants), then every user database
/// in one consistent snapshot (`--single-transaction`), routines, events and triggers with it.
pub fn dump_script(monitor_user: &str) -> String {
    let own = OWN_ACCOUNTS.replace("{MONITOR}", &literal(monitor_user));
    let schemas = SYSTEM_SCHEMAS
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "set -euo pipefail\n\
         c=--defaults-extra-file={SECRETS_MOUNT}/{BACKUP_CNF_FILE}\n\
         echo '{FIRST_LINE}'\n\
         at=$(mariadb \"$c\" -N -B -e \"SET SESSION wsrep_sync_wait = 1; SELECT CONCAT(MAX(IF(VARIABLE_NAME = 'WSREP_LOCAL_STATE_UUID', VARIABLE_VALUE, NULL)), ':', MAX(IF(VARIABLE_NAME = 'WSREP_LAST_COMMITTED', VARIABLE_VALUE, NULL))) FROM information_schema.GLOBAL_STATUS\")\n\
         echo \"{POSITION_PREFIX}$at\"\n\
         mariadb-dump \"$c\" --system=users --insert-ignore | grep -v -E $'{own}'\n\
         list=$(mariadb \"$c\" -N -B -e \"SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ({schemas}) ORDER BY 1\")\n\
         if [ -n \"$list\" ]; then\n\
         \x20 mapfile -t dbs <<<\"$list\"\n\
         \x20 mariadb-dump \"$c\" --single-transaction --quick --routines --events --triggers --hex-blob --databases \"${{dbs[@]}}\"\n\
         fi\n\
         echo '{LAST_LINE}'\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_read_secrets_from_files_only() {
        let dump = dump_script("mon.itor");
        assert!(dump.contains("|galeractl_[a-z]+|mon[.]itor)"), "{dump}");
        assert!(dump.contains("--defaults-extra-file=/run/secrets/galeractl/backup.cnf"));
        assert!(dump.contains(
            "NOT IN ('mysql','information_schema','performance_schema','sys','galeractl')"
        ));
        assert!(dump.contains("--single-transaction"));
        let load = crate::docker::root_sql_script();
        assert!(load.contains("p=$(cat /run/secrets/galeractl/root-password)"));
        assert!(load.contains("printf '[client]\\nuser=root\\npassword=\"%s\"\\n' \"$p\" >\"$f\""));
        assert!(load.contains("p=${p//\\\\/\\\\\\\\}\n"), "{load}");
    }
}
