-- Pinned definitions (issue 20): every tool, prompt and resource template definition an upstream
-- offered, by the SHA-256 of its canonical form (auth_core::pins::Definition). A route serves a
-- definition as approved only when its hash is `approved` here; `pending` ones wait for
-- `mcp-gateway-admin tools approve` (hidden under `pin = enforce`, flagged under `warn`).
-- Approving a new hash of a name makes its previous approved one `superseded`.
CREATE TABLE definitions (
    server_id      text NOT NULL CHECK (server_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    kind           text NOT NULL CHECK (kind IN ('tool', 'prompt', 'resource_template')),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 512),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    definition     jsonb NOT NULL,
    status         text NOT NULL CHECK (status IN ('pending', 'approved', 'superseded')),
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz,
    -- Who approved it: an administrator's label, or 'first sight' (warn mode's first list).
    decided_by     text,
    PRIMARY KEY (server_id, kind, name, sha256)
);
CREATE UNIQUE INDEX definitions_one_approved ON definitions (server_id, kind, name)
    WHERE status = 'approved';
CREATE INDEX definitions_pending ON definitions (server_id) WHERE status = 'pending';

-- A definition that changed is audited once, as surface 'definition': tool = its name,
-- args_sha256 = the new definition's hash, status 200 (served, flagged) or 403 (hidden).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_surface_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_surface_check
    CHECK (surface IN ('rest', 'mcp', 'definition'));
