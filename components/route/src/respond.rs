//! The only place responses are written. The body is written before the response is handed to
//! the host, so headers and body leave in one write (no delayed-ACK stall without TCP_NODELAY).

use gateway_core::GatewayError;

/// The most `blocking-write-and-flush` accepts at once.
const WRITE_CHUNK: usize = 4096;
use serde_json::Value;
use spin_sdk::http::{Fields, OutgoingBody, OutgoingResponse, ResponseOutparam};

pub fn bytes(
    outparam: ResponseOutparam,
    status: u16,
    content_type: &str,
    extra: &[(String, String)],
    body: Vec<u8>,
) {
    let mut headers = vec![
        ("content-type".to_string(), content_type.as_bytes().to_vec()),
        (
            "content-length".to_string(),
            body.len().to_string().into_bytes(),
        ),
        ("cache-control".to_string(), b"no-store".to_vec()),
    ];
    headers.extend(
        extra
            .iter()
            .map(|(k, v)| (k.clone(), v.as_bytes().to_vec())),
    );
    let response =
        OutgoingResponse::new(Fields::from_list(&headers).expect("valid response headers"));
    if response.set_status_code(status).is_err() {
        eprintln!("invalid status {status}");
    }
    let outgoing = response.body().expect("response body");
    let stream = outgoing.write().expect("response body stream");
    // Write the whole body before handing the response over when the host can take it at once.
    let fits = stream
        .check_write()
        .is_ok_and(|room| room >= body.len() as u64);
    if fits && (body.is_empty() || stream.write(&body).is_ok()) {
        drop(stream);
        finish(outgoing);
        outparam.set(response);
        return;
    }
    outparam.set(response);
    for chunk in body.chunks(WRITE_CHUNK) {
        if let Err(err) = stream.blocking_write_and_flush(chunk) {
            eprintln!("response body not written: {err:?}");
            break;
        }
    }
    drop(stream);
    finish(outgoing);
}

fn finish(body: OutgoingBody) {
    if OutgoingBody::finish(body, None).is_err() {
        eprintln!("response body not finished");
    }
}

pub fn json(outparam: ResponseOutparam, status: u16, body: &Value, extra: &[(String, String)]) {
    bytes(
        outparam,
        status,
        "application/json",
        extra,
        body.to_string().into_bytes(),
    )
}

pub fn error(outparam: ResponseOutparam, error: &GatewayError, www_authenticate: Option<String>) {
    if error.status() >= 500 {
        eprintln!("{error}");
    }
    let challenge = www_authenticate.or_else(|| error.www_authenticate().map(str::to_string));
    let extra: Vec<(String, String)> = challenge
        .into_iter()
        .map(|c| ("www-authenticate".to_string(), c))
        .collect();
    json(outparam, error.status(), &error.body(), &extra)
}

pub fn refusal(outparam: ResponseOutparam, refusal: crate::authz::Refusal) {
    let extra: Vec<(String, String)> = refusal
        .www_authenticate
        .into_iter()
        .map(|c| ("www-authenticate".to_string(), c))
        .collect();
    json(outparam, refusal.status, &refusal.body, &extra)
}
