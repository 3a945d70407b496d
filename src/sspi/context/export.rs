//! ExportSecurityContext / ImportSecurityContext for `sspi` contexts (kind 4 of the
//! [export format](crate::ntlm::export)): an envelope holding the package, the lifespan
//! and either the established identity and session or a server's handshake export.

use alloc::boxed::Box;
use alloc::string::String;

use super::{
    ClientContext, Common, CredentialsHandle, Ready, ServerContext, ServerInner, ServerOptions,
    Side,
};
use crate::codec::Reader;
use crate::creds::Identity;
use crate::error::{Error, ErrorKind, Result};
use crate::ntlm::export::{self, ExportKind, ExportWriter, ExportedContext};
use crate::ntlm::server::ServerContext as NtlmServer;
use crate::ntlm::session::{Role, Session};
use crate::spnego::server::NegotiateServer;
use crate::sspi::package::Package;
use crate::time::FileTime;

const ESTABLISHED: u8 = 0;
const AWAITING_AUTHENTICATE: u8 = 1;

const fn package_value(package: Package) -> u8 {
    match package {
        Package::Ntlm => 1,
        Package::Negotiate => 2,
    }
}

/// What follows the lifespan, on export.
enum Body<'a> {
    Established { identity: &'a Identity, session: ExportedContext },
    AwaitingAuthenticate(ExportedContext),
}

/// The envelope, parsed and validated, its inner export still as bytes.
struct Envelope<'a> {
    package: Package,
    role: Role,
    start: Option<FileTime>,
    expiry: Option<FileTime>,
    body: Parsed<'a>,
}

enum Parsed<'a> {
    Established { identity: Identity, session: &'a [u8] },
    AwaitingAuthenticate(&'a [u8]),
}

fn time_len(t: Option<FileTime>) -> usize {
    if t.is_some() { 9 } else { 1 }
}

fn write(common: &Common, role: Role, body: &Body<'_>) -> Result<ExportedContext> {
    let body_len = match body {
        Body::Established { identity, session } => export::byte_strings_len(&[
            identity.user.as_bytes(),
            identity.domain.as_bytes(),
            identity.workstation.as_bytes(),
            session.as_bytes(),
        ])?,
        Body::AwaitingAuthenticate(inner) => export::byte_strings_len(&[inner.as_bytes()])?,
    };
    let len = export::sum(&[3, time_len(common.start), time_len(common.expires), body_len])?;
    let mut out = ExportWriter::new(ExportKind::SspiContext, len)?;
    out.writer().u8(package_value(common.package)).u8(role.value());
    out.optional_u64(common.start.map(|t| t.0));
    out.optional_u64(common.expires.map(|t| t.0));
    match body {
        Body::Established { identity, session } => {
            out.writer().u8(ESTABLISHED);
            out.byte_string(identity.user.as_bytes())?;
            out.byte_string(identity.domain.as_bytes())?;
            out.byte_string(identity.workstation.as_bytes())?;
            out.byte_string(session.as_bytes())?;
        }
        Body::AwaitingAuthenticate(inner) => {
            out.writer().u8(AWAITING_AUTHENTICATE);
            out.byte_string(inner.as_bytes())?;
        }
    }
    out.finish()
}

fn utf8(r: &mut Reader<'_>, field: &'static str) -> Result<String> {
    let bytes = export::byte_string(r, field)?;
    core::str::from_utf8(bytes).map(String::from).map_err(|_| Error::invalid_token(field))
}

fn read(bytes: &[u8]) -> Result<Envelope<'_>> {
    let mut r = export::open(bytes, ExportKind::SspiContext)?;
    let package = match r.u8("SSPI export: package")? {
        1 => Package::Ntlm,
        2 => Package::Negotiate,
        _ => return Err(Error::invalid_token("SSPI export: unknown package")),
    };
    let role = Role::from_value(r.u8("SSPI export: role")?)
        .ok_or(Error::invalid_token("SSPI export: role is neither client nor server"))?;
    let start = export::optional_u64(&mut r, "SSPI export: lifespan start")?.map(FileTime);
    let expiry = export::optional_u64(&mut r, "SSPI export: lifespan expiry")?.map(FileTime);
    let body = match r.u8("SSPI export: stage")? {
        ESTABLISHED => Parsed::Established {
            identity: Identity {
                user: utf8(&mut r, "SSPI export: user name is not UTF-8")?,
                domain: utf8(&mut r, "SSPI export: domain name is not UTF-8")?,
                workstation: utf8(&mut r, "SSPI export: workstation name is not UTF-8")?,
            },
            session: export::byte_string(&mut r, "SSPI export: session")?,
        },
        AWAITING_AUTHENTICATE => {
            Parsed::AwaitingAuthenticate(export::byte_string(&mut r, "SSPI export: handshake")?)
        }
        _ => return Err(Error::invalid_token("SSPI export: unknown stage")),
    };
    export::end(&r)?;
    Ok(Envelope { package, role, start, expiry, body })
}

