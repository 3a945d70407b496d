//! Initializing: the security packages and what each can do (EnumerateSecurityPackages,
//! QuerySecurityPackageInfo).

use crate::error::{Error, ErrorKind, Result};

bitflags::bitflags! {
    /// `SECPKG_FLAG_*` capability bits of `SecPkgInfo.fCapabilities`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PackageCapabilities: u32 {
        /// Supports message integrity (MakeSignature / VerifySignature).
        const INTEGRITY = 0x0000_0001;
        /// Supports message privacy (EncryptMessage / DecryptMessage).
        const PRIVACY = 0x0000_0002;
        /// Uses only the token buffer.
        const TOKEN_ONLY = 0x0000_0004;
        /// Supports datagram-style authentication.
        const DATAGRAM = 0x0000_0008;
        /// Supports connection-oriented authentication.
        const CONNECTION = 0x0000_0010;
        /// Multiple legs are required.
        const MULTI_REQUIRED = 0x0000_0020;
        /// Client side only.
        const CLIENT_ONLY = 0x0000_0040;
        /// Extended error handling.
        const EXTENDED_ERROR = 0x0000_0080;
        /// Supports Windows impersonation.
        const IMPERSONATION = 0x0000_0100;
        /// Accepts Windows credentials.
        const ACCEPT_WIN32_NAME = 0x0000_0200;
        /// Supports stream semantics.
        const STREAM = 0x0000_0400;
        /// Can be used by the Negotiate package.
        const NEGOTIABLE = 0x0000_0800;
        /// GSS-API compatible.
        const GSS_COMPATIBLE = 0x0000_1000;
        /// Supports LsaLogonUser.
        const LOGON = 0x0000_2000;
        /// Token buffers are ASCII.
        const ASCII_BUFFERS = 0x0000_4000;
        /// Supports fragmented tokens.
        const FRAGMENT = 0x0000_8000;
        /// Supports mutual authentication.
        const MUTUAL_AUTH = 0x0001_0000;
        /// Supports delegation.
        const DELEGATION = 0x0002_0000;
        /// READONLY_WITH_CHECKSUM buffers are supported.
        const READONLY_WITH_CHECKSUM = 0x0004_0000;
        /// Restricted tokens are supported.
        const RESTRICTED_TOKENS = 0x0008_0000;
        /// Extends the Negotiate package (NegoExtender).
        const NEGO_EXTENDER = 0x0010_0000;
        /// Negotiable by NegoExtender.
        const NEGOTIABLE2 = 0x0020_0000;
        /// Supported in AppContainers.
        const APPCONTAINER_PASSTHROUGH = 0x0040_0000;
        /// Supported in AppContainers with checks.
        const APPCONTAINER_CHECKS = 0x0080_0000;
        /// Credential Guard compatible.
        const CREDENTIAL_ISOLATION_ENABLED = 0x0100_0000;
        /// Applies to the Lsa isolated process.
        const APPLY_LOOPBACK = 0x0200_0000;
    }
}

/// The security packages this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Package {
    /// NTLM (MS-NLMP), raw NTLMSSP tokens.
    Ntlm,
    /// Negotiate (SPNEGO, RFC 4178 / MS-SPNG) with NTLM as its only mechanism; Kerberos is
    /// declined.
    Negotiate,
}

/// `SecPkgInfo`: what EnumerateSecurityPackages reports for a package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PackageInfo {
    /// The package.
    pub package: Package,
    /// `Name`.
    pub name: &'static str,
    /// `Comment`.
    pub comment: &'static str,
    /// `fCapabilities`.
    pub capabilities: PackageCapabilities,
    /// `wVersion`.
    pub version: u16,
    /// `wRPCID`: the DCE RPC authentication service id.
    pub rpc_id: u16,
    /// `cbMaxToken`: the largest token the package produces.
    pub max_token: u32,
}

/// NTLM as Windows reports it: caps 0x00082B37, version 1, RPC id 10, max token 2888.
const NTLM: PackageInfo = PackageInfo {
    package: Package::Ntlm,
    name: "NTLM",
    comment: "NTLM Security Package",
    capabilities: PackageCapabilities::from_bits_retain(0x0008_2B37),
    version: 1,
    rpc_id: 10,
    max_token: 2888,
};

/// Negotiate as Windows reports it: caps 0x00083BB3, version 1, RPC id 9
/// (RPC_C_AUTHN_GSS_NEGOTIATE), max token 48256 (Windows 8 and later; Windows 7 said 12256).
const NEGOTIATE: PackageInfo = PackageInfo {
    package: Package::Negotiate,
    name: "Negotiate",
    comment: "Microsoft Package Negotiator",
    capabilities: PackageCapabilities::from_bits_retain(0x0008_3BB3),
    version: 1,
    rpc_id: 9,
    max_token: 48256,
};

/// EnumerateSecurityPackages: every package, Negotiate first as Windows lists it.
pub const fn packages() -> &'static [PackageInfo] {
    &[NEGOTIATE, NTLM]
}

impl Package {
    /// QuerySecurityPackageInfo by name, case-insensitively; an unknown name (including
    /// `Kerberos`, which needs a KDC) is [`ErrorKind::SecPkgNotFound`].
    pub fn from_name(name: &str) -> Result<Self> {
        packages()
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.package)
            .ok_or(Error::new(ErrorKind::SecPkgNotFound, "no security package by that name"))
    }

    /// This package's `SecPkgInfo`.
    pub const fn info(self) -> &'static PackageInfo {
        match self {
            Self::Ntlm => &NTLM,
            Self::Negotiate => &NEGOTIATE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_values() {
        let ntlm = Package::from_name("ntlm").unwrap().info();
        assert_eq!(ntlm.capabilities.bits(), 0x0008_2B37);
        assert_eq!((ntlm.version, ntlm.rpc_id, ntlm.max_token), (1, 10, 2888));
        assert!(
            ntlm.capabilities
                .contains(PackageCapabilities::INTEGRITY | PackageCapabilities::PRIVACY)
        );
        let nego = Package::from_name("NEGOTIATE").unwrap().info();
        assert_eq!(nego.capabilities.bits(), 0x0008_3BB3);
        assert_eq!((nego.version, nego.rpc_id, nego.max_token), (1, 9, 48256));
        assert_eq!(Package::from_name("Kerberos").unwrap_err().kind(), ErrorKind::SecPkgNotFound);
        assert_eq!(packages().len(), 2);
    }
}
