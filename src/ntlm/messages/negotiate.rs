//! NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).

use alloc::string::String;
use alloc::vec::Vec;

use super::{
    Field, Kind, NEGOTIATE_TYPE, SIGNATURE, Version, decode_text, open, text_len, write_text,
};
use crate::codec::{Layout, SecurityBuffer};
use crate::error::Result;
use crate::flags::NegotiateFlags;

const KIND: Kind = kind!("NEGOTIATE", 1);
const DOMAIN: Field = field!("NEGOTIATE", "DomainName");
const WORKSTATION: Field = field!("NEGOTIATE", "Workstation");

/// Signature, MessageType, NegotiateFlags, DomainNameFields, WorkstationFields.
const HEADER_LEN: usize = 32;
/// The header followed by Version.
const HEADER_WITH_VERSION_LEN: usize = 40;

/// The client's first message (MS-NLMP 2.2.1.1).
///
/// `domain` and `workstation` are OEM strings (Latin-1 here). An absent or empty one is
/// written with length 0 and offset 0, as MS-NLMP 2.2.1.1 asks, and decodes as `None`.
/// The flags are written as given: setting `OEM_DOMAIN_SUPPLIED`,
/// `OEM_WORKSTATION_SUPPLIED` and `VERSION` to match the fields is the caller's job.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct NegotiateMessage {
    /// `NegotiateFlags`.
    pub flags: NegotiateFlags,
    /// `DomainName`, when supplied.
    pub domain: Option<String>,
    /// `Workstation`, when supplied.
    pub workstation: Option<String>,
    /// `Version`: decoded when the `VERSION` flag is set; encoded whenever it is `Some`.
    pub version: Option<Version>,
}

impl NegotiateMessage {
    /// Decodes a NEGOTIATE_MESSAGE.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes, &KIND, HEADER_LEN)?;
        let flags = NegotiateFlags::from_bits_retain(r.u32_le(KIND.short)?);
        let domain = r.security_buffer(KIND.short)?;
        let workstation = r.security_buffer(KIND.short)?;
        // MS-NLMP 2.2.1.1: Version is present only when NTLMSSP_NEGOTIATE_VERSION is set.
        let version = if flags.contains(NegotiateFlags::VERSION) {
            Some(Version::read(&mut r, KIND.short)?)
        } else {
            None
        };
        Ok(Self {
            flags,
            domain: optional_text(bytes, domain, &DOMAIN)?,
            workstation: optional_text(bytes, workstation, &WORKSTATION)?,
            version,
        })
    }

    /// Encodes the message; fails if a string is not Latin-1 or longer than 65535 bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let header_len = match self.version {
            Some(_) => HEADER_WITH_VERSION_LEN,
            None => HEADER_LEN,
        };
        let mut layout = Layout::new(header_len);
        let domain = optional_field(&mut layout, self.domain.as_deref(), &DOMAIN)?;
        let workstation = optional_field(&mut layout, self.workstation.as_deref(), &WORKSTATION)?;
        let mut w = layout.writer();
        w.bytes(&SIGNATURE)
            .u32_le(NEGOTIATE_TYPE)
            .u32_le(self.flags.bits())
            .security_buffer(domain)
            .security_buffer(workstation);
        if let Some(version) = self.version {
            w.bytes(&version.encode());
        }
        layout.at_payload(&w)?;
        for text in [&self.domain, &self.workstation].into_iter().flatten() {
            write_text(&mut w, text, false);
        }
        layout.finish(w)
    }
}

fn optional_text(bytes: &[u8], sb: SecurityBuffer, field: &Field) -> Result<Option<String>> {
    let raw = sb.resolve(bytes, field.bounds)?;
    if raw.is_empty() { Ok(None) } else { decode_text(raw, false, field).map(Some) }
}

fn optional_field(
    layout: &mut Layout,
    text: Option<&str>,
    field: &Field,
) -> Result<SecurityBuffer> {
    match text {
        // MS-NLMP 2.2.1.1: an unsupplied field has Len, MaxLen and BufferOffset zero.
        None | Some("") => Ok(SecurityBuffer::default()),
        Some(text) => layout.field(text_len(text, false, field)?, field.too_long),
    }
}
