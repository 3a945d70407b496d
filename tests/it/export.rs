//! Context export and import (ExportSecurityContext / ImportSecurityContext): a server
//! mid-handshake moves to another "process", established sessions move and continue their
//! sequence numbers and keystreams, and no byte string makes an import panic.

use proptest::prelude::*;
use sspi_proto::buffer::SecBuffer;
use sspi_proto::ntlm::ContextRequest;
use sspi_proto::ntlm::client::{ClientConfig, ClientContext as NtlmClient, ClientStep};
use sspi_proto::ntlm::crypto::{ChannelBindings, Signature};
use sspi_proto::ntlm::export::{ExportKind, ExportedContext};
use sspi_proto::ntlm::server::{
    CredentialAnswer, Policy, ServerConfig, ServerContext as NtlmServer, ServerStep,
};
use sspi_proto::ntlm::session::Session;
use sspi_proto::spnego::server::NegotiateServer;
use sspi_proto::sspi::{
    self, ClientOptions, CredentialUse, CredentialsHandle, Package, ServerOptions, Step,
};
use sspi_proto::{Credentials, ErrorKind, FileTime};

use crate::support::*;

fn alice() -> Credentials {
    Credentials::password("CORP\\alice", "s3cret")
}

fn users() -> Users {
    Users::one("CORP", "alice", "s3cret")
}

/// Sends one sealed and one signed message from `from` to `to`, and checks them.
fn one_way(from: &mut Session, to: &mut Session, tag: u8) {
    let plain = vec![tag; 40 + usize::from(tag)];
    let mut data = plain.clone();
    let sig = from.seal_in_place(&mut data).unwrap();
    assert_ne!(data, plain);
    to.unseal_in_place(&mut data, &sig).unwrap();
    assert_eq!(data, plain);
    let sig = from.sign(&plain).unwrap();
    to.verify(&plain, &sig).unwrap();
}

/// [`one_way`] in both directions.
fn exchange(client: &mut Session, server: &mut Session, tag: u8) {
    one_way(client, server, tag);
    one_way(server, client, tag);
}

/// An NTLM server that has sent CHALLENGE, and the client that will answer it.
fn ntlm_mid_handshake(config: ClientConfig) -> (NtlmClient, NtlmServer, Vec<u8>) {
    let mut rng = SeededRandom::new(3);
    let mut client = NtlmClient::new(alice(), config);
    let mut server = NtlmServer::new(ServerConfig::default());
    let ClientStep::Continue(negotiate) = client.step(None, NOW, &mut rng).unwrap() else {
        panic!("NEGOTIATE expected")
    };
    let ServerStep::Continue(challenge) = server.step(&negotiate, NOW, &mut rng).unwrap() else {
        panic!("CHALLENGE expected")
    };
    (client, server, challenge)
}

/// Established raw NTLM sessions (client, server).
fn ntlm_sessions() -> (Session, Session) {
    let (client, server) =
        handshake(alice(), ClientConfig::default(), ServerConfig::default(), &users()).unwrap();
    (client.into_session().unwrap(), server.into_session().unwrap())
}

#[test]
fn ntlm_server_exported_after_challenge_finishes_elsewhere() {
    let (mut client, server, challenge) = ntlm_mid_handshake(ClientConfig::default());
    let exported = server.export().unwrap();
    assert_eq!(exported.kind(), Some(ExportKind::NtlmServer));
    drop(server);

    // Another process: its own configuration, the exported state.
    let config = ServerConfig { nb_computer_name: "OTHER".into(), ..ServerConfig::default() };
    let mut server = NtlmServer::import(config, exported.as_bytes()).unwrap();
    let ClientStep::Done(authenticate) =
        client.step(Some(&challenge), NOW, &mut SeededRandom::new(4)).unwrap()
    else {
        panic!("AUTHENTICATE expected")
    };
    finish_server(&mut server, &authenticate, &users()).unwrap();
    assert_eq!(client.session_key().unwrap(), server.session_key().unwrap());
    assert_eq!(server.identity().unwrap().user, "alice");
    assert_eq!(server.identity().unwrap().domain, "CORP");
    assert_eq!(client.flags().unwrap(), server.flags().unwrap());
    let (mut c, mut s) = (client.into_session().unwrap(), server.into_session().unwrap());
    exchange(&mut c, &mut s, 1);
}

