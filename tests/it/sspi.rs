//! The package-agnostic interface: one generic test for every package, the documented
//! package values and queries, expiry and deletion.

use sspi_proto::buffer::SecBuffer;
use sspi_proto::sspi::{
    ClientAttributes, ClientContext, ClientOptions, ClientRequest, CredentialAnswer, CredentialUse,
    CredentialsHandle, Package, ServerAttributes, ServerContext, ServerOptions, ServerRequest,
    ServerStep, Step, packages,
};
use sspi_proto::{Credentials, ErrorKind, FileTime, Status};

use crate::support::*;

/// Authenticates and exchanges sealed messages both ways without naming any NTLM type.
fn authenticate_and_seal(package: Package) {
    let users = Users::one("CORP", "alice", "s3cret");
    let (mut client, mut server) = sspi_handshake(
        package,
        Credentials::password("CORP\\alice", "s3cret"),
        ClientOptions::default(),
        ServerOptions::default(),
        &users,
    )
    .unwrap();
    assert_eq!(server.names().unwrap().user, "alice");
    assert_eq!(client.session_key().unwrap(), server.session_key().unwrap());
    assert!(
        client
            .attributes()
            .unwrap()
            .contains(ClientAttributes::CONFIDENTIALITY | ClientAttributes::INTEGRITY)
    );
    assert!(server.attributes().unwrap().contains(ServerAttributes::CONFIDENTIALITY));
    for i in 0..5u8 {
        let plain = vec![i; 100 + usize::from(i)];
        // EncryptMessage / DecryptMessage over typed buffers, client to server.
        let mut data = plain.clone();
        let mut trailer = [0u8; 16];
        client
            .encrypt(0, &mut [SecBuffer::token(&mut trailer), SecBuffer::data(&mut data)], NOW)
            .unwrap();
        assert_ne!(data, plain);
        server
            .decrypt(&mut [SecBuffer::token(&mut trailer), SecBuffer::data(&mut data)], NOW)
            .unwrap();
        assert_eq!(data, plain);
        // Wrap / unwrap, server to client.
        let token = server.wrap(&plain, NOW).unwrap();
        assert_eq!(client.unwrap(&token, NOW).unwrap(), plain);
        // MakeSignature / VerifySignature.
        let sig = client.make_signature(&plain, NOW).unwrap();
        server.verify_signature(&plain, &sig, NOW).unwrap();
    }
}

#[test]
fn generic_over_ntlm() {
    authenticate_and_seal(Package::Ntlm);
}

#[test]
fn generic_over_negotiate() {
    authenticate_and_seal(Package::Negotiate);
}

#[test]
fn packages_report_windows_values() {
    let all = packages();
    assert_eq!(all.iter().map(|p| p.name).collect::<Vec<_>>(), ["Negotiate", "NTLM"]);
    let ntlm = Package::from_name("NtLm").unwrap().info();
    assert_eq!(
        (ntlm.capabilities.bits(), ntlm.version, ntlm.rpc_id, ntlm.max_token),
        (0x0008_2B37, 1, 10, 2888)
    );
    let nego = Package::Negotiate.info();
    assert_eq!(
        (nego.capabilities.bits(), nego.version, nego.rpc_id, nego.max_token),
        (0x0008_3BB3, 1, 9, 48256)
    );
    assert_eq!(Package::from_name("Kerberos").unwrap_err().kind(), ErrorKind::SecPkgNotFound);
    assert_eq!(Package::from_name("").unwrap_err().status(), 0x8009_0305);
}

#[test]
fn queries_after_completion() {
    for package in [Package::Ntlm, Package::Negotiate] {
        let (client, server) = sspi_handshake(
            package,
            Credentials::password("CORP\\alice", "pw"),
            ClientOptions { request: ClientRequest::INTEGRITY, ..ClientOptions::default() },
            ServerOptions::default(),
            &Users::one("CORP", "alice", "pw"),
        )
        .unwrap();
        let sizes = client.sizes();
        assert_eq!((sizes.max_signature, sizes.block_size, sizes.security_trailer), (16, 0, 16));
        assert_eq!(sizes.max_token, package.info().max_token);
        assert_eq!(client.package_info().name, package.info().name);
        assert_eq!(server.names().unwrap().domain, "CORP");
        assert_eq!(client.names().unwrap().user, "alice");
        let attrs = client.attributes().unwrap();
        assert!(attrs.contains(ClientAttributes::INTEGRITY | ClientAttributes::SEQUENCE_DETECT));
        assert!(!attrs.contains(ClientAttributes::CONFIDENTIALITY), "{attrs:?}");
        assert_eq!(client.lifespan().start, Some(NOW));
        assert_eq!(client.lifespan().expiry, None);
        assert_eq!(client.negotiated_flags().unwrap(), server.negotiated_flags().unwrap());
    }
}

