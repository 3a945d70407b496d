//! The codec half of the Negotiate package: SPNEGO tokens (RFC 4178, with the Microsoft
//! additions of MS-SPNG) and the GSS-API framing around the first one (RFC 2743 §3.1).
//!
//! This module only turns bytes into typed tokens and back; choosing a mechanism, checking
//! the mechListMIC and driving NTLM belong to the Negotiate state machines.
//!
//! - [`NegotiationToken::decode`] accepts the two shapes that appear on the wire: the initial
//!   token, `[APPLICATION 0] { 1.3.6.1.5.5.2, [0] NegTokenInit }` (`0x60 …`), and every later
//!   token, a bare `[1] NegTokenResp` (`0xa1 …`).
//! - [`NegTokenInit`] also models MS-SPNG's NegTokenInit2 (its optional `negHints`), which
//!   servers send first in HTTP- and SMB-style flows.
//! - [`encode_mech_type_list`] gives the DER of a MechTypeList, the input of the mechListMIC
//!   (RFC 4178 §5).
//!
//! # Strictness
//!
//! Decoding accepts DER only (X.690 §10), and only the canonical encoding of each token: if
//! `NegotiationToken::decode(bytes)` succeeds, `encode` gives back exactly `bytes`. That is
//! what lets [`NegTokenInit::mech_types_der`] return the MechTypeList "as received" without
//! keeping a copy: there is only one encoding it could have been. Concretely:
//!
//! - definite lengths only, in the fewest octets, never past the end of their parent;
//!   constructed elements nested at most 16 deep; nothing after the outermost element;
//! - exact tags: primitive OCTET STRING / BIT STRING, constructed EXPLICIT context tags,
//!   fields in ascending tag order, none repeated, no unknown fields (nothing has been
//!   defined after RFC 4178's extension marker, and skipping fields would break the bijection);
//! - OBJECT IDENTIFIERs with minimal base-128 arcs that fit in a `u64`;
//! - mechTypes must be present and non-empty (RFC 4178 §4.2.1), also in a NegTokenInit2,
//!   where MS-SPNG §2.2.1 makes it OPTIONAL: without it there is nothing to negotiate, and
//!   Windows always sends it;
//! - a NegTokenInit2 mechListMIC (`[4]`) only after negHints (`[3]`): without hints the same
//!   token is written with the RFC 4178 layout (`[3]` mechListMIC).
//!
//! Every failure is an [`ErrorKind::InvalidToken`](crate::ErrorKind::InvalidToken) whose
//! detail names the field or DER rule, e.g. `SPNEGO NegTokenResp negState: unknown value` or
//! `SPNEGO DER: indefinite length`. No input panics, and nothing is allocated according to a
//! length read from the wire: every allocation is bounded by the input's own size.
//!
//! # Why not the `der` crate
//!
//! RustCrypto's `der` 0.8 (MSRV 1.85, `no_std` + `alloc`, strict DER, even `GeneralString`
//! and APPLICATION tags) would fit technically. It was not chosen because:
//!
//! - its errors are its own `der::Error` (a kind and a position), so every call would need a
//!   wrapper to produce this crate's `Error` with a detail naming the SPNEGO field;
//! - the SPNEGO shapes are awkward in a derive-driven decoder: the GSS framing is an implicit
//!   `[APPLICATION 0]` around an OID followed by an open type, `[3]` means negHints or
//!   mechListMIC depending on which grammar (RFC 4178 or MS-SPNG) the peer used, and
//!   hand-written `Decode` impls for those would be as long as the reader here;
//! - we need the exact bytes of a decoded MechTypeList for the mechListMIC, and error details
//!   that say which rule failed (`indefinite length`, `non-minimal length`), both easiest to
//!   guarantee when the reader is ours;
//! - the subset needed is small: six universal types, context tags `[0]`–`[4]`, one
//!   APPLICATION tag, all single-octet. `der` and `token` are under 1,000 lines together with
//!   their unit tests, all under the crate's lints.
//!
//! # Example
//!
//! ```
//! use sspi_proto::spnego::{NegState, NegTokenResp, NegotiationToken, NTLMSSP};
//!
//! // A server's first reply: accept-incomplete, NTLM chosen, a CHALLENGE inside.
//! let resp = NegTokenResp {
//!     neg_state: Some(NegState::AcceptIncomplete),
//!     supported_mech: Some(NTLMSSP),
//!     response_token: Some(b"NTLMSSP\0...".to_vec()),
//!     mech_list_mic: None,
//! };
//! let bytes = NegotiationToken::Resp(resp.clone()).encode()?;
//! assert_eq!(bytes[0], 0xa1);
//! assert_eq!(NegotiationToken::decode(&bytes)?, NegotiationToken::Resp(resp));
//! # Ok::<(), sspi_proto::Error>(())
//! ```

