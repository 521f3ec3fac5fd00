//! The bridge configuration: the `mcpServers` JSON format of Claude Desktop and mcpo, plus a
//! `bridge` object for the service's own options.
//!
//! Pure: the environment used for `${VAR}` expansion is passed in, so tests never touch the
//! process environment.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// Top-level key holding the servers.
pub const KEY_SERVERS: &str = "mcpServers";
/// `type` value of a legacy HTTP+SSE server entry.
pub const TYPE_SSE: &str = "sse";
/// `type` value of a stdio server entry (also the default when `command` is present).
pub const TYPE_STDIO: &str = "stdio";

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 30_000;
const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;
const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
const DEFAULT_BACKOFF_INITIAL_MS: u64 = 100;
const DEFAULT_BACKOFF_MAX_MS: u64 = 30_000;
const DEFAULT_ALLOWED_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// Shortest accepted `sharedSecret`, as for the gateway's own secret (`openssl rand -hex 32`).
const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("the config is not valid: {0}")]
    Syntax(String),
    #[error("{at}: environment variable {var} is not set")]
    MissingVar { at: String, var: String },
    #[error("{at}: unterminated `${{` in {value:?}")]
    UnterminatedVar { at: String, value: String },
    #[error("the config has no servers under \"{KEY_SERVERS}\"")]
    NoServers,
    #[error(
        "server name {0:?} is not usable in a URL path: use letters, digits, '-' and '_' (starting with a letter or digit)"
    )]
    BadServerName(String),
    #[error("server {server}: {reason}")]
    BadServer { server: String, reason: String },
    #[error("bridge.{field}: {reason}")]
    BadOption { field: &'static str, reason: String },
}

/// When a server's upstream connection is first opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StartMode {
    /// At bridge start; `/readyz` reports 503 while such a server is down.
    Boot,
    /// On the first request for the server.
    Lazy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub bridge: BridgeOptions,
    pub servers: Vec<ServerConfig>,
}

