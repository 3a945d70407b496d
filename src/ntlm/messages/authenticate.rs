//! AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use super::{
    AUTHENTICATE_TYPE, Field, Kind, SIGNATURE, Version, check_text, decode_text, open, text_len,
    write_text,
};
use crate::codec::{Layout, SecurityBuffer, WRAP_ROOM, Writer};
use crate::error::{Error, Result};
use crate::flags::NegotiateFlags;

const KIND: Kind = kind!("AUTHENTICATE", 3);
const LM_RESPONSE: Field = field!("AUTHENTICATE", "LmChallengeResponse");
const NT_RESPONSE: Field = field!("AUTHENTICATE", "NtChallengeResponse");
const DOMAIN: Field = field!("AUTHENTICATE", "DomainName");
const USER: Field = field!("AUTHENTICATE", "UserName");
const WORKSTATION: Field = field!("AUTHENTICATE", "Workstation");
const SESSION_KEY: Field = field!("AUTHENTICATE", "EncryptedRandomSessionKey");

/// Signature .. NegotiateFlags.
const HEADER_LEN: usize = 64;
/// The header followed by Version.
const HEADER_WITH_VERSION_LEN: usize = 72;
/// The header followed by Version and MIC.
const HEADER_WITH_MIC_LEN: usize = 88;

/// The client's answer (MS-NLMP 2.2.1.3).
///
/// Encoding always writes `Version` (zeros when not negotiated), so the MIC, when present,
/// sits at [`MIC_OFFSET`](Self::MIC_OFFSET). The payload is laid out as `DomainName`,
/// `UserName`, `Workstation`, `LmChallengeResponse`, `NtChallengeResponse`,
/// `EncryptedRandomSessionKey`; an empty field points at the current end of the payload.
/// This reproduces the MS-NLMP 4.2 examples and the Windows layout byte for byte.
///
/// Decoding cannot learn from the header alone whether `Version` and `MIC` are there
/// (MS-NLMP signals the MIC only inside the NTLMv2 response, `MsvAvFlags`). The decoder
/// therefore looks at where the payload starts: the lowest offset of the non-empty
/// payload fields, or the message length if all are empty. `Version` is read when the
/// payload starts at or after byte 72 (else it is all zeros), and the MIC is present when
/// it starts at or after byte 88. Checking that `MsvAvFlags` agrees is the server's job.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AuthenticateMessage {
    /// `NegotiateFlags`.
    pub flags: NegotiateFlags,
    /// `LmChallengeResponse`.
    pub lm_challenge_response: Vec<u8>,
    /// `NtChallengeResponse`; for NTLMv2, decode it with
    /// [`NtlmV2Response::decode`](super::NtlmV2Response::decode).
    pub nt_challenge_response: Vec<u8>,
    /// `DomainName`: UTF-16LE if the `UNICODE` flag is set, else OEM.
    pub domain: String,
    /// `UserName`: UTF-16LE if the `UNICODE` flag is set, else OEM.
    pub user: String,
    /// `Workstation`: UTF-16LE if the `UNICODE` flag is set, else OEM.
    pub workstation: String,
    /// `EncryptedRandomSessionKey` (empty without `KEY_EXCH`).
    pub encrypted_random_session_key: Vec<u8>,
    /// `Version` (all zeros when the `VERSION` flag is not negotiated).
    pub version: Version,
    /// `MIC`.
    pub mic: Option<[u8; 16]>,
}

impl AuthenticateMessage {
    /// Offset of the MIC field in the message (MS-NLMP 2.2.1.3: header 64 + Version 8).
    pub const MIC_OFFSET: usize = HEADER_WITH_VERSION_LEN;
    /// Length of the MIC field.
    pub const MIC_LEN: usize = 16;

