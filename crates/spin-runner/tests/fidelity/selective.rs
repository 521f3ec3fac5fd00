use crate::common::{app_dir, start, write_manifest};

const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "selective"
[[trigger.http]]
route = "/front/..."
component = "front"
[[trigger.http]]
route = "/other/..."
component = "other"
[[trigger.http]]
route = "/wild/..."
component = "wild"
[[trigger.http]]
route = { private = true }
component = "back"
[component.front]
source = "PROBE"
allowed_outbound_hosts = ["http://back.spin.internal"]
[component.other]
source = "PROBE"
[component.wild]
source = "PROBE"
allowed_outbound_hosts = ["http://*.spin.internal"]
[component.back]
source = "PROBE"
"#;

#[test]
fn only_the_selected_components_are_served() {
    let dir = app_dir("selective-kept");
    write_manifest(&dir, APP);
    let runner = start(
        &dir,
        &["--component-id", "front", "--component-id", "back"],
        &[],
    )
    .unwrap();
    assert_eq!(runner.get("/front/headers").status, 200);
    assert_eq!(runner.get("/other/headers").status, 404);
    let chained = runner
        .get("/front/outbound?url=http://back.spin.internal/headers")
        .json();
    assert_eq!(chained["status"], 200, "{chained}");
}

#[test]
fn selecting_a_component_without_its_chaining_target_fails_at_start() {
    let dir = app_dir("selective-missing-target");
    write_manifest(&dir, APP);
    let err = start(&dir, &["--component-id", "front"], &[])
        .err()
        .expect("start must fail");
    assert!(
        err.contains("cannot use service chaining to unselected component"),
        "{err}"
    );
}

#[test]
fn selecting_a_wildcard_chainer_fails_at_start() {
    let dir = app_dir("selective-wildcard");
    write_manifest(&dir, APP);
    let err = start(
        &dir,
        &["--component-id", "wild", "--component-id", "back"],
        &[],
    )
    .err()
    .expect("start must fail");
    assert!(err.contains("wildcard service chaining"), "{err}");
}

#[test]
fn selecting_an_unknown_component_fails_at_start() {
    let dir = app_dir("selective-unknown");
    write_manifest(&dir, APP);
    let err = start(&dir, &["--component-id", "nope"], &[])
        .err()
        .expect("start must fail");
    assert!(err.contains("\"nope\" not found"), "{err}");
}
