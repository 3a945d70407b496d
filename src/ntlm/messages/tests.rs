//! The borrowed views: reading a message again by layout gives what the full check read.

#![allow(clippy::arithmetic_side_effects)]

use alloc::vec::Vec;

use super::{AuthenticateView, ResponseView};
use crate::Credentials;
use crate::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use crate::ntlm::server::{ServerConfig, ServerContext, ServerStep};
use crate::rand::Random;
use crate::time::FileTime;

/// Deterministic bytes: a test double, never a CSPRNG.
struct Counter(u8);

impl Random for Counter {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
    }
}

/// A real AUTHENTICATE (NTLMv2, MIC, KEY_EXCH, an SPN in the blob).
fn authenticate() -> Vec<u8> {
    let (mut rng, now) = (Counter(0), FileTime::from_unix_seconds(1_700_000_000));
    let config =
        ClientConfig { target_spn: Some("HTTP/web.example.com".into()), ..ClientConfig::default() };
    let mut client = ClientContext::new(Credentials::password("CORP\\alice", "pw"), config);
    let mut server = ServerContext::new(ServerConfig::default());
    let Ok(ClientStep::Continue(negotiate)) = client.step(None, now, &mut rng) else { panic!() };
    let Ok(ServerStep::Continue(challenge)) = server.step(&negotiate, now, &mut rng) else {
        panic!()
    };
    let Ok(ClientStep::Done(authenticate)) = client.step(Some(&challenge), now, &mut rng) else {
        panic!()
    };
    authenticate
}

/// For the message and every one-bit change of it that the full check accepts, reading it
/// `again` from the layout its parse gave yields the same view (and so does its NTLMv2
/// response, from its AV list's length).
#[test]
fn again_reads_what_parse_accepted() {
    let original = authenticate();
    let mut accepted = 0;
    for bit in 0..original.len().saturating_mul(8) {
        let mut message = original.clone();
        message[bit / 8] ^= 1 << (bit % 8);
        for bytes in [&original, &message] {
            let Ok(view) = AuthenticateView::parse(bytes) else { continue };
            accepted += 1;
            assert_eq!(AuthenticateView::again(bytes, &view.layout).unwrap(), view, "bit {bit}");
            let nt = view.nt_challenge_response;
            if let Ok(response) = ResponseView::parse(nt) {
                let shape = response.blob.av_pairs.shape();
                assert_eq!(ResponseView::again(nt, shape).unwrap(), response, "bit {bit}");
            }
        }
    }
    assert!(accepted > original.len(), "most one-bit changes still parse: {accepted}");
}

/// The flags and timestamp an AV list answers with are those of its first such pairs, read
/// when it was checked, and reading it again from its shape answers the same.
#[test]
fn av_list_answers_its_first_flags_and_timestamp() {
    use super::{AvFlags, AvId, AvList, AvPair, AvPairs};

    let pairs = AvPairs::from(alloc::vec![
        AvPair::NbDomainName("CORP".into()),
        AvPair::Flags(AvFlags::MIC_PRESENT),
        AvPair::Timestamp(FileTime(7)),
        AvPair::Flags(AvFlags::CONSTRAINED),
        AvPair::Timestamp(FileTime(8)),
    ]);
    let bytes = pairs.encode().unwrap();
    let (list, len) = AvList::parse(&bytes).unwrap();
    assert_eq!(len, bytes.len());
    assert_eq!(list.flags(), Some(AvFlags::MIC_PRESENT));
    assert_eq!(list.timestamp(), Some(FileTime(7)));
    assert_eq!(AvList::checked(&bytes, list.shape()).unwrap(), list);

    let none = AvPairs::from(alloc::vec![AvPair::NbComputerName("SERVER".into())]);
    let none = none.encode().unwrap();
    let (list, _) = AvList::parse(&none).unwrap();
    assert_eq!((list.flags(), list.timestamp()), (None, None));
    assert_eq!(list.iter().map(|(id, _, _)| id).collect::<Vec<_>>(), [AvId::NB_COMPUTER_NAME]);
}
