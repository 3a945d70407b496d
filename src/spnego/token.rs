//! SPNEGO tokens: NegTokenInit (RFC 4178 §4.2.1, with MS-SPNG §2.2.1's NegTokenInit2 hints),
//! NegTokenResp (RFC 4178 §4.2.2) and the GSS-API InitialContextToken framing (RFC 2743 §3.1).
//!
//! ```text
//! InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
//!     thisMech MechType,                   -- 1.3.6.1.5.5.2
//!     innerContextToken NegotiationToken } -- always negTokenInit here
//! NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
//! NegTokenInit  ::= SEQUENCE { mechTypes [0] MechTypeList, reqFlags [1] ContextFlags OPTIONAL,
//!                              mechToken [2] OCTET STRING OPTIONAL,
//!                              mechListMIC [3] OCTET STRING OPTIONAL, ... }
//! NegTokenInit2 ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2],
//!                              negHints [3] NegHints OPTIONAL, mechListMIC [4] OCTET STRING OPTIONAL }
//! NegHints      ::= SEQUENCE { hintName [0] GeneralString OPTIONAL, hintAddress [1] OCTET STRING OPTIONAL }
//! NegTokenResp  ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] MechType OPTIONAL,
//!                              responseToken [2] OCTET STRING OPTIONAL,
//!                              mechListMIC [3] OCTET STRING OPTIONAL, ... }
//! MechTypeList  ::= SEQUENCE OF MechType   -- MechType ::= OBJECT IDENTIFIER
//! ```
//!
//! All tags are EXPLICIT (RFC 4178 §4.2: "DEFINITIONS EXPLICIT TAGS").

use alloc::vec::Vec;

use super::der::{self, Reader, tag};
use super::{Oid, SPNEGO};
use crate::error::{Error, Result};

/// RFC 4178 §4.2.2 `negState`: how far the acceptor got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NegState {
    /// `accept-completed (0)`: the context is established.
    AcceptCompleted,
    /// `accept-incomplete (1)`: more tokens are needed.
    AcceptIncomplete,
    /// `reject (2)`: the acceptor refuses every offered mechanism, or authentication failed.
    Reject,
    /// `request-mic (3)`: the acceptor asks for a mechListMIC (RFC 4178 §5, case (c)).
    RequestMic,
}

impl NegState {
    /// The ENUMERATED value on the wire.
    pub const fn value(self) -> u8 {
        match self {
            Self::AcceptCompleted => 0,
            Self::AcceptIncomplete => 1,
            Self::Reject => 2,
            Self::RequestMic => 3,
        }
    }

    /// The state for an ENUMERATED value, if RFC 4178 defines one.
    pub const fn from_value(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::AcceptCompleted),
            1 => Some(Self::AcceptIncomplete),
            2 => Some(Self::Reject),
            3 => Some(Self::RequestMic),
            _ => None,
        }
    }
}

/// RFC 4178 §4.2.1 `reqFlags`, a `ContextFlags` BIT STRING (bit 0, `delegFlag`, is the most
/// significant bit of the first octet).
///
/// RFC 4178 keeps it only for RFC 2478 compatibility and recommends leaving it out; Windows
/// never sends it. It is kept as received (unused-bit count and octets) so that a token
/// re-encodes byte for byte whether its sender trimmed trailing zero bits (DER, X.690 §11.2.2)
/// or wrote a fixed 32-bit string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReqFlags {
    unused_bits: u8,
    octets: Vec<u8>,
}

impl ReqFlags {
    /// `delegFlag (0)`.
    pub const DELEG: u8 = 0x80;
    /// `mutualFlag (1)`.
    pub const MUTUAL: u8 = 0x40;
    /// `replayFlag (2)`.
    pub const REPLAY: u8 = 0x20;
    /// `sequenceFlag (3)`.
    pub const SEQUENCE: u8 = 0x10;
    /// `anonFlag (4)`.
    pub const ANON: u8 = 0x08;
    /// `confFlag (5)`.
    pub const CONF: u8 = 0x04;
    /// `integFlag (6)`.
    pub const INTEG: u8 = 0x02;

    /// The flags in `mask` (an OR of the constants above), DER-encoded with trailing zero
    /// bits removed (X.690 §11.2.2). The undefined low bit is ignored.
    pub fn new(mask: u8) -> Self {
        let flags = mask & 0xfe;
        if flags == 0 {
            return Self { unused_bits: 0, octets: Vec::new() };
        }
        let unused_bits = u8::try_from(flags.trailing_zeros()).unwrap_or(0);
        Self { unused_bits, octets: alloc::vec![flags] }
    }

    /// The seven defined flags, as a mask of the constants above.
    pub fn flags(&self) -> u8 {
        self.octets.first().copied().unwrap_or(0) & 0xfe
    }

    /// Whether every flag in `mask` is set.
    pub fn contains(&self, mask: u8) -> bool {
        self.flags() & mask == mask
    }

    /// The BIT STRING's unused-bit count, as received.
    pub fn unused_bits(&self) -> u8 {
        self.unused_bits
    }

    /// The BIT STRING's octets, as received (may be longer than the one defined octet).
    pub fn octets(&self) -> &[u8] {
        &self.octets
    }

