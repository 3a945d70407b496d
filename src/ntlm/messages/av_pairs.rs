//! AV pairs (MS-NLMP 2.2.2.1) and the Single_Host_Data structure (MS-NLMP 2.2.2.2).

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::{Reader, Writer, utf16le_len, utf16le_to_string};
use crate::error::{Error, Result};
use crate::time::FileTime;

/// An `AvId` (MS-NLMP 2.2.2.1). Values above [`AvId::CHANNEL_BINDINGS`] are not defined by
/// MS-NLMP; they decode as [`AvPair::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AvId(pub u16);

impl AvId {
    /// `MsvAvEOL`: the end of the list.
    pub const EOL: Self = Self(0);
    /// `MsvAvNbComputerName`: the server's NetBIOS computer name.
    pub const NB_COMPUTER_NAME: Self = Self(1);
    /// `MsvAvNbDomainName`: the server's NetBIOS domain name.
    pub const NB_DOMAIN_NAME: Self = Self(2);
    /// `MsvAvDnsComputerName`: the server's FQDN.
    pub const DNS_COMPUTER_NAME: Self = Self(3);
    /// `MsvAvDnsDomainName`: the server's DNS domain.
    pub const DNS_DOMAIN_NAME: Self = Self(4);
    /// `MsvAvDnsTreeName`: the server's forest.
    pub const DNS_TREE_NAME: Self = Self(5);
    /// `MsvAvFlags`: a 32-bit [`AvFlags`] value.
    pub const FLAGS: Self = Self(6);
    /// `MsvAvTimestamp`: a `FILETIME`.
    pub const TIMESTAMP: Self = Self(7);
    /// `MsvAvSingleHost`: a [`SingleHost`] structure.
    pub const SINGLE_HOST: Self = Self(8);
    /// `MsvAvTargetName`: the SPN of the target server.
    pub const TARGET_NAME: Self = Self(9);
    /// `MsvAvChannelBindings`: MD5 of `gss_channel_bindings_struct`.
    pub const CHANNEL_BINDINGS: Self = Self(10);

    /// Whether MS-NLMP 2.2.2.1 defines this id.
    pub const fn is_known(self) -> bool {
        self.0 <= Self::CHANNEL_BINDINGS.0
    }

    /// The MS-NLMP name (`MsvAvTimestamp`, ...) of a defined id.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "MsvAvEOL",
            1 => "MsvAvNbComputerName",
            2 => "MsvAvNbDomainName",
            3 => "MsvAvDnsComputerName",
            4 => "MsvAvDnsDomainName",
            5 => "MsvAvDnsTreeName",
            6 => "MsvAvFlags",
            7 => "MsvAvTimestamp",
            8 => "MsvAvSingleHost",
            9 => "MsvAvTargetName",
            10 => "MsvAvChannelBindings",
            _ => return None,
        })
    }
}

bitflags::bitflags! {
    /// The value of `MsvAvFlags` (MS-NLMP 2.2.2.1). Undefined bits are kept.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct AvFlags: u32 {
        /// The client's account authentication is constrained.
        const CONSTRAINED = 0x0000_0001;
        /// The client provides a MIC in the AUTHENTICATE message.
        const MIC_PRESENT = 0x0000_0002;
        /// The client provides an SPN it could not verify (`MsvAvTargetName` untrusted).
        const UNVERIFIED_SPN = 0x0000_0004;
    }
}

/// `Single_Host_Data` (MS-NLMP 2.2.2.2), kept exactly as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SingleHost {
    /// `Size`: the length of the structure, 48.
    pub size: u32,
    /// `Z4`: reserved, zero.
    pub z4: u32,
    /// `CustomData`: platform-specific.
    pub custom_data: [u8; 8],
    /// `MachineID`: a random value chosen by the machine at boot.
    pub machine_id: [u8; 32],
}

impl SingleHost {
    /// Length of the structure on the wire.
    pub const LEN: usize = 48;

    fn decode(value: &[u8]) -> Result<Self> {
        const DETAIL: &str = "AV pair MsvAvSingleHost value is not 48 bytes";
        if value.len() != Self::LEN {
            return Err(Error::invalid_token(DETAIL));
        }
        let mut r = Reader::new(value);
        Ok(Self {
            size: r.u32_le(DETAIL)?,
            z4: r.u32_le(DETAIL)?,
            custom_data: r.array(DETAIL)?,
            machine_id: r.array(DETAIL)?,
        })
    }

