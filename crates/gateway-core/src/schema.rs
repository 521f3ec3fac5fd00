//! Turns a tool's `inputSchema` into a self-contained schema that Open WebUI and OpenAI take
//! as is (`reference/open-webui.md` §1: Open WebUI resolves only `#/components` refs and types
//! every untyped node as a string; OpenAI needs `items` on arrays).
//!
//! Rules, in the order they apply to each node:
//! - a local `$ref` (`#`, `#/$defs/..`, `#/definitions/..`, any JSON pointer) is inlined, its
//!   siblings winning over the target; a reference met again while it is being expanded (a
//!   cycle, at its second visit) becomes `{"type":"object"}` plus the description. Remote or
//!   dangling references keep only their siblings. `$defs`, `definitions`, `$schema`, `$id`
//!   and other keywords outside [`KEPT_KEYWORDS`] are dropped;
//! - `allOf` members are merged into the node (properties and `required` united);
//! - `oneOf` is read as `anyOf`; branches that only admit `null` are dropped and a single
//!   remaining branch is merged into the node. Nullability is not written into descriptions:
//!   the text is the tool author's, and arguments are validated against the original schema
//!   (see `args`), which still admits `null`. Several remaining branches stay as `anyOf` when
//!   the node has no `type` of its own;
//! - `null` leaves `type` arrays (`["string","null"]` becomes `"string"`), `default: null` goes;
//! - a node still without `type` (or `anyOf`) gets one inferred from `const`, `enum`, object,
//!   array, string or number keywords, else `"string"`, which is what Open WebUI would assume;
//! - an array without `items` gets `{"type":"string"}` items (Open WebUI's default again);
//! - the root is always `{"type":"object","properties":{...}}`; a root `anyOf` of objects is
//!   flattened to the union of their properties, requiring what every branch requires.
//!
//! The output depends only on the input (no hashing, no clocks), so documents are stable.
//! Expansion is capped at [`MAX_NODES`] nodes so hostile reference graphs stay cheap.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

/// Keywords copied unchanged from each node.
pub const KEPT_KEYWORDS: &[&str] = &[
    "title",
    "description",
    "enum",
    "const",
    "default",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "examples",
];

/// Most schema nodes one normalisation produces before further references are cut.
pub const MAX_NODES: usize = 10_000;

/// Keywords that describe the root object.
const ROOT_KEYWORDS: &[&str] = &[
    "type",
    "title",
    "description",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];

/// The self-contained schema for `input_schema` (see the module documentation).
pub fn normalize_input_schema(input_schema: &Value) -> Value {
    let mut normalizer = Normalizer {
        root: input_schema,
        // The root is being expanded from the start: `{"$ref": "#"}` inside it is a cycle.
        expanding: vec![String::new()],
        nodes: 0,
    };
    let root = normalizer.node(input_schema);
    Value::Object(root_object(root))
}

struct Normalizer<'a> {
    root: &'a Value,
    /// JSON pointers of the references being expanded, outermost first.
    expanding: Vec<String>,
    nodes: usize,
}

