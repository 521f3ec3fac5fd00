-- Which surface a tool call came through (REST or native MCP). Rows from before this column
-- have no surface recorded.
ALTER TABLE audit_log ADD COLUMN surface text CHECK (surface IN ('rest', 'mcp'));
