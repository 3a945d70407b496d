//! NTLM cryptography (MS-NLMP 3.3, 3.4): pure functions over typed, zeroizing keys.
//!
//! Nothing here keeps state between calls except [`Rc4`], the one stream cipher whose
//! keystream position is part of the protocol (and [`ResponseMac`], HMAC-MD5 keyed once, as
//! two MD5 chaining values that each MAC starts from and never changes). Every function is checked against the
//! MS-NLMP §4.2 vectors in its unit tests.

use alloc::vec::Vec;
use core::fmt;

use hmac::Hmac;
use hmac::digest::{Digest, KeyInit, Mac};
use md4::Md4;
use md5::Md5;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;

/// `Drop` that calls the type's own `Zeroize`, and the `ZeroizeOnDrop` marker: for the key
/// types whose `Zeroize` wipes through [`wipe`] rather than the derive's per-byte stores.
macro_rules! zeroize_on_drop {
    ($name:ty) => {
        impl Drop for $name {
            fn drop(&mut self) {
                self.zeroize();
            }
        }

        impl ZeroizeOnDrop for $name {}
    };
}

macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Eq)]
        pub struct $name([u8; $len]);

        impl Zeroize for $name {
            fn zeroize(&mut self) {
                wipe(&mut self.0);
            }
        }

        zeroize_on_drop!($name);

        /// Constant time: `==` on a secret must not leak where it differs.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(other)
            }
        }

        impl $name {
            /// Wraps raw key bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// The raw key bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Constant-time equality.
            pub fn ct_eq(&self, other: &Self) -> bool {
                ct_eq(&self.0, &other.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_bytes!(
    /// The NT one-way function of a password, NTOWFv1 = MD4(UNICODE(password)): what a
    /// password is worth to NTLM, and what pass-the-hash credentials hold.
    NtHash, 16
);
secret_bytes!(
    /// NTOWFv2 (MS-NLMP 3.3.2): ResponseKeyNT, equal to ResponseKeyLM.
    ResponseKey, 16
);
secret_bytes!(
    /// A 16-byte session key: SessionBaseKey, KeyExchangeKey or ExportedSessionKey.
    SessionKey, 16
);
secret_bytes!(
    /// A signing key (MS-NLMP 3.4.5.2 SIGNKEY).
    SignKey, 16
);
#[cfg(feature = "legacy-ntlmv1")]
secret_bytes!(
    /// LMOWFv1 (MS-NLMP 3.3.1), the LAN Manager hash. Legacy: feature `legacy-ntlmv1`.
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
    LmHash, 16
);

impl NtHash {
    /// NTOWFv1 (MS-NLMP 3.3.1): MD4 of the UTF-16LE password.
    pub fn from_password(password: &str) -> Self {
        let mut md4 = Md4::new();
        utf16le_chunks(password.chars(), |chunk| md4.update(chunk));
        Self(md4.finalize().into())
    }
}

/// Constant-time equality of two byte strings (length is not secret).
///
/// `subtle`'s comparison, made eight bytes at a time: every word is compared and the
/// results combined without branching, as `subtle` does byte by byte, in an eighth of the
/// steps (the 16-byte MACs, proofs and signatures this crate compares are two words).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut equal = subtle::Choice::from(1);
    for (x, y) in (&mut a_words).zip(&mut b_words) {
        equal &= match (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) {
            (Ok(x), Ok(y)) => u64::from_le_bytes(x).ct_eq(&u64::from_le_bytes(y)),
            // Not reached (`chunks_exact`); byte by byte would still be right.
            _ => x.ct_eq(y),
        };
    }
    equal &= a_words.remainder().ct_eq(b_words.remainder());
    equal.into()
}

/// Wipes `values` in one pass: zeroize's slice path, a plain fill behind its optimization
/// barrier. Its array impl (what `#[derive(Zeroize)]` and `array.zeroize()` use) writes one
/// volatile store per element instead: 64 instructions for an HMAC block, 16 for a key, on
/// every handshake and every sealed message.
pub(crate) fn wipe<T: zeroize::DefaultIsZeroes>(values: &mut [T]) {
    values.zeroize();
}

/// MD5 over the concatenation of `parts`.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// A keyed HMAC-MD5 state, to clone per message rather than re-key.
pub type HmacMd5 = Hmac<Md5>;

/// An HMAC-MD5 state keyed with a 16-byte key.
///
/// HMAC pads a key shorter than the block with zeros, so padding it ourselves makes keying
/// infallible.
pub fn hmac_md5_keyed(key: &[u8; 16]) -> HmacMd5 {
    let mut block = hmac::digest::Key::<HmacMd5>::default();
    for (dst, src) in block.iter_mut().zip(key) {
        *dst = *src;
    }
    let mac = HmacMd5::new(&block);
    wipe(&mut block);
    mac
}

/// HMAC-MD5 with a 16-byte key over the concatenation of `parts`.
pub fn hmac_md5(key: &[u8; 16], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = hmac_md5_keyed(key);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Windows-style uppercasing for NTOWFv2: each character maps to at most one character
/// (Windows' RtlUpcaseUnicodeString never expands, unlike `str::to_uppercase` on 'ß').
fn upcase(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Feeds `chars` as UTF-16LE to `sink` in chunks of up to 64 bytes, through a buffer on the
/// stack that is wiped afterwards: hashing a password or an identity allocates nothing and
/// leaves no copy behind.
fn utf16le_chunks(chars: impl Iterator<Item = char>, mut sink: impl FnMut(&[u8])) {
    let mut buf = [0u8; 64];
    let mut units = [0u16; 2];
    let mut filled = 0usize;
    for c in chars {
        for unit in c.encode_utf16(&mut units).iter() {
            // `filled` is even and below 64 here, so the two bytes always fit.
            if let Some(dst) = buf.get_mut(filled..filled.saturating_add(2)) {
                dst.copy_from_slice(&unit.to_le_bytes());
                filled = filled.saturating_add(2);
            }
            if filled == buf.len() {
                sink(&buf);
                filled = 0;
            }
        }
    }
    sink(buf.get(..filled).unwrap_or_default());
    wipe(&mut buf);
    wipe(&mut units);
}

/// NTOWFv2 (MS-NLMP 3.3.2): HMAC_MD5(NTOWFv1, UNICODE(Uppercase(user) ‖ domain)).
pub fn ntowf_v2(nt_hash: &NtHash, user: &str, domain: &str) -> ResponseKey {
    let mut mac = hmac_md5_keyed(nt_hash.as_bytes());
    utf16le_chunks(user.chars().map(upcase).chain(domain.chars()), |chunk| mac.update(chunk));
    ResponseKey(mac.finalize().into_bytes().into())
}

/// ResponseKeyNT (NTOWFv2) keyed into HMAC-MD5 once: NTProofStr, the SessionBaseKey and the
/// LMv2 response (MS-NLMP 3.3.2) are each an HMAC_MD5 under it, and keying costs two MD5
/// block compressions, so one keyed state serves them all. Wiped on drop; `Debug` is
/// redacted.
#[derive(Clone)]
pub struct ResponseMac(HmacMd5Key);

impl ResponseMac {
    /// Keys HMAC-MD5 with ResponseKeyNT.
    pub fn new(key: &ResponseKey) -> Self {
        Self(HmacMd5Key::new(key.as_bytes()))
    }

    /// HMAC_MD5(ResponseKeyNT, concatenation of `parts`).
    fn mac(&self, parts: &[&[u8]]) -> [u8; 16] {
        let mut mac = stitch::HmacMd5Stream::resume(&self.0);
        for part in parts {
            mac.update(part);
        }
        mac.finish()
    }

    /// NTProofStr: HMAC_MD5(ResponseKeyNT, ServerChallenge ‖ temp), where `temp` is the
    /// NTLMv2 client challenge blob exactly as sent.
    pub fn nt_proof_str(&self, server_challenge: &[u8; 8], blob: &[u8]) -> [u8; 16] {
        self.mac(&[server_challenge, blob])
    }

    /// [`nt_proof_str`](Self::nt_proof_str) and then
    /// [`session_base_key`](Self::session_base_key) of it, while the MIC under `exported`
    /// is keyed and absorbs `mic_parts` (NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE up to its NT
    /// response): the client knows its random ExportedSessionKey, and so the MIC's key,
    /// before its proof, and the two chains of MACs run side by side (BENCHMARKS.md).
    pub(crate) fn proof_beside_mic(
        &self,
        server_challenge: &[u8; 8],
        blob: &[u8],
        exported: &SessionKey,
        mic_parts: &[&[u8]],
    ) -> Result<([u8; 16], SessionKey, MicInProgress)> {
        let (proof, session_key, mic) = stitch::proof_beside_mic(
            &self.0,
            &[server_challenge, blob],
            exported.as_bytes(),
            mic_parts,
        )
        .ok_or(Error::new(ErrorKind::InternalError, "NTProofStr beside the MIC stopped early"))?;
        Ok((proof, SessionKey(session_key), MicInProgress(mic)))
    }

    /// SessionBaseKey for NTLMv2: HMAC_MD5(ResponseKeyNT, NTProofStr). For NTLMv2 the
    /// KeyExchangeKey equals it (MS-NLMP 3.4.5.1).
    pub fn session_base_key(&self, nt_proof_str: &[u8; 16]) -> SessionKey {
        SessionKey(self.mac(&[nt_proof_str]))
    }

    /// The LMv2 response: HMAC_MD5(ResponseKeyLM, ServerChallenge ‖ ClientChallenge) ‖
    /// ClientChallenge (ResponseKeyLM equals ResponseKeyNT).
    pub fn lmv2_response(
        &self,
        server_challenge: &[u8; 8],
        client_challenge: &[u8; 8],
    ) -> [u8; 24] {
        let mac = self.mac(&[server_challenge, client_challenge]);
        let mut out = [0u8; 24];
        for (dst, src) in out.iter_mut().zip(mac.iter().chain(client_challenge)) {
            *dst = *src;
        }
        out
    }
}

// What `HmacMd5` holds, its inner and outer MD5 states and its block buffer, is wiped on
// drop (the `zeroize` feature of `md-5` and `digest`), and so are the keyed states of a
// session's `Signer`; `Hmac` itself carries no `ZeroizeOnDrop` marker, so this checks its
// parts, and stops compiling if that ever changes. (`ResponseMac` holds an `HmacMd5Key`,
// which wipes itself.)
const _: () = {
    const fn wiped_on_drop<T: ZeroizeOnDrop>() {}
    wiped_on_drop::<md5::block_api::Md5Core>();
    wiped_on_drop::<hmac::digest::block_api::Buffer<hmac::block_api::HmacCore<Md5>>>();
    wiped_on_drop::<HmacMd5Key>();
};

impl ZeroizeOnDrop for ResponseMac {}

impl fmt::Debug for ResponseMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseMac(<redacted>)")
    }
}

/// NTProofStr (MS-NLMP 3.3.2): HMAC_MD5(ResponseKeyNT, ServerChallenge ‖ temp), where
/// `temp` is the NTLMv2 client challenge blob exactly as sent. [`ResponseMac`] keys once
/// for this and the session base key.
pub fn nt_proof_str(key: &ResponseKey, server_challenge: &[u8; 8], blob: &[u8]) -> [u8; 16] {
    ResponseMac::new(key).nt_proof_str(server_challenge, blob)
}

/// The NTLMv2 NtChallengeResponse: NTProofStr ‖ temp.
pub fn ntlmv2_response(key: &ResponseKey, server_challenge: &[u8; 8], blob: &[u8]) -> Vec<u8> {
    let proof = nt_proof_str(key, server_challenge, blob);
    let mut out = Vec::with_capacity(blob.len().saturating_add(16));
    out.extend_from_slice(&proof);
    out.extend_from_slice(blob);
    out
}

/// The LMv2 response (MS-NLMP 3.3.2): HMAC_MD5(ResponseKeyLM, ServerChallenge ‖
/// ClientChallenge) ‖ ClientChallenge.
pub fn lmv2_response(
    key: &ResponseKey,
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
) -> [u8; 24] {
    ResponseMac::new(key).lmv2_response(server_challenge, client_challenge)
}

/// SessionBaseKey for NTLMv2 (MS-NLMP 3.3.2): HMAC_MD5(ResponseKeyNT, NTProofStr). For
/// NTLMv2 the KeyExchangeKey equals it (MS-NLMP 3.4.5.1).
pub fn session_base_key_v2(key: &ResponseKey, nt_proof_str: &[u8; 16]) -> SessionKey {
    ResponseMac::new(key).session_base_key(nt_proof_str)
}

/// RC4 with a one-shot key over a 16-byte value: encrypts (or decrypts) the exported
/// session key under the KeyExchangeKey (MS-NLMP 3.1.5.1.2, 3.2.5.1.2).
pub fn rc4_session_key(key_exchange_key: &SessionKey, value: &[u8; 16]) -> Result<[u8; 16]> {
    let mut out = *value;
    // Keyed where it lies: `Rc4::new` would return the 1 KiB state through a copy.
    let mut rc4 = Rc4::unkeyed();
    rc4.rekey(key_exchange_key.as_bytes())?;
    rc4.apply(&mut out);
    Ok(out)
}

/// EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey).
pub fn encrypt_session_key(kxkey: &SessionKey, exported: &SessionKey) -> Result<[u8; 16]> {
    rc4_session_key(kxkey, exported.as_bytes())
}

/// [`encrypt_session_key`] while `mic` absorbs `mic_parts`: the client's RC4 key schedule
/// and its MIC do not depend on each other, and each is bound by the latency of one chain,
/// so side by side they take about as long as the key schedule alone (BENCHMARKS.md).
pub(crate) fn encrypt_session_key_beside_mic(
    kxkey: &SessionKey,
    exported: &SessionKey,
    mic: &mut MicInProgress,
    mic_parts: &[&[u8]],
) -> [u8; 16] {
    let mut out = *exported.as_bytes();
    // Keyed where it lies, like `rc4_session_key`.
    let mut rc4 = Rc4::unkeyed();
    stitch::rekey_beside_hmac(&mut rc4, kxkey.as_bytes(), &mut mic.0, mic_parts);
    rc4.apply(&mut out);
    out
}

/// A MIC (HMAC-MD5 under ExportedSessionKey) partway through NEGOTIATE ‖ CHALLENGE ‖
/// AUTHENTICATE.
pub(crate) struct MicInProgress(stitch::HmacMd5Stream);

impl MicInProgress {
    /// The MIC, once `rest` (the last bytes of AUTHENTICATE, its MIC field zero) is
    /// absorbed: [`mic`]'s value over the whole.
    pub(crate) fn finish(mut self, rest: &[u8]) -> [u8; 16] {
        self.0.update(rest);
        self.0.finish()
    }
}

impl fmt::Debug for MicInProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MicInProgress(<redacted>)")
    }
}

