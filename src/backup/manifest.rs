//! The manifest next to a backup: what it is of (cluster, node, Galera position, server
//! version), how big, its SHA-256, when it was taken. A small TOML file, written by `backup`
//! and read by `restore`. Pure: text in, checked value out.

use serde::{Deserialize, Serialize};

/// The manifest's file name, in the backup's directory.
pub const MANIFEST_FILE: &str = "manifest.toml";
/// A physical backup's stream, in the backup's directory.
pub const PHYSICAL_FILE: &str = "backup.xbstream";
/// A logical backup's SQL, in the backup's directory.
pub const LOGICAL_FILE: &str = "dump.sql";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `mariabackup --backup --stream=xbstream`, not prepared: `restore` extracts and prepares
    /// it on the first node's volume, with the node's image.
    MariabackupXbstream,
    /// `mariadb-dump --single-transaction` of the user databases, after the accounts that are
    /// not galeractl's: `restore` loads it into a new cluster (a new history).
    MariadbDumpSql,
}

impl Format {
    /// The backup's file name for this format.
    pub fn file(self) -> &'static str {
        match self {
            Format::MariabackupXbstream => PHYSICAL_FILE,
            Format::MariadbDumpSql => LOGICAL_FILE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: Format,
    /// The backup's file, in the manifest's directory.
    pub file: String,
    pub cluster: String,
    /// The Galera position of the backup: the cluster's state UUID and the seqno of the last
    /// write-set in it (a logical backup: the last committed when its snapshot began, so the
    /// dump holds at least the write-sets up to it).
    pub cluster_uuid: String,
    pub seqno: i64,
    pub server_version: String,
    /// Where it was taken.
    pub node: String,
    pub host: String,
    /// Bytes of `file`, and its SHA-256 (hex).
    pub size: u64,
    pub sha256: String,
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    pub started: String,
    pub ended: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("{0}")]
    Syntax(String),
    #[error("{field}: {problem}")]
    Bad {
        field: &'static str,
        problem: String,
    },
}

impl Manifest {
    /// The manifest as written next to the backup.
    pub fn render(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("# galeractl backup manifest\n{body}")
    }

    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest =
            toml::from_str(text).map_err(|e| ManifestError::Syntax(e.message().to_string()))?;
        let bad = |field, problem: &str| ManifestError::Bad {
            field,
            problem: problem.to_string(),
        };
        if !crate::recover::is_uuid(&m.cluster_uuid) || m.cluster_uuid == crate::recover::ZERO_UUID
        {
            return Err(bad("cluster_uuid", "not a cluster state UUID"));
        }
        if m.seqno < 0 {
            return Err(bad("seqno", "a backup's position is never negative"));
        }
        if m.sha256.len() != 64 || !m.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad("sha256", "not 64 hex digits"));
        }
        // The file is a name in the manifest's directory, never a path elsewhere.
        if m.file.is_empty() || m.file.contains('/') || m.file.starts_with('.') {
            return Err(bad(
                "file",
                "must be a file name in the manifest's directory",
            ));
        }
        Ok(m)
    }

    /// Why a backup's file read back is not the backup this manifest describes (its size and
    /// SHA-256, then its Galera position), or `None`.
    pub fn differs(&self, size: u64, sha256: &str, uuid: &str, seqno: i64) -> Option<String> {
        if size != self.size || sha256 != self.sha256 {
            return Some(format!(
                "{size} bytes with SHA-256 {sha256}, but the manifest says {} bytes with {}: the file is not the backup the manifest describes",
                self.size, self.sha256
            ));
        }
        ((uuid, seqno) != (self.cluster_uuid.as_str(), self.seqno)).then(|| {
            format!(
                "its Galera position {uuid}:{seqno} differs from the manifest's {}:{}",
                self.cluster_uuid, self.seqno
            )
        })
    }

    /// Why its file is not beside it: a backup kept on its host stays there.
    pub fn not_here(&self) -> String {
        format!(
            "not here: a backup kept on its host (backup --on-host) stays there; copy its directory from {} (scp -r) to this machine and restore that copy",
            self.host
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        Manifest {
            format: Format::MariabackupXbstream,
            file: PHYSICAL_FILE.into(),
            cluster: "backup".into(),
            cluster_uuid: "86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07".into(),
            seqno: 11,
            server_version: "10.11.19-MariaDB-0+deb12u1".into(),
            node: "nodeb".into(),
            host: "10.77.0.12".into(),
            size: 17_892_975,
            sha256: "ab".repeat(32),
            started: "2026-11-26 16:51:13 UTC".into(),
            ended: "2026-11-26 16:51:16 UTC".into(),
        }
    }

    #[test]
    fn round_trip_and_exact_text() {
        let m = sample();
        let text = m.render();
        assert_eq!(
            text,
            format!(
                "# galeractl backup manifest\nformat = \"mariabackup-xbstream\"\nfile = \"backup.xbstream\"\ncluster = \"backup\"\ncluster_uuid = \"86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07\"\nseqno = 11\nserver_version = \"10.11.19-MariaDB-0+deb12u1\"\nnode = \"nodeb\"\nhost = \"10.77.0.12\"\nsize = 17892975\nsha256 = \"{}\"\nstarted = \"2026-11-26 16:51:13 UTC\"\nended = \"2026-11-26 16:51:16 UTC\"\n",
                "ab".repeat(32)
            )
        );
        assert_eq!(Manifest::parse(&text), Ok(m));
    }

    #[test]
    fn refuses_what_restore_could_not_trust() {
        let text = sample().render();
        let with = |from: &str, to: &str| Manifest::parse(&text.replace(from, to));
        assert_eq!(
            with("seqno = 11", "seqno = -1"),
            Err(ManifestError::Bad {
                field: "seqno",
                problem: "a backup's position is never negative".into()
            })
        );
        assert!(matches!(
            with("86f148f9-e9b9", "zzzzzzzz-e9b9"),
            Err(ManifestError::Bad {
                field: "cluster_uuid",
                ..
            })
        ));
        assert!(matches!(
            with("\"backup.xbstream\"", "\"../etc/passwd\""),
            Err(ManifestError::Bad { field: "file", .. })
        ));
        assert!(matches!(
            with("seqno = 11\n", ""),
            Err(ManifestError::Syntax(m)) if m.contains("seqno")
        ));
        assert!(matches!(
            with("format = \"mariabackup-xbstream\"", "format = \"tar\""),
            Err(ManifestError::Syntax(_))
        ));
    }

    #[test]
    fn a_file_that_is_not_the_backup_described_is_named_so() {
        let m = sample();
        let (uuid, sha) = (m.cluster_uuid.clone(), "ab".repeat(32));
        assert_eq!(m.differs(17_892_975, &sha, &uuid, 11), None);
        assert_eq!(
            m.differs(5, "cd", &uuid, 11),
            Some(format!("5 bytes with SHA-256 cd, but the manifest says 17892975 bytes with {sha}: the file is not the backup the manifest describes"))
        );
        assert_eq!(
            m.differs(17_892_975, &sha, &uuid, 12).as_deref(),
            Some("its Galera position 86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07:12 differs from the manifest's 86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07:11")
        );
        assert_eq!(
            m.not_here(),
            "not here: a backup kept on its host (backup --on-host) stays there; copy its directory from 10.77.0.12 (scp -r) to this machine and restore that copy"
        );
    }
}
