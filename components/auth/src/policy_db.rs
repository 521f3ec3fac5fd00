//! The policy database through Spin's PostgreSQL interface, with the queries of `auth_core::sql`.
//! Any database error is `Unavailable`: the caller is refused, never allowed.

use auth_core::api_key::hash_api_key;
use auth_core::policy::{GroupGrant, Policy, UserIdentity};
use std::collections::BTreeSet;

use auth_core::audit::Surface;
use auth_core::pins::{self, Definition, DefinitionKind, Observed, PinMode, Pins};
use auth_core::{ApiKeyRecord, AuditRecord, Who, sql};
use spin_sdk::pg4::{Connection, ParameterValue, RowSet};

use crate::authorize::Failure;

fn unavailable(err: impl std::fmt::Display) -> Failure {
    eprintln!("auth: policy database: {err}");
    Failure::Unavailable("the policy database is unavailable; try again later".into())
}

fn connect(database_url: &str) -> Result<Connection, Failure> {
    Connection::open(database_url).map_err(unavailable)
}

fn query(conn: &Connection, statement: &str, params: &[ParameterValue]) -> Result<RowSet, Failure> {
    conn.query(statement, params).map_err(unavailable)
}

fn text(value: &str) -> ParameterValue {
    ParameterValue::Str(value.to_owned())
}

fn column<T: spin_sdk::pg4::Decode>(
    row: &spin_sdk::pg4::Row<'_>,
    name: &str,
) -> Result<T, Failure> {
    row.get(name)
        .ok_or_else(|| unavailable(format!("column {name} missing or of an unexpected type")))
}

pub fn find_api_key(database_url: &str, key: &str) -> Result<Option<ApiKeyRecord>, Failure> {
    let conn = connect(database_url)?;
    let rows = query(&conn, sql::SELECT_API_KEY, &[text(&hash_api_key(key))])?;
    let Some(row) = rows.rows().next() else {
        return Ok(None);
    };
    let servers: String = column(&row, "servers")?;
    Ok(Some(ApiKeyRecord::from_columns(
        column(&row, "id")?,
        column(&row, "owner")?,
        column(&row, "all_servers")?,
        column(&row, "forwarder")?,
        column(&row, "revoked")?,
        column(&row, "expires_at_ms")?,
        &servers,
    )))
}

/// (id, name, tier) of every server, for the catalog.
pub fn catalog(database_url: &str) -> Result<Vec<(String, String, String)>, Failure> {
    let conn = connect(database_url)?;
    query(&conn, sql::SELECT_CATALOG, &[])?
        .rows()
        .map(|row| {
            Ok((
                column(&row, "id")?,
                column(&row, "name")?,
                column(&row, "tier")?,
            ))
        })
        .collect()
}

/// The servers, plus the group grants of the user's tenant, the user's own rules and the tool
/// denies of both when there is a user (an ordinary API key has none).
pub fn load_policy(database_url: &str, user: Option<&UserIdentity<'_>>) -> Result<Policy, Failure> {
    let conn = connect(database_url)?;
    let mut policy = Policy::default();
    for row in query(&conn, sql::SELECT_SERVERS, &[])?.rows() {
        policy.servers.insert(column(&row, "id")?);
    }
    let Some(user) = user else {
        return Ok(policy);
    };
    for row in query(&conn, sql::SELECT_GROUP_GRANTS, &[text(user.tenant_id)])?.rows() {
        let tools: Option<String> = column(&row, "tools")?;
        policy.group_grants.push(GroupGrant {
            group: column(&row, "group_name")?,
            tenant_id: column(&row, "tenant_id")?,
            object_id: column(&row, "object_id")?,
            server: column(&row, "server_id")?,
            tools: sql::granted_tools(tools.as_deref()).map_err(unavailable)?,
        });
    }
    let params = [
        text(user.tenant_id),
        text(user.object_id),
        text(user.username.unwrap_or(user.object_id)),
    ];
    for row in query(&conn, sql::SELECT_USER_RULES, &params)?.rows() {
        let access: String = column(&row, "access")?;
        let tools: Option<String> = column(&row, "tools")?;
        let rule = sql::user_rule(
            column(&row, "user_id")?,
            column(&row, "tenant_id")?,
            column(&row, "object_id")?,
            column(&row, "server_id")?,
            &access,
            tools.as_deref(),
        )
        .map_err(unavailable)?;
        policy.user_rules.push(rule);
    }
    let params = [text(user.tenant_id), text(user.object_id)];
    for row in query(&conn, sql::SELECT_TOOL_DENIES, &params)?.rows() {
        let (kind, tool): (String, String) = (column(&row, "kind")?, column(&row, "tool")?);
        let deny = sql::tool_deny(
            &kind,
            column(&row, "label")?,
            column(&row, "tenant_id")?,
            column(&row, "object_id")?,
            column(&row, "server_id")?,
            &tool,
        )
        .map_err(unavailable)?;
        policy.tool_denies.push(deny);
    }
    Ok(policy)
}

