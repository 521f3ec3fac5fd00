//! Prometheus metrics, served at `/metrics` in the text exposition format.

use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Why a forwarded request failed.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum ErrorKind {
    /// The upstream answered with a JSON-RPC error.
    Upstream,
    /// The upstream did not answer within the request timeout.
    Timeout,
    /// The upstream was down or its connection broke during the request.
    Unavailable,
}

/// Why a request was refused before reaching the upstream.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum Rejection {
    Overloaded,
    Unauthorized,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerLabels {
    server: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    server: String,
    method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    server: String,
    method: String,
    kind: ErrorKind,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectionLabels {
    server: String,
    reason: Rejection,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: HistogramFamily,
    restarts: Family<ServerLabels, Counter>,
    rejections: Family<RejectionLabels, Counter>,
    in_flight: Family<ServerLabels, Gauge>,
}

/// Counts one request as in flight until dropped.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn latency_histogram() -> Histogram {
    // 0.25 ms .. ~8 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mcp_bridge");
        let requests = Family::default();
        let errors = Family::default();
        let duration: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let restarts = Family::default();
        let rejections = Family::default();
        let in_flight = Family::default();
        registry.register(
            "requests",
            "MCP requests forwarded to an upstream server",
            requests.clone(),
        );
        registry.register(
            "request_errors",
            "Forwarded MCP requests that ended in a JSON-RPC error",
            errors.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from receiving an MCP request to its upstream answer",
            duration.clone(),
        );
        registry.register(
            "upstream_restarts",
            "Upstream connections re-established after a crash or disconnect",
            restarts.clone(),
        );
        registry.register(
            "rejected_requests",
            "HTTP requests refused before reaching the upstream",
            rejections.clone(),
        );
        registry.register(
            "requests_in_flight",
            "MCP requests waiting for their upstream answer",
            in_flight.clone(),
        );
        Self {
            registry,
            requests,
            errors,
            duration,
            restarts,
            rejections,
            in_flight,
        }
    }
}

impl Metrics {
    pub fn record_request(
        &self,
        server: &str,
        method: &str,
        elapsed: Duration,
        error: Option<ErrorKind>,
    ) {
        let labels = RequestLabels {
            server: server.to_string(),
            method: method.to_string(),
        };
        self.requests.get_or_create(&labels).inc();
        self.duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if let Some(kind) = error {
            self.errors
                .get_or_create(&ErrorLabels {
                    server: labels.server,
                    method: labels.method,
                    kind,
                })
                .inc();
        }
    }

    pub fn in_flight(&self, server: &str) -> InFlight {
        let gauge = self
            .in_flight
            .get_or_create(&ServerLabels {
                server: server.to_string(),
            })
            .clone();
        gauge.inc();
        InFlight(gauge)
    }

    pub fn record_restart(&self, server: &str) {
        self.restarts
            .get_or_create(&ServerLabels {
                server: server.to_string(),
            })
            .inc();
    }

    pub fn record_rejection(&self, server: &str, reason: Rejection) {
        self.rejections
            .get_or_create(&RejectionLabels {
                server: server.to_string(),
                reason,
            })
            .inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_recorded_series_per_server() {
        let metrics = Metrics::default();
        metrics.record_request("time", "tools/call", Duration::from_millis(2), None);
        metrics.record_request(
            "time",
            "tools/call",
            Duration::from_millis(3),
            Some(ErrorKind::Timeout),
        );
        metrics.record_restart("time");
        metrics.record_rejection("time", Rejection::Overloaded);
        let in_flight = metrics.in_flight("time");
        assert!(
            metrics
                .encode()
                .contains(r#"mcp_bridge_requests_in_flight{server="time"} 1"#)
        );
        drop(in_flight);
        let text = metrics.encode();
        assert!(
            text.contains(r#"mcp_bridge_requests_in_flight{server="time"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mcp_bridge_requests_total{server="time",method="tools/call"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"mcp_bridge_request_errors_total{server="time",method="tools/call",kind="Timeout"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"mcp_bridge_upstream_restarts_total{server="time"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"mcp_bridge_request_duration_seconds_count{server="time",method="tools/call"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"mcp_bridge_rejected_requests_total{server="time",reason="Overloaded"} 1"#
            ),
            "{text}"
        );
        assert!(!text.contains(r#"server="other""#));
    }
}
