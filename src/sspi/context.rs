//! Package-agnostic client and server contexts.

mod export;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::flags::{ClientAttributes, ClientRequest, Granted, ServerAttributes, ServerRequest};
use super::package::{Package, PackageInfo};
use crate::buffer::{BufferType, SecBuffer};
use crate::creds::{Credentials, Identity, SharedCredentials};
use crate::error::{Error, ErrorKind, Result, Status};
use crate::flags::NegotiateFlags;
// An established context: the handshake's results and its session.
use crate::ntlm::Established as Ready;
use crate::ntlm::client::{ClientConfig, ClientContext as NtlmClient, ClientStep};
use crate::ntlm::crypto::{ChannelBindings, SessionKey, Signature};
use crate::ntlm::server::{
    CredentialAnswer, PassThroughRequest, Policy, ServerConfig, ServerContext as NtlmServer,
    ServerStep,
};
use crate::ntlm::session::Session;

/// NTLM signatures and trailers are 16 bytes (MS-NLMP 2.2.2.9).
const NTLM_SIGNATURE_LEN: u32 = 16;
use crate::ntlm::ContextRequest;
use crate::rand::Random;
use crate::spnego::client::{NegotiateClient, NegotiateStep};
use crate::spnego::server::{AcceptMode, NegotiateServer};
use crate::time::FileTime;

/// Which way credentials may be used (`SECPKG_CRED_OUTBOUND` / `_INBOUND` / `_BOTH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialUse {
    /// Client contexts only.
    Outbound,
    /// Server contexts only.
    Inbound,
    /// Either.
    Both,
}

/// AcquireCredentialsHandle: credentials bound to a package and a use.
///
/// Inbound use needs no secret (the server asks the application for user keys through
/// `NeedCredentials`); outbound use needs [`Credentials`]. The contexts made from a handle
/// share its credentials rather than copying the password: the one copy is wiped when the
/// handle ([`free`] or drop) and every context made from it are gone.
///
/// [`free`]: CredentialsHandle::free
#[derive(Debug)]
pub struct CredentialsHandle {
    package: Package,
    usage: CredentialUse,
    /// Shared by every context made from this handle, and wiped when the last one goes.
    creds: Option<SharedCredentials>,
}

impl CredentialsHandle {
    /// Acquires credentials. Outbound or both-way use without credentials is
    /// [`ErrorKind::NoCredentials`].
    pub fn acquire(
        package: Package,
        usage: CredentialUse,
        creds: Option<Credentials>,
    ) -> Result<Self> {
        Self::shared(package, usage, creds.map(SharedCredentials::new))
    }

    /// [`acquire`](Self::acquire) with credentials already shared: another handle's, or a
    /// client's that makes a handle per package it ends up using (`http`), without a copy.
    pub(crate) fn shared(
        package: Package,
        usage: CredentialUse,
        creds: Option<SharedCredentials>,
    ) -> Result<Self> {
        if usage != CredentialUse::Inbound && creds.is_none() {
            return Err(Error::new(ErrorKind::NoCredentials, "outbound use needs credentials"));
        }
        Ok(Self { package, usage, creds })
    }

    /// The package these credentials are for.
    pub fn package(&self) -> Package {
        self.package
    }

    /// Whether these credentials may serve a context of `package` used `usage`-wards.
    fn check(&self, package: Package, usage: CredentialUse) -> Result<()> {
        if self.usage != CredentialUse::Both && self.usage != usage {
            let detail = match usage {
                CredentialUse::Outbound => "inbound-only credentials used by a client",
                _ => "outbound-only credentials used by a server",
            };
            return Err(Error::new(ErrorKind::NoCredentials, detail));
        }
        if self.package != package {
            return Err(Error::new(
                ErrorKind::UnknownCredentials,
                "credentials are for another package",
            ));
        }
        Ok(())
    }

    /// FreeCredentialsHandle: drops the handle's hold on the secret, which is wiped now if
    /// no context made from the handle is still alive, else when the last one goes.
    pub fn free(self) {}
}

