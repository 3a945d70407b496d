//! An HTTP server protected by Negotiate / NTLM: `tiny_http` speaks HTTP, `sspi_proto::http`
//! answers the `Authorization` headers.
//!
//! ```sh
//! cargo run --example http_server --features http -- --port 8080 --user alice --password 'Passw0rd!'
//! cargo run --example http_client --features http -- --port 8080 --user 'CORP\alice' --password 'Passw0rd!'
//! ```
//!
//! Options: `--bind ADDR` (default 127.0.0.1), `--port N` (default 8080; 0 picks a free one),
//! `--user`, `--password` (default `alice` / `Passw0rd!`), `--domain` (when given, the client's
//! domain must match or be empty), `--allow-no-mic` (accept clients that send no MIC, such as
//! `curl --ntlm -u 'CORP\alice:Passw0rd!' http://127.0.0.1:8080/`; this re-opens drop-the-MIC,
//! CVE-2019-1040, so it is off by default). The first stdout line is
//! `listening on http://ADDR/`; the log goes to stderr.
//!
//! Why `tiny_http`: it is synchronous and small (four light dependencies), so building this
//! example adds seconds to CI rather than the minute hyper + tokio + hyper-util take; the
//! authentication logic is the same with any HTTP stack.
//!
//! NTLM authenticates the *connection*: the NEGOTIATE and AUTHENTICATE legs arrive as two
//! requests on one kept-alive connection, and the server must match them by connection, never
//! by anything the client sends. `tiny_http` passes every connection's requests to one loop and
//! tells each request's peer address, which identifies its connection among the open ones, but
//! not when a connection closes. So the handshake state lives in a map keyed by the peer
//! address; an entry ends with its handshake (authenticated or refused) or after
//! [`HANDSHAKE_TIMEOUT`] idle. Because a closed connection's address can be reused by another
//! client, an authenticated connection is *not* remembered: every request authenticates (IIS's
//! `authPersistSingleRequest`). A stack that gives each connection its own task (hyper) can keep
//! the [`HttpAuthServer`] in the task and skip re-authentication for the connection's life.

// An application, not library code: the library's no-arithmetic lint does not apply here.
#![allow(clippy::arithmetic_side_effects)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sspi_proto::http::{HttpAuthServer, ServerAction};
use sspi_proto::ntlm::crypto::NtHash;
use sspi_proto::ntlm::server::{CredentialAnswer, ServerConfig};
use sspi_proto::sspi::ServerOptions;
use sspi_proto::{FileTime, Identity, OsRandom};
use tiny_http::{Header, Request, Response, Server};

/// How long a half-done handshake may wait for the client's next leg.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

struct Args(Vec<String>);

impl Args {
    fn value(&self, name: &str) -> Option<String> {
        let pos = self.0.iter().position(|a| a == name)?;
        self.0.get(pos + 1).cloned()
    }

    fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }
}

/// The one account this demo knows; a real server asks its user store (or a domain
/// controller, through a pass-through answer).
struct User {
    domain: Option<String>,
    name: String,
    password: String,
}

impl User {
    fn answer(&self, id: &Identity) -> CredentialAnswer {
        let domain_ok = match &self.domain {
            None => true,
            Some(d) => id.domain.is_empty() || d.eq_ignore_ascii_case(&id.domain),
        };
        // Unknown user and wrong password take the same path: an empty candidate list gives
        // the same LogonDenied as a wrong hash.
        let hashes = if domain_ok && self.name.eq_ignore_ascii_case(&id.user) {
            vec![NtHash::from_password(&self.password)]
        } else {
            vec![]
        };
        CredentialAnswer::NtHashes(hashes)
    }
}

/// A handshake in progress on one connection.
struct Pending {
    auth: HttpAuthServer,
    touched: Instant,
}

type Body = Response<std::io::Cursor<Vec<u8>>>;

fn add_header(response: &mut Body, name: &str, value: &str) {
    // The values are scheme names and base64, always valid header bytes.
    if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        response.add_header(h);
    }
}

fn unauthorized(values: &[&str]) -> Body {
    let mut response = Response::from_string("authentication required\n").with_status_code(401);
    for v in values {
        add_header(&mut response, "WWW-Authenticate", v);
    }
    response
}

