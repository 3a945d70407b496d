//! Message integrity and confidentiality after authentication (MS-NLMP 3.4): sign, verify,
//! seal, unseal, GSS-style wrap / unwrap and SSPI-style encrypt / decrypt over buffers.
//!
//! A [`Session`] is built from the negotiated flags and the exported session key. Each
//! direction derives its keys (SIGNKEY, SEALKEY) and keys its HMAC-MD5 state and RC4 handle
//! when it is first used, not when the session is made: a session that never signs or seals
//! (HTTP authentication ends with the handshake) costs no cryptography at all.
//!
//! - **Extended session security** (ESS, every modern peer): directional HMAC-MD5 signing
//!   keys and directional RC4 sealing handles (MS-NLMP 3.4.4.2, 3.4.5.2, 3.4.5.3). The two
//!   directions are independent, so [`Session::split`] gives a [`SendHalf`] and a
//!   [`RecvHalf`] for full-duplex use on two tasks or threads.
//! - **Without ESS** (feature `legacy-ntlmv1` only): CRC32 signatures and one RC4 state
//!   shared by both directions (MS-NLMP 3.4.4.1, "half-duplex"), so no split.
//!
//! # Sequence numbers
//!
//! Connection-oriented sessions (no DATAGRAM flag) number messages themselves: outgoing
//! and incoming counters start at 0; every sign / seal / wrap / encrypt uses and increments
//! the outgoing one; every verify / unseal / unwrap / decrypt checks the incoming one and
//! increments it only on success (MS-NLMP 3.4.4). Datagram sessions (DATAGRAM flag) take
//! the number from the caller: use the `*_with_seq` methods. Calling the other family
//! returns [`ErrorKind::UnsupportedFunction`]. In datagram mode the RC4 handle is re-keyed
//! for every message with MD5(SealingKey ‖ SeqNum) (MS-NLMP 3.4), so messages may arrive
//! in any order; replay detection is then the caller's job.
//!
//! # Failures
//!
//! A signature whose SeqNum is not the expected one is [`ErrorKind::OutOfSequence`]; any
//! other mismatch is [`ErrorKind::MessageAltered`]. A rejected sealed message is zeroed
//! before the error returns, so no plaintext is released. After any error from a receiving
//! call the receiving direction is closed: every later receiving call fails with the same
//! kind (the sending direction is unaffected). Sending calls only fail on misuse, checked
//! before any state changes, and stay usable.
//!
//! Without ESS the SeqNum field is RC4-encrypted, so anything that shifts the shared
//! keystream (a replayed, dropped or truncated message) also reads as `OutOfSequence`.
//!
//! # Secrets
//!
//! Each direction holds copies of the exported session key until it derives its SIGNKEY
//! and SEALKEY from them on first use; each copy is replaced (and wiped) by the key it
//! gives, so a used direction holds only its own keys, while an unused one (a [`SendHalf`]
//! or [`RecvHalf`] included) still holds what the other direction's keys derive from.
//!
//! Keys and cipher states are zeroized on drop: `SealKey` and the RC4 states directly; the
//! HMAC-MD5 states through their parts (the MD5 cores and block buffers wipe themselves
//! in `Drop` under the `zeroize` features this crate enables, although `Hmac<Md5>` does not
//! implement the `ZeroizeOnDrop` marker). `Debug` output never shows key material.
//!
//! # Export
//!
//! [`Session::export`] saves a session (keys, flags, role, sequence numbers, RC4 keystream
//! positions, a closed receiving direction) and [`Session::import`] restores it in another
//! process, where it continues exactly where it stood; the format is in
//! [`crate::ntlm::export`]. The bytes are as secret as the keys.
//!
//! # Allocation
//!
//! `sign`, `verify`, `seal_in_place`, `unseal_in_place`, `wrap_in_place`,
//! `unwrap_in_place`, `encrypt` and `decrypt` never allocate; `wrap` and `unwrap` allocate
//! the returned vector.

mod engine;
mod export;
mod payload;

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::buffer::SecBuffer;
use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::crypto::{Direction, SessionKey, Signature};

use engine::{Channel, Cipher, Dir, KeySource, Mac, Policy, Signer};

