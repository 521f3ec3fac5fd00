//! Fidelity tests: each behaviour of Spin 3.6.3 the runner implements, against the probe
//! component, with every allowed case beside its denied twin.

mod common;

mod chaining;
mod isolation;
mod key_value;
mod outbound;
mod postgres;
mod routes;
mod selective;
mod streaming;
mod variables;
