//! The VERSION structure (MS-NLMP 2.2.2.10).

use crate::codec::Reader;
use crate::error::Result;

/// The OS version a peer reports, for debugging only (MS-NLMP 2.2.2.10).
///
/// On the wire: `ProductMajorVersion`, `ProductMinorVersion`, `ProductBuild` (LE),
/// three reserved zero bytes, `NTLMRevisionCurrent` — 8 bytes. The reserved bytes are
/// ignored on decode and written as zeros.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Version {
    /// `ProductMajorVersion`.
    pub major: u8,
    /// `ProductMinorVersion`.
    pub minor: u8,
    /// `ProductBuild`.
    pub build: u16,
    /// `NTLMRevisionCurrent`; [`Version::NTLMSSP_REVISION_W2K3`] for every current peer.
    pub revision: u8,
}

impl Version {
    /// Length of the structure on the wire.
    pub const LEN: usize = 8;
    /// `NTLMSSP_REVISION_W2K3`, the only revision defined (MS-NLMP 2.2.2.10).
    pub const NTLMSSP_REVISION_W2K3: u8 = 0x0F;
    /// Windows 10 22H2 (10.0.19045), revision 15: what this crate reports by default.
    pub const WINDOWS_10: Self =
        Self { major: 10, minor: 0, build: 19045, revision: Self::NTLMSSP_REVISION_W2K3 };

    /// Decodes the first 8 bytes of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        Self::read(&mut Reader::new(bytes), "VERSION shorter than 8 bytes")
    }

    /// The 8 wire bytes.
    pub fn encode(&self) -> [u8; 8] {
        let [b0, b1] = self.build.to_le_bytes();
        [self.major, self.minor, b0, b1, 0, 0, 0, self.revision]
    }

    /// Reads a VERSION at the reader's position; `detail` names it if the input is short.
    pub(super) fn read(r: &mut Reader<'_>, detail: &'static str) -> Result<Self> {
        let [major, minor, b0, b1, _, _, _, revision] = r.array::<8>(detail)?;
        Ok(Self { major, minor, build: u16::from_le_bytes([b0, b1]), revision })
    }
}
