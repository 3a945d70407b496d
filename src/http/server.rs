//! The server side of the HTTP 401 loop.

use alloc::string::String;

use super::header::{header_value, parse_credentials};
use super::{DEFAULT_MAX_LEGS, HttpError, Scheme, count_leg};
use crate::creds::Identity;
use crate::ntlm::server::{CredentialAnswer, ServerStep};
use crate::rand::Random;
use crate::spnego::is_raw_ntlm;
use crate::sspi::{CredentialUse, CredentialsHandle, Package, ServerContext, ServerOptions};
use crate::time::FileTime;

/// What the server does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAction {
    /// Answer `401 Unauthorized` with `WWW-Authenticate: <value>` and keep the connection
    /// open for the client's next leg.
    Challenge(String),
    /// The client claims this user: look its key up and call
    /// [`HttpAuthServer::provide_credentials`].
    NeedCredentials(Identity),
    /// Authenticated: serve the request. When `www_authenticate` is `Some`, add it to the
    /// response (Negotiate's final token, with which the client verifies the server).
    Authenticated {
        /// Who the client is.
        identity: Identity,
        /// A `WWW-Authenticate` value for the successful response.
        www_authenticate: Option<String>,
    },
}

/// The server half of HTTP NTLM / Negotiate authentication: one per connection (see [the
/// module docs](super)).
///
/// It accepts both `Authorization: Negotiate` (SPNEGO, or raw NTLM as Windows sends when it
/// falls back) and `Authorization: NTLM`, answering in the scheme the client used. A request
/// without `Authorization` (or after an error) gets `401` with one `WWW-Authenticate` field per
/// value of [`OFFERS`](Self::OFFERS). The user database stays with the application
/// ([`ServerAction::NeedCredentials`]). Errors are sticky: after one, answer 401 with the
/// offers and start over with a new `HttpAuthServer`.
pub struct HttpAuthServer {
    ctx: ServerContext,
    scheme: Option<Scheme>,
    legs: u8,
    max_legs: u8,
    failed: Option<HttpError>,
}

impl core::fmt::Debug for HttpAuthServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpAuthServer")
            .field("scheme", &self.scheme)
            .field("legs", &self.legs)
            .field("authenticated", &self.is_authenticated())
            .field("failed", &self.failed)
            .finish()
    }
}

impl HttpAuthServer {
    /// The `WWW-Authenticate` values of a 401 to a request without credentials: one header
    /// field each, most preferred first.
    pub const OFFERS: [&'static str; 2] = ["Negotiate", "NTLM"];

    /// A server context with these options (`accept_raw_ntlm` is forced on, so that both
    /// schemes and Windows' raw-NTLM-in-Negotiate work).
    pub fn new(mut options: ServerOptions) -> Result<Self, HttpError> {
        options.accept_raw_ntlm = true;
        let handle = CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Inbound, None)?;
        let ctx = ServerContext::new(Package::Negotiate, &handle, options)?;
        Ok(Self { ctx, scheme: None, legs: 0, max_legs: DEFAULT_MAX_LEGS, failed: None })
    }

    /// The most `Authorization` headers one handshake may take (default
    /// [`DEFAULT_MAX_LEGS`](super::DEFAULT_MAX_LEGS)).
    pub fn with_max_legs(mut self, legs: u8) -> Self {
        self.max_legs = legs;
        self
    }

    /// Takes a request's `Authorization` value.
    pub fn step(
        &mut self,
        authorization: &str,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<ServerAction, HttpError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let result = self.accept(authorization, now, rng);
        self.record(result)
    }

    /// Answers [`ServerAction::NeedCredentials`] with the user's candidate NT hashes (none
    /// for an unknown user) or a pass-through verdict.
    pub fn provide_credentials(
        &mut self,
        answer: CredentialAnswer,
        now: FileTime,
    ) -> Result<ServerAction, HttpError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let result = self
            .ctx
            .provide_credentials(answer, now)
            .map_err(HttpError::from)
            .and_then(|step| self.action(step));
        self.record(result)
    }

    fn accept(
        &mut self,
        authorization: &str,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<ServerAction, HttpError> {
        count_leg(&mut self.legs, self.max_legs)?;
        let credentials = parse_credentials(authorization)?;
        let scheme = credentials.known_scheme().ok_or(HttpError::UnsupportedScheme)?;
        if self.scheme.is_some_and(|s| s != scheme) {
            return Err(HttpError::Protocol("client switched scheme mid-handshake"));
        }
        self.scheme = Some(scheme);
        let token =
            credentials.token()?.ok_or(HttpError::Protocol("Authorization carries no token"))?;
        if scheme == Scheme::Ntlm && !is_raw_ntlm(&token) {
            return Err(HttpError::Protocol("NTLM scheme with a token that is not NTLMSSP"));
        }
        let step = self.ctx.step(&token, now, rng)?;
        self.action(step)
    }

    fn action(&self, step: ServerStep) -> Result<ServerAction, HttpError> {
        let scheme = self.scheme.ok_or(HttpError::Protocol("no scheme yet"))?;
        Ok(match step {
            ServerStep::Continue(token) => {
                ServerAction::Challenge(header_value(scheme, Some(&token)))
            }
            ServerStep::NeedCredentials(identity) => ServerAction::NeedCredentials(identity),
            ServerStep::Done(token) => ServerAction::Authenticated {
                identity: self.ctx.names()?.clone(),
                www_authenticate: token.map(|t| header_value(scheme, Some(&t))),
            },
        })
    }

    fn record<T>(&mut self, result: Result<T, HttpError>) -> Result<T, HttpError> {
        if let Err(e) = result {
            self.failed = Some(e);
        }
        result
    }

    /// The scheme the client used, once it sent a token.
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    /// Whether the handshake completed.
    pub fn is_authenticated(&self) -> bool {
        self.failed.is_none() && self.ctx.is_complete()
    }

    /// The authenticated client, once the handshake completed.
    pub fn identity(&self) -> Option<&Identity> {
        if self.failed.is_some() {
            return None;
        }
        self.ctx.names().ok()
    }

    /// The security context (session key, flags, message protection).
    pub fn context(&self) -> &ServerContext {
        &self.ctx
    }

    /// The security context, e.g. to unseal message bodies.
    pub fn into_context(self) -> ServerContext {
        self.ctx
    }
}
