//! Per-tool rules: grants of some tools add up, a whole-server grant gives every tool, tool
//! denies of a group or a user hide tools whatever the grants give; `explain --tool` names the
//! rule, `list` shows them, and bad patterns are refused without a change.

use auth_core::policy::{Rule, ToolRule};
use auth_core::{GrantedTools, ToolPattern};
use gateway_admin::{Change, User};

use crate::bad_input::assert_refused_without_change;
use crate::common::{TENANT, TestDb, admin_cli, group_id, stderr, stdout, user_id};

fn patterns(items: &[&str]) -> GrantedTools {
    GrantedTools::Patterns(
        items
            .iter()
            .map(|item| ToolPattern::parse(item).unwrap())
            .collect(),
    )
}

/// Readers: demo `echo`, `get_*`; Writers: demo `add`; Demo-All: the whole of demo.
async fn tool_policy() -> TestDb {
    let db = TestDb::migrated().await;
    for (group, tools) in [
        ("Readers", patterns(&["echo", "get_*"])),
        ("Writers", patterns(&["add"])),
        ("Demo-All", GrantedTools::All),
    ] {
        db.admin.grant_group(group, "demo", &tools).await.unwrap();
        db.admin
            .link_group(group, TENANT, &group_id(group))
            .await
            .unwrap();
    }
    db
}

fn groups(labels: &[&str]) -> Vec<String> {
    labels.iter().map(|label| (*label).to_owned()).collect()
}

#[tokio::test]
async fn tool_grants_add_up_and_a_whole_server_grant_gives_every_tool() {
    let db = tool_policy().await;
    let alice = user_id(1);
    let readers = groups(&["Readers"]);
    let echo = db
        .admin
        .explain_tool(TENANT, &alice, &readers, "demo", "echo")
        .await
        .unwrap();
    let (_, verdict) = echo.tool.as_ref().unwrap();
    assert!(verdict.allowed, "{echo}");
    assert!(
        matches!(&verdict.rule, ToolRule::Granted(Rule::GroupGrant { group, object_id, .. })
            if group == "Readers" && *object_id == group_id("Readers")),
        "{echo}"
    );
    let add = db
        .admin
        .explain_tool(TENANT, &alice, &readers, "demo", "add")
        .await
        .unwrap();
    let (_, verdict) = add.tool.as_ref().unwrap();
    assert!(!verdict.allowed, "{add}");
    assert!(matches!(verdict.rule, ToolRule::NotGranted { .. }), "{add}");
    assert!(add.verdict.allowed, "the server itself is allowed: {add}");

    let both = groups(&["Readers", "Writers"]);
    let add = db
        .admin
        .explain_tool(TENANT, &alice, &both, "demo", "add")
        .await
        .unwrap();
    let (_, verdict) = add.tool.as_ref().unwrap();
    assert!(
        matches!(&verdict.rule, ToolRule::Granted(Rule::GroupGrant { group, .. }) if group == "Writers"),
        "{add}"
    );
    assert!(
        !db.admin
            .explain_tool(TENANT, &alice, &both, "demo", "lookup")
            .await
            .unwrap()
            .tool
            .unwrap()
            .1
            .allowed
    );

    let whole = groups(&["Readers", "Demo-All"]);
    let lookup = db
        .admin
        .explain_tool(TENANT, &alice, &whole, "demo", "lookup")
        .await
        .unwrap();
    let (_, verdict) = lookup.tool.as_ref().unwrap();
    assert!(verdict.allowed, "{lookup}");
    assert!(
        matches!(&verdict.rule, ToolRule::Granted(Rule::GroupGrant { group, .. }) if group == "Demo-All"),
        "{lookup}"
    );
}

