use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mcp-gateway-admin",
    version,
    about = "Manage the MCP gateway's policy database"
)]
pub struct Cli {
    /// PostgreSQL URL of the policy database.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations (already applied ones are skipped).
    Migrate,
    /// Give a group or a user access to a server (`*` = all servers).
    #[command(subcommand)]
    Grant(Target),
    /// Remove a group mapping, or a user's grant or deny.
    #[command(subcommand)]
    Revoke(Target),
    /// Deny a user a server (`*` = all); a deny wins over every grant.
    #[command(subcommand)]
    Deny(DenyTarget),
    /// Show servers, group mappings and user rules.
    List,
    /// Create, list or revoke API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Show recent tool calls, newest first.
    Audit(AuditArgs),
    /// Explain whether a user with the given groups may use a server, and which rule decides.
    Explain(ExplainArgs),
}

#[derive(Debug, Subcommand)]
pub enum Target {
    /// An Entra group, by display name or object id.
    Group { group: String, server: String },
    /// A user, by object id, UPN or email.
    User { user: String, server: String },
}

#[derive(Debug, Subcommand)]
pub enum DenyTarget {
    User { user: String, server: String },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once and only its hash is stored.
    Create(CreateKeyArgs),
    List,
    Revoke {
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct CreateKeyArgs {
    /// Who the key belongs to (a service or team).
    #[arg(long)]
    pub owner: String,
    /// A server the key may use; repeat for more.
    #[arg(long = "server", required_unless_present = "all_servers")]
    pub servers: Vec<String>,
    /// The key may use every server.
    #[arg(long, conflicts_with = "servers")]
    pub all_servers: bool,
    /// The key speaks for users it names with X-Auth-Source/X-Entra-Oid/X-Entra-Tid/X-Entra-Groups
    /// (Open WebUI functions); alone it grants nothing.
    #[arg(long)]
    pub forwarder: bool,
    /// Days until the key expires (none: no expiry).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Principal id (Entra object id or apikey:<id>).
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub server: Option<String>,
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The user (object id, UPN or email).
    #[arg(long)]
    pub user: String,
    /// A group of the user; repeat for more.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    #[arg(long)]
    pub server: String,
}