pub mod client;
mod context;
pub(crate) mod der;
pub mod server;
pub mod token;

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use crate::error::{Error, Result};

pub use token::{
    NegHints, NegState, NegTokenInit, NegTokenResp, NegotiationToken, ReqFlags,
    encode_mech_type_list,
};

/// An ASN.1 OBJECT IDENTIFIER, held as its DER contents octets (X.690 §8.19), always valid.
///
/// Displays in dotted form (`1.3.6.1.5.5.2`); compares by encoding, which DER makes unique.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid(Cow<'static, [u8]>);

/// SPNEGO itself, `1.3.6.1.5.5.2`: the `thisMech` of every initial token (RFC 4178 §3).
pub const SPNEGO: Oid = Oid::SPNEGO;
/// NTLM, `1.3.6.1.4.1.311.2.2.10` (MS-NLMP §1.9).
pub const NTLMSSP: Oid = Oid::NTLMSSP;
/// Kerberos V5, `1.2.840.113554.1.2.2` (RFC 4121 §1).
pub const KERBEROS: Oid = Oid::KERBEROS;
/// Microsoft's legacy Kerberos V5 OID, `1.2.840.48018.1.2.2`, which Windows lists first.
pub const MS_KERBEROS: Oid = Oid::MS_KERBEROS;
/// NegoEx, `1.3.6.1.4.1.311.2.2.30` (MS-NEGOEX).
pub const NEGOEX: Oid = Oid::NEGOEX;

/// Errors for an OID handed to [`Oid::from_der_contents`] outside any token.
const OID_ERRORS: der::OidErrors = der::oid_errors!("OBJECT IDENTIFIER");
const TOO_FEW_ARCS: Error = Error::invalid_token("OID needs at least two arcs");
const BAD_FIRST_ARC: Error = Error::invalid_token("OID first arc must be 0, 1 or 2");
const BAD_SECOND_ARC: Error =
    Error::invalid_token("OID second arc must be below 40 when the first is 0 or 1");
const ARC_TOO_LARGE: Error = Error::invalid_token("OID arc too large");
const BAD_DOTTED: Error = Error::invalid_token("OID text is not dotted decimal arcs");

impl Oid {
    /// SPNEGO itself, `1.3.6.1.5.5.2`: the `thisMech` of every initial token (RFC 4178 §3).
    pub const SPNEGO: Oid = Oid::from_static(&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]);
    /// NTLM, `1.3.6.1.4.1.311.2.2.10` (MS-NLMP §1.9).
    pub const NTLMSSP: Oid =
        Oid::from_static(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a]);
    /// Kerberos V5, `1.2.840.113554.1.2.2` (RFC 4121 §1).
    pub const KERBEROS: Oid =
        Oid::from_static(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]);
    /// Microsoft's legacy Kerberos V5 OID, `1.2.840.48018.1.2.2`, which Windows lists first
    /// and accepts as a synonym of [`KERBEROS`](Self::KERBEROS).
    pub const MS_KERBEROS: Oid =
        Oid::from_static(&[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02]);
    /// NegoEx, `1.3.6.1.4.1.311.2.2.30` (MS-NEGOEX).
    pub const NEGOEX: Oid =
        Oid::from_static(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e]);

    /// A constant from contents octets known to be valid (checked by this module's tests).
    const fn from_static(contents: &'static [u8]) -> Self {
        Self(Cow::Borrowed(contents))
    }

    /// An OID from its DER contents octets (without tag and length), validated: at least one
    /// subidentifier, minimal base-128 arcs (X.690 §8.19.2), each fitting a `u64`.
    pub fn from_der_contents(contents: &[u8]) -> Result<Self> {
        Self::decode_contents(contents, &OID_ERRORS)
    }

    /// As [`from_der_contents`](Self::from_der_contents), with errors naming a token field.
    pub(crate) fn decode_contents(contents: &[u8], errors: &der::OidErrors) -> Result<Self> {
        der::check_oid(contents, errors)?;
        Ok(Self(Cow::Owned(contents.to_vec())))
    }

    /// An OID from its arcs, e.g. `&[1, 3, 6, 1, 5, 5, 2]`.
    ///
    /// X.690 §8.19.4: at least two arcs; the first is 0, 1 or 2; under 0 and 1 the second is
    /// below 40; the first two combine into one subidentifier that must fit a `u64`.
    pub fn from_arcs(arcs: &[u64]) -> Result<Self> {
        let (&first, rest) = arcs.split_first().ok_or(TOO_FEW_ARCS)?;
        let (&second, rest) = rest.split_first().ok_or(TOO_FEW_ARCS)?;
        let combined = match first {
            0 | 1 if second >= 40 => return Err(BAD_SECOND_ARC),
            0..=2 => first
                .checked_mul(40)
                .and_then(|base| base.checked_add(second))
                .ok_or(ARC_TOO_LARGE)?,
            _ => return Err(BAD_FIRST_ARC),
        };
        let mut contents = Vec::new();
        der::push_subidentifier(&mut contents, combined);
        for &arc in rest {
            der::push_subidentifier(&mut contents, arc);
        }
        Ok(Self(Cow::Owned(contents)))
    }

    /// The DER contents octets (no tag, no length).
    pub fn as_der_contents(&self) -> &[u8] {
        &self.0
    }

    /// The complete DER encoding: tag `0x06`, length, contents.
    pub fn to_der(&self) -> Vec<u8> {
        der::tlv(der::tag::OBJECT_IDENTIFIER, &self.0)
    }

    /// The arcs, first to last.
    pub fn arcs(&self) -> Arcs<'_> {
        Arcs { rest: &self.0, pending_second: None, started: false }
    }

    /// A short name for the mechanisms SPNEGO peers commonly list, for logs and tools.
    pub fn name(&self) -> Option<&'static str> {
        [
            (&SPNEGO, "SPNEGO"),
            (&NTLMSSP, "NTLMSSP"),
            (&KERBEROS, "Kerberos 5"),
            (&MS_KERBEROS, "MS Kerberos 5"),
            (&NEGOEX, "NegoEx"),
        ]
        .into_iter()
        .find(|(oid, _)| *oid == self)
        .map(|(_, name)| name)
    }
}

