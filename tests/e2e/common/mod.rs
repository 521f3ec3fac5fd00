//! The end-to-end harness: a throwaway policy database, the real `spin.toml` served by the
//! runner with its upstream variables pointed at test peers, and HTTP helpers.

pub mod changing;
pub mod db;
pub mod gateway;
pub mod mcp;
pub mod open_webui;
pub mod peers;

use std::path::PathBuf;
use std::sync::OnceLock;

/// A folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One tokio runtime for the async clients (database, embedded demo servers).
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}
