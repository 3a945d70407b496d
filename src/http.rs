//! NTLM and Negotiate over HTTP (RFC 4559, MS-NTHT), Sans-IO.
//!
//! Three layers, each usable alone:
//!
//! - [`parse_challenges`] / [`parse_credentials`]: the RFC 9110 §11 grammar of
//!   `WWW-Authenticate` and `Authorization` values — several challenges per header,
//!   `token68` or `auth-param` lists, quoted strings, case-insensitive scheme names, empty
//!   list elements. Any input gives a value or an [`HttpError`], never a panic.
//! - [`header_value`] / [`decode_token`]: `Negotiate <base64>` in both directions.
//! - [`HttpAuthClient`] and [`HttpAuthServer`]: the 401 loop over
//!   [`sspi::ClientContext`](crate::sspi::ClientContext) /
//!   [`sspi::ServerContext`](crate::sspi::ServerContext). They see header values only; the
//!   application owns the HTTP library and the socket.
//!
//! # NTLM authenticates the connection
//!
//! An NTLM handshake (bare or inside Negotiate) spans two requests, and the server keeps the
//! state between them per TCP connection: every leg of one handshake **must travel on the same
//! kept-alive connection**. A client whose pool opens a fresh connection for the second leg gets
//! a bare `401` back ([`HttpError::Rejected`]); a server must key its [`HttpAuthServer`] by the
//! connection (never by a cookie or a client-supplied value) and drop it when the connection
//! closes. Browsers and IIS also treat later requests on an authenticated connection as
//! authenticated; a server that cannot observe connection closes should instead authenticate
//! each request.
//!
//! ```
//! # fn main() -> Result<(), sspi_proto::http::HttpError> {
//! use sspi_proto::http::{HttpAuthClient, HttpAuthServer, ServerAction};
//! use sspi_proto::ntlm::crypto::NtHash;
//! use sspi_proto::ntlm::server::CredentialAnswer;
//! use sspi_proto::sspi::{ClientOptions, ServerOptions};
//! use sspi_proto::{Credentials, FileTime, Random};
//!
//! # struct Seeded(u8);
//! # impl Random for Seeded {
//! #     fn fill_bytes(&mut self, out: &mut [u8]) { out.fill(self.0); self.0 = self.0.wrapping_add(1); }
//! # }
//! # let mut rng = Seeded(7);
//! # let now = FileTime(133_000_000_000_000_000);
//! let mut client = HttpAuthClient::new(
//!     Credentials::password("CORP\\alice", "Passw0rd!"),
//!     ClientOptions::default(),
//! );
//! let mut server = HttpAuthServer::new(ServerOptions::default())?;
//!
//! // GET / without credentials: the server answers 401 with its offers.
//! let mut www_authenticate: Vec<String> =
//!     HttpAuthServer::OFFERS.iter().map(|s| s.to_string()).collect();
//! let identity = loop {
//!     // The client turns the 401 into the next request's Authorization value ...
//!     let authorization = client.on_unauthorized(&www_authenticate, now, &mut rng)?;
//!     // ... which the server, on the same connection, answers.
//!     let mut action = server.step(&authorization, now, &mut rng)?;
//!     if let ServerAction::NeedCredentials(id) = &action {
//!         assert_eq!(id.user, "alice");
//!         let key = NtHash::from_password("Passw0rd!");
//!         action = server.provide_credentials(CredentialAnswer::NtHashes(vec![key]), now)?;
//!     }
//!     match action {
//!         ServerAction::Challenge(value) => www_authenticate = vec![value],
//!         ServerAction::Authenticated { identity, www_authenticate: last } => {
//!             // 200 OK, with Negotiate's final token for the client to check the server.
//!             client.on_success(last.as_deref(), now, &mut rng)?;
//!             break identity;
//!         }
//!         ServerAction::NeedCredentials(_) => unreachable!(),
//!     }
//! };
//! assert_eq!((identity.domain.as_str(), identity.user.as_str()), ("CORP", "alice"));
//! # Ok(())
//! # }
//! ```

mod client;
mod header;
mod server;
#[cfg(test)]
mod tests;

use core::fmt;

pub use client::{Completion, HttpAuthClient};
pub use header::{
    AuthParam, Challenge, ChallengeData, decode_token, header_value, parse_challenges,
    parse_credentials,
};
pub use server::{HttpAuthServer, ServerAction};

use crate::sspi::Package;

/// The legs a handshake may take by default: NEGOTIATE, AUTHENTICATE, and one spare for a
/// SPNEGO server that asks for NTLM's first token again (RFC 4178 §4.2.1).
pub const DEFAULT_MAX_LEGS: u8 = 3;

/// The HTTP authentication schemes this module speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `Negotiate` (RFC 4559): SPNEGO tokens, or raw NTLM as Windows sends when Kerberos is
    /// out of reach.
    Negotiate,
    /// `NTLM`: raw NTLMSSP tokens.
    Ntlm,
}

impl Scheme {
    /// The scheme's name as it appears in headers.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Negotiate => "Negotiate",
            Self::Ntlm => "NTLM",
        }
    }

    /// The scheme named `name`, compared case-insensitively (RFC 9110 §11.1).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Negotiate, Self::Ntlm].into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// The security package a client uses for this scheme.
    pub const fn package(self) -> Package {
        match self {
            Self::Negotiate => Package::Negotiate,
            Self::Ntlm => Package::Ntlm,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong in HTTP authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpError {
    /// A header value breaks the RFC 9110 §11 grammar at byte `offset`.
    Malformed {
        /// Byte offset into the header value.
        offset: usize,
        /// What was expected there.
        detail: &'static str,
    },
    /// The token after the scheme is not base64.
    InvalidBase64,
    /// The peer offered (server) or used (client) neither `Negotiate` nor `NTLM`, or only
    /// schemes this side was told not to use.
    UnsupportedScheme,
    /// The peer broke the HTTP authentication exchange (a token missing or unexpected, a
    /// scheme switched mid-handshake); the detail says how.
    Protocol(&'static str),
    /// The handshake took more than `limit` legs.
    TooManyLegs {
        /// The configured limit.
        limit: u8,
    },
    /// The server answered a handshake token with a bare challenge: it refused the
    /// credentials, or lost the handshake because the connection changed.
    Rejected,
    /// The security context failed (`LogonDenied` for a wrong password on the server side).
    Sspi(crate::Error),
}

impl From<crate::Error> for HttpError {
    fn from(e: crate::Error) -> Self {
        Self::Sspi(e)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { offset, detail } => {
                write!(f, "malformed authentication header at byte {offset}: {detail}")
            }
            Self::InvalidBase64 => f.write_str("authentication token is not valid base64"),
            Self::UnsupportedScheme => {
                f.write_str("no usable authentication scheme (Negotiate, NTLM)")
            }
            Self::Protocol(detail) => write!(f, "HTTP authentication protocol error: {detail}"),
            Self::TooManyLegs { limit } => {
                write!(f, "authentication did not finish within {limit} legs")
            }
            Self::Rejected => f.write_str("the server rejected the authentication (401)"),
            Self::Sspi(e) => write!(f, "{e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Sspi(e) => Some(e),
            _ => None,
        }
    }
}

/// Counts one more leg against `limit`.
fn count_leg(legs: &mut u8, limit: u8) -> Result<(), HttpError> {
    match legs.checked_add(1) {
        Some(n) if n <= limit => {
            *legs = n;
            Ok(())
        }
        _ => Err(HttpError::TooManyLegs { limit }),
    }
}
