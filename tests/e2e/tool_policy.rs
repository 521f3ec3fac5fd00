//! Per-tool policy through every surface, for users signed in with Entra-shaped tokens: a group
//! granted some tools of `demo` sees only those in `GET /demo`, the authenticated
//! `openapi.json` and MCP `tools/list` (both eras); a tool outside the grant, or hidden by a
//! deny, answers exactly like an unknown tool on REST and MCP; a whole-server grant from
//! another group gives every tool. The anonymous public document still lists every tool: the
//! call is where the rule holds.

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::test_issuer::{IdentityProvider, TestIssuer, access_token_claims};
use auth_core::{GrantedTools, ToolPattern};
use demo_mcp_server::Era;
use gateway_admin::User;
use serde_json::{Value, json};

use crate::common::db::Database;
use crate::common::gateway::{Gateway, upstream};
use crate::common::mcp::{Answer, Mcp};
use crate::common::peers::Demo;
use crate::common::rt;

const TENANT: &str = "11111111-1111-1111-1111-111111111111";
const AUDIENCE: &str = "api://mcp-gateway";
const READERS: &str = "0000000a-0000-4000-8000-000000000001";
const DEMO_ALL: &str = "0000000a-0000-4000-8000-000000000002";
/// In Readers, denied `slow` (which Readers' `s*` grants).
const ALICE: &str = "00000000-0000-0000-0000-0000000000a1";
/// In Readers and Demo-All.
const BOB: &str = "00000000-0000-0000-0000-0000000000b2";
/// What Readers sees of demo: `echo`, `get_*`, `s*`, less Alice's deny.
const ALICE_TOOLS: [&str; 3] = ["echo", "get_time", "session_info"];

fn issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| TestIssuer::generate("tool-policy-key"))
}

struct Setup {
    gateway: Gateway,
    idp: IdentityProvider,
    db: Database,
    _demo: Demo,
}

impl Setup {
    fn start() -> Self {
        let db = Database::create("tool-policy");
        let demo = Demo::start(Era::Both, false);
        let idp = IdentityProvider::start(issuer().jwks());
        let admin = &db.admin;
        rt().block_on(async {
            let read = ["echo", "get_*", "s*"]
                .iter()
                .map(|pattern| ToolPattern::parse(pattern).unwrap())
                .collect();
            for (group, id, tools) in [
                ("Readers", READERS, GrantedTools::Patterns(read)),
                ("Demo-All", DEMO_ALL, GrantedTools::All),
            ] {
                admin.grant_group(group, "demo", &tools).await.unwrap();
                admin.link_group(group, TENANT, id).await.unwrap();
            }
            let alice = User::new(TENANT, ALICE, Some("alice@example.com")).unwrap();
            admin.deny_user_tool(&alice, "demo", "slow").await.unwrap();
        });
        let mut env = upstream("demo", &demo.url());
        for (name, value) in [
            ("ENTRA_TENANT_ID", TENANT.to_owned()),
            ("ENTRA_AUDIENCE", AUDIENCE.to_owned()),
            ("ENTRA_AUTHORITY", idp.origin()),
            ("OPENAPI_PUBLIC", "true".to_owned()),
        ] {
            env.push((format!("SPIN_VARIABLE_{name}"), value));
        }
        let gateway = Gateway::start(&db, &env);
        Self {
            gateway,
            idp,
            db,
            _demo: demo,
        }
    }

    fn token(&self, object_id: &str, groups: &[&str]) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        issuer().mint(&access_token_claims(
            &self.idp.origin(),
            TENANT,
            AUDIENCE,
            object_id,
            &format!("{object_id}@example.com"),
            groups,
            now,
        ))
    }

    /// `method` to `/demo/mcp`: 2026-07-28 with `_meta` and routing headers, or in a
    /// handshake-era `session`.
    fn mcp(&self, token: &str, session: Option<&str>, method: &str, params: Value) -> Answer {
        let client = Mcp::new(&self.gateway, "/demo/mcp", token.to_owned());
        match session {
            Some(session) => client.in_session(session, method, params),
            None => client.modern(method, params, &[]),
        }
    }

    /// A handshake-era session of the caller.
    fn session(&self, token: &str) -> String {
        Mcp::new(&self.gateway, "/demo/mcp", token.to_owned()).initialize()
    }

    /// The tool names of `tools/list` in both eras (they must agree).
    fn listed(&self, token: &str) -> BTreeSet<String> {
        let modern = self.mcp(token, None, "tools/list", json!({}));
        assert_eq!(modern.status, 200, "{}", modern.body);
        assert_eq!(
            modern.body["result"]["cacheScope"], "private",
            "a list filtered per caller is private"
        );
        let session = self.session(token);
        let handshake = self.mcp(token, Some(&session), "tools/list", json!({}));
        assert_eq!(handshake.status, 200, "{}", handshake.body);
        let listed = names(&modern.body["result"]["tools"], "name");
        assert_eq!(listed, names(&handshake.body["result"]["tools"], "name"));
        listed
    }
}