#[test]
fn imported_server_is_judged_by_the_importers_policy() {
    let (mut client, server, challenge) = ntlm_mid_handshake(ClientConfig::default());
    let exported = server.export().unwrap();
    let strict = ServerConfig {
        channel_bindings: Some(ChannelBindings::from_application_data(b"tls-server-end-point:x")),
        channel_binding_policy: Policy::Require,
        ..ServerConfig::default()
    };
    let mut server = NtlmServer::import(strict, exported.as_bytes()).unwrap();
    let ClientStep::Done(authenticate) =
        client.step(Some(&challenge), NOW, &mut SeededRandom::new(4)).unwrap()
    else {
        panic!()
    };
    let err = finish_server(&mut server, &authenticate, &users()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadBindings);
}

#[test]
fn ntlm_server_exports_only_while_waiting_for_authenticate() {
    let fresh = NtlmServer::new(ServerConfig::default());
    assert_eq!(fresh.export().unwrap_err().kind(), ErrorKind::OutOfSequence);
    let (_, done) =
        handshake(alice(), ClientConfig::default(), ServerConfig::default(), &users()).unwrap();
    assert_eq!(done.export().unwrap_err().kind(), ErrorKind::OutOfSequence);
    let mut failed = NtlmServer::new(ServerConfig::default());
    let e = failed.step(b"garbage", NOW, &mut SeededRandom::new(1)).unwrap_err();
    assert_eq!(failed.export().unwrap_err(), e);
}

#[test]
fn datagram_server_exported_after_challenge_finishes_elsewhere() {
    let mut rng = SeededRandom::new(5);
    let request = ContextRequest { datagram: true, ..ContextRequest::default() };
    let mut client = NtlmClient::new(alice(), ClientConfig { request, ..ClientConfig::default() });
    let mut server = NtlmServer::new(ServerConfig::default());
    let ServerStep::Continue(challenge) = server.start_datagram(NOW, &mut rng).unwrap() else {
        panic!()
    };
    let exported = server.export().unwrap();
    let mut server = NtlmServer::import(ServerConfig::default(), exported.as_bytes()).unwrap();
    let ClientStep::Done(authenticate) = client.step(Some(&challenge), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    finish_server(&mut server, &authenticate, &users()).unwrap();
    let (c, s) = (client.into_session().unwrap(), server.into_session().unwrap());
    // Datagram sessions take sequence numbers from the caller; the export keeps the mode.
    let (mut c, mut s) = (
        Session::import(c.export().unwrap().as_bytes()).unwrap(),
        Session::import(s.export().unwrap().as_bytes()).unwrap(),
    );
    let mut data = b"datagram".to_vec();
    let sig = c.seal_in_place_with_seq(7, &mut data).unwrap();
    s.unseal_in_place_with_seq(7, &mut data, &sig).unwrap();
    assert_eq!(data, b"datagram");
    assert_eq!(c.seal_in_place(&mut data).unwrap_err().kind(), ErrorKind::UnsupportedFunction);
}

#[test]
fn established_sessions_continue_after_export_on_both_sides() {
    let (mut client, mut server) = ntlm_sessions();
    for tag in 0..3 {
        exchange(&mut client, &mut server, tag);
    }
    // The last message of the old sessions, already accepted: a replay candidate.
    let mut replayed = b"already delivered".to_vec();
    let replayed_sig = client.seal_in_place(&mut replayed).unwrap();
    let mut copy = replayed.clone();
    server.unseal_in_place(&mut copy, &replayed_sig).unwrap();

    let client_export = client.export().unwrap();
    let server_export = server.export().unwrap();
    assert_eq!(client_export.kind(), Some(ExportKind::NtlmSession));
    drop((client, server));
    let mut client = Session::import(client_export.as_bytes()).unwrap();
    let mut server = Session::import(server_export.as_bytes()).unwrap();
    for tag in 3..6 {
        exchange(&mut client, &mut server, tag);
    }
    let err = server.unseal_in_place(&mut replayed, &replayed_sig).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfSequence);
    // The receiving direction stays closed, and so it does across another export.
    let mut server = Session::import(server.export().unwrap().as_bytes()).unwrap();
    let sig = client.sign(b"after").unwrap();
    assert_eq!(server.verify(b"after", &sig).unwrap_err().kind(), ErrorKind::OutOfSequence);
    let sig = server.sign(b"sending still works").unwrap();
    client.verify(b"sending still works", &sig).unwrap();
}

