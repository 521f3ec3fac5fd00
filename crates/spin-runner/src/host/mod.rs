//! Per-instance host state: WASI, wasi:http with Spin's outbound rules, and Spin's interfaces.

pub mod key_value;
pub mod outbound_http;
pub mod postgres;
pub mod variables;

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::app::ComponentConfig;
use crate::bindings;
use crate::runtime::Runtime;

pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: outbound_http::OutboundHooks,
    pub(crate) component: Arc<ComponentConfig>,
    pub(crate) runtime: Arc<Runtime>,
}

impl HostState {
    pub fn new(runtime: Arc<Runtime>, component: Arc<ComponentConfig>) -> Self {
        let mut wasi = WasiCtx::builder();
        wasi.inherit_stdout().inherit_stderr();
        for (key, value) in &component.environment {
            wasi.env(key, value);
        }
        Self {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: outbound_http::OutboundHooks::new(runtime.clone(), component.clone()),
            component,
            runtime,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Every interface a Spin 3.6.3 host offers that this runner implements.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    bindings::fermyon::spin2_0_0::key_value::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::fermyon::spin2_0_0::variables::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    bindings::spin::postgres4_0_0::postgres::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)?;
    Ok(())
}