/// Records the definitions a route reported and returns the server's pins. A definition seen
/// for the first time (or again after it was superseded) is logged and audited here, once.
pub fn record_definitions(database_url: &str, observed: &Observed) -> Result<Pins, Failure> {
    let conn = connect(database_url)?;
    let server = text(&observed.server);
    let mut kinds_approved = BTreeSet::new();
    for row in query(
        &conn,
        sql::SELECT_APPROVED_KINDS,
        std::slice::from_ref(&server),
    )?
    .rows()
    {
        let kind: String = column(&row, "kind")?;
        kinds_approved.extend(DefinitionKind::parse(&kind));
    }
    let first_sight = observed.first_sight(&kinds_approved);
    for definition in &first_sight {
        let mut params = definition_params(&observed.server, definition)?;
        params.push(text(pins::FIRST_SIGHT));
        conn.execute(sql::INSERT_APPROVED_DEFINITION, &params)
            .map_err(unavailable)?;
    }
    for definition in &observed.definitions {
        let params = definition_params(&observed.server, definition)?;
        let inserted = query(&conn, sql::INSERT_PENDING_DEFINITION, &params)?;
        if inserted.rows().next().is_some() {
            new_definition(&conn, observed, definition)?;
        }
    }
    let mut pins = Pins::default();
    for row in query(&conn, sql::SELECT_PINS, &[server])?.rows() {
        let (sha256, status): (String, String) = (column(&row, "sha256")?, column(&row, "status")?);
        match status.as_str() {
            "approved" => pins.approved.insert(sha256),
            _ => pins.pending.insert(sha256),
        };
    }
    Ok(pins)
}

fn definition_params(
    server: &str,
    definition: &Definition,
) -> Result<Vec<ParameterValue>, Failure> {
    let json = serde_json::to_string(&definition.definition).map_err(|_| Failure::Internal)?;
    Ok(vec![
        text(server),
        text(definition.kind.as_str()),
        text(&definition.name),
        text(&definition.sha256),
        ParameterValue::Str(json),
    ])
}

fn new_definition(
    conn: &Connection,
    observed: &Observed,
    definition: &Definition,
) -> Result<(), Failure> {
    eprintln!(
        "auth: server {} offers a new or changed {} '{}' (sha256 {}), not approved: {}",
        observed.server,
        definition.kind.as_str(),
        definition.name,
        definition.sha256,
        match observed.mode {
            PinMode::Enforce => "hidden until approved",
            PinMode::Warn | PinMode::Off => "served flagged until approved",
        }
    );
    let record = AuditRecord {
        who: Who::gateway(),
        server: observed.server.clone(),
        tool: definition.name.clone(),
        surface: Surface::Definition,
        status: observed.mode.audit_status(),
        latency_ms: 0,
        args_sha256: definition.sha256.clone(),
        detail: None,
    };
    write_audit(conn, &record)
}

pub fn insert_audit(database_url: &str, record: &AuditRecord) -> Result<(), Failure> {
    write_audit(&connect(database_url)?, record)
}

fn write_audit(conn: &Connection, record: &AuditRecord) -> Result<(), Failure> {
    let record = record.clone().bounded();
    let who = &record.who;
    let groups = serde_json::to_string(&who.groups).map_err(|_| Failure::Internal)?;
    let optional = |value: &Option<String>| match value {
        Some(value) => text(value),
        None => ParameterValue::DbNull,
    };
    conn.execute(
        sql::INSERT_AUDIT,
        &[
            text(&who.principal_id),
            ParameterValue::Str(groups),
            text(&record.server),
            text(&record.tool),
            ParameterValue::Int32(i32::from(record.status)),
            ParameterValue::Int64(i64::try_from(record.latency_ms).unwrap_or(i64::MAX)),
            text(&record.args_sha256),
            text(record.surface.as_str()),
            text(&who.principal_name),
            optional(&who.tenant_id),
            text(who.caller.as_str()),
            optional(&who.via),
            optional(&record.detail),
        ],
    )
    .map_err(unavailable)?;
    Ok(())
}
