use std::io::{Read, Write};
use std::net::TcpStream;

use crate::common::{app_dir, start, write_manifest};

const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "streaming"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "PROBE"
"#;

#[test]
fn response_events_reach_the_client_one_by_one() {
    let dir = app_dir("streaming-response");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let mut stream = TcpStream::connect(runner.addr()).unwrap();
    write!(
        stream,
        "GET /stream?n=3&ms=400 HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 1024];
    while !seen.contains("data: 0") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "stream closed before the first event: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        !seen.contains("data: 2"),
        "the first event must arrive before the last is written: {seen}"
    );
    stream.read_to_string(&mut seen).unwrap();
    assert!(seen.contains("data: 2"), "{seen}");
}

#[test]
fn large_request_bodies_stream_through() {
    let dir = app_dir("streaming-request");
    write_manifest(&dir, APP);
    let runner = start(&dir, &[], &[]).unwrap();
    let body: Vec<u8> = (0..4 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let reply = runner.post("/echo", body.clone());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), body.len());
    assert_eq!(reply.body.as_bytes(), &body[..]);
}
