//! Wall-clock and deadlines inside the component.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use wasi::clocks::monotonic_clock;

pub use sealed_kv::now_ms;

/// Completes once `duration` has passed (wasi monotonic clock, driven by Spin's executor).
pub struct Sleep {
    deadline: monotonic_clock::Instant,
}

pub fn sleep(duration: Duration) -> Sleep {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    Sleep {
        deadline: monotonic_clock::now().saturating_add(nanos),
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if monotonic_clock::now() >= self.deadline {
            return Poll::Ready(());
        }
        spin_executor::push_waker(
            monotonic_clock::subscribe_instant(self.deadline),
            context.waker().clone(),
        );
        Poll::Pending
    }
}

/// `future`, or `None` when `limit` passes first (the future is dropped, cancelling its I/O).
pub async fn within<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    let future = std::pin::pin!(future);
    let timer = std::pin::pin!(sleep(limit));
    match futures::future::select(future, timer).await {
        futures::future::Either::Left((output, _)) => Some(output),
        futures::future::Either::Right(((), _)) => None,
    }
}
