//! Memory: `size_of` every context and session type, the heap a server context holds while
//! it waits for AUTHENTICATE (beyond the NEGOTIATE and CHALLENGE it must keep for the MIC),
//! and the total for 100,000 such pending handshakes (counted by `allocation-counter`, and
//! as the growth of VmRSS in a fresh child process per variant).
//!
//! Its own binary because `allocation-counter` replaces the global allocator.
//! `cargo bench --bench memory`; see BENCHMARKS.md.

// Bench code, not library code: the library-only lints of `[lints.clippy]` do not apply.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::mem::size_of;
use std::process::Command;

use common::{NOW, Parties, SeededRandom};
use sspi_proto::ntlm::client::{ClientConfig, ClientContext as NtlmClient, ClientStep};
use sspi_proto::ntlm::crypto::{HmacMd5, Rc4};
use sspi_proto::ntlm::server::{ServerConfig, ServerContext as NtlmServer, ServerStep};
use sspi_proto::ntlm::session::{RecvHalf, SendHalf, Session};
use sspi_proto::spnego::NegotiationToken;
use sspi_proto::spnego::client::NegotiateClient;
use sspi_proto::spnego::server::NegotiateServer;
use sspi_proto::sspi::{ClientOptions, Package, ServerOptions, Step};
use sspi_proto::{Credentials, sspi};

const PENDING: usize = 100_000;
const CHILD_VAR: &str = "SSPI_BENCH_PENDING";

fn sizes() {
    println!("\n### size_of (bytes, inline part only)\n");
    println!("| type | size_of |");
    println!("|---|---:|");
    let rows: [(&str, usize); 12] = [
        ("ntlm::client::ClientContext", size_of::<NtlmClient>()),
        ("ntlm::server::ServerContext", size_of::<NtlmServer>()),
        ("spnego::client::NegotiateClient", size_of::<NegotiateClient>()),
        ("spnego::server::NegotiateServer", size_of::<NegotiateServer>()),
        ("sspi::ClientContext", size_of::<sspi::ClientContext>()),
        ("sspi::ServerContext", size_of::<sspi::ServerContext>()),
        ("ntlm::session::Session", size_of::<Session>()),
        ("ntlm::session::SendHalf", size_of::<SendHalf>()),
        ("ntlm::session::RecvHalf", size_of::<RecvHalf>()),
        ("(part) crypto::Rc4", size_of::<Rc4>()),
        ("(part) crypto::HmacMd5", size_of::<HmacMd5>()),
        ("(part) ntlm::server::ServerConfig", size_of::<ServerConfig>()),
    ];
    for (name, size) in rows {
        println!("| `{name}` | {size} |");
    }
}

/// The kinds of server context measured while they wait for AUTHENTICATE.
#[derive(Clone, Copy)]
enum Variant {
    /// `ntlm::server::ServerContext`.
    Ntlm,
    /// `sspi::ServerContext` over `Package::Ntlm`.
    SspiNtlm,
    /// `sspi::ServerContext` over `Package::Negotiate`.
    SspiNegotiate,
}

impl Variant {
    const ALL: [Self; 3] = [Self::Ntlm, Self::SspiNtlm, Self::SspiNegotiate];

    fn name(self) -> &'static str {
        match self {
            Self::Ntlm => "ntlm",
            Self::SspiNtlm => "sspi-ntlm",
            Self::SspiNegotiate => "sspi-negotiate",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Ntlm => "`ntlm::server::ServerContext`",
            Self::SspiNtlm => "`sspi::ServerContext` (Package::Ntlm)",
            Self::SspiNegotiate => "`sspi::ServerContext` (Package::Negotiate)",
        }
    }

    fn from_name(name: &str) -> Self {
        Self::ALL.into_iter().find(|v| v.name() == name).unwrap()
    }

    /// The client's first token for this kind of server.
    fn first_token(self) -> Vec<u8> {
        let mut rng = SeededRandom::new(9);
        match self {
            Self::Ntlm => {
                let creds = Credentials::password_in_domain("Domain", "User", "Password");
                let mut client = NtlmClient::new(creds, ClientConfig::default());
                let ClientStep::Continue(t) = client.step(None, NOW, &mut rng).unwrap() else {
                    panic!()
                };
                t
            }
            Self::SspiNtlm | Self::SspiNegotiate => {
                let package =
                    if let Self::SspiNtlm = self { Package::Ntlm } else { Package::Negotiate };
                let parties = Parties::new(package);
                let mut client =
                    sspi::ClientContext::new(package, &parties.outbound, ClientOptions::default())
                        .unwrap();
                let Step::Continue(t) = client.step(None, NOW, &mut rng).unwrap() else { panic!() };
                t
            }
        }
    }
}

/// A pending server context of one variant; `Box` keeps the three types in one vector.
/// Only held, never read: the point is to keep the contexts alive.
#[allow(dead_code)]
enum Pending {
    Ntlm(Box<NtlmServer>),
    Sspi(Box<sspi::ServerContext>),
}

/// The NTLM message inside a token (the token itself for raw NTLM).
fn ntlm_part(token: &[u8]) -> usize {
    match NegotiationToken::decode(token) {
        Ok(NegotiationToken::Init(init)) => init.mech_token.map_or(0, |t| t.len()),
        Ok(NegotiationToken::Resp(resp)) => resp.response_token.map_or(0, |t| t.len()),
        Err(_) => token.len(),
    }
}

