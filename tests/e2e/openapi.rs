use demo_mcp_server::Era;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::{Demo, Everything};

fn validate(document: &str, name: &str) -> Result<(), String> {
    test_support::validate_openapi(&format!("e2e-{name}"), document)
}

fn operation_ids(document: &serde_json::Value) -> Vec<String> {
    document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item["post"]["operationId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn served_documents_are_valid_openapi_3_1_that_open_webui_loads() {
    let db = Database::create("openapi");
    let demo = Demo::start(Era::Both, false);
    let everything = Everything::start_on(test_support::free_port());
    let mut env = upstream("demo", &demo.url());
    env.extend(upstream("github", &everything.url()));
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("e2e", None);
    let mut all_ids = Vec::new();
    for server in ["demo", "github"] {
        let reply = gateway.get(&format!("/{server}/openapi.json"), Some(&key));
        assert_eq!(reply.status, 200, "{}", reply.body);
        validate(&reply.body, server).unwrap_or_else(|e| panic!("{server}: {e}"));
        let document = reply.json();
        assert_eq!(document["servers"][0]["url"], format!("/{server}"));
        assert!(
            !reply.body.contains("$ref"),
            "{server}: schemas must be inlined"
        );
        for id in operation_ids(&document) {
            let valid = id.len() <= 64
                && id.starts_with(|c: char| c.is_ascii_alphabetic())
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            assert!(valid, "{id}");
            all_ids.push(id);
        }
    }
    let count = all_ids.len();
    all_ids.sort();
    all_ids.dedup();
    assert_eq!(
        all_ids.len(),
        count,
        "operationIds are unique across servers"
    );
    assert!(
        validate("{\"openapi\": \"3.1.0\"}", "broken").is_err(),
        "the validator can fail"
    );
}

#[test]
fn openapi_needs_credentials_unless_made_public() {
    let db = Database::create("openapi-public");
    let demo = Demo::with_tools_ttl(Era::Modern, false, 300);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    assert_eq!(gateway.get("/demo/openapi.json", None).status, 401);

    let mut env = upstream("demo", &demo.url());
    env.push(("SPIN_VARIABLE_OPENAPI_PUBLIC".into(), "true".into()));
    let public = Gateway::start(&db, &env);
    assert_eq!(public.get("/demo/openapi.json", None).status, 200);
    assert_eq!(
        public.post("/demo/echo", None, r#"{"message":"x"}"#).status,
        401,
        "calls still need credentials"
    );

    // Past the list's 300 ms lifetime, anonymous fetches still cost the upstream nothing;
    // an authenticated request refreshes the list.
    std::thread::sleep(std::time::Duration::from_millis(400));
    demo.reset_stats();
    for _ in 0..3 {
        let document = public.get("/demo/openapi.json", None);
        assert_eq!(document.status, 200, "{}", document.body);
        assert!(document.body.contains("/echo"), "{}", document.body);
    }
    assert_eq!(demo.stats()["httpRequests"], 0, "{}", demo.stats());
    let key = db.api_demo_key();
    assert_eq!(public.get("/demo", Some(&key)).status, 200);
    assert_eq!(demo.stats()["methods"]["tools/list"], 1, "{}", demo.stats());
}
