//! The Python venvs and the node_modules the suites drive, rebuilt only when their input changes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::process::{self, run};

pub struct Tools {
    /// The venv's python (`MCPGW_PYTHON`).
    pub python: PathBuf,
    /// The installed `node_modules` (`MCPGW_NODE_MODULES`).
    pub node_modules: PathBuf,
}

pub fn provision() -> Result<Tools> {
    Ok(Tools {
        python: venv(
            &process::root().join("tests").join("requirements.txt"),
            "venv",
        )?,
        node_modules: node()?,
    })
}

/// Open WebUI in a venv of its own (`MCPGW_OPEN_WEBUI_PYTHON`), for the test suites only: it
/// pins ~100 packages (torch among them, ~7 GB) that must not constrain the other tools.
pub fn open_webui() -> Result<PathBuf> {
    let requirements = process::root()
        .join("tests")
        .join("open_webui")
        .join("requirements.txt");
    venv(&requirements, "open-webui-venv")
}

/// `target/tools/<name>` with `requirements` installed; returns its python.
fn venv(requirements: &Path, name: &str) -> Result<PathBuf> {
    let venv = process::tools_dir().join(name);
    let python = venv.join("bin").join("python");
    cached(requirements, &venv.with_extension("stamp"), &python, || {
        if !python.exists() {
            run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        }
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(requirements))
    })?;
    Ok(python)
}

fn node() -> Result<PathBuf> {
    let manifest = process::root().join("tests").join("package.json");
    let dir = process::tools_dir().join("node");
    let node_modules = dir.join("node_modules");
    cached(
        &manifest,
        &dir.with_extension("stamp"),
        &node_modules,
        || {
            std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
            std::fs::copy(&manifest, dir.join("package.json"))
                .with_context(|| format!("copy {}", manifest.display()))?;
            run(Command::new("npm")
                .args(["install", "--no-audit", "--no-fund"])
                .current_dir(&dir))
        },
    )?;
    Ok(node_modules)
}

/// Runs `build` unless `output` exists and `stamp` holds the hash of `input` from the last build.
fn cached(
    input: &Path,
    stamp: &Path,
    output: &Path,
    build: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let content = std::fs::read(input).with_context(|| format!("read {}", input.display()))?;
    let hash = content_hash(&content);
    let built = std::fs::read_to_string(stamp).unwrap_or_default();
    if output.exists() && is_current(&built, &hash) {
        eprintln!(
            "{} is up to date with {}",
            output.display(),
            input.display()
        );
        return Ok(());
    }
    build()?;
    std::fs::write(stamp, &hash).with_context(|| format!("write {}", stamp.display()))
}

fn content_hash(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

fn is_current(stamp: &str, hash: &str) -> bool {
    stamp.trim() == hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_input_is_current() {
        let hash = content_hash(b"mcp>=2.3,<3\n");
        assert!(is_current(&format!("{hash}\n"), &hash));
    }

    #[test]
    fn a_changed_input_is_not_current() {
        let before = content_hash(b"mcp>=2.3,<3\n");
        let after = content_hash(b"mcp>=2.3,<3\nPyYAML\n");
        assert_ne!(before, after);
        assert!(!is_current(&before, &after));
    }

    #[test]
    fn a_missing_stamp_is_not_current() {
        assert!(!is_current("", &content_hash(b"")));
    }
}
