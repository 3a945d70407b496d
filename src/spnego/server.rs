//! The Negotiate (SPNEGO) server: selects NTLM from the client's list, relays the NTLM
//! handshake, and requires the client's mechListMIC (MS-SPNG 3.2.5.1) so that a tampered
//! mechanism list is refused.
//!
//! ```text
//! Initial --step(NegTokenInit, NTLM first + NEGOTIATE)--> ChallengeSent
//! Initial --step(NegTokenInit, NTLM later)--> AwaitNegotiate --step(NEGOTIATE)--> ChallengeSent
//! Initial --start()--> (NegTokenInit2 out) Initial          (server speaks first, HTTP style)
//! ChallengeSent --step(AUTHENTICATE)--> NeedCredentials --provide_credentials--> Done
//! ChallengeSent --export()--> bytes --import(config, bytes)--> ChallengeSent (another process)
//! any error --> Failed (sticky)
//! ```

mod export;

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::crypto::{ChannelBindings, Signature};
use crate::ntlm::server::{
    CredentialAnswer, PassThroughRequest, ServerConfig, ServerContext, ServerStep,
};
use crate::ntlm::session::Session;
use crate::rand::Random;
use crate::spnego::context::Established;
use crate::spnego::der::tag;
use crate::spnego::token::{
    NTLM_ONLY_DER, NegHints, NegState, NegTokenInit, NegTokenInitView, NegTokenResp,
    NegTokenRespView, NegotiationToken,
};
use crate::spnego::{Oid, is_raw_ntlm};
use crate::time::FileTime;

/// Which tokens a server accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AcceptMode {
    /// SPNEGO tokens only.
    #[default]
    Negotiate,
    /// Raw NTLM or SPNEGO, whichever the first token is (raw NTLM starts `NTLMSSP\0`).
    Auto,
}

enum State {
    Initial(Box<ServerContext>),
    AwaitNegotiate {
        ntlm: Box<ServerContext>,
        mech_types: MechTypes,
    },
    ChallengeSent {
        ntlm: Box<ServerContext>,
        mech_types: MechTypes,
    },
    AwaitCredentials {
        ntlm: Box<ServerContext>,
        mech_types: MechTypes,
        /// The client's mechListMIC, read as a signature now (no copy of its bytes); a
        /// malformed one fails only if the MIC is checked, as it always has.
        client_mic: Option<Result<Signature>>,
    },
    /// Auto mode picked raw NTLM: every token goes straight to NTLM.
    Raw(Box<ServerContext>),
    Done(alloc::boxed::Box<Established>),
    Failed(Error),
}

/// The client's MechTypeList as it was sent, which the mechListMIC covers: borrowed when
/// it is the NTLM-only list (what this crate's client sends), copied otherwise.
type MechTypes = Cow<'static, [u8]>;

fn mech_types(der: &[u8]) -> MechTypes {
    if der == NTLM_ONLY_DER { Cow::Borrowed(&NTLM_ONLY_DER) } else { Cow::Owned(der.to_vec()) }
}

/// A Negotiate server context accepting NTLM only (Kerberos is declined).
pub struct NegotiateServer {
    state: State,
    mode: AcceptMode,
    raw: bool,
}

impl core::fmt::Debug for NegotiateServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Initial(_) => "Initial",
            State::AwaitNegotiate { .. } => "AwaitNegotiate",
            State::ChallengeSent { .. } => "ChallengeSent",
            State::AwaitCredentials { .. } => "AwaitCredentials",
            State::Raw(_) => "Raw",
            State::Done(_) => "Done",
            State::Failed(_) => "Failed",
        };
        f.debug_struct("NegotiateServer").field("state", &state).field("mode", &self.mode).finish()
    }
}

impl NegotiateServer {
    /// A new server with the NTLM policy of `config`.
    pub fn new(config: ServerConfig, mode: AcceptMode) -> Self {
        Self { state: State::Initial(Box::new(ServerContext::new(config))), mode, raw: false }
    }

    /// The NegTokenInit2 a server sends first in HTTP-style flows (MS-SPNG 3.2.5.2): the
    /// mechanisms it accepts and Windows' placeholder hint. The context stays ready for the
    /// client's NegTokenInit.
    pub fn start(&self) -> Result<Vec<u8>> {
        NegotiationToken::Init(NegTokenInit {
            mech_types: alloc::vec![Oid::NTLMSSP],
            neg_hints: Some(NegHints::windows()),
            ..NegTokenInit::default()
        })
        .encode()
    }

    /// Sets the server's channel bindings.
    pub fn set_channel_bindings(&mut self, bindings: ChannelBindings) {
        match &mut self.state {
            State::Initial(ntlm)
            | State::AwaitNegotiate { ntlm, .. }
            | State::ChallengeSent { ntlm, .. }
            | State::AwaitCredentials { ntlm, .. }
            | State::Raw(ntlm) => ntlm.set_channel_bindings(bindings),
            State::Done(_) | State::Failed(_) => {}
        }
    }

