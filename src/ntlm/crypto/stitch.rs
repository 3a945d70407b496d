//! Independent MD5 and RC4 work run side by side ("stitched"), with the crate's own MD5.
//!
//! MD5 and RC4 are each bound by the latency of one long dependency chain (MD5's additions,
//! RC4's `j` index through the state), so run one after the other they leave most of the
//! CPU's execution units idle; two independent chains interleaved step by step take little
//! longer than one. `md-5` and `hmac` expose no chaining values, hence the hand-written MD5
//! compression (RFC 1321); its output is checked against those crates in the tests, and the
//! BENCHMARKS.md figures are the reason it exists. Three uses:
//!
//! - SEAL and UNSEAL ([`hmac_md5_rc4`]): HMAC-MD5 over `seq ‖ message` with each MD5 step
//!   followed by one RC4 byte step of another 64 bytes (the technique of OpenSSL's
//!   `rc4-md5` assembly, in safe Rust), for a message that is one contiguous buffer, signed
//!   and encrypted as a whole; every other layout takes the session engine's generic path.
//! - The client's AUTHENTICATE: NTProofStr and the SessionBaseKey as one lane of MD5
//!   compressions, the MIC's first blocks as another, run two at a time
//!   ([`proof_beside_mic`]); then the MIC beside the RC4 key schedule that encrypts the
//!   session key ([`rekey_beside_hmac`]).
//! - [`HmacMd5Key`]: HMAC-MD5 keyed as two chaining values, its two pad blocks compressed
//!   side by side, for the sessions' one-pass path and `ResponseMac`.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{Rc4, wipe};

/// MD5's initial chaining value (RFC 1321 §3.3).
const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// Work run after each step of an MD5 compression (`N` is the step, 0 to 63): nothing, one
/// RC4 byte of a 64-byte chunk, one step of an RC4 key schedule, or the same step of a
/// second MD5 compression.
trait Beside {
    fn byte<const N: usize>(&mut self);
}

/// MD5 alone.
struct Nothing;

impl Beside for Nothing {
    #[inline(always)]
    fn byte<const N: usize>(&mut self) {}
}

/// RC4 over a 64-byte chunk, one keystream byte per MD5 step, XORed into the chunk eight
/// bytes at a time.
///
/// The keystream is gathered in a register and applied with one 8-byte read-modify-write
/// per eight steps. XORing each byte into the chunk as it came (64 single-byte
/// read-modify-writes per block beside RC4's own stores to its state) made the stitched
/// path 2.8 times slower than the two passes run apart on AMD Zen 5: 490 µs against 104 µs
/// now for one 64 KiB SEAL (BENCHMARKS.md).
struct Rc4Chunk<'a> {
    s: &'a mut [u32; 256],
    i: u8,
    j: u8,
    /// Keystream bytes of the current eight, in little-endian order.
    ks: u64,
    chunk: &'a mut [u8; 64],
}

impl Beside for Rc4Chunk<'_> {
    #[inline(always)]
    fn byte<const N: usize>(&mut self) {
        let k = Rc4::prga(self.s, &mut self.i, &mut self.j);
        // N is a constant of each step: the shift, the test and the slice fold away.
        self.ks |= u64::from(k) << ((N & 7) << 3);
        if N & 7 == 7 {
            let word = self.chunk.get_mut(N & !7..).and_then(|w| w.first_chunk_mut::<8>());
            if let Some(word) = word {
                *word = (u64::from_le_bytes(*word) ^ self.ks).to_le_bytes();
            }
            self.ks = 0;
        }
    }
}

/// The RC4 key schedule of a 16-byte key, one of its 256 steps per MD5 step until it is
/// done, then nothing.
struct KeySchedule<'a> {
    s: &'a mut [u32; 256],
    key: &'a [u8; 16],
    /// The next step, or `None` once step 255 has run.
    next: Option<u8>,
    j: u8,
}

impl KeySchedule<'_> {
    #[inline(always)]
    fn step(&mut self) {
        if let Some(i) = self.next {
            Rc4::schedule_step(self.s, self.key, usize::from(i), &mut self.j);
            self.next = i.checked_add(1);
        }
    }
}

impl Beside for KeySchedule<'_> {
    #[inline(always)]
    fn byte<const N: usize>(&mut self) {
        self.step();
    }
}

/// The 64-byte blocks of the concatenation of `parts`, copied out one at a time; what is
/// left at the end (fewer than 64 bytes) stays for the caller.
struct Blocks<'a> {
    parts: &'a [&'a [u8]],
    /// Bytes of `parts` not yet handed out.
    left: usize,
    /// Where the next block starts: the part, and the offset in it.
    part: usize,
    at: usize,
}

impl<'a> Blocks<'a> {
    fn new(parts: &'a [&'a [u8]]) -> Self {
        let left = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
        Self { parts, left, part: 0, at: 0 }
    }

    /// Copies up to `out.len()` of the next bytes into `out` and returns how many.
    fn take(&mut self, out: &mut [u8]) -> usize {
        let mut filled = 0usize;
        while filled < out.len() {
            let Some(part) = self.parts.get(self.part) else { break };
            let src = part.get(self.at..).unwrap_or_default();
            let n = src.len().min(out.len().saturating_sub(filled));
            if let (Some(dst), Some(src)) =
                (out.get_mut(filled..filled.saturating_add(n)), src.get(..n))
            {
                dst.copy_from_slice(src);
            }
            filled = filled.saturating_add(n);
            self.at = self.at.saturating_add(n);
            if self.at >= part.len() {
                (self.part, self.at) = (self.part.saturating_add(1), 0);
            }
        }
        self.left = self.left.saturating_sub(filled);
        filled
    }

    /// The next whole block into `out`, if 64 bytes are left.
    fn next_block(&mut self, out: &mut [u8; 64]) -> bool {
        self.left >= 64 && self.take(out) == 64
    }
}