impl Normalizer<'_> {
    fn node(&mut self, schema: &Value) -> Map<String, Value> {
        self.nodes += 1;
        let Some(raw) = schema.as_object() else {
            // `true`, `false` or junk: no constraint a model could use.
            return typed("string");
        };
        if let Some(reference) = raw.get("$ref").and_then(Value::as_str) {
            return self.expand_reference(reference, raw);
        }

        let mut out = Map::new();
        for &keyword in KEPT_KEYWORDS {
            if let Some(value) = raw.get(keyword) {
                out.insert(keyword.to_owned(), value.clone());
            }
        }
        if out.get("default") == Some(&Value::Null) {
            out.remove("default");
        }
        if let Some(kind) = raw.get("type").and_then(without_null_type) {
            out.insert("type".to_owned(), kind);
        }
        self.copy_object_keywords(raw, &mut out);
        self.copy_array_keywords(raw, &mut out);
        for member in raw
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let member = self.node(member);
            merge_into(&mut out, member);
        }
        self.apply_alternatives(raw, &mut out);
        complete_type(&mut out);
        out
    }

    fn expand_reference(
        &mut self,
        reference: &str,
        raw: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut siblings = raw.clone();
        siblings.remove("$ref");
        let Some((pointer, target)) = self.resolve(reference) else {
            return self.node(&Value::Object(siblings));
        };
        if self.expanding.contains(&pointer) || self.nodes >= MAX_NODES {
            let description = siblings
                .get("description")
                .or_else(|| target.get("description"))
                .cloned();
            let mut cut = typed("object");
            if let Some(description) = description {
                cut.insert("description".to_owned(), description);
            }
            return cut;
        }
        let mut merged = target.as_object().cloned().unwrap_or_default();
        merged.extend(siblings);
        self.expanding.push(pointer);
        let out = self.node(&Value::Object(merged));
        self.expanding.pop();
        out
    }

    /// The pointer and target of a local reference; `None` for remote or dangling ones.
    fn resolve(&self, reference: &str) -> Option<(String, &Value)> {
        let fragment = reference.strip_prefix('#')?;
        let pointer = percent_decode_str(fragment)
            .decode_utf8()
            .ok()?
            .into_owned();
        let target = if pointer.is_empty() {
            self.root
        } else {
            self.root.pointer(&pointer)?
        };
        Some((pointer, target))
    }

    fn copy_object_keywords(&mut self, raw: &Map<String, Value>, out: &mut Map<String, Value>) {
        if let Some(properties) = raw.get("properties").and_then(Value::as_object) {
            let properties: Map<String, Value> = properties
                .iter()
                .map(|(name, schema)| (name.clone(), Value::Object(self.node(schema))))
                .collect();
            out.insert("properties".to_owned(), Value::Object(properties));
        }
        if let Some(required) = raw.get("required").and_then(Value::as_array) {
            let names: Vec<Value> = required
                .iter()
                .filter(|name| name.is_string())
                .cloned()
                .collect();
            out.insert("required".to_owned(), Value::Array(names));
        }
        match raw.get("additionalProperties") {
            Some(allowed @ Value::Bool(_)) => {
                out.insert("additionalProperties".to_owned(), allowed.clone());
            }
            Some(schema @ Value::Object(_)) => {
                let schema = self.node(schema);
                out.insert("additionalProperties".to_owned(), Value::Object(schema));
            }
            _ => {}
        }
    }

    fn copy_array_keywords(&mut self, raw: &Map<String, Value>, out: &mut Map<String, Value>) {
        // Tuples (`prefixItems`, or draft-07 `items: [...]`) become an array of their union.
        let tuple = match raw.get("items") {
            Some(Value::Array(tuple)) => Some(tuple),
            Some(schema) => {
                let schema = self.node(schema);
                out.insert("items".to_owned(), Value::Object(schema));
                None
            }
            None => raw.get("prefixItems").and_then(Value::as_array),
        };
        if let Some(tuple) = tuple.filter(|tuple| !tuple.is_empty()) {
            let mut members: Vec<Value> = Vec::new();
            for member in tuple {
                let member = Value::Object(self.node(member));
                if !members.contains(&member) {
                    members.push(member);
                }
            }
            let items = match members.len() {
                1 => members.remove(0),
                _ => json!({ "anyOf": members }),
            };
            out.insert("items".to_owned(), items);
        }
    }

    fn apply_alternatives(&mut self, raw: &Map<String, Value>, out: &mut Map<String, Value>) {
        let Some(branches) = raw
            .get("anyOf")
            .or_else(|| raw.get("oneOf"))
            .and_then(Value::as_array)
        else {
            return;
        };
        let mut kept: Vec<Map<String, Value>> = branches
            .iter()
            .map(|branch| self.node(branch))
            .filter(|branch| !admits_only_null(branch))
            .collect();
        match kept.len() {
            0 => {}
            1 => merge_into(out, kept.remove(0)),
            // The node's own type says enough; constraint-only branches would read as strings.
            _ if out.contains_key("type") => {}
            _ => {
                let kept = kept.into_iter().map(Value::Object).collect();
                out.insert("anyOf".to_owned(), Value::Array(kept));
            }
        }
    }
}

