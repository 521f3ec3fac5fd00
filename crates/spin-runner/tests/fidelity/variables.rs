use crate::common::{app_dir, start, write_manifest};

const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "vars"
[variables]
greeting = { default = "hello" }
token = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "PROBE"
[component.probe.variables]
message = "{{ greeting }}, {{ token }}!"
"#;

#[test]
fn defaults_templates_and_environment_provider() {
    let dir = app_dir("vars-env");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[("SPIN_VARIABLE_TOKEN", "t0ken")]).unwrap();
    assert_eq!(
        runner.get("/var?name=message").json()["value"],
        "hello, t0ken!"
    );

    let dir = app_dir("vars-override");
    write_manifest(&dir, APP);
    let runner = start(
        &dir,
        &[],
        &[
            ("SPIN_VARIABLE_TOKEN", ""),
            ("SPIN_VARIABLE_GREETING", "hi"),
        ],
    )
    .unwrap();
    assert_eq!(
        runner.get("/var?name=message").json()["value"],
        "hi, !",
        "an empty value counts as set"
    );
}

#[test]
fn missing_required_variable_fails_at_start() {
    let dir = app_dir("vars-missing");
    write_manifest(&dir, APP);
    let err = start(&dir, &[], &[]).err().expect("start must fail");
    assert!(
        err.contains("no provider resolved required variable(s): [Key(\"token\")]"),
        "{err}"
    );
}

#[test]
fn dotenv_file_beside_the_manifest_is_a_provider() {
    let dir = app_dir("vars-dotenv");
    write_manifest(&dir, APP);
    std::fs::write(dir.join(".env"), "SPIN_VARIABLE_TOKEN=from-dotenv\n").unwrap();
    let runner = start(&dir, &[], &[]).unwrap();
    assert_eq!(
        runner.get("/var?name=message").json()["value"],
        "hello, from-dotenv!"
    );
}

#[test]
fn undeclared_component_variable_is_undefined() {
    let dir = app_dir("vars-undeclared");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[("SPIN_VARIABLE_TOKEN", "x")]).unwrap();
    let error = runner.get("/var?name=greeting").json()["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("Undefined") && error.contains("greeting"),
        "{error}"
    );
    let invalid = runner.get("/var?name=Bad-Name").json()["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(invalid.contains("InvalidName"), "{invalid}");
}
