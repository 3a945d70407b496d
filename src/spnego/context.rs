//! What a completed Negotiate handshake hands on: the NTLM results and its session.

pub(crate) use crate::ntlm::Established;