    /// X.690 §8.6.2 and §11.2.1: an initial octet 0–7, none if the string is empty, and the
    /// unused bits of the last octet set to zero.
    fn decode(contents: &[u8]) -> Result<Self> {
        let (&unused_bits, octets) = contents
            .split_first()
            .ok_or(Error::invalid_token("SPNEGO NegTokenInit reqFlags: empty BIT STRING"))?;
        if unused_bits > 7 || (octets.is_empty() && unused_bits != 0) {
            return Err(Error::invalid_token("SPNEGO NegTokenInit reqFlags: bad unused-bit count"));
        }
        let used = 0xffu8.checked_shl(u32::from(unused_bits)).unwrap_or(0);
        if octets.last().is_some_and(|&last| last & !used != 0) {
            return Err(Error::invalid_token("SPNEGO NegTokenInit reqFlags: unused bits not zero"));
        }
        Ok(Self { unused_bits, octets: octets.to_vec() })
    }

    fn contents(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.octets.len().saturating_add(1));
        out.push(self.unused_bits);
        out.extend_from_slice(&self.octets);
        out
    }
}

/// MS-SPNG §2.2.1 `NegHints`: what a server puts in its unsolicited NegTokenInit2.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NegHints {
    /// `hintName [0] GeneralString`, as raw octets (GeneralString has no fixed charset).
    pub hint_name: Option<Vec<u8>>,
    /// `hintAddress [1] OCTET STRING`; MS-SPNG §2.2.1: never sent, but decoded if present.
    pub hint_address: Option<Vec<u8>>,
}

/// A NegTokenInit read in place: checked as [`NegTokenInit::decode`] checks it, the mechanism
/// list and token borrowed from the message. What the server reads from a client's first
/// token.
#[derive(Clone, Debug)]
pub(crate) struct NegTokenInitView<'a> {
    /// The contents of the MechTypeList SEQUENCE, every OID checked.
    mech_types: &'a [u8],
    /// The MechTypeList element as received: tag, length and contents. The decoder accepts
    /// only canonical DER, so these are the bytes the mechListMIC covers.
    pub(crate) mech_types_der: &'a [u8],
    req_flags: Option<ReqFlags>,
    pub(crate) mech_token: Option<&'a [u8]>,
    /// Decoded when present (only a server's NegTokenInit2 carries hints).
    neg_hints: Option<NegHints>,
    mech_list_mic: Option<&'a [u8]>,
}

impl<'a> NegTokenInitView<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let framed = der::only(
            bytes,
            tag::APPLICATION_0,
            "SPNEGO InitialContextToken: expected [APPLICATION 0]",
            "SPNEGO DER: trailing data after token",
        )?;
        let mut r = Reader::new(framed);
        let this_mech =
            r.read(tag::OBJECT_IDENTIFIER, "SPNEGO InitialContextToken: expected thisMech OID")?;
        if this_mech != SPNEGO.as_der_contents() {
            return Err(Error::invalid_token(
                "SPNEGO InitialContextToken: thisMech is not SPNEGO (1.3.6.1.5.5.2)",
            ));
        }
        let inner = r.read(
            tag::context(0),
            "SPNEGO InitialContextToken: expected negTokenInit [0] after thisMech",
        )?;
        r.finish("SPNEGO InitialContextToken: trailing data after negTokenInit")?;
        let seq = der::only(
            inner,
            tag::SEQUENCE,
            "SPNEGO negTokenInit [0]: expected SEQUENCE",
            "SPNEGO negTokenInit [0]: trailing data",
        )?;
        Self::parse_fields(seq)
    }

    fn parse_fields(seq: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(seq);
        let mech_types_der = r
            .read_optional(INIT_MECH_TYPES.tag)?
            .ok_or(Error::invalid_token("SPNEGO NegTokenInit: mechTypes [0] missing"))?;
        let mech_types = INIT_MECH_TYPES.inner(mech_types_der)?;
        check_mech_type_list(mech_types)?;
        let req_flags = INIT_REQ_FLAGS.read(&mut r)?.map(ReqFlags::decode).transpose()?;
        let mech_token = INIT_MECH_TOKEN.read(&mut r)?;
        // [3] is negHints (a SEQUENCE) in MS-SPNG's NegTokenInit2 and mechListMIC (an OCTET
        // STRING) in RFC 4178's NegTokenInit; the inner tag tells which grammar the peer used.
        let (neg_hints, mech_list_mic) = match r.read_optional(tag::context(3))? {
            None => (None, None),
            Some(c) => match c.first() {
                Some(&tag::SEQUENCE) => {
                    let hints = NegHints::decode(INIT2_NEG_HINTS.inner(c)?)?;
                    (Some(hints), INIT2_MIC.read(&mut r)?)
                }
                Some(&tag::OCTET_STRING) => (None, Some(INIT_MIC.inner(c)?)),
                _ => {
                    return Err(Error::invalid_token(
                        "SPNEGO NegTokenInit [3]: expected negHints SEQUENCE or mechListMIC OCTET STRING",
                    ));
                }
            },
        };
        // Anything left is unknown, repeated or out of order, or a [4] mechListMIC without
        // negHints (which would re-encode at [3]: see the module docs on canonical form).
        r.finish("SPNEGO NegTokenInit: unexpected or misordered field")?;
        Ok(Self { mech_types, mech_types_der, req_flags, mech_token, neg_hints, mech_list_mic })
    }

    /// The offered mechanisms' OID contents, in order.
    pub(crate) fn mechs(&self) -> impl Iterator<Item = &'a [u8]> {
        let mut r = Reader::new(self.mech_types);
        // Checked by `parse`: every element is an OID.
        core::iter::from_fn(move || r.read(tag::OBJECT_IDENTIFIER, "").ok())
    }
}

