//! Handshake targets: client and server contexts fed arbitrary peer tokens.
//!
//! Invariants: a context that fails stays failed (sticky errors); every token a context
//! emits decodes; a context that completes yields a session.

use crate::creds::Credentials;
use crate::error::Result;
use crate::ntlm::client::{ClientConfig, ClientContext, ClientStep};
use crate::ntlm::messages::{AuthenticateMessage, ChallengeMessage, NegotiateMessage};
use crate::ntlm::server::{ServerContext, ServerStep};
use crate::ntlm::session::Session;
use crate::rand::Random;
use crate::spnego::NegotiationToken;
use crate::spnego::client::{NegotiateClient, NegotiateStep};
use crate::spnego::server::{AcceptMode, NegotiateServer};

use super::{
    NOW, answer, client_config, client_rng, credentials, server_config, server_rng, tokens,
};

/// The NTLM client fed the input as the server's CHALLENGE: connection-oriented (after its
/// NEGOTIATE), connectionless (the CHALLENGE comes first), and anonymous.
pub fn client_step(data: &[u8]) {
    let mut rng = client_rng();
    let mut client = ClientContext::new(credentials(), client_config(false));
    let negotiate = client.step(None, NOW, &mut rng);
    assert!(matches!(negotiate, Ok(ClientStep::Continue(_))), "no NEGOTIATE: {negotiate:?}");
    answer_challenge(client, data, &mut rng);

    let client = ClientContext::new(credentials(), client_config(true));
    answer_challenge(client, data, &mut client_rng());

    let mut client = ClientContext::new(Credentials::anonymous(), ClientConfig::default());
    let _ = client.step(None, NOW, &mut rng);
    answer_challenge(client, data, &mut rng);
}

fn answer_challenge(mut client: ClientContext, challenge: &[u8], rng: &mut dyn Random) {
    match client.step(Some(challenge), NOW, rng) {
        Ok(ClientStep::Done(token)) => {
            if let Err(e) = AuthenticateMessage::decode(&token) {
                panic!("the client's AUTHENTICATE does not decode: {e:?}");
            }
            assert!(client.is_complete(), "Done but not complete");
            if let Err(e) = client.into_session() {
                panic!("a completed NTLM client has no session: {e:?}");
            }
        }
        Ok(ClientStep::Continue(_)) => panic!("the NTLM client continued after CHALLENGE"),
        Err(_) => {
            let again = client.step(Some(challenge), NOW, rng);
            assert!(again.is_err(), "a failed NTLM client recovered: {again:?}");
        }
    }
}

/// The Negotiate client fed the input split into tokens (see `tokens`); an empty token is
/// `None` (the client's start), so a transcript reads `[] [NegTokenResp] [NegTokenResp]`,
/// or `[NegTokenInit2] [..] [..]` for a server that speaks first.
pub fn negotiate_client(data: &[u8]) {
    let mut rng = client_rng();
    let mut client = NegotiateClient::new(credentials(), client_config(false));
    for token in tokens(data) {
        let input = (!token.is_empty()).then_some(token);
        match client.step(input, NOW, &mut rng) {
            Ok(NegotiateStep::Continue(out)) => {
                if let Err(e) = NegotiationToken::decode(&out) {
                    panic!("the Negotiate client's token does not decode: {e:?}");
                }
            }
            Ok(NegotiateStep::Done) => {
                assert!(client.is_complete(), "Done but not complete");
                if let Err(e) = client.into_session() {
                    panic!("a completed Negotiate client has no session: {e:?}");
                }
                return;
            }
            Err(_) => {
                let again = client.step(input, NOW, &mut rng);
                assert!(again.is_err(), "a failed Negotiate client recovered: {again:?}");
                return;
            }
        }
    }
}

/// A server context, NTLM or Negotiate, as [`accept`] drives it.
pub(super) trait Acceptor {
    fn step(&mut self, token: &[u8], rng: &mut dyn Random) -> Result<ServerStep>;
    fn provide_credentials(&mut self) -> Result<ServerStep>;
    fn is_complete(&self) -> bool;
    fn into_session(self) -> Result<Session>;
    /// Whether a token this server emitted decodes.
    fn decodes(token: &[u8]) -> bool;
}

