use crate::common::db::Database;
use crate::common::gateway::Gateway;

fn ids(reply: &crate::common::gateway::Reply) -> Vec<String> {
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
