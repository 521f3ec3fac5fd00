//! Routes upstream progress notifications to the forwarded request that asked for them.
//!
//! The bridge's client gives every upstream request a fresh progress token, so tokens never
//! collide between downstream clients. Notifications are picked off the transport, in the order
//! they arrive, before rmcp's service loop sees the response that follows them: a request's last
//! progress update is therefore always queued before its result.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::model::{
    JsonRpcMessage, JsonRpcNotification, ProgressNotificationParam, ProgressToken,
    ServerNotification,
};
use rmcp::service::{RoleClient, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;

/// Progress updates buffered per request; beyond it updates are dropped, never the call.
pub const PROGRESS_BUFFER: usize = 64;

type Routes = HashMap<ProgressToken, mpsc::Sender<ProgressNotificationParam>>;

#[derive(Clone, Default)]
pub struct ProgressRoutes(Arc<Mutex<Routes>>);

/// Removes its route when the forwarded request ends.
pub struct ProgressRoute {
    routes: ProgressRoutes,
    token: ProgressToken,
}

impl ProgressRoutes {
    pub fn register(
        &self,
        upstream_token: ProgressToken,
        updates: mpsc::Sender<ProgressNotificationParam>,
    ) -> ProgressRoute {
        self.lock().insert(upstream_token.clone(), updates);
        ProgressRoute {
            routes: self.clone(),
            token: upstream_token,
        }
    }

    /// Queues `update` for its request; `false` when no request waits for that token.
    fn deliver(&self, update: &ProgressNotificationParam) -> bool {
        let Some(updates) = self.lock().get(&update.progress_token).cloned() else {
            return false;
        };
        if updates.try_send(update.clone()).is_err() {
            tracing::debug!(token = ?update.progress_token, "progress update dropped");
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for ProgressRoute {
    fn drop(&mut self) {
        self.routes.lock().remove(&self.token);
    }
}

/// A client transport that hands routed progress notifications to their requests.
pub struct ProgressTap<T> {
    inner: T,
    routes: ProgressRoutes,
}

impl<T> ProgressTap<T> {
    pub fn new(inner: T, routes: ProgressRoutes) -> Self {
        Self { inner, routes }
    }
}

fn progress_update(message: &RxJsonRpcMessage<RoleClient>) -> Option<&ProgressNotificationParam> {
    match message {
        JsonRpcMessage::Notification(JsonRpcNotification {
            notification: ServerNotification::ProgressNotification(progress),
            ..
        }) => Some(&progress.params),
        _ => None,
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for ProgressTap<T> {
    type Error = T::Error;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            let message = self.inner.receive().await?;
            match progress_update(&message) {
                Some(update) if self.routes.deliver(update) => continue,
                _ => return Some(message),
            }
        }
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::NumberOrString;

    fn update(token: i64, progress: f64) -> ProgressNotificationParam {
        ProgressNotificationParam::new(ProgressToken(NumberOrString::Number(token)), progress)
    }

    #[test]
    fn updates_reach_the_registered_request_until_it_ends() {
        let routes = ProgressRoutes::default();
        let (sender, mut receiver) = mpsc::channel(4);
        let route = routes.register(update(7, 0.0).progress_token, sender);
        assert!(routes.deliver(&update(7, 1.0)));
        assert_eq!(receiver.try_recv().unwrap().progress, 1.0);
        assert!(
            !routes.deliver(&update(8, 1.0)),
            "another token is not routed"
        );
        drop(route);
        assert!(
            !routes.deliver(&update(7, 2.0)),
            "the route ends with the request"
        );
    }
}
