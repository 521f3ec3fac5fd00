//! `fermyon:spin/variables@2.0.0`: a component reads only the variables it declares.

use super::HostState;
use crate::bindings::fermyon::spin2_0_0::variables::{Error, Host};

impl Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, Error>> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Ok(Err(Error::InvalidName(format!(
                "invalid variable name {name:?}"
            ))));
        }
        Ok(self.component.variables.get(&name).cloned().ok_or_else(|| {
            Error::Undefined(format!("no variable for {:?}.{name:?}", self.component.id))
        }))
    }
}
