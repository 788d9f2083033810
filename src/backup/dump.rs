//! The logical backup (`backup --logical`) read back: its position, the server's version,
//! whether it is complete. Pure: text in, findings out. The script that dumps a node with
//! `mariadb-dump` (and writes the lines read here) is `docker::dump::dump_script`; a dump is
//! loaded as root through `docker::root_sql`.

pub use crate::docker::dump::{FIRST_LINE, LAST_LINE, POSITION_PREFIX};

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
}