#[test]
fn one_side_moving_is_invisible_to_the_peer() {
    let (mut client, mut server) = ntlm_sessions();
    exchange(&mut client, &mut server, 0);
    let mut server = Session::import(server.export().unwrap().as_bytes()).unwrap();
    exchange(&mut client, &mut server, 1);
    let mut client = Session::import(client.export().unwrap().as_bytes()).unwrap();
    exchange(&mut client, &mut server, 2);
    let token = server.wrap(b"wrapped").unwrap();
    assert_eq!(client.unwrap(&token).unwrap(), b"wrapped");
}

#[cfg(feature = "legacy-ntlmv1")]
#[test]
fn legacy_session_with_one_shared_rc4_state_continues() {
    use sspi_proto::NegotiateFlags;
    use sspi_proto::ntlm::crypto::SessionKey;
    use sspi_proto::ntlm::session::{Role, SessionParams};
    let flags = NegotiateFlags::SIGN
        | NegotiateFlags::SEAL
        | NegotiateFlags::NTLM
        | NegotiateFlags::NEGOTIATE_128
        | NegotiateFlags::UNICODE;
    let new = |role| {
        Session::new(SessionParams {
            flags,
            exported_session_key: SessionKey::from_bytes([0x42; 16]),
            role,
        })
        .unwrap()
    };
    let (mut client, mut server) = (new(Role::Client), new(Role::Server));
    // Half-duplex (MS-NLMP 3.4: one RC4 state for both directions): one way at a time.
    let one_way = |from: &mut Session, to: &mut Session, n: u8| {
        let mut data = vec![n; 20];
        let sig = from.seal_in_place(&mut data).unwrap();
        to.unseal_in_place(&mut data, &sig).unwrap();
        assert_eq!(data, vec![n; 20]);
    };
    one_way(&mut client, &mut server, 1);
    let exported = client.export().unwrap();
    assert_eq!(exported.as_bytes().len(), 6 + 33 + 258, "one shared RC4 state");
    let mut client = Session::import(exported.as_bytes()).unwrap();
    let mut server = Session::import(server.export().unwrap().as_bytes()).unwrap();
    one_way(&mut client, &mut server, 2);
}

/// Runs an `sspi` handshake; after the server's first token its context is exported and
/// replaced by an import (another process) when `move_server` is set.
fn sspi_run(
    client_package: Package,
    server_package: Package,
    server_options: ServerOptions,
    move_server: bool,
) -> (sspi::ClientContext, sspi::ServerContext) {
    let mut rng = SeededRandom::new(9);
    let out =
        CredentialsHandle::acquire(client_package, CredentialUse::Outbound, Some(alice())).unwrap();
    let inb = CredentialsHandle::acquire(server_package, CredentialUse::Inbound, None).unwrap();
    let mut client =
        sspi::ClientContext::new(client_package, &out, ClientOptions::default()).unwrap();
    let mut server =
        sspi::ServerContext::new(server_package, &inb, server_options.clone()).unwrap();
    let Step::Continue(mut to_server) = client.step(None, NOW, &mut rng).unwrap() else { panic!() };
    let mut moved = !move_server;
    loop {
        let mut step = server.step(&to_server, NOW, &mut rng).unwrap();
        if let ServerStep::NeedCredentials(id) = &step {
            let hashes = users().lookup(&id.user, &id.domain);
            step = server.provide_credentials(CredentialAnswer::NtHashes(hashes), NOW).unwrap();
        }
        if !moved {
            let bytes = server.export().unwrap();
            assert_eq!(bytes.kind(), Some(ExportKind::SspiContext));
            server = sspi::ServerContext::import(
                server_package,
                &inb,
                server_options.clone(),
                bytes.as_bytes(),
            )
            .unwrap();
            moved = true;
        }
        let to_client = match step {
            ServerStep::Continue(t) | ServerStep::Done(Some(t)) => t,
            ServerStep::Done(None) => return (client, server),
            ServerStep::NeedCredentials(_) => unreachable!(),
        };
        match client.step(Some(&to_client), NOW, &mut rng).unwrap() {
            Step::Continue(t) | Step::Done(Some(t)) => to_server = t,
            Step::Done(None) => return (client, server),
        }
    }
}

