//! What the catalog says about a server, from facts a route entry records in key-value when it
//! refreshes its upstream's tool list (or fails to): the catalog never calls an upstream.
//!
//! A fact only describes; it grants nothing (the catalog lists only servers the caller may use),
//! so it carries no MAC.

use serde::{Deserialize, Serialize};

use crate::GatewayError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    Ok,
    NotConfigured,
    Unreachable,
}

impl ServerStatus {
    /// What a failure to list the tools says about the server; `None` when it says nothing
    /// about the server itself (a refused caller, say).
    pub fn of_error(error: &GatewayError) -> Option<Self> {
        match error {
            GatewayError::NotConfigured(_) => Some(Self::NotConfigured),
            GatewayError::UpstreamUnreachable(_)
            | GatewayError::UpstreamGarbage(_)
            | GatewayError::UpstreamTimeout => Some(Self::Unreachable),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFact {
    pub status: ServerStatus,
    pub checked_ms: u64,
}

/// The key-value key of `server`'s fact.
pub fn fact_key(server: &str) -> String {
    format!("server-status:v1:{server}")
}

/// The catalog's view: the recorded status, or `unknown` when nothing was recorded (not
/// reached since the store was emptied) or the record cannot be read.
pub fn catalog_status(fact: Option<&StatusFact>) -> (&'static str, Option<u64>) {
    match fact {
        Some(fact) => {
            let status = match fact.status {
                ServerStatus::Ok => "ok",
                ServerStatus::NotConfigured => "not_configured",
                ServerStatus::Unreachable => "unreachable",
            };
            (status, Some(fact.checked_ms))
        }
        None => ("unknown", None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_that_describe_the_server_are_classified() {
        let unreachable = GatewayError::UpstreamUnreachable("refused".into());
        assert_eq!(
            ServerStatus::of_error(&unreachable),
            Some(ServerStatus::Unreachable)
        );
        assert_eq!(
            ServerStatus::of_error(&GatewayError::UpstreamTimeout),
            Some(ServerStatus::Unreachable)
        );
        let missing = GatewayError::NotConfigured("no token".into());
        assert_eq!(
            ServerStatus::of_error(&missing),
            Some(ServerStatus::NotConfigured)
        );
        assert_eq!(ServerStatus::of_error(&GatewayError::NotFound), None);
    }

    #[test]
    fn a_recorded_fact_is_shown_with_its_time_and_anything_else_is_unknown() {
        let fact = StatusFact {
            status: ServerStatus::NotConfigured,
            checked_ms: 42,
        };
        assert_eq!(catalog_status(Some(&fact)), ("not_configured", Some(42)));
        assert_eq!(catalog_status(None), ("unknown", None));
    }
}
