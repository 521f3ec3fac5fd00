//! End-to-end tests of the auth component: `auth.wasm` under the runner, real PostgreSQL, a local
//! issuer and fake Microsoft Graph. Needs `MCPGW_WASM_DIR` (built wasm), `DATABASE_URL` and a
//! built `spin-runner`.

mod api_keys;
mod audit;
mod common;
mod decision_cache;
mod forwarder;
mod identities;
mod key_rotation;
mod kv_tampering;
mod outages;
mod overage;
mod seed_policy;
mod tokens;