    /// Decodes an AUTHENTICATE_MESSAGE.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let view = AuthenticateView::parse(bytes)?;
        Ok(Self {
            flags: view.flags,
            lm_challenge_response: view.lm_challenge_response.to_vec(),
            nt_challenge_response: view.nt_challenge_response.to_vec(),
            domain: view.domain()?,
            user: view.user()?,
            workstation: view.workstation()?,
            encrypted_random_session_key: view.encrypted_random_session_key.to_vec(),
            version: view.version,
            mic: view.mic,
        })
    }

    /// Encodes the message; fails if a field is longer than 65535 bytes or a string is not
    /// Latin-1 without the `UNICODE` flag.
    pub fn encode(&self) -> Result<Vec<u8>> {
        self.encode_inner(self.mic.as_ref())
    }

    /// Encodes the message with a MIC field of 16 zero bytes, whatever `mic` holds: the
    /// input of the MIC computation on the client side (MS-NLMP 3.1.5.1.2). The result has
    /// the same layout as the final message with its MIC.
    pub fn encode_with_zero_mic(&self) -> Result<Vec<u8>> {
        self.encode_inner(Some(&[0; 16]))
    }

    fn encode_inner(&self, mic: Option<&[u8; 16]>) -> Result<Vec<u8>> {
        AuthenticateParts {
            flags: self.flags,
            lm_challenge_response: &self.lm_challenge_response,
            nt_challenge_response: &self.nt_challenge_response,
            domain: &self.domain,
            user: &self.user,
            workstation: &self.workstation,
            encrypted_random_session_key: &self.encrypted_random_session_key,
            version: self.version,
        }
        .encode(mic)
    }
}

/// The fields of an AUTHENTICATE message to encode, borrowed: the client encodes its
/// message from what it holds, without first moving it into an [`AuthenticateMessage`].
pub(crate) struct AuthenticateParts<'a> {
    pub(crate) flags: NegotiateFlags,
    pub(crate) lm_challenge_response: &'a [u8],
    pub(crate) nt_challenge_response: &'a [u8],
    pub(crate) domain: &'a str,
    pub(crate) user: &'a str,
    pub(crate) workstation: &'a str,
    pub(crate) encrypted_random_session_key: &'a [u8],
    pub(crate) version: Version,
}

impl AuthenticateParts<'_> {
    /// Encodes the message as [`AuthenticateMessage::encode`] describes, with `mic` in the
    /// MIC field if given.
    pub(crate) fn encode(&self, mic: Option<&[u8; 16]>) -> Result<Vec<u8>> {
        let nt = self.nt_challenge_response;
        let encoded = self.encode_with(mic, nt.len(), |w| {
            w.bytes(nt);
            Ok(())
        })?;
        Ok(encoded.token)
    }

    /// Encodes the message with the `NtChallengeResponse` that `write_nt` writes in place
    /// (`nt_challenge_response` is not used), and says where it and the session key lie:
    /// the client writes its NTLMv2 response straight into the message, then fills in
    /// `NTProofStr` over the blob there, rather than building it in a buffer of its own and
    /// copying it. `nt_capacity` is only a hint for the allocation.
    ///
    /// The payload is written in its order (names, LM response, NT response, session key);
    /// the NT response's security buffer and the session key's, whose offset follows from
    /// its length, are filled in once it is written.
    pub(crate) fn encode_with(
        &self,
        mic: Option<&[u8; 16]>,
        nt_capacity: usize,
        write_nt: impl FnOnce(&mut Writer) -> Result<()>,
    ) -> Result<Encoded> {
        let header_len = match mic {
            Some(_) => HEADER_WITH_MIC_LEN,
            None => HEADER_WITH_VERSION_LEN,
        };
        let unicode = self.flags.contains(NegotiateFlags::UNICODE);
        let mut layout = Layout::new(header_len);
        let mut text = |text: &str, field: &Field| {
            layout.field(text_len(text, unicode, field)?, field.too_long)
        };
        let domain = text(self.domain, &DOMAIN)?;
        let user = text(self.user, &USER)?;
        let workstation = text(self.workstation, &WORKSTATION)?;
        let lm = layout.field(self.lm_challenge_response.len(), LM_RESPONSE.too_long)?;
        let key = self.encrypted_random_session_key;
        let capacity = layout.message_len().saturating_add(nt_capacity).saturating_add(key.len());
        let capacity = capacity.saturating_add(WRAP_ROOM);

        let mut w = Writer::with_capacity(capacity);
        w.bytes(&SIGNATURE)
            .u32_le(AUTHENTICATE_TYPE)
            .security_buffer(lm)
            .security_buffer(SecurityBuffer::default()) // NtChallengeResponse, below
            .security_buffer(domain)
            .security_buffer(user)
            .security_buffer(workstation)
            .security_buffer(SecurityBuffer::default()) // EncryptedRandomSessionKey, below
            .u32_le(self.flags.bits())
            .bytes(&self.version.encode());
        if let Some(mic) = mic {
            w.bytes(mic);
        }
        layout.at_payload(&w)?;
        for text in [self.domain, self.user, self.workstation] {
            write_text(&mut w, text, unicode);
        }
        w.bytes(self.lm_challenge_response);
        layout.at_end(&w)?;
        let nt_start = layout.message_len();
        write_nt(&mut w)?;
        let nt = layout.field(w.len().saturating_sub(nt_start), NT_RESPONSE.too_long)?;
        let session_key = layout.field(key.len(), SESSION_KEY.too_long)?;
        w.bytes(key);
        w.patch(NT_RESPONSE_AT, &nt.to_bytes())?;
        w.patch(SESSION_KEY_AT, &session_key.to_bytes())?;
        let token = layout.finish(w)?;
        Ok(Encoded { token, nt: range(nt), session_key: range(session_key) })
    }
}

