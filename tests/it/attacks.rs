//! Attacks on the handshake. Every case asserts the exact error it ends in and that the
//! context that refused it is dead afterwards (every later call fails with the same kind;
//! no identity, no session key). SECURITY.md lists them as a table.
//!
//! Elsewhere: attacks on sessions (replay, reordering, reflection, truncation, bit flips)
//! are in `session/rejections.rs`; the bit-flip properties of whole handshakes in
//! `props.rs`.

use sspi_proto::ntlm::ContextRequest;
use sspi_proto::ntlm::client::{ClientConfig, ClientContext};
use sspi_proto::ntlm::crypto::ChannelBindings;
use sspi_proto::ntlm::messages::{AuthenticateMessage, AvId, AvPair, NegotiateMessage};
use sspi_proto::ntlm::server::{CredentialAnswer, Policy, ServerConfig, ServerContext, ServerStep};
use sspi_proto::spnego::Oid;
use sspi_proto::spnego::client::NegotiateClient;
use sspi_proto::spnego::server::{AcceptMode, NegotiateServer};
use sspi_proto::{Credentials, ErrorKind, FileTime, NegotiateFlags};

use crate::support::forge::{self, Authenticate, Keys};
use crate::support::*;

fn alice() -> Credentials {
    Credentials::password("CORP\\alice", "right")
}

fn alice_users() -> Users {
    Users::one("CORP", "alice", "right")
}

/// A transcript between default configurations.
fn captured() -> Transcript {
    transcript(alice(), ClientConfig::default(), ServerConfig::default())
}

/// What alice's password gives an attacker (or an unusual client) about `t`.
fn keys(t: &Transcript) -> Keys {
    Keys::new("right", &t.negotiate, &t.challenge)
}

/// Runs a raw handshake with `tamper` on the messages; returns the failure, after checking
/// that the side that raised it is dead.
fn raw_failure(
    client_config: ClientConfig,
    server_config: ServerConfig,
    tamper: impl FnMut(Leg, Vec<u8>) -> Vec<u8>,
) -> (Side, ErrorKind) {
    let mut client = ClientContext::new(alice(), client_config);
    let mut server = ServerContext::new(server_config);
    let (side, e) = drive(&mut client, &mut server, &alice_users(), tamper)
        .expect_err("the tampered handshake completed");
    match side {
        Side::Client => assert_client_dead(client, e.kind()),
        Side::Server => assert_server_dead(server, e.kind()),
    }
    (side, e.kind())
}

/// `tamper` applied to the message of `leg` only.
fn at(leg: Leg, f: impl Fn(&[u8]) -> Vec<u8>) -> impl FnMut(Leg, Vec<u8>) -> Vec<u8> {
    move |l, m| if l == leg { f(&m) } else { m }
}

/// The flags the client insists on by default (SIGN and SEAL because it asks for them).
const REQUIRED: [NegotiateFlags; 5] = [
    NegotiateFlags::SIGN,
    NegotiateFlags::SEAL,
    NegotiateFlags::NEGOTIATE_128,
    NegotiateFlags::KEY_EXCH,
    NegotiateFlags::EXTENDED_SESSIONSECURITY,
];

/// Removes `flag`, which must be there: stripping an absent flag tests nothing.
fn strip(flags: &mut NegotiateFlags, flag: NegotiateFlags) {
    assert!(flags.contains(flag), "{flag:?} is not in {flags:?}");
    flags.remove(flag);
}

// ---- The forger itself -------------------------------------------------------------------

#[test]
fn forger_reproduces_untouched_messages_and_forges_valid_ones_with_the_password() {
    let t = captured();
    assert_eq!(forge::negotiate(&t.negotiate, |_| {}), t.negotiate);
    assert_eq!(forge::challenge(&t.challenge, |_| {}), t.challenge);
    assert_eq!(forge::authenticate(&t.authenticate, |_| {}), t.authenticate);
    assert_eq!(Authenticate::open(&t.authenticate).encode(), t.authenticate);
    assert_eq!(Authenticate::open(&t.authenticate).encode_with(&keys(&t)), t.authenticate);
    // A password holder's rewrite is a valid logon with the client's exported key.
    let mut a = Authenticate::open(&t.authenticate);
    a.message.workstation = "FORGED".into();
    a.av_pairs.set(AvPair::TargetName("HTTP/forged.example".into()));
    let forged = a.encode_with(&keys(&t));
    let client_key = t.client.session_key().unwrap().clone();
    let mut server = t.server;
    finish_server(&mut server, &forged, &alice_users()).unwrap();
    assert_eq!(server.identity().unwrap().workstation, "FORGED");
    assert_eq!(server.session_key().unwrap(), &client_key);
}

// ---- Drop the MIC (CVE-2019-1040, CVE-2019-1166) ----------------------------------------

#[test]
fn mic_removed_with_av_flags_kept_is_logon_denied() {
    let t = captured();
    let forged = forge::authenticate(&t.authenticate, |m| m.mic = None);
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::LogonDenied);
}

