//! `galeractl export k8s`: the inventory through `k8s::render`, the YAML on stdout and each
//! warning on stderr. Touches no host; secret files are only named, never read.

use std::process::ExitCode;

use super::{inventory_path, print_warnings, Failure, Outcome};
use crate::cli::K8sArgs;
use crate::inventory;
use crate::k8s;

pub fn k8s(args: &K8sArgs) -> Outcome {
    if !k8s::storage_size_ok(&args.storage) {
        return Err(Failure::new(
            crate::exit::USAGE,
            format!(
                "--storage {:?} is not a Kubernetes quantity (such as 10Gi, 500Mi, 1Ti)",
                args.storage
            ),
        ));
    }
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Advisory)?;
    print_warnings(&report);
    let export = k8s::render(
        &inventory,
        &k8s::Options {
            storage_size: args.storage.clone(),
            storage_class: args.storage_class.clone(),
        },
    );
    for w in &export.warnings {
        errln!("warning: {w}");
    }
    out!("{}", export.yaml);
    Ok(ExitCode::SUCCESS)
}
