//! RC4 (the keystream NTLM seals with): a state whose position is carried across messages,
//! exported and restored with a context, and rewound after the SPNEGO mechListMIC.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::wipe;
use crate::error::{Error, ErrorKind, Result};

/// The length of an exported RC4 state: the permutation S (256 bytes), then `i` and `j`.
pub const RC4_STATE_LEN: usize = 258;

/// S = 0, 1, …, 255: where every key schedule starts.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]
const IDENTITY: [u32; 256] = {
    // Evaluated at compile time: `i < 256` bounds the index and the sum.
    let mut s = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        s[i] = i as u32;
        i += 1;
    }
    s
};

/// RC4 keys are 1 to 256 bytes; any other length is an `InternalError` (keys come from this
/// crate's own derivations, never from the wire).
pub(crate) fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() || key.len() > 256 {
        return Err(Error::new(ErrorKind::InternalError, "RC4 key length"));
    }
    Ok(())
}

/// Writes `key` repeated into `out` and returns `true` when its length divides 16 (1, 2, 4
/// or 8 bytes): RC4 walks the key cyclically, so `out` schedules exactly as `key` does.
/// Into the caller's buffer, which wipes it, rather than returned (a copy left behind).
fn repeat_to_16(key: &[u8], out: &mut [u8; 16]) -> bool {
    if !matches!(key.len(), 1 | 2 | 4 | 8) {
        return false;
    }
    for (dst, src) in out.iter_mut().zip(key.iter().cycle()) {
        *dst = *src;
    }
    true
}

/// An RC4 keystream whose position is carried across messages, as NTLM sealing needs.
///
/// Written here rather than taken from the `rc4` crate because exporting a session
/// (ExportSecurityContext) must save and restore the keystream position, and that crate
/// keeps its state private. The algorithm is the textbook one (key-scheduling, then the
/// PRGA); the MS-NLMP 4.2 sealing vectors and RFC 6229 pin its output.
pub struct Rc4 {
    // Each entry holds a byte value (0..=255) in a u32: word-sized loads and stores avoid
    // partial-register stalls, which makes the keystream about 1.8x faster than a byte
    // array on x86-64 (BENCHMARKS.md); the state costs 1 KiB instead of 256 bytes.
    // Visible to the stitched HMAC-MD5 + RC4 path (`crypto::stitch`), which runs the PRGA
    // on them directly.
    pub(super) s: [u32; 256],
    pub(super) i: u8,
    pub(super) j: u8,
    /// Keystream bytes produced since the state was last keyed, while that is few enough
    /// to [`rewind`](Self::rewind) ([`NOT_REWINDABLE`] once it is not, or unknown). It fits
    /// beside `i` and `j` in the 1,028 bytes the state already took.
    since_key: u16,
}

/// [`Rc4::since_key`] when the keyed state is out of reach: more than [`REWIND_MAX`] bytes
/// were produced, or the state was restored from an export.
const NOT_REWINDABLE: u16 = u16::MAX;

/// How many keystream bytes [`Rc4::rewind`] undoes at most: undoing one costs about what
/// producing it did, so past this a new key schedule (256 swaps and the key walk) is
/// cheaper.
const REWIND_MAX: u16 = 256;

impl Zeroize for Rc4 {
    fn zeroize(&mut self) {
        // Four states per handshake: one volatile store per word made that ~1.4% of a
        // handshake's instructions.
        wipe(&mut self.s);
        self.i.zeroize();
        self.j.zeroize();
        self.since_key.zeroize();
    }
}

zeroize_on_drop!(Rc4);

impl Rc4 {
    /// Keys a new keystream (the RC4 key-scheduling algorithm). RC4 keys are 1 to 256
    /// bytes; NTLM uses 8 (SEALKEY without ESS) and 16. Any other length is an `InternalError`: keys come from
    /// this crate's own derivations, never from the wire.
    pub fn new(key: &[u8]) -> Result<Self> {
        let mut rc4 = Self::unkeyed();
        rc4.rekey(key)?;
        Ok(rc4)
    }

    /// The identity permutation (RC4 keyed with nothing), to [`rekey`](Self::rekey) where
    /// it will live (e.g. in a `Box`) before any use. Never all zeros: a state used by
    /// mistake before keying still permutes rather than passing data through.
    pub(crate) const fn unkeyed() -> Self {
        Self { s: IDENTITY, i: 0, j: 0, since_key: 0 }
    }

    /// An [`unkeyed`](Self::unkeyed) state on the heap, to [`rekey`](Self::rekey) there
    /// when it is first needed: the 1 KiB state is never built on the stack and copied.
    // Written this way, the compiler drops the zeroing and copies the identity straight
    // into the block; `Box::new(Self::unkeyed())` went through the stack (+127 instructions
    // per state), a zeroed block alone or a fill loop cost more still.
    pub(crate) fn boxed_unkeyed() -> alloc::boxed::Box<Self> {
        let mut rc4 = alloc::boxed::Box::new(Self { s: [0; 256], i: 0, j: 0, since_key: 0 });
        rc4.s = IDENTITY;
        rc4
    }

