//! One function per command line, returning what to print.

use std::fmt::Write as _;

use auth_core::AllowedServers;
use auth_core::pins::DefinitionKind;
use auth_core::policy::ALL_SERVERS;

use crate::cli::{
    ApiKeyCommand, ApproveArgs, Cli, Command, DenyTarget, GrantTarget, GroupCommand, Target,
    ToolTarget, ToolsCommand,
};
use crate::{Admin, AdminError, Approval, AuditFilter, Change, NewApiKey, Result, User, validate};

async fn pending(admin: &Admin, server: Option<&str>) -> Result<String> {
    let pending = admin.pending_definitions(server).await?;
    if pending.is_empty() {
        return Ok("nothing pending\n".to_owned());
    }
    let blocks: Vec<String> = pending.iter().map(ToString::to_string).collect();
    Ok(blocks.join("\n"))
}

async fn approve(admin: &Admin, args: ApproveArgs) -> Result<String> {
    let approval = if args.all {
        Approval::All(args.kind)
    } else {
        Approval::Names(args.kind.unwrap_or(DefinitionKind::Tool), args.names)
    };
    let approved = admin
        .approve_definitions(&args.server, &approval, &args.by)
        .await?;
    if approved.is_empty() {
        return Ok(format!("nothing pending for server '{}'\n", args.server));
    }
    let mut out = String::new();
    for definition in approved {
        writeln!(out, "{definition}").expect("write to String");
    }
    Ok(out)
}

fn report(change: Change, done: String) -> String {
    match change {
        Change::Applied => format!("{done}\n"),
        Change::Unchanged => format!("{done} (already so; nothing changed)\n"),
    }
}

