//! The NTLM security package (MS-NLMP).

pub mod crypto;
pub mod messages;