fn sspi_exchange(client: &mut sspi::ClientContext, server: &mut sspi::ServerContext, tag: u8) {
    let plain = vec![tag; 33];
    let mut data = plain.clone();
    let mut trailer = [0u8; 16];
    client
        .encrypt(0, &mut [SecBuffer::token(&mut trailer), SecBuffer::data(&mut data)], NOW)
        .unwrap();
    server.decrypt(&mut [SecBuffer::token(&mut trailer), SecBuffer::data(&mut data)], NOW).unwrap();
    assert_eq!(data, plain);
    let token = server.wrap(&plain, NOW).unwrap();
    assert_eq!(client.unwrap(&token, NOW).unwrap(), plain);
}

fn check_agree(client: &sspi::ClientContext, server: &sspi::ServerContext) {
    assert_eq!(client.session_key().unwrap(), server.session_key().unwrap());
    assert_eq!(server.names().unwrap().user, "alice");
    assert_eq!(client.negotiated_flags().unwrap(), server.negotiated_flags().unwrap());
}

#[test]
fn sspi_server_moves_after_challenge_for_every_package() {
    for package in [Package::Ntlm, Package::Negotiate] {
        let (mut client, mut server) = sspi_run(package, package, ServerOptions::default(), true);
        check_agree(&client, &server);
        sspi_exchange(&mut client, &mut server, 1);
    }
    // A Negotiate server that accepted a raw NTLM client.
    let options = ServerOptions { accept_raw_ntlm: true, ..ServerOptions::default() };
    let (mut client, mut server) = sspi_run(Package::Ntlm, Package::Negotiate, options, true);
    check_agree(&client, &server);
    sspi_exchange(&mut client, &mut server, 2);
}

#[test]
fn sspi_established_contexts_move_and_continue() {
    for package in [Package::Ntlm, Package::Negotiate] {
        let expiry = FileTime(NOW.0 + 10_000_000_000);
        let options = ServerOptions { expires: Some(expiry), ..ServerOptions::default() };
        let (mut client, mut server) = sspi_run(package, package, options, false);
        sspi_exchange(&mut client, &mut server, 0);
        let lifespan = server.lifespan();
        let attributes = (client.attributes().unwrap(), server.attributes().unwrap());
        let client_bytes = client.export().unwrap();
        let server_bytes = server.export().unwrap();
        drop((client, server));

        let mut client = sspi::ClientContext::import(package, client_bytes.as_bytes()).unwrap();
        let inb = CredentialsHandle::acquire(package, CredentialUse::Inbound, None).unwrap();
        let mut server = sspi::ServerContext::import(
            package,
            &inb,
            ServerOptions::default(),
            server_bytes.as_bytes(),
        )
        .unwrap();
        check_agree(&client, &server);
        assert_eq!(server.names().unwrap().domain, "CORP");
        assert_eq!(server.lifespan(), lifespan);
        assert_eq!((client.attributes().unwrap(), server.attributes().unwrap()), attributes);
        for tag in 1..4 {
            sspi_exchange(&mut client, &mut server, tag);
        }
        let sig = client.make_signature(b"m", NOW).unwrap();
        server.verify_signature(b"m", &sig, NOW).unwrap();
        assert_eq!(
            server.verify_signature(b"m", &sig, NOW).unwrap_err().kind(),
            ErrorKind::OutOfSequence,
            "replay rejected"
        );
        // The exported expiry holds (on a fresh import: the replay failed this one for
        // good), and an earlier one from the importer wins.
        let after = FileTime(expiry.0 + 1);
        let mut server = sspi::ServerContext::import(
            package,
            &inb,
            ServerOptions::default(),
            server_bytes.as_bytes(),
        )
        .unwrap();
        assert_eq!(
            server.make_signature(b"late", after).unwrap_err().kind(),
            ErrorKind::ContextExpired
        );
        let earlier = FileTime(NOW.0 + 1);
        let options = ServerOptions { expires: Some(earlier), ..ServerOptions::default() };
        let mut server =
            sspi::ServerContext::import(package, &inb, options, server_bytes.as_bytes()).unwrap();
        assert_eq!(server.lifespan().expiry, Some(earlier));
        assert_eq!(
            server.make_signature(b"late", FileTime(earlier.0 + 1)).unwrap_err().kind(),
            ErrorKind::ContextExpired
        );
    }
}

