use demo_mcp_server::Era;

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::peers::Demo;

fn total(stats: &serde_json::Value) -> u64 {
    stats["httpRequests"].as_u64().unwrap()
}

#[test]
fn a_steady_state_tool_call_costs_one_upstream_request_in_either_era() {
    for era in [Era::Modern, Era::Legacy] {
        let db = Database::create("steady");
        let demo = Demo::start(era, false);
        let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
        let key = db.api_key("e2e", None);
        assert_eq!(
            gateway
                .post("/demo/echo", Some(&key), r#"{"message":"warm"}"#)
                .status,
            200
        );
        demo.reset_stats();
        for _ in 0..3 {
            assert_eq!(
                gateway
                    .post("/demo/echo", Some(&key), r#"{"message":"hot"}"#)
                    .status,
                200
            );
        }
        let stats = demo.stats();
        assert_eq!(total(&stats), 3, "{era:?}: {stats}");
        assert_eq!(stats["methods"]["tools/call"], 3, "{era:?}: {stats}");
    }
}

#[test]
fn info_and_openapi_come_from_the_cache() {
    let db = Database::create("cached-docs");
    let demo = Demo::start(Era::Both, false);
    let gateway = Gateway::start(&db, &upstream("demo", &demo.url()));
    let key = db.api_key("e2e", None);
    assert_eq!(gateway.get("/demo", Some(&key)).status, 200);
    demo.reset_stats();
    assert_eq!(gateway.get("/demo/openapi.json", Some(&key)).status, 200);
    assert_eq!(gateway.get("/demo", Some(&key)).status, 200);
    assert_eq!(total(&demo.stats()), 0);
}