/// A second MD5 compression, one step per step of the one it runs beside.
struct Md5Beside<'a> {
    work: [u32; 4],
    block: &'a [u8; 64],
}

impl Beside for Md5Beside<'_> {
    #[inline(always)]
    fn byte<const N: usize>(&mut self) {
        let [a, b, c, d] = &mut self.work;
        // The step updates a, d, c, b in turn, as in `compress`.
        match N % 4 {
            0 => md5_step::<N>(a, *b, *c, *d, self.block),
            1 => md5_step::<N>(d, *a, *b, *c, self.block),
            2 => md5_step::<N>(c, *d, *a, *b, self.block),
            _ => md5_step::<N>(b, *c, *d, *a, self.block),
        }
    }
}

/// Two MD5 compressions side by side: `x` over `x_block`, `y` over `y_block`. Each is one
/// chain of dependent additions; interleaved, the CPU runs the two chains at once.
#[inline(always)]
fn compress2(x: &mut [u32; 4], x_block: &[u8; 64], y: &mut [u32; 4], y_block: &[u8; 64]) {
    let mut side = Md5Beside { work: *y, block: y_block };
    compress(x, x_block, &mut side);
    for (s, v) in y.iter_mut().zip(side.work) {
        *s = s.wrapping_add(v);
    }
}

/// RFC 1321 §3.4, step by step: the message word each step adds, its rotation and its
/// constant (the integer part of 2^32 · |sin(step + 1)|).
const STEPS: [(usize, u32, u32); 64] = [
    (0, 7, 0xd76a_a478),
    (1, 12, 0xe8c7_b756),
    (2, 17, 0x2420_70db),
    (3, 22, 0xc1bd_ceee),
    (4, 7, 0xf57c_0faf),
    (5, 12, 0x4787_c62a),
    (6, 17, 0xa830_4613),
    (7, 22, 0xfd46_9501),
    (8, 7, 0x6980_98d8),
    (9, 12, 0x8b44_f7af),
    (10, 17, 0xffff_5bb1),
    (11, 22, 0x895c_d7be),
    (12, 7, 0x6b90_1122),
    (13, 12, 0xfd98_7193),
    (14, 17, 0xa679_438e),
    (15, 22, 0x49b4_0821),
    (1, 5, 0xf61e_2562),
    (6, 9, 0xc040_b340),
    (11, 14, 0x265e_5a51),
    (0, 20, 0xe9b6_c7aa),
    (5, 5, 0xd62f_105d),
    (10, 9, 0x0244_1453),
    (15, 14, 0xd8a1_e681),
    (4, 20, 0xe7d3_fbc8),
    (9, 5, 0x21e1_cde6),
    (14, 9, 0xc337_07d6),
    (3, 14, 0xf4d5_0d87),
    (8, 20, 0x455a_14ed),
    (13, 5, 0xa9e3_e905),
    (2, 9, 0xfcef_a3f8),
    (7, 14, 0x676f_02d9),
    (12, 20, 0x8d2a_4c8a),
    (5, 4, 0xfffa_3942),
    (8, 11, 0x8771_f681),
    (11, 16, 0x6d9d_6122),
    (14, 23, 0xfde5_380c),
    (1, 4, 0xa4be_ea44),
    (4, 11, 0x4bde_cfa9),
    (7, 16, 0xf6bb_4b60),
    (10, 23, 0xbebf_bc70),
    (13, 4, 0x289b_7ec6),
    (0, 11, 0xeaa1_27fa),
    (3, 16, 0xd4ef_3085),
    (6, 23, 0x0488_1d05),
    (9, 4, 0xd9d4_d039),
    (12, 11, 0xe6db_99e5),
    (15, 16, 0x1fa2_7cf8),
    (2, 23, 0xc4ac_5665),
    (0, 6, 0xf429_2244),
    (7, 10, 0x432a_ff97),
    (14, 15, 0xab94_23a7),
    (5, 21, 0xfc93_a039),
    (12, 6, 0x655b_59c3),
    (3, 10, 0x8f0c_cc92),
    (10, 15, 0xffef_f47d),
    (1, 21, 0x8584_5dd1),
    (8, 6, 0x6fa8_7e4f),
    (15, 10, 0xfe2c_e6e0),
    (6, 15, 0xa301_4314),
    (13, 21, 0x4e08_11a1),
    (4, 6, 0xf753_7e82),
    (11, 10, 0xbd3a_f235),
    (2, 15, 0x2ad7_d2bb),
    (9, 21, 0xeb86_d391),
];

/// Step `N` of an MD5 compression: `a` takes its new value from `b`, `c`, `d` and the
/// step's word of `block`. `N` is a constant wherever this is called, so the round
/// function, the table entry and the word's offset fold away.
#[inline(always)]
fn md5_step<const N: usize>(a: &mut u32, b: u32, c: u32, d: u32, block: &[u8; 64]) {
    let (k, s, t) = STEPS.get(N).copied().unwrap_or_default();
    let f = match N / 16 {
        0 => d ^ (b & (c ^ d)),
        // (b & d) | (c & !d), with the OR as an addition (the two never share a bit): two
        // operations after `b` is known instead of three for c ^ (d & (b ^ c)).
        1 => (b & d).wrapping_add(c & !d),
        2 => b ^ c ^ d,
        _ => c ^ (b | !d),
    };
    *a = a
        .wrapping_add(f)
        .wrapping_add(word(block, k))
        .wrapping_add(t)
        .rotate_left(s)
        .wrapping_add(b);
}