fn names(list: &Value, field: &str) -> BTreeSet<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry[field].as_str().expect("a name").to_owned())
        .collect()
}

fn paths(document: &Value) -> BTreeSet<String> {
    document["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(|path| path.trim_start_matches('/').to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn a_tool_grant_shows_only_its_tools_on_every_surface_and_hides_the_rest_as_unknown() {
    let setup = Setup::start();
    let gw = &setup.gateway;
    let alice = setup.token(ALICE, &[READERS]);
    let expected = set(&ALICE_TOOLS);

    assert_eq!(setup.listed(&alice), expected);
    let info = gw.get("/demo", Some(&alice));
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(names(&info.json()["tools"], "name"), expected);
    let document = gw.get("/demo/openapi.json", Some(&alice));
    assert_eq!(document.status, 200, "{}", document.body);
    assert_eq!(paths(&document.json()), expected);

    // Anonymous (openapi_public): every tool is in the document, the call still refuses.
    let public = gw.get("/demo/openapi.json", None);
    assert_eq!(public.status, 200, "{}", public.body);
    let everything = paths(&public.json());
    assert!(everything.is_superset(&expected) && everything.contains("add"));

    let unknown = gw.post("/demo/no_such_tool", Some(&alice), "{}");
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    for hidden in ["add", "slow", "lookup"] {
        let reply = gw.post(&format!("/demo/{hidden}"), Some(&alice), r#"{"a":1,"b":2}"#);
        assert_eq!(
            (reply.status, reply.json()),
            (404, unknown.json()),
            "{hidden} answers like an unknown tool"
        );
    }
    let echo = gw.post("/demo/echo", Some(&alice), r#"{"message":"hi"}"#);
    assert_eq!(echo.status, 200, "{}", echo.body);

    let call = |session: Option<&str>, name: &str, arguments: Value| {
        let params = json!({"name": name, "arguments": arguments});
        let reply = setup.mcp(&alice, session, "tools/call", params);
        (reply.status, reply.body)
    };
    let session = setup.session(&alice);
    for era in [None, Some(session.as_str())] {
        let two = json!({"a": 1, "b": 2});
        let unknown = call(era, "no_such_tool", two.clone());
        assert_eq!(unknown.1["error"]["code"], -32602, "{}", unknown.1);
        for hidden in ["add", "slow"] {
            assert_eq!(
                call(era, hidden, two.clone()),
                unknown,
                "{hidden} ({era:?})"
            );
        }
        let allowed = call(era, "get_time", json!({}));
        assert_eq!(allowed.0, 200, "{}", allowed.1);
        assert!(allowed.1["result"].is_object(), "{}", allowed.1);
    }
}

#[test]
fn a_whole_server_grant_from_another_group_gives_every_tool() {
    let setup = Setup::start();
    let gw = &setup.gateway;
    let key = setup.db.api_key("all", None);
    let all_tools = names(&gw.get("/demo", Some(&key)).json()["tools"], "name");
    assert!(all_tools.len() > ALICE_TOOLS.len());

    let bob = setup.token(BOB, &[READERS, DEMO_ALL]);
    assert_eq!(setup.listed(&bob), all_tools);
    assert_eq!(
        names(&gw.get("/demo", Some(&bob)).json()["tools"], "name"),
        all_tools
    );
    assert_eq!(
        paths(&gw.get("/demo/openapi.json", Some(&bob)).json()),
        all_tools
    );
    let add = gw.post("/demo/add", Some(&bob), r#"{"a":1,"b":2}"#);
    assert_eq!(add.status, 200, "{}", add.body);

    // Alice's deny is hers: Bob keeps `slow`, a member of Readers without the deny too.
    assert!(all_tools.contains("slow"));
    let carol = setup.token("00000000-0000-0000-0000-0000000000c3", &[READERS]);
    let listed = setup.listed(&carol);
    assert_eq!(listed, set(&["echo", "get_time", "session_info", "slow"]));
    let nobody = setup.token("00000000-0000-0000-0000-0000000000d4", &[]);
    assert_eq!(gw.get("/demo", Some(&nobody)).status, 404);
}