/// A client's wishes (InitializeSecurityContext's inputs).
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// `ISC_REQ_*` flags. Empty means integrity and confidentiality (the secure default).
    pub request: ClientRequest,
    /// The target's service principal name (`pszTargetName`), e.g. `HTTP/web.example.com`.
    pub target_name: Option<String>,
    /// Channel bindings (can also arrive as a `SECBUFFER_CHANNEL_BINDINGS` input buffer).
    pub channel_bindings: Option<ChannelBindings>,
    /// Workstation name to send.
    pub workstation: Option<String>,
    /// When the context expires; calls at or after it fail with `ContextExpired`.
    pub expires: Option<FileTime>,
    /// Further NTLM client settings (`max_challenge_age`, `required_flags`, `key_exchange`,
    /// `version`). Its `request`, `workstation`, `target_spn` and `channel_bindings` are
    /// replaced by the fields above.
    pub ntlm: ClientConfig,
}

/// A server's wishes (AcceptSecurityContext's inputs) and NTLM policy.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// `ASC_REQ_*` flags: INTEGRITY / CONFIDENTIALITY make them required of the client,
    /// ALLOW_NULL_SESSION allows anonymous logons, PROXY_BINDINGS requires channel bindings.
    pub request: ServerRequest,
    /// NTLM names and policy (secure defaults).
    pub ntlm: ServerConfig,
    /// For [`Package::Negotiate`]: also accept raw NTLM tokens (`auto`).
    pub accept_raw_ntlm: bool,
    /// When the context expires; calls at or after it fail with `ContextExpired`.
    pub expires: Option<FileTime>,
}

/// The result of a token-loop call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `SEC_I_CONTINUE_NEEDED`: send the token, call again with the reply.
    Continue(Vec<u8>),
    /// `SEC_E_OK`: complete; send the token if there is one.
    Done(Option<Vec<u8>>),
}

impl Step {
    /// The Windows status this step corresponds to.
    pub fn status(&self) -> Status {
        match self {
            Self::Continue(_) => Status::ContinueNeeded,
            Self::Done(_) => Status::Ok,
        }
    }

    /// The token to send, if any.
    pub fn token(&self) -> Option<&[u8]> {
        match self {
            Self::Continue(t) => Some(t),
            Self::Done(t) => t.as_deref(),
        }
    }
}

/// `SecPkgContext_Sizes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sizes {
    /// `cbMaxToken`.
    pub max_token: u32,
    /// `cbMaxSignature`: 16 for NTLM.
    pub max_signature: u32,
    /// `cbBlockSize`: 0 (RC4 is a stream cipher).
    pub block_size: u32,
    /// `cbSecurityTrailer`: 16 for NTLM.
    pub security_trailer: u32,
}

/// `SecPkgContext_Lifespan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lifespan {
    /// When the context was created (the `now` of its first call).
    pub start: Option<FileTime>,
    /// When it expires, if ever.
    pub expiry: Option<FileTime>,
}

/// Moves a finished inner context's results out (the same call on every kind).
macro_rules! ready_from {
    ($c:expr) => {
        $c.into_established()?
    };
}

/// Lifecycle shared by both sides: expiry, deletion, stickiness.
struct Common {
    package: Package,
    start: Option<FileTime>,
    expires: Option<FileTime>,
    failed: Option<Error>,
    deleted: bool,
}

impl Common {
    fn new(package: Package, expires: Option<FileTime>) -> Self {
        Self { package, start: None, expires, failed: None, deleted: false }
    }

    /// Checks a call may proceed at `now`.
    fn admit(&mut self, now: Option<FileTime>) -> Result<()> {
        if self.deleted {
            return Err(Error::new(ErrorKind::InvalidHandle, "context was deleted"));
        }
        if let Some(e) = self.failed {
            return Err(e);
        }
        if let Some(now) = now {
            self.start.get_or_insert(now);
            if self.expires.is_some_and(|exp| now >= exp) {
                let e = Error::new(ErrorKind::ContextExpired, "context lifetime is over");
                self.failed = Some(e);
                return Err(e);
            }
        }
        Ok(())
    }

