//! SSPI context requirement and attribute flags (`ISC_REQ_*`, `ISC_RET_*`, `ASC_REQ_*`,
//! `ASC_RET_*`), with their Windows values so ported code maps one to one.

use crate::flags::NegotiateFlags;

bitflags::bitflags! {
    /// `ISC_REQ_*`: what a client asks of InitializeSecurityContext.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ClientRequest: u32 {
        /// `ISC_REQ_DELEGATE` (not supported by NTLM; never granted).
        const DELEGATE = 0x0000_0001;
        /// `ISC_REQ_MUTUAL_AUTH` (NTLM cannot authenticate the server; never granted).
        const MUTUAL_AUTH = 0x0000_0002;
        /// `ISC_REQ_REPLAY_DETECT`.
        const REPLAY_DETECT = 0x0000_0004;
        /// `ISC_REQ_SEQUENCE_DETECT`.
        const SEQUENCE_DETECT = 0x0000_0008;
        /// `ISC_REQ_CONFIDENTIALITY`.
        const CONFIDENTIALITY = 0x0000_0010;
        /// `ISC_REQ_USE_SESSION_KEY`.
        const USE_SESSION_KEY = 0x0000_0020;
        /// `ISC_REQ_PROMPT_FOR_CREDS`.
        const PROMPT_FOR_CREDS = 0x0000_0040;
        /// `ISC_REQ_USE_SUPPLIED_CREDS`.
        const USE_SUPPLIED_CREDS = 0x0000_0080;
        /// `ISC_REQ_ALLOCATE_MEMORY` (meaningless here: tokens are always owned `Vec`s).
        const ALLOCATE_MEMORY = 0x0000_0100;
        /// `ISC_REQ_USE_DCE_STYLE`.
        const USE_DCE_STYLE = 0x0000_0200;
        /// `ISC_REQ_DATAGRAM`: connectionless NTLM.
        const DATAGRAM = 0x0000_0400;
        /// `ISC_REQ_CONNECTION`.
        const CONNECTION = 0x0000_0800;
        /// `ISC_REQ_CALL_LEVEL`.
        const CALL_LEVEL = 0x0000_1000;
        /// `ISC_REQ_FRAGMENT_SUPPLIED`.
        const FRAGMENT_SUPPLIED = 0x0000_2000;
        /// `ISC_REQ_EXTENDED_ERROR`.
        const EXTENDED_ERROR = 0x0000_4000;
        /// `ISC_REQ_STREAM`.
        const STREAM = 0x0000_8000;
        /// `ISC_REQ_INTEGRITY`.
        const INTEGRITY = 0x0001_0000;
        /// `ISC_REQ_IDENTIFY`.
        const IDENTIFY = 0x0002_0000;
        /// `ISC_REQ_NULL_SESSION`: anonymous.
        const NULL_SESSION = 0x0004_0000;
        /// `ISC_REQ_MANUAL_CRED_VALIDATION`.
        const MANUAL_CRED_VALIDATION = 0x0008_0000;
        /// `ISC_REQ_FRAGMENT_TO_FIT`.
        const FRAGMENT_TO_FIT = 0x0020_0000;
        /// `ISC_REQ_FORWARD_CREDENTIALS`.
        const FORWARD_CREDENTIALS = 0x0040_0000;
        /// `ISC_REQ_NO_INTEGRITY`.
        const NO_INTEGRITY = 0x0080_0000;
        /// `ISC_REQ_USE_HTTP_STYLE`.
        const USE_HTTP_STYLE = 0x0100_0000;
        /// `ISC_REQ_UNVERIFIED_TARGET_NAME`.
        const UNVERIFIED_TARGET_NAME = 0x2000_0000;
        /// `ISC_REQ_CONFIDENTIALITY_ONLY`.
        const CONFIDENTIALITY_ONLY = 0x4000_0000;
    }
}

