//! The NTLM client (initiator) as a Sans-IO state machine (MS-NLMP 3.1).
//!
//! ```text
//! Initial --step(None)--> NEGOTIATE sent --step(CHALLENGE)--> Done (AUTHENTICATE out)
//! Initial --step(CHALLENGE)--> Done                (datagram mode: no NEGOTIATE)
//! any error --> Failed (sticky: every later call returns the error)
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::{Writer, utf16le_len};
use crate::creds::{Credentials, Identity, SharedCredentials};
use crate::error::{Error, ErrorKind, Result};
use crate::flags::NegotiateFlags;
use crate::ntlm::crypto::{self, ChannelBindings, SessionKey};
use crate::ntlm::messages::{
    AuthenticateMessage, AuthenticateParts, AvFlags, AvId, AvList, AvPair, AvValue, ChallengeView,
    Encoded, NegotiateMessage, Version, set_mic, write_blob, write_pair,
};
use crate::ntlm::session::{Role, Session};
use crate::ntlm::{Completed, ContextRequest};
use crate::rand::Random;
use crate::time::FileTime;

/// How a client context behaves. `Default` is the secure default: NTLMv2, 128-bit,
/// KEY_EXCH, ESS, sign and seal.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// What the application asks for (integrity, confidentiality, datagram).
    pub request: ContextRequest,
    /// Workstation name to send; none by default.
    pub workstation: Option<String>,
    /// The service principal name of the server (`HTTP/web.example.com`), sent as
    /// MsvAvTargetName so the server can refuse a relayed logon.
    pub target_spn: Option<String>,
    /// Channel bindings (e.g. TLS `tls-server-end-point`), sent as MsvAvChannelBindings.
    pub channel_bindings: Option<ChannelBindings>,
    /// Maximum age of the CHALLENGE's MsvAvTimestamp against `now`, in 100 ns ticks;
    /// `None` (the default) accepts any timestamp, as Windows clients do.
    pub max_challenge_age: Option<u64>,
    /// The VERSION the client writes into its messages.
    pub version: Version,
    /// Flags the CHALLENGE must keep; dropping any is [`ErrorKind::DowngradeDetected`].
    /// Defaults to 128-bit, KEY_EXCH and ESS; SIGN and SEAL are added when requested.
    pub required_flags: NegotiateFlags,
    /// Offer KEY_EXCH (a random exported session key). Default `true`; turning it off
    /// also removes KEY_EXCH from `required_flags`.
    pub key_exchange: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            request: ContextRequest::default(),
            workstation: None,
            target_spn: None,
            channel_bindings: None,
            max_challenge_age: None,
            version: Version::WINDOWS_10,
            required_flags: NegotiateFlags::NEGOTIATE_128
                | NegotiateFlags::KEY_EXCH
                | NegotiateFlags::EXTENDED_SESSIONSECURITY,
            key_exchange: true,
        }
    }
}

/// What a client step produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientStep {
    /// `SEC_I_CONTINUE_NEEDED`: send this token (NEGOTIATE) and call again with the reply.
    Continue(Vec<u8>),
    /// `SEC_E_OK`: the client is done; this token (AUTHENTICATE) must still reach the server.
    Done(Vec<u8>),
}

/// The length of the NEGOTIATE this client sends: the header with VERSION, no payload.
const NEGOTIATE_LEN: usize = 40;

enum State {
    Initial,
    /// The NEGOTIATE as sent, which the MIC covers: always the 40-byte header with VERSION
    /// (this client sends neither domain nor workstation), so it is kept inline.
    NegotiateSent {
        negotiate: [u8; NEGOTIATE_LEN],
        offered: NegotiateFlags,
    },
    Done(Completed),
    Failed(Error),
}

