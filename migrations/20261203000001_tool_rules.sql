-- Per-tool policy (issue 18): a grant gives a whole server or some of its tools, and tool denies
-- hide tools whatever the grants give. A tool pattern is a tool name or a glob in which `*`
-- stands for any characters; the checks below are those of auth_core::tools::ToolPattern.

CREATE FUNCTION is_tool_pattern(pattern text) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(pattern ~ '^[A-Za-z0-9_.*-]{1,128}$', false) $$;
CREATE FUNCTION are_tool_patterns(patterns text[]) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT cardinality(patterns) > 0
          AND (SELECT bool_and(is_tool_pattern(p)) FROM unnest(patterns) AS p) $$;

-- A grant's tools: NULL for the whole server (as every row before this migration), otherwise
-- the patterns it gives. A deny always takes the whole server.
ALTER TABLE group_tenant_mapping
    ADD COLUMN tools text[] CHECK (tools IS NULL OR are_tool_patterns(tools));
ALTER TABLE user_tenant_access
    ADD COLUMN tools text[] CHECK (tools IS NULL OR (access = 'grant' AND are_tool_patterns(tools)));

-- Members of a group may not use the tools `tool` matches of server_id ('*' = every server).
-- The group is named by label and matched through group_links, as its mappings are.
CREATE TABLE group_tool_denies (
    id          bigserial PRIMARY KEY,
    group_name  text NOT NULL CHECK (length(btrim(group_name)) > 0),
    server_id   text NOT NULL CHECK (server_id = '*' OR server_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    tool        text NOT NULL CHECK (is_tool_pattern(tool)),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX group_tool_denies_unique ON group_tool_denies (lower(group_name), server_id, tool);

-- The user with object_id in tenant_id may not use the tools `tool` matches of server_id.
-- user_id is the administrators' label, as in user_tenant_access.
CREATE TABLE user_tool_denies (
    id          bigserial PRIMARY KEY,
    user_id     text NOT NULL CHECK (length(btrim(user_id)) > 0),
    tenant_id   text NOT NULL
        CHECK (tenant_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    object_id   text NOT NULL
        CHECK (object_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    server_id   text NOT NULL CHECK (server_id = '*' OR server_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    tool        text NOT NULL CHECK (is_tool_pattern(tool)),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX user_tool_denies_unique ON user_tool_denies (tenant_id, object_id, server_id, tool);