    /// [`new`](Self::new) in place: overwrites the whole state with a keystream keyed by
    /// `key` (RC4Init on an existing handle). Nothing of the previous keystream survives, and
    /// the 1 KiB state is not copied around, which a boxed handle relies on.
    // Inlined also across the crate boundary: the benches' crypto floor keys its states in
    // place with it, and should pay no call the sessions do not.
    #[inline]
    pub fn rekey(&mut self, key: &[u8]) -> Result<()> {
        check_key(key)?;
        self.s = IDENTITY;
        // Every key NTLM uses is 16 bytes (session keys, SEALKEY with ESS, the per-message
        // datagram key) or 8 (SEALKEY without ESS), so a length that divides 16 takes a
        // schedule over the key repeated to 16 bytes, where the key index is `i mod 16`.
        match <&[u8; 16]>::try_from(key) {
            Ok(key) => Self::schedule_16(&mut self.s, key),
            Err(_) => {
                let mut repeated = [0u8; 16];
                if repeat_to_16(key, &mut repeated) {
                    Self::schedule_16(&mut self.s, &repeated);
                    wipe(&mut repeated);
                } else {
                    Self::schedule(&mut self.s, key);
                }
            }
        }
        (self.i, self.j, self.since_key) = (0, 0, 0);
        Ok(())
    }

    /// The RC4 key-scheduling loop over indices 0..=255 for a 16-byte key (or one repeated
    /// to 16 bytes): the key index is `i mod 16`, with neither a wrap test nor a bounds
    /// check (18 instructions a step fell to 10; BENCHMARKS.md).
    #[inline(always)]
    fn schedule_16(s: &mut [u32; 256], key: &[u8; 16]) {
        let mut j = 0u8;
        for i in 0..256usize {
            Self::schedule_step(s, key, i, &mut j);
        }
    }

    /// Step `i` of the key-scheduling loop for a 16-byte key: j += S[i] + key[i mod 16],
    /// then S[i] and S[j] swap. Shared with the stitched schedule of `crypto::stitch`, which
    /// runs these steps between the steps of an MD5 compression.
    #[inline(always)]
    pub(super) fn schedule_step(s: &mut [u32; 256], key: &[u8; 16], i: usize, j: &mut u8) {
        let si = s.get(i).copied().unwrap_or_default();
        let k = key.get(i & 15).copied().unwrap_or_default();
        *j = j.wrapping_add(si as u8).wrapping_add(k);
        let jj = usize::from(*j);
        let sj = s.get(jj).copied().unwrap_or_default();
        if let Some(slot) = s.get_mut(i) {
            *slot = sj;
        }
        if let Some(slot) = s.get_mut(jj) {
            *slot = si;
        }
    }

    /// Starts a key schedule that the caller runs step by step ([`schedule_step`] for
    /// `i` = 0 to 255 in order, then [`end_schedule`]): S back to the identity.
    ///
    /// [`schedule_step`]: Self::schedule_step
    /// [`end_schedule`]: Self::end_schedule
    pub(super) fn begin_schedule(&mut self) {
        self.s = IDENTITY;
    }

    /// Ends a key schedule run step by step: the keystream starts, as after [`rekey`].
    ///
    /// [`rekey`]: Self::rekey
    pub(super) fn end_schedule(&mut self) {
        (self.i, self.j, self.since_key) = (0, 0, 0);
    }

    /// The key-scheduling loop for any key length (1 to 256 bytes): a plain counter and a
    /// key index that wraps by comparison (an iterator chain of `RangeInclusive` and
    /// `cycle` cost three times the instructions).
    #[cold]
    #[inline(never)]
    fn schedule(s: &mut [u32; 256], key: &[u8]) {
        let mut j = 0u8;
        let mut k = 0usize;
        for i in 0..256usize {
            let si = s.get(i).copied().unwrap_or_default();
            j = j.wrapping_add(si as u8).wrapping_add(key.get(k).copied().unwrap_or_default());
            k = k.wrapping_add(1);
            if k == key.len() {
                k = 0;
            }
            let jj = usize::from(j);
            let sj = s.get(jj).copied().unwrap_or_default();
            if let Some(slot) = s.get_mut(i) {
                *slot = sj;
            }
            if let Some(slot) = s.get_mut(jj) {
                *slot = si;
            }
        }
    }

