//! A PostgreSQL: `DATABASE_URL`, else the local server, else a cluster of xtask's own under
//! `target/tools/` (Debian's `initdb`/`pg_ctl`, run as the `postgres` user when xtask is root).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::process::{self, run};

const LOCAL_PORT: u16 = 5432;

/// The PostgreSQL to use; a cluster xtask started is stopped when this is dropped.
pub struct Postgres {
    /// Superuser URL.
    pub url: String,
    cluster: Option<Cluster>,
}

impl Postgres {
    /// Where it is, for people reading the logs.
    pub fn describe(&self) -> String {
        match &self.cluster {
            Some(cluster) => format!(
                "{} (cluster of xtask's own in {})",
                self.url,
                cluster.data.display()
            ),
            None => self.url.clone(),
        }
    }
}

/// For the suites: an existing server, else a throwaway cluster deleted afterwards.
pub fn provision_for_test() -> Result<Postgres> {
    if let Some(found) = existing() {
        return Ok(found);
    }
    let port = test_support::free_port();
    let data = clusters_dir()?.join(format!("pg-{port}"));
    Cluster::create(data, port, Lifetime::Throwaway)
}

/// For the demo: an existing server, else a cluster whose data stays in `pg-demo` of
/// [`clusters_dir`] (on the port recorded beside it), so keys and grants survive restarts.
pub fn provision_for_demo() -> Result<Postgres> {
    if let Some(found) = existing() {
        return Ok(found);
    }
    let data = clusters_dir()?.join("pg-demo");
    let port_file = data.with_extension("port");
    if let Some(port) = std::fs::read_to_string(&port_file)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        && data.join("PG_VERSION").exists()
    {
        return Cluster::start_existing(data, port);
    }
    let port = test_support::free_port();
    std::fs::write(&port_file, port.to_string())
        .with_context(|| format!("write {}", port_file.display()))?;
    Cluster::create(data, port, Lifetime::Persistent)
}

/// Where clusters keep their data: `target/tools`, unless xtask runs as root (the cluster then
/// belongs to the `postgres` user) and that user may not enter the checkout (a clone in a
/// `mktemp -d` folder or in `/root`): then a folder named after the checkout in the system's
/// temporary directory.
fn clusters_dir() -> Result<PathBuf> {
    clusters_dir_for(&process::tools_dir())
}

fn clusters_dir_for(tools: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(tools).with_context(|| format!("create {}", tools.display()))?;
    if !process::running_as_root() || postgres_may_enter(tools) {
        return Ok(tools.to_path_buf());
    }
    let name: String = tools
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("mcp-gateway-postgres{name}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("open {} to the postgres user", dir.display()))?;
    Ok(dir)
}

fn postgres_may_enter(dir: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(dir)
        .status()
        .is_ok_and(|status| status.success())
}

fn existing() -> Option<Postgres> {
    if let Ok(url) = std::env::var(test_support::ENV_DATABASE_URL) {
        eprintln!("PostgreSQL: from {}", test_support::ENV_DATABASE_URL);
        return Some(Postgres { url, cluster: None });
    }
    let local = local_url(LOCAL_PORT);
    if accepts_connections(&local) {
        eprintln!("PostgreSQL: local server at {local}");
        return Some(Postgres {
            url: local,
            cluster: None,
        });
    }
    None
}

/// Superuser URL of a server on this machine (its SSL certificate is self-signed: no TLS).
pub fn local_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable")
}

/// The database every server has, for connecting before the demo's database exists.
pub const MAINTENANCE_DATABASE: &str = "postgres";

/// The database `url` names, `None` when it names none.
pub fn database_of(url: &str) -> Result<Option<String>> {
    let parsed = url::Url::parse(url).with_context(|| "the PostgreSQL URL is malformed")?;
    let database = parsed.path().trim_start_matches('/');
    Ok((!database.is_empty()).then(|| database.to_owned()))
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> Result<String> {
    let mut parsed = url::Url::parse(url).with_context(|| "the PostgreSQL URL is malformed")?;
    parsed.set_path(&format!("/{database}"));
    Ok(parsed.into())
}

/// `host:port` of `url`, as Spin's `allowed_outbound_hosts` wants it.
pub fn host_port(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url).with_context(|| "the PostgreSQL URL is malformed")?;
    let host = parsed
        .host_str()
        .context("the PostgreSQL URL names no host")?;
    Ok(format!("{host}:{}", parsed.port().unwrap_or(LOCAL_PORT)))
}

/// A real connection and query, not just an open port.
pub fn accepts_connections(url: &str) -> bool {
    connect(url)
        .and_then(|mut client| Ok(client.simple_query("select 1")?))
        .is_ok()
}

