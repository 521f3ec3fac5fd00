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
    assert_eq!(
        seen["headers"]["spin-full-url"],
        "http://back.spin.internal/some/headers"
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
