//! Interoperability with real, independent NTLM / SPNEGO implementations (see INTEROP.md).
//!
//! Every implementation sits behind the line protocol of `shared/interop-protocol.md`:
//! ours is `examples/peer.rs`, pyspnego is `interop/pyspnego_peer.py`, gss-ntlmssp (through MIT
//! GSSAPI) is `interop/gssapi_peer.py`. This test spawns a client and a server, relays the
//! handshake tokens between them, and then checks the session: identity, session key, sealing,
//! signing, channel bindings, wrong password, tampering. It prints the whole matrix once (to the
//! process's stderr, so it shows without `--nocapture`) and writes it to
//! `target/interop-matrix.txt`; the details of every failure, with the transcript of tokens, go
//! to `target/interop-failures.txt` and stderr.
//!
//! A peer that is not installed makes its cells SKIP locally and FAIL when `CI=true`
//! (`.ci/install-peers` installs them). Knobs: `INTEROP_PYTHON` (interpreter for pyspnego,
//! default `python3`), `INTEROP_SYSTEM_PYTHON` (for python3-gssapi, default `/usr/bin/python3`),
//! `INTEROP_PEER` (path of our peer binary), `INTEROP_PROTOCOLS` (`ntlm,negotiate` by default),
//! `INTEROP_JOBS` (parallel rows, default 2).

#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// Every scenario (one client process and one server process) must finish within this.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(20);

const USER: &str = "alice";
const DOMAIN: &str = "CORP";
const PASSWORD: &str = "Passw0rd!";
const TARGET: &str = "HTTP/server.example.com";
/// TLS channel bindings: "tls-server-end-point:" followed by a (made-up) SHA-256 hash.
const CB_PREFIX: &str = "tls-server-end-point:";

/// The reason of the session cells after a failed handshake (not repeated in the notes).
const NO_SESSION: &str = "no session (handshake failed)";

const GSS_MECH_LIB: &str = "/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so";

// ---------------------------------------------------------------------------------------------
// Implementations and rows
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Impl {
    Ours,
    Pyspnego,
    Gss,
}

impl Impl {
    fn name(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Pyspnego => "pyspnego",
            Impl::Gss => "gss-ntlmssp",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Proto {
    Ntlm,
    Negotiate,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Ntlm => "ntlm",
            Proto::Negotiate => "negotiate",
        }
    }
}

/// The matrix's columns.
const CELLS: &[&str] = &[
    "handshake",
    "sesskey",
    "seal c>s",
    "seal s>c",
    "sign c>s",
    "sign s>c",
    "flags",
    "tamper",
    "cb-match",
    "cb-diff",
    "cb-absent",
    "bad-pw",
];

/// A cell that is known to fail, with the reason we know of. Strict: if it passes, it fails
/// (so that INTEROP.md and this list get updated).
struct KnownFailure {
    cell: &'static str,
    /// The failure must mention this, or it is a different (real) failure.
    must_mention: &'static str,
    why: &'static str,
}

struct Row {
    /// The independent implementation this row is about ("baseline" for ours × ours).
    peer: &'static str,
    client: Impl,
    server: Impl,
    proto: Proto,
    /// Extra arguments for the client process, and how the row is labelled because of them.
    client_extra: &'static [&'static str],
    variant: &'static str,
    /// Only the handshake cell (the other cells are not applicable).
    handshake_only: bool,
    known: &'static [KnownFailure],
}

fn rows(protocols: &[Proto]) -> Vec<Row> {
    let mut rows = Vec::new();
    for &proto in protocols {
        let row = |peer, client, server| Row {
            peer,
            client,
            server,
            proto,
            client_extra: &[],
            variant: "",
            handshake_only: false,
            known: &[],
        };
        rows.push(row("baseline", Impl::Ours, Impl::Ours));
        rows.push(row("pyspnego", Impl::Ours, Impl::Pyspnego));
        rows.push(row("pyspnego", Impl::Pyspnego, Impl::Ours));
        rows.push(Row {
            known: &[KnownFailure {
                cell: "cb-absent",
                must_mention: "accepted",
                why: "gss-ntlmssp accepts an AUTHENTICATE without MsvAvChannelBindings even when it \
                      has bindings (it has no 'require' policy; INTEROP.md)",
            }],
            ..row("gss-ntlmssp", Impl::Ours, Impl::Gss)
        });
        if proto == Proto::Ntlm {
            // Stock gss-ntlmssp puts no MIC in a raw-NTLM AUTHENTICATE (only when an SPNEGO layer
            // has told it that it can handle one); our server requires the MIC whenever its
            // CHALLENGE carried a timestamp, which it always does. See INTEROP.md.
            rows.push(Row {
                client_extra: &["--gss-request-mic"],
                variant: "+mic",
                ..row("gss-ntlmssp", Impl::Gss, Impl::Ours)
            });
            rows.push(Row {
                variant: "stock",
                handshake_only: true,
                known: &[KnownFailure {
                    cell: "handshake",
                    must_mention: "MIC",
                    why: "gss-ntlmssp sends no MIC in raw NTLM; our server requires one (INTEROP.md)",
                }],
                ..row("gss-ntlmssp", Impl::Gss, Impl::Ours)
            });
        } else {
            rows.push(row("gss-ntlmssp", Impl::Gss, Impl::Ours));
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
    /// A known failure (KnownFailure) that happened as expected.
    XFail(String),
    /// A known failure that did not happen: counts as a failure.
    XPass(String),
    /// Not applicable to this row.
    NotApplicable,
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail(_) => "FAIL",
            Outcome::Skip(_) => "SKIP",
            Outcome::XFail(_) => "XFAIL",
            Outcome::XPass(_) => "XPASS",
            Outcome::NotApplicable => "-",
        }
    }

    fn is_failure(&self) -> bool {
        matches!(self, Outcome::Fail(_) | Outcome::XPass(_))
    }
}

