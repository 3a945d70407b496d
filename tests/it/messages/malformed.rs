//! Malformed input: every structural fault is `InvalidToken` with a detail naming the field.

use core::fmt::Debug;

use sspi_proto::ntlm::messages::{
    AuthenticateMessage, AvPair, AvPairs, ChallengeMessage, NegotiateMessage,
    NtlmV2ClientChallenge, NtlmV2Response, message_type,
};
use sspi_proto::{ErrorKind, NegotiateFlags, Result};

use super::{V1_AUTHENTICATE, V1_CHALLENGE, V2_AUTHENTICATE, V2_CHALLENGE, hex};

/// Asserts an `InvalidToken` error whose detail contains `needle`.
#[track_caller]
fn assert_invalid<T: Debug>(result: Result<T>, needle: &str) {
    let e = result.expect_err("decoding should fail");
    assert_eq!(e.kind(), ErrorKind::InvalidToken, "{e}");
    assert!(e.detail().contains(needle), "detail {:?} lacks {needle:?}", e.detail());
}

/// `hex_msg` with `bytes` written at `at`.
fn patched(hex_msg: &str, at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut m = hex(hex_msg);
    m[at..at + bytes.len()].copy_from_slice(bytes);
    m
}

/// A security buffer header: len, maxlen, offset.
fn sb(len: u16, offset: u32) -> Vec<u8> {
    [&len.to_le_bytes()[..], &len.to_le_bytes(), &offset.to_le_bytes()].concat()
}

#[test]
fn empty_input() {
    assert_invalid(NegotiateMessage::decode(&[]), "NEGOTIATE empty input");
    assert_invalid(ChallengeMessage::decode(&[]), "CHALLENGE empty input");
    assert_invalid(AuthenticateMessage::decode(&[]), "AUTHENTICATE empty input");
    assert_invalid(message_type(&[]), "empty input");
    assert_invalid(AvPairs::decode(&[]), "AV list without MsvAvEOL");
    assert_invalid(NtlmV2Response::decode(&[]), "NTLMv2 response shorter than its fixed header");
}

#[test]
fn wrong_signature() {
    let bad = patched(V1_AUTHENTICATE, 4, b"SSX");
    assert_invalid(AuthenticateMessage::decode(&bad), "AUTHENTICATE signature is not NTLMSSP");
    assert_invalid(message_type(&bad), "signature is not NTLMSSP");
    let bad = patched(V1_CHALLENGE, 0, b"ntlm");
    assert_invalid(ChallengeMessage::decode(&bad), "CHALLENGE signature is not NTLMSSP");
    // A signature cut short is a wrong signature too.
    assert_invalid(NegotiateMessage::decode(b"NTLM"), "NEGOTIATE signature is not NTLMSSP");
}

#[test]
fn wrong_message_type() {
    let challenge = hex(V1_CHALLENGE);
    let authenticate = hex(V1_AUTHENTICATE);
    assert_invalid(AuthenticateMessage::decode(&challenge), "AUTHENTICATE message type is not 3");
    assert_invalid(ChallengeMessage::decode(&authenticate), "CHALLENGE message type is not 2");
    assert_invalid(NegotiateMessage::decode(&challenge), "NEGOTIATE message type is not 1");
    let other = patched(V1_CHALLENGE, 8, &7u32.to_le_bytes());
    assert_eq!(message_type(&other).unwrap(), 7);
    assert_invalid(ChallengeMessage::decode(&other), "CHALLENGE message type is not 2");
}

#[test]
fn truncated_header() {
    let a = hex(V1_AUTHENTICATE);
    assert_invalid(
        AuthenticateMessage::decode(&a[..63]),
        "AUTHENTICATE message shorter than its fixed header",
    );
    assert_invalid(
        AuthenticateMessage::decode(&a[..10]),
        "AUTHENTICATE message shorter than its fixed header",
    );
    assert_invalid(message_type(&a[..10]), "type truncated");
    let c = hex(V1_CHALLENGE);
    assert_invalid(
        ChallengeMessage::decode(&c[..47]),
        "CHALLENGE message shorter than its fixed header",
    );
    // VERSION is set, so the 8 Version bytes at 48 are part of the fixed header.
    assert_invalid(
        ChallengeMessage::decode(&c[..52]),
        "CHALLENGE message shorter than its fixed header",
    );
    let mut n = b"NTLMSSP\0\x01\0\0\0".to_vec();
    n.extend((NegotiateFlags::VERSION.bits()).to_le_bytes());
    n.extend([0; 16]);
    assert_invalid(
        NegotiateMessage::decode(&n[..31]),
        "NEGOTIATE message shorter than its fixed header",
    );
    assert_invalid(NegotiateMessage::decode(&n), "NEGOTIATE message shorter than its fixed header");
}

