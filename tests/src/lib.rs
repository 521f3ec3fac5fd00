//! End-to-end tests of the built wasm under the runner.
