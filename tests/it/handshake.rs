//! NTLM handshakes through the public API: the spec vector, the success matrix, credential
//! answers, sequencing errors. Attacks and policy refusals are in `attacks.rs`.

use sspi_proto::ntlm::ContextRequest;
use sspi_proto::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use sspi_proto::ntlm::crypto::NtHash;
use sspi_proto::ntlm::messages::{
    AuthenticateMessage, AvFlags, AvPair, ChallengeMessage, NtlmV2ClientChallenge, NtlmV2Response,
    Version,
};
use sspi_proto::ntlm::server::{CredentialAnswer, ServerConfig, ServerContext, ServerStep};
use sspi_proto::{Credentials, ErrorKind, FileTime, NegotiateFlags};

use crate::support::*;

const CHALLENGE_4_2_4_3: &str = "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000";
const AUTHENTICATE_4_2_4_3: &str = "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e";

#[test]
fn client_reproduces_ms_nlmp_4_2_4_3_authenticate() {
    let config = ClientConfig {
        workstation: Some("COMPUTER".into()),
        version: Version { major: 5, minor: 1, build: 2600, revision: 15 },
        ..ClientConfig::default()
    };
    let mut client =
        ClientContext::new(Credentials::password_in_domain("Domain", "User", "Password"), config);
    // Client challenge first, then the random session key.
    let mut rng = ScriptedRandom([vec![0xaa; 8], vec![0x55; 16]].concat());
    assert!(matches!(client.step(None, FileTime(0), &mut rng).unwrap(), ClientStep::Continue(_)));
    let step = client.step(Some(&hex(CHALLENGE_4_2_4_3)), FileTime(0), &mut rng).unwrap();
    assert_eq!(step, ClientStep::Done(hex(AUTHENTICATE_4_2_4_3)));
    // AUTHENTICATE carries 0xE2888235; REQUEST_TARGET is a request, not an agreed flag.
    assert_eq!(client.flags().unwrap().bits(), 0xE288_8231);
    assert_eq!(client.session_key().unwrap().as_bytes(), &[0x55; 16]);
    assert!(rng.0.is_empty(), "exactly 24 random bytes drawn");
}

fn identities() -> Vec<(&'static str, Credentials, (&'static str, &'static str), Users)> {
    let pw = "Pa55w0rd!";
    let hash = || NtHash::from_password(pw);
    vec![
        (
            "plain",
            Credentials::password_in_domain("CORP", "alice", pw),
            ("CORP", "alice"),
            Users::one("CORP", "alice", pw),
        ),
        (
            "DOMAIN\\user",
            Credentials::password("CORP\\alice", pw),
            ("CORP", "alice"),
            Users::one("corp", "ALICE", pw),
        ),
        (
            "user@domain",
            Credentials::password("alice@corp.example", pw),
            ("", "alice@corp.example"),
            Users::one("", "alice@corp.example", pw),
        ),
        (
            "empty domain",
            Credentials::password("alice", pw),
            ("", "alice"),
            Users::one("", "alice", pw),
        ),
        (
            "non-ASCII",
            Credentials::password("Société\\Jürgen-測試", "пароль🔑"),
            ("Société", "Jürgen-測試"),
            Users::one("Société", "Jürgen-測試", "пароль🔑"),
        ),
        (
            "NT hash",
            Credentials::nt_hash("CORP\\alice", hash()),
            ("CORP", "alice"),
            Users::one("CORP", "alice", pw),
        ),
        (
            "NT hash, empty domain",
            Credentials::nt_hash("bob", hash()),
            ("", "bob"),
            Users::one("", "bob", pw),
        ),
    ]
}

