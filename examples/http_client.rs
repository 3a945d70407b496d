//! An HTTP client that logs in with Negotiate / NTLM: `ureq` speaks HTTP,
//! `sspi_proto::http::HttpAuthClient` turns each 401 into the next `Authorization` header.
//!
//! ```sh
//! cargo run --example http_server --features http -- --port 8080
//! cargo run --example http_client --features http -- --port 8080 --user 'CORP\alice' --password 'Passw0rd!'
//! ```
//!
//! Options: `--url URL` (or `--port N` for `http://127.0.0.1:N/`), `--user` (`DOMAIN\user`,
//! a UPN, or a plain name), `--password`, `--scheme negotiate|ntlm` (default: whichever the
//! server offers, Negotiate first), `--requests N` (authenticate N requests in a row on the
//! same agent; default 1). Prints the status, scheme, outcome and body to stdout; exits 0
//! only on a 2xx.
//!
//! The legs of one handshake must share a TCP connection (NTLM authenticates the connection).
//! A `ureq` agent keeps a finished response's connection alive and reuses it for the next
//! request to the same host once the body has been read to its end, so this client reads
//! every 401 body before retrying, and keeps one idle connection per host. Were a fresh
//! connection ever opened between legs, the server would answer the AUTHENTICATE with a bare
//! 401, reported as `HttpError::Rejected`; `tests/http_pair.rs` would catch that. No TLS here
//! (`ureq` without default features): over HTTPS, pass the channel bindings of the TLS
//! connection in `ClientOptions::channel_bindings`.

// An application, not library code: the library's no-arithmetic lint does not apply here.
#![allow(clippy::arithmetic_side_effects)]

use std::process::ExitCode;

use sspi_proto::http::{HttpAuthClient, Scheme};
use sspi_proto::sspi::ClientOptions;
use sspi_proto::{Credentials, FileTime, OsRandom};
use ureq::Agent;

struct Args(Vec<String>);

impl Args {
    fn value(&self, name: &str) -> Option<String> {
        let pos = self.0.iter().position(|a| a == name)?;
        self.0.get(pos + 1).cloned()
    }
}

/// One authenticated request; `Ok(true)` for a 2xx.
fn fetch(agent: &Agent, url: &str, host: &str, args: &Args) -> Result<bool, String> {
    let user = args.value("--user").unwrap_or_else(|| "alice".into());
    let password = args.value("--password").unwrap_or_else(|| "Passw0rd!".into());
    let options = ClientOptions {
        // The service principal name, checked by servers that enforce SPNs.
        target_name: Some(format!("HTTP/{host}")),
        ..ClientOptions::default()
    };
    let mut auth = HttpAuthClient::new(Credentials::password(&user, &password), options);
    match args.value("--scheme").as_deref() {
        None => {}
        Some(name) => {
            let scheme = Scheme::from_name(name).ok_or(format!("unknown --scheme {name}"))?;
            auth = auth.with_schemes(&[scheme]);
        }
    }
    let mut rng = OsRandom;
    let mut authorization: Option<String> = None;
    loop {
        let mut request = agent.get(url);
        if let Some(value) = &authorization {
            request = request.header("Authorization", value);
        }
        let mut response = request.call().map_err(|e| format!("GET {url}: {e}"))?;
        let status = response.status().as_u16();
        let www_authenticate: Vec<String> = response
            .headers()
            .get_all("WWW-Authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        // Read to the end so that ureq returns the connection to its pool for the next leg.
        let body = response.body_mut().read_to_string().map_err(|e| format!("body: {e}"))?;
        if status == 401 {
            match auth.on_unauthorized(&www_authenticate, FileTime::now(), &mut rng) {
                Ok(value) => {
                    eprintln!("401, offers {www_authenticate:?}: sending leg {}", auth.legs());
                    authorization = Some(value);
                    continue;
                }
                Err(e) => {
                    println!("HTTP 401: authentication failed: {e}");
                    return Ok(false);
                }
            }
        }
        let completion = auth
            .on_success(&www_authenticate, FileTime::now(), &mut rng)
            .map_err(|e| format!("HTTP {status} but: {e}"))?;
        let scheme = auth.scheme().map_or("none", |s| s.name());
        println!("HTTP {status} via {scheme} ({completion:?}) after {} legs", auth.legs());
        print!("{body}");
        return Ok((200..300).contains(&status));
    }
}

fn run() -> Result<bool, String> {
    let args = Args(std::env::args().skip(1).collect());
    let url = match (args.value("--url"), args.value("--port")) {
        (Some(url), _) => url,
        (None, Some(port)) => format!("http://127.0.0.1:{port}/"),
        (None, None) => "http://127.0.0.1:8080/".into(),
    };
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .unwrap_or("localhost")
        .to_string();
    let requests: u32 = args
        .value("--requests")
        .map_or(Ok(1), |n| n.parse())
        .map_err(|e| format!("--requests: {e}"))?;
    let agent: Agent = Agent::config_builder()
        // 401 is part of the protocol here, not an error.
        .http_status_as_error(false)
        .max_idle_connections_per_host(1)
        .build()
        .into();
    let mut all_ok = true;
    for _ in 0..requests {
        all_ok &= fetch(&agent, &url, &host, &args)?;
    }
    Ok(all_ok)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("http_client: {e}");
            ExitCode::FAILURE
        }
    }
}