/// ExportedSessionKey = RC4K(KeyExchangeKey, EncryptedRandomSessionKey).
pub fn decrypt_session_key(kxkey: &SessionKey, encrypted: &[u8; 16]) -> Result<SessionKey> {
    rc4_session_key(kxkey, encrypted).map(SessionKey)
}

/// Which way a message travels; selects the SIGNKEY/SEALKEY magic constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client (initiator) to server (acceptor).
    ClientToServer,
    /// Server (acceptor) to client (initiator).
    ServerToClient,
}

const CLIENT_SIGN_MAGIC: &[u8] = b"session key to client-to-server signing key magic constant\0";
const SERVER_SIGN_MAGIC: &[u8] = b"session key to server-to-client signing key magic constant\0";
const CLIENT_SEAL_MAGIC: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const SERVER_SEAL_MAGIC: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// SIGNKEY (MS-NLMP 3.4.5.2) with extended session security: MD5(key ‖ magic).
pub fn sign_key(exported: &SessionKey, direction: Direction) -> SignKey {
    let magic = match direction {
        Direction::ClientToServer => CLIENT_SIGN_MAGIC,
        Direction::ServerToClient => SERVER_SIGN_MAGIC,
    };
    SignKey(md5(&[exported.as_bytes(), magic]))
}

