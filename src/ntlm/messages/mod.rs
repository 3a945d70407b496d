//! NTLM messages (MS-NLMP 2.2).
//!
//! Wire layout of the three NTLM messages ([`NegotiateMessage`], [`ChallengeMessage`],
//! [`AuthenticateMessage`]), their parts ([`Version`], [`AvPairs`]) and the NTLMv2 response
//! ([`NtlmV2Response`], [`NtlmV2ClientChallenge`]).
//!
//! Every decoder takes the whole byte string, checks the `NTLMSSP\0` signature and the
//! message type, resolves every security buffer with overflow-checked arithmetic and never
//! panics: malformed input is an [`ErrorKind::InvalidToken`](crate::ErrorKind::InvalidToken)
//! error whose detail names the message and the field, e.g.
//! `AUTHENTICATE NtChallengeResponse offset or length past end of message`.
//!
//! Decoding is structural only. Policy (which flags are acceptable, whether a MIC is
//! required, whether `RespType` is 1) belongs to the client and server state machines.
//!
//! Strings are UTF-16LE when `NTLMSSP_NEGOTIATE_UNICODE` is set, otherwise OEM. This module
//! treats the OEM code page as Latin-1 (byte `n` is `U+00nn`), which is lossless in both
//! directions; encoding a character above `U+00FF` as OEM is an error.

use alloc::string::String;

use crate::codec::{Reader, Writer, check_utf16le, utf16le_len, utf16le_to_string};
use crate::error::{Error, Result};

/// The static error details of one message kind, so that every error names its message.
struct Kind {
    ty: u32,
    empty: &'static str,
    signature: &'static str,
    wrong_type: &'static str,
    short: &'static str,
}

/// Builds the [`Kind`] of a message from its name and `MessageType` value.
macro_rules! kind {
    ($name:literal, $ty:literal) => {
        $crate::ntlm::messages::Kind {
            ty: $ty,
            empty: concat!($name, " empty input"),
            signature: concat!($name, " signature is not NTLMSSP"),
            wrong_type: concat!($name, " message type is not ", $ty),
            short: concat!($name, " message shorter than its fixed header"),
        }
    };
}

/// The static error details of one payload field of one message.
struct Field {
    bounds: &'static str,
    text: &'static str,
    oem: &'static str,
    too_long: &'static str,
}

/// Builds the [`Field`] details from a message name and a field name as MS-NLMP spells it.
macro_rules! field {
    ($msg:literal, $name:literal) => {
        $crate::ntlm::messages::Field {
            bounds: concat!($msg, " ", $name, " offset or length past end of message"),
            text: concat!($msg, " ", $name, " is odd-length or invalid UTF-16"),
            oem: concat!($msg, " ", $name, " has a character outside the OEM (Latin-1) range"),
            too_long: concat!($msg, " ", $name, " is longer than 65535 bytes"),
        }
    };
}

mod authenticate;
mod av_pairs;
mod challenge;
mod negotiate;
mod ntlmv2;
mod version;

#[cfg(test)]
mod tests;

pub(crate) use authenticate::{AuthenticateLayout, AuthenticateParts, AuthenticateView, Encoded};
pub use authenticate::{AuthenticateMessage, around_mic, set_mic, zero_mic};
pub use av_pairs::{AvFlags, AvId, AvPair, AvPairs, SingleHost};
pub(crate) use av_pairs::{AvList, AvShape, AvValue, write_pair};
pub use challenge::ChallengeMessage;
pub(crate) use challenge::{ChallengeParts, ChallengeView, TargetInfo};
pub use negotiate::NegotiateMessage;
pub use ntlmv2::{NtlmV2ClientChallenge, NtlmV2Response};
pub(crate) use ntlmv2::{ResponseView, write_blob};
pub use version::Version;

