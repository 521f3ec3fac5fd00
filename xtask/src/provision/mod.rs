//! Tools and services the suites and the demo need, found or started by xtask.

pub mod postgres;
pub mod redis;
pub mod tools;
