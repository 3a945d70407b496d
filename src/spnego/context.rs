//! What a completed Negotiate handshake hands on: the NTLM results and its session.

use crate::creds::Identity;
use crate::error::Result;
use crate::flags::NegotiateFlags;
use crate::ntlm::client::ClientContext;
use crate::ntlm::crypto::SessionKey;
use crate::ntlm::server::ServerContext;
use crate::ntlm::session::Session;

/// A completed NTLM handshake inside SPNEGO.
pub(crate) struct Established {
    pub(crate) identity: Identity,
    pub(crate) flags: NegotiateFlags,
    pub(crate) session_key: SessionKey,
    pub(crate) session: Session,
}

impl Established {
    pub(crate) fn from_client(ntlm: ClientContext) -> Result<Self> {
        let identity = ntlm.identity()?.clone();
        let flags = ntlm.flags()?;
        let session_key = ntlm.session_key()?.clone();
        Ok(Self { identity, flags, session_key, session: ntlm.into_session()? })
    }

    pub(crate) fn from_server(ntlm: ServerContext) -> Result<Self> {
        let identity = ntlm.identity()?.clone();
        let flags = ntlm.flags()?;
        let session_key = ntlm.session_key()?.clone();
        Ok(Self { identity, flags, session_key, session: ntlm.into_session()? })
    }
}