/// `cbMaxSignature` of SecPkgContext_Sizes: an NTLMSSP_MESSAGE_SIGNATURE is 16 bytes.
pub const MAX_SIGNATURE: usize = 16;
/// `cbSecurityTrailer`: the TOKEN buffer of encrypt must hold 16 bytes.
pub const SECURITY_TRAILER: usize = 16;
/// `cbBlockSize`: RC4 is a stream cipher, so no padding.
pub const BLOCK_SIZE: usize = 0;
/// `cbMaxToken` of the NTLM package.
pub const MAX_TOKEN: usize = 2888;
/// `SECQOP_WRAP_NO_ENCRYPT`: encrypt produces the signature but leaves the data in clear.
pub const SECQOP_WRAP_NO_ENCRYPT: u32 = 0x8000_0001;

/// SecPkgContext_Sizes for NTLM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sizes {
    /// `cbMaxToken`: the largest handshake token.
    pub max_token: usize,
    /// `cbMaxSignature`: the size of a signature.
    pub max_signature: usize,
    /// `cbBlockSize`: messages need no padding.
    pub block_size: usize,
    /// `cbSecurityTrailer`: the size of the TOKEN buffer for encrypt.
    pub security_trailer: usize,
}

/// The sizes an NTLM session reports (QueryContextAttributes(SECPKG_ATTR_SIZES)).
pub const fn sizes() -> Sizes {
    Sizes {
        max_token: MAX_TOKEN,
        max_signature: MAX_SIGNATURE,
        block_size: BLOCK_SIZE,
        security_trailer: SECURITY_TRAILER,
    }
}

/// Which end of the authentication this session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The initiator: sends with the client-to-server keys.
    Client,
    /// The acceptor: sends with the server-to-client keys.
    Server,
}

impl Role {
    /// (outgoing, incoming) key directions.
    const fn directions(self) -> (Direction, Direction) {
        match self {
            Self::Client => (Direction::ClientToServer, Direction::ServerToClient),
            Self::Server => (Direction::ServerToClient, Direction::ClientToServer),
        }
    }
}

/// What a session is made from: the outcome of a completed handshake.
#[derive(Clone, Debug)]
pub struct SessionParams {
    /// The negotiated NTLM flags.
    pub flags: NegotiateFlags,
    /// The ExportedSessionKey (MS-NLMP 3.1.5.1.2, 3.2.5.1.2); its `Debug` is redacted.
    pub exported_session_key: SessionKey,
    /// Which side this session is.
    pub role: Role,
}

/// One direction with its own RC4 handle (ESS).
struct Half {
    policy: Policy,
    chan: Channel,
    cipher: Cipher,
}

impl Half {
    /// One direction of an ESS session, keyed from `key` (MS-NLMP 3.4.5.2, 3.4.5.3) when it
    /// is first used: SIGNKEY and its HMAC state on the first signature, SEALKEY and the RC4
    /// handle on the first use of the keystream.
    ///
    /// Boxed, with the RC4 state in a block of its own (keyed there on first use): every key
    /// of a direction lives on the heap and is wiped in place on drop, and moving a session
    /// (or splitting it) moves pointers, never key material.
    fn boxed(flags: NegotiateFlags, key: &SessionKey, direction: Direction) -> Box<Self> {
        let source = KeySource::new(key.clone(), flags, direction);
        let key_exch = flags.contains(NegotiateFlags::KEY_EXCH);
        Box::new(Self {
            policy: Policy::from_flags(flags),
            chan: Channel::new(Mac::Hmac { signer: Signer::new(source.clone()), key_exch }),
            cipher: Cipher::new(source),
        })
    }

    fn dir(&mut self) -> Dir<'_> {
        Dir { policy: self.policy, chan: &mut self.chan, cipher: &mut self.cipher }
    }
}

impl fmt::Debug for Half {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Half").field("policy", &self.policy).field("channel", &self.chan).finish()
    }
}

/// The sending direction of a split ESS session: sign, seal, wrap, encrypt.
#[derive(Debug)]
pub struct SendHalf(Box<Half>);

/// The receiving direction of a split ESS session: verify, unseal, unwrap, decrypt.
#[derive(Debug)]
pub struct RecvHalf(Box<Half>);