#[test]
fn mic_and_av_flags_removed_break_the_ntproofstr() {
    let t = captured();
    let no_flag = forge::blob_pairs(&t.authenticate, |p| {
        p.remove(AvId::FLAGS);
    });
    let forged = forge::authenticate(&no_flag, |m| m.mic = None);
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::LogonDenied);
}

/// A response valid without a MIC (what a client with the password could send, or an old
/// client): refused while `require_mic` holds, as the CHALLENGE carried a timestamp.
#[test]
fn valid_response_without_a_mic_is_refused_unless_require_mic_is_off() {
    for (require_mic, expected) in [(true, Err(ErrorKind::LogonDenied)), (false, Ok(()))] {
        let config = ServerConfig { require_mic, ..ServerConfig::default() };
        let t = transcript(alice(), ClientConfig::default(), config);
        let mut a = Authenticate::open(&t.authenticate);
        a.av_pairs.remove(AvId::FLAGS);
        a.message.mic = None;
        let forged = a.encode_with(&keys(&t));
        assert_eq!(server_outcome(t, &forged, &alice_users()), expected, "{require_mic}");
    }
}

#[test]
fn zeroed_mic_is_message_altered() {
    let t = captured();
    let forged = forge::authenticate(&t.authenticate, |m| m.mic = Some([0; 16]));
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::MessageAltered);
}

#[test]
fn mic_of_another_handshake_is_message_altered() {
    let t = captured();
    let other = transcript_seeded(alice(), ClientConfig::default(), ServerConfig::default(), 99);
    let other_mic = AuthenticateMessage::decode(&other.authenticate).unwrap().mic;
    assert_ne!(other_mic, AuthenticateMessage::decode(&t.authenticate).unwrap().mic);
    let forged = forge::authenticate(&t.authenticate, |m| m.mic = other_mic);
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::MessageAltered);
}

/// The VERSION flag cleared, then `cut` (a range of the header) removed: the error the
/// server ends in, and whether the forged message still decodes with a MIC.
fn without_version(cut: std::ops::Range<usize>) -> (ErrorKind, bool) {
    let t = captured();
    let no_version =
        forge::authenticate(&t.authenticate, |m| strip(&mut m.flags, NegotiateFlags::VERSION));
    let forged = forge::splice_header(&no_version, cut, &[]);
    let has_mic = AuthenticateMessage::decode(&forged).unwrap().mic.is_some();
    (server_error(t, &forged, &alice_users()), has_mic)
}

/// CVE-2019-1166 shape: VERSION and MIC cut out of the header, so the payload starts at 64
/// and nothing sits where a MIC would be.
#[test]
fn version_and_mic_cut_from_the_header_is_logon_denied() {
    assert_eq!(without_version(64..88), (ErrorKind::LogonDenied, false));
}

/// Only VERSION cut: the MIC moves to offset 64, where it reads as a VERSION, and the
/// payload starts before 88, so the message has no MIC.
#[test]
fn version_cut_so_the_mic_moves_is_logon_denied() {
    assert_eq!(without_version(64..72), (ErrorKind::LogonDenied, false));
}

/// VERSION cleared in the flags with the layout kept: the MIC is found and covers the flags.
#[test]
fn version_flag_cleared_is_message_altered() {
    assert_eq!(without_version(0..0), (ErrorKind::MessageAltered, true));
}

#[test]
fn tampered_ntproofstr_is_logon_denied() {
    let t = captured();
    let forged = forge::authenticate(&t.authenticate, |m| m.nt_challenge_response[3] ^= 0x40);
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::LogonDenied);
}

// ---- Flag stripping ----------------------------------------------------------------------

/// Each of `flags` stripped from the message of `leg`, each in its own handshake between
/// `client` and `server` configurations: every one ends in `expected`.
fn each_stripped(
    leg: Leg,
    flags: &[NegotiateFlags],
    client: ClientConfig,
    server: ServerConfig,
    expected: (Side, ErrorKind),
) {
    for &flag in flags {
        let tamper = at(leg, |m| forge::flags(m, |f| strip(f, flag)));
        assert_eq!(raw_failure(client.clone(), server.clone(), tamper), expected, "{flag:?}");
    }
}

/// Flags neither side insists on by default.
const TOLERATED: [NegotiateFlags; 3] =
    [NegotiateFlags::ALWAYS_SIGN, NegotiateFlags::NEGOTIATE_56, NegotiateFlags::VERSION];

#[test]
fn required_flags_stripped_from_the_challenge_are_a_downgrade() {
    let expected = (Side::Client, ErrorKind::DowngradeDetected);
    each_stripped(
        Leg::CHALLENGE,
        &REQUIRED,
        ClientConfig::default(),
        ServerConfig::default(),
        expected,
    );
}

/// Flags the client does not insist on (it asked for no message protection), stripped
/// from CHALLENGE: the client goes on, and the MIC, which covers the CHALLENGE, fails.
#[test]
fn tolerated_flags_stripped_from_the_challenge_break_the_mic() {
    let client = ClientConfig { request: ContextRequest::NONE, ..ClientConfig::default() };
    let expected = (Side::Server, ErrorKind::MessageAltered);
    each_stripped(Leg::CHALLENGE, &TOLERATED, client, ServerConfig::default(), expected);
}

