//! The Negotiate (SPNEGO) client: NTLM inside RFC 4178 tokens, with the mechListMIC of
//! MS-SPNG 3.2.5.1.
//!
//! ```text
//! Initial --step(None)--> InitSent (NegTokenInit + optimistic NEGOTIATE)
//! Initial --step(NegTokenInit2)--> InitSent                (server spoke first)
//! InitSent --step(accept-incomplete + CHALLENGE)--> AuthSent (AUTHENTICATE + mechListMIC)
//! AuthSent --step(accept-completed + mechListMIC)--> Done
//! any error --> Failed (sticky)
//! ```

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::creds::{Credentials, SharedCredentials};
use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use crate::ntlm::crypto::{ChannelBindings, Signature};
use crate::ntlm::session::Session;
use crate::rand::Random;
use crate::spnego::Oid;
use crate::spnego::context::Established;
use crate::spnego::token::{
    NTLM_ONLY, NTLM_ONLY_DER, NegState, NegTokenInitParts, NegTokenRespView, NegotiationToken,
};
use crate::time::FileTime;

/// What a Negotiate client step produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NegotiateStep {
    /// `SEC_I_CONTINUE_NEEDED`: send this token and call again with the reply.
    Continue(Vec<u8>),
    /// `SEC_E_OK`: complete; nothing more to send.
    Done,
}

// The NTLM context is held inline: `sspi` boxes this whole context already. The mechanism
// list is always NTLM_ONLY, so the bytes the mechListMIC covers are a constant.
//
// Steps work on the state in place and change it only when a phase ends: the NTLM context
// is never moved (moving it in and out of each step was ~550 instructions of copying per
// handshake, 0.4 %). The large variant is the one every handshake passes through, and
// boxing it would add back an allocation.
#[allow(clippy::large_enum_variant)]
enum State {
    /// Before the NegTokenInit (`init_sent` false) and after it, awaiting the CHALLENGE.
    Ntlm {
        ntlm: ClientContext,
        init_sent: bool,
    },
    /// AUTHENTICATE sent (`done` false), then the server's answer checked (`done` true).
    Established {
        established: Box<Established>,
        sent_mic: bool,
        done: bool,
    },
    Failed(Error),
}

/// A Negotiate client context offering NTLM only.
pub struct NegotiateClient {
    state: State,
}

impl core::fmt::Debug for NegotiateClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Ntlm { init_sent: false, .. } => "Initial",
            State::Ntlm { init_sent: true, .. } => "InitSent",
            State::Established { done: false, .. } => "AuthSent",
            State::Established { done: true, .. } => "Done",
            State::Failed(_) => "Failed",
        };
        f.debug_struct("NegotiateClient").field("state", &state).finish()
    }
}

fn protocol_error(detail: &'static str) -> Error {
    Error::invalid_token(detail)
}

impl NegotiateClient {
    /// A new client. Negotiate always asks NTLM for integrity, so that the mechListMIC can
    /// protect the mechanism list (MS-SPNG 3.2.5.1).
    pub fn new(creds: Credentials, config: ClientConfig) -> Self {
        Self::shared(SharedCredentials::new(creds), config)
    }

    /// [`new`](Self::new) with credentials shared with other contexts.
    pub(crate) fn shared(creds: SharedCredentials, mut config: ClientConfig) -> Self {
        config.request.integrity = true;
        Self { state: State::Ntlm { ntlm: ClientContext::shared(creds, config), init_sent: false } }
    }

