//! Project tasks, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).

mod bench;
mod conformance;
mod process;
mod provision;
mod servers;
mod steps;
mod test;
mod up;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Project tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run every check: fmt, clippy, the wasm build, unit, integration and end-to-end tests.
    Test,
    /// Print the runner's and the bridge's overhead against native baselines (release builds).
    Bench,
    /// Run the MCP conformance suite against the fixture upstream, directly and through the
    /// gateway; writes docs/conformance.md.
    Conformance,
    /// Write every copy of servers.toml (its regions of spin.toml and k8s/).
    Servers {
        /// Change nothing; fail naming each copy that differs.
        #[arg(long)]
        check: bool,
    },
    /// Build the gateway and start it with a demo upstream, in the foreground until Ctrl-C.
    Up {
        /// Address the gateway listens on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    process::handle_interrupts();
    let result = match cli.task {
        Task::Test => test::run(),
        Task::Bench => bench::run(),
        Task::Conformance => conformance::run(),
        Task::Servers { check } => servers::run(check),
        Task::Up { listen } => up::run(listen),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}
