//! Exported contexts (ExportSecurityContext / ImportSecurityContext): a context saved to
//! bytes in one process and restored in another.
//!
//! Two things travel:
//!
//! - an **established session** ([`Session::export`](crate::ntlm::session::Session::export)):
//!   its keys, flags, role, both sequence numbers and both RC4 keystream positions, so the
//!   restored session continues exactly where the original stopped (the peer cannot tell);
//! - a **server waiting for AUTHENTICATE**
//!   ([`ServerContext::export`](crate::ntlm::server::ServerContext::export)): the
//!   NEGOTIATE and CHALLENGE it saw and sent, its server challenge and the flags it chose,
//!   so a CHALLENGE issued by one process can be answered in another (scale-out behind a
//!   load balancer). Policy is configuration, not state: the importing side supplies its own
//!   `ServerConfig` (names, required flags, channel bindings, SPNs, skew, MIC, anonymous).
//!
//! The `sspi` layer wraps these in an envelope that adds the package, the lifespan and the
//! authenticated identity (`sspi::ClientContext::export`, `sspi::ServerContext::export`).
//!
//! # Security
//!
//! The bytes are as secret as the session keys: whoever holds a session export can read
//! and forge every later message. They come in an [`ExportedContext`], which wipes them on
//! drop and never prints them. This crate neither encrypts nor authenticates them: an
//! application that stores or ships them must protect them itself (e.g. an AEAD under a key
//! its processes share). An importer trusts what it imports; and a server export should be
//! imported once only (delete it from the shared store when it is used), since each import
//! can accept the same AUTHENTICATE.
//!
//! # Format (version 1)
//!
//! Every integer is little-endian; a *byte string* is a `u32` length followed by that many
//! bytes; an *optional time* is a `u8` presence flag (0 or 1) followed, when 1, by a `u64`
//! FILETIME.
//!
//! | field | size | value |
//! |---|---|---|
//! | magic | 4 | `SSPX` |
//! | version | 1 | 1 |
//! | kind | 1 | 1 NTLM session, 2 NTLM server awaiting AUTHENTICATE, 3 Negotiate server awaiting AUTHENTICATE, 4 SSPI context |
//! | body | rest | by kind, below; nothing may follow it |
//!
//! **Kind 1, NTLM session:**
//!
//! | field | size | value |
//! |---|---|---|
//! | role | 1 | 0 client (initiator), 1 server (acceptor) |
//! | flags | 4 | the negotiated `NegotiateFlags` |
//! | session key | 16 | the ExportedSessionKey; signing and sealing keys are derived from it again |
//! | outgoing sequence | 4 | the next outgoing SeqNum |
//! | incoming sequence | 4 | the next expected incoming SeqNum |
//! | incoming closed | 4 | 0, or the `SECURITY_STATUS` of the error that closed the receiving direction |
//! | RC4 states | 258 each | S (256 bytes, a permutation of 0..=255) ‖ i ‖ j: two (outgoing, then incoming) when the session has one RC4 handle per direction (extended session security, or neither SIGN nor SEAL); one shared state otherwise (legacy, MS-NLMP 3.4) |
//!
//! **Kind 2, NTLM server awaiting AUTHENTICATE:**
//!
//! | field | size | value |
//! |---|---|---|
//! | flags | 4 | the flags the CHALLENGE announced |
//! | server challenge | 8 | must equal the one inside the CHALLENGE |
//! | NEGOTIATE | byte string | as received (empty in datagram mode); it enters the MIC |
//! | CHALLENGE | byte string | as sent; it enters the MIC |
//!
//! **Kind 3, Negotiate server awaiting AUTHENTICATE:**
//!
//! | field | size | value |
//! |---|---|---|
//! | framing | 1 | 0 SPNEGO, 1 raw NTLM (a server accepting both chose raw NTLM) |
//! | mechTypes | byte string | the client's DER MechTypeList, for the mechListMIC (empty for raw NTLM) |
//! | NTLM | byte string | a complete kind-2 export |
//!
//! **Kind 4, SSPI context:**
//!
//! | field | size | value |
//! |---|---|---|
//! | package | 1 | 1 NTLM, 2 Negotiate |
//! | role | 1 | 0 client, 1 server |
//! | start | optional time | `SECPKG_ATTR_LIFESPAN` start |
//! | expiry | optional time | `SECPKG_ATTR_LIFESPAN` expiry |
//! | stage | 1 | 0 established, 1 server awaiting AUTHENTICATE |
//! | established: user, domain, workstation | 3 byte strings | UTF-8: the authenticated identity |
//! | established: session | byte string | a complete kind-1 export of the same role |
//! | awaiting: handshake | byte string | a complete kind-2 (NTLM) or kind-3 (Negotiate) export |
//!
//! Import checks every field with the bounds-checked [`Reader`]: a short input, an unknown
//! version or kind, a kind the importer does not take, a wrong role, a flag byte other than
//! 0 or 1, an RC4 state that is not a permutation, a CHALLENGE that does not match its
//! server challenge, non-UTF-8 names or trailing bytes are all
//! [`ErrorKind::InvalidToken`] errors naming the field.
//! Import never panics, and never allocates according to a length it reads: every
//! allocation is bounded by the input's own size. The entry
//! points, each safe to call on arbitrary bytes (the fuzz targets do), are
//! `ntlm::session::Session::import`, `ntlm::server::ServerContext::import`,
//! `spnego::server::NegotiateServer::import`, `sspi::ClientContext::import` and
//! `sspi::ServerContext::import`.

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use crate::codec::{Reader, Writer};
use crate::error::{Error, ErrorKind, Result};