    fn record<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.failed = Some(*e);
        }
        result
    }

    fn sizes(&self) -> Sizes {
        Sizes {
            max_token: self.package.info().max_token,
            max_signature: NTLM_SIGNATURE_LEN,
            block_size: 0,
            security_trailer: NTLM_SIGNATURE_LEN,
        }
    }
}

/// Extracts the token and any channel bindings from SSPI input buffers.
fn split_input<'b>(
    buffers: &'b [SecBuffer<'_>],
) -> Result<(Option<&'b [u8]>, Option<ChannelBindings>)> {
    let mut token = None;
    let mut bindings = None;
    for b in buffers {
        match b.buffer_type {
            BufferType::Token => token = Some(b.data.as_slice()),
            BufferType::ChannelBindings => {
                bindings = Some(ChannelBindings::from_sec_channel_bindings(b.data.as_slice())?);
            }
            _ => {}
        }
    }
    Ok((token, bindings))
}

macro_rules! established_api {
    ($ty:ident, $attrs:ident, $granted:ident) => {
        impl $ty {
            fn ready(&mut self, now: Option<FileTime>) -> Result<&mut Ready> {
                self.common.admit(now)?;
                match &mut self.state {
                    Side::Ready(r) => Ok(r),
                    _ => Err(Error::new(ErrorKind::OutOfSequence, "context is not established")),
                }
            }

            fn ready_ref(&self) -> Result<&Ready> {
                if self.common.deleted {
                    return Err(Error::new(ErrorKind::InvalidHandle, "context was deleted"));
                }
                if let Some(e) = self.common.failed {
                    return Err(e);
                }
                match &self.state {
                    Side::Ready(r) => Ok(r),
                    _ => Err(Error::new(ErrorKind::OutOfSequence, "context is not established")),
                }
            }

            /// Whether the handshake completed.
            pub fn is_complete(&self) -> bool {
                self.ready_ref().is_ok()
            }

            /// The package in use.
            pub fn package(&self) -> Package {
                self.common.package
            }

            /// `SECPKG_ATTR_PACKAGE_INFO`.
            pub fn package_info(&self) -> &'static PackageInfo {
                self.common.package.info()
            }

            /// `SECPKG_ATTR_SIZES`.
            pub fn sizes(&self) -> Sizes {
                self.common.sizes()
            }

            /// `SECPKG_ATTR_LIFESPAN`.
            pub fn lifespan(&self) -> Lifespan {
                Lifespan { start: self.common.start, expiry: self.common.expires }
            }

            /// `SECPKG_ATTR_NAMES`: the authenticated principal.
            pub fn names(&self) -> Result<&Identity> {
                self.ready_ref().map(|r| &r.identity)
            }

            /// `SECPKG_ATTR_SESSION_KEY`: the exported session key.
            pub fn session_key(&self) -> Result<&SessionKey> {
                self.ready_ref().map(|r| &r.session_key)
            }

            /// The negotiated NTLM wire flags.
            pub fn negotiated_flags(&self) -> Result<NegotiateFlags> {
                self.ready_ref().map(|r| r.flags)
            }

            /// `SECPKG_ATTR_FLAGS`: what was actually granted.
            pub fn attributes(&self) -> Result<$attrs> {
                self.ready_ref().map(|r| Granted::from_ntlm(r.flags).$granted())
            }

            /// MakeSignature over one message.
            pub fn make_signature(&mut self, message: &[u8], now: FileTime) -> Result<Signature> {
                let r = self.ready(Some(now))?.session.sign(message);
                self.common.record(r)
            }

            /// VerifySignature over one message.
            pub fn verify_signature(
                &mut self,
                message: &[u8],
                signature: &Signature,
                now: FileTime,
            ) -> Result<()> {
                let r = self.ready(Some(now))?.session.verify(message, signature);
                self.common.record(r)
            }

            /// EncryptMessage over typed buffers (TOKEN receives the 16-byte trailer).
            pub fn encrypt(
                &mut self,
                qop: u32,
                buffers: &mut [SecBuffer<'_>],
                now: FileTime,
            ) -> Result<()> {
                let r = self.ready(Some(now))?.session.encrypt(qop, buffers);
                self.common.record(r)
            }

            /// DecryptMessage over typed buffers; returns the QOP.
            pub fn decrypt(&mut self, buffers: &mut [SecBuffer<'_>], now: FileTime) -> Result<u32> {
                let r = self.ready(Some(now))?.session.decrypt(buffers);
                self.common.record(r)
            }

            /// GSS_Wrap: signature followed by the sealed message.
            pub fn wrap(&mut self, message: &[u8], now: FileTime) -> Result<Vec<u8>> {
                let r = self.ready(Some(now))?.session.wrap(message);
                self.common.record(r)
            }

            /// GSS_Unwrap.
            pub fn unwrap(&mut self, token: &[u8], now: FileTime) -> Result<Vec<u8>> {
                let r = self.ready(Some(now))?.session.unwrap(token);
                self.common.record(r)
            }

            /// Takes the message-protection session out (the context is spent afterwards).
            pub fn into_session(mut self) -> Result<Session> {
                self.ready(None)?;
                match core::mem::replace(&mut self.state, Side::Deleted) {
                    Side::Ready(r) => Ok(r.session),
                    _ => Err(Error::new(ErrorKind::OutOfSequence, "context is not established")),
                }
            }

            /// DeleteSecurityContext: wipes every key now; later calls fail with
            /// `InvalidHandle`. Dropping the context does the same.
            pub fn delete(&mut self) {
                self.state = Side::Deleted;
                self.common.deleted = true;
            }
        }
    };
}

enum ClientInner {
    Ntlm(Box<NtlmClient>),
    Negotiate(Box<NegotiateClient>),
}

enum Side<I> {
    Handshake(I),
    Ready(Box<Ready>),
    Deleted,
}

/// An SSPI-style client context (InitializeSecurityContext) over any [`Package`].
///
/// # Example
///
/// A raw NTLM client: two calls to [`step`](Self::step), then message protection. (The
/// crate's README drives a Negotiate client and server together.)
///
/// ```
/// use sspi_proto::sspi::{
///     ClientContext, ClientOptions, ClientRequest, CredentialUse, CredentialsHandle, Package,
///     Step,
/// };
/// use sspi_proto::{Credentials, FileTime, OsRandom, Status};
/// # use sspi_proto::ntlm::crypto::NtHash;
/// # use sspi_proto::ntlm::server::{CredentialAnswer, ServerStep};
/// # use sspi_proto::sspi::{ServerContext, ServerOptions};
///
/// let alice = Credentials::password("CORP\\alice", "Passw0rd!");
/// let creds = CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Outbound, Some(alice))?;
/// let options = ClientOptions {
///     request: ClientRequest::INTEGRITY | ClientRequest::CONFIDENTIALITY,
///     target_name: Some("HTTP/web.example.com".into()),
///     ..ClientOptions::default()
/// };
/// let mut client = ClientContext::new(Package::Ntlm, &creds, options)?;
/// let mut rng = OsRandom;
///
/// // ISC #1: NEGOTIATE, SEC_I_CONTINUE_NEEDED.
/// let Step::Continue(negotiate) = client.step(None, FileTime::now(), &mut rng)? else {
///     unreachable!("NTLM always continues after NEGOTIATE")
/// };
/// # let inbound = CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Inbound, None)?;
/// # let mut server = ServerContext::new(Package::Ntlm, &inbound, ServerOptions::default())?;
/// # let ServerStep::Continue(challenge) = server.step(&negotiate, FileTime::now(), &mut rng)?
/// # else { unreachable!() };
/// // ... send it, receive the server's CHALLENGE ...
/// // ISC #2: AUTHENTICATE and SEC_E_OK: raw NTLM's client is done before the server answers.
/// let step = client.step(Some(&challenge), FileTime::now(), &mut rng)?;
/// assert_eq!(step.status(), Status::Ok);
/// let authenticate = step.token().expect("AUTHENTICATE");
/// # server.step(authenticate, FileTime::now(), &mut rng)?;
/// # let hashes = vec![NtHash::from_password("Passw0rd!")];
/// # server.provide_credentials(CredentialAnswer::NtHashes(hashes), FileTime::now())?;
///
/// // EncryptMessage in its GSS_Wrap form: the 16-byte trailer, then the sealed bytes.
/// let sealed = client.wrap(b"hello", FileTime::now())?;
/// assert_eq!(sealed.len(), client.sizes().security_trailer as usize + 5);
/// # assert_eq!(server.unwrap(&sealed, FileTime::now())?, b"hello");
/// # Ok::<(), sspi_proto::Error>(())
/// ```
pub struct ClientContext {
    common: Common,
    state: Side<ClientInner>,
    channel_bindings_pending: bool,
}

impl core::fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientContext")
            .field("package", &self.common.package)
            .field("complete", &self.is_complete())
            .finish()
    }
}