    fn write(&self, w: &mut Writer) {
        w.u32_le(self.size).u32_le(self.z4).bytes(&self.custom_data).bytes(&self.machine_id);
    }
}

/// One AV pair (MS-NLMP 2.2.2.1). `MsvAvEOL` is not a pair here: [`AvPairs`] writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AvPair {
    /// `MsvAvNbComputerName` (1).
    NbComputerName(String),
    /// `MsvAvNbDomainName` (2).
    NbDomainName(String),
    /// `MsvAvDnsComputerName` (3).
    DnsComputerName(String),
    /// `MsvAvDnsDomainName` (4).
    DnsDomainName(String),
    /// `MsvAvDnsTreeName` (5).
    DnsTreeName(String),
    /// `MsvAvFlags` (6).
    Flags(AvFlags),
    /// `MsvAvTimestamp` (7).
    Timestamp(FileTime),
    /// `MsvAvSingleHost` (8).
    SingleHost(SingleHost),
    /// `MsvAvTargetName` (9).
    TargetName(String),
    /// `MsvAvChannelBindings` (10).
    ChannelBindings([u8; 16]),
    /// An id MS-NLMP does not define, kept as received and otherwise ignored. Encoding one
    /// whose `id` is defined (0..=10) is an error.
    Unknown {
        /// The `AvId`.
        id: u16,
        /// The `Value` bytes.
        value: Vec<u8>,
    },
}

impl AvPair {
    /// The pair's `AvId`.
    pub const fn id(&self) -> AvId {
        match self {
            Self::NbComputerName(_) => AvId::NB_COMPUTER_NAME,
            Self::NbDomainName(_) => AvId::NB_DOMAIN_NAME,
            Self::DnsComputerName(_) => AvId::DNS_COMPUTER_NAME,
            Self::DnsDomainName(_) => AvId::DNS_DOMAIN_NAME,
            Self::DnsTreeName(_) => AvId::DNS_TREE_NAME,
            Self::Flags(_) => AvId::FLAGS,
            Self::Timestamp(_) => AvId::TIMESTAMP,
            Self::SingleHost(_) => AvId::SINGLE_HOST,
            Self::TargetName(_) => AvId::TARGET_NAME,
            Self::ChannelBindings(_) => AvId::CHANNEL_BINDINGS,
            Self::Unknown { id, .. } => AvId(*id),
        }
    }

