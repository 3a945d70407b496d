//! Are the dependencies the bottleneck? RC4 over 64 KiB three ways — `crypto::Rc4` (whatever
//! is in the tree), the `rc4` crate, and a straightforward safe-Rust loop written here —
//! their key schedules, and HMAC-MD5 / MD5 over 64 KiB (the `hmac` / `md-5` crates the
//! library uses). Prints MB/s, next to OpenSSL's when `run.sh` exported its `speed` figures;
//! then divan's tables.
//!
//! `cargo bench --bench primitives`; see BENCHMARKS.md.

// Bench code, not library code: the library-only lints of `[lints.clippy]` do not apply.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use divan::Bencher;
use divan::counter::BytesCount;
use hmac::Mac;
use md5::{Digest, Md5};
use rc4::{KeyInit, StreamCipher};
use sspi_proto::ntlm::crypto::{Rc4, hmac_md5_keyed};

const LEN: usize = 64 * 1024;
const KEY: [u8; 16] = [0x55; 16];

/// The textbook algorithm in plain safe Rust: `u8` indices into a 256-byte array need no
/// bounds checks, and `i`, `j` live in locals for the length of a call.
struct LoopRc4 {
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl LoopRc4 {
    fn new(key: &[u8]) -> Self {
        let mut s = [0u8; 256];
        for (k, slot) in s.iter_mut().enumerate() {
            *slot = k as u8;
        }
        let mut j = 0u8;
        for (i, k) in (0..256).zip(key.iter().cycle()) {
            j = j.wrapping_add(s[i]).wrapping_add(*k);
            s.swap(i, usize::from(j));
        }
        Self { s, i: 0, j: 0 }
    }

    fn apply(&mut self, data: &mut [u8]) {
        let (mut i, mut j) = (self.i, self.j);
        let s = &mut self.s;
        for byte in data {
            i = i.wrapping_add(1);
            let si = s[usize::from(i)];
            j = j.wrapping_add(si);
            let sj = s[usize::from(j)];
            s[usize::from(i)] = sj;
            s[usize::from(j)] = si;
            *byte ^= s[usize::from(si.wrapping_add(sj))];
        }
        self.i = i;
        self.j = j;
    }
}

/// The same with a `u32` state and the keystream XORed 8 bytes at a time: 4× the state
/// (1 KiB), but no partial-register stalls on byte loads and an eighth of the data
/// loads and stores. What a safe-Rust RC4 can reach on this machine.
struct WideRc4 {
    s: [u32; 256],
    i: u8,
    j: u8,
}

impl WideRc4 {
    fn new(key: &[u8]) -> Self {
        let mut s = [0u32; 256];
        for (k, slot) in s.iter_mut().enumerate() {
            *slot = k as u32;
        }
        let mut j = 0u8;
        for (i, k) in (0..256).zip(key.iter().cycle()) {
            j = j.wrapping_add(s[i] as u8).wrapping_add(*k);
            s.swap(i, usize::from(j));
        }
        Self { s, i: 0, j: 0 }
    }

    #[inline(always)]
    fn next(s: &mut [u32; 256], i: &mut u8, j: &mut u8) -> u8 {
        *i = i.wrapping_add(1);
        let si = s[usize::from(*i)];
        *j = j.wrapping_add(si as u8);
        let sj = s[usize::from(*j)];
        s[usize::from(*i)] = sj;
        s[usize::from(*j)] = si;
        s[usize::from((si as u8).wrapping_add(sj as u8))] as u8
    }

    fn apply(&mut self, data: &mut [u8]) {
        let (mut i, mut j) = (self.i, self.j);
        let s = &mut self.s;
        let mut chunks = data.chunks_exact_mut(8);
        for chunk in &mut chunks {
            let mut keystream = [0u8; 8];
            for k in &mut keystream {
                *k = Self::next(s, &mut i, &mut j);
            }
            let mixed =
                u64::from_ne_bytes(chunk.try_into().unwrap()) ^ u64::from_ne_bytes(keystream);
            chunk.copy_from_slice(&mixed.to_ne_bytes());
        }
        for byte in chunks.into_remainder() {
            *byte ^= Self::next(s, &mut i, &mut j);
        }
        self.i = i;
        self.j = j;
    }
}

/// Time of one call: the fastest of 41 batches of at least ~0.5 ms each (on a shared
/// machine the fastest batch is the undisturbed one; see `common::compare`).
fn time(f: &mut dyn FnMut()) -> Duration {
    let mut n = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        if start.elapsed() >= Duration::from_micros(500) || n >= 1 << 20 {
            break;
        }
        n *= 2;
    }
    (0..41)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed() / n
        })
        .min()
        .unwrap()
}

fn openssl_mbps(var: &str) -> Option<f64> {
    std::env::var(var).ok()?.parse::<f64>().ok().map(|k| k / 1000.0)
}

/// The bench's own loops must produce RC4, or their speed means nothing.
fn check_loops() {
    let mut want = vec![0u8; 1003];
    rc4::Rc4::new_from_slice(&KEY).unwrap().apply_keystream(&mut want);
    let mut got = vec![0u8; 1003];
    Rc4::new(&KEY).unwrap().apply(&mut got);
    assert_eq!(got, want, "crypto::Rc4");
    let mut got = vec![0u8; 1003];
    LoopRc4::new(&KEY).apply(&mut got);
    assert_eq!(got, want, "LoopRc4");
    let mut got = vec![0u8; 1003];
    WideRc4::new(&KEY).apply(&mut got);
    assert_eq!(got, want, "WideRc4");
}

