//! Handshake and session transcripts for the seed corpus, recorded with the very contexts,
//! keys, clock and randomness the targets use: replayed through a target, each one drives
//! its context through a complete, successful exchange.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Debug;

use crate::buffer::SecBuffer;
use crate::creds::Credentials;
use crate::flags::NegotiateFlags;
use crate::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use crate::ntlm::export::ExportedContext;
use crate::ntlm::messages::{
    AuthenticateMessage, ChallengeMessage, NegotiateMessage, NtlmV2Response, Version,
};
use crate::ntlm::server::{ServerContext, ServerStep};
use crate::ntlm::session::Role;
use crate::spnego::client::{NegotiateClient, NegotiateStep};
use crate::spnego::server::{AcceptMode, NegotiateServer};
use crate::sspi::{
    self, ClientOptions, CredentialUse, CredentialsHandle, Package, ServerOptions, Step,
};

use super::contexts::real_negotiate;
use super::session::{READ_ONLY, SESSION_FLAGS, receive, seq_of, session};
use super::{
    NOW, answer, client_config, client_rng, credentials, join_tokens, server_config, server_rng,
};

/// One seed: the bytes of `fuzz/corpus/<target>/<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    /// The target's name, as in [`TARGETS`](super::TARGETS).
    pub target: &'static str,
    /// The file name.
    pub name: &'static str,
    /// The contents.
    pub bytes: Vec<u8>,
}

#[track_caller]
fn ok<T, E: Debug>(result: core::result::Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("seed transcript failed: {e:?}"),
    }
}

fn client_token(step: crate::error::Result<ClientStep>) -> Vec<u8> {
    match ok(step) {
        ClientStep::Continue(token) | ClientStep::Done(token) => token,
    }
}

fn server_token(step: crate::error::Result<ServerStep>) -> Vec<u8> {
    match ok(step) {
        ServerStep::Continue(token) | ServerStep::Done(Some(token)) => token,
        other => panic!("server gave no token: {other:?}"),
    }
}

/// Asserts that `authenticate` completes the logon on `server`, as the seed must in its target.
fn completes(server: &mut ServerContext, authenticate: &[u8]) {
    let mut step = ok(server.step(authenticate, NOW, &mut server_rng()));
    if let ServerStep::NeedCredentials(_) = step {
        step = ok(server.provide_credentials(answer(), NOW));
    }
    assert!(matches!(step, ServerStep::Done(_)), "seed logon incomplete: {step:?}");
}

