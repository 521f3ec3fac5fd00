//! The demo tools. Deterministic except `get_time`, each exercising one part of MCP a gateway
//! must carry: plain text, structured content, progress, tool errors, images, resources, and
//! schemas with `$defs`/`$ref`/`anyOf`.

use std::time::Duration;

use base64::Engine as _;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, ProgressNotificationParam, Resource, ResourceContents,
};
use rmcp::schemars::{self, JsonSchema};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Json, RoleServer, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Filter, Item};
use crate::png;
use crate::server::DemoServer;

/// The one resource this server has, embedded and linked by the `resource` tool.
pub const GREETING_URI: &str = "demo://greeting";
pub const GREETING_TEXT: &str = "Hello from the demo MCP server.";
/// Upper bound of `slow`, so a typo cannot park a request for hours.
const MAX_SLOW_MS: u64 = 600_000;
/// Progress notifications `slow` sends when the caller asked for progress.
const SLOW_STEPS: u64 = 4;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EchoArgs {
    /// The text to send back.
    pub message: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddArgs {
    /// First addend.
    pub a: f64,
    /// Second addend.
    pub b: f64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Sum {
    /// a + b
    pub sum: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SlowArgs {
    /// How long to wait, in milliseconds (at most 600000).
    pub ms: u64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FailArgs {
    /// The error text the failed result carries.
    pub message: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LookupArgs {
    /// Text the item name must contain (case-insensitive); empty matches every item.
    pub query: String,
    /// Optional criteria the items must also meet.
    pub filter: Option<Filter>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LookupResult {
    /// Matching items in catalogue order.
    pub matches: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
/// How the call reached the server.
pub enum Transport {
    /// Inside a handshake-era session (`initialize`, `Mcp-Session-Id`).
    Session,
    /// A self-contained 2026-07-28 request.
    Stateless,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub transport: Transport,
    /// The protocol version this call was served at.
    pub protocol_version: Option<String>,
}

#[tool_router(vis = "pub(crate)")]
impl DemoServer {
    #[tool(
        description = "Returns the given message unchanged, as text.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn echo(&self, Parameters(args): Parameters<EchoArgs>) -> String {
        args.message
    }

    #[tool(
        description = "Adds two numbers and returns the sum as structured content {sum}.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn add(&self, Parameters(args): Parameters<AddArgs>) -> Json<Sum> {
        Json(Sum {
            sum: args.a + args.b,
        })
    }

    #[tool(
        description = "Returns the current UTC time (RFC 3339, seconds precision).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_time(&self) -> String {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    #[tool(
        description = "Waits the given number of milliseconds, then answers. Reports progress \
                       in four steps when the request carries a progressToken.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn slow(
        &self,
        Parameters(args): Parameters<SlowArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<String, ErrorData> {
        let ms = args.ms.min(MAX_SLOW_MS);
        let progress_token = context.meta.get_progress_token();
        for step in 1..=SLOW_STEPS {
            let wait = ms * step / SLOW_STEPS - ms * (step - 1) / SLOW_STEPS;
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(wait)) => {}
                () = context.ct.cancelled() => {
                    return Err(ErrorData::internal_error("cancelled", None));
                }
            }
            if let Some(token) = &progress_token {
                let progress = ProgressNotificationParam::new(token.clone(), step as f64)
                    .with_total(SLOW_STEPS as f64)
                    .with_message(format!("step {step} of {SLOW_STEPS}"));
                if let Err(err) = context.peer.notify_progress(progress).await {
                    tracing::debug!(%err, "progress notification not delivered");
                }
            }
        }
        Ok(format!("waited {ms} ms"))
    }

    #[tool(
        description = "Always fails: returns a tool result with isError true carrying the message.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn fail(&self, Parameters(args): Parameters<FailArgs>) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text(args.message)])
    }

    #[tool(
        description = "Returns a small PNG picture (an 8x8 checkerboard) as an image content block.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn image(&self) -> CallToolResult {
        let data = base64::engine::general_purpose::STANDARD.encode(png::checkerboard());
        CallToolResult::success(vec![ContentBlock::image(data, "image/png")])
    }

    #[tool(
        description = "Returns the demo://greeting resource twice: embedded, then as a resource link.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn resource(&self) -> CallToolResult {
        CallToolResult::success(vec![
            ContentBlock::resource(
                ResourceContents::text(GREETING_TEXT, GREETING_URI).with_mime_type("text/plain"),
            ),
            ContentBlock::resource_link(greeting_resource()),
        ])
    }

    #[tool(
        description = "Searches a small produce catalogue by name, optionally filtered by \
                       category and colours. Returns the matches as structured content.",
        annotations(read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn lookup(&self, Parameters(args): Parameters<LookupArgs>) -> Json<LookupResult> {
        Json(LookupResult {
            matches: catalog::lookup(&args.query, args.filter.as_ref()),
        })
    }

    #[tool(
        description = "Tells how this call arrived: in a handshake-era session or as a stateless \
                       2026-07-28 request, and at which protocol version.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn session_info(
        &self,
        Extension(parts): Extension<http::request::Parts>,
        context: RequestContext<RoleServer>,
    ) -> Json<SessionInfo> {
        let transport = if parts.headers.contains_key("mcp-session-id") {
            Transport::Session
        } else {
            Transport::Stateless
        };
        Json(SessionInfo {
            transport,
            protocol_version: context.protocol_version().map(|v| v.as_str().to_owned()),
        })
    }
}

/// The listing entry of [`GREETING_URI`], also sent as the `resource` tool's link.
pub fn greeting_resource() -> Resource {
    Resource::new(GREETING_URI, "greeting")
        .with_description("A short greeting text.")
        .with_mime_type("text/plain")
        .with_size(GREETING_TEXT.len() as u64)
}
