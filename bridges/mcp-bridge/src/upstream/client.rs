//! The bridge's client side towards an upstream server: its identity in the handshake and the
//! routing of upstream progress notifications back to the downstream request that caused them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::ClientHandler;
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam, ProgressToken,
};
use rmcp::service::{NotificationContext, Peer, RoleClient, RoleServer};

/// Upstream progress token -> the downstream peer and the token its client chose.
type Routes = HashMap<ProgressToken, (Peer<RoleServer>, ProgressToken)>;

/// Progress routes shared by every connection of one upstream server. The bridge's client assigns
/// a fresh token to each upstream request, so tokens never collide between downstream clients.
#[derive(Clone, Default)]
pub struct ProgressRoutes(Arc<Mutex<Routes>>);

/// Removes its route when the forwarded request ends.
pub struct ProgressRoute {
    routes: ProgressRoutes,
    upstream_token: ProgressToken,
}

impl ProgressRoutes {
    pub fn register(
        &self,
        upstream_token: ProgressToken,
        downstream: Peer<RoleServer>,
        downstream_token: ProgressToken,
    ) -> ProgressRoute {
        self.lock()
            .insert(upstream_token.clone(), (downstream, downstream_token));
        ProgressRoute {
            routes: self.clone(),
            upstream_token,
        }
    }

    fn lookup(&self, upstream_token: &ProgressToken) -> Option<(Peer<RoleServer>, ProgressToken)> {
        self.lock().get(upstream_token).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for ProgressRoute {
    fn drop(&mut self) {
        self.routes.lock().remove(&self.upstream_token);
    }
}

/// The handler of the bridge's client session with one upstream server.
pub struct UpstreamClient {
    server: String,
    routes: ProgressRoutes,
}

impl UpstreamClient {
    pub fn new(server: String, routes: ProgressRoutes) -> Self {
        Self { server, routes }
    }
}

impl ClientHandler for UpstreamClient {
    async fn on_progress(
        &self,
        mut params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let Some((downstream, token)) = self.routes.lookup(&params.progress_token) else {
            return;
        };
        params.progress_token = token;
        if let Err(error) = downstream.notify_progress(params).await {
            tracing::debug!(server = %self.server, %error, "progress notification not delivered");
        }
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("mcp-bridge", env!("CARGO_PKG_VERSION")),
        )
    }
}