/// An RC4 sealing key of 8 or 16 bytes (MS-NLMP 3.4.5.3 SEALKEY).
#[derive(Clone, Eq)]
pub struct SealKey {
    bytes: [u8; 16],
    len: u8,
}

impl Zeroize for SealKey {
    fn zeroize(&mut self) {
        wipe(&mut self.bytes);
        self.len.zeroize();
    }
}

zeroize_on_drop!(SealKey);

/// Constant time, like every secret comparison here.
impl PartialEq for SealKey {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.as_bytes(), other.as_bytes())
    }
}

impl SealKey {
    /// The key bytes (8 for non-ESS 40/56-bit keys, 16 otherwise).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&self.bytes)
    }

    fn from_slice(key: &[u8]) -> Self {
        let mut bytes = [0u8; 16];
        let mut len = 0u8;
        for (dst, src) in bytes.iter_mut().zip(key) {
            *dst = *src;
            len = len.saturating_add(1);
        }
        Self { bytes, len }
    }
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey(<redacted>)")
    }
}

/// SEALKEY (MS-NLMP 3.4.5.3) for the negotiated `flags`.
///
/// With extended session security the key is weakened to 128, 56 or 40 bits and hashed
/// with the direction's magic constant. Without it, LM_KEY or DATAGRAM sessions use an
/// 8-byte key with a fixed tail, and anything else uses the exported key as is.
pub fn seal_key(flags: NegotiateFlags, exported: &SessionKey, direction: Direction) -> SealKey {
    let key = exported.as_bytes();
    if flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
        let weakened: &[u8] = if flags.contains(NegotiateFlags::NEGOTIATE_128) {
            key
        } else if flags.contains(NegotiateFlags::NEGOTIATE_56) {
            key.get(..7).unwrap_or(key)
        } else {
            key.get(..5).unwrap_or(key)
        };
        let magic = match direction {
            Direction::ClientToServer => CLIENT_SEAL_MAGIC,
            Direction::ServerToClient => SERVER_SEAL_MAGIC,
        };
        SealKey::from_slice(&md5(&[weakened, magic]))
    } else if flags.intersects(NegotiateFlags::LM_KEY | NegotiateFlags::DATAGRAM) {
        // MS-NLMP 3.4.5.3: 56-bit keys end in 0xA0, 40-bit keys in 0xE5 0x38 0xB0.
        let (prefix, tail): (usize, &[u8]) = if flags.contains(NegotiateFlags::NEGOTIATE_56) {
            (7, &[0xa0])
        } else {
            (5, &[0xe5, 0x38, 0xb0])
        };
        let mut short = [0u8; 8];
        for (dst, src) in short.iter_mut().zip(key.iter().take(prefix).chain(tail)) {
            *dst = *src;
        }
        let out = SealKey::from_slice(&short);
        wipe(&mut short);
        out
    } else {
        SealKey::from_slice(key)
    }
}