fn main() {
    check_loops();
    let mut buf = vec![0x5a_u8; LEN];
    let mut in_tree = Rc4::new(&KEY).unwrap();
    let mut crate_rc4 = rc4::Rc4::new_from_slice(&KEY).unwrap();
    let mut looped = LoopRc4::new(&KEY);
    let mut wide = WideRc4::new(&KEY);
    let signer = hmac_md5_keyed(&KEY);
    let openssl_rc4 = openssl_mbps("OPENSSL_RC4_KBPS");
    let openssl_hmac = openssl_mbps("OPENSSL_HMAC_MD5_KBPS");
    let openssl_md5 = openssl_mbps("OPENSSL_MD5_KBPS");

    let rows: [(&str, Duration, Option<f64>); 6] = [
        ("RC4, `crypto::Rc4` (in the tree)", time(&mut || in_tree.apply(&mut buf)), openssl_rc4),
        ("RC4, `rc4` crate 0.2", time(&mut || crate_rc4.apply_keystream(&mut buf)), openssl_rc4),
        ("RC4, safe-Rust loop in this bench", time(&mut || looped.apply(&mut buf)), openssl_rc4),
        (
            "RC4, safe-Rust loop, `u32` state, 8 B per XOR",
            time(&mut || wide.apply(&mut buf)),
            openssl_rc4,
        ),
        (
            "HMAC-MD5, `hmac` 0.13 + `md-5` 0.11 (pre-keyed clone)",
            time(&mut || {
                let mut mac = signer.clone();
                mac.update(&buf);
                black_box(mac.finalize());
            }),
            openssl_hmac,
        ),
        (
            "MD5, `md-5` 0.11",
            time(&mut || {
                black_box(Md5::digest(&buf));
            }),
            openssl_md5,
        ),
    ];
    println!("\n### Primitives over 64 KiB\n");
    println!("| primitive | time / 64 KiB | MB/s | OpenSSL MB/s | ours / OpenSSL speed |");
    println!("|---|---:|---:|---:|---:|");
    for (name, d, openssl) in &rows {
        let mbps = LEN as f64 / d.as_secs_f64() / 1e6;
        let (o, r) = match openssl {
            Some(o) => (format!("{o:.0}"), format!("{:.2}", mbps / o)),
            None => ("(run.sh)".into(), "".into()),
        };
        println!("| {name} | {:.1} µs | {mbps:.0} | {o} | {r} |", d.as_secs_f64() * 1e6);
    }
    println!("\n### RC4 key schedule (16-byte key)\n");
    println!("| implementation | time |");
    println!("|---|---:|");
    let ks = [
        (
            "`crypto::Rc4::new`",
            time(&mut || {
                black_box(Rc4::new(black_box(&KEY)).unwrap());
            }),
        ),
        (
            "`rc4::Rc4::new_from_slice`",
            time(&mut || {
                black_box(rc4::Rc4::new_from_slice(black_box(&KEY)).unwrap());
            }),
        ),
        (
            "safe-Rust loop",
            time(&mut || {
                black_box(LoopRc4::new(black_box(&KEY)));
            }),
        ),
    ];
    for (name, d) in ks {
        println!("| {name} | {:.0} ns |", d.as_secs_f64() * 1e9);
    }
    println!();
    divan::main();
}

#[divan::bench]
fn rc4_in_tree(bencher: Bencher) {
    let mut rc4 = Rc4::new(&KEY).unwrap();
    let mut buf = vec![0x5a_u8; LEN];
    bencher.counter(BytesCount::new(LEN)).bench_local(|| rc4.apply(&mut buf));
}

#[divan::bench]
fn rc4_crate(bencher: Bencher) {
    let mut rc4 = rc4::Rc4::new_from_slice(&KEY).unwrap();
    let mut buf = vec![0x5a_u8; LEN];
    bencher.counter(BytesCount::new(LEN)).bench_local(|| rc4.apply_keystream(&mut buf));
}

#[divan::bench]
fn rc4_loop(bencher: Bencher) {
    let mut rc4 = LoopRc4::new(&KEY);
    let mut buf = vec![0x5a_u8; LEN];
    bencher.counter(BytesCount::new(LEN)).bench_local(|| rc4.apply(&mut buf));
}

#[divan::bench]
fn rc4_loop_u32(bencher: Bencher) {
    let mut rc4 = WideRc4::new(&KEY);
    let mut buf = vec![0x5a_u8; LEN];
    bencher.counter(BytesCount::new(LEN)).bench_local(|| rc4.apply(&mut buf));
}

#[divan::bench]
fn hmac_md5(bencher: Bencher) {
    let signer = hmac_md5_keyed(&KEY);
    let buf = vec![0x5a_u8; LEN];
    bencher.counter(BytesCount::new(LEN)).bench_local(|| {
        let mut mac = signer.clone();
        mac.update(&buf);
        mac.finalize()
    });
}

#[divan::bench]
fn md5(bencher: Bencher) {
    let buf = vec![0x5a_u8; LEN];
    bencher.counter(BytesCount::new(LEN)).bench_local(|| Md5::digest(&buf));
}
