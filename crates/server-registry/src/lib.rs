//! `servers.toml`: every upstream server behind the gateway, declared once. `cargo xtask servers`
//! writes the copies in `spin.toml` and `k8s/` from it; `mcp-gateway-admin migrate` writes the
//! `servers` table.

pub mod copies;
mod render;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

/// The registry of this checkout, as the binaries that embed it were built with.
pub const SERVERS_TOML: &str = include_str!("../../../servers.toml");

/// Paths the gateway itself serves at the root: no server may take them.
const RESERVED: [&str; 6] = ["mcp", "health", "auth", "catalog", "aggregate", "openapi"];
const DEFAULT_TIMEOUT_SECS: u32 = 60;
const MAX_TIMEOUT_SECS: u32 = 3600;
/// Served, and flagged when they change: the first list is trusted, later changes are not.
const DEFAULT_PIN: &str = "warn";
const PIN_MODES: [&str; 3] = ["off", "warn", "enforce"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Path segment, component id and variable prefix.
    pub id: String,
    pub name: String,
    pub tier: Tier,
    /// `bearer`, `header:<Name>` or `none`, as the route's `upstream_auth` variable.
    pub auth: String,
    pub origin: String,
    pub path: String,
    pub timeout_secs: u32,
    /// `off`, `warn` or `enforce`: the default of `<id>_pin`, what the route does with a tool,
    /// prompt or resource template definition nobody approved (`auth_core::pins`).
    pub pin: String,
    /// Served by the hot SpinApp of `k8s/overlays/split`.
    pub hot: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Http,
    Local,
    Sse,
    Stdio,
}

impl Tier {
    /// As the `tier` variable and the `servers.tier` column spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Local => "local",
            Self::Sse => "sse",
            Self::Stdio => "stdio",
        }
    }

    /// SSE and STDIO servers are reached through mcp-bridge, which requires its shared secret.
    pub fn via_bridge(self) -> bool {
        matches!(self, Self::Sse | Self::Stdio)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("servers.toml does not parse: {0}")]
    Syntax(String),
    #[error("servers.toml: server {id:?}: {problem}")]
    Invalid { id: String, problem: String },
    #[error("servers.toml declares {0:?} twice")]
    Duplicate(String),
    #[error("servers.toml declares no server")]
    Empty,
    #[error("cannot read {file}: {message}")]
    Read { file: String, message: String },
    #[error("cannot write {file}: {message}")]
    Write { file: String, message: String },
    #[error("{file}: {problem}")]
    Region { file: String, problem: String },
    #[error("spin.toml does not parse: {0}")]
    Manifest(String),
    #[error(
        "spin.toml has route components servers.toml does not declare: {0:?} (declare them in servers.toml and run `cargo xtask servers`)"
    )]
    Undeclared(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    server: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    name: String,
    tier: Tier,
    auth: String,
    origin: String,
    path: String,
    timeout: Option<u32>,
    pin: Option<String>,
    #[serde(default)]
    hot: bool,
}

/// The servers of a registry, in its order (the order of `spin.toml` and of `GET /`).
pub fn parse(text: &str) -> Result<Vec<Server>, Error> {
    let file: File = toml::from_str(text).map_err(|err| Error::Syntax(err.message().to_owned()))?;
    if file.server.is_empty() {
        return Err(Error::Empty);
    }
    let mut seen = BTreeSet::new();
    let mut servers = Vec::with_capacity(file.server.len());
    for entry in file.server {
        let server = check(entry)?;
        if !seen.insert(server.id.clone()) {
            return Err(Error::Duplicate(server.id));
        }
        servers.push(server);
    }
    Ok(servers)
}

/// The registry in `file` (a checkout's is `servers.toml` at its root).
pub fn load(file: &Path) -> Result<Vec<Server>, Error> {
    let text = std::fs::read_to_string(file).map_err(|err| Error::Read {
        file: file.display().to_string(),
        message: err.to_string(),
    })?;
    parse(&text)
}

/// The registry this binary was built with.
pub fn embedded() -> Vec<Server> {
    parse(SERVERS_TOML).expect("the committed servers.toml is valid (its tests say so)")
}

