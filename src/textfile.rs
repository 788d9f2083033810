//! Files galeractl writes on this machine. `status --textfile PATH`: a file that another
//! process reads at any time (node_exporter's textfile collector), written so that it never
//! sees half of it: a temporary file in the same directory, synced, made 0644, then renamed
//! over the target. `backup`: a directory and files only their owner may read.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Replaces `path` with `text` in one rename. The temporary name starts with a dot and does
/// not end in `.prom`, so the collector skips it; it is removed when anything fails.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let temp = temp_path(path)?;
    let result = write_then_rename(&temp, path, text);
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A new directory readable by its owner only (0700), with any missing parents made so too.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)?;
    }
    std::fs::DirBuilder::new().mode(0o700).create(dir)
}

/// A new file (never one that exists) of mode 0600 holding `bytes`, synced.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
}

fn temp_path(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".{}.tmp", std::process::id()));
    Ok(path.with_file_name(temp))
}

fn write_then_rename(temp: &Path, path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(temp)?;
    // The umask may have taken bits away; the collector runs as another user.
    file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole_with_mode_0644() {
        let dir = std::env::temp_dir().join(format!("galeractl-textfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("galera.prom");
        std::fs::write(&path, "old\n").unwrap_or_else(|e| panic!("{e}"));
        write_atomic(&path, "new\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("new\n")
        );
        let mode = std::fs::metadata(&path).map_or(0, |m| m.permissions().mode() & 0o777);
        assert_eq!(mode, 0o644);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, vec!["galera.prom".to_string()]);
        assert!(write_atomic(&dir.join("missing/galera.prom"), "x").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn private_directories_and_files_are_new_and_the_owners_alone() {
        let base = std::env::temp_dir().join(format!("galeractl-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join("backups/c-1");
        create_private_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let mode = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.permissions().mode() & 0o777);
        assert_eq!((mode(&base.join("backups")), mode(&dir)), (0o700, 0o700));
        assert!(create_private_dir(&dir).is_err(), "an existing directory");
        let file = dir.join("manifest.toml");
        write_private(&file, b"x\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&file), 0o600);
        assert!(write_private(&file, b"y\n").is_err(), "an existing file");
        assert_eq!(std::fs::read(&file).ok().as_deref(), Some(&b"x\n"[..]));
        let _ = std::fs::remove_dir_all(&base);
    }
}
