//! Message protection on an established NTLMv2 session (KEY_EXCH, ESS, 128-bit): seal +
//! unseal round trips with the in-place API at 64 B, 1 KiB, 16 KiB and 64 KiB; sign + verify
//! at 64 B; wrap + unwrap at 1 KiB; each against its crypto floor (HMAC-MD5 over seq ‖ message,
//! RC4 over the message and the 8-byte checksum, on each side). Prints `ratio = floor / ours`
//! and, when `run.sh` passes OpenSSL's speeds in the environment, the OpenSSL-backed estimate
//! at 64 KiB; then divan's tables.
//!
//! `cargo bench --bench session`; see BENCHMARKS.md.

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
use std::time::Duration;

use common::{Comparison, SealFloor, compare, fmt_duration, print_table, sessions};
use divan::Bencher;
use divan::counter::BytesCount;

/// The target for message calls: ours at least 0.9 of the floor.
const TARGET: f64 = 0.9;
const SIZES: [usize; 4] = [64, 1024, 16 * 1024, 64 * 1024];

fn seal_row(len: usize) -> Comparison {
    let (mut client, mut server) = sessions();
    let mut floor = SealFloor::new();
    let mut ours_buf = vec![0x5a_u8; len];
    let mut floor_buf = vec![0x5a_u8; len];
    compare(
        &format!("seal + unseal {} (in place)", size_name(len)),
        TARGET,
        &mut || floor.seal_unseal(&mut floor_buf),
        &mut || {
            let sig = client.seal_in_place(&mut ours_buf).unwrap();
            server.unseal_in_place(&mut ours_buf, &sig).unwrap();
        },
    )
}

fn size_name(len: usize) -> String {
    if len >= 1024 { format!("{} KiB", len / 1024) } else { format!("{len} B") }
}

/// `BENCH_PROFILE=<case>` (see `common::profile_mode`); `BENCH_LEN` sets the message size.
fn profile() -> bool {
    let len = std::env::var("BENCH_LEN").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let (mut client, mut server) = sessions();
    let (mut signer, mut verifier) = sessions();
    let mut floor = SealFloor::new();
    let mut sign_floor = SealFloor::new();
    let mut buf = vec![0x5a_u8; len];
    let mut floor_buf = buf.clone();
    let msg = buf.clone();
    common::profile_mode(&mut [
        ("seal", &mut || {
            let sig = client.seal_in_place(&mut buf).unwrap();
            server.unseal_in_place(&mut buf, &sig).unwrap();
        }),
        ("seal_floor", &mut || floor.seal_unseal(&mut floor_buf)),
        ("sign", &mut || {
            let sig = signer.sign(&msg).unwrap();
            verifier.verify(&msg, &sig).unwrap();
        }),
        ("sign_floor", &mut || sign_floor.sign_verify(&msg)),
    ])
}

fn main() {
    if profile() {
        return;
    }
    let mut rows: Vec<Comparison> = SIZES.iter().map(|&len| seal_row(len)).collect();

    let (mut client, mut server) = sessions();
    let mut floor = SealFloor::new();
    let msg = [0x5a_u8; 64];
    rows.push(compare("sign + verify 64 B", TARGET, &mut || floor.sign_verify(&msg), &mut || {
        let sig = client.sign(&msg).unwrap();
        server.verify(&msg, &sig).unwrap();
    }));

    let (mut client, mut server) = sessions();
    let mut floor = SealFloor::new();
    let msg = vec![0x5a_u8; 1024];
    let mut floor_buf = msg.clone();
    rows.push(compare(
        "wrap + unwrap 1 KiB (allocating)",
        TARGET,
        &mut || floor.seal_unseal(&mut floor_buf),
        &mut || {
            let token = client.wrap(&msg).unwrap();
            black_box(server.unwrap(&token).unwrap());
        },
    ));
    print_table("Session", &rows);
    openssl_estimate(&rows[3]);
    divan::main();
}

/// `run.sh` exports OpenSSL's `speed` figures (1000s of bytes per second at 64 KiB blocks).
fn openssl_speed(var: &str) -> Option<f64> {
    std::env::var(var).ok()?.parse::<f64>().ok().map(|k| k * 1000.0)
}

/// An OpenSSL-backed seal + unseal of 64 KiB costs, per side, OpenSSL's RC4 over the message
/// (the 8-byte checksum is noise) and OpenSSL's HMAC-MD5 over seq ‖ message.
fn openssl_estimate(row: &Comparison) {
    let (Some(rc4), Some(hmac)) =
        (openssl_speed("OPENSSL_RC4_KBPS"), openssl_speed("OPENSSL_HMAC_MD5_KBPS"))
    else {
        println!(
            "(OPENSSL_RC4_KBPS / OPENSSL_HMAC_MD5_KBPS not set: run benches/run.sh for the OpenSSL comparison)\n"
        );
        return;
    };
    let len = 65536.0;
    let per_side = len / rc4 + (len + 4.0) / hmac;
    let estimate = Duration::from_secs_f64(2.0 * per_side);
    println!("### seal + unseal 64 KiB against an OpenSSL-backed implementation\n");
    println!("| | time | MB/s (payload) |");
    println!("|---|---:|---:|");
    let mbps = |d: Duration| len / d.as_secs_f64() / 1e6;
    println!(
        "| OpenSSL estimate: 2 × (RC4 + HMAC-MD5) | {} | {:.0} |",
        fmt_duration(estimate),
        mbps(estimate)
    );
    println!("| ours | {} | {:.0} |", fmt_duration(row.ours), mbps(row.ours));
    println!(
        "\nours / OpenSSL estimate = {:.3} (≤ 1 means at least as fast)\n",
        row.ours.as_secs_f64() / estimate.as_secs_f64()
    );
}

#[divan::bench(args = SIZES)]
fn seal_unseal(bencher: Bencher, len: usize) {
    let (mut client, mut server) = sessions();
    let mut buf = vec![0x5a_u8; len];
    bencher.counter(BytesCount::new(len)).bench_local(|| {
        let sig = client.seal_in_place(&mut buf).unwrap();
        server.unseal_in_place(&mut buf, &sig).unwrap();
    });
}

#[divan::bench(args = SIZES)]
fn seal_unseal_floor(bencher: Bencher, len: usize) {
    let mut floor = SealFloor::new();
    let mut buf = vec![0x5a_u8; len];
    bencher.counter(BytesCount::new(len)).bench_local(|| floor.seal_unseal(&mut buf));
}

#[divan::bench]
fn sign_verify_64(bencher: Bencher) {
    let (mut client, mut server) = sessions();
    let msg = [0x5a_u8; 64];
    bencher.bench_local(|| {
        let sig = client.sign(&msg).unwrap();
        server.verify(&msg, &sig).unwrap();
    });
}

#[divan::bench]
fn sign_verify_64_floor(bencher: Bencher) {
    let mut floor = SealFloor::new();
    let msg = [0x5a_u8; 64];
    bencher.bench_local(|| floor.sign_verify(&msg));
}

#[divan::bench]
fn wrap_unwrap_1k(bencher: Bencher) {
    let (mut client, mut server) = sessions();
    let msg = vec![0x5a_u8; 1024];
    bencher.counter(BytesCount::new(1024usize)).bench_local(|| {
        let token = client.wrap(&msg).unwrap();
        server.unwrap(&token).unwrap()
    });
}
