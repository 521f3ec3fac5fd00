//! The issuer and a fake Microsoft Graph over HTTP on 127.0.0.1:0 (a thread per connection,
//! `Connection: close`), with switches to take the key endpoint down and rotate keys.
//!
//! - `GET /<tenant>/discovery/v2.0/keys`: the current key set (503 while down)
//! - `POST /<tenant>/oauth2/v2.0/token`: client-credentials grant for [`GRAPH_CLIENT_ID`] and
//!   [`GRAPH_CLIENT_SECRET`], answering with [`GRAPH_APP_TOKEN`] (503 while Graph is down)
//! - `GET /v1.0/users/<oid>/transitiveMemberOf/microsoft.graph.group?...`: that user's groups,
//!   given the app token (503 while Graph is down)

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::entra::Jwks;

pub const GRAPH_CLIENT_ID: &str = "gateway-client-id";
pub const GRAPH_CLIENT_SECRET: &str = "gateway-client-secret";
pub const GRAPH_APP_TOKEN: &str = "fake-graph-app-token";

#[derive(Default)]
struct State {
    jwks: Mutex<Jwks>,
    keys_down: AtomicBool,
    graph_down: AtomicBool,
    key_fetches: AtomicUsize,
    groups: Mutex<HashMap<String, Vec<(String, String)>>>,
}

/// A running fake identity provider; the thread serving it lives as long as the process.
#[derive(Clone)]
pub struct IdentityProvider {
    addr: SocketAddr,
    state: Arc<State>,
}

impl IdentityProvider {
    pub fn start(jwks: Jwks) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            jwks: Mutex::new(jwks),
            ..State::default()
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Self { addr, state }
    }

    /// `http://127.0.0.1:<port>`: the authority and the Graph origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_jwks(&self, jwks: Jwks) {
        *self.state.jwks.lock().unwrap() = jwks;
    }

    pub fn set_keys_down(&self, down: bool) {
        self.state.keys_down.store(down, Ordering::SeqCst);
    }

    /// Takes the token endpoint and Microsoft Graph down (503) or back up.
    pub fn set_graph_down(&self, down: bool) {
        self.state.graph_down.store(down, Ordering::SeqCst);
    }

    /// How many times the key set was requested.
    pub fn key_fetches(&self) -> usize {
        self.state.key_fetches.load(Ordering::SeqCst)
    }

    /// The groups Graph reports for `object_id`, as (object id, display name).
    pub fn set_groups(&self, object_id: &str, groups: &[(&str, &str)]) {
        let groups = groups
            .iter()
            .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
            .collect();
        self.state
            .groups
            .lock()
            .unwrap()
            .insert(object_id.to_owned(), groups);
    }
}

struct HttpRequest {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
}

fn read_request(stream: &TcpStream) -> Option<HttpRequest> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let (mut length, mut chunked, mut authorization) = (0usize, false, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let body = if chunked {
        read_chunked(&mut reader)?
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    Some(HttpRequest {
        method,
        path,
        authorization,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line).ok()?;
        let size_hex = size_line.trim().split(';').next()?;
        let size = usize::from_str_radix(size_hex, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        if size == 0 {
            reader.read_line(&mut String::new()).ok()?;
            return Some(body);
        }
        reader.read_exact(&mut chunk).ok()?;
        body.extend_from_slice(&chunk[..size]);
    }
}

fn respond(mut stream: TcpStream, status: u16, body: &serde_json::Value) {
    let body = body.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn form_value<'a>(form: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    form.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_encoding::percent_decode_str(value).decode_utf8_lossy())
}

fn serve(stream: TcpStream, state: &State) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let path = request.path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", [_tenant, "discovery", "v2.0", "keys"]) => {
            state.key_fetches.fetch_add(1, Ordering::SeqCst);
            if state.keys_down.load(Ordering::SeqCst) {
                respond(stream, 503, &json!({"error": "down"}));
            } else {
                let jwks = state.jwks.lock().unwrap().clone();
                respond(stream, 200, &serde_json::to_value(jwks).unwrap());
            }
        }
        ("POST", [_, "oauth2", "v2.0", "token"]) | ("GET", ["v1.0", ..])
            if state.graph_down.load(Ordering::SeqCst) =>
        {
            respond(stream, 503, &json!({"error": "down"}));
        }
        ("POST", [_tenant, "oauth2", "v2.0", "token"]) => {
            let form = request.body.as_str();
            let valid = form_value(form, "grant_type").as_deref() == Some("client_credentials")
                && form_value(form, "client_id").as_deref() == Some(GRAPH_CLIENT_ID)
                && form_value(form, "client_secret").as_deref() == Some(GRAPH_CLIENT_SECRET);
            if valid {
                let token = json!({"token_type": "Bearer", "expires_in": 3599, "access_token": GRAPH_APP_TOKEN});
                respond(stream, 200, &token);
            } else {
                respond(stream, 401, &json!({"error": "invalid_client"}));
            }
        }
        (
            "GET",
            [
                "v1.0",
                "users",
                object_id,
                "transitiveMemberOf",
                "microsoft.graph.group",
            ],
        ) => {
            if request.authorization.as_deref() != Some(&format!("Bearer {GRAPH_APP_TOKEN}")) {
                return respond(stream, 401, &json!({"error": "InvalidAuthenticationToken"}));
            }
            let object_id = percent_encoding::percent_decode_str(object_id).decode_utf8_lossy();
            let groups = state.groups.lock().unwrap();
            let value: Vec<serde_json::Value> = groups
                .get(object_id.as_ref())
                .into_iter()
                .flatten()
                .map(|(id, name)| json!({"id": id, "displayName": name}))
                .collect();
            respond(stream, 200, &json!({"value": value}));
        }
        _ => respond(stream, 404, &json!({"error": "not found"})),
    }
}
