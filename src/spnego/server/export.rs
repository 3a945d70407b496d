//! Export and import of a Negotiate server waiting for AUTHENTICATE (kind 3 of the
//! [export format](crate::ntlm::export)).

use super::{AcceptMode, NegotiateServer, State};
use crate::error::{Error, ErrorKind, Result};
use crate::ntlm::export::{self, ExportKind, ExportWriter, ExportedContext};
use crate::ntlm::server::{ServerConfig, ServerContext};
use crate::spnego::Oid;
use crate::spnego::der::{self, tag};
use crate::spnego::token::{decode_mech_type_list, encode_mech_type_list};
use alloc::boxed::Box;

const SPNEGO_FRAMING: u8 = 0;
const RAW_FRAMING: u8 = 1;

impl NegotiateServer {
    /// ExportSecurityContext for a server that sent CHALLENGE and waits for AUTHENTICATE
    /// (format: [`crate::ntlm::export`]): the client's MechTypeList (the mechListMIC covers
    /// it) and the NTLM server's own export. Other states give `OutOfSequence`, a failed
    /// context its error.
    pub fn export(&self) -> Result<ExportedContext> {
        let (framing, ntlm, mech_types): (u8, &ServerContext, &[u8]) = match &self.state {
            State::ChallengeSent { ntlm, mech_types } => (SPNEGO_FRAMING, ntlm, mech_types),
            State::Raw(ntlm) => (RAW_FRAMING, ntlm, &[]),
            State::Failed(e) => return Err(*e),
            _ => {
                return Err(Error::new(
                    ErrorKind::OutOfSequence,
                    "Negotiate server export needs a context waiting for AUTHENTICATE",
                ));
            }
        };
        let inner = ntlm.export()?;
        let len = export::sum(&[1, export::byte_strings_len(&[mech_types, inner.as_bytes()])?])?;
        let mut out = ExportWriter::new(ExportKind::NegotiateServer, len)?;
        out.writer().u8(framing);
        out.byte_string(mech_types)?;
        out.byte_string(inner.as_bytes())?;
        out.finish()
    }

    /// ImportSecurityContext: a Negotiate server waiting for AUTHENTICATE, restored from
    /// [`NegotiateServer::export`] bytes under `config` (policy is configuration: see
    /// [`ServerContext::import`]). Safe on any input: the MechTypeList must be canonical
    /// DER listing NTLM, the NTLM part a valid kind-2 export; otherwise `InvalidToken`.
    pub fn import(config: ServerConfig, bytes: &[u8]) -> Result<Self> {
        let mut r = export::open(bytes, ExportKind::NegotiateServer)?;
        let framing = r.u8("Negotiate server export: framing")?;
        let mech_types = export::byte_string(&mut r, "Negotiate server export: mechTypes")?;
        let inner = export::byte_string(&mut r, "Negotiate server export: NTLM")?;
        export::end(&r)?;

        let (state, mode) = match framing {
            SPNEGO_FRAMING => {
                check_mech_types(mech_types)?;
                let ntlm = ServerContext::import(config, inner)?;
                (
                    State::ChallengeSent {
                        ntlm: Box::new(ntlm),
                        mech_types: super::mech_types(mech_types),
                    },
                    AcceptMode::Negotiate,
                )
            }
            RAW_FRAMING if mech_types.is_empty() => {
                (State::Raw(Box::new(ServerContext::import(config, inner)?)), AcceptMode::Auto)
            }
            RAW_FRAMING => {
                return Err(Error::invalid_token(
                    "Negotiate server export: mechTypes present for raw NTLM",
                ));
            }
            _ => return Err(Error::invalid_token("Negotiate server export: unknown framing")),
        };
        Ok(Self { state, mode, raw: framing == RAW_FRAMING })
    }
}

/// The mechListMIC is computed over these bytes, so they must be what a client could have
/// sent: a canonical DER MechTypeList that offers NTLM (the server chose it from there).
fn check_mech_types(der_bytes: &[u8]) -> Result<()> {
    let bad = Error::invalid_token("Negotiate server export: mechTypes is not a DER MechTypeList");
    let contents = der::only(
        der_bytes,
        tag::SEQUENCE,
        "Negotiate server export: mechTypes is not a DER MechTypeList",
        "Negotiate server export: bytes after mechTypes",
    )?;
    let mechs = decode_mech_type_list(contents)?;
    if encode_mech_type_list(&mechs) != der_bytes {
        return Err(bad);
    }
    if !mechs.contains(&Oid::NTLMSSP) {
        return Err(Error::invalid_token("Negotiate server export: mechTypes lacks NTLM"));
    }
    Ok(())
}
