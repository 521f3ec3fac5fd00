//! `cargo xtask test`: every check, with the tools and services the suites need.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::process::{self, run_tee};
use crate::provision::{postgres, redis, tools};
use crate::steps::{self, Outcome, Steps};

/// Spin components and the crate only they use: they build for wasm32-wasip2 only.
pub const COMPONENTS: [&str; 5] = ["route", "auth", "catalog", "runner-probe", "sealed-kv"];
pub const WASM_TARGET: &str = "wasm32-wasip2";

pub fn run() -> Result<()> {
    let root = process::root();
    let mut steps = Steps::default();
    // Each step's outcome is recorded; the loop stops early only when later steps cannot run.
    let ready = steps.run("toolchain and dependencies", || {
        prepare_toolchain()?;
        Ok(Outcome::Check)
    });
    if ready {
        all_steps(&root, &mut steps);
    }
    if !steps.summarize() {
        bail!("some checks failed");
    }
    Ok(())
}

fn all_steps(root: &Path, steps: &mut Steps) {
    // The venvs and node_modules download and unpack while cargo compiles: on a fresh machine
    // that is minutes of I/O the builds need not wait for.
    let tools =
        std::thread::spawn(|| Ok::<_, anyhow::Error>((tools::provision()?, tools::open_webui()?)));
    steps.run("format", || {
        check(cargo().args(["fmt", "--all", "--", "--check"]))
    });
    let built = steps.run("build wasm components", || {
        check(&mut build_components(&COMPONENTS))
    });
    // One package selection for every native build, so that cargo resolves the same features
    // each time and nothing is compiled twice: the binaries the suites start come from it too.
    let natives_built = steps.run("build native code and test binaries", || {
        check(workspace_tests().arg("--no-run"))
    });
    steps.run("clippy (native)", || {
        check(cargo().args([
            "clippy",
            "--keep-going",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    steps.run("clippy (wasm components)", || {
        check(
            cargo()
                .args(["clippy", "--keep-going", "--target", WASM_TARGET])
                .args(package_args(&COMPONENTS))
                .args(["--", "-D", "warnings"]),
        )
    });
    let mut provisioned = None;
    steps.run(
        "provision tools (venvs, node_modules; started with the builds)",
        || {
            let joined = tools
                .join()
                .map_err(|_| anyhow::anyhow!("tool provisioning panicked"))?;
            provisioned = Some(joined?);
            Ok(Outcome::Check)
        },
    );
    let mut services = None;
    steps.run("provision services (PostgreSQL, Redis)", || {
        services = Some((postgres::provision_for_test()?, redis::provision()?));
        Ok(Outcome::Check)
    });
    let (Some((tools, open_webui_python)), Some((postgres, redis)), true) =
        (provisioned, services, built && natives_built)
    else {
        steps.skip("tests", "a build or provisioning failed");
        return;
    };
    let env = SuiteEnv {
        database_url: postgres.url.clone(),
        redis_url: redis.url.clone(),
        python: tools.python,
        node_modules: tools.node_modules,
        open_webui_python,
        wasm_dir: wasm_dir(root),
        runner: root.join("target").join("debug").join("spin-runner"),
        bridge: root.join("target").join("debug").join("mcp-bridge"),
    };
    steps.run("tests (workspace)", || {
        // Every suite runs even when an earlier one fails.
        cargo_suite(env.apply(workspace_tests().arg("--no-fail-fast")))
    });
    steps.run("tests (k8s validation)", || {
        let (ok, output) = run_tee(
            env.apply(&mut Command::new(&env.python))
                .args(["-m", "unittest", "discover", "-s", "k8s", "-p", "test_*.py"])
                .current_dir(root),
        )?;
        steps::suite(ok, steps::parse_unittest(&output))
    });
    // `postgres` and `redis` drop here: services xtask started stop now.
}

/// `cargo test` of every native package.
fn workspace_tests() -> Command {
    native_workspace("test")
}

/// `cargo <subcommand>` of the workspace without the wasm-only components: `cargo xtask up` and
/// `cargo xtask test` select the same packages, so each reuses what the other compiled.
pub fn native_workspace(subcommand: &str) -> Command {
    let mut command = cargo();
    command.args([subcommand, "--workspace"]);
    for component in COMPONENTS {
        command.args(["--exclude", component]);
    }
    command
}

/// The environment `test-support` reads.
struct SuiteEnv {
    database_url: String,
    redis_url: String,
    python: PathBuf,
    node_modules: PathBuf,
    open_webui_python: PathBuf,
    wasm_dir: PathBuf,
    runner: PathBuf,
    bridge: PathBuf,
}

impl SuiteEnv {
    fn apply<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env(test_support::ENV_DATABASE_URL, &self.database_url)
            .env(test_support::ENV_REDIS_URL, &self.redis_url)
            .env(test_support::ENV_PYTHON, &self.python)
            .env(test_support::ENV_NODE_MODULES, &self.node_modules)
            .env(test_support::ENV_OPEN_WEBUI_PYTHON, &self.open_webui_python)
            .env(test_support::ENV_WASM_DIR, &self.wasm_dir)
            .env(test_support::ENV_RUNNER, &self.runner)
            .env(test_support::ENV_BRIDGE, &self.bridge)
    }
}

fn prepare_toolchain() -> Result<()> {
    process::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    process::run(cargo().arg("fetch"))
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(process::root());
    command
}

/// `cargo build --target wasm32-wasip2 --release -p ...`
pub fn build_components(components: &[&str]) -> Command {
    let mut command = cargo();
    command
        .args(["build", "--target", WASM_TARGET, "--release"])
        .args(package_args(components));
    command
}

pub fn wasm_dir(root: &Path) -> PathBuf {
    root.join("target").join(WASM_TARGET).join("release")
}

pub fn package_args<'a>(packages: &[&'a str]) -> Vec<&'a str> {
    packages
        .iter()
        .flat_map(|package| ["-p", package])
        .collect()
}

fn check(command: &mut Command) -> Result<Outcome> {
    process::run(command)?;
    Ok(Outcome::Check)
}

fn cargo_suite(command: &mut Command) -> Result<Outcome> {
    let (ok, output) = run_tee(command)?;
    steps::suite(ok, steps::parse_cargo_test(&output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_is_excluded_from_native_builds() {
        let manifest =
            std::fs::read_to_string(process::root().join("Cargo.toml")).expect("root Cargo.toml");
        let manifest: toml::Table = manifest.parse().expect("root Cargo.toml parses");
        let workspace = &manifest["workspace"];
        let paths = |key: &str| -> Vec<String> {
            workspace[key]
                .as_array()
                .expect("a list of paths")
                .iter()
                .filter_map(|path| path.as_str().map(str::to_owned))
                .collect()
        };
        let (members, default_members) = (paths("members"), paths("default-members"));
        for component in COMPONENTS {
            let suffix = format!("/{component}");
            assert!(
                members.iter().any(|m| m.ends_with(&suffix)),
                "{component} is a workspace member"
            );
            assert!(
                !default_members.iter().any(|m| m.ends_with(&suffix)),
                "{component} is a default member: native builds would include it"
            );
        }
    }
}