/// An NTLM client context.
///
/// # Example
///
/// Sans-IO means reproducible: with a fixed clock and a seeded random source (for tests
/// only; applications pass `OsRandom`) the same inputs give the same tokens.
///
/// ```
/// use sspi_proto::ntlm::client::{ClientConfig, ClientContext, ClientStep};
/// use sspi_proto::{Credentials, FileTime, Random};
/// # use sspi_proto::ntlm::crypto::NtHash;
/// # use sspi_proto::ntlm::server::{CredentialAnswer, ServerConfig, ServerContext, ServerStep};
///
/// /// Deterministic bytes: a test double, never a CSPRNG.
/// struct Counter(u8);
/// impl Random for Counter {
///     fn fill_bytes(&mut self, dest: &mut [u8]) {
///         for b in dest {
///             self.0 = self.0.wrapping_add(1);
///             *b = self.0;
///         }
///     }
/// }
/// let (mut rng, now) = (Counter(0), FileTime::from_unix_seconds(1_700_000_000));
///
/// let config = ClientConfig {
///     target_spn: Some("HTTP/web.example.com".into()),
///     ..ClientConfig::default() // NTLMv2, 128-bit, KEY_EXCH, ESS, sign and seal
/// };
/// let mut client = ClientContext::new(Credentials::password("CORP\\alice", "Passw0rd!"), config);
/// let ClientStep::Continue(negotiate) = client.step(None, now, &mut rng)? else {
///     unreachable!()
/// };
/// # let mut server = ServerContext::new(ServerConfig::default());
/// # let ServerStep::Continue(challenge) = server.step(&negotiate, now, &mut rng)? else {
/// #     unreachable!()
/// # };
/// // ... the CHALLENGE comes back ...
/// let ClientStep::Done(authenticate) = client.step(Some(&challenge), now, &mut rng)? else {
///     unreachable!()
/// };
/// # server.step(&authenticate, now, &mut rng)?;
/// # let hashes = vec![NtHash::from_password("Passw0rd!")];
/// # server.provide_credentials(CredentialAnswer::NtHashes(hashes), now)?;
/// assert!(client.is_complete());
/// assert_eq!(client.identity()?.user, "alice");
///
/// // A garbled reply would have killed the context for good (errors are sticky); a
/// // completed one becomes the session that signs and seals.
/// let mut session = client.into_session()?;
/// let sealed = session.wrap(b"hello")?;
/// # let mut server_session = server.into_session()?;
/// # assert_eq!(server_session.unwrap(&sealed)?, b"hello");
/// # Ok::<(), sspi_proto::Error>(())
/// ```
pub struct ClientContext {
    /// Shared with the credentials handle it came from (SSPI's AcquireCredentialsHandle):
    /// a context does not copy the password.
    creds: SharedCredentials,
    config: ClientConfig,
    state: State,
}

impl core::fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Initial => "Initial",
            State::NegotiateSent { .. } => "NegotiateSent",
            State::Done(_) => "Done",
            State::Failed(_) => "Failed",
        };
        f.debug_struct("ClientContext")
            .field("identity", &self.creds.identity())
            .field("state", &state)
            .finish()
    }
}

impl ClientContext {
    /// A new client context for `creds`.
    pub fn new(creds: Credentials, config: ClientConfig) -> Self {
        Self::shared(SharedCredentials::new(creds), config)
    }

    /// [`new`](Self::new) with credentials shared with other contexts.
    pub(crate) fn shared(creds: SharedCredentials, config: ClientConfig) -> Self {
        Self { creds, config, state: State::Initial }
    }

    /// The flags the NEGOTIATE offers (MS-NLMP 3.1.5.1.1).
    fn offered_flags(&self) -> NegotiateFlags {
        let mut f = NegotiateFlags::UNICODE
            | NegotiateFlags::OEM
            | NegotiateFlags::REQUEST_TARGET
            | NegotiateFlags::NTLM
            | NegotiateFlags::ALWAYS_SIGN
            | NegotiateFlags::EXTENDED_SESSIONSECURITY
            | NegotiateFlags::VERSION
            | NegotiateFlags::NEGOTIATE_128
            | NegotiateFlags::NEGOTIATE_56
            | NegotiateFlags::KEY_EXCH;
        f |= self.config.request.wire_flags();
        if !self.config.key_exchange {
            f.remove(NegotiateFlags::KEY_EXCH);
        }
        if self.creds.is_anonymous() {
            f |= NegotiateFlags::ANONYMOUS;
        }
        f
    }

