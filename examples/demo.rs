//! `cargo run --example demo`: SSPI at work, in one process.
//!
//! A client and a server talk over a loopback TCP socket (each token framed as a 4-byte
//! big-endian length followed by the bytes). They run a Negotiate (SPNEGO over NTLM)
//! handshake through the package-agnostic [`sspi_proto::sspi`] layer, the server looking the
//! user up in a one-line in-memory table when it asks for credentials; then the client sends
//! a few sealed messages and the server echoes each back, sealed in its own direction.
//!
//! Every step is printed: the tokens on the wire (decoded far enough to name them), the
//! negotiated flags, who authenticated, and the size of every sealed message. The library
//! does no I/O: this file owns the sockets, the threads, the clock and the random source.

// An application, not library code: the library's no-arithmetic lint does not apply here.
#![allow(clippy::arithmetic_side_effects)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use sspi_proto::ntlm::crypto::NtHash;
use sspi_proto::ntlm::messages::{AUTHENTICATE_TYPE, CHALLENGE_TYPE, NEGOTIATE_TYPE, message_type};
use sspi_proto::ntlm::server::{CredentialAnswer, Policy, ServerConfig, ServerStep};
use sspi_proto::spnego::{NegState, NegotiationToken};
use sspi_proto::sspi::{
    ClientContext, ClientOptions, ClientRequest, CredentialUse, CredentialsHandle, Package,
    ServerContext, ServerOptions, ServerRequest, Step,
};
use sspi_proto::{Credentials, FileTime, Identity, NegotiateFlags, OsRandom, Status};

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const DOMAIN: &str = "CORP";
const USER: &str = "alice";
const PASSWORD: &str = "Passw0rd!";
const WORKSTATION: &str = "DEMO-PC";
const SPN: &str = "HTTP/localhost";
/// What the client seals and the server echoes.
const MESSAGES: [&str; 3] =
    ["hello, server", "NTLM seals with RC4 and signs with HMAC-MD5", "the last message"];
/// The largest frame either side accepts (Negotiate's cbMaxToken is 48256).
const MAX_FRAME: u32 = 64 * 1024;

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            say("demo", "OK: authenticated, and every sealed message came back intact");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("demo: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Fallible<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    say("demo", &format!("Negotiate (SPNEGO over NTLM) between two threads over TCP {addr}"));
    std::thread::scope(|s| {
        let server = s.spawn(move || server(&listener));
        // If either side fails it drops its socket, so the other sees EOF and stops too.
        let client_result = client(addr);
        let server_result = server.join().map_err(|_| "the server thread panicked")?;
        client_result.and(server_result)
    })
}

// ---------------------------------------------------------------------------------------------
// The client: InitializeSecurityContext until SEC_E_OK, then wrap / unwrap.
// ---------------------------------------------------------------------------------------------

fn client(addr: SocketAddr) -> Fallible<()> {
    let creds = Credentials::password_in_domain(DOMAIN, USER, PASSWORD);
    let handle =
        CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Outbound, Some(creds))?;
    let options = ClientOptions {
        request: ClientRequest::CONNECTION
            | ClientRequest::INTEGRITY
            | ClientRequest::CONFIDENTIALITY
            | ClientRequest::SEQUENCE_DETECT
            | ClientRequest::REPLAY_DETECT,
        target_name: Some(SPN.into()),
        workstation: Some(WORKSTATION.into()),
        ..ClientOptions::default()
    };
    let mut ctx = ClientContext::new(Package::Negotiate, &handle, options)?;
    let mut stream = TcpStream::connect(addr)?;
    say("client", &format!("connected as {DOMAIN}\\{USER} to {SPN}"));

    let mut rng = OsRandom;
    let mut input: Option<Vec<u8>> = None;
    loop {
        let step = ctx.step(input.as_deref(), FileTime::now(), &mut rng)?;
        let status = status_name(step.status());
        match step.token() {
            Some(token) => {
                say(
                    "client",
                    &format!("InitializeSecurityContext: {status}, sends {}", describe(token)),
                );
                send(&mut stream, token)?;
            }
            None => say("client", &format!("InitializeSecurityContext: {status}, nothing to send")),
        }
        if let Step::Done(_) = step {
            break;
        }
        input = Some(
            recv(&mut stream)?.ok_or("the server closed the connection during the handshake")?,
        );
    }

    let flags = ctx.negotiated_flags()?;
    say("client", &format!("negotiated NTLM flags 0x{:08x}: {}", flags.bits(), flag_names(flags)));
    say("client", &format!("granted: {}", names(ctx.attributes()?.iter_names())));
    let sizes = ctx.sizes();
    say(
        "client",
        &format!(
            "sizes: max token {} bytes, security trailer {} bytes, block size {}",
            sizes.max_token, sizes.security_trailer, sizes.block_size
        ),
    );

    for message in MESSAGES {
        let sealed = ctx.wrap(message.as_bytes(), FileTime::now())?;
        say(
            "client",
            &format!(
                "wraps {message:?} ({} bytes) into {} bytes (16-byte signature + ciphertext)",
                message.len(),
                sealed.len()
            ),
        );
        send(&mut stream, &sealed)?;
        let reply = recv(&mut stream)?.ok_or("the server closed the connection before echoing")?;
        let echoed = ctx.unwrap(&reply, FileTime::now())?;
        if echoed != message.as_bytes() {
            return Err("the echo differs from what was sent".into());
        }
        say("client", &format!("unwraps the {}-byte echo: {:?}, intact", reply.len(), message));
    }
    say("client", "done; closing the connection");
    stream.shutdown(Shutdown::Write)?;
    ctx.delete();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The server: AcceptSecurityContext, answering NeedCredentials from its user table.