impl NegHints {
    /// The hintName MS-SPNG §2.2.1 says a server SHOULD send (and Windows does).
    pub const WINDOWS_HINT_NAME: &'static [u8] = b"not_defined_in_RFC4178@please_ignore";

    /// The hints Windows sends: only [`WINDOWS_HINT_NAME`](Self::WINDOWS_HINT_NAME).
    pub fn windows() -> Self {
        Self { hint_name: Some(Self::WINDOWS_HINT_NAME.to_vec()), hint_address: None }
    }
}

/// The initiator's first token (RFC 4178 §4.2.1), or a server's unsolicited NegTokenInit2
/// (MS-SPNG §2.2.1) when [`neg_hints`](Self::neg_hints) is present.
///
/// `Default` is for struct-update syntax; a token with no `mech_types` does not encode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NegTokenInit {
    /// `mechTypes`: the mechanisms offered, most preferred first. Never empty.
    pub mech_types: Vec<Oid>,
    /// `reqFlags`: deprecated context flags (RFC 4178 §4.2.1).
    pub req_flags: Option<ReqFlags>,
    /// `mechToken`: the optimistic first token of `mech_types[0]`.
    pub mech_token: Option<Vec<u8>>,
    /// `negHints` (NegTokenInit2 only, MS-SPNG §2.2.1).
    pub neg_hints: Option<NegHints>,
    /// `mechListMIC`: at `[3]` without hints (RFC 4178), at `[4]` with them (MS-SPNG).
    pub mech_list_mic: Option<Vec<u8>>,
}

/// The acceptor's answer, and every later token in either direction (RFC 4178 §4.2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NegTokenResp {
    /// `negState`; RFC 4178 §4.2.2 lets it be absent after the first reply.
    pub neg_state: Option<NegState>,
    /// `supportedMech`: the mechanism chosen, present only in the acceptor's first reply.
    pub supported_mech: Option<Oid>,
    /// `responseToken`: the chosen mechanism's token.
    pub response_token: Option<Vec<u8>>,
    /// `mechListMIC` (RFC 4178 §5).
    pub mech_list_mic: Option<Vec<u8>>,
}

/// Any SPNEGO token as it appears on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NegotiationToken {
    /// The initial token, framed as a GSS-API InitialContextToken (`0x60 …`).
    Init(NegTokenInit),
    /// Any later token, a bare `[1] NegTokenResp` (`0xa1 …`).
    Resp(NegTokenResp),
}

/// One `[n] EXPLICIT <inner>` field of a SEQUENCE, with error details naming it.
struct Field {
    tag: u8,
    inner: u8,
    wrong_inner: &'static str,
    trailing: &'static str,
}

macro_rules! field {
    ($name:literal, $n:literal, $inner:ident, $inner_name:literal) => {
        Field {
            tag: tag::context($n),
            inner: tag::$inner,
            wrong_inner: concat!("SPNEGO ", $name, " [", $n, "]: expected ", $inner_name),
            trailing: concat!("SPNEGO ", $name, " [", $n, "]: trailing data"),
        }
    };
}

const INIT_MECH_TYPES: Field = field!("NegTokenInit mechTypes", 0, SEQUENCE, "SEQUENCE OF");
const INIT_REQ_FLAGS: Field = field!("NegTokenInit reqFlags", 1, BIT_STRING, "BIT STRING");
const INIT_MECH_TOKEN: Field = field!("NegTokenInit mechToken", 2, OCTET_STRING, "OCTET STRING");
const INIT_MIC: Field = field!("NegTokenInit mechListMIC", 3, OCTET_STRING, "OCTET STRING");
const INIT2_NEG_HINTS: Field = field!("NegTokenInit2 negHints", 3, SEQUENCE, "SEQUENCE");
const INIT2_MIC: Field = field!("NegTokenInit2 mechListMIC", 4, OCTET_STRING, "OCTET STRING");
const HINT_NAME: Field = field!("NegHints hintName", 0, GENERAL_STRING, "GeneralString");
const HINT_ADDRESS: Field = field!("NegHints hintAddress", 1, OCTET_STRING, "OCTET STRING");
const RESP_NEG_STATE: Field = field!("NegTokenResp negState", 0, ENUMERATED, "ENUMERATED");
const RESP_MECH: Field = field!("NegTokenResp supportedMech", 1, OBJECT_IDENTIFIER, "OID");
const RESP_TOKEN: Field = field!("NegTokenResp responseToken", 2, OCTET_STRING, "OCTET STRING");
const RESP_MIC: Field = field!("NegTokenResp mechListMIC", 3, OCTET_STRING, "OCTET STRING");

const MECH_TYPE_OID: der::OidErrors = der::oid_errors!("MechTypeList");
const SUPPORTED_MECH_OID: der::OidErrors = der::oid_errors!("NegTokenResp supportedMech");

const NEG_TOKEN_RESP: u8 = tag::context(1);
const EMPTY_MECH_LIST: Error = Error::invalid_token("SPNEGO NegTokenInit: empty mechList");

impl Field {
    /// The inner value's contents, if the field is present.
    fn read<'a>(&self, r: &mut Reader<'a>) -> Result<Option<&'a [u8]>> {
        r.read_optional(self.tag)?.map(|c| self.inner(c)).transpose()
    }

    /// The inner value's contents, given the `[n]` element's contents.
    fn inner<'a>(&self, contents: &'a [u8]) -> Result<&'a [u8]> {
        der::only(contents, self.inner, self.wrong_inner, self.trailing)
    }

    /// The length of `[n] { inner-tag, length, contents }` with `len` contents octets.
    fn len(&self, len: usize) -> usize {
        der::tlv_len(der::tlv_len(len))
    }

    /// Appends `[n] { inner-tag, length, contents }`, both headers then the contents.
    fn write(&self, out: &mut Vec<u8>, contents: &[u8]) {
        self.write_headers(out, contents.len());
        out.extend_from_slice(contents);
    }

    /// Appends the two headers of a field with `len` contents octets, not the contents.
    fn write_headers(&self, out: &mut Vec<u8>, len: usize) {
        der::push_header(out, self.tag, der::tlv_len(len));
        der::push_header(out, self.inner, len);
    }
}

