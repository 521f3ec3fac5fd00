//! The audit record of a tool call, the same for every surface: sent to the auth component
//! after the response has gone out, so it never delays or fails the call.

use auth_core::audit::{Surface, args_sha256};
use auth_core::{AuditRecord, Decision};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::clock;
use crate::settings::Settings;
use crate::spin_io;

const AUTH_AUDIT: &str = "http://auth.spin.internal/audit";

/// The arguments as the audit hashes them.
pub enum Arguments<'a> {
    /// Parsed arguments: hashed in canonical form, the same for REST and MCP.
    Parsed(&'a Map<String, Value>),
    /// A body that was not a JSON object: its bytes are hashed as they came.
    Unparsed(&'a [u8]),
}

impl Arguments<'_> {
    fn sha256(&self) -> String {
        match self {
            Self::Parsed(arguments) => args_sha256(arguments),
            Self::Unparsed(bytes) => hex::encode(Sha256::digest(bytes)),
        }
    }
}

pub struct Call<'a> {
    pub decision: &'a Decision,
    pub tool: &'a str,
    pub surface: Surface,
    pub status: u16,
    pub started_ms: u64,
    pub arguments: Arguments<'a>,
}

pub async fn record(settings: &Settings, call: Call<'_>) {
    let record = AuditRecord {
        principal_id: call.decision.principal.id.clone(),
        groups: call.decision.principal.groups.clone(),
        server: settings.server_id.clone(),
        tool: call.tool.to_owned(),
        surface: call.surface,
        status: call.status,
        latency_ms: clock::now_ms().saturating_sub(call.started_ms),
        args_sha256: call.arguments.sha256(),
    };
    let Ok(body) = serde_json::to_vec(&record) else {
        return;
    };
    match spin_io::post_json(AUTH_AUDIT, body).await {
        Ok(response) if response.status == 202 => {}
        Ok(response) => eprintln!("audit record refused: HTTP {}", response.status),
        Err(err) => eprintln!("audit record not written: {err:?}"),
    }
}
