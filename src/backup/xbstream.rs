//! mariabackup's stream format (`--stream=xbstream`), read as it passes: every chunk's CRC-32
//! checked, every file ended, and the small metadata files mariabackup writes (its Galera
//! position, its info) kept. Pure: bytes in, findings out.
//!
//! A chunk is `XBSTCK01`, a flags byte, a type byte (`P` payload, `E` end of file), the path's
//! length (u32, little-endian) and the path; a payload chunk then has its length (u64), its
//! offset in the file (u64), the CRC-32 of the payload (u32) and the payload.

use std::collections::BTreeMap;

const MAGIC: &[u8; 8] = b"XBSTCK01";
/// Magic, flags, type, path length.
const FIXED: usize = 14;
/// Payload length, offset, checksum.
const PAYLOAD_HEADER: usize = 20;
/// Paths longer than this are not mariabackup's.
const MAX_PATH: usize = 4096;
/// The files kept whole, and how much of each at most.
pub const KEPT: [&str; 2] = ["xtrabackup_galera_info", "xtrabackup_info"];
const MAX_KEPT: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("not a mariabackup stream at byte {at}: no chunk magic")]
    Magic { at: u64 },
    #[error("mariabackup stream at byte {at}: unknown chunk type {kind:?}")]
    Kind { at: u64, kind: char },
    #[error("mariabackup stream at byte {at}: a path of {len} bytes")]
    Path { at: u64, len: usize },
    #[error("mariabackup stream: the checksum of a chunk of {path} (ending at byte {at}) is wrong: the backup is damaged")]
    Checksum { path: String, at: u64 },
    #[error("mariabackup stream: it ends inside a chunk at byte {at}: the backup is incomplete")]
    Truncated { at: u64 },
    #[error("mariabackup stream: no file in it")]
    Empty,
}

enum State {
    Header,
    Payload {
        path: String,
        left: u64,
        crc: crc32fast::Hasher,
        expect: u32,
        keep: bool,
    },
}

/// What a whole stream held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// Files ended in the stream.
    pub files: usize,
    pub bytes: u64,
    /// The files of [`KEPT`] that were in it, whole.
    pub kept: BTreeMap<String, Vec<u8>>,
}

pub struct Scanner {
    header: Vec<u8>,
    state: State,
    at: u64,
    files: usize,
    kept: BTreeMap<String, Vec<u8>>,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            header: Vec::with_capacity(64),
            state: State::Header,
            at: 0,
            files: 0,
            kept: BTreeMap::new(),
        }
    }
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(w)
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

impl Scanner {
    /// Reads the next bytes of the stream.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), StreamError> {
        while !data.is_empty() {
            let taken = match &mut self.state {
                State::Header => self.header_bytes(data)?,
                State::Payload {
                    path,
                    left,
                    crc,
                    expect,
                    keep,
                } => {
                    let n = usize::try_from(*left).map_or(data.len(), |l| l.min(data.len()));
                    crc.update(&data[..n]);
                    if *keep {
                        let kept = self.kept.entry(path.clone()).or_default();
                        let room = MAX_KEPT.saturating_sub(kept.len()).min(n);
                        kept.extend_from_slice(&data[..room]);
                    }
                    *left -= n as u64;
                    if *left == 0 {
                        let sum = std::mem::take(crc).finalize();
                        if sum != *expect {
                            return Err(StreamError::Checksum {
                                path: path.clone(),
                                at: self.at + n as u64,
                            });
                        }
                        self.state = State::Header;
                    }
                    n
                }
            };
            self.at += taken as u64;
            data = &data[taken..];
        }
        Ok(())
    }

    /// Takes header bytes from `data`; starts the chunk once its header is whole.
    fn header_bytes(&mut self, data: &[u8]) -> Result<usize, StreamError> {
        let start = self.at - self.header.len() as u64;
        let mut need = FIXED;
        if self.header.len() >= FIXED {
            let len = u32_at(&self.header, 10) as usize;
            need += len;
            if self.header[9] == b'P' {
                need += PAYLOAD_HEADER;
            }
        }
        let n = need.saturating_sub(self.header.len()).min(data.len());
        self.header.extend_from_slice(&data[..n]);
        if self.header.len() < need {
            return Ok(n);
        }
        if need == FIXED {
            // The fixed part is whole: check it, then read the rest of the header.
            if &self.header[..8] != MAGIC {
                return Err(StreamError::Magic { at: start });
            }
            let kind = self.header[9];
            if kind != b'P' && kind != b'E' {
                return Err(StreamError::Kind {
                    at: start,
                    kind: char::from(kind),
                });
            }
            let len = u32_at(&self.header, 10) as usize;
            if len == 0 || len > MAX_PATH {
                return Err(StreamError::Path { at: start, len });
            }
            return Ok(n);
        }
        let len = u32_at(&self.header, 10) as usize;
        let path = String::from_utf8_lossy(&self.header[FIXED..FIXED + len]).into_owned();
        if self.header[9] == b'E' {
            self.files += 1;
        } else {
            let p = FIXED + len;
            let left = u64_at(&self.header, p);
            let expect = u32_at(&self.header, p + 16);
            let keep = KEPT.contains(&path.as_str());
            self.state = if left == 0 {
                if expect != 0 && expect != crc32fast::hash(&[]) {
                    return Err(StreamError::Checksum {
                        path,
                        at: self.at + n as u64,
                    });
                }
                State::Header
            } else {
                State::Payload {
                    path,
                    left,
                    crc: crc32fast::Hasher::new(),
                    expect,
                    keep,
                }
            };
        }
        self.header.clear();
        Ok(n)
    }

    /// The end of the stream: it must end between chunks, after at least one file.
    pub fn finish(self) -> Result<Contents, StreamError> {
        if !self.header.is_empty() || !matches!(self.state, State::Header) {
            return Err(StreamError::Truncated { at: self.at });
        }
        if self.files == 0 {
            return Err(StreamError::Empty);
        }
        Ok(Contents {
            files: self.files,
            bytes: self.at,
            kept: self.kept,
        })
    }
}