/// Little-endian word `k` of a 64-byte block (`k` < 16 and constant where it is called, so
/// the range check folds away).
#[inline(always)]
fn word(block: &[u8; 64], k: usize) -> u32 {
    let at = k.saturating_mul(4);
    let bytes = block.get(at..at.saturating_add(4)).and_then(|b| <[u8; 4]>::try_from(b).ok());
    u32::from_le_bytes(bytes.unwrap_or_default())
}

/// The MD5 compression function over one 64-byte block, with one step of `beside` after
/// each of its 64 steps. The message words are read from the block where they are needed
/// (the loads compile to plain 32-bit loads): no copy of them is made that would have to be
/// wiped — a wiped word array costs a quarter of the stitched path's speed, as the wipes
/// pin it to memory.
#[inline(always)]
fn compress<B: Beside>(state: &mut [u32; 4], block: &[u8; 64], beside: &mut B) {
    let [mut a, mut b, mut c, mut d] = *state;
    // Four steps: each updates the next of a, d, c, b in turn.
    macro_rules! four {
        ($n:literal) => {
            md5_step::<$n>(&mut a, b, c, d, block);
            beside.byte::<$n>();
            md5_step::<{ $n + 1 }>(&mut d, a, b, c, block);
            beside.byte::<{ $n + 1 }>();
            md5_step::<{ $n + 2 }>(&mut c, d, a, b, block);
            beside.byte::<{ $n + 2 }>();
            md5_step::<{ $n + 3 }>(&mut b, c, d, a, block);
            beside.byte::<{ $n + 3 }>();
        };
    }
    four!(0);
    four!(4);
    four!(8);
    four!(12);
    four!(16);
    four!(20);
    four!(24);
    four!(28);
    four!(32);
    four!(36);
    four!(40);
    four!(44);
    four!(48);
    four!(52);
    four!(56);
    four!(60);
    for (s, v) in state.iter_mut().zip([a, b, c, d]) {
        *s = s.wrapping_add(v);
    }
}

/// An HMAC-MD5 key as the two chaining values after the padded key blocks (RFC 2104):
/// MD5(K ⊕ ipad) and MD5(K ⊕ opad), each one compression from the IV.
#[derive(Clone)]
pub(crate) struct HmacMd5Key {
    inner: [u32; 4],
    outer: [u32; 4],
}

impl Zeroize for HmacMd5Key {
    fn zeroize(&mut self) {
        wipe(&mut self.inner);
        wipe(&mut self.outer);
    }
}

zeroize_on_drop!(HmacMd5Key);

impl HmacMd5Key {
    /// Keys HMAC-MD5 with `key`: its two padded blocks, compressed side by side (each
    /// compression is one chain of dependent additions; two at once keep more of the CPU
    /// busy).
    pub(crate) fn new(key: &[u8; 16]) -> Self {
        let mut pads = [[0u8; 64]; 2];
        let [inner_pad, outer_pad] = &mut pads;
        pad_into(inner_pad, key, 0x36);
        pad_into(outer_pad, key, 0x5c);
        let (mut inner, mut outer) = (IV, IV);
        compress2(&mut inner, inner_pad, &mut outer, outer_pad);
        for pad in &mut pads {
            wipe(pad);
        }
        Self { inner, outer }
    }
}

/// K ⊕ `pad` repeated (RFC 2104's ipad 0x36, opad 0x5c) into `block`, for the caller to wipe.
fn pad_into(block: &mut [u8; 64], key: &[u8; 16], pad: u8) {
    *block = [pad; 64];
    for (b, k) in block.iter_mut().zip(key) {
        *b ^= k;
    }
}

/// HMAC-MD5 partway through its message: the inner chaining value after the whole blocks
/// absorbed so far, the block in progress, and the outer chaining value to finish with.
pub(crate) struct HmacMd5Stream {
    inner: [u32; 4],
    outer: [u32; 4],
    block: [u8; 64],
    /// Bytes of `block` in use (always < 64 between calls).
    filled: usize,
    /// Message bytes absorbed, the key block not counted.
    length: u64,
}

impl Zeroize for HmacMd5Stream {
    fn zeroize(&mut self) {
        wipe(&mut self.inner);
        wipe(&mut self.outer);
        wipe(&mut self.block);
        self.filled = 0;
        self.length = 0;
    }
}

zeroize_on_drop!(HmacMd5Stream);

impl HmacMd5Stream {
    /// A new message under a key already keyed.
    pub(crate) fn resume(key: &HmacMd5Key) -> Self {
        Self { inner: key.inner, outer: key.outer, block: [0; 64], filled: 0, length: 0 }
    }

    /// Absorbs `data`, with `beside` running alongside each block compressed.
    fn update_with<B: Beside>(&mut self, mut data: &[u8], beside: &mut B) {
        self.length = self.length.wrapping_add(data.len() as u64);
        if self.filled > 0 {
            let take = data.len().min(64usize.saturating_sub(self.filled));
            let (head, rest) = data.split_at(take);
            set_bytes(&mut self.block, self.filled, head);
            self.filled = self.filled.saturating_add(take);
            data = rest;
            if self.filled < 64 {
                return;
            }
            compress(&mut self.inner, &self.block, beside);
            self.filled = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for block in blocks.by_ref() {
            compress(&mut self.inner, block.try_into().unwrap_or(&[0; 64]), beside);
        }
        let rest = blocks.remainder();
        set_bytes(&mut self.block, 0, rest);
        self.filled = rest.len();
    }

    /// Absorbs `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.update_with(data, &mut Nothing);
    }