#[test]
fn status_codes_of_the_ntlm_token_loop() {
    // ISC #1 CONTINUE_NEEDED, ISC #2 OK (+AUTHENTICATE), ASC #1 CONTINUE_NEEDED, ASC #2 OK.
    let mut rng = SeededRandom::new(5);
    let out = CredentialsHandle::acquire(
        Package::Ntlm,
        CredentialUse::Outbound,
        Some(Credentials::password("a", "b")),
    )
    .unwrap();
    let inb = CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Inbound, None).unwrap();
    let mut c = ClientContext::new(Package::Ntlm, &out, ClientOptions::default()).unwrap();
    let mut s = ServerContext::new(Package::Ntlm, &inb, ServerOptions::default()).unwrap();
    let n = c.step(None, NOW, &mut rng).unwrap();
    assert_eq!(n.status(), Status::ContinueNeeded);
    let ServerStep::Continue(ch) = s.step(n.token().unwrap(), NOW, &mut rng).unwrap() else {
        panic!()
    };
    let a = c.step(Some(&ch), NOW, &mut rng).unwrap();
    assert_eq!(a.status(), Status::Ok);
    assert!(matches!(a, Step::Done(Some(_))));
}

#[test]
fn expired_context_refuses_every_call() {
    let expires = FileTime(NOW.0 + FileTime::seconds(60));
    let (mut client, _server) = sspi_handshake(
        Package::Ntlm,
        Credentials::password("CORP\\alice", "pw"),
        ClientOptions { expires: Some(expires), ..ClientOptions::default() },
        ServerOptions::default(),
        &Users::one("CORP", "alice", "pw"),
    )
    .unwrap();
    assert!(client.wrap(b"ok", NOW).is_ok());
    let later = FileTime(expires.0 + 1);
    assert_eq!(client.wrap(b"x", later).unwrap_err().kind(), ErrorKind::ContextExpired);
    // Once expired, always expired — even with an earlier clock.
    assert_eq!(client.wrap(b"x", NOW).unwrap_err().kind(), ErrorKind::ContextExpired);
    assert_eq!(client.make_signature(b"x", NOW).unwrap_err().kind(), ErrorKind::ContextExpired);
    let mut rng = SeededRandom::new(1);
    assert_eq!(client.step(None, NOW, &mut rng).unwrap_err().kind(), ErrorKind::ContextExpired);
    assert_eq!(client.names().unwrap_err().kind(), ErrorKind::ContextExpired);
}

#[test]
fn expiry_also_bounds_the_handshake() {
    let out = CredentialsHandle::acquire(
        Package::Negotiate,
        CredentialUse::Outbound,
        Some(Credentials::password("a", "b")),
    )
    .unwrap();
    let opts = ClientOptions { expires: Some(NOW), ..ClientOptions::default() };
    let mut c = ClientContext::new(Package::Negotiate, &out, opts).unwrap();
    let mut rng = SeededRandom::new(1);
    assert_eq!(c.step(None, NOW, &mut rng).unwrap_err().kind(), ErrorKind::ContextExpired);
}

#[test]
fn deleted_context_is_an_invalid_handle() {
    let (mut client, mut server) = sspi_handshake(
        Package::Negotiate,
        Credentials::password("CORP\\alice", "pw"),
        ClientOptions::default(),
        ServerOptions::default(),
        &Users::one("CORP", "alice", "pw"),
    )
    .unwrap();
    client.delete();
    server.delete();
    assert_eq!(client.wrap(b"x", NOW).unwrap_err().kind(), ErrorKind::InvalidHandle);
    assert_eq!(server.session_key().unwrap_err().kind(), ErrorKind::InvalidHandle);
    assert!(!client.is_complete());
}

#[test]
fn credentials_are_checked_for_use_and_package() {
    assert_eq!(
        CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Outbound, None)
            .unwrap_err()
            .kind(),
        ErrorKind::NoCredentials
    );
    let inbound = CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Inbound, None).unwrap();
    assert_eq!(
        ClientContext::new(Package::Ntlm, &inbound, ClientOptions::default()).unwrap_err().kind(),
        ErrorKind::NoCredentials
    );
    let both = CredentialsHandle::acquire(
        Package::Ntlm,
        CredentialUse::Both,
        Some(Credentials::password("a", "b")),
    )
    .unwrap();
    assert_eq!(
        ClientContext::new(Package::Negotiate, &both, ClientOptions::default()).unwrap_err().kind(),
        ErrorKind::UnknownCredentials
    );
    assert!(ServerContext::new(Package::Ntlm, &both, ServerOptions::default()).is_ok());
    both.free();
}

