//! The client side of the HTTP 401 loop.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::header::{header_value, parse_challenges};
use super::{DEFAULT_MAX_LEGS, HttpError, Scheme, count_leg};
use crate::creds::{Credentials, SharedCredentials};
use crate::rand::Random;
use crate::sspi::{ClientContext, ClientOptions, CredentialUse, CredentialsHandle, Step};
use crate::time::FileTime;

/// How an authenticated exchange ended, as far as the client can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Completion {
    /// Negotiate: the server's final token verified (its mechListMIC proves it derived the
    /// session key, so it could check the password). The context is established.
    Mutual,
    /// The server accepted the request without proving itself: always so for `NTLM` (not a
    /// mutual protocol; the context is established), and for a `Negotiate` server that sent no
    /// final token (the context then stays incomplete and cannot protect messages).
    Unverified,
    /// The server never asked for authentication.
    NotRequested,
}

enum State {
    /// No 401 seen yet: the scheme is not chosen, so no context exists.
    /// The credentials are shared with the handle made when the scheme is chosen: the keys
    /// are never copied.
    Idle(Box<(SharedCredentials, ClientOptions)>),
    Handshake {
        scheme: Scheme,
        ctx: ClientContext,
    },
    Finished {
        scheme: Scheme,
        ctx: ClientContext,
        completion: Completion,
    },
    Failed(HttpError),
}

/// The client half of HTTP NTLM / Negotiate authentication (RFC 4559): feed it each
/// response's `WWW-Authenticate` values, send what it returns as the next request's
/// `Authorization` value, **on the same connection** (see [the module docs](super)).
///
/// The scheme is chosen from the first 401's offers, by preference (`Negotiate`, then `NTLM`,
/// unless [`with_schemes`](Self::with_schemes) says otherwise). Errors are sticky.
pub struct HttpAuthClient {
    state: State,
    schemes: Vec<Scheme>,
    legs: u8,
    max_legs: u8,
}

impl core::fmt::Debug for HttpAuthClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Idle(_) => "Idle",
            State::Handshake { .. } => "Handshake",
            State::Finished { .. } => "Finished",
            State::Failed(_) => "Failed",
        };
        f.debug_struct("HttpAuthClient")
            .field("state", &state)
            .field("scheme", &self.scheme())
            .field("legs", &self.legs)
            .finish()
    }
}

/// The `Negotiate` / `NTLM` challenges of a response, in order; other schemes are dropped.
type Offers = Vec<(Scheme, Result<Option<Vec<u8>>, HttpError>)>;

fn offers<I>(values: I) -> Result<Offers, HttpError>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out = Vec::new();
    for value in values {
        for challenge in parse_challenges(value.as_ref())? {
            if let Some(scheme) = challenge.known_scheme() {
                out.push((scheme, challenge.token()));
            }
        }
    }
    Ok(out)
}

/// The token the server sent for `scheme`: `None` if it only named the scheme (or not at
/// all), an error if it sent two.
fn token_for(offers: Offers, scheme: Scheme) -> Result<Option<Vec<u8>>, HttpError> {
    let mut found = None;
    for (s, token) in offers {
        if s != scheme {
            continue;
        }
        if let Some(token) = token? {
            if found.is_some() {
                return Err(HttpError::Protocol("two tokens for one scheme in a response"));
            }
            found = Some(token);
        }
    }
    Ok(found)
}

impl HttpAuthClient {
    /// A client that will authenticate as `credentials`. `options.target_name` should be
    /// the server's SPN (`HTTP/host`), and `options.channel_bindings` the TLS channel
    /// bindings under HTTPS (Extended Protection).
    pub fn new(credentials: Credentials, options: ClientOptions) -> Self {
        Self {
            state: State::Idle(Box::new((SharedCredentials::new(credentials), options))),
            schemes: alloc::vec![Scheme::Negotiate, Scheme::Ntlm],
            legs: 0,
            max_legs: DEFAULT_MAX_LEGS,
        }
    }

    /// The schemes this client may use, most preferred first (default: `Negotiate`, `NTLM`).
    pub fn with_schemes(mut self, schemes: &[Scheme]) -> Self {
        self.schemes = schemes.to_vec();
        self
    }

    /// The most 401 responses one handshake may take (default [`DEFAULT_MAX_LEGS`]); one
    /// more is [`HttpError::TooManyLegs`].
    pub fn with_max_legs(mut self, legs: u8) -> Self {
        self.max_legs = legs;
        self
    }

    /// A `401 Unauthorized` arrived with these `WWW-Authenticate` values (every field, in
    /// order): returns the `Authorization` value to send with the retried request.
    ///
    /// A bare challenge after the handshake began means the server refused (or lost the
    /// connection's state): [`HttpError::Rejected`].
    pub fn on_unauthorized<I>(
        &mut self,
        www_authenticate: I,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<String, HttpError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        let result = count_leg(&mut self.legs, self.max_legs)
            .and_then(|()| offers(www_authenticate))
            .and_then(|offers| self.unauthorized(offers, now, rng));
        self.record(result)
    }

