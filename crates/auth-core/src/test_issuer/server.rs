//! The issuer and a fake Microsoft Graph over HTTP on 127.0.0.1:0 (a thread per connection,
//! `Connection: close`), with switches to take the key endpoint down and rotate keys.
//!
//! - `GET /<tenant>/discovery/v2.0/keys`: the current key set (503 while down)
//! - `POST /<tenant>/oauth2/v2.0/token`: client-credentials grant for [`GRAPH_CLIENT_ID`] and
//!   [`GRAPH_CLIENT_SECRET`], answering with [`GRAPH_APP_TOKEN`] (503 while Graph is down)
//! - `GET /v1.0/users/<oid>/transitiveMemberOf/microsoft.graph.group?...`: that user's groups,
//!   given the app token (503 while Graph is down)
//!
//! Started with [`IdentityProvider::start_with_sign_in`], it is also the OpenID Connect provider
//! of one client (Open WebUI's "Sign in with Microsoft"), with Entra's paths:
//!
//! - `GET /<tenant>/v2.0/.well-known/openid-configuration`: the discovery document
//! - `GET /<tenant>/oauth2/v2.0/authorize?...&login_hint=<login>`: signs in the person added as
//!   `<login>` at once (no page) and redirects to `redirect_uri` with a code
//! - `POST /<tenant>/oauth2/v2.0/token` with `grant_type=authorization_code`: for that code, an
//!   access token for the sign-in's audience (Entra-shaped, with the person's `groups`) and an
//!   ID token for the client with `email` and `name`

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::{TestIssuer, access_token_claims};
use crate::entra::Jwks;

pub const GRAPH_CLIENT_ID: &str = "gateway-client-id";
pub const GRAPH_CLIENT_SECRET: &str = "gateway-client-secret";
pub const GRAPH_APP_TOKEN: &str = "fake-graph-app-token";

/// The one OpenID Connect client that may sign people in, and the tokens it gets.
pub struct SignIn {
    /// Signs the access and ID tokens.
    pub issuer: Arc<TestIssuer>,
    pub client_id: String,
    pub client_secret: String,
    /// `aud` of the access tokens: the API the client's scope names (the gateway's).
    pub audience: String,
}

/// Someone who can sign in (by `login_hint`), as the tokens describe them.
#[derive(Clone)]
pub struct Person {
    pub object_id: String,
    pub email: String,
    pub name: String,
    /// Group object ids, as Entra's `groups` claim.
    pub groups: Vec<String>,
}

/// What an authorization code stands for until the client redeems it.
struct Grant {
    tenant: String,
    person: Person,
    nonce: Option<String>,
    scope: String,
}

#[derive(Default)]
struct State {
    origin: String,
    jwks: Mutex<Jwks>,
    keys_down: AtomicBool,
    graph_down: AtomicBool,
    key_fetches: AtomicUsize,
    groups: Mutex<HashMap<String, Vec<(String, String)>>>,
    sign_in: Option<SignIn>,
    people: Mutex<HashMap<String, Person>>,
    codes: Mutex<HashMap<String, Grant>>,
}

/// A running fake identity provider; the thread serving it lives as long as the process.
#[derive(Clone)]
pub struct IdentityProvider {
    addr: SocketAddr,
    state: Arc<State>,
}

impl IdentityProvider {
    pub fn start(jwks: Jwks) -> Self {
        Self::listen(jwks, None)
    }

    /// Also signs people in for `sign_in`'s client, with tokens from its issuer.
    pub fn start_with_sign_in(sign_in: SignIn) -> Self {
        Self::listen(sign_in.issuer.jwks(), Some(sign_in))
    }