/// The arcs of an [`Oid`], from [`Oid::arcs`].
#[derive(Clone, Debug)]
pub struct Arcs<'a> {
    rest: &'a [u8],
    pending_second: Option<u64>,
    started: bool,
}

impl Iterator for Arcs<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if let Some(second) = self.pending_second.take() {
            return Some(second);
        }
        let subidentifier = der::next_subidentifier(&mut self.rest)?;
        if self.started {
            return Some(subidentifier);
        }
        self.started = true;
        // X.690 §8.19.4: the first subidentifier is 40 * first + second.
        let (first, second) = match subidentifier {
            0..=39 => (0, subidentifier),
            40..=79 => (1, subidentifier.saturating_sub(40)),
            _ => (2, subidentifier.saturating_sub(80)),
        };
        self.pending_second = Some(second);
        Some(first)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arc) in self.arcs().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl FromStr for Oid {
    type Err = Error;

    /// Parses dotted decimal, e.g. `"1.3.6.1.5.5.2"`.
    fn from_str(s: &str) -> Result<Self> {
        let arcs = s
            .split('.')
            .map(|arc| {
                if arc.is_empty() || !arc.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(BAD_DOTTED);
                }
                arc.parse::<u64>().map_err(|_| ARC_TOO_LARGE)
            })
            .collect::<Result<Vec<u64>>>()?;
        Self::from_arcs(&arcs)
    }
}

/// Whether `token` is a bare NTLM message (`NTLMSSP\0` signature, MS-NLMP §2.2.1) rather
/// than SPNEGO: an `auto` server uses it to accept raw NTLM where Negotiate was expected
/// (HTTP `Authorization: NTLM`, or a client that skips SPNEGO).
pub fn is_raw_ntlm(token: &[u8]) -> bool {
    token.starts_with(b"NTLMSSP\0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn constants_match_their_dotted_form() {
        for (oid, dotted) in [
            (SPNEGO, "1.3.6.1.5.5.2"),
            (NTLMSSP, "1.3.6.1.4.1.311.2.2.10"),
            (KERBEROS, "1.2.840.113554.1.2.2"),
            (MS_KERBEROS, "1.2.840.48018.1.2.2"),
            (NEGOEX, "1.3.6.1.4.1.311.2.2.30"),
        ] {
            assert_eq!(oid.to_string(), dotted);
            assert_eq!(dotted.parse::<Oid>().unwrap(), oid);
            assert_eq!(Oid::from_der_contents(oid.as_der_contents()).unwrap(), oid);
        }
    }
}
