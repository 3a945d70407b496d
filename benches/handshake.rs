//! Full handshakes, client and server in one process, through the public `sspi` API: raw
//! NTLMv2 and Negotiate (SPNEGO), each with MIC, KEY_EXCH, sign and seal; and the crypto
//! floor of each. Prints `ratio = floor / ours` first, then divan's tables.
//!
//! `cargo bench --bench handshake`; see BENCHMARKS.md.

// Bench code, not library code: the library-only lints of `[lints.clippy]` do not apply.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::hint::black_box;
use std::sync::LazyLock;

use common::{FloorInputs, Parties, Rc4Pair, SeededRandom, Transcript, compare, print_table};
use divan::Bencher;
use sspi_proto::sspi::Package;

static INPUTS: LazyLock<FloorInputs> = LazyLock::new(FloorInputs::capture);

/// The target: ours at least 0.85 of the floor.
const TARGET: f64 = 0.85;

fn main() {
    let ntlm = Parties::new(Package::Ntlm);
    let negotiate = Parties::new(Package::Negotiate);
    let mut rng = SeededRandom::new(3);
    let ntlm_alone = Transcript::record(Package::Ntlm);
    let negotiate_alone = Transcript::record(Package::Negotiate);
    let mut rc4 = Rc4Pair::new();
    // Captured before any case runs, so that a profile never counts it.
    LazyLock::force(&INPUTS);
    // Each profiling case keys its own state.
    let mut rc4s: [Rc4Pair; 3] = std::array::from_fn(|_| Rc4Pair::new());
    let [r1, r4, r5] = &mut rc4s;
    if common::profile_mode(&mut [
        ("ntlm", &mut || drop(black_box(ntlm.handshake_only(&mut SeededRandom::new(6))))),
        ("ntlm_floor", &mut || INPUTS.ntlm_floor()),
        ("negotiate", &mut || drop(black_box(negotiate.handshake_only(&mut SeededRandom::new(6))))),
        ("negotiate_floor", &mut || INPUTS.negotiate_floor(r1)),
        ("ntlm_client", &mut || drop(black_box(ntlm_alone.client_side()))),
        ("ntlm_client_floor", &mut || INPUTS.client_floor()),
        ("ntlm_server", &mut || drop(black_box(ntlm_alone.server_side()))),
        ("ntlm_server_floor", &mut || INPUTS.server_floor()),
        ("negotiate_client", &mut || drop(black_box(negotiate_alone.client_side()))),
        ("negotiate_client_floor", &mut || INPUTS.negotiate_client_floor(r4)),
        ("negotiate_server", &mut || drop(black_box(negotiate_alone.server_side()))),
        ("negotiate_server_floor", &mut || INPUTS.negotiate_server_floor(r5)),
    ]) {
        return;
    }
    let rows = [
        compare(
            "NTLMv2 handshake (sspi, Package::Ntlm)",
            TARGET,
            &mut || INPUTS.ntlm_floor(),
            &mut || {
                black_box(ntlm.handshake_only(&mut rng));
            },
        ),
        compare(
            "Negotiate handshake (sspi, Package::Negotiate)",
            TARGET,
            &mut || INPUTS.negotiate_floor(&mut rc4),
            &mut || {
                black_box(negotiate.handshake_only(&mut rng));
            },
        ),
        // One side alone against the other's recorded tokens, as a client or a server
        // process runs it: for information (the target is for the full handshake).
        compare("NTLMv2, client side alone", None, &mut || INPUTS.client_floor(), &mut || {
            drop(black_box(ntlm_alone.client_side()))
        }),
        compare("NTLMv2, server side alone", None, &mut || INPUTS.server_floor(), &mut || {
            drop(black_box(ntlm_alone.server_side()))
        }),
        compare(
            "Negotiate, client side alone",
            None,
            &mut || INPUTS.negotiate_client_floor(&mut rc4),
            &mut || drop(black_box(negotiate_alone.client_side())),
        ),
        compare(
            "Negotiate, server side alone",
            None,
            &mut || INPUTS.negotiate_server_floor(&mut rc4),
            &mut || drop(black_box(negotiate_alone.server_side())),
        ),
    ];
    print_table("Handshake", &rows);
    divan::main();
}

#[divan::bench]
fn ntlm(bencher: Bencher) {
    let parties = Parties::new(Package::Ntlm);
    let mut rng = SeededRandom::new(4);
    // Dropped inside the sample (divan defers dropping a returned value): closing the
    // contexts, wiping and freeing their sessions, is part of the handshake, as in the
    // ratio table.
    bencher.bench_local(|| drop(black_box(parties.handshake_only(&mut rng))));
}

#[divan::bench]
fn ntlm_floor(bencher: Bencher) {
    let inputs = &*INPUTS;
    bencher.bench_local(|| inputs.ntlm_floor());
}

#[divan::bench]
fn negotiate(bencher: Bencher) {
    let parties = Parties::new(Package::Negotiate);
    let mut rng = SeededRandom::new(5);
    bencher.bench_local(|| drop(black_box(parties.handshake_only(&mut rng))));
}

#[divan::bench]
fn negotiate_floor(bencher: Bencher) {
    let inputs = &*INPUTS;
    let mut rc4 = Rc4Pair::new();
    bencher.bench_local(|| inputs.negotiate_floor(&mut rc4));
}