/// Writes a token of `len` bytes around the contents of its one embedded mechanism token,
/// which are already all that `token` holds: `head` appends every byte that comes before
/// them, which is then rotated in front of them, and `tail` every byte after.
///
/// The NTLM layer leaves room past its tokens
/// ([`WRAP_ROOM`](crate::codec::WRAP_ROOM)), so the SPNEGO token is built in the
/// NTLM token's own buffer: no second buffer, and the NTLM bytes move once, behind the
/// headers.
fn around(
    mut token: Vec<u8>,
    len: usize,
    head: impl FnOnce(&mut Vec<u8>),
    tail: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    token.reserve(len.saturating_sub(token.len()));
    let contents = token.len();
    head(&mut token);
    // At most the buffer's length, so `rotate_right` cannot panic.
    let head_len = token.len().saturating_sub(contents);
    token.rotate_right(head_len);
    tail(&mut token);
    debug_assert_eq!(token.len(), len, "SPNEGO token layout");
    token
}

/// A copy of `contents` in a new buffer with room for a token of `len` bytes around them,
/// for [`around`].
fn copied(contents: Option<&[u8]>, len: usize) -> Vec<u8> {
    let mut token = Vec::with_capacity(len);
    token.extend_from_slice(contents.unwrap_or_default());
    token
}

/// What this crate's client offers: NTLM only.
pub(crate) const NTLM_ONLY: [Oid; 1] = [Oid::NTLMSSP];

/// [`NTLM_ONLY`] as a DER MechTypeList: `SEQUENCE { OID 1.3.6.1.4.1.311.2.2.10 }`, the
/// bytes the client's mechListMIC covers (a test checks it against
/// [`encode_mech_type_list`]).
pub(crate) const NTLM_ONLY_DER: [u8; 14] =
    [0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];

/// The DER of a MechTypeList (`SEQUENCE OF OBJECT IDENTIFIER`), over which the mechListMIC is
/// computed (RFC 4178 §5: "the DER encoding of the MechTypeList" as sent by the initiator).
pub fn encode_mech_type_list(mech_types: &[Oid]) -> Vec<u8> {
    let mut out = Vec::with_capacity(der::tlv_len(mech_type_list_contents_len(mech_types)));
    push_mech_type_list(&mut out, mech_types);
    out
}

/// The contents length of the MechTypeList SEQUENCE.
fn mech_type_list_contents_len(mech_types: &[Oid]) -> usize {
    mech_types
        .iter()
        .map(|oid| der::tlv_len(oid.as_der_contents().len()))
        .fold(0usize, usize::saturating_add)
}

/// Appends the DER MechTypeList.
fn push_mech_type_list(out: &mut Vec<u8>, mech_types: &[Oid]) {
    der::push_header(out, tag::SEQUENCE, mech_type_list_contents_len(mech_types));
    for oid in mech_types {
        der::push_tlv(out, tag::OBJECT_IDENTIFIER, oid.as_der_contents());
    }
}

pub(crate) fn decode_mech_type_list(contents: &[u8]) -> Result<Vec<Oid>> {
    let mut r = Reader::new(contents);
    let mut mech_types = Vec::new();
    while !r.is_empty() {
        let oid = r.read(tag::OBJECT_IDENTIFIER, "SPNEGO MechTypeList: expected OID")?;
        mech_types.push(Oid::decode_contents(oid, &MECH_TYPE_OID)?);
    }
    if mech_types.is_empty() {
        return Err(EMPTY_MECH_LIST);
    }
    Ok(mech_types)
}

/// Checks a MechTypeList's contents as [`decode_mech_type_list`] does, without copying.
fn check_mech_type_list(contents: &[u8]) -> Result<()> {
    let mut r = Reader::new(contents);
    if r.is_empty() {
        return Err(EMPTY_MECH_LIST);
    }
    while !r.is_empty() {
        let oid = r.read(tag::OBJECT_IDENTIFIER, "SPNEGO MechTypeList: expected OID")?;
        check_mech_oid(oid, &MECH_TYPE_OID)?;
    }
    Ok(())
}

/// [`der::check_oid`], except that NTLMSSP's OID, the one this crate's peers name in nearly
/// every token, is known to be valid and passes with one comparison.
fn check_mech_oid(contents: &[u8], errors: &der::OidErrors) -> Result<()> {
    if contents == Oid::NTLMSSP.as_der_contents() {
        return Ok(());
    }
    der::check_oid(contents, errors)
}

impl NegotiationToken {
    /// Decodes an InitialContextToken carrying a NegTokenInit(2) (`0x60 …`) or a bare
    /// NegTokenResp (`0xa1 …`).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        match bytes.first() {
            Some(&tag::APPLICATION_0) => NegTokenInit::decode(bytes).map(Self::Init),
            Some(&NEG_TOKEN_RESP) => NegTokenResp::decode(bytes).map(Self::Resp),
            Some(_) => Err(Error::invalid_token(
                "SPNEGO token: expected InitialContextToken [APPLICATION 0] or negTokenResp [1]",
            )),
            None => Err(Error::invalid_token("SPNEGO token: empty")),
        }
    }

    /// Encodes the token; an `Init` is always framed as an InitialContextToken.
    ///
    /// Fails only for a NegTokenInit with no mechTypes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        match self {
            Self::Init(init) => init.encode(),
            Self::Resp(resp) => Ok(resp.encode()),
        }
    }
}

