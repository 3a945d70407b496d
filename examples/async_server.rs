//! Many concurrent clients on one tokio server, each connection with its own Sans-IO
//! context: the contexts never block and never touch the socket, so an async task drives each
//! one exactly as a thread or an event loop would.
//!
//! ```sh
//! cargo run --example async_server -- --self-test --clients 50 --messages 10
//! cargo run --example async_server -- server --port 9000
//! cargo run --example async_server -- client --port 9000 --clients 50
//! ```
//!
//! Wire format: every message is a 4-byte big-endian length and that many bytes. The client
//! sends Negotiate tokens until the server's final token completes its context, then
//! `--messages` sealed messages (GSS_Wrap); the server unseals each and sends it back sealed.
//! A refused logon closes the connection. `--self-test` runs the server and `--clients`
//! concurrent clients in one process, adds one client with a wrong password (which must be
//! refused), prints a summary, and exits 0 only if everything went as expected.
//!
//! Other options: `--user`, `--password` (default `alice` / `Passw0rd!`), `--threads N`
//! (runtime workers, default 2).

// An application, not library code: the library's no-arithmetic lint does not apply here.
#![allow(clippy::arithmetic_side_effects)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sspi_proto::ntlm::crypto::NtHash;
use sspi_proto::ntlm::server::{CredentialAnswer, ServerStep};
use sspi_proto::sspi::{
    ClientContext, ClientOptions, CredentialUse, CredentialsHandle, Package, ServerContext,
    ServerOptions, Step,
};
use sspi_proto::{Credentials, FileTime, OsRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// The largest frame either side accepts (Negotiate's cbMaxToken is 48256).
const MAX_FRAME: usize = 64 * 1024;
/// How long one client may take, handshake and messages together.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

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

    fn number(&self, name: &str, default: usize) -> Fallible<usize> {
        self.value(name).map_or(Ok(default), |v| v.parse().map_err(|e| format!("{name}: {e}")))
    }
}

async fn read_frame(stream: &mut TcpStream) -> Fallible<Vec<u8>> {
    let len = stream.read_u32().await.map_err(|e| format!("read length: {e}"))? as usize;
    if len > MAX_FRAME {
        return Err(format!("frame of {len} bytes is over the limit"));
    }
    let mut buf = vec![0; len];
    stream.read_exact(&mut buf).await.map_err(|e| format!("read frame: {e}"))?;
    Ok(buf)
}

async fn write_frame(stream: &mut TcpStream, data: &[u8]) -> Fallible<()> {
    let len = u32::try_from(data.len()).map_err(|_| "frame too long".to_string())?;
    let mut out = Vec::with_capacity(4 + data.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
    stream.write_all(&out).await.map_err(|e| format!("write: {e}"))
}

fn text(e: sspi_proto::Error) -> String {
    e.to_string()
}

/// The account the server knows.
struct User {
    name: String,
    key: NtHash,
}

/// One connection, server side: handshake, then echo sealed messages until EOF.
async fn serve(mut stream: TcpStream, user: Arc<User>) -> Fallible<String> {
    let handle = CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Inbound, None)
        .map_err(text)?;
    let mut ctx =
        ServerContext::new(Package::Negotiate, &handle, ServerOptions::default()).map_err(text)?;
    let mut step = ctx.step(&read_frame(&mut stream).await?, FileTime::now(), &mut OsRandom);
    loop {
        match step.map_err(text)? {
            ServerStep::Continue(token) => {
                write_frame(&mut stream, &token).await?;
                let token = read_frame(&mut stream).await?;
                step = ctx.step(&token, FileTime::now(), &mut OsRandom);
            }
            ServerStep::NeedCredentials(id) => {
                let hashes = if id.user.eq_ignore_ascii_case(&user.name) {
                    vec![user.key.clone()]
                } else {
                    vec![]
                };
                step = ctx.provide_credentials(CredentialAnswer::NtHashes(hashes), FileTime::now());
            }
            ServerStep::Done(token) => {
                write_frame(&mut stream, token.as_deref().unwrap_or_default()).await?;
                break;
            }
        }
    }
    let who = ctx.names().map_err(text)?.user.clone();
    loop {
        let sealed = match read_frame(&mut stream).await {
            Ok(frame) => frame,
            // The client hung up: done.
            Err(_) => return Ok(who),
        };
        let message = ctx.unwrap(&sealed, FileTime::now()).map_err(text)?;
        let reply = ctx.wrap(&message, FileTime::now()).map_err(text)?;
        write_frame(&mut stream, &reply).await?;
    }
}

async fn run_server(listener: TcpListener, user: Arc<User>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let user = Arc::clone(&user);
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, user).await {
                        eprintln!("server: {peer}: {e}");
                    }
                });
            }
            Err(e) => eprintln!("server: accept: {e}"),
        }
    }
}