bitflags::bitflags! {
    /// `ISC_RET_*`: what InitializeSecurityContext actually granted.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ClientAttributes: u32 {
        /// `ISC_RET_DELEGATE`.
        const DELEGATE = 0x0000_0001;
        /// `ISC_RET_MUTUAL_AUTH`.
        const MUTUAL_AUTH = 0x0000_0002;
        /// `ISC_RET_REPLAY_DETECT`.
        const REPLAY_DETECT = 0x0000_0004;
        /// `ISC_RET_SEQUENCE_DETECT`.
        const SEQUENCE_DETECT = 0x0000_0008;
        /// `ISC_RET_CONFIDENTIALITY`.
        const CONFIDENTIALITY = 0x0000_0010;
        /// `ISC_RET_USE_SESSION_KEY`.
        const USE_SESSION_KEY = 0x0000_0020;
        /// `ISC_RET_USED_COLLECTED_CREDS`.
        const USED_COLLECTED_CREDS = 0x0000_0040;
        /// `ISC_RET_USED_SUPPLIED_CREDS`.
        const USED_SUPPLIED_CREDS = 0x0000_0080;
        /// `ISC_RET_ALLOCATED_MEMORY`.
        const ALLOCATED_MEMORY = 0x0000_0100;
        /// `ISC_RET_USED_DCE_STYLE`.
        const USED_DCE_STYLE = 0x0000_0200;
        /// `ISC_RET_DATAGRAM`.
        const DATAGRAM = 0x0000_0400;
        /// `ISC_RET_CONNECTION`.
        const CONNECTION = 0x0000_0800;
        /// `ISC_RET_INTERMEDIATE_RETURN`.
        const INTERMEDIATE_RETURN = 0x0000_1000;
        /// `ISC_RET_CALL_LEVEL`.
        const CALL_LEVEL = 0x0000_2000;
        /// `ISC_RET_EXTENDED_ERROR`.
        const EXTENDED_ERROR = 0x0000_4000;
        /// `ISC_RET_STREAM`.
        const STREAM = 0x0000_8000;
        /// `ISC_RET_INTEGRITY`.
        const INTEGRITY = 0x0001_0000;
        /// `ISC_RET_IDENTIFY`.
        const IDENTIFY = 0x0002_0000;
        /// `ISC_RET_NULL_SESSION`.
        const NULL_SESSION = 0x0004_0000;
        /// `ISC_RET_MANUAL_CRED_VALIDATION`.
        const MANUAL_CRED_VALIDATION = 0x0008_0000;
        /// `ISC_RET_FRAGMENT_ONLY`.
        const FRAGMENT_ONLY = 0x0020_0000;
        /// `ISC_RET_FORWARD_CREDENTIALS`.
        const FORWARD_CREDENTIALS = 0x0040_0000;
        /// `ISC_RET_USED_HTTP_STYLE`.
        const USED_HTTP_STYLE = 0x0100_0000;
        /// `ISC_RET_NO_ADDITIONAL_TOKEN`.
        const NO_ADDITIONAL_TOKEN = 0x0200_0000;
        /// `ISC_RET_REAUTHENTICATION`.
        const REAUTHENTICATION = 0x0800_0000;
        /// `ISC_RET_CONFIDENTIALITY_ONLY`.
        const CONFIDENTIALITY_ONLY = 0x4000_0000;
    }
}

