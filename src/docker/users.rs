//! The local users galeractl has the image create on every node (mariabackup SST's, and
//! `backup`'s), with only the privileges their use needs, on the local socket only: their
//! names, their SQL and option file texts (each password a placeholder the runner fills from
//! its secret file), and where those files are. Pure.

use crate::inventory::layout::{BACKUP_USER_MOUNT, SST_USER_MOUNT};
use crate::inventory::Inventory;

/// The user that mariabackup SST connects as, on the donor's own socket only.
pub const SST_USER: &str = "galeractl_sst";
/// Stands for the SST password in the texts below until it is sent.
pub const SST_PASSWORD_PLACEHOLDER: &str = "@GALERACTL_SST_PASSWORD@";

/// The SST user's creation on the host (0600, owned by the image's server user).
pub fn sst_user_path(inventory: &Inventory) -> String {
    LocalUser::Sst.sql_path(inventory)
}

/// The option file with the SST credentials (the password as a placeholder).
pub fn sst_auth_text() -> String {
    format!(
        "# managed by galeractl\n[mysqld]\nwsrep_sst_auth={SST_USER}:{SST_PASSWORD_PLACEHOLDER}\n"
    )
}

/// The SST user with the privileges mariabackup SST needs on a donor, and no more (MariaDB's
/// documentation for 10.5 and later), on the local socket only.
pub fn sst_user_sql() -> String {
    LocalUser::Sst.sql()
}

/// The user that `galeractl backup` runs mariabackup as, inside the node's container.
pub const BACKUP_USER: &str = "galeractl_backup";
/// Stands for the backup password in the texts below until it is sent.
pub const BACKUP_PASSWORD_PLACEHOLDER: &str = "@GALERACTL_BACKUP_PASSWORD@";
/// The procedure that desyncs a node (`SET GLOBAL wsrep_desync` needs SUPER, which the backup
/// user does not get): defined by root, the backup user may only call it.
pub const DESYNC_PROCEDURE: &str = "galeractl.desync";

/// A user that the image creates when it initialises a node's data directory, from a SQL file
/// mounted into `/docker-entrypoint-initdb.d/` (wsrep off), with only the privileges its use
/// needs, on the local socket only. Joiners get it with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalUser {
    /// mariabackup SST on a donor.
    Sst,
    /// `galeractl backup`: mariabackup, and the desync procedure.
    Backup,
}

impl LocalUser {
    pub fn name(self) -> &'static str {
        match self {
            LocalUser::Sst => SST_USER,
            LocalUser::Backup => BACKUP_USER,
        }
    }

    pub fn placeholder(self) -> &'static str {
        match self {
            LocalUser::Sst => SST_PASSWORD_PLACEHOLDER,
            LocalUser::Backup => BACKUP_PASSWORD_PLACEHOLDER,
        }
    }

    /// Its creation on the host (0600, owned by the image's server user).
    pub fn sql_path(self, inventory: &Inventory) -> String {
        let file = match self {
            LocalUser::Sst => "sst-user.sql",
            LocalUser::Backup => "backup-user.sql",
        };
        format!("{}/{file}", inventory.cluster_dir())
    }

    /// Where its creation is mounted in the node container.
    pub fn sql_mount(self) -> &'static str {
        match self {
            LocalUser::Sst => SST_USER_MOUNT,
            LocalUser::Backup => BACKUP_USER_MOUNT,
        }
    }

    /// Its creation (the password as a placeholder): mariabackup's privileges (MariaDB's
    /// documentation for 10.5 and later); the backup user may also call the desync procedure,
    /// and read what a logical backup dumps (`SELECT, SHOW VIEW, TRIGGER, EVENT`: the rows,
    /// views, triggers, events, and the accounts from `mysql.global_priv`).
    pub fn sql(self) -> String {
        let (user, pw) = (self.name(), self.placeholder());
        let mut sql = format!(
            "CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY '{pw}';\nGRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO '{user}'@'localhost';\n"
        );
        if self == LocalUser::Backup {
            sql.push_str(&format!(
                "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON *.* TO '{user}'@'localhost';\nCREATE DATABASE IF NOT EXISTS galeractl;\nCREATE OR REPLACE DEFINER='root'@'localhost' PROCEDURE {DESYNC_PROCEDURE}(d BOOLEAN) SQL SECURITY DEFINER SET GLOBAL wsrep_desync = d;\nGRANT EXECUTE ON PROCEDURE {DESYNC_PROCEDURE} TO '{user}'@'localhost';\n"
            ));
        }
        sql
    }

    /// The local secret file with its password, when the inventory uses this user.
    pub fn password_file(self, inventory: &Inventory) -> Option<&std::path::PathBuf> {
        match self {
            LocalUser::Sst => inventory
                .cluster
                .sst_password_file
                .as_ref()
                .filter(|_| uses_mariabackup(inventory)),
            LocalUser::Backup => inventory.cluster.backup_password_file.as_ref(),
        }
    }

    /// The users the inventory's nodes are created with.
    pub fn used(inventory: &Inventory) -> Vec<LocalUser> {
        [LocalUser::Sst, LocalUser::Backup]
            .into_iter()
            .filter(|u| u.password_file(inventory).is_some())
            .collect()
    }
}

/// The backup user's option file for the clients in the node's image (the password as a
/// placeholder).
pub fn backup_cnf_text() -> String {
    format!(
        "# managed by galeractl\n[client]\nuser={BACKUP_USER}\npassword={BACKUP_PASSWORD_PLACEHOLDER}\n"
    )
}

/// Whether the nodes transfer state with mariabackup (and need its SST user and credentials).
pub fn uses_mariabackup(inventory: &Inventory) -> bool {
    inventory.cluster.sst_method == "mariabackup"
}