/// Stripped from NEGOTIATE: the server does not offer what was not asked for, so the
/// client sees the same downgrade in the CHALLENGE.
#[test]
fn required_flags_stripped_from_the_negotiate_are_a_downgrade() {
    let expected = (Side::Client, ErrorKind::DowngradeDetected);
    each_stripped(
        Leg::NEGOTIATE,
        &REQUIRED,
        ClientConfig::default(),
        ServerConfig::default(),
        expected,
    );
}

/// A server that requires SIGN and SEAL refuses a NEGOTIATE without them itself.
#[test]
fn negotiate_without_the_servers_required_flags_is_a_downgrade() {
    let server = ServerConfig {
        required_flags: NegotiateFlags::SIGN | NegotiateFlags::SEAL,
        ..ServerConfig::default()
    };
    let expected = (Side::Server, ErrorKind::DowngradeDetected);
    each_stripped(
        Leg::NEGOTIATE,
        &[NegotiateFlags::SEAL],
        ClientConfig::default(),
        server,
        expected,
    );
}

/// Flags that neither side insists on, stripped from NEGOTIATE: the MIC covers NEGOTIATE.
#[test]
fn tolerated_flags_stripped_from_the_negotiate_break_the_mic() {
    let expected = (Side::Server, ErrorKind::MessageAltered);
    each_stripped(
        Leg::NEGOTIATE,
        &TOLERATED,
        ClientConfig::default(),
        ServerConfig::default(),
        expected,
    );
}

#[test]
fn flags_stripped_from_the_authenticate_break_the_mic() {
    let expected = (Side::Server, ErrorKind::MessageAltered);
    each_stripped(
        Leg::AUTHENTICATE,
        &REQUIRED,
        ClientConfig::default(),
        ServerConfig::default(),
        expected,
    );
}

// ---- NTLMv1 / LM downgrade ---------------------------------------------------------------

/// A 24-byte NT response is NTLMv1: refused by default (also with `legacy-ntlmv1`, where
/// `allow_ntlmv1` turns it on; see `handshake::ntlmv1_accepted_only_when_policy_allows`).
#[test]
fn ntlmv1_response_is_refused_by_default() {
    let t = captured();
    let forged = forge::authenticate(&t.authenticate, |m| {
        m.nt_challenge_response = vec![0x11; 24];
        m.lm_challenge_response = vec![0x22; 24];
    });
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::LogonDenied);
}

/// An LM response alone (empty NT response) is not an NTLMv2 response at all.
#[test]
fn lm_only_response_is_invalid_token() {
    let t = captured();
    let forged = forge::authenticate(&t.authenticate, |m| {
        m.nt_challenge_response = vec![];
        m.lm_challenge_response = vec![0x22; 24];
    });
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::InvalidToken);
}

// ---- Target info -------------------------------------------------------------------------

/// A CHALLENGE AV pair altered in flight: the client puts the altered list in its blob and
/// computes its MIC over the altered CHALLENGE; the server's MIC is over the one it sent.
#[test]
fn target_info_altered_in_flight_is_message_altered() {
    let rename = at(Leg::CHALLENGE, |m| {
        forge::target_info(m, |p| p.set(AvPair::NbComputerName("EVIL".into())))
    });
    assert_eq!(
        raw_failure(ClientConfig::default(), ServerConfig::default(), rename),
        (Side::Server, ErrorKind::MessageAltered)
    );
}

/// MsvAvTimestamp removed from the CHALLENGE, so the client sends no MIC: the server, whose
/// CHALLENGE had one, still requires it.
#[test]
fn timestamp_removed_from_the_challenge_is_logon_denied() {
    let no_timestamp = at(Leg::CHALLENGE, |m| {
        forge::target_info(m, |p| {
            p.remove(AvId::TIMESTAMP);
        })
    });
    assert_eq!(
        raw_failure(ClientConfig::default(), ServerConfig::default(), no_timestamp),
        (Side::Server, ErrorKind::LogonDenied)
    );
}

/// TargetInfo removed altogether (no AV pairs, no timestamp): the same.
#[test]
fn target_info_removed_from_the_challenge_is_logon_denied() {
    let none = at(Leg::CHALLENGE, |m| forge::challenge(m, |c| c.target_info = None));
    assert_eq!(
        raw_failure(ClientConfig::default(), ServerConfig::default(), none),
        (Side::Server, ErrorKind::LogonDenied)
    );
}

/// A client without an SPN of its own echoes the CHALLENGE's AV pairs, so an attacker can
/// plant the relay target's SPN there; the MIC covers the CHALLENGE.
#[test]
fn target_name_planted_in_the_challenge_is_message_altered() {
    let server = ServerConfig {
        expected_spns: vec!["HTTP/a.corp.example".into()],
        spn_policy: Policy::Require,
        ..ServerConfig::default()
    };
    let plant = at(Leg::CHALLENGE, |m| {
        forge::target_info(m, |p| p.set(AvPair::TargetName("HTTP/a.corp.example".into())))
    });
    assert_eq!(
        raw_failure(ClientConfig::default(), server, plant),
        (Side::Server, ErrorKind::MessageAltered)
    );
}