#[tokio::test]
async fn a_grant_only_widens() {
    let db = TestDb::migrated().await;
    let grant = |tools: GrantedTools| {
        let admin = db.admin.clone();
        async move { admin.grant_group("Readers", "demo", &tools).await.unwrap() }
    };
    assert_eq!(grant(patterns(&["echo"])).await, Change::Applied);
    assert_eq!(grant(patterns(&["get_*"])).await, Change::Applied);
    assert_eq!(grant(patterns(&["echo"])).await, Change::Unchanged);
    let listing = db.admin.list().await.unwrap();
    let mapping = listing
        .group_mappings
        .iter()
        .find(|mapping| mapping.group == "Readers")
        .unwrap();
    assert_eq!(mapping.tools, patterns(&["echo", "get_*"]));
    assert!(
        listing
            .to_string()
            .contains("Readers -> demo tools echo, get_* (not linked"),
        "{listing}"
    );
    assert_eq!(grant(GrantedTools::All).await, Change::Applied);
    assert_eq!(grant(patterns(&["add"])).await, Change::Unchanged);
    let listing = db.admin.list().await.unwrap();
    assert!(
        listing
            .group_mappings
            .iter()
            .any(|m| m.group == "Readers" && m.tools == GrantedTools::All),
        "{listing}"
    );

    let bob = User::new(TENANT, &user_id(2), Some("bob@example.com")).unwrap();
    let change = db
        .admin
        .grant_user(&bob, "demo", &patterns(&["echo"]))
        .await
        .unwrap();
    assert_eq!(change, Change::Applied);
    assert!(
        db.admin
            .list()
            .await
            .unwrap()
            .to_string()
            .contains("grant demo tools echo"),
    );
    // A deny replaces the tool grant: the whole server is denied.
    db.admin.deny_user(&bob, "demo").await.unwrap();
    let denied = db
        .admin
        .explain_tool(TENANT, &user_id(2), &[], "demo", "echo")
        .await
        .unwrap();
    assert!(!denied.tool.unwrap().1.allowed);
}

#[tokio::test]
async fn tool_denies_hide_tools_whatever_the_grants_and_can_be_revoked() {
    let db = tool_policy().await;
    let alice = user_id(1);
    let everything = groups(&["Readers", "Demo-All"]);
    db.admin
        .deny_group_tool("Readers", "demo", "get_*")
        .await
        .unwrap();
    let alice_user = User::new(TENANT, &alice, Some("alice@example.com")).unwrap();
    db.admin
        .deny_user_tool(&alice_user, "*", "ech*")
        .await
        .unwrap();
    assert_eq!(
        db.admin
            .deny_user_tool(&alice_user, "*", "ech*")
            .await
            .unwrap(),
        Change::Unchanged
    );

    let explain = |tool: &'static str, who: String| {
        let (admin, groups) = (db.admin.clone(), everything.clone());
        async move {
            admin
                .explain_tool(TENANT, &who, &groups, "demo", tool)
                .await
                .unwrap()
        }
    };
    let get_time = explain("get_time", alice.clone()).await;
    let (_, verdict) = get_time.tool.as_ref().unwrap();
    assert!(!verdict.allowed, "{get_time}");
    assert!(
        matches!(&verdict.rule, ToolRule::GroupDeny { group, object_id, .. }
            if group == "Readers" && *object_id == group_id("Readers")),
        "{get_time}"
    );
    assert!(
        get_time
            .to_string()
            .contains("group_tool_denies denies group 'Readers'"),
        "{get_time}"
    );
    let echo = explain("echo", alice.clone()).await;
    assert!(
        echo.to_string().contains(&format!(
            "user_tool_denies denies user 'alice@example.com (object id {alice} in tenant {TENANT})'"
        )),
        "{echo}"
    );
    assert!(explain("add", alice.clone()).await.tool.unwrap().1.allowed);
    let bob_echo = explain("echo", user_id(2)).await;
    assert!(bob_echo.tool.unwrap().1.allowed, "another user's deny");

    let listing = db.admin.list().await.unwrap().to_string();
    assert!(
        listing.contains(&format!(
            "Readers denied demo tools get_* (object id {} in tenant {TENANT})",
            group_id("Readers")
        )),
        "{listing}"
    );
    assert!(
        listing.contains(&format!(
            "alice@example.com (object id {alice} in tenant {TENANT}) denied * tools ech*"
        )),
        "{listing}"
    );

    db.admin
        .revoke_group_tool_deny("readers", "demo", "get_*")
        .await
        .unwrap();
    db.admin
        .revoke_user_tool_deny(&alice_user, "*", "ech*")
        .await
        .unwrap();
    assert!(
        explain("get_time", alice.clone())
            .await
            .tool
            .unwrap()
            .1
            .allowed
    );
    assert!(explain("echo", alice.clone()).await.tool.unwrap().1.allowed);
    let again = db
        .admin
        .revoke_group_tool_deny("Readers", "demo", "get_*")
        .await
        .unwrap_err();
    assert!(again.to_string().contains("has no deny"), "{again}");
}