/// The seeds that come from running this crate's own contexts: NTLM (connection-oriented,
/// connectionless, anonymous) and Negotiate handshakes, their messages and parts, and
/// session tokens for every flag set of the session target.
pub fn seeds() -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add = |target, name, bytes: Vec<u8>| out.push(Seed { target, name, bytes });

    // NTLM, connection-oriented: the exchange of `server_step` mode 1.
    let negotiate = real_negotiate();
    let mut server = ServerContext::new(server_config(false));
    let challenge = server_token(server.step(&negotiate, NOW, &mut server_rng()));
    let mut rng = client_rng();
    let mut client = ClientContext::new(credentials(), client_config(false));
    client_token(client.step(None, NOW, &mut rng));
    let authenticate = client_token(client.step(Some(&challenge), NOW, &mut rng));
    let ntlm_server_export = ok(server.export());
    completes(&mut server, &authenticate);
    let exported = ntlm_server_export.as_bytes();
    completes(&mut ok(ServerContext::import(server_config(false), exported)), &authenticate);

    // Anonymous, against the same CHALLENGE.
    let mut anonymous = ClientContext::new(Credentials::anonymous(), ClientConfig::default());
    let anonymous_negotiate = client_token(anonymous.step(None, NOW, &mut rng));
    let anonymous_authenticate = client_token(anonymous.step(Some(&challenge), NOW, &mut rng));
    for authenticate in [&authenticate, &anonymous_authenticate] {
        // `server_step` mode 5: the same CHALLENGE under the other policy.
        let mut server = ServerContext::new(server_config(true));
        server_token(server.step(&negotiate, NOW, &mut server_rng()));
        completes(&mut server, authenticate);
    }

    // Connectionless: `server_step` mode 2.
    let mut server = ServerContext::new(server_config(false));
    let datagram_challenge = server_token(server.start_datagram(NOW, &mut server_rng()));
    let mut client = ClientContext::new(credentials(), client_config(true));
    let datagram_authenticate =
        client_token(client.step(Some(&datagram_challenge), NOW, &mut client_rng()));
    completes(&mut server, &datagram_authenticate);

    let with_names = NegotiateMessage {
        flags: NegotiateFlags::OEM
            | NegotiateFlags::NTLM
            | NegotiateFlags::OEM_DOMAIN_SUPPLIED
            | NegotiateFlags::OEM_WORKSTATION_SUPPLIED
            | NegotiateFlags::VERSION,
        domain: Some("DOMAIN".into()),
        workstation: Some("WORKSTATION".into()),
        version: Some(Version::WINDOWS_10),
    };
    add("ntlm_negotiate", "client", negotiate.clone());
    add("ntlm_negotiate", "client-anonymous", anonymous_negotiate);
    add("ntlm_negotiate", "oem-names", ok(with_names.encode()));
    add("ntlm_challenge", "server", challenge.clone());
    add("ntlm_challenge", "server-datagram", datagram_challenge.clone());
    add("ntlm_authenticate", "client-mic-cbt-spn", authenticate.clone());
    add("ntlm_authenticate", "client-anonymous", anonymous_authenticate.clone());
    add("ntlm_authenticate", "client-datagram", datagram_authenticate.clone());
    add("client_step", "server", challenge.clone());
    add("client_step", "server-datagram", datagram_challenge);
    let target_info = ok(ChallengeMessage::decode(&challenge)).target_info.unwrap_or_default();
    add("av_pairs", "server-target-info", ok(target_info.encode()));
    // SEC_CHANNEL_BINDINGS: TLS bindings (application data only, as Windows passes them)
    // and one with both addresses, fields laid out after the 32-byte header.
    let tls = super::BINDINGS;
    add("channel_bindings", "tls-server-end-point", sec_channel_bindings(&[], &[], tls));
    add(
        "channel_bindings",
        "addresses",
        sec_channel_bindings(&[127, 0, 0, 1], &[10, 0, 0, 2], tls),
    );
    for (name, bytes) in [("client", &authenticate), ("client-datagram", &datagram_authenticate)] {
        let response = ok(AuthenticateMessage::decode(bytes)).nt_challenge_response;
        let blob_pairs = ok(NtlmV2Response::decode(&response)).blob.av_pairs().clone();
        add("ntlmv2_response", name, response);
        if name == "client" {
            add("av_pairs", "client-blob", ok(blob_pairs.encode()));
        }
    }
    add("roundtrip_messages", "negotiate-bytes", negotiate.clone());
    add("roundtrip_messages", "authenticate-bytes", authenticate.clone());
    add("server_step", "ntlm-negotiate", [&[0u8][..], &negotiate].concat());
    add("server_step", "ntlm-authenticate", [&[1u8][..], &authenticate].concat());
    add("server_step", "ntlm-datagram", [&[2u8][..], &datagram_authenticate].concat());
    add("server_step", "ntlm-strict-negotiate", [&[4u8][..], &negotiate].concat());
    add("server_step", "ntlm-strict-authenticate", [&[5u8][..], &authenticate].concat());
    add("server_step", "ntlm-strict-anonymous", [&[5u8][..], &anonymous_authenticate].concat());
    let raw = join_tokens([negotiate.as_slice(), authenticate.as_slice()]);
    add("server_step", "auto-raw-ntlm", [&[11u8][..], &raw].concat());

    // Negotiate: `server_step` mode 3 and `negotiate_client`.
    let mut server = NegotiateServer::new(server_config(false), AcceptMode::Negotiate);
    let init2 = ok(server.start());
    let (mut server_rng, mut client_rng) = (server_rng(), client_rng());
    let mut client = NegotiateClient::new(credentials(), client_config(false));
    let mut client_tokens = Vec::new();
    let mut server_tokens = Vec::new();
    let mut input = None;
    let mut negotiate_server_export = None;
    while let NegotiateStep::Continue(token) =
        ok(client.step(input.as_deref(), NOW, &mut client_rng))
    {
        if !client_tokens.is_empty() {
            negotiate_server_export = Some(ok(server.export()));
        }
        let mut step = server.step(&token, NOW, &mut server_rng);
        if let Ok(ServerStep::NeedCredentials(_)) = step {
            step = server.provide_credentials(answer(), NOW);
        }
        client_tokens.push(token);
        server_tokens.push(server_token(step));
        input = server_tokens.last().cloned();
    }
    for (i, token) in client_tokens.iter().chain(&server_tokens).chain([&init2]).enumerate() {
        const NAMES: [&str; 5] = ["spnego-1", "spnego-2", "spnego-3", "spnego-4", "spnego-5"];
        if let Some(name) = NAMES.get(i) {
            add("spnego_token", name, token.clone());
        }
    }
    let responses = server_tokens.iter().map(Vec::as_slice);
    add(
        "negotiate_client",
        "handshake",
        join_tokens([&[][..]].into_iter().chain(responses.clone())),
    );
    add(
        "negotiate_client",
        "server-first",
        join_tokens([init2.as_slice()].into_iter().chain(responses)),
    );
    let requests = join_tokens(client_tokens.iter().map(Vec::as_slice));
    add("server_step", "negotiate", [&[3u8][..], &requests].concat());
    add("server_step", "negotiate-auto", [&[11u8][..], &requests].concat());

    // `export_import`: each export, then what the imported context receives next.
    let export_seed =
        |kind: u8, export: &[u8], next: &[u8]| [&[kind][..], &join_tokens([export, next])].concat();
    let next = authenticate.as_slice();
    add("export_import", "ntlm-server", export_seed(1, ntlm_server_export.as_bytes(), next));
    if let (Some(export), Some(next)) = (&negotiate_server_export, client_tokens.last()) {
        let mut imported = ok(NegotiateServer::import(server_config(false), export.as_bytes()));
        let mut step = ok(imported.step(next, NOW, &mut super::server_rng()));
        if let ServerStep::NeedCredentials(_) = step {
            step = ok(imported.provide_credentials(answer(), NOW));
        }
        assert!(matches!(step, ServerStep::Done(_)), "imported Negotiate server: {step:?}");
        add("export_import", "negotiate-server", export_seed(2, export.as_bytes(), next));
    }
    add("export_import", "session", session_export_seed());
    for (kind, name, export, next) in sspi_exports() {
        add("export_import", name, export_seed(kind, export.as_bytes(), &next));
    }

    for (config, name) in (0u8..).zip(SESSION_NAMES) {
        if let Some(bytes) = session_seed(config) {
            add("session_unseal", name, bytes);
        }
    }
    out
}

