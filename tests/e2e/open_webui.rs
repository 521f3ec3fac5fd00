//! Open WebUI 0.12.4 for real: its admin adds the gateway as a tool server through Open WebUI's
//! API, a user chats with a scripted model that calls a gateway tool, Open WebUI runs the call on
//! the gateway and the tool's output comes back to the model. And Open WebUI's own conversion of
//! the gateway's OpenAPI documents into the functions its model is offered.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use auth_core::test_issuer::{IdentityProvider, Person, SignIn, TestIssuer};
use auth_core::{GrantedTools, ToolPattern};
use demo_mcp_server::Era;
use serde_json::Value;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::open_webui::{
    Auth, FakeModel, OpenWebUi, content, mcp_connection, openapi_connection, statuses,
};
use crate::common::peers::{Demo, Everything};
use crate::common::{TempDir, rt};

const TENANT: &str = "11111111-1111-1111-1111-111111111111";
/// The gateway's App ID URI: the audience of the tokens Open WebUI forwards.
const GATEWAY_API: &str = "api://mcp-gateway";
const DEMO_GROUP: &str = "d0000000-0000-4000-8000-000000000001";
const OTHER_GROUP: &str = "d0000000-0000-4000-8000-000000000002";
const ADD_GROUP: &str = "d0000000-0000-4000-8000-000000000003";
const OPEN_WEBUI_CLIENT_ID: &str = "open-webui-client";
const OPEN_WEBUI_CLIENT_SECRET: &str = "open-webui-client-secret";

fn echo_calls(demo: &Demo) -> u64 {
    demo.stats()["toolCalls"]["echo"].as_u64().unwrap_or(0)
}

