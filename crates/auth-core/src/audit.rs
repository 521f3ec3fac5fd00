//! One audited tool call, as a route component reports it to the auth component: the same
//! record shape for every surface, so the same call audits the same way over REST and MCP.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

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
    pub principal_id: String,
    pub groups: Vec<String>,
    pub server: String,
    pub tool: String,
    pub surface: Surface,
    pub status: u16,
    pub latency_ms: u64,
    /// [`args_sha256`] of the call's arguments: proves what was sent without storing it.
    pub args_sha256: String,
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
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn plausible_records_have_a_principal_a_status_and_a_hash() {
        let record = AuditRecord {
            principal_id: "oid-1".into(),
            groups: vec!["MCP-GitHub".into()],
            server: "github".into(),
            tool: "search".into(),
            surface: Surface::Rest,
            status: 200,
            latency_ms: 12,
            args_sha256: args_sha256(&Map::new()),
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
