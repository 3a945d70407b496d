//! Properties: no decoder panics on any input, decoding is idempotent through encode, and
//! generated messages survive `decode(encode(m)) == m`.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sspi_proto::ntlm::messages::{
    AuthenticateMessage, AvFlags, AvPair, AvPairs, ChallengeMessage, NegotiateMessage,
    NtlmV2ClientChallenge, NtlmV2Response, SingleHost, Version, message_type,
};
use sspi_proto::{FileTime, NegotiateFlags};

use super::{
    V1_AUTHENTICATE, V1_CHALLENGE, V2_AUTHENTICATE, V2_CHALLENGE, WIN_AUTHENTICATE, WIN_CHALLENGE,
    hex,
};

/// Any byte string, long enough to reach the payload of every message.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..400)
}

/// Bytes that are mostly zero or small, so that lengths and offsets read from them often
/// point inside the input and the decoders behind them run too.
fn small_bytes() -> impl Strategy<Value = Vec<u8>> {
    // Each u16 picks a byte: 60% zero, 30% below 0x60, 10% anything.
    vec(any::<u16>(), 0..400).prop_map(|v| {
        v.into_iter()
            .map(|x| {
                let [pick, byte] = x.to_le_bytes();
                match pick {
                    0..=153 => 0,
                    154..=230 => byte % 0x60,
                    _ => byte,
                }
            })
            .collect()
    })
}

/// `NTLMSSP\0`, a message type, then [`small_bytes`].
fn prefixed(ty: u32) -> impl Strategy<Value = Vec<u8>> {
    small_bytes().prop_map(move |rest| [&b"NTLMSSP\0"[..], &ty.to_le_bytes(), &rest].concat())
}

/// A valid message with a few bytes overwritten: reaches the deepest code.
fn mutated(hex_msgs: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (0..hex_msgs.len(), vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), any::<bool>())
        .prop_map(move |(which, edits, truncate)| {
            let mut m = hex(hex_msgs[which]);
            for (at, byte) in edits {
                let at = at.index(m.len());
                m[at] = byte;
            }
            if truncate {
                m.pop();
            }
            m
        })
}

const CHALLENGES: &[&str] = &[V1_CHALLENGE, V2_CHALLENGE, WIN_CHALLENGE];
const AUTHENTICATES: &[&str] = &[V1_AUTHENTICATE, V2_AUTHENTICATE, WIN_AUTHENTICATE];

/// Whatever decodes re-encodes, and decodes again to the same value.
fn check_negotiate(b: &[u8]) {
    if let Ok(m) = NegotiateMessage::decode(b) {
        assert_eq!(NegotiateMessage::decode(&m.encode().unwrap()).unwrap(), m);
    }
}

fn check_challenge(b: &[u8]) {
    if let Ok(m) = ChallengeMessage::decode(b) {
        assert_eq!(ChallengeMessage::decode(&m.encode().unwrap()).unwrap(), m);
    }
}

fn check_authenticate(b: &[u8]) {
    if let Ok(m) = AuthenticateMessage::decode(b) {
        assert_eq!(AuthenticateMessage::decode(&m.encode().unwrap()).unwrap(), m);
        if let Ok(v2) = NtlmV2Response::decode(&m.nt_challenge_response) {
            assert_eq!(v2.encode(), m.nt_challenge_response);
        }
    }
}

fn check_av_pairs(b: &[u8]) {
    if let Ok((pairs, used)) = AvPairs::decode_prefix(b) {
        assert!(used <= b.len());
        assert_eq!(AvPairs::decode(&pairs.encode().unwrap()).unwrap(), pairs);
    }
}

fn check_ntlmv2(b: &[u8]) {
    if let Ok(r) = NtlmV2Response::decode(b) {
        assert_eq!(r.encode(), b);
        assert_eq!(r.blob.raw(), &b[16..]);
    }
}

fn flags() -> impl Strategy<Value = NegotiateFlags> {
    any::<u32>().prop_map(NegotiateFlags::from_bits_retain)
}

fn version() -> impl Strategy<Value = Version> {
    (any::<u8>(), any::<u8>(), any::<u16>(), any::<u8>())
        .prop_map(|(major, minor, build, revision)| Version { major, minor, build, revision })
}

/// Text for a field, up to 100 characters: any characters when UNICODE is set, Latin-1
/// otherwise.
fn text(unicode: bool, min: usize) -> BoxedStrategy<String> {
    if unicode {
        vec(any::<char>(), min..=100).prop_map(String::from_iter).boxed()
    } else {
        vec(any::<u8>(), min..=100).prop_map(|b| b.into_iter().map(char::from).collect()).boxed()
    }
}

fn av_pair() -> impl Strategy<Value = AvPair> {
    let s = || text(true, 0);
    prop_oneof![
        s().prop_map(AvPair::NbComputerName),
        s().prop_map(AvPair::NbDomainName),
        s().prop_map(AvPair::DnsComputerName),
        s().prop_map(AvPair::DnsDomainName),
        s().prop_map(AvPair::DnsTreeName),
        any::<u32>().prop_map(|b| AvPair::Flags(AvFlags::from_bits_retain(b))),
        any::<u64>().prop_map(|t| AvPair::Timestamp(FileTime(t))),
        (any::<u32>(), any::<u32>(), any::<[u8; 8]>(), any::<[u8; 32]>()).prop_map(
            |(size, z4, custom_data, machine_id)| {
                AvPair::SingleHost(SingleHost { size, z4, custom_data, machine_id })
            }
        ),
        s().prop_map(AvPair::TargetName),
        any::<[u8; 16]>().prop_map(AvPair::ChannelBindings),
        (11..=u16::MAX, vec(any::<u8>(), 0..64))
            .prop_map(|(id, value)| AvPair::Unknown { id, value }),
    ]
}