    /// Puts the state back where it was when last keyed, by undoing each keystream byte
    /// produced since (every PRGA step is a swap that can be reversed), and returns `true`;
    /// the state is then exactly the one [`rekey`](Self::rekey) with that key gave. Returns
    /// `false` and changes nothing when that is out of reach: more than 256 bytes were
    /// produced (a new key schedule is then cheaper), or the state came from
    /// [`from_state`](Self::from_state).
    ///
    /// This is MS-SPNG 3.3.5.1's "save the RC4 key state before the mechListMIC and restore
    /// it after" without a 1 KiB copy: the MIC uses only the 8 bytes of its checksum.
    pub fn rewind(&mut self) -> bool {
        if self.since_key > REWIND_MAX {
            return false;
        }
        let (mut i, mut j) = (self.i, self.j);
        let s = &mut self.s;
        for _ in 0..self.since_key {
            // Undoes `prga`: S[j] now holds the old S[i], the value j was advanced by.
            let si = s.get(usize::from(j)).copied().unwrap_or_default();
            s.swap(usize::from(i), usize::from(j));
            j = j.wrapping_sub(si as u8);
            i = i.wrapping_sub(1);
        }
        (self.i, self.j, self.since_key) = (i, j, 0);
        true
    }

    /// Counts `n` keystream bytes produced since the last keying, for [`rewind`](Self::rewind).
    #[inline(always)]
    pub(super) fn produced(&mut self, n: usize) {
        let n = u16::try_from(n).unwrap_or(NOT_REWINDABLE);
        self.since_key = self.since_key.saturating_add(n);
    }

    /// Makes [`rewind`](Self::rewind) refuse until the next keying: for a state keyed with a
    /// key other than the one a later [`rewind`](Self::rewind) should return to.
    pub(crate) fn forget_key(&mut self) {
        self.since_key = NOT_REWINDABLE;
    }

    /// Restores a keystream saved by [`export_state`](Self::export_state). `S` must be a
    /// permutation of 0..=255 (every RC4 state is one); anything else is `InvalidToken`.
    pub fn from_state(state: &[u8; RC4_STATE_LEN]) -> Result<Self> {
        let mut s = [0u32; 256];
        let mut seen = [false; 256];
        for (slot, value) in s.iter_mut().zip(state.iter()) {
            let mark = seen.get_mut(usize::from(*value));
            match mark {
                Some(m) if !*m => *m = true,
                _ => {
                    wipe(&mut s);
                    return Err(Error::invalid_token(
                        "context export: RC4 state is not a permutation of 0..=255",
                    ));
                }
            }
            *slot = u32::from(*value);
        }
        let i = state.get(256).copied().unwrap_or_default();
        let j = state.get(257).copied().unwrap_or_default();
        Ok(Self { s, i, j, since_key: NOT_REWINDABLE })
    }

    /// The keystream position: S ‖ i ‖ j. Secret (it decrypts every later message), hence
    /// the zeroizing wrapper.
    pub fn export_state(&self) -> Zeroizing<[u8; RC4_STATE_LEN]> {
        let mut out = Zeroizing::new([0u8; RC4_STATE_LEN]);
        let parts = (0u8..=255).map(|k| self.at(k)).chain([self.i, self.j]);
        for (dst, src) in out.iter_mut().zip(parts) {
            *dst = src;
        }
        out
    }

    /// XORs the next `data.len()` keystream bytes into `data` (encrypt and decrypt alike),
    /// eight bytes per XOR where it can.
    pub fn apply(&mut self, data: &mut [u8]) {
        // Work on locals: the optimiser keeps i and j in registers.
        let (mut i, mut j) = (self.i, self.j);
        let s = &mut self.s;
        let mut chunks = data.chunks_exact_mut(8);
        for chunk in &mut chunks {
            let mut keystream = [0u8; 8];
            for k in &mut keystream {
                *k = Self::prga(s, &mut i, &mut j);
            }
            let word = <[u8; 8]>::try_from(&*chunk).unwrap_or_default();
            let mixed = u64::from_ne_bytes(word) ^ u64::from_ne_bytes(keystream);
            chunk.copy_from_slice(&mixed.to_ne_bytes());
        }
        for byte in chunks.into_remainder() {
            *byte ^= Self::prga(s, &mut i, &mut j);
        }
        self.i = i;
        self.j = j;
        self.produced(data.len());
    }

    /// The RC4 PRGA step.
    #[inline(always)]
    pub(super) fn prga(s: &mut [u32; 256], i: &mut u8, j: &mut u8) -> u8 {
        *i = i.wrapping_add(1);
        let si = s.get(usize::from(*i)).copied().unwrap_or_default();
        *j = j.wrapping_add(si as u8);
        let sj = s.get(usize::from(*j)).copied().unwrap_or_default();
        if let Some(slot) = s.get_mut(usize::from(*i)) {
            *slot = sj;
        }
        if let Some(slot) = s.get_mut(usize::from(*j)) {
            *slot = si;
        }
        let k = (si as u8).wrapping_add(sj as u8);
        s.get(usize::from(k)).map_or(0, |v| *v as u8)
    }

    // A u8 index is always inside the 256-entry array: the optimiser removes the checks
    // that `get` spells out for the lints. Entries only ever hold byte values.
    #[inline(always)]
    fn at(&self, k: u8) -> u8 {
        self.s.get(usize::from(k)).map_or(0, |v| *v as u8)
    }
}

impl fmt::Debug for Rc4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rc4(<redacted>)")
    }
}