/// Connects with the TLS the gateway's PostgreSQL driver uses (the system's trust store, the
/// URL's `sslmode`), so a URL the gateway cannot use fails here, before anything starts.
fn connect(url: &str) -> Result<postgres::Client> {
    let mut config: postgres::Config = url.parse().context("the PostgreSQL URL is malformed")?;
    config.connect_timeout(Duration::from_secs(3));
    let tls = postgres_native_tls::MakeTlsConnector::new(native_tls::TlsConnector::new()?);
    Ok(config.connect(tls)?)
}

/// Makes sure the database of `url` exists (creating it through the server's maintenance
/// database if needed), with a fix to apply when the server's certificate does not verify.
/// `source` names where `url` came from, for that message.
pub fn prepare_database(url: &str, source: &str) -> Result<()> {
    match connect(url) {
        Ok(_) => return Ok(()),
        Err(err) if is_tls_failure(&err) => bail!("{}", tls_advice(url, source)?),
        // Most likely the database does not exist yet; anything else fails again below.
        Err(_) => {}
    }
    let database = database_of(url)?.context("the PostgreSQL URL names no database")?;
    ensure_database(&with_database(url, MAINTENANCE_DATABASE)?, &database)
}

fn is_tls_failure(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| cause.downcast_ref::<native_tls::Error>().is_some())
}

/// What to do when the server at `url` offers TLS with a certificate that does not verify.
fn tls_advice(url: &str, source: &str) -> Result<String> {
    let mut fixed = url::Url::parse(url).with_context(|| "the PostgreSQL URL is malformed")?;
    let host = host_port(url)?;
    // postgres:// is not a special scheme to `url`: its host is an opaque string, not an IP.
    let local = fixed.host_str().is_some_and(|host| {
        host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    let problem = format!(
        "PostgreSQL at {host} offers TLS with a certificate that does not verify, so the gateway \
         would fail every request with a TLS handshake error."
    );
    if !local {
        return Ok(format!(
            "{problem} Add the server's CA to this machine's trust store, or use sslmode=disable \
             in {source} on a trusted network only."
        ));
    }
    let kept: Vec<(String, String)> = fixed
        .query_pairs()
        .filter(|(key, _)| key != "sslmode")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    fixed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("sslmode", "disable");
    if fixed.password().is_some() {
        let _ = fixed.set_password(Some("..."));
    }
    Ok(format!(
        "{problem} A local server's certificate is self-signed: add sslmode=disable to {source}, \
         e.g. {source}='{fixed}'"
    ))
}

/// Creates `database` on the server of superuser `url` unless it exists.
pub fn ensure_database(url: &str, database: &str) -> Result<()> {
    let mut client = connect(url).context("connect to PostgreSQL")?;
    let exists = client
        .query_opt("select 1 from pg_database where datname = $1", &[&database])?
        .is_some();
    if !exists {
        // Identifiers cannot be bound as parameters; the name is quoted as an identifier.
        client.batch_execute(&format!(
            "create database \"{}\"",
            database.replace('"', "\"\"")
        ))?;
        eprintln!("PostgreSQL: created database {database}");
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lifetime {
    /// Deleted when stopped (the suites' cluster).
    Throwaway,
    /// Kept on disk when stopped (the demo's cluster).
    Persistent,
}

struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    lifetime: Lifetime,
}

impl Cluster {
    fn create(data: PathBuf, port: u16, lifetime: Lifetime) -> Result<Postgres> {
        let cluster = Self {
            bin: server_bin_dir()?,
            data,
            port,
            lifetime,
        };
        if cluster.data.exists() {
            std::fs::remove_dir_all(&cluster.data)
                .with_context(|| format!("remove {}", cluster.data.display()))?;
        }
        std::fs::create_dir_all(&cluster.data)
            .with_context(|| format!("create {}", cluster.data.display()))?;
        if process::running_as_root() {
            // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user.
            run(Command::new("chown").arg("postgres:").arg(&cluster.data))?;
        }
        run(cluster
            .as_owner("initdb")
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-D"])
            .arg(&cluster.data))?;
        cluster.start()
    }

    fn start_existing(data: PathBuf, port: u16) -> Result<Postgres> {
        let cluster = Self {
            bin: server_bin_dir()?,
            data,
            port,
            lifetime: Lifetime::Persistent,
        };
        // A cluster left running by an interrupted run is stopped first, then started cleanly.
        let _ = cluster
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(&cluster.data)
            .args(["-m", "fast", "stop"])
            .output();
        cluster.start()
    }

    fn start(self) -> Result<Postgres> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.data.display()
        );
        run(self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.join("server.log"))
            .args(["-w", "-o", &options, "start"]))?;
        let url = local_url(self.port);
        if !accepts_connections(&url) {
            bail!(
                "the PostgreSQL cluster in {} does not accept connections",
                self.data.display()
            );
        }
        eprintln!(
            "PostgreSQL: started a cluster on port {} in {}",
            self.port,
            self.data.display()
        );
        Ok(Postgres {
            url,
            cluster: Some(self),
        })
    }

    fn as_owner(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if process::running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .status();
        if self.lifetime == Lifetime::Throwaway {
            let _ = std::fs::remove_dir_all(&self.data);
        }
        eprintln!("xtask: stopped PostgreSQL in {}", self.data.display());
    }
}

