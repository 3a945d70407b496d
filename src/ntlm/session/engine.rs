//! The per-direction machinery behind [`Session`](super::Session): checksums, RC4 handles,
//! sequence numbers, and the sign / verify / seal / unseal steps of MS-NLMP 3.4.

use alloc::boxed::Box;
use core::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::crypto::{
    Direction, HmacMd5, HmacMd5Key, RC4_STATE_LEN, Rc4, SealKey, SessionKey, SignKey, Signature,
    StitchDirection, ct_eq, ess_signature, hmac_md5_keyed, hmac_md5_rc4, md5, seal_key, sign_key,
    wipe,
};

use super::payload::{Payload, ReadOnly};

/// What the negotiated flags allow (MS-NLMP 3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Policy {
    /// SIGN: real signatures.
    pub sign: bool,
    /// SEAL: encryption (and its implied signature).
    pub seal: bool,
    /// ALWAYS_SIGN: the dummy signature when SIGN is absent (MS-NLMP 3.4.3).
    pub always_sign: bool,
    /// DATAGRAM: connectionless; the caller supplies sequence numbers.
    pub datagram: bool,
    /// EXTENDED_SESSIONSECURITY: HMAC-MD5 signatures and directional keys.
    pub ess: bool,
}

impl Policy {
    pub(super) fn from_flags(flags: NegotiateFlags) -> Self {
        Self {
            sign: flags.contains(NegotiateFlags::SIGN),
            seal: flags.contains(NegotiateFlags::SEAL),
            always_sign: flags.contains(NegotiateFlags::ALWAYS_SIGN),
            datagram: flags.contains(NegotiateFlags::DATAGRAM),
            ess: flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY),
        }
    }
}

/// How one direction computes its checksum.
pub(super) enum Mac {
    /// MS-NLMP 3.4.4.2: HMAC-MD5 keyed once with SIGNKEY and cloned per message; the
    /// checksum is RC4'd only under KEY_EXCH.
    Hmac { signer: Signer, key_exch: bool },
    /// MS-NLMP 3.4.4.1: CRC32, always RC4'd together with RandomPad and SeqNum.
    #[cfg(feature = "legacy-ntlmv1")]
    Crc32,
}

/// What one direction's SIGNKEY and SEALKEY derive from (MS-NLMP 3.4.5.2, 3.4.5.3): the
/// ExportedSessionKey, the negotiated flags and the direction. The keys are derived from it
/// when the direction is first used, not when the session is made: a session that never
/// signs or seals (HTTP authentication ends with the handshake) runs none of the four MD5
/// derivations per side, and nothing observable changes, as no key is used before then.
#[derive(Clone)]
pub(super) struct KeySource {
    exported: SessionKey,
    flags: NegotiateFlags,
    direction: Direction,
}

impl KeySource {
    pub(super) const fn new(
        exported: SessionKey,
        flags: NegotiateFlags,
        direction: Direction,
    ) -> Self {
        Self { exported, flags, direction }
    }

    /// SIGNKEY (MS-NLMP 3.4.5.2).
    fn sign_key(&self) -> SignKey {
        sign_key(&self.exported, self.direction)
    }

    /// SEALKEY (MS-NLMP 3.4.5.3).
    fn seal_key(&self) -> SealKey {
        seal_key(self.flags, &self.exported, self.direction)
    }
}

/// A key not derived yet (its [`KeySource`]) or derived. Deriving replaces the source, so a
/// direction that has been used holds its own key and no longer the ExportedSessionKey (from
/// which the other direction's keys, and whatever a protocol above derives, would follow).
enum Lazy<K> {
    Source(KeySource),
    Key(K),
}

impl<K: Clone> Lazy<K> {
    /// The key, derived with `derive` (and kept in place of the source) on the first call.
    /// A copy, wiped where the caller drops it: the keys this holds are 16 bytes.
    fn key(&mut self, derive: fn(&KeySource) -> K) -> K {
        match self {
            Self::Key(key) => key.clone(),
            Self::Source(source) => {
                let key = derive(source);
                *self = Self::Key(key.clone());
                key
            }
        }
    }
}

