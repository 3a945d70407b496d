//! The NTLM security package (MS-NLMP).
//!
//! [`client::ClientContext`] and [`server::ServerContext`] are Sans-IO state machines over
//! the wire types of [`messages`] and the pure functions of [`crypto`]; a completed context
//! becomes a [`session::Session`] for signing and sealing.

pub mod client;
pub mod crypto;
pub mod export;
pub mod messages;
pub mod server;
pub mod session;

use crate::creds::Identity;
use crate::flags::NegotiateFlags;
use crypto::SessionKey;

/// What the application asks of a context, in SSPI terms (mapped onto NTLM wire flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContextRequest {
    /// Message integrity (`ISC_REQ_INTEGRITY`): negotiate SIGN.
    pub integrity: bool,
    /// Message confidentiality (`ISC_REQ_CONFIDENTIALITY`): negotiate SEAL (and SIGN).
    pub confidentiality: bool,
    /// Connectionless NTLM (`ISC_REQ_DATAGRAM`, MS-NLMP 3.1.5.2): no NEGOTIATE; the
    /// CHALLENGE starts the exchange and the caller supplies sequence numbers.
    pub datagram: bool,
}

impl Default for ContextRequest {
    /// Integrity and confidentiality, connection-oriented.
    fn default() -> Self {
        Self { integrity: true, confidentiality: true, datagram: false }
    }
}

impl ContextRequest {
    /// No message protection at all (authentication only).
    pub const NONE: Self = Self { integrity: false, confidentiality: false, datagram: false };
    /// Integrity only.
    pub const SIGN: Self = Self { integrity: true, confidentiality: false, datagram: false };
    /// Integrity and confidentiality.
    pub const SIGN_SEAL: Self = Self { integrity: true, confidentiality: true, datagram: false };

    /// The NTLM flags this request needs on the wire.
    pub fn wire_flags(self) -> NegotiateFlags {
        let mut f = NegotiateFlags::empty();
        if self.integrity || self.confidentiality {
            f |= NegotiateFlags::SIGN;
        }
        if self.confidentiality {
            f |= NegotiateFlags::SEAL;
        }
        if self.datagram {
            f |= NegotiateFlags::DATAGRAM;
        }
        f
    }
}

/// The accessors every handshake context shares. `$outcome` names a method returning
/// `Result<&T>` where `T` has `identity`, `flags` and the session key in field `$key`.
macro_rules! outcome_accessors {
    ($outcome:ident, $key:ident) => {
        /// The authenticated identity (on the client: the identity it authenticated as).
        pub fn identity(&self) -> $crate::Result<&$crate::Identity> {
            self.$outcome().map(|c| &c.identity)
        }

        /// The negotiated NTLM flags: what CHALLENGE and AUTHENTICATE agreed on.
        pub fn flags(&self) -> $crate::Result<$crate::NegotiateFlags> {
            self.$outcome().map(|c| c.flags)
        }

        /// The exported session key (MS-NLMP 3.1.5.1.2 ExportedSessionKey).
        pub fn session_key(&self) -> $crate::Result<&$crate::ntlm::crypto::SessionKey> {
            self.$outcome().map(|c| &c.$key)
        }
    };
}
pub(crate) use outcome_accessors;

/// What both sides know once a handshake completes.
#[derive(Clone, Debug)]
struct Completed {
    identity: Identity,
    flags: NegotiateFlags,
    exported_session_key: SessionKey,
}

/// A completed handshake taken apart for the layers above (SPNEGO, `sspi`): the results
/// moved out rather than cloned, and the session they key. Boxed, so that handing it from
/// one layer to the next moves a pointer, not the session.
pub(crate) struct Established {
    pub(crate) identity: Identity,
    pub(crate) flags: NegotiateFlags,
    pub(crate) session_key: SessionKey,
    pub(crate) session: session::Session,
}

impl Completed {
    /// The results as an [`Established`] for one side. The identity (names, not secret) is
    /// moved out; the session key is copied, so that the original is wiped where it lies when
    /// its context is dropped (a move would leave its bytes behind in freed memory).
    fn establish(&mut self, role: session::Role) -> crate::Result<alloc::boxed::Box<Established>> {
        let session = self.session(role)?;
        Ok(alloc::boxed::Box::new(Established {
            identity: core::mem::take(&mut self.identity),
            flags: self.flags,
            session_key: self.exported_session_key.clone(),
            session,
        }))
    }

    /// The message-protection session these results key, for one side.
    fn session(&self, role: session::Role) -> crate::Result<session::Session> {
        session::Session::new(session::SessionParams {
            flags: self.flags,
            exported_session_key: self.exported_session_key.clone(),
            role,
        })
    }
}
