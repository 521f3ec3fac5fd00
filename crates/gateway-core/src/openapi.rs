//! OpenAPI 3.1 documents for Open WebUI's tool servers (`reference/open-webui.md` §1).
//!
//! One POST operation per tool whose name is routable (see [`crate::path`]); the request body is
//! the tool's normalised input schema, inline: the documents contain no `$ref` at all. Open
//! WebUI sends each `operationId` to the model as the function name, so ids match
//! [`OPERATION_ID_PATTERN`] and are unique across every server enabled together.
//!
//! Operation ids: `<s>_<tool>` with every character outside `[A-Za-z0-9_]` replaced by `_`,
//! `op_` in front unless it starts with a letter, and cut to 59 characters plus
//! `_<4 hex of sha256("<s>/<tool>")>` when longer than 64. Within a set of tools
//! ([`assign_operation_ids`]) ids that still collide are settled in the order of the original
//! `(server, tool)` names: the first keeps its id, each other one gets a hash suffix of its own
//! original name; so ids depend only on the set, never on list order or restarts. A server's
//! own document settles collisions among its own tools; its ids cannot collide with another
//! server's as long as server ids start with a letter and none, with `-` read as `_`, starts
//! with another one followed by `_` (true of the ids in `spin.toml`). The catalog settles
//! collisions across all servers.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::path::is_routable_tool_name;
use crate::schema::normalize_input_schema;

/// What every operation id matches (Open WebUI function names, OpenAI's 64-character limit).
pub const OPERATION_ID_PATTERN: &str = "^[A-Za-z][A-Za-z0-9_]{0,63}$";
/// Longest operation id.
pub const MAX_OPERATION_ID_LEN: usize = 64;

/// Title, version and description of a document (or of one server in the catalog).
#[derive(Debug, Clone, Copy)]
pub struct DocumentInfo<'a> {
    pub title: &'a str,
    pub version: &'a str,
    pub description: &'a str,
}

/// One server and the tools (`tools/list` entries) the caller may use on it.
#[derive(Debug, Clone, Copy)]
pub struct ServerTools<'a> {
    pub id: &'a str,
    pub info: DocumentInfo<'a>,
    pub tools: &'a [Value],
}

/// Operation ids by `(server, tool)`.
pub type OperationIds = BTreeMap<(String, String), String>;

/// The base operation id of one tool, before collisions within a set are settled.
pub fn operation_id(server: &str, tool: &str) -> String {
    let mut id: String = format!("{server}_{tool}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert_str(0, "op_");
    }
    if id.len() > MAX_OPERATION_ID_LEN {
        id = with_suffix(&id, &name_hash(server, tool, 0));
    }
    id
}

/// Unique operation ids for every `(server, tool)` of the set (see the module documentation).
pub fn assign_operation_ids<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> OperationIds {
    let originals: BTreeSet<(&str, &str)> = pairs.into_iter().collect();
    let mut by_base: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    for &(server, tool) in &originals {
        by_base
            .entry(operation_id(server, tool))
            .or_default()
            .push((server, tool));
    }
    // Every base id stays reserved, so a suffixed id never takes another tool's plain one.
    let mut taken: BTreeSet<String> = by_base.keys().cloned().collect();
    let mut ids = OperationIds::new();
    for (base, members) in by_base {
        let mut members = members.into_iter();
        if let Some((server, tool)) = members.next() {
            ids.insert((server.to_owned(), tool.to_owned()), base.clone());
        }
        for (server, tool) in members {
            let id = (0..)
                .map(|attempt| with_suffix(&base, &name_hash(server, tool, attempt)))
                .find(|candidate| !taken.contains(candidate))
                .expect("an unbounded search finds a free id");
            taken.insert(id.clone());
            ids.insert((server.to_owned(), tool.to_owned()), id);
        }
    }
    ids
}

/// Hex digest of the original name: 4 digits first, 8 for later attempts.
fn name_hash(server: &str, tool: &str, attempt: u32) -> String {
    let input = match attempt {
        0 => format!("{server}/{tool}"),
        _ => format!("{server}/{tool}#{attempt}"),
    };
    let digest = Sha256::digest(input.as_bytes());
    let bytes = if attempt == 0 { 2 } else { 4 };
    hex::encode(&digest[..bytes])
}

/// `base` cut so that `base_<suffix>` fits [`MAX_OPERATION_ID_LEN`] (ids are ASCII).
fn with_suffix(base: &str, suffix: &str) -> String {
    let keep = base.len().min(MAX_OPERATION_ID_LEN - 1 - suffix.len());
    format!("{}_{suffix}", &base[..keep])
}