/// The MIC (MS-NLMP 3.1.5.1.2): HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖
/// AUTHENTICATE), the AUTHENTICATE taken with its MIC field zeroed.
pub fn mic(
    exported: &SessionKey,
    negotiate: &[u8],
    challenge: &[u8],
    authenticate_zero_mic: &[u8],
) -> [u8; 16] {
    hmac_md5(exported.as_bytes(), &[negotiate, challenge, authenticate_zero_mic])
}

/// The `gss_channel_bindings_struct` (RFC 2744 3.11) whose MD5 is MsvAvChannelBindings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelBindings {
    /// Initiator address type (0 in TLS bindings).
    pub initiator_addrtype: u32,
    /// Initiator address (empty in TLS bindings).
    pub initiator_address: Vec<u8>,
    /// Acceptor address type (0 in TLS bindings).
    pub acceptor_addrtype: u32,
    /// Acceptor address (empty in TLS bindings).
    pub acceptor_address: Vec<u8>,
    /// Application data, e.g. `tls-server-end-point:` followed by the certificate hash.
    pub application_data: Vec<u8>,
}

impl ChannelBindings {
    /// Bindings that carry only application data, as TLS channel bindings do (RFC 5929).
    pub fn from_application_data(data: &[u8]) -> Self {
        Self { application_data: data.to_vec(), ..Self::default() }
    }