// ---------------------------------------------------------------------------------------------

/// The application's users. A real one would keep NT hashes (or ask a domain controller),
/// never passwords; the library only ever sees the hashes it is handed.
fn user_table() -> Vec<(&'static str, &'static str, NtHash)> {
    vec![(DOMAIN, USER, NtHash::from_password(PASSWORD))]
}

fn lookup(users: &[(&str, &str, NtHash)], who: &Identity) -> Vec<NtHash> {
    users
        .iter()
        .filter(|(domain, user, _)| {
            user.eq_ignore_ascii_case(&who.user)
                && (domain.eq_ignore_ascii_case(&who.domain) || who.domain.is_empty())
        })
        .map(|(_, _, hash)| hash.clone())
        .collect()
}

fn server(listener: &TcpListener) -> Fallible<()> {
    let users = user_table();
    let handle = CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Inbound, None)?;
    let options = ServerOptions {
        request: ServerRequest::CONNECTION
            | ServerRequest::INTEGRITY
            | ServerRequest::CONFIDENTIALITY,
        ntlm: ServerConfig {
            nb_computer_name: "DEMO-SERVER".into(),
            nb_domain_name: DOMAIN.into(),
            // Refuse a logon meant for another service (a relayed one): the client must name
            // this SPN in its (MIC-protected) AUTHENTICATE.
            expected_spns: vec![SPN.into()],
            spn_policy: Policy::Require,
            ..ServerConfig::default()
        },
        ..ServerOptions::default()
    };
    let mut ctx = ServerContext::new(Package::Negotiate, &handle, options)?;
    let (mut stream, peer) = listener.accept()?;

    let mut rng = OsRandom;
    let mut first = true;
    loop {
        let token =
            recv(&mut stream)?.ok_or("the client closed the connection during the handshake")?;
        if std::mem::take(&mut first) {
            // Printed after the first receive, so that it follows the client's lines.
            say("server", &format!("accepted a connection from {peer}"));
        }
        let mut step = ctx.step(&token, FileTime::now(), &mut rng)?;
        if let ServerStep::NeedCredentials(who) = &step {
            let hashes = lookup(&users, who);
            say(
                "server",
                &format!(
                    "AcceptSecurityContext: needs the key of {}\\{} (workstation {:?}); the user \
                     table has {} candidate NT hash(es)",
                    who.domain,
                    who.user,
                    who.workstation,
                    hashes.len()
                ),
            );
            step = ctx.provide_credentials(CredentialAnswer::NtHashes(hashes), FileTime::now())?;
        }
        match step {
            ServerStep::Continue(token) => {
                say(
                    "server",
                    &format!(
                        "AcceptSecurityContext: SEC_I_CONTINUE_NEEDED, sends {}",
                        describe(&token)
                    ),
                );
                send(&mut stream, &token)?;
            }
            ServerStep::Done(token) => {
                let who = ctx.names()?;
                say(
                    "server",
                    &format!(
                        "AcceptSecurityContext: SEC_E_OK, authenticated {}\\{} from {}",
                        who.domain, who.user, who.workstation
                    ),
                );
                if let Some(token) = token {
                    say("server", &format!("sends {}", describe(&token)));
                    send(&mut stream, &token)?;
                }
                break;
            }
            ServerStep::NeedCredentials(_) => return Err("credentials asked for twice".into()),
        }
    }

    while let Some(sealed) = recv(&mut stream)? {
        let plain = ctx.unwrap(&sealed, FileTime::now())?;
        let echo = ctx.wrap(&plain, FileTime::now())?;
        say(
            "server",
            &format!(
                "unwraps {} bytes: {:?}; echoes it sealed, {} bytes",
                sealed.len(),
                String::from_utf8_lossy(&plain),
                echo.len()
            ),
        );
        send(&mut stream, &echo)?;
    }
    say("server", "the client closed the connection; session over");
    ctx.delete();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Framing and printing