#[tokio::test]
async fn the_cli_grants_denies_and_explains_tools() {
    let db = TestDb::migrated().await;
    let readers = group_id("Readers");
    let carol = user_id(3);
    for args in [
        vec!["group", "link", "Readers", &readers, "--tenant", TENANT],
        vec!["grant", "group", "Readers", "demo", "--tools", "echo,get_*"],
        vec!["deny-tool", "group", "Readers", "demo", "get_secret*"],
        vec![
            "deny-tool",
            "user",
            &carol,
            "demo",
            "echo",
            "--tenant",
            TENANT,
            "--label",
            "carol",
        ],
    ] {
        let output = admin_cli(&db, &args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }
    let explain = |tool: &str| {
        let args = [
            "explain", "--user", &carol, "--tenant", TENANT, "--group", "Readers", "--server",
            "demo", "--tool", tool,
        ];
        let output = admin_cli(&db, &args);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let get_time = explain("get_time");
    assert!(
        get_time.contains(&format!(
            "demo tool 'get_time': allowed: group_tenant_mapping maps group 'Readers' (object id {readers}) to server 'demo' (tools echo, get_*)"
        )),
        "{get_time}"
    );
    assert!(
        get_time.contains("may use: demo (tools echo, get_* except echo, get_secret*)"),
        "{get_time}"
    );
    assert!(explain("get_secret_key").contains("hidden: group_tool_denies"));
    assert!(explain("echo").contains("hidden: user_tool_denies denies user 'carol"));
    assert!(explain("add").contains("hidden: no grant of server 'demo' gives this tool"));

    let revoke = admin_cli(
        &db,
        &[
            "revoke-tool-deny",
            "user",
            &carol,
            "demo",
            "echo",
            "--tenant",
            TENANT,
        ],
    );
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert!(explain("echo").contains("demo tool 'echo': allowed"));
}

#[tokio::test]
async fn invalid_tool_patterns_are_refused_without_a_change() {
    let db = TestDb::migrated().await;
    let dave = user_id(4);
    for (args, message) in [
        (
            vec!["grant", "group", "Readers", "demo", "--tools", "get issue"],
            "tool pattern 'get issue' may contain only letters, digits",
        ),
        (
            vec!["grant", "group", "Readers", "demo", "--tools", "echo,"],
            "a tool pattern must not be empty",
        ),
        (
            vec!["deny-tool", "group", "Readers", "demo", "a/b"],
            "tool pattern 'a/b'",
        ),
        (
            vec![
                "grant", "user", &dave, "demo", "--tenant", TENANT, "--tools", "get_?",
            ],
            "tool pattern 'get_?'",
        ),
        (
            vec![
                "deny-tool",
                "user",
                &dave,
                "nope",
                "echo",
                "--tenant",
                TENANT,
            ],
            "unknown server 'nope'",
        ),
    ] {
        assert_refused_without_change(&db, &args, message).await;
    }
    let long = "a".repeat(129);
    assert_refused_without_change(
        &db,
        &["deny-tool", "group", "Readers", "demo", &long],
        "longer than 128 characters",
    )
    .await;
    assert_refused_without_change(
        &db,
        &["revoke-tool-deny", "group", "Readers", "demo", "echo"],
        "group 'Readers' has no deny of tools 'echo'",
    )
    .await;
}

#[tokio::test]
async fn the_schema_refuses_what_the_cli_would() {
    let db = TestDb::migrated().await;
    for statement in [
        "INSERT INTO group_tool_denies (group_name, server_id, tool) VALUES ('G', 'demo', 'a b')",
        "INSERT INTO group_tenant_mapping (group_name, server_id, tools) VALUES ('G', 'demo', '{}')",
        "INSERT INTO group_tenant_mapping (group_name, server_id, tools) VALUES ('G', 'demo', '{\"a,b\"}')",
        "INSERT INTO user_tenant_access (user_id, server_id, access, tools) VALUES ('u', 'demo', 'deny', '{echo}')",
    ] {
        let result = sqlx::query(statement).execute(db.admin.pool()).await;
        assert!(result.is_err(), "accepted: {statement}");
    }
    sqlx::query(
        "INSERT INTO group_tenant_mapping (group_name, server_id, tools) VALUES ('G', 'demo', '{echo,get_*}')",
    )
    .execute(db.admin.pool())
    .await
    .expect("valid patterns are accepted");
}
