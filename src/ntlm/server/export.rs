//! Export and import of a server waiting for AUTHENTICATE (kind 2 of the
//! [export format](crate::ntlm::export)).

use super::{Pending, ServerConfig, ServerContext, State};
use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::export::{self, ExportKind, ExportWriter, ExportedContext};
use crate::ntlm::messages::{ChallengeMessage, NegotiateMessage};

/// flags, server challenge.
const FIXED_LEN: usize = 4 + 8;

impl ServerContext {
    /// ExportSecurityContext for a server that sent CHALLENGE and waits for AUTHENTICATE
    /// (format: [`crate::ntlm::export`]): the NEGOTIATE and CHALLENGE bytes, the server
    /// challenge and the chosen flags. Another process imports it with
    /// [`ServerContext::import`] and finishes the handshake there.
    ///
    /// Only that state exports: before CHALLENGE there is nothing to save (create a new
    /// context), and once established the state is the session (`into_session()` then
    /// [`Session::export`](crate::ntlm::session::Session::export)). Other states give
    /// `OutOfSequence`, a failed context its error.
    pub fn export(&self) -> Result<ExportedContext> {
        let pending = match &self.state {
            State::ChallengeSent(pending) => pending,
            State::Failed(e) => return Err(*e),
            _ => {
                return Err(Error::new(
                    ErrorKind::OutOfSequence,
                    "NTLM server export needs a context waiting for AUTHENTICATE",
                ));
            }
        };
        let strings = export::byte_strings_len(&[pending.negotiate(), pending.challenge()])?;
        let len = export::sum(&[FIXED_LEN, strings])?;
        let mut out = ExportWriter::new(ExportKind::NtlmServer, len)?;
        out.writer().u32_le(pending.flags.bits()).bytes(&pending.server_challenge);
        out.byte_string(pending.negotiate())?;
        out.byte_string(pending.challenge())?;
        out.finish()
    }

    /// ImportSecurityContext: a server waiting for AUTHENTICATE, restored from
    /// [`ServerContext::export`] bytes, under `config`.
    ///
    /// Policy is configuration, not state: the export carries only what the handshake
    /// saw and sent, and `config` decides everything else (required flags, MIC, channel
    /// bindings, SPNs, skew, anonymous, NIL-domain retry). Its names and VERSION are not
    /// used: the CHALLENGE they went into was already sent. Safe on any input: the
    /// NEGOTIATE and CHALLENGE must decode, and the CHALLENGE must carry the exported
    /// server challenge and flags; anything malformed is `InvalidToken`.
    pub fn import(config: ServerConfig, bytes: &[u8]) -> Result<Self> {
        let mut r = export::open(bytes, ExportKind::NtlmServer)?;
        let flags = NegotiateFlags::from_bits_retain(r.u32_le("NTLM server export: flags")?);
        let server_challenge = r.array("NTLM server export: server challenge")?;
        let negotiate = export::byte_string(&mut r, "NTLM server export: NEGOTIATE")?;
        let challenge = export::byte_string(&mut r, "NTLM server export: CHALLENGE")?;
        export::end(&r)?;

        // Datagram NTLM has no NEGOTIATE (MS-NLMP 3.2.5.2.1); otherwise it enters the MIC.
        if !negotiate.is_empty() {
            NegotiateMessage::decode(negotiate)?;
        }
        let decoded = ChallengeMessage::decode(challenge)?;
        if decoded.server_challenge != server_challenge {
            return Err(Error::invalid_token(
                "NTLM server export: server challenge differs from the CHALLENGE's",
            ));
        }
        if decoded.flags != flags {
            return Err(Error::invalid_token(
                "NTLM server export: flags differ from the CHALLENGE's",
            ));
        }
        let pending = Pending::new(negotiate, challenge, server_challenge, flags);
        Ok(Self { config, state: State::ChallengeSent(pending) })
    }
}