    /// Parses a Windows `SEC_CHANNEL_BINDINGS` structure (the contents of a
    /// `SECBUFFER_CHANNEL_BINDINGS` buffer): eight little-endian u32 fields — initiator
    /// type, length, offset; acceptor type, length, offset; application data length,
    /// offset — with the offsets relative to the start of the structure.
    pub fn from_sec_channel_bindings(bytes: &[u8]) -> Result<Self> {
        let mut r = crate::codec::Reader::new(bytes);
        let field = "SEC_CHANNEL_BINDINGS header";
        let slice = |len: u32, offset: u32| -> Result<Vec<u8>> {
            let len = u16::try_from(len)
                .map_err(|_| Error::invalid_token("SEC_CHANNEL_BINDINGS length"))?;
            let sb = crate::codec::SecurityBuffer { len, max_len: len, offset };
            sb.resolve(bytes, "SEC_CHANNEL_BINDINGS field past end").map(<[u8]>::to_vec)
        };
        let initiator_addrtype = r.u32_le(field)?;
        let (il, io) = (r.u32_le(field)?, r.u32_le(field)?);
        let acceptor_addrtype = r.u32_le(field)?;
        let (al, ao) = (r.u32_le(field)?, r.u32_le(field)?);
        let (dl, dof) = (r.u32_le(field)?, r.u32_le(field)?);
        Ok(Self {
            initiator_addrtype,
            initiator_address: slice(il, io)?,
            acceptor_addrtype,
            acceptor_address: slice(al, ao)?,
            application_data: slice(dl, dof)?,
        })
    }

