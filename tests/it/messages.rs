//! NTLM message codec (MS-NLMP 2.2): the §4.2 vectors and a Windows capture decoded field by
//! field and re-encoded byte for byte, malformed inputs, and properties.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod malformed;
mod props;

use sspi_proto::ntlm::messages::{
    AuthenticateMessage, AvFlags, AvId, AvPair, AvPairs, ChallengeMessage, NegotiateMessage,
    NtlmV2ClientChallenge, NtlmV2Response, SingleHost, Version, message_type, zero_mic,
};
use sspi_proto::{FileTime, NegotiateFlags};

pub use crate::support::hex;

// MS-NLMP 4.2.2.3
pub const V1_CHALLENGE: &str = "4e544c4d53535000020000000c000c0038000000338202e20123456789abcdef00000000000000000000000000000000060070170000000f530065007200760065007200";
pub const V1_AUTHENTICATE: &str = "4e544c4d5353500003000000180018006c00000018001800840000000c000c00480000000800080054000000100010005c000000100010009c000000358280e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520098def7b87f88aa5dafe2df779688a172def11c7d5ccdef1367c43011f30298a2ad35ece64f16331c44bdbed927841f94518822b1b3f350c8958682ecbb3e3cb7";
// MS-NLMP 4.2.4
pub const V2_AV_PAIRS: &str =
    "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000";
pub const V2_TEMP: &str = "01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000";
pub const V2_CHALLENGE: &str = "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000";
pub const V2_AUTHENTICATE: &str = "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e";
// The captured Windows 7 / Server 2008 R2 exchange (vectors/ms-nlmp.md).
pub const WIN_CHALLENGE: &str = concat!(
    "4e544c4d53535000020000001000100038000000058289a2a2c5e8ca3084aa720000000000000000b600b60048000000",
    "0601b01d0000000f57005300320030003000380052003200020010005700530032003000300038005200320001001600",
    "440043002d005700530032003000300038005200320004001c00770073003200300030003800720032002e006c006f00",
    "630061006c0003003400440043002d00770073003200300030003800720032002e007700730032003000300038007200",
    "32002e006c006f00630061006c0005001c00770073003200300030003800720032002e006c006f00630061006c000700",
    "08007be73fc30bdecd0100000000",
);
pub const WIN_AUTHENTICATE: &str = concat!(
    "4e544c4d535350000300000018001800940000007c017c01ac00000010001000580000001a001a006800000012001200",
    "820000000000000028020000058288a20601b01d0000000ff054a542b090b66c1fea1a2cc82e930b5700530032003000",
    "3000380052003200410064006d0069006e006900730074007200610074006f007200570049004e0037002d0032002d00",
    "500043000000000000000000000000000000000000000000000000005a6a21ae1a44c044693eee59fc5d81e001010000",
    "000000007be73fc30bdecd0127fc118082c2fbdd00000000020010005700530032003000300038005200320001001600",
    "440043002d005700530032003000300038005200320004001c00770073003200300030003800720032002e006c006f00",
    "630061006c0003003400440043002d00770073003200300030003800720032002e007700730032003000300038007200",
    "32002e006c006f00630061006c0005001c00770073003200300030003800720032002e006c006f00630061006c000700",
    "08007be73fc30bdecd01060004000200000008003000300000000000000001000000002000004d6b0d27541022f5ffa6",
    "73da2bfcfdf1942f257be11a49c954197aca8aaf2eaf0a0010006586e99d81c2fc984e47172fd4dd031009003e004800",
    "5400540050002f00640063002d00770073003200300030003800720032002e0077007300320030003000380072003200",
    "2e006c006f00630061006c00000000000000000000000000",
);

const SPEC_SERVER_VERSION: Version = Version { major: 6, minor: 0, build: 6000, revision: 15 };
const SPEC_CLIENT_VERSION: Version = Version { major: 5, minor: 1, build: 2600, revision: 15 };
const WIN_VERSION: Version = Version { major: 6, minor: 1, build: 7600, revision: 15 };
const WIN_TIME: FileTime = FileTime(0x01cd_de0b_c33f_e77b);

fn flags(bits: u32) -> NegotiateFlags {
    NegotiateFlags::from_bits_retain(bits)
}

