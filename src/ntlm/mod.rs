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

/// What both sides know once a handshake completes.
#[derive(Clone, Debug)]
struct Completed {
    identity: Identity,
    flags: NegotiateFlags,
    exported_session_key: SessionKey,
}