    /// The MAC of everything absorbed.
    pub(crate) fn finish(self) -> [u8; 16] {
        let mut inner = self.inner;
        let tail = self.block.get(..self.filled).unwrap_or_default();
        pad_final(&mut inner, tail, self.length.saturating_add(64));
        let mac = outer_digest(self.outer, &inner);
        wipe(&mut inner);
        mac
    }
}

/// Absorbs the last bytes of a message (`tail`, fewer than 64) and MD5's padding for a
/// message of `message_len` bytes in all: one or two compressions.
fn pad_final(state: &mut [u32; 4], tail: &[u8], message_len: u64) {
    let mut last = [0u8; 128];
    let blocks = padded_end(&mut last, tail, message_len);
    for block in last.chunks_exact(64).take(blocks) {
        compress(state, block.try_into().unwrap_or(&[0; 64]), &mut Nothing);
    }
    wipe(&mut last);
}

/// Writes `tail` (the last bytes of a message, fewer than 64) and MD5's padding for a
/// message of `message_len` bytes in all into `last`, which must be zero; returns how many of
/// its two blocks that takes.
fn padded_end(last: &mut [u8; 128], tail: &[u8], message_len: u64) -> usize {
    let used = tail.len().min(63);
    if let (Some(dst), Some(src)) = (last.get_mut(..used), tail.get(..used)) {
        dst.copy_from_slice(src);
    }
    if let Some(b) = last.get_mut(used) {
        *b = 0x80;
    }
    let (blocks, end): (usize, usize) = if used < 56 { (1, 64) } else { (2, 128) };
    let bits = message_len.saturating_mul(8).to_le_bytes();
    if let Some(dst) = last.get_mut(end.saturating_sub(8)..end) {
        dst.copy_from_slice(&bits);
    }
    blocks
}

/// HMAC's outer hash: MD5(K ⊕ opad ‖ inner digest), one block from the kept chaining value.
fn outer_digest(outer_chain: [u32; 4], inner: &[u32; 4]) -> [u8; 16] {
    let mut outer = outer_block(inner);
    let mut mac = outer_chain;
    compress(&mut mac, &outer, &mut Nothing);
    wipe(&mut outer);
    digest_bytes(&mac)
}

/// The outer hash's one block: the inner digest, padded as 16 bytes after a 64-byte block.
fn outer_block(inner: &[u32; 4]) -> [u8; 64] {
    let mut outer = [0u8; 64];
    for (dst, src) in outer.iter_mut().zip(inner.iter().flat_map(|w| w.to_le_bytes())) {
        *dst = src;
    }
    outer[16] = 0x80;
    outer[56..].copy_from_slice(&((64u64 + 16) * 8).to_le_bytes());
    outer
}

/// A chaining value as MD5's output bytes.
fn digest_bytes(state: &[u32; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (dst, src) in out.iter_mut().zip(state.iter().flat_map(|w| w.to_le_bytes())) {
        *dst = src;
    }
    out
}

/// Keys `rc4` with the 16-byte `rc4_key` while `mac` absorbs `parts`: two computations
/// that do not depend on each other, each bound by the latency of its own chain (RC4's `j`
/// through the state, MD5's additions), run step for step side by side. `rc4` is keyed
/// exactly as by [`Rc4::rekey`]`(rc4_key)`.
pub(crate) fn rekey_beside_hmac(
    rc4: &mut Rc4,
    rc4_key: &[u8; 16],
    mac: &mut HmacMd5Stream,
    parts: &[&[u8]],
) {
    rc4.begin_schedule();
    let mut schedule = KeySchedule { s: &mut rc4.s, key: rc4_key, next: Some(0), j: 0 };
    for part in parts {
        mac.update_with(part, &mut schedule);
    }
    // Fewer than four blocks of MD5 leave steps of the schedule to run alone.
    while schedule.next.is_some() {
        schedule.step();
    }
    rc4.end_schedule();
}

/// A sequence of MD5 compressions, each handed out once the one before it is done: the
/// block (written into the caller's buffer) and the chaining value it updates.
trait Lane {
    fn job(&mut self, block: &mut [u8; 64]) -> Option<&mut [u32; 4]>;
}

/// Runs two lanes to their end, a compression of each side by side while both have one
/// (`compress2`): two chains of dependent additions at once.
fn run_lanes(x: &mut impl Lane, y: &mut impl Lane) {
    let (mut x_block, mut y_block) = ([0u8; 64], [0u8; 64]);
    loop {
        match (x.job(&mut x_block), y.job(&mut y_block)) {
            (Some(x), Some(y)) => compress2(x, &x_block, y, &y_block),
            (Some(x), None) => compress(x, &x_block, &mut Nothing),
            (None, Some(y)) => compress(y, &y_block, &mut Nothing),
            (None, None) => break,
        }
    }
    wipe(&mut x_block);
    wipe(&mut y_block);
}

/// Where an [`HmacLane`] stands: the next compression it hands out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HmacStage {
    /// The message's whole blocks.
    Message,
    /// Block `.0` of the padded end (`.1` blocks in all).
    End(usize, usize),
    /// The outer block.
    Outer,
    /// Nothing: the MAC is ready.
    Done,
}

/// HMAC-MD5 under a keyed [`HmacMd5Key`] over a message, as a lane.
struct HmacLane<'a> {
    inner: [u32; 4],
    outer: [u32; 4],
    source: Blocks<'a>,
    length: u64,
    /// The message's padded end, once its whole blocks are out.
    end: [u8; 128],
    stage: HmacStage,
}

