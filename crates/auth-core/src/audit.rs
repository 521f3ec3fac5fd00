//! One audited tool call or refusal, as a route component reports it to the auth component:
//! the same record shape for every surface, so the same call audits the same way over REST and
//! MCP. It says who (object id, tenant, label, caller kind), where, what answer and how long;
//! never arguments (only their hash) or credentials.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::credentials::{CredentialError, Credentials, Presented};
use crate::decision::{Principal, PrincipalKind};

/// The longest text a record keeps of a name, id or label; of the detail of a refusal; and how
/// many groups it keeps. A record is built from what a caller sent: it is bounded before it
/// is stored.
pub const MAX_FIELD_CHARS: usize = 256;
pub const MAX_DETAIL_CHARS: usize = 512;
pub const MAX_GROUPS: usize = 256;
/// The field of the auth component's 401 answers that tells the route, for the audit only,
/// what the caller is not told (an API key unknown, revoked or expired: no oracle).
pub const AUDIT_DETAIL: &str = "audit_detail";

/// How the caller authenticated, or tried to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallerKind {
    /// An Entra ID access token.
    Token,
    /// An API key of a service.
    Key,
    /// A user asserted by a trusted forwarder key.
    Forwarder,
    /// No usable credential.
    Anonymous,
    /// The gateway itself (what it records of upstream definitions).
    Gateway,
}

impl CallerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Key => "key",
            Self::Forwarder => "forwarder",
            Self::Anonymous => "anonymous",
            Self::Gateway => "gateway",
        }
    }
}

/// Who a record is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    /// The stable id: a user's `oid` (also a forwarded user's), `apikey:<id>`; empty when the
    /// caller could not be authenticated.
    pub principal_id: String,
    /// A label for people reading the audit (UPN, key owner): never used to decide.
    pub principal_name: String,
    pub tenant_id: Option<String>,
    pub caller: CallerKind,
    /// The forwarder key that asserted a forwarded user.
    pub via: Option<String>,
    pub groups: Vec<String>,
}

impl Who {
    /// An authenticated principal.
    pub fn of(principal: &Principal) -> Self {
        Self {
            principal_id: principal.id.clone(),
            principal_name: principal.name.clone(),
            tenant_id: principal.tenant_id.clone(),
            caller: match principal.kind {
                PrincipalKind::Entra => CallerKind::Token,
                PrincipalKind::ApiKey => CallerKind::Key,
                PrincipalKind::Forwarder => CallerKind::Forwarder,
            },
            via: principal.forwarded_by.clone(),
            groups: principal.groups.clone(),
        }
    }

    /// A caller that could not be authenticated: only the kind of credential it presented.
    pub fn unauthenticated(credentials: &Credentials) -> Self {
        let caller = match credentials.presented() {
            Ok(Presented::Bearer(_)) => CallerKind::Token,
            Ok(Presented::ApiKey(_)) | Err(CredentialError::ConflictingApiKeys) => CallerKind::Key,
            Err(_) => CallerKind::Anonymous,
        };
        Self {
            principal_id: String::new(),
            principal_name: String::new(),
            tenant_id: None,
            caller,
            via: None,
            groups: Vec::new(),
        }
    }

    /// The gateway itself.
    pub fn gateway() -> Self {
        Self {
            principal_id: "mcp-gateway".into(),
            principal_name: "mcp-gateway".into(),
            tenant_id: None,
            caller: CallerKind::Gateway,
            via: None,
            groups: Vec::new(),
        }
    }
}

/// The surface a call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    /// `POST /<s>/<tool>`.
    Rest,
    /// `tools/call` on `/<s>/mcp`.
    Mcp,
    /// Not a call: an upstream offered a new or changed definition (`pins`), recorded once.
    Definition,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Mcp => "mcp",
            Self::Definition => "definition",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    #[serde(flatten)]
    pub who: Who,
    pub server: String,
    pub tool: String,
    pub surface: Surface,
    pub status: u16,
    pub latency_ms: u64,
    /// [`args_sha256`] of the call's arguments: proves what was sent without storing it.
    pub args_sha256: String,
    /// Why a request was refused, for whoever reads the audit (the caller is told less).
    pub detail: Option<String>,
}

/// Hex SHA-256 of the arguments in canonical form (object keys sorted at every level, no
/// whitespace), so the same arguments hash the same whatever surface or key order they came in.
pub fn args_sha256(arguments: &Map<String, Value>) -> String {
    canonical_sha256(&Value::Object(arguments.clone()))
}

/// Hex SHA-256 of `value` in canonical form: object keys sorted at every level, no whitespace.
pub fn canonical_sha256(value: &Value) -> String {
    let mut canonical = Vec::new();
    write_canonical(&mut canonical, value);
    hex::encode(Sha256::digest(&canonical))
}

fn write_canonical(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(Value::String(key.clone()).to_string().into_bytes());
                out.push(b':');
                write_canonical(out, &map[key]);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(out, item);
            }
            out.push(b']');
        }
        scalar => out.extend(scalar.to_string().into_bytes()),
    }
}

