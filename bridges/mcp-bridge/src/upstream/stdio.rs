//! A stdio MCP server: a child process speaking newline-delimited JSON-RPC on stdin/stdout.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

use crate::config::StdioConfig;

/// How long a child may take to exit after its stdin closed before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Variables a child inherits from the bridge: what a runtime needs to start (the MCP SDKs'
/// default stdio environment, plus locale, time zone, temp dir, proxies and CA bundles). Nothing
/// else, so one server never sees another's secrets; a server's own go in its `env`.
const INHERITED_VARS: [&str; 18] = [
    "HOME",
    "LOGNAME",
    "PATH",
    "SHELL",
    "TERM",
    "USER",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "NODE_EXTRA_CA_CERTS",
];
const INHERITED_PREFIXES: [&str; 2] = ["LC_", "XDG_"];

/// The child's environment: the inherited subset of the bridge's, overridden by `configured`.
pub fn child_env(
    bridge_env: impl IntoIterator<Item = (String, String)>,
    configured: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = bridge_env
        .into_iter()
        .filter(|(name, _)| {
            INHERITED_VARS.contains(&name.as_str())
                || INHERITED_PREFIXES
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
        })
        .collect();
    env.extend(configured.clone());
    env
}

pub struct StdioChild {
    child: Child,
}

/// The pipes of a freshly spawned child: the MCP channel.
pub struct StdioPipes {
    pub stdout: ChildStdout,
    pub stdin: ChildStdin,
}

impl StdioChild {
    /// Starts the child in its own process group (launchers such as `npx` run the server as a
    /// grandchild); its stderr lines go to the log, tagged with `server`.
    pub fn spawn(server: &str, config: &StdioConfig) -> std::io::Result<(Self, StdioPipes)> {
        let mut command = Command::new(&config.command);
        command
            .args(&config.args)
            .env_clear()
            .envs(child_env(std::env::vars(), &config.env))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(cwd) = &config.cwd {
            command.current_dir(cwd);
        }
        let mut child = command.spawn()?;
        let pipes = StdioPipes {
            stdout: child.stdout.take().expect("stdout is piped"),
            stdin: child.stdin.take().expect("stdin is piped"),
        };
        let stderr = child.stderr.take().expect("stderr is piped");
        tokio::spawn(log_stderr(server.to_string(), stderr));
        Ok((Self { child }, pipes))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits for the child to exit after its stdin was closed; if it does not, kills its whole
    /// process group. The child is reaped either way.
    pub async fn stop(mut self, server: &str) {
        let status = match tokio::time::timeout(EXIT_GRACE, self.child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                tracing::warn!(server, "child did not exit after stdin closed; killing it");
                // The group id is the child's pid; the child is not reaped yet, so it is still ours.
                let group = self.child.id().and_then(|pid| Pid::from_raw(pid as i32));
                if let Some(group) = group
                    && let Err(error) = kill_process_group(group, Signal::KILL)
                {
                    tracing::warn!(server, %error, "could not kill the child's process group");
                }
                // `kill` also covers a child that left the group; it reaps the child.
                match self.child.kill().await {
                    Ok(()) => self.child.wait().await,
                    Err(error) => Err(error),
                }
            }
        };
        match status {
            Ok(status) => tracing::info!(server, %status, "child exited"),
            Err(error) => tracing::warn!(server, %error, "could not reap child"),
        }
    }
}

async fn log_stderr(server: String, stderr: ChildStderr) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(server = %server, stream = "stderr", "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn child_inherits_runtime_variables_only() {
        let bridge = vars(&[
            ("PATH", "/usr/bin"),
            ("HOME", "/root"),
            ("LC_ALL", "C.UTF-8"),
            ("ATLASSIAN_TOKEN", "secret"),
            ("BRIDGE_SECRET", "secret"),
        ]);
        let env = child_env(bridge, &BTreeMap::new());
        assert_eq!(env.get("PATH").map(String::as_str), Some("/usr/bin"));
        assert_eq!(env.get("LC_ALL").map(String::as_str), Some("C.UTF-8"));
        assert!(!env.contains_key("ATLASSIAN_TOKEN"));
        assert!(!env.contains_key("BRIDGE_SECRET"));
    }

    #[test]
    fn configured_variables_are_added_and_win() {
        let bridge = vars(&[("PATH", "/usr/bin")]);
        let configured = BTreeMap::from([
            ("PATH".to_string(), "/opt/bin".to_string()),
            ("SONAR_TOKEN".to_string(), "t".to_string()),
        ]);
        let env = child_env(bridge, &configured);
        assert_eq!(env["PATH"], "/opt/bin");
        assert_eq!(env["SONAR_TOKEN"], "t");
    }
}