/// The HMAC-MD5 state keyed with SIGNKEY, made (SIGNKEY derived first) on the first message
/// and cloned for every message after: a session that never signs (HTTP authentication ends
/// there) pays for neither, and no message pays for them twice. All are wiped on drop.
pub(super) struct Signer {
    /// SIGNKEY, kept once derived: the stitched path keys its own state from it.
    key: Lazy<SignKey>,
    keyed: Option<HmacMd5>,
    /// The same key for the stitched HMAC-MD5 + RC4 path (`crypto::hmac_md5_rc4`).
    stitched: Option<HmacMd5Key>,
}

impl Signer {
    pub(super) const fn new(source: KeySource) -> Self {
        Self { key: Lazy::Source(source), keyed: None, stitched: None }
    }

    // Inline, with the keying out of line (as `Cipher::ensure_keyed`): every message passes
    // here, one keys.
    #[inline]
    fn keyed(&mut self) -> &HmacMd5 {
        let key = &mut self.key;
        self.keyed.get_or_insert_with(|| Self::hmac(key))
    }

    #[inline]
    fn stitched(&mut self) -> &HmacMd5Key {
        let key = &mut self.key;
        self.stitched.get_or_insert_with(|| Self::stitched_key(key))
    }

    #[cold]
    #[inline(never)]
    fn hmac(key: &mut Lazy<SignKey>) -> HmacMd5 {
        hmac_md5_keyed(key.key(KeySource::sign_key).as_bytes())
    }

    #[cold]
    #[inline(never)]
    fn stitched_key(key: &mut Lazy<SignKey>) -> HmacMd5Key {
        HmacMd5Key::new(key.key(KeySource::sign_key).as_bytes())
    }
}

/// A checksum over the plaintext, waiting for the RC4 step that finishes the signature.
///
/// SEAL (MS-NLMP 3.4.3) RC4s the message before the checksum, yet the checksum covers the
/// plaintext: so the sender computes this first, encrypts, then finishes.
enum Pending {
    Hmac {
        signature: Signature,
        key_exch: bool,
    },
    #[cfg(feature = "legacy-ntlmv1")]
    Crc32(u32),
}

impl Mac {
    /// SEAL or UNSEAL of one contiguous buffer in a single pass (`crypto::hmac_md5_rc4`):
    /// the checksum over the plaintext while RC4 runs over the same bytes. `None` (and
    /// nothing touched) where that path does not apply: non-ESS sessions. Every length takes
    /// it: on the Zen 5 machine it is at least as fast as the two passes apart from 1 byte up
    /// (seal + unseal against the crypto floor, 1 / 16 / 64 / 128 B: 1.009 / 0.985 / 0.990 /
    /// 1.118, against 0.931 / 0.918 / 0.953 / 0.969 apart; BENCHMARKS.md).
    fn stitched(
        &mut self,
        seq: u32,
        data: &mut [u8],
        rc4: &mut Rc4,
        direction: StitchDirection,
    ) -> Option<Pending> {
        match self {
            Self::Hmac { signer, key_exch } => {
                let mac = hmac_md5_rc4(signer.stitched(), seq, data, rc4, direction);
                let mut checksum = [0u8; 8];
                for (dst, src) in checksum.iter_mut().zip(mac) {
                    *dst = src;
                }
                Some(Pending::Hmac {
                    signature: Signature::new(checksum, seq.to_le_bytes()),
                    key_exch: *key_exch,
                })
            }
            #[cfg(feature = "legacy-ntlmv1")]
            Self::Crc32 => None,
        }
    }

    fn checksum<'m>(&mut self, seq: u32, parts: impl Iterator<Item = &'m [u8]>) -> Pending {
        match self {
            Self::Hmac { signer, key_exch } => Pending::Hmac {
                signature: ess_signature(signer.keyed(), None, seq, parts),
                key_exch: *key_exch,
            },
            #[cfg(feature = "legacy-ntlmv1")]
            Self::Crc32 => {
                let mut crc = crc32fast::Hasher::new();
                for part in parts {
                    crc.update(part);
                }
                Pending::Crc32(crc.finalize())
            }
        }
    }
}

