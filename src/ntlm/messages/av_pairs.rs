//! AV pairs (MS-NLMP 2.2.2.1) and the Single_Host_Data structure (MS-NLMP 2.2.2.2).

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::{Reader, Writer, check_utf16le, utf16le_len, utf16le_to_string};
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

    /// The owned pair of a value read in place.
    fn from_value(id: AvId, value: AvValue<'_>) -> Result<Self> {
        Ok(match value {
            AvValue::Text(units) => {
                let text = utf16le_to_string(units, text_detail(id))?;
                match id {
                    AvId::NB_COMPUTER_NAME => Self::NbComputerName(text),
                    AvId::NB_DOMAIN_NAME => Self::NbDomainName(text),
                    AvId::DNS_COMPUTER_NAME => Self::DnsComputerName(text),
                    AvId::DNS_DOMAIN_NAME => Self::DnsDomainName(text),
                    AvId::DNS_TREE_NAME => Self::DnsTreeName(text),
                    _ => Self::TargetName(text),
                }
            }
            AvValue::Flags(flags) => Self::Flags(flags),
            AvValue::Timestamp(time) => Self::Timestamp(time),
            AvValue::SingleHost(host) => Self::SingleHost(host),
            AvValue::ChannelBindings(hash) => Self::ChannelBindings(hash),
            AvValue::Unknown(value) => Self::Unknown { id: id.0, value: value.to_vec() },
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
    pub(crate) fn write(&self, w: &mut Writer) -> Result<()> {
        if let Self::Unknown { id, .. } = self {
            if AvId(*id).is_known() {
                return Err(Error::invalid_token("AV pair Unknown uses a defined AvId"));
            }
        }
        write_pair(w, self.id(), |w| match self {
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
        })
    }
}

/// Appends one pair: `AvId`, `AvLen`, and the value `value` writes (its length patched in
/// afterwards).
pub(crate) fn write_pair(w: &mut Writer, id: AvId, value: impl FnOnce(&mut Writer)) -> Result<()> {
    w.u16_le(id.0);
    let len_at = w.len();
    w.u16_le(0);
    let start = w.len();
    value(w);
    let len = u16::try_from(w.len().saturating_sub(start))
        .map_err(|_| Error::invalid_token("AV pair value is longer than 65535 bytes"))?;
    w.patch(len_at, &len.to_le_bytes())
}

/// The error detail of a text pair that is odd-length or invalid UTF-16.
const fn text_detail(id: AvId) -> &'static str {
    match id {
        AvId::NB_COMPUTER_NAME => "AV pair MsvAvNbComputerName is odd-length or invalid UTF-16",
        AvId::NB_DOMAIN_NAME => "AV pair MsvAvNbDomainName is odd-length or invalid UTF-16",
        AvId::DNS_COMPUTER_NAME => "AV pair MsvAvDnsComputerName is odd-length or invalid UTF-16",
        AvId::DNS_DOMAIN_NAME => "AV pair MsvAvDnsDomainName is odd-length or invalid UTF-16",
        AvId::DNS_TREE_NAME => "AV pair MsvAvDnsTreeName is odd-length or invalid UTF-16",
        _ => "AV pair MsvAvTargetName is odd-length or invalid UTF-16",
    }
}

/// The value of one AV pair, checked where it lies in the message and not copied: what
/// the state machines read (the owned [`AvPair`] is this plus copies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AvValue<'a> {
    /// A name or `MsvAvTargetName`: UTF-16LE, checked to decode.
    Text(&'a [u8]),
    Flags(AvFlags),
    Timestamp(FileTime),
    SingleHost(SingleHost),
    ChannelBindings([u8; 16]),
    /// An id MS-NLMP does not define.
    Unknown(&'a [u8]),
}

impl<'a> AvValue<'a> {
    /// Checks `value` as the value of a pair with id `id` (MS-NLMP 2.2.2.1); every
    /// malformed value is an error naming the pair.
    pub(crate) fn parse(id: AvId, value: &'a [u8]) -> Result<Self> {
        Ok(match id {
            AvId::NB_COMPUTER_NAME
            | AvId::NB_DOMAIN_NAME
            | AvId::DNS_COMPUTER_NAME
            | AvId::DNS_DOMAIN_NAME
            | AvId::DNS_TREE_NAME
            | AvId::TARGET_NAME => Self::Text(check_utf16le(value, text_detail(id))?),
            AvId::FLAGS => Self::Flags(AvFlags::from_bits_retain(u32::from_le_bytes(fixed(
                value,
                "AV pair MsvAvFlags value is not 4 bytes",
            )?))),
            AvId::TIMESTAMP => Self::Timestamp(FileTime(u64::from_le_bytes(fixed(
                value,
                "AV pair MsvAvTimestamp value is not 8 bytes",
            )?))),
            AvId::SINGLE_HOST => Self::SingleHost(SingleHost::decode(value)?),
            AvId::CHANNEL_BINDINGS => Self::ChannelBindings(fixed(
                value,
                "AV pair MsvAvChannelBindings value is not 16 bytes",
            )?),
            // MS-NLMP 2.2.2.1 (and EOL is handled by the caller): unknown ids are ignored.
            _ => Self::Unknown(value),
        })
    }
}

/// An AV pair list read in place: every pair checked as [`AvPairs::decode`] checks it,
/// nothing copied. The state machines read the few pairs they need from it, and the
/// client copies the server's pairs into its NTLMv2 blob byte for byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AvList<'a> {
    /// The pairs before `MsvAvEOL`.
    pairs: &'a [u8],
    /// The first `MsvAvFlags` and `MsvAvTimestamp`, read while the list was checked: the
    /// two pairs the state machines read on every handshake, without a search.
    flags: Option<AvFlags>,
    timestamp: Option<FileTime>,
}

/// What checking an AV list learned, for reading the list again without checking it: its
/// length before `MsvAvEOL`, and its first `MsvAvFlags` and `MsvAvTimestamp`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AvShape {
    len: usize,
    flags: Option<AvFlags>,
    timestamp: Option<FileTime>,
}