#[test]
fn offset_or_length_past_end() {
    // NtChallengeResponse (24 bytes) moved to the very end of the 172-byte message.
    let bad = patched(V1_AUTHENTICATE, 20, &sb(24, 172));
    assert_invalid(
        AuthenticateMessage::decode(&bad),
        "AUTHENTICATE NtChallengeResponse offset or length past end of message",
    );
    // EncryptedRandomSessionKey one byte longer than what is left (156 + 17 > 172).
    let bad = patched(V1_AUTHENTICATE, 52, &sb(17, 156));
    assert_invalid(
        AuthenticateMessage::decode(&bad),
        "AUTHENTICATE EncryptedRandomSessionKey offset or length past end of message",
    );
    let bad = patched(V2_CHALLENGE, 40, &sb(0x24, 69));
    assert_invalid(
        ChallengeMessage::decode(&bad),
        "CHALLENGE TargetInfo offset or length past end",
    );
    let bad = patched(V2_CHALLENGE, 12, &sb(12, 0x1_0000));
    assert_invalid(
        ChallengeMessage::decode(&bad),
        "CHALLENGE TargetName offset or length past end",
    );
    let mut n = b"NTLMSSP\0\x01\0\0\0\0\x30\0\0".to_vec();
    n.extend(sb(4, 32));
    n.extend(sb(4, 36));
    n.extend(b"DOMAWS");
    assert_invalid(NegotiateMessage::decode(&n), "NEGOTIATE Workstation offset or length past end");
    n.extend(b"ST");
    assert_eq!(NegotiateMessage::decode(&n).unwrap().workstation.as_deref(), Some("WSST"));
}

#[test]
fn offset_plus_length_overflowing_u32() {
    for offset in [u32::MAX, u32::MAX - 0x10, 0xFFFF_0001] {
        let bad = patched(V1_AUTHENTICATE, 12, &sb(0xFFFF, offset));
        assert_invalid(
            AuthenticateMessage::decode(&bad),
            "AUTHENTICATE LmChallengeResponse offset or length past end of message",
        );
    }
}

#[test]
fn odd_length_or_invalid_utf16() {
    let bad = patched(V1_AUTHENTICATE, 36, &sb(7, 0x54));
    assert_invalid(
        AuthenticateMessage::decode(&bad),
        "AUTHENTICATE UserName is odd-length or invalid UTF-16",
    );
    // "Domain" with its first unit replaced by a lone high surrogate.
    let bad = patched(V1_AUTHENTICATE, 72, &[0x00, 0xd8]);
    assert_invalid(
        AuthenticateMessage::decode(&bad),
        "AUTHENTICATE DomainName is odd-length or invalid UTF-16",
    );
    let bad = patched(V1_CHALLENGE, 12, &sb(11, 0x38));
    assert_invalid(
        ChallengeMessage::decode(&bad),
        "CHALLENGE TargetName is odd-length or invalid UTF-16",
    );
    // Without UNICODE the same bytes are OEM and always decode.
    let mut oem = hex(V1_CHALLENGE);
    oem[20] &= !1;
    assert_eq!(ChallengeMessage::decode(&oem).unwrap().target_name, "S\0e\0r\0v\0e\0r\0");
    assert_invalid(
        AvPairs::decode(&hex("02000300440000 00000000")),
        "AV pair MsvAvNbDomainName is odd-length or invalid UTF-16",
    );
    assert_invalid(
        AvPairs::decode(&hex("09000200 00dc 00000000")),
        "AV pair MsvAvTargetName is odd-length or invalid UTF-16",
    );
}

#[test]
fn av_list_without_eol() {
    // The CHALLENGE TargetInfo cut 4 bytes short: the MsvAvEOL is gone.
    let bad = patched(V2_CHALLENGE, 40, &sb(0x20, 0x44));
    assert_invalid(ChallengeMessage::decode(&bad), "AV list without MsvAvEOL");
    assert_invalid(AvPairs::decode(&hex("02000200 4400")), "AV list without MsvAvEOL");
    assert_invalid(AvPairs::decode(&hex("02000200 4400 0000")), "AV list without MsvAvEOL");
    assert_invalid(NtlmV2ClientChallenge::decode(&[0; 28]), "AV list without MsvAvEOL");
}