impl AuditRecord {
    /// Rejects records that could not have come from a route component: only a refusal of
    /// credentials (401) has no principal.
    pub fn is_plausible(&self) -> bool {
        (!self.who.principal_id.is_empty() || self.status == 401)
            && !self.server.is_empty()
            && (100..=599).contains(&self.status)
            && self.args_sha256.len() == 64
            && self.args_sha256.bytes().all(|b| b.is_ascii_hexdigit())
    }

    /// The record with every caller-controlled text cut to its bound.
    pub fn bounded(mut self) -> Self {
        let who = &mut self.who;
        for text in [
            &mut who.principal_id,
            &mut who.principal_name,
            &mut self.server,
            &mut self.tool,
        ] {
            cut(text, MAX_FIELD_CHARS);
        }
        for text in [&mut who.tenant_id, &mut who.via].into_iter().flatten() {
            cut(text, MAX_FIELD_CHARS);
        }
        who.groups.truncate(MAX_GROUPS);
        for group in &mut who.groups {
            cut(group, MAX_FIELD_CHARS);
        }
        if let Some(detail) = &mut self.detail {
            cut(detail, MAX_DETAIL_CHARS);
        }
        self
    }
}

fn cut(text: &mut String, max_chars: usize) {
    if let Some((end, _)) = text.char_indices().nth(max_chars) {
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    fn alice() -> Principal {
        Principal {
            id: "oid-1".into(),
            name: "alice@example.com".into(),
            kind: PrincipalKind::Entra,
            tenant_id: Some("tid-1".into()),
            groups: vec!["g-1".into()],
            roles: Vec::new(),
            forwarded_by: None,
        }
    }

    fn record(who: Who, status: u16) -> AuditRecord {
        AuditRecord {
            who,
            server: "github".into(),
            tool: "search".into(),
            surface: Surface::Rest,
            status,
            latency_ms: 12,
            args_sha256: args_sha256(&Map::new()),
            detail: None,
        }
    }

    #[test]
    fn plausible_records_have_a_principal_a_status_and_a_hash() {
        let record = record(Who::of(&alice()), 200);
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
                ..record.clone()
            }
            .is_plausible()
        );
        let nobody = Who::unauthenticated(&Credentials::default());
        assert!(
            AuditRecord {
                who: nobody.clone(),
                status: 401,
                ..record.clone()
            }
            .is_plausible()
        );
        assert!(
            !AuditRecord {
                who: nobody,
                status: 404,
                ..record
            }
            .is_plausible()
        );
    }

    #[test]
    fn who_says_how_the_caller_came() {
        let who = Who::of(&alice());
        assert_eq!(
            (
                who.caller,
                who.tenant_id.as_deref(),
                who.principal_name.as_str()
            ),
            (CallerKind::Token, Some("tid-1"), "alice@example.com")
        );
        let forwarded = Principal {
            kind: PrincipalKind::Forwarder,
            forwarded_by: Some("apikey:7".into()),
            ..alice()
        };
        let who = Who::of(&forwarded);
        assert_eq!(
            (who.caller, who.via.as_deref()),
            (CallerKind::Forwarder, Some("apikey:7"))
        );
        let presented = |headers: &[(&str, &str)]| {
            Who::unauthenticated(&Credentials::from_headers(headers.iter().copied())).caller
        };
        assert_eq!(presented(&[("x-api-key", "mcpk_x")]), CallerKind::Key);
        assert_eq!(
            presented(&[("authorization", "Bearer eyJ")]),
            CallerKind::Token
        );
        assert_eq!(presented(&[]), CallerKind::Anonymous);
    }

    #[test]
    fn a_record_keeps_bounded_text_only() {
        let mut who = Who::of(&alice());
        who.groups = vec!["é".repeat(1_000); 10_000];
        let huge = AuditRecord {
            tool: "t".repeat(100_000),
            detail: Some("d".repeat(100_000)),
            ..record(who, 404)
        }
        .bounded();
        assert_eq!(huge.tool.chars().count(), MAX_FIELD_CHARS);
        assert_eq!(huge.detail.unwrap().len(), MAX_DETAIL_CHARS);
        assert_eq!(huge.who.groups.len(), MAX_GROUPS);
        assert_eq!(huge.who.groups[0], "é".repeat(MAX_FIELD_CHARS));
        let small = record(Who::of(&alice()), 200);
        assert_eq!(small.clone().bounded(), small);
    }

    #[test]
    fn the_argument_hash_ignores_key_order_and_whitespace() {
        let a: Value =
            serde_json::from_str(r#"{"b": [1, {"y": 2, "x": "é"}], "a": null}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#).unwrap();
        assert_eq!(args_sha256(&object(a)), args_sha256(&object(b)));
        assert_ne!(
            args_sha256(&object(json!({"a": 1}))),
            args_sha256(&object(json!({"a": "1"})))
        );
        // The canonical form of {} is "{}".
        assert_eq!(args_sha256(&Map::new()), hex::encode(Sha256::digest(b"{}")));
    }
}