impl ClientContext {
    /// A client context for `package` with outbound credentials.
    pub fn new(
        package: Package,
        creds: &CredentialsHandle,
        options: ClientOptions,
    ) -> Result<Self> {
        creds.check(package, CredentialUse::Outbound)?;
        let creds =
            creds.creds.clone().ok_or(Error::new(ErrorKind::NoCredentials, "no credentials"))?;
        let request = if options.request.is_empty() {
            ClientRequest::INTEGRITY | ClientRequest::CONFIDENTIALITY
        } else {
            options.request
        };
        if request.contains(ClientRequest::NULL_SESSION) && !creds.is_anonymous() {
            return Err(Error::new(
                ErrorKind::UnknownCredentials,
                "NULL_SESSION needs anonymous credentials",
            ));
        }
        let config = ClientConfig {
            request: ContextRequest {
                integrity: request.intersects(
                    ClientRequest::INTEGRITY
                        | ClientRequest::REPLAY_DETECT
                        | ClientRequest::SEQUENCE_DETECT
                        | ClientRequest::CONFIDENTIALITY,
                ),
                confidentiality: request.contains(ClientRequest::CONFIDENTIALITY),
                datagram: request.contains(ClientRequest::DATAGRAM),
            },
            workstation: options.workstation,
            target_spn: options.target_name,
            channel_bindings: options.channel_bindings,
            ..options.ntlm
        };
        let inner = match package {
            Package::Ntlm => ClientInner::Ntlm(Box::new(NtlmClient::shared(creds, config))),
            Package::Negotiate => {
                if config.request.datagram {
                    return Err(Error::new(
                        ErrorKind::UnsupportedFunction,
                        "Negotiate has no datagram mode",
                    ));
                }
                ClientInner::Negotiate(Box::new(NegotiateClient::shared(creds, config)))
            }
        };
        Ok(Self {
            common: Common::new(package, options.expires),
            state: Side::Handshake(inner),
            channel_bindings_pending: false,
        })
    }

