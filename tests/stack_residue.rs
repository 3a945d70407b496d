//! Making credentials leaves no copy of the NT hash on the stack: the keys are derived out
//! of line and the stack those frames used is overwritten (`creds::wipe_stack_below`).
//!
//! Its own test binary: it reads this thread's dead stack through `/proc/self/mem` (Linux),
//! which needs nothing else running on the thread between the two calls.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]

use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;

use sspi_proto::Credentials;
use sspi_proto::ntlm::crypto::{NtHash, ntowf_v2};

const PASSWORD: &str = "Stack residue test password";
const SPAN: usize = 32 * 1024;

#[inline(never)]
fn make() -> Credentials {
    Credentials::password_in_domain(black_box("Domain"), black_box("User"), black_box(PASSWORD))
}

/// How many copies of `needle` lie in the `SPAN` bytes of stack below this frame.
#[inline(never)]
fn copies_below(mem: &File, needle: &[u8; 16]) -> usize {
    let marker = 0u8;
    let top = black_box(&marker) as *const u8 as u64;
    let mut below = vec![0u8; SPAN];
    mem.read_exact_at(&mut below, top - SPAN as u64).unwrap();
    below.windows(16).filter(|w| w == needle).count()
}

/// Leaves a copy of `value` in a dead frame, as a derivation that returns by value does,
/// below a 2 KiB frame (deeper than the scan's own frame and the read it makes).
#[inline(never)]
fn leave_copy(value: &[u8; 16]) {
    let pad = [0u8; 2048];
    black_box(&pad);
    copy_in_frame(value);
}

#[inline(never)]
fn copy_in_frame(value: &[u8; 16]) {
    let copy = *value;
    black_box(&copy);
}

#[test]
fn making_credentials_leaves_no_nt_hash_on_the_stack() {
    let hash = NtHash::from_password(PASSWORD);
    let response_key = ntowf_v2(&hash, "User", "Domain");
    let mem = File::open("/proc/self/mem").unwrap();

    // The scan sees what a returned frame leaves behind.
    leave_copy(hash.as_bytes());
    assert!(copies_below(&mem, hash.as_bytes()) > 0, "the scan finds a planted copy");

    let creds = black_box(make());
    let left = (copies_below(&mem, hash.as_bytes()), copies_below(&mem, response_key.as_bytes()));
    assert_eq!(creds.nt_hash_value().unwrap(), hash);
    assert_eq!(left, (0, 0), "copies of the NT hash and NTOWFv2 left on the stack");
}