fn outcome(result: Result<(), String>) -> Outcome {
    match result {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

/// The result of one row: an outcome per cell, and transcripts of the scenarios that failed
/// (with the cells each one decided).
struct RowResult {
    cells: BTreeMap<&'static str, Outcome>,
    evidence: Vec<(Vec<&'static str>, String)>,
    seconds: f64,
}

impl RowResult {
    /// Transcripts of the scenarios behind real failures (not behind expected ones).
    fn failure_evidence(&self) -> impl Iterator<Item = &String> {
        self.evidence
            .iter()
            .filter(|(cells, _)| {
                cells.iter().any(|c| self.cells.get(c).is_some_and(Outcome::is_failure))
            })
            .map(|(_, t)| t)
    }
}

/// The cells that the main scenario decides.
const SESSION_CELLS: &[&str] =
    &["handshake", "sesskey", "seal c>s", "seal s>c", "sign c>s", "sign s>c", "flags", "tamper"];

// ---------------------------------------------------------------------------------------------
// Environment: where the peers are
// ---------------------------------------------------------------------------------------------

struct Env {
    root: PathBuf,
    target_dir: PathBuf,
    peer_bin: PathBuf,
    python: String,
    system_python: String,
    users_file: PathBuf,
    /// Why a peer cannot run (None when it can), and its version for the header.
    pyspnego: Result<String, String>,
    gss: Result<String, String>,
}

impl Drop for Env {
    /// The users file lives in a directory of its own (see `setup`); remove it.
    fn drop(&mut self) {
        if let Some(dir) = self.users_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Env {
    fn command(&self, imp: Impl, role: &str) -> Command {
        let mut cmd = match imp {
            Impl::Ours => Command::new(&self.peer_bin),
            Impl::Pyspnego => {
                let mut c = Command::new(&self.python);
                c.arg(self.root.join("interop/pyspnego_peer.py"));
                c
            }
            Impl::Gss => {
                let mut c = Command::new(&self.system_python);
                c.arg(self.root.join("interop/gssapi_peer.py"));
                c
            }
        };
        cmd.arg(role);
        // The drivers set these themselves where they need them; nothing leaks in from outside.
        for var in [
            "NTLM_USER_FILE",
            "LM_COMPAT_LEVEL",
            "NETBIOS_COMPUTER_NAME",
            "NETBIOS_DOMAIN_NAME",
            "GSSNTLMSSP_DEBUG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    }

    fn availability(&self, imp: Impl) -> Result<(), String> {
        match imp {
            Impl::Ours => Ok(()),
            Impl::Pyspnego => self.pyspnego.as_ref().map(|_| ()).map_err(Clone::clone),
            Impl::Gss => self.gss.as_ref().map(|_| ()).map_err(Clone::clone),
        }
    }
}

fn probe(cmd: &mut Command) -> Result<String, String> {
    match cmd.stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr)
            .trim()
            .lines()
            .last()
            .unwrap_or("failed")
            .to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn setup() -> Env {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // The test executable is target/<profile>/deps/interop-<hash>; examples are built into
    // target/<profile>/examples/.
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf();
    let target_dir =
        profile_dir.parent().map(Path::to_path_buf).unwrap_or_else(|| root.join("target"));
    let peer_bin = match std::env::var_os("INTEROP_PEER") {
        Some(p) => PathBuf::from(p),
        None => locate_or_build_peer(&root, &profile_dir, &target_dir),
    };

    let python = std::env::var("INTEROP_PYTHON").unwrap_or_else(|_| "python3".into());
    let system_python =
        std::env::var("INTEROP_SYSTEM_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let pyspnego = probe(
        Command::new(&python)
            .args(["-c", "import spnego, importlib.metadata as m; print(m.version('pyspnego'))"]),
    )
    .map_err(|e| format!("pyspnego not importable by {python}: {e}"));
    let gss = if Path::new(GSS_MECH_LIB).exists() {
        probe(Command::new(&system_python).args(["-c", "import gssapi"]))
            .map_err(|e| format!("python3-gssapi not importable by {system_python}: {e}"))
            .map(|_| {
                probe(Command::new("dpkg-query").args(["-W", "-f=${Version}", "gss-ntlmssp"]))
                    .unwrap_or_else(|_| "?".into())
            })
    } else {
        Err(format!("gss-ntlmssp not installed ({GSS_MECH_LIB} missing)"))
    };

    // One directory per setup() call: the tests of this file run in parallel, and a shared
    // users file could be read by one test's server while another test rewrites or deletes it.
    static SETUPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SETUPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sspi-proto-interop-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let users_file = dir.join("users.txt");
    std::fs::write(&users_file, format!("{DOMAIN}:{USER}:{PASSWORD}\n:carol:Secr3t!\n"))
        .expect("users file");

    Env { root, target_dir, peer_bin, python, system_python, users_file, pyspnego, gss }
}

/// `cargo test` builds the examples, so the peer is normally next to us. When it is not (e.g.
/// `cargo test --test interop`), build it into a separate target directory: the outer cargo
/// may hold the lock on ours.
fn locate_or_build_peer(root: &Path, profile_dir: &Path, target_dir: &Path) -> PathBuf {
    let peer = profile_dir.join("examples").join(format!("peer{}", std::env::consts::EXE_SUFFIX));
    if peer.exists() {
        // The peer is stale if the library was rebuilt after it (`cargo test --test interop`
        // rebuilds the library but not the examples).
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let newest_lib = std::fs::read_dir(profile_dir.join("deps"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with("libsspi_proto-") && name.ends_with(".rlib")
            })
            .filter_map(|e| modified(&e.path()))
            .max();
        if let (Some(peer_time), Some(lib_time)) = (modified(&peer), newest_lib) {
            if peer_time < lib_time {
                say(&format!(
                    "interop: warning: {} is older than the library; run `cargo build --example \
                     peer` (plain `cargo test` rebuilds it)",
                    peer.display()
                ));
            }
        }
        return peer;
    }
    let own_target = target_dir.join("interop-peer");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    say(&format!(
        "interop: {} missing, building it with `cargo build --example peer --all-features`",
        peer.display()
    ));
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--example", "peer", "--all-features", "--target-dir"])
        .arg(&own_target)
        .status()
        .expect("run cargo build --example peer");
    assert!(status.success(), "cargo build --example peer failed");
    own_target.join("debug").join("examples").join(format!("peer{}", std::env::consts::EXE_SUFFIX))
}

/// Writes straight to the process's stderr: libtest captures `eprintln!`, not this.
fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

// ---------------------------------------------------------------------------------------------
// One peer process
// ---------------------------------------------------------------------------------------------

type Transcript = Arc<Mutex<Vec<String>>>;

/// The command line, shell-quoted where needed (the transcript is meant to be replayable).
fn show_command(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| {
            let a = a.to_string_lossy();
            if a.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=:,@".contains(c)) {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Peer {
    label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    transcript: Transcript,
}

impl Peer {
    fn spawn(mut cmd: Command, label: &str, transcript: &Transcript) -> Result<Peer, String> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{label}: cannot start {}: {e}", show_command(&cmd)))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stderr_pipe = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        transcript.lock().unwrap().push(format!("{label}: {}", show_command(&cmd)));
        let stdin = child.stdin.take();
        Ok(Peer {
            label: label.to_string(),
            child,
            stdin,
            lines: rx,
            stderr,
            transcript: Arc::clone(transcript),
        })
    }

    fn note(&self, text: String) {
        self.transcript.lock().unwrap().push(text);
    }

    fn stderr_tail(&self) -> String {
        let text = self.stderr.lock().unwrap().clone();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(6)..].join(" | ")
    }

    fn send(&mut self, line: &str) -> Result<(), String> {
        self.note(format!("  -> {} {line}", self.label));
        let stdin = self.stdin.as_mut().ok_or_else(|| format!("{}: stdin closed", self.label))?;
        stdin.write_all(format!("{line}\n").as_bytes()).and_then(|()| stdin.flush()).map_err(|e| {
            format!("{}: write failed ({e}); stderr: {}", self.label, self.stderr_tail())
        })
    }

    fn recv(&mut self, deadline: Instant) -> Result<String, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.note(format!("  <- {} {line}", self.label));
                Ok(line)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let e = format!("{}: no answer within {SCENARIO_TIMEOUT:?} (killed)", self.label);
                self.note(format!("  !! {e}"));
                Err(e)
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status =
                    self.child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                // Let the stderr reader catch up.
                std::thread::sleep(Duration::from_millis(20));
                let e = format!(
                    "{}: exited ({status}) without answering; stderr: {}",
                    self.label,
                    self.stderr_tail()
                );
                self.note(format!("  !! {e}"));
                Err(e)
            }
        }
    }

    fn ask(&mut self, line: &str, deadline: Instant) -> Result<String, String> {
        if let Err(e) = self.send(line) {
            // A peer that refused at start-up (e.g. an option it does not support) has printed
            // its ERR line and exited before reading anything: report that line.
            let soon = Instant::now() + Duration::from_millis(500);
            return match self.recv(soon.min(deadline)) {
                Ok(reply) if reply.starts_with("ERR") => Ok(reply),
                _ => Err(e),
            };
        }
        self.recv(deadline)
    }

    /// A request whose reply must not be `ERR`.
    fn ask_ok(&mut self, line: &str, deadline: Instant) -> Result<String, String> {
        let reply = self.ask(line, deadline)?;
        if reply.starts_with("ERR") {
            let verb = line.split(' ').next().unwrap_or_default();
            return Err(format!("{} {verb}: {reply}", self.label));
        }
        Ok(reply)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"QUIT\n");
        }
        let until = Instant::now() + Duration::from_secs(2);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(5)),
                Ok(None) => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Handshake relay
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Handshake {
    Done {
        user: String,
        domain: String,
    },
    /// `server_tokens`: how many tokens the server had sent before the refusal. A refusal
    /// about credentials or bindings comes after the CHALLENGE, never at the first token.
    Refused {
        by_server: bool,
        reason: String,
        server_tokens: usize,
    },
    Broken(String),
}

fn err_reason(line: &str) -> Option<String> {
    line.strip_prefix("ERR").map(|r| r.trim().to_string())
}

fn handshake(c: &mut Peer, s: &mut Peer, deadline: Instant) -> Handshake {
    let mut server_tokens = 0;
    let refused =
        |by_server, reason, server_tokens| Handshake::Refused { by_server, reason, server_tokens };
    let mut to_server = match c.recv(deadline) {
        Ok(line) => line,
        Err(e) => return Handshake::Broken(e),
    };
    if let Some(r) = err_reason(&to_server) {
        return refused(false, r, 0);
    }
    if to_server.starts_with("DONE") {
        return Handshake::Broken("client finished before any server token".into());
    }
    let mut client_done = false;
    loop {
        let line = match s.ask(&to_server, deadline) {
            Ok(line) => line,
            Err(e) => return Handshake::Broken(e),
        };
        if let Some(r) = err_reason(&line) {
            return refused(true, r, server_tokens);
        }
        server_tokens += 1;
        if let Some(rest) = line.strip_prefix("DONE ") {
            let parts: Vec<&str> = rest.split(' ').collect();
            if parts.len() < 2 || parts.len() > 3 {
                return Handshake::Broken(format!("malformed server line {line:?}"));
            }
            let undash = |s: &str| {
                if s == "-" { String::new() } else { s.to_string() }
            };
            let (user, domain) = (undash(parts[0]), undash(parts[1]));
            if let Some(token) = parts.get(2) {
                if client_done {
                    return Handshake::Broken(
                        "server sent a final token after the client finished".into(),
                    );
                }
                match c.ask(token, deadline) {
                    Ok(reply) if reply == "DONE" => {}
                    Ok(reply) => match err_reason(&reply) {
                        Some(r) => return refused(false, r, server_tokens),
                        None => {
                            return Handshake::Broken(format!(
                                "client answered {reply:?} to the server's final token; expected DONE"
                            ));
                        }
                    },
                    Err(e) => return Handshake::Broken(e),
                }
            } else if !client_done {
                return Handshake::Broken("server finished but the client did not".into());
            }
            return Handshake::Done { user, domain };
        }
        if client_done {
            return Handshake::Broken("server sent another token after the client finished".into());
        }
        let reply = match c.ask(&line, deadline) {
            Ok(reply) => reply,
            Err(e) => return Handshake::Broken(e),
        };
        if let Some(r) = err_reason(&reply) {
            return refused(false, r, server_tokens);
        }
        if reply == "DONE" {
            return Handshake::Broken(
                "client finished with nothing to send, but the server is not done".into(),
            );
        }
        match reply.strip_prefix("DONE ") {
            Some(token) => {
                client_done = true;
                to_server = token.to_string();
            }
            None => to_server = reply,
        }
    }
}

fn expect_authenticated(hs: &Handshake) -> Result<(), String> {
    match hs {
        Handshake::Done { user, domain } if user == USER && domain.eq_ignore_ascii_case(DOMAIN) => {
            Ok(())
        }
        Handshake::Done { user, domain } => Err(format!(
            "authenticated the wrong identity: {user:?} {domain:?}, expected {USER:?} {DOMAIN:?}"
        )),
        Handshake::Refused { by_server, reason, .. } => Err(format!(
            "refused by the {}: {reason}",
            if *by_server { "server" } else { "client" }
        )),
        Handshake::Broken(e) => Err(e.clone()),
    }
}

fn expect_refused_by_server(hs: &Handshake) -> Result<(), String> {
    match hs {
        Handshake::Refused { by_server: true, server_tokens: 0, reason } => Err(format!(
            "the server refused the first token, before it saw any credentials: {reason}"
        )),
        Handshake::Refused { by_server: true, .. } => Ok(()),
        Handshake::Refused { by_server: false, reason, .. } => {
            Err(format!("the client gave up ({reason}) before the server decided"))
        }
        Handshake::Done { user, domain } => {
            Err(format!("the server accepted it (DONE {user} {domain})"))
        }
        Handshake::Broken(e) => Err(e.clone()),
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

struct Scenario<'a> {
    env: &'a Env,
    row: &'a Row,
    transcript: Transcript,
    deadline: Instant,
}

impl<'a> Scenario<'a> {
    fn new(env: &'a Env, row: &'a Row, name: &str) -> Self {
        let transcript = Arc::new(Mutex::new(vec![format!(
            "== {} {} client={} server={} {}: {name}",
            row.peer,
            row.variant,
            row.client.name(),
            row.server.name(),
            row.proto.name()
        )]));
        Scenario { env, row, transcript, deadline: Instant::now() + SCENARIO_TIMEOUT }
    }

    fn client(&self, password: &str, cb: Option<&str>) -> Result<Peer, String> {
        let mut cmd = self.env.command(self.row.client, "client");
        cmd.args(["--user", USER, "--domain", DOMAIN, "--password", password, "--target", TARGET]);
        cmd.args(["--protocol", self.row.proto.name()]);
        if let Some(cb) = cb {
            cmd.args(["--channel-binding-hex", cb]);
        }
        cmd.args(self.row.client_extra);
        Peer::spawn(cmd, &format!("client({})", self.row.client.name()), &self.transcript)
    }

    fn server(&self, cb: Option<&str>) -> Result<Peer, String> {
        let mut cmd = self.env.command(self.row.server, "server");
        cmd.arg("--users-file").arg(&self.env.users_file);
        cmd.args(["--protocol", self.row.proto.name()]);
        if let Some(cb) = cb {
            cmd.args(["--channel-binding-hex", cb, "--cb-policy", "require"]);
        }
        Peer::spawn(cmd, &format!("server({})", self.row.server.name()), &self.transcript)
    }

    fn transcript(&self) -> String {
        self.transcript.lock().unwrap().join("\n")
    }
}

fn cb_hex(tag: u8) -> String {
    let mut data = CB_PREFIX.as_bytes().to_vec();
    data.extend((0u8..32).map(|i| i.wrapping_mul(37).wrapping_add(tag)));
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn message(n: usize, len: usize) -> Vec<u8> {
    let text = format!("interop message #{n}: ");
    text.bytes().chain((0..len).map(|i| (i * 7 + n) as u8)).collect()
}

fn decode(label: &str, b64: &str) -> Result<Vec<u8>, String> {
    B64.decode(b64).map_err(|e| format!("{label}: bad base64 {b64:?}: {e}"))
}

fn seal_to(from: &mut Peer, to: &mut Peer, msg: &[u8], dl: Instant) -> Result<(), String> {
    let token = from.ask_ok(&format!("SEAL {}", B64.encode(msg)), dl)?;
    let raw = decode(&from.label, &token)?;
    if raw.len() != msg.len() + 16 {
        return Err(format!(
            "{} SEAL: {} bytes, expected 16 + {}",
            from.label,
            raw.len(),
            msg.len()
        ));
    }
    let plain = to.ask_ok(&format!("UNSEAL {token}"), dl)?;
    if decode(&to.label, &plain)? != msg {
        return Err(format!(
            "{} UNSEAL: plaintext differs from what {} sealed",
            to.label, from.label
        ));
    }
    Ok(())
}

fn sign_to(from: &mut Peer, to: &mut Peer, msg: &[u8], dl: Instant) -> Result<(), String> {
    let sig = from.ask_ok(&format!("SIGN {}", B64.encode(msg)), dl)?;
    let raw = decode(&from.label, &sig)?;
    if raw.len() != 16 {
        return Err(format!("{} SIGN: {}-byte signature", from.label, raw.len()));
    }
    let ok = to.ask_ok(&format!("VERIFY {} {sig}", B64.encode(msg)), dl)?;
    if ok != "OK" {
        return Err(format!("{} VERIFY answered {ok:?}", to.label));
    }
    Ok(())
}

/// Seal, flip one bit of the sealed data, and expect the receiver to refuse it.
/// Seals a message and flips one bit of the sealed data (the last byte).
fn seal_tampered(from: &mut Peer, msg: &[u8], dl: Instant) -> Result<String, String> {
    let token = from.ask_ok(&format!("SEAL {}", B64.encode(msg)), dl)?;
    let mut raw = decode(&from.label, &token)?;
    let last = raw.len() - 1;
    raw[last] ^= 0x01;
    Ok(B64.encode(&raw))
}

/// The receiver must refuse a tampered wrap token.
fn refuses(to: &mut Peer, tampered: Result<String, String>, dl: Instant) -> Result<(), String> {
    let reply = to.ask(&format!("UNSEAL {}", tampered?), dl)?;
    if reply.starts_with("ERR") {
        Ok(())
    } else {
        Err(format!("{} accepted a tampered wrap token", to.label))
    }
}

fn both(a: Result<(), String>, b: Result<(), String>) -> Result<(), String> {
    a.and(b)
}

/// The main scenario: handshake, then the session requests in a fixed order (sequence numbers
/// advance on both sides, so later cells also check that the counters stay in step).
fn session(sc: &Scenario<'_>, cells: &mut BTreeMap<&'static str, Outcome>) -> bool {
    let setup = sc.server(None).and_then(|s| sc.client(PASSWORD, None).map(|c| (c, s)));
    let (mut c, mut s) = match setup {
        Ok(pair) => pair,
        Err(e) => {
            cells.insert("handshake", Outcome::Fail(e));
            return false;
        }
    };
    let dl = sc.deadline;
    let hs = handshake(&mut c, &mut s, dl);
    let hs_result = expect_authenticated(&hs);
    let ok = hs_result.is_ok();
    cells.insert("handshake", outcome(hs_result));
    if sc.row.handshake_only {
        return ok;
    }
    if !ok {
        for cell in ["sesskey", "seal c>s", "seal s>c", "sign c>s", "sign s>c", "flags", "tamper"] {
            cells.insert(cell, Outcome::Fail(NO_SESSION.into()));
        }
        return false;
    }

    let keys = (|| {
        let ck = c.ask_ok("SESSIONKEY", dl)?;
        let sk = s.ask_ok("SESSIONKEY", dl)?;
        if ck.len() != 32 || !ck.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("client session key {ck:?} is not 32 hex digits"));
        }
        if ck == sk {
            Ok(())
        } else {
            Err(format!("session keys differ: client {ck}, server {sk}"))
        }
    })();
    cells.insert("sesskey", outcome(keys));

    let seal_cs1 = seal_to(&mut c, &mut s, &message(1, 20), dl);
    let seal_sc1 = seal_to(&mut s, &mut c, &message(2, 20), dl);
    let sign_cs1 = sign_to(&mut c, &mut s, &message(3, 20), dl);
    let sign_sc1 = sign_to(&mut s, &mut c, &message(4, 20), dl);
    let seal_cs2 = seal_to(&mut c, &mut s, &message(5, 1000), dl);
    let seal_sc2 = seal_to(&mut s, &mut c, &message(6, 0), dl);
    let sign_cs2 = sign_to(&mut c, &mut s, &message(7, 3000), dl);
    let sign_sc2 = sign_to(&mut s, &mut c, &message(8, 1), dl);
    cells.insert("seal c>s", outcome(both(seal_cs1, seal_cs2)));
    cells.insert("seal s>c", outcome(both(seal_sc1, seal_sc2)));
    cells.insert("sign c>s", outcome(both(sign_cs1, sign_cs2)));
    cells.insert("sign s>c", outcome(both(sign_sc1, sign_sc2)));

    let flags = (|| {
        let cf = c.ask("FLAGS", dl)?;
        let sf = s.ask("FLAGS", dl)?;
        for (label, f) in [(&c.label, &cf), (&s.label, &sf)] {
            if f.starts_with("ERR unsupported") {
                return Ok(Some(format!("{label}: {f}")));
            }
            if f.len() != 8 || !f.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{label} FLAGS: {f:?}"));
            }
        }
        if cf == sf {
            Ok(None)
        } else {
            Err(format!("negotiated flags differ: client {cf}, server {sf}"))
        }
    })();
    cells.insert(
        "flags",
        match flags {
            Ok(None) => Outcome::Pass,
            Ok(Some(why)) => Outcome::Skip(why),
            Err(e) => Outcome::Fail(e),
        },
    );

    // Both tampered tokens are made first: after refusing one, a peer's session is dead.
    let to_server = seal_tampered(&mut c, &message(9, 40), dl);
    let to_client = seal_tampered(&mut s, &message(10, 40), dl);
    let tamper_cs = refuses(&mut s, to_server, dl);
    let tamper_sc = refuses(&mut c, to_client, dl);
    cells.insert("tamper", outcome(both(tamper_cs, tamper_sc)));
    true
}

/// A handshake with the given client password / bindings and server bindings.
fn handshake_with(
    sc: &Scenario<'_>,
    password: &str,
    client_cb: Option<&str>,
    server_cb: Option<&str>,
) -> Result<Handshake, String> {
    let mut s = sc.server(server_cb)?;
    let mut c = sc.client(password, client_cb)?;
    Ok(handshake(&mut c, &mut s, sc.deadline))
}

fn run_row(env: &Env, row: &Row) -> RowResult {
    let started = Instant::now();
    let mut cells: BTreeMap<&'static str, Outcome> = BTreeMap::new();
    let mut evidence = Vec::new();

    let unavailable = [row.client, row.server].iter().find_map(|imp| env.availability(*imp).err());
    if let Some(why) = unavailable {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        for cell in CELLS {
            let applicable = !row.handshake_only || *cell == "handshake";
            let o = if !applicable {
                Outcome::NotApplicable
            } else if ci {
                Outcome::Fail(format!(
                    "{why} (CI=true: peers must be installed by .ci/install-peers)"
                ))
            } else {
                Outcome::Skip(why.clone())
            };
            cells.insert(cell, o);
        }
        return RowResult { cells, evidence, seconds: started.elapsed().as_secs_f64() };
    }

    let record =
        |sc: &Scenario<'_>, failed: bool, cells: &[&'static str], evidence: &mut Vec<_>| {
            if failed {
                evidence.push((cells.to_vec(), sc.transcript()));
            }
        };

    let sc = Scenario::new(env, row, "session");
    session(&sc, &mut cells);
    let failed = cells.values().any(Outcome::is_failure) || known_failure_hit(row, &cells);
    record(&sc, failed, SESSION_CELLS, &mut evidence);

    if row.handshake_only {
        for cell in CELLS {
            cells.entry(cell).or_insert(Outcome::NotApplicable);
        }
    } else {
        let x = cb_hex(1);
        let y = cb_hex(2);
        // (cell, client password, client bindings, server bindings, should authenticate)
        type Case<'a> = (&'static str, &'a str, Option<&'a str>, Option<&'a str>, bool);
        let cases: [Case<'_>; 4] = [
            ("cb-match", PASSWORD, Some(&x), Some(&x), true),
            ("cb-diff", PASSWORD, Some(&x), Some(&y), false),
            ("cb-absent", PASSWORD, None, Some(&x), false),
            ("bad-pw", "not-the-password", None, None, false),
        ];
        for (cell, password, client_cb, server_cb, should_succeed) in cases {
            let sc = Scenario::new(env, row, cell);
            let result = handshake_with(&sc, password, client_cb, server_cb).and_then(|hs| {
                if should_succeed {
                    expect_authenticated(&hs)
                } else {
                    expect_refused_by_server(&hs)
                }
            });
            record(&sc, result.is_err(), &[cell], &mut evidence);
            cells.insert(cell, outcome(result));
        }
    }

    for known in row.known {
        let o = cells.get(known.cell).cloned().unwrap_or(Outcome::NotApplicable);
        let replaced = match o {
            Outcome::Fail(reason) if reason.contains(known.must_mention) => {
                Outcome::XFail(format!("{} [{reason}]", known.why))
            }
            Outcome::Pass => Outcome::XPass(format!(
                "expected to fail ({}) but passed: update `known` in tests/interop.rs and INTEROP.md",
                known.why
            )),
            other => other,
        };
        cells.insert(known.cell, replaced);
    }
    RowResult { cells, evidence, seconds: started.elapsed().as_secs_f64() }
}

