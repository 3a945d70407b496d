//! The interop peer: this crate behind the line protocol of `shared/interop-protocol.md`,
//! so tests can pair it with any other NTLM / SPNEGO implementation wrapped the same way.
//!
//! ```sh
//! cargo run --example peer -- client --user alice --domain CORP --password pw
//! cargo run --example peer -- server --users-file users.txt
//! ```
//!
//! stdout carries only protocol lines; diagnostics go to stderr. Exit 0 on `QUIT` or EOF,
//! 1 after `ERR`. It is an application, so it uses the system clock and OS randomness.

// An application, not library code: the library's no-arithmetic lint does not apply here.
#![allow(clippy::arithmetic_side_effects)]

use std::io::{BufRead, Write};
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sspi_proto::ntlm::crypto::{ChannelBindings, NtHash, Signature};
use sspi_proto::ntlm::server::{CredentialAnswer, Policy, ServerConfig, ServerStep};
use sspi_proto::sspi::{
    ClientContext, ClientOptions, ClientRequest, CredentialUse, CredentialsHandle, Package,
    ServerContext, ServerOptions, ServerRequest, Step,
};
use sspi_proto::{Credentials, FileTime, OsRandom};

type Fallible<T> = Result<T, String>;

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

fn hex(s: &str) -> Fallible<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return Err("odd-length hex".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("bad hex".to_string())
        })
        .collect()
}

/// `--flags sign,seal|sign|none` as (integrity, confidentiality).
fn wanted(flags: Option<String>) -> Fallible<(bool, bool)> {
    match flags.as_deref().unwrap_or("sign,seal") {
        "sign,seal" | "seal,sign" | "seal" => Ok((true, true)),
        "sign" => Ok((true, false)),
        "none" => Ok((false, false)),
        other => Err(format!("unknown --flags {other}")),
    }
}

fn policy(value: Option<String>, default: Policy) -> Fallible<Policy> {
    match value.as_deref() {
        None => Ok(default),
        Some("ignore") => Ok(Policy::Ignore),
        Some("accept") => Ok(Policy::Accept),
        Some("require") => Ok(Policy::Require),
        Some(other) => Err(format!("unknown policy {other}")),
    }
}

fn channel_bindings(args: &Args) -> Fallible<Option<ChannelBindings>> {
    args.value("--channel-binding-hex")
        .map(|h| hex(&h).map(|d| ChannelBindings::from_application_data(&d)))
        .transpose()
}

/// The protocol's line I/O.
struct Lines {
    stdin: std::io::StdinLock<'static>,
}

impl Lines {
    fn read(&mut self) -> Fallible<Option<String>> {
        let mut line = String::new();
        match self.stdin.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line.trim_end_matches(['\n', '\r']).to_string())),
            Err(e) => Err(format!("stdin: {e}")),
        }
    }

    fn token(&mut self) -> Fallible<Vec<u8>> {
        let line = self.read()?.ok_or("EOF during handshake")?;
        B64.decode(line.trim()).map_err(|e| format!("bad base64: {e}"))
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn text(e: sspi_proto::Error) -> String {
    e.to_string()
}

/// A completed handshake, either side.
enum Established {
    Client(ClientContext),
    Server(ServerContext),
}

macro_rules! either {
    ($peer:expr, $ctx:ident => $body:expr) => {
        match $peer {
            Established::Client($ctx) => $body,
            Established::Server($ctx) => $body,
        }
    };
}

fn client(args: &Args, package: Package, lines: &mut Lines) -> Fallible<Established> {
    let creds = if args.flag("--anonymous") {
        Credentials::anonymous()
    } else {
        let user = args.value("--user").ok_or("--user required")?;
        let domain = args.value("--domain").unwrap_or_default();
        match args.value("--nt-hash") {
            Some(h) => {
                let bytes: [u8; 16] =
                    hex(&h)?.try_into().map_err(|_| "--nt-hash must be 32 hex digits")?;
                Credentials::nt_hash_in_domain(&domain, &user, NtHash::from_bytes(bytes))
            }
            None => {
                let password = args.value("--password").ok_or("--password required")?;
                Credentials::password_in_domain(&domain, &user, &password)
            }
        }
    };
    let (integrity, confidentiality) = wanted(args.value("--flags"))?;
    let mut request = ClientRequest::CONNECTION;
    if integrity {
        request |= ClientRequest::INTEGRITY | ClientRequest::SEQUENCE_DETECT;
    }
    if confidentiality {
        request |= ClientRequest::CONFIDENTIALITY;
    }
    let options = ClientOptions {
        request,
        target_name: args.value("--target"),
        channel_bindings: channel_bindings(args)?,
        workstation: args.value("--workstation"),
        ..ClientOptions::default()
    };
    let handle =
        CredentialsHandle::acquire(package, CredentialUse::Outbound, Some(creds)).map_err(text)?;
    let mut ctx = ClientContext::new(package, &handle, options).map_err(text)?;
    let mut rng = OsRandom;
    let mut input = None;
    loop {
        match ctx.step(input.as_deref(), FileTime::now(), &mut rng).map_err(text)? {
            Step::Continue(t) => say(&B64.encode(t)),
            Step::Done(Some(t)) => {
                say(&format!("DONE {}", B64.encode(t)));
                return Ok(Established::Client(ctx));
            }
            Step::Done(None) => {
                say("DONE");
                return Ok(Established::Client(ctx));
            }
        }
        input = Some(lines.token()?);
    }
}

/// `DOMAIN:USER:PASSWORD` lines.
fn read_users(path: &str) -> Fallible<Vec<(String, String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, ':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(d), Some(u), Some(p)) => Ok((d.to_string(), u.to_string(), p.to_string())),
                _ => Err(format!("{path}: expected DOMAIN:USER:PASSWORD")),
            }
        })
        .collect()
}

