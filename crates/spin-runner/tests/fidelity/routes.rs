use crate::common::{app_dir, start, write_manifest};

const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "routes"
version = "1.2.3"
[[trigger.http]]
route = "/..."
component = "catch-all"
[[trigger.http]]
route = "/exact/headers"
component = "exact"
[[trigger.http]]
route = "/items/:id/headers"
component = "named"
[[trigger.http]]
route = "/a/b/..."
component = "long"
[[trigger.http]]
route = { private = true }
component = "private"
[component.catch-all]
source = "PROBE"
[component.exact]
source = "PROBE"
[component.named]
source = "PROBE"
[component.long]
source = "PROBE"
[component.private]
source = "PROBE"
"#;

const NO_CATCH_ALL: &str = r#"
spin_manifest_version = 2
[application]
name = "routes"
[[trigger.http]]
route = "/exact/headers"
component = "exact"
[[trigger.http]]
route = { private = true }
component = "private"
[component.exact]
source = "PROBE"
[component.private]
source = "PROBE"
"#;

fn header(reply: &crate::common::Reply, name: &str) -> String {
    reply.json()["headers"][name]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn exact_route_beats_wildcard_and_sets_spin_headers() {
    let dir = app_dir("routes-exact");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner.get("/exact/headers?q=1");
    assert_eq!(reply.status, 200);
    assert_eq!(header(&reply, "spin-matched-route"), "/exact/headers");
    assert_eq!(header(&reply, "spin-raw-component-route"), "/exact/headers");
    assert_eq!(header(&reply, "spin-component-route"), "/exact/headers");
    assert_eq!(header(&reply, "spin-path-info"), "");
    assert_eq!(header(&reply, "spin-base-path"), "/");
    assert_eq!(
        header(&reply, "spin-full-url"),
        format!("{}/exact/headers?q=1", runner.base)
    );
    assert!(header(&reply, "spin-client-addr").starts_with("127.0.0.1:"));
    assert_eq!(
        reply.json()["headers"]["host"],
        serde_json::Value::Null,
        "components never see host"
    );

    let other = runner.get("/exact/headers/more/headers");
    assert_eq!(
        header(&other, "spin-matched-route"),
        "/...",
        "a sub-path of an exact route falls to the wildcard"
    );
    assert_eq!(
        header(&other, "spin-path-info"),
        "/exact/headers/more/headers"
    );
}

#[test]
fn longest_prefix_and_named_segments() {
    let dir = app_dir("routes-prefix");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let long = runner.get("/a/b/headers");
    assert_eq!(header(&long, "spin-matched-route"), "/a/b/...");
    assert_eq!(header(&long, "spin-component-route"), "/a/b");
    assert_eq!(header(&long, "spin-path-info"), "/headers");
    let short = runner.get("/a/bc/headers");
    assert_eq!(header(&short, "spin-matched-route"), "/...");

    let named = runner.get("/items/42/headers");
    assert_eq!(header(&named, "spin-path-match-id"), "42");
    assert_eq!(header(&named, "spin-matched-route"), "/items/:id/headers");
}

#[test]
fn unmatched_paths_and_private_components_answer_404_with_empty_body() {
    let dir = app_dir("routes-private");
    write_manifest(&dir, NO_CATCH_ALL);
    let runner = start(&dir, &[], &[]).unwrap();
    assert_eq!(runner.get("/exact/headers").status, 200);
    for path in ["/private/headers", "/nothing", "/"] {
        let reply = runner.get(path);
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.body, "", "{path}");
    }
}

#[test]
fn well_known_spin_routes() {
    let dir = app_dir("routes-well-known");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let health = runner.get("/.well-known/spin/health");
    assert_eq!((health.status, health.body.as_str()), (200, "OK"));
    assert_eq!(runner.get("/.well-known/spin/other").status, 404);
}

/// Spin answers the application's name and version only, pretty-printed (two-space indent).
#[test]
fn well_known_info_is_name_and_version() {
    let dir = app_dir("routes-info");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let info = runner.get("/.well-known/spin/info");
    assert_eq!(info.status, 200);
    assert_eq!(info.headers["content-type"], "application/json");
    assert_eq!(
        info.body,
        "{\n  \"name\": \"routes\",\n  \"version\": \"1.2.3\"\n}"
    );
}

/// Spin leaves out a version the manifest does not give.
#[test]
fn well_known_info_without_a_version_is_name_only() {
    let dir = app_dir("routes-info-unversioned");
    write_manifest(&dir, NO_CATCH_ALL);
    let runner = start(&dir, &[], &[]).unwrap();
    let info = runner.get("/.well-known/spin/info");
    assert_eq!(info.status, 200);
    assert_eq!(info.body, "{\n  \"name\": \"routes\"\n}");
}
