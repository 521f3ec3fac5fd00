//! `mcp-bridge --config FILE [--listen ADDR] [--port-file FILE]`

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use mcp_bridge::config::Access;
use mcp_bridge::{Config, ServeError};

/// Exit status for an unusable configuration (sysexits.h EX_USAGE).
const EXIT_CONFIG: u8 = 64;
/// rmcp logs whole handshakes at info; the bridge's own events are enough.
const DEFAULT_LOG_FILTER: &str = "info,rmcp=warn";

#[derive(Parser)]
#[command(
    version,
    about = "Serves stdio and legacy-SSE MCP servers as MCP Streamable HTTP"
)]
struct Args {
    /// Config file in the `mcpServers` JSON format (with an optional `bridge` object).
    #[arg(long, env = "MCP_BRIDGE_CONFIG")]
    config: PathBuf,
    /// Address to listen on; overrides `bridge.listen`. Port 0 picks a free port.
    #[arg(long, env = "MCP_BRIDGE_LISTEN")]
    listen: Option<SocketAddr>,
    /// Write the bound address (`IP:PORT`) to this file once listening.
    #[arg(long)]
    port_file: Option<PathBuf>,
    /// Log line format on stderr.
    #[arg(long, env = "MCP_BRIDGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_format);
    let config = match Config::load(&args.config, &|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("mcp-bridge: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mcp-bridge: {err:#}");
            match err.downcast_ref::<ServeError>() {
                Some(ServeError::Upstream(_)) => ExitCode::from(EXIT_CONFIG),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

async fn run(args: Args, config: Config) -> anyhow::Result<()> {
    let listen = args.listen.unwrap_or(config.bridge.listen);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {listen}: {err}"))?;
    let bound = listener.local_addr()?;
    if let Some(path) = &args.port_file {
        // Written whole, then renamed, so a reader never sees a partial address.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bound.to_string())?;
        std::fs::rename(&partial, path)?;
    }
    tracing::info!(%bound, servers = config.servers.len(), "listening");
    if config.bridge.access == Access::Unauthenticated {
        tracing::warn!("allowUnauthenticated: anyone who reaches {bound} may use every server");
    }
    mcp_bridge::serve(config, listener, shutdown_signal()).await?;
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
