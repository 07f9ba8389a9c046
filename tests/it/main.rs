//! The integration tests, one crate with a module per concern: one binary to build and link,
//! not one per file. `tests/https.rs` is the one test binary of its own (Cargo.toml says why).

#[path = "../common/mod.rs"]
mod common;

mod bootstrap;
mod dynalite;
mod faults;
mod handler;
mod hostile;
mod invoke;
mod logs;
mod rust_version;
