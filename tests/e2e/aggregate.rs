//! The aggregate endpoints: `/mcp` (every allowed server's tools, prompts and resources, as
//! `<s>__<name>` and `<s>+<uri>`) and `/openapi.json`, over members of both eras, with one
//! member down.

use std::collections::BTreeSet;

use demo_mcp_server::{Era, GREETING_TEXT, GREETING_URI};
use serde_json::{Value, json};

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::mcp::{Mcp, inspector, python_client, typescript_client};
use crate::common::peers::{Demo, Everything};

/// `demo` (2026-07-28 upstream), `sentry` (handshake-era upstream) and `grafana`, whose
/// upstream is down.
struct Setup {
    db: Database,
    modern: Demo,
    legacy: Demo,
    gateway: Gateway,
}

fn setup(tag: &str, extra: &[(&str, &str)]) -> Setup {
    let db = Database::create(tag);
    let modern = Demo::start(Era::Modern, false);
    let legacy = Demo::start(Era::Legacy, false);
    let down = format!("http://127.0.0.1:{}/mcp", test_support::free_port());
    let mut env = upstream("demo", &modern.url());
    env.extend(upstream("sentry", &legacy.url()));
    env.extend(upstream("grafana", &down));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let gateway = Gateway::start(&db, &env);
    Setup {
        db,
        modern,
        legacy,
        gateway,
    }
}