/// Debian's server binaries (`/usr/lib/postgresql/<version>/bin`), newest version first;
/// installs the `postgresql` package when absent.
fn server_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = newest_bin_dir(Path::new("/usr/lib/postgresql")) {
        return Ok(dir);
    }
    process::apt_install("postgresql")?;
    newest_bin_dir(Path::new("/usr/lib/postgresql"))
        .context("initdb not found under /usr/lib/postgresql after installing postgresql")
}

fn newest_bin_dir(base: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(base)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_url_disables_tls() {
        assert_eq!(
            local_url(5544),
            "postgres://postgres@127.0.0.1:5544/postgres?sslmode=disable"
        );
    }

    #[test]
    fn database_is_replaced_and_options_kept() {
        assert_eq!(
            with_database(&local_url(5432), "mcp_gateway_demo").unwrap(),
            "postgres://postgres@127.0.0.1:5432/mcp_gateway_demo?sslmode=disable"
        );
    }

    #[test]
    fn host_port_defaults_to_5432() {
        assert_eq!(
            host_port("postgres://u:p@db.example.com/x?sslmode=require").unwrap(),
            "db.example.com:5432"
        );
        assert_eq!(host_port(&local_url(6000)).unwrap(), "127.0.0.1:6000");
    }

    #[test]
    fn the_database_of_a_url_is_its_path() {
        assert_eq!(
            database_of("postgres://u@h:1/policy?sslmode=disable").unwrap(),
            Some("policy".to_owned())
        );
        assert_eq!(database_of("postgres://u@h:1").unwrap(), None);
        assert_eq!(database_of("postgres://u@h:1/").unwrap(), None);
    }

    #[test]
    fn tls_advice_for_a_local_server_gives_the_url_with_sslmode_disable() {
        let advice = tls_advice(
            "postgres://postgres:pw@127.0.0.1:5432/demo?sslmode=prefer&application_name=x",
            "DATABASE_URL",
        )
        .unwrap();
        assert!(advice.contains("PostgreSQL at 127.0.0.1:5432"), "{advice}");
        assert!(
            advice.contains(
                "DATABASE_URL='postgres://postgres:...@127.0.0.1:5432/demo?application_name=x&sslmode=disable'"
            ),
            "{advice}"
        );
        assert!(!advice.contains("pw@"), "{advice}");
        for url in ["postgres://localhost/demo", "postgres://[::1]:5433/demo"] {
            let advice = tls_advice(url, "DATABASE_URL").unwrap();
            assert!(advice.contains("/demo?sslmode=disable'"), "{advice}");
        }
    }

    #[test]
    fn tls_advice_for_a_remote_server_points_at_the_trust_store() {
        let advice = tls_advice(
            "postgres://u@db.example.com/x?sslmode=require",
            "SPIN_VARIABLE_DATABASE_URL",
        )
        .unwrap();
        assert!(advice.contains("trust store"), "{advice}");
        assert!(!advice.contains("e.g."), "{advice}");
    }

    #[test]
    fn malformed_urls_are_rejected() {
        assert!(host_port("not a url").is_err());
        assert!(with_database("not a url", "x").is_err());
    }

    /// Drives Debian's real `initdb`/`pg_ctl`, as `cargo xtask test` does on a machine without a
    /// PostgreSQL server.
    #[test]
    fn a_throwaway_cluster_serves_then_disappears() {
        let port = test_support::free_port();
        let data = clusters_dir().unwrap().join(format!("pg-{port}"));
        let postgres = Cluster::create(data.clone(), port, Lifetime::Throwaway).unwrap();
        assert_eq!(postgres.url, local_url(port));
        assert!(accepts_connections(&postgres.url));
        ensure_database(&postgres.url, "xtask_check").unwrap();
        ensure_database(&postgres.url, "xtask_check").unwrap();
        assert!(accepts_connections(
            &with_database(&postgres.url, "xtask_check").unwrap()
        ));
        assert!(!accepts_connections(
            &with_database(&postgres.url, "absent").unwrap()
        ));
        drop(postgres);
        assert!(!data.exists());
        assert!(!accepts_connections(&local_url(port)));
    }

    /// The demo's cluster keeps its data when stopped and serves it again on the next start.
    #[test]
    fn a_persistent_cluster_keeps_its_databases_across_restarts() {
        let port = test_support::free_port();
        let data = clusters_dir().unwrap().join(format!("pg-kept-{port}"));
        let first = Cluster::create(data.clone(), port, Lifetime::Persistent).unwrap();
        ensure_database(&first.url, "xtask_kept").unwrap();
        drop(first);
        assert!(data.join("PG_VERSION").exists());
        assert!(!accepts_connections(&local_url(port)));

        let second = Cluster::start_existing(data.clone(), port).unwrap();
        let kept = accepts_connections(&with_database(&second.url, "xtask_kept").unwrap());
        drop(second);
        std::fs::remove_dir_all(&data).unwrap();
        assert!(kept);
    }

    /// A server with a self-signed certificate: a URL without `sslmode=disable` stops with the
    /// fix (the gateway's driver would fail the TLS handshake); its twin with it gets its database.
    #[test]
    fn a_self_signed_server_needs_sslmode_disable() {
        let port = test_support::free_port();
        let data = clusters_dir().unwrap().join(format!("pg-tls-{port}"));
        drop(Cluster::create(data.clone(), port, Lifetime::Persistent).unwrap());
        run(Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(data.join("server.key"))
            .arg("-out")
            .arg(data.join("server.crt")))
        .unwrap();
        if process::running_as_root() {
            run(Command::new("chown")
                .arg("postgres:")
                .arg(data.join("server.key"))
                .arg(data.join("server.crt")))
            .unwrap();
        }
        run(Command::new("chmod")
            .arg("600")
            .arg(data.join("server.key")))
        .unwrap();
        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        conf.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        let server = Cluster::start_existing(data.clone(), port).unwrap();

        let prefer = format!("postgres://postgres@127.0.0.1:{port}/xtask_tls");
        let refused = prepare_database(&prefer, "DATABASE_URL")
            .err()
            .map(|e| e.to_string());
        let disabled = with_database(&server.url, "xtask_tls").unwrap();
        let prepared = prepare_database(&disabled, "DATABASE_URL").map_err(|e| e.to_string());
        let created = accepts_connections(&disabled);
        drop(server);
        std::fs::remove_dir_all(&data).unwrap();

        let refused = refused.expect("a self-signed certificate must stop xtask");
        assert!(refused.contains("does not verify"), "{refused}");
        assert!(
            refused.contains(&format!("DATABASE_URL='{prefer}?sslmode=disable'")),
            "{refused}"
        );
        assert_eq!(prepared, Ok(()));
        assert!(created);
    }

    /// As root, a checkout in a folder only root may enter keeps its clusters where the
    /// `postgres` user may (initdb failed there before); elsewhere they stay in `target/tools`.
    #[test]
    fn clusters_live_where_the_postgres_user_may_enter() {
        let private = std::env::temp_dir().join(format!("xtask-private-{}", std::process::id()));
        let tools = private.join("mcp").join("target").join("tools");
        std::fs::create_dir_all(&tools).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        let dir = clusters_dir_for(&tools).unwrap();
        std::fs::remove_dir_all(&private).unwrap();
        if process::running_as_root() {
            assert!(!dir.starts_with(&private), "{}", dir.display());
            assert!(postgres_may_enter(&dir), "{}", dir.display());
            std::fs::remove_dir_all(&dir).unwrap();
        } else {
            assert_eq!(dir, tools);
        }
        let reachable = process::tools_dir();
        if postgres_may_enter(&reachable) {
            assert_eq!(clusters_dir().unwrap(), reachable);
        }
    }

    #[test]
    fn newest_server_version_wins() {
        let base = std::env::temp_dir().join(format!("xtask-pg-{}", std::process::id()));
        for version in ["13", "15", "9"] {
            let bin = base.join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("initdb"), "").unwrap();
        }
        std::fs::create_dir_all(base.join("16").join("bin")).unwrap();
        let found = newest_bin_dir(&base);
        std::fs::remove_dir_all(&base).unwrap();
        assert_eq!(found, Some(base.join("15").join("bin")));
    }

    #[test]
    fn no_server_installed_finds_nothing() {
        assert_eq!(newest_bin_dir(Path::new("/nonexistent/postgresql")), None);
    }
}