/// One client: authenticate, then `messages` sealed round trips.
async fn client(
    addr: SocketAddr,
    user: String,
    password: String,
    id: usize,
    messages: usize,
) -> Fallible<()> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let creds = Credentials::password(&user, &password);
    let handle =
        CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Outbound, Some(creds))
            .map_err(text)?;
    let mut ctx =
        ClientContext::new(Package::Negotiate, &handle, ClientOptions::default()).map_err(text)?;
    let mut input: Option<Vec<u8>> = None;
    loop {
        match ctx.step(input.as_deref(), FileTime::now(), &mut OsRandom).map_err(text)? {
            Step::Continue(token) => write_frame(&mut stream, &token).await?,
            Step::Done(Some(token)) => {
                write_frame(&mut stream, &token).await?;
                read_frame(&mut stream).await?;
                break;
            }
            Step::Done(None) => break,
        }
        input =
            Some(read_frame(&mut stream).await.map_err(|e| format!("handshake refused ({e})"))?);
    }
    for n in 0..messages {
        let message = format!("client {id} message {n}");
        let sealed = ctx.wrap(message.as_bytes(), FileTime::now()).map_err(text)?;
        write_frame(&mut stream, &sealed).await?;
        let reply = read_frame(&mut stream).await?;
        let echoed = ctx.unwrap(&reply, FileTime::now()).map_err(text)?;
        if echoed != message.as_bytes() {
            return Err(format!("message {n} came back altered"));
        }
    }
    Ok(())
}

/// The load generator: `clients` concurrent clients; returns (succeeded, failed).
async fn load(
    addr: SocketAddr,
    clients: usize,
    messages: usize,
    user: &str,
    password: &str,
) -> (usize, usize) {
    let mut tasks = JoinSet::new();
    for id in 0..clients {
        let (user, password) = (user.to_string(), password.to_string());
        tasks.spawn(async move {
            let run = client(addr, user, password, id, messages);
            match tokio::time::timeout(CLIENT_TIMEOUT, run).await {
                Ok(result) => result,
                Err(_) => Err("timed out".into()),
            }
            .map_err(|e| format!("client {id}: {e}"))
        });
    }
    let (mut ok, mut failed) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => {
                eprintln!("{e}");
                failed += 1;
            }
            Err(e) => {
                eprintln!("client task: {e}");
                failed += 1;
            }
        }
    }
    (ok, failed)
}

async fn run(args: Args) -> Fallible<bool> {
    let user = args.value("--user").unwrap_or_else(|| "alice".into());
    let password = args.value("--password").unwrap_or_else(|| "Passw0rd!".into());
    let port = u16::try_from(args.number("--port", 9000)?).map_err(|_| "--port: too large")?;
    let clients = args.number("--clients", 50)?;
    let messages = args.number("--messages", 10)?;
    let account = Arc::new(User { name: user.clone(), key: NtHash::from_password(&password) });
    let mode = args.0.first().map(String::as_str).unwrap_or_default();
    if mode == "server" {
        let listener =
            TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| format!("bind: {e}"))?;
        println!("listening on {}", listener.local_addr().map_err(|e| e.to_string())?);
        run_server(listener, account).await;
        return Ok(true);
    }
    let addr = if args.flag("--self-test") {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("bind: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        tokio::spawn(run_server(listener, account));
        addr
    } else if mode == "client" {
        SocketAddr::from(([127, 0, 0, 1], port))
    } else {
        return Err(
            "usage: async_server server|client|--self-test [--port N] [--clients N] [--messages N]"
                .into(),
        );
    };
    let started = Instant::now();
    let (ok, failed) = load(addr, clients, messages, &user, &password).await;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{ok}/{clients} clients authenticated and echoed {} sealed messages, {failed} failed, in {elapsed:.2} s ({:.0} handshakes/s)",
        ok * messages,
        ok as f64 / elapsed.max(1e-9)
    );
    let mut good = failed == 0;
    if args.flag("--self-test") {
        let (_, refused) = load(addr, 1, 1, &user, "not the password").await;
        println!("wrong password refused: {}", if refused == 1 { "yes" } else { "NO" });
        good &= refused == 1;
    }
    Ok(good)
}

fn main() -> ExitCode {
    let args = Args(std::env::args().skip(1).collect());
    let threads = match args.number("--threads", 2) {
        Ok(n) => n.max(1),
        Err(e) => {
            eprintln!("async_server: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A runtime built by hand rather than `#[tokio::main]`: no proc-macro crate to compile.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("async_server: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("async_server: {e}");
            ExitCode::FAILURE
        }
    }
}
