-- Each server's upstream tier, shown in the gateway's catalog (GET /).
ALTER TABLE servers
    ADD COLUMN tier text NOT NULL DEFAULT 'http' CHECK (tier IN ('http', 'local', 'sse', 'stdio'));

UPDATE servers SET tier = 'local' WHERE id IN ('github', 'filesystem', 'grafana', 'demo');
UPDATE servers SET tier = 'sse' WHERE id IN ('atlassian', 'asana');
UPDATE servers SET tier = 'stdio' WHERE id IN ('sonarqube', 'sentry');