impl Envelope<'_> {
    /// Checks the envelope is for `package` and `role`.
    fn expect(&self, package: Package, role: Role) -> Result<()> {
        if self.package != package {
            return Err(Error::invalid_token("SSPI export: exported under another package"));
        }
        if self.role != role {
            return Err(Error::invalid_token("SSPI export: wrong role (client vs server)"));
        }
        Ok(())
    }

    fn common(&self, expires: Option<FileTime>) -> Common {
        let mut common = Common::new(self.package, expires);
        common.start = self.start;
        common
    }
}

/// An established context from its identity and session export.
fn ready(identity: Identity, session: &[u8], role: Role) -> Result<Box<Ready>> {
    let session = Session::import(session)?;
    if session.role() != role {
        return Err(Error::invalid_token("SSPI export: session of the wrong role"));
    }
    Ok(Box::new(Ready {
        identity,
        flags: session.flags(),
        session_key: session.exported_session_key().clone(),
        session,
    }))
}

/// The earlier of two optional expiries.
fn earliest(a: Option<FileTime>, b: Option<FileTime>) -> Option<FileTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a <= b { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn deleted() -> Error {
    Error::new(ErrorKind::InvalidHandle, "context was deleted")
}

impl ClientContext {
    /// ExportSecurityContext: the established context as bytes (format:
    /// [`crate::ntlm::export`]): package, lifespan, the authenticated identity and the
    /// session with its sequence numbers and RC4 positions. Only established client
    /// contexts export (`OutOfSequence` before; a failed or deleted context gives its
    /// error). The imported copy continues the session, so stop using this one: two
    /// contexts on one keystream would reuse it.
    pub fn export(&self) -> Result<ExportedContext> {
        let ready = self.ready_ref()?;
        let session = ready.session.export()?;
        write(&self.common, Role::Client, &Body::Established { identity: &ready.identity, session })
    }

    /// ImportSecurityContext: an established client context from
    /// [`ClientContext::export`] bytes. It needs no credentials or options: the handshake
    /// is over and the lifespan travels with it. `package` must be the one exported
    /// under; a server export is refused (`InvalidToken`, wrong role). Safe on any input.
    pub fn import(package: Package, bytes: &[u8]) -> Result<Self> {
        let envelope = read(bytes)?;
        envelope.expect(package, Role::Client)?;
        let common = envelope.common(envelope.expiry);
        let Parsed::Established { identity, session } = envelope.body else {
            return Err(Error::invalid_token("SSPI export: a client context is not established"));
        };
        Ok(Self {
            common,
            state: Side::Ready(ready(identity, session, Role::Client)?),
            channel_bindings_pending: false,
        })
    }
}

impl ServerContext {
    /// ExportSecurityContext (format: [`crate::ntlm::export`]): an established context
    /// (identity and session, as for [`ClientContext::export`]), or one that sent
    /// CHALLENGE and waits for AUTHENTICATE, so another process can finish the handshake
    /// ([`ServerContext::import`]). Other handshake states give `OutOfSequence`; a failed
    /// or deleted context its error.
    pub fn export(&self) -> Result<ExportedContext> {
        if self.common.deleted {
            return Err(deleted());
        }
        if let Some(e) = self.common.failed {
            return Err(e);
        }
        let body = match &self.state {
            Side::Ready(r) => {
                Body::Established { identity: &r.identity, session: r.session.export()? }
            }
            Side::Handshake(ServerInner::Ntlm(s)) => Body::AwaitingAuthenticate(s.export()?),
            Side::Handshake(ServerInner::Negotiate(s)) => Body::AwaitingAuthenticate(s.export()?),
            Side::Deleted => return Err(deleted()),
        };
        write(&self.common, Role::Server, &body)
    }

    /// ImportSecurityContext: a server context from [`ServerContext::export`] bytes.
    ///
    /// `package`, `creds` and `options` are what [`ServerContext::new`] takes, and are
    /// checked the same way. Policy is configuration, not state: a context imported while
    /// waiting for AUTHENTICATE is judged by *these* options (required flags, MIC, channel
    /// bindings, SPNs, skew, anonymous) — give it the ones the exporting process used, or
    /// stricter. `accept_raw_ntlm` is moot (the exporter already chose the framing). The
    /// lifespan is the exported one, cut to `options.expires` when that is earlier. An
    /// established export ignores the NTLM policy. Safe on any input: malformed bytes, a
    /// client export or another package's are `InvalidToken`.
    pub fn import(
        package: Package,
        creds: &CredentialsHandle,
        options: ServerOptions,
        bytes: &[u8],
    ) -> Result<Self> {
        let expires = options.expires;
        let config = Self::config(package, creds, options)?;
        let envelope = read(bytes)?;
        envelope.expect(package, Role::Server)?;
        let common = envelope.common(earliest(envelope.expiry, expires));
        let state = match envelope.body {
            Parsed::Established { identity, session } => {
                Side::Ready(ready(identity, session, Role::Server)?)
            }
            Parsed::AwaitingAuthenticate(inner) => Side::Handshake(match package {
                Package::Ntlm => ServerInner::Ntlm(Box::new(NtlmServer::import(config, inner)?)),
                Package::Negotiate => {
                    ServerInner::Negotiate(Box::new(NegotiateServer::import(config, inner)?))
                }
            }),
        };
        Ok(Self { common, state })
    }
}
