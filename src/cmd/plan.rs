//! `galeractl plan`: the steps `up` runs on hosts where the cluster does not exist yet.

use super::{print_warnings, Failure, Outcome};
use crate::cli::PlanArgs;
use crate::{exit, inventory, plan};

pub fn run(args: &PlanArgs) -> Outcome {
    let (inventory, report) = inventory::load(&args.inventory, inventory::Secrets::Advisory)?;
    print_warnings(&report);
    let plan = plan::up(&inventory, &crate::facts::Observed::default())
        .map_err(|e| Failure::new(exit::REFUSED, e.to_string()))?;
    super::print_plan(&plan, &inventory, args.json)
}
