//! The NTLM server (acceptor) as a Sans-IO state machine (MS-NLMP 3.2), with policy.
//!
//! ```text
//! Initial --step(NEGOTIATE)--> ChallengeSent --step(AUTHENTICATE)--> AwaitingCredentials
//!   --provide_credentials(..)--> Done
//! Initial --start_datagram()--> ChallengeSent                 (connectionless NTLM)
//! ChallengeSent --export()--> bytes --import(config, bytes)--> ChallengeSent   (another process)
//! any error --> Failed (sticky)
//! ```
//!
//! The server never owns a user database: when AUTHENTICATE arrives it returns
//! [`ServerStep::NeedCredentials`] with the claimed identity, and the caller answers with
//! candidate NT hashes or a pass-through verdict. Unknown user and wrong password take the
//! same path and give the same [`ErrorKind::LogonDenied`].
//!
//! A context waiting for AUTHENTICATE can be exported ([`ServerContext::export`]) and
//! finished by another process ([`ServerContext::import`]), which supplies its own
//! [`ServerConfig`]: policy is configuration, not state. See [`crate::ntlm::export`].

mod export;

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::{Writer, utf16le_len};
use crate::creds::Identity;
use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::Completed;
use crate::ntlm::crypto::{self, ChannelBindings, NtHash, SessionKey};
use crate::ntlm::messages::{
    AuthenticateLayout, AuthenticateView, AvFlags, AvId, AvList, AvPair, AvShape, ChallengeParts,
    NegotiateMessage, ResponseView, TargetInfo, Version, around_mic, write_pair,
};
use crate::ntlm::session::{Role, Session};
use crate::rand::Random;
use crate::time::FileTime;

/// How strictly a server checks something the client may or may not send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Do not check.
    Ignore,
    /// Check it when the client sent it; accept a client that did not.
    #[default]
    Accept,
    /// The client must send it, and it must match.
    Require,
}

/// Server configuration. `Default` holds the secure defaults.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// NetBIOS computer name (MsvAvNbComputerName).
    pub nb_computer_name: String,
    /// NetBIOS domain name (MsvAvNbDomainName, and the CHALLENGE TargetName).
    pub nb_domain_name: String,
    /// DNS computer name (MsvAvDnsComputerName), if any.
    pub dns_computer_name: Option<String>,
    /// DNS domain name (MsvAvDnsDomainName), if any.
    pub dns_domain_name: Option<String>,
    /// DNS forest name (MsvAvDnsTreeName), if any.
    pub dns_tree_name: Option<String>,
    /// The VERSION the server writes.
    pub version: Version,
    /// Flags the client must offer and accept (e.g. SIGN | SEAL); a client that does not
    /// gets [`ErrorKind::DowngradeDetected`]. Default: none beyond NTLMv2 itself.
    pub required_flags: NegotiateFlags,
    /// The server's channel bindings (its TLS certificate hash), if any.
    pub channel_bindings: Option<ChannelBindings>,
    /// Channel-binding policy. Default [`Policy::Accept`]: verified when the client sends a
    /// non-zero MsvAvChannelBindings.
    pub channel_binding_policy: Policy,
    /// Service principal names this server answers to (`HTTP/web.example.com`).
    pub expected_spns: Vec<String>,
    /// SPN policy for MsvAvTargetName. Default [`Policy::Accept`] (checked when sent and
    /// when `expected_spns` is not empty).
    pub spn_policy: Policy,
    /// Maximum distance between the client's blob timestamp and `now`, in 100 ns ticks.
    /// Default 5 minutes; `None` disables the check.
    pub max_skew: Option<u64>,
    /// Require a valid MIC whenever the CHALLENGE carried a timestamp (it always does).
    /// Default `true`; turning it off re-opens drop-the-MIC (CVE-2019-1040).
    pub require_mic: bool,
    /// Accept anonymous logons. Default `false`.
    pub allow_anonymous: bool,
    /// Accept NTLMv1/LM responses (feature `legacy-ntlmv1` only). Default `false`.
    pub allow_ntlmv1: bool,
    /// Retry NTOWFv2 with an empty domain (MS-NLMP 3.2.5.1.2). Default `true`.
    pub nil_domain_retry: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            nb_computer_name: String::from("SERVER"),
            nb_domain_name: String::from("WORKGROUP"),
            dns_computer_name: None,
            dns_domain_name: None,
            dns_tree_name: None,
            version: Version::WINDOWS_10,
            required_flags: NegotiateFlags::empty(),
            channel_bindings: None,
            channel_binding_policy: Policy::Accept,
            expected_spns: Vec::new(),
            spn_policy: Policy::Accept,
            max_skew: Some(FileTime::seconds(300)),
            require_mic: true,
            allow_anonymous: false,
            allow_ntlmv1: false,
            nil_domain_retry: true,
        }
    }
}