/// The magic that starts every export.
pub const MAGIC: [u8; 4] = *b"SSPX";
/// The format version this crate writes and reads.
pub const VERSION: u8 = 1;

/// What an export holds (its `kind` byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportKind {
    /// 1: an established NTLM session.
    NtlmSession,
    /// 2: an NTLM server that sent CHALLENGE and awaits AUTHENTICATE.
    NtlmServer,
    /// 3: a Negotiate server that sent CHALLENGE and awaits AUTHENTICATE.
    NegotiateServer,
    /// 4: an `sspi` client or server context.
    SspiContext,
}

impl ExportKind {
    /// The `kind` byte.
    pub const fn value(self) -> u8 {
        match self {
            Self::NtlmSession => 1,
            Self::NtlmServer => 2,
            Self::NegotiateServer => 3,
            Self::SspiContext => 4,
        }
    }

    /// The kind of a `kind` byte, if known.
    pub const fn from_value(value: u8) -> Option<Self> {
        match value {
            1 => Some(Self::NtlmSession),
            2 => Some(Self::NtlmServer),
            3 => Some(Self::NegotiateServer),
            4 => Some(Self::SspiContext),
            _ => None,
        }
    }
}

/// The bytes of an exported context: secret, wiped on drop, never printed.
///
/// `Debug` shows only the kind and the length.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportedContext(Zeroizing<Vec<u8>>);

impl ExportedContext {
    /// The exported bytes, to store or send (protected: see the [module docs](self)).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// What the export holds.
    pub fn kind(&self) -> Option<ExportKind> {
        self.0.get(5).copied().and_then(ExportKind::from_value)
    }
}

impl AsRef<[u8]> for ExportedContext {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ExportedContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportedContext")
            .field("kind", &self.kind())
            .field("len", &self.0.len())
            .finish_non_exhaustive()
    }
}

/// The header length: magic, version, kind.
pub(crate) const HEADER_LEN: usize = 6;

/// A writer for one export, sized up front: a `Vec` that grew would leave a copy of the
/// key material behind in freed memory, so `len` must be the exact final length.
pub(crate) struct ExportWriter {
    w: Writer,
    len: usize,
}

