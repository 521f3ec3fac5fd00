use crate::common::{app_dir, start, write_manifest};

const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "chaining"
[[trigger.http]]
route = "/front/..."
component = "front"
[[trigger.http]]
route = "/lonely/..."
component = "lonely"
[[trigger.http]]
route = { private = true }
component = "back"
[component.front]
source = "PROBE"
allowed_outbound_hosts = ["http://back.spin.internal"]
[component.lonely]
source = "PROBE"
[component.back]
source = "PROBE"
"#;

#[test]
fn chained_request_reaches_a_private_component_in_process() {
    let dir = app_dir("chaining-allowed");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner
        .get("/front/outbound?url=http://back.spin.internal/some/headers")
        .json();
    assert_eq!(reply["status"], 200, "{reply}");
    let seen: serde_json::Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["headers"]["spin-client-addr"], "0.0.0.0:0");
    assert_eq!(seen["headers"]["spin-matched-route"], "/...");
    assert_eq!(seen["headers"]["spin-path-info"], "/some/headers");
}

/// Spin builds `spin-full-url` from the request's `Host` header, `localhost` when there is none,
/// and outbound requests (a chained one included) leave without `Host`.
#[test]
fn chained_request_full_url_names_localhost() {
    let dir = app_dir("chaining-full-url");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner
        .get("/front/outbound?url=http%3A%2F%2Fback.spin.internal%2Fchain%2Fheaders%3Fz%3D3")
        .json();
    assert_eq!(reply["status"], 200, "{reply}");
    let seen: serde_json::Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        seen["headers"]["spin-full-url"],
        "http://localhost/chain/headers?z=3"
    );
    assert_eq!(
        seen["uri"], "http://back.spin.internal/chain/headers?z=3",
        "the component still sees the URL it was called with"
    );
}

#[test]
fn direct_request_full_url_names_the_host_header() {
    let dir = app_dir("chaining-direct-full-url");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner.get("/front/chain/headers?z=3").json();
    assert_eq!(
        reply["headers"]["spin-full-url"],
        format!("{}/front/chain/headers?z=3", runner.base)
    );
    let named = runner
        .get_with_host("/front/chain/headers?z=3", "gateway.example:8443")
        .json();
    assert_eq!(
        named["headers"]["spin-full-url"],
        "http://gateway.example:8443/front/chain/headers?z=3"
    );
}

#[test]
fn chaining_without_permission_is_denied() {
    let dir = app_dir("chaining-denied");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner
        .get("/lonely/outbound?url=http://back.spin.internal/headers")
        .json();
    assert_eq!(
        reply["error"], "Http(ErrorCode::HttpRequestDenied)",
        "{reply}"
    );
}