/// The OpenAPI document of one server, served at `GET /<s>/openapi.json`. `base_url` is the
/// gateway's public URL without trailing slash, or empty for a host-relative server URL.
pub fn server_document(base_url: &str, server: &ServerTools) -> Value {
    let tools = rest_tools(server.tools);
    let ids = assign_operation_ids(tools.iter().map(|tool| (server.id, tool.name)));
    let mut paths = Map::new();
    for tool in &tools {
        let id = &ids[&(server.id.to_owned(), tool.name.to_owned())];
        paths.insert(format!("/{}", tool.name), tool.path_item(id, server.id));
    }
    document(
        &server.info,
        &format!("{}/{}", base_url.trim_end_matches('/'), server.id),
        paths,
        Vec::new(),
    )
}

/// The combined document of `GET /openapi.json`, from the servers' own documents (as
/// [`server_document`] writes them): every operation at `/<s>/<tool>`, tagged with its server,
/// operation ids settled across all servers ([`assign_operation_ids`]), so an id differs from
/// the server's own only where two servers' ids would collide.
pub fn merge_documents(base_url: &str, info: &DocumentInfo, servers: &[(&str, &Value)]) -> Value {
    let mut operations = Vec::new();
    let mut tags = Vec::new();
    for &(server, document) in servers {
        let mut tag = json!({ "name": server });
        if let Some(title) = document["info"]["title"].as_str().filter(|t| !t.is_empty()) {
            tag["description"] = Value::from(title);
        }
        tags.push(tag);
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            if let Some(tool) = path.strip_prefix('/') {
                operations.push((server, tool, item));
            }
        }
    }
    let ids = assign_operation_ids(operations.iter().map(|&(server, tool, _)| (server, tool)));
    let mut paths = Map::new();
    for (server, tool, item) in operations {
        let mut item = item.clone();
        if let Some(post) = item.get_mut("post") {
            post["operationId"] = Value::from(ids[&(server.to_owned(), tool.to_owned())].clone());
        }
        paths.insert(format!("/{server}/{tool}"), item);
    }
    let base = match base_url.trim_end_matches('/') {
        "" => "/",
        base => base,
    };
    document(info, base, paths, tags)
}

fn document(
    info: &DocumentInfo,
    server_url: &str,
    paths: Map<String, Value>,
    tags: Vec<Value>,
) -> Value {
    let mut info_object = json!({ "title": info.title, "version": info.version });
    if !info.description.is_empty() {
        info_object["description"] = Value::from(info.description);
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": info_object,
        "servers": [{ "url": server_url }],
        "paths": paths,
    });
    if !tags.is_empty() {
        document["tags"] = Value::Array(tags);
    }
    document
}

/// A tool as the REST surface publishes it.
struct RestTool<'a> {
    name: &'a str,
    summary: &'a str,
    description: &'a str,
    input_schema: Value,
}

/// The tools that can be called over REST, in upstream order, first of each name.
fn rest_tools(tools: &[Value]) -> Vec<RestTool<'_>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for tool in tools {
        let Some(name) = tool["name"]
            .as_str()
            .filter(|name| is_routable_tool_name(name))
        else {
            continue;
        };
        if !seen.insert(name) {
            continue;
        }
        let text = |field: &str| tool[field].as_str().filter(|text| !text.trim().is_empty());
        let annotated_title = tool["annotations"]["title"].as_str();
        let title = text("title").or(annotated_title.filter(|text| !text.trim().is_empty()));
        out.push(RestTool {
            name,
            summary: title.unwrap_or(name),
            description: text("description").or(title).unwrap_or(name),
            input_schema: normalize_input_schema(&tool["inputSchema"]),
        });
    }
    out
}

