//! The I/O of this module: reading the inventory file, and the facts (never the contents) of
//! the secret and SSH files it names.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::{SecretFileFacts, SecretText, SshFileFacts, MAX_INVENTORY_BYTES, MAX_SECRET_BYTES};

/// `O_NONBLOCK`, so that a FIFO put in place of the file between the check and the open cannot
/// block `open`. Reads of a regular file ignore it.
const O_NONBLOCK: i32 = libc::O_NONBLOCK;

/// What a file is, in words, when it is not a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("a special file")
    }
}

fn refuse(meta: &Metadata) -> io::Result<()> {
    match not_regular(meta) {
        None => Ok(()),
        Some(what) => Err(io::Error::other(format!(
            "it is {what}, not a regular file"
        ))),
    }
}

/// A file that galeractl reads whole, and how much of it it reads at most.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    pub bytes: u64,
    /// What such a file is, for the message: "an inventory", "a secret file".
    pub what: &'static str,
}

pub(crate) const INVENTORY: Limit = Limit {
    bytes: MAX_INVENTORY_BYTES,
    what: "an inventory",
};

/// A password file.
pub(crate) const SECRET: Limit = Limit {
    bytes: MAX_SECRET_BYTES,
    what: "a secret file",
};

/// A file uploaded as a step's stdin (a password, a certificate, a key).
pub(crate) const UPLOAD: Limit = Limit {
    bytes: 1 << 20,
    what: "a file galeractl uploads",
};

fn too_large(size: u64, limit: Limit) -> io::Error {
    let mib = if limit.bytes % (1 << 20) == 0 {
        format!(" ({} MiB)", limit.bytes >> 20)
    } else {
        format!(" ({} KiB)", limit.bytes >> 10)
    };
    io::Error::other(format!(
        "it is {size} bytes, and {} may have at most {} bytes{mib}",
        limit.what, limit.bytes
    ))
}

/// Reads a whole file that must be a regular file (checked before opening, so nothing else
/// is ever opened, and again on the open file) of at most `limit` bytes. A FIFO, a device or
/// a directory is refused without blocking or reading without bound.
pub(crate) fn read_regular(path: &Path, limit: Limit) -> io::Result<Vec<u8>> {
    refuse(&std::fs::metadata(path)?)?;
    let file = File::options()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    refuse(&meta)?;
    if meta.len() > limit.bytes {
        return Err(too_large(meta.len(), limit));
    }
    let mut bytes = Vec::new();
    // The file may grow after fstat: read one byte more than allowed to notice.
    file.take(limit.bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit.bytes {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// Reads the inventory file: [`read_regular`] with [`MAX_INVENTORY_BYTES`].
pub(super) fn read_inventory(path: &Path) -> io::Result<Vec<u8>> {
    read_regular(path, INVENTORY)
}

pub(super) fn secret_file_facts(path: &Path) -> SecretFileFacts {
    match std::fs::metadata(path) {
        Err(_) => SecretFileFacts::Missing,
        Ok(m) if !m.is_file() => SecretFileFacts::NotAFile,
        Ok(m) if m.len() == 0 => SecretFileFacts::Empty,
        Ok(m) if m.len() > MAX_SECRET_BYTES => SecretFileFacts::TooLarge(m.len()),
        Ok(m) => SecretFileFacts::Present(
            m.permissions().mode() & 0o7777,
            // Unreadable here (another user's file): the commands that need it say so.
            read_regular(path, SECRET)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(|text| SecretText::of(&text)),
        ),
    }
}

pub(super) fn ssh_file_facts(path: &Path) -> SshFileFacts {
    match std::fs::metadata(path) {
        Err(_) => SshFileFacts::Missing,
        Ok(m) if m.is_dir() => SshFileFacts::Directory,
        Ok(_) => SshFileFacts::Present,
    }
}
