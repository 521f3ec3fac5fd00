//! Arguments of `POST /<s>/<tool>`: the JSON body, checked against the tool's `inputSchema`.
//!
//! Validation uses the tool's original schema, not the normalised one published in OpenAPI
//! (normalising drops `null` branches and cuts cycles, which would refuse valid calls). An
//! upstream schema that cannot be compiled (invalid, or referring to remote documents, which
//! this crate never fetches) is not the caller's fault: the call then goes through unchecked and
//! the upstream validates it. Error messages mask argument values, so nothing the caller sent is
//! echoed back.

use serde_json::{Map, Value};

use crate::GatewayError;
use crate::error::truncate;

/// Longest schema-violation message, in bytes.
const MAX_VIOLATION_BYTES: usize = 300;

/// The arguments in `body`, valid for `input_schema`. An empty body means no arguments.
pub fn parse_arguments(
    body: &[u8],
    input_schema: &Value,
) -> Result<Map<String, Value>, GatewayError> {
    validate_arguments(parse_object(body)?, input_schema)
}

/// `arguments`, when valid for `input_schema` (422 with the first violation otherwise).
pub fn validate_arguments(
    arguments: Map<String, Value>,
    input_schema: &Value,
) -> Result<Map<String, Value>, GatewayError> {
    let Ok(validator) = jsonschema::options().build(input_schema) else {
        return Ok(arguments);
    };
    let instance = Value::Object(arguments);
    if let Some(violation) = validator.iter_errors(&instance).next() {
        let location = match violation.instance_path().as_str() {
            "" => "body",
            pointer => pointer,
        };
        let message = format!("{location}: {}", violation.masked());
        return Err(GatewayError::Unprocessable(
            truncate(&message, MAX_VIOLATION_BYTES).to_owned(),
        ));
    }
    let Value::Object(arguments) = instance else {
        unreachable!("built from an object above")
    };
    Ok(arguments)
}

/// The JSON object in `body` (400 otherwise); an empty body is an empty object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, GatewayError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        GatewayError::BadRequest(format!(
            "body is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        ))
    })?;
    match value {
        Value::Object(arguments) => Ok(arguments),
        _ => Err(GatewayError::BadRequest(
            "body must be a JSON object".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sum_schema() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "a": { "type": "number" },
                "b": { "type": "number" },
                "label": { "anyOf": [{ "type": "string" }, { "type": "null" }] }
            },
            "required": ["a", "b"]
        })
    }

    fn unprocessable(result: Result<Map<String, Value>, GatewayError>) -> String {
        match result {
            Err(GatewayError::Unprocessable(message)) => message,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn valid_arguments_come_back_unchanged() {
        let arguments = parse_arguments(br#"{"a": 1, "b": 2.5}"#, &sum_schema()).unwrap();
        assert_eq!(Value::Object(arguments), json!({ "a": 1, "b": 2.5 }));
    }

    #[test]
    fn null_is_accepted_where_the_original_schema_allows_it() {
        let arguments =
            parse_arguments(br#"{"a": 1, "b": 2, "label": null}"#, &sum_schema()).unwrap();
        assert_eq!(arguments["label"], Value::Null);
    }

    #[test]
    fn wrong_type_is_422_with_pointer_and_masked_value() {
        let message = unprocessable(parse_arguments(
            br#"{"a": "secret-ish", "b": 2}"#,
            &sum_schema(),
        ));
        assert!(message.starts_with("/a: "), "{message}");
        assert!(message.contains("number"), "{message}");
        assert!(!message.contains("secret-ish"), "{message}");
    }

    #[test]
    fn missing_required_property_is_422_at_the_body() {
        let message = unprocessable(parse_arguments(br#"{"a": 1}"#, &sum_schema()));
        assert!(message.starts_with("body: "), "{message}");
        assert!(message.contains("required"), "{message}");
    }

    #[test]
    fn nested_violation_names_its_pointer() {
        let schema = json!({
            "type": "object",
            "$defs": { "Item": { "type": "object", "properties": { "qty": { "type": "integer", "minimum": 1 } } } },
            "properties": { "items": { "type": "array", "items": { "$ref": "#/$defs/Item" } } }
        });
        let message = unprocessable(parse_arguments(
            br#"{"items": [{"qty": 2}, {"qty": 0}]}"#,
            &schema,
        ));
        assert!(message.starts_with("/items/1/qty: "), "{message}");
        assert!(parse_arguments(br#"{"items": [{"qty": 2}]}"#, &schema).is_ok());
    }

    #[test]
    fn empty_body_means_no_arguments() {
        let schema = json!({ "type": "object", "properties": {} });
        assert!(parse_arguments(b"", &schema).unwrap().is_empty());
        assert!(parse_arguments(b" \n", &schema).unwrap().is_empty());
        // ...which still has to satisfy `required`.
        unprocessable(parse_arguments(b"", &sum_schema()));
    }

    #[test]
    fn non_object_body_is_400() {
        for body in [&b"[1, 2]"[..], b"\"text\"", b"42", b"null"] {
            assert_eq!(
                parse_arguments(body, &sum_schema()),
                Err(GatewayError::BadRequest(
                    "body must be a JSON object".into()
                ))
            );
        }
    }

    #[test]
    fn invalid_json_is_400() {
        for body in [
            &b"{"[..],
            b"{\"a\": }",
            b"not json",
            b"{\"a\":1} trailing",
            b"\xff\xfe",
        ] {
            let result = parse_arguments(body, &sum_schema());
            assert!(
                matches!(result, Err(GatewayError::BadRequest(ref m)) if m.starts_with("body is not valid JSON")),
                "{result:?}"
            );
        }
    }

    #[test]
    fn uncompilable_schema_leaves_validation_to_the_upstream() {
        let remote = json!({ "type": "object", "properties": { "x": { "$ref": "https://example.com/x.json" } } });
        assert!(parse_arguments(br#"{"x": 1}"#, &remote).is_ok());
        let invalid = json!({ "type": "object", "properties": { "x": { "type": 12 } } });
        assert!(parse_arguments(br#"{"x": 1}"#, &invalid).is_ok());
    }

    #[test]
    fn long_violation_messages_are_cut() {
        let schema =
            json!({ "type": "object", "properties": { "e": { "enum": ["x".repeat(1000)] } } });
        let message = unprocessable(parse_arguments(br#"{"e": "y"}"#, &schema));
        assert!(message.len() <= MAX_VIOLATION_BYTES, "{}", message.len());
    }
}
