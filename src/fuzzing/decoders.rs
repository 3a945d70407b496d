//! Decoder targets: bytes into one wire type, then decode ∘ encode must be the identity.

use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt::Debug;

use crate::error::Result;
use crate::flags::NegotiateFlags;
use crate::ntlm::crypto::ChannelBindings;
use crate::ntlm::messages::{
    AuthenticateMessage, AvPairs, ChallengeMessage, NegotiateMessage, NtlmV2ClientChallenge,
    NtlmV2Response, Version, message_type, zero_mic,
};
use crate::spnego::{NegotiationToken, Oid, is_raw_ntlm};
use crate::time::FileTime;

/// Asserts that a decoded value re-encodes, and that its encoding decodes back to it.
#[track_caller]
fn round_trips<T: PartialEq + Debug>(
    what: &str,
    value: &T,
    encoded: Result<Vec<u8>>,
    decode: fn(&[u8]) -> Result<T>,
) {
    let bytes = match encoded {
        Ok(bytes) => bytes,
        Err(e) => panic!("{what}: a decoded value does not re-encode: {e:?}\n{value:?}"),
    };
    match decode(&bytes) {
        Ok(again) if again == *value => {}
        other => panic!("{what}: decode(encode(x)) != x\nx = {value:?}\ngot {other:?}"),
    }
}

/// NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
pub fn ntlm_negotiate(data: &[u8]) {
    let _ = message_type(data);
    if let Ok(message) = NegotiateMessage::decode(data) {
        round_trips("NEGOTIATE", &message, message.encode(), NegotiateMessage::decode);
    }
}

/// CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2), with its TargetInfo AV pairs.
pub fn ntlm_challenge(data: &[u8]) {
    if let Ok(message) = ChallengeMessage::decode(data) {
        round_trips("CHALLENGE", &message, message.encode(), ChallengeMessage::decode);
    }
}

/// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3); its NtChallengeResponse is decoded as NTLMv2 too,
/// as the server does.
pub fn ntlm_authenticate(data: &[u8]) {
    let Ok(message) = AuthenticateMessage::decode(data) else { return };
    round_trips("AUTHENTICATE", &message, message.encode(), AuthenticateMessage::decode);
    if message.mic.is_some() {
        let mut copy = data.to_vec();
        assert!(
            zero_mic(&mut copy).is_ok(),
            "AUTHENTICATE decoded a MIC that zero_mic cannot find"
        );
    }
    if let Ok(response) = NtlmV2Response::decode(&message.nt_challenge_response) {
        assert_eq!(response.encode(), message.nt_challenge_response, "NTLMv2 response not kept");
    }
}

/// An AV pair list (MS-NLMP 2.2.2.1): the pairs before `MsvAvEOL` re-encode byte for byte.
pub fn av_pairs(data: &[u8]) {
    let Ok((pairs, used)) = AvPairs::decode_prefix(data) else { return };
    assert!(used <= data.len(), "AV list claims {used} bytes of {}", data.len());
    round_trips("AV pairs", &pairs, pairs.encode(), AvPairs::decode);
    if let Ok(bytes) = pairs.encode() {
        // Everything up to MsvAvEOL is kept as received; EOL is rewritten with AvLen 0.
        let before_eol = bytes.len().saturating_sub(4);
        assert_eq!(bytes.get(..before_eol), data.get(..before_eol), "AV pairs not kept");
    }
}

/// The NTLMv2 response (MS-NLMP 2.2.2.8) and its client challenge, the blob (2.2.2.7): both
/// keep their bytes exactly, and a blob rebuilt from the decoded fields decodes to them.
pub fn ntlmv2_response(data: &[u8]) {
    if let Ok(response) = NtlmV2Response::decode(data) {
        assert_eq!(response.encode(), data, "NTLMv2 response not kept as received");
    }
    let Ok(blob) = NtlmV2ClientChallenge::decode(data) else { return };
    assert_eq!(blob.raw(), data, "NTLMv2 blob not kept as received");
    let rebuilt = NtlmV2ClientChallenge::new(
        blob.timestamp(),
        *blob.client_challenge(),
        blob.av_pairs().clone(),
    );
    let again = match rebuilt.map(|b| NtlmV2ClientChallenge::decode(b.raw())) {
        Ok(Ok(again)) => again,
        other => panic!("a decoded blob does not rebuild: {other:?}\n{blob:?}"),
    };
    assert_eq!(
        (again.timestamp(), again.client_challenge(), again.av_pairs()),
        (blob.timestamp(), blob.client_challenge(), blob.av_pairs()),
        "rebuilt NTLMv2 blob differs"
    );
}

/// SPNEGO tokens (RFC 4178, MS-SPNG): the decoder accepts only canonical DER, so the
/// schema-free DER walk must accept it too and encode must give back the input exactly.
/// Also OIDs from raw contents, through dotted text.
pub fn spnego_token(data: &[u8]) {
    let _ = is_raw_ntlm(data);
    if let Ok(oid) = Oid::from_der_contents(data) {
        assert_eq!(oid.as_der_contents(), data, "OID contents not kept");
        let text = oid.to_string();
        assert_eq!(text.parse::<Oid>().as_ref(), Ok(&oid), "OID does not round-trip via {text}");
        let _ = oid.name();
    }
    let Ok(token) = NegotiationToken::decode(data) else { return };
    // The schema reader checks what it reads; the schema-free walk must agree it is DER.
    assert!(crate::spnego::der::validate(data).is_ok(), "accepted SPNEGO token is not DER");
    match token.encode() {
        Ok(bytes) if bytes == data => {}
        other => panic!("SPNEGO decode is not canonical: {token:?}\nre-encoded {other:?}"),
    }
    if let NegotiationToken::Init(init) = &token {
        let _ = init.mech_types_der();
    }
}