impl RestTool<'_> {
    fn path_item(&self, operation_id: &str, server: &str) -> Value {
        let error = json!({
            "type": "object",
            "properties": { "error": { "type": "string" }, "message": { "type": "string" } },
            "required": ["error", "message"]
        });
        let error_response = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": error } } });
        json!({ "post": {
            "operationId": operation_id,
            "summary": self.summary,
            "description": self.description,
            "tags": [server],
            "requestBody": {
                "required": true,
                "content": { "application/json": { "schema": self.input_schema } }
            },
            "responses": {
                "200": {
                    "description": "The tool's result",
                    "content": { "application/json": { "schema": {} } }
                },
                "4XX": error_response("Invalid request, credentials, tool or arguments"),
                "5XX": error_response("The upstream server or the gateway failed")
            }
        }})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_valid_id(id: &str) -> bool {
        id.len() <= MAX_OPERATION_ID_LEN
            && id.starts_with(|c: char| c.is_ascii_alphabetic())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    fn hash4(original: &str) -> String {
        hex::encode(&Sha256::digest(original.as_bytes())[..2])
    }

    fn info() -> DocumentInfo<'static> {
        DocumentInfo {
            title: "Everything",
            version: "1.0.0",
            description: "Test server",
        }
    }

    fn tool(name: &str) -> Value {
        json!({
            "name": name,
            "description": format!("Runs {name}"),
            "inputSchema": { "type": "object", "properties": { "q": { "type": "string" } } }
        })
    }

    #[test]
    fn operation_id_joins_server_and_tool() {
        assert_eq!(
            operation_id("github", "search_issues"),
            "github_search_issues"
        );
    }

    #[test]
    fn operation_id_replaces_foreign_characters() {
        assert_eq!(
            operation_id("everything", "get-tiny-image"),
            "everything_get_tiny_image"
        );
        assert_eq!(operation_id("my-server", "a.b"), "my_server_a_b");
    }

    #[test]
    fn operation_id_starts_with_a_letter() {
        assert_eq!(operation_id("1password", "get"), "op_1password_get");
        assert_eq!(operation_id("_x", "y"), "op__x_y");
        assert!(is_valid_id(&operation_id("9", "9")));
    }

    #[test]
    fn long_operation_id_is_cut_with_a_hash_of_the_original() {
        let tool = "a".repeat(100);
        let id = operation_id("github", &tool);
        assert_eq!(id.len(), MAX_OPERATION_ID_LEN);
        assert_eq!(
            id,
            format!(
                "github_{}_{}",
                "a".repeat(52),
                hash4(&format!("github/{tool}"))
            )
        );
        assert!(is_valid_id(&id));
        // twin: exactly 64 characters stays as it is
        let fits = "b".repeat(64 - "github_".len());
        assert_eq!(operation_id("github", &fits), format!("github_{fits}"));
    }

    #[test]
    fn sanitising_collision_is_settled_by_original_name() {
        let ids = assign_operation_ids([("everything", "get_sum"), ("everything", "get-sum")]);
        // "get-sum" sorts before "get_sum", so it keeps the plain id.
        assert_eq!(
            ids[&("everything".into(), "get-sum".into())],
            "everything_get_sum"
        );
        assert_eq!(
            ids[&("everything".into(), "get_sum".into())],
            format!("everything_get_sum_{}", hash4("everything/get_sum"))
        );
    }

    #[test]
    fn cross_server_collision_is_settled() {
        let ids = assign_operation_ids([("a", "b_c"), ("a_b", "c")]);
        let first = &ids[&("a".into(), "b_c".into())];
        let second = &ids[&("a_b".into(), "c".into())];
        assert_eq!(first, "a_b_c");
        assert_ne!(first, second);
        assert!(is_valid_id(second));
    }

    #[test]
    fn truncation_collision_is_settled() {
        let long = "x".repeat(70);
        let tools: Vec<String> = (0..50).map(|n| format!("{long}{n}")).collect();
        let ids = assign_operation_ids(tools.iter().map(|tool| ("srv", tool.as_str())));
        let unique: BTreeSet<&String> = ids.values().collect();
        assert_eq!(unique.len(), 50);
        assert!(ids.values().all(|id| is_valid_id(id)), "{ids:?}");
    }

    #[test]
    fn suffixed_id_never_takes_another_tools_plain_id() {
        // "t-" sorts first and keeps "s_t_"; "t_" would get "s_t__<hash>", which is the plain
        // id of a third tool, so it moves on to a longer hash.
        let clash = format!("t__{}", hash4("s/t_"));
        let ids = assign_operation_ids([("s", "t_"), ("s", "t-"), ("s", clash.as_str())]);
        assert_eq!(ids[&("s".into(), "t-".into())], "s_t_");
        assert_eq!(ids[&("s".into(), clash.clone())], format!("s_{clash}"));
        let moved = &ids[&("s".into(), "t_".into())];
        assert_eq!(moved.len(), "s_t__".len() + 8, "{moved}");
        assert!(is_valid_id(moved));
    }

    #[test]
    fn assigned_ids_do_not_depend_on_order() {
        let forward = assign_operation_ids([("s", "a-b"), ("s", "a_b"), ("t", "x")]);
        let backward = assign_operation_ids([("t", "x"), ("s", "a_b"), ("s", "a-b")]);
        assert_eq!(forward, backward);
    }

    #[test]
    fn server_document_has_one_post_per_routable_tool() {
        let tools = vec![
            tool("echo"),
            tool("get-sum"),
            tool("mcp"),
            tool("bad name"),
            json!({ "description": "no name" }),
            tool("echo"),
        ];
        let server = ServerTools {
            id: "everything",
            info: info(),
            tools: &tools,
        };
        let document = server_document("", &server);
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["servers"], json!([{ "url": "/everything" }]));
        assert_eq!(
            document["info"],
            json!({ "title": "Everything", "version": "1.0.0", "description": "Test server" })
        );
        let paths = document["paths"].as_object().unwrap();
        let mut keys: Vec<&String> = paths.keys().collect();
        keys.sort();
        assert_eq!(keys, ["/echo", "/get-sum"]);
        let operation = &paths["/get-sum"]["post"];
        assert_eq!(operation["operationId"], "everything_get_sum");
        assert_eq!(operation["description"], "Runs get-sum");
        assert_eq!(operation["requestBody"]["required"], true);
        assert_eq!(
            operation["requestBody"]["content"]["application/json"]["schema"],
            json!({ "type": "object", "properties": { "q": { "type": "string" } } })
        );
        assert!(operation.get("parameters").is_none());
        assert_eq!(
            operation["responses"]["4XX"]["content"]["application/json"]["schema"]["required"],
            json!(["error", "message"])
        );
    }

    #[test]
    fn server_url_follows_the_public_base() {
        let tools = vec![tool("echo")];
        let server = ServerTools {
            id: "github",
            info: info(),
            tools: &tools,
        };
        assert_eq!(
            server_document("https://mcp.example.com/", &server)["servers"],
            json!([{ "url": "https://mcp.example.com/github" }])
        );
    }

    #[test]
    fn description_falls_back_to_title_then_name() {
        let tools = vec![
            json!({ "name": "a", "title": "Tool A", "inputSchema": {} }),
            json!({ "name": "b", "description": "", "inputSchema": {} }),
        ];
        let server = ServerTools {
            id: "s",
            info: info(),
            tools: &tools,
        };
        let document = server_document("", &server);
        assert_eq!(document["paths"]["/a"]["post"]["description"], "Tool A");
        assert_eq!(document["paths"]["/a"]["post"]["summary"], "Tool A");
        assert_eq!(document["paths"]["/b"]["post"]["description"], "b");
        assert_eq!(
            document["paths"]["/b"]["post"]["requestBody"]["content"]["application/json"]["schema"],
            json!({ "type": "object", "properties": {} })
        );
    }

    fn merged(base_url: &str, info: &DocumentInfo, servers: &[ServerTools]) -> Value {
        let documents: Vec<(&str, Value)> = servers
            .iter()
            .map(|server| (server.id, server_document(base_url, server)))
            .collect();
        let documents: Vec<(&str, &Value)> = documents.iter().map(|(id, d)| (*id, d)).collect();
        merge_documents(base_url, info, &documents)
    }

    #[test]
    fn catalog_prefixes_paths_and_keeps_ids_unique_across_servers() {
        let first = vec![tool("b_c"), tool("echo")];
        let second = vec![tool("c"), tool("echo")];
        let servers = [
            ServerTools {
                id: "a",
                info: info(),
                tools: &first,
            },
            ServerTools {
                id: "a_b",
                info: info(),
                tools: &second,
            },
        ];
        let catalog_info = DocumentInfo {
            title: "MCP Gateway",
            version: "0.1.0",
            description: "",
        };
        let document = merged("", &catalog_info, &servers);
        assert_eq!(document["servers"], json!([{ "url": "/" }]));
        assert!(document["info"].get("description").is_none());
        let paths = document["paths"].as_object().unwrap();
        let mut keys: Vec<&String> = paths.keys().collect();
        keys.sort();
        assert_eq!(keys, ["/a/b_c", "/a/echo", "/a_b/c", "/a_b/echo"]);
        let ids: BTreeSet<&str> = paths
            .values()
            .map(|item| item["post"]["operationId"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(
            document["tags"],
            json!([{ "name": "a", "description": "Everything" }, { "name": "a_b", "description": "Everything" }])
        );
    }

    #[test]
    fn server_document_ids_match_the_catalog_for_distinct_server_ids() {
        let github = vec![tool("search-issues"), tool("search_issues")];
        let linear = vec![tool("search-issues")];
        let servers = [
            ServerTools {
                id: "github",
                info: info(),
                tools: &github,
            },
            ServerTools {
                id: "linear",
                info: info(),
                tools: &linear,
            },
        ];
        let catalog = merged("", &info(), &servers);
        for server in &servers {
            let own = server_document("", server);
            for (path, item) in own["paths"].as_object().unwrap() {
                let in_catalog =
                    &catalog["paths"][format!("/{}{path}", server.id)]["post"]["operationId"];
                assert_eq!(&item["post"]["operationId"], in_catalog, "{path}");
            }
        }
    }
}