impl Zeroize for HmacLane<'_> {
    fn zeroize(&mut self) {
        wipe(&mut self.inner);
        wipe(&mut self.outer);
        wipe(&mut self.end);
    }
}

zeroize_on_drop!(HmacLane<'_>);

impl<'a> HmacLane<'a> {
    /// HMAC under `key` over the concatenation of `parts`.
    fn new(key: &HmacMd5Key, parts: &'a [&'a [u8]]) -> Self {
        let source = Blocks::new(parts);
        let length = source.left as u64;
        let (inner, outer) = (key.inner, key.outer);
        Self { inner, outer, source, length, end: [0; 128], stage: HmacStage::Message }
    }

    /// HMAC under `key` over `message` of at most 55 bytes (one padded block; the 16-byte
    /// SessionBaseKey input here): its padded end at once.
    fn short(key: &HmacMd5Key, message: &[u8]) -> HmacLane<'static> {
        let mut lane = HmacLane::new(key, &[]);
        lane.length = message.len() as u64;
        let blocks = padded_end(&mut lane.end, message, lane.length.saturating_add(64));
        lane.stage = HmacStage::End(0, blocks);
        lane
    }

    /// The MAC, once the lane is done; `None` before (the outer chaining value is then the
    /// keyed state, not a MAC).
    fn mac(&self) -> Option<[u8; 16]> {
        (self.stage == HmacStage::Done).then(|| digest_bytes(&self.outer))
    }
}

impl Lane for HmacLane<'_> {
    fn job(&mut self, block: &mut [u8; 64]) -> Option<&mut [u32; 4]> {
        loop {
            match self.stage {
                HmacStage::Message => {
                    if self.source.next_block(block) {
                        return Some(&mut self.inner);
                    }
                    let mut tail = [0u8; 64];
                    let n = self.source.take(&mut tail);
                    let total = self.length.saturating_add(64);
                    let blocks =
                        padded_end(&mut self.end, tail.get(..n).unwrap_or_default(), total);
                    wipe(&mut tail);
                    self.stage = HmacStage::End(0, blocks);
                }
                HmacStage::End(k, blocks) if k < blocks => {
                    let from = self.end.get(k.saturating_mul(64)..).unwrap_or_default();
                    set_bytes(block, 0, from);
                    self.stage = HmacStage::End(k.saturating_add(1), blocks);
                    return Some(&mut self.inner);
                }
                HmacStage::End(..) => self.stage = HmacStage::Outer,
                HmacStage::Outer => {
                    *block = outer_block(&self.inner);
                    self.stage = HmacStage::Done;
                    return Some(&mut self.outer);
                }
                HmacStage::Done => return None,
            }
        }
    }
}

/// NTProofStr and then the SessionBaseKey, one lane: HMAC-MD5 under ResponseKeyNT over
/// ServerChallenge ‖ blob, then under the same key over that proof.
struct ProofLane<'a> {
    key: &'a HmacMd5Key,
    proof: HmacLane<'a>,
    session_key: Option<HmacLane<'static>>,
}

impl Lane for ProofLane<'_> {
    fn job(&mut self, block: &mut [u8; 64]) -> Option<&mut [u32; 4]> {
        if self.proof.stage != HmacStage::Done {
            return self.proof.job(block);
        }
        let session_key = match &mut self.session_key {
            Some(lane) => lane,
            empty => empty.insert(HmacLane::short(self.key, &self.proof.mac()?)),
        };
        session_key.job(block)
    }
}

/// HMAC-MD5 keyed and absorbing a message's whole blocks, as a lane; the rest waits in the
/// [`HmacMd5Stream`] it then makes. Its pad blocks are written straight into the block the
/// lane runner hands it (and wipes), never kept.
struct StartLane<'a> {
    key: &'a [u8; 16],
    inner: [u32; 4],
    outer: [u32; 4],
    source: Blocks<'a>,
    length: u64,
    /// How many of the two pad blocks have been handed out.
    pads_out: u8,
}

impl Zeroize for StartLane<'_> {
    fn zeroize(&mut self) {
        wipe(&mut self.inner);
        wipe(&mut self.outer);
    }
}

zeroize_on_drop!(StartLane<'_>);

impl<'a> StartLane<'a> {
    fn new(key: &'a [u8; 16], parts: &'a [&'a [u8]]) -> Self {
        let source = Blocks::new(parts);
        let length = source.left as u64;
        Self { key, inner: IV, outer: IV, source, length, pads_out: 0 }
    }

    /// The stream, with the bytes after the last whole block waiting in it.
    fn stream(&mut self) -> HmacMd5Stream {
        let (inner, outer, length) = (self.inner, self.outer, self.length);
        let mut stream = HmacMd5Stream { inner, outer, block: [0; 64], filled: 0, length };
        stream.filled = self.source.take(&mut stream.block);
        stream
    }
}

impl Lane for StartLane<'_> {
    fn job(&mut self, block: &mut [u8; 64]) -> Option<&mut [u32; 4]> {
        match self.pads_out {
            0 => {
                pad_into(block, self.key, 0x36);
                self.pads_out = 1;
                Some(&mut self.inner)
            }
            1 => {
                pad_into(block, self.key, 0x5c);
                self.pads_out = 2;
                Some(&mut self.outer)
            }
            _ => self.source.next_block(block).then_some(&mut self.inner),
        }
    }
}

/// NTProofStr (HMAC-MD5 under `key` over ServerChallenge ‖ blob, the concatenation of
/// `parts`) and the SessionBaseKey (under `key` over that proof), while the MIC is keyed
/// with `mic_key` and absorbs `mic_parts`: two chains of MACs that do not depend on each
/// other, their compressions run side by side. Returns the proof, the session base key
/// and the MIC in progress (`None` only if a lane stopped early, which never happens).
pub(crate) fn proof_beside_mic(
    key: &HmacMd5Key,
    parts: &[&[u8]],
    mic_key: &[u8; 16],
    mic_parts: &[&[u8]],
) -> Option<([u8; 16], [u8; 16], HmacMd5Stream)> {
    let mut proof = ProofLane { key, proof: HmacLane::new(key, parts), session_key: None };
    let mut mic = StartLane::new(mic_key, mic_parts);
    run_lanes(&mut proof, &mut mic);
    // Both lanes ran to their end, so both MACs are there; if not, nothing is returned.
    let session_key = proof.session_key.as_ref().and_then(HmacLane::mac)?;
    Some((proof.proof.mac()?, session_key, mic.stream()))
}

/// Which way the message goes through RC4: the MAC always covers the plaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// MAC the plaintext, then encrypt it.
    Seal,
    /// Decrypt, then MAC the plaintext.
    Unseal,
}

