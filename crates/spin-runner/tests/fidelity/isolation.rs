use std::time::Duration;

use crate::common::{app_dir, start, write_manifest};

const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "isolation"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "PROBE"
"#;

#[test]
fn every_request_gets_a_fresh_instance() {
    let dir = app_dir("isolation-fresh");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    for _ in 0..3 {
        assert_eq!(runner.get("/counter").json()["value"], 1);
    }
}

#[test]
fn a_trapping_component_yields_an_empty_500_and_the_runner_keeps_serving() {
    let dir = app_dir("isolation-trap");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let reply = runner.get("/trap");
    assert_eq!((reply.status, reply.body.as_str()), (500, ""));
    assert_eq!(reply.headers["content-length"], "0");
    assert_eq!(runner.get("/counter").status, 200);
}

#[test]
fn a_hanging_component_is_stopped_at_the_request_timeout() {
    let dir = app_dir("isolation-hang");
    write_manifest(&dir, APP);
    let runner = start(&dir, &["--request-timeout", "1"], &[]).unwrap();
    let base = runner.base.clone();
    let hung = std::thread::spawn(move || {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
            .get(format!("{base}/spin"))
            .send()
            .map(|r| r.status().as_u16())
    });
    assert_eq!(
        runner.get("/counter").status,
        200,
        "served while another request spins"
    );
    assert_eq!(hung.join().unwrap().unwrap(), 500);
    assert_eq!(runner.get("/counter").status, 200);
}