/// One server context fed the client's first token; returns it and the CHALLENGE length.
fn pending_one(
    variant: Variant,
    token: &[u8],
    inbound: &sspi::CredentialsHandle,
    rng: &mut SeededRandom,
) -> (Pending, usize) {
    let (ctx, step) = match variant {
        Variant::Ntlm => {
            let mut s = NtlmServer::new(ServerConfig::default());
            let step = s.step(token, NOW, rng).unwrap();
            (Pending::Ntlm(Box::new(s)), step)
        }
        Variant::SspiNtlm | Variant::SspiNegotiate => {
            let package =
                if let Variant::SspiNtlm = variant { Package::Ntlm } else { Package::Negotiate };
            let mut s =
                sspi::ServerContext::new(package, inbound, ServerOptions::default()).unwrap();
            let step = s.step(token, NOW, rng).unwrap();
            (Pending::Sspi(Box::new(s)), step)
        }
    };
    let ServerStep::Continue(reply) = step else { panic!("CHALLENGE expected") };
    (ctx, ntlm_part(&reply))
}

fn inline_size(variant: Variant) -> usize {
    match variant {
        Variant::Ntlm => size_of::<NtlmServer>(),
        Variant::SspiNtlm | Variant::SspiNegotiate => size_of::<sspi::ServerContext>(),
    }
}

/// Heap held by one pending context, measured around its creation; the reply token is
/// dropped inside the measurement (it is the caller's to send, not the context's to keep).
fn one_context() {
    println!("\n### One server context waiting for AUTHENTICATE\n");
    println!(
        "| context | heap held | of which NEGOTIATE + CHALLENGE (their lengths) | beyond them | allocations held |"
    );
    println!("|---|---:|---:|---:|---:|");
    for variant in Variant::ALL {
        let token = variant.first_token();
        let negotiate_len = ntlm_part(&token);
        let parties = Parties::new(Package::Ntlm);
        let inbound = if let Variant::SspiNegotiate = variant {
            Parties::new(Package::Negotiate).inbound
        } else {
            parties.inbound
        };
        let mut rng = SeededRandom::new(10);
        let mut kept = None;
        let mut challenge_len = 0;
        let info = allocation_counter::measure(|| {
            let (ctx, len) = pending_one(variant, &token, &inbound, &mut rng);
            challenge_len = len;
            // The Box itself is the caller's choice; count only what the context holds.
            kept = Some(ctx);
        });
        let boxed = inline_size(variant) as i64;
        let held = info.bytes_current - boxed;
        let stored = (negotiate_len + challenge_len) as i64;
        println!(
            "| {} | {held} B | {stored} B ({negotiate_len} + {challenge_len}) | {} B | {} |",
            variant.label(),
            held - stored,
            info.count_current - 1
        );
    }
}

/// Allocations of one whole handshake, both sides, contexts dropped at the end: the
/// allocator work that the crypto floor does not have.
fn handshake_allocations() {
    println!("\n### Heap allocations per full handshake (client and server, through `sspi`)\n");
    println!("| handshake | allocations | bytes allocated |");
    println!("|---|---:|---:|");
    for (name, package) in [("NTLMv2", Package::Ntlm), ("Negotiate", Package::Negotiate)] {
        let parties = Parties::new(package);
        let mut rng = SeededRandom::new(12);
        let info = allocation_counter::measure(|| {
            std::hint::black_box(parties.handshake_only(&mut rng));
        });
        println!("| {name} | {} | {} |", info.count_total, info.bytes_total);
    }
}

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// In the child: 100,000 pending contexts of one variant, held in one vector of boxes.
fn child(variant: Variant) {
    let token = variant.first_token();
    let inbound = Parties::new(if let Variant::SspiNegotiate = variant {
        Package::Negotiate
    } else {
        Package::Ntlm
    })
    .inbound;
    let mut rng = SeededRandom::new(11);
    let rss_before = vm_rss_kib();
    let mut all = Vec::with_capacity(PENDING);
    let info = allocation_counter::measure(|| {
        for _ in 0..PENDING {
            all.push(pending_one(variant, &token, &inbound, &mut rng).0);
        }
    });
    let rss_after = vm_rss_kib();
    std::hint::black_box(&all);
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "| {} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.0} B |",
        variant.label(),
        mib(info.bytes_current as f64 + (PENDING * size_of::<Pending>()) as f64),
        mib(info.bytes_max as f64 + (PENDING * size_of::<Pending>()) as f64),
        (rss_after - rss_before) as f64 / 1024.0,
        (info.bytes_current as f64 + (PENDING * size_of::<Pending>()) as f64) / PENDING as f64,
    );
}

fn main() {
    if let Ok(name) = std::env::var(CHILD_VAR) {
        child(Variant::from_name(&name));
        return;
    }
    sizes();
    handshake_allocations();
    one_context();
    println!(
        "\n### {PENDING} concurrent handshakes waiting for AUTHENTICATE (target: well under 200 MiB)\n"
    );
    println!(
        "| context | heap held (counted) | peak heap while creating | VmRSS growth | per handshake |"
    );
    println!("|---|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    for variant in Variant::ALL {
        // A fresh process per variant, so that VmRSS is not blurred by memory the
        // previous variant freed but the allocator kept.
        let out = Command::new(&exe).env(CHILD_VAR, variant.name()).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    println!();
}
