//! Test driver: seeded randomness, a fixed clock, a user table, handshake loops (raw NTLM
//! and Negotiate) through the public API only with a hook on every message in flight,
//! checks that a failed context is dead, and the message forger ([`forge`]).

#![allow(dead_code)]

use sspi_proto::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use sspi_proto::ntlm::crypto::NtHash;
use sspi_proto::ntlm::server::{CredentialAnswer, ServerConfig, ServerContext, ServerStep};
use sspi_proto::spnego::client::{NegotiateClient, NegotiateStep};
use sspi_proto::spnego::server::NegotiateServer;
use sspi_proto::{Credentials, Error, ErrorKind, FileTime, Random};

pub mod forge;

/// Decodes hex, ignoring whitespace.
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    assert!(s.len().is_multiple_of(2), "odd number of hex digits");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// A deterministic xorshift generator: tests are reproducible, never secure.
pub struct SeededRandom(u64);

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
}

impl Random for SeededRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = self.0 as u8;
        }
    }
}

/// Hands out exactly the bytes it was given, in order (for spec vectors).
pub struct ScriptedRandom(pub Vec<u8>);

impl Random for ScriptedRandom {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(self.0.len() >= dest.len(), "scripted randomness exhausted");
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
}

/// 2024-01-01T00:00:00Z.
pub const NOW: FileTime = FileTime::from_unix_seconds(1_704_067_200);

/// (domain, user, password) rows, looked up case-insensitively like Windows.
pub struct Users(pub Vec<(String, String, String)>);

impl Users {
    pub fn one(domain: &str, user: &str, password: &str) -> Self {
        Self(vec![(domain.into(), user.into(), password.into())])
    }

    pub fn lookup(&self, user: &str, domain: &str) -> Vec<NtHash> {
        self.0
            .iter()
            .filter(|(d, u, _)| {
                u.to_lowercase() == user.to_lowercase() && d.to_lowercase() == domain.to_lowercase()
            })
            .map(|(_, _, p)| NtHash::from_password(p))
            .collect()
    }
}

/// Which end of a handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One message in flight: who sent it, and in which round trip (from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    pub from: Side,
    pub round: usize,
}

impl Leg {
    /// NEGOTIATE (raw), or the NegTokenInit carrying it.
    pub const NEGOTIATE: Leg = Leg { from: Side::Client, round: 0 };
    /// CHALLENGE (raw), or the NegTokenResp carrying it.
    pub const CHALLENGE: Leg = Leg { from: Side::Server, round: 0 };
    /// AUTHENTICATE (raw), or the NegTokenResp carrying it and the client's mechListMIC.
    pub const AUTHENTICATE: Leg = Leg { from: Side::Client, round: 1 };
    /// Negotiate only: the server's accept-completed with its mechListMIC.
    pub const FINAL: Leg = Leg { from: Side::Server, round: 1 };
}

/// The first error of a handshake, and which side raised it.
pub type Failure = (Side, Error);

/// Runs NEGOTIATE -> CHALLENGE -> AUTHENTICATE, each through `tamper` on its way, and
/// returns the AUTHENTICATE as it would reach the server (not yet delivered).
pub fn exchange(
    client: &mut ClientContext,
    server: &mut ServerContext,
    rng: &mut dyn Random,
    mut tamper: impl FnMut(Leg, Vec<u8>) -> Vec<u8>,
) -> Result<Vec<u8>, Failure> {
    let on_client = |e| (Side::Client, e);
    let ClientStep::Continue(negotiate) = client.step(None, NOW, rng).map_err(on_client)? else {
        panic!("NEGOTIATE expected");
    };
    let negotiate = tamper(Leg::NEGOTIATE, negotiate);
    let ServerStep::Continue(challenge) =
        server.step(&negotiate, NOW, rng).map_err(|e| (Side::Server, e))?
    else {
        panic!("CHALLENGE expected");
    };
    let challenge = tamper(Leg::CHALLENGE, challenge);
    let ClientStep::Done(authenticate) =
        client.step(Some(&challenge), NOW, rng).map_err(on_client)?
    else {
        panic!("AUTHENTICATE expected");
    };
    Ok(tamper(Leg::AUTHENTICATE, authenticate))
}

/// Drives a raw NTLM handshake between two contexts to completion or to the first error,
/// passing every message through `tamper`; the server's credentials come from `users`.
pub fn drive(
    client: &mut ClientContext,
    server: &mut ServerContext,
    users: &Users,
    tamper: impl FnMut(Leg, Vec<u8>) -> Vec<u8>,
) -> Result<(), Failure> {
    let authenticate = exchange(client, server, &mut SeededRandom::new(7), tamper)?;
    finish_server(server, &authenticate, users).map_err(|e| (Side::Server, e))
}

/// Runs a raw NTLM handshake to completion or to the first error (of either side).
pub fn handshake(
    creds: Credentials,
    client_config: ClientConfig,
    server_config: ServerConfig,
    users: &Users,
) -> Result<(ClientContext, ServerContext), Error> {
    let mut client = ClientContext::new(creds, client_config);
    let mut server = ServerContext::new(server_config);
    drive(&mut client, &mut server, users, |_, m| m).map_err(|(_, e)| e)?;
    Ok((client, server))
}