bitflags::bitflags! {
    /// `ASC_REQ_*`: what a server asks of AcceptSecurityContext.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ServerRequest: u32 {
        /// `ASC_REQ_DELEGATE`.
        const DELEGATE = 0x0000_0001;
        /// `ASC_REQ_MUTUAL_AUTH`.
        const MUTUAL_AUTH = 0x0000_0002;
        /// `ASC_REQ_REPLAY_DETECT`.
        const REPLAY_DETECT = 0x0000_0004;
        /// `ASC_REQ_SEQUENCE_DETECT`.
        const SEQUENCE_DETECT = 0x0000_0008;
        /// `ASC_REQ_CONFIDENTIALITY`: the client must negotiate SEAL.
        const CONFIDENTIALITY = 0x0000_0010;
        /// `ASC_REQ_USE_SESSION_KEY`.
        const USE_SESSION_KEY = 0x0000_0020;
        /// `ASC_REQ_SESSION_TICKET`.
        const SESSION_TICKET = 0x0000_0040;
        /// `ASC_REQ_ALLOCATE_MEMORY`.
        const ALLOCATE_MEMORY = 0x0000_0100;
        /// `ASC_REQ_USE_DCE_STYLE`.
        const USE_DCE_STYLE = 0x0000_0200;
        /// `ASC_REQ_DATAGRAM`.
        const DATAGRAM = 0x0000_0400;
        /// `ASC_REQ_CONNECTION`.
        const CONNECTION = 0x0000_0800;
        /// `ASC_REQ_CALL_LEVEL`.
        const CALL_LEVEL = 0x0000_1000;
        /// `ASC_REQ_FRAGMENT_SUPPLIED`.
        const FRAGMENT_SUPPLIED = 0x0000_2000;
        /// `ASC_REQ_EXTENDED_ERROR`.
        const EXTENDED_ERROR = 0x0000_8000;
        /// `ASC_REQ_STREAM`.
        const STREAM = 0x0001_0000;
        /// `ASC_REQ_INTEGRITY`: the client must negotiate SIGN.
        const INTEGRITY = 0x0002_0000;
        /// `ASC_REQ_LICENSING`.
        const LICENSING = 0x0004_0000;
        /// `ASC_REQ_IDENTIFY`.
        const IDENTIFY = 0x0008_0000;
        /// `ASC_REQ_ALLOW_NULL_SESSION`: accept anonymous logons.
        const ALLOW_NULL_SESSION = 0x0010_0000;
        /// `ASC_REQ_ALLOW_NON_USER_LOGONS`.
        const ALLOW_NON_USER_LOGONS = 0x0020_0000;
        /// `ASC_REQ_ALLOW_CONTEXT_REPLAY`.
        const ALLOW_CONTEXT_REPLAY = 0x0040_0000;
        /// `ASC_REQ_FRAGMENT_TO_FIT`.
        const FRAGMENT_TO_FIT = 0x0080_0000;
        /// `ASC_REQ_NO_TOKEN`.
        const NO_TOKEN = 0x0100_0000;
        /// `ASC_REQ_PROXY_BINDINGS`: channel bindings are required.
        const PROXY_BINDINGS = 0x0400_0000;
        /// `ASC_REQ_ALLOW_MISSING_BINDINGS`.
        const ALLOW_MISSING_BINDINGS = 0x1000_0000;
    }
}

