//! The Negotiate package: handshakes, mechanism selection, server-first and auto modes.
//! Tampering with the mechanism list and the mechListMICs is in `attacks.rs`.

use sspi_proto::ntlm::client::ClientConfig;
use sspi_proto::ntlm::server::{CredentialAnswer, ServerConfig, ServerStep};
use sspi_proto::spnego::client::{NegotiateClient, NegotiateStep};
use sspi_proto::spnego::server::{AcceptMode, NegotiateServer};
use sspi_proto::spnego::{NegState, NegTokenInit, NegTokenResp, NegotiationToken, Oid};
use sspi_proto::{Credentials, ErrorKind};

use crate::support::forge;
use crate::support::*;

fn alice() -> Credentials {
    Credentials::password("CORP\\alice", "pw")
}

fn users() -> Users {
    Users::one("CORP", "alice", "pw")
}

fn pair() -> (NegotiateClient, NegotiateServer) {
    (
        NegotiateClient::new(alice(), ClientConfig::default()),
        NegotiateServer::new(ServerConfig::default(), AcceptMode::Negotiate),
    )
}

#[test]
fn full_handshake_then_sealed_messages_continue_at_sequence_one() {
    let (mut client, mut server) = pair();
    drive_negotiate(&mut client, &mut server, &users(), |_, t| t).unwrap();
    assert_eq!(server.identity().unwrap().user, "alice");
    assert_eq!(client.session_key().unwrap(), server.session_key().unwrap());
    let mut c = client.into_session().unwrap();
    let mut s = server.into_session().unwrap();
    let token = c.wrap(b"hello").unwrap();
    // The mechListMIC used sequence number 0; the first application message uses 1.
    assert_eq!(&token[12..16], &1u32.to_le_bytes());
    assert_eq!(s.unwrap(&token).unwrap(), b"hello");
    let back = s.wrap(b"world").unwrap();
    assert_eq!(&back[12..16], &1u32.to_le_bytes());
    assert_eq!(c.unwrap(&back).unwrap(), b"world");
}

#[test]
fn server_selecting_another_mechanism_is_a_clear_error() {
    let (mut client, mut server) = pair();
    let e = drive_negotiate(&mut client, &mut server, &users(), |leg, t| {
        if leg == Leg::CHALLENGE {
            forge::neg_resp(&t, |r| r.supported_mech = Some(Oid::KERBEROS))
        } else {
            t
        }
    })
    .unwrap_err();
    assert_eq!((e.0, e.1.kind()), (Side::Client, ErrorKind::UnsupportedFunction));
}

#[test]
fn reject_ends_the_client() {
    let (mut client, mut server) = pair();
    let e = drive_negotiate(&mut client, &mut server, &users(), |leg, t| {
        if leg == Leg::CHALLENGE {
            forge::neg_resp(&t, |r| r.neg_state = Some(NegState::Reject))
        } else {
            t
        }
    })
    .unwrap_err();
    assert_eq!((e.0, e.1.kind()), (Side::Client, ErrorKind::LogonDenied));
}

#[test]
fn windows_order_kerberos_first_selects_ntlm_and_ignores_the_optimistic_token() {
    let (mut client, mut server) = pair();
    // A Windows client lists MS-Kerberos and Kerberos before NTLM, with a Kerberos token.
    let mut rng = SeededRandom::new(2);
    let NegotiateStep::Continue(init) = client.step(None, NOW, &mut rng).unwrap() else { panic!() };
    let NegotiationToken::Init(ours) = NegotiationToken::decode(&init).unwrap() else { panic!() };
    let ntlm_negotiate = ours.mech_token.clone().unwrap();
    let windows = NegTokenInit {
        mech_types: vec![Oid::MS_KERBEROS, Oid::KERBEROS, Oid::NEGOEX, Oid::NTLMSSP],
        mech_token: Some(b"\x60\x82 a kerberos AP-REQ".to_vec()),
        ..NegTokenInit::default()
    };
    let ServerStep::Continue(reply) = server
        .step(&NegotiationToken::Init(windows.clone()).encode().unwrap(), NOW, &mut rng)
        .unwrap()
    else {
        panic!()
    };
    let NegotiationToken::Resp(r) = NegotiationToken::decode(&reply).unwrap() else { panic!() };
    assert_eq!(r.supported_mech, Some(Oid::NTLMSSP));
    assert_eq!(r.neg_state, Some(NegState::RequestMic));
    assert_eq!(r.response_token, None, "the Kerberos token was ignored");
    // The client then sends NTLM's NEGOTIATE; the server answers with CHALLENGE.
    let next = NegotiationToken::Resp(NegTokenResp {
        response_token: Some(ntlm_negotiate),
        ..NegTokenResp::default()
    });
    let ServerStep::Continue(challenge) =
        server.step(&next.encode().unwrap(), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let NegotiationToken::Resp(r) = NegotiationToken::decode(&challenge).unwrap() else { panic!() };
    assert_eq!(r.neg_state, Some(NegState::AcceptIncomplete));
    assert!(r.response_token.unwrap().starts_with(b"NTLMSSP\0\x02\0\0\0"));
}

#[test]
fn client_offering_no_ntlm_is_refused() {
    let mut server = NegotiateServer::new(ServerConfig::default(), AcceptMode::Negotiate);
    let init = NegTokenInit { mech_types: vec![Oid::KERBEROS], ..NegTokenInit::default() };
    let mut rng = SeededRandom::new(2);
    let e =
        server.step(&NegotiationToken::Init(init).encode().unwrap(), NOW, &mut rng).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedFunction);
}

