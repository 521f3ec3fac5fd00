//! `fermyon:spin/key-value@2.0.0`: a component opens only the stores it lists in
//! `key_value_stores`.

use std::sync::Arc;

use wasmtime::component::Resource;

use super::HostState;
use crate::bindings::fermyon::spin2_0_0::key_value::{Error, Host, HostStore};
use crate::kv::{Backend, KvError};

/// The host side of a `store` resource.
pub struct StoreHandle {
    label: String,
    backend: Arc<Backend>,
}

fn other(err: KvError) -> Error {
    Error::Other(err.0)
}

impl HostState {
    fn store(&self, handle: &Resource<StoreHandle>) -> wasmtime::Result<(String, Arc<Backend>)> {
        let store = self.table.get(handle)?;
        Ok((store.label.clone(), store.backend.clone()))
    }
}

impl Host for HostState {}

impl HostStore for HostState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<StoreHandle>, Error>> {
        if !self.component.key_value_stores.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(backend) = self.runtime.stores.get(&label) else {
            return Ok(Err(Error::NoSuchStore));
        };
        Ok(Ok(self.table.push(StoreHandle { label, backend })?))
    }

    async fn get(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let (label, backend) = self.store(&store)?;
        Ok(backend.get(&label, &key).await.map_err(other))
    }

    async fn set(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (label, backend) = self.store(&store)?;
        Ok(backend.set(&label, &key, &value).await.map_err(other))
    }

    async fn delete(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (label, backend) = self.store(&store)?;
        Ok(backend.delete(&label, &key).await.map_err(other))
    }

    async fn exists(
        &mut self,
        store: Resource<StoreHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let (label, backend) = self.store(&store)?;
        Ok(backend.exists(&label, &key).await.map_err(other))
    }

    async fn get_keys(
        &mut self,
        store: Resource<StoreHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let (label, backend) = self.store(&store)?;
        Ok(backend.get_keys(&label).await.map_err(other))
    }

    async fn drop(&mut self, store: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}