/// `src` copied into `block` from `at` on (as much as fits).
fn set_bytes(block: &mut [u8; 64], at: usize, src: &[u8]) {
    let end = at.saturating_add(src.len()).min(64);
    if let (Some(dst), Some(src)) = (block.get_mut(at..end), src.get(..end.saturating_sub(at))) {
        dst.copy_from_slice(src);
    }
}

/// `data[a]` to read and `data[b]` to write, for two ranges with `a` wholly before `b`
/// (both with `start <= end`, as `span` makes them); an empty `a` (or one that does not fit)
/// gives `None` for the first, and the second is then simply `data[b]`.
fn split_two(
    data: &mut [u8],
    a: core::ops::Range<usize>,
    b: core::ops::Range<usize>,
) -> (Option<&[u8]>, Option<&mut [u8]>) {
    if a.is_empty() || a.end > b.start || b.start > data.len() {
        return (None, data.get_mut(b));
    }
    let (front, back) = data.split_at_mut(b.start);
    (front.get(a), back.get_mut(..b.end.saturating_sub(b.start)))
}

/// RC4 over `bytes` (when present) outside the stitched steps.
fn rc4_range(s: &mut [u32; 256], bytes: Option<&mut [u8]>, i: &mut u8, j: &mut u8) {
    for b in bytes.unwrap_or_default() {
        *b ^= Rc4::prga(s, i, j);
    }
}