fn names(list: &Value, key: &str, field: &str) -> BTreeSet<String> {
    list["result"][key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {list}"))
        .iter()
        .filter_map(|entry| entry[field].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn python_sdk_clients_of_both_eras_see_and_call_every_allowed_server() {
    let s = setup("aggregate-clients", &[]);
    let three = s.db.api_key("three", Some(&["demo", "sentry", "grafana"]));
    let url = format!("{}/mcp", s.gateway.base);
    for mode in ["legacy", "auto"] {
        for echo in ["demo__echo", "sentry__echo"] {
            let seen = python_client(&url, mode, &three, echo);
            assert_eq!(
                seen["connected"],
                true,
                "{mode}: {seen}\n{}",
                s.gateway.log()
            );
            assert_eq!(seen["echo"], "hello", "{mode}/{echo}: {seen}");
            let tools: Vec<&str> = seen["tools"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(tools.contains(&"demo__add"), "{tools:?}");
            assert!(tools.contains(&"sentry__add"), "{tools:?}");
            assert!(
                !tools.iter().any(|t| t.starts_with("grafana__")),
                "the member that is down is left out, the rest still list: {tools:?}"
            );
        }
    }
    let demo_only = s.db.api_demo_key();
    let seen = python_client(&url, "auto", &demo_only, "demo__echo");
    assert_eq!(seen["echo"], "hello", "{seen}");
    assert!(
        seen["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.as_str().unwrap().starts_with("demo__")),
        "a server the caller may not use is not listed: {seen}"
    );
    let refused = python_client(&url, "auto", &demo_only, "sentry__echo");
    assert_eq!(
        refused["isError"]
            .as_bool()
            .or(Some(!refused["connected"].as_bool().unwrap())),
        Some(true),
        "a server the caller may not use cannot be called: {refused}"
    );
}

#[test]
fn the_typescript_sdk_client_sees_and_calls_only_the_allowed_servers() {
    let s = setup("aggregate-typescript", &[]);
    let url = format!("{}/mcp", s.gateway.base);
    let two = s.db.api_key("two", Some(&["demo", "grafana"]));
    let seen = typescript_client(&url, &two, "demo__echo");
    assert_eq!(seen["connected"], true, "{seen}\n{}", s.gateway.log());
    assert_eq!(seen["echo"], "hello", "{seen}");
    let tools: Vec<&str> = seen["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tools.contains(&"demo__add"), "{tools:?}");
    assert!(
        tools.iter().all(|t| t.starts_with("demo__")),
        "sentry is not granted and grafana is down: {tools:?}"
    );
    let refused = typescript_client(&url, &two, "sentry__echo");
    assert_eq!(refused["connected"], false, "{refused}");
    assert!(
        refused["errors"].to_string().contains("unknown tool"),
        "a server the caller may not use answers like an unknown tool: {refused}"
    );
}

#[test]
fn the_inspector_cli_lists_and_calls_in_both_eras() {
    let s = setup("aggregate-inspector", &[]);
    let url = format!("{}/mcp", s.gateway.base);
    let two = s.db.api_key("two", Some(&["demo", "sentry"]));
    for era in ["legacy", "modern"] {
        let listed = inspector(&url, &two, era, &["--method", "tools/list"]);
        let tools = names(&listed, "tools", "name");
        assert!(
            tools.contains("demo__echo") && tools.contains("sentry__echo"),
            "{era}: {listed}"
        );
        assert!(
            !tools.iter().any(|t| t.starts_with("grafana__")),
            "{tools:?}"
        );
        let echo = inspector(
            &url,
            &two,
            era,
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "sentry__echo",
                "--tool-arg",
                "message=hello",
            ],
        );
        assert_eq!(
            echo["result"]["content"][0]["text"], "hello",
            "{era}: {echo}"
        );
    }
    let demo_only = s.db.api_demo_key();
    let hidden = inspector(
        &url,
        &demo_only,
        "modern",
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "sentry__echo",
            "--tool-arg",
            "message=x",
        ],
    );
    assert!(
        hidden["error"].is_object(),
        "a server the caller may not use is neither listed nor callable: {hidden}"
    );
}

#[test]
fn calls_route_to_their_member_and_unknown_names_are_unknown_tools() {
    let s = setup("aggregate-routing", &[]);
    let key = s.db.api_key("two", Some(&["demo", "sentry"]));
    let mcp = Mcp::new(&s.gateway, "/mcp", key);
    let listed = mcp.modern("tools/list", json!({}), &[]);
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["result"]["cacheScope"], "private");
    let tools = names(&listed.body, "tools", "name");
    assert!(tools.iter().all(|t| t.len() <= 48), "{tools:?}");

    s.modern.reset_stats();
    s.legacy.reset_stats();
    let add = mcp.modern(
        "tools/call",
        json!({"name": "sentry__add", "arguments": {"a": 2, "b": 3}}),
        &[],
    );
    assert_eq!(add.status, 200, "{}", add.body);
    assert!(add.body.to_string().contains('5'), "{}", add.body);
    assert_eq!(
        s.legacy.stats()["toolCalls"]["add"],
        1,
        "{}",
        s.legacy.stats()
    );
    assert_eq!(
        s.modern.stats()["toolCalls"],
        json!({}),
        "the other member is not called"
    );

    // The member's pipeline validates: bad arguments and unknown tools never reach an upstream.
    let invalid = mcp.modern(
        "tools/call",
        json!({"name": "demo__add", "arguments": {"a": "one", "b": 2}}),
        &[],
    );
    assert_eq!(invalid.body["error"]["code"], -32602, "{}", invalid.body);
    for name in ["demo__rm_rf", "grafana__echo", "echo", "nosuch__echo"] {
        let unknown = mcp.modern("tools/call", json!({"name": name, "arguments": {}}), &[]);
        assert_eq!(unknown.status, 200, "{name}: {}", unknown.body);
        assert_eq!(
            unknown.body["error"]["code"], -32602,
            "{name}: {}",
            unknown.body
        );
        assert_eq!(unknown.body["error"]["message"], "unknown tool", "{name}");
    }
    assert_eq!(s.modern.stats()["toolCalls"], json!({}));

    // A new handshake session per turn lists from the members' caches.
    s.legacy.reset_stats();
    let session = mcp.initialize();
    let again = mcp.in_session(&session, "tools/list", json!({}));
    assert_eq!(names(&again.body, "tools", "name"), tools);
    assert!(again.body["result"].get("cacheScope").is_none());
    assert_eq!(
        s.legacy.stats()["methods"].get("tools/list"),
        None,
        "no upstream request in steady state: {}",
        s.legacy.stats()
    );
}

#[test]
fn prompts_and_resources_are_renamed_and_mapped_back() {
    let db = Database::create("aggregate-relay");
    let demo = Demo::start(Era::Modern, false);
    let everything = Everything::start_on(test_support::free_port());
    let mut env = upstream("demo", &demo.url());
    env.extend(upstream("sentry", &everything.url()));
    let gateway = Gateway::start(&db, &env);
    let mcp = Mcp::new(
        &gateway,
        "/mcp",
        db.api_key("two", Some(&["demo", "sentry"])),
    );
    let discover = mcp.modern("server/discover", json!({}), &[]);
    assert_eq!(discover.status, 200, "{}", discover.body);
    assert!(discover.body["result"]["capabilities"]["prompts"].is_object());

    let resources = mcp.modern("resources/list", json!({}), &[]);
    let uris = names(&resources.body, "resources", "uri");
    let exposed = format!("demo+{GREETING_URI}");
    assert!(uris.contains(&exposed), "{uris:?}");
    assert!(
        uris.iter().any(|uri| uri.starts_with("sentry+")),
        "{uris:?}"
    );
    let read = mcp.modern("resources/read", json!({"uri": exposed}), &[]);
    assert_eq!(
        read.body["result"]["contents"][0]["text"], GREETING_TEXT,
        "{}",
        read.body
    );
    assert_eq!(read.body["result"]["contents"][0]["uri"], exposed.as_str());
    let foreign = mcp.modern("resources/read", json!({"uri": GREETING_URI}), &[]);
    assert_eq!(foreign.body["error"]["code"], -32602, "{}", foreign.body);

    // A handshake client, and server-everything's prompts behind the `sentry` member.
    let session = mcp.initialize();
    let prompts = mcp.in_session(&session, "prompts/list", json!({}));
    let listed = names(&prompts.body, "prompts", "name");
    assert!(
        listed.iter().all(|name| name.starts_with("sentry__")),
        "{listed:?}"
    );
    let prompt = listed
        .iter()
        .find(|name| name.contains("simple"))
        .or(listed.iter().next())
        .unwrap_or_else(|| panic!("{}", prompts.body));
    let got = mcp.in_session(
        &session,
        "prompts/get",
        json!({"name": prompt, "arguments": {}}),
    );
    assert!(
        got.body["result"]["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        got.body
    );
    let unknown = mcp.in_session(&session, "prompts/get", json!({"name": "demo__nope"}));
    assert_eq!(unknown.body["error"]["code"], -32602, "{}", unknown.body);
}

#[test]
fn openapi_json_merges_the_documents_each_member_serves_the_caller() {
    let s = setup("aggregate-openapi", &[]);
    let key = s.db.api_key("two", Some(&["demo", "sentry"]));
    let reply = s.gateway.get("/openapi.json", Some(&key));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let document = reply.json();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.contains_key("/demo/echo"), "{:?}", paths.keys());
    assert!(paths.contains_key("/sentry/echo"), "{:?}", paths.keys());
    assert!(!paths.keys().any(|p| p.starts_with("/grafana/")));
    let ids: Vec<&str> = paths
        .values()
        .map(|item| item["post"]["operationId"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    assert!(
        ids.iter()
            .all(|id| id.len() <= 64 && id.starts_with(char::is_alphabetic))
    );

    // Open WebUI calls the connection URL + the path key: the REST surface of the member.
    let call = s
        .gateway
        .post("/sentry/echo", Some(&key), r#"{"message": "hi"}"#);
    assert_eq!(call.status, 200, "{}", call.body);

    let demo_only = s
        .gateway
        .get("/openapi.json", Some(&s.db.api_demo_key()))
        .json();
    assert!(
        demo_only["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|p| p.starts_with("/demo/")),
        "{demo_only}"
    );
    let anonymous = s.gateway.get("/openapi.json", None);
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let bad = s.gateway.get(
        "/openapi.json",
        Some("mcpk_wrong_key_0000000000000000000000000000"),
    );
    assert_eq!(bad.status, 401, "{}", bad.body);
}

#[test]
fn a_public_openapi_json_needs_no_credentials() {
    let s = setup(
        "aggregate-public",
        &[("SPIN_VARIABLE_OPENAPI_PUBLIC", "true")],
    );
    let reply = s.gateway.get("/openapi.json", None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let paths = reply.json()["paths"].as_object().unwrap().clone();
    assert!(paths.contains_key("/demo/echo"), "{:?}", paths.keys());
    assert!(paths.contains_key("/sentry/echo"), "{:?}", paths.keys());
    let call = s.gateway.post("/demo/echo", None, r#"{"message": "hi"}"#);
    assert_eq!(call.status, 401, "the call still needs credentials");
}
