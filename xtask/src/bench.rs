//! `cargo xtask bench`: the overhead benchmarks of the runner and of the bridge, with what they
//! need built and provisioned. Never part of `cargo xtask test`.

use anyhow::Result;

use crate::process;
use crate::provision::tools;
use crate::test::{build_components, cargo, wasm_dir};

pub fn run() -> Result<()> {
    let root = process::root();
    // `cargo bench` builds the release runner the runner bench starts; the probe is wasm.
    process::run(&mut build_components(&["runner-probe"]))?;
    let tools = tools::provision()?;
    process::run(
        cargo()
            .args(["bench", "-p", "spin-runner", "--bench", "overhead"])
            .env(test_support::ENV_WASM_DIR, wasm_dir(&root)),
    )?;
    process::run(
        cargo()
            .args(["bench", "-p", "mcp-bridge", "--bench", "overhead"])
            .env(test_support::ENV_NODE_MODULES, tools.node_modules),
    )
}
