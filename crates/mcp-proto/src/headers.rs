//! MCP HTTP header names and the 2026-07-28 routing headers (`Mcp-Name`, `Mcp-Param-*`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

pub const PROTOCOL_VERSION: &str = "MCP-Protocol-Version";
pub const SESSION_ID: &str = "Mcp-Session-Id";
pub const METHOD: &str = "Mcp-Method";
pub const NAME: &str = "Mcp-Name";
pub const PARAM_PREFIX: &str = "Mcp-Param-";
pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";
/// The `inputSchema` property annotation naming an `Mcp-Param-*` header.
pub const X_MCP_HEADER: &str = "x-mcp-header";

const SENTINEL_PREFIX: &str = "=?base64?";
const SENTINEL_SUFFIX: &str = "?=";

/// A header value that survives HTTP unchanged: printable ASCII without edge spaces is sent
/// as is; anything else (and anything that looks like the sentinel) as `=?base64?<b64>?=`.
pub fn encode_header_value(value: &str) -> String {
    let safe = value.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && value.trim() == value
        && !looks_like_sentinel(value);
    if safe {
        value.to_owned()
    } else {
        format!(
            "{SENTINEL_PREFIX}{}{SENTINEL_SUFFIX}",
            STANDARD.encode(value.as_bytes())
        )
    }
}

/// Inverse of [`encode_header_value`]; `None` for a malformed sentinel (bad or non-canonical
/// base64, bad UTF-8), so a corrupt header never matches a body value.
pub fn decode_header_value(value: &str) -> Option<String> {
    if !looks_like_sentinel(value) {
        return Some(value.to_owned());
    }
    let payload = &value[SENTINEL_PREFIX.len()..value.len() - SENTINEL_SUFFIX.len()];
    let bytes = STANDARD.decode(payload).ok()?;
    if STANDARD.encode(&bytes) != payload {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn looks_like_sentinel(value: &str) -> bool {
    value.len() >= SENTINEL_PREFIX.len() + SENTINEL_SUFFIX.len()
        && value.starts_with(SENTINEL_PREFIX)
        && value.ends_with(SENTINEL_SUFFIX)
}

/// One `x-mcp-header` annotation: the property path (through `properties` only) and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamHeader {
    pub path: Vec<String>,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid x-mcp-header annotation: {0}")]
pub struct InvalidAnnotation(String);

/// Schema keywords whose values are subschemas, by shape; crossing one leaves the
/// statically reachable `properties` chain.
const SUBSCHEMA_ONE: &[&str] = &[
    "items",
    "contains",
    "unevaluatedItems",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];
const SUBSCHEMA_LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
const SUBSCHEMA_MAP: &[&str] = &[
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];

/// The `Mcp-Param-*` headers a tool's `inputSchema` declares. An annotation off the pure
/// `properties` chain, on a type other than string/integer/boolean, with a name that is not
/// an RFC 9110 token, or duplicated (case-insensitively) makes the tool invalid: clients
/// must then not use the tool.
pub fn param_headers_of(input_schema: &Value) -> Result<Vec<ParamHeader>, InvalidAnnotation> {
    let mut found = Vec::new();
    let mut stack: Vec<(Option<Vec<String>>, &Value)> = vec![(Some(Vec::new()), input_schema)];
    while let Some((path, node)) = stack.pop() {
        let Value::Object(schema) = node else {
            continue;
        };
        if let Some(annotation) = schema.get(X_MCP_HEADER) {
            found.push(checked_annotation(path.as_deref(), schema, annotation)?);
        }
        for (keyword, value) in schema {
            match (keyword.as_str(), value) {
                ("properties", Value::Object(properties)) => {
                    for (name, sub) in properties {
                        let sub_path = path.as_ref().map(|path| {
                            let mut path = path.clone();
                            path.push(name.clone());
                            path
                        });
                        stack.push((sub_path, sub));
                    }
                }
                (keyword, value) if SUBSCHEMA_ONE.contains(&keyword) => stack.push((None, value)),
                (keyword, Value::Array(items)) if SUBSCHEMA_LIST.contains(&keyword) => {
                    stack.extend(items.iter().map(|sub| (None, sub)));
                }
                (keyword, Value::Object(map)) if SUBSCHEMA_MAP.contains(&keyword) => {
                    stack.extend(map.values().map(|sub| (None, sub)));
                }
                _ => {}
            }
        }
    }
    for (index, header) in found.iter().enumerate() {
        if found[..index]
            .iter()
            .any(|other| other.token.eq_ignore_ascii_case(&header.token))
        {
            return Err(InvalidAnnotation(format!(
                "{} is declared twice",
                header.token
            )));
        }
    }
    Ok(found)
}

fn checked_annotation(
    path: Option<&[String]>,
    schema: &serde_json::Map<String, Value>,
    annotation: &Value,
) -> Result<ParamHeader, InvalidAnnotation> {
    let path = match path {
        Some(path) if !path.is_empty() => path,
        _ => {
            return Err(InvalidAnnotation(
                "not on a property reachable through `properties`".into(),
            ));
        }
    };
    let Value::String(token) = annotation else {
        return Err(InvalidAnnotation("the header name is not a string".into()));
    };
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if token.is_empty() || !token.chars().all(is_token_char) {
        return Err(InvalidAnnotation(format!("{token:?} is not an HTTP token")));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string" | "integer" | "boolean") => Ok(ParamHeader {
            path: path.to_vec(),
            token: token.clone(),
        }),
        _ => Err(InvalidAnnotation(format!(
            "{token} is not on a string, integer or boolean property"
        ))),
    }
}

