//! The logical backup (`backup --logical`): the script that dumps a node with `mariadb-dump`,
//! the script that loads a dump as root, and the reading of a dump back (its position, the
//! server's version, whether it is complete). Pure: text in, findings out.

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

/// What reading a dump found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRead {
    pub uuid: String,
    pub seqno: i64,
    pub server_version: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DumpError {
    #[error("not a galeractl logical backup: its first line is not {FIRST_LINE:?}")]
    NotOurs,
    #[error("the dump has no Galera position (a line {POSITION_PREFIX:?}UUID:SEQNO)")]
    NoPosition,
    #[error("the dump is incomplete: its last line is not {LAST_LINE:?} (a dump failed or the file was cut)")]
    Incomplete,
}

/// How much of the dump's beginning is kept: the header lines are in its first kilobytes.
const HEAD: usize = 64 * 1024;

/// Reads a dump as it passes: its beginning (the position, the version) and its end.
#[derive(Debug, Default)]
pub struct Scanner {
    head: Vec<u8>,
    tail: Vec<u8>,
    bytes: u64,
}

impl Scanner {
    pub fn feed(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        let room = HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&data[..room.min(data.len())]);
        self.tail.extend_from_slice(data);
        let keep = LAST_LINE.len() + 2;
        if self.tail.len() > keep {
            self.tail.drain(..self.tail.len() - keep);
        }
    }

    pub fn finish(self) -> Result<DumpRead, DumpError> {
        let head = String::from_utf8_lossy(&self.head);
        let mut lines = head.lines();
        if lines.next() != Some(FIRST_LINE) {
            return Err(DumpError::NotOurs);
        }
        let tail = String::from_utf8_lossy(&self.tail);
        if tail.trim_end_matches('\n').lines().last() != Some(LAST_LINE) {
            return Err(DumpError::Incomplete);
        }
        let (uuid, seqno) = lines
            .next()
            .and_then(|l| l.strip_prefix(POSITION_PREFIX))
            .and_then(|at| at.rsplit_once(':'))
            .and_then(|(u, s)| Some((u.to_string(), s.trim().parse::<i64>().ok()?)))
            .filter(|(u, s)| crate::recover::is_uuid(u) && *s >= 0)
            .ok_or(DumpError::NoPosition)?;
        let server_version = head
            .lines()
            .find_map(|l| l.strip_prefix("-- Server version"))
            .map_or_else(|| "unknown".into(), |v| v.trim().to_string());
        Ok(DumpRead {
            uuid,
            seqno,
            server_version,
            bytes: self.bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07";

    fn dump(body: &str) -> String {
        format!("{FIRST_LINE}\n{POSITION_PREFIX}{UUID}:42\n-- MariaDB dump 10.19\n-- Server version\t10.11.19-MariaDB-0+deb12u1\n{body}{LAST_LINE}\n")
    }

    fn read(text: &str, piece: usize) -> Result<DumpRead, DumpError> {
        let mut s = Scanner::default();
        for chunk in text.as_bytes().chunks(piece) {
            s.feed(chunk);
        }
        s.finish()
    }

    #[test]
    fn reads_the_position_and_version_in_any_pieces() {
        let text = dump(&"INSERT INTO t VALUES (1);\n".repeat(5000));
        for piece in [1, 7, 4096, 1 << 20] {
            assert_eq!(
                read(&text, piece),
                Ok(DumpRead {
                    uuid: UUID.into(),
                    seqno: 42,
                    server_version: "10.11.19-MariaDB-0+deb12u1".into(),
                    bytes: text.len() as u64,
                }),
                "{piece}"
            );
        }
    }

    #[test]
    fn refuses_a_cut_a_foreign_or_a_positionless_dump() {
        let text = dump("INSERT INTO t VALUES (1);\n");
        let cut = &text[..text.len() - 5];
        assert_eq!(read(cut, 3), Err(DumpError::Incomplete));
        assert_eq!(
            read(&text.replacen(FIRST_LINE, "-- MariaDB dump", 1), 64),
            Err(DumpError::NotOurs)
        );
        assert_eq!(
            read(&text.replace(":42", ":"), 64),
            Err(DumpError::NoPosition)
        );
        assert_eq!(
            read(&text.replace(UUID, "not-a-uuid"), 64),
            Err(DumpError::NoPosition)
        );
        assert_eq!(read("", 1), Err(DumpError::NotOurs));
    }

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