// ---- Channel bindings --------------------------------------------------------------------

const SERVER_CERT: &[u8] = b"tls-server-end-point:server-cert";
const MITM_CERT: &[u8] = b"tls-server-end-point:mitm-cert";

fn cb(data: &[u8]) -> ChannelBindings {
    ChannelBindings::from_application_data(data)
}

/// What the client puts in MsvAvChannelBindings.
#[derive(Clone, Copy, Debug)]
enum Sent {
    /// The hash of the server's channel.
    Right,
    /// The hash of another channel (the client's TLS session ends at a man in the middle).
    Wrong,
    /// No MsvAvChannelBindings.
    Missing,
    /// Z(16): "no bindings available" (MS-NLMP 3.1.5.1.2), sent by a client with the password.
    Zero,
}

fn cb_case(sent: Sent, policy: Policy, server_cb: Option<&[u8]>) -> Result<(), ErrorKind> {
    let client_cb = match sent {
        Sent::Right => Some(cb(SERVER_CERT)),
        Sent::Wrong => Some(cb(MITM_CERT)),
        Sent::Missing | Sent::Zero => None,
    };
    let client = ClientConfig { channel_bindings: client_cb, ..ClientConfig::default() };
    let server = ServerConfig {
        channel_bindings: server_cb.map(cb),
        channel_binding_policy: policy,
        ..ServerConfig::default()
    };
    let t = transcript(alice(), client, server);
    let authenticate = match sent {
        Sent::Zero => {
            let mut a = Authenticate::open(&t.authenticate);
            a.av_pairs.set(AvPair::ChannelBindings([0; 16]));
            a.encode_with(&keys(&t))
        }
        _ => t.authenticate.clone(),
    };
    server_outcome(t, &authenticate, &alice_users())
}

#[test]
fn channel_bindings_under_each_policy() {
    use ErrorKind::BadBindings;
    let cases = [
        (Policy::Ignore, [Ok(()), Ok(()), Ok(()), Ok(())]),
        (Policy::Accept, [Ok(()), Err(BadBindings), Ok(()), Ok(())]),
        (Policy::Require, [Ok(()), Err(BadBindings), Err(BadBindings), Err(BadBindings)]),
    ];
    for (policy, expected) in cases {
        for (sent, expected) in
            [Sent::Right, Sent::Wrong, Sent::Missing, Sent::Zero].iter().zip(expected)
        {
            assert_eq!(cb_case(*sent, policy, Some(SERVER_CERT)), expected, "{sent:?} {policy:?}");
        }
    }
}

/// A server that requires bindings but has none of its own cannot check any.
#[test]
fn channel_bindings_required_by_a_server_without_its_own_are_bad_bindings() {
    assert_eq!(cb_case(Sent::Right, Policy::Require, None), Err(ErrorKind::BadBindings));
    assert_eq!(cb_case(Sent::Right, Policy::Accept, None), Ok(()));
}

/// A man in the middle cannot turn real bindings into "none" or "unknown": MsvAvChannelBindings
/// is inside the blob, under NTProofStr.
#[test]
fn channel_bindings_removed_or_zeroed_in_flight_break_the_ntproofstr() {
    for zero in [false, true] {
        let client =
            ClientConfig { channel_bindings: Some(cb(MITM_CERT)), ..ClientConfig::default() };
        let server =
            ServerConfig { channel_bindings: Some(cb(SERVER_CERT)), ..ServerConfig::default() };
        let t = transcript(alice(), client, server);
        let forged = forge::blob_pairs(&t.authenticate, |p| {
            if zero {
                p.set(AvPair::ChannelBindings([0; 16]));
            } else {
                p.remove(AvId::CHANNEL_BINDINGS);
            }
        });
        assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::LogonDenied, "{zero}");
    }
}

// ---- Target SPN --------------------------------------------------------------------------

const SERVER_SPN: &str = "HTTP/web.corp.example";

fn spn_case(client_spn: Option<&str>, policy: Policy, expected: &[&str]) -> Result<(), ErrorKind> {
    let client = ClientConfig { target_spn: client_spn.map(Into::into), ..ClientConfig::default() };
    let server = ServerConfig {
        expected_spns: expected.iter().map(|s| s.to_string()).collect(),
        spn_policy: policy,
        ..ServerConfig::default()
    };
    let t = transcript(alice(), client, server);
    let authenticate = t.authenticate.clone();
    server_outcome(t, &authenticate, &alice_users())
}

