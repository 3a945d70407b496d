//! Handshake properties.
//!
//! - A single flipped bit anywhere in any handshake message in flight (raw NTLM, and the
//!   Negotiate tokens around it) never yields a completed logon with another identity or
//!   other keys: the handshake either fails, or completes with the same identity, flags and
//!   session key on both sides. (With the MIC covering all three NTLM messages byte for
//!   byte, every raw flip fails; a few SPNEGO bits, such as negState accept-incomplete
//!   read as request-mic, are legitimately ignorable.)
//! - Handshakes succeed for any Unicode user, domain and password.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use sspi_proto::ntlm::client::{ClientConfig, ClientContext};
use sspi_proto::ntlm::crypto::SessionKey;
use sspi_proto::ntlm::server::{ServerConfig, ServerContext};
use sspi_proto::ntlm::session::Session;
use sspi_proto::spnego::client::NegotiateClient;
use sspi_proto::spnego::server::{AcceptMode, NegotiateServer};
use sspi_proto::{Credentials, Identity, NegotiateFlags};

use crate::support::forge::flip_bit;
use crate::support::*;

fn alice() -> Credentials {
    Credentials::password("CORP\\alice", "right")
}

fn users() -> Users {
    Users::one("CORP", "alice", "right")
}

/// `tamper` flipping one bit of the message of `leg`.
fn flip(leg: Leg, bit: Index) -> impl FnMut(Leg, Vec<u8>) -> Vec<u8> {
    move |l, m| if l == leg { flip_bit(&m, bit.index(m.len() * 8)) } else { m }
}

/// What one side of a completed handshake holds.
struct Logon {
    identity: Identity,
    flags: NegotiateFlags,
    key: SessionKey,
    session: Session,
}

/// The [`Logon`] of a context (any of the four kinds), if it completed.
macro_rules! logon {
    ($ctx:expr) => {
        $ctx.is_complete().then(|| Logon {
            identity: $ctx.identity().unwrap().clone(),
            flags: $ctx.flags().unwrap(),
            key: $ctx.session_key().unwrap().clone(),
            session: $ctx.into_session().unwrap(),
        })
    };
}

/// The security property: a server that completes has authenticated alice, and a handshake
/// completes on both sides with the same identity, flags and keys, or fails.
fn same_logon_or_failure(
    leg: Leg,
    outcome: Result<(), Failure>,
    client: Option<Logon>,
    server: Option<Logon>,
) -> Result<(), TestCaseError> {
    if let Some(s) = &server {
        let id = (s.identity.domain.as_str(), s.identity.user.as_str());
        prop_assert_eq!(id, ("CORP", "alice"), "{:?}", leg);
    }
    let (Some(mut c), Some(mut s)) = (client, server) else {
        // Raw NTLM: the client completes when it sends AUTHENTICATE, whatever follows.
        prop_assert!(outcome.is_err(), "{:?}: one side did not complete", leg);
        return Ok(());
    };
    prop_assert!(outcome.is_ok(), "{:?}", leg);
    prop_assert_eq!(c.identity.user.as_str(), "alice", "{:?}", leg);
    prop_assert_eq!(c.flags, s.flags, "{:?}", leg);
    prop_assert_eq!(c.key, s.key, "{:?}", leg);
    // The sessions carry a message each way.
    let up = c.session.wrap(b"to the server").unwrap();
    prop_assert_eq!(s.session.unwrap(&up).unwrap(), b"to the server");
    let down = s.session.wrap(b"to the client").unwrap();
    prop_assert_eq!(c.session.unwrap(&down).unwrap(), b"to the client");
    Ok(())
}

fn raw_flip(leg: Leg, bit: Index) -> Result<(), TestCaseError> {
    let mut client = ClientContext::new(alice(), ClientConfig::default());
    let mut server = ServerContext::new(ServerConfig::default());
    let outcome = drive(&mut client, &mut server, &users(), flip(leg, bit));
    same_logon_or_failure(leg, outcome, logon!(client), logon!(server))
}

fn negotiate_flip(leg: Leg, bit: Index) -> Result<(), TestCaseError> {
    let mut client = NegotiateClient::new(alice(), ClientConfig::default());
    let mut server = NegotiateServer::new(ServerConfig::default(), AcceptMode::Negotiate);
    let outcome = drive_negotiate(&mut client, &mut server, &users(), flip(leg, bit));
    same_logon_or_failure(leg, outcome, logon!(client), logon!(server))
}

/// Any Unicode string of up to 256 characters, biased towards the awkward ones.
fn text(min: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        vec(any::<char>(), min..=256).prop_map(String::from_iter),
        // Every character outside the BMP (a surrogate pair in UTF-16), at full length.
        Just("𝄞".repeat(256)),
        Just("ß".repeat(256)),
        Just("a".repeat(256)),
    ]
}

fn password() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), text(0)]
}

/// 256 cases (per message) keep the suite fast; each case is a whole handshake (per message).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(256))]

    /// Each case flips one bit in each message in turn, in a separate handshake.
    #[test]
    fn flipped_bit_in_any_ntlm_message_never_changes_who_or_which_keys(bit in any::<Index>()) {
        for leg in [Leg::NEGOTIATE, Leg::CHALLENGE, Leg::AUTHENTICATE] {
            raw_flip(leg, bit)?;
        }
    }

    #[test]
    fn flipped_bit_in_any_spnego_token_never_changes_who_or_which_keys(bit in any::<Index>()) {
        for leg in [Leg::NEGOTIATE, Leg::CHALLENGE, Leg::AUTHENTICATE, Leg::FINAL] {
            negotiate_flip(leg, bit)?;
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn any_unicode_identity_authenticates(user in text(1), domain in text(0), pw in password()) {
        let creds = || Credentials::password_in_domain(&domain, &user, &pw);
        let table = Users::one(&domain, &user, &pw);

        let (client, server) =
            handshake(creds(), ClientConfig::default(), ServerConfig::default(), &table).unwrap();
        let id = server.identity().unwrap();
        prop_assert_eq!((&id.domain, &id.user), (&domain, &user));
        prop_assert_eq!(client.session_key().unwrap(), server.session_key().unwrap());

        let mut client = NegotiateClient::new(creds(), ClientConfig::default());
        let mut server = NegotiateServer::new(ServerConfig::default(), AcceptMode::Negotiate);
        drive_negotiate(&mut client, &mut server, &table, |_, m| m).unwrap();
        let id = server.identity().unwrap();
        prop_assert_eq!((&id.domain, &id.user), (&domain, &user));
        prop_assert_eq!(client.session_key().unwrap(), server.session_key().unwrap());
    }
}
