//! The wasmtime side: one engine, every component compiled once (cached under the cache
//! directory) and pre-instantiated; a fresh instance for every request, as Spin 3.x does for
//! wasi:http 0.2 components.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
};
use wasmtime_wasi_http::WasiBody;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

use crate::app::{App, ComponentConfig};
use crate::host::postgres::PgPools;
use crate::host::{self, HostState};
use crate::kv::Stores;
use crate::routes::RouteMatch;

const EPOCH_TICK: Duration = Duration::from_millis(10);
const MB: usize = 1 << 20;

pub struct Options {
    /// Where compiled components are cached between runs.
    pub cache_dir: std::path::PathBuf,
    /// Abort a request (500) whose component runs longer than this.
    pub request_timeout: Option<Duration>,
}

struct LoadedComponent {
    config: Arc<ComponentConfig>,
    pre: ProxyPre<HostState>,
}

pub struct Runtime {
    engine: Engine,
    components: BTreeMap<String, LoadedComponent>,
    pub(crate) stores: Stores,
    pub(crate) pg_pools: PgPools,
    request_timeout: Option<Duration>,
}

impl Runtime {
    pub fn new(app: App, stores: Stores, options: &Options) -> anyhow::Result<Arc<Self>> {
        for component in app.components.values() {
            for label in &component.key_value_stores {
                if !stores.contains(label) {
                    return Err(anyhow!(
                        "component {:?} uses key-value store {label:?}, which the runtime config does not define",
                        component.id
                    ));
                }
            }
        }
        let engine = engine(&options.cache_dir)?;
        let mut linker = Linker::new(&engine);
        host::add_to_linker(&mut linker)?;
        let mut components = BTreeMap::new();
        // Many components may share one file (every route is route.wasm): compile it once.
        let mut compiled: BTreeMap<std::path::PathBuf, Component> = BTreeMap::new();
        for (id, config) in app.components {
            let component = match compiled.get(&config.source) {
                Some(component) => component.clone(),
                None => {
                    let component = compile(&engine, &id, &config.source)?;
                    compiled.insert(config.source.clone(), component.clone());
                    component
                }
            };
            let pre = linker
                .instantiate_pre(&component)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!("component {id:?} imports something this runner does not provide")
                })?;
            let pre = ProxyPre::new(pre)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!("component {id:?} does not export wasi:http/incoming-handler@0.2")
                })?;
            components.insert(
                id,
                LoadedComponent {
                    config: Arc::new(config),
                    pre,
                },
            );
        }
        if options.request_timeout.is_some() {
            let ticker = engine.weak();
            std::thread::spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            });
        }
        Ok(Arc::new(Self {
            engine,
            components,
            stores,
            pg_pools: PgPools::default(),
            request_timeout: options.request_timeout,
        }))
    }

    pub fn has_component(&self, id: &str) -> bool {
        self.components.contains_key(id)
    }

    /// Runs the matched component on `request` and returns its (streaming) response. A guest
    /// that fails before responding yields an empty 500, as in Spin.
    pub async fn handle<B>(
        self: &Arc<Self>,
        route: RouteMatch,
        request: http::Request<B>,
        client_addr: SocketAddr,
    ) -> anyhow::Result<http::Response<WasiBody>>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component = self
            .components
            .get(&route.component)
            .ok_or_else(|| anyhow!("unknown component {:?}", route.component))?;
        let request = prepare_request(request, &route, client_addr)?;

        let mut store = Store::new(
            &self.engine,
            HostState::new(self.clone(), component.config.clone()),
        );
        match self.request_timeout {
            Some(timeout) => {
                store.set_epoch_deadline(
                    (timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
                );
                store.epoch_deadline_trap();
            }
            None => store.set_epoch_deadline(u64::MAX),
        }
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http_view()
            .new_incoming_request(Scheme::Http, request)?;
        let outparam = store.data_mut().http_view().new_response_outparam(sender)?;
        let pre = component.pre.clone();
        let id = route.component.clone();
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await
        });

        let waited = match self.request_timeout {
            Some(timeout) => tokio::time::timeout(timeout, receiver)
                .await
                .map_err(|_| ()),
            None => Ok(receiver.await),
        };
        match waited {
            Ok(Ok(Ok(response))) => {
                tokio::spawn(async move {
                    match task.await {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) => tracing::error!(
                            "Component {id:?} error after response started: {err:?}"
                        ),
                        Err(err) => tracing::error!(
                            "Component {id:?} panicked after response started: {err}"
                        ),
                    }
                });
                Ok(response)
            }
            Ok(Ok(Err(code))) => {
                tracing::error!("Component {id:?} responded with error {code:?}");
                Ok(internal_error())
            }
            Ok(Err(_)) => {
                match task.await {
                    Ok(Ok(())) => {
                        tracing::error!("Component {id:?} returned without setting a response")
                    }
                    Ok(Err(err)) => tracing::error!("Error processing request in {id:?}: {err:?}"),
                    Err(err) => tracing::error!("Component {id:?} task failed: {err}"),
                }
                Ok(internal_error())
            }
            Err(()) => {
                task.abort();
                tracing::error!(
                    "Component {id:?} timed out after {:?}",
                    self.request_timeout.unwrap_or_default()
                );
                Ok(internal_error())
            }
        }
    }
}