fn known_failure_hit(row: &Row, cells: &BTreeMap<&'static str, Outcome>) -> bool {
    row.known.iter().any(|k| matches!(cells.get(k.cell), Some(Outcome::Fail(_))))
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

fn row_label(row: &Row) -> [String; 4] {
    let peer = if row.variant.is_empty() {
        row.peer.to_string()
    } else {
        format!("{} ({})", row.peer, row.variant)
    };
    [peer, row.client.name().into(), row.server.name().into(), row.proto.name().into()]
}

fn render(env: &Env, rows: &[Row], results: &[RowResult], total: Duration) -> (String, String) {
    let head = ["peer", "client", "server", "protocol"];
    let mut widths: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, l) in widths.iter_mut().zip(row_label(row)) {
            *w = (*w).max(l.len());
        }
    }
    let cell_w: Vec<usize> = CELLS.iter().map(|c| c.len().max(5)).collect();

    let mut table = String::new();
    let version = |r: &Result<String, String>| r.clone().unwrap_or_else(|_| "not available".into());
    let _ = writeln!(
        table,
        "interop matrix: pyspnego {} (pure-Python NTLM), gss-ntlmssp {} (MIT GSSAPI), ours {}",
        version(&env.pyspnego),
        version(&env.gss),
        env!("CARGO_PKG_VERSION")
    );
    let mut line = String::new();
    for (h, w) in head.iter().zip(&widths) {
        let _ = write!(line, "{h:<w$}  ");
    }
    line.push_str("| ");
    for (c, w) in CELLS.iter().zip(&cell_w) {
        let _ = write!(line, "{c:<w$} ");
    }
    let _ = writeln!(table, "{}", line.trim_end());
    let _ = writeln!(table, "{}", "-".repeat(line.trim_end().len()));
    for (row, result) in rows.iter().zip(results) {
        let mut line = String::new();
        for (l, w) in row_label(row).iter().zip(&widths) {
            let _ = write!(line, "{l:<w$}  ");
        }
        line.push_str("| ");
        for (c, w) in CELLS.iter().zip(&cell_w) {
            let word = result.cells.get(c).map_or("?", Outcome::word);
            let _ = write!(line, "{word:<w$} ");
        }
        let _ = writeln!(table, "{}", line.trim_end());
    }
    let count = |f: fn(&Outcome) -> bool| {
        results.iter().flat_map(|r| r.cells.values()).filter(|o| f(o)).count()
    };
    let _ = writeln!(
        table,
        "cells: {} PASS, {} FAIL, {} SKIP, {} XFAIL (known), {} XPASS; {:.1} s",
        count(|o| matches!(o, Outcome::Pass)),
        count(|o| matches!(o, Outcome::Fail(_))),
        count(|o| matches!(o, Outcome::Skip(_))),
        count(|o| matches!(o, Outcome::XFail(_))),
        count(|o| matches!(o, Outcome::XPass(_))),
        total.as_secs_f64()
    );
    let _ = writeln!(
        table,
        "c>s: the client sends, the server receives; s>c the reverse. cb-diff / cb-absent / bad-pw \
         pass when the server refuses."
    );

    // Reasons for everything that is not PASS, and the transcripts of failed scenarios.
    let mut notes = String::new();
    let mut details = String::new();
    for (row, result) in rows.iter().zip(results) {
        let label = row_label(row).join(" ");
        // One line per (outcome, reason), naming the cells it covers.
        let mut groups: Vec<(&'static str, &String, Vec<&str>)> = Vec::new();
        for c in CELLS {
            let (word, why) = match result.cells.get(c) {
                Some(Outcome::Fail(why)) if why == NO_SESSION => continue,
                Some(
                    o @ (Outcome::Fail(why)
                    | Outcome::XPass(why)
                    | Outcome::Skip(why)
                    | Outcome::XFail(why)),
                ) => (o.word(), why),
                _ => continue,
            };
            match groups.iter_mut().find(|(w, y, _)| *w == word && *y == why) {
                Some((_, _, cells)) => cells.push(c),
                None => groups.push((word, why, vec![c])),
            }
        }
        for (word, why, cells) in groups {
            let _ = writeln!(notes, "  {label} / {}: {word}: {why}", cells.join(", "));
        }
        for (_, e) in &result.evidence {
            let _ = writeln!(details, "{e}\n");
        }
    }
    if !notes.is_empty() {
        let _ = write!(
            table,
            "\nnot PASS (the session cells after a failed handshake fail with it and are not listed):\n{notes}"
        );
    }
    let _ = writeln!(
        table,
        "\nrow times: {}",
        rows.iter()
            .zip(results)
            .map(|(r, res)| format!("{}: {:.1}s", row_label(r).join(" "), res.seconds))
            .collect::<Vec<_>>()
            .join(", ")
    );
    (table, details)
}

