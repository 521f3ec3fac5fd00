//! `cargo xtask up`: the gateway with a demo upstream, PostgreSQL and a dev API key.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process::{self, ChildGuard};
use crate::provision::{postgres, tools};
use crate::test::{self, WASM_TARGET};

mod plan;

use plan::{DemoDatabase, Environment, Group, Variable, spin_variable};

const KEY_OWNER: &str = "cargo-xtask-up";
/// STDIO-tier routes of spin.toml served locally by the demo bridge's servers (route, bridge name).
const STDIO_STAND_INS: [(&str, &str); 2] = [("sonarqube", "everything"), ("sentry", "time")];

/// The first start compiles every component; later starts load them from the runner's cache.
const START_TIMEOUT: Duration = Duration::from_secs(300);

pub fn run(listen: SocketAddr) -> Result<()> {
    let env: Environment = std::env::vars().collect();
    let root = process::root();
    let spin = process::find_on_path("spin");
    process::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    // The venvs and node_modules of the bridge's servers install while cargo compiles.
    let tools = std::thread::spawn(tools::provision);
    // The same builds as `cargo xtask test` (its binaries and wasm, dev profile): a first run
    // compiles each dependency once, and either task reuses what the other built.
    process::run(&mut test::build_components(&test::COMPONENTS))?;
    process::run(&mut test::native_workspace("build"))?;
    let tools = tools
        .join()
        .map_err(|_| anyhow::anyhow!("tool provisioning panicked"))??;
    let bin = root.join("target").join("debug");

    // `_postgres` keeps a cluster xtask started running until the end.
    let (_postgres, database_url, described) = match plan::demo_database(&env)? {
        DemoDatabase::Gateway(url) => {
            postgres::prepare_database(&url, &spin_variable(plan::DATABASE_URL))?;
            let described = format!("from {}", spin_variable(plan::DATABASE_URL));
            (None, url, described)
        }
        DemoDatabase::OnServer { database } => {
            let server = postgres::provision_for_demo()?;
            let url = postgres::with_database(&server.url, &database)?;
            let source = if env.contains_key(test_support::ENV_DATABASE_URL) {
                test_support::ENV_DATABASE_URL
            } else {
                "the local PostgreSQL URL"
            };
            postgres::prepare_database(&url, source)?;
            let described = format!("{} (database {database})", server.describe());
            (Some(server), url, described)
        }
    };
    let api_key = migrate_and_create_key(&bin, &database_url, KEY_OWNER)?;

    let mut children = Vec::new();
    let mut groups = vec![
        Group::single(Variable::secret(plan::DATABASE_URL, database_url.clone())),
        Group::single(Variable::public(
            "database_host",
            postgres::host_port(&database_url)?,
        )),
        Group::single(Variable::secret("gateway_secret", gateway_secret()?)),
    ];

    let (demo, demo_url) = start_demo_server(&bin)?;
    children.push(demo);
    groups.push(Group::single(Variable::public(
        "demo_origin",
        origin_of(&demo_url)?,
    )));

    let bridge_config = root.join("bridges").join("mcp-bridge").join("demo.json");
    if bridge_config.is_file() {
        let secret = plan::bridge_secret(&env);
        let (bridge, origin, servers) = start_bridge(&bin, &tools, &bridge_config, &secret)?;
        children.push(bridge);
        groups.push(Group::single(Variable::secret(plan::BRIDGE_SECRET, secret)));
        // The demo's stdio servers stand in for the STDIO-tier routes, so those work locally.
        for (route, bridged) in STDIO_STAND_INS {
            if servers.iter().any(|s| s == bridged) {
                groups.push(stand_in(route, bridged, &origin));
            }
        }
    }
    let decision = plan::decide(groups, &env);
    eprint!("{}", decision.report());

    // `spin up` and the project's runner take the same arguments.
    let mut gateway = Command::new(spin.unwrap_or_else(|| bin.join("spin-runner")));
    gateway
        .arg("up")
        .arg("--from")
        .arg(root.join("spin.toml"))
        .arg("--listen")
        .arg(listen.to_string())
        .current_dir(&root);
    for variable in &decision.set {
        gateway.env(spin_variable(&variable.name), &variable.value);
    }
    children.push(ChildGuard::spawn("gateway", &mut gateway)?);
    wait_for_health(listen, &mut children)?;

    let bridged_sentry = decision.is_set("sentry_origin");
    println!("{}", banner(listen, &described, &api_key, bridged_sentry));
    eprintln!("xtask: serving until Ctrl-C");
    while !process::interrupted() {
        if let Some(exited) = children.iter_mut().find_map(ChildGuard::exited) {
            bail!("{exited}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
    // `children` then `_postgres` drop here: every child is killed and reaped.
}

/// `route`'s upstream served by the bridge's `bridged` server at `origin`.
fn stand_in(route: &str, bridged: &str, origin: &str) -> Group {
    Group {
        label: format!("{route} (stand-in: the bridge's {bridged})"),
        variables: vec![
            Variable::public(&format!("{route}_origin"), origin),
            Variable::public(&format!("{route}_path"), format!("/{bridged}/mcp")),
            // The route needs a bearer credential to send; the bridge checks bridge_secret instead.
            Variable::secret(&format!("{route}_token"), "local-demo-bridge"),
        ],
    }
}

/// `demo-mcp-server` on a free port, read back from its first stdout line.
fn start_demo_server(bin: &Path) -> Result<(ChildGuard, String)> {
    let mut demo = ChildGuard::spawn(
        "demo-mcp-server",
        Command::new(bin.join("demo-mcp-server"))
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped()),
    )?;
    let stdout = demo.child_mut().stdout.take().expect("piped stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("demo-mcp-server printed {first:?}"))?
        .to_owned();
    eprintln!("demo MCP server: {url}");
    Ok((demo, url))
}

/// `mcp-bridge` serving `config` on a free port, requiring `secret` (`${MCPGW_BRIDGE_SECRET}` in
/// `demo.json`); returns its origin and the servers it serves.
fn start_bridge(
    bin: &Path,
    tools: &tools::Tools,
    config: &Path,
    secret: &str,
) -> Result<(ChildGuard, String, Vec<String>)> {
    let servers = bridge_servers(&std::fs::read_to_string(config)?)
        .with_context(|| format!("{} has no mcpServers object", config.display()))?;
    let port_file = process::tools_dir().join("mcp-bridge.addr");
    let _ = std::fs::remove_file(&port_file);
    let mut bridge = ChildGuard::spawn(
        "mcp-bridge",
        Command::new(bin.join("mcp-bridge"))
            .arg("--config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--port-file"])
            .arg(&port_file)
            .env(test_support::ENV_PYTHON, &tools.python)
            .env(test_support::ENV_NODE_MODULES, &tools.node_modules)
            .env(test_support::ENV_BRIDGE_SECRET, secret),
    )?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        if let Ok(addr) = std::fs::read_to_string(&port_file) {
            break addr;
        }
        if let Some(exited) = bridge.exited() {
            bail!("{exited}");
        }
        if Instant::now() > deadline || process::interrupted() {
            bail!("mcp-bridge did not report its address");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let origin = format!("http://{}", addr.trim());
    eprintln!("mcp-bridge: {origin} serving {}", servers.join(", "));
    Ok((bridge, origin, servers))
}

/// The server names of an `mcpServers` config.
fn bridge_servers(config: &str) -> Option<Vec<String>> {
    let config: serde_json::Value = serde_json::from_str(config).ok()?;
    Some(
        config
            .get("mcpServers")?
            .as_object()?
            .keys()
            .cloned()
            .collect(),
    )
}

/// `scheme://host:port` of a URL.
fn origin_of(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url).with_context(|| format!("not a URL: {url}"))?;
    Ok(parsed.origin().ascii_serialization())
}

/// The key line of `mcp-gateway-admin api-key create`: the line after `created API key ...`.
/// Migrates the database and creates an API key for every server, owned by `owner`: the key.
pub(crate) fn migrate_and_create_key(
    bin: &std::path::Path,
    database_url: &str,
    owner: &str,
) -> Result<String> {
    let admin = |args: &[&str]| {
        process::output(
            Command::new(bin.join("mcp-gateway-admin"))
                .args(args)
                .env(test_support::ENV_DATABASE_URL, database_url),
        )
    };
    admin(&["migrate"])?;
    let created = admin(&["api-key", "create", "--owner", owner, "--all-servers"])?;
    created_key(&created).context("mcp-gateway-admin printed no key")
}

fn created_key(output: &str) -> Option<String> {
    let mut lines = output.lines();
    lines.find(|line| line.starts_with("created API key"))?;
    let key = lines.next()?.trim();
    (!key.is_empty()).then(|| key.to_owned())
}

/// A 32-byte hex secret kept in `target/tools/demo-secret`, so keys stay valid across runs.
fn gateway_secret() -> Result<String> {
    let path = process::tools_dir().join("demo-secret");
    if let Ok(secret) = std::fs::read_to_string(&path)
        && secret.trim().len() >= 64
    {
        return Ok(secret.trim().to_owned());
    }
    let secret = test_support::random_secret();
    std::fs::create_dir_all(process::tools_dir())?;
    write_private(&path, &secret)?;
    Ok(secret)
}

fn write_private(path: &Path, content: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("write {}", path.display()))?;
    file.write_all(content.as_bytes())?;
    Ok(())
}

/// Polls `GET /health` until it answers 200, while every child keeps running.
fn wait_for_health(listen: SocketAddr, children: &mut [ChildGuard]) -> Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if health_ok(listen) {
            return Ok(());
        }
        if let Some(exited) = children.iter_mut().find_map(ChildGuard::exited) {
            bail!("{exited}");
        }
        if Instant::now() > deadline || process::interrupted() {
            bail!("the gateway did not answer GET http://{listen}/health");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn health_ok(listen: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&listen, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /health HTTP/1.1\r\nHost: {listen}\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && is_ok_status(&response)
}

fn is_ok_status(response: &str) -> bool {
    response
        .lines()
        .next()
        .and_then(|status| status.split_whitespace().nth(1))
        == Some("200")
}

fn banner(listen: SocketAddr, postgres: &str, api_key: &str, bridged_sentry: bool) -> String {
    let mut text = format!(
        "\nThe gateway is up on http://{listen}\n\
         PostgreSQL: {postgres}\n\
         API key (all servers): {api_key}\n\n\
         Try:\n\
         curl -s -H \"Authorization: Bearer {api_key}\" -H 'content-type: application/json' -d '{{\"message\":\"hello\"}}' http://{listen}/demo/echo\n\
         curl -s -H \"Authorization: Bearer {api_key}\" http://{listen}/\n\
         curl -s -H \"Authorization: Bearer {api_key}\" http://{listen}/demo/openapi.json\n"
    );
    if bridged_sentry {
        text.push_str(&format!(
            "curl -s -H \"Authorization: Bearer {api_key}\" -H 'content-type: application/json' -d '{{\"timezone\":\"UTC\"}}' http://{listen}/sentry/get_current_time   # STDIO tier, via mcp-bridge\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_line_after_the_announcement() {
        let output = "created API key 7 (store it now: it is not shown again)\nmcpk_abc123\n";
        assert_eq!(created_key(output).as_deref(), Some("mcpk_abc123"));
    }

    #[test]
    fn output_without_a_key_yields_none() {
        assert_eq!(created_key("created API key 7 (store it now)\n"), None);
        assert_eq!(created_key("error: no database\n"), None);
    }

    #[test]
    fn bridge_servers_are_the_mcp_servers_keys() {
        let config = r#"{"bridge":{"listen":"127.0.0.1:8090"},"mcpServers":{"time":{"command":"x"},"everything":{"command":"y"}}}"#;
        let mut servers = bridge_servers(config).unwrap();
        servers.sort();
        assert_eq!(servers, ["everything", "time"]);
        assert_eq!(bridge_servers(r#"{"servers":{}}"#), None);
    }

    #[test]
    fn a_stand_in_points_the_route_at_the_bridged_server() {
        let group = stand_in("sentry", "time", "http://127.0.0.1:7000");
        let set: Vec<(&str, &str)> = group
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(
            set,
            [
                ("sentry_origin", "http://127.0.0.1:7000"),
                ("sentry_path", "/time/mcp"),
                ("sentry_token", "local-demo-bridge"),
            ]
        );
    }

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(
            origin_of("http://127.0.0.1:4123/mcp").unwrap(),
            "http://127.0.0.1:4123"
        );
        assert!(origin_of("not a url").is_err());
    }

    #[test]
    fn only_200_is_healthy() {
        assert!(is_ok_status("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
        assert!(!is_ok_status("HTTP/1.1 503 Service Unavailable\r\n\r\n"));
        assert!(!is_ok_status(""));
    }
}
