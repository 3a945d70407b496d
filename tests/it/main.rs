//! Integration tests: whole-crate behaviour through the public API.

// Tests may panic, index and do arithmetic freely: the library-only lints stop here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod attacks;
mod export;
mod handshake;
mod messages;
mod props;
mod session;
mod spnego;
mod spnego_codec;
mod sspi;
mod support;
mod wire_bytes;