/// Who may use the MCP routes and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Every request must carry this value in `X-Bridge-Secret` (`sharedSecret`).
    SharedSecret(String),
    /// Anyone who reaches the listener (`"allowUnauthenticated": true`).
    Unauthenticated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeOptions {
    pub listen: SocketAddr,
    pub access: Access,
    /// `Host` values accepted on MCP routes (DNS-rebinding protection); empty accepts any.
    pub allowed_hosts: Vec<String>,
    pub max_body_bytes: usize,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub name: String,
    pub transport: TransportConfig,
    pub start: StartMode,
    /// Bound on one request, including the wait for the upstream to become ready.
    pub request_timeout: Duration,
    /// Bound on starting (spawn or connect) plus the upstream handshake.
    pub connect_timeout: Duration,
    /// Requests in flight at once; more are answered 503 at once.
    pub max_concurrent_requests: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportConfig {
    Stdio(StdioConfig),
    Sse(SseConfig),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdioConfig {
    pub command: String,
    pub args: Vec<String>,
    /// Added to the bridge's own environment for the child.
    pub env: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseConfig {
    pub url: Url,
    pub headers: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawFile {
    #[serde(default)]
    bridge: RawBridge,
    mcp_servers: Option<BTreeMap<String, RawServer>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawBridge {
    listen: Option<String>,
    shared_secret: Option<String>,
    #[serde(default)]
    allow_unauthenticated: bool,
    allowed_hosts: Option<Vec<String>>,
    max_body_bytes: Option<usize>,
    start: Option<StartMode>,
    request_timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    max_concurrent_requests: Option<usize>,
    backoff_initial_ms: Option<u64>,
    backoff_max_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawServer {
    #[serde(rename = "type")]
    kind: Option<String>,
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Claude Desktop's switch to keep an entry without running it.
    #[serde(default)]
    disabled: bool,
    start: Option<StartMode>,
    request_timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    max_concurrent_requests: Option<usize>,
}

impl Config {
    /// Parses the config text, expanding `${VAR}` in every string value with `env`.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut value: Value =
            serde_json::from_str(text).map_err(|err| ConfigError::Syntax(err.to_string()))?;
        expand_strings(&mut value, "$", env)?;
        let raw: RawFile =
            serde_json::from_value(value).map_err(|err| ConfigError::Syntax(err.to_string()))?;
        build(raw)
    }

    /// Reads and parses a config file.
    pub fn load(
        path: &std::path::Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError::Read {
            path: path.display().to_string(),
            reason: err.to_string(),
        })?;
        Self::parse(&text, env)
    }
}

fn build(raw: RawFile) -> Result<Config, ConfigError> {
    let bridge = raw.bridge;
    let listen = bridge.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen = listen.parse().map_err(|_| ConfigError::BadOption {
        field: "listen",
        reason: format!("{listen:?} is not an IP address with a port"),
    })?;
    let access = access(bridge.shared_secret, bridge.allow_unauthenticated)?;
    let backoff_initial = positive_ms(
        "backoffInitialMs",
        bridge.backoff_initial_ms,
        DEFAULT_BACKOFF_INITIAL_MS,
    )?;
    let backoff_max = positive_ms(
        "backoffMaxMs",
        bridge.backoff_max_ms,
        DEFAULT_BACKOFF_MAX_MS,
    )?;
    if backoff_max < backoff_initial {
        return Err(ConfigError::BadOption {
            field: "backoffMaxMs",
            reason: "must not be below backoffInitialMs".into(),
        });
    }
    let defaults = ServerDefaults {
        start: bridge.start.unwrap_or(StartMode::Boot),
        request_timeout: positive_ms(
            "requestTimeoutMs",
            bridge.request_timeout_ms,
            DEFAULT_REQUEST_TIMEOUT_MS,
        )?,
        connect_timeout: positive_ms(
            "connectTimeoutMs",
            bridge.connect_timeout_ms,
            DEFAULT_CONNECT_TIMEOUT_MS,
        )?,
        max_concurrent_requests: positive(
            "maxConcurrentRequests",
            bridge.max_concurrent_requests,
            DEFAULT_MAX_CONCURRENT_REQUESTS,
        )?,
    };
    let options = BridgeOptions {
        listen,
        access,
        allowed_hosts: bridge.allowed_hosts.unwrap_or_else(|| {
            DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|host| host.to_string())
                .collect()
        }),
        max_body_bytes: positive(
            "maxBodyBytes",
            bridge.max_body_bytes,
            DEFAULT_MAX_BODY_BYTES,
        )?,
        backoff_initial,
        backoff_max,
    };
    let servers = raw.mcp_servers.ok_or(ConfigError::NoServers)?;
    let servers: Vec<ServerConfig> = servers
        .into_iter()
        .filter(|(_, server)| !server.disabled)
        .map(|(name, server)| server_config(name, server, &defaults))
        .collect::<Result<_, _>>()?;
    if servers.is_empty() {
        return Err(ConfigError::NoServers);
    }
    Ok(Config {
        bridge: options,
        servers,
    })
}

/// Closed by default: no secret is a config error unless the operator opted out explicitly.
fn access(secret: Option<String>, allow_unauthenticated: bool) -> Result<Access, ConfigError> {
    match (secret, allow_unauthenticated) {
        (Some(_), true) => Err(ConfigError::BadOption {
            field: "allowUnauthenticated",
            reason: "contradicts sharedSecret: set only one of them".into(),
        }),
        (Some(secret), false) if secret.len() < MIN_SECRET_LEN => Err(ConfigError::BadOption {
            field: "sharedSecret",
            reason: format!(
                "must be at least {MIN_SECRET_LEN} characters (e.g. the output of openssl rand -hex 32)"
            ),
        }),
        (Some(secret), false) => Ok(Access::SharedSecret(secret)),
        (None, true) => Ok(Access::Unauthenticated),
        (None, false) => Err(ConfigError::BadOption {
            field: "sharedSecret",
            reason: "is not set: the bridge serves only callers that send it in X-Bridge-Secret \
                     (to serve anyone who can reach it, set \"allowUnauthenticated\": true)"
                .into(),
        }),
    }
}

struct ServerDefaults {
    start: StartMode,
    request_timeout: Duration,
    connect_timeout: Duration,
    max_concurrent_requests: usize,
}

fn server_config(
    name: String,
    raw: RawServer,
    defaults: &ServerDefaults,
) -> Result<ServerConfig, ConfigError> {
    if !is_path_segment(&name) {
        return Err(ConfigError::BadServerName(name));
    }
    let bad = |reason: String| ConfigError::BadServer {
        server: name.clone(),
        reason,
    };
    let kind = raw.kind.as_deref().unwrap_or(if raw.url.is_some() {
        TYPE_SSE
    } else {
        TYPE_STDIO
    });
    let transport = match kind {
        TYPE_STDIO => {
            if raw.url.is_some() || !raw.headers.is_empty() {
                return Err(bad("a stdio server takes no \"url\" or \"headers\"".into()));
            }
            let command = raw
                .command
                .filter(|command| !command.is_empty())
                .ok_or_else(|| bad("a stdio server needs a \"command\"".into()))?;
            TransportConfig::Stdio(StdioConfig {
                command,
                args: raw.args,
                env: raw.env,
                cwd: raw.cwd,
            })
        }
        TYPE_SSE => {
            if raw.command.is_some() || !raw.args.is_empty() || !raw.env.is_empty() {
                return Err(bad(
                    "an sse server takes no \"command\", \"args\" or \"env\"".into(),
                ));
            }
            let url = raw
                .url
                .ok_or_else(|| bad("an sse server needs a \"url\"".into()))?;
            let url = Url::parse(&url).map_err(|err| bad(format!("url {url:?}: {err}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(bad(format!("url {url}: only http and https are supported")));
            }
            TransportConfig::Sse(SseConfig {
                url,
                headers: raw.headers,
            })
        }
        other => {
            return Err(bad(format!(
                "type {other:?} is not bridged: use \"{TYPE_STDIO}\" or \"{TYPE_SSE}\" (Streamable HTTP servers are reached directly, without the bridge)"
            )));
        }
    };
    let request_timeout = match raw.request_timeout_ms {
        Some(0) => return Err(bad("requestTimeoutMs must be above 0".into())),
        Some(ms) => Duration::from_millis(ms),
        None => defaults.request_timeout,
    };
    let connect_timeout = match raw.connect_timeout_ms {
        Some(0) => return Err(bad("connectTimeoutMs must be above 0".into())),
        Some(ms) => Duration::from_millis(ms),
        None => defaults.connect_timeout,
    };
    let max_concurrent_requests = match raw.max_concurrent_requests {
        Some(0) => return Err(bad("maxConcurrentRequests must be above 0".into())),
        Some(limit) => limit,
        None => defaults.max_concurrent_requests,
    };
    Ok(ServerConfig {
        name,
        transport,
        start: raw.start.unwrap_or(defaults.start),
        request_timeout,
        connect_timeout,
        max_concurrent_requests,
    })
}

fn positive(
    field: &'static str,
    value: Option<usize>,
    default: usize,
) -> Result<usize, ConfigError> {
    match value {
        Some(0) => Err(ConfigError::BadOption {
            field,
            reason: "must be above 0".into(),
        }),
        Some(value) => Ok(value),
        None => Ok(default),
    }
}

fn positive_ms(
    field: &'static str,
    value: Option<u64>,
    default: u64,
) -> Result<Duration, ConfigError> {
    match value {
        Some(0) => Err(ConfigError::BadOption {
            field,
            reason: "must be above 0".into(),
        }),
        Some(ms) => Ok(Duration::from_millis(ms)),
        None => Ok(Duration::from_millis(default)),
    }
}

fn is_path_segment(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Replaces `${VAR}` in every string of `value`; `at` is the JSON path, for error messages.
fn expand_strings(
    value: &mut Value,
    at: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    match value {
        Value::String(text) => *text = expand(text, at, env)?,
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                expand_strings(item, &format!("{at}[{index}]"), env)?;
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields.iter_mut() {
                expand_strings(item, &format!("{at}.{key}"), env)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

fn expand(
    text: &str,
    at: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| ConfigError::UnterminatedVar {
                at: at.to_string(),
                value: text.to_string(),
            })?;
        let var = &after[..end];
        let value = env(var).ok_or_else(|| ConfigError::MissingVar {
            at: at.to_string(),
            var: var.to_string(),
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn env(var: &str) -> Option<String> {
        match var {
            "TOKEN" => Some("s3cret".into()),
            "HOST" => Some("jira.example.com".into()),
            "BRIDGE_SECRET" => Some(SECRET.into()),
            _ => None,
        }
    }

    /// Parses `text` given a `sharedSecret` unless it sets access itself: for the tests of
    /// everything but access.
    fn parse(text: &str) -> Result<Config, ConfigError> {
        let text = match serde_json::from_str(text) {
            Ok(Value::Object(mut file)) => {
                let bridge = file
                    .entry("bridge")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(bridge) = bridge.as_object_mut()
                    && !bridge.contains_key("allowUnauthenticated")
                {
                    bridge
                        .entry("sharedSecret")
                        .or_insert_with(|| SECRET.into());
                }
                Value::Object(file).to_string()
            }
            _ => text.to_owned(),
        };
        Config::parse(&text, &env)
    }

    fn access_of(bridge: &str) -> Result<Access, ConfigError> {
        let text = format!(r#"{{"bridge": {bridge}, "mcpServers": {{"a": {{"command": "x"}}}}}}"#);
        Config::parse(&text, &env).map(|config| config.bridge.access)
    }

    #[test]
    fn parses_stdio_and_sse_entries_with_expansion() {
        let config = parse(
            r#"{"mcpServers": {
                "sonarqube": {"command": "npx", "args": ["-y", "sonar"], "env": {"SONAR_TOKEN": "${TOKEN}"}, "cwd": "/srv"},
                "atlassian": {"type": "sse", "url": "https://${HOST}/sse", "headers": {"Authorization": "Bearer ${TOKEN}"}}
            }}"#,
        )
        .unwrap();
        assert_eq!(config.servers.len(), 2);
        let atlassian = &config.servers[0];
        assert_eq!(atlassian.name, "atlassian");
        let TransportConfig::Sse(sse) = &atlassian.transport else {
            panic!("atlassian is sse")
        };
        assert_eq!(sse.url.as_str(), "https://jira.example.com/sse");
        assert_eq!(sse.headers["Authorization"], "Bearer s3cret");
        let TransportConfig::Stdio(stdio) = &config.servers[1].transport else {
            panic!("sonarqube is stdio")
        };
        assert_eq!(stdio.command, "npx");
        assert_eq!(stdio.args, ["-y", "sonar"]);
        assert_eq!(stdio.env["SONAR_TOKEN"], "s3cret");
        assert_eq!(stdio.cwd, Some(PathBuf::from("/srv")));
    }

    #[test]
    fn applies_defaults_and_per_server_overrides() {
        let config = parse(
            r#"{"bridge": {"start": "lazy", "requestTimeoutMs": 5000, "maxConcurrentRequests": 4},
                "mcpServers": {
                  "a": {"command": "a"},
                  "b": {"command": "b", "start": "boot", "requestTimeoutMs": 100, "maxConcurrentRequests": 1}
                }}"#,
        )
        .unwrap();
        assert_eq!(config.bridge.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            config.bridge.allowed_hosts,
            ["localhost", "127.0.0.1", "::1"]
        );
        let (a, b) = (&config.servers[0], &config.servers[1]);
        assert_eq!(a.start, StartMode::Lazy);
        assert_eq!(a.request_timeout, Duration::from_secs(5));
        assert_eq!(a.max_concurrent_requests, 4);
        assert_eq!(b.start, StartMode::Boot);
        assert_eq!(b.request_timeout, Duration::from_millis(100));
        assert_eq!(b.max_concurrent_requests, 1);
    }

    #[test]
    fn access_needs_a_secret_or_the_explicit_opt_out() {
        assert_eq!(
            access_of(r#"{"sharedSecret": "${BRIDGE_SECRET}"}"#),
            Ok(Access::SharedSecret(SECRET.into()))
        );
        assert_eq!(
            access_of(r#"{"allowUnauthenticated": true}"#),
            Ok(Access::Unauthenticated)
        );
        let refused = [
            ("{}", "bridge.sharedSecret: is not set"),
            (r#"{"allowUnauthenticated": false}"#, "is not set"),
            (r#"{"sharedSecret": ""}"#, "at least 32 characters"),
            (r#"{"sharedSecret": "${TOKEN}"}"#, "at least 32 characters"),
            (
                r#"{"sharedSecret": "${BRIDGE_SECRET}", "allowUnauthenticated": true}"#,
                "bridge.allowUnauthenticated: contradicts sharedSecret",
            ),
        ];
        for (bridge, expected) in refused {
            let err = access_of(bridge).expect_err(bridge).to_string();
            assert!(err.contains(expected), "{bridge}: {err}");
        }
    }

    #[test]
    fn disabled_servers_are_skipped() {
        let config =
            parse(r#"{"mcpServers": {"on": {"command": "x"}, "off": {"command": "y", "disabled": true}}}"#)
                .unwrap();
        let names: Vec<_> = config.servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["on"]);
    }

    #[test]
    fn missing_variable_names_the_variable_and_place() {
        let err = parse(r#"{"mcpServers": {"a": {"command": "x", "env": {"K": "${NOPE}"}}}}"#)
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingVar {
                at: "$.mcpServers.a.env.K".into(),
                var: "NOPE".into()
            }
        );
    }

    #[test]
    fn unterminated_variable_is_rejected() {
        let err = parse(r#"{"mcpServers": {"a": {"command": "${TOKEN"}}}"#).unwrap_err();
        assert!(matches!(err, ConfigError::UnterminatedVar { .. }), "{err}");
    }

    #[test]
    fn text_without_variables_is_unchanged() {
        assert_eq!(expand("a $b {c} $", "$", &env).unwrap(), "a $b {c} $");
        assert_eq!(
            expand("${TOKEN}${TOKEN}", "$", &env).unwrap(),
            "s3crets3cret"
        );
    }

    #[test]
    fn rejects_malformed_configs() {
        let cases = [
            ("not json", "not valid"),
            (r#"{"servers": {}}"#, "unknown field"),
            (r#"{"mcpServers": {}}"#, "no servers"),
            (
                r#"{"mcpServers": {"a/b": {"command": "x"}}}"#,
                "not usable in a URL path",
            ),
            (
                r#"{"mcpServers": {"a": {"args": []}}}"#,
                "needs a \"command\"",
            ),
            (
                r#"{"mcpServers": {"a": {"type": "sse"}}}"#,
                "needs a \"url\"",
            ),
            (
                r#"{"mcpServers": {"a": {"type": "sse", "url": "ftp://x"}}}"#,
                "only http",
            ),
            (
                r#"{"mcpServers": {"a": {"type": "streamable-http", "url": "http://x"}}}"#,
                "not bridged",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "url": "http://x", "type": "stdio"}}}"#,
                "takes no",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "comand": "y"}}}"#,
                "unknown field `comand`",
            ),
            (
                r#"{"bridge": {"listen": "nope"}, "mcpServers": {"a": {"command": "x"}}}"#,
                "bridge.listen",
            ),
            (
                r#"{"mcpServers": {"a": {"command": "x", "maxConcurrentRequests": 0}}}"#,
                "above 0",
            ),
            (
                r#"{"bridge": {"start": "sometimes"}, "mcpServers": {"a": {"command": "x"}}}"#,
                "unknown variant",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
