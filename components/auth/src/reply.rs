//! The only place responses are built: JSON bodies that never contain credentials.

use auth_core::Decision;
use auth_core::audit::AUDIT_DETAIL;
use auth_core::pins::Pins;
use serde_json::json;
use spin_sdk::http::Response;

use crate::authorize::Failure;

fn json(status: u16, body: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(body.to_string())
        .build()
}

pub fn decision(decision: &Decision) -> Response {
    json(
        200,
        &serde_json::to_value(decision).expect("decision serializes"),
    )
}

/// The catalog entries (id, name, tier) the caller may use.
pub fn servers(servers: Vec<(String, String, String)>) -> Response {
    let servers: Vec<_> = servers
        .into_iter()
        .map(|(id, name, tier)| json!({"id": id, "name": name, "tier": tier}))
        .collect();
    json(200, &json!({ "servers": servers }))
}

pub fn pins(pins: &Pins) -> Response {
    json(200, &serde_json::to_value(pins).expect("pins serialize"))
}

pub fn accepted() -> Response {
    json(202, &json!({"status": "accepted"}))
}

pub fn not_found() -> Response {
    json(
        404,
        &json!({"error": "not_found", "message": "no such endpoint"}),
    )
}

pub fn failure(failure: &Failure) -> Response {
    let detail = failure.log_detail();
    if let Some(detail) = &detail {
        eprintln!("auth: {detail}");
    }
    let (status, error) = match failure {
        Failure::Unauthorized(_) | Failure::InvalidApiKey(_) => (401, "unauthorized"),
        Failure::BadRequest(_) => (400, "bad_request"),
        Failure::Unavailable(_) => (503, "unavailable"),
        Failure::Internal => (500, "internal"),
    };
    let mut body = json!({"error": error, "message": failure.to_string()});
    if let Some(detail) = detail {
        body[AUDIT_DETAIL] = json!(detail);
    }
    let mut response = json(status, &body);
    if status == 401 {
        response.set_header("www-authenticate", "Bearer");
    }
    response
}