    /// The text of a string-valued pair (names and `MsvAvTargetName`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::NbComputerName(s)
            | Self::NbDomainName(s)
            | Self::DnsComputerName(s)
            | Self::DnsDomainName(s)
            | Self::DnsTreeName(s)
            | Self::TargetName(s) => Some(s),
            _ => None,
        }
    }

    /// Decodes the value of a pair with id `id`.
    fn decode(id: u16, value: &[u8]) -> Result<Self> {
        let text = |detail| utf16le_to_string(value, detail);
        Ok(match AvId(id) {
            AvId::NB_COMPUTER_NAME => Self::NbComputerName(text(
                "AV pair MsvAvNbComputerName is odd-length or invalid UTF-16",
            )?),
            AvId::NB_DOMAIN_NAME => Self::NbDomainName(text(
                "AV pair MsvAvNbDomainName is odd-length or invalid UTF-16",
            )?),
            AvId::DNS_COMPUTER_NAME => Self::DnsComputerName(text(
                "AV pair MsvAvDnsComputerName is odd-length or invalid UTF-16",
            )?),
            AvId::DNS_DOMAIN_NAME => Self::DnsDomainName(text(
                "AV pair MsvAvDnsDomainName is odd-length or invalid UTF-16",
            )?),
            AvId::DNS_TREE_NAME => {
                Self::DnsTreeName(text("AV pair MsvAvDnsTreeName is odd-length or invalid UTF-16")?)
            }
            AvId::FLAGS => Self::Flags(AvFlags::from_bits_retain(u32::from_le_bytes(fixed(
                value,
                "AV pair MsvAvFlags value is not 4 bytes",
            )?))),
            AvId::TIMESTAMP => Self::Timestamp(FileTime(u64::from_le_bytes(fixed(
                value,
                "AV pair MsvAvTimestamp value is not 8 bytes",
            )?))),
            AvId::SINGLE_HOST => Self::SingleHost(SingleHost::decode(value)?),
            AvId::TARGET_NAME => {
                Self::TargetName(text("AV pair MsvAvTargetName is odd-length or invalid UTF-16")?)
            }
            AvId::CHANNEL_BINDINGS => Self::ChannelBindings(fixed(
                value,
                "AV pair MsvAvChannelBindings value is not 16 bytes",
            )?),
            // MS-NLMP 2.2.2.1 (and EOL is handled by the caller): unknown ids are ignored.
            _ => Self::Unknown { id, value: value.to_vec() },
        })
    }

    /// The length of `Value` on the wire.
    fn value_len(&self) -> usize {
        match self {
            Self::Flags(_) => 4,
            Self::Timestamp(_) => 8,
            Self::SingleHost(_) => SingleHost::LEN,
            Self::ChannelBindings(cb) => cb.len(),
            Self::Unknown { value, .. } => value.len(),
            _ => self.as_str().map_or(0, utf16le_len),
        }
    }

    /// Appends `AvId`, `AvLen` and `Value`: the value is written in place and `AvLen`
    /// patched afterwards, so encoding allocates nothing per pair.
    fn write(&self, w: &mut Writer) -> Result<()> {
        if let Self::Unknown { id, .. } = self {
            if AvId(*id).is_known() {
                return Err(Error::invalid_token("AV pair Unknown uses a defined AvId"));
            }
        }
        w.u16_le(self.id().0);
        let len_at = w.len();
        w.u16_le(0);
        let start = w.len();
        match self {
            Self::Flags(f) => {
                w.u32_le(f.bits());
            }
            Self::Timestamp(t) => {
                w.u64_le(t.0);
            }
            Self::SingleHost(h) => h.write(w),
            Self::ChannelBindings(cb) => {
                w.bytes(cb);
            }
            Self::Unknown { value, .. } => {
                w.bytes(value);
            }
            _ => {
                w.utf16le(self.as_str().unwrap_or_default());
            }
        }
        let len = u16::try_from(w.len().saturating_sub(start))
            .map_err(|_| Error::invalid_token("AV pair value is longer than 65535 bytes"))?;
        w.patch(len_at, &len.to_le_bytes())
    }
}

/// A value whose length MS-NLMP fixes; any other length is an error naming the pair.
fn fixed<const N: usize>(value: &[u8], detail: &'static str) -> Result<[u8; N]> {
    <[u8; N]>::try_from(value).map_err(|_| Error::invalid_token(detail))
}

/// An AV pair list (MS-NLMP 2.2.2.1): `TargetInfo` of the CHALLENGE, and the list inside
/// the NTLMv2 client challenge. The terminating `MsvAvEOL` is implicit: decode requires
/// it, encode appends it.
///
/// Order and duplicates are kept as received, so re-encoding a decoded list reproduces its
/// bytes up to and including `MsvAvEOL`, except that a non-zero `AvLen` on `MsvAvEOL`
/// (which MS-NLMP forbids, and Windows skips) is written back as zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AvPairs(Vec<AvPair>);