    /// Sets channel bindings before the AUTHENTICATE is built.
    pub fn set_channel_bindings(&mut self, bindings: ChannelBindings) -> Result<()> {
        match &mut self.state {
            State::Ntlm { ntlm, .. } => ntlm.set_channel_bindings(bindings),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "channel bindings after AUTHENTICATE")),
        }
    }

    /// Advances the handshake: `None` to start, or the server's token.
    pub fn step(
        &mut self,
        input: Option<&[u8]>,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<NegotiateStep> {
        let result = self.advance(input, now, rng);
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
        result
    }

    fn advance(
        &mut self,
        input: Option<&[u8]>,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<NegotiateStep> {
        match (&mut self.state, input) {
            (State::Failed(e), _) => Err(*e),
            (State::Ntlm { ntlm, init_sent }, None) if !*init_sent => {
                let token = Self::init(ntlm, now, rng)?;
                *init_sent = true;
                Ok(NegotiateStep::Continue(token))
            }
            (State::Ntlm { ntlm, init_sent }, Some(token)) if !*init_sent => {
                // Server-initiated (NegTokenInit2, MS-SPNG 3.2.5.2): NTLM must be on offer.
                let NegotiationToken::Init(init) = NegotiationToken::decode(token)? else {
                    return Err(protocol_error("SPNEGO first server token is not a NegTokenInit"));
                };
                if !init.mech_types.contains(&Oid::NTLMSSP) {
                    return Err(Error::new(
                        ErrorKind::UnsupportedFunction,
                        "SPNEGO server does not offer NTLM",
                    ));
                }
                let token = Self::init(ntlm, now, rng)?;
                *init_sent = true;
                Ok(NegotiateStep::Continue(token))
            }
            (State::Ntlm { ntlm, .. }, Some(token)) => {
                let (token, established, sent_mic) = Self::authenticate(ntlm, token, now, rng)?;
                self.state = State::Established { established, sent_mic, done: false };
                Ok(NegotiateStep::Continue(token))
            }
            (State::Established { established, sent_mic, done: false }, Some(token)) => {
                Self::finish(established, *sent_mic, token)?;
                if let State::Established { done, .. } = &mut self.state {
                    *done = true;
                }
                Ok(NegotiateStep::Done)
            }
            (State::Established { done: true, .. }, _) => Err(Error::new(
                ErrorKind::OutOfSequence,
                "Negotiate client step after the handshake completed",
            )),
            (_, None) => {
                Err(Error::new(ErrorKind::OutOfSequence, "Negotiate client step needs a token"))
            }
        }
    }

    /// The NegTokenInit with NTLM's NEGOTIATE as its optimistic token.
    fn init(ntlm: &mut ClientContext, now: FileTime, rng: &mut dyn Random) -> Result<Vec<u8>> {
        let ClientStep::Continue(negotiate) = ntlm.step(None, now, rng)? else {
            return Err(Error::new(ErrorKind::InternalError, "NTLM finished before CHALLENGE"));
        };
        NegTokenInitParts { mech_types: &NTLM_ONLY, ..NegTokenInitParts::default() }
            .encode_around(negotiate)
    }

    /// The server's CHALLENGE answered: the NegTokenResp carrying the AUTHENTICATE and our
    /// mechListMIC, the established NTLM results, and whether a mechListMIC was sent.
    fn authenticate(
        ntlm: &mut ClientContext,
        token: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(Vec<u8>, Box<Established>, bool)> {
        let resp = expect_resp(token)?;
        match resp.neg_state {
            Some(NegState::Reject) => {
                return Err(Error::new(
                    ErrorKind::LogonDenied,
                    "SPNEGO server rejected the negotiation",
                ));
            }
            Some(NegState::AcceptIncomplete | NegState::RequestMic) | None => {}
            Some(NegState::AcceptCompleted) => {
                return Err(protocol_error("SPNEGO server completed before NTLM did"));
            }
        }
        if !resp.selects_ntlm() {
            return Err(Error::new(
                ErrorKind::UnsupportedFunction,
                "SPNEGO server selected a mechanism other than NTLM",
            ));
        }
        let challenge =
            resp.response_token.ok_or(protocol_error("SPNEGO server sent no NTLM CHALLENGE"))?;
        let ClientStep::Done(authenticate) = ntlm.step(Some(challenge), now, rng)? else {
            return Err(Error::new(ErrorKind::InternalError, "NTLM did not complete on CHALLENGE"));
        };
        let mut established = ntlm.establish()?;
        // MS-SPNG 3.2.5.1: sign the mechanism list as sent, with sequence number 0.
        let sent_mic = established.flags.contains(NegotiateFlags::SIGN);
        let mech_list_mic =
            if sent_mic { Some(established.session.sign(&NTLM_ONLY_DER)?) } else { None };
        let token = NegTokenRespView {
            neg_state: None,
            supported_mech: None,
            response_token: None,
            mech_list_mic: mech_list_mic.as_ref().map(|s| s.as_bytes().as_slice()),
        }
        .encode_around(authenticate);
        Ok((token, established, sent_mic))
    }

    /// Checks the server's final token and its mechListMIC, then restarts the RC4 handles.
    fn finish(established: &mut Established, sent_mic: bool, token: &[u8]) -> Result<()> {
        let resp = expect_resp(token)?;
        match resp.neg_state {
            Some(NegState::AcceptCompleted) => {}
            Some(NegState::Reject) => {
                return Err(Error::new(ErrorKind::LogonDenied, "SPNEGO server rejected the logon"));
            }
            _ => return Err(protocol_error("SPNEGO final server token is not accept-completed")),
        }
        match (resp.mech_list_mic, sent_mic) {
            (Some(mic), _) => {
                let sig = Signature::from_slice(mic)?;
                established.session.verify(&NTLM_ONLY_DER, &sig)?;
            }
            (None, true) => {
                return Err(Error::new(
                    ErrorKind::MessageAltered,
                    "SPNEGO server omitted its mechListMIC",
                ));
            }
            (None, false) => {}
        }
        if sent_mic || resp.mech_list_mic.is_some() {
            // After the mechListMIC exchange the RC4 handles restart; sequence numbers do not.
            established.session.reset_rc4_for_mech_list_mic()?;
        }
        Ok(())
    }

    fn established(&self) -> Result<&Established> {
        match &self.state {
            State::Established { established, done: true, .. } => Ok(established),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "Negotiate handshake not complete")),
        }
    }

    /// Whether the handshake completed (including the server's mechListMIC).
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Established { done: true, .. })
    }

    crate::ntlm::outcome_accessors!(established, session_key);

    /// The message-protection session (sequence numbers continue after the mechListMIC).
    pub fn into_session(self) -> Result<Session> {
        self.into_established().map(|e| e.session)
    }

    /// The results and session, moved out (the context is spent).
    pub(crate) fn into_established(self) -> Result<Box<Established>> {
        match self.state {
            State::Established { established, done: true, .. } => Ok(established),
            State::Failed(e) => Err(e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "Negotiate handshake not complete")),
        }
    }
}

fn expect_resp(token: &[u8]) -> Result<NegTokenRespView<'_>> {
    NegTokenRespView::expect(token, "SPNEGO server sent a NegTokenInit mid-handshake")
}