#[test]
fn spn_under_each_policy() {
    use ErrorKind::WrongPrincipal;
    // Right, another case, another server's, none, empty (which counts as none).
    let sent = [
        Some(SERVER_SPN),
        Some("http/WEB.corp.example"),
        Some("CIFS/evil.example"),
        None,
        Some(""),
    ];
    let cases = [
        (Policy::Ignore, [Ok(()), Ok(()), Ok(()), Ok(()), Ok(())]),
        (Policy::Accept, [Ok(()), Ok(()), Err(WrongPrincipal), Ok(()), Ok(())]),
        (
            Policy::Require,
            [Ok(()), Ok(()), Err(WrongPrincipal), Err(WrongPrincipal), Err(WrongPrincipal)],
        ),
    ];
    for (policy, expected) in cases {
        for (spn, expected) in sent.iter().zip(expected) {
            assert_eq!(spn_case(*spn, policy, &[SERVER_SPN]), expected, "{spn:?} {policy:?}");
        }
    }
}

/// With no expected SPNs, Accept has nothing to check against and Require nothing to match.
#[test]
fn spn_policy_without_expected_names() {
    assert_eq!(spn_case(Some("CIFS/evil.example"), Policy::Accept, &[]), Ok(()));
    assert_eq!(spn_case(Some(SERVER_SPN), Policy::Require, &[]), Err(ErrorKind::WrongPrincipal));
}

// ---- Relay and reflection ----------------------------------------------------------------

/// The victim believes it talks to the attacker's host E: that is the SPN it names and the
/// TLS channel it binds to.
fn victim_of_e() -> ClientConfig {
    ClientConfig {
        target_spn: Some("HTTP/e.evil.example".into()),
        channel_bindings: Some(cb(MITM_CERT)),
        ..ClientConfig::default()
    }
}

/// Server A: `HTTP/a.corp.example`, with its own TLS channel.
fn server_a(spn_policy: Policy, channel_binding_policy: Policy) -> ServerConfig {
    ServerConfig {
        expected_spns: vec!["HTTP/a.corp.example".into()],
        spn_policy,
        channel_bindings: Some(cb(SERVER_CERT)),
        channel_binding_policy,
        ..ServerConfig::default()
    }
}

/// Relay: E passes the victim's NEGOTIATE to A, A's CHALLENGE to the victim and the
/// victim's AUTHENTICATE back to A, all unaltered, so the MIC holds. A refuses by the name
/// the victim put in MsvAvTargetName, or by its channel bindings.
#[test]
fn relayed_handshake_is_refused_by_spn_or_channel_binding_policy() {
    for (spn, bindings, expected) in [
        (Policy::Accept, Policy::Ignore, ErrorKind::WrongPrincipal),
        (Policy::Require, Policy::Ignore, ErrorKind::WrongPrincipal),
        (Policy::Ignore, Policy::Accept, ErrorKind::BadBindings),
        (Policy::Ignore, Policy::Require, ErrorKind::BadBindings),
    ] {
        assert_eq!(
            raw_failure(victim_of_e(), server_a(spn, bindings), |_, m| m),
            (Side::Server, expected),
            "{spn:?} {bindings:?}"
        );
    }
}

/// Without SPN or channel-binding checks NTLM cannot tell a relay from a direct logon
/// (SECURITY.md, "What NTLM cannot protect against").
#[test]
fn relay_succeeds_when_a_checks_neither_spn_nor_bindings() {
    let (_, server) =
        handshake(alice(), victim_of_e(), server_a(Policy::Ignore, Policy::Ignore), &alice_users())
            .unwrap();
    assert_eq!(server.identity().unwrap().user, "alice");
}