// ---------------------------------------------------------------------------------------------

fn send(stream: &mut TcpStream, token: &[u8]) -> Fallible<()> {
    let len = u32::try_from(token.len())?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(token)?;
    Ok(())
}

/// The next frame, or `None` at a clean end of stream.
fn recv(stream: &mut TcpStream) -> Fallible<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        return Err(format!("frame of {len} bytes is larger than {MAX_FRAME}").into());
    }
    let mut token = vec![0u8; usize::try_from(len)?];
    stream.read_exact(&mut token)?;
    Ok(Some(token))
}

/// Each side prints a step before it sends and after it receives, so the two threads'
/// lines come out in protocol order.
fn say(who: &str, line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "[{who}] {line}");
    let _ = out.flush();
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Ok => "SEC_E_OK",
        Status::ContinueNeeded => "SEC_I_CONTINUE_NEEDED",
        Status::CompleteNeeded => "SEC_I_COMPLETE_NEEDED",
        Status::CompleteAndContinue => "SEC_I_COMPLETE_AND_CONTINUE",
    }
}

fn names<'a>(iter: impl Iterator<Item = (&'a str, impl Sized)>) -> String {
    let names: Vec<&str> = iter.map(|(name, _)| name).collect();
    if names.is_empty() { "none".into() } else { names.join(" | ") }
}

fn flag_names(flags: NegotiateFlags) -> String {
    names(flags.iter_names())
}

/// Names a token: `NegTokenInit (NTLM NEGOTIATE), 74 bytes`.
fn describe(token: &[u8]) -> String {
    let what = match NegotiationToken::decode(token) {
        Ok(NegotiationToken::Init(init)) => {
            format!(
                "NegTokenInit{}",
                inner(init.mech_token.as_deref(), init.mech_list_mic.is_some())
            )
        }
        Ok(NegotiationToken::Resp(resp)) => {
            let state = match resp.neg_state {
                Some(NegState::AcceptCompleted) => " accept-completed",
                Some(NegState::AcceptIncomplete) => " accept-incomplete",
                Some(NegState::Reject) => " reject",
                Some(NegState::RequestMic) => " request-mic",
                None => "",
            };
            let inner = inner(resp.response_token.as_deref(), resp.mech_list_mic.is_some());
            format!("NegTokenResp{state}{inner}")
        }
        Err(_) => {
            ntlm_name(token).map_or_else(|| "an unknown token".into(), |n| format!("NTLM {n}"))
        }
    };
    format!("{what}, {} bytes", token.len())
}

/// ` (NTLM CHALLENGE + mechListMIC)` for what a SPNEGO token carries.
fn inner(mech_token: Option<&[u8]>, mic: bool) -> String {
    let mut parts = Vec::new();
    if let Some(token) = mech_token {
        parts.push(
            ntlm_name(token).map_or_else(|| "a non-NTLM token".into(), |n| format!("NTLM {n}")),
        );
    }
    if mic {
        parts.push("mechListMIC".into());
    }
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(" + ")) }
}

fn ntlm_name(token: &[u8]) -> Option<&'static str> {
    match message_type(token).ok()? {
        NEGOTIATE_TYPE => Some("NEGOTIATE"),
        CHALLENGE_TYPE => Some("CHALLENGE"),
        AUTHENTICATE_TYPE => Some("AUTHENTICATE"),
        _ => None,
    }
}
