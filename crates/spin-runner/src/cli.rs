//! `spin-runner up`, with the options of `spin up` this runner implements.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::App;
use crate::kv::Stores;
use crate::runtime::{Options, Runtime};
use crate::runtime_config::RuntimeConfig;
use crate::server::Server;
use crate::variables::EnvSource;

#[derive(Debug, Parser)]
#[command(
    name = "spin-runner",
    version,
    about = "Runs a Spin 3.6.3 application without the Spin CLI"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the application (like `spin up`).
    Up(UpArgs),
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The application manifest, or a folder holding spin.toml.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    pub from: PathBuf,
    /// The address to listen on.
    #[arg(long, env = "SPIN_HTTP_LISTEN_ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// A runtime configuration file (key-value stores).
    #[arg(long)]
    pub runtime_config_file: Option<PathBuf>,
    /// Run only these components (selective deployment); repeatable.
    #[arg(long = "component-id")]
    pub component_ids: Vec<String>,
    /// Folder for the default key-value store (default: `.spin` beside the manifest).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Folder for compiled components (default: `target/spin-runner-cache` beside the manifest).
    #[arg(long, env = "SPIN_RUNNER_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Abort a request whose component runs longer than this many seconds (500).
    #[arg(long)]
    pub request_timeout: Option<f64>,
    /// Set TCP_NODELAY on accepted connections (Spin 3.6.3 does not).
    #[arg(long)]
    pub tcp_nodelay: bool,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => up(args).await,
    }
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    let manifest = if args.from.is_dir() {
        args.from.join("spin.toml")
    } else {
        args.from.clone()
    };
    let manifest =
        std::path::absolute(&manifest).with_context(|| format!("{}", manifest.display()))?;
    let app_dir = manifest.parent().unwrap_or(Path::new("/")).to_path_buf();
    let app = App::load(&manifest, &EnvSource::new(&app_dir), &args.component_ids)?;
    let runtime_config = match &args.runtime_config_file {
        Some(path) => RuntimeConfig::load(path)?,
        None => RuntimeConfig::default(),
    };
    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| app_dir.join(".spin"));
    let stores = Stores::open(&runtime_config, &state_dir).await?;
    let options = Options {
        cache_dir: args
            .cache_dir
            .clone()
            .unwrap_or_else(|| app_dir.join("target").join("spin-runner-cache")),
        request_timeout: args.request_timeout.map(Duration::from_secs_f64),
    };
    let listing = app.router.listing().to_vec();
    let descriptions: Vec<(String, String)> = app
        .components
        .values()
        .map(|c| (c.id.clone(), c.description.clone()))
        .collect();
    let router = app.router.listing().to_vec();
    let (name, version) = (app.name.clone(), app.version.clone());
    let runtime = Runtime::new(app, stores, &options)?;
    let server = Server::new(&router, name, version, runtime, args.tcp_nodelay)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("\nServing {base}");
    println!("Available Routes:");
    for (route, component) in &listing {
        let shown = if route.ends_with("/...") {
            format!("{} (wildcard)", route.trim_end_matches("/..."))
        } else {
            route.clone()
        };
        println!("  {component}: {base}{shown}");
        if let Some((_, description)) = descriptions
            .iter()
            .find(|(id, _)| id == component)
            .filter(|(_, d)| !d.is_empty())
        {
            println!("    {description}");
        }
    }
    tracing::info!("Serving {base}");
    Arc::new(server).serve(listener).await
}