    /// InitializeSecurityContext: `None` first, then each server token.
    pub fn step(
        &mut self,
        input: Option<&[u8]>,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<Step> {
        self.common.admit(Some(now))?;
        let result = self.advance(input, now, rng);
        self.common.record(result)
    }

    /// InitializeSecurityContext with SSPI input buffers: a TOKEN buffer (absent on the
    /// first call) and optionally a CHANNEL_BINDINGS buffer holding `SEC_CHANNEL_BINDINGS`.
    pub fn step_buffers(
        &mut self,
        input: &[SecBuffer<'_>],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<Step> {
        self.common.admit(Some(now))?;
        let result = split_input(input).and_then(|(token, bindings)| {
            if let Some(cb) = bindings {
                self.set_channel_bindings(cb)?;
            }
            self.advance(token, now, rng)
        });
        self.common.record(result)
    }

    fn set_channel_bindings(&mut self, cb: ChannelBindings) -> Result<()> {
        self.channel_bindings_pending = true;
        match &mut self.state {
            Side::Handshake(ClientInner::Ntlm(c)) => c.set_channel_bindings(cb),
            Side::Handshake(ClientInner::Negotiate(c)) => c.set_channel_bindings(cb),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "channel bindings after the handshake")),
        }
    }

    fn advance(
        &mut self,
        input: Option<&[u8]>,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<Step> {
        let (step, complete) = match &mut self.state {
            Side::Handshake(ClientInner::Ntlm(c)) => match c.step(input, now, rng)? {
                ClientStep::Continue(t) => (Step::Continue(t), false),
                ClientStep::Done(t) => (Step::Done(Some(t)), true),
            },
            Side::Handshake(ClientInner::Negotiate(c)) => match c.step(input, now, rng)? {
                NegotiateStep::Continue(t) => (Step::Continue(t), false),
                NegotiateStep::Done => (Step::Done(None), true),
            },
            Side::Ready(_) => {
                return Err(Error::new(
                    ErrorKind::OutOfSequence,
                    "client step after the handshake completed",
                ));
            }
            Side::Deleted => {
                return Err(Error::new(ErrorKind::InvalidHandle, "context was deleted"));
            }
        };
        if complete {
            let ready = match core::mem::replace(&mut self.state, Side::Deleted) {
                Side::Handshake(ClientInner::Ntlm(c)) => ready_from!(c),
                Side::Handshake(ClientInner::Negotiate(c)) => ready_from!(c),
                _ => return Err(Error::new(ErrorKind::InternalError, "context state lost")),
            };
            self.state = Side::Ready(ready);
        }
        Ok(step)
    }
}

established_api!(ClientContext, ClientAttributes, client);

enum ServerInner {
    Ntlm(Box<NtlmServer>),
    Negotiate(Box<NegotiateServer>),
}

/// An SSPI-style server context (AcceptSecurityContext) over any [`Package`].
pub struct ServerContext {
    common: Common,
    state: Side<ServerInner>,
}

impl core::fmt::Debug for ServerContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerContext")
            .field("package", &self.common.package)
            .field("complete", &self.is_complete())
            .finish()
    }
}

