//! NTLM wire flags (MS-NLMP 2.2.2.5).

bitflags::bitflags! {
    /// The 32 bits of the NTLM `NegotiateFlags` field (MS-NLMP 2.2.2.5), every bit named.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct NegotiateFlags: u32 {
        /// A: `NTLMSSP_NEGOTIATE_UNICODE` — strings are UTF-16LE.
        const UNICODE = 0x0000_0001;
        /// B: `NTLM_NEGOTIATE_OEM` — strings are in the OEM code page.
        const OEM = 0x0000_0002;
        /// C: `NTLMSSP_REQUEST_TARGET` — the server must return TargetName.
        const REQUEST_TARGET = 0x0000_0004;
        /// r10: reserved, must be zero.
        const R10 = 0x0000_0008;
        /// D: `NTLMSSP_NEGOTIATE_SIGN` — message integrity.
        const SIGN = 0x0000_0010;
        /// E: `NTLMSSP_NEGOTIATE_SEAL` — message confidentiality.
        const SEAL = 0x0000_0020;
        /// F: `NTLMSSP_NEGOTIATE_DATAGRAM` — connectionless authentication.
        const DATAGRAM = 0x0000_0040;
        /// G: `NTLMSSP_NEGOTIATE_LM_KEY` — LAN Manager session key (legacy).
        const LM_KEY = 0x0000_0080;
        /// r9: reserved, must be zero.
        const R9 = 0x0000_0100;
        /// H: `NTLMSSP_NEGOTIATE_NTLM` — NTLM v1 session security.
        const NTLM = 0x0000_0200;
        /// r8: reserved, must be zero.
        const R8 = 0x0000_0400;
        /// J: `NTLMSSP_NEGOTIATE_ANONYMOUS` — anonymous connection (`NTLMSSP_ANONYMOUS`).
        const ANONYMOUS = 0x0000_0800;
        /// K: `NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED` — NEGOTIATE carries a domain name.
        const OEM_DOMAIN_SUPPLIED = 0x0000_1000;
        /// L: `NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED` — NEGOTIATE carries a workstation.
        const OEM_WORKSTATION_SUPPLIED = 0x0000_2000;
        /// r7: reserved, must be zero.
        const R7 = 0x0000_4000;
        /// M: `NTLMSSP_NEGOTIATE_ALWAYS_SIGN` — a dummy signature even without SIGN.
        const ALWAYS_SIGN = 0x0000_8000;
        /// N: `NTLMSSP_TARGET_TYPE_DOMAIN` — TargetName is a domain.
        const TARGET_TYPE_DOMAIN = 0x0001_0000;
        /// O: `NTLMSSP_TARGET_TYPE_SERVER` — TargetName is a server.
        const TARGET_TYPE_SERVER = 0x0002_0000;
        /// r6: reserved, must be zero.
        const R6 = 0x0004_0000;
        /// P: `NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY` — NTLM2 session security (ESS).
        const EXTENDED_SESSIONSECURITY = 0x0008_0000;
        /// Q: `NTLMSSP_NEGOTIATE_IDENTIFY` — identify-level token.
        const IDENTIFY = 0x0010_0000;
        /// r5: reserved, must be zero.
        const R5 = 0x0020_0000;
        /// R: `NTLMSSP_REQUEST_NON_NT_SESSION_KEY` — LMOWF-based session key (legacy).
        const REQUEST_NON_NT_SESSION_KEY = 0x0040_0000;
        /// S: `NTLMSSP_NEGOTIATE_TARGET_INFO` — CHALLENGE carries TargetInfo.
        const TARGET_INFO = 0x0080_0000;
        /// r4: reserved, must be zero.
        const R4 = 0x0100_0000;
        /// T: `NTLMSSP_NEGOTIATE_VERSION` — the Version field is meaningful.
        const VERSION = 0x0200_0000;
        /// r3: reserved, must be zero.
        const R3 = 0x0400_0000;
        /// r2: reserved, must be zero.
        const R2 = 0x0800_0000;
        /// r1: reserved, must be zero.
        const R1 = 0x1000_0000;
        /// U: `NTLMSSP_NEGOTIATE_128` — 128-bit session key.
        const NEGOTIATE_128 = 0x2000_0000;
        /// V: `NTLMSSP_NEGOTIATE_KEY_EXCH` — the client sends an encrypted random session key.
        const KEY_EXCH = 0x4000_0000;
        /// W: `NTLMSSP_NEGOTIATE_56` — 56-bit session key.
        const NEGOTIATE_56 = 0x8000_0000;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_flag_values() {
        let f = NegotiateFlags::KEY_EXCH
            | NegotiateFlags::NEGOTIATE_56
            | NegotiateFlags::NEGOTIATE_128
            | NegotiateFlags::VERSION
            | NegotiateFlags::TARGET_INFO
            | NegotiateFlags::EXTENDED_SESSIONSECURITY
            | NegotiateFlags::TARGET_TYPE_SERVER
            | NegotiateFlags::ALWAYS_SIGN
            | NegotiateFlags::NTLM
            | NegotiateFlags::SEAL
            | NegotiateFlags::SIGN
            | NegotiateFlags::OEM
            | NegotiateFlags::UNICODE;
        assert_eq!(f.bits(), 0xE28A_8233);
        assert_eq!(NegotiateFlags::all().bits(), u32::MAX);
    }
}