fn server(args: &Args, package: Package, auto: bool, lines: &mut Lines) -> Fallible<Established> {
    let users = read_users(&args.value("--users-file").ok_or("--users-file required")?)?;
    let (integrity, confidentiality) = wanted(args.value("--flags").or(Some("none".into())))?;
    let mut request = ServerRequest::CONNECTION;
    if integrity {
        request |= ServerRequest::INTEGRITY;
    }
    if confidentiality {
        request |= ServerRequest::CONFIDENTIALITY;
    }
    let options = ServerOptions {
        request,
        ntlm: ServerConfig {
            channel_bindings: channel_bindings(args)?,
            channel_binding_policy: policy(args.value("--cb-policy"), Policy::Accept)?,
            expected_spns: args.value("--target").into_iter().collect(),
            spn_policy: policy(args.value("--spn-policy"), Policy::Accept)?,
            allow_anonymous: args.flag("--allow-anonymous"),
            allow_ntlmv1: args.flag("--allow-ntlmv1"),
            ..ServerConfig::default()
        },
        accept_raw_ntlm: auto,
        expires: None,
    };
    let handle = CredentialsHandle::acquire(package, CredentialUse::Inbound, None).map_err(text)?;
    let mut ctx = ServerContext::new(package, &handle, options).map_err(text)?;
    let mut rng = OsRandom;
    let mut step = ctx.step(&lines.token()?, FileTime::now(), &mut rng).map_err(text)?;
    loop {
        step = match step {
            ServerStep::Continue(t) => {
                say(&B64.encode(t));
                ctx.step(&lines.token()?, FileTime::now(), &mut rng).map_err(text)?
            }
            ServerStep::NeedCredentials(id) => {
                let hashes = users
                    .iter()
                    .filter(|(d, u, _)| {
                        u.eq_ignore_ascii_case(&id.user)
                            && (d.eq_ignore_ascii_case(&id.domain)
                                || d.is_empty()
                                || id.domain.is_empty())
                    })
                    .map(|(_, _, p)| NtHash::from_password(p))
                    .collect();
                ctx.provide_credentials(CredentialAnswer::NtHashes(hashes), FileTime::now())
                    .map_err(text)?
            }
            ServerStep::Done(token) => {
                let id = ctx.names().map_err(text)?;
                let dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
                let mut line = format!("DONE {} {}", dash(&id.user), dash(&id.domain));
                if let Some(t) = token {
                    line.push(' ');
                    line.push_str(&B64.encode(t));
                }
                say(&line);
                return Ok(Established::Server(ctx));
            }
        }
    }
}

/// Answers one post-handshake request; `Err` means print `ERR` and exit 1.
fn serve(peer: &mut Established, line: &str) -> Fallible<String> {
    let mut words = line.split(' ');
    let verb = words.next().unwrap_or_default();
    let mut arg = || -> Fallible<Vec<u8>> {
        B64.decode(words.next().ok_or("missing argument")?).map_err(|e| format!("bad base64: {e}"))
    };
    let now = FileTime::now();
    match verb {
        "SEAL" => {
            let msg = arg()?;
            Ok(B64.encode(either!(peer, c => c.wrap(&msg, now)).map_err(text)?))
        }
        "UNSEAL" => {
            let token = arg()?;
            Ok(B64.encode(either!(peer, c => c.unwrap(&token, now)).map_err(text)?))
        }
        "SIGN" => {
            let msg = arg()?;
            Ok(B64
                .encode(either!(peer, c => c.make_signature(&msg, now)).map_err(text)?.as_bytes()))
        }
        "VERIFY" => {
            let msg = arg()?;
            let sig = Signature::from_slice(&arg()?).map_err(text)?;
            either!(peer, c => c.verify_signature(&msg, &sig, now)).map_err(text)?;
            Ok("OK".into())
        }
        "SESSIONKEY" => {
            let key = either!(peer, c => c.session_key().map(|k| *k.as_bytes())).map_err(text)?;
            Ok(key.iter().map(|b| format!("{b:02x}")).collect())
        }
        "FLAGS" => {
            let flags = either!(peer, c => c.negotiated_flags()).map_err(text)?;
            Ok(format!("{:08x}", flags.bits()))
        }
        other => Err(format!("unknown request {other}")),
    }
}

fn run() -> Fallible<()> {
    let args = Args(std::env::args().skip(1).collect());
    let mut lines = Lines { stdin: std::io::stdin().lock() };
    let role = args.0.first().cloned().unwrap_or_default();
    let (package, auto) = match args.value("--protocol").as_deref() {
        None | Some("ntlm") => (Package::Ntlm, false),
        Some("negotiate") => (Package::Negotiate, false),
        Some("auto") if role == "server" => (Package::Negotiate, true),
        Some(other) => return Err(format!("unknown --protocol {other}")),
    };
    let mut peer = match role.as_str() {
        "client" => client(&args, package, &mut lines)?,
        "server" => server(&args, package, auto, &mut lines)?,
        _ => return Err("usage: peer client|server [options]".into()),
    };
    let mut dead = false;
    while let Some(line) = lines.read()? {
        if line == "QUIT" {
            break;
        }
        if dead {
            say("ERR session failed earlier");
            continue;
        }
        match serve(&mut peer, &line) {
            Ok(reply) => say(&reply),
            Err(e) => {
                // After a failed UNSEAL/VERIFY the session is dead (interop-protocol.md).
                eprintln!("peer: {e}");
                say(&format!("ERR {e}"));
                dead = true;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peer: {e}");
            say(&format!("ERR {e}"));
            ExitCode::FAILURE
        }
    }
}
