//! Project tasks: up, test, bench.

fn main() {}
