//! SSPI-shaped message buffers (`SecBuffer` / `SecBufferDesc`) over borrowed memory.
//!
//! A [`SecBuffer`] names what a piece of memory is for ([`BufferType`], the `SECBUFFER_*`
//! values of `sspi.h`) and how it may be used ([`BufferFlags`]). The memory itself is
//! borrowed, never copied: [`BufferData::Mut`] for buffers the package may write (DATA to
//! encrypt, TOKEN to receive a signature, STREAM to decrypt), [`BufferData::Ref`] for
//! read-only buffers that are only signed. A buffer list is a plain `&mut [SecBuffer]`.

use core::fmt;

/// The type of a [`SecBuffer`]: the `SECBUFFER_*` constants of `sspi.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BufferType {
    /// `SECBUFFER_EMPTY` (0): unused.
    Empty,
    /// `SECBUFFER_DATA` (1): application data, encrypted in place unless read-only.
    Data,
    /// `SECBUFFER_TOKEN` (2): a security token or the message signature (trailer).
    Token,
    /// `SECBUFFER_PKG_PARAMS` (3): package-specific parameters.
    PkgParams,
    /// `SECBUFFER_MISSING` (4): how many more bytes a message needs.
    Missing,
    /// `SECBUFFER_EXTRA` (5): bytes past the end of the processed message.
    Extra,
    /// `SECBUFFER_STREAM_TRAILER` (6): a stream trailer.
    StreamTrailer,
    /// `SECBUFFER_STREAM_HEADER` (7): a stream header.
    StreamHeader,
    /// `SECBUFFER_NEGOTIATION_INFO` (8): negotiation hints.
    NegotiationInfo,
    /// `SECBUFFER_PADDING` (9): non-data padding (NTLM uses none; accepted and left alone).
    Padding,
    /// `SECBUFFER_STREAM` (10): a whole message, signature followed by data.
    Stream,
    /// `SECBUFFER_MECHLIST` (11): a SPNEGO mechanism list.
    Mechlist,
    /// `SECBUFFER_MECHLIST_SIGNATURE` (12): a SPNEGO mechanism list signature.
    MechlistSignature,
    /// `SECBUFFER_TARGET` (13): obsolete target information.
    Target,
    /// `SECBUFFER_CHANNEL_BINDINGS` (14): channel binding data.
    ChannelBindings,
    /// `SECBUFFER_CHANGE_PASS_RESPONSE` (15): a password change response.
    ChangePassResponse,
    /// `SECBUFFER_TARGET_HOST` (16): the target host name.
    TargetHost,
    /// `SECBUFFER_ALERT` (17): a TLS alert.
    Alert,
    /// `SECBUFFER_APPLICATION_PROTOCOLS` (18): ALPN protocol list.
    ApplicationProtocols,
}

impl BufferType {
    /// The `SECBUFFER_*` numeric value.
    pub const fn as_u32(self) -> u32 {
        match self {
            Self::Empty => 0,
            Self::Data => 1,
            Self::Token => 2,
            Self::PkgParams => 3,
            Self::Missing => 4,
            Self::Extra => 5,
            Self::StreamTrailer => 6,
            Self::StreamHeader => 7,
            Self::NegotiationInfo => 8,
            Self::Padding => 9,
            Self::Stream => 10,
            Self::Mechlist => 11,
            Self::MechlistSignature => 12,
            Self::Target => 13,
            Self::ChannelBindings => 14,
            Self::ChangePassResponse => 15,
            Self::TargetHost => 16,
            Self::Alert => 17,
            Self::ApplicationProtocols => 18,
        }
    }

    /// The type with `SECBUFFER_*` value `value` (attribute bits must be removed first, see
    /// [`BufferType::split_raw`]); `None` for values this crate does not know.
    pub const fn from_u32(value: u32) -> Option<Self> {
        Some(match value {
            0 => Self::Empty,
            1 => Self::Data,
            2 => Self::Token,
            3 => Self::PkgParams,
            4 => Self::Missing,
            5 => Self::Extra,
            6 => Self::StreamTrailer,
            7 => Self::StreamHeader,
            8 => Self::NegotiationInfo,
            9 => Self::Padding,
            10 => Self::Stream,
            11 => Self::Mechlist,
            12 => Self::MechlistSignature,
            13 => Self::Target,
            14 => Self::ChannelBindings,
            15 => Self::ChangePassResponse,
            16 => Self::TargetHost,
            17 => Self::Alert,
            18 => Self::ApplicationProtocols,
            _ => return None,
        })
    }

    /// Splits a raw `SecBuffer.BufferType` field into its type (low bits) and attribute
    /// flags (`SECBUFFER_ATTRMASK`, the top four bits).
    pub const fn split_raw(raw: u32) -> (Option<Self>, BufferFlags) {
        (
            Self::from_u32(raw & !BufferFlags::ATTRMASK),
            BufferFlags::from_bits_retain(raw & BufferFlags::ATTRMASK),
        )
    }
}

bitflags::bitflags! {
    /// The attribute bits of a `SecBuffer.BufferType` field (`SECBUFFER_ATTRMASK`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct BufferFlags: u32 {
        /// `SECBUFFER_READONLY`: neither encrypted nor, for NTLMv1 signatures, signed.
        const READONLY = 0x8000_0000;
        /// `SECBUFFER_READONLY_WITH_CHECKSUM`: not encrypted, but covered by the signature.
        const READONLY_WITH_CHECKSUM = 0x1000_0000;
    }
}

