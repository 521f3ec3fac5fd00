-- Who did what: the caller's tenant, a label for people reading the audit, how the caller
-- authenticated (or tried to), the forwarder key that asserted a forwarded user, and why a
-- request was refused. Refusals of credentials (401) have an empty principal_id. Rows from
-- before these columns have none of them.
ALTER TABLE audit_log
    ADD COLUMN principal_name text,
    ADD COLUMN tenant_id text,
    ADD COLUMN caller text CHECK (caller IN ('token', 'key', 'forwarder', 'anonymous', 'gateway')),
    ADD COLUMN via text,
    ADD COLUMN detail text;