/// What [`roundtrip_messages`] builds from unstructured bytes.
#[derive(Debug, arbitrary::Arbitrary)]
enum Message {
    Negotiate(NegotiateMessage),
    Challenge(ChallengeMessage),
    Authenticate(AuthenticateMessage),
    AvPairs(AvPairs),
    NtlmV2 {
        nt_proof_str: [u8; 16],
        timestamp: FileTime,
        client_challenge: [u8; 8],
        pairs: AvPairs,
    },
    Version(Version),
}

/// Structure-aware: builds a message with `Arbitrary`, encodes it (values the encoder
/// refuses, such as a non-Latin-1 OEM string or an `Unknown` AV pair with a defined id, are
/// skipped), decodes the bytes and asserts that the same message comes back.
///
/// Two shapes have one encoding for several values, and are first brought to the one the
/// decoder returns: a NEGOTIATE or CHALLENGE `Version` is on the wire exactly when the
/// `VERSION` flag is set (MS-NLMP 2.2.1.1, 2.2.1.2), and an empty NEGOTIATE domain or
/// workstation is written as absent.
pub fn roundtrip_messages(data: &[u8]) {
    let Ok(message) = arbitrary::Unstructured::new(data).arbitrary::<Message>() else { return };
    match message {
        Message::Negotiate(mut m) => {
            m.flags.set(NegotiateFlags::VERSION, m.version.is_some());
            m.domain = m.domain.filter(|s| !s.is_empty());
            m.workstation = m.workstation.filter(|s| !s.is_empty());
            if let Ok(bytes) = m.encode() {
                round_trips("NEGOTIATE", &m, Ok(bytes), NegotiateMessage::decode);
            }
        }
        Message::Challenge(mut m) => {
            m.flags.set(NegotiateFlags::VERSION, m.version.is_some());
            if let Ok(bytes) = m.encode() {
                round_trips("CHALLENGE", &m, Ok(bytes), ChallengeMessage::decode);
            }
        }
        Message::Authenticate(m) => {
            if let Ok(bytes) = m.encode() {
                round_trips("AUTHENTICATE", &m, Ok(bytes), AuthenticateMessage::decode);
            }
        }
        Message::AvPairs(pairs) => {
            if let Ok(bytes) = pairs.encode() {
                round_trips("AV pairs", &pairs, Ok(bytes), AvPairs::decode);
            }
        }
        Message::NtlmV2 { nt_proof_str, timestamp, client_challenge, pairs } => {
            if let Ok(blob) = NtlmV2ClientChallenge::new(timestamp, client_challenge, pairs) {
                let response = NtlmV2Response { nt_proof_str, blob };
                round_trips(
                    "NTLMv2 response",
                    &response,
                    Ok(response.encode()),
                    NtlmV2Response::decode,
                );
            }
        }
        Message::Version(v) => {
            round_trips("VERSION", &v, Ok(v.encode().to_vec()), Version::decode);
        }
    }
}

/// A Windows `SEC_CHANNEL_BINDINGS` buffer: every field parsed is the slice its header
/// points at, and the same bindings laid out after a fresh header parse back to them.
pub fn channel_bindings(data: &[u8]) {
    let Ok(cb) = ChannelBindings::from_sec_channel_bindings(data) else { return };
    let words: Vec<u32> = data
        .chunks_exact(4)
        .take(8)
        .filter_map(|w| w.try_into().ok().map(u32::from_le_bytes))
        .collect();
    let Ok([itype, ilen, ioff, atype, alen, aoff, dlen, doff]) = <[u32; 8]>::try_from(words) else {
        panic!("accepted a header shorter than 32 bytes")
    };
    // An empty field is empty wherever its offset points (as for NTLM security buffers);
    // a non-empty one must lie inside the buffer.
    let field = |len: u32, offset: u32| {
        let start = offset as usize;
        if len == 0 {
            return &[][..];
        }
        start
            .checked_add(len as usize)
            .and_then(|end| data.get(start..end))
            .unwrap_or_else(|| panic!("accepted a field past the end"))
    };
    assert_eq!(cb.initiator_addrtype, itype);
    assert_eq!(cb.initiator_address, field(ilen, ioff));
    assert_eq!(cb.acceptor_addrtype, atype);
    assert_eq!(cb.acceptor_address, field(alen, aoff));
    assert_eq!(cb.application_data, field(dlen, doff));
    let values = [&cb.initiator_address, &cb.acceptor_address, &cb.application_data];
    let total: usize = values.iter().map(|v| v.len()).sum();
    assert_eq!(cb.to_bytes().len(), total.saturating_add(20), "flat channel bindings length");

    let mut header = Vec::new();
    let mut offset = 32u32;
    for (addrtype, value) in [(Some(itype), values[0]), (Some(atype), values[1]), (None, values[2])]
    {
        let len = u32::try_from(value.len()).unwrap_or_else(|_| panic!("field over 4 GiB"));
        header.extend(addrtype.map(u32::to_le_bytes).into_iter().flatten());
        header.extend(len.to_le_bytes().into_iter().chain(offset.to_le_bytes()));
        offset = offset.saturating_add(len);
    }
    let rebuilt = [header.as_slice(), values[0], values[1], values[2]].concat();
    match ChannelBindings::from_sec_channel_bindings(&rebuilt) {
        Ok(again) => assert_eq!(again, cb, "rebuilt SEC_CHANNEL_BINDINGS differs"),
        Err(e) => panic!("rebuilt SEC_CHANNEL_BINDINGS refused: {e:?}"),
    }
}