    /// The flat structure as hashed: each address type and length as little-endian u32,
    /// each value after its length.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |addrtype: Option<u32>, value: &[u8]| {
            if let Some(t) = addrtype {
                out.extend_from_slice(&t.to_le_bytes());
            }
            let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(value);
        };
        put(Some(self.initiator_addrtype), &self.initiator_address);
        put(Some(self.acceptor_addrtype), &self.acceptor_address);
        put(None, &self.application_data);
        out
    }

    /// MD5 of the structure: the value of MsvAvChannelBindings.
    pub fn hash(&self) -> [u8; 16] {
        md5(&[&self.to_bytes()])
    }
}

/// A 16-byte NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 2.2.2.9): Version ‖ Checksum ‖ SeqNum.
///
/// `==` is constant time.
#[derive(Clone, Copy, Eq)]
pub struct Signature(pub [u8; 16]);

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other)
    }
}

impl Signature {
    /// The signature when SIGN was not negotiated but ALWAYS_SIGN was (MS-NLMP 3.4.3).
    pub const DUMMY: Self = Self([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

    /// Builds a signature from its checksum and sequence number (version 1).
    pub fn new(checksum: [u8; 8], seq_num: [u8; 4]) -> Self {
        // No allocation: this runs on every sign / seal / verify / unseal.
        let mut out = [0u8; 16];
        let parts = 1u32.to_le_bytes().into_iter().chain(checksum).chain(seq_num);
        for (dst, src) in out.iter_mut().zip(parts) {
            *dst = src;
        }
        Self(out)
    }

    /// Decodes a signature; anything but 16 bytes is an error.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        <[u8; 16]>::try_from(bytes)
            .map(Self)
            .map_err(|_| Error::new(ErrorKind::MessageAltered, "signature is not 16 bytes"))
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// The ESS message signature (MS-NLMP 3.4.4.2): HMAC_MD5(SigningKey, SeqNum ‖ Message)
/// truncated to 8 bytes, RC4-encrypted when KEY_EXCH was negotiated.
///
/// `signer` is the HMAC state keyed once with the signing key; `message` is given in parts
/// so SSPI buffer lists are signed without copying.
pub fn ess_signature<'m>(
    signer: &HmacMd5,
    seal: Option<&mut Rc4>,
    seq_num: u32,
    message: impl IntoIterator<Item = &'m [u8]>,
) -> Signature {
    let mut mac = signer.clone();
    mac.update(&seq_num.to_le_bytes());
    for part in message {
        mac.update(part);
    }
    let digest: [u8; 16] = mac.finalize().into_bytes().into();
    let mut checksum = [0u8; 8];
    for (dst, src) in checksum.iter_mut().zip(digest) {
        *dst = src;
    }
    if let Some(rc4) = seal {
        rc4.apply(&mut checksum);
    }
    Signature::new(checksum, seq_num.to_le_bytes())
}

/// The non-ESS message signature (MS-NLMP 3.4.4.1): CRC32 of the message, RC4-encrypted
/// with RandomPad and the sequence number. Legacy: feature `legacy-ntlmv1`.
///
/// MS-NLMP 4.2.2.4 prints the RC4'd RandomPad in the assembled signature, but 3.4.4.1 says
/// "Set RandomPad to 0" and Windows writes zeros there; the keystream still advances over it.
#[cfg(feature = "legacy-ntlmv1")]
#[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
pub fn crc32_signature<'m>(
    seal: &mut Rc4,
    seq_num: u32,
    message: impl IntoIterator<Item = &'m [u8]>,
) -> Signature {
    let mut crc = crc32fast::Hasher::new();
    for part in message {
        crc.update(part);
    }
    let mut block = [0u8; 12];
    for (dst, src) in block.iter_mut().skip(4).zip(crc.finalize().to_le_bytes()) {
        *dst = src;
    }
    seal.apply(&mut block);
    let mut checksum = [0u8; 8];
    let mut seq = [0u8; 4];
    for (dst, src) in checksum.iter_mut().skip(4).zip(block.iter().skip(4)) {
        *dst = *src;
    }
    for ((dst, src), nonce) in seq.iter_mut().zip(block.iter().skip(8)).zip(seq_num.to_le_bytes()) {
        *dst = *src ^ nonce;
    }
    Signature::new(checksum, seq)
}

#[cfg(feature = "legacy-ntlmv1")]
pub use legacy::*;

#[cfg(feature = "legacy-ntlmv1")]
mod legacy {
    //! LM and NTLMv1 (MS-NLMP 3.3.1, 3.4.5.1). Broken by design; behind `legacy-ntlmv1`.

