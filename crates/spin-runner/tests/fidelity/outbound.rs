use crate::common::{app_dir, start, static_server, write_manifest};

fn app(allowed: &str) -> String {
    format!(
        r#"
spin_manifest_version = 2
[application]
name = "outbound"
[variables]
upstream = {{ default = "{allowed}" }}
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "PROBE"
allowed_outbound_hosts = ["{{{{ upstream }}}}"]
"#
    )
}

#[test]
fn allowed_host_is_reached() {
    let upstream = static_server("upstream says hi");
    let dir = app_dir("outbound-allowed");
    write_manifest(&dir, &app(&format!("http://{upstream}")));
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner
        .get(&format!("/outbound?url=http://{upstream}/x"))
        .json();
    assert_eq!(reply["status"], 200, "{reply}");
    assert_eq!(reply["body"], "upstream says hi");
}

#[test]
fn denied_host_gets_http_request_denied_and_is_logged() {
    let upstream = static_server("never");
    let other = static_server("never either");
    let dir = app_dir("outbound-denied");
    write_manifest(&dir, &app(&format!("http://{upstream}")));
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner
        .get(&format!("/outbound?url=http://{other}/x"))
        .json();
    assert_eq!(
        reply["error"], "Http(ErrorCode::HttpRequestDenied)",
        "{reply}"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        runner
            .log()
            .contains("Outbound network destination not allowed"),
        "{}",
        runner.log()
    );
}

#[test]
fn allowed_host_template_with_a_path_fails_at_start() {
    let dir = app_dir("outbound-path");
    write_manifest(&dir, &app("http://127.0.0.1:9/mcp"));
    let err = start(&dir, &[], &[]).err().expect("start must fail");
    assert!(err.contains("has a path"), "{err}");
}
