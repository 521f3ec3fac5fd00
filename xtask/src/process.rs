//! Child processes: run to completion, run while teeing stdout, or keep alive under a guard.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C and SIGTERM only raise a flag, so that every guard still stops what it started.
/// Children share the terminal's process group and receive the signal themselves.
pub fn handle_interrupts() {
    if let Err(err) = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst)) {
        eprintln!("xtask: Ctrl-C not handled: {err}");
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The workspace root (holds `spin.toml`), whatever the current directory.
pub fn root() -> PathBuf {
    test_support::workspace_root()
}

/// `target/tools/`: tools and services xtask provisions, cached between runs.
pub fn tools_dir() -> PathBuf {
    root().join("target").join("tools")
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `command` with inherited stdio; fails unless it exits successfully.
pub fn run(command: &mut Command) -> Result<()> {
    let line = describe(command);
    eprintln!("$ {line}");
    let status = command
        .status()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Runs `command` and returns its stdout (stderr passes through); fails unless it succeeds.
pub fn output(command: &mut Command) -> Result<String> {
    let line = describe(command);
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !out.status.success() {
        bail!("`{line}` failed ({})", out.status);
    }
    String::from_utf8(out.stdout).with_context(|| format!("`{line}` printed non-UTF-8"))
}

/// Runs `command`, copying its stdout and stderr to ours line by line, and returns both as text
/// with whether it succeeded (test harnesses report counts on either stream).
pub fn run_tee(command: &mut Command) -> Result<(bool, String)> {
    let line = describe(command);
    eprintln!("$ {line}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{line}`"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let errors = std::thread::spawn(move || tee(stderr, std::io::stderr()));
    let mut text = tee(stdout, std::io::stdout());
    text.push_str(&errors.join().unwrap_or_default());
    let status = child.wait().with_context(|| format!("wait for `{line}`"))?;
    Ok((status.success(), text))
}

fn tee(from: impl std::io::Read, mut to: impl Write) -> String {
    let mut text = String::new();
    for line in BufReader::new(from).lines().map_while(Result::ok) {
        let _ = writeln!(to, "{line}");
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// A long-running child, killed and reaped when dropped.
pub struct ChildGuard {
    name: String,
    child: Child,
}

impl ChildGuard {
    pub fn spawn(name: &str, command: &mut Command) -> Result<Self> {
        let line = describe(command);
        eprintln!("$ {line} &");
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name} (`{line}`)"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// `Some(description)` once the child has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} exited ({status})", self.name)),
            Ok(None) => None,
            Err(err) => Some(format!("{}: {err}", self.name)),
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("xtask: stopped {}", self.name);
    }
}

/// The first `program` found on `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// `apt-get install -y PACKAGE` (after an update), for services a fresh machine lacks.
pub fn apt_install(package: &str) -> Result<()> {
    if !running_as_root() {
        bail!(
            "{package} is not installed and xtask is not root: install it (apt-get install {package})"
        );
    }
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}
