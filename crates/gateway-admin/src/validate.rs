//! Checks of admin input, before anything is written.

use auth_core::policy::ALL_SERVERS;
use auth_core::{GrantedTools, ToolPattern};
use sqlx::PgConnection;

use crate::{AdminError, Result};

const MAX_NAME_CHARS: usize = 256;

/// A trimmed, non-empty name without control characters.
pub fn name<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AdminError::Invalid(format!("{what} must not be empty")));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS || trimmed.chars().any(char::is_control) {
        return Err(AdminError::Invalid(format!(
            "{what} must be at most {MAX_NAME_CHARS} printable characters"
        )));
    }
    Ok(trimmed)
}

/// An Entra object or tenant id (a GUID), in lower case.
pub fn object_id(what: &str, value: &str) -> Result<String> {
    let value = value.trim().to_ascii_lowercase();
    let groups: Vec<&str> = value.split('-').collect();
    let is_guid = groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|group| group.bytes().all(|b| b.is_ascii_hexdigit()));
    if is_guid {
        Ok(value)
    } else {
        Err(AdminError::Invalid(format!(
            "{what} must be an Entra id (a GUID such as 00000000-0000-0000-0000-000000000000), not '{value}'"
        )))
    }
}

/// A tool name or `*` pattern.
pub fn tool(pattern: &str) -> Result<ToolPattern> {
    Ok(ToolPattern::parse(pattern.trim())?)
}

/// What a grant gives: the whole server without `--tools`, else the patterns listed.
pub fn tools(patterns: &[String]) -> Result<GrantedTools> {
    if patterns.is_empty() {
        return Ok(GrantedTools::All);
    }
    let patterns = patterns
        .iter()
        .map(|pattern| tool(pattern))
        .collect::<Result<_>>()?;
    Ok(GrantedTools::Patterns(patterns))
}

/// A registered server id, or `*` when `allow_all`.
pub async fn server(conn: &mut PgConnection, server: &str, allow_all: bool) -> Result<()> {
    if server == ALL_SERVERS {
        return if allow_all {
            Ok(())
        } else {
            Err(AdminError::Invalid(
                "`*` is not allowed here; use --all-servers".into(),
            ))
        };
    }
    let known: Vec<String> = sqlx::query_scalar(auth_core::sql::SELECT_SERVERS)
        .fetch_all(&mut *conn)
        .await?;
    if known.iter().any(|id| id == server) {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!(
            "unknown server '{server}'; known servers: {}",
            known.join(", ")
        )))
    }
}