/// Where the `NtChallengeResponse` and `EncryptedRandomSessionKey` security buffers lie
/// in the header.
const NT_RESPONSE_AT: usize = 20;
const SESSION_KEY_AT: usize = 52;

/// An AUTHENTICATE message just encoded, with where two of its fields lie in it.
pub(crate) struct Encoded {
    pub(crate) token: Vec<u8>,
    /// `NtChallengeResponse`.
    pub(crate) nt: Range<usize>,
    /// `EncryptedRandomSessionKey`.
    pub(crate) session_key: Range<usize>,
}

/// The bytes a security buffer written by [`Layout::field`] covers.
fn range(sb: SecurityBuffer) -> Range<usize> {
    let start = usize::try_from(sb.offset).unwrap_or(usize::MAX);
    start..start.saturating_add(usize::from(sb.len))
}

/// Zeroes the MIC field of an AUTHENTICATE message in place: the server's input to the MIC
/// check (MS-NLMP 3.2.5.1.2), computed over the message exactly as received.
///
/// Call it only when [`AuthenticateMessage::decode`] found a MIC; fails if `bytes` is too
/// short to hold one.
pub fn zero_mic(bytes: &mut [u8]) -> Result<()> {
    set_mic(bytes, &[0; AuthenticateMessage::MIC_LEN])
}

/// The bytes of an encoded AUTHENTICATE message before and after its MIC field: what the
/// MIC covers, with the field itself taken as zeros (MS-NLMP 3.2.5.1.2). Lets a server check
/// the MIC without copying the message. Fails if `bytes` is too short to hold a MIC.
pub fn around_mic(bytes: &[u8]) -> Result<(&[u8], &[u8])> {
    match (bytes.get(..AuthenticateMessage::MIC_OFFSET), bytes.get(HEADER_WITH_MIC_LEN..)) {
        (Some(before), Some(after)) => Ok((before, after)),
        _ => Err(Error::invalid_token("AUTHENTICATE MIC past end of message")),
    }
}

/// Writes `mic` into the MIC field of an encoded AUTHENTICATE message in place.
///
/// The client encodes its message once with a zero MIC (MS-NLMP 3.1.5.1.2: the MIC covers
/// the message with that field zeroed), computes the MIC over those bytes and fills it in,
/// rather than encoding the message a second time. Fails if `bytes` is too short to hold a
/// MIC.
pub fn set_mic(bytes: &mut [u8], mic: &[u8; AuthenticateMessage::MIC_LEN]) -> Result<()> {
    bytes
        .get_mut(AuthenticateMessage::MIC_OFFSET..HEADER_WITH_MIC_LEN)
        .ok_or(Error::invalid_token("AUTHENTICATE MIC past end of message"))?
        .copy_from_slice(mic);
    Ok(())
}

/// An AUTHENTICATE message read in place: checked as [`AuthenticateMessage::decode`]
/// checks it (names included), its fields borrowed from the message, nothing copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AuthenticateView<'a> {
    pub(crate) flags: NegotiateFlags,
    pub(crate) lm_challenge_response: &'a [u8],
    pub(crate) nt_challenge_response: &'a [u8],
    domain: &'a [u8],
    user: &'a [u8],
    workstation: &'a [u8],
    pub(crate) encrypted_random_session_key: &'a [u8],
    pub(crate) version: Version,
    pub(crate) mic: Option<[u8; 16]>,
    /// Where the fields lie: what [`again`](Self::again) needs.
    pub(crate) layout: AuthenticateLayout,
}