/// The signature every NTLM message starts with (MS-NLMP 2.2.1).
pub const SIGNATURE: [u8; 8] = *b"NTLMSSP\0";
/// `MessageType` of a NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
pub const NEGOTIATE_TYPE: u32 = 1;
/// `MessageType` of a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
pub const CHALLENGE_TYPE: u32 = 2;
/// `MessageType` of an AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
pub const AUTHENTICATE_TYPE: u32 = 3;

/// Checks the signature of an NTLM message and returns its `MessageType` (1, 2, 3 or any
/// other value found on the wire), so that a caller can pick the decoder.
pub fn message_type(bytes: &[u8]) -> Result<u32> {
    if bytes.is_empty() {
        return Err(Error::invalid_token("NTLM message empty input"));
    }
    let mut r = Reader::new(bytes);
    check_signature(&mut r, "NTLM message signature is not NTLMSSP")?;
    r.u32_le("NTLM message type truncated")
}

fn check_signature(r: &mut Reader<'_>, detail: &'static str) -> Result<()> {
    // A signature cut short is no more `NTLMSSP\0` than a wrong one.
    if r.take(SIGNATURE.len(), detail)? == SIGNATURE {
        Ok(())
    } else {
        Err(Error::invalid_token(detail))
    }
}

/// Checks the common prefix (MS-NLMP 2.2.1: `Signature`, `MessageType`) and that the input
/// holds at least `fixed_len` bytes of header; returns a reader positioned after the type.
fn open<'a>(bytes: &'a [u8], kind: &Kind, fixed_len: usize) -> Result<Reader<'a>> {
    if bytes.is_empty() {
        return Err(Error::invalid_token(kind.empty));
    }
    let mut r = Reader::new(bytes);
    check_signature(&mut r, kind.signature)?;
    if r.u32_le(kind.short)? != kind.ty {
        return Err(Error::invalid_token(kind.wrong_type));
    }
    if bytes.len() < fixed_len {
        return Err(Error::invalid_token(kind.short));
    }
    Ok(r)
}

/// Checks that a string field decodes (see [`decode_text`]), without decoding it.
fn check_text<'a>(bytes: &'a [u8], unicode: bool, field: &Field) -> Result<&'a [u8]> {
    if unicode { check_utf16le(bytes, field.text) } else { Ok(bytes) }
}

/// Decodes a string field: UTF-16LE when `unicode`, else OEM read as Latin-1.
#[inline]
fn decode_text(bytes: &[u8], unicode: bool, field: &Field) -> Result<String> {
    if unicode { utf16le_to_string(bytes, field.text) } else { Ok(decode_oem(bytes)) }
}

/// The OEM half of [`decode_text`], out of line (see [`write_oem`]).
#[inline(never)]
fn decode_oem(bytes: &[u8]) -> String {
    bytes.iter().copied().map(char::from).collect()
}

/// The encoded length of a string field: UTF-16LE when `unicode`, else OEM written as
/// Latin-1 (an error naming the field if a character is outside Latin-1).
#[inline]
fn text_len(text: &str, unicode: bool, field: &Field) -> Result<usize> {
    if unicode { Ok(utf16le_len(text)) } else { oem_len(text, field) }
}

/// The OEM half of [`text_len`], out of line (see [`write_oem`]).
#[inline(never)]
fn oem_len(text: &str, field: &Field) -> Result<usize> {
    if text.chars().all(|c| u8::try_from(c).is_ok()) {
        Ok(text.chars().count())
    } else {
        Err(Error::invalid_token(field.oem))
    }
}

/// Writes a string field measured by [`text_len`] (which has checked the OEM characters).
#[inline]
fn write_text(w: &mut Writer, text: &str, unicode: bool) {
    if unicode {
        w.utf16le(text);
    } else {
        write_oem(w, text);
    }
}

/// The OEM (Latin-1) half of [`write_text`], out of line: NTLM clients and servers send
/// UNICODE in practice.
#[inline(never)]
fn write_oem(w: &mut Writer, text: &str) {
    for c in text.chars() {
        w.u8(u8::try_from(c).unwrap_or(b'?'));
    }
}
