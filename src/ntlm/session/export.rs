//! Session export and import (kind 1 of the [export format](crate::ntlm::export)).

use zeroize::Zeroizing;

use super::engine::{Channel, Cipher};
use super::{Inner, Role, Session, SessionParams, rc4_per_direction};
use crate::codec::Reader;
use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::crypto::{RC4_STATE_LEN, Rc4, SessionKey};
use crate::ntlm::export::{self, ExportKind, ExportWriter, ExportedContext};

/// role, flags, key, two sequence numbers, the closing status.
const FIXED_LEN: usize = 1 + 4 + 16 + 4 + 4 + 4;

impl Role {
    pub(crate) const fn value(self) -> u8 {
        match self {
            Self::Client => 0,
            Self::Server => 1,
        }
    }

    pub(crate) const fn from_value(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::Client),
            1 => Some(Self::Server),
            _ => None,
        }
    }
}

/// The parts of a session an export saves, borrowed.
struct Parts<'s> {
    send: &'s Channel,
    recv: &'s Channel,
    /// The outgoing handle, or the one shared handle of a legacy session.
    first: &'s Cipher,
    /// The incoming handle when each direction has its own.
    second: Option<&'s Cipher>,
}

impl Session {
    fn parts(&self) -> Parts<'_> {
        match &self.inner {
            Inner::Ess { send, recv } => Parts {
                send: &send.0.chan,
                recv: &recv.0.chan,
                first: &send.0.cipher,
                second: Some(&recv.0.cipher),
            },
            #[cfg(feature = "legacy-ntlmv1")]
            Inner::Legacy { send, recv, cipher, .. } => {
                Parts { send, recv, first: cipher, second: None }
            }
        }
    }

    /// ExportSecurityContext: the session as bytes (format: [`crate::ntlm::export`]) —
    /// keys, flags, role, both sequence numbers and both RC4 keystream positions.
    /// [`Session::import`] of them continues exactly where this session stands, so the
    /// original must not be used afterwards: two sessions on one keystream would reuse it.
    /// A receiving direction closed by an error stays closed.
    pub fn export(&self) -> Result<ExportedContext> {
        let parts = self.parts();
        let states = if parts.second.is_some() { 2 } else { 1 };
        let len = export::sum(&[FIXED_LEN, RC4_STATE_LEN.saturating_mul(states)])?;
        let mut out = ExportWriter::new(ExportKind::NtlmSession, len)?;
        let (send_seq, _) = parts.send.position();
        let (recv_seq, closed) = parts.recv.position();
        let w = out.writer();
        w.u8(self.role.value())
            .u32_le(self.flags.bits())
            .bytes(self.key.as_bytes())
            .u32_le(send_seq)
            .u32_le(recv_seq)
            .u32_le(closed.map_or(0, ErrorKind::status));
        for cipher in core::iter::once(parts.first).chain(parts.second) {
            w.bytes(cipher.export_state()?.as_slice());
        }
        out.finish()
    }

    /// ImportSecurityContext: restores a session from [`Session::export`] bytes. Safe on
    /// any input: every field is checked (see [`crate::ntlm::export`]) and a malformed one
    /// is `InvalidToken`; flags this build cannot serve (e.g. legacy sealing without the
    /// `legacy-ntlmv1` feature) give the same error as [`Session::new`].
    pub fn import(bytes: &[u8]) -> Result<Self> {
        let mut r = export::open(bytes, ExportKind::NtlmSession)?;
        let role = Role::from_value(r.u8("NTLM session export: role")?).ok_or(
            Error::invalid_token("NTLM session export: role is neither client nor server"),
        )?;
        let flags = NegotiateFlags::from_bits_retain(r.u32_le("NTLM session export: flags")?);
        let key = SessionKey::from_bytes(r.array("NTLM session export: session key")?);
        let send_seq = r.u32_le("NTLM session export: outgoing sequence number")?;
        let recv_seq = r.u32_le("NTLM session export: incoming sequence number")?;
        let closed = match r.u32_le("NTLM session export: incoming closed status")? {
            0 => None,
            code => Some(ErrorKind::from_status(code).ok_or(Error::invalid_token(
                "NTLM session export: incoming closed status is no SECURITY_STATUS error",
            ))?),
        };
        let first = rc4(&mut r, "NTLM session export: first RC4 state")?;
        let second = if rc4_per_direction(flags) {
            Some(rc4(&mut r, "NTLM session export: second RC4 state")?)
        } else {
            None
        };
        export::end(&r)?;

        let mut session = Self::new(SessionParams { flags, exported_session_key: key, role })?;
        match (&mut session.inner, second) {
            (Inner::Ess { send, recv }, Some(second)) => {
                send.0.chan.restore(send_seq, None);
                recv.0.chan.restore(recv_seq, closed);
                send.0.cipher.restore(first);
                recv.0.cipher.restore(second);
            }
            #[cfg(feature = "legacy-ntlmv1")]
            (Inner::Legacy { send, recv, cipher, .. }, None) => {
                send.restore(send_seq, None);
                recv.restore(recv_seq, closed);
                cipher.restore(first);
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::InternalError,
                    "NTLM session export: RC4 layout differs from the session's",
                ));
            }
        }
        Ok(session)
    }
}

/// Reads and validates one RC4 state; the copy on the stack is wiped.
fn rc4(r: &mut Reader<'_>, field: &'static str) -> Result<Rc4> {
    let state = Zeroizing::new(r.array::<RC4_STATE_LEN>(field)?);
    Rc4::from_state(&state)
}
