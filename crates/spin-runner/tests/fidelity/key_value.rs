use crate::common::{app_dir, start, write_manifest};

const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "kv"
[[trigger.http]]
route = "/with/..."
component = "with-store"
[[trigger.http]]
route = "/without/..."
component = "without-store"
[component.with-store]
source = "PROBE"
key_value_stores = ["default"]
[component.without-store]
source = "PROBE"
"#;

#[test]
fn default_store_is_sqlite_under_dot_spin_and_survives_restarts() {
    let dir = app_dir("kv-sqlite");
    write_manifest(&dir, APP);
    {
        let runner = start(&dir, &[], &[]).unwrap();
        assert_eq!(
            runner
                .get("/with/kv?store=default&op=set&key=k&value=v1")
                .json()["value"],
            serde_json::Value::Null
        );
        assert_eq!(
            runner.get("/with/kv?store=default&op=get&key=k").json()["value"],
            "v1"
        );
    }
    assert!(dir.join(".spin").join("sqlite_key_value.db").is_file());
    let runner = start(&dir, &[], &[]).unwrap();
    assert_eq!(
        runner.get("/with/kv?store=default&op=get&key=k").json()["value"],
        "v1"
    );
    runner.get("/with/kv?store=default&op=delete&key=k");
    assert_eq!(
        runner.get("/with/kv?store=default&op=get&key=k").json()["value"],
        serde_json::Value::Null
    );
}

#[test]
fn stores_not_listed_by_the_component_are_denied() {
    let dir = app_dir("kv-denied");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    assert_eq!(
        runner.get("/without/kv?store=default&op=get&key=k").json()["error"],
        "Error::AccessDenied"
    );
    assert_eq!(
        runner.get("/with/kv?store=other&op=get&key=k").json()["error"],
        "Error::AccessDenied"
    );
}

#[test]
fn a_store_missing_from_the_runtime_config_fails_at_start() {
    let dir = app_dir("kv-undefined");
    write_manifest(
        &dir,
        &APP.replace(
            "key_value_stores = [\"default\"]",
            "key_value_stores = [\"cache\"]",
        ),
    );
    let err = start(&dir, &[], &[]).err().expect("start must fail");
    assert!(err.contains("\"cache\""), "{err}");
}

#[test]
fn redis_runtime_config_shares_state_between_two_runners() {
    let dir = app_dir("kv-redis");
    write_manifest(&dir, APP);
    let config = dir.join("runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            test_support::redis_url()
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let key = format!("spin-runner-test-{}", std::process::id());
    let first = start(&dir, &["--runtime-config-file", &config], &[]).unwrap();
    let second = start(&dir, &["--runtime-config-file", &config], &[]).unwrap();
    first.get(&format!(
        "/with/kv?store=default&op=set&key={key}&value=shared"
    ));
    assert_eq!(
        second
            .get(&format!("/with/kv?store=default&op=get&key={key}"))
            .json()["value"],
        "shared"
    );
    second.get(&format!("/with/kv?store=default&op=delete&key={key}"));
    assert_eq!(
        first
            .get(&format!("/with/kv?store=default&op=get&key={key}"))
            .json()["value"],
        serde_json::Value::Null
    );
    assert!(
        !dir.join(".spin").join("sqlite_key_value.db").exists(),
        "redis replaces the SQLite store"
    );
}
