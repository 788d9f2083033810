//! A backup's file on this machine, read back once: its SHA-256 and, by its format, every
//! chunk's checksum and the Galera position mariabackup recorded, or the dump's position and
//! its last line. A file still being written is followed as it grows (`Growing`, `Follower`);
//! `restore` checks a backup's file against its manifest (`check`).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sha2::Digest;

use crate::backup::{self, xbstream, Format, Manifest};

/// What reading a backup's stream back found.
pub struct StreamRead {
    pub uuid: String,
    pub seqno: i64,
    pub server_version: String,
    pub size: u64,
    pub sha256: String,
}

/// Reads a backup's file once: its SHA-256, and, by its format, every chunk's checksum and
/// the Galera position mariabackup recorded, or the dump's position and its last line.
pub fn read_backup(file: &Path, format: Format) -> Result<StreamRead, String> {
    let f =
        std::fs::File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    read_backup_from(f, file, format)
}

/// A file that another process is still writing: at its end, a read waits for more until
/// `done` says the writer has finished (set after the writer exited), then it ends.
pub struct Growing {
    file: std::fs::File,
    done: Arc<AtomicBool>,
}

/// How long a read at the growing file's end waits before it looks again.
const GROWING_POLL: Duration = Duration::from_millis(10);

impl Growing {
    /// Opens the file once the writer has created it (or fails once the writer is done).
    pub fn open(path: &Path, done: &Arc<AtomicBool>) -> Result<Growing, String> {
        loop {
            let finished = done.load(Ordering::SeqCst);
            match std::fs::File::open(path) {
                Ok(file) => {
                    return Ok(Growing {
                        file,
                        done: done.clone(),
                    })
                }
                Err(e) if finished || e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(format!("cannot read {}: {e}", path.display()))
                }
                Err(_) => std::thread::sleep(GROWING_POLL),
            }
        }
    }
}

impl Read for Growing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let finished = self.done.load(Ordering::SeqCst);
            let n = self.file.read(buf)?;
            if n > 0 || finished || buf.is_empty() {
                return Ok(n);
            }
            std::thread::sleep(GROWING_POLL);
        }
    }
}

/// A backup's file read as it is written, on a thread of its own, so the check costs no time
/// of its own.
pub struct Follower {
    done: Arc<AtomicBool>,
    reader: std::thread::JoinHandle<Result<StreamRead, String>>,
}

impl Follower {
    pub fn start(file: &Path, format: Format) -> Follower {
        let done = Arc::new(AtomicBool::new(false));
        let (file, flag) = (file.to_path_buf(), done.clone());
        let reader = std::thread::spawn(move || {
            let growing = Growing::open(&file, &flag)?;
            read_backup_from(growing, &file, format)
        });
        Follower { done, reader }
    }

    /// Once the writer has ended (done or failed): the reading to the file's end.
    pub fn finish(self) -> Result<StreamRead, String> {
        self.done.store(true, Ordering::SeqCst);
        self.reader
            .join()
            .unwrap_or_else(|_| Err("the reading of the backup stopped".to_string()))
    }
}

/// Whether `file` is the backup `manifest` describes: here, with its size, SHA-256, chunks
/// and Galera position; else why not.
pub fn check(manifest: &Manifest, file: &Path) -> Result<(), String> {
    if !file.exists() {
        return Err(manifest.not_here());
    }
    let read = read_backup(file, manifest.format)?;
    match manifest.differs(read.size, &read.sha256, &read.uuid, read.seqno) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

pub fn read_backup_from(
    mut f: impl Read,
    file: &Path,
    format: Format,
) -> Result<StreamRead, String> {
    let mut digest = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut feed = |scan: &mut dyn FnMut(&[u8]) -> Result<(), String>| loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if n == 0 {
            return Ok::<(), String>(());
        }
        digest.update(&buf[..n]);
        scan(&buf[..n])?;
    };
    let read = match format {
        Format::MariabackupXbstream => {
            let mut scanner = xbstream::Scanner::default();
            feed(&mut |b| scanner.feed(b).map_err(|e| e.to_string()))?;
            physical_read(scanner)?
        }
        Format::MariadbDumpSql => {
            let mut scanner = backup::dump::Scanner::default();
            feed(&mut |b| {
                scanner.feed(b);
                Ok(())
            })?;
            let d = scanner.finish().map_err(|e| e.to_string())?;
            StreamRead {
                uuid: d.uuid,
                seqno: d.seqno,
                server_version: d.server_version,
                size: d.bytes,
                sha256: String::new(),
            }
        }
    };
    let sha256 = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(StreamRead { sha256, ..read })
}

/// A mariabackup stream's position and version, once every chunk was read.
fn physical_read(scanner: xbstream::Scanner) -> Result<StreamRead, String> {
    let contents = scanner.finish().map_err(|e| e.to_string())?;
    let text = |name: &str| {
        contents
            .kept
            .get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let (uuid, seqno) = xbstream::galera_position(&text("xtrabackup_galera_info"))
        .ok_or("the stream has no Galera position (xtrabackup_galera_info)")?;
    let info = text("xtrabackup_info");
    Ok(StreamRead {
        uuid,
        seqno,
        server_version: xbstream::info_field(&info, "server_version")
            .unwrap_or("unknown")
            .to_string(),
        size: contents.bytes,
        sha256: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A read of a file still being written gets every byte written before the writer is done,
    /// whenever it was written: a read at the file's end waits for the writer (here, one
    /// that writes only once the read has begun), and the file ends only once it is done.
    #[test]
    fn a_growing_file_is_read_to_its_final_end() {
        let dir = std::env::temp_dir().join(format!("galeractl-growing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("f");
        let done = Arc::new(AtomicBool::new(false));
        let mut f = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        f.write_all(b"first ").unwrap_or_else(|e| panic!("{e}"));
        let mut growing = Growing::open(&path, &done).unwrap_or_else(|e| panic!("{e}"));
        let mut first = [0u8; 6];
        growing
            .read_exact(&mut first)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&first, b"first ");
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let writer = {
            let done = done.clone();
            std::thread::spawn(move || {
                let _ = wait.recv();
                for piece in [&b"second "[..], b"third"] {
                    f.write_all(piece).unwrap_or_else(|e| panic!("{e}"));
                }
                drop(f);
                done.store(true, Ordering::SeqCst);
            })
        };
        let _ = go.send(());
        let mut rest = Vec::new();
        growing
            .read_to_end(&mut rest)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rest, b"second third");
        writer.join().unwrap_or_else(|_| panic!("writer"));
        let missing = dir.join("never");
        assert!(Growing::open(&missing, &done).is_err_and(|e| e.contains("never")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
