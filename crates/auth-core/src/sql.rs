//! The queries that read and write policy, shared by the admin CLI (sqlx) and the auth
//! component (Spin PostgreSQL), so both read the schema of `migrations/` the same way.
//! Parameters and columns are plain text, booleans and integers, which every driver maps.

/// Columns: `id`.
pub const SELECT_SERVERS: &str = "SELECT id FROM servers ORDER BY id";
/// The catalog entries: `GET /` of the gateway lists those the caller may use.
pub const SELECT_CATALOG: &str = "SELECT id, name, tier FROM servers ORDER BY id";

/// Columns: `group_name`, `server_id`.
pub const SELECT_GROUP_GRANTS: &str =
    "SELECT group_name, server_id FROM group_tenant_mapping ORDER BY id";

/// Rules naming the user by either of two identifiers (`$1`, `$2`: object id and username;
/// pass the same value twice when there is one). Columns: `user_id`, `server_id`, `access`.
pub const SELECT_USER_RULES: &str = "SELECT user_id, server_id, access FROM user_tenant_access \
     WHERE lower(user_id) IN (lower($1), lower($2)) ORDER BY id";

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
