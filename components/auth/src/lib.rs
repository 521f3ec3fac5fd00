//! The private auth component, reached only by service chaining (`http://auth.spin.internal`).
//!
//! - `POST /authorize` with the caller's credential headers: 200 with the [`Decision`] JSON (also
//!   cached, sealed, in key-value under `decision_cache_key`), 401 `{"error":"unauthorized"}` with the
//!   reason, 503 when the policy database, the JWKS endpoint or Microsoft Graph is unreachable.
//! - `GET /servers` with the caller's credential headers: the servers the caller may use
//!   (`{"servers":[{"id","name","tier"}]}`), for the catalog's `GET /`.
//! - `POST /audit` with an [`auth_core::AuditRecord`]: 202 once stored.
//! - `POST /definitions` with an [`auth_core::pins::Observed`] (definitions a route's pins did
//!   not know): records them (pending; approved at first sight under `warn`), logs and audits
//!   each new or changed one once, and answers with the server's [`auth_core::pins::Pins`].
//!
//! A thin adapter: every check and decision is `auth_core`; this crate does the I/O.

mod authorize;
mod graph;
mod jwks_cache;
mod policy_db;
mod reply;
mod settings;

use auth_core::pins::Observed;
use auth_core::{AuditRecord, Credentials, Decision};
use sealed_kv::now_ms;
use spin_sdk::http::{Method, Request, Response};

use crate::authorize::Failure;
use crate::settings::Settings;

// The only unsafe code: the export glue the SDK macro generates.
#[allow(unsafe_code)]
mod export {
    #[spin_sdk::http_component]
    async fn handle(request: spin_sdk::http::Request) -> spin_sdk::http::Response {
        super::handle(request).await
    }
}

async fn handle(request: Request) -> Response {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("auth: configuration error: {err}");
            return reply::failure(&Failure::Internal);
        }
    };
    let credentials = || {
        Credentials::from_headers(
            request
                .headers()
                .filter_map(|(name, value)| value.as_str().map(|value| (name, value))),
        )
    };
    match (request.method(), request.path()) {
        (Method::Post, "/authorize") => {
            match authorize::authorize(&settings, &credentials(), now_ms()).await {
                Ok(decision) => reply::decision(&decision),
                Err(failure) => reply::failure(&failure),
            }
        }
        (Method::Get, "/servers") => {
            match authorize::authorize(&settings, &credentials(), now_ms()).await {
                Ok(decision) => servers(&settings, &decision),
                Err(failure) => reply::failure(&failure),
            }
        }
        (Method::Post, "/audit") => audit(&settings, request.body()),
        (Method::Post, "/definitions") => definitions(&settings, request.body()),
        _ => reply::not_found(),
    }
}

fn audit(settings: &Settings, body: &[u8]) -> Response {
    let record = match serde_json::from_slice::<AuditRecord>(body) {
        Ok(record) if record.is_plausible() => record,
        _ => return reply::failure(&Failure::BadRequest("not an audit record".into())),
    };
    match policy_db::insert_audit(&settings.database_url, &record) {
        Ok(()) => reply::accepted(),
        Err(failure) => reply::failure(&failure),
    }
}

fn definitions(settings: &Settings, body: &[u8]) -> Response {
    let observed = match serde_json::from_slice::<Observed>(body) {
        Ok(observed) if !observed.server.is_empty() => observed,
        _ => return reply::failure(&Failure::BadRequest("not a definitions report".into())),
    };
    match policy_db::record_definitions(&settings.database_url, &observed) {
        Ok(pins) => reply::pins(&pins),
        Err(failure) => reply::failure(&failure),
    }
}

fn servers(settings: &Settings, decision: &Decision) -> Response {
    match policy_db::catalog(&settings.database_url) {
        Ok(rows) => reply::servers(
            rows.into_iter()
                .filter(|(id, _, _)| decision.allows(id))
                .collect(),
        ),
        Err(failure) => reply::failure(&failure),
    }
}