pub async fn run(cli: Cli) -> Result<String> {
    let database_url = cli.database_url.ok_or_else(|| {
        AdminError::Invalid("no database: set DATABASE_URL or pass --database-url".into())
    })?;
    let admin = Admin::connect(&database_url).await?;
    match cli.command {
        Command::Migrate { servers } => {
            let servers = match servers {
                None => server_registry::embedded(),
                Some(file) => server_registry::load(&file)?,
            };
            let migrated = admin.migrate(&servers).await?;
            let mut out = if migrated.applied.is_empty() {
                "database is up to date\n".to_owned()
            } else {
                let versions: Vec<String> = migrated.applied.iter().map(i64::to_string).collect();
                format!("applied migrations {}\n", versions.join(", "))
            };
            out.push_str(&migrated.servers.to_string());
            Ok(out)
        }
        Command::Grant(GrantTarget::Group {
            group,
            server,
            tools,
        }) => {
            let tools = validate::tools(&tools.tools)?;
            Ok(report(
                admin.grant_group(&group, &server, &tools).await?,
                format!("granted group '{group}' server '{server}' ({tools})"),
            ))
        }
        Command::Grant(GrantTarget::User { user: args, tools }) => {
            let user = User::new(&args.tenant.tenant, &args.user, args.label.as_deref())?;
            let tools = validate::tools(&tools.tools)?;
            Ok(report(
                admin.grant_user(&user, &args.server, &tools).await?,
                format!(
                    "granted user '{}' server '{}' ({tools})",
                    args.user, args.server
                ),
            ))
        }
        Command::DenyTool(ToolTarget::Group {
            group,
            server,
            pattern,
        }) => Ok(report(
            admin.deny_group_tool(&group, &server, &pattern).await?,
            format!("denied group '{group}' tools '{pattern}' of server '{server}'"),
        )),
        Command::DenyTool(ToolTarget::User {
            user: args,
            pattern,
        }) => {
            let user = User::new(&args.tenant.tenant, &args.user, args.label.as_deref())?;
            Ok(report(
                admin.deny_user_tool(&user, &args.server, &pattern).await?,
                format!(
                    "denied user '{}' tools '{pattern}' of server '{}'",
                    args.user, args.server
                ),
            ))
        }
        Command::RevokeToolDeny(ToolTarget::Group {
            group,
            server,
            pattern,
        }) => Ok(report(
            admin
                .revoke_group_tool_deny(&group, &server, &pattern)
                .await?,
            format!("removed the deny of group '{group}' tools '{pattern}' of server '{server}'"),
        )),
        Command::RevokeToolDeny(ToolTarget::User {
            user: args,
            pattern,
        }) => {
            let user = User::new(&args.tenant.tenant, &args.user, None)?;
            Ok(report(
                admin
                    .revoke_user_tool_deny(&user, &args.server, &pattern)
                    .await?,
                format!(
                    "removed the deny of user '{}' tools '{pattern}' of server '{}'",
                    args.user, args.server
                ),
            ))
        }
        Command::Deny(DenyTarget::User(args)) => {
            let user = User::new(&args.tenant.tenant, &args.user, args.label.as_deref())?;
            Ok(report(
                admin.deny_user(&user, &args.server).await?,
                format!("denied user '{}' server '{}'", args.user, args.server),
            ))
        }
        Command::Group(GroupCommand::Link {
            name,
            object_id,
            tenant,
        }) => Ok(report(
            admin.link_group(&name, &tenant.tenant, &object_id).await?,
            format!(
                "linked group '{name}' to object id {object_id} in tenant {}",
                tenant.tenant
            ),
        )),
        Command::Revoke(Target::Group { group, server }) => Ok(report(
            admin.revoke_group(&group, &server).await?,
            format!("revoked group '{group}' server '{server}'"),
        )),
        Command::Revoke(Target::User(args)) => Ok(report(
            admin
                .revoke_user(&args.tenant.tenant, &args.user, &args.server)
                .await?,
            format!(
                "removed the rule of user '{}' for server '{}'",
                args.user, args.server
            ),
        )),
        Command::List => Ok(admin.list().await?.to_string()),
        Command::ApiKey(ApiKeyCommand::Create(args)) => {
            if args.servers.iter().any(|server| server == ALL_SERVERS) {
                return Err(AdminError::Invalid(
                    "use --all-servers instead of --server '*'".into(),
                ));
            }
            let servers = if args.all_servers {
                AllowedServers::All
            } else {
                AllowedServers::whole(args.servers)
            };
            let created = admin
                .create_api_key(&NewApiKey {
                    owner: args.owner,
                    servers,
                    forwarder: args.forwarder,
                    expires_in_days: args.expires_in_days,
                })
                .await?;
            Ok(format!(
                "created API key {} (store it now: it is not shown again)\n{}\n",
                created.id, created.key
            ))
        }
        Command::ApiKey(ApiKeyCommand::List) => {
            let mut out = String::new();
            for key in admin.list_api_keys().await? {
                writeln!(out, "{key}").expect("write to String");
            }
            Ok(out)
        }
        Command::ApiKey(ApiKeyCommand::Revoke { id }) => {
            admin.revoke_api_key(id).await?;
            Ok(format!("revoked API key {id}\n"))
        }
        Command::Audit(args) => {
            let entries = admin
                .audit(&AuditFilter {
                    principal_id: args.user,
                    server: args.server,
                    limit: args.limit,
                })
                .await?;
            let mut out = String::new();
            for entry in entries {
                writeln!(out, "{entry}").expect("write to String");
            }
            Ok(out)
        }
        Command::Explain(args) => {
            let (tenant, user, groups) = (&args.tenant.tenant, &args.user, &args.groups);
            let explanation = match &args.tool {
                None => admin.explain(tenant, user, groups, &args.server).await?,
                Some(tool) => {
                    admin
                        .explain_tool(tenant, user, groups, &args.server, tool)
                        .await?
                }
            };
            Ok(explanation.to_string())
        }
        Command::Tools(ToolsCommand::Pending { server }) => {
            pending(&admin, server.as_deref()).await
        }
        Command::Tools(ToolsCommand::Approve(args)) => approve(&admin, args).await,
    }
}
