//! Inventories for the builders' exact-argv tests.

use crate::inventory::Inventory;

/// A one-node cluster `c` (node `a` on host `h`, image `i`), then `extra` (tables such as
/// `[haproxy]`).
pub fn inventory(extra: &str) -> Inventory {
    with_cluster("", extra)
}

/// [`inventory`] with `cluster` (lines) added to its `[cluster]` table.
pub fn with_cluster(cluster: &str, extra: &str) -> Inventory {
    parse(&format!("[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n{cluster}\n[[nodes]]\nname = \"a\"\nhost = \"h\"\n{extra}"))
}

/// [`inventory`] with TLS (and the mariabackup SST it needs), then `extra`.
pub fn with_tls(extra: &str) -> Inventory {
    with_cluster(
        "sst_method = \"mariabackup\"\nsst_password_file = \"s\"\n",
        &format!("{extra}\n[tls]\nenabled = true\ndir = \"t\"\n"),
    )
}

pub fn parse(source: &str) -> Inventory {
    let parsed = crate::inventory::parse(std::path::Path::new("inv.toml"), source);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
}