// Sessions are few and long-lived; boxing the common ESS variant would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Ess {
        send: SendHalf,
        recv: RecvHalf,
    },
    /// MS-NLMP 3.4: without ESS "only one key is used for sealing": one RC4 state serves
    /// both directions; each direction keeps its own sequence number.
    #[cfg(feature = "legacy-ntlmv1")]
    Legacy {
        policy: Policy,
        send: Channel,
        recv: Channel,
        cipher: Box<Cipher>,
    },
}

/// Message protection for a completed NTLM context. See the [module docs](self).
///
/// # Example
///
/// MS-NLMP 4.2.4.4: the client seals "Plaintext" under the NTLMv2 example's flags and key;
/// the server unseals it, and refuses it once altered.
///
/// ```
/// use sspi_proto::ntlm::crypto::SessionKey;
/// use sspi_proto::ntlm::session::{Role, Session, SessionParams};
/// use sspi_proto::{ErrorKind, NegotiateFlags};
///
/// let params = SessionParams {
///     flags: NegotiateFlags::from_bits_retain(0xE28A_8233),
///     exported_session_key: SessionKey::from_bytes([0x55; 16]),
///     role: Role::Client,
/// };
/// let server_params = SessionParams { role: Role::Server, ..params.clone() };
/// let mut client = Session::new(params)?;
/// let mut server = Session::new(server_params.clone())?;
///
/// let plaintext: Vec<u8> = "Plaintext".encode_utf16().flat_map(u16::to_le_bytes).collect();
/// let mut data = plaintext.clone();
/// let signature = client.seal_in_place(&mut data)?; // sequence number 0
/// assert_eq!(data[..4], [0x54, 0xe5, 0x01, 0x65]);
/// assert_eq!(signature.as_bytes()[4..12], [0x7f, 0xb3, 0x8e, 0xc5, 0xc5, 0x5d, 0x49, 0x76]);
///
/// // One bit flipped in transit: refused, and no plaintext is released.
/// let mut altered = data.clone();
/// altered[0] ^= 1;
/// let mut other_server = Session::new(server_params)?;
/// let err = other_server.unseal_in_place(&mut altered, &signature).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MessageAltered);
/// assert!(altered.iter().all(|&b| b == 0));
///
/// server.unseal_in_place(&mut data, &signature)?;
/// assert_eq!(data, plaintext);
/// # Ok::<(), sspi_proto::Error>(())
/// ```
pub struct Session {
    role: Role,
    flags: NegotiateFlags,
    /// Kept for [`Session::export`]: every key of the session derives from it, so an export
    /// carries this one key rather than four.
    key: SessionKey,
    inner: Inner,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Session");
        d.field("role", &self.role).field("flags", &self.flags);
        match &self.inner {
            Inner::Ess { send, recv } => d.field("send", &send.0.chan).field("recv", &recv.0.chan),
            #[cfg(feature = "legacy-ntlmv1")]
            Inner::Legacy { send, recv, .. } => d.field("send", send).field("recv", recv),
        };
        d.finish_non_exhaustive()
    }
}

/// Whether each direction has its own RC4 handle: with ESS (MS-NLMP 3.4.5.3 directional
/// sealing keys), and trivially when nothing is signed or sealed; otherwise the legacy
/// session shares one handle.
fn rc4_per_direction(flags: NegotiateFlags) -> bool {
    flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY)
        || !flags.intersects(NegotiateFlags::SIGN | NegotiateFlags::SEAL)
}

#[cfg(feature = "legacy-ntlmv1")]
fn legacy(flags: NegotiateFlags, key: &SessionKey) -> Result<Inner> {
    let policy = Policy::from_flags(flags);
    if policy.datagram && policy.seal {
        return Err(Error::new(
            ErrorKind::UnsupportedFunction,
            "MS-NLMP 3.4.3: connectionless sealing needs extended session security",
        ));
    }
    // The one key: SEALKEY without ESS does not depend on the direction.
    let cipher =
        Box::new(Cipher::new(KeySource::new(key.clone(), flags, Direction::ClientToServer)));
    Ok(Inner::Legacy {
        policy,
        send: Channel::new(Mac::Crc32),
        recv: Channel::new(Mac::Crc32),
        cipher,
    })
}