/// HMAC-MD5(key, `seq` ‖ plaintext) while RC4 encrypts (`Seal`) or decrypts (`Unseal`)
/// `data` in place with `rc4`; returns the MAC. The keystream is used exactly as
/// `rc4.apply(data)` would use it, so the caller continues with the checksum as usual.
pub(crate) fn hmac_md5_rc4(
    key: &HmacMd5Key,
    seq: u32,
    data: &mut [u8],
    rc4: &mut Rc4,
    direction: Direction,
) -> [u8; 16] {
    let mut state = key.inner;
    // The MAC input is `seq ‖ data` in 64-byte blocks: block 0 is `seq` and the first 60
    // bytes, block k > 0 is data[64k - 4 .. 64k + 60].
    let len = data.len();
    let span = |k: usize| {
        let start = k.saturating_mul(64).saturating_sub(4);
        let end = k.saturating_add(1).saturating_mul(64).saturating_sub(4).min(len);
        start..end.max(start)
    };
    let blocks = len.saturating_add(4) / 64;
    let (mut i, mut j) = (rc4.i, rc4.j);
    // Unseal decrypts one block ahead of the MAC: block 0 now, block k + 1 beside block k.
    if direction == Direction::Unseal {
        rc4_range(&mut rc4.s, data.get_mut(span(0)), &mut i, &mut j);
    }
    let mut block = [0u8; 64];
    for k in 0..blocks {
        let range = span(k);
        let rc4_span = match direction {
            Direction::Seal => range.clone(),
            Direction::Unseal => span(k.saturating_add(1)),
        };
        // Seal encrypts the block's own bytes while hashing them, so it hashes a copy, and
        // so does block 0 (it starts with `seq`); Unseal hashes its later blocks where they
        // lie, decrypted one step earlier.
        let in_place = direction == Direction::Unseal && k > 0;
        let mac_input = if in_place {
            range
        } else {
            let src = data.get(range).unwrap_or_default();
            if k == 0 {
                set_bytes(&mut block, 0, &seq.to_le_bytes());
                set_bytes(&mut block, 4, src);
            } else {
                set_bytes(&mut block, 0, src);
            }
            0..0
        };
        let (hashed, encrypted) = split_two(data, mac_input, rc4_span.clone());
        // Only Seal and Unseal's block 0 hash the copy; a block hashed in place is always
        // a whole 64 bytes of `data` (k < blocks), so the copy is never a stale stand-in.
        debug_assert!(hashed.is_some() || !in_place);
        let hashed: &[u8; 64] = hashed.and_then(|h| h.try_into().ok()).unwrap_or(&block);
        match encrypted.and_then(|c| <&mut [u8; 64]>::try_from(c).ok()) {
            Some(chunk) => {
                let mut side = Rc4Chunk { s: &mut rc4.s, i, j, ks: 0, chunk };
                compress(&mut state, hashed, &mut side);
                (i, j) = (side.i, side.j);
            }
            None => {
                compress(&mut state, hashed, &mut Nothing);
                rc4_range(&mut rc4.s, data.get_mut(rc4_span), &mut i, &mut j);
            }
        }
    }
    // The tail (fewer than 64 bytes of the MAC input) and MD5 padding, in one or two blocks.
    let tail = span(blocks);
    // Seal encrypts it below, after hashing; Unseal decrypted it beside the last block (or
    // before the loop when there was none).
    let mut last = [0u8; 64];
    let prefix: &[u8] = if blocks == 0 { &seq.to_le_bytes() } else { &[] };
    set_bytes(&mut last, 0, prefix);
    set_bytes(&mut last, prefix.len(), data.get(tail.clone()).unwrap_or_default());
    let tail_len = prefix.len().saturating_add(tail.len()).min(63);
    pad_final(
        &mut state,
        last.get(..tail_len).unwrap_or_default(),
        (len as u64).saturating_add(64 + 4),
    );
    if direction == Direction::Seal {
        rc4_range(&mut rc4.s, data.get_mut(tail), &mut i, &mut j);
    }
    (rc4.i, rc4.j) = (i, j);
    rc4.produced(data.len());
    let out = outer_digest(key.outer, &state);
    wipe(&mut block);
    wipe(&mut last);
    wipe(&mut state);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntlm::crypto::hmac_md5;

    #[test]
    fn hmac_key_zeroize_wipes_both_chaining_values() {
        let mut key = HmacMd5Key::new(&[0x42; 16]);
        assert!(key.inner.iter().chain(&key.outer).any(|&w| w != 0));
        key.zeroize();
        assert_eq!((key.inner, key.outer), ([0; 4], [0; 4]));
    }

    /// A deterministic byte pattern (xorshift), so failures reproduce.
    fn bytes(seed: u64, len: usize) -> alloc::vec::Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Against `hmac` + `md-5` and the RC4 already pinned by the MS-NLMP vectors: every
    /// length around the block boundaries (the MAC input is 4 bytes longer than the data)
    /// and a few long ones, both directions, the keystream position carried on afterwards.
    #[test]
    fn matches_hmac_md5_and_rc4_at_every_boundary() {
        // The keystream already advanced by 0, 1, 7 or 255 bytes (a session's later
        // messages): the stitched path must start where `rc4` stands, not at i = j = 0.
        let lengths = (0..=200).chain([251, 252, 253, 1000, 4096, 65_536, 65_537]);
        let cases = lengths.flat_map(|len| [0usize, 1, 7, 255].map(move |skip| (len, skip)));
        for (len, skip) in cases {
            let key: [u8; 16] = bytes(len as u64, 16).try_into().unwrap();
            let seq = 0x0102_0304u32.wrapping_mul(len as u32 + 1);
            let plain = bytes(len as u64 + 7, len);
            let expected_mac = hmac_md5(&key, &[&seq.to_le_bytes(), &plain]);
            let advanced = || {
                let mut rc4 = Rc4::new(&key).unwrap();
                rc4.apply(&mut alloc::vec![0u8; skip]);
                rc4
            };
            let mut reference = advanced();
            let mut expected_cipher = plain.clone();
            reference.apply(&mut expected_cipher);
            let mut expected_next = [0u8; 8];
            reference.apply(&mut expected_next);

            let stitch_key = HmacMd5Key::new(&key);
            let mut rc4 = advanced();
            let mut data = plain.clone();
            let mac = hmac_md5_rc4(&stitch_key, seq, &mut data, &mut rc4, Direction::Seal);
            assert_eq!(mac, expected_mac, "seal MAC, length {len}, skip {skip}");
            assert_eq!(data, expected_cipher, "seal ciphertext, length {len}, skip {skip}");
            let mut next = [0u8; 8];
            rc4.apply(&mut next);
            assert_eq!(next, expected_next, "seal keystream position, length {len}, skip {skip}");

            let mut rc4 = advanced();
            let mac = hmac_md5_rc4(&stitch_key, seq, &mut data, &mut rc4, Direction::Unseal);
            assert_eq!(mac, expected_mac, "unseal MAC, length {len}, skip {skip}");
            assert_eq!(data, plain, "unseal plaintext, length {len}, skip {skip}");
            let mut next = [0u8; 8];
            rc4.apply(&mut next);
            assert_eq!(next, expected_next, "unseal keystream position, length {len}, skip {skip}");

            // The stitched path counts its keystream for `Rc4::rewind` like `apply` does:
            // back to the keyed state while at most 256 bytes were used, refused beyond.
            let keyed = *Rc4::new(&key).unwrap().export_state();
            for direction in [Direction::Seal, Direction::Unseal] {
                let mut rc4 = advanced();
                hmac_md5_rc4(&stitch_key, seq, &mut plain.clone(), &mut rc4, direction);
                let before = *rc4.export_state();
                let reachable = skip + len <= 256;
                assert_eq!(rc4.rewind(), reachable, "rewind, length {len}, skip {skip}");
                let expected = if reachable { keyed } else { before };
                assert_eq!(*rc4.export_state(), expected, "rewound, length {len}, skip {skip}");
            }
        }
    }

    /// The schedule run beside HMAC-MD5 keys RC4 exactly as `rekey` does, and the MAC it
    /// starts ends as `hmac_md5` over the same bytes, however they are split: prefixes
    /// from none to more than the schedule's four blocks, the rest fed in pieces.
    #[test]
    fn rekey_beside_hmac_matches_rekey_and_hmac_md5() {
        let rc4_key: [u8; 16] = bytes(1, 16).try_into().unwrap();
        let mac_key: [u8; 16] = bytes(2, 16).try_into().unwrap();
        let mut keyed = Rc4::new(&rc4_key).unwrap();
        let mut expected_stream = [0u8; 32];
        keyed.apply(&mut expected_stream);
        for prefix_len in (0..=300).step_by(7).chain([63, 64, 65, 127, 128, 192, 256, 257]) {
            let prefix = bytes(prefix_len as u64 + 3, prefix_len);
            let (first, second) = prefix.split_at(prefix_len / 3);
            for rest_len in [0usize, 1, 55, 56, 63, 64, 200, 431] {
                let rest = bytes(rest_len as u64 + 5, rest_len);
                let mut rc4 = Rc4::unkeyed();
                let mut mac = HmacMd5Stream::resume(&HmacMd5Key::new(&mac_key));
                rekey_beside_hmac(&mut rc4, &rc4_key, &mut mac, &[first, second]);
                let mut stream = [0u8; 32];
                rc4.apply(&mut stream);
                assert_eq!(stream, expected_stream, "keystream, prefix {prefix_len}");
                let (a, b) = rest.split_at(rest_len / 2);
                mac.update(a);
                mac.update(b);
                let expected = hmac_md5(&mac_key, &[&prefix, &rest]);
                assert_eq!(mac.finish(), expected, "prefix {prefix_len}, rest {rest_len}");
            }
        }
    }

    /// The proof, the session key over it and the MIC run side by side give what
    /// `hmac_md5` gives for each, whatever the lengths (either lane may run out first, or
    /// have no whole block at all), and `HmacMd5Key::new` keys as `hmac_md5` does.
    #[test]
    fn proof_beside_mic_matches_hmac_md5() {
        let key: [u8; 16] = bytes(11, 16).try_into().unwrap();
        let mic_key: [u8; 16] = bytes(12, 16).try_into().unwrap();
        let keyed = HmacMd5Key::new(&key);
        let mut stream = HmacMd5Stream::resume(&keyed);
        stream.update(b"abc");
        assert_eq!(stream.finish(), hmac_md5(&key, &[b"abc"]));
        let lengths = [0usize, 1, 8, 55, 56, 63, 64, 65, 120, 128, 200, 257, 500];
        for len in lengths {
            let data = bytes(len as u64 + 13, len);
            let (a, b) = data.split_at(len / 3);
            let expected_proof = hmac_md5(&key, &[&data]);
            let expected_session_key = hmac_md5(&key, &[&expected_proof]);
            for mic_len in lengths {
                let mic_data = bytes(mic_len as u64 + 17, mic_len);
                let (c, d) = mic_data.split_at(mic_len / 2);
                let (proof, session_key, mut mic) =
                    proof_beside_mic(&keyed, &[a, b], &mic_key, &[c, d]).unwrap();
                assert_eq!(proof, expected_proof, "proof, {len} / {mic_len}");
                assert_eq!(session_key, expected_session_key, "session key, {len} / {mic_len}");
                mic.update(b"tail");
                let expected = hmac_md5(&mic_key, &[&mic_data, b"tail"]);
                assert_eq!(mic.finish(), expected, "MIC, {len} / {mic_len}");
            }
        }
    }

    /// Unseal MACs what it decrypted, whatever that is: a ciphertext altered anywhere (in
    /// the copied block 0, in a block hashed in place, in the tail) gives the MAC of the
    /// altered plaintext, so the caller's comparison fails.
    #[test]
    fn unseal_macs_the_decrypted_bytes() {
        let key = [0x42u8; 16];
        let stitch_key = HmacMd5Key::new(&key);
        for len in [124usize, 200, 1000, 4096] {
            let plain = bytes(len as u64, len);
            let mut sealed = plain.clone();
            hmac_md5_rc4(
                &stitch_key,
                5,
                &mut sealed,
                &mut Rc4::new(&key).unwrap(),
                Direction::Seal,
            );
            for at in [0, 59, 60, 123, len / 2, len - 1] {
                let mut data = sealed.clone();
                data[at] ^= 0x80;
                let mut keystream = Rc4::new(&key).unwrap();
                let mut decrypted = data.clone();
                keystream.apply(&mut decrypted);
                let mut expected_plain = plain.clone();
                expected_plain[at] ^= 0x80;
                assert_eq!(decrypted, expected_plain, "length {len}, byte {at}");
                let expected = hmac_md5(&key, &[&5u32.to_le_bytes(), &decrypted]);
                let mac = hmac_md5_rc4(
                    &stitch_key,
                    5,
                    &mut data,
                    &mut Rc4::new(&key).unwrap(),
                    Direction::Unseal,
                );
                assert_eq!(mac, expected, "length {len}, byte {at}");
                assert_eq!(data, decrypted, "length {len}, byte {at}");
                assert_ne!(mac, hmac_md5(&key, &[&5u32.to_le_bytes(), &plain]));
            }
        }
    }

    /// RFC 1321's test suite through the compression function alone.
    #[test]
    fn md5_rfc_1321_suite() {
        fn md5(msg: &[u8]) -> [u8; 16] {
            let mut state = IV;
            let mut padded = msg.to_vec();
            padded.push(0x80);
            while padded.len() % 64 != 56 {
                padded.push(0);
            }
            padded.extend_from_slice(&(msg.len() as u64 * 8).to_le_bytes());
            for block in padded.chunks_exact(64) {
                compress(&mut state, block.try_into().unwrap(), &mut Nothing);
            }
            let mut out = [0u8; 16];
            for (dst, src) in out.iter_mut().zip(state.iter().flat_map(|w| w.to_le_bytes())) {
                *dst = src;
            }
            out
        }
        let hex = |d: [u8; 16]| d.iter().map(|b| alloc::format!("{b:02x}")).collect::<String>();
        for (msg, digest) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            assert_eq!(hex(md5(msg.as_bytes())), digest, "{msg:?}");
        }
    }
}