fn check(entry: Entry) -> Result<Server, Error> {
    let invalid = |problem: String| Error::Invalid {
        id: entry.id.clone(),
        problem,
    };
    if !is_id(&entry.id) {
        return Err(invalid(
            "the id must be a lowercase letter followed by lowercase letters and digits".into(),
        ));
    }
    if RESERVED.contains(&entry.id.as_str()) {
        return Err(invalid("the gateway itself serves this path".into()));
    }
    if entry.name.trim().is_empty() || entry.name.contains(['"', '\\', '\n']) {
        return Err(invalid(
            "the name must be non-empty, without quotes, backslashes or line breaks".into(),
        ));
    }
    if !is_auth(&entry.auth) {
        return Err(invalid(format!(
            "auth {:?} is not bearer, header:<Name> or none",
            entry.auth
        )));
    }
    if !is_origin(&entry.origin) {
        return Err(invalid(format!(
            "origin {:?} is not scheme://host[:port] (http or https, no path)",
            entry.origin
        )));
    }
    if !entry.path.starts_with('/') || entry.path.contains(char::is_whitespace) {
        return Err(invalid(format!(
            "path {:?} must start with / and hold no spaces",
            entry.path
        )));
    }
    let timeout_secs = entry.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(1..=MAX_TIMEOUT_SECS).contains(&timeout_secs) {
        return Err(invalid(format!(
            "timeout {timeout_secs} is not between 1 and {MAX_TIMEOUT_SECS} seconds"
        )));
    }
    let pin = entry.pin.clone().unwrap_or_else(|| DEFAULT_PIN.to_owned());
    if !PIN_MODES.contains(&pin.as_str()) {
        return Err(invalid(format!("pin {pin:?} is not off, warn or enforce")));
    }
    Ok(Server {
        id: entry.id,
        name: entry.name,
        tier: entry.tier,
        auth: entry.auth,
        origin: entry.origin,
        path: entry.path,
        timeout_secs,
        pin,
        hot: entry.hot,
    })
}

fn is_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn is_auth(auth: &str) -> bool {
    match auth.strip_prefix("header:") {
        Some(name) => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        None => matches!(auth, "bearer" | "none"),
    }
}

fn is_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
        [[server]]
        id = "linear"
        name = "Linear"
        tier = "http"
        auth = "bearer"
        origin = "https://mcp.linear.app"
        path = "/mcp"
    "#;

    fn with(field: &str, value: &str) -> String {
        ONE.lines()
            .map(|line| {
                if line.trim_start().starts_with(&format!("{field} =")) {
                    format!("{field} = {value}")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_committed_registry_is_valid() {
        let servers = parse(SERVERS_TOML).unwrap();
        assert!(servers.iter().any(|s| s.id == "demo"), "{servers:?}");
    }

    #[test]
    fn an_entry_gets_the_default_timeout_pin_and_the_rest_app() {
        let servers = parse(ONE).unwrap();
        assert_eq!(
            servers,
            [Server {
                id: "linear".into(),
                name: "Linear".into(),
                tier: Tier::Http,
                auth: "bearer".into(),
                origin: "https://mcp.linear.app".into(),
                path: "/mcp".into(),
                timeout_secs: 60,
                pin: "warn".into(),
                hot: false,
            }]
        );
    }

    #[test]
    fn ids_that_cannot_be_a_component_and_a_variable_prefix_are_refused() {
        for id in [
            "\"Linear\"",
            "\"my-server\"",
            "\"my_server\"",
            "\"1st\"",
            "\"\"",
        ] {
            assert!(
                matches!(parse(&with("id", id)), Err(Error::Invalid { .. })),
                "{id}"
            );
        }
        assert!(matches!(
            parse(&with("id", "\"mcp\"")),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn bad_fields_are_refused_with_the_server_named() {
        for (field, value) in [
            ("auth", "\"basic\""),
            ("auth", "\"header:\""),
            ("origin", "\"https://mcp.linear.app/mcp\""),
            ("origin", "\"ftp://x\""),
            ("path", "\"mcp\""),
            ("name", "\"\""),
            ("tier", "\"grpc\""),
        ] {
            let err = parse(&with(field, value)).unwrap_err();
            assert!(
                matches!(&err, Error::Invalid { id, .. } if id == "linear")
                    || matches!(err, Error::Syntax(_)),
                "{field} = {value}: {err:?}"
            );
        }
        assert!(parse(&format!("{ONE}\ntimeout = 0")).is_err());
        assert!(parse(&format!("{ONE}\npin = \"strict\"")).is_err());
        assert_eq!(
            parse(&format!("{ONE}\npin = \"enforce\"")).unwrap()[0].pin,
            "enforce"
        );
        assert!(parse(&format!("{ONE}\ncolour = \"red\"")).is_err());
    }

    #[test]
    fn a_server_declared_twice_is_refused() {
        assert_eq!(
            parse(&format!("{ONE}\n{ONE}")),
            Err(Error::Duplicate("linear".into()))
        );
    }

    #[test]
    fn an_empty_registry_is_refused() {
        assert_eq!(parse(""), Err(Error::Empty));
    }

    #[test]
    fn header_auth_names_a_header() {
        let servers = parse(&with("auth", "\"header:DD-API-KEY\"")).unwrap();
        assert_eq!(servers[0].auth, "header:DD-API-KEY");
    }
}
