//! Counts of what reached `/mcp`, so tests can prove how many upstream requests a gateway made.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// A snapshot, served as JSON by `GET /stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Every HTTP request to `/mcp`, whatever its verb or body.
    pub http_requests: u64,
    /// HTTP requests to `/mcp` per verb (`POST`, `GET`, `DELETE`, ...).
    pub http_methods: BTreeMap<String, u64>,
    /// JSON-RPC requests and notifications per `method`.
    pub methods: BTreeMap<String, u64>,
    /// `tools/call` requests per tool name.
    pub tool_calls: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub struct Stats(Mutex<Counts>);

impl Stats {
    /// Records one HTTP request to `/mcp`; `message` is its JSON body when it had one.
    pub fn record(&self, http_method: &str, message: Option<&serde_json::Value>) {
        let mut counts = self.lock();
        counts.http_requests += 1;
        *counts
            .http_methods
            .entry(http_method.to_owned())
            .or_default() += 1;
        let Some(method) = message
            .and_then(|m| m.get("method"))
            .and_then(|m| m.as_str())
        else {
            return;
        };
        *counts.methods.entry(method.to_owned()).or_default() += 1;
        if method == "tools/call"
            && let Some(tool) = message
                .and_then(|m| m.pointer("/params/name"))
                .and_then(|name| name.as_str())
        {
            *counts.tool_calls.entry(tool.to_owned()).or_default() += 1;
        }
    }

    pub fn snapshot(&self) -> Counts {
        self.lock().clone()
    }

    pub fn reset(&self) {
        *self.lock() = Counts::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // A panic while counting leaves the counts usable; never poison the test server.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_verbs_methods_and_tool_names() {
        let stats = Stats::default();
        let call =
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo"}});
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
        stats.record("POST", Some(&call));
        stats.record("POST", Some(&call));
        stats.record("POST", Some(&list));
        stats.record("DELETE", None);

        let counts = stats.snapshot();
        assert_eq!(counts.http_requests, 4);
        assert_eq!(counts.http_methods["POST"], 3);
        assert_eq!(counts.http_methods["DELETE"], 1);
        assert_eq!(counts.methods["tools/call"], 2);
        assert_eq!(counts.methods["tools/list"], 1);
        assert_eq!(counts.tool_calls["echo"], 2);
        assert_eq!(counts.tool_calls.len(), 1);
    }

    #[test]
    fn a_response_message_counts_as_http_request_only() {
        let stats = Stats::default();
        stats.record(
            "POST",
            Some(&json!({"jsonrpc": "2.0", "id": 1, "result": {}})),
        );
        let counts = stats.snapshot();
        assert_eq!(counts.http_requests, 1);
        assert!(counts.methods.is_empty());
    }

    #[test]
    fn reset_clears_everything() {
        let stats = Stats::default();
        stats.record("GET", None);
        stats.reset();
        assert_eq!(stats.snapshot(), Counts::default());
    }

    #[test]
    fn serialises_with_camel_case_keys() {
        let stats = Stats::default();
        stats.record("POST", Some(&json!({"method": "tools/list"})));
        let value = serde_json::to_value(stats.snapshot()).unwrap();
        assert_eq!(value["httpRequests"], 1);
        assert_eq!(value["methods"]["tools/list"], 1);
        assert_eq!(value["toolCalls"], json!({}));
    }
}
