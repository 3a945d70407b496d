//! The handshake's wire bytes against reference constructions through the owned message
//! types: the client's NTLMv2 blob (written from the server's raw AV pairs), the server's
//! TargetInfo (written straight into the CHALLENGE) and what a pass-through validator gets
//! (read again from the stored AUTHENTICATE). The state machines read and write messages in
//! place; these tests pin them to what the owned decoders and encoders say.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sspi_proto::Credentials;
use sspi_proto::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use sspi_proto::ntlm::crypto::ChannelBindings;
use sspi_proto::ntlm::messages::{
    AuthenticateMessage, AvFlags, AvId, AvPair, AvPairs, ChallengeMessage, NtlmV2ClientChallenge,
    NtlmV2Response, SingleHost,
};
use sspi_proto::ntlm::server::{ServerConfig, ServerContext, ServerStep};

use crate::support::{NOW, SeededRandom, transcript};

fn alice() -> Credentials {
    Credentials::password_in_domain("CORP", "alice", "Passw0rd!")
}

/// Names, ASCII or not.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[A-Za-z0-9.-]{1,12}", "[a-zé中𝄞]{1,6}"]
}

/// One server AV pair of any kind, `MsvAvEOL` aside; the kinds the client treats specially
/// (flags, timestamp, target name, channel bindings) come often.
fn pair() -> impl Strategy<Value = AvPair> {
    prop_oneof![
        1 => name().prop_map(AvPair::NbComputerName),
        1 => name().prop_map(AvPair::NbDomainName),
        1 => name().prop_map(AvPair::DnsComputerName),
        1 => name().prop_map(AvPair::DnsTreeName),
        2 => any::<u32>().prop_map(|f| AvPair::Flags(AvFlags::from_bits_retain(f))),
        2 => any::<u64>().prop_map(|t| AvPair::Timestamp(sspi_proto::FileTime(t))),
        2 => name().prop_map(AvPair::TargetName),
        2 => any::<[u8; 16]>().prop_map(AvPair::ChannelBindings),
        1 => (any::<[u8; 8]>(), any::<[u8; 32]>()).prop_map(|(custom_data, machine_id)| {
            AvPair::SingleHost(SingleHost { size: 48, z4: 0, custom_data, machine_id })
        }),
        1 => (11u16.., vec(any::<u8>(), 0..6)).prop_map(|(id, value)| AvPair::Unknown { id, value }),
    ]
}

/// A raw TargetInfo: the pairs, `MsvAvEOL` with `eol_value` as its (forbidden but skipped)
/// value, then `trailing` bytes after the list.
fn raw_target_info(pairs: &AvPairs, eol_value: &[u8], trailing: &[u8]) -> Vec<u8> {
    let mut raw = pairs.encode().unwrap();
    raw.truncate(raw.len() - 4); // the MsvAvEOL `encode` wrote
    raw.extend_from_slice(&0u16.to_le_bytes());
    raw.extend_from_slice(&u16::try_from(eol_value.len()).unwrap().to_le_bytes());
    raw.extend_from_slice(eol_value);
    raw.extend_from_slice(trailing);
    raw
}

/// `challenge` with its TargetInfo (the last payload field, as this crate's server lays it
/// out) replaced by `target_info`.
fn with_target_info(challenge: &[u8], target_info: &[u8]) -> Vec<u8> {
    let offset = u32::from_le_bytes(challenge[44..48].try_into().unwrap()) as usize;
    assert_eq!(
        offset + usize::from(u16::from_le_bytes([challenge[40], challenge[41]])),
        challenge.len()
    );
    let len = u16::try_from(target_info.len()).unwrap().to_le_bytes();
    let mut out = challenge[..offset].to_vec();
    out[40..42].copy_from_slice(&len);
    out[42..44].copy_from_slice(&len);
    out.extend_from_slice(target_info);
    out
}

