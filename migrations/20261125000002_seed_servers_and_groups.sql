-- The servers of spin.toml and the group mappings of the rollout plan.

INSERT INTO servers (id, name) VALUES
    ('github', 'GitHub'),
    ('linear', 'Linear'),
    ('notion', 'Notion'),
    ('hubspot', 'HubSpot'),
    ('pulumi', 'Pulumi'),
    ('gitlab', 'GitLab'),
    ('atlassian', 'Atlassian'),
    ('asana', 'Asana'),
    ('sonarqube', 'SonarQube'),
    ('sentry', 'Sentry'),
    ('filesystem', 'Filesystem'),
    ('slack', 'Slack'),
    ('datadog', 'Datadog'),
    ('grafana', 'Grafana'),
    ('demo', 'Demo')
ON CONFLICT (id) DO NOTHING;

INSERT INTO group_tenant_mapping (group_name, server_id) VALUES
    ('MCP-Admin', '*'),
    ('MCP-GitHub', 'github'),
    ('MCP-Filesystem', 'filesystem'),
    ('MCP-Atlassian', 'atlassian'),
    ('Tenant-Google', 'github'),
    ('Tenant-Google', 'notion'),
    ('Tenant-Google', 'atlassian'),
    ('Tenant-Google', 'filesystem'),
    ('Tenant-AcmeCorp', 'atlassian'),
    ('Tenant-AcmeCorp', 'slack'),
    ('Tenant-AcmeCorp', 'filesystem'),
    ('Tenant-Microsoft', 'github'),
    ('Tenant-Microsoft', 'atlassian'),
    ('Tenant-Microsoft', 'filesystem')
ON CONFLICT DO NOTHING;