fn typed(kind: &str) -> Map<String, Value> {
    let mut node = Map::new();
    node.insert("type".to_owned(), Value::from(kind));
    node
}

/// `type` without `null`: a single remaining name as a string, several as an array.
fn without_null_type(kind: &Value) -> Option<Value> {
    match kind {
        Value::String(_) => Some(kind.clone()),
        Value::Array(names) => {
            let mut kept: Vec<Value> = names
                .iter()
                .filter(|name| name.is_string() && name.as_str() != Some("null"))
                .cloned()
                .collect();
            match kept.len() {
                0 if names.iter().any(|name| name == "null") => Some(Value::from("null")),
                0 => None,
                1 => Some(kept.remove(0)),
                _ => Some(Value::Array(kept)),
            }
        }
        _ => None,
    }
}

fn admits_only_null(branch: &Map<String, Value>) -> bool {
    branch.get("type").and_then(Value::as_str) == Some("null")
        || branch.get("const") == Some(&Value::Null)
        || branch.get("enum") == Some(&json!([null]))
}

/// Fills what `into` lacks from `from`; `properties` and `required` are united.
fn merge_into(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (keyword, value) in from {
        match (keyword.as_str(), into.get_mut(&keyword), value) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, schema) in theirs {
                    mine.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                into.insert(keyword, value);
            }
        }
    }
}

/// Gives a node without `type` (and without `anyOf`) the type its keywords imply.
fn complete_type(node: &mut Map<String, Value>) {
    if !node.contains_key("type") && !node.contains_key("anyOf") {
        let kind = inferred_type(node);
        node.insert("type".to_owned(), kind);
    }
    if node.get("type").and_then(Value::as_str) == Some("array") && !node.contains_key("items") {
        node.insert("items".to_owned(), json!({ "type": "string" }));
    }
    if let (Some(Value::Array(required)), Some(Value::Object(properties))) =
        (node.get("required"), node.get("properties"))
    {
        let known: Vec<Value> = required
            .iter()
            .filter(|name| {
                name.as_str()
                    .is_some_and(|name| properties.contains_key(name))
            })
            .cloned()
            .collect();
        node.insert("required".to_owned(), Value::Array(known));
    }
}

fn inferred_type(node: &Map<String, Value>) -> Value {
    if let Some(value) = node.get("const") {
        return Value::from(value_type(value));
    }
    if let Some(Value::Array(values)) = node.get("enum") {
        return enum_type(values);
    }
    let has = |keywords: &[&str]| keywords.iter().any(|keyword| node.contains_key(*keyword));
    let kind = if has(&[
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
    ]) {
        "object"
    } else if has(&["items", "minItems", "maxItems", "uniqueItems"]) {
        "array"
    } else if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        "number"
    } else {
        "string"
    };
    Value::from(kind)
}

/// The type of an `enum`'s values: one name, or the sorted names when they are mixed.
fn enum_type(values: &[Value]) -> Value {
    let mut kinds: Vec<&str> = values
        .iter()
        .map(value_type)
        .filter(|kind| *kind != "null")
        .collect();
    if kinds.contains(&"number") {
        kinds.retain(|kind| *kind != "integer");
        kinds.push("number");
    }
    kinds.sort_unstable();
    kinds.dedup();
    match kinds.as_slice() {
        [] if values.iter().any(Value::is_null) => Value::from("null"),
        [] => Value::from("string"),
        [kind] => Value::from(*kind),
        _ => Value::from(kinds),
    }
}