#[test]
fn server_first_neg_token_init2() {
    let (mut client, mut server) = pair();
    let hint = server.start().unwrap();
    let NegotiationToken::Init(i) = NegotiationToken::decode(&hint).unwrap() else { panic!() };
    assert_eq!(i.mech_types, vec![Oid::NTLMSSP]);
    assert!(i.neg_hints.is_some());
    let mut rng = SeededRandom::new(3);
    let NegotiateStep::Continue(init) = client.step(Some(&hint), NOW, &mut rng).unwrap() else {
        panic!()
    };
    let ServerStep::Continue(challenge) = server.step(&init, NOW, &mut rng).unwrap() else {
        panic!()
    };
    let NegotiateStep::Continue(auth) = client.step(Some(&challenge), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let ServerStep::NeedCredentials(_) = server.step(&auth, NOW, &mut rng).unwrap() else {
        panic!()
    };
    let ServerStep::Done(Some(last)) = server
        .provide_credentials(CredentialAnswer::NtHashes(users().lookup("alice", "CORP")), NOW)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(client.step(Some(&last), NOW, &mut rng).unwrap(), NegotiateStep::Done);
}

#[test]
fn auto_mode_accepts_raw_ntlm_and_spnego() {
    // SPNEGO client.
    let mut client = NegotiateClient::new(alice(), ClientConfig::default());
    let mut server = NegotiateServer::new(ServerConfig::default(), AcceptMode::Auto);
    drive_negotiate(&mut client, &mut server, &users(), |_, t| t).unwrap();
    assert!(!server.is_raw_ntlm());
    assert_eq!(server.identity().unwrap().user, "alice");
    // Raw NTLM client.
    let mut server = NegotiateServer::new(ServerConfig::default(), AcceptMode::Auto);
    let mut raw = sspi_proto::ntlm::client::ClientContext::new(alice(), ClientConfig::default());
    let mut rng = SeededRandom::new(5);
    use sspi_proto::ntlm::client::ClientStep;
    let ClientStep::Continue(n) = raw.step(None, NOW, &mut rng).unwrap() else { panic!() };
    let ServerStep::Continue(c) = server.step(&n, NOW, &mut rng).unwrap() else { panic!() };
    assert!(c.starts_with(b"NTLMSSP\0"), "raw CHALLENGE back");
    let ClientStep::Done(a) = raw.step(Some(&c), NOW, &mut rng).unwrap() else { panic!() };
    let ServerStep::NeedCredentials(_) = server.step(&a, NOW, &mut rng).unwrap() else { panic!() };
    assert_eq!(
        server
            .provide_credentials(CredentialAnswer::NtHashes(users().lookup("alice", "CORP")), NOW)
            .unwrap(),
        ServerStep::Done(None)
    );
    assert!(server.is_raw_ntlm());
    assert_eq!(raw.session_key().unwrap(), server.session_key().unwrap());
    // A Negotiate-only server refuses raw NTLM.
    let mut strict = NegotiateServer::new(ServerConfig::default(), AcceptMode::Negotiate);
    assert_eq!(strict.step(&n, NOW, &mut rng).unwrap_err().kind(), ErrorKind::InvalidToken);
}

#[test]
fn wrong_password_over_negotiate() {
    let mut client =
        NegotiateClient::new(Credentials::password("CORP\\alice", "nope"), ClientConfig::default());
    let mut server = NegotiateServer::new(ServerConfig::default(), AcceptMode::Negotiate);
    let e = drive_negotiate(&mut client, &mut server, &users(), |_, t| t).unwrap_err();
    assert_eq!((e.0, e.1.kind()), (Side::Server, ErrorKind::LogonDenied));
}