impl ServerContext {
    /// A server context for `package` with inbound credentials.
    pub fn new(
        package: Package,
        creds: &CredentialsHandle,
        options: ServerOptions,
    ) -> Result<Self> {
        let (accept_raw_ntlm, expires) = (options.accept_raw_ntlm, options.expires);
        let config = Self::config(package, creds, options)?;
        let inner = match package {
            Package::Ntlm => ServerInner::Ntlm(Box::new(NtlmServer::new(config))),
            Package::Negotiate => {
                let mode = if accept_raw_ntlm { AcceptMode::Auto } else { AcceptMode::Negotiate };
                ServerInner::Negotiate(Box::new(NegotiateServer::new(config, mode)))
            }
        };
        Ok(Self { common: Common::new(package, expires), state: Side::Handshake(inner) })
    }

    /// Checks the credentials and turns the options into the NTLM server policy.
    fn config(
        package: Package,
        creds: &CredentialsHandle,
        options: ServerOptions,
    ) -> Result<ServerConfig> {
        creds.check(package, CredentialUse::Inbound)?;
        let mut config = options.ntlm;
        let req = options.request;
        if req.contains(ServerRequest::INTEGRITY) {
            config.required_flags |= NegotiateFlags::SIGN;
        }
        if req.contains(ServerRequest::CONFIDENTIALITY) {
            config.required_flags |= NegotiateFlags::SEAL | NegotiateFlags::SIGN;
        }
        if req.contains(ServerRequest::ALLOW_NULL_SESSION) {
            config.allow_anonymous = true;
        }
        if req.contains(ServerRequest::PROXY_BINDINGS)
            && !req.contains(ServerRequest::ALLOW_MISSING_BINDINGS)
        {
            config.channel_binding_policy = Policy::Require;
        }
        Ok(config)
    }

