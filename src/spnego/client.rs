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
enum State {
    Initial(ClientContext),
    InitSent { ntlm: ClientContext },
    AuthSent { established: Box<Established>, sent_mic: bool },
    Done(Box<Established>),
    Failed(Error),
}

/// A Negotiate client context offering NTLM only.
pub struct NegotiateClient {
    state: State,
}

impl core::fmt::Debug for NegotiateClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Initial(_) => "Initial",
            State::InitSent { .. } => "InitSent",
            State::AuthSent { .. } => "AuthSent",
            State::Done(_) => "Done",
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
        Self { state: State::Initial(ClientContext::shared(creds, config)) }
    }

    /// Sets channel bindings before the AUTHENTICATE is built.
    pub fn set_channel_bindings(&mut self, bindings: ChannelBindings) -> Result<()> {
        match &mut self.state {
            State::Initial(ntlm) | State::InitSent { ntlm, .. } => {
                ntlm.set_channel_bindings(bindings)
            }
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
        let state = core::mem::replace(&mut self.state, State::Failed(REENTERED));
        let result = match (state, input) {
            (State::Failed(e), _) => Err(e),
            (State::Initial(ntlm), None) => Self::init(ntlm, now, rng),
            (State::Initial(ntlm), Some(token)) => {
                // Server-initiated (NegTokenInit2, MS-SPNG 3.2.5.2): NTLM must be on offer.
                let NegotiationToken::Init(init) = NegotiationToken::decode(token)? else {
                    return self
                        .fail(protocol_error("SPNEGO first server token is not a NegTokenInit"));
                };
                if !init.mech_types.contains(&Oid::NTLMSSP) {
                    return self.fail(Error::new(
                        ErrorKind::UnsupportedFunction,
                        "SPNEGO server does not offer NTLM",
                    ));
                }
                Self::init(ntlm, now, rng)
            }
            (State::InitSent { ntlm }, Some(token)) => Self::authenticate(ntlm, token, now, rng),
            (State::AuthSent { established, sent_mic }, Some(token)) => {
                Self::finish(established, sent_mic, token)
            }
            (State::Done(_), _) => Err(Error::new(
                ErrorKind::OutOfSequence,
                "Negotiate client step after the handshake completed",
            )),
            (_, None) => {
                Err(Error::new(ErrorKind::OutOfSequence, "Negotiate client step needs a token"))
            }
        };
        match result {
            Ok((step, state)) => {
                self.state = state;
                Ok(step)
            }
            Err(e) => self.fail(e),
        }
    }

    fn fail<T>(&mut self, e: Error) -> Result<T> {
        self.state = State::Failed(e);
        Err(e)
    }

    fn init(
        mut ntlm: ClientContext,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(NegotiateStep, State)> {
        let ClientStep::Continue(negotiate) = ntlm.step(None, now, rng)? else {
            return Err(Error::new(ErrorKind::InternalError, "NTLM finished before CHALLENGE"));
        };
        let token = NegTokenInitParts {
            mech_types: &NTLM_ONLY,
            mech_token: Some(&negotiate),
            ..NegTokenInitParts::default()
        }
        .encode()?;
        Ok((NegotiateStep::Continue(token), State::InitSent { ntlm }))
    }

    fn authenticate(
        mut ntlm: ClientContext,
        token: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(NegotiateStep, State)> {
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
            response_token: Some(&authenticate),
            mech_list_mic: mech_list_mic.as_ref().map(|s| s.as_bytes().as_slice()),
        }
        .encode();
        Ok((NegotiateStep::Continue(token), State::AuthSent { established, sent_mic }))
    }

    fn finish(
        mut established: Box<Established>,
        sent_mic: bool,
        token: &[u8],
    ) -> Result<(NegotiateStep, State)> {
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
        Ok((NegotiateStep::Done, State::Done(established)))
    }

    fn established(&self) -> Result<&Established> {
        match &self.state {
            State::Done(e) => Ok(e),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "Negotiate handshake not complete")),
        }
    }

    /// Whether the handshake completed (including the server's mechListMIC).
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    crate::ntlm::outcome_accessors!(established, session_key);

    /// The message-protection session (sequence numbers continue after the mechListMIC).
    pub fn into_session(self) -> Result<Session> {
        self.into_established().map(|e| e.session)
    }

    /// The results and session, moved out (the context is spent).
    pub(crate) fn into_established(self) -> Result<Box<Established>> {
        match self.state {
            State::Done(e) => Ok(e),
            State::Failed(e) => Err(e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "Negotiate handshake not complete")),
        }
    }
}

fn expect_resp(token: &[u8]) -> Result<NegTokenRespView<'_>> {
    NegTokenRespView::expect(token, "SPNEGO server sent a NegTokenInit mid-handshake")
}

const REENTERED: Error = Error::new(ErrorKind::InternalError, "re-entered step");