impl<'a> AvList<'a> {
    /// Checks a list; returns it and how many bytes it took, `MsvAvEOL` included. Bytes
    /// after `MsvAvEOL` are not part of it.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<(Self, usize)> {
        const NO_EOL: &str = "AV list without MsvAvEOL";
        let mut r = Reader::new(bytes);
        let (mut flags, mut timestamp) = (None, None);
        loop {
            let at = r.position();
            let id = r.u16_le(NO_EOL)?;
            let len = r.u16_le(NO_EOL)?;
            let value = r.take(usize::from(len), "AV pair AvLen past end of AV list")?;
            if AvId(id) == AvId::EOL {
                let pairs = bytes.get(..at).unwrap_or_default();
                return Ok((Self { pairs, flags, timestamp }, r.position()));
            }
            match AvValue::parse(AvId(id), value)? {
                AvValue::Flags(f) if flags.is_none() => flags = Some(f),
                AvValue::Timestamp(t) if timestamp.is_none() => timestamp = Some(t),
                _ => {}
            }
        }
    }

    /// The list [`parse`](Self::parse) accepted at the start of `bytes`, given what that
    /// check learned ([`shape`](Self::shape)).
    pub(crate) fn checked(bytes: &'a [u8], shape: AvShape) -> Result<Self> {
        let pairs =
            bytes.get(..shape.len).ok_or(Error::invalid_token("AV list shorter than read"))?;
        Ok(Self { pairs, flags: shape.flags, timestamp: shape.timestamp })
    }

    /// What [`checked`](Self::checked) needs to read this list again.
    pub(crate) const fn shape(&self) -> AvShape {
        AvShape { len: self.pairs.len(), flags: self.flags, timestamp: self.timestamp }
    }

    /// The length of the pairs before `MsvAvEOL`, in bytes.
    pub(crate) const fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The pairs in order, each as its id, its value bytes and its bytes on the wire.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (AvId, &'a [u8], &'a [u8])> {
        let mut r = Reader::new(self.pairs);
        core::iter::from_fn(move || {
            // Checked by `parse`: none of these fails.
            let at = r.position();
            let id = AvId(r.u16_le("").ok()?);
            let len = r.u16_le("").ok()?;
            let value = r.take(usize::from(len), "").ok()?;
            Some((id, value, self.pairs.get(at..r.position())?))
        })
    }

    /// The value of the first pair with id `id`.
    fn find(&self, id: AvId) -> Option<AvValue<'a>> {
        let (_, value, _) = self.iter().find(|(found, _, _)| *found == id)?;
        AvValue::parse(id, value).ok()
    }

    /// `MsvAvFlags` (the first, if repeated).
    pub(crate) const fn flags(&self) -> Option<AvFlags> {
        self.flags
    }

    /// `MsvAvTimestamp` (the first, if repeated).
    pub(crate) const fn timestamp(&self) -> Option<FileTime> {
        self.timestamp
    }

    /// `MsvAvChannelBindings`.
    pub(crate) fn channel_bindings(&self) -> Option<[u8; 16]> {
        match self.find(AvId::CHANNEL_BINDINGS)? {
            AvValue::ChannelBindings(cb) => Some(cb),
            _ => None,
        }
    }

    /// `MsvAvTargetName`, decoded.
    pub(crate) fn target_name(&self) -> Result<Option<String>> {
        match self.find(AvId::TARGET_NAME) {
            Some(AvValue::Text(units)) => {
                utf16le_to_string(units, text_detail(AvId::TARGET_NAME)).map(Some)
            }
            _ => Ok(None),
        }
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
        let (list, len) = AvList::parse(bytes)?;
        Ok((Self::from_list(&list)?, len))
    }

    /// The owned copy of a list read in place.
    pub(crate) fn from_list(list: &AvList<'_>) -> Result<Self> {
        list.iter()
            .map(|(id, value, _)| AvPair::from_value(id, AvValue::parse(id, value)?))
            .collect()
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
