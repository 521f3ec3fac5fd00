//! The audit record of a tool call or a refusal, the same for every surface: sent to the auth
//! component after the response has gone out, so it never delays or fails the call.

use auth_core::audit::{Surface, args_sha256};
use auth_core::{AuditRecord, Decision, Who};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use spin_sdk::http::ResponseOutparam;

use crate::authz::{self, Refusal};
use crate::settings::Settings;
use crate::{Inbound, clock, respond, spin_io};

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
    send(AuditRecord {
        who: Who::of(&call.decision.principal),
        server: settings.server_id.clone(),
        tool: call.tool.to_owned(),
        surface: call.surface,
        status: call.status,
        latency_ms: clock::now_ms().saturating_sub(call.started_ms),
        args_sha256: call.arguments.sha256(),
        detail: None,
    })
    .await;
}

/// Answers a request refused before it reached a tool (credentials, a server that is not the
/// caller's, authorization unavailable), then audits it: who (as far as known), what they
/// asked for (`tool`, empty when no tool was named), the status and why.
pub async fn refused(
    settings: &Settings,
    inbound: &Inbound,
    surface: Surface,
    tool: &str,
    refusal: Refusal,
    outparam: ResponseOutparam,
) {
    let who = match &refusal.principal {
        Some(principal) => Who::of(principal),
        None => Who::unauthenticated(&authz::credentials(inbound)),
    };
    let record = AuditRecord {
        who,
        server: settings.server_id.clone(),
        tool: tool.to_owned(),
        surface,
        status: refusal.status,
        latency_ms: clock::now_ms().saturating_sub(inbound.received_ms),
        args_sha256: Arguments::Unparsed(&inbound.body).sha256(),
        detail: Some(refusal.detail.clone()),
    };
    respond::refusal(outparam, refusal);
    send(record).await;
}

async fn send(record: AuditRecord) {
    let Ok(body) = serde_json::to_vec(&record) else {
        return;
    };
    match spin_io::post_json(AUTH_AUDIT, body).await {
        Ok(response) if response.status == 202 => {}
        Ok(response) => eprintln!("audit record refused: HTTP {}", response.status),
        Err(err) => eprintln!("audit record not written: {err:?}"),
    }
}