#[cfg(not(feature = "legacy-ntlmv1"))]
fn legacy(_flags: NegotiateFlags, _key: &SessionKey) -> Result<Inner> {
    Err(Error::new(
        ErrorKind::UnsupportedFunction,
        "signing or sealing without extended session security needs the legacy-ntlmv1 feature",
    ))
}

/// Public sending methods, shared by [`Session`] and [`SendHalf`].
macro_rules! send_methods {
    ($dir:ident) => {
        /// Signs `msg` (GSS_GetMICEx, MS-NLMP 3.4.4): a real signature with SIGN, the dummy
        /// signature with only ALWAYS_SIGN, `UnsupportedFunction` with neither.
        pub fn sign(&mut self, msg: &[u8]) -> Result<Signature> {
            self.$dir().sign(None, msg)
        }

        /// [`sign`](Self::sign) with the caller's sequence number (datagram sessions).
        pub fn sign_with_seq(&mut self, seq: u32, msg: &[u8]) -> Result<Signature> {
            self.$dir().sign(Some(seq), msg)
        }

        /// Seals `data` in place and returns its signature (SEAL, MS-NLMP 3.4.3): the data
        /// is RC4-encrypted, the signature covers the plaintext. Needs SEAL.
        pub fn seal_in_place(&mut self, data: &mut [u8]) -> Result<Signature> {
            self.$dir().seal(None, data)
        }

        /// [`seal_in_place`](Self::seal_in_place) with the caller's sequence number.
        pub fn seal_in_place_with_seq(&mut self, seq: u32, data: &mut [u8]) -> Result<Signature> {
            self.$dir().seal(Some(seq), data)
        }

        /// GSS_WrapEx: a new token = 16-byte signature ‖ data, the data sealed when SEAL
        /// was negotiated and in clear (signed only) otherwise.
        pub fn wrap(&mut self, data: &[u8]) -> Result<Vec<u8>> {
            self.$dir().wrap(None, data)
        }

        /// [`wrap`](Self::wrap) with the caller's sequence number.
        pub fn wrap_with_seq(&mut self, seq: u32, data: &[u8]) -> Result<Vec<u8>> {
            self.$dir().wrap(Some(seq), data)
        }

        /// [`wrap`](Self::wrap) without allocating: `token` holds 16 bytes of room followed
        /// by the plaintext; the signature is written into the room and the rest is sealed
        /// (or left in clear without SEAL). Shorter than 16 bytes: `BufferTooSmall`.
        pub fn wrap_in_place(&mut self, token: &mut [u8]) -> Result<()> {
            self.$dir().wrap_in_place(None, token)
        }

        /// [`wrap_in_place`](Self::wrap_in_place) with the caller's sequence number.
        pub fn wrap_in_place_with_seq(&mut self, seq: u32, token: &mut [u8]) -> Result<()> {
            self.$dir().wrap_in_place(Some(seq), token)
        }

        /// EncryptMessage. `qop` 0 seals (or only signs, without SEAL);
        /// [`SECQOP_WRAP_NO_ENCRYPT`] only signs; anything else is `QopNotSupported`. The one
        /// TOKEN buffer receives the signature and is narrowed to 16 bytes (missing:
        /// `InvalidToken`, smaller: `BufferTooSmall`); DATA buffers are sealed in place;
        /// read-only DATA buffers are not encrypted but signed per MS-NLMP 3.4.6.1 (with ESS
        /// all of them, without ESS only READONLY_WITH_CHECKSUM ones); other buffers, such
        /// as PADDING, are left alone.
        pub fn encrypt(&mut self, qop: u32, buffers: &mut [SecBuffer<'_>]) -> Result<()> {
            self.$dir().encrypt(None, qop, buffers)
        }

        /// [`encrypt`](Self::encrypt) with the caller's sequence number.
        pub fn encrypt_with_seq(
            &mut self,
            qop: u32,
            seq: u32,
            buffers: &mut [SecBuffer<'_>],
        ) -> Result<()> {
            self.$dir().encrypt(Some(seq), qop, buffers)
        }
    };
}

/// Public receiving methods, shared by [`Session`] and [`RecvHalf`].
macro_rules! recv_methods {
    ($dir:ident) => {
        /// Verifies `sig` over `msg` (GSS_VerifyMICEx, MS-NLMP 3.4.4). With only
        /// ALWAYS_SIGN, exactly the dummy signature is accepted.
        pub fn verify(&mut self, msg: &[u8], sig: &Signature) -> Result<()> {
            self.$dir().verify(None, msg, sig)
        }

        /// [`verify`](Self::verify) with the caller's sequence number (datagram sessions).
        pub fn verify_with_seq(&mut self, seq: u32, msg: &[u8], sig: &Signature) -> Result<()> {
            self.$dir().verify(Some(seq), msg, sig)
        }

        /// Unseals `data` in place and checks `sig` over the plaintext. On any error the
        /// buffer is zeroed. Needs SEAL.
        pub fn unseal_in_place(&mut self, data: &mut [u8], sig: &Signature) -> Result<()> {
            self.$dir().unseal(None, data, sig)
        }

        /// [`unseal_in_place`](Self::unseal_in_place) with the caller's sequence number.
        pub fn unseal_in_place_with_seq(
            &mut self,
            seq: u32,
            data: &mut [u8],
            sig: &Signature,
        ) -> Result<()> {
            self.$dir().unseal(Some(seq), data, sig)
        }

        /// GSS_UnwrapEx of a `wrap` token: the plaintext, or an error and no
        /// data. A token shorter than its 16-byte signature is `InvalidToken`.
        pub fn unwrap(&mut self, token: &[u8]) -> Result<Vec<u8>> {
            self.$dir().unwrap(None, token)
        }

        /// [`unwrap`](Self::unwrap) with the caller's sequence number.
        pub fn unwrap_with_seq(&mut self, seq: u32, token: &[u8]) -> Result<Vec<u8>> {
            self.$dir().unwrap(Some(seq), token)
        }

        /// [`unwrap`](Self::unwrap) without allocating: returns the plaintext part of
        /// `token` (its bytes after the signature). On a sealed session's rejected token
        /// that part is zeroed.
        pub fn unwrap_in_place<'t>(&mut self, token: &'t mut [u8]) -> Result<&'t mut [u8]> {
            self.$dir().unwrap_in_place(None, token)
        }

        /// [`unwrap_in_place`](Self::unwrap_in_place) with the caller's sequence number.
        pub fn unwrap_in_place_with_seq<'t>(
            &mut self,
            seq: u32,
            token: &'t mut [u8],
        ) -> Result<&'t mut [u8]> {
            self.$dir().unwrap_in_place(Some(seq), token)
        }

        /// DecryptMessage; returns the QOP: 0 when SEAL was negotiated (data decrypted),
        /// [`SECQOP_WRAP_NO_ENCRYPT`] otherwise (data only verified). NTLM signatures do
        /// not say whether the sender encrypted, so the session's flags decide; a message
        /// sent with `SECQOP_WRAP_NO_ENCRYPT` on a sealing session fails here.
        ///
        /// Either one TOKEN buffer (at least 16 bytes, else `InvalidToken`) with DATA
        /// buffers decrypted in place (read-only ones only verified), or one STREAM buffer
        /// holding signature ‖ sealed data plus one DATA buffer: afterwards the STREAM
        /// buffer holds the 16-byte signature and the DATA buffer the plaintext, both
        /// borrowed from the stream's memory (a stream of at least 16 bytes is split this
        /// way even when the check then fails). On any error decrypted data is zeroed.
        pub fn decrypt(&mut self, buffers: &mut [SecBuffer<'_>]) -> Result<u32> {
            self.$dir().decrypt(None, buffers)
        }

        /// [`decrypt`](Self::decrypt) with the caller's sequence number.
        pub fn decrypt_with_seq(&mut self, seq: u32, buffers: &mut [SecBuffer<'_>]) -> Result<u32> {
            self.$dir().decrypt(Some(seq), buffers)
        }
    };
}