/// What a server step produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerStep {
    /// `SEC_I_CONTINUE_NEEDED`: send this token (CHALLENGE) to the client.
    Continue(Vec<u8>),
    /// Look the user up and call [`ServerContext::provide_credentials`].
    NeedCredentials(Identity),
    /// `SEC_E_OK`: authenticated. NTLM has no final token (always `None`); the variant
    /// carries one for packages that do.
    Done(Option<Vec<u8>>),
}

/// The caller's answer to [`ServerStep::NeedCredentials`].
pub enum CredentialAnswer {
    /// Candidate NT hashes for the user (several during a password rotation; none for an
    /// unknown user — the result is then the same `LogonDenied` as a wrong password).
    NtHashes(Vec<NtHash>),
    /// The response was validated elsewhere (e.g. by a domain controller, given
    /// [`ServerContext::pass_through_request`]): its SessionBaseKey, or `None` if denied.
    PassThrough(Option<SessionKey>),
}

impl core::fmt::Debug for CredentialAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NtHashes(h) => write!(f, "NtHashes({} candidates)", h.len()),
            Self::PassThrough(k) => write!(f, "PassThrough(accepted: {})", k.is_some()),
        }
    }
}

/// What an outside validator needs to check the client's response (MS-NLMP 3.2.5.1.2 via
/// NetrLogonSamLogon-style pass-through).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassThroughRequest {
    /// The claimed identity.
    pub identity: Identity,
    /// The server challenge this context issued.
    pub server_challenge: [u8; 8],
    /// LmChallengeResponse as received.
    pub lm_response: Vec<u8>,
    /// NtChallengeResponse as received.
    pub nt_response: Vec<u8>,
}

struct Pending {
    /// NEGOTIATE ‖ CHALLENGE as they travelled: how the MIC begins, kept in one buffer.
    messages: Vec<u8>,
    negotiate_len: usize,
    server_challenge: [u8; 8],
    flags: NegotiateFlags,
}

impl Pending {
    fn new(
        negotiate: &[u8],
        challenge: &[u8],
        server_challenge: [u8; 8],
        flags: NegotiateFlags,
    ) -> Self {
        let mut messages = Vec::with_capacity(negotiate.len().saturating_add(challenge.len()));
        messages.extend_from_slice(negotiate);
        messages.extend_from_slice(challenge);
        Self { messages, negotiate_len: negotiate.len(), server_challenge, flags }
    }

    /// The NEGOTIATE (empty in datagram mode).
    fn negotiate(&self) -> &[u8] {
        self.messages.get(..self.negotiate_len).unwrap_or_default()
    }

    /// The CHALLENGE.
    fn challenge(&self) -> &[u8] {
        self.messages.get(self.negotiate_len..).unwrap_or_default()
    }
}

/// An AUTHENTICATE waiting for credentials: its bytes as received (the MIC covers them, and
/// they are read in place again when the credentials come), where its fields lie, and the
/// identity it claims.
struct Received {
    pending: Pending,
    bytes: Vec<u8>,
    layout: AuthenticateLayout,
    /// The shape of the NTLMv2 response's AV pairs (empty for NTLMv1).
    pairs: AvShape,
    identity: Identity,
}

