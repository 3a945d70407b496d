//! Runs the examples against each other as a user would: `http_client` logging in to
//! `http_server` (feature `http`), and `async_server --self-test`.
//!
//! `cargo test` builds the examples next to the test binaries; when they are missing (e.g.
//! `cargo test --test http_pair`), they are built once into `target/http-pair/`.

// Tests may panic, index and do arithmetic freely: the library-only lints stop here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);

/// The path of example `name`, building the examples once if `cargo test` did not.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/http_pair-<hash> -> target/<profile>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let beside = profile_dir.join("examples").join(&file);
    if beside.exists() {
        return beside;
    }
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let target = profile_dir.parent().unwrap().join("http-pair");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--example", "async_server"])
            .arg("--target-dir")
            .arg(&target);
        if cfg!(feature = "http") {
            cmd.args([
                "--example",
                "http_server",
                "--example",
                "http_client",
                "--features",
                "http",
            ]);
        }
        assert!(cmd.status().unwrap().success(), "building the examples failed");
        target.join("debug").join("examples")
    });
    dir.join(file)
}

/// Waits for `child` at most [`TIMEOUT`], killing it past that.
fn finish(mut child: Child) -> (ExitStatus, String, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("timed out after {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status, out, err)
}

#[cfg(feature = "http")]
mod http {
    use std::io::{BufRead, BufReader};

    use super::*;

    /// `http_server` on a free port, killed on drop.
    struct Server {
        child: Child,
        port: u16,
        log: PathBuf,
    }

    impl Server {
        fn start(extra: &[&str]) -> Self {
            let log = std::env::temp_dir().join(format!(
                "sspi-proto-http-server-{}-{:?}.log",
                std::process::id(),
                std::thread::current().id()
            ));
            let mut child = Command::new(example("http_server"))
                .args(["--port", "0", "--user", "alice", "--password", "Passw0rd!"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap();
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
            let port = line
                .trim()
                .strip_prefix("listening on http://127.0.0.1:")
                .and_then(|rest| rest.trim_end_matches('/').parse().ok())
                .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
            Self { child, port, log }
        }

        /// Runs `http_client` against this server.
        fn client(&self, args: &[&str]) -> (ExitStatus, String) {
            let child = Command::new(example("http_client"))
                .arg("--port")
                .arg(self.port.to_string())
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let (status, out, err) = finish(child);
            eprintln!("client {args:?}: {status}\n{out}{err}");
            eprintln!("server log:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default());
            (status, out)
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_file(&self.log);
        }
    }

    const ALICE: [&str; 4] = ["--user", "CORP\\alice", "--password", "Passw0rd!"];

    #[test]
    fn negotiate_login_is_mutual() {
        let server = Server::start(&[]);
        let (status, out) = server.client(&ALICE);
        assert!(status.success());
        assert!(out.contains("HTTP 200 via Negotiate (Mutual) after 2 legs"), "{out}");
        assert!(out.contains("Hello, CORP\\alice!"), "{out}");
    }

    #[test]
    fn ntlm_login() {
        let server = Server::start(&[]);
        let (status, out) = server.client(&[&ALICE[..], &["--scheme", "ntlm"]].concat());
        assert!(status.success());
        assert!(out.contains("HTTP 200 via NTLM (Unverified)"), "{out}");
        assert!(out.contains("Hello, CORP\\alice!"), "{out}");
    }

    #[test]
    fn several_requests_on_one_agent() {
        let server = Server::start(&[]);
        let (status, out) = server.client(&[&ALICE[..], &["--requests", "3"]].concat());
        assert!(status.success());
        assert_eq!(out.matches("HTTP 200 via Negotiate").count(), 3, "{out}");
        // Every handshake's legs shared a connection: one peer address per handshake.
        let log = std::fs::read_to_string(&server.log).unwrap();
        for line in log.lines().filter(|l| l.contains("authenticated")) {
            let peer = line.split(": ").next().unwrap();
            assert!(log.contains(&format!("{peer}: 401 with the next")), "{log}");
        }
    }

    #[test]
    fn wrong_password_ends_in_401() {
        let server = Server::start(&[]);
        for scheme in ["negotiate", "ntlm"] {
            let args = ["--user", "CORP\\alice", "--password", "wrong", "--scheme", scheme];
            let (status, out) = server.client(&args);
            assert!(!status.success());
            assert!(out.contains("HTTP 401: authentication failed"), "{out}");
        }
        let (status, out) = server.client(&["--user", "mallory", "--password", "Passw0rd!"]);
        assert!(!status.success(), "{out}");
    }
}

#[test]
fn async_server_self_test() {
    let child = Command::new(example("async_server"))
        .args(["--self-test", "--clients", "20", "--messages", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, out, err) = finish(child);
    assert!(status.success(), "{out}{err}");
    assert!(
        out.contains("20/20 clients authenticated and echoed 100 sealed messages, 0 failed"),
        "{out}"
    );
    assert!(out.contains("wrong password refused: yes"), "{out}");
}