#[test]
fn sspi_export_refusals() {
    let out =
        CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Outbound, Some(alice())).unwrap();
    let inb = CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Inbound, None).unwrap();
    // A client mid-handshake does not export.
    let mut client =
        sspi::ClientContext::new(Package::Ntlm, &out, ClientOptions::default()).unwrap();
    assert_eq!(client.export().unwrap_err().kind(), ErrorKind::OutOfSequence);
    client.step(None, NOW, &mut SeededRandom::new(1)).unwrap();
    assert_eq!(client.export().unwrap_err().kind(), ErrorKind::OutOfSequence);
    // A fresh server has nothing to export; a deleted one is no handle.
    let mut server =
        sspi::ServerContext::new(Package::Ntlm, &inb, ServerOptions::default()).unwrap();
    assert_eq!(server.export().unwrap_err().kind(), ErrorKind::OutOfSequence);
    server.delete();
    assert_eq!(server.export().unwrap_err().kind(), ErrorKind::InvalidHandle);

    let (client, server) = sspi_run(Package::Ntlm, Package::Ntlm, ServerOptions::default(), false);
    let client_bytes = client.export().unwrap();
    let server_bytes = server.export().unwrap();
    // Wrong role, both ways.
    let e = sspi::ClientContext::import(Package::Ntlm, server_bytes.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert!(e.detail().contains("role"), "{e}");
    let e = sspi::ServerContext::import(
        Package::Ntlm,
        &inb,
        ServerOptions::default(),
        client_bytes.as_bytes(),
    )
    .unwrap_err();
    assert!(e.kind() == ErrorKind::InvalidToken && e.detail().contains("role"), "{e}");
    // Another package.
    let e = sspi::ClientContext::import(Package::Negotiate, client_bytes.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    // Credentials are checked as by `new`.
    let e = sspi::ServerContext::import(
        Package::Ntlm,
        &out,
        ServerOptions::default(),
        server_bytes.as_bytes(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoCredentials);
    // A session export is not an SSPI export, and the other way round.
    let (session, _) = ntlm_sessions();
    let session_bytes = session.export().unwrap();
    let e = sspi::ClientContext::import(Package::Ntlm, session_bytes.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert_eq!(
        Session::import(client_bytes.as_bytes()).unwrap_err().kind(),
        ErrorKind::InvalidToken
    );
}

/// One export of every kind and shape, with the import that takes it (made once).
fn samples() -> &'static [(&'static str, ExportedContext)] {
    static SAMPLES: std::sync::OnceLock<Vec<(&'static str, ExportedContext)>> =
        std::sync::OnceLock::new();
    SAMPLES.get_or_init(make_samples)
}

fn make_samples() -> Vec<(&'static str, ExportedContext)> {
    let (client, server) = ntlm_sessions();
    let (_, ntlm_server, _) = ntlm_mid_handshake(ClientConfig::default());
    let (_, mid_ntlm) = {
        let mut rng = SeededRandom::new(9);
        let inb =
            CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Inbound, None).unwrap();
        let out =
            CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Outbound, Some(alice()))
                .unwrap();
        let mut c =
            sspi::ClientContext::new(Package::Negotiate, &out, ClientOptions::default()).unwrap();
        let mut s =
            sspi::ServerContext::new(Package::Negotiate, &inb, ServerOptions::default()).unwrap();
        let Step::Continue(t) = c.step(None, NOW, &mut rng).unwrap() else { panic!() };
        s.step(&t, NOW, &mut rng).unwrap();
        (c, s)
    };
    let mut negotiate = NegotiateServer::new(ServerConfig::default(), Default::default());
    let mut rng = SeededRandom::new(2);
    let mut c = sspi_proto::spnego::client::NegotiateClient::new(alice(), ClientConfig::default());
    let sspi_proto::spnego::client::NegotiateStep::Continue(init) =
        c.step(None, NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    negotiate.step(&init, NOW, &mut rng).unwrap();
    let (sc, ss) =
        sspi_run(Package::Negotiate, Package::Negotiate, ServerOptions::default(), false);
    vec![
        ("session", client.export().unwrap()),
        ("session", server.export().unwrap()),
        ("ntlm server", ntlm_server.export().unwrap()),
        ("negotiate server", negotiate.export().unwrap()),
        ("sspi server", mid_ntlm.export().unwrap()),
        ("sspi client", sc.export().unwrap()),
        ("sspi server", ss.export().unwrap()),
    ]
}

/// Imports `bytes` with the importer `name` stands for; if that works, uses the context
/// a little. Returns the import's result kind. Must never panic.
fn import_and_use(name: &str, bytes: &[u8]) -> Result<(), ErrorKind> {
    let mut rng = SeededRandom::new(1);
    let mut data = vec![7u8; 24];
    let sig = Signature([0u8; 16]);
    match name {
        "session" => {
            let mut s = Session::import(bytes).map_err(|e| e.kind())?;
            let _ = s.seal_in_place(&mut data);
            let _ = s.unseal_in_place(&mut data, &sig);
            let _ = s.sign_with_seq(1, &data);
            let _ = s.verify(&data, &sig);
            let _ = format!("{s:?}");
        }
        "ntlm server" => {
            let mut s = NtlmServer::import(ServerConfig::default(), bytes).map_err(|e| e.kind())?;
            let _ = s.export();
            let _ = s.step(b"NTLMSSP\0\x03\0\0\0", NOW, &mut rng);
        }
        "negotiate server" => {
            let mut s =
                NegotiateServer::import(ServerConfig::default(), bytes).map_err(|e| e.kind())?;
            let _ = s.export();
            let _ = s.step(&[0xa1, 0x00], NOW, &mut rng);
        }
        "sspi client" => {
            for package in [Package::Ntlm, Package::Negotiate] {
                if let Ok(mut c) = sspi::ClientContext::import(package, bytes) {
                    let _ = c.export();
                    let _ = c.wrap(&data, NOW);
                    let _ = c.unwrap(&data, NOW);
                    return Ok(());
                }
            }
            return Err(ErrorKind::InvalidToken);
        }
        _ => {
            let mut last = ErrorKind::InvalidToken;
            for package in [Package::Ntlm, Package::Negotiate] {
                let inb =
                    CredentialsHandle::acquire(package, CredentialUse::Inbound, None).unwrap();
                match sspi::ServerContext::import(package, &inb, ServerOptions::default(), bytes) {
                    Ok(mut s) => {
                        let _ = s.export();
                        let _ = s.wrap(&data, NOW);
                        let _ = s.step(&data, NOW, &mut rng);
                        return Ok(());
                    }
                    Err(e) => last = e.kind(),
                }
            }
            return Err(last);
        }
    }
    Ok(())
}

#[test]
fn every_sample_round_trips_and_every_prefix_is_invalid() {
    for (name, exported) in samples() {
        let bytes = exported.as_bytes();
        assert_eq!(import_and_use(name, bytes), Ok(()), "{name}");
        for len in 0..bytes.len() {
            assert_eq!(
                import_and_use(name, &bytes[..len]),
                Err(ErrorKind::InvalidToken),
                "{name} truncated to {len}"
            );
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(import_and_use(name, &longer), Err(ErrorKind::InvalidToken), "{name}");
    }
}

#[test]
fn header_is_checked_field_by_field() {
    let (session, _) = ntlm_sessions();
    let good = session.export().unwrap();
    let detail = |mutate: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.as_bytes().to_vec();
        mutate(&mut bytes);
        let e = Session::import(&bytes).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        e.detail()
    };
    assert!(detail(&|b| b[0] = b'X').contains("magic"));
    assert!(detail(&|b| b[4] = 2).contains("version"));
    assert!(detail(&|b| b[5] = 0).contains("unknown kind"));
    assert!(detail(&|b| b[5] = 2).contains("kind is not"));
    assert!(detail(&|b| b[6] = 2).contains("role"));
    assert!(detail(&|b| b[35..39].copy_from_slice(&[1, 2, 3, 4])).contains("closed status"));
    // The first RC4 state starts after the 6-byte header and 33 bytes of fixed fields.
    assert!(detail(&|b| b[39] = b[40]).contains("permutation"));
    assert!(detail(&|b| b.push(0)).contains("trailing"));
    assert!(detail(&|b| b.truncate(50)).contains("RC4"));

    // A CHALLENGE that does not carry the exported server challenge.
    let (_, server, _) = ntlm_mid_handshake(ClientConfig::default());
    let mut bytes = server.export().unwrap().as_bytes().to_vec();
    bytes[10] ^= 1;
    let e = NtlmServer::import(ServerConfig::default(), &bytes).unwrap_err();
    assert!(e.kind() == ErrorKind::InvalidToken && e.detail().contains("server challenge"), "{e}");
}

#[test]
fn exports_never_print_their_bytes() {
    for (_, exported) in samples() {
        let shown = format!("{exported:?}");
        assert!(shown.starts_with("ExportedContext"), "{shown}");
        assert!(shown.len() < 80, "{shown}");
        let first = exported.as_bytes()[6..12].iter().map(|b| b.to_string()).collect::<Vec<_>>();
        assert!(!shown.contains(&first.join(", ")), "{shown}");
        assert!(!shown.contains("83, 83, 80, 88"), "{shown}");
    }
    let (session, _) = ntlm_sessions();
    let exported = session.export().unwrap();
    let key = &exported.as_bytes()[11..27];
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let imported = Session::import(exported.as_bytes()).unwrap();
    let shown = format!("{imported:?} {exported:?}");
    assert!(!shown.contains(&hex), "{shown}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Flipping any bit gives an error or a context that still works; never a panic.
    #[test]
    fn flipped_bits_never_panic(which in 0usize..7, at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let samples = samples();
        let (name, exported) = &samples[which];
        let mut bytes = exported.as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let _ = import_and_use(name, &bytes);
    }

    /// Any byte set to any value, the same.
    #[test]
    fn replaced_bytes_never_panic(which in 0usize..7, at in any::<prop::sample::Index>(), value in any::<u8>()) {
        let samples = samples();
        let (name, exported) = &samples[which];
        let mut bytes = exported.as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] = value;
        let _ = import_and_use(name, &bytes);
    }

    /// Arbitrary bytes after a valid header of each kind.
    #[test]
    fn arbitrary_bodies_are_rejected_cleanly(kind in 1u8..=4, body in proptest::collection::vec(any::<u8>(), 0..700)) {
        let mut bytes = b"SSPX\x01".to_vec();
        bytes.push(kind);
        bytes.extend_from_slice(&body);
        for name in ["session", "ntlm server", "negotiate server", "sspi client", "sspi server"] {
            let _ = import_and_use(name, &bytes);
        }
    }
}