const SESSION_NAMES: [&str; 8] = [
    "sign-seal",
    "sign",
    "datagram",
    "56-bit",
    "40-bit",
    "always-sign",
    "legacy",
    "legacy-datagram",
];

/// One token per op of `session_unseal`, as the client session sends them.
fn session_seed(config: u8) -> Option<Vec<u8>> {
    let flags = *SESSION_FLAGS.get(usize::from(config))?;
    let mut client = session(flags, Role::Client).ok()?;
    let mut server = ok(session(flags, Role::Server));
    let mut tokens = Vec::new();
    // The op byte doubles as the datagram sequence number: op 0..7 with seq = op.
    for op in (0u8..7).map(|op| op | op.wrapping_shl(3)) {
        let message = b"fuzzing the session".as_slice();
        let seq = seq_of(flags, op);
        if op & 7 == 4 && !flags.contains(NegotiateFlags::SEAL) {
            continue; // unseal_in_place needs SEAL
        }
        let token = match op & 7 {
            1 => match seq {
                None => client.sign(message),
                Some(seq) => client.sign_with_seq(seq, message),
            }
            .map(|sig| [sig.0.as_slice(), message].concat()),
            6 => {
                let (mut trailer, mut data, mut padding) = ([0u8; 16], message.to_vec(), [0u8; 4]);
                let mut buffers = [
                    SecBuffer::token(&mut trailer),
                    SecBuffer::read_only(READ_ONLY),
                    SecBuffer::data(&mut data),
                    SecBuffer::padding(&mut padding),
                ];
                match seq {
                    None => client.encrypt(0, &mut buffers),
                    Some(seq) => client.encrypt_with_seq(0, seq, &mut buffers),
                }
                .map(|()| [trailer.as_slice(), &data].concat())
            }
            _ => match seq {
                None => client.wrap(message),
                Some(seq) => client.wrap_with_seq(seq, message),
            },
        };
        if let Ok(token) = token {
            let received = receive(&mut server, seq, op & 7, &token);
            assert!(received.is_ok(), "session seed {config} op {op} rejected: {received:?}");
            tokens.push([&[op][..], &token].concat());
        }
    }
    let body = join_tokens(tokens.iter().map(Vec::as_slice));
    Some([&[config][..], &body].concat())
}

