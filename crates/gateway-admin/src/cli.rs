use auth_core::pins::DefinitionKind;
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
    /// Apply pending migrations (already applied ones are skipped), then add the servers
    /// servers.toml declares and give each its declared name and tier.
    Migrate {
        /// The servers.toml to follow (default: the one this binary was built with).
        #[arg(long, value_name = "FILE")]
        servers: Option<std::path::PathBuf>,
    },
    /// Give a group or a user access to a server (`*` = all servers), or to some of its tools.
    /// A grant only adds: granting more tools of a server widens the grant.
    #[command(subcommand)]
    Grant(GrantTarget),
    /// Remove a group mapping, or a user's grant or deny.
    #[command(subcommand)]
    Revoke(Target),
    /// Deny a user a server (`*` = all); a deny wins over every grant.
    #[command(subcommand)]
    Deny(DenyTarget),
    /// Link a group label to the Entra group it stands for.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Hide tools of a server from a group's members or a user, whatever their grants give.
    #[command(subcommand)]
    DenyTool(ToolTarget),
    /// Remove a tool deny.
    #[command(subcommand)]
    RevokeToolDeny(ToolTarget),
    /// Show servers, group mappings (with their object ids), user rules and tool denies.
    List,
    /// Create, list or revoke API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Show recent tool calls, newest first.
    Audit(AuditArgs),
    /// Explain whether a user with the given groups may use a server (or one of its tools), and
    /// which rule decides.
    Explain(ExplainArgs),
    /// Review and approve the tool, prompt and resource template definitions upstreams offer: a
    /// new or changed one is pending until approved.
    #[command(subcommand)]
    Tools(ToolsCommand),
}

/// The Entra tenant (a GUID) of the users and groups named.
#[derive(Debug, Args)]
pub struct TenantArg {
    #[arg(long, env = "ENTRA_TENANT_ID")]
    pub tenant: String,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    /// The user's Entra object id (oid); a username or email is refused (it is a label).
    pub user: String,
    pub server: String,
    #[command(flatten)]
    pub tenant: TenantArg,
    /// A label for administrators (UPN or email); never matched against tokens.
    #[arg(long)]
    pub label: Option<String>,
}

/// The tools a grant gives.
#[derive(Debug, Args)]
pub struct ToolsArg {
    /// Only these tools: names or `*` patterns, comma-separated (e.g. `search_*,get_*`); without
    /// it, the whole server.
    #[arg(long, value_delimiter = ',', value_name = "PATTERN,...")]
    pub tools: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum GrantTarget {
    /// An Entra group, by its label (link the label with `group link`).
    Group {
        group: String,
        server: String,
        #[command(flatten)]
        tools: ToolsArg,
    },
    /// A user, by object id within a tenant.
    User {
        #[command(flatten)]
        user: UserArgs,
        #[command(flatten)]
        tools: ToolsArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum ToolTarget {
    /// The members of an Entra group, by its label (linked like its mappings).
    Group {
        group: String,
        /// A server id (`*` = every server).
        server: String,
        /// A tool name or `*` pattern.
        pattern: String,
    },
    /// A user, by object id within a tenant.
    User {
        #[command(flatten)]
        user: UserArgs,
        /// A tool name or `*` pattern.
        pattern: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum Target {
    /// An Entra group, by its label (link the label with `group link`).
    Group { group: String, server: String },
    /// A user, by object id within a tenant.
    User(UserArgs),
}

#[derive(Debug, Subcommand)]
pub enum DenyTarget {
    User(UserArgs),
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Link the label NAME (e.g. a seed mapping such as MCP-Admin) to the group's object id in
    /// the tenant: its mappings then grant that group's members, and only them.
    Link {
        name: String,
        object_id: String,
        #[command(flatten)]
        tenant: TenantArg,
    },
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
    /// The user's object id.
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub tenant: TenantArg,
    /// A group of the user, by object id or linked label; repeat for more.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    #[arg(long)]
    pub server: String,
    /// A tool of the server: explain whether it is listed and callable.
    #[arg(long)]
    pub tool: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// Show the pending definitions (of SERVER, or of every server), oldest first, each as a
    /// diff against the approved definition of its name.
    Pending {
        /// Only this server's.
        server: Option<String>,
    },
    /// Approve the newest pending definition of each name; the one approved before and the
    /// other pending ones of the name become superseded.
    Approve(ApproveArgs),
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The server id.
    pub server: String,
    /// The names to approve (of the kind `--kind` gives; default tool).
    #[arg(value_name = "NAME", required_unless_present = "all")]
    pub names: Vec<String>,
    /// Every pending definition of the server (of every kind, unless `--kind` is given).
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
    /// The kind of definition (default: tool for the names given; every kind with `--all`).
    #[arg(long, value_parser = definition_kind, value_name = "tool|prompt|resource-template")]
    pub kind: Option<DefinitionKind>,
    /// Who approves, recorded with the approval.
    #[arg(long, env = "USER", default_value = "admin", value_name = "LABEL")]
    pub by: String,
}

fn definition_kind(text: &str) -> Result<DefinitionKind, String> {
    DefinitionKind::parse(&text.replace('-', "_"))
        .ok_or_else(|| format!("the kind is tool, prompt or resource-template, not {text:?}"))
}