fn spec_av_pairs() -> AvPairs {
    AvPairs::from(vec![
        AvPair::NbDomainName("Domain".into()),
        AvPair::NbComputerName("Server".into()),
    ])
}

fn win_server_av_pairs() -> Vec<AvPair> {
    vec![
        AvPair::NbDomainName("WS2008R2".into()),
        AvPair::NbComputerName("DC-WS2008R2".into()),
        AvPair::DnsDomainName("ws2008r2.local".into()),
        AvPair::DnsComputerName("DC-ws2008r2.ws2008r2.local".into()),
        AvPair::DnsTreeName("ws2008r2.local".into()),
        AvPair::Timestamp(WIN_TIME),
    ]
}

#[test]
fn spec_v1_challenge() {
    let bytes = hex(V1_CHALLENGE);
    assert_eq!(bytes.len(), 68);
    assert_eq!(message_type(&bytes).unwrap(), 2);
    let m = ChallengeMessage::decode(&bytes).unwrap();
    assert_eq!(
        m,
        ChallengeMessage {
            flags: flags(0xE202_8233),
            target_name: "Server".into(),
            server_challenge: hex("0123456789abcdef").try_into().unwrap(),
            reserved: [0; 8],
            target_info: None,
            version: Some(SPEC_SERVER_VERSION),
        }
    );
    // The absent TargetInfo is written len 0, maxlen 0, offset 0 — not the payload end.
    assert_eq!(&bytes[40..48], &[0; 8]);
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn spec_v1_authenticate() {
    let bytes = hex(V1_AUTHENTICATE);
    assert_eq!(bytes.len(), 172);
    assert_eq!(message_type(&bytes).unwrap(), 3);
    let m = AuthenticateMessage::decode(&bytes).unwrap();
    assert_eq!(
        m,
        AuthenticateMessage {
            flags: flags(0xE280_8235),
            lm_challenge_response: hex("98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13"),
            nt_challenge_response: hex("67c43011f30298a2ad35ece64f16331c44bdbed927841f94"),
            domain: "Domain".into(),
            user: "User".into(),
            workstation: "COMPUTER".into(),
            encrypted_random_session_key: hex("518822b1b3f350c8958682ecbb3e3cb7"),
            version: SPEC_CLIENT_VERSION,
            mic: None,
        }
    );
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn spec_v2_challenge() {
    let bytes = hex(V2_CHALLENGE);
    assert_eq!(bytes.len(), 104);
    let m = ChallengeMessage::decode(&bytes).unwrap();
    assert_eq!(m.flags, flags(0xE28A_8233));
    assert_eq!(m.target_name, "Server");
    assert_eq!(m.server_challenge.to_vec(), hex("0123456789abcdef"));
    assert_eq!(m.reserved, [0; 8]);
    assert_eq!(m.version, Some(SPEC_SERVER_VERSION));
    let info = m.target_info.as_ref().unwrap();
    assert_eq!(info, &spec_av_pairs());
    assert_eq!(info.nb_domain_name(), Some("Domain"));
    assert_eq!(info.nb_computer_name(), Some("Server"));
    assert_eq!(info.get_timestamp(), None);
    assert_eq!(info.encode().unwrap(), hex(V2_AV_PAIRS));
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn spec_v2_authenticate() {
    let bytes = hex(V2_AUTHENTICATE);
    assert_eq!(bytes.len(), 232);
    let m = AuthenticateMessage::decode(&bytes).unwrap();
    assert_eq!(m.flags, flags(0xE288_8235));
    assert_eq!(m.domain, "Domain");
    assert_eq!(m.user, "User");
    assert_eq!(m.workstation, "COMPUTER");
    assert_eq!(m.lm_challenge_response, hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
    assert_eq!(m.encrypted_random_session_key, hex("c5dad2544fc9799094ce1ce90bc9d03e"));
    assert_eq!(m.version, SPEC_CLIENT_VERSION);
    assert_eq!(m.mic, None);

    let nt = NtlmV2Response::decode(&m.nt_challenge_response).unwrap();
    assert_eq!(nt.nt_proof_str.to_vec(), hex("68cd0ab851e51c96aabc927bebef6a1c"));
    assert_eq!(nt.blob.resp_type(), 1);
    assert_eq!(nt.blob.hi_resp_type(), 1);
    assert_eq!(nt.blob.timestamp(), FileTime(0));
    assert_eq!(nt.blob.client_challenge(), &[0xaa; 8]);
    assert_eq!(nt.blob.av_pairs(), &spec_av_pairs());
    assert_eq!(nt.blob.raw(), hex(V2_TEMP).as_slice());
    assert_eq!(nt.encode(), m.nt_challenge_response);
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn spec_v2_temp_is_built_byte_for_byte() {
    // MS-NLMP 4.2.4.1.3: temp from Time = 0, ClientChallenge = aa*8 and the CHALLENGE's pairs.
    let challenge = ChallengeMessage::decode(&hex(V2_CHALLENGE)).unwrap();
    let blob =
        NtlmV2ClientChallenge::new(FileTime(0), [0xaa; 8], challenge.target_info.unwrap()).unwrap();
    assert_eq!(blob.raw(), hex(V2_TEMP).as_slice());
    assert_eq!(blob.raw().len(), 68);
    assert_eq!(NtlmV2ClientChallenge::decode(blob.raw()).unwrap(), blob);
}

#[test]
fn windows_challenge() {
    let bytes = hex(WIN_CHALLENGE);
    assert_eq!(bytes.len(), 254);
    let m = ChallengeMessage::decode(&bytes).unwrap();
    assert_eq!(m.flags, flags(0xa289_8205));
    assert_eq!(m.target_name, "WS2008R2");
    assert_eq!(m.server_challenge.to_vec(), hex("a2c5e8ca3084aa72"));
    assert_eq!(m.reserved, [0; 8]);
    assert_eq!(m.version, Some(WIN_VERSION));
    let info = m.target_info.as_ref().unwrap();
    assert_eq!(info.as_slice(), win_server_av_pairs().as_slice());
    assert_eq!(info.get_timestamp(), Some(WIN_TIME));
    assert_eq!(info.dns_domain_name(), Some("ws2008r2.local"));
    assert_eq!(info.dns_computer_name(), Some("DC-ws2008r2.ws2008r2.local"));
    assert_eq!(info.dns_tree_name(), Some("ws2008r2.local"));
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn windows_authenticate() {
    let bytes = hex(WIN_AUTHENTICATE);
    assert_eq!(bytes.len(), 552);
    let m = AuthenticateMessage::decode(&bytes).unwrap();
    assert_eq!(m.flags, flags(0xa288_8205));
    assert_eq!(m.domain, "WS2008R2");
    assert_eq!(m.user, "Administrator");
    assert_eq!(m.workstation, "WIN7-2-PC");
    assert_eq!(m.lm_challenge_response, [0; 24]);
    assert_eq!(m.nt_challenge_response.len(), 380);
    assert!(m.encrypted_random_session_key.is_empty());
    assert_eq!(m.version, WIN_VERSION);
    assert_eq!(m.mic.unwrap().to_vec(), hex("f054a542b090b66c1fea1a2cc82e930b"));
    assert_eq!(AuthenticateMessage::MIC_OFFSET, 72, "MS-NLMP 2.2.1.3: header 64 + Version 8");
    assert_eq!(&bytes[72..88], hex("f054a542b090b66c1fea1a2cc82e930b").as_slice());
    // The empty EncryptedRandomSessionKey points at the end of the message (552 = 0x228).
    assert_eq!(&bytes[52..60], hex("0000000028020000").as_slice());
    assert_eq!(m.encode().unwrap(), bytes);

    let nt = NtlmV2Response::decode(&m.nt_challenge_response).unwrap();
    assert_eq!(nt.nt_proof_str.to_vec(), hex("5a6a21ae1a44c044693eee59fc5d81e0"));
    let blob = &nt.blob;
    assert_eq!((blob.resp_type(), blob.hi_resp_type()), (1, 1));
    assert_eq!(blob.timestamp(), WIN_TIME);
    assert_eq!(blob.client_challenge().to_vec(), hex("27fc118082c2fbdd"));
    let mut expected = win_server_av_pairs();
    expected.extend([
        AvPair::Flags(AvFlags::MIC_PRESENT),
        AvPair::SingleHost(SingleHost {
            size: 48,
            z4: 0,
            custom_data: hex("0100000000200000").try_into().unwrap(),
            machine_id: hex("4d6b0d27541022f5ffa673da2bfcfdf1942f257be11a49c954197aca8aaf2eaf")
                .try_into()
                .unwrap(),
        }),
        AvPair::ChannelBindings(hex("6586e99d81c2fc984e47172fd4dd0310").try_into().unwrap()),
        AvPair::TargetName("HTTP/dc-ws2008r2.ws2008r2.local".into()),
    ]);
    let pairs = blob.av_pairs();
    assert_eq!(pairs.as_slice(), expected.as_slice());
    assert_eq!(pairs.get_flags(), Some(AvFlags::MIC_PRESENT));
    assert_eq!(pairs.get_flags().unwrap().bits(), 2);
    assert_eq!(pairs.get_timestamp(), Some(WIN_TIME));
    assert_eq!(pairs.get_target_name(), Some("HTTP/dc-ws2008r2.ws2008r2.local"));
    assert_eq!(
        pairs.get_channel_bindings().unwrap().to_vec(),
        hex("6586e99d81c2fc984e47172fd4dd0310")
    );
    assert_eq!(pairs.get_single_host().unwrap().size, 48);
    assert!(pairs.get(AvId::SINGLE_HOST).is_some());

    // Windows ends this blob with Z(8) after MsvAvEOL, not the Z(4) of MS-NLMP 3.3.2: the
    // blob must be kept as received, a re-serialisation would not verify.
    assert_eq!(blob.raw(), &m.nt_challenge_response[16..]);
    assert!(blob.raw().ends_with(&[0; 4 + 8]));
    let rebuilt =
        NtlmV2ClientChallenge::new(blob.timestamp(), *blob.client_challenge(), pairs.clone())
            .unwrap();
    assert_eq!(rebuilt.raw().len() + 4, blob.raw().len());
    assert_ne!(rebuilt, *blob);
    assert_eq!(nt.encode(), m.nt_challenge_response);
}

#[test]
fn mic_can_be_zeroed_in_received_and_encoded_bytes() {
    let bytes = hex(WIN_AUTHENTICATE);
    let mut zeroed = bytes.clone();
    zero_mic(&mut zeroed).unwrap();
    assert_eq!(&zeroed[72..88], &[0; 16]);
    assert_eq!(&zeroed[..72], &bytes[..72]);
    assert_eq!(&zeroed[88..], &bytes[88..]);
    let m = AuthenticateMessage::decode(&bytes).unwrap();
    assert_eq!(m.encode_with_zero_mic().unwrap(), zeroed);
    // Without a MIC, encode_with_zero_mic still lays the message out with the MIC field.
    let v2 = AuthenticateMessage::decode(&hex(V2_AUTHENTICATE)).unwrap();
    let with_field = v2.encode_with_zero_mic().unwrap();
    assert_eq!(with_field.len(), 232 + 16);
    let back = AuthenticateMessage::decode(&with_field).unwrap();
    assert_eq!(back.mic, Some([0; 16]));
    assert_eq!(AuthenticateMessage { mic: None, ..back }, v2);
    let e = zero_mic(&mut [0u8; 87]).unwrap_err();
    assert!(e.detail().contains("MIC"));
}

#[test]
fn negotiate_layout() {
    // MS-NLMP 2.2.1.1 laid out by hand: header 32, Version at 32, payload from 40.
    let m = NegotiateMessage {
        flags: flags(0xE208_B2B7),
        domain: Some("DOMAIN".into()),
        workstation: Some("WS".into()),
        version: Some(Version::WINDOWS_10),
    };
    let expected = hex(concat!(
        "4e544c4d5353500001000000",
        "b7b208e2",
        "0600060028000000",
        "020002002e000000",
        "0a00654a0000000f",
        "444f4d41494e",
        "5753",
    ));
    assert_eq!(m.encode().unwrap(), expected);
    assert_eq!(message_type(&expected).unwrap(), 1);
    assert_eq!(NegotiateMessage::decode(&expected).unwrap(), m);

    // Absent fields: len, maxlen and offset all zero; no VERSION flag, no Version field.
    let bare = NegotiateMessage {
        flags: flags(0x0000_0207),
        domain: None,
        workstation: Some(String::new()),
        version: None,
    };
    let expected = hex("4e544c4d535350000100000007020000 0000000000000000 0000000000000000");
    assert_eq!(bare.encode().unwrap(), expected);
    let back = NegotiateMessage::decode(&expected).unwrap();
    assert_eq!(back, NegotiateMessage { workstation: None, ..bare });
}

#[test]
fn oem_strings_are_latin1() {
    let m = NegotiateMessage {
        flags: flags(0x3000),
        domain: Some("Dom\u{e9}ne".into()),
        workstation: None,
        version: None,
    };
    let bytes = m.encode().unwrap();
    assert!(bytes.ends_with(b"Dom\xe9ne"));
    assert_eq!(NegotiateMessage::decode(&bytes).unwrap(), m);
    // OEM AUTHENTICATE strings too, when UNICODE is off.
    let mut a = AuthenticateMessage::decode(&hex(V1_AUTHENTICATE)).unwrap();
    a.flags.remove(NegotiateFlags::UNICODE);
    let bytes = a.encode().unwrap();
    assert_eq!(&bytes[72..78], b"Domain");
    assert_eq!(AuthenticateMessage::decode(&bytes).unwrap(), a);
}

#[test]
fn av_pairs_keep_unknown_ids_and_order() {
    let bytes = hex("0b00020001ff 07000800 7be73fc30bdecd01 ffff0000 00000000");
    let pairs = AvPairs::decode(&bytes).unwrap();
    assert_eq!(
        pairs.as_slice(),
        &[
            AvPair::Unknown { id: 0x0b, value: vec![0x01, 0xff] },
            AvPair::Timestamp(WIN_TIME),
            AvPair::Unknown { id: 0xffff, value: vec![] },
        ]
    );
    assert_eq!(pairs.encode().unwrap(), bytes);
    // Bytes after MsvAvEOL are not part of the list.
    let mut longer = bytes.clone();
    longer.extend([1, 2, 3]);
    assert_eq!(AvPairs::decode_prefix(&longer).unwrap(), (pairs, bytes.len()));
    assert_eq!(AvId::TIMESTAMP.name(), Some("MsvAvTimestamp"));
    assert_eq!(AvId(11).name(), None);
}

#[test]
fn av_pairs_set_replaces_or_appends() {
    let mut pairs = spec_av_pairs();
    pairs.set(AvPair::NbDomainName("Other".into()));
    pairs.set(AvPair::Flags(AvFlags::MIC_PRESENT));
    pairs.set(AvPair::Timestamp(FileTime(5)));
    pairs.set(AvPair::Flags(AvFlags::MIC_PRESENT | AvFlags::UNVERIFIED_SPN));
    assert_eq!(
        pairs.as_slice(),
        &[
            AvPair::NbDomainName("Other".into()),
            AvPair::NbComputerName("Server".into()),
            AvPair::Flags(AvFlags::MIC_PRESENT | AvFlags::UNVERIFIED_SPN),
            AvPair::Timestamp(FileTime(5)),
        ]
    );
    assert_eq!(pairs.remove(AvId::NB_COMPUTER_NAME), Some(AvPair::NbComputerName("Server".into())));
    assert_eq!(pairs.remove(AvId::NB_COMPUTER_NAME), None);
    assert_eq!(pairs.len(), 3);
    assert_eq!(pairs.get_flags().unwrap().bits(), 0x6);
    assert_eq!(AvFlags::CONSTRAINED.bits(), 1);
}

#[test]
fn version_wire_form() {
    assert_eq!(SPEC_CLIENT_VERSION.encode().to_vec(), hex("0501280a0000000f"));
    assert_eq!(Version::decode(&hex("0601b01d0000000f")).unwrap(), WIN_VERSION);
    assert_eq!(Version::WINDOWS_10.revision, Version::NTLMSSP_REVISION_W2K3);
    let e = Version::decode(&[6, 1, 0xb0]).unwrap_err();
    assert!(e.detail().contains("VERSION"));
}