impl Pending {
    fn finish(self, rc4: &mut Rc4, seq: u32) -> Signature {
        match self {
            Self::Hmac { signature, key_exch: false } => signature,
            Self::Hmac { signature, key_exch: true } => {
                let mut checksum = [0u8; 8];
                for (dst, src) in checksum.iter_mut().zip(signature.as_bytes().iter().skip(4)) {
                    *dst = *src;
                }
                rc4.apply(&mut checksum);
                Signature::new(checksum, seq.to_le_bytes())
            }
            #[cfg(feature = "legacy-ntlmv1")]
            Self::Crc32(crc) => crc32_mac(rc4, seq, crc),
        }
    }
}

/// MS-NLMP 3.4.4.1 from a computed CRC32: RC4(RandomPad ‖ CRC32 ‖ SeqNum), then RandomPad
/// set to 0 as the text says and Windows does (the 4.2.2.4 example prints the RC4'd pad).
///
/// `crypto::crc32_signature` computes the same from the message; sealing needs the CRC of
/// the plaintext taken before the data is encrypted, hence this split.
#[cfg(feature = "legacy-ntlmv1")]
fn crc32_mac(rc4: &mut Rc4, seq: u32, crc: u32) -> Signature {
    let mut block = [0u8; 12];
    let fields = crc.to_le_bytes().into_iter().chain(seq.to_le_bytes());
    for (dst, src) in block.iter_mut().skip(4).zip(fields) {
        *dst = src;
    }
    rc4.apply(&mut block);
    let mut checksum = [0u8; 8];
    for (dst, src) in checksum.iter_mut().skip(4).zip(block.iter().skip(4)) {
        *dst = *src;
    }
    let mut seq_field = [0u8; 4];
    for (dst, src) in seq_field.iter_mut().zip(block.iter().skip(8)) {
        *dst = *src;
    }
    Signature::new(checksum, seq_field)
}

/// An RC4 handle and the sealing key it is (re)initialised from.
///
/// The 1 KiB keystream state lives in a heap block of its own and is keyed there: it is
/// never copied while a handshake completes nor left behind by a move, and both it and the
/// rest of a session direction fit the allocator's small-block caches (one 1.2 KiB block
/// did not; BENCHMARKS.md).
///
/// SEALKEY is derived and RC4Init(Handle, SealingKey) runs when the handle is first needed,
/// like the HMAC-MD5 keying of [`Signer`]: a session that never signs or seals (HTTP
/// authentication ends with the handshake) does not pay for its derivations and key
/// schedules, and nothing observable changes, as no keystream byte is produced before that
/// first use. Every SEALKEY is 8 or 16 bytes, so keying cannot fail there; if it did, the
/// first message would get the `InternalError`.
pub(super) struct Cipher {
    /// SEALKEY, derived when first needed.
    key: Lazy<SealKey>,
    rc4: Box<Rc4>,
    /// Whether `rc4` holds a keyed stream: false from the session's start (the identity
    /// permutation) and after a reset that could not rewind (the used stream, to be
    /// overwritten); while false, `rc4` is never used, only keyed.
    keyed: bool,
}

impl Cipher {
    /// A cipher for the SEALKEY of `source`, derived and keyed on first use.
    pub(super) fn new(source: KeySource) -> Self {
        Self { key: Lazy::Source(source), rc4: Rc4::boxed_unkeyed(), keyed: false }
    }

    /// SEALKEY: derived on the first call, kept after (a datagram session rekeys from it on
    /// every message).
    fn seal_key(&mut self) -> SealKey {
        self.key.key(KeySource::seal_key)
    }

    /// RC4Init(Handle, SealingKey) if it has not run yet: before any keystream is used.
    // Inline, with the keying out of line: every message passes here, one keys.
    #[inline]
    fn ensure_keyed(&mut self) -> Result<()> {
        if self.keyed { Ok(()) } else { self.key_now() }
    }