/// A received AUTHENTICATE read in place, with the CHALLENGE it answers.
struct Auth<'a> {
    pending: &'a Pending,
    bytes: &'a [u8],
    identity: &'a Identity,
    message: AuthenticateView<'a>,
    response: Response<'a>,
}

/// The NT response, by protocol version.
enum Response<'a> {
    V2(ResponseView<'a>),
    /// NTLMv1 (MS-NLMP 3.3.1): accepted only with `legacy-ntlmv1` and `allow_ntlmv1`.
    #[cfg(feature = "legacy-ntlmv1")]
    V1([u8; 24]),
}

enum State {
    Initial,
    ChallengeSent(Pending),
    // Boxed: it holds the whole AUTHENTICATE, and pending contexts should stay small.
    AwaitingCredentials(alloc::boxed::Box<Received>),
    Done(Completed),
    Failed(Error),
}

/// An NTLM server context.
pub struct ServerContext {
    config: ServerConfig,
    state: State,
}

impl core::fmt::Debug for ServerContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Initial => "Initial",
            State::ChallengeSent(_) => "ChallengeSent",
            State::AwaitingCredentials(_) => "AwaitingCredentials",
            State::Done(_) => "Done",
            State::Failed(_) => "Failed",
        };
        f.debug_struct("ServerContext").field("state", &state).finish()
    }
}

/// The flags both sides agreed on: offered in CHALLENGE and kept in AUTHENTICATE.
fn negotiated(r: &Auth<'_>) -> NegotiateFlags {
    r.pending.flags & r.message.flags
}

/// With ESS, the NTLMv1 LM response field is ClientChallenge ‖ Z(16) (MS-NLMP 3.3.1).
#[cfg(feature = "legacy-ntlmv1")]
fn client_challenge_v1(r: &Auth<'_>) -> Option<[u8; 8]> {
    r.message.lm_challenge_response.get(..8).and_then(|cc| cc.try_into().ok())
}

const LOGON_DENIED: Error = Error::new(ErrorKind::LogonDenied, "NTLM logon denied");

impl ServerContext {
    /// A new server context.
    pub fn new(config: ServerConfig) -> Self {
        Self { config, state: State::Initial }
    }

    /// Sets the server's channel bindings (e.g. from a `SECBUFFER_CHANNEL_BINDINGS` input).
    pub fn set_channel_bindings(&mut self, bindings: ChannelBindings) {
        self.config.channel_bindings = Some(bindings);
    }