    use des::Des;
    use des::cipher::{BlockCipherEncrypt, KeyInit};

    use super::{LmHash, NtHash, SessionKey, hmac_md5, md5, wipe};
    use crate::flags::NegotiateFlags;

    /// Expands 7 key bytes to a DES key with (ignored) parity bits.
    fn des_key(key7: &[u8; 7]) -> [u8; 8] {
        let mut wide = [0u8; 8];
        for (dst, src) in wide.iter_mut().skip(1).zip(key7) {
            *dst = *src;
        }
        let k = u64::from_be_bytes(wide);
        let mut out = [0u8; 8];
        for (i, b) in out.iter_mut().enumerate() {
            let shift = 49usize.saturating_sub(i.saturating_mul(7));
            let seven_bits = u8::try_from((k >> shift) & 0x7f).unwrap_or_default();
            *b = seven_bits << 1;
        }
        out
    }

    /// DES(K, D): single-block DES with a 7-byte key.
    fn des(key7: &[u8; 7], data: &[u8; 8]) -> [u8; 8] {
        let mut key = des_key(key7);
        let cipher = Des::new(&key.into());
        wipe(&mut key);
        let mut block = (*data).into();
        cipher.encrypt_block(&mut block);
        block.into()
    }

    fn seven(bytes: &[u8], at: usize) -> [u8; 7] {
        let mut out = [0u8; 7];
        for (dst, src) in out.iter_mut().zip(bytes.iter().skip(at)) {
            *dst = *src;
        }
        out
    }

    /// DESL(K, D) (MS-NLMP 6): three DES encryptions of D under K split into 7-byte parts,
    /// the 16-byte K padded with five zero bytes.
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
    pub fn desl(key: &[u8; 16], data: &[u8; 8]) -> [u8; 24] {
        let mut out = [0u8; 24];
        let blocks =
            [des(&seven(key, 0), data), des(&seven(key, 7), data), des(&seven(key, 14), data)];
        for (dst, src) in out.iter_mut().zip(blocks.iter().flatten()) {
            *dst = *src;
        }
        out
    }