    /// Whether auto mode picked raw NTLM.
    pub fn is_raw_ntlm(&self) -> bool {
        self.raw
    }

    /// Feeds a client token.
    pub fn step(
        &mut self,
        input: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<ServerStep> {
        let mode = self.mode;
        self.transition(|state| match state {
            State::Initial(ntlm) if mode == AcceptMode::Auto && is_raw_ntlm(input) => {
                Self::raw_step(ntlm, input, now, rng)
            }
            State::Initial(ntlm) => Self::select(ntlm, input, now, rng),
            State::Raw(ntlm) => Self::raw_step(ntlm, input, now, rng),
            State::AwaitNegotiate { ntlm, mech_types } => {
                let resp = expect_resp(input)?;
                let negotiate = resp
                    .response_token
                    .ok_or(protocol_error("SPNEGO token without NTLM NEGOTIATE"))?;
                Self::challenge(ntlm, mech_types, negotiate, true, now, rng)
            }
            State::ChallengeSent { mut ntlm, mech_types } => {
                let resp = expect_resp(input)?;
                if resp.neg_state == Some(NegState::Reject) {
                    return Err(Error::new(
                        ErrorKind::LogonDenied,
                        "SPNEGO client rejected the negotiation",
                    ));
                }
                let authenticate = resp
                    .response_token
                    .ok_or(protocol_error("SPNEGO token without NTLM AUTHENTICATE"))?;
                let client_mic = resp.mech_list_mic.map(Signature::from_slice);
                match ntlm.step(authenticate, now, rng)? {
                    ServerStep::NeedCredentials(id) => Ok((
                        ServerStep::NeedCredentials(id),
                        State::AwaitCredentials { ntlm, mech_types, client_mic },
                    )),
                    ServerStep::Done(_) => Self::complete(ntlm, &mech_types, client_mic),
                    ServerStep::Continue(_) => Err(Error::new(
                        ErrorKind::InternalError,
                        "NTLM continued after AUTHENTICATE",
                    )),
                }
            }
            _ => Err(Error::new(
                ErrorKind::OutOfSequence,
                "Negotiate server step in the wrong state",
            )),
        })
    }

    /// Answers [`ServerStep::NeedCredentials`].
    pub fn provide_credentials(
        &mut self,
        answer: CredentialAnswer,
        now: FileTime,
    ) -> Result<ServerStep> {
        self.transition(|state| match state {
            State::AwaitCredentials { mut ntlm, mech_types, client_mic } => {
                ntlm.provide_credentials(answer, now)?;
                Self::complete(ntlm, &mech_types, client_mic)
            }
            State::Raw(mut ntlm) => {
                let step = ntlm.provide_credentials(answer, now)?;
                Self::raw_done(ntlm, step)
            }
            _ => {
                Err(Error::new(ErrorKind::OutOfSequence, "credentials provided in the wrong state"))
            }
        })
    }

    /// What a pass-through validator needs, while awaiting credentials.
    pub fn pass_through_request(&self) -> Result<PassThroughRequest> {
        match &self.state {
            State::AwaitCredentials { ntlm, .. } | State::Raw(ntlm) => ntlm.pass_through_request(),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "no AUTHENTICATE awaiting validation")),
        }
    }

    fn transition(
        &mut self,
        f: impl FnOnce(State) -> Result<(ServerStep, State)>,
    ) -> Result<ServerStep> {
        let state = core::mem::replace(&mut self.state, State::Failed(REENTERED));
        let result = match state {
            State::Failed(e) => Err(e),
            State::Done(_) => Err(Error::new(
                ErrorKind::OutOfSequence,
                "Negotiate server call after the handshake completed",
            )),
            other => f(other),
        };
        match result {
            Ok((step, state)) => {
                self.raw |= matches!(state, State::Raw(_));
                self.state = state;
                Ok(step)
            }
            Err(e) => {
                self.state = State::Failed(e);
                Err(e)
            }
        }
    }

    fn raw_step(
        mut ntlm: Box<ServerContext>,
        input: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(ServerStep, State)> {
        let step = ntlm.step(input, now, rng)?;
        Self::raw_done(ntlm, step)
    }

    fn raw_done(ntlm: Box<ServerContext>, step: ServerStep) -> Result<(ServerStep, State)> {
        if ntlm.is_complete() {
            Ok((step, State::Done(ntlm.into_established()?)))
        } else {
            Ok((step, State::Raw(ntlm)))
        }
    }

    /// RFC 4178 4.2.1: pick NTLM from the client's list. If it is not the client's first
    /// choice the optimistic token belongs to another mechanism: ignore it, ask for NTLM's
    /// first token, and require the mechListMIC (negState request-mic).
    fn select(
        ntlm: Box<ServerContext>,
        input: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(ServerStep, State)> {
        let init = match input.first() {
            Some(&tag::APPLICATION_0) => NegTokenInitView::parse(input)?,
            _ => {
                // As NegotiationToken::decode reports it, or a NegTokenResp out of turn.
                NegotiationToken::decode(input)?;
                return Err(protocol_error("SPNEGO first client token is not a NegTokenInit"));
            }
        };
        let ntlm_oid = Oid::NTLMSSP;
        let position =
            init.mechs().position(|m| m == ntlm_oid.as_der_contents()).ok_or(Error::new(
                ErrorKind::UnsupportedFunction,
                "SPNEGO client offers no mechanism this server supports (NTLM only)",
            ))?;
        let mech_types = mech_types(init.mech_types_der);
        match (position, init.mech_token) {
            (0, Some(negotiate)) => Self::challenge(ntlm, mech_types, negotiate, false, now, rng),
            _ => {
                let token = NegotiationToken::Resp(NegTokenResp {
                    neg_state: Some(NegState::RequestMic),
                    supported_mech: Some(Oid::NTLMSSP),
                    ..NegTokenResp::default()
                })
                .encode()?;
                Ok((ServerStep::Continue(token), State::AwaitNegotiate { ntlm, mech_types }))
            }
        }
    }

    fn challenge(
        mut ntlm: Box<ServerContext>,
        mech_types: MechTypes,
        negotiate: &[u8],
        mech_already_sent: bool,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(ServerStep, State)> {
        let ServerStep::Continue(challenge) = ntlm.step(negotiate, now, rng)? else {
            return Err(Error::new(
                ErrorKind::InternalError,
                "NTLM server did not answer with CHALLENGE",
            ));
        };
        let token = NegTokenRespView {
            neg_state: Some(NegState::AcceptIncomplete),
            // RFC 4178 4.2.2: supportedMech only in the first reply.
            supported_mech: (!mech_already_sent).then_some(Oid::NTLMSSP.as_der_contents()),
            response_token: None,
            mech_list_mic: None,
        }
        .encode_around(challenge);
        Ok((ServerStep::Continue(token), State::ChallengeSent { ntlm, mech_types }))
    }

    /// NTLM is done: verify the client's mechListMIC, answer with ours, restart RC4.
    fn complete(
        ntlm: Box<ServerContext>,
        mech_types: &[u8],
        client_mic: Option<Result<Signature>>,
    ) -> Result<(ServerStep, State)> {
        let mut established = ntlm.into_established()?;
        let signing = established.flags.contains(NegotiateFlags::SIGN);
        let server_mic = match (client_mic, signing) {
            (Some(mic), true) => {
                established.session.verify(mech_types, &mic?)?;
                let ours = established.session.sign(mech_types)?;
                established.session.reset_rc4_for_mech_list_mic()?;
                Some(ours)
            }
            (None, true) => {
                // MS-SPNG 3.2.5.1: with integrity available the MIC protects the mechanism
                // list; without it a downgrade of the list would go unnoticed.
                return Err(Error::new(
                    ErrorKind::MessageAltered,
                    "SPNEGO client omitted the required mechListMIC",
                ));
            }
            (_, false) => None,
        };
        let token = NegTokenRespView {
            neg_state: Some(NegState::AcceptCompleted),
            supported_mech: None,
            response_token: None,
            mech_list_mic: server_mic.as_ref().map(|s| s.as_bytes().as_slice()),
        }
        .encode();
        Ok((ServerStep::Done(Some(token)), State::Done(established)))
    }

    fn established(&self) -> Result<&Established> {
        match &self.state {
            State::Done(e) => Ok(e),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "Negotiate handshake not complete")),
        }
    }

    /// Whether the handshake completed.
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    crate::ntlm::outcome_accessors!(established, session_key);

    /// The message-protection session.
    pub fn into_session(self) -> Result<Session> {
        self.into_established().map(|e| e.session)
    }

    /// The results and session, moved out (the context is spent).
    pub(crate) fn into_established(self) -> Result<alloc::boxed::Box<Established>> {
        match self.state {
            State::Done(e) => Ok(e),
            State::Failed(e) => Err(e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "Negotiate handshake not complete")),
        }
    }
}

fn protocol_error(detail: &'static str) -> Error {
    Error::invalid_token(detail)
}

fn expect_resp(token: &[u8]) -> Result<NegTokenRespView<'_>> {
    NegTokenRespView::expect(token, "SPNEGO client sent a second NegTokenInit")
}

const REENTERED: Error = Error::new(ErrorKind::InternalError, "re-entered step");
