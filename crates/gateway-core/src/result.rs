//! The REST answer of `POST /<s>/<tool>`, from the upstream's `tools/call` result.
//!
//! - `structuredContent`, when present, is the answer;
//! - otherwise the `content` blocks: one block is the answer, several are an array, none is
//!   `null`. A text block is parsed as JSON when it is JSON, else kept as a string; images and
//!   audio become `{"type","mimeType","dataUri"}`; embedded resources keep their `uri` with
//!   their text or a data URI; resource links stay links; unknown blocks pass through;
//! - `isError: true` is [`GatewayError::ToolFailed`] with the tool's text (502, see `error`);
//! - a `resultType` other than `complete` (`input_required`, `task`, ...) asks for a follow-up
//!   exchange a single REST call cannot carry: [`GatewayError::UnsupportedResult`] (502), and
//!   the client can use the server's MCP endpoint instead.

use serde_json::{Map, Value, json};

use crate::GatewayError;

const FALLBACK_MIME: &str = "application/octet-stream";

/// The REST body for an MCP `CallToolResult`.
pub fn rest_body(call_result: &Value) -> Result<Value, GatewayError> {
    let result = call_result
        .as_object()
        .ok_or_else(|| garbage("the tools/call result is not an object"))?;
    if let Some(result_type) = result.get("resultType")
        && result_type != "complete"
    {
        let name = result_type.as_str().unwrap_or("(not a string)");
        return Err(GatewayError::UnsupportedResult(name.to_owned()));
    }
    let content = match result.get("content") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(blocks)) => blocks.as_slice(),
        Some(_) => return Err(garbage("the tools/call content is not an array")),
    };
    if result.get("isError") == Some(&Value::Bool(true)) {
        return Err(GatewayError::ToolFailed(error_text(content)));
    }
    if let Some(structured) = result
        .get("structuredContent")
        .filter(|value| !value.is_null())
    {
        return Ok(structured.clone());
    }
    let mut values = content
        .iter()
        .map(block_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match values.len() {
        0 => Value::Null,
        1 => values.remove(0),
        _ => Value::Array(values),
    })
}

fn garbage(detail: &str) -> GatewayError {
    GatewayError::UpstreamGarbage(detail.to_owned())
}

fn error_text(content: &[Value]) -> String {
    let texts: Vec<&str> = content
        .iter()
        .filter(|block| block["type"] == "text")
        .filter_map(|block| block["text"].as_str())
        .collect();
    if texts.is_empty() {
        "the tool reported an error without a message".to_owned()
    } else {
        texts.join("\n")
    }
}

fn block_value(block: &Value) -> Result<Value, GatewayError> {
    let kind = block["type"]
        .as_str()
        .ok_or_else(|| garbage("a content block has no type"))?;
    match kind {
        "text" => {
            let text = string_field(block, "text")?;
            Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::from(text)))
        }
        "image" | "audio" => {
            let mime = mime_type(block);
            let data = string_field(block, "data")?;
            Ok(json!({ "type": kind, "mimeType": mime, "dataUri": data_uri(mime, data) }))
        }
        "resource" => embedded_resource(&block["resource"]),
        "resource_link" => {
            string_field(block, "uri")?;
            let fields = ["uri", "name", "title", "description", "mimeType", "size"];
            let mut link = copy_fields(block, &fields);
            link.insert("type".to_owned(), Value::from(kind));
            Ok(Value::Object(link))
        }
        _ => Ok(block.clone()),
    }
}

fn embedded_resource(resource: &Value) -> Result<Value, GatewayError> {
    string_field(resource, "uri")?;
    let mut out = copy_fields(resource, &["uri", "mimeType"]);
    out.insert("type".to_owned(), Value::from("resource"));
    if let Some(text) = resource["text"].as_str() {
        out.insert("text".to_owned(), Value::from(text));
    } else {
        let blob = string_field(resource, "blob")?;
        let mime = mime_type(resource);
        out.insert("dataUri".to_owned(), Value::from(data_uri(mime, blob)));
    }
    Ok(Value::Object(out))
}

fn string_field<'a>(block: &'a Value, field: &str) -> Result<&'a str, GatewayError> {
    block[field]
        .as_str()
        .ok_or_else(|| garbage(&format!("a content block lacks the string `{field}`")))
}

fn copy_fields(source: &Value, fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|&field| Some((field.to_owned(), source.get(field)?.clone())))
        .collect()
}

/// The block's MIME type when it is a plain `type/subtype`, so it cannot break the data URI.
fn mime_type(block: &Value) -> &str {
    let is_token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&byte))
    };
    block["mimeType"]
        .as_str()
        .filter(|mime| {
            mime.split_once('/')
                .is_some_and(|(kind, subtype)| is_token(kind) && is_token(subtype))
        })
        .unwrap_or(FALLBACK_MIME)
}

