//! Before `recover` or `start-node` touch a TLS cluster: this machine's CA must be the one the
//! cluster's hosts trust (`tls-ca.crt` on each host). These commands work on a cluster that
//! exists, so they never make a CA: a missing one, or another one, is refused (`tls::judge_ca`).
//! (`up` makes the CA of a new cluster.)

use super::Failure;
use crate::exit;
use crate::inventory::Inventory;
use crate::ssh::Hosts;

/// [`crate::tls::judge_ca`] with this machine's CA file and each connected node host's
/// `tls-ca.crt` (`observe::tls::cas`). A host whose file cannot be read for another reason
/// than its absence fails the command.
pub async fn check(inventory: &Inventory, hosts: &Hosts, command: &str) -> Result<(), Failure> {
    let Some((local, seen)) = crate::observe::tls::cas(inventory, hosts)
        .await
        .map_err(|why| Failure::new(exit::FAILED, why))?
    else {
        return Ok(());
    };
    crate::tls::judge_ca(inventory, command, local.as_deref(), &seen)
        .map_err(|m| Failure::new(exit::REFUSED, m))
}