    /// AcceptSecurityContext with one client token.
    pub fn step(
        &mut self,
        input: &[u8],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<ServerStep> {
        self.common.admit(Some(now))?;
        let result = self.advance(|inner| match inner {
            ServerInner::Ntlm(s) => s.step(input, now, rng),
            ServerInner::Negotiate(s) => s.step(input, now, rng),
        });
        self.common.record(result)
    }

    /// AcceptSecurityContext with SSPI input buffers: a TOKEN buffer and optionally a
    /// CHANNEL_BINDINGS buffer holding the server's `SEC_CHANNEL_BINDINGS`.
    pub fn step_buffers(
        &mut self,
        input: &[SecBuffer<'_>],
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<ServerStep> {
        self.common.admit(Some(now))?;
        let result = split_input(input).and_then(|(token, bindings)| {
            let token = token.ok_or(Error::invalid_token("no TOKEN input buffer"))?;
            self.advance(|inner| {
                if let Some(cb) = bindings {
                    match inner {
                        ServerInner::Ntlm(s) => s.set_channel_bindings(cb),
                        ServerInner::Negotiate(s) => s.set_channel_bindings(cb),
                    }
                }
                match inner {
                    ServerInner::Ntlm(s) => s.step(token, now, rng),
                    ServerInner::Negotiate(s) => s.step(token, now, rng),
                }
            })
        });
        self.common.record(result)
    }

    /// Answers `NeedCredentials` with candidate NT hashes or a pass-through verdict.
    pub fn provide_credentials(
        &mut self,
        answer: CredentialAnswer,
        now: FileTime,
    ) -> Result<ServerStep> {
        self.common.admit(Some(now))?;
        let result = self.advance(|inner| match inner {
            ServerInner::Ntlm(s) => s.provide_credentials(answer, now),
            ServerInner::Negotiate(s) => s.provide_credentials(answer, now),
        });
        self.common.record(result)
    }

    /// What a pass-through validator needs, while awaiting credentials.
    pub fn pass_through_request(&self) -> Result<PassThroughRequest> {
        match &self.state {
            Side::Handshake(ServerInner::Ntlm(s)) => s.pass_through_request(),
            Side::Handshake(ServerInner::Negotiate(s)) => s.pass_through_request(),
            _ => Err(Error::new(ErrorKind::OutOfSequence, "no AUTHENTICATE awaiting validation")),
        }
    }

    fn advance(
        &mut self,
        f: impl FnOnce(&mut ServerInner) -> Result<ServerStep>,
    ) -> Result<ServerStep> {
        let step = match &mut self.state {
            Side::Handshake(inner) => f(inner)?,
            Side::Ready(_) => {
                return Err(Error::new(
                    ErrorKind::OutOfSequence,
                    "server call after the handshake completed",
                ));
            }
            Side::Deleted => {
                return Err(Error::new(ErrorKind::InvalidHandle, "context was deleted"));
            }
        };
        if matches!(step, ServerStep::Done(_)) {
            let ready = match core::mem::replace(&mut self.state, Side::Deleted) {
                Side::Handshake(ServerInner::Ntlm(s)) => ready_from!(s),
                Side::Handshake(ServerInner::Negotiate(s)) => ready_from!(s),
                _ => return Err(Error::new(ErrorKind::InternalError, "context state lost")),
            };
            self.state = Side::Ready(ready);
        }
        Ok(step)
    }
}

established_api!(ServerContext, ServerAttributes, server);