    #[cold]
    #[inline(never)]
    fn key_now(&mut self) -> Result<()> {
        let key = self.seal_key();
        self.rc4.rekey(key.as_bytes())?;
        self.keyed = true;
        Ok(())
    }

    /// RC4Init(Handle, SealingKey) again: the state after the SPNEGO mechListMIC. The
    /// mechListMIC used a few keystream bytes of the freshly keyed state, so this rewinds
    /// them (MS-SPNG 3.3.5.1 restores the saved state); a handle with any other history is
    /// left to be keyed again on its next use.
    pub(super) fn reset(&mut self) {
        if self.keyed && !self.rc4.rewind() {
            self.keyed = false;
        }
    }

    /// The keystream position a context export saves: S ‖ i ‖ j, as keyed if the handle
    /// has not been used yet.
    pub(super) fn export_state(&self) -> Result<Zeroizing<[u8; RC4_STATE_LEN]>> {
        if self.keyed {
            Ok(self.rc4.export_state())
        } else {
            // Keyed in a block of its own, like the handle, and wiped there when dropped:
            // `Rc4::new` would return the 1 KiB keyed state through the stack.
            let mut keyed = Rc4::boxed_unkeyed();
            match &self.key {
                Lazy::Key(key) => keyed.rekey(key.as_bytes())?,
                Lazy::Source(source) => keyed.rekey(source.seal_key().as_bytes())?,
            }
            Ok(keyed.export_state())
        }
    }

    /// Puts back a keystream position saved by a context export.
    pub(super) fn restore(&mut self, rc4: Rc4) {
        *self.rc4 = rc4;
        self.keyed = true;
    }

    /// MS-NLMP 3.4 (connectionless): "the sealing key MUST be reset for every message":
    /// SealingKey' = MD5(SealingKey ‖ SequenceNumber); RC4Init(Handle, SealingKey'), before
    /// the SEAL, SIGN and MAC steps of that message.
    // Out of line: an MD5 and a key schedule per message dwarf the call, and inlined it kept
    // `Dir::begin` out of the connection-oriented message paths.
    #[inline(never)]
    fn rekey_for(&mut self, seq: u32) -> Result<()> {
        let mut per_message = md5(&[self.seal_key().as_bytes(), &seq.to_le_bytes()]);
        let rekeyed = self.rc4.rekey(&per_message);
        wipe(&mut per_message);
        // Keyed by SealingKey', not SealingKey: `reset` must not rewind to this state.
        self.rc4.forget_key();
        self.keyed = true;
        rekeyed
    }
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(<redacted>)")
    }
}

/// One direction's checksum, sequence counter and, for receiving, its failure.
pub(super) struct Channel {
    mac: Mac,
    seq: u32,
    failed: Option<ErrorKind>,
}

impl Channel {
    pub(super) fn new(mac: Mac) -> Self {
        Self { mac, seq: 0, failed: None }
    }

    /// The next sequence number and the error that closed the direction, if any: what a
    /// context export saves.
    pub(super) const fn position(&self) -> (u32, Option<ErrorKind>) {
        (self.seq, self.failed)
    }

    /// Puts back a position saved by a context export.
    pub(super) fn restore(&mut self, seq: u32, failed: Option<ErrorKind>) {
        self.seq = seq;
        self.failed = failed;
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mac = match self.mac {
            Mac::Hmac { key_exch, .. } => {
                if key_exch {
                    "HMAC-MD5+RC4"
                } else {
                    "HMAC-MD5"
                }
            }
            #[cfg(feature = "legacy-ntlmv1")]
            Mac::Crc32 => "CRC32+RC4",
        };
        f.debug_struct("Channel")
            .field("mac", &mac)
            .field("next_seq", &self.seq)
            .field("failed", &self.failed)
            .finish()
    }
}