/// Feeds AUTHENTICATE to the server and answers its credential request from `users`.
pub fn finish_server(
    server: &mut ServerContext,
    authenticate: &[u8],
    users: &Users,
) -> Result<(), Error> {
    let mut rng = SeededRandom::new(8);
    match server.step(authenticate, NOW, &mut rng)? {
        ServerStep::NeedCredentials(id) => {
            let hashes = users.lookup(&id.user, &id.domain);
            match server.provide_credentials(CredentialAnswer::NtHashes(hashes), NOW)? {
                ServerStep::Done(None) => Ok(()),
                other => panic!("unexpected {other:?}"),
            }
        }
        ServerStep::Done(None) => Ok(()),
        other => panic!("unexpected {other:?}"),
    }
}

/// The three handshake messages of a successful run, for forging.
pub struct Transcript {
    pub negotiate: Vec<u8>,
    pub challenge: Vec<u8>,
    pub authenticate: Vec<u8>,
    /// The client, complete (it has sent AUTHENTICATE).
    pub client: ClientContext,
    /// The server, waiting for AUTHENTICATE.
    pub server: ServerContext,
}

/// Runs the client against a fresh server and stops before AUTHENTICATE reaches it.
pub fn transcript(
    creds: Credentials,
    client_config: ClientConfig,
    server_config: ServerConfig,
) -> Transcript {
    transcript_seeded(creds, client_config, server_config, 11)
}

/// [`transcript`] with its own seed: another seed, another server challenge and keys.
pub fn transcript_seeded(
    creds: Credentials,
    client_config: ClientConfig,
    server_config: ServerConfig,
    seed: u64,
) -> Transcript {
    let mut client = ClientContext::new(creds, client_config);
    let mut server = ServerContext::new(server_config);
    let mut seen = Vec::new();
    let mut rng = SeededRandom::new(seed);
    exchange(&mut client, &mut server, &mut rng, |_, m| {
        seen.push(m.clone());
        m
    })
    .unwrap();
    let [negotiate, challenge, authenticate] = <[Vec<u8>; 3]>::try_from(seen).unwrap();
    Transcript { negotiate, challenge, authenticate, client, server }
}

/// Feeds `authenticate` to the transcript's server: `Ok` if the logon completes, else the
/// kind of error it ends in, after checking that the server is dead.
pub fn server_outcome(t: Transcript, authenticate: &[u8], users: &Users) -> Result<(), ErrorKind> {
    let mut server = t.server;
    match finish_server(&mut server, authenticate, users) {
        Ok(()) => {
            assert!(server.is_complete());
            Ok(())
        }
        Err(e) => {
            assert_server_dead(server, e.kind());
            Err(e.kind())
        }
    }
}

/// [`server_outcome`] for a logon that must fail: the kind of error.
pub fn server_error(t: Transcript, authenticate: &[u8], users: &Users) -> ErrorKind {
    server_outcome(t, authenticate, users).expect_err("the server accepted a forged logon")
}

/// A failed server context stays failed: every call returns the first error's kind, and
/// nothing of a completed logon (identity, flags, session key, session) is available.
pub fn assert_server_dead(mut server: ServerContext, kind: ErrorKind) {
    let mut rng = SeededRandom::new(1);
    assert_eq!(server.step(b"NTLMSSP\0", NOW, &mut rng).unwrap_err().kind(), kind);
    assert_eq!(
        server.provide_credentials(CredentialAnswer::NtHashes(vec![]), NOW).unwrap_err().kind(),
        kind
    );
    assert_eq!(server.pass_through_request().unwrap_err().kind(), kind);
    assert_eq!(server.start_datagram(NOW, &mut rng).unwrap_err().kind(), kind);
    assert!(!server.is_complete());
    assert_eq!(server.identity().unwrap_err().kind(), kind);
    assert_eq!(server.flags().unwrap_err().kind(), kind);
    assert_eq!(server.session_key().unwrap_err().kind(), kind);
    assert_eq!(server.into_session().unwrap_err().kind(), kind);
}

/// A failed client context stays failed, with nothing of a completed logon available.
pub fn assert_client_dead(mut client: ClientContext, kind: ErrorKind) {
    let mut rng = SeededRandom::new(1);
    assert_eq!(client.step(None, NOW, &mut rng).unwrap_err().kind(), kind);
    assert_eq!(client.step(Some(b"NTLMSSP\0"), NOW, &mut rng).unwrap_err().kind(), kind);
    assert!(!client.is_complete());
    assert_eq!(client.identity().unwrap_err().kind(), kind);
    assert_eq!(client.flags().unwrap_err().kind(), kind);
    assert_eq!(client.session_key().unwrap_err().kind(), kind);
    assert_eq!(client.into_session().unwrap_err().kind(), kind);
}