fn value_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The root as an object schema with `properties`, whatever the tool declared.
fn root_object(mut node: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(branches)) = node.remove("anyOf") {
        let mut properties = Map::new();
        let mut required: Option<Vec<Value>> = None;
        for branch in branches {
            if let Some(Value::Object(branch_properties)) = branch.get("properties") {
                for (name, schema) in branch_properties {
                    properties
                        .entry(name.clone())
                        .or_insert_with(|| schema.clone());
                }
            }
            let branch_required = branch
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            required = Some(match required {
                None => branch_required,
                Some(all) => all
                    .into_iter()
                    .filter(|name| branch_required.contains(name))
                    .collect(),
            });
        }
        node.insert("properties".to_owned(), Value::Object(properties));
        if let Some(required) = required.filter(|required| !required.is_empty()) {
            node.insert("required".to_owned(), Value::Array(required));
        }
    }
    node.retain(|keyword, _| ROOT_KEYWORDS.contains(&keyword.as_str()));
    node.insert("type".to_owned(), Value::from("object"));
    if !node.get("properties").is_some_and(Value::is_object) {
        node.insert("properties".to_owned(), json!({}));
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalize(schema: Value) -> Value {
        normalize_input_schema(&schema)
    }

    /// Every keyword name used anywhere in `value`.
    fn keywords(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    found.push(key.clone());
                    keywords(child, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| keywords(item, found)),
            _ => {}
        }
    }

    fn assert_self_contained(value: &Value) {
        let mut found = Vec::new();
        keywords(value, &mut found);
        for banned in ["$ref", "$defs", "definitions", "$schema", "allOf", "oneOf"] {
            assert!(
                !found.iter().any(|key| key == banned),
                "{banned} in {value}"
            );
        }
    }

    #[test]
    fn plain_schema_passes_through_without_dialect() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": { "message": { "type": "string", "description": "Message to echo" } },
            "required": ["message"]
        });
        assert_eq!(
            normalize(schema),
            json!({
                "type": "object",
                "properties": { "message": { "type": "string", "description": "Message to echo" } },
                "required": ["message"]
            })
        );
    }

    #[test]
    fn defs_references_are_inlined_with_siblings_winning() {
        let schema = json!({
            "type": "object",
            "$defs": { "Color": { "type": "string", "enum": ["red", "green"], "description": "a colour" } },
            "properties": {
                "fg": { "$ref": "#/$defs/Color" },
                "bg": { "$ref": "#/$defs/Color", "description": "background" }
            }
        });
        let out = normalize(schema);
        assert_eq!(
            out["properties"]["fg"],
            json!({ "type": "string", "enum": ["red", "green"], "description": "a colour" })
        );
        assert_eq!(out["properties"]["bg"]["description"], "background");
        assert_eq!(out["properties"]["bg"]["enum"], json!(["red", "green"]));
        assert_self_contained(&out);
    }

    #[test]
    fn draft07_definitions_are_inlined_through_allof() {
        // pydantic v1 wraps a described reference in allOf.
        let schema = json!({
            "type": "object",
            "definitions": {
                "Point": {
                    "type": "object",
                    "properties": { "x": { "type": "integer" }, "y": { "type": "integer" } },
                    "required": ["x", "y"]
                }
            },
            "properties": {
                "at": { "allOf": [{ "$ref": "#/definitions/Point" }], "description": "where" }
            }
        });
        let out = normalize(schema);
        assert_eq!(
            out["properties"]["at"],
            json!({
                "description": "where",
                "type": "object",
                "properties": { "x": { "type": "integer" }, "y": { "type": "integer" } },
                "required": ["x", "y"]
            })
        );
        assert_self_contained(&out);
    }

    #[test]
    fn reference_chains_and_escaped_pointers_resolve() {
        let schema = json!({
            "type": "object",
            "$defs": {
                "a/b": { "$ref": "#/$defs/Final" },
                "Final": { "type": "integer", "minimum": 1 }
            },
            "properties": { "n": { "$ref": "#/%24defs/a~1b" } }
        });
        assert_eq!(
            normalize(schema)["properties"]["n"],
            json!({ "type": "integer", "minimum": 1 })
        );
    }

    #[test]
    fn cycle_is_cut_at_the_second_visit() {
        let schema = json!({
            "type": "object",
            "$defs": {
                "Node": {
                    "type": "object",
                    "description": "a tree node",
                    "properties": {
                        "name": { "type": "string" },
                        "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } }
                    }
                }
            },
            "properties": { "tree": { "$ref": "#/$defs/Node" } }
        });
        let out = normalize(schema);
        let tree = &out["properties"]["tree"];
        assert_eq!(tree["properties"]["name"], json!({ "type": "string" }));
        assert_eq!(
            tree["properties"]["children"]["items"],
            json!({ "type": "object", "description": "a tree node" })
        );
        assert_self_contained(&out);
    }

    #[test]
    fn mutual_cycle_is_cut_too() {
        let schema = json!({
            "type": "object",
            "$defs": {
                "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } } },
                "B": { "type": "object", "properties": { "a": { "$ref": "#/$defs/A", "description": "back" } } }
            },
            "properties": { "start": { "$ref": "#/$defs/A" } }
        });
        let out = normalize(schema);
        assert_eq!(
            out["properties"]["start"]["properties"]["b"]["properties"]["a"],
            json!({ "type": "object", "description": "back" })
        );
    }

    #[test]
    fn root_self_reference_is_a_cycle() {
        let schema = json!({
            "type": "object",
            "properties": { "next": { "$ref": "#" }, "value": { "type": "number" } }
        });
        let out = normalize(schema);
        assert_eq!(out["properties"]["next"], json!({ "type": "object" }));
        assert_eq!(out["properties"]["value"], json!({ "type": "number" }));
    }

    #[test]
    fn repeated_non_cyclic_reference_is_inlined_each_time() {
        let schema = json!({
            "type": "object",
            "$defs": { "Id": { "type": "string", "pattern": "^[0-9]+$" } },
            "properties": { "a": { "$ref": "#/$defs/Id" }, "b": { "$ref": "#/$defs/Id" } }
        });
        let out = normalize(schema);
        assert_eq!(out["properties"]["a"], out["properties"]["b"]);
        assert_eq!(out["properties"]["b"]["pattern"], "^[0-9]+$");
    }

    #[test]
    fn exponential_reference_graph_is_bounded() {
        let mut defs = Map::new();
        defs.insert("D0".into(), json!({ "type": "string" }));
        for level in 1..40 {
            let below = format!("#/$defs/D{}", level - 1);
            defs.insert(
                format!("D{level}"),
                json!({ "type": "object", "properties": { "l": { "$ref": below }, "r": { "$ref": below } } }),
            );
        }
        let schema = json!({ "type": "object", "$defs": defs, "properties": { "top": { "$ref": "#/$defs/D39" } } });
        let out = normalize(schema);
        let mut found = Vec::new();
        keywords(&out, &mut found);
        assert!(found.len() < MAX_NODES * 8, "{}", found.len());
        assert_self_contained(&out);
    }

    #[test]
    fn remote_and_dangling_references_keep_their_siblings() {
        let schema = json!({
            "type": "object",
            "properties": {
                "remote": { "$ref": "https://example.com/s.json", "description": "remote" },
                "dangling": { "$ref": "#/$defs/Missing", "minimum": 0 }
            }
        });
        let out = normalize(schema);
        assert_eq!(
            out["properties"]["remote"],
            json!({ "description": "remote", "type": "string" })
        );
        assert_eq!(
            out["properties"]["dangling"],
            json!({ "minimum": 0, "type": "number" })
        );
    }

    #[test]
    fn anyof_with_null_collapses_to_the_other_branch() {
        // pydantic / FastMCP `Optional[str] = None`
        let schema = json!({
            "type": "object",
            "properties": {
                "label": { "anyOf": [{ "type": "string" }, { "type": "null" }], "default": null, "title": "Label" }
            }
        });
        assert_eq!(
            normalize(schema)["properties"]["label"],
            json!({ "type": "string", "title": "Label" })
        );
    }

    #[test]
    fn oneof_with_null_and_reference_collapses() {
        let schema = json!({
            "type": "object",
            "$defs": { "Mode": { "enum": ["fast", "slow"] } },
            "properties": { "mode": { "oneOf": [{ "$ref": "#/$defs/Mode" }, { "const": null }], "default": "fast" } }
        });
        assert_eq!(
            normalize(schema)["properties"]["mode"],
            json!({ "default": "fast", "enum": ["fast", "slow"], "type": "string" })
        );
    }

    #[test]
    fn several_non_null_branches_stay_as_anyof() {
        let schema = json!({
            "type": "object",
            "properties": {
                "id": { "oneOf": [{ "type": "string" }, { "type": "integer" }, { "type": "null" }] }
            }
        });
        let out = normalize(schema);
        assert_eq!(
            out["properties"]["id"],
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })
        );
        assert_self_contained(&out);
    }

    #[test]
    fn constraint_only_branches_under_a_typed_node_are_dropped() {
        let schema = json!({
            "type": "object",
            "properties": {
                "q": {
                    "type": "object",
                    "properties": { "a": { "type": "string" }, "b": { "type": "string" } },
                    "anyOf": [{ "required": ["a"] }, { "required": ["b"] }]
                }
            }
        });
        let q = &normalize(schema)["properties"]["q"];
        assert_eq!(q["type"], "object");
        assert!(q.get("anyOf").is_none(), "{q}");
    }

    #[test]
    fn type_arrays_lose_null() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": { "type": ["string", "null"] },
                "b": { "type": ["integer", "string", "null"] },
                "c": { "type": ["null"] }
            }
        });
        let out = normalize(schema);
        assert_eq!(out["properties"]["a"], json!({ "type": "string" }));
        assert_eq!(
            out["properties"]["b"],
            json!({ "type": ["integer", "string"] })
        );
        assert_eq!(out["properties"]["c"], json!({ "type": "null" }));
    }

    #[test]
    fn types_are_inferred_from_enum_and_const() {
        let schema = json!({
            "type": "object",
            "properties": {
                "s": { "enum": ["a", "b"] },
                "i": { "enum": [1, 2, 3] },
                "n": { "enum": [1, 2.5] },
                "mixed": { "enum": ["a", 1, null] },
                "flag": { "const": true }
            }
        });
        let properties = normalize(schema)["properties"].clone();
        assert_eq!(properties["s"]["type"], "string");
        assert_eq!(properties["i"]["type"], "integer");
        assert_eq!(properties["n"]["type"], "number");
        assert_eq!(properties["mixed"]["type"], json!(["integer", "string"]));
        assert_eq!(properties["mixed"]["enum"], json!(["a", 1, null]));
        assert_eq!(properties["flag"]["type"], "boolean");
    }

    #[test]
    fn types_are_inferred_from_structure() {
        let schema = json!({
            "type": "object",
            "properties": {
                "obj": { "properties": { "k": { "type": "string" } } },
                "arr": { "items": { "type": "integer" } },
                "num": { "minimum": 0 },
                "anything": {},
                "described": { "description": "free text" },
                "yes": true
            }
        });
        let properties = normalize(schema)["properties"].clone();
        assert_eq!(properties["obj"]["type"], "object");
        assert_eq!(
            properties["arr"],
            json!({ "type": "array", "items": { "type": "integer" } })
        );
        assert_eq!(properties["num"]["type"], "number");
        assert_eq!(properties["anything"], json!({ "type": "string" }));
        assert_eq!(
            properties["described"],
            json!({ "description": "free text", "type": "string" })
        );
        assert_eq!(properties["yes"], json!({ "type": "string" }));
    }

    #[test]
    fn nested_arrays_are_typed_all_the_way_down() {
        let schema = json!({
            "type": "object",
            "$defs": { "Cell": { "properties": { "v": { "anyOf": [{ "type": "number" }, { "type": "null" }] } } } },
            "properties": {
                "grid": { "type": "array", "items": { "type": "array", "items": { "$ref": "#/$defs/Cell" } } },
                "tags": { "type": "array" },
                "pair": { "type": "array", "prefixItems": [{ "type": "string" }, { "type": "integer" }] }
            }
        });
        let out = normalize(schema);
        assert_eq!(
            out["properties"]["grid"],
            json!({
                "type": "array",
                "items": {
                    "type": "array",
                    "items": { "type": "object", "properties": { "v": { "type": "number" } } }
                }
            })
        );
        assert_eq!(
            out["properties"]["tags"]["items"],
            json!({ "type": "string" })
        );
        assert_eq!(
            out["properties"]["pair"]["items"],
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })
        );
        assert_self_contained(&out);
    }

    #[test]
    fn defaults_are_kept_except_null() {
        let schema = json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer", "default": 3 },
                "cursor": { "type": "string", "default": null }
            }
        });
        let out = normalize(schema);
        assert_eq!(out["properties"]["count"]["default"], 3);
        assert!(out["properties"]["cursor"].get("default").is_none());
    }

    #[test]
    fn additional_properties_schema_is_normalised() {
        let schema = json!({
            "type": "object",
            "$defs": { "V": { "type": "string" } },
            "properties": {
                "env": { "type": "object", "additionalProperties": { "$ref": "#/$defs/V" } },
                "strict": { "type": "object", "additionalProperties": false }
            }
        });
        let out = normalize(schema);
        assert_eq!(
            out["properties"]["env"]["additionalProperties"],
            json!({ "type": "string" })
        );
        assert_eq!(out["properties"]["strict"]["additionalProperties"], false);
    }

    #[test]
    fn required_names_without_property_are_dropped() {
        let schema = json!({
            "type": "object",
            "properties": { "a": { "type": "string" } },
            "required": ["a", "ghost"]
        });
        assert_eq!(normalize(schema)["required"], json!(["a"]));
    }

    #[test]
    fn root_is_always_an_object_with_properties() {
        for schema in [
            json!({}),
            json!(null),
            json!(true),
            json!({ "type": "object" }),
            json!({ "type": "string" }),
        ] {
            let out = normalize(schema.clone());
            assert_eq!(out["type"], "object", "{schema}");
            assert!(out["properties"].is_object(), "{schema}");
        }
        let out = normalize(json!({ "type": "array", "items": { "type": "string" } }));
        assert!(out.get("items").is_none(), "{out}");
    }

    #[test]
    fn root_reference_is_followed() {
        let schema = json!({
            "$ref": "#/$defs/Args",
            "$defs": { "Args": { "type": "object", "properties": { "q": { "type": "string" } }, "required": ["q"] } }
        });
        assert_eq!(
            normalize(schema),
            json!({ "type": "object", "properties": { "q": { "type": "string" } }, "required": ["q"] })
        );
    }

    #[test]
    fn root_union_of_objects_is_flattened() {
        let schema = json!({
            "oneOf": [
                { "type": "object", "properties": { "id": { "type": "string" }, "a": { "type": "string" } }, "required": ["id", "a"] },
                { "type": "object", "properties": { "id": { "type": "string" }, "b": { "type": "integer" } }, "required": ["id"] }
            ]
        });
        let out = normalize(schema);
        assert_eq!(out["type"], "object");
        assert_eq!(
            out["properties"],
            json!({ "id": { "type": "string" }, "a": { "type": "string" }, "b": { "type": "integer" } })
        );
        assert_eq!(out["required"], json!(["id"]));
        assert!(out.get("anyOf").is_none());
    }

    #[test]
    fn output_is_deterministic() {
        let schema = json!({
            "type": "object",
            "$defs": { "X": { "enum": ["b", "a"] } },
            "properties": { "z": { "$ref": "#/$defs/X" }, "y": { "anyOf": [{ "type": "string" }, { "type": "null" }] } }
        });
        let first = serde_json::to_string(&normalize(schema.clone())).unwrap();
        let second = serde_json::to_string(&normalize(schema)).unwrap();
        assert_eq!(first, second);
    }
}