impl Acceptor for ServerContext {
    fn step(&mut self, token: &[u8], rng: &mut dyn Random) -> Result<ServerStep> {
        ServerContext::step(self, token, NOW, rng)
    }
    fn provide_credentials(&mut self) -> Result<ServerStep> {
        ServerContext::provide_credentials(self, answer(), NOW)
    }
    fn is_complete(&self) -> bool {
        ServerContext::is_complete(self)
    }
    fn into_session(self) -> Result<Session> {
        ServerContext::into_session(self)
    }
    fn decodes(token: &[u8]) -> bool {
        ChallengeMessage::decode(token).is_ok()
    }
}

impl Acceptor for NegotiateServer {
    fn step(&mut self, token: &[u8], rng: &mut dyn Random) -> Result<ServerStep> {
        NegotiateServer::step(self, token, NOW, rng)
    }
    fn provide_credentials(&mut self) -> Result<ServerStep> {
        NegotiateServer::provide_credentials(self, answer(), NOW)
    }
    fn is_complete(&self) -> bool {
        NegotiateServer::is_complete(self)
    }
    fn into_session(self) -> Result<Session> {
        NegotiateServer::into_session(self)
    }
    fn decodes(token: &[u8]) -> bool {
        NegotiationToken::decode(token).is_ok() || ChallengeMessage::decode(token).is_ok()
    }
}

/// Feeds `tokens` to `server` in order, answering `NeedCredentials` with the one user's key.
pub(super) fn accept<'a, A: Acceptor>(
    mut server: A,
    tokens: impl IntoIterator<Item = &'a [u8]>,
    rng: &mut dyn Random,
) {
    for token in tokens {
        let mut step = server.step(token, rng);
        if matches!(step, Ok(ServerStep::NeedCredentials(_))) {
            step = server.provide_credentials();
        }
        match step {
            Ok(ServerStep::Continue(out)) => {
                assert!(A::decodes(&out), "the server's token does not decode: {out:02x?}");
            }
            Ok(ServerStep::Done(out)) => {
                assert!(out.as_deref().is_none_or(A::decodes), "final token does not decode");
                assert!(server.is_complete(), "Done but not complete");
                if let Err(e) = server.into_session() {
                    panic!("a completed server has no session: {e:?}");
                }
                return;
            }
            Ok(ServerStep::NeedCredentials(_)) => panic!("credentials asked for twice"),
            Err(_) => {
                let again = server.step(token, rng);
                assert!(again.is_err(), "a failed server recovered: {again:?}");
                return;
            }
        }
    }
}

/// The servers fed client tokens. The first byte chooses the scenario: bits 0-1 the
/// context — 0: NTLM, the rest of the input as NEGOTIATE; 1: NTLM after a real NEGOTIATE,
/// the input as AUTHENTICATE; 2: connectionless NTLM, the input as AUTHENTICATE; 3:
/// Negotiate, the input split into tokens (see `tokens`), bit 3 selecting
/// [`AcceptMode::Auto`]; bit 2 the other server policy (anonymous allowed, bindings and SPN
/// required, no MIC required).
pub fn server_step(data: &[u8]) {
    let Some((&mode, input)) = data.split_first() else { return };
    let config = server_config(mode & 4 != 0);
    let mut rng = server_rng();
    match mode & 3 {
        0 => accept(ServerContext::new(config), [input], &mut rng),
        1 => {
            let mut server = ServerContext::new(config);
            let negotiate = real_negotiate();
            let challenge = server.step(&negotiate, NOW, &mut rng);
            assert!(matches!(challenge, Ok(ServerStep::Continue(_))), "{challenge:?}");
            accept(server, [input], &mut rng);
        }
        2 => {
            let mut server = ServerContext::new(config);
            let challenge = server.start_datagram(NOW, &mut rng);
            assert!(matches!(challenge, Ok(ServerStep::Continue(_))), "{challenge:?}");
            accept(server, [input], &mut rng);
        }
        _ => {
            let accept_mode = if mode & 8 != 0 { AcceptMode::Auto } else { AcceptMode::Negotiate };
            accept(NegotiateServer::new(config, accept_mode), tokens(input), &mut rng);
        }
    }
}

/// The NEGOTIATE the targets' client sends.
pub(super) fn real_negotiate() -> alloc::vec::Vec<u8> {
    match ClientContext::new(credentials(), client_config(false)).step(None, NOW, &mut client_rng())
    {
        Ok(ClientStep::Continue(negotiate)) => {
            debug_assert!(NegotiateMessage::decode(&negotiate).is_ok());
            negotiate
        }
        other => panic!("no NEGOTIATE: {other:?}"),
    }
}
