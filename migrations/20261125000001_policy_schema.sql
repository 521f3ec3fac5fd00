-- Servers, group and user policy, API keys and the audit log of the MCP gateway.
-- Applied by `mcp-gateway-admin migrate` (sqlx migrations, recorded in _sqlx_migrations).

CREATE TABLE servers (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Members of group_name (an Entra group display name or object id) may use server_id ('*' = all).
CREATE TABLE group_tenant_mapping (
    id          bigserial PRIMARY KEY,
    group_name  text NOT NULL CHECK (length(btrim(group_name)) > 0),
    server_id   text NOT NULL CHECK (server_id = '*' OR server_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX group_tenant_mapping_unique ON group_tenant_mapping (lower(group_name), server_id);

-- Per-user grants and explicit denies (a deny wins over every grant). user_id: object id, UPN or email.
CREATE TABLE user_tenant_access (
    id          bigserial PRIMARY KEY,
    user_id     text NOT NULL CHECK (length(btrim(user_id)) > 0),
    server_id   text NOT NULL CHECK (server_id = '*' OR server_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    access      text NOT NULL CHECK (access IN ('grant', 'deny')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX user_tenant_access_unique ON user_tenant_access (lower(user_id), server_id);

-- API keys: only the SHA-256 of the key is stored; display_prefix tells keys apart in listings.
CREATE TABLE api_keys (
    id              bigserial PRIMARY KEY,
    key_sha256      text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
    display_prefix  text NOT NULL,
    owner           text NOT NULL CHECK (length(btrim(owner)) > 0),
    all_servers     boolean NOT NULL DEFAULT false,
    forwarder       boolean NOT NULL DEFAULT false,
    expires_at      timestamptz,
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_key_servers (
    api_key_id  bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    server_id   text NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, server_id)
);

-- One row per tool call; args_sha256 proves what was sent without storing it.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    principal_id  text NOT NULL,
    groups        text[] NOT NULL DEFAULT '{}',
    server_id     text NOT NULL,
    tool          text NOT NULL,
    status        integer NOT NULL,
    latency_ms    bigint NOT NULL,
    args_sha256   text NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_principal_at ON audit_log (principal_id, at DESC);
CREATE INDEX audit_log_server_at ON audit_log (server_id, at DESC);
