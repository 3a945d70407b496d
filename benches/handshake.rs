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

use common::{FloorInputs, MacKeys, Parties, Rc4Pair, SeededRandom, compare, print_table};
use divan::Bencher;
use sspi_proto::sspi::Package;

static INPUTS: LazyLock<FloorInputs> = LazyLock::new(FloorInputs::capture);

/// The target: ours at least 0.85 of the floor.
const TARGET: f64 = 0.85;

fn main() {
    let ntlm = Parties::new(Package::Ntlm);
    let negotiate = Parties::new(Package::Negotiate);
    let mut rng = SeededRandom::new(3);
    let mut macs = MacKeys::new(&INPUTS);
    let mut rc4 = Rc4Pair::new();
    let (mut rc4_a, mut rc4_b) = (Rc4Pair::new(), Rc4Pair::new());
    if common::profile_mode(&mut [
        ("ntlm", &mut || drop(black_box(ntlm.handshake_only(&mut SeededRandom::new(6))))),
        ("ntlm_floor", &mut || INPUTS.ntlm_floor(&mut rc4_a)),
        ("negotiate", &mut || drop(black_box(negotiate.handshake_only(&mut SeededRandom::new(6))))),
        ("negotiate_floor", &mut || INPUTS.negotiate_floor(&mut macs, &mut rc4_b)),
    ]) {
        return;
    }
    let rows = [
        compare(
            "NTLMv2 handshake (sspi, Package::Ntlm)",
            TARGET,
            &mut || INPUTS.ntlm_floor(&mut rc4),
            &mut || {
                black_box(ntlm.handshake_only(&mut rng));
            },
        ),
        compare(
            "Negotiate handshake (sspi, Package::Negotiate)",
            TARGET,
            &mut || INPUTS.negotiate_floor(&mut macs, &mut rc4),
            &mut || {
                black_box(negotiate.handshake_only(&mut rng));
            },
        ),
    ];
    print_table("Handshake", &rows);
    divan::main();
}

#[divan::bench]
fn ntlm(bencher: Bencher) {
    let parties = Parties::new(Package::Ntlm);
    let mut rng = SeededRandom::new(4);
    bencher.bench_local(|| parties.handshake_only(&mut rng));
}

#[divan::bench]
fn ntlm_floor(bencher: Bencher) {
    let inputs = &*INPUTS;
    let mut rc4 = Rc4Pair::new();
    bencher.bench_local(|| inputs.ntlm_floor(&mut rc4));
}

#[divan::bench]
fn negotiate(bencher: Bencher) {
    let parties = Parties::new(Package::Negotiate);
    let mut rng = SeededRandom::new(5);
    bencher.bench_local(|| parties.handshake_only(&mut rng));
}

#[divan::bench]
fn negotiate_floor(bencher: Bencher) {
    let inputs = &*INPUTS;
    let mut macs = MacKeys::new(inputs);
    let mut rc4 = Rc4Pair::new();
    bencher.bench_local(|| inputs.negotiate_floor(&mut macs, &mut rc4));
}