impl Session {
    /// Makes the session from `params`; each direction derives its keys on first use.
    ///
    /// Without EXTENDED_SESSIONSECURITY, SIGN or SEAL need the `legacy-ntlmv1` feature
    /// (otherwise `UnsupportedFunction`), and a non-ESS datagram session cannot SEAL
    /// (MS-NLMP 3.4.3). A session that negotiated neither SIGN nor SEAL still exists: it
    /// hands out dummy signatures under ALWAYS_SIGN and refuses everything else.
    pub fn new(params: SessionParams) -> Result<Self> {
        let SessionParams { flags, exported_session_key: key, role } = params;
        let inner = if rc4_per_direction(flags) {
            let (outgoing, incoming) = role.directions();
            Inner::Ess {
                send: SendHalf(Half::boxed(flags, &key, outgoing)),
                recv: RecvHalf(Half::boxed(flags, &key, incoming)),
            }
        } else {
            legacy(flags, &key)?
        };
        Ok(Self { role, flags, key, inner })
    }

    /// Which side this session is.
    pub const fn role(&self) -> Role {
        self.role
    }

    /// The negotiated flags.
    pub const fn flags(&self) -> NegotiateFlags {
        self.flags
    }

    /// The ExportedSessionKey every key of this session derives from.
    pub(crate) const fn exported_session_key(&self) -> &SessionKey {
        &self.key
    }