impl HostState {
    fn http_view(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpView::http(self)
    }
}

fn internal_error() -> http::Response<WasiBody> {
    let body = Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = http::Response::new(body);
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from_static("0"),
    );
    response
}

/// Adds Spin's `spin-*` headers and gives the URI its authority (from `Host`), as Spin does.
/// A chained request arrives without `Host` (Spin drops it from every outbound request), so its
/// `spin-full-url` names `localhost`, Spin's default, while its URI keeps `<id>.spin.internal`.
fn prepare_request<B>(
    request: http::Request<B>,
    route: &RouteMatch,
    client_addr: SocketAddr,
) -> anyhow::Result<http::Request<B>> {
    let (mut parts, body) = request.into_parts();
    let chained = parts
        .uri
        .host()
        .is_some_and(|h| h.ends_with(crate::allowed_hosts::SERVICE_CHAINING_SUFFIX));
    if chained {
        parts.headers.remove(http::header::HOST);
    }
    let host_header = parts
        .headers
        .get(http::header::HOST)
        .map(|host| host.to_str().context("'Host' header is not valid UTF-8"))
        .transpose()?
        .map(str::to_string);
    let authority = match (&host_header, parts.uri.authority()) {
        (Some(host), _) => host.clone(),
        (None, Some(authority)) => authority.to_string(),
        (None, None) => anyhow::bail!("no 'Host' header present in request"),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let full_url_host = host_header.as_deref().unwrap_or("localhost");
    let full_url = format!("http://{full_url_host}{path_and_query}");
    parts.uri = http::Uri::builder()
        .scheme("http")
        .authority(authority.as_str())
        .path_and_query(path_and_query)
        .build()?;
    for (name, value) in route.spin_headers(&full_url, client_addr) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            parts.headers.insert(name, value);
        }
    }
    Ok(http::Request::from_parts(parts, body))
}

fn compile(engine: &Engine, id: &str, source: &Path) -> anyhow::Result<Component> {
    if !source.is_file() {
        anyhow::bail!(
            "component {id:?}: {} does not exist (build the components first: `cargo build --target wasm32-wasip2 --release -p route -p auth -p catalog`)",
            source.display()
        );
    }
    Component::from_file(engine, source)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("component {id:?}: cannot load {}", source.display()))
}

/// Like Spin: the pooling allocator sized by `SPIN_MAX_INSTANCE_COUNT` (default 1000) when the
/// host can reserve the memory, `SPIN_WASMTIME_POOLING=0/1` to force it.
fn engine(cache_dir: &Path) -> anyhow::Result<Engine> {
    let base = |pooling: bool| -> anyhow::Result<Config> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.cache(Some(Cache::new(
            CacheConfig::new().with_directory(cache_dir).clone(),
        )?));
        if pooling {
            let max_instances: u32 = env_number("SPIN_MAX_INSTANCE_COUNT", 1_000);
            let mut pooling = PoolingAllocationConfig::default();
            pooling
                .total_component_instances(max_instances)
                .total_memories(max_instances)
                .total_tables(2 * max_instances)
                .total_stacks(max_instances)
                .total_core_instances(4 * max_instances)
                .table_elements(100_000)
                .max_component_instance_size(10 * MB)
                .max_core_instance_size(10 * MB)
                .max_core_instances_per_component(200)
                .max_tables_per_component(64)
                .max_memories_per_component(32)
                .max_tables_per_module(2)
                .max_memories_per_module(2)
                .max_memory_size(4 << 30)
                .linear_memory_keep_resident(2 * MB)
                .table_keep_resident(MB / 2);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        }
        Ok(config)
    };
    let forced = std::env::var("SPIN_WASMTIME_POOLING").ok();
    if forced.as_deref() != Some("0") {
        match Engine::new(&base(true)?) {
            Ok(engine) => return Ok(engine),
            Err(err) if forced.as_deref() == Some("1") => {
                return Err(anyhow::Error::from(err).context("pooling allocator"));
            }
            Err(err) => tracing::warn!(
                "pooling allocator unavailable, instances allocated on demand: {err}"
            ),
        }
    }
    Ok(Engine::new(&base(false)?)?)
}

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
