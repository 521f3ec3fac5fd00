//! The documented way to add a server (docs/servers.md), run on a copy of the checkout: one
//! entry in `servers.toml`, `cargo xtask servers`, `mcp-gateway-admin migrate --servers`, a
//! grant, the server's secret. The gateway built from the result serves the new route with its
//! policy, in the catalog and in the aggregate.

use std::path::Path;

use demo_mcp_server::Era;
use serde_json::json;

use crate::common::TempDir;
use crate::common::db::Database;
use crate::common::gateway::Gateway;
use crate::common::mcp::Mcp;
use crate::common::peers::Demo;
use crate::common::rt;

/// The registry and every file it writes, copied from the workspace to `dir`; `target` links to
/// the workspace's, where the built components are.
fn copy_checkout(dir: &Path) {
    let root = test_support::workspace_root();
    for file in server_registry::copies::files()
        .into_iter()
        .chain(["servers.toml"])
    {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(file), to).unwrap();
    }
    std::os::unix::fs::symlink(root.join("target"), dir.join("target")).unwrap();
}

#[test]
fn a_server_added_to_servers_toml_is_served_with_its_policy() {
    let demo = Demo::start(Era::Modern, false);
    let origin = demo.url().trim_end_matches("/mcp").to_owned();
    let checkout = TempDir(
        std::env::temp_dir().join(format!("mcpgw-e2e-add-a-server-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&checkout.0);
    copy_checkout(&checkout.0);

    let registry = checkout.0.join("servers.toml");
    let entry = format!(
        "\n[[server]]\nid = \"wiki\"\nname = \"Wiki\"\ntier = \"http\"\nauth = \"bearer\"\norigin = \"{origin}\"\npath = \"/mcp\"\n"
    );
    std::fs::write(
        &registry,
        std::fs::read_to_string(&registry).unwrap() + &entry,
    )
    .unwrap();
    let servers = server_registry::load(&registry).expect("the new entry is valid");
    let written = server_registry::copies::write(&checkout.0, &servers).unwrap();
    assert!(written.contains(&"spin.toml"), "{written:?}");
    assert!(
        written.contains(&"k8s/secrets.template.yaml"),
        "{written:?}"
    );

    let db = Database::create("add-a-server");
    let migrated = rt().block_on(db.admin.migrate(&servers)).unwrap();
    assert_eq!(migrated.servers.added, ["wiki"]);
    let wiki_key = db.api_key("wiki-user", Some(&["wiki"]));
    let demo_key = db.api_demo_key();

    let secret = (
        "SPIN_VARIABLE_WIKI_TOKEN".to_owned(),
        "wiki-secret".to_owned(),
    );
    let gateway = Gateway::start_from(&checkout.0.join("spin.toml"), &db, &[secret]);

    let call = gateway.post("/wiki/echo", Some(&wiki_key), r#"{"message":"hi"}"#);
    assert_eq!(call.status, 200, "{}\n{}", call.body, gateway.log());
    assert_eq!(call.json(), json!("hi"));
    let info = gateway.get("/wiki", Some(&wiki_key));
    assert_eq!(info.json()["name"], "Wiki", "{}", info.body);
    let catalog = gateway.get("/", Some(&wiki_key)).json();
    let listed: Vec<(&str, &str)> = catalog["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["name"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("wiki", "Wiki")]);

    // The grant is the policy: a key for another server does not see this one.
    let refused = gateway.post("/wiki/echo", Some(&demo_key), r#"{"message":"hi"}"#);
    assert_eq!(refused.status, 404, "{}", refused.body);

    let aggregate = Mcp::new(&gateway, "/mcp", wiki_key);
    let tools = aggregate.modern("tools/list", json!({}), &[]);
    assert_eq!(tools.status, 200, "{}", tools.body);
    let names: Vec<&str> = tools.body["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"wiki__echo"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("demo__")), "{names:?}");
}