/// A borrowed view of one direction: what every operation runs on, whether the RC4 handle
/// is the direction's own (ESS) or shared with the other direction (non-ESS).
pub(super) struct Dir<'s> {
    pub policy: Policy,
    pub chan: &'s mut Channel,
    pub cipher: &'s mut Cipher,
}

fn unsupported(detail: &'static str) -> Error {
    Error::new(ErrorKind::UnsupportedFunction, detail)
}

impl Dir<'_> {
    /// The sequence number of this message: kept inside in connection mode (MS-NLMP 3.4.4:
    /// starts at 0, one more per message), given by the caller in datagram mode.
    fn seq(&self, given: Option<u32>) -> Result<u32> {
        match (self.policy.datagram, given) {
            (false, None) => Ok(self.chan.seq),
            (true, Some(seq)) => Ok(seq),
            (false, Some(_)) => Err(unsupported(
                "connection-oriented session keeps its own sequence numbers; call the method without _with_seq",
            )),
            (true, None) => Err(unsupported(
                "datagram session takes sequence numbers from the caller; call the _with_seq method",
            )),
        }
    }

    #[inline]
    fn begin(&mut self, seq: u32) -> Result<()> {
        if self.policy.datagram { self.cipher.rekey_for(seq) } else { self.cipher.ensure_keyed() }
    }

    fn advance(&mut self) {
        if !self.policy.datagram {
            // MS-NLMP 3.4.4 does not say what follows 2^32-1; wrap like every peer does.
            self.chan.seq = self.chan.seq.wrapping_add(1);
        }
    }

    /// SIGN / SEAL (MS-NLMP 3.4.3, 3.4.4): the signature over `payload`, which is
    /// RC4-encrypted in place when `encrypt`. Nothing changes state before every check passed.
    pub(super) fn protect<P: Payload + ?Sized>(
        &mut self,
        given: Option<u32>,
        payload: &mut P,
        encrypt: bool,
    ) -> Result<Signature> {
        let seq = self.seq(given)?;
        if encrypt && !self.policy.seal {
            return Err(unsupported("SEAL was not negotiated"));
        }
        if !encrypt && !self.policy.sign {
            // MS-NLMP 3.4.3: without SIGN, ALWAYS_SIGN asks for the dummy signature.
            return if self.policy.always_sign {
                Ok(Signature::DUMMY)
            } else {
                Err(unsupported("neither SIGN nor ALWAYS_SIGN was negotiated"))
            };
        }
        payload.check(encrypt)?;
        self.begin(seq)?;
        let signature = self
            .checksum_and_rc4(seq, payload, encrypt, StitchDirection::Seal)
            .finish(&mut self.cipher.rc4, seq);
        self.advance();
        Ok(signature)
    }

    /// The checksum over the plaintext and, when `crypt`, RC4 over the message in the order
    /// `direction` needs (Seal: checksum then encrypt; Unseal: decrypt then checksum): in one
    /// pass where the message allows it (ESS, one contiguous buffer, long enough), else in
    /// two.
    fn checksum_and_rc4<P: Payload + ?Sized>(
        &mut self,
        seq: u32,
        payload: &mut P,
        crypt: bool,
        direction: StitchDirection,
    ) -> Pending {
        let ess = self.policy.ess;
        let rc4 = &mut self.cipher.rc4;
        let stitched = match payload.contiguous(ess) {
            Some(data) if crypt && ess => self.chan.mac.stitched(seq, data, rc4, direction),
            _ => None,
        };
        if let Some(pending) = stitched {
            return pending;
        }
        if crypt && direction == StitchDirection::Unseal {
            payload.apply(rc4);
        }
        let pending = self.chan.mac.checksum(seq, payload.signed_parts(ess));
        if crypt && direction == StitchDirection::Seal {
            payload.apply(rc4);
        }
        pending
    }

    /// Runs a receive operation: refused once the direction has failed, and any error it
    /// returns closes the direction for good (errors are sticky).
    pub(super) fn guard<T>(&mut self, op: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if let Some(kind) = self.chan.failed {
            return Err(Error::new(kind, "receive direction closed by an earlier failure"));
        }
        let result = op(self);
        if let Err(e) = &result {
            self.chan.failed = Some(e.kind());
        }
        result
    }

    /// VERIFY / UNSEAL without the guard: decrypts `payload` when `decrypt`, recomputes the
    /// signature and compares. A rejected message is wiped before returning.
    pub(super) fn accept_unguarded<P: Payload + ?Sized>(
        &mut self,
        given: Option<u32>,
        payload: &mut P,
        received: &Signature,
        decrypt: bool,
    ) -> Result<()> {
        let seq = self.seq(given)?;
        if decrypt && !self.policy.seal {
            return Err(unsupported("SEAL was not negotiated"));
        }
        if !decrypt && !self.policy.sign {
            return if !self.policy.always_sign {
                Err(unsupported("neither SIGN nor ALWAYS_SIGN was negotiated"))
            } else if received.ct_eq(&Signature::DUMMY) {
                Ok(())
            } else {
                Err(Error::new(
                    ErrorKind::MessageAltered,
                    "expected the ALWAYS_SIGN dummy signature",
                ))
            };
        }
        payload.check(decrypt)?;
        self.begin(seq)?;
        let expected = self
            .checksum_and_rc4(seq, payload, decrypt, StitchDirection::Unseal)
            .finish(&mut self.cipher.rc4, seq);
        if let Err(e) = compare(&expected, received, self.policy.ess) {
            if decrypt {
                payload.wipe();
            }
            return Err(e);
        }
        self.advance();
        Ok(())
    }

    /// [`Dir::accept_unguarded`] under the guard.
    pub(super) fn accept<P: Payload + ?Sized>(
        &mut self,
        given: Option<u32>,
        payload: &mut P,
        received: &Signature,
        decrypt: bool,
    ) -> Result<()> {
        self.guard(|dir| dir.accept_unguarded(given, payload, received, decrypt))
    }

    /// GSS_GetMICEx over one message.
    pub(super) fn sign(&mut self, given: Option<u32>, msg: &[u8]) -> Result<Signature> {
        self.protect(given, &mut ReadOnly(msg), false)
    }

    /// GSS_VerifyMICEx over one message.
    pub(super) fn verify(&mut self, given: Option<u32>, msg: &[u8], sig: &Signature) -> Result<()> {
        self.accept(given, &mut ReadOnly(msg), sig, false)
    }
}