/// What the client's blob must carry, built the way this crate built it before it wrote the
/// blob from the server's raw pairs: decode the server's list, drop its MsvAvTargetName and
/// MsvAvChannelBindings, announce the MIC in MsvAvFlags when the server sent a timestamp
/// (in place, or appended), append the client's bindings and SPN, encode.
fn reference_blob_pairs(
    target_info: &[u8],
    bindings: Option<&ChannelBindings>,
    spn: Option<&str>,
) -> Vec<u8> {
    let mut pairs = AvPairs::decode(target_info).unwrap();
    for id in [AvId::TARGET_NAME, AvId::CHANNEL_BINDINGS] {
        while pairs.remove(id).is_some() {}
    }
    if pairs.get_timestamp().is_some() {
        let flags = pairs.get_flags().unwrap_or(AvFlags::empty()) | AvFlags::MIC_PRESENT;
        pairs.set(AvPair::Flags(flags));
    }
    if let Some(cb) = bindings {
        pairs.set(AvPair::ChannelBindings(cb.hash()));
    }
    if let Some(spn) = spn {
        pairs.set(AvPair::TargetName(spn.to_owned()));
    }
    pairs.encode().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever pairs the server sends — duplicates, unknown ids, flags or none, a
    /// timestamp or none, a non-zero AvLen on MsvAvEOL, bytes after the list — the client's
    /// blob carries exactly the pairs of the reference construction, byte for byte, then
    /// Z(4).
    #[test]
    fn client_blob_pairs_match_the_reference_construction(
        pairs in vec(pair(), 0..8),
        eol_value in vec(any::<u8>(), 0..3),
        trailing in vec(any::<u8>(), 0..5),
        spn in option::of(name().prop_filter("an SPN is never empty", |s| !s.is_empty())),
        bindings in option::of(vec(any::<u8>(), 0..20)),
        key_exchange in any::<bool>(),
    ) {
        let pairs = AvPairs::from(pairs);
        let target_info = raw_target_info(&pairs, &eol_value, &trailing);
        let bindings = bindings.map(|data| ChannelBindings::from_application_data(&data));
        let config = ClientConfig {
            target_spn: spn.clone(),
            channel_bindings: bindings.clone(),
            key_exchange,
            ..ClientConfig::default()
        };
        let server = transcript(alice(), ClientConfig::default(), ServerConfig::default());
        let challenge = with_target_info(&server.challenge, &target_info);

        let mut client = ClientContext::new(alice(), config);
        let mut rng = SeededRandom::new(5);
        let ClientStep::Continue(_) = client.step(None, NOW, &mut rng).unwrap() else {
            panic!("NEGOTIATE expected")
        };
        let ClientStep::Done(authenticate) = client.step(Some(&challenge), NOW, &mut rng).unwrap()
        else {
            panic!("AUTHENTICATE expected")
        };
        let message = AuthenticateMessage::decode(&authenticate).unwrap();
        let response = NtlmV2Response::decode(&message.nt_challenge_response).unwrap();
        let blob = response.blob.raw();
        let expected = reference_blob_pairs(&target_info, bindings.as_ref(), spn.as_deref());
        let start = NtlmV2ClientChallenge::FIXED_LEN;
        prop_assert_eq!(&blob[start..start + expected.len()], &expected[..]);
        prop_assert_eq!(&blob[start + expected.len()..], &[0u8; 4][..]);
        prop_assert_eq!(message.mic.is_some(), pairs.get_timestamp().is_some());
    }

    /// The server's TargetInfo is, byte for byte, the AvPairs list of its names in Windows'
    /// order and the timestamp, encoded; absent DNS names are left out.
    #[test]
    fn server_target_info_matches_its_avpairs(
        nb_domain in name(),
        nb_computer in name(),
        dns_domain in option::of(name()),
        dns_computer in option::of(name()),
        dns_tree in option::of(name()),
    ) {
        let config = ServerConfig {
            nb_domain_name: nb_domain.clone(),
            nb_computer_name: nb_computer.clone(),
            dns_domain_name: dns_domain.clone(),
            dns_computer_name: dns_computer.clone(),
            dns_tree_name: dns_tree.clone(),
            ..ServerConfig::default()
        };
        let negotiate = transcript(alice(), ClientConfig::default(), ServerConfig::default()).negotiate;
        let mut server = ServerContext::new(config);
        let ServerStep::Continue(challenge) =
            server.step(&negotiate, NOW, &mut SeededRandom::new(3)).unwrap()
        else {
            panic!("CHALLENGE expected")
        };
        let mut expected = AvPairs::new();
        expected.push(AvPair::NbDomainName(nb_domain.clone()));
        expected.push(AvPair::NbComputerName(nb_computer));
        for (name, pair) in [
            (dns_domain, AvPair::DnsDomainName as fn(String) -> AvPair),
            (dns_computer, AvPair::DnsComputerName),
            (dns_tree, AvPair::DnsTreeName),
        ] {
            if let Some(name) = name {
                expected.push(pair(name));
            }
        }
        expected.push(AvPair::Timestamp(NOW));
        let offset = u32::from_le_bytes(challenge[44..48].try_into().unwrap()) as usize;
        prop_assert_eq!(&challenge[offset..], &expected.encode().unwrap()[..]);
        let decoded = ChallengeMessage::decode(&challenge).unwrap();
        prop_assert_eq!(decoded.target_info, Some(expected));
        prop_assert_eq!(decoded.target_name, nb_domain);
    }
}

/// A pass-through validator gets the AUTHENTICATE's responses as sent, the claimed identity
/// and the CHALLENGE's server challenge (the server keeps only the message's bytes and reads
/// them again for it).
#[test]
fn pass_through_request_echoes_the_authenticate() {
    let t = transcript(alice(), ClientConfig::default(), ServerConfig::default());
    let mut server = t.server;
    let ServerStep::NeedCredentials(identity) =
        server.step(&t.authenticate, NOW, &mut SeededRandom::new(4)).unwrap()
    else {
        panic!("NeedCredentials expected")
    };
    let message = AuthenticateMessage::decode(&t.authenticate).unwrap();
    let request = server.pass_through_request().unwrap();
    assert_eq!(request.identity, identity);
    assert_eq!(
        (request.identity.user.as_str(), request.identity.domain.as_str()),
        ("alice", "CORP")
    );
    assert_eq!(request.lm_response, message.lm_challenge_response);
    assert_eq!(request.nt_response, message.nt_challenge_response);
    assert_eq!(request.nt_response.len(), t.authenticate.len() - 88 - 2 * 9 - 24 - 16);
    let challenge = ChallengeMessage::decode(&t.challenge).unwrap();
    assert_eq!(request.server_challenge, challenge.server_challenge);
}
