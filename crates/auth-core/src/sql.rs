//! The queries that read and write policy, shared by the admin CLI (sqlx) and the auth
//! component (Spin PostgreSQL), so both read the schema of `migrations/` the same way.
//! Parameters and columns are plain text, booleans and integers, which every driver maps.

use crate::policy::{DeniedTo, Effect, RuleUser, ToolDeny, UserRule};
use crate::tools::{GrantedTools, ToolPattern, ToolPatternError};

/// Columns: `id`.
pub const SELECT_SERVERS: &str = "SELECT id FROM servers ORDER BY id";
/// The catalog entries: `GET /` of the gateway lists those the caller may use.
pub const SELECT_CATALOG: &str = "SELECT id, name, tier FROM servers ORDER BY id";

/// The group mappings linked to a group of tenant `$1`. Columns: `group_name`, `tenant_id`,
/// `object_id`, `server_id`, `tools` (see [`granted_tools`]).
pub const SELECT_GROUP_GRANTS: &str = "SELECT m.group_name, l.tenant_id, l.object_id, m.server_id, \
     array_to_string(m.tools, ',') AS tools \
     FROM group_tenant_mapping m JOIN group_links l ON lower(l.group_name) = lower(m.group_name) \
     WHERE l.tenant_id = lower($1) ORDER BY m.id";

/// The rules of the user with object id `$2` in tenant `$1`, and the legacy denies naming them
/// by object id or username (`$3`; pass the object id again when there is none). Columns:
/// `user_id` (the label), `tenant_id`, `object_id` (both NULL for a legacy rule), `server_id`,
/// `access`, `tools` (see [`granted_tools`]).
pub const SELECT_USER_RULES: &str = "SELECT user_id, tenant_id, object_id, server_id, access, \
     array_to_string(tools, ',') AS tools \
     FROM user_tenant_access \
     WHERE (tenant_id = lower($1) AND object_id = lower($2)) \
        OR (object_id IS NULL AND access = 'deny' AND lower(user_id) IN (lower($2), lower($3))) \
     ORDER BY id";

/// The tool denies of tenant `$1`'s groups (linked like mappings) and of the user with object
/// id `$2` there. Columns: `kind` (`group` or `user`), `label` (group label or user label),
/// `tenant_id`, `object_id` (the group's or the user's), `server_id`, `tool`.
pub const SELECT_TOOL_DENIES: &str = "SELECT 'group' AS kind, d.group_name AS label, \
     l.tenant_id, l.object_id, d.server_id, d.tool \
     FROM group_tool_denies d JOIN group_links l ON lower(l.group_name) = lower(d.group_name) \
     WHERE l.tenant_id = lower($1) \
     UNION ALL \
     SELECT 'user', user_id, tenant_id, object_id, server_id, tool FROM user_tool_denies \
     WHERE tenant_id = lower($1) AND object_id = lower($2)";

/// Why a policy row could not be read: the evaluation stops (nothing is granted from it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("unknown access value {0:?}")]
    Access(String),
    #[error("unknown tool deny kind {0:?}")]
    Kind(String),
    #[error(transparent)]
    Tool(#[from] ToolPatternError),
}

/// A grant's tools from its `tools` column as the queries above return it: NULL for the whole
/// server, else comma-separated patterns.
pub fn granted_tools(column: Option<&str>) -> Result<GrantedTools, RowError> {
    let patterns: Option<Vec<ToolPattern>> = column
        .map(|list| list.split(',').map(ToolPattern::parse).collect())
        .transpose()?;
    Ok(GrantedTools::from_list(patterns))
}

/// A user rule from the columns of [`SELECT_USER_RULES`].
pub fn user_rule(
    label: String,
    tenant_id: Option<String>,
    object_id: Option<String>,
    server: String,
    access: &str,
    tools: Option<&str>,
) -> Result<UserRule, RowError> {
    let user = match (tenant_id, object_id) {
        (Some(tenant_id), Some(object_id)) => RuleUser::Object {
            tenant_id,
            object_id,
        },
        _ => RuleUser::Legacy,
    };
    Ok(UserRule {
        user,
        label,
        server,
        effect: Effect::parse(access).ok_or_else(|| RowError::Access(access.to_owned()))?,
        tools: granted_tools(tools)?,
    })
}