impl ExportWriter {
    /// Starts an export of `kind` whose body is `body_len` bytes.
    pub(crate) fn new(kind: ExportKind, body_len: usize) -> Result<Self> {
        let len = body_len.checked_add(HEADER_LEN).ok_or(too_large())?;
        let mut w = Writer::with_capacity(len);
        w.bytes(&MAGIC).u8(VERSION).u8(kind.value());
        Ok(Self { w, len })
    }

    /// The underlying writer.
    pub(crate) fn writer(&mut self) -> &mut Writer {
        &mut self.w
    }

    /// Appends a byte string: `u32` length, then the bytes.
    pub(crate) fn byte_string(&mut self, bytes: &[u8]) -> Result<()> {
        let len = u32::try_from(bytes.len()).map_err(|_| too_large())?;
        self.w.u32_le(len).bytes(bytes);
        Ok(())
    }

    /// Appends an optional FILETIME.
    pub(crate) fn optional_u64(&mut self, value: Option<u64>) {
        match value {
            Some(v) => self.w.u8(1).u64_le(v),
            None => self.w.u8(0),
        };
    }

    /// Finishes; a length other than announced is an internal error (a bug here).
    pub(crate) fn finish(self) -> Result<ExportedContext> {
        let bytes = Zeroizing::new(self.w.into_vec());
        if bytes.len() == self.len {
            Ok(ExportedContext(bytes))
        } else {
            Err(Error::new(ErrorKind::InternalError, "context export: length mismatch"))
        }
    }
}

fn too_large() -> Error {
    Error::new(ErrorKind::InternalError, "context export: too large")
}

/// The encoded length of a byte string of `len` bytes.
pub(crate) fn byte_string_len(len: usize) -> Result<usize> {
    len.checked_add(4).ok_or(too_large())
}

/// The encoded length of several byte strings.
pub(crate) fn byte_strings_len(parts: &[&[u8]]) -> Result<usize> {
    parts.iter().try_fold(0usize, |acc, part| {
        byte_string_len(part.len())?.checked_add(acc).ok_or(too_large())
    })
}

/// Sums encoded field lengths without overflow.
pub(crate) fn sum(lengths: &[usize]) -> Result<usize> {
    lengths.iter().try_fold(0usize, |acc, l| acc.checked_add(*l)).ok_or(too_large())
}

/// Opens an export of `kind`: checks magic, version and kind; returns a reader at the body.
pub(crate) fn open(bytes: &[u8], kind: ExportKind) -> Result<Reader<'_>> {
    let mut r = Reader::new(bytes);
    if r.array::<4>("context export: magic")? != MAGIC {
        return Err(Error::invalid_token("context export: magic is not SSPX"));
    }
    if r.u8("context export: version")? != VERSION {
        return Err(Error::invalid_token("context export: unsupported version"));
    }
    match ExportKind::from_value(r.u8("context export: kind")?) {
        Some(k) if k == kind => Ok(r),
        Some(_) => {
            Err(Error::invalid_token("context export: kind is not the one this import takes"))
        }
        None => Err(Error::invalid_token("context export: unknown kind")),
    }
}

/// Reads a byte string; its length is checked against the input, never allocated blindly.
pub(crate) fn byte_string<'a>(r: &mut Reader<'a>, field: &'static str) -> Result<&'a [u8]> {
    let len = r.u32_le(field)?;
    let len = usize::try_from(len).map_err(|_| Error::invalid_token(field))?;
    r.take(len, field)
}

/// Reads a 0 / 1 flag byte.
pub(crate) fn flag(r: &mut Reader<'_>, field: &'static str) -> Result<bool> {
    match r.u8(field)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Error::invalid_token(field)),
    }
}

/// Reads an optional `u64`.
pub(crate) fn optional_u64(r: &mut Reader<'_>, field: &'static str) -> Result<Option<u64>> {
    if flag(r, field)? { r.u64_le(field).map(Some) } else { Ok(None) }
}

/// Checks nothing follows the body.
pub(crate) fn end(r: &Reader<'_>) -> Result<()> {
    if r.is_empty() { Ok(()) } else { Err(Error::invalid_token("context export: trailing bytes")) }
}