    /// Sets the channel bindings (e.g. from a `SECBUFFER_CHANNEL_BINDINGS` input) before
    /// the AUTHENTICATE is built.
    pub fn set_channel_bindings(&mut self, bindings: ChannelBindings) -> Result<()> {
        match self.state {
            State::Initial | State::NegotiateSent { .. } => {
                self.config.channel_bindings = Some(bindings);
                Ok(())
            }
            _ => Err(Error::new(ErrorKind::OutOfSequence, "channel bindings after AUTHENTICATE")),
        }
    }

    /// Advances the handshake.
    ///
    /// Call first with `None` (returns NEGOTIATE), then with the server's CHALLENGE
    /// (returns AUTHENTICATE and completes). In datagram mode the first call takes the
    /// CHALLENGE directly. `now` is the current time; `rng` supplies the client challenge
    /// (8 bytes, drawn first) and the exported session key (16 bytes, drawn second).
    pub fn step(
        &mut self,
        input: Option<&[u8]>,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<ClientStep> {
        let state = core::mem::replace(&mut self.state, State::Failed(STEPPED_DURING_STEP));
        let result = match (state, input) {
            (State::Failed(e), _) => Err(e),
            (State::Initial, None) if !self.config.request.datagram => self.negotiate(),
            (State::Initial, Some(challenge)) if self.config.request.datagram => self.authenticate(
                &[],
                self.offered_flags() | NegotiateFlags::DATAGRAM,
                challenge,
                now,
                rng,
            ),
            (State::NegotiateSent { negotiate, offered }, Some(challenge)) => {
                self.authenticate(&negotiate, offered, challenge, now, rng)
            }
            (State::Done(_), _) => Err(Error::new(
                ErrorKind::OutOfSequence,
                "NTLM client step after the handshake completed",
            )),
            (State::Initial | State::NegotiateSent { .. }, _) => Err(Error::new(
                ErrorKind::OutOfSequence,
                "NTLM client step with unexpected input for its state",
            )),
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

    fn negotiate(&self) -> Result<(ClientStep, State)> {
        let offered = self.offered_flags();
        let message = NegotiateMessage {
            flags: offered,
            domain: None,
            workstation: None,
            version: Some(self.config.version),
        };
        let token = message.encode()?;
        let negotiate = token
            .as_slice()
            .try_into()
            .map_err(|_| Error::new(ErrorKind::InternalError, "NEGOTIATE length"))?;
        Ok((ClientStep::Continue(token), State::NegotiateSent { negotiate, offered }))
    }

    /// Flags for AUTHENTICATE: what both sides share (TARGET_INFO echoed), one string
    /// encoding, and REQUEST_TARGET as offered — this reproduces MS-NLMP 4.2.4.3.
    fn negotiated_flags(offered: NegotiateFlags, challenge: NegotiateFlags) -> NegotiateFlags {
        let echo = offered | NegotiateFlags::TARGET_INFO;
        let mut f = challenge & echo;
        if f.contains(NegotiateFlags::UNICODE) {
            f.remove(NegotiateFlags::OEM);
        }
        // MS-NLMP 2.2.2.5: ESS and LM_KEY are exclusive; ESS wins.
        if f.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
            f.remove(NegotiateFlags::LM_KEY);
        }
        f | (offered & NegotiateFlags::REQUEST_TARGET)
    }

    fn authenticate(
        &self,
        negotiate: &[u8],
        offered: NegotiateFlags,
        challenge_bytes: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<(ClientStep, State)> {
        // Parse (in place: nothing of the CHALLENGE is copied but what the blob repeats).
        let challenge = ChallengeView::parse(challenge_bytes)?;
        // Validate against what we asked for.
        let flags = Self::negotiated_flags(offered, challenge.flags);
        let mut required = self.config.required_flags | self.config.request.wire_flags();
        if !self.config.key_exchange {
            required.remove(NegotiateFlags::KEY_EXCH);
        }
        if self.creds.is_anonymous() {
            required = NegotiateFlags::empty();
        }
        if !flags.contains(required) {
            return Err(Error::new(
                ErrorKind::DowngradeDetected,
                "CHALLENGE dropped a flag the client requires",
            ));
        }
        if !flags.intersects(NegotiateFlags::UNICODE | NegotiateFlags::OEM) {
            return Err(Error::invalid_token("CHALLENGE selects neither UNICODE nor OEM"));
        }
        let target_info = challenge.target_info.unwrap_or_default();
        let server_time = target_info.timestamp();
        if let (Some(ts), Some(max)) = (server_time, self.config.max_challenge_age) {
            if ts.abs_diff(now) > max {
                return Err(Error::new(
                    ErrorKind::TimeSkew,
                    "CHALLENGE timestamp outside the allowed age",
                ));
            }
        }
        if self.config.request.datagram && !flags.contains(NegotiateFlags::KEY_EXCH) {
            // MS-NLMP 3.1.5.2.1: connectionless NTLM requires key exchange.
            return Err(Error::new(
                ErrorKind::DowngradeDetected,
                "datagram CHALLENGE without KEY_EXCH",
            ));
        }

        // Act.
        let mut identity = self.creds.identity();
        identity.workstation = self.config.workstation.clone().unwrap_or_default();
        // NTOWFv2, computed and keyed into HMAC-MD5 when the credentials were made.
        let Some(key) = self.creds.response_mac() else {
            return self.anonymous(flags, identity);
        };
        let mut client_challenge = [0u8; 8];
        rng.fill_bytes(&mut client_challenge);

        // MS-NLMP 3.1.5.1.2: with a server timestamp, use it, send a MIC, and send Z(24)
        // instead of the LMv2 response.
        let send_mic = server_time.is_some();
        let lm_response = if send_mic {
            [0u8; 24]
        } else {
            key.lmv2_response(&challenge.server_challenge, &client_challenge)
        };
        let key_exch = flags.contains(NegotiateFlags::KEY_EXCH);
        // Encoded once, with a zero NTProofStr, session key and MIC, each filled in where it
        // lies once known: the NTLMv2 response is written straight into the message (its
        // proof covers the blob there), and the MIC covers exactly these bytes (encoding
        // twice cost ~3% of a whole handshake; building the response apart, ~0.3%).
        let message = AuthenticateParts {
            flags,
            lm_challenge_response: &lm_response,
            nt_challenge_response: &[],
            domain: &identity.domain,
            user: &identity.user,
            workstation: &identity.workstation,
            encrypted_random_session_key: if key_exch { &[0; 16] } else { &[] },
            version: self.config.version,
        };
        let time = server_time.unwrap_or(now);
        let spn_len = self.config.target_spn.as_deref().map_or(0, utf16le_len);
        let nt_capacity =
            NTLMV2_RESPONSE_SLACK.saturating_add(target_info.len()).saturating_add(spn_len);
        let mut encoded =
            message.encode_with(send_mic.then_some(&[0u8; 16]), nt_capacity, |w| {
                w.bytes(&[0; PROOF_LEN]);
                write_blob(w, time, &client_challenge, |w| {
                    self.write_blob_av_pairs(w, &target_info, send_mic)
                })
            })?;
        let (exported, token) = if key_exch && send_mic {
            // The usual case. The random ExportedSessionKey, and so the MIC's key, is known
            // before anything is computed: the MIC runs beside NTProofStr, then beside the
            // RC4 key schedule that encrypts the session key (crypto::stitch).
            let mut random = [0u8; 16];
            rng.fill_bytes(&mut random);
            let exported = SessionKey::from_bytes(random);
            let nt = encoded.nt.clone();
            // The MIC absorbs the message in three pieces, in order; the session key it
            // covers is filled in last, so it must lie after the NT response.
            if encoded.session_key.start < nt.end {
                return Err(FIELD);
            }
            let (head, response) = encoded.token.split_at_checked(nt.start).ok_or(FIELD)?;
            let blob = response.get(PROOF_LEN..nt.len()).ok_or(FIELD)?;
            let (proof, key_exchange_key, mut mic) = key.proof_beside_mic(
                &challenge.server_challenge,
                blob,
                &exported,
                &[negotiate, challenge_bytes, head],
            )?;
            field_mut(&mut encoded.token, nt.start..nt.start.saturating_add(PROOF_LEN))?
                .copy_from_slice(&proof);
            let response = encoded.token.get(nt.clone()).ok_or(FIELD)?;
            let encrypted = crypto::encrypt_session_key_beside_mic(
                &key_exchange_key,
                &exported,
                &mut mic,
                &[response],
            );
            session_key_slot(&mut encoded)?.copy_from_slice(&encrypted);
            let mut token = encoded.token;
            let mic = mic.finish(token.get(nt.end..).ok_or(FIELD)?);
            set_mic(&mut token, &mic)?;
            (exported, token)
        } else {
            let proof = fill_proof(&mut encoded, key, &challenge.server_challenge)?;
            let key_exchange_key = key.session_base_key(&proof);
            let exported = if key_exch {
                let mut random = [0u8; 16];
                rng.fill_bytes(&mut random);
                let exported = SessionKey::from_bytes(random);
                let encrypted = crypto::encrypt_session_key(&key_exchange_key, &exported)?;
                session_key_slot(&mut encoded)?.copy_from_slice(&encrypted);
                exported
            } else {
                key_exchange_key
            };
            let mut token = encoded.token;
            if send_mic {
                let mic = crypto::mic(&exported, negotiate, challenge_bytes, &token);
                set_mic(&mut token, &mic)?;
            }
            (exported, token)
        };
        // What both sides agreed on: the server's view is CHALLENGE ∩ AUTHENTICATE too.
        let flags = flags & challenge.flags;
        let done = Completed { identity, flags, exported_session_key: exported };
        Ok((ClientStep::Done(token), State::Done(done)))
    }

    /// The AV pairs of the NTLMv2 blob (MS-NLMP 3.1.5.1.2): the server's, byte for byte,
    /// with MsvAvFlags announcing the MIC (in place, or appended), then MsvAvChannelBindings
    /// and MsvAvTargetName, then MsvAvEOL.
    fn write_blob_av_pairs(
        &self,
        w: &mut Writer,
        server_pairs: &AvList<'_>,
        send_mic: bool,
    ) -> Result<()> {
        let mut flags_written = !send_mic;
        for (id, value, raw) in server_pairs.iter() {
            match id {
                // The target name and channel bindings are the client's own statements:
                // never echo values a server (or an attacker in its place) planted in the
                // CHALLENGE.
                AvId::TARGET_NAME | AvId::CHANNEL_BINDINGS => {}
                AvId::FLAGS if !flags_written => {
                    // The list was checked when read: this value is 4 bytes.
                    let flags = match AvValue::parse(id, value)? {
                        AvValue::Flags(flags) => flags,
                        _ => AvFlags::empty(),
                    };
                    AvPair::Flags(flags | AvFlags::MIC_PRESENT).write(w)?;
                    flags_written = true;
                }
                _ => {
                    w.bytes(raw);
                }
            }
        }
        if !flags_written {
            AvPair::Flags(AvFlags::MIC_PRESENT).write(w)?;
        }
        if let Some(cb) = &self.config.channel_bindings {
            AvPair::ChannelBindings(cb.hash()).write(w)?;
        }
        if let Some(spn) = &self.config.target_spn {
            write_pair(w, AvId::TARGET_NAME, |w| {
                w.utf16le(spn);
            })?;
        }
        w.u16_le(AvId::EOL.0).u16_le(0);
        Ok(())
    }

    /// MS-NLMP 3.1.5.1.2 anonymous: empty user, empty NT response, Z(1) LM response, no
    /// session key.
    fn anonymous(
        &self,
        flags: NegotiateFlags,
        mut identity: Identity,
    ) -> Result<(ClientStep, State)> {
        identity.user.clear();
        identity.domain.clear();
        let flags = (flags | NegotiateFlags::ANONYMOUS)
            .difference(NegotiateFlags::SIGN | NegotiateFlags::SEAL | NegotiateFlags::KEY_EXCH);
        let message = AuthenticateMessage {
            flags,
            lm_challenge_response: alloc::vec![0u8],
            nt_challenge_response: Vec::new(),
            domain: String::new(),
            user: String::new(),
            workstation: identity.workstation.clone(),
            encrypted_random_session_key: Vec::new(),
            version: self.config.version,
            mic: None,
        };
        let token = message.encode()?;
        let done =
            Completed { identity, flags, exported_session_key: SessionKey::from_bytes([0; 16]) };
        Ok((ClientStep::Done(token), State::Done(done)))
    }

    fn completed(&self) -> Result<&Completed> {
        match &self.state {
            State::Done(done) => Ok(done),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "NTLM client handshake not complete")),
        }
    }

    /// Whether the handshake completed.
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    crate::ntlm::outcome_accessors!(completed, exported_session_key);

    /// Turns the completed context into a message-protection session.
    pub fn into_session(self) -> Result<Session> {
        self.completed()?.session(Role::Client)
    }

    /// The results and session (the context is spent). Takes the context boxed and drops
    /// it in place, so its credentials and keys are wiped where they lie, not copied out of
    /// the box first.
    pub(crate) fn into_established(
        mut self: alloc::boxed::Box<Self>,
    ) -> Result<alloc::boxed::Box<super::Established>> {
        self.establish()
    }

    /// [`into_established`](Self::into_established) for a context held inline: the caller
    /// drops it where it lies afterwards (it has not moved since it completed).
    pub(crate) fn establish(&mut self) -> Result<alloc::boxed::Box<super::Established>> {
        match &mut self.state {
            State::Done(done) => done.establish(Role::Client),
            State::Failed(e) => Err(*e),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "NTLM client handshake not complete")),
        }
    }
}