#[test]
fn interop_matrix() {
    let started = Instant::now();
    let env = setup();
    let protocols: Vec<Proto> = std::env::var("INTEROP_PROTOCOLS")
        .unwrap_or_else(|_| "ntlm,negotiate".into())
        .split(',')
        .map(|p| match p.trim() {
            "ntlm" => Proto::Ntlm,
            "negotiate" => Proto::Negotiate,
            other => panic!("INTEROP_PROTOCOLS: unknown protocol {other}"),
        })
        .collect();
    let rows = rows(&protocols);
    let jobs: usize =
        std::env::var("INTEROP_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(2).max(1);

    let slots: Vec<Mutex<Option<RowResult>>> = rows.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(row) = rows.get(i) else { break };
                    let result = run_row(&env, row);
                    *slots[i].lock().unwrap() = Some(result);
                }
            });
        }
    });
    let results: Vec<RowResult> =
        slots.into_iter().map(|m| m.into_inner().unwrap().expect("row ran")).collect();

    let (table, details) = render(&env, &rows, &results, started.elapsed());
    const SHOWN: usize = 6;
    say(&format!("\n{table}"));
    let _ = std::fs::create_dir_all(&env.target_dir);
    let matrix_path = env.target_dir.join("interop-matrix.txt");
    let details_path = env.target_dir.join("interop-failures.txt");
    let _ = std::fs::write(&matrix_path, &table);
    let _ = std::fs::write(&details_path, &details);
    let failed: Vec<&String> = results.iter().flat_map(RowResult::failure_evidence).collect();
    if !failed.is_empty() {
        let shown: Vec<&&String> = failed.iter().take(SHOWN).collect();
        say(&format!(
            "transcripts of {} of the {} failed scenarios (these and those of the expected failures \
             are in {}):\n",
            shown.len(),
            failed.len(),
            details_path.display()
        ));
        for t in shown {
            say(&format!("{t}\n"));
        }
    }
    say(&format!("interop matrix written to {}", matrix_path.display()));

    let failures: Vec<String> = rows
        .iter()
        .zip(&results)
        .flat_map(|(row, r)| {
            r.cells
                .iter()
                .filter(|(_, o)| o.is_failure())
                .map(move |(c, _)| format!("{} / {c}", row_label(row).join(" ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} interop cells failed (see the matrix above): {}{}",
        failures.len(),
        failures.iter().take(12).cloned().collect::<Vec<_>>().join("; "),
        if failures.len() > 12 { "; ..." } else { "" }
    );
}

/// Issue contract for `examples/peer`: two of our peers complete a handshake over pipes, and a
/// wrong password ends in `ERR` on the server, which then exits with status 1.
#[test]
fn our_peers_over_pipes_and_wrong_password_exit_status() {
    let env = setup();
    // (password, client protocol, server protocol): `auto` accepts raw NTLM and SPNEGO.
    for (password, protocol, server_protocol) in [
        (PASSWORD, "ntlm", "ntlm"),
        (PASSWORD, "negotiate", "negotiate"),
        (PASSWORD, "ntlm", "auto"),
        (PASSWORD, "negotiate", "auto"),
        ("wrong", "ntlm", "ntlm"),
        ("wrong", "negotiate", "negotiate"),
    ] {
        let transcript: Transcript = Arc::new(Mutex::new(Vec::new()));
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut server_cmd = Command::new(&env.peer_bin);
        server_cmd
            .args(["server", "--protocol", server_protocol, "--users-file"])
            .arg(&env.users_file);
        let mut client_cmd = Command::new(&env.peer_bin);
        client_cmd.args([
            "client",
            "--protocol",
            protocol,
            "--user",
            USER,
            "--domain",
            DOMAIN,
            "--password",
            password,
        ]);
        let mut server = Peer::spawn(server_cmd, "server", &transcript).unwrap();
        let mut client = Peer::spawn(client_cmd, "client", &transcript).unwrap();
        let hs = handshake(&mut client, &mut server, deadline);
        if password == PASSWORD {
            expect_authenticated(&hs).unwrap();
            let token = client.ask_ok(&format!("SEAL {}", B64.encode(b"over pipes")), deadline);
            let plain = server.ask_ok(&format!("UNSEAL {}", token.unwrap()), deadline).unwrap();
            assert_eq!(B64.decode(plain).unwrap(), b"over pipes");
            continue;
        }
        expect_refused_by_server(&hs).unwrap();
        let status = loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "server did not exit after ERR");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(1), "{protocol}: server exit status after ERR");
    }
}