impl From<NegTokenInit> for NegotiationToken {
    fn from(init: NegTokenInit) -> Self {
        Self::Init(init)
    }
}

impl From<NegTokenResp> for NegotiationToken {
    fn from(resp: NegTokenResp) -> Self {
        Self::Resp(resp)
    }
}

impl NegTokenInit {
    /// A NegTokenInit offering `mech_types` and nothing else.
    pub fn new(mech_types: Vec<Oid>) -> Self {
        Self { mech_types, req_flags: None, mech_token: None, neg_hints: None, mech_list_mic: None }
    }

    /// The DER MechTypeList, as sent or received, for the mechListMIC (RFC 4178 §5).
    ///
    /// The decoder accepts only the canonical DER encoding, so re-encoding
    /// [`mech_types`](Self::mech_types) gives exactly the bytes that were received.
    pub fn mech_types_der(&self) -> Vec<u8> {
        encode_mech_type_list(&self.mech_types)
    }

    /// Decodes an InitialContextToken (RFC 2743 §3.1) whose `thisMech` is SPNEGO and whose
    /// inner token is `[0] NegTokenInit` or MS-SPNG's NegTokenInit2.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let view = NegTokenInitView::parse(bytes)?;
        Ok(Self {
            mech_types: decode_mech_type_list(view.mech_types)?,
            req_flags: view.req_flags,
            mech_token: view.mech_token.map(<[u8]>::to_vec),
            neg_hints: view.neg_hints,
            mech_list_mic: view.mech_list_mic.map(<[u8]>::to_vec),
        })
    }

    /// Encodes the token framed as an InitialContextToken: `0x60`, SPNEGO's OID, `[0]`.
    ///
    /// With [`neg_hints`](Self::neg_hints) it is written as a NegTokenInit2 (hints at `[3]`,
    /// mechListMIC at `[4]`), otherwise as RFC 4178's NegTokenInit (mechListMIC at `[3]`).
    /// Fails if `mech_types` is empty.
    pub fn encode(&self) -> Result<Vec<u8>> {
        NegTokenInitParts {
            mech_types: &self.mech_types,
            req_flags: self.req_flags.as_ref(),
            mech_token: self.mech_token.as_deref(),
            neg_hints: self.neg_hints.as_ref(),
            mech_list_mic: self.mech_list_mic.as_deref(),
        }
        .encode()
    }
}

/// A NegTokenInit's fields borrowed, for encoding without building the owned token (the
/// client's first token wraps the NEGOTIATE it already holds).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NegTokenInitParts<'a> {
    pub(crate) mech_types: &'a [Oid],
    pub(crate) req_flags: Option<&'a ReqFlags>,
    pub(crate) mech_token: Option<&'a [u8]>,
    pub(crate) neg_hints: Option<&'a NegHints>,
    pub(crate) mech_list_mic: Option<&'a [u8]>,
}

impl NegTokenInitParts<'_> {
    /// [`NegTokenInit::encode`].
    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        self.write(self.mech_token.map(<[u8]>::len), |len| copied(self.mech_token, len))
    }

    /// [`encode`](Self::encode) with `mech_token` as the mechToken, wrapped in its own
    /// buffer (see [`around`]); `self.mech_token` is not read.
    pub(crate) fn encode_around(&self, mech_token: Vec<u8>) -> Result<Vec<u8>> {
        debug_assert!(self.mech_token.is_none(), "encode_around: the mechToken is the argument");
        self.write(Some(mech_token.len()), |_| mech_token)
    }

    /// The token, with a mechToken of `token_len` bytes (if any) that `token` returns in
    /// a buffer of its own, given the whole token's length.
    fn write(
        &self,
        token_len: Option<usize>,
        token: impl FnOnce(usize) -> Vec<u8>,
    ) -> Result<Vec<u8>> {
        if self.mech_types.is_empty() {
            return Err(EMPTY_MECH_LIST);
        }
        let mech_types_len = der::tlv_len(mech_type_list_contents_len(self.mech_types));
        let req_flags = self.req_flags.map(ReqFlags::contents);
        let hints = self.neg_hints.map(NegHints::contents);
        // mechTypes [0] holds the SEQUENCE itself (already a whole element), the rest their
        // inner element; the MIC moves to [4] after NegHints in a NegTokenInit2.
        let mic_field = if hints.is_some() { &INIT2_MIC } else { &INIT_MIC };
        let seq_len = [
            req_flags.as_ref().map(|f| INIT_REQ_FLAGS.len(f.len())),
            token_len.map(|len| INIT_MECH_TOKEN.len(len)),
            hints.as_ref().map(|h| INIT2_NEG_HINTS.len(h.len())),
            self.mech_list_mic.map(|mic| mic_field.len(mic.len())),
        ]
        .into_iter()
        .flatten()
        .fold(der::tlv_len(mech_types_len), usize::saturating_add);
        // [APPLICATION 0] { thisMech, [0] { SEQUENCE { seq } } }: sized first, every level
        // written straight into one buffer.
        let spnego = SPNEGO;
        let oid = spnego.as_der_contents();
        let body = der::tlv_len(seq_len);
        let framed = der::tlv_len(oid.len()).saturating_add(der::tlv_len(body));
        let len = der::tlv_len(framed);
        let head = |out: &mut Vec<u8>| {
            der::push_header(out, tag::APPLICATION_0, framed);
            der::push_tlv(out, tag::OBJECT_IDENTIFIER, oid);
            der::push_header(out, tag::context(0), body);
            der::push_header(out, tag::SEQUENCE, seq_len);
            der::push_header(out, INIT_MECH_TYPES.tag, mech_types_len);
            push_mech_type_list(out, self.mech_types);
            if let Some(flags) = &req_flags {
                INIT_REQ_FLAGS.write(out, flags);
            }
            if let Some(token_len) = token_len {
                INIT_MECH_TOKEN.write_headers(out, token_len);
            }
        };
        let tail = |out: &mut Vec<u8>| {
            if let Some(hints) = &hints {
                INIT2_NEG_HINTS.write(out, hints);
            }
            if let Some(mic) = self.mech_list_mic {
                mic_field.write(out, mic);
            }
        };
        Ok(around(token(len), len, head, tail))
    }
}

