//! Not an API: the entry points of the fuzz targets (feature `fuzzing`, hidden from the docs).
//!
//! Each function takes arbitrary bytes and must not panic. Where a cheap invariant holds (a
//! decoded message re-encodes to itself, a wrapped message unwraps, errors are sticky, a
//! completed context yields a session) it is asserted, so that a broken invariant is a crash
//! the fuzzer reports like any other panic.
//!
//! `fuzz/fuzz_targets/<name>.rs` calls `sspi_proto::fuzzing::<name>`, and
//! `tests/fuzz_replay.rs` replays every file of `fuzz/corpus/<name>/` and
//! `fuzz/artifacts/<name>/` through the same function on the stable toolchain, looked up in
//! [`TARGETS`]. The private `seeds` module builds the handshake transcripts of the seed
//! corpus with the very contexts, keys, clock and randomness the targets use, so that a seed
//! replays a complete, successful exchange and the fuzzer starts from the deepest states.

// Panicking on a broken invariant is how these functions report a bug to libFuzzer.
#![allow(clippy::panic)]

mod contexts;
mod decoders;
mod export;
mod seeds;
mod session;

use alloc::string::String;
use alloc::vec::Vec;

use crate::creds::Credentials;
use crate::ntlm::client::ClientConfig;
use crate::ntlm::crypto::{ChannelBindings, NtHash};
use crate::ntlm::server::{CredentialAnswer, ServerConfig};
use crate::rand::Random;
use crate::time::FileTime;

pub use contexts::{client_step, negotiate_client, server_step};
pub use decoders::{
    av_pairs, channel_bindings, ntlm_authenticate, ntlm_challenge, ntlm_negotiate, ntlmv2_response,
    roundtrip_messages, spnego_token,
};
pub use export::export_import;
pub use seeds::{Seed, seeds};
pub use session::session_unseal;

/// A fuzz target: arbitrary bytes in, a panic out if something is wrong.
pub type Target = fn(&[u8]);

/// Every fuzz target by name: the name of its file in `fuzz/fuzz_targets/` and of its
/// directories under `fuzz/corpus/` and `fuzz/artifacts/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("ntlm_negotiate", ntlm_negotiate),
    ("ntlm_challenge", ntlm_challenge),
    ("ntlm_authenticate", ntlm_authenticate),
    ("av_pairs", av_pairs),
    ("ntlmv2_response", ntlmv2_response),
    ("spnego_token", spnego_token),
    ("roundtrip_messages", roundtrip_messages),
    ("client_step", client_step),
    ("negotiate_client", negotiate_client),
    ("server_step", server_step),
    ("session_unseal", session_unseal),
    ("export_import", export_import),
    ("channel_bindings", channel_bindings),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The fixed clock of every context the targets build: 2024-01-01T00:00:00Z.
pub const NOW: FileTime = FileTime::from_unix_seconds(1_704_067_200);
const DOMAIN: &str = "DOMAIN";
const USER: &str = "User";
const WORKSTATION: &str = "WORKSTATION";
/// NTOWFv1("Password") (MS-NLMP 4.2.2.1.2): the key of the one user.
const NT_HASH: [u8; 16] = [
    0xa4, 0xf4, 0x9c, 0x40, 0x65, 0x10, 0xbd, 0xca, 0xb6, 0x82, 0x4e, 0xe7, 0xc3, 0x0f, 0xd8, 0x52,
];
const SPN: &str = "HTTP/server.example.com";
const BINDINGS: &[u8] = b"tls-server-end-point:fuzzing";
const CLIENT_SEED: u64 = 1;
const SERVER_SEED: u64 = 2;

/// A deterministic generator (a 64-bit LCG, top byte out): runs must be reproducible, so
/// that a seed transcript recorded once replays the same exchange. Never secure.
struct FuzzRandom(u64);

impl Random for FuzzRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let [top, ..] = self.0.to_be_bytes();
            *byte = top;
        }
    }
}

fn client_rng() -> FuzzRandom {
    FuzzRandom(CLIENT_SEED)
}

fn server_rng() -> FuzzRandom {
    FuzzRandom(SERVER_SEED)
}

fn bindings() -> ChannelBindings {
    ChannelBindings::from_application_data(BINDINGS)
}

fn credentials() -> Credentials {
    Credentials::nt_hash_in_domain(DOMAIN, USER, NtHash::from_bytes(NT_HASH))
}

/// The client of the targets: SPN and channel bindings set, so that the server checks both.
fn client_config(datagram: bool) -> ClientConfig {
    let mut config = ClientConfig {
        workstation: Some(String::from(WORKSTATION)),
        target_spn: Some(String::from(SPN)),
        channel_bindings: Some(bindings()),
        ..ClientConfig::default()
    };
    config.request.datagram = datagram;
    config
}

/// The server of the targets: the secure defaults, plus what the client sends to check.
/// `strict` swaps in the other side of every policy knob: anonymous allowed, bindings and
/// SPN required, no MIC required, no skew limit, no NIL-domain retry.
fn server_config(strict: bool) -> ServerConfig {
    let mut config = ServerConfig {
        dns_computer_name: Some(String::from("server.example.com")),
        dns_domain_name: Some(String::from("example.com")),
        dns_tree_name: Some(String::from("example.com")),
        channel_bindings: Some(bindings()),
        expected_spns: alloc::vec![String::from(SPN)],
        ..ServerConfig::default()
    };
    if strict {
        use crate::ntlm::server::Policy;
        config.allow_anonymous = true;
        config.channel_binding_policy = Policy::Require;
        config.spn_policy = Policy::Require;
        config.require_mic = false;
        config.max_skew = None;
        config.nil_domain_retry = false;
    }
    config
}

/// The answer to every `NeedCredentials`: the one user's key, whoever was named.
fn answer() -> CredentialAnswer {
    CredentialAnswer::NtHashes(alloc::vec![NtHash::from_bytes(NT_HASH)])
}

/// Splits `data` into tokens: each a big-endian `u16` length, then that many bytes; a
/// length past the end takes what is left, a lone trailing byte is dropped.
fn tokens(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    core::iter::from_fn(move || {
        let (len, after) = rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (token, after) = after.split_at_checked(len).unwrap_or((after, &[]));
        rest = after;
        Some(token)
    })
}

/// The inverse of [`tokens`] (for tokens shorter than 64 KiB, as all seeds are).
fn join_tokens<'a>(tokens: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for token in tokens {
        let len = u16::try_from(token.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(token);
    }
    out
}