fn data_uri(mime: &str, base64: &str) -> String {
    format!("data:{mime};base64,{base64}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> Value {
        json!({ "type": "text", "text": text })
    }

    #[test]
    fn structured_content_wins_over_content() {
        let result = json!({
            "content": [text("{\"temperature\": 21}")],
            "structuredContent": { "temperature": 21, "conditions": "sunny" }
        });
        assert_eq!(
            rest_body(&result),
            Ok(json!({ "temperature": 21, "conditions": "sunny" }))
        );
        // twin: a null structuredContent does not count
        let result = json!({ "content": [text("plain")], "structuredContent": null });
        assert_eq!(rest_body(&result), Ok(json!("plain")));
    }

    #[test]
    fn single_text_block_is_parsed_when_it_is_json() {
        let result = json!({ "content": [text("{\"sum\": 3}")] });
        assert_eq!(rest_body(&result), Ok(json!({ "sum": 3 })));
        let result = json!({ "content": [text("The sum of 1 and 2 is 3.")] });
        assert_eq!(rest_body(&result), Ok(json!("The sum of 1 and 2 is 3.")));
        let result = json!({ "content": [text("{not json")] });
        assert_eq!(rest_body(&result), Ok(json!("{not json")));
    }

    #[test]
    fn several_blocks_are_an_array() {
        let result = json!({ "content": [text("first"), text("[1,2]")] });
        assert_eq!(rest_body(&result), Ok(json!(["first", [1, 2]])));
    }

    #[test]
    fn no_content_is_null() {
        assert_eq!(rest_body(&json!({ "content": [] })), Ok(Value::Null));
        assert_eq!(rest_body(&json!({})), Ok(Value::Null));
    }

    #[test]
    fn images_and_audio_become_data_uris() {
        let result = json!({ "content": [
            { "type": "image", "mimeType": "image/png", "data": "iVBORw0KGgo=", "annotations": { "priority": 1 } },
            { "type": "audio", "mimeType": "audio/wav", "data": "UklGRg==" }
        ]});
        assert_eq!(
            rest_body(&result),
            Ok(json!([
                { "type": "image", "mimeType": "image/png", "dataUri": "data:image/png;base64,iVBORw0KGgo=" },
                { "type": "audio", "mimeType": "audio/wav", "dataUri": "data:audio/wav;base64,UklGRg==" }
            ]))
        );
    }

    #[test]
    fn hostile_mime_type_cannot_shape_the_data_uri() {
        let result = json!({ "content": [
            { "type": "image", "mimeType": "text/html;base64,PHNjcmlwdD4=,x", "data": "AAAA" }
        ]});
        assert_eq!(
            rest_body(&result).unwrap()["dataUri"],
            "data:application/octet-stream;base64,AAAA"
        );
    }

    #[test]
    fn embedded_resources_keep_uri_with_text_or_data_uri() {
        let result = json!({ "content": [
            { "type": "resource", "resource": { "uri": "test://static/resource/1", "mimeType": "text/plain", "text": "hello" } },
            { "type": "resource", "resource": { "uri": "file:///a.gz", "mimeType": "application/gzip", "blob": "H4sI" } }
        ]});
        assert_eq!(
            rest_body(&result),
            Ok(json!([
                { "type": "resource", "uri": "test://static/resource/1", "mimeType": "text/plain", "text": "hello" },
                { "type": "resource", "uri": "file:///a.gz", "mimeType": "application/gzip", "dataUri": "data:application/gzip;base64,H4sI" }
            ]))
        );
    }

    #[test]
    fn resource_links_stay_links() {
        let link = json!({ "type": "resource_link", "uri": "test://static/resource/2", "name": "Resource 2",
                           "mimeType": "application/octet-stream", "_meta": { "x": 1 } });
        assert_eq!(
            rest_body(&json!({ "content": [link] })),
            Ok(
                json!({ "type": "resource_link", "uri": "test://static/resource/2", "name": "Resource 2",
                       "mimeType": "application/octet-stream" })
            )
        );
    }

    #[test]
    fn is_error_carries_the_tools_text() {
        let result =
            json!({ "isError": true, "content": [text("file not found"), text("path: /x")] });
        assert_eq!(
            rest_body(&result),
            Err(GatewayError::ToolFailed("file not found\npath: /x".into()))
        );
        let result = json!({ "isError": true, "content": [] });
        assert!(matches!(rest_body(&result), Err(GatewayError::ToolFailed(m)) if !m.is_empty()));
        // twin: isError false is a normal result
        let result = json!({ "isError": false, "content": [text("ok")] });
        assert_eq!(rest_body(&result), Ok(json!("ok")));
    }

    #[test]
    fn non_complete_result_types_are_unsupported() {
        for kind in ["input_required", "task"] {
            let result = json!({ "resultType": kind, "inputRequests": {} });
            assert_eq!(
                rest_body(&result),
                Err(GatewayError::UnsupportedResult(kind.into()))
            );
        }
        let result = json!({ "resultType": "complete", "content": [text("done")] });
        assert_eq!(rest_body(&result), Ok(json!("done")));
    }

    #[test]
    fn malformed_results_are_upstream_garbage() {
        for result in [
            json!("text"),
            json!({ "content": "text" }),
            json!({ "content": [{ "text": "no type" }] }),
            json!({ "content": [{ "type": "text" }] }),
            json!({ "content": [{ "type": "image", "mimeType": "image/png" }] }),
            json!({ "content": [{ "type": "resource", "resource": { "uri": "x:" } }] }),
        ] {
            assert!(
                matches!(rest_body(&result), Err(GatewayError::UpstreamGarbage(_))),
                "{result}"
            );
        }
    }

    #[test]
    fn unknown_block_types_pass_through() {
        let block = json!({ "type": "future_kind", "payload": 1 });
        assert_eq!(rest_body(&json!({ "content": [block.clone()] })), Ok(block));
    }
}
