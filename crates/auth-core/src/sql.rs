//! The queries that read and write policy, shared by the admin CLI (sqlx) and the auth
//! component (Spin PostgreSQL), so both read the schema of `migrations/` the same way.
//! Parameters and columns are plain text, booleans and integers, which every driver maps.

use crate::policy::{Effect, RuleUser, UserRule};

/// Columns: `id`.
pub const SELECT_SERVERS: &str = "SELECT id FROM servers ORDER BY id";
/// The catalog entries: `GET /` of the gateway lists those the caller may use.
pub const SELECT_CATALOG: &str = "SELECT id, name, tier FROM servers ORDER BY id";

/// The group mappings linked to a group of tenant `$1`. Columns: `group_name`, `tenant_id`,
/// `object_id`, `server_id`.
pub const SELECT_GROUP_GRANTS: &str = "SELECT m.group_name, l.tenant_id, l.object_id, m.server_id \
     FROM group_tenant_mapping m JOIN group_links l ON lower(l.group_name) = lower(m.group_name) \
     WHERE l.tenant_id = lower($1) ORDER BY m.id";

/// The rules of the user with object id `$2` in tenant `$1`, and the legacy denies naming them
/// by object id or username (`$3`; pass the object id again when there is none). Columns:
/// `user_id` (the label), `tenant_id`, `object_id` (both NULL for a legacy rule), `server_id`,
/// `access`.
pub const SELECT_USER_RULES: &str = "SELECT user_id, tenant_id, object_id, server_id, access \
     FROM user_tenant_access \
     WHERE (tenant_id = lower($1) AND object_id = lower($2)) \
        OR (object_id IS NULL AND access = 'deny' AND lower(user_id) IN (lower($2), lower($3))) \
     ORDER BY id";

/// A user rule from the columns of [`SELECT_USER_RULES`]; `None` for an unknown access value.
pub fn user_rule(
    label: String,
    tenant_id: Option<String>,
    object_id: Option<String>,
    server: String,
    access: &str,
) -> Option<UserRule> {
    let user = match (tenant_id, object_id) {
        (Some(tenant_id), Some(object_id)) => RuleUser::Object {
            tenant_id,
            object_id,
        },
        _ => RuleUser::Legacy,
    };
    Some(UserRule {
        user,
        label,
        server,
        effect: Effect::parse(access)?,
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
/// latency ms (int8), argument hash, surface (`rest` or `mcp`).
pub const INSERT_AUDIT: &str = "INSERT INTO audit_log \
     (principal_id, groups, server_id, tool, status, latency_ms, args_sha256, surface) \
     VALUES ($1, ARRAY(SELECT jsonb_array_elements_text($2::text::jsonb)), $3, $4, $5, $6, $7, $8)";