/// Reflection: the victim's own host H also runs the server. The attacker opens a session
/// to H with a NEGOTIATE of its own, and answers the victim's connection with H's
/// CHALLENGE. The victim's MIC covers the NEGOTIATE *it* sent, so H, which received the
/// attacker's, finds it altered — without any name or binding policy.
#[test]
fn reflection_with_the_attackers_negotiate_is_message_altered() {
    let mut rng = SeededRandom::new(5);
    let attacker_negotiate = NegotiateMessage {
        flags: NegotiateMessage::decode(&captured().negotiate).unwrap().flags,
        domain: None,
        workstation: Some("ATTACKER".into()),
        version: None,
    }
    .encode()
    .unwrap();
    let mut h_server = ServerContext::new(ServerConfig::default());
    let ServerStep::Continue(h_challenge) =
        h_server.step(&attacker_negotiate, NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let mut victim = ClientContext::new(alice(), victim_of_e());
    victim.step(None, NOW, &mut rng).unwrap();
    let sspi_proto::ntlm::client::ClientStep::Done(reflected) =
        victim.step(Some(&h_challenge), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let e = finish_server(&mut h_server, &reflected, &alice_users()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageAltered);
    assert_server_dead(h_server, ErrorKind::MessageAltered);
}

/// Reflection with the victim's own NEGOTIATE passed on (the attacker waits for it): the
/// MIC holds, and only the SPN (E's, not H's) tells H.
#[test]
fn reflection_with_the_victims_negotiate_is_refused_by_spn() {
    let h = server_a(Policy::Require, Policy::Ignore);
    assert_eq!(raw_failure(victim_of_e(), h, |_, m| m), (Side::Server, ErrorKind::WrongPrincipal));
}

#[test]
fn server_fed_its_own_challenge_is_invalid_token() {
    let t = captured();
    let challenge = t.challenge.clone();
    assert_eq!(server_error(t, &challenge, &alice_users()), ErrorKind::InvalidToken);
}

#[test]
fn client_fed_its_own_negotiate_is_invalid_token() {
    let mut client = ClientContext::new(alice(), ClientConfig::default());
    let mut rng = SeededRandom::new(5);
    let sspi_proto::ntlm::client::ClientStep::Continue(negotiate) =
        client.step(None, NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let e = client.step(Some(&negotiate), NOW, &mut rng).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert_client_dead(client, ErrorKind::InvalidToken);
}

/// An AUTHENTICATE for server A's challenge, relayed to server B that answered the same
/// NEGOTIATE with its own challenge.
#[test]
fn authenticate_relayed_to_another_server_context_is_logon_denied() {
    let t = captured();
    let mut b = ServerContext::new(ServerConfig::default());
    b.step(&t.negotiate, NOW, &mut SeededRandom::new(12_345)).unwrap();
    let e = finish_server(&mut b, &t.authenticate, &alice_users()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LogonDenied);
    assert_server_dead(b, ErrorKind::LogonDenied);
}

// ---- Replay ------------------------------------------------------------------------------

#[test]
fn replayed_authenticate_to_the_completed_context_is_out_of_sequence() {
    let t = captured();
    let authenticate = t.authenticate.clone();
    let mut server = t.server;
    finish_server(&mut server, &authenticate, &alice_users()).unwrap();
    let e = server.step(&authenticate, NOW, &mut SeededRandom::new(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfSequence);
    assert_server_dead(server, ErrorKind::OutOfSequence);
}

/// The same AUTHENTICATE replayed a minute later (well inside the skew) to a fresh context
/// that issued its own CHALLENGE for the replayed NEGOTIATE.
#[test]
fn replayed_authenticate_to_a_fresh_context_is_logon_denied() {
    let t = captured();
    let later = FileTime(NOW.0 + FileTime::seconds(60));
    let mut fresh = ServerContext::new(ServerConfig::default());
    fresh.step(&t.negotiate, later, &mut SeededRandom::new(54_321)).unwrap();
    fresh.step(&t.authenticate, later, &mut SeededRandom::new(1)).unwrap();
    let hashes = alice_users().lookup("alice", "CORP");
    let e = fresh.provide_credentials(CredentialAnswer::NtHashes(hashes), later).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LogonDenied);
    assert_server_dead(fresh, ErrorKind::LogonDenied);
}

// ---- Time --------------------------------------------------------------------------------

/// The blob timestamp moved by a client with the password (a skewed clock), by `secs`.
fn skewed(secs: i64) -> Result<(), ErrorKind> {
    let t = captured();
    let mut a = Authenticate::open(&t.authenticate);
    a.timestamp = FileTime(NOW.0.checked_add_signed(secs * 10_000_000).unwrap());
    let forged = a.encode_with(&keys(&t));
    server_outcome(t, &forged, &alice_users())
}

#[test]
fn blob_timestamp_beyond_the_skew_is_time_skew() {
    assert_eq!(skewed(-301), Err(ErrorKind::TimeSkew), "past");
    assert_eq!(skewed(301), Err(ErrorKind::TimeSkew), "future");
    assert_eq!(skewed(-299), Ok(()));
    assert_eq!(skewed(299), Ok(()));
}

/// The same seen from the server's clock: the AUTHENTICATE arrives too late.
#[test]
fn authenticate_arriving_beyond_the_skew_is_time_skew() {
    let t = captured();
    let mut server = t.server;
    server.step(&t.authenticate, NOW, &mut SeededRandom::new(1)).unwrap();
    let later = FileTime(NOW.0 + FileTime::seconds(301));
    let hashes = alice_users().lookup("alice", "CORP");
    let e = server.provide_credentials(CredentialAnswer::NtHashes(hashes), later).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimeSkew);
    assert_server_dead(server, ErrorKind::TimeSkew);
}

/// Without the password the timestamp cannot move: it is under NTProofStr.
#[test]
fn blob_timestamp_moved_in_flight_is_logon_denied() {
    let t = captured();
    let mut a = Authenticate::open(&t.authenticate);
    a.timestamp = FileTime(NOW.0 + FileTime::seconds(10));
    let forged = a.encode();
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::LogonDenied);
}

/// A client that bounds the CHALLENGE's age refuses a stale (replayed) CHALLENGE.
#[test]
fn stale_challenge_is_time_skew_for_a_client_that_bounds_its_age() {
    let config =
        ClientConfig { max_challenge_age: Some(FileTime::seconds(60)), ..ClientConfig::default() };
    let mut client = ClientContext::new(alice(), config);
    let mut server = ServerContext::new(ServerConfig::default());
    let mut rng = SeededRandom::new(2);
    let sspi_proto::ntlm::client::ClientStep::Continue(n) =
        client.step(None, NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    let ServerStep::Continue(c) =
        server.step(&n, FileTime(NOW.0 - FileTime::seconds(3600)), &mut rng).unwrap()
    else {
        panic!()
    };
    assert_eq!(client.step(Some(&c), NOW, &mut rng).unwrap_err().kind(), ErrorKind::TimeSkew);
    assert_client_dead(client, ErrorKind::TimeSkew);
}

// ---- Anonymous ---------------------------------------------------------------------------

#[test]
fn anonymous_is_refused_by_default() {
    let t = transcript(Credentials::anonymous(), ClientConfig::default(), ServerConfig::default());
    let m = AuthenticateMessage::decode(&t.authenticate).unwrap();
    assert!(m.user.is_empty() && m.nt_challenge_response.is_empty());
    assert_eq!(m.lm_challenge_response, vec![0]);
    assert!(m.flags.contains(NegotiateFlags::ANONYMOUS));
    let authenticate = t.authenticate.clone();
    assert_eq!(server_error(t, &authenticate, &Users(vec![])), ErrorKind::LogonDenied);
}

/// Allowed by policy, anonymous completes with no key: no signing, sealing or key exchange.
#[test]
fn anonymous_allowed_by_policy_gets_no_message_protection() {
    let allow = ServerConfig { allow_anonymous: true, ..ServerConfig::default() };
    let (_, server) =
        handshake(Credentials::anonymous(), ClientConfig::default(), allow, &Users(vec![]))
            .unwrap();
    assert!(server.identity().unwrap().is_anonymous());
    let flags = server.flags().unwrap();
    assert!(flags.contains(NegotiateFlags::ANONYMOUS));
    assert!(
        !flags.intersects(NegotiateFlags::SIGN | NegotiateFlags::SEAL | NegotiateFlags::KEY_EXCH)
    );
}

/// A server that requires signing cannot get it from an anonymous logon.
#[test]
fn anonymous_cannot_satisfy_required_flags() {
    let server = ServerConfig {
        allow_anonymous: true,
        required_flags: NegotiateFlags::SIGN,
        ..ServerConfig::default()
    };
    let t = transcript(Credentials::anonymous(), ClientConfig::default(), server);
    let authenticate = t.authenticate.clone();
    assert_eq!(server_error(t, &authenticate, &Users(vec![])), ErrorKind::DowngradeDetected);
}

/// An empty user name with an NT response is not anonymous: it takes the credentials path
/// (and no user "" exists), even where anonymous is allowed.
#[test]
fn empty_user_with_an_nt_response_is_not_anonymous() {
    let allow = ServerConfig { allow_anonymous: true, ..ServerConfig::default() };
    let t = transcript(alice(), ClientConfig::default(), allow);
    let forged = forge::authenticate(&t.authenticate, |m| m.user.clear());
    let mut server = t.server;
    let step = server.step(&forged, NOW, &mut SeededRandom::new(1)).unwrap();
    let ServerStep::NeedCredentials(id) = step else { panic!("{step:?}") };
    assert_eq!(id.user, "");
    let hashes = alice_users().lookup(&id.user, &id.domain);
    let e = server.provide_credentials(CredentialAnswer::NtHashes(hashes), NOW).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LogonDenied);
    assert_server_dead(server, ErrorKind::LogonDenied);
}

/// An empty user with a 24-byte LM response and no NT response is neither anonymous nor
/// NTLMv2.
#[test]
fn empty_user_with_an_lm_response_is_not_anonymous() {
    let allow = ServerConfig { allow_anonymous: true, ..ServerConfig::default() };
    let t = transcript(Credentials::anonymous(), ClientConfig::default(), allow);
    let forged = forge::authenticate(&t.authenticate, |m| m.lm_challenge_response = vec![7; 24]);
    assert_eq!(server_error(t, &forged, &Users(vec![])), ErrorKind::InvalidToken);
}

// ---- Key exchange ------------------------------------------------------------------------

#[test]
fn encrypted_session_key_of_the_wrong_length_is_invalid_token() {
    for len in [0, 15, 17, 32] {
        let t = captured();
        let forged = forge::authenticate(&t.authenticate, |m| {
            m.encrypted_random_session_key = vec![0x55; len]
        });
        assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::InvalidToken, "{len}");
    }
}