/// A server session that has received one message, exported, then two more messages.
fn session_export_seed() -> Vec<u8> {
    let flags = SESSION_FLAGS[0];
    let (mut client, mut server) =
        (ok(session(flags, Role::Client)), ok(session(flags, Role::Server)));
    ok(server.unwrap(&ok(client.wrap(b"before the export"))));
    let export = ok(server.export());
    let later: Vec<Vec<u8>> =
        (0..2).map(|_| [&[0u8][..], &ok(client.wrap(b"after the import"))].concat()).collect();
    let tokens = [export.as_bytes()].into_iter().chain(later.iter().map(Vec::as_slice));
    [&[0u8][..], &join_tokens(tokens)].concat()
}

/// SSPI exports, each with the token the imported context receives next: an NTLM server
/// awaiting AUTHENTICATE (and that AUTHENTICATE), then both established contexts.
fn sspi_exports() -> Vec<(u8, &'static str, ExportedContext, Vec<u8>)> {
    let package = Package::Ntlm;
    let outbound =
        ok(CredentialsHandle::acquire(package, CredentialUse::Outbound, Some(credentials())));
    let inbound = ok(CredentialsHandle::acquire(package, CredentialUse::Inbound, None));
    let options = ServerOptions { ntlm: server_config(false), ..ServerOptions::default() };
    let mut client = ok(sspi::ClientContext::new(package, &outbound, ClientOptions::default()));
    let mut server = ok(sspi::ServerContext::new(package, &inbound, options));
    let (mut client_rng, mut server_rng) = (client_rng(), server_rng());
    let Step::Continue(negotiate) = ok(client.step(None, NOW, &mut client_rng)) else {
        panic!("no NEGOTIATE");
    };
    let challenge = server_token(server.step(&negotiate, NOW, &mut server_rng));
    let awaiting = ok(server.export());
    let authenticate = match ok(client.step(Some(&challenge), NOW, &mut client_rng)) {
        Step::Continue(token) | Step::Done(Some(token)) => token,
        Step::Done(None) => panic!("no AUTHENTICATE"),
    };
    let mut step = ok(server.step(&authenticate, NOW, &mut server_rng));
    if let ServerStep::NeedCredentials(_) = step {
        step = ok(server.provide_credentials(answer(), NOW));
    }
    assert!(matches!(step, ServerStep::Done(_)), "SSPI seed logon incomplete: {step:?}");
    vec![
        (3, "sspi-ntlm-server-awaiting", awaiting, authenticate),
        (3, "sspi-ntlm-server-established", ok(server.export()), Vec::new()),
        (11, "sspi-ntlm-client-established", ok(client.export()), Vec::new()),
    ]
}

/// A `SEC_CHANNEL_BINDINGS` buffer (address types 2, AF_INET, when an address is present).
fn sec_channel_bindings(initiator: &[u8], acceptor: &[u8], data: &[u8]) -> Vec<u8> {
    let mut header = Vec::new();
    let mut offset = 32u32;
    for (addrtype, value) in
        [(Some(initiator), initiator), (Some(acceptor), acceptor), (None, data)]
    {
        if let Some(address) = addrtype {
            header.extend_from_slice(&u32::from(!address.is_empty()).wrapping_mul(2).to_le_bytes());
        }
        let len = value.len() as u32;
        header.extend_from_slice(&len.to_le_bytes());
        header.extend_from_slice(&offset.to_le_bytes());
        offset = offset.saturating_add(len);
    }
    [header.as_slice(), initiator, acceptor, data].concat()
}