fn av_pairs() -> impl Strategy<Value = AvPairs> {
    vec(av_pair(), 0..12).prop_map(AvPairs::from)
}

fn negotiate() -> impl Strategy<Value = NegotiateMessage> {
    (flags(), option::of(text(false, 1)), option::of(text(false, 1)), version()).prop_map(
        |(flags, domain, workstation, v)| NegotiateMessage {
            flags,
            domain,
            workstation,
            version: flags.contains(NegotiateFlags::VERSION).then_some(v),
        },
    )
}

fn challenge() -> impl Strategy<Value = ChallengeMessage> {
    flags().prop_flat_map(|flags| {
        let unicode = flags.contains(NegotiateFlags::UNICODE);
        (text(unicode, 0), any::<[u8; 8]>(), any::<[u8; 8]>(), option::of(av_pairs()), version())
            .prop_map(move |(target_name, server_challenge, reserved, target_info, v)| {
                ChallengeMessage {
                    flags,
                    target_name,
                    server_challenge,
                    reserved,
                    target_info,
                    version: flags.contains(NegotiateFlags::VERSION).then_some(v),
                }
            })
    })
}

fn authenticate() -> impl Strategy<Value = AuthenticateMessage> {
    flags().prop_flat_map(|flags| {
        let unicode = flags.contains(NegotiateFlags::UNICODE);
        (
            (vec(any::<u8>(), 0..64), vec(any::<u8>(), 0..400), vec(any::<u8>(), 0..32)),
            (text(unicode, 0), text(unicode, 0), text(unicode, 0)),
            version(),
            option::of(any::<[u8; 16]>()),
        )
            .prop_map(move |((lm, nt, key), (domain, user, workstation), version, mic)| {
                AuthenticateMessage {
                    flags,
                    lm_challenge_response: lm,
                    nt_challenge_response: nt,
                    domain,
                    user,
                    workstation,
                    encrypted_random_session_key: key,
                    version,
                    mic,
                }
            })
    })
}

fn ntlmv2_response() -> impl Strategy<Value = NtlmV2Response> {
    (any::<[u8; 16]>(), any::<u64>(), any::<[u8; 8]>(), av_pairs()).prop_map(
        |(nt_proof_str, t, client_challenge, pairs)| NtlmV2Response {
            nt_proof_str,
            blob: NtlmV2ClientChallenge::new(FileTime(t), client_challenge, pairs).unwrap(),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn any_bytes_never_panic(b in bytes()) {
        let _ = message_type(&b);
        check_negotiate(&b);
        check_challenge(&b);
        check_authenticate(&b);
        check_av_pairs(&b);
        check_ntlmv2(&b);
    }

    #[test]
    fn negotiate_prefixed_never_panics(b in prefixed(1)) {
        check_negotiate(&b);
    }

    #[test]
    fn challenge_prefixed_never_panics(b in prefixed(2)) {
        check_challenge(&b);
    }

    #[test]
    fn authenticate_prefixed_never_panics(b in prefixed(3)) {
        check_authenticate(&b);
    }

    #[test]
    fn ntlmv2_prefixed_never_panics(proof in any::<[u8; 16]>(), rest in small_bytes()) {
        let b = [&proof[..], &[1, 1, 0, 0, 0, 0, 0, 0], &rest].concat();
        check_ntlmv2(&b);
    }

    #[test]
    fn mutated_challenges_never_panic(b in mutated(CHALLENGES)) {
        check_challenge(&b);
    }

    #[test]
    fn mutated_authenticates_never_panic(b in mutated(AUTHENTICATES)) {
        check_authenticate(&b);
        if let Ok(m) = AuthenticateMessage::decode(&b) {
            check_ntlmv2(&m.nt_challenge_response);
            check_av_pairs(m.nt_challenge_response.get(44..).unwrap_or_default());
        }
    }

}

proptest! {
    // Generating structured messages costs far more than decoding bytes: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn negotiate_round_trips(m in negotiate()) {
        prop_assert_eq!(NegotiateMessage::decode(&m.encode().unwrap()).unwrap(), m);
    }

    #[test]
    fn challenge_round_trips(m in challenge()) {
        prop_assert_eq!(ChallengeMessage::decode(&m.encode().unwrap()).unwrap(), m);
    }

    #[test]
    fn authenticate_round_trips(m in authenticate()) {
        let bytes = m.encode().unwrap();
        if m.mic.is_some() {
            let mut zeroed = bytes.clone();
            sspi_proto::ntlm::messages::zero_mic(&mut zeroed).unwrap();
            prop_assert_eq!(&m.encode_with_zero_mic().unwrap(), &zeroed);
        }
        prop_assert_eq!(AuthenticateMessage::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn av_pairs_round_trip(pairs in av_pairs()) {
        let bytes = pairs.encode().unwrap();
        prop_assert_eq!(AvPairs::decode_prefix(&bytes).unwrap(), (pairs, bytes.len()));
    }

    #[test]
    fn ntlmv2_response_round_trips(r in ntlmv2_response()) {
        let bytes = r.encode();
        prop_assert!(bytes.ends_with(&[0; 4]));
        prop_assert_eq!(NtlmV2Response::decode(&bytes).unwrap(), r);
    }
}