/// `xtrabackup_galera_info`: `UUID:SEQNO` (then, in newer versions, a GTID domain).
pub fn galera_position(text: &str) -> Option<(String, i64)> {
    let first = text.split_whitespace().next()?;
    let (uuid, seqno) = first.rsplit_once(':')?;
    let seqno = seqno.parse::<i64>().ok().filter(|s| *s >= 0)?;
    crate::recover::is_uuid(uuid).then(|| (uuid.to_ascii_lowercase(), seqno))
}

/// A `key = value` line of `xtrabackup_info`.
pub fn info_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key)
            .then(|| v.trim())
            .filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of `files`, each in chunks of at most `chunk` bytes, as mariabackup writes it.
    fn stream(files: &[(&str, &[u8])], chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, data) in files {
            let head = |out: &mut Vec<u8>, kind: u8| {
                out.extend_from_slice(MAGIC);
                out.push(0);
                out.push(kind);
                // Paths are file names of a backup (checked short before): a u32 holds them.
                #[allow(clippy::cast_possible_truncation)]
                out.extend_from_slice(&(path.len() as u32).to_le_bytes());
                out.extend_from_slice(path.as_bytes());
            };
            for (i, part) in data.chunks(chunk).enumerate() {
                head(&mut out, b'P');
                out.extend_from_slice(&(part.len() as u64).to_le_bytes());
                out.extend_from_slice(&((i * chunk) as u64).to_le_bytes());
                out.extend_from_slice(&crc32fast::hash(part).to_le_bytes());
                out.extend_from_slice(part);
            }
            head(&mut out, b'E');
        }
        out
    }

    fn scan(bytes: &[u8], piece: usize) -> Result<Contents, StreamError> {
        let mut s = Scanner::default();
        for p in bytes.chunks(piece) {
            s.feed(p)?;
        }
        s.finish()
    }

    const INFO: &[u8] = b"86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07:11 0\n";

    #[test]
    fn keeps_the_position_whatever_the_pieces() {
        let big = vec![7u8; 10_000];
        let bytes = stream(
            &[
                ("ibdata1", &big),
                ("xtrabackup_galera_info", INFO),
                ("xtrabackup_info", b"server_version = 10.11.19-MariaDB\n"),
            ],
            4096,
        );
        for piece in [1, 3, 13, 64, 4096, bytes.len()] {
            let c = scan(&bytes, piece).unwrap_or_else(|e| panic!("{piece}: {e}"));
            assert_eq!(c.files, 3);
            assert_eq!(c.bytes, bytes.len() as u64);
            assert_eq!(c.kept["xtrabackup_galera_info"], INFO);
            assert!(!c.kept.contains_key("ibdata1"));
        }
        let info = String::from_utf8_lossy(INFO);
        assert_eq!(
            galera_position(&info),
            Some(("86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07".into(), 11))
        );
        assert_eq!(
            info_field(
                "a = 1\nserver_version = 10.11.19-MariaDB\n",
                "server_version"
            ),
            Some("10.11.19-MariaDB")
        );
    }

    #[test]
    fn damage_is_found() {
        let bytes = stream(&[("ibdata1", &[1u8; 100]), ("x", b"y")], 40);
        let mut flipped = bytes.clone();
        flipped[60] ^= 1;
        assert!(matches!(
            scan(&flipped, 7),
            Err(StreamError::Checksum { path, .. }) if path == "ibdata1"
        ));
        assert_eq!(
            scan(&bytes[..bytes.len() - 3], 7),
            Err(StreamError::Truncated {
                at: bytes.len() as u64 - 3
            })
        );
        assert_eq!(
            scan(b"garbage garbage", 4),
            Err(StreamError::Magic { at: 0 })
        );
        assert_eq!(scan(b"", 1), Err(StreamError::Empty));
        assert_eq!(galera_position("nonsense"), None);
        assert_eq!(
            galera_position("86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07:-1"),
            None
        );
    }

    /// A stream mariabackup 10.11 wrote on a scratch server, when present (GALERACTL_XBSTREAM).
    #[test]
    fn a_real_stream_when_given() {
        let Some(path) = std::env::var_os("GALERACTL_XBSTREAM") else {
            return;
        };
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
        let c = scan(&bytes, 1 << 20).unwrap_or_else(|e| panic!("{e}"));
        let info = String::from_utf8_lossy(&c.kept["xtrabackup_galera_info"]).into_owned();
        assert!(galera_position(&info).is_some(), "{info}");
    }
}