    /// Feeds a client token: NEGOTIATE first (returns CHALLENGE), then AUTHENTICATE
    /// (returns [`ServerStep::NeedCredentials`], or `Done` for an allowed anonymous logon).
    pub fn step(
        &mut self,
        input: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<ServerStep> {
        self.transition(|this, state| match state {
            State::Initial => this.challenge(input, now, rng),
            State::ChallengeSent(pending) => this.receive_authenticate(pending, input),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "NTLM server step in the wrong state")),
        })
    }

    /// Starts connectionless NTLM (MS-NLMP 3.2.5.2.1): there is no NEGOTIATE; returns the
    /// CHALLENGE to send.
    pub fn start_datagram(&mut self, now: FileTime, rng: &mut dyn Random) -> Result<ServerStep> {
        self.transition(|this, state| match state {
            State::Initial => {
                let offer = NegotiateFlags::UNICODE
                    | NegotiateFlags::NTLM
                    | NegotiateFlags::ALWAYS_SIGN
                    | NegotiateFlags::EXTENDED_SESSIONSECURITY
                    | NegotiateFlags::VERSION
                    | NegotiateFlags::NEGOTIATE_128
                    | NegotiateFlags::NEGOTIATE_56
                    | NegotiateFlags::KEY_EXCH
                    | NegotiateFlags::SIGN
                    | NegotiateFlags::SEAL
                    | NegotiateFlags::DATAGRAM;
                this.issue_challenge(&[], offer, now, rng)
            }
            _ => Err(Error::new(ErrorKind::OutOfSequence, "datagram start in the wrong state")),
        })
    }

    /// Answers [`ServerStep::NeedCredentials`]; completes or fails the logon.
    pub fn provide_credentials(
        &mut self,
        answer: CredentialAnswer,
        now: FileTime,
    ) -> Result<ServerStep> {
        self.transition(|this, state| match state {
            State::AwaitingCredentials(received) => this.verify(*received, answer, now),
            _ => {
                Err(Error::new(ErrorKind::OutOfSequence, "credentials provided in the wrong state"))
            }
        })
    }

    /// Runs one transition; an error leaves the context failed for good.
    fn transition(
        &mut self,
        f: impl FnOnce(&Self, State) -> Result<(ServerStep, State)>,
    ) -> Result<ServerStep> {
        let state = core::mem::replace(&mut self.state, State::Failed(LOGON_DENIED));
        let result = match state {
            State::Failed(e) => Err(e),
            State::Done(_) => Err(Error::new(
                ErrorKind::OutOfSequence,
                "NTLM server call after the handshake completed",
            )),
            other => f(self, other),
        };
        match result {
            Ok((step, state)) => {
                self.state = state;
                Ok(step)
            }
            Err(e) => {
                self.state = State::Failed(e);
                Err(e)
            }
        }
    }

    fn challenge(
        &self,
        input: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(ServerStep, State)> {
        let negotiate = NegotiateMessage::decode(input)?;
        let offered = negotiate.flags;
        if !offered.contains(self.config.required_flags) {
            return Err(Error::new(
                ErrorKind::DowngradeDetected,
                "NEGOTIATE does not offer the flags the server requires",
            ));
        }
        self.issue_challenge(input, offered, now, rng)
    }

    /// Chooses the flags from the client's offer (MS-NLMP 3.2.5.1.1) and builds CHALLENGE.
    fn issue_challenge(
        &self,
        negotiate: &[u8],
        offered: NegotiateFlags,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(ServerStep, State)> {
        let echoed = NegotiateFlags::SIGN
            | NegotiateFlags::SEAL
            | NegotiateFlags::DATAGRAM
            | NegotiateFlags::ALWAYS_SIGN
            | NegotiateFlags::EXTENDED_SESSIONSECURITY
            | NegotiateFlags::IDENTIFY
            | NegotiateFlags::VERSION
            | NegotiateFlags::NEGOTIATE_128
            | NegotiateFlags::NEGOTIATE_56
            | NegotiateFlags::KEY_EXCH;
        let mut flags = (offered & echoed)
            | NegotiateFlags::NTLM
            | NegotiateFlags::TARGET_INFO
            | NegotiateFlags::TARGET_TYPE_DOMAIN;
        flags |= if offered.contains(NegotiateFlags::UNICODE) {
            NegotiateFlags::UNICODE
        } else {
            NegotiateFlags::OEM
        };
        if offered.contains(NegotiateFlags::REQUEST_TARGET) {
            flags |= NegotiateFlags::REQUEST_TARGET;
        }
        let mut server_challenge = [0u8; 8];
        rng.fill_bytes(&mut server_challenge);
        let write_target_info = |w: &mut Writer| self.write_target_info(w, now);
        let message = ChallengeParts {
            flags,
            target_name: &self.config.nb_domain_name,
            server_challenge: &server_challenge,
            reserved: &[0; 8],
            target_info: Some(TargetInfo {
                len: self.target_info_len(),
                write: &write_target_info,
            }),
            version: Some(self.config.version),
        };
        let challenge = message.encode()?;
        let pending = Pending::new(negotiate, &challenge, server_challenge, flags);
        Ok((ServerStep::Continue(challenge), State::ChallengeSent(pending)))
    }

    /// The names of TargetInfo, in the order Windows sends them; absent ones are `None`.
    fn target_names(&self) -> [(AvId, Option<&str>); 5] {
        let c = &self.config;
        [
            (AvId::NB_DOMAIN_NAME, Some(c.nb_domain_name.as_str())),
            (AvId::NB_COMPUTER_NAME, Some(c.nb_computer_name.as_str())),
            (AvId::DNS_DOMAIN_NAME, c.dns_domain_name.as_deref()),
            (AvId::DNS_COMPUTER_NAME, c.dns_computer_name.as_deref()),
            (AvId::DNS_TREE_NAME, c.dns_tree_name.as_deref()),
        ]
    }

    /// The length of what [`write_target_info`](Self::write_target_info) writes.
    fn target_info_len(&self) -> usize {
        const PAIR_HEADER: usize = 4;
        const TIMESTAMP_PAIR: usize = PAIR_HEADER + 8;
        const EOL: usize = PAIR_HEADER;
        let names = self.target_names().into_iter().filter_map(|(_, name)| name);
        names.fold(TIMESTAMP_PAIR + EOL, |len, name| {
            len.saturating_add(PAIR_HEADER).saturating_add(utf16le_len(name))
        })
    }

    /// TargetInfo (MS-NLMP 3.2.5.1.1), written straight into the CHALLENGE: the names,
    /// then MsvAvTimestamp, then MsvAvEOL.
    fn write_target_info(&self, w: &mut Writer, now: FileTime) -> Result<()> {
        for (id, name) in self.target_names() {
            if let Some(name) = name {
                write_pair(w, id, |w| {
                    w.utf16le(name);
                })?;
            }
        }
        // Always sent: it obliges the client to send a MIC (MS-NLMP 3.1.5.1.2).
        AvPair::Timestamp(now).write(w)?;
        w.u16_le(AvId::EOL.0).u16_le(0);
        Ok(())
    }

    fn receive_authenticate(&self, pending: Pending, input: &[u8]) -> Result<(ServerStep, State)> {
        let message = AuthenticateView::parse(input)?;
        let identity = Identity {
            user: message.user()?,
            domain: message.domain()?,
            workstation: message.workstation()?,
        };
        // MS-NLMP 3.2.5.1.2: anonymous is an empty user with no NT response and an LM
        // response that is empty or Z(1).
        let anonymous = identity.user.is_empty()
            && message.nt_challenge_response.is_empty()
            && matches!(message.lm_challenge_response, [] | [0]);
        if anonymous {
            if !self.config.allow_anonymous {
                return Err(Error::new(
                    ErrorKind::LogonDenied,
                    "anonymous logon refused by policy",
                ));
            }
            let identity = Identity { workstation: identity.workstation, ..Identity::default() };
            let flags = pending
                .flags
                .difference(NegotiateFlags::SIGN | NegotiateFlags::SEAL | NegotiateFlags::KEY_EXCH)
                .union(NegotiateFlags::ANONYMOUS);
            // Anonymous has no session key, so it cannot sign or seal: a server that
            // requires either refuses it like any client that drops a required flag.
            if !flags.contains(self.config.required_flags) {
                return Err(Error::new(
                    ErrorKind::DowngradeDetected,
                    "anonymous logon cannot provide the flags the server requires",
                ));
            }
            let done = Completed {
                identity,
                flags,
                exported_session_key: SessionKey::from_bytes([0; 16]),
            };
            return Ok((ServerStep::Done(None), State::Done(done)));
        }
        // Checked now, so that a malformed or refused response fails this step; read in
        // place again when the credentials come.
        let pairs = match self.response(&message, ResponseView::parse)? {
            Response::V2(v2) => v2.blob.av_pairs.shape(),
            #[cfg(feature = "legacy-ntlmv1")]
            Response::V1(_) => AvShape::default(),
        };
        let step = ServerStep::NeedCredentials(identity.clone());
        let layout = message.layout;
        let received = Received { pending, bytes: input.to_vec(), layout, pairs, identity };
        Ok((step, State::AwaitingCredentials(alloc::boxed::Box::new(received))))
    }

    /// The NT response of `message`, by protocol version.
    fn response<'a>(
        &self,
        message: &AuthenticateView<'a>,
        read_v2: impl FnOnce(&'a [u8]) -> Result<ResponseView<'a>>,
    ) -> Result<Response<'a>> {
        let nt = message.nt_challenge_response;
        if nt.len() == 24 { self.ntlmv1_response(nt) } else { Ok(Response::V2(read_v2(nt)?)) }
    }

    /// A 24-byte NT response is NTLMv1: refused unless compiled in and allowed by policy.
    fn ntlmv1_response(&self, nt: &[u8]) -> Result<Response<'static>> {
        #[cfg(feature = "legacy-ntlmv1")]
        if self.config.allow_ntlmv1 {
            let nt: [u8; 24] =
                nt.try_into().map_err(|_| Error::invalid_token("NTLMv1 response length"))?;
            return Ok(Response::V1(nt));
        }
        let _ = nt;
        Err(Error::new(ErrorKind::LogonDenied, "NTLMv1 response refused by policy"))
    }

    /// What a pass-through validator needs, while the context awaits credentials.
    pub fn pass_through_request(&self) -> Result<PassThroughRequest> {
        match &self.state {
            State::AwaitingCredentials(r) => {
                // `step` accepted these bytes, so reading them again cannot fail.
                let message = AuthenticateView::again(&r.bytes, &r.layout)?;
                Ok(PassThroughRequest {
                    identity: r.identity.clone(),
                    server_challenge: r.pending.server_challenge,
                    lm_response: message.lm_challenge_response.to_vec(),
                    nt_response: message.nt_challenge_response.to_vec(),
                })
            }
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "no AUTHENTICATE awaiting validation")),
        }
    }

    /// Finds the candidate key whose response matches, and returns its SessionBaseKey.
    fn session_base_key(&self, r: &Auth<'_>, hashes: &[NtHash]) -> Option<SessionKey> {
        match &r.response {
            Response::V2(v2) => self.session_base_key_v2(r, v2, hashes),
            #[cfg(feature = "legacy-ntlmv1")]
            Response::V1(nt) => {
                let ess = negotiated(r).contains(NegotiateFlags::EXTENDED_SESSIONSECURITY);
                let mut found = None;
                for hash in hashes {
                    let expected = match (ess, client_challenge_v1(r)) {
                        (true, Some(cc)) => {
                            crypto::ntlmv1_ess_response(hash, &r.pending.server_challenge, &cc)
                        }
                        (true, None) => continue,
                        (false, _) => crypto::ntlmv1_response(hash, &r.pending.server_challenge),
                    };
                    if crypto::ct_eq(&expected, nt) && found.is_none() {
                        found = Some(crypto::session_base_key_v1(hash));
                    }
                }
                found
            }
        }
    }

    /// NTLMv2: the candidate key whose NTProofStr matches, over the blob as received.
    fn session_base_key_v2(
        &self,
        r: &Auth<'_>,
        v2: &ResponseView<'_>,
        hashes: &[NtHash],
    ) -> Option<SessionKey> {
        let (user, domain) = (&r.identity.user, r.identity.domain.as_str());
        // MS-NLMP 3.2.5.1.2: some clients compute NTOWFv2 with a NIL domain.
        let nil_retry = self.config.nil_domain_retry && !domain.is_empty();
        let domains = [Some(domain), nil_retry.then_some("")];
        // Stop at the first match: which candidate matched is not secret (the caller chose
        // the candidates), and the NIL-domain retry need not run after a success.
        let candidates = hashes.iter().flat_map(|h| domains.iter().flatten().map(move |d| (h, d)));
        for (hash, domain) in candidates {
            // Keyed once, for NTProofStr and (on a match) the session base key.
            let key = crypto::ResponseMac::new(&crypto::ntowf_v2(hash, user, domain));
            let proof = key.nt_proof_str(&r.pending.server_challenge, v2.blob.raw);
            if crypto::ct_eq(&proof, &v2.nt_proof_str) {
                return Some(key.session_base_key(&proof));
            }
        }
        None
    }

    /// KXKEY (MS-NLMP 3.4.5.1): the base key for NTLMv2; for NTLMv1 with ESS, HMAC_MD5 of
    /// it over ServerChallenge ‖ LmChallengeResponse[0..8]. This server never negotiates
    /// LM_KEY or NON_NT_SESSION_KEY, so the other variants do not arise.
    fn key_exchange_key(r: &Auth<'_>, base: SessionKey) -> SessionKey {
        match &r.response {
            Response::V2(_) => base,
            #[cfg(feature = "legacy-ntlmv1")]
            Response::V1(_) => {
                match (
                    negotiated(r).contains(NegotiateFlags::EXTENDED_SESSIONSECURITY),
                    client_challenge_v1(r),
                ) {
                    (true, Some(cc)) => SessionKey::from_bytes(crypto::hmac_md5(
                        base.as_bytes(),
                        &[&r.pending.server_challenge, &cc],
                    )),
                    _ => base,
                }
            }
        }
    }

    fn verify(
        &self,
        received: Received,
        answer: CredentialAnswer,
        now: FileTime,
    ) -> Result<(ServerStep, State)> {
        // Checked in full by `step`; read again here from where its fields lie.
        let message = AuthenticateView::again(&received.bytes, &received.layout)?;
        let r = Auth {
            pending: &received.pending,
            bytes: &received.bytes,
            identity: &received.identity,
            response: self.response(&message, |nt| ResponseView::again(nt, received.pairs))?,
            message,
        };
        let base = match answer {
            CredentialAnswer::NtHashes(hashes) => self.session_base_key(&r, &hashes),
            CredentialAnswer::PassThrough(key) => key,
        }
        .ok_or(LOGON_DENIED)?;
        let base = Self::key_exchange_key(&r, base);
        let flags = negotiated(&r);
        let exported = if flags.contains(NegotiateFlags::KEY_EXCH) {
            let encrypted: [u8; 16] =
                r.message.encrypted_random_session_key.try_into().map_err(|_| {
                    Error::invalid_token(
                        "AUTHENTICATE EncryptedRandomSessionKey is not 16 bytes under KEY_EXCH",
                    )
                })?;
            crypto::decrypt_session_key(&base, &encrypted)?
        } else {
            base
        };
        match &r.response {
            Response::V2(v2) => {
                let pairs = &v2.blob.av_pairs;
                self.check_mic(&r, pairs, &exported)?;
                self.check_channel_bindings(pairs)?;
                self.check_spn(pairs)?;
                if let Some(max) = self.config.max_skew {
                    if v2.blob.timestamp.abs_diff(now) > max {
                        return Err(Error::new(
                            ErrorKind::TimeSkew,
                            "NTLMv2 blob timestamp outside the allowed skew",
                        ));
                    }
                }
            }
            // NTLMv1 carries no AV pairs: no MIC, bindings or SPN can be checked, so a
            // policy that requires them refuses it.
            #[cfg(feature = "legacy-ntlmv1")]
            Response::V1(_) => {
                self.check_channel_bindings(&AvList::default())?;
                self.check_spn(&AvList::default())?;
            }
        }
        if !flags.contains(self.config.required_flags) {
            return Err(Error::new(
                ErrorKind::DowngradeDetected,
                "AUTHENTICATE dropped flags the server requires",
            ));
        }
        let done = Completed { identity: received.identity, flags, exported_session_key: exported };
        Ok((ServerStep::Done(None), State::Done(done)))
    }

    /// MS-NLMP 3.2.5.1.2: the MIC is required when the CHALLENGE carried a timestamp (ours
    /// always does); MsvAvFlags must announce it and it must match, in constant time.
    fn check_mic(&self, r: &Auth<'_>, pairs: &AvList<'_>, exported: &SessionKey) -> Result<()> {
        let announced = pairs.flags().is_some_and(|f| f.contains(AvFlags::MIC_PRESENT));
        if !self.config.require_mic && !announced {
            return Ok(());
        }
        let Some(received_mic) = r.message.mic.filter(|_| announced) else {
            return Err(Error::new(ErrorKind::LogonDenied, "AUTHENTICATE MIC required but absent"));
        };
        let (before, after) = around_mic(r.bytes)?;
        let expected =
            crypto::hmac_md5(exported.as_bytes(), &[&r.pending.messages, before, &[0; 16], after]);
        if crypto::ct_eq(&expected, &received_mic) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::MessageAltered, "AUTHENTICATE MIC does not match"))
        }
    }

    fn check_channel_bindings(&self, pairs: &AvList<'_>) -> Result<()> {
        let policy = self.config.channel_binding_policy;
        let expected = self.config.channel_bindings.as_ref().map(ChannelBindings::hash);
        // Nothing the client sends can fail these (the default without bindings): the list
        // was checked when the message arrived, so it need not be searched.
        if policy == Policy::Ignore || (policy == Policy::Accept && expected.is_none()) {
            return Ok(());
        }
        // MS-NLMP 3.2.5.1.2: an all-zero value means the client had no bindings to give.
        let sent = pairs.channel_bindings().filter(|h| *h != [0u8; 16]);
        let bad = |detail| Err(Error::new(ErrorKind::BadBindings, detail));
        match (policy, sent, expected) {
            (Policy::Ignore, _, _) => Ok(()),
            (Policy::Require, None, _) => bad("channel bindings required but absent"),
            (Policy::Require, Some(_), None) => {
                bad("channel bindings required but the server has none")
            }
            (_, Some(sent), Some(expected)) if !crypto::ct_eq(&sent, &expected) => {
                bad("channel bindings do not match")
            }
            _ => Ok(()),
        }
    }

    fn check_spn(&self, pairs: &AvList<'_>) -> Result<()> {
        let policy = self.config.spn_policy;
        // As for the bindings: with no SPNs to compare against (the default), nothing sent
        // can fail, and the checked list need not be searched.
        if policy == Policy::Ignore
            || (policy == Policy::Accept && self.config.expected_spns.is_empty())
        {
            return Ok(());
        }
        let sent = pairs.target_name()?;
        let sent = sent.as_deref().filter(|s| !s.is_empty());
        let known =
            |spn: &str| self.config.expected_spns.iter().any(|e| e.eq_ignore_ascii_case(spn));
        let wrong = |detail| Err(Error::new(ErrorKind::WrongPrincipal, detail));
        match (policy, sent) {
            (Policy::Ignore, _) => Ok(()),
            (Policy::Require, None) => wrong("target SPN required but absent"),
            (Policy::Require, Some(spn)) if !known(spn) => wrong("target SPN is not this server's"),
            (Policy::Accept, Some(spn)) if !self.config.expected_spns.is_empty() && !known(spn) => {
                wrong("target SPN is not this server's")
            }
            _ => Ok(()),
        }
    }

    fn completed(&self) -> Result<&Completed> {
        match &self.state {
            State::Done(done) => Ok(done),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "NTLM server handshake not complete")),
        }
    }

    /// Whether the handshake completed.
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    crate::ntlm::outcome_accessors!(completed, exported_session_key);

    /// Turns the completed context into a message-protection session.
    pub fn into_session(self) -> Result<Session> {
        self.completed()?.session(Role::Server)
    }

    /// The results and session (the context is spent). Takes the context boxed and drops
    /// it in place, so its credentials and keys are wiped where they lie, not copied out of
    /// the box first.
    pub(crate) fn into_established(
        mut self: alloc::boxed::Box<Self>,
    ) -> Result<alloc::boxed::Box<super::Established>> {
        match &mut self.state {
            State::Done(done) => done.establish(Role::Server),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "NTLM server handshake not complete")),
        }
    }
}