    impl LmHash {
        /// LMOWFv1 (MS-NLMP 3.3.1): DES of "KGS!@#$%" under the uppercased, 14-byte padded
        /// OEM password. Characters outside Latin-1 become '?', as an OEM code page would.
        pub fn from_password(password: &str) -> Self {
            let mut oem = [0u8; 14];
            for (dst, c) in oem.iter_mut().zip(password.chars()) {
                let up = c.to_ascii_uppercase();
                *dst = u8::try_from(u32::from(up)).unwrap_or(b'?');
            }
            let magic = *b"KGS!@#$%";
            let mut out = [0u8; 16];
            let halves = [des(&seven(&oem, 0), &magic), des(&seven(&oem, 7), &magic)];
            for (dst, src) in out.iter_mut().zip(halves.iter().flatten()) {
                *dst = *src;
            }
            wipe(&mut oem);
            Self(out)
        }
    }

    /// The NTLMv1 response (MS-NLMP 3.3.1): DESL(NTOWFv1, ServerChallenge).
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
    pub fn ntlmv1_response(nt_hash: &NtHash, server_challenge: &[u8; 8]) -> [u8; 24] {
        desl(nt_hash.as_bytes(), server_challenge)
    }

    /// The NTLMv1 response with extended session security: DESL(NTOWFv1,
    /// MD5(ServerChallenge ‖ ClientChallenge)[0..8]).
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
    pub fn ntlmv1_ess_response(
        nt_hash: &NtHash,
        server_challenge: &[u8; 8],
        client_challenge: &[u8; 8],
    ) -> [u8; 24] {
        let digest = md5(&[server_challenge, client_challenge]);
        let mut challenge = [0u8; 8];
        for (dst, src) in challenge.iter_mut().zip(digest) {
            *dst = src;
        }
        desl(nt_hash.as_bytes(), &challenge)
    }

    /// The LMv1 response: DESL(LMOWFv1, ServerChallenge).
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
    pub fn lmv1_response(lm_hash: &LmHash, server_challenge: &[u8; 8]) -> [u8; 24] {
        desl(lm_hash.as_bytes(), server_challenge)
    }

    /// SessionBaseKey for NTLMv1: MD4(NTOWFv1).
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
    pub fn session_base_key_v1(nt_hash: &NtHash) -> SessionKey {
        use md4::{Digest, Md4};
        SessionKey::from_bytes(Md4::digest(nt_hash.as_bytes()).into())
    }

    /// KXKEY for NTLMv1 (MS-NLMP 3.4.5.1), every variant.
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-ntlmv1")))]
    pub fn kxkey_v1(
        flags: NegotiateFlags,
        session_base_key: &SessionKey,
        lm_hash: &LmHash,
        lm_response: &[u8; 24],
        server_challenge: &[u8; 8],
    ) -> SessionKey {
        let lm = lm_hash.as_bytes();
        let mut lm8 = [0u8; 8];
        for (dst, src) in lm8.iter_mut().zip(lm_response) {
            *dst = *src;
        }
        if flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
            SessionKey::from_bytes(hmac_md5(session_base_key.as_bytes(), &[server_challenge, &lm8]))
        } else if flags.contains(NegotiateFlags::LM_KEY) {
            let first = des(&seven(lm, 0), &lm8);
            let mut k2 = [0xbdu8; 7];
            if let (Some(dst), Some(src)) = (k2.first_mut(), lm.get(7)) {
                *dst = *src;
            }
            let second = des(&k2, &lm8);
            let mut out = [0u8; 16];
            for (dst, src) in out.iter_mut().zip(first.iter().chain(&second)) {
                *dst = *src;
            }
            SessionKey::from_bytes(out)
        } else if flags.contains(NegotiateFlags::REQUEST_NON_NT_SESSION_KEY) {
            let mut out = [0u8; 16];
            for (dst, src) in out.iter_mut().zip(lm.iter().take(8)) {
                *dst = *src;
            }
            SessionKey::from_bytes(out)
        } else {
            session_base_key.clone()
        }
    }
}

mod rc4;
#[cfg(test)]
pub(crate) use rc4::check_key;
pub use rc4::{RC4_STATE_LEN, Rc4};

mod stitch;
pub(crate) use stitch::{Direction as StitchDirection, HmacMd5Key, hmac_md5_rc4};

#[cfg(test)]
mod tests;