#[test]
fn server_request_flags_become_policy() {
    // ASC_REQ_CONFIDENTIALITY: a sign-only client is refused.
    let e = sspi_handshake(
        Package::Ntlm,
        Credentials::password("CORP\\alice", "pw"),
        ClientOptions { request: ClientRequest::INTEGRITY, ..ClientOptions::default() },
        ServerOptions { request: ServerRequest::CONFIDENTIALITY, ..ServerOptions::default() },
        &Users::one("CORP", "alice", "pw"),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DowngradeDetected);
    // ASC_REQ_ALLOW_NULL_SESSION: anonymous accepted.
    let (_, server) = sspi_handshake(
        Package::Ntlm,
        Credentials::anonymous(),
        ClientOptions::default(),
        ServerOptions { request: ServerRequest::ALLOW_NULL_SESSION, ..ServerOptions::default() },
        &Users(vec![]),
    )
    .unwrap();
    assert!(server.attributes().unwrap().contains(ServerAttributes::NULL_SESSION));
}

#[test]
fn channel_bindings_as_an_input_buffer() {
    use sspi_proto::buffer::{BufferData, BufferFlags, BufferType};
    // SEC_CHANNEL_BINDINGS: 8 u32 fields, then the application data at offset 32.
    let app = b"tls-server-end-point:abcdef";
    let mut sec = Vec::new();
    for v in [0u32, 0, 0, 0, 0, 0, app.len() as u32, 32] {
        sec.extend_from_slice(&v.to_le_bytes());
    }
    sec.extend_from_slice(app);
    let cb_buffer = |data: &[u8]| -> Vec<u8> { data.to_vec() };
    let client_cb = cb_buffer(&sec);
    let mut rng = SeededRandom::new(9);
    let out = CredentialsHandle::acquire(
        Package::Ntlm,
        CredentialUse::Outbound,
        Some(Credentials::password("CORP\\alice", "pw")),
    )
    .unwrap();
    let inb = CredentialsHandle::acquire(Package::Ntlm, CredentialUse::Inbound, None).unwrap();
    let mut c = ClientContext::new(Package::Ntlm, &out, ClientOptions::default()).unwrap();
    let mut server_opts =
        ServerOptions { request: ServerRequest::PROXY_BINDINGS, ..ServerOptions::default() };
    server_opts.ntlm.channel_bindings =
        Some(sspi_proto::sspi::ChannelBindings::from_application_data(app));
    let mut s = ServerContext::new(Package::Ntlm, &inb, server_opts).unwrap();
    let n = c.step(None, NOW, &mut rng).unwrap();
    let ServerStep::Continue(ch) = s.step(n.token().unwrap(), NOW, &mut rng).unwrap() else {
        panic!()
    };
    let mut token = ch.clone();
    let inputs = [
        SecBuffer::token(&mut token),
        SecBuffer {
            buffer_type: BufferType::ChannelBindings,
            flags: BufferFlags::empty(),
            data: BufferData::Ref(&client_cb),
        },
    ];
    let Step::Done(Some(auth)) = c.step_buffers(&inputs, NOW, &mut rng).unwrap() else { panic!() };
    let ServerStep::NeedCredentials(_) = s.step(&auth, NOW, &mut rng).unwrap() else { panic!() };
    let hashes = Users::one("CORP", "alice", "pw").lookup("alice", "CORP");
    s.provide_credentials(CredentialAnswer::NtHashes(hashes), NOW).unwrap();
    assert!(s.is_complete());

    // Truncated SEC_CHANNEL_BINDINGS is an error, not a panic.
    let mut c2 = ClientContext::new(Package::Ntlm, &out, ClientOptions::default()).unwrap();
    c2.step(None, NOW, &mut rng).unwrap();
    let mut token = ch.clone();
    let bad = [
        SecBuffer::token(&mut token),
        SecBuffer {
            buffer_type: BufferType::ChannelBindings,
            flags: BufferFlags::empty(),
            data: BufferData::Ref(&sec[..40]),
        },
    ];
    assert_eq!(c2.step_buffers(&bad, NOW, &mut rng).unwrap_err().kind(), ErrorKind::InvalidToken);
}