/// Another 16-byte EncryptedRandomSessionKey decrypts to another exported key: the MIC,
/// keyed with it, fails.
#[test]
fn substituted_encrypted_session_key_is_message_altered() {
    let t = captured();
    let forged = forge::authenticate(&t.authenticate, |m| m.encrypted_random_session_key[0] ^= 1);
    assert_eq!(server_error(t, &forged, &alice_users()), ErrorKind::MessageAltered);
}

// ---- Sessions ----------------------------------------------------------------------------

/// A message sealed in one session and fed to another session's peer (cross-session replay;
/// replay, reordering and reflection inside one session are in `session/rejections.rs`).
#[test]
fn message_from_another_session_is_message_altered() {
    let session = |seed| {
        let t = transcript_seeded(alice(), ClientConfig::default(), ServerConfig::default(), seed);
        let authenticate = t.authenticate.clone();
        let mut server = t.server;
        finish_server(&mut server, &authenticate, &alice_users()).unwrap();
        (t.client.into_session().unwrap(), server.into_session().unwrap())
    };
    let (mut client_a, _) = session(31);
    let (mut client_b, mut server_b) = session(32);
    let from_a = client_a.wrap(b"for server A").unwrap();
    assert_eq!(server_b.unwrap(&from_a).unwrap_err().kind(), ErrorKind::MessageAltered);
    let from_b = client_b.wrap(b"for server B").unwrap();
    assert_eq!(
        server_b.unwrap(&from_b).unwrap_err().kind(),
        ErrorKind::MessageAltered,
        "the receiving direction stays closed"
    );
}