/// `NTProofStr`, the first field of an NTLMv2 response.
const PROOF_LEN: usize = 16;

/// What an NTLMv2 response holds beyond the server's AV pairs and the SPN's text, at most:
/// `NTProofStr` 16, the blob's fixed part 28 and trailing `Z(4)`, `MsvAvFlags` 8,
/// `MsvAvChannelBindings` 20, the SPN's pair header 4, `MsvAvEOL` 4.
const NTLMV2_RESPONSE_SLACK: usize = 84;

/// Fills in `NTProofStr` over the blob where both lie in `encoded` (MS-NLMP 3.3.2), and
/// returns it.
fn fill_proof(
    encoded: &mut Encoded,
    key: &crypto::ResponseMac,
    server_challenge: &[u8; 8],
) -> Result<[u8; PROOF_LEN]> {
    let response = field_mut(&mut encoded.token, encoded.nt.clone())?;
    let (slot, blob) = response
        .split_at_mut_checked(PROOF_LEN)
        .ok_or(Error::new(ErrorKind::InternalError, "NTLMv2 response shorter than NTProofStr"))?;
    let proof = key.nt_proof_str(server_challenge, blob);
    slot.copy_from_slice(&proof);
    Ok(proof)
}

/// An encoded field that is not where its layout says: never happens.
const FIELD: Error = Error::new(ErrorKind::InternalError, "encoded field outside the message");

/// The EncryptedRandomSessionKey field of a message just encoded.
fn session_key_slot(encoded: &mut Encoded) -> Result<&mut [u8; 16]> {
    field_mut(&mut encoded.token, encoded.session_key.clone())?
        .try_into()
        .map_err(|_| Error::new(ErrorKind::InternalError, "session key field length"))
}

/// The bytes of a field of a message just encoded.
fn field_mut(token: &mut [u8], range: core::ops::Range<usize>) -> Result<&mut [u8]> {
    token.get_mut(range).ok_or(FIELD)
}

/// Placeholder state while a step runs; never observable (the step always replaces it).
const STEPPED_DURING_STEP: Error = Error::new(ErrorKind::InternalError, "re-entered step");
