//! The export / import target: arbitrary bytes into every ImportSecurityContext.

use crate::error::Result;
use crate::ntlm::export::ExportedContext;
use crate::ntlm::server::{ServerContext, ServerStep};
use crate::ntlm::session::Session;
use crate::spnego::server::NegotiateServer;
use crate::sspi::{self, CredentialUse, CredentialsHandle, Package, ServerOptions};

use super::contexts::accept;
use super::session::receive;
use super::{NOW, answer, server_config, server_rng, tokens};

/// Asserts that an imported context exports, and that export ∘ import is then stable: the
/// export re-imports, and the re-import exports the same bytes.
#[track_caller]
fn stable<T>(
    what: &str,
    exported: Result<ExportedContext>,
    import: impl Fn(&[u8]) -> Result<T>,
    export: impl Fn(&T) -> Result<ExportedContext>,
) {
    let first = match exported {
        Ok(first) => first,
        Err(e) => panic!("{what}: an imported context does not export: {e:?}"),
    };
    let again = match import(first.as_bytes()).and_then(|c| export(&c)) {
        Ok(again) => again,
        Err(e) => panic!("{what}: its own export does not re-import and export: {e:?}"),
    };
    assert_eq!(first.as_bytes(), again.as_bytes(), "{what}: export ∘ import not stable");
}

fn sspi_server_options() -> ServerOptions {
    ServerOptions { ntlm: server_config(false), ..ServerOptions::default() }
}

/// The input's first byte picks the importer, the rest is split into tokens (see
/// `tokens`): the first is the export, the others go to the imported context. Bits 0-1 —
/// 0: an NTLM [`Session`], then receiving ops as in `session_unseal`; 1: an NTLM
/// [`ServerContext`] awaiting AUTHENTICATE, then client tokens; 2: a [`NegotiateServer`]
/// awaiting AUTHENTICATE, then client tokens; 3: an `sspi` context, bit 2 choosing the
/// package (NTLM / Negotiate) and bit 3 the side (server / client).
///
/// Invariants: no input panics; whatever imports exports again, stably; an imported
/// session or server then behaves as in the other targets (sticky errors, a completed
/// server has a session).
pub fn export_import(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else { return };
    let mut parts = tokens(rest);
    let Some(bytes) = parts.next() else { return };
    match kind & 3 {
        0 => {
            let Ok(mut session) = Session::import(bytes) else { return };
            stable("NTLM session", session.export(), Session::import, Session::export);
            let datagram = session.flags().contains(crate::flags::NegotiateFlags::DATAGRAM);
            let mut closed = false;
            for token in parts {
                let Some((&op, body)) = token.split_first() else { continue };
                let seq = datagram.then_some(u32::from(op.wrapping_shr(3)));
                let result = receive(&mut session, seq, op & 7, body);
                assert!(!closed || result.is_err(), "a receiving call succeeded after a failure");
                closed |= result.is_err();
            }
        }
        1 => {
            let import = |b: &[u8]| ServerContext::import(server_config(false), b);
            let Ok(server) = import(bytes) else { return };
            stable("NTLM server", server.export(), import, ServerContext::export);
            accept(server, parts, &mut server_rng());
        }
        2 => {
            let import = |b: &[u8]| NegotiateServer::import(server_config(false), b);
            let Ok(server) = import(bytes) else { return };
            stable("Negotiate server", server.export(), import, NegotiateServer::export);
            accept(server, parts, &mut server_rng());
        }
        _ => {
            let package = if kind & 4 == 0 { Package::Ntlm } else { Package::Negotiate };
            if kind & 8 != 0 {
                let import = |b: &[u8]| sspi::ClientContext::import(package, b);
                let Ok(client) = import(bytes) else { return };
                stable("SSPI client", client.export(), import, sspi::ClientContext::export);
                return;
            }
            let Ok(creds) = CredentialsHandle::acquire(package, CredentialUse::Inbound, None)
            else {
                return;
            };
            let import =
                |b: &[u8]| sspi::ServerContext::import(package, &creds, sspi_server_options(), b);
            let Ok(mut server) = import(bytes) else { return };
            stable("SSPI server", server.export(), import, sspi::ServerContext::export);
            let mut rng = server_rng();
            for token in parts {
                let mut step = server.step(token, NOW, &mut rng);
                if matches!(step, Ok(ServerStep::NeedCredentials(_))) {
                    step = server.provide_credentials(answer(), NOW);
                }
                if step.is_err() {
                    let again = server.step(token, NOW, &mut rng);
                    assert!(again.is_err(), "a failed SSPI server recovered: {again:?}");
                    return;
                }
            }
        }
    }
}