/// One request: the next leg of its connection's handshake, or a fresh start.
fn handle(
    request: &Request,
    peer: SocketAddr,
    pending: &mut HashMap<SocketAddr, Pending>,
    user: &User,
    options: &ServerOptions,
) -> Body {
    let authorization = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().to_string());
    let Some(authorization) = authorization else {
        pending.remove(&peer);
        eprintln!("{peer}: {} {} without credentials: 401", request.method(), request.url());
        return unauthorized(&HttpAuthServer::OFFERS);
    };
    let entry = match pending.remove(&peer) {
        Some(p) => p,
        None => match HttpAuthServer::new(options.clone()) {
            Ok(auth) => Pending { auth, touched: Instant::now() },
            Err(e) => {
                eprintln!("{peer}: cannot create a context: {e}");
                return Response::from_string("internal error\n").with_status_code(500);
            }
        },
    };
    let mut auth = entry.auth;
    let mut rng = OsRandom;
    let mut result = auth.step(&authorization, FileTime::now(), &mut rng);
    if let Ok(ServerAction::NeedCredentials(id)) = &result {
        eprintln!(
            "{peer}: looking up {}\\{} (workstation {:?})",
            id.domain, id.user, id.workstation
        );
        result = auth.provide_credentials(user.answer(id), FileTime::now());
    }
    match result {
        Ok(ServerAction::Challenge(value)) => {
            eprintln!(
                "{peer}: 401 with the next {} token",
                auth.scheme().map_or("?", |s| s.name())
            );
            pending.insert(peer, Pending { auth, touched: Instant::now() });
            unauthorized(&[&value])
        }
        Ok(ServerAction::Authenticated { identity, www_authenticate }) => {
            let who = if identity.domain.is_empty() {
                identity.user.clone()
            } else {
                format!("{}\\{}", identity.domain, identity.user)
            };
            eprintln!("{peer}: authenticated {who} via {:?}", auth.scheme());
            let mut response =
                Response::from_string(format!("Hello, {who}! You asked for {}\n", request.url()));
            if let Some(value) = www_authenticate {
                add_header(&mut response, "WWW-Authenticate", &value);
            }
            response
        }
        Ok(ServerAction::NeedCredentials(_)) => {
            Response::from_string("internal error\n").with_status_code(500)
        }
        Err(e) => {
            // Refused (LogonDenied) or a broken exchange: start over with the offers.
            eprintln!("{peer}: authentication failed: {e}");
            unauthorized(&HttpAuthServer::OFFERS)
        }
    }
}

fn run() -> Result<(), String> {
    let args = Args(std::env::args().skip(1).collect());
    let bind = args.value("--bind").unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = args
        .value("--port")
        .unwrap_or_else(|| "8080".into())
        .parse()
        .map_err(|e| format!("--port: {e}"))?;
    let user = User {
        domain: args.value("--domain"),
        name: args.value("--user").unwrap_or_else(|| "alice".into()),
        password: args.value("--password").unwrap_or_else(|| "Passw0rd!".into()),
    };
    let server =
        Server::http((bind.as_str(), port)).map_err(|e| format!("bind {bind}:{port}: {e}"))?;
    let addr = server.server_addr().to_ip().ok_or("not an IP listener")?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}/");
        let _ = out.flush();
    }
    let options = ServerOptions {
        ntlm: ServerConfig { require_mic: !args.flag("--allow-no-mic"), ..ServerConfig::default() },
        ..ServerOptions::default()
    };
    let mut pending: HashMap<SocketAddr, Pending> = HashMap::new();
    for request in server.incoming_requests() {
        pending.retain(|_, p| p.touched.elapsed() < HANDSHAKE_TIMEOUT);
        let Some(peer) = request.remote_addr().copied() else {
            let _ =
                request.respond(Response::from_string("no peer address\n").with_status_code(500));
            continue;
        };
        let response = handle(&request, peer, &mut pending, &user, &options);
        if let Err(e) = request.respond(response) {
            eprintln!("{peer}: write failed: {e}");
            pending.remove(&peer);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_server: {e}");
            ExitCode::FAILURE
        }
    }
}