/// Where the fields of an AUTHENTICATE that [`AuthenticateView::parse`] accepted lie, and
/// what its header said: kept with the message's bytes, it reads them again as the same
/// view without checking or laying them out a second time (the server, when the
/// credentials come).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AuthenticateLayout {
    flags: NegotiateFlags,
    /// LmChallengeResponse, NtChallengeResponse, DomainName, UserName, Workstation,
    /// EncryptedRandomSessionKey, as in the header.
    fields: [SecurityBuffer; 6],
    version: Version,
    mic: Option<[u8; 16]>,
}

impl<'a> AuthenticateView<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut r = open(bytes, &KIND, HEADER_LEN)?;
        let lm = r.security_buffer(KIND.short)?;
        let nt = r.security_buffer(KIND.short)?;
        let domain = r.security_buffer(KIND.short)?;
        let user = r.security_buffer(KIND.short)?;
        let workstation = r.security_buffer(KIND.short)?;
        let session_key = r.security_buffer(KIND.short)?;
        let flags = NegotiateFlags::from_bits_retain(r.u32_le(KIND.short)?);
        let unicode = flags.contains(NegotiateFlags::UNICODE);
        let text = |sb: SecurityBuffer, field: &Field| {
            check_text(sb.resolve(bytes, field.bounds)?, unicode, field)
        };
        let lm_challenge_response = lm.resolve(bytes, LM_RESPONSE.bounds)?;
        let nt_challenge_response = nt.resolve(bytes, NT_RESPONSE.bounds)?;
        let domain_text = text(domain, &DOMAIN)?;
        let user_text = text(user, &USER)?;
        let workstation_text = text(workstation, &WORKSTATION)?;
        let encrypted_random_session_key = session_key.resolve(bytes, SESSION_KEY.bounds)?;

        let fields = [lm, nt, domain, user, workstation, session_key];
        let payload_start = fields
            .iter()
            .filter(|sb| sb.len > 0)
            .map(|sb| usize::try_from(sb.offset).unwrap_or(usize::MAX))
            .min()
            .unwrap_or(bytes.len());
        let version = if payload_start >= HEADER_WITH_VERSION_LEN {
            Version::read(&mut r, KIND.short)?
        } else {
            Version::default()
        };
        let mic =
            if payload_start >= HEADER_WITH_MIC_LEN { Some(r.array(KIND.short)?) } else { None };
        Ok(Self {
            flags,
            lm_challenge_response,
            nt_challenge_response,
            domain: domain_text,
            user: user_text,
            workstation: workstation_text,
            encrypted_random_session_key,
            version,
            mic,
            layout: AuthenticateLayout { flags, fields, version, mic },
        })
    }

    /// Reads again a message [`parse`](Self::parse) accepted, from where its fields lie
    /// (`layout`, from that parse): only the bounds of each field are checked again.
    pub(crate) fn again(bytes: &'a [u8], layout: &AuthenticateLayout) -> Result<Self> {
        debug_assert!(
            Self::parse(bytes).is_ok_and(|view| view.layout == *layout),
            "AUTHENTICATE read again with another layout than its parse gave"
        );
        let [lm, nt, domain, user, workstation, session_key] = layout.fields;
        Ok(Self {
            flags: layout.flags,
            lm_challenge_response: lm.resolve(bytes, LM_RESPONSE.bounds)?,
            nt_challenge_response: nt.resolve(bytes, NT_RESPONSE.bounds)?,
            domain: domain.resolve(bytes, DOMAIN.bounds)?,
            user: user.resolve(bytes, USER.bounds)?,
            workstation: workstation.resolve(bytes, WORKSTATION.bounds)?,
            encrypted_random_session_key: session_key.resolve(bytes, SESSION_KEY.bounds)?,
            version: layout.version,
            mic: layout.mic,
            layout: *layout,
        })
    }

    fn text(&self, bytes: &[u8], field: &Field) -> Result<String> {
        decode_text(bytes, self.flags.contains(NegotiateFlags::UNICODE), field)
    }

    /// `DomainName`, decoded.
    pub(crate) fn domain(&self) -> Result<String> {
        self.text(self.domain, &DOMAIN)
    }

    /// `UserName`, decoded.
    pub(crate) fn user(&self) -> Result<String> {
        self.text(self.user, &USER)
    }

    /// `Workstation`, decoded.
    pub(crate) fn workstation(&self) -> Result<String> {
        self.text(self.workstation, &WORKSTATION)
    }
}