impl AvPairs {
    /// An empty list (encodes as `MsvAvEOL` alone).
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Decodes a list; bytes after `MsvAvEOL` are ignored.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        Self::decode_prefix(bytes).map(|(pairs, _)| pairs)
    }

    /// Decodes a list and returns how many bytes it took, `MsvAvEOL` included.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(Self, usize)> {
        const NO_EOL: &str = "AV list without MsvAvEOL";
        let mut r = Reader::new(bytes);
        let mut pairs = Vec::new();
        loop {
            let id = r.u16_le(NO_EOL)?;
            let len = r.u16_le(NO_EOL)?;
            let value = r.take(usize::from(len), "AV pair AvLen past end of AV list")?;
            if AvId(id) == AvId::EOL {
                return Ok((Self(pairs), r.position()));
            }
            pairs.push(AvPair::decode(id, value)?);
        }
    }

    /// The length of the encoded list, `MsvAvEOL` included.
    pub fn encoded_len(&self) -> usize {
        self.0.iter().fold(4, |len, pair| len.saturating_add(pair.value_len()).saturating_add(4))
    }

    /// Encodes the list followed by `MsvAvEOL`.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer::with_capacity(self.encoded_len());
        self.write(&mut w)?;
        Ok(w.into_vec())
    }

    /// Appends the list followed by `MsvAvEOL` to `w`.
    pub fn write(&self, w: &mut Writer) -> Result<()> {
        for pair in &self.0 {
            pair.write(w)?;
        }
        w.u16_le(AvId::EOL.0).u16_le(0);
        Ok(())
    }

    /// The pairs, in order.
    pub fn as_slice(&self) -> &[AvPair] {
        &self.0
    }

    /// Iterates over the pairs, in order.
    pub fn iter(&self) -> core::slice::Iter<'_, AvPair> {
        self.0.iter()
    }

    /// Number of pairs, `MsvAvEOL` not counted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list holds no pair besides `MsvAvEOL`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs, consuming the list.
    pub fn into_vec(self) -> Vec<AvPair> {
        self.0
    }

    /// The first pair with id `id`.
    pub fn get(&self, id: AvId) -> Option<&AvPair> {
        self.0.iter().find(|p| p.id() == id)
    }

    /// Appends `pair`, even if a pair with its id is already present.
    pub fn push(&mut self, pair: AvPair) {
        self.0.push(pair);
    }

    /// Replaces the first pair with the same id in place, or appends `pair` (the order
    /// Windows uses: a client adds `MsvAvFlags`, `MsvAvTargetName`, ... after the
    /// server's pairs, MS-NLMP 3.1.5.1.2).
    pub fn set(&mut self, pair: AvPair) {
        match self.0.iter_mut().find(|p| p.id() == pair.id()) {
            Some(slot) => *slot = pair,
            None => self.0.push(pair),
        }
    }

    /// Removes and returns the first pair with id `id`.
    pub fn remove(&mut self, id: AvId) -> Option<AvPair> {
        let at = self.0.iter().position(|p| p.id() == id)?;
        Some(self.0.remove(at))
    }

    fn text(&self, id: AvId) -> Option<&str> {
        self.get(id).and_then(AvPair::as_str)
    }

    /// `MsvAvNbComputerName`.
    pub fn nb_computer_name(&self) -> Option<&str> {
        self.text(AvId::NB_COMPUTER_NAME)
    }

    /// `MsvAvNbDomainName`.
    pub fn nb_domain_name(&self) -> Option<&str> {
        self.text(AvId::NB_DOMAIN_NAME)
    }

    /// `MsvAvDnsComputerName`.
    pub fn dns_computer_name(&self) -> Option<&str> {
        self.text(AvId::DNS_COMPUTER_NAME)
    }

    /// `MsvAvDnsDomainName`.
    pub fn dns_domain_name(&self) -> Option<&str> {
        self.text(AvId::DNS_DOMAIN_NAME)
    }

    /// `MsvAvDnsTreeName`.
    pub fn dns_tree_name(&self) -> Option<&str> {
        self.text(AvId::DNS_TREE_NAME)
    }

    /// `MsvAvTargetName`.
    pub fn get_target_name(&self) -> Option<&str> {
        self.text(AvId::TARGET_NAME)
    }

    /// `MsvAvFlags`.
    pub fn get_flags(&self) -> Option<AvFlags> {
        self.0.iter().find_map(|p| match p {
            AvPair::Flags(f) => Some(*f),
            _ => None,
        })
    }

    /// `MsvAvTimestamp`.
    pub fn get_timestamp(&self) -> Option<FileTime> {
        self.0.iter().find_map(|p| match p {
            AvPair::Timestamp(t) => Some(*t),
            _ => None,
        })
    }

    /// `MsvAvSingleHost`.
    pub fn get_single_host(&self) -> Option<&SingleHost> {
        self.0.iter().find_map(|p| match p {
            AvPair::SingleHost(h) => Some(h),
            _ => None,
        })
    }

    /// `MsvAvChannelBindings`.
    pub fn get_channel_bindings(&self) -> Option<&[u8; 16]> {
        self.0.iter().find_map(|p| match p {
            AvPair::ChannelBindings(cb) => Some(cb),
            _ => None,
        })
    }
}

impl From<Vec<AvPair>> for AvPairs {
    fn from(pairs: Vec<AvPair>) -> Self {
        Self(pairs)
    }
}

impl FromIterator<AvPair> for AvPairs {
    fn from_iter<I: IntoIterator<Item = AvPair>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a AvPairs {
    type Item = &'a AvPair;
    type IntoIter = core::slice::Iter<'a, AvPair>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