    fn listen(jwks: Jwks, sign_in: Option<SignIn>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            origin: format!("http://{addr}"),
            jwks: Mutex::new(jwks),
            sign_in,
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

    /// Lets `person` sign in with `login_hint=<login>`.
    pub fn add_person(&self, login: &str, person: Person) {
        self.state
            .people
            .lock()
            .unwrap()
            .insert(login.to_owned(), person);
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

fn respond(mut stream: TcpStream, status: u16, body: &Value) {
    let body = body.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn redirect(mut stream: TcpStream, location: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
}

/// One `application/x-www-form-urlencoded` value (a form body or a query string).
fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| {
            let value = value.replace('+', " ");
            percent_encoding::percent_decode_str(&value)
                .decode_utf8_lossy()
                .into_owned()
        })
}

fn serve(stream: TcpStream, state: &State) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
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
        ("GET", [tenant, "v2.0", ".well-known", "openid-configuration"])
            if state.sign_in.is_some() =>
        {
            respond(stream, 200, &discovery(&state.origin, tenant));
        }
        ("GET", [tenant, "oauth2", "v2.0", "authorize"]) if state.sign_in.is_some() => {
            match authorize(state, tenant, query) {
                Ok(location) => redirect(stream, &location),
                Err(error) => respond(stream, 400, &json!({"error": error})),
            }
        }
        ("POST", [_tenant, "oauth2", "v2.0", "token"])
            if form_value(&request.body, "grant_type").as_deref() == Some("authorization_code") =>
        {
            match redeem(state, &request) {
                Ok(tokens) => respond(stream, 200, &tokens),
                Err(error) => respond(stream, 400, &json!({"error": error})),
            }
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

fn discovery(origin: &str, tenant: &str) -> Value {
    json!({
        "issuer": format!("{origin}/{tenant}/v2.0"),
        "authorization_endpoint": format!("{origin}/{tenant}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{origin}/{tenant}/oauth2/v2.0/token"),
        "jwks_uri": format!("{origin}/{tenant}/discovery/v2.0/keys"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
    })
}

/// The redirect that hands the client a code for the person named by `login_hint`.
fn authorize(state: &State, tenant: &str, query: &str) -> Result<String, &'static str> {
    let sign_in = state.sign_in.as_ref().ok_or("no sign-in")?;
    if form_value(query, "client_id").as_deref() != Some(sign_in.client_id.as_str()) {
        return Err("unauthorized_client");
    }
    let redirect_uri = form_value(query, "redirect_uri").ok_or("invalid_request")?;
    let login = form_value(query, "login_hint").ok_or("login_required")?;
    let person = state
        .people
        .lock()
        .unwrap()
        .get(&login)
        .cloned()
        .ok_or("access_denied")?;
    let code = hex::encode(rand::random::<[u8; 16]>());
    let grant = Grant {
        tenant: tenant.to_owned(),
        person,
        nonce: form_value(query, "nonce"),
        scope: form_value(query, "scope").unwrap_or_default(),
    };
    state.codes.lock().unwrap().insert(code.clone(), grant);
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut location = format!("{redirect_uri}{separator}code={code}");
    if let Some(client_state) = form_value(query, "state") {
        location.push_str("&state=");
        location.extend(utf8_percent_encode(&client_state, NON_ALPHANUMERIC));
    }
    Ok(location)
}

/// The client's credentials from the form (`client_secret_post`) or Basic auth.
fn client_credentials(request: &HttpRequest) -> Option<(String, String)> {
    let form = request.body.as_str();
    if let (Some(id), Some(secret)) = (
        form_value(form, "client_id"),
        form_value(form, "client_secret"),
    ) {
        return Some((id, secret));
    }
    let basic = request.authorization.as_deref()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(basic).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |value: &str| {
        percent_encoding::percent_decode_str(value)
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((decode(id), decode(secret)))
}

/// The authorization code grant: the access and ID tokens of the person behind the code.
fn redeem(state: &State, request: &HttpRequest) -> Result<Value, &'static str> {
    let sign_in = state.sign_in.as_ref().ok_or("unsupported_grant_type")?;
    let (client_id, client_secret) = client_credentials(request).ok_or("invalid_client")?;
    if client_id != sign_in.client_id || client_secret != sign_in.client_secret {
        return Err("invalid_client");
    }
    let code = form_value(&request.body, "code").ok_or("invalid_request")?;
    let grant = state
        .codes
        .lock()
        .unwrap()
        .remove(&code)
        .ok_or("invalid_grant")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let person = &grant.person;
    let groups: Vec<&str> = person.groups.iter().map(String::as_str).collect();
    let access = access_token_claims(
        &state.origin,
        &grant.tenant,
        &sign_in.audience,
        &person.object_id,
        &person.email,
        &groups,
        now,
    );
    let id = json!({
        "iss": format!("{}/{}/v2.0", state.origin, grant.tenant),
        "aud": sign_in.client_id,
        "tid": grant.tenant,
        "oid": person.object_id,
        "sub": format!("sub-{}", person.object_id),
        "email": person.email,
        "name": person.name,
        "preferred_username": person.email,
        "groups": groups,
        "nonce": grant.nonce,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "ver": "2.0",
    });
    Ok(json!({
        "token_type": "Bearer",
        "scope": grant.scope,
        "expires_in": 3600,
        "access_token": sign_in.issuer.mint(&access),
        "id_token": sign_in.issuer.mint(&id),
    }))
}