impl NegHints {
    fn decode(seq: &[u8]) -> Result<Self> {
        let mut r = Reader::new(seq);
        let hint_name = HINT_NAME.read(&mut r)?.map(<[u8]>::to_vec);
        let hint_address = HINT_ADDRESS.read(&mut r)?.map(<[u8]>::to_vec);
        r.finish("SPNEGO NegHints: unexpected or misordered field")?;
        Ok(Self { hint_name, hint_address })
    }

    fn contents(&self) -> Vec<u8> {
        let mut seq = Vec::new();
        if let Some(name) = &self.hint_name {
            HINT_NAME.write(&mut seq, name);
        }
        if let Some(address) = &self.hint_address {
            HINT_ADDRESS.write(&mut seq, address);
        }
        seq
    }
}

impl NegTokenResp {
    /// Decodes a bare `[1] NegTokenResp` (`0xa1 …`); it is never GSS-framed (RFC 4178 §4.2).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let view = NegTokenRespView::parse(bytes)?;
        Ok(Self {
            neg_state: view.neg_state,
            supported_mech: view
                .supported_mech
                .map(|c| Oid::decode_contents(c, &SUPPORTED_MECH_OID))
                .transpose()?,
            response_token: view.response_token.map(<[u8]>::to_vec),
            mech_list_mic: view.mech_list_mic.map(<[u8]>::to_vec),
        })
    }

    /// Encodes the token as a bare `[1] NegTokenResp`.
    pub fn encode(&self) -> Vec<u8> {
        NegTokenRespView {
            neg_state: self.neg_state,
            supported_mech: self.supported_mech.as_ref().map(Oid::as_der_contents),
            response_token: self.response_token.as_deref(),
            mech_list_mic: self.mech_list_mic.as_deref(),
        }
        .encode()
    }
}

/// X.690 §8.4 and §10: an ENUMERATED of 0–3 is exactly one contents octet; anything longer is
/// non-minimal or out of range, anything else is a value RFC 4178 does not define.
fn decode_neg_state(contents: &[u8]) -> Result<NegState> {
    match contents {
        [value] => NegState::from_value(*value)
            .ok_or(Error::invalid_token("SPNEGO NegTokenResp negState: unknown value")),
        _ => Err(Error::invalid_token("SPNEGO NegTokenResp negState: not a one-octet ENUMERATED")),
    }
}

/// A `[1] NegTokenResp` read in place: checked as [`NegTokenResp::decode`] checks it, its
/// fields borrowed from the token. What the state machines read: the NTLM token inside is
/// handed on without a copy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NegTokenRespView<'a> {
    pub(crate) neg_state: Option<NegState>,
    /// The OID's contents octets, checked.
    pub(crate) supported_mech: Option<&'a [u8]>,
    pub(crate) response_token: Option<&'a [u8]>,
    pub(crate) mech_list_mic: Option<&'a [u8]>,
}

