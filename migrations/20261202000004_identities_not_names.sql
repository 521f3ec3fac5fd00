-- Grants name identities, not names (issue 19): a group mapping's group_name and a user rule's
-- user_id are labels for administrators; what a token is matched against is an object id within
-- a tenant. Object and tenant ids are GUIDs, stored in lower case.

-- The Entra group a label stands for, per tenant (`mcp-gateway-admin group link NAME OBJECT_ID`).
-- A mapping whose label is not linked in the caller's tenant grants nothing.
CREATE TABLE group_links (
    id          bigserial PRIMARY KEY,
    group_name  text NOT NULL CHECK (length(btrim(group_name)) > 0),
    tenant_id   text NOT NULL
        CHECK (tenant_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    object_id   text NOT NULL
        CHECK (object_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX group_links_label_tenant ON group_links (lower(group_name), tenant_id);
CREATE UNIQUE INDEX group_links_object ON group_links (tenant_id, object_id);

-- A user rule names the user's object id within their tenant; user_id becomes its label.
-- Rows written before this migration have neither: as denies they still apply to the user whose
-- object id or username equals the label (they can only narrow access), as grants they grant
-- nothing until written again by object id.
ALTER TABLE user_tenant_access
    ADD COLUMN tenant_id text
        CHECK (tenant_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    ADD COLUMN object_id text
        CHECK (object_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    ADD CONSTRAINT user_tenant_access_identity CHECK ((tenant_id IS NULL) = (object_id IS NULL));
DROP INDEX user_tenant_access_unique;
CREATE UNIQUE INDEX user_tenant_access_identity_unique
    ON user_tenant_access (tenant_id, object_id, server_id) WHERE object_id IS NOT NULL;
CREATE UNIQUE INDEX user_tenant_access_legacy_unique
    ON user_tenant_access (lower(user_id), server_id) WHERE object_id IS NULL;
