use std::collections::BTreeMap;

use demo_mcp_server::Era;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, Reply, upstream};
use crate::common::peers::Demo;

fn ids(reply: &Reply) -> Vec<String> {
    reply.json()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_catalog_lists_only_the_callers_servers() {
    let db = Database::create("catalog");
    let gateway = Gateway::start(&db, &[]);
    let all = db.api_key("admin", None);
    let reply = gateway.get("/", Some(&all));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let every = ids(&reply);
    assert!(
        every.len() >= 15 && every.contains(&"github".to_string()),
        "{every:?}"
    );
    let github = reply.json()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "github")
        .cloned()
        .unwrap();
    assert_eq!(github["tier"], "local");
    assert!(
        github["endpoints"]["openapi"]
            .as_str()
            .unwrap()
            .ends_with("/github/openapi.json")
    );

    let two = db.api_key("two", Some(&["github", "slack"]));
    assert_eq!(ids(&gateway.get("/", Some(&two))), vec!["github", "slack"]);

    let anonymous = gateway.get("/", None);
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").starts_with("Bearer"));
}

fn statuses(reply: &Reply) -> BTreeMap<String, String> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let status = s["status"].as_str().unwrap_or("missing").to_string();
            (s["id"].as_str().unwrap().to_string(), status)
        })
        .collect()
}

#[test]
fn the_catalog_tells_each_servers_status_from_recorded_facts_without_calling_upstreams() {
    let db = Database::create("catalog-status");
    let demo = Demo::start(Era::Modern, false);
    let down = format!("http://127.0.0.1:{}/mcp", test_support::free_port());
    let mut env = upstream("demo", &demo.url());
    env.extend(upstream("grafana", &down));
    // github keeps its empty default credential: not configured.
    let gateway = Gateway::start(&db, &env);
    let key = db.api_key("status", Some(&["demo", "grafana", "github"]));
    let unknown: BTreeMap<String, String> = ["demo", "github", "grafana"]
        .map(|s| (s.to_string(), "unknown".to_string()))
        .into();
    assert_eq!(statuses(&gateway.get("/", Some(&key))), unknown);
    assert_eq!(
        demo.stats()["httpRequests"],
        0,
        "the catalog reached an upstream"
    );

    for server in ["demo", "grafana", "github"] {
        gateway.get(&format!("/{server}"), Some(&key));
    }
    demo.reset_stats();
    let reply = gateway.get("/", Some(&key));
    let expected: BTreeMap<String, String> = [
        ("demo", "ok"),
        ("github", "not_configured"),
        ("grafana", "unreachable"),
    ]
    .map(|(s, status)| (s.to_string(), status.to_string()))
    .into();
    assert_eq!(statuses(&reply), expected);
    assert!(
        reply.json()["servers"][0]["status_checked_ms"]
            .as_u64()
            .is_some(),
        "{}",
        reply.body
    );
    assert_eq!(
        demo.stats()["httpRequests"],
        0,
        "the catalog reached an upstream"
    );

    let only_demo = db.api_key("only-demo", Some(&["demo"]));
    assert_eq!(
        statuses(&gateway.get("/", Some(&only_demo)))
            .into_keys()
            .collect::<Vec<_>>(),
        vec!["demo"],
        "the status of a server the caller may not use is not told"
    );
}
