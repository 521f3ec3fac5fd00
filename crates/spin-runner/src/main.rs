use clap::Parser;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,spin_runner=info")),
        )
        .init();
    if let Err(err) = spin_runner::run(spin_runner::Cli::parse()).await {
        eprintln!("Error: {err:#}");
        std::process::exit(1);
    }
}
