//! CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).

use alloc::string::String;
use alloc::vec::Vec;

use super::{
    AvList, AvPairs, CHALLENGE_TYPE, Field, Kind, SIGNATURE, Version, check_text, decode_text,
    open, text_len, write_text,
};
use crate::codec::{Layout, SecurityBuffer, Writer};
use crate::error::Result;
use crate::flags::NegotiateFlags;

const KIND: Kind = kind!("CHALLENGE", 2);
const TARGET_NAME: Field = field!("CHALLENGE", "TargetName");
const TARGET_INFO: Field = field!("CHALLENGE", "TargetInfo");

/// Signature .. TargetInfoFields.
const HEADER_LEN: usize = 48;
/// The header followed by Version.
const HEADER_WITH_VERSION_LEN: usize = 56;

/// The server's challenge (MS-NLMP 2.2.1.2).
///
/// Payload order on encode: `TargetName`, then `TargetInfo` (as Windows and the MS-NLMP
/// 4.2 examples lay it out). An absent `TargetInfo` is written with length 0 and offset 0,
/// as in the MS-NLMP 4.2.2.3 example; an empty `TargetName` gets the current payload
/// offset.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ChallengeMessage {
    /// `NegotiateFlags`.
    pub flags: NegotiateFlags,
    /// `TargetName`: UTF-16LE if the `UNICODE` flag is set, else OEM.
    pub target_name: String,
    /// `ServerChallenge`.
    pub server_challenge: [u8; 8],
    /// `Reserved`: zero on send, kept as received.
    pub reserved: [u8; 8],
    /// `TargetInfo`: `Some` whenever the field is non-empty on the wire, whatever the
    /// `TARGET_INFO` flag says; bytes after its `MsvAvEOL` are ignored.
    pub target_info: Option<AvPairs>,
    /// `Version`: decoded when the `VERSION` flag is set; encoded whenever it is `Some`.
    pub version: Option<Version>,
}

impl ChallengeMessage {
    /// Decodes a CHALLENGE_MESSAGE.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let view = ChallengeView::parse(bytes)?;
        let unicode = view.flags.contains(NegotiateFlags::UNICODE);
        Ok(Self {
            flags: view.flags,
            target_name: decode_text(view.target_name, unicode, &TARGET_NAME)?,
            server_challenge: view.server_challenge,
            reserved: view.reserved,
            target_info: view.target_info.as_ref().map(AvPairs::from_list).transpose()?,
            version: view.version,
        })
    }

    /// Encodes the message; fails if a field is longer than 65535 bytes, or the target
    /// name is not Latin-1 without the `UNICODE` flag, or an AV pair cannot be encoded.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let write = |w: &mut Writer| match &self.target_info {
            Some(pairs) => pairs.write(w),
            None => Ok(()),
        };
        ChallengeParts {
            flags: self.flags,
            target_name: &self.target_name,
            server_challenge: &self.server_challenge,
            reserved: &self.reserved,
            target_info: self
                .target_info
                .as_ref()
                .map(|pairs| TargetInfo { len: pairs.encoded_len(), write: &write }),
            version: self.version,
        }
        .encode()
    }
}

/// `TargetInfo` to encode: its length, and what writes it (`MsvAvEOL` included).
pub(crate) struct TargetInfo<'a> {
    pub(crate) len: usize,
    pub(crate) write: &'a dyn Fn(&mut Writer) -> Result<()>,
}

/// The fields of a CHALLENGE message to encode, borrowed: the server writes its
/// `TargetInfo` straight into the message rather than building an [`AvPairs`] first.
pub(crate) struct ChallengeParts<'a> {
    pub(crate) flags: NegotiateFlags,
    pub(crate) target_name: &'a str,
    pub(crate) server_challenge: &'a [u8; 8],
    pub(crate) reserved: &'a [u8; 8],
    pub(crate) target_info: Option<TargetInfo<'a>>,
    pub(crate) version: Option<Version>,
}

impl ChallengeParts<'_> {
    /// Encodes the message as [`ChallengeMessage::encode`] describes.
    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        let header_len = match self.version {
            Some(_) => HEADER_WITH_VERSION_LEN,
            None => HEADER_LEN,
        };
        let unicode = self.flags.contains(NegotiateFlags::UNICODE);
        let mut layout = Layout::new(header_len);
        let target_name = layout
            .field(text_len(self.target_name, unicode, &TARGET_NAME)?, TARGET_NAME.too_long)?;
        let target_info = match &self.target_info {
            Some(info) => layout.field(info.len, TARGET_INFO.too_long)?,
            None => SecurityBuffer::default(),
        };
        let mut w = layout.writer();
        w.bytes(&SIGNATURE)
            .u32_le(CHALLENGE_TYPE)
            .security_buffer(target_name)
            .u32_le(self.flags.bits())
            .bytes(self.server_challenge)
            .bytes(self.reserved)
            .security_buffer(target_info);
        if let Some(version) = self.version {
            w.bytes(&version.encode());
        }
        layout.at_payload(&w)?;
        write_text(&mut w, self.target_name, unicode);
        if let Some(info) = &self.target_info {
            (info.write)(&mut w)?;
        }
        layout.finish(w)
    }
}

/// A CHALLENGE message read in place: checked as [`ChallengeMessage::decode`] checks it,
/// nothing copied. What the client reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChallengeView<'a> {
    pub(crate) flags: NegotiateFlags,
    /// `TargetName`, checked to decode.
    target_name: &'a [u8],
    pub(crate) server_challenge: [u8; 8],
    reserved: [u8; 8],
    pub(crate) target_info: Option<AvList<'a>>,
    version: Option<Version>,
}

impl<'a> ChallengeView<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut r = open(bytes, &KIND, HEADER_LEN)?;
        let target_name = r.security_buffer(KIND.short)?;
        let flags = NegotiateFlags::from_bits_retain(r.u32_le(KIND.short)?);
        let server_challenge = r.array(KIND.short)?;
        let reserved = r.array(KIND.short)?;
        let target_info = r.security_buffer(KIND.short)?;
        // MS-NLMP 2.2.1.2: Version is present only when NTLMSSP_NEGOTIATE_VERSION is set.
        let version = if flags.contains(NegotiateFlags::VERSION) {
            Some(Version::read(&mut r, KIND.short)?)
        } else {
            None
        };
        let unicode = flags.contains(NegotiateFlags::UNICODE);
        let target_name =
            check_text(target_name.resolve(bytes, TARGET_NAME.bounds)?, unicode, &TARGET_NAME)?;
        let target_info = target_info.resolve(bytes, TARGET_INFO.bounds)?;
        let target_info =
            if target_info.is_empty() { None } else { Some(AvList::parse(target_info)?.0) };
        Ok(Self { flags, target_name, server_challenge, reserved, target_info, version })
    }
}
