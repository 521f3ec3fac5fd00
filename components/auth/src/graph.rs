//! Group overage: a user in too many groups gets a token without `groups`; their groups' object
//! ids (never display names: anyone allowed to create a group chooses its name) are read from
//! Microsoft Graph with the app's client credentials, and cached.

use auth_core::entra::{EntraConfig, EntraIdentity};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sealed_kv::SealedKv;
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Method, Request, Response, send};

use crate::authorize::Failure;
use crate::settings::Settings;

/// Characters escaped in a URL path segment or form value (RFC 3986 unreserved ones are kept).
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const CACHE_TTL_MS: u64 = 5 * 60 * 1000;
/// Pages of 999 groups followed at most (Graph's page size limit).
const MAX_PAGES: usize = 20;

#[derive(Serialize, Deserialize)]
struct CachedGroups {
    expires_at_ms: u64,
    groups: Vec<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

#[derive(Deserialize)]
struct GroupPage {
    #[serde(default)]
    value: Vec<DirectoryObject>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct DirectoryObject {
    id: String,
}

fn unavailable(detail: String) -> Failure {
    eprintln!("auth: Microsoft Graph: {detail}");
    Failure::Unavailable(
        "group membership cannot be read from Microsoft Graph; try again later".into(),
    )
}

/// The object id of every group the user is a (transitive) member of.
pub async fn member_groups(
    settings: &Settings,
    store: &SealedKv,
    entra: &EntraConfig,
    identity: &EntraIdentity,
    now_ms: u64,
) -> Result<Vec<String>, Failure> {
    let Some(graph) = &settings.graph else {
        return Err(Failure::Unauthorized(
            "the token does not list your groups (you are in too many: group overage) and this \
             gateway has no Microsoft Graph credentials (entra_client_id, entra_client_secret) to \
             look them up; ask the gateway administrator"
                .into(),
        ));
    };
    let cache_key = format!(
        "auth:graph-groups:v2:{}:{}",
        identity.tenant_id, identity.object_id
    );
    if let Some(cached) = store
        .get_json::<CachedGroups>(&cache_key)
        .filter(|cached| now_ms < cached.expires_at_ms)
    {
        return Ok(cached.groups);
    }

    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
        utf8_percent_encode(&graph.client_id, ESCAPED),
        utf8_percent_encode(&graph.client_secret, ESCAPED),
        utf8_percent_encode(&format!("{}/.default", graph.origin), ESCAPED),
    );
    let token_request = Request::builder()
        .method(Method::Post)
        .uri(entra.token_url(&identity.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .build();
    let token: TokenResponse = fetch_json(token_request, "token request").await?;

    let mut groups = Vec::new();
    let mut next = Some(format!(
        "{}/v1.0/users/{}/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999",
        graph.origin,
        utf8_percent_encode(&identity.object_id, ESCAPED)
    ));
    for _ in 0..MAX_PAGES {
        let Some(url) = next.take() else { break };
        let request = Request::builder()
            .method(Method::Get)
            .uri(url)
            .header("authorization", format!("Bearer {}", token.access_token))
            .build();
        let page: GroupPage = fetch_json(request, "group lookup").await?;
        groups.extend(page.value.into_iter().map(|group| group.id));
        // Follow only links back to the configured Graph origin.
        next = page
            .next_link
            .filter(|link| link.starts_with(&format!("{}/", graph.origin)));
    }
    if next.is_some() {
        return Err(unavailable(
            "more group pages than the gateway reads".into(),
        ));
    }

    let cached = CachedGroups {
        expires_at_ms: now_ms + CACHE_TTL_MS,
        groups,
    };
    store.set_json(&cache_key, &cached, cached.expires_at_ms);
    Ok(cached.groups)
}

async fn fetch_json<T: for<'de> Deserialize<'de>>(
    request: Request,
    what: &str,
) -> Result<T, Failure> {
    let response: Response = send(request)
        .await
        .map_err(|err| unavailable(format!("{what}: {err}")))?;
    if *response.status() != 200 {
        return Err(unavailable(format!("{what}: status {}", response.status())));
    }
    serde_json::from_slice(response.body()).map_err(|_| unavailable(format!("{what}: not JSON")))
}