/// Compares a received signature with the expected one in constant time (MS-NLMP
/// 2.2.2.9): a wrong SeqNum means a replayed, reordered or dropped message
/// (`OutOfSequence`, MS-NLMP 3.4.4); otherwise a wrong Version or Checksum means
/// `MessageAltered`. The non-ESS RandomPad is not compared: MS-NLMP 3.4.4.1 zeroes it and
/// peers that follow the 4.2.2.4 example send RC4(0) there; it protects nothing.
fn compare(expected: &Signature, received: &Signature, ess: bool) -> Result<()> {
    // The bytes that count: all 16 with ESS; without it, all but RandomPad (bytes 4..8).
    let significant = |sig: &Signature| -> [u8; 16] {
        let mut out = *sig.as_bytes();
        if !ess {
            out.iter_mut().skip(4).take(4).for_each(|b| *b = 0);
        }
        out
    };
    // The accepted case, every message, is one 16-byte constant-time comparison; only a
    // rejection looks at which field differs to choose the error.
    if ct_eq(&significant(expected), &significant(received)) {
        return Ok(());
    }
    let seq = |sig: &Signature| -> [u8; 4] {
        let mut out = [0u8; 4];
        for (dst, src) in out.iter_mut().zip(sig.as_bytes().iter().skip(12)) {
            *dst = *src;
        }
        out
    };
    if ct_eq(&seq(expected), &seq(received)) {
        Err(Error::new(ErrorKind::MessageAltered, "signature checksum does not match the message"))
    } else {
        Err(Error::new(
            ErrorKind::OutOfSequence,
            "signature sequence number is not the expected one",
        ))
    }
}