impl BufferFlags {
    /// `SECBUFFER_ATTRMASK`: the bits of `BufferType` that are attributes, not the type.
    pub const ATTRMASK: u32 = 0xF000_0000;

    /// Whether either read-only attribute is set (the buffer is not encrypted).
    pub const fn is_read_only(self) -> bool {
        self.intersects(Self::READONLY.union(Self::READONLY_WITH_CHECKSUM))
    }
}

/// The memory of a [`SecBuffer`]: writable or shared.
pub enum BufferData<'a> {
    /// Memory the package may write (encrypt, decrypt, receive a signature).
    Mut(&'a mut [u8]),
    /// Memory the package only reads (read-only buffers that are signed, not encrypted).
    Ref(&'a [u8]),
}

impl<'a> BufferData<'a> {
    /// The bytes, for reading.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Mut(s) => s,
            Self::Ref(s) => s,
        }
    }

    /// The bytes, for writing; `None` if the memory is shared.
    pub fn as_mut_slice(&mut self) -> Option<&mut [u8]> {
        match self {
            Self::Mut(s) => Some(s),
            Self::Ref(_) => None,
        }
    }

    /// The length in bytes (`cbBuffer`).
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the borrowed memory out, leaving an empty buffer behind.
    pub fn take(&mut self) -> BufferData<'a> {
        core::mem::take(self)
    }
}

impl Default for BufferData<'_> {
    fn default() -> Self {
        Self::Ref(&[])
    }
}

impl fmt::Debug for BufferData<'_> {
    /// Prints only the kind and length: buffers hold plaintext.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Self::Mut(_) => "Mut",
            Self::Ref(_) => "Ref",
        };
        write!(f, "{kind}({} bytes)", self.len())
    }
}

/// One SSPI buffer: a type, attribute flags and borrowed memory.
#[derive(Debug)]
pub struct SecBuffer<'a> {
    /// What the buffer is for.
    pub buffer_type: BufferType,
    /// `SECBUFFER_READONLY` / `SECBUFFER_READONLY_WITH_CHECKSUM`.
    pub flags: BufferFlags,
    /// The memory.
    pub data: BufferData<'a>,
}

impl<'a> SecBuffer<'a> {
    /// A writable buffer of `buffer_type` without attribute flags.
    pub fn new(buffer_type: BufferType, data: &'a mut [u8]) -> Self {
        Self { buffer_type, flags: BufferFlags::empty(), data: BufferData::Mut(data) }
    }

    /// A `SECBUFFER_DATA` buffer, encrypted in place and signed.
    pub fn data(data: &'a mut [u8]) -> Self {
        Self::new(BufferType::Data, data)
    }

    /// A `SECBUFFER_TOKEN` buffer that receives (or holds) the 16-byte signature.
    pub fn token(data: &'a mut [u8]) -> Self {
        Self::new(BufferType::Token, data)
    }

    /// A `SECBUFFER_STREAM` buffer holding signature ‖ sealed data, for decryption.
    pub fn stream(data: &'a mut [u8]) -> Self {
        Self::new(BufferType::Stream, data)
    }

    /// A `SECBUFFER_PADDING` buffer (NTLM leaves it alone).
    pub fn padding(data: &'a mut [u8]) -> Self {
        Self::new(BufferType::Padding, data)
    }

    /// A `SECBUFFER_DATA | SECBUFFER_READONLY` buffer: not encrypted; signed by NTLMv2 /
    /// extended session security but not by NTLMv1 signatures (MS-NLMP 3.4.6.1).
    pub fn read_only(data: &'a [u8]) -> Self {
        Self {
            buffer_type: BufferType::Data,
            flags: BufferFlags::READONLY,
            data: BufferData::Ref(data),
        }
    }

    /// A `SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM` buffer: not encrypted, always
    /// covered by the signature.
    pub fn read_only_with_checksum(data: &'a [u8]) -> Self {
        Self {
            buffer_type: BufferType::Data,
            flags: BufferFlags::READONLY_WITH_CHECKSUM,
            data: BufferData::Ref(data),
        }
    }

    /// The raw `SecBuffer.BufferType` field: type value or'ed with the attribute flags.
    pub fn raw_type(&self) -> u32 {
        self.buffer_type.as_u32() | self.flags.bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secbuffer_values_match_sspi_h() {
        for v in 0..=18 {
            let t = BufferType::from_u32(v).unwrap();
            assert_eq!(t.as_u32(), v);
        }
        assert_eq!(BufferType::from_u32(19), None);
        assert_eq!(BufferType::Stream.as_u32(), 10);
        assert_eq!(BufferType::ChannelBindings.as_u32(), 14);
        assert_eq!(BufferType::Padding.as_u32(), 9);
        let (t, f) = BufferType::split_raw(0x8000_0001);
        assert_eq!((t, f), (Some(BufferType::Data), BufferFlags::READONLY));
        let (t, f) = BufferType::split_raw(0x1000_0001);
        assert_eq!((t, f), (Some(BufferType::Data), BufferFlags::READONLY_WITH_CHECKSUM));
        assert_eq!(SecBuffer::read_only(&[]).raw_type(), 0x8000_0001);
    }

    #[test]
    fn debug_hides_contents() {
        let mut secret = *b"secret";
        let b = SecBuffer::data(&mut secret);
        let s = format!("{b:?}");
        assert!(s.contains("6 bytes") && !s.contains("115"), "{s}");
    }
}