/// `call <function> {"message": <nonce>}`, the fake model's script for an echo.
fn echo_script(function: &str, nonce: &str) -> String {
    format!(r#"call {function} {{"message": "{nonce}"}}"#)
}

/// Asserts the chat ran `function` on the gateway and its output reached the model.
fn assert_echoed(model: &FakeModel, message: &Value, nonce: &str) {
    assert!(
        model
            .tool_results()
            .iter()
            .any(|result| result.contains(nonce)),
        "the echo reaches the model: {:?}",
        model.tool_results()
    );
    assert!(
        content(message).starts_with("tool result: ") && content(message).contains(nonce),
        "{message}"
    );
}

#[test]
fn open_webui_runs_gateway_tools_with_an_api_key() {
    let db = Database::create("open-webui-bearer");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_demo_key();
    let github_only = db.api_key("github-only", Some(&["github"]));
    let model = FakeModel::start();
    let open_webui = OpenWebUi::start(&model, &[]);
    let admin = open_webui.sign_up_admin();
    let demo_url = format!("{}/demo", gateway.base);
    let demo_mcp = format!("{}/demo/mcp", gateway.base);
    open_webui.set_tool_servers(
        &admin,
        &[
            openapi_connection("demo", &demo_url, &Auth::Bearer(&key)),
            mcp_connection("dm", &demo_mcp, &Auth::Bearer(&key)),
            openapi_connection("wrongkey", &demo_url, &Auth::Bearer(&github_only)),
            mcp_connection("wk", &demo_mcp, &Auth::Bearer(&github_only)),
            openapi_connection("gateway", &gateway.base, &Auth::Bearer(&key)),
            mcp_connection("gw", &format!("{}/mcp", gateway.base), &Auth::Bearer(&key)),
        ],
    );

    // OpenAPI: the function is the operationId; the call is REST `POST /demo/echo`.
    let reply = open_webui.chat(
        &admin,
        "server:demo",
        &echo_script("demo_echo", "n-openapi"),
    );
    assert_echoed(&model, &reply, "n-openapi");
    assert_eq!(echo_calls(&demo), 1, "{}", gateway.log());

    // Native MCP: the function is `<connection id>_<tool>`; the call is `tools/call` on /demo/mcp.
    let reply = open_webui.chat(&admin, "server:mcp:dm", &echo_script("dm_echo", "n-mcp"));
    assert_echoed(&model, &reply, "n-mcp");
    assert_eq!(echo_calls(&demo), 2, "{}", gateway.log());

    // One URL, OpenAPI: `<gateway>/openapi.json`, whose path key `/demo/echo` is the REST call.
    let reply = open_webui.chat(
        &admin,
        "server:gateway",
        &echo_script("demo_echo", "n-one-openapi"),
    );
    assert_echoed(&model, &reply, "n-one-openapi");
    assert_eq!(echo_calls(&demo), 3, "{}", gateway.log());

    // One URL, native MCP: `/mcp`, the function `<connection id>_<server>__<tool>`.
    let reply = open_webui.chat(
        &admin,
        "server:mcp:gw",
        &echo_script("gw_demo__echo", "n-one-mcp"),
    );
    assert_echoed(&model, &reply, "n-one-mcp");
    assert_eq!(echo_calls(&demo), 4, "{}", gateway.log());

    // A key without the demo server: its document and its MCP endpoint are 404, so Open WebUI
    // offers no tools from either connection (silently for OpenAPI; MCP shows a failed
    // connection), and nothing reaches the upstream.
    let reply = open_webui.chat(
        &admin,
        "server:wrongkey",
        &echo_script("demo_echo", "n-denied"),
    );
    assert!(
        content(&reply).starts_with("not offered: demo_echo"),
        "{reply}"
    );
    assert!(statuses(&reply).is_empty(), "{reply}");
    let reply = open_webui.chat(&admin, "server:mcp:wk", &echo_script("wk_echo", "n-denied"));
    assert!(
        content(&reply).starts_with("not offered: wk_echo"),
        "{reply}"
    );
    assert_eq!(statuses(&reply), ["Failed to connect to MCP server 'wk'"]);
    assert_eq!(echo_calls(&demo), 4);
}

fn person(object_id: &str, name: &str, group: &str) -> Person {
    Person {
        object_id: object_id.into(),
        email: format!("{}@example.com", name.to_lowercase()),
        name: name.into(),
        groups: vec![group.into()],
    }
}

#[test]
fn open_webui_forwards_each_signed_in_users_entra_token() {
    let db = Database::create("open-webui-oauth");
    rt().block_on(async {
        db.admin.link_group("MCP-Demo", TENANT, DEMO_GROUP).await?;
        db.admin
            .grant_group("MCP-Demo", "demo", &GrantedTools::All)
            .await?;
        db.admin
            .link_group("MCP-Demo-Add", TENANT, ADD_GROUP)
            .await?;
        let add_only = ToolPattern::parse("add").expect("a tool pattern");
        db.admin
            .grant_group(
                "MCP-Demo-Add",
                "demo",
                &GrantedTools::from_list(Some(vec![add_only])),
            )
            .await
    })
    .expect("grant the demo group");
    let idp = IdentityProvider::start_with_sign_in(SignIn {
        issuer: Arc::new(TestIssuer::generate("open-webui-e2e")),
        client_id: OPEN_WEBUI_CLIENT_ID.into(),
        client_secret: OPEN_WEBUI_CLIENT_SECRET.into(),
        audience: GATEWAY_API.into(),
    });
    idp.add_person(
        "alice",
        person("a0000000-0000-4000-8000-00000000000a", "Alice", DEMO_GROUP),
    );
    idp.add_person(
        "bob",
        person("b0000000-0000-4000-8000-00000000000b", "Bob", OTHER_GROUP),
    );
    idp.add_person(
        "carol",
        person("c0000000-0000-4000-8000-00000000000c", "Carol", ADD_GROUP),
    );
    let demo = Demo::start(Era::Both, false);
    let mut env = upstream("demo", &demo.url());
    env.extend([
        ("SPIN_VARIABLE_ENTRA_TENANT_ID".into(), TENANT.into()),
        ("SPIN_VARIABLE_ENTRA_AUDIENCE".into(), GATEWAY_API.into()),
        ("SPIN_VARIABLE_ENTRA_AUTHORITY".into(), idp.origin()),
        // Open WebUI fetches the document without the user's token.
        ("SPIN_VARIABLE_OPENAPI_PUBLIC".into(), "true".into()),
    ]);
    let gateway = Gateway::start(&db, &env);
    let model = FakeModel::start();
    // The settings of docs/open-webui.md, with the provider's base URL pointed at the local one.
    let open_webui = OpenWebUi::start(
        &model,
        &[
            ("MICROSOFT_CLIENT_ID", OPEN_WEBUI_CLIENT_ID.into()),
            ("MICROSOFT_CLIENT_SECRET", OPEN_WEBUI_CLIENT_SECRET.into()),
            ("MICROSOFT_CLIENT_TENANT_ID", TENANT.into()),
            ("MICROSOFT_CLIENT_LOGIN_BASE_URL", idp.origin()),
            (
                "MICROSOFT_OAUTH_SCOPE",
                format!("openid email profile offline_access {GATEWAY_API}/access_as_user"),
            ),
            ("OAUTH_REFRESH_TOKEN_INCLUDE_SCOPE", "true".into()),
            ("ENABLE_OAUTH_SIGNUP", "true".into()),
            ("DEFAULT_USER_ROLE", "user".into()),
            // Graph's profile picture is out of reach offline.
            ("MICROSOFT_CLIENT_PICTURE_URL", String::new()),
        ],
    );
    let admin = open_webui.sign_up_admin();
    let demo_url = format!("{}/demo", gateway.base);
    let demo_mcp = format!("{}/demo/mcp", gateway.base);
    open_webui.set_tool_servers(
        &admin,
        &[
            openapi_connection("demo", &demo_url, &Auth::SystemOauth),
            mcp_connection("dm", &demo_mcp, &Auth::SystemOauth),
        ],
    );

    // Alice's groups grant the demo server: her token is accepted on both surfaces.
    let alice = open_webui.sign_in("microsoft", "alice");
    let reply = open_webui.chat(
        &alice,
        "server:demo",
        &echo_script("demo_echo", "n-alice-1"),
    );
    assert_echoed(&model, &reply, "n-alice-1");
    assert_eq!(echo_calls(&demo), 1, "{}", gateway.log());
    let reply = open_webui.chat(
        &alice,
        "server:mcp:dm",
        &echo_script("dm_echo", "n-alice-2"),
    );
    assert_echoed(&model, &reply, "n-alice-2");
    assert_eq!(echo_calls(&demo), 2, "{}", gateway.log());

    // Bob's do not. OpenAPI: the public document offers the function, the call is refused and
    // the model sees the failed call.
    let bob = open_webui.sign_in("microsoft", "bob");
    let reply = open_webui.chat(&bob, "server:demo", &echo_script("demo_echo", "n-bob-1"));
    let refusal = model.tool_results().last().cloned().unwrap_or_default();
    assert!(refusal.contains("404"), "{refusal}");
    assert!(!refusal.contains("n-bob-1"), "{refusal}");
    assert!(content(&reply).contains("404"), "{reply}");
    // Native MCP: the connection fails for him, so he is offered no function from it.
    let reply = open_webui.chat(&bob, "server:mcp:dm", &echo_script("dm_echo", "n-bob-2"));
    assert!(
        content(&reply).starts_with("not offered: dm_echo"),
        "{reply}"
    );
    assert_eq!(statuses(&reply), ["Failed to connect to MCP server 'dm'"]);
    assert_eq!(
        echo_calls(&demo),
        2,
        "nothing of Bob's reaches the upstream"
    );

    // Carol's group grants the demo server's `add` only. OpenAPI: the public document offers
    // `echo`, and its call is refused as an unknown tool; MCP: `echo` is not offered.
    let carol = open_webui.sign_in("microsoft", "carol");
    let reply = open_webui.chat(
        &carol,
        "server:demo",
        &echo_script("demo_echo", "n-carol-1"),
    );
    let refusal = model.tool_results().last().cloned().unwrap_or_default();
    assert!(refusal.contains("404"), "{refusal}");
    assert!(!refusal.contains("n-carol-1"), "{refusal}");
    assert!(content(&reply).contains("404"), "{reply}");
    let reply = open_webui.chat(
        &carol,
        "server:mcp:dm",
        &echo_script("dm_echo", "n-carol-2"),
    );
    assert!(
        content(&reply).starts_with("not offered: dm_echo"),
        "{reply}"
    );
    assert!(statuses(&reply).is_empty(), "her connection works: {reply}");
    assert_eq!(
        echo_calls(&demo),
        2,
        "a tool outside Carol's grant never reaches the upstream"
    );
}

/// Open WebUI's conversion (`tests/open_webui/convert_openapi.py`) of `server`'s `document`.
fn open_webui_functions(server: &str, document: &str) -> Vec<Value> {
    let dir = TempDir(std::env::temp_dir().join(format!(
        "mcpgw-open-webui-convert-{}-{server}",
        std::process::id()
    )));
    std::fs::create_dir_all(dir.0.join("data")).expect("data folder");
    let script = test_support::workspace_root().join("tests/open_webui/convert_openapi.py");
    let mut child = Command::new(test_support::open_webui_python())
        .arg(script)
        .current_dir(&dir.0)
        .env_remove(test_support::ENV_DATABASE_URL)
        .env_remove(test_support::ENV_REDIS_URL)
        .env("DATA_DIR", dir.0.join("data"))
        .env("STATIC_DIR", dir.0.join("static"))
        .env("WEBUI_SECRET_KEY", "e2e-open-webui-secret")
        .env("OFFLINE_MODE", "true")
        .env("RAG_EMBEDDING_ENGINE", "openai")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run convert_openapi.py");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(document.as_bytes())
        .expect("write the document");
    let output = child.wait_with_output().expect("convert_openapi.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON list of functions")
}

/// The names of the properties of an object schema, sorted.
fn property_names(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema["properties"]
        .as_object()
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Asserts that Open WebUI's functions for `server`'s document are its allowed tools, each with
/// the parameters and description of its operation; returns them.
fn assert_converted(gateway: &Gateway, key: &str, server: &str) -> Vec<Value> {
    let reply = gateway.get(&format!("/{server}/openapi.json"), Some(key));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let document = reply.json();
    let functions = open_webui_functions(server, &reply.body);
    let mut names: Vec<&str> = functions
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    names.sort();
    let info = gateway.get(&format!("/{server}"), Some(key)).json();
    let mut allowed: Vec<&str> = info["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["operationId"].as_str().unwrap())
        .collect();
    allowed.sort();
    assert_eq!(names, allowed, "{server}: one function per tool");
    for function in &functions {
        let name = function["name"].as_str().unwrap();
        let operation = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| &item["post"])
            .find(|operation| operation["operationId"] == name)
            .unwrap();
        let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
        let parameters = &function["parameters"];
        assert_eq!(
            property_names(parameters),
            property_names(schema),
            "{name}: {parameters}"
        );
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        assert_eq!(parameters["required"], Value::Array(required), "{name}");
        assert_eq!(function["description"], operation["description"], "{name}");
    }
    functions
}

#[test]
fn open_webui_converts_every_tool_of_the_openapi_documents_with_its_parameters() {
    let db = Database::create("open-webui-convert");
    let demo = Demo::start(Era::Both, false);
    let everything = Everything::start_on(test_support::free_port());
    let mut env = upstream("demo", &demo.url());
    env.extend(upstream("github", &everything.url()));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("e2e", None);
    let github = assert_converted(&gateway, &key, "github");
    let functions = assert_converted(&gateway, &key, "demo");
    // The one-URL document: every function of both servers, nothing more.
    let merged = gateway.get("/openapi.json", Some(&key));
    assert_eq!(merged.status, 200, "{}", merged.body);
    let names = |functions: &[Value]| {
        let mut names: Vec<String> = functions
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let mut both = names(&github);
    both.extend(names(&functions));
    both.sort();
    assert_eq!(names(&open_webui_functions("all", &merged.body)), both);
    let parameters = |name: &str| {
        functions
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["parameters"].clone())
            .unwrap_or_else(|| panic!("{name} in {functions:?}"))
    };
    let echo = parameters("demo_echo");
    assert_eq!(echo["properties"]["message"]["type"], "string");
    assert_eq!(echo["required"], serde_json::json!(["message"]));
    assert_eq!(parameters("demo_add")["properties"]["a"]["type"], "number");
    // `$defs`/`$ref`/`anyOf` in the upstream schema: inlined by the gateway, so Open WebUI keeps
    // the nested object instead of turning it into a string.
    let filter = &parameters("demo_lookup")["properties"]["filter"];
    assert_eq!(property_names(filter), ["category", "colors"], "{filter}");
}