/// A tool deny from the columns of [`SELECT_TOOL_DENIES`].
pub fn tool_deny(
    kind: &str,
    label: String,
    tenant_id: String,
    object_id: String,
    server: String,
    tool: &str,
) -> Result<ToolDeny, RowError> {
    let to = match kind {
        "group" => DeniedTo::Group {
            group: label,
            tenant_id,
            object_id,
        },
        "user" => DeniedTo::User {
            label,
            tenant_id,
            object_id,
        },
        other => return Err(RowError::Kind(other.to_owned())),
    };
    Ok(ToolDeny {
        to,
        server,
        tool: ToolPattern::parse(tool)?,
    })
}

/// The key with SHA-256 `$1`. Columns: `id` (int8), `owner`, `all_servers`, `forwarder`,
/// `revoked` (bool), `expires_at_ms` (int8 or NULL), `servers` (comma-separated ids).
pub const SELECT_API_KEY: &str = "SELECT k.id, k.owner, k.all_servers, k.forwarder, \
     (k.revoked_at IS NOT NULL) AS revoked, \
     (extract(epoch FROM k.expires_at) * 1000)::int8 AS expires_at_ms, \
     coalesce(string_agg(s.server_id, ',' ORDER BY s.server_id), '') AS servers \
     FROM api_keys k LEFT JOIN api_key_servers s ON s.api_key_id = k.id \
     WHERE k.key_sha256 = $1 GROUP BY k.id";

/// Parameters: principal id, groups as a JSON array in text, server, tool, status (int4),
/// latency ms (int8), argument hash, surface (`rest`, `mcp` or `definition`), principal name,
/// tenant id, caller kind, forwarder key, refusal detail (tenant id, forwarder key and detail
/// may be NULL).
pub const INSERT_AUDIT: &str = "INSERT INTO audit_log \
     (principal_id, groups, server_id, tool, status, latency_ms, args_sha256, surface, \
      principal_name, tenant_id, caller, via, detail) \
     VALUES ($1, ARRAY(SELECT jsonb_array_elements_text($2::text::jsonb)), $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13)";

/// The kinds of definition server `$1` has approved ones of. Columns: `kind`.
pub const SELECT_APPROVED_KINDS: &str =
    "SELECT DISTINCT kind FROM definitions WHERE server_id = $1 AND status = 'approved'";

/// A definition `warn` approves at first sight: `$1` server, `$2` kind, `$3` name, `$4` hash,
/// `$5` the definition as JSON text, `$6` who decided (`pins::FIRST_SIGHT`).
pub const INSERT_APPROVED_DEFINITION: &str = "INSERT INTO definitions \
     (server_id, kind, name, sha256, definition, status, decided_at, decided_by) \
     VALUES ($1, $2, $3, $4, $5::text::jsonb, 'approved', now(), $6) ON CONFLICT DO NOTHING";

/// A definition not approved (parameters `$1`..`$5` as above): pending, also when it had been
/// approved once and superseded since. Returns a row (`name`) only when it was not pending or
/// approved already, so each change is logged and audited once.
pub const INSERT_PENDING_DEFINITION: &str = "INSERT INTO definitions \
     (server_id, kind, name, sha256, definition, status) \
     VALUES ($1, $2, $3, $4, $5::text::jsonb, 'pending') \
     ON CONFLICT (server_id, kind, name, sha256) DO UPDATE \
     SET status = 'pending', first_seen_at = now(), decided_at = NULL, decided_by = NULL \
     WHERE definitions.status = 'superseded' RETURNING name";

/// The approved and pending definition hashes of server `$1`. Columns: `sha256`, `status`.
pub const SELECT_PINS: &str = "SELECT sha256, status FROM definitions \
     WHERE server_id = $1 AND status IN ('approved', 'pending')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tools_column_is_the_whole_server_or_valid_patterns() {
        assert_eq!(granted_tools(None), Ok(GrantedTools::All));
        let listed = granted_tools(Some("get_*,echo")).unwrap();
        assert!(listed.matches("get_time") && listed.matches("echo"));
        assert!(!listed.matches("add"));
        assert!(granted_tools(Some("get issue")).is_err());
        assert!(
            granted_tools(Some("")).is_err(),
            "an empty list is no grant"
        );
    }

    #[test]
    fn unreadable_rows_are_errors_not_grants() {
        let rule = user_rule("a".into(), None, None, "demo".into(), "maybe", None);
        assert_eq!(rule, Err(RowError::Access("maybe".into())));
        let deny = tool_deny(
            "team",
            "a".into(),
            "t".into(),
            "o".into(),
            "demo".into(),
            "x",
        );
        assert_eq!(deny, Err(RowError::Kind("team".into())));
        let deny = tool_deny(
            "user",
            "a".into(),
            "t".into(),
            "o".into(),
            "demo".into(),
            "x y",
        );
        assert!(matches!(deny, Err(RowError::Tool(_))));
    }
}
