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
                let pairs_len = response.blob.av_pairs.len();
                assert_eq!(ResponseView::again(nt, pairs_len).unwrap(), response, "bit {bit}");
            }
        }
    }
    assert!(accepted > original.len(), "most one-bit changes still parse: {accepted}");
}
