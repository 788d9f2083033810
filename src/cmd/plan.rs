//! `galeractl plan`: the steps `up` runs on hosts where the cluster does not exist yet.

use std::process::ExitCode;

use super::{print_warnings, Failure, Outcome};
use crate::cli::PlanArgs;
use crate::{exit, inventory, plan};

pub fn run(args: &PlanArgs) -> Outcome {
    let (inventory, report) = inventory::load(&args.inventory, inventory::Secrets::Advisory)?;
    print_warnings(&report);
    let plan = plan::up(&inventory, &plan::Observed::default())
        .map_err(|e| Failure::new(exit::REFUSED, e.to_string()))?
        .as_run(&inventory.ssh);
    if args.json {
        let text = serde_json::to_string_pretty(&plan)
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot encode the plan: {e}")))?;
        outln!("{text}");
    } else {
        out!("{}", plan::render(&plan));
    }
    Ok(ExitCode::SUCCESS)
}
