//! `demo-mcp-server`: prints `listening on http://ADDR/mcp` on stdout once bound, logs to stderr.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use demo_mcp_server::{Config, DEFAULT_LISTEN, Era, MCP_PATH};

/// Exit status for invalid command-line configuration (EX_USAGE).
const EXIT_USAGE: u8 = 64;

/// A small MCP server of both protocol eras: the gateway's demo upstream and test server.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Address to listen on; port 0 picks a free port (read it from the first stdout line).
    #[arg(long, value_name = "ADDR", default_value_t = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Protocol era(s) to accept.
    #[arg(long, value_enum, default_value_t = Era::Both)]
    era: Era,
    /// Answer stateless requests with SSE streams instead of JSON bodies.
    #[arg(long)]
    sse: bool,
    /// `ttlMs` of tools/list results for 2026-07-28 clients.
    #[arg(long, value_name = "N", default_value_t = 0)]
    tools_ttl_ms: u64,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config {
        listen: cli.listen,
        era: cli.era,
        sse: cli.sse,
        tools_ttl_ms: cli.tools_ttl_ms,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(%err, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let (addr, server) = match demo_mcp_server::serve(config).await {
        Ok(started) => started,
        Err(err) => {
            tracing::error!(%err, "not started");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on http://{addr}{MCP_PATH}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    tokio::select! {
        result = server => {
            tracing::error!(?result, "server stopped");
            ExitCode::FAILURE
        }
        () = shutdown_signal() => ExitCode::SUCCESS,
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "SIGTERM not handled");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
