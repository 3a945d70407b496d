//! Test driver: seeded randomness, a fixed clock, a user table, and a handshake loop
//! through the public API only.

#![allow(dead_code)]

use sspi_proto::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use sspi_proto::ntlm::crypto::NtHash;
use sspi_proto::ntlm::server::{CredentialAnswer, ServerConfig, ServerContext, ServerStep};
use sspi_proto::{Credentials, Error, FileTime, Random};

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
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

/// Runs a raw NTLM handshake to completion or to the first error (of either side).
pub fn handshake(
    creds: Credentials,
    client_config: ClientConfig,
    server_config: ServerConfig,
    users: &Users,
) -> Result<(ClientContext, ServerContext), Error> {
    let mut rng = SeededRandom::new(7);
    let mut client = ClientContext::new(creds, client_config);
    let mut server = ServerContext::new(server_config);
    let ClientStep::Continue(negotiate) = client.step(None, NOW, &mut rng)? else {
        panic!("NEGOTIATE expected");
    };
    let ServerStep::Continue(challenge) = server.step(&negotiate, NOW, &mut rng)? else {
        panic!("CHALLENGE expected");
    };
    let ClientStep::Done(authenticate) = client.step(Some(&challenge), NOW, &mut rng)? else {
        panic!("AUTHENTICATE expected");
    };
    finish_server(&mut server, &authenticate, users)?;
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
    pub server: ServerContext,
}

/// Runs the client against a fresh server and stops before AUTHENTICATE reaches it.
pub fn transcript(
    creds: Credentials,
    client_config: ClientConfig,
    server_config: ServerConfig,
) -> Transcript {
    let mut rng = SeededRandom::new(11);
    let mut client = ClientContext::new(creds, client_config);
    let mut server = ServerContext::new(server_config);
    let ClientStep::Continue(negotiate) = client.step(None, NOW, &mut rng).unwrap() else {
        panic!()
    };
    let ServerStep::Continue(challenge) = server.step(&negotiate, NOW, &mut rng).unwrap() else {
        panic!()
    };
    let ClientStep::Done(authenticate) = client.step(Some(&challenge), NOW, &mut rng).unwrap()
    else {
        panic!()
    };
    Transcript { negotiate, challenge, authenticate, server }
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
    use sspi_proto::sspi::{self, CredentialUse, CredentialsHandle, Step};
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