bitflags::bitflags! {
    /// `ASC_RET_*`: what AcceptSecurityContext actually granted.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ServerAttributes: u32 {
        /// `ASC_RET_DELEGATE`.
        const DELEGATE = 0x0000_0001;
        /// `ASC_RET_MUTUAL_AUTH`.
        const MUTUAL_AUTH = 0x0000_0002;
        /// `ASC_RET_REPLAY_DETECT`.
        const REPLAY_DETECT = 0x0000_0004;
        /// `ASC_RET_SEQUENCE_DETECT`.
        const SEQUENCE_DETECT = 0x0000_0008;
        /// `ASC_RET_CONFIDENTIALITY`.
        const CONFIDENTIALITY = 0x0000_0010;
        /// `ASC_RET_USE_SESSION_KEY`.
        const USE_SESSION_KEY = 0x0000_0020;
        /// `ASC_RET_SESSION_TICKET`.
        const SESSION_TICKET = 0x0000_0040;
        /// `ASC_RET_ALLOCATED_MEMORY`.
        const ALLOCATED_MEMORY = 0x0000_0100;
        /// `ASC_RET_USED_DCE_STYLE`.
        const USED_DCE_STYLE = 0x0000_0200;
        /// `ASC_RET_DATAGRAM`.
        const DATAGRAM = 0x0000_0400;
        /// `ASC_RET_CONNECTION`.
        const CONNECTION = 0x0000_0800;
        /// `ASC_RET_CALL_LEVEL`.
        const CALL_LEVEL = 0x0000_2000;
        /// `ASC_RET_THIRD_LEG_FAILED`.
        const THIRD_LEG_FAILED = 0x0000_4000;
        /// `ASC_RET_EXTENDED_ERROR`.
        const EXTENDED_ERROR = 0x0000_8000;
        /// `ASC_RET_STREAM`.
        const STREAM = 0x0001_0000;
        /// `ASC_RET_INTEGRITY`.
        const INTEGRITY = 0x0002_0000;
        /// `ASC_RET_LICENSING`.
        const LICENSING = 0x0004_0000;
        /// `ASC_RET_IDENTIFY`.
        const IDENTIFY = 0x0008_0000;
        /// `ASC_RET_NULL_SESSION`.
        const NULL_SESSION = 0x0010_0000;
        /// `ASC_RET_ALLOW_NON_USER_LOGONS`.
        const ALLOW_NON_USER_LOGONS = 0x0020_0000;
        /// `ASC_RET_ALLOW_CONTEXT_REPLAY`.
        const ALLOW_CONTEXT_REPLAY = 0x0040_0000;
        /// `ASC_RET_FRAGMENT_ONLY`.
        const FRAGMENT_ONLY = 0x0080_0000;
        /// `ASC_RET_NO_TOKEN`.
        const NO_TOKEN = 0x0100_0000;
        /// `ASC_RET_NO_ADDITIONAL_TOKEN`.
        const NO_ADDITIONAL_TOKEN = 0x0200_0000;
    }
}

/// What both requests share, in package-neutral terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Granted {
    pub integrity: bool,
    pub confidentiality: bool,
    pub datagram: bool,
    pub sequence: bool,
    pub anonymous: bool,
    pub identify: bool,
}

impl Granted {
    /// What the negotiated NTLM flags grant.
    pub(crate) fn from_ntlm(flags: NegotiateFlags) -> Self {
        let sign = flags.contains(NegotiateFlags::SIGN);
        Self {
            integrity: sign,
            confidentiality: flags.contains(NegotiateFlags::SEAL),
            datagram: flags.contains(NegotiateFlags::DATAGRAM),
            // Sequence numbers are in every signature, so replay and sequence detection
            // come with integrity.
            sequence: sign,
            anonymous: flags.contains(NegotiateFlags::ANONYMOUS),
            identify: flags.contains(NegotiateFlags::IDENTIFY),
        }
    }

    pub(crate) fn client(self) -> ClientAttributes {
        let mut a = ClientAttributes::empty();
        a.set(ClientAttributes::INTEGRITY, self.integrity);
        a.set(ClientAttributes::CONFIDENTIALITY, self.confidentiality);
        a.set(ClientAttributes::REPLAY_DETECT | ClientAttributes::SEQUENCE_DETECT, self.sequence);
        a.set(ClientAttributes::DATAGRAM, self.datagram);
        a.set(ClientAttributes::CONNECTION, !self.datagram);
        a.set(ClientAttributes::NULL_SESSION, self.anonymous);
        a.set(ClientAttributes::IDENTIFY, self.identify);
        a
    }

    pub(crate) fn server(self) -> ServerAttributes {
        let mut a = ServerAttributes::empty();
        a.set(ServerAttributes::INTEGRITY, self.integrity);
        a.set(ServerAttributes::CONFIDENTIALITY, self.confidentiality);
        a.set(ServerAttributes::REPLAY_DETECT | ServerAttributes::SEQUENCE_DETECT, self.sequence);
        a.set(ServerAttributes::DATAGRAM, self.datagram);
        a.set(ServerAttributes::CONNECTION, !self.datagram);
        a.set(ServerAttributes::NULL_SESSION, self.anonymous);
        a.set(ServerAttributes::IDENTIFY, self.identify);
        a
    }
}