/// Drives a Negotiate (SPNEGO) handshake to completion or to the first error, passing every
/// token through `tamper`; the server's credentials come from `users`.
pub fn drive_negotiate(
    client: &mut NegotiateClient,
    server: &mut NegotiateServer,
    users: &Users,
    mut tamper: impl FnMut(Leg, Vec<u8>) -> Vec<u8>,
) -> Result<(), Failure> {
    let mut rng = SeededRandom::new(4);
    let on_client = |e| (Side::Client, e);
    let on_server = |e| (Side::Server, e);
    let NegotiateStep::Continue(mut to_server) =
        client.step(None, NOW, &mut rng).map_err(on_client)?
    else {
        panic!("NegTokenInit expected");
    };
    for round in 0.. {
        to_server = tamper(Leg { from: Side::Client, round }, to_server);
        let mut step = server.step(&to_server, NOW, &mut rng).map_err(on_server)?;
        if let ServerStep::NeedCredentials(id) = &step {
            let hashes = users.lookup(&id.user, &id.domain);
            step = server
                .provide_credentials(CredentialAnswer::NtHashes(hashes), NOW)
                .map_err(on_server)?;
        }
        let to_client = match step {
            ServerStep::Continue(t) | ServerStep::Done(Some(t)) => t,
            other => panic!("unexpected {other:?}"),
        };
        let to_client = tamper(Leg { from: Side::Server, round }, to_client);
        match client.step(Some(&to_client), NOW, &mut rng).map_err(on_client)? {
            NegotiateStep::Continue(t) => to_server = t,
            NegotiateStep::Done => return Ok(()),
        }
    }
    unreachable!()
}

/// A failed Negotiate client stays failed.
pub fn assert_negotiate_client_dead(mut client: NegotiateClient, kind: ErrorKind) {
    let mut rng = SeededRandom::new(1);
    assert_eq!(client.step(Some(b"\xa1\x00"), NOW, &mut rng).unwrap_err().kind(), kind);
    assert!(!client.is_complete());
    assert_eq!(client.identity().unwrap_err().kind(), kind);
    assert_eq!(client.session_key().unwrap_err().kind(), kind);
    assert_eq!(client.into_session().unwrap_err().kind(), kind);
}

/// A failed Negotiate server stays failed.
pub fn assert_negotiate_server_dead(mut server: NegotiateServer, kind: ErrorKind) {
    let mut rng = SeededRandom::new(1);
    assert_eq!(server.step(b"\xa1\x00", NOW, &mut rng).unwrap_err().kind(), kind);
    assert_eq!(
        server.provide_credentials(CredentialAnswer::NtHashes(vec![]), NOW).unwrap_err().kind(),
        kind
    );
    assert!(!server.is_complete());
    assert_eq!(server.identity().unwrap_err().kind(), kind);
    assert_eq!(server.session_key().unwrap_err().kind(), kind);
    assert_eq!(server.into_session().unwrap_err().kind(), kind);
}

/// Package-agnostic handshake through the `sspi` layer only: returns both established
/// contexts, or the first error of either side.
pub fn sspi_handshake(
    package: sspi_proto::sspi::Package,
    creds: Credentials,
    client_options: sspi_proto::sspi::ClientOptions,
    server_options: sspi_proto::sspi::ServerOptions,
    users: &Users,
) -> Result<(sspi_proto::sspi::ClientContext, sspi_proto::sspi::ServerContext), Error> {
    use sspi_proto::sspi::{
        self, CredentialAnswer, CredentialUse, CredentialsHandle, ServerStep, Step,
    };
    let mut rng = SeededRandom::new(21);
    let out = CredentialsHandle::acquire(package, CredentialUse::Outbound, Some(creds))?;
    let inb = CredentialsHandle::acquire(package, CredentialUse::Inbound, None)?;
    let mut client = sspi::ClientContext::new(package, &out, client_options)?;
    let mut server = sspi::ServerContext::new(package, &inb, server_options)?;
    let mut to_server = match client.step(None, NOW, &mut rng)? {
        Step::Continue(t) => t,
        Step::Done(_) => panic!("client done before the server spoke"),
    };
    loop {
        let mut step = server.step(&to_server, NOW, &mut rng)?;
        if let ServerStep::NeedCredentials(id) = &step {
            let hashes = users.lookup(&id.user, &id.domain);
            step = server.provide_credentials(CredentialAnswer::NtHashes(hashes), NOW)?;
        }
        let to_client = match step {
            ServerStep::Continue(t) => t,
            ServerStep::Done(Some(t)) => t,
            ServerStep::Done(None) => {
                assert!(client.is_complete(), "server done, client not");
                return Ok((client, server));
            }
            ServerStep::NeedCredentials(_) => unreachable!(),
        };
        match client.step(Some(&to_client), NOW, &mut rng)? {
            Step::Continue(t) => to_server = t,
            Step::Done(Some(t)) => {
                // Raw NTLM: the client is done, its last token must still reach the server.
                to_server = t;
            }
            Step::Done(None) => {
                assert!(server.is_complete(), "client done, server not");
                return Ok((client, server));
            }
        }
    }
}
