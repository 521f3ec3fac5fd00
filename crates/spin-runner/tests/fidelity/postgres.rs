use crate::common::{app_dir, start, write_manifest};

fn app(allowed: &str) -> String {
    format!(
        r#"
spin_manifest_version = 2
[application]
name = "pg"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "PROBE"
allowed_outbound_hosts = ["{allowed}"]
"#
    )
}

fn host_port(url: &str) -> (String, u16) {
    let config: tokio_postgres::Config = url.parse().expect("DATABASE_URL");
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("DATABASE_URL must use TCP, not {other:?}"),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[test]
fn query_through_an_allowed_host() {
    let url = test_support::database_url();
    let (host, port) = host_port(&url);
    let dir = app_dir("pg-allowed");
    write_manifest(&dir, &app(&format!("postgres://{host}:{port}")));
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner
        .get(&format!(
            "/pg?url={}&sql={}&arg=probe",
            encode(&url),
            encode("SELECT 'spin'::text AS name, $1::text AS arg")
        ))
        .json();
    assert_eq!(
        reply["columns"],
        serde_json::json!(["name", "arg"]),
        "{reply}"
    );
    assert_eq!(reply["rows"], serde_json::json!([["spin", "probe"]]));

    let failed = runner
        .get(&format!(
            "/pg?url={}&sql={}",
            encode(&url),
            encode("SELECT nope FROM nowhere")
        ))
        .json();
    assert!(
        failed["error"].as_str().unwrap().contains("QueryFailed"),
        "{failed}"
    );
}

#[test]
fn connection_to_a_host_not_allowed_is_refused() {
    let url = test_support::database_url();
    let (host, port) = host_port(&url);
    let dir = app_dir("pg-denied");
    write_manifest(
        &dir,
        &app(&format!("postgres://{host}:{}", port.wrapping_add(1))),
    );
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner
        .get(&format!(
            "/pg?url={}&sql={}",
            encode(&url),
            encode("SELECT 1")
        ))
        .json();
    let error = reply["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("ConnectionFailed") && error.contains("not permitted"),
        "{reply}"
    );
}