/// The `Mcp-Param-*` headers for one call; properties without a value (or with a
/// non-scalar one) send no header.
pub fn param_header_values(declared: &[ParamHeader], arguments: &Value) -> Vec<(String, String)> {
    declared
        .iter()
        .filter_map(|header| {
            let value = header
                .path
                .iter()
                .try_fold(arguments, |node, key| node.get(key))?;
            let rendered = match value {
                Value::String(text) => text.clone(),
                Value::Bool(flag) => flag.to_string(),
                Value::Number(number) => number.to_string(),
                _ => return None,
            };
            Some((
                format!("{PARAM_PREFIX}{}", header.token),
                encode_header_value(&rendered),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn safe_values_pass_and_unsafe_ones_are_base64_wrapped() {
        assert_eq!(encode_header_value("get_weather"), "get_weather");
        assert_eq!(encode_header_value("a b"), "a b");
        assert_eq!(encode_header_value("caf\u{e9}"), "=?base64?Y2Fmw6k=?=");
        assert_eq!(encode_header_value(" edge"), "=?base64?IGVkZ2U=?=");
        assert_eq!(encode_header_value("tab\there"), "=?base64?dGFiCWhlcmU=?=");
        assert_eq!(
            encode_header_value("=?base64?x?="),
            "=?base64?PT9iYXNlNjQ/eD89?="
        );
    }

    #[test]
    fn decoding_inverts_encoding_and_rejects_corrupt_sentinels() {
        for value in ["plain", "caf\u{e9}", " edge ", "=?base64?x?=", "\u{1F600}"] {
            assert_eq!(
                decode_header_value(&encode_header_value(value)).as_deref(),
                Some(value)
            );
        }
        assert_eq!(decode_header_value("=?base64?***?="), None);
        assert_eq!(
            decode_header_value("=?base64?Y2Fmw6l=?="),
            None,
            "non-canonical"
        );
        assert_eq!(decode_header_value("=?base64?/w==?="), None, "not UTF-8");
    }

    #[test]
    fn finds_annotations_on_the_properties_chain() {
        let schema = json!({"type":"object","properties":{
            "region": {"type":"string","x-mcp-header":"Region"},
            "opts": {"type":"object","properties":{"dry": {"type":"boolean","x-mcp-header":"Dry-Run"}}},
            "plain": {"type":"string"}
        }});
        let mut declared = param_headers_of(&schema).unwrap();
        declared.sort_by(|a, b| a.token.cmp(&b.token));
        assert_eq!(
            declared,
            vec![
                ParamHeader {
                    path: vec!["opts".into(), "dry".into()],
                    token: "Dry-Run".into()
                },
                ParamHeader {
                    path: vec!["region".into()],
                    token: "Region".into()
                },
            ]
        );
        let values = param_header_values(
            &declared,
            &json!({"region":"\u{e9}u-west","opts":{"dry":true}}),
        );
        assert_eq!(
            values,
            vec![
                ("Mcp-Param-Dry-Run".to_string(), "true".to_string()),
                (
                    "Mcp-Param-Region".to_string(),
                    "=?base64?w6l1LXdlc3Q=?=".to_string()
                ),
            ]
        );
        assert!(param_header_values(&declared, &json!({"region": ["x"]})).is_empty());
    }

    #[test]
    fn rejects_invalid_annotations() {
        let invalid = [
            json!({"type":"object","properties":{"n":{"type":"number","x-mcp-header":"N"}}}),
            json!({"type":"object","properties":{"s":{"type":"string","x-mcp-header":"a b"}}}),
            json!({"type":"object","properties":{"s":{"type":"string","x-mcp-header":7}}}),
            json!({"type":"object","x-mcp-header":"Root"}),
            json!({"type":"object","properties":{"l":{"type":"array","items":{"type":"string","x-mcp-header":"I"}}}}),
            json!({"type":"object","anyOf":[{"properties":{"s":{"type":"string","x-mcp-header":"S"}}}]}),
            json!({"type":"object","properties":{
                "a":{"type":"string","x-mcp-header":"Dup"},
                "b":{"type":"string","x-mcp-header":"dup"}}}),
        ];
        for schema in invalid {
            assert!(param_headers_of(&schema).is_err(), "{schema}");
        }
        let annotation_in_data = json!({"type":"object","properties":{"s":{"type":"string","default":{"x-mcp-header":"D"}}}});
        assert_eq!(param_headers_of(&annotation_in_data), Ok(vec![]));
    }
}
