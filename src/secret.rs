//! Secret values: read from their 0600 files, never printed, never logged.

use std::path::Path;

use crate::inventory::{read_regular, SECRET, UPLOAD};

/// A password. `Debug` and `Display` show nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Reads a secret file as the official image's entrypoint does: trailing newlines dropped
    /// (and carriage returns). Like the inventory, only a regular file of at most
    /// [`crate::inventory::MAX_SECRET_BYTES`] is read: a FIFO or a device is refused without
    /// blocking.
    pub fn read(path: &Path) -> std::io::Result<Secret> {
        let text = String::from_utf8(read_regular(path, SECRET)?)
            .map_err(|_| std::io::Error::other("it is not UTF-8 text"))?;
        Ok(Secret(text.trim_end_matches(['\n', '\r']).to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The bytes of a file sent as a step's stdin (a password, a certificate, a key): a regular
/// file of at most 1 MiB, read without blocking.
pub fn read_upload(path: &Path) -> std::io::Result<Vec<u8>> {
    read_regular(path, UPLOAD)
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_small_files_are_read() {
        let dir = std::env::temp_dir().join(format!("galeractl-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.join("pw");
        std::fs::write(&file, "s3cret\r\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Secret::read(&file).map(|s| s.expose().to_string()).ok(),
            Some("s3cret".into())
        );
        let big = dir.join("big");
        std::fs::write(&big, vec![b'x'; 70_000]).unwrap_or_else(|e| panic!("{e}"));
        let err = Secret::read(&big)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "it is 70000 bytes, and a secret file may have at most 65536 bytes (64 KiB)"
        );
        assert_eq!(read_upload(&big).map(|b| b.len()).ok(), Some(70_000));
        let err = Secret::read(&dir)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(err, "it is a directory, not a regular file");
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success());
        assert_eq!(made.ok(), Some(true), "mkfifo");
        let err = read_upload(&fifo)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(err, "it is a FIFO (named pipe), not a regular file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