    /// Splits an ESS session into independent sending and receiving halves, e.g. to seal
    /// on one task and unseal on another. Without ESS both directions share one RC4 state,
    /// so that is `UnsupportedFunction` (and the session is consumed: check
    /// [`flags`](Self::flags) first).
    pub fn split(self) -> Result<(SendHalf, RecvHalf)> {
        match self.inner {
            Inner::Ess { send, recv } => Ok((send, recv)),
            #[cfg(feature = "legacy-ntlmv1")]
            Inner::Legacy { .. } => Err(Error::new(
                ErrorKind::UnsupportedFunction,
                "a session without extended session security shares one RC4 state",
            )),
        }
    }

    /// Re-initialises both RC4 handles from their sealing keys, leaving sequence numbers
    /// as they are. SPNEGO calls this right after the mechListMIC: MS-SPNG 3.3.5.1 saves
    /// the RC4 key state before the MIC and restores it after, so the first application
    /// message sees the same key state as the MIC; as the MIC is the handle's first use,
    /// that is the freshly keyed state (what Windows, gss-ntlmssp and Samba do). The MIC
    /// uses sequence number 0, the first application message 1. Without ESS the one
    /// shared handle is reset. A closed receiving direction stays closed.
    ///
    /// A handle that has produced at most 256 keystream bytes since it was keyed (the
    /// MIC's 8) is rewound byte by byte rather than keyed again: the same state for a
    /// fraction of a key schedule. Any other handle (more bytes, imported, or keyed per
    /// message in datagram mode) is keyed again on its next use. Never fails; the `Result`
    /// is kept for compatibility.
    pub fn reset_rc4_for_mech_list_mic(&mut self) -> Result<()> {
        match &mut self.inner {
            Inner::Ess { send, recv } => {
                send.0.cipher.reset();
                recv.0.cipher.reset();
            }
            #[cfg(feature = "legacy-ntlmv1")]
            Inner::Legacy { cipher, .. } => cipher.reset(),
        }
        Ok(())
    }

    fn send_dir(&mut self) -> Dir<'_> {
        match &mut self.inner {
            Inner::Ess { send, .. } => send.0.dir(),
            #[cfg(feature = "legacy-ntlmv1")]
            Inner::Legacy { policy, send, cipher, .. } => {
                Dir { policy: *policy, chan: send, cipher }
            }
        }
    }

    fn recv_dir(&mut self) -> Dir<'_> {
        match &mut self.inner {
            Inner::Ess { recv, .. } => recv.0.dir(),
            #[cfg(feature = "legacy-ntlmv1")]
            Inner::Legacy { policy, recv, cipher, .. } => {
                Dir { policy: *policy, chan: recv, cipher }
            }
        }
    }

    send_methods!(send_dir);
    recv_methods!(recv_dir);
}

impl SendHalf {
    fn send_dir(&mut self) -> Dir<'_> {
        self.0.dir()
    }

    send_methods!(send_dir);
}

impl RecvHalf {
    fn recv_dir(&mut self) -> Dir<'_> {
        self.0.dir()
    }

    recv_methods!(recv_dir);
}