    /// A response other than 401 arrived (the request went through) with these
    /// `WWW-Authenticate` values: completes the handshake with Negotiate's final token when
    /// there is one and reports whether the server proved itself.
    pub fn on_success<I>(
        &mut self,
        www_authenticate: I,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<Completion, HttpError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let state = core::mem::replace(&mut self.state, State::Failed(REENTERED));
        let (result, state) = match state {
            State::Failed(e) => (Err(e), State::Failed(e)),
            idle @ State::Idle(_) => (Ok(Completion::NotRequested), idle),
            State::Finished { scheme, ctx, completion } => {
                (Ok(completion), State::Finished { scheme, ctx, completion })
            }
            State::Handshake { scheme, mut ctx } => {
                match offers(www_authenticate)
                    .and_then(|o| token_for(o, scheme))
                    .and_then(|token| finish(&mut ctx, scheme, token, now, rng))
                {
                    Ok(completion) => (Ok(completion), State::Finished { scheme, ctx, completion }),
                    Err(e) => (Err(e), State::Failed(e)),
                }
            }
        };
        self.state = state;
        result
    }

    fn unauthorized(
        &mut self,
        offers: Offers,
        now: FileTime,
        rng: &mut dyn Random,
    ) -> Result<String, HttpError> {
        match &mut self.state {
            State::Idle(pending) => {
                let scheme = self
                    .schemes
                    .iter()
                    .copied()
                    .find(|s| offers.iter().any(|(o, _)| o == s))
                    .ok_or(HttpError::UnsupportedScheme)?;
                let token = token_for(offers, scheme)?;
                let (creds, options) = &**pending;
                let handle = CredentialsHandle::shared(
                    scheme.package(),
                    CredentialUse::Outbound,
                    Some(creds.clone()),
                )?;
                let mut ctx = ClientContext::new(scheme.package(), &handle, options.clone())?;
                let Step::Continue(first) = ctx.step(token.as_deref(), now, rng)? else {
                    return Err(HttpError::Protocol("handshake completed without a round trip"));
                };
                self.state = State::Handshake { scheme, ctx };
                Ok(header_value(scheme, Some(&first)))
            }
            State::Handshake { scheme, ctx } => {
                let scheme = *scheme;
                let token = token_for(offers, scheme)?.ok_or(HttpError::Rejected)?;
                if ctx.is_complete() {
                    return Err(HttpError::Protocol("server continued after the last token"));
                }
                match ctx.step(Some(&token), now, rng)? {
                    Step::Continue(t) | Step::Done(Some(t)) => Ok(header_value(scheme, Some(&t))),
                    // Negotiate verified the server's final token, yet the answer was 401.
                    Step::Done(None) => Err(HttpError::Rejected),
                }
            }
            State::Finished { .. } => Err(HttpError::Rejected),
            State::Failed(e) => Err(*e),
        }
    }

    fn record<T>(&mut self, result: Result<T, HttpError>) -> Result<T, HttpError> {
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
        result
    }

    /// The scheme chosen from the server's offers, once a 401 arrived.
    pub fn scheme(&self) -> Option<Scheme> {
        match &self.state {
            State::Handshake { scheme, .. } | State::Finished { scheme, .. } => Some(*scheme),
            State::Idle(_) | State::Failed(_) => None,
        }
    }

    /// How many 401 responses this handshake has taken.
    pub fn legs(&self) -> u8 {
        self.legs
    }

    /// The security context, once the scheme is chosen.
    pub fn context(&self) -> Option<&ClientContext> {
        match &self.state {
            State::Handshake { ctx, .. } | State::Finished { ctx, .. } => Some(ctx),
            State::Idle(_) | State::Failed(_) => None,
        }
    }

    /// The security context, e.g. to seal message bodies after [`Completion::Mutual`] (as
    /// WinRM does over plain HTTP).
    pub fn into_context(self) -> Option<ClientContext> {
        match self.state {
            State::Handshake { ctx, .. } | State::Finished { ctx, .. } => Some(ctx),
            State::Idle(_) | State::Failed(_) => None,
        }
    }
}

/// The request went through: take Negotiate's final token, if any.
fn finish(
    ctx: &mut ClientContext,
    scheme: Scheme,
    token: Option<Vec<u8>>,
    now: FileTime,
    rng: &mut dyn Random,
) -> Result<Completion, HttpError> {
    match (scheme, token) {
        (_, None) => Ok(Completion::Unverified),
        (Scheme::Ntlm, Some(_)) => Err(HttpError::Protocol("NTLM server sent a token on success")),
        (Scheme::Negotiate, Some(token)) => {
            if ctx.is_complete() {
                return Err(HttpError::Protocol("server sent a token after the last one"));
            }
            match ctx.step(Some(&token), now, rng)? {
                Step::Done(None) => Ok(Completion::Mutual),
                Step::Continue(_) | Step::Done(Some(_)) => {
                    Err(HttpError::Protocol("server wants another leg on a successful response"))
                }
            }
        }
    }
}

const REENTERED: HttpError = HttpError::Protocol("re-entered the client");