#[test]
fn av_length_past_the_blob() {
    assert_invalid(AvPairs::decode(&hex("0200ff00 4400")), "AV pair AvLen past end of AV list");
    // Inside an NTLMv2 response: the first pair of the blob (at 16 + 28) claims 0x7f00 bytes.
    let auth = AuthenticateMessage::decode(&hex(V2_AUTHENTICATE)).unwrap();
    let mut nt = auth.nt_challenge_response.clone();
    nt[44 + 2..44 + 4].copy_from_slice(&0x7f00u16.to_le_bytes());
    assert_invalid(NtlmV2Response::decode(&nt), "AV pair AvLen past end of AV list");
}

#[test]
fn av_fixed_values_of_wrong_size() {
    let cases = [
        ("07000400 01020304", "AV pair MsvAvTimestamp value is not 8 bytes"),
        ("06000200 0200", "AV pair MsvAvFlags value is not 4 bytes"),
        (
            "0a000f00 000102030405060708090a0b0c0d0e",
            "AV pair MsvAvChannelBindings value is not 16 bytes",
        ),
    ];
    for (pair, detail) in cases {
        assert_invalid(AvPairs::decode(&hex(&format!("{pair} 00000000"))), detail);
    }
    let mut single_host = hex("08002f00");
    single_host.extend([0; 47 + 4]);
    assert_invalid(AvPairs::decode(&single_host), "AV pair MsvAvSingleHost value is not 48 bytes");
}

#[test]
fn ntlmv2_response_shorter_than_fixed_header() {
    let auth = AuthenticateMessage::decode(&hex(V2_AUTHENTICATE)).unwrap();
    let nt = &auth.nt_challenge_response;
    assert_invalid(
        NtlmV2Response::decode(&nt[..43]),
        "NTLMv2 response shorter than its fixed header",
    );
    // NTLMv1's 24-byte response is not an NTLMv2 response.
    let v1 = AuthenticateMessage::decode(&hex(V1_AUTHENTICATE)).unwrap();
    assert_invalid(
        NtlmV2Response::decode(&v1.nt_challenge_response),
        "NTLMv2 response shorter than its fixed header",
    );
    assert_invalid(
        NtlmV2ClientChallenge::decode(&nt[16..16 + 27]),
        "NTLMv2 client challenge shorter than its fixed header",
    );
    // The fixed header alone, with no MsvAvEOL after it.
    assert_invalid(NtlmV2Response::decode(&nt[..44]), "AV list without MsvAvEOL");
}

#[test]
fn encode_refuses_what_the_wire_cannot_carry() {
    let e = NegotiateMessage {
        flags: NegotiateFlags::OEM_DOMAIN_SUPPLIED,
        domain: Some("\u{0394}omain".into()),
        workstation: None,
        version: None,
    }
    .encode();
    assert_invalid(e, "NEGOTIATE DomainName has a character outside the OEM (Latin-1) range");

    let mut a = AuthenticateMessage::decode(&hex(V1_AUTHENTICATE)).unwrap();
    a.user = "u".repeat(32_768);
    assert_invalid(a.encode(), "AUTHENTICATE UserName is longer than 65535 bytes");
    a.user = "u".repeat(32_767);
    assert!(a.encode().is_ok());
    a.nt_challenge_response = vec![0; 65_536];
    assert_invalid(a.encode(), "AUTHENTICATE NtChallengeResponse is longer than 65535 bytes");

    let unknown_with_known_id = AvPairs::from(vec![AvPair::Unknown { id: 0, value: vec![] }]);
    assert_invalid(unknown_with_known_id.encode(), "AV pair Unknown uses a defined AvId");
    let huge = AvPairs::from(vec![AvPair::Unknown { id: 99, value: vec![0; 65_536] }]);
    assert_invalid(huge.encode(), "AV pair value is longer than 65535 bytes");

    let mut c = ChallengeMessage::decode(&hex(V2_CHALLENGE)).unwrap();
    c.target_info = Some(AvPairs::from(vec![AvPair::Unknown { id: 99, value: vec![0; 65_530] }]));
    assert_invalid(c.encode(), "CHALLENGE TargetInfo is longer than 65535 bytes");
}