// ---- Negotiate (SPNEGO) ------------------------------------------------------------------

fn negotiate_pair() -> (NegotiateClient, NegotiateServer) {
    (
        NegotiateClient::new(alice(), ClientConfig::default()),
        NegotiateServer::new(ServerConfig::default(), AcceptMode::Negotiate),
    )
}

/// Runs a Negotiate handshake with `tamper`; returns the failure, after checking that the
/// side that raised it is dead.
fn negotiate_failure(tamper: impl FnMut(Leg, Vec<u8>) -> Vec<u8>) -> (Side, ErrorKind) {
    let (mut client, mut server) = negotiate_pair();
    let (side, e) = drive_negotiate(&mut client, &mut server, &alice_users(), tamper)
        .expect_err("the tampered handshake completed");
    match side {
        Side::Client => assert_negotiate_client_dead(client, e.kind()),
        Side::Server => assert_negotiate_server_dead(server, e.kind()),
    }
    (side, e.kind())
}

#[test]
fn mech_list_tampered_in_flight_is_message_altered() {
    let add_kerberos =
        at(Leg::NEGOTIATE, |t| forge::neg_init(t, |i| i.mech_types.push(Oid::KERBEROS)));
    assert_eq!(negotiate_failure(add_kerberos), (Side::Server, ErrorKind::MessageAltered));
}

/// The mechListMIC of the token of `leg` stripped, flipped at byte `at_byte`, cut to 15
/// bytes or grown to 17: each refused by the receiver, `by`.
fn mech_list_mic_tampered(leg: Leg, at_byte: usize, by: Side) {
    #[derive(Debug, Clone, Copy)]
    enum Edit {
        Strip,
        Flip,
        Cut,
        Grow,
    }
    for edit in [Edit::Strip, Edit::Flip, Edit::Cut, Edit::Grow] {
        let tamper = at(leg, |t| {
            forge::neg_resp(t, |r| match (edit, &mut r.mech_list_mic) {
                (Edit::Strip, mic) => *mic = None,
                (Edit::Flip, mic) => mic.as_mut().unwrap()[at_byte] ^= 0x81,
                (Edit::Cut, mic) => drop(mic.as_mut().unwrap().pop()),
                (Edit::Grow, mic) => mic.as_mut().unwrap().push(0),
            })
        });
        assert_eq!(negotiate_failure(tamper), (by, ErrorKind::MessageAltered), "{edit:?}");
    }
}

#[test]
fn client_mech_list_mic_stripped_flipped_or_resized_is_message_altered() {
    mech_list_mic_tampered(Leg::AUTHENTICATE, 6, Side::Server);
}

#[test]
fn server_mech_list_mic_stripped_flipped_or_resized_is_message_altered() {
    mech_list_mic_tampered(Leg::FINAL, 9, Side::Client);
}

/// Without SIGN there is no mechListMIC to check; the Negotiate client always asks for it,
/// so stripping it is a downgrade, and stripping it from AUTHENTICATE breaks the NTLM MIC.
#[test]
fn sign_stripped_to_skip_the_mech_list_mic_is_refused() {
    let no_sign = |ntlm: &[u8]| forge::flags(ntlm, |f| strip(f, NegotiateFlags::SIGN));
    for leg in [Leg::NEGOTIATE, Leg::CHALLENGE] {
        let tamper = at(leg, |t| forge::inner_ntlm(t, no_sign));
        assert_eq!(negotiate_failure(tamper), (Side::Client, ErrorKind::DowngradeDetected));
    }
    let tamper = at(Leg::AUTHENTICATE, |t| {
        let t = forge::inner_ntlm(t, no_sign);
        forge::neg_resp(&t, |r| r.mech_list_mic = None)
    });
    assert_eq!(negotiate_failure(tamper), (Side::Server, ErrorKind::MessageAltered));
}

// ---- The table in SECURITY.md ------------------------------------------------------------

/// Every `module::test` named in SECURITY.md's tables is a test function in `tests/it/`.
#[test]
fn security_md_names_only_existing_tests() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/SECURITY.md")).unwrap();
    let mut checked = 0;
    for line in doc.lines().filter(|l| l.starts_with('|')) {
        for name in line.split('`').skip(1).step_by(2) {
            let Some((module, test)) = name.rsplit_once("::") else { continue };
            let is_path =
                |s: &str| s.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == ':');
            if !is_path(module) || !is_path(test) {
                continue;
            }
            let file = format!("{root}/tests/it/{}.rs", module.replace("::", "/"));
            let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(
                source.contains(&format!("fn {test}(")),
                "SECURITY.md names {name}, not in {file}"
            );
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} test names found");
}