#[test]
fn handshake_matrix_agrees_on_identity_flags_and_key() {
    let requests = [ContextRequest::NONE, ContextRequest::SIGN, ContextRequest::SIGN_SEAL];
    let mut runs = 0;
    for request in requests {
        for key_exchange in [true, false] {
            for (name, creds, (domain, user), users) in identities() {
                let config = ClientConfig { request, key_exchange, ..ClientConfig::default() };
                let (client, server) = handshake(creds, config, ServerConfig::default(), &users)
                    .unwrap_or_else(|e| panic!("{name} {request:?} kx={key_exchange}: {e}"));
                let id = server.identity().unwrap();
                assert_eq!((id.domain.as_str(), id.user.as_str()), (domain, user), "{name}");
                assert_eq!(client.identity().unwrap().user, user);
                let flags = server.flags().unwrap();
                assert_eq!(client.flags().unwrap(), flags, "{name}");
                assert_eq!(flags.contains(NegotiateFlags::KEY_EXCH), key_exchange);
                assert_eq!(flags.contains(NegotiateFlags::SIGN), request.integrity);
                assert_eq!(flags.contains(NegotiateFlags::SEAL), request.confidentiality);
                assert_eq!(client.session_key().unwrap(), server.session_key().unwrap(), "{name}");
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 3 * 2 * 7);
}

#[test]
fn key_exchange_makes_the_exported_key_random() {
    let users = Users::one("CORP", "alice", "pw");
    let run = |kx| {
        let config = ClientConfig { key_exchange: kx, ..ClientConfig::default() };
        let (c, _) = handshake(
            Credentials::password("CORP\\alice", "pw"),
            config,
            ServerConfig::default(),
            &users,
        )
        .unwrap();
        c.session_key().unwrap().clone()
    };
    // Same seeds, so the only difference is whether the key was exchanged.
    assert_ne!(run(true), run(false));
}

fn alice() -> Credentials {
    Credentials::password("CORP\\alice", "right")
}

fn alice_users() -> Users {
    Users::one("CORP", "alice", "right")
}

#[test]
fn wrong_password_and_unknown_user_are_the_same_logon_denied() {
    let t = transcript(
        Credentials::password("CORP\\alice", "wrong"),
        ClientConfig::default(),
        ServerConfig::default(),
    );
    let auth = t.authenticate.clone();
    let mut server = t.server;
    let a = finish_server(&mut server, &auth, &alice_users()).unwrap_err();
    let mut t2 = transcript(
        Credentials::password("CORP\\mallory", "right"),
        ClientConfig::default(),
        ServerConfig::default(),
    );
    let auth2 = t2.authenticate.clone();
    let b = finish_server(&mut t2.server, &auth2, &alice_users()).unwrap_err();
    assert_eq!(a.kind(), ErrorKind::LogonDenied);
    assert_eq!(a, b, "unknown user and wrong password must be indistinguishable");
    assert_server_dead(server, ErrorKind::LogonDenied);
}

#[test]
fn key_rotation_accepts_any_candidate_hash() {
    let mut t = transcript(alice(), ClientConfig::default(), ServerConfig::default());
    let mut rng = SeededRandom::new(1);
    assert!(matches!(
        t.server.step(&t.authenticate, NOW, &mut rng).unwrap(),
        ServerStep::NeedCredentials(_)
    ));
    let candidates = vec![NtHash::from_password("old"), NtHash::from_password("right")];
    assert_eq!(
        t.server.provide_credentials(CredentialAnswer::NtHashes(candidates), NOW).unwrap(),
        ServerStep::Done(None)
    );
}

#[test]
fn pass_through_verdicts() {
    let mut t = transcript(alice(), ClientConfig::default(), ServerConfig::default());
    let mut rng = SeededRandom::new(1);
    t.server.step(&t.authenticate, NOW, &mut rng).unwrap();
    let req = t.server.pass_through_request().unwrap();
    assert_eq!(req.identity.user, "alice");
    // The outside validator: recompute the session base key from the NT response.
    let key = sspi_proto::ntlm::crypto::ntowf_v2(&NtHash::from_password("right"), "alice", "CORP");
    let resp = NtlmV2Response::decode(&req.nt_response).unwrap();
    let proof =
        sspi_proto::ntlm::crypto::nt_proof_str(&key, &req.server_challenge, resp.blob.raw());
    assert_eq!(proof, resp.nt_proof_str);
    let base = sspi_proto::ntlm::crypto::session_base_key_v2(&key, &proof);
    t.server.provide_credentials(CredentialAnswer::PassThrough(Some(base)), NOW).unwrap();
    assert!(t.server.is_complete());

    let mut denied = transcript(alice(), ClientConfig::default(), ServerConfig::default());
    denied.server.step(&denied.authenticate, NOW, &mut rng).unwrap();
    let e =
        denied.server.provide_credentials(CredentialAnswer::PassThrough(None), NOW).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LogonDenied);
}

#[test]
fn authenticate_before_negotiate_is_refused() {
    let t = transcript(alice(), ClientConfig::default(), ServerConfig::default());
    let mut fresh = ServerContext::new(ServerConfig::default());
    let mut rng = SeededRandom::new(1);
    let e = fresh.step(&t.authenticate, NOW, &mut rng).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert_server_dead(fresh, ErrorKind::InvalidToken);
}

#[test]
fn calls_after_completion_are_errors() {
    let users = alice_users();
    let (mut client, mut server) =
        handshake(alice(), ClientConfig::default(), ServerConfig::default(), &users).unwrap();
    let mut rng = SeededRandom::new(1);
    assert_eq!(client.step(None, NOW, &mut rng).unwrap_err().kind(), ErrorKind::OutOfSequence);
    assert_eq!(server.step(b"x", NOW, &mut rng).unwrap_err().kind(), ErrorKind::OutOfSequence);
    // ...and the first error is sticky.
    assert_eq!(server.step(b"x", NOW, &mut rng).unwrap_err().kind(), ErrorKind::OutOfSequence);
    assert!(server.session_key().is_err());
}

#[test]
fn garbage_challenge_kills_the_client() {
    let mut client = ClientContext::new(alice(), ClientConfig::default());
    let mut rng = SeededRandom::new(1);
    client.step(None, NOW, &mut rng).unwrap();
    assert_eq!(
        client.step(Some(b"garbage"), NOW, &mut rng).unwrap_err().kind(),
        ErrorKind::InvalidToken
    );
    assert_eq!(
        client.step(Some(b"garbage"), NOW, &mut rng).unwrap_err().kind(),
        ErrorKind::InvalidToken
    );
}

#[test]
fn nil_domain_retry() {
    use sspi_proto::ntlm::crypto;
    // A client that computes NTOWFv2 with an empty domain yet sends "CORP" (MS-NLMP
    // 3.2.5.1.2), built by hand from a real NEGOTIATE/CHALLENGE.
    let build = |server_config: ServerConfig| {
        let mut t = transcript(alice(), ClientConfig::default(), server_config);
        let challenge = ChallengeMessage::decode(&t.challenge).unwrap();
        let mut pairs = challenge.target_info.clone().unwrap();
        pairs.set(AvPair::Flags(AvFlags::MIC_PRESENT));
        let ts = pairs.get_timestamp().unwrap();
        let blob = NtlmV2ClientChallenge::new(ts, [9; 8], pairs).unwrap();
        let key = crypto::ntowf_v2(&NtHash::from_password("right"), "alice", "");
        let nt = crypto::ntlmv2_response(&key, &challenge.server_challenge, blob.raw());
        let base = crypto::session_base_key_v2(&key, nt[..16].try_into().unwrap());
        let mut m = AuthenticateMessage {
            flags: challenge.flags - NegotiateFlags::KEY_EXCH,
            lm_challenge_response: vec![0; 24],
            nt_challenge_response: nt,
            domain: "CORP".into(),
            user: "alice".into(),
            workstation: String::new(),
            encrypted_random_session_key: vec![],
            version: Version::WINDOWS_10,
            mic: Some([0; 16]),
        };
        let zeroed = m.encode_with_zero_mic().unwrap();
        m.mic = Some(crypto::mic(&base, &t.negotiate, &t.challenge, &zeroed));
        let auth = m.encode().unwrap();
        (finish_server(&mut t.server, &auth, &alice_users()).map_err(|e| e.kind()), t.server)
    };
    let (ok, server) = build(ServerConfig::default());
    assert_eq!(ok, Ok(()));
    assert_eq!(server.identity().unwrap().domain, "CORP");
    let (refused, _) = build(ServerConfig { nil_domain_retry: false, ..ServerConfig::default() });
    assert_eq!(refused, Err(ErrorKind::LogonDenied));
}

/// An NTLMv1 client, built by hand (this crate's client only speaks NTLMv2).
#[cfg(feature = "legacy-ntlmv1")]
fn ntlmv1_authenticate(t: &Transcript, password: &str, ess: bool) -> Vec<u8> {
    use sspi_proto::ntlm::crypto;
    let challenge = ChallengeMessage::decode(&t.challenge).unwrap();
    let hash = NtHash::from_password(password);
    let cc = [7u8; 8];
    let (nt, lm) = if ess {
        let mut lm = vec![0u8; 24];
        lm[..8].copy_from_slice(&cc);
        (crypto::ntlmv1_ess_response(&hash, &challenge.server_challenge, &cc), lm)
    } else {
        let r = crypto::ntlmv1_response(&hash, &challenge.server_challenge);
        (r, r.to_vec())
    };
    let mut flags = challenge.flags - NegotiateFlags::KEY_EXCH;
    flags.set(NegotiateFlags::EXTENDED_SESSIONSECURITY, ess);
    AuthenticateMessage {
        flags,
        lm_challenge_response: lm,
        nt_challenge_response: nt.to_vec(),
        domain: "CORP".into(),
        user: "alice".into(),
        workstation: String::new(),
        encrypted_random_session_key: vec![],
        version: Version::WINDOWS_10,
        mic: None,
    }
    .encode()
    .unwrap()
}

#[cfg(feature = "legacy-ntlmv1")]
#[test]
fn ntlmv1_accepted_only_when_policy_allows() {
    use sspi_proto::ntlm::crypto;
    use sspi_proto::ntlm::server::Policy;
    for ess in [true, false] {
        let allow = ServerConfig { allow_ntlmv1: true, ..ServerConfig::default() };
        let mut t = transcript(alice(), ClientConfig::default(), allow.clone());
        let auth = ntlmv1_authenticate(&t, "right", ess);
        finish_server(&mut t.server, &auth, &alice_users()).unwrap();
        // The session key is the NTLMv1 KXKEY (MS-NLMP 3.4.5.1).
        let base = crypto::session_base_key_v1(&NtHash::from_password("right"));
        let key = t.server.session_key().unwrap();
        if ess {
            assert_ne!(key, &base);
        } else {
            assert_eq!(key, &base);
        }
        // Wrong password, and the default policy, are both refused.
        let t = transcript(alice(), ClientConfig::default(), allow.clone());
        let auth = ntlmv1_authenticate(&t, "wrong", ess);
        assert_eq!(server_error(t, &auth, &alice_users()), ErrorKind::LogonDenied);
        let t = transcript(alice(), ClientConfig::default(), ServerConfig::default());
        let auth = ntlmv1_authenticate(&t, "right", ess);
        assert_eq!(server_error(t, &auth, &alice_users()), ErrorKind::LogonDenied);
        // NTLMv1 cannot carry channel bindings: a Require policy refuses it.
        let strict = ServerConfig { channel_binding_policy: Policy::Require, ..allow };
        let t = transcript(alice(), ClientConfig::default(), strict);
        let auth = ntlmv1_authenticate(&t, "right", ess);
        assert_eq!(server_error(t, &auth, &alice_users()), ErrorKind::BadBindings);
    }
}

#[test]
fn datagram_handshake_starts_with_the_challenge() {
    let mut rng = SeededRandom::new(12);
    let request = ContextRequest { datagram: true, ..ContextRequest::default() };
    let mut client =
        ClientContext::new(alice(), ClientConfig { request, ..ClientConfig::default() });
    // A datagram client has no NEGOTIATE: asking for one is out of sequence.
    let mut probe =
        ClientContext::new(alice(), ClientConfig { request, ..ClientConfig::default() });
    assert_eq!(probe.step(None, NOW, &mut rng).unwrap_err().kind(), ErrorKind::OutOfSequence);

    let mut server = ServerContext::new(ServerConfig::default());
    let ServerStep::Continue(challenge) = server.start_datagram(NOW, &mut rng).unwrap() else {
        panic!()
    };
    let ClientStep::Done(auth) = client.step(Some(&challenge), NOW, &mut rng).unwrap() else {
        panic!()
    };
    finish_server(&mut server, &auth, &alice_users()).unwrap();
    let flags = server.flags().unwrap();
    assert!(flags.contains(NegotiateFlags::DATAGRAM | NegotiateFlags::KEY_EXCH), "{flags:?}");
    assert_eq!(client.flags().unwrap(), flags);
    assert_eq!(client.session_key().unwrap(), server.session_key().unwrap());
    let mut c = client.into_session().unwrap();
    let mut s = server.into_session().unwrap();
    // The caller supplies sequence numbers, and datagrams may arrive in any order.
    let sig5 = c.sign_with_seq(5, b"five").unwrap();
    let sig2 = c.sign_with_seq(2, b"two").unwrap();
    s.verify_with_seq(2, b"two", &sig2).unwrap();
    s.verify_with_seq(5, b"five", &sig5).unwrap();
    assert_eq!(
        s.verify_with_seq(6, b"five", &sig5).unwrap_err().kind(),
        ErrorKind::OutOfSequence,
        "a signature is bound to its sequence number"
    );
}
