//! One audited tool call, as the route component reports it to the auth component.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub principal_id: String,
    pub groups: Vec<String>,
    pub server: String,
    pub tool: String,
    pub status: u16,
    pub latency_ms: u64,
    /// Hex SHA-256 of the call's JSON arguments: proves what was sent without storing it.
    pub args_sha256: String,
}

/// Hex SHA-256 of the raw argument bytes, for [`AuditRecord::args_sha256`].
pub fn args_sha256(arguments: &[u8]) -> String {
    hex::encode(Sha256::digest(arguments))
}

impl AuditRecord {
    /// Rejects records that could not have come from a route component.
    pub fn is_plausible(&self) -> bool {
        !self.principal_id.is_empty()
            && !self.server.is_empty()
            && (100..=599).contains(&self.status)
            && self.args_sha256.len() == 64
            && self.args_sha256.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_records_have_a_principal_a_status_and_a_hash() {
        let record = AuditRecord {
            principal_id: "oid-1".into(),
            groups: vec!["MCP-GitHub".into()],
            server: "github".into(),
            tool: "search".into(),
            status: 200,
            latency_ms: 12,
            args_sha256: args_sha256(b"{}"),
        };
        assert!(record.is_plausible());
        assert!(
            !AuditRecord {
                status: 0,
                ..record.clone()
            }
            .is_plausible()
        );
        assert!(
            !AuditRecord {
                args_sha256: "secret".into(),
                ..record
            }
            .is_plausible()
        );
    }
}