impl<'a> NegTokenRespView<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let inner = der::only(
            bytes,
            NEG_TOKEN_RESP,
            "SPNEGO token: expected negTokenResp [1]",
            "SPNEGO DER: trailing data after token",
        )?;
        let seq = der::only(
            inner,
            tag::SEQUENCE,
            "SPNEGO negTokenResp [1]: expected SEQUENCE",
            "SPNEGO negTokenResp [1]: trailing data",
        )?;
        let mut r = Reader::new(seq);
        let neg_state = RESP_NEG_STATE.read(&mut r)?.map(decode_neg_state).transpose()?;
        let supported_mech = RESP_MECH.read(&mut r)?;
        if let Some(contents) = supported_mech {
            check_mech_oid(contents, &SUPPORTED_MECH_OID)?;
        }
        let response_token = RESP_TOKEN.read(&mut r)?;
        let mech_list_mic = RESP_MIC.read(&mut r)?;
        r.finish("SPNEGO NegTokenResp: unexpected or misordered field")?;
        Ok(Self { neg_state, supported_mech, response_token, mech_list_mic })
    }

    /// A token in the middle of a handshake, which must be a NegTokenResp. A NegTokenInit
    /// (still decoded, so a malformed one reports what is wrong with it) is the error
    /// `second_init`; anything else fails as [`NegotiationToken::decode`] fails on it.
    pub(crate) fn expect(token: &'a [u8], second_init: &'static str) -> Result<Self> {
        if token.first() == Some(&NEG_TOKEN_RESP) {
            return Self::parse(token);
        }
        NegotiationToken::decode(token)?;
        Err(Error::invalid_token(second_init))
    }

    /// Encodes the token as a bare `[1] NegTokenResp` (see [`NegTokenResp::encode`]):
    /// the state machines answer with what they hold, uncopied until it is written.
    pub(crate) fn encode(&self) -> Vec<u8> {
        self.write(self.response_token.map(<[u8]>::len), |len| copied(self.response_token, len))
    }

    /// [`encode`](Self::encode) with `response_token` as the responseToken, wrapped in its
    /// own buffer (see [`around`]); `self.response_token` is not read.
    pub(crate) fn encode_around(&self, response_token: Vec<u8>) -> Vec<u8> {
        debug_assert!(self.response_token.is_none(), "encode_around: the token is the argument");
        self.write(Some(response_token.len()), |_| response_token)
    }

    /// The token, with a responseToken of `token_len` bytes (if any) that `token` returns
    /// in a buffer of its own, given the whole token's length.
    fn write(&self, token_len: Option<usize>, token: impl FnOnce(usize) -> Vec<u8>) -> Vec<u8> {
        let state = self.neg_state.map(|state| [state.value()]);
        let state = state.as_ref().map(<[u8; 1]>::as_slice);
        let seq = [
            state.map(|s| RESP_NEG_STATE.len(s.len())),
            self.supported_mech.map(|m| RESP_MECH.len(m.len())),
            token_len.map(|len| RESP_TOKEN.len(len)),
            self.mech_list_mic.map(|mic| RESP_MIC.len(mic.len())),
        ]
        .into_iter()
        .flatten()
        .fold(0usize, usize::saturating_add);
        let len = der::tlv_len(der::tlv_len(seq));
        let head = |out: &mut Vec<u8>| {
            der::push_header(out, NEG_TOKEN_RESP, der::tlv_len(seq));
            der::push_header(out, tag::SEQUENCE, seq);
            if let Some(state) = state {
                RESP_NEG_STATE.write(out, state);
            }
            if let Some(mech) = self.supported_mech {
                RESP_MECH.write(out, mech);
            }
            if let Some(token_len) = token_len {
                RESP_TOKEN.write_headers(out, token_len);
            }
        };
        let tail = |out: &mut Vec<u8>| {
            if let Some(mic) = self.mech_list_mic {
                RESP_MIC.write(out, mic);
            }
        };
        around(token(len), len, head, tail)
    }

    /// Whether `supportedMech` is NTLM.
    pub(crate) fn selects_ntlm(&self) -> bool {
        self.supported_mech == Some(Oid::NTLMSSP.as_der_contents())
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    /// The mid-handshake read answers as `NegotiationToken::decode` does: the same
    /// NegTokenResp, the same error, or the caller's error for a well-formed NegTokenInit.
    fn agrees(bytes: &[u8]) {
        const SECOND_INIT: &str = "test: a NegTokenInit mid-handshake";
        let expected = NegotiationToken::decode(bytes);
        let got = NegTokenRespView::expect(bytes, SECOND_INIT);
        match (expected, got) {
            (Ok(NegotiationToken::Resp(resp)), Ok(view)) => {
                assert!(der::validate(bytes).is_ok(), "accepted but not DER: {bytes:02x?}");
                assert_eq!(NegTokenResp::decode(bytes).unwrap(), resp);
                assert_eq!(view.encode(), bytes, "canonical DER re-encodes as received");
                assert_eq!(view.selects_ntlm(), resp.supported_mech == Some(Oid::NTLMSSP));
            }
            (Ok(NegotiationToken::Init(_)), Err(e)) => {
                assert!(der::validate(bytes).is_ok(), "accepted but not DER: {bytes:02x?}");
                assert_eq!(e.detail(), SECOND_INIT);
            }
            (Err(expected), Err(e)) => assert_eq!(e, expected, "{bytes:02x?}"),
            (expected, got) => panic!("{bytes:02x?}: decode {expected:?}, expect {got:?}"),
        }
    }

    #[test]
    fn ntlm_only_der_is_the_encoded_list() {
        assert_eq!(encode_mech_type_list(&NTLM_ONLY), NTLM_ONLY_DER);
        let decoded = decode_mech_type_list(&NTLM_ONLY_DER[2..]).unwrap();
        assert_eq!(decoded, NTLM_ONLY);
    }

    proptest::proptest! {
        /// Real tokens of both kinds with a few bytes changed, and any bytes behind the two
        /// first bytes that matter.
        #[test]
        fn expect_agrees_with_negotiation_token_decode(
            which in 0usize..3,
            edits in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 0..4),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        ) {
            let resp = NegTokenResp {
                neg_state: Some(NegState::AcceptIncomplete),
                supported_mech: Some(Oid::NTLMSSP),
                response_token: Some(alloc::vec![7; 40]),
                mech_list_mic: Some(alloc::vec![9; 16]),
            };
            let init = NegTokenInit {
                mech_token: Some(alloc::vec![5; 40]),
                ..NegTokenInit::new(alloc::vec![Oid::MS_KERBEROS, Oid::NTLMSSP])
            };
            let mut bytes = match which {
                0 => resp.encode(),
                1 => init.encode().unwrap(),
                _ => [&[NEG_TOKEN_RESP][..], &tail].concat(),
            };
            for (at, byte) in edits {
                let len = bytes.len().max(1);
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot = byte;
                }
            }
            agrees(&bytes);
        }
    }

    /// `token` in a buffer with the room the NTLM layer leaves past its tokens.
    fn with_room(token: &[u8]) -> Vec<u8> {
        let mut buffer = Vec::with_capacity(token.len() + crate::codec::WRAP_ROOM);
        buffer.extend_from_slice(token);
        buffer
    }

    /// Whether `wrapped` is still the buffer at `at` (no second buffer was needed).
    fn same_buffer(wrapped: &[u8], at: *const u8) -> bool {
        core::ptr::eq(wrapped.as_ptr(), at)
    }

    proptest::proptest! {
        /// A token wrapped in its own buffer is the token `encode` writes around a copy (and
        /// decodes to the same fields). Within the NTLM layer's spare room it stays in the
        /// buffer it came in, at every length form (short, one and two length octets).
        #[test]
        fn resp_encoded_around_its_token_is_the_encoded_token(
            token in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
            neg_state in proptest::option::of(0u8..4),
            mech in proptest::bool::ANY,
            mic in proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..20)),
        ) {
            let ntlm = Oid::NTLMSSP;
            let view = NegTokenRespView {
                neg_state: neg_state.and_then(NegState::from_value),
                supported_mech: mech.then_some(ntlm.as_der_contents()),
                response_token: Some(&token),
                mech_list_mic: mic.as_deref(),
            };
            let expected = view.encode();
            let buffer = with_room(&token);
            let at = buffer.as_ptr();
            let wrapped = NegTokenRespView { response_token: None, ..view }.encode_around(buffer);
            proptest::prop_assert_eq!(&wrapped, &expected);
            let decoded = NegTokenResp::decode(&wrapped).unwrap();
            proptest::prop_assert_eq!(decoded.response_token, Some(token.clone()));
            proptest::prop_assert_eq!(decoded.mech_list_mic, mic);
            if wrapped.len() - token.len() <= crate::codec::WRAP_ROOM {
                proptest::prop_assert!(same_buffer(&wrapped, at));
            }
        }

        /// The same for the client's first token, a NegTokenInit around NEGOTIATE.
        #[test]
        fn init_encoded_around_its_token_is_the_encoded_token(
            token in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
            hints in proptest::bool::ANY,
            mic in proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..20)),
        ) {
            let hints = hints.then(NegHints::windows);
            let parts = NegTokenInitParts {
                mech_types: &NTLM_ONLY,
                req_flags: None,
                mech_token: Some(&token),
                neg_hints: hints.as_ref(),
                mech_list_mic: mic.as_deref(),
            };
            let expected = parts.encode().unwrap();
            let buffer = with_room(&token);
            let at = buffer.as_ptr();
            let wrapped =
                NegTokenInitParts { mech_token: None, ..parts }.encode_around(buffer).unwrap();
            proptest::prop_assert_eq!(&wrapped, &expected);
            let decoded = NegTokenInit::decode(&wrapped).unwrap();
            proptest::prop_assert_eq!(decoded.mech_token, Some(token.clone()));
            proptest::prop_assert_eq!(decoded.neg_hints, hints);
            proptest::prop_assert_eq!(decoded.mech_list_mic, mic);
            if wrapped.len() - token.len() <= crate::codec::WRAP_ROOM {
                proptest::prop_assert!(same_buffer(&wrapped, at));
            }
        }
    }

    proptest::proptest! {
        /// The NTLMSSP shortcut answers as the full check does, for NTLMSSP's OID and any
        /// other contents: NTLMSSP's with one byte changed, cut short or extended (a
        /// shortcut that took a prefix for the whole would fail here), or unrelated bytes.
        #[test]
        fn mech_oid_check_agrees_with_the_full_check(
            shape in 0u8..4,
            edit in (0usize..10, proptest::num::u8::ANY),
            other in proptest::collection::vec(proptest::num::u8::ANY, 0..12),
        ) {
            let mut contents = Oid::NTLMSSP.as_der_contents().to_vec();
            match shape {
                0 => contents = other,
                1 => {
                    if let Some(byte) = contents.get_mut(edit.0) {
                        *byte = edit.1;
                    }
                }
                2 => contents.truncate(edit.0),
                _ => contents.extend_from_slice(&other),
            }
            proptest::prop_assert_eq!(
                check_mech_oid(&contents, &MECH_TYPE_OID),
                der::check_oid(&contents, &MECH_TYPE_OID)
            );
        }
    }

    #[test]
    fn ntlmssp_passes_the_mech_oid_check() {
        let ntlm = Oid::NTLMSSP;
        assert_eq!(check_mech_oid(ntlm.as_der_contents(), &SUPPORTED_MECH_OID), Ok(()));
        assert_eq!(der::check_oid(ntlm.as_der_contents(), &SUPPORTED_MECH_OID), Ok(()));
        // NTLMSSP's contents followed by the first octet of an unfinished arc: not an OID.
        let unfinished = [ntlm.as_der_contents(), &[0x82]].concat();
        assert!(check_mech_oid(&unfinished, &SUPPORTED_MECH_OID).is_err());
    }

    #[test]
    fn expect_reads_unchanged_tokens() {
        let resp = NegTokenResp { supported_mech: Some(Oid::NTLMSSP), ..NegTokenResp::default() };
        let bytes = resp.encode();
        let view = NegTokenRespView::expect(&bytes, "x").unwrap();
        assert!(view.selects_ntlm());
        agrees(&bytes);
        agrees(&NegTokenInit::new(alloc::vec![Oid::NTLMSSP]).encode().unwrap());
        agrees(&[]);
        agrees(&[0x30, 0x00]);
    }
}
