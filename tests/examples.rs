//! The examples newcomers run first: `examples/demo.rs` must exit 0 and show the handshake,
//! and `examples/inspect.rs` must decode, check and unseal the MS-NLMP 4.2.4 messages and
//! a captured Windows exchange (`shared/vectors/ms-nlmp.md`), as text and as valid JSON.
//!
//! The binaries are the ones `cargo test` builds into `target/<profile>/examples/`; when they
//! are missing or older than their source (e.g. under `cargo test --test examples`), they are
//! built once into `target/examples-test/`, as `tests/interop.rs` does for the peer.

#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sspi_proto::ntlm::crypto::NtHash;
use sspi_proto::ntlm::server::{CredentialAnswer, ServerStep};
use sspi_proto::sspi::{
    ClientContext, ClientOptions, CredentialUse, CredentialsHandle, Package, ServerContext,
    ServerOptions, Step,
};
use sspi_proto::{Credentials, FileTime, OsRandom};

// ---------------------------------------------------------------------------------------------
// MS-NLMP 4.2.4 (NTLMv2) and the captured Windows exchange, from shared/vectors/ms-nlmp.md
// ---------------------------------------------------------------------------------------------

const SPEC_CHALLENGE: &str = "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000";
const SPEC_AUTHENTICATE: &str = "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e";
/// MS-NLMP 4.2.4.4: the signature followed by the sealed "Plaintext" (UTF-16LE), SeqNum 0.
const SPEC_WRAP: &str = "010000007fb38ec5c55d49760000000054e50165bf1936dc996020c1811b0f06fb5f";

const WINDOWS_CHALLENGE: &str = concat!(
    "4e544c4d53535000020000001000100038000000058289a2a2c5e8ca3084aa720000000000000000b600b60048000000",
    "0601b01d0000000f57005300320030003000380052003200020010005700530032003000300038005200320001001600",
    "440043002d005700530032003000300038005200320004001c00770073003200300030003800720032002e006c006f00",
    "630061006c0003003400440043002d00770073003200300030003800720032002e007700730032003000300038007200",
    "32002e006c006f00630061006c0005001c00770073003200300030003800720032002e006c006f00630061006c000700",
    "08007be73fc30bdecd0100000000",
);
const WINDOWS_AUTHENTICATE: &str = concat!(
    "4e544c4d535350000300000018001800940000007c017c01ac00000010001000580000001a001a006800000012001200",
    "820000000000000028020000058288a20601b01d0000000ff054a542b090b66c1fea1a2cc82e930b5700530032003000",
    "3000380052003200410064006d0069006e006900730074007200610074006f007200570049004e0037002d0032002d00",
    "500043000000000000000000000000000000000000000000000000005a6a21ae1a44c044693eee59fc5d81e001010000",
    "000000007be73fc30bdecd0127fc118082c2fbdd00000000020010005700530032003000300038005200320001001600",
    "440043002d005700530032003000300038005200320004001c00770073003200300030003800720032002e006c006f00",
    "630061006c0003003400440043002d00770073003200300030003800720032002e007700730032003000300038007200",
    "32002e006c006f00630061006c0005001c00770073003200300030003800720032002e006c006f00630061006c000700",
    "08007be73fc30bdecd01060004000200000008003000300000000000000001000000002000004d6b0d27541022f5ffa6",
    "73da2bfcfdf1942f257be11a49c954197aca8aaf2eaf0a0010006586e99d81c2fc984e47172fd4dd031009003e004800",
    "5400540050002f00640063002d00770073003200300030003800720032002e0077007300320030003000380072003200",
    "2e006c006f00630061006c00000000000000000000000000",
);

// ---------------------------------------------------------------------------------------------
// Running the examples
// ---------------------------------------------------------------------------------------------

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn b64_of_hex(s: &str) -> String {
    B64.encode(hex(s))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The built example `name`, fresh.
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // The test executable is target/<profile>/deps/examples-<hash>.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let next_to_us = profile_dir.join("examples").join(&file);
    let fresh = ["demo", "inspect"].iter().all(|n| {
        let bin = profile_dir.join("examples").join(format!("{n}{}", std::env::consts::EXE_SUFFIX));
        is_fresh(&bin, &root.join("examples").join(format!("{n}.rs")), &profile_dir)
    });
    if fresh {
        return next_to_us;
    }
    let own = BUILT.get_or_init(|| {
        let target = profile_dir.parent().unwrap_or(&profile_dir).join("examples-test");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        eprintln!("examples: building demo and inspect into {}", target.display());
        let status = Command::new(cargo)
            .current_dir(&root)
            .args(["build", "--example", "demo", "--example", "inspect", "--all-features"])
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("run cargo build --example demo --example inspect");
        status.success().then(|| target.join("debug").join("examples"))
    });
    own.as_ref().expect("cargo build --example demo --example inspect failed").join(file)
}

/// Whether `bin` exists and is newer than its source and the library it links.
fn is_fresh(bin: &Path, source: &Path, profile_dir: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(bin) else { return false };
    let newest_lib = std::fs::read_dir(profile_dir.join("deps"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("libsspi_proto-") && name.ends_with(".rlib")
        })
        .filter_map(|e| modified(&e.path()))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    modified(source).is_some_and(|src| src <= built) && newest_lib <= built
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn has(&self, line: &str) -> bool {
        self.stdout.lines().any(|l| l.trim() == line)
    }

    #[track_caller]
    fn assert_lines(&self, lines: &[&str]) {
        for line in lines {
            assert!(
                self.has(line),
                "no line {line:?} in:\n{}\nstderr: {}",
                self.stdout,
                self.stderr
            );
        }
    }
}

fn run(name: &str, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(example(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {name}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn inspect(args: &[&str]) -> Run {
    run("inspect", args, b"")
}

// ---------------------------------------------------------------------------------------------
// demo
// ---------------------------------------------------------------------------------------------

#[test]
fn demo_authenticates_and_echoes_sealed_messages() {
    let out = run("demo", &[], b"");
    assert_eq!(out.code, 0, "demo failed:\n{}\n{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let position = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in the demo's output:\n{}", out.stdout))
    };
    // The handshake, in protocol order, each token named and sized.
    let steps = [
        "[client] InitializeSecurityContext: SEC_I_CONTINUE_NEEDED, sends NegTokenInit (NTLM NEGOTIATE), ",
        "[server] AcceptSecurityContext: SEC_I_CONTINUE_NEEDED, sends NegTokenResp accept-incomplete (NTLM CHALLENGE), ",
        "[client] InitializeSecurityContext: SEC_I_CONTINUE_NEEDED, sends NegTokenResp (NTLM AUTHENTICATE + mechListMIC), ",
        "[server] AcceptSecurityContext: needs the key of CORP\\alice",
        "[server] AcceptSecurityContext: SEC_E_OK, authenticated CORP\\alice from DEMO-PC",
        "[server] sends NegTokenResp accept-completed (mechListMIC), ",
        "[client] InitializeSecurityContext: SEC_E_OK, nothing to send",
        "[client] negotiated NTLM flags 0x",
        "[client] unwraps the 29-byte echo: \"hello, server\", intact",
        "[demo] OK",
    ];
    let at: Vec<usize> = steps.iter().map(|s| position(s)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "steps out of order:\n{}", out.stdout);
    assert!(lines[position("negotiated NTLM flags")].contains("SEAL"));
    assert!(lines[position("NegTokenInit (NTLM NEGOTIATE)")].ends_with(" bytes"));
    let echoes =
        lines.iter().filter(|l| l.starts_with("[client] unwraps") && l.ends_with("intact"));
    assert_eq!(echoes.count(), 3, "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// inspect: decoding
// ---------------------------------------------------------------------------------------------

#[test]
fn inspect_decodes_the_spec_challenge() {
    let out = inspect(&[&b64_of_hex(SPEC_CHALLENGE)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.assert_lines(&[
        "== token 1: base64, 104 bytes ==",
        "type: NTLM CHALLENGE_MESSAGE",
        "NegotiateFlags: 0xe28a8233 (UNICODE | OEM | SIGN | SEAL | NTLM | ALWAYS_SIGN | \
         TARGET_TYPE_SERVER | EXTENDED_SESSIONSECURITY | TARGET_INFO | VERSION | NEGOTIATE_128 | \
         KEY_EXCH | NEGOTIATE_56)",
        "TargetName: Server",
        "ServerChallenge: 0123456789abcdef",
        "MsvAvNbDomainName: Domain",
        "MsvAvNbComputerName: Server",
        "Version: 6.0.6000 (NTLM rev 15)",
    ]);
}

#[test]
fn inspect_decodes_the_spec_authenticate() {
    let out = inspect(&[SPEC_AUTHENTICATE]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.assert_lines(&[
        "== token 1: hex, 232 bytes ==",
        "type: NTLM AUTHENTICATE_MESSAGE",
        "DomainName: Domain",
        "UserName: User",
        "Workstation: COMPUTER",
        "LmChallengeResponse: 86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
        "type: NTLMv2",
        "NTProofStr: 68cd0ab851e51c96aabc927bebef6a1c",
        "TimeStamp: 1601-01-01T00:00:00Z (FILETIME 0x0000000000000000)",
        "ChallengeFromClient: aaaaaaaaaaaaaaaa",
        "EncryptedRandomSessionKey: c5dad2544fc9799094ce1ce90bc9d03e",
        "Version: 5.1.2600 (NTLM rev 15)",
        "MIC: (absent)",
    ]);
}

#[test]
fn inspect_decodes_the_windows_authenticate_from_an_http_header_on_stdin() {
    let header = format!("Authorization: NTLM {}\r\n", b64_of_hex(WINDOWS_AUTHENTICATE));
    let out = run("inspect", &["-"], header.as_bytes());
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.assert_lines(&[
        "== token 1: Authorization header, scheme NTLM, base64, 552 bytes ==",
        "UserName: Administrator",
        "DomainName: WS2008R2",
        "Workstation: WIN7-2-PC",
        "LmChallengeResponse: 24 zero bytes",
        "TimeStamp: 2012-12-19T17:10:36.5364091Z (FILETIME 0x01cdde0bc33fe77b)",
        "MsvAvFlags: 0x00000002 (MIC_PRESENT)",
        "MsvAvChannelBindings: 6586e99d81c2fc984e47172fd4dd0310",
        "MsvAvTargetName: HTTP/dc-ws2008r2.ws2008r2.local",
        "Size: 48",
        "Version: 6.1.7600 (NTLM rev 15)",
        "MIC: f054a542b090b66c1fea1a2cc82e930b",
    ]);

    // Raw bytes on stdin, and a WWW-Authenticate line.
    let raw = run("inspect", &["-"], &hex(WINDOWS_AUTHENTICATE));
    raw.assert_lines(&["== token 1: raw bytes, 552 bytes ==", "UserName: Administrator"]);
    let challenge = format!("WWW-Authenticate: NTLM {}", b64_of_hex(WINDOWS_CHALLENGE));
    let out = inspect(&[&challenge]);
    out.assert_lines(&[
        "== token 1: WWW-Authenticate header, scheme NTLM, base64, 254 bytes ==",
        "type: NTLM CHALLENGE_MESSAGE",
        "ServerChallenge: a2c5e8ca3084aa72",
        "MsvAvDnsComputerName: DC-ws2008r2.ws2008r2.local",
        "MsvAvTimestamp: 2012-12-19T17:10:36.5364091Z (FILETIME 0x01cdde0bc33fe77b)",
    ]);
}

#[test]
fn inspect_names_other_gss_mechanisms_and_rejects_garbage() {
    // A Kerberos initial token: [APPLICATION 0] { 1.2.840.113554.1.2.2, ... }.
    let krb = "600f06092a864886f71201020201000000";
    let out = inspect(&[&format!("Negotiate {}", b64_of_hex(krb))]);
    out.assert_lines(&[
        "type: GSS-API InitialContextToken",
        "thisMech: 1.2.840.113554.1.2.2 (Kerberos 5)",
    ]);

    let out = inspect(&["deadbeef"]);
    assert_eq!(out.code, 1);
    out.assert_lines(&["type: unknown"]);
    let truncated = &SPEC_CHALLENGE[..100];
    let out = inspect(&[truncated]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("error: InvalidToken: CHALLENGE"), "{}", out.stdout);

    assert_eq!(inspect(&[]).code, 2);
    assert_eq!(inspect(&["--bogus", "x"]).code, 2);
    assert_eq!(inspect(&["not base64 at all!"]).code, 2);
}

// ---------------------------------------------------------------------------------------------
// inspect: checking an AUTHENTICATE, deriving keys, unsealing
// ---------------------------------------------------------------------------------------------

#[test]
fn inspect_checks_the_spec_authenticate_and_unseals_the_spec_message() {
    let out = inspect(&[
        SPEC_AUTHENTICATE,
        "--challenge",
        SPEC_CHALLENGE,
        "--password",
        "Password",
        "--unseal",
        &b64_of_hex(SPEC_WRAP),
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    out.assert_lines(&[
        "== check ==",
        "NTOWFv1: a4f49c406510bdcab6824ee7c30fd852",
        "ResponseKeyNT: 0c868a403bfd7a93a3001ef22ef02e3f",
        "NTProofStr: OK",
        "LmChallengeResponse: LMv2 OK",
        "SessionBaseKey: 8de40ccadbc14a82f15cb0ad0de95ca3",
        // KEY_EXCH: the EncryptedRandomSessionKey decrypts to RandomSessionKey.
        "ExportedSessionKey: 55555555555555555555555555555555",
        "MIC: absent",
        "SignKey: 4788dc861b4782f35d43fd98fe1a2d39",
        "SealKey: 59f600973cc4960a25480a7c196e4c58",
        "SignKey: d04d6f10741041d1d246d64188d7a8ad",
        "SealKey: 9355f3a957c1583d25c4c2f11e40390e",
        "== unseal ==",
        "direction: client-to-server",
        "SeqNum: 0",
        "signature: OK",
        "plaintext: 50006c00610069006e007400650078007400",
        "text: Plaintext (UTF-16LE)",
    ]);

    // The wrong direction, or the wrong password, is reported and fails the run.
    let out = inspect(&[
        SPEC_AUTHENTICATE,
        SPEC_CHALLENGE,
        "--password",
        "Password",
        "--direction",
        "s2c",
        "--unseal",
        SPEC_WRAP,
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("signature: MISMATCH"), "{}", out.stdout);
    let out = inspect(&[SPEC_AUTHENTICATE, SPEC_CHALLENGE, "--password", "password"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("NTProofStr: MISMATCH"), "{}", out.stdout);
}

#[test]
fn inspect_verifies_the_windows_capture() {
    for secret in [["--password", "P@ssw0rd"], ["--nt-hash", "e19ccf75ee54e06b06a5907af13cef42"]] {
        let mut args = vec![WINDOWS_CHALLENGE, WINDOWS_AUTHENTICATE];
        args.extend(secret);
        let out = inspect(&args);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        out.assert_lines(&[
            "UserName: Administrator",
            "DomainName: WS2008R2",
            "ServerChallenge: a2c5e8ca3084aa72",
            "NTOWFv1: e19ccf75ee54e06b06a5907af13cef42",
            "blob timestamp matches the CHALLENGE: yes",
            "NTProofStr: OK",
            "MIC: present, not checked (give the NEGOTIATE too)",
        ]);
    }
}

#[test]
fn inspect_json_is_valid_and_carries_the_results() {
    let out = inspect(&[
        "--json",
        SPEC_CHALLENGE,
        SPEC_AUTHENTICATE,
        "--password",
        "Password",
        "--unseal",
        SPEC_WRAP,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = json::parse(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", out.stdout));
    let tokens = doc.get("tokens").as_list();
    assert_eq!(tokens.len(), 2);
    let challenge = tokens[0].get("token");
    assert_eq!(challenge.get("type").as_str(), "NTLM CHALLENGE_MESSAGE");
    assert_eq!(challenge.get("NegotiateFlags").get("value").as_num(), 0xe28a8233);
    assert_eq!(challenge.get("TargetInfo").get("MsvAvNbDomainName").as_str(), "Domain");
    let authenticate = tokens[1].get("token");
    assert_eq!(authenticate.get("UserName").as_str(), "User");
    assert_eq!(authenticate.get("MIC"), &json::Value::Null);
    let time = authenticate.get("NtChallengeResponse").get("TimeStamp");
    assert_eq!(time.get("utc").as_str(), "1601-01-01T00:00:00Z");
    let check = doc.get("check");
    assert_eq!(check.get("NTProofStr").as_str(), "OK");
    assert_eq!(check.get("ExportedSessionKey").as_str(), "55555555555555555555555555555555");
    let message = &doc.get("unseal").get("messages").as_list()[0];
    assert_eq!(message.get("text").as_str(), "Plaintext (UTF-16LE)");
    assert_eq!(doc.get("ok"), &json::Value::Bool(true));

    // Names from the wire with quotes and control characters stay valid JSON.
    let out = inspect(&["--json", WINDOWS_CHALLENGE, WINDOWS_AUTHENTICATE]);
    json::parse(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", out.stdout));
}

/// A Negotiate handshake through the sspi layer, then inspect given its three tokens: the
/// MIC verifies, the exported key is the one both sides hold, and captured messages of
/// both directions unseal (SPNEGO resets RC4 after the mechListMIC, so the first
/// application message has SeqNum 1 and a fresh RC4 state).
#[test]
fn inspect_checks_a_negotiate_handshake_with_its_mic_and_unseals_both_directions() {
    let now = FileTime::now();
    let mut rng = OsRandom;
    let creds = Credentials::password_in_domain("CORP", "alice", "Passw0rd!");
    let client_handle =
        CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Outbound, Some(creds))
            .unwrap();
    let server_handle =
        CredentialsHandle::acquire(Package::Negotiate, CredentialUse::Inbound, None).unwrap();
    let mut client =
        ClientContext::new(Package::Negotiate, &client_handle, ClientOptions::default()).unwrap();
    let mut server =
        ServerContext::new(Package::Negotiate, &server_handle, ServerOptions::default()).unwrap();

    let mut tokens = Vec::new();
    let Step::Continue(init) = client.step(None, now, &mut rng).unwrap() else { panic!() };
    tokens.push(init.clone());
    let ServerStep::Continue(challenge) = server.step(&init, now, &mut rng).unwrap() else {
        panic!()
    };
    tokens.push(challenge.clone());
    let Step::Continue(auth) = client.step(Some(&challenge), now, &mut rng).unwrap() else {
        panic!()
    };
    tokens.push(auth.clone());
    let ServerStep::NeedCredentials(_) = server.step(&auth, now, &mut rng).unwrap() else {
        panic!()
    };
    let answer = CredentialAnswer::NtHashes(vec![NtHash::from_password("Passw0rd!")]);
    let ServerStep::Done(Some(last)) = server.provide_credentials(answer, now).unwrap() else {
        panic!()
    };
    assert_eq!(client.step(Some(&last), now, &mut rng).unwrap(), Step::Done(None));

    let c2s = [client.wrap(b"first", now).unwrap(), client.wrap(b"second message", now).unwrap()];
    let s2c = server.wrap(b"from the server", now).unwrap();
    let key = to_hex(client.session_key().unwrap().as_bytes());
    let tokens: Vec<String> =
        tokens.iter().map(|t| format!("Negotiate {}", B64.encode(t))).collect();
    let mut args: Vec<&str> = tokens.iter().map(String::as_str).collect();
    args.extend(["--password", "Passw0rd!"]);

    let c2s_b64: Vec<String> = c2s.iter().map(|t| B64.encode(t)).collect();
    let mut c2s_args = args.clone();
    c2s_args.extend(["--unseal", &c2s_b64[0], "--unseal", &c2s_b64[1]]);
    let out = inspect(&c2s_args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    out.assert_lines(&[
        "type: SPNEGO NegTokenInit",
        "mechTypes: 1.3.6.1.4.1.311.2.2.10 (NTLMSSP)",
        "type: NTLM NEGOTIATE_MESSAGE",
        "type: SPNEGO NegTokenResp",
        "negState: accept-incomplete (1)",
        "supportedMech: 1.3.6.1.4.1.311.2.2.10 (NTLMSSP)",
        "type: NTLM CHALLENGE_MESSAGE",
        "type: NTLM AUTHENTICATE_MESSAGE",
        "UserName: alice",
        "NTProofStr: OK",
        "blob timestamp matches the CHALLENGE: yes",
        "MIC: OK",
        &format!("ExportedSessionKey: {key}"),
        "SeqNum: 1",
        "SeqNum: 2",
        "text: first",
        "text: second message",
    ]);
    assert_eq!(out.stdout.matches("signature: OK").count(), 2, "{}", out.stdout);

    let s2c_b64 = B64.encode(&s2c);
    let mut s2c_args = args.clone();
    s2c_args.extend(["--direction", "s2c", "--unseal", &s2c_b64]);
    let out = inspect(&[&s2c_args[..], &["--seq", "1"]].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    out.assert_lines(&["direction: server-to-client", "signature: OK", "text: from the server"]);
    // --seq overrides the sequence number read from the signature.
    let out = inspect(&[&s2c_args[..], &["--seq", "7"]].concat());
    assert_eq!(out.code, 1);
    out.assert_lines(&["SeqNum: 7", "SeqNum in signature: 1"]);
    assert!(out.stdout.contains("signature: MISMATCH"), "{}", out.stdout);

    // Without the NEGOTIATE the MIC cannot be checked; with another one it fails.
    let out = inspect(&[&tokens[1], &tokens[2], "--password", "Passw0rd!"]);
    assert_eq!(out.code, 0);
    out.assert_lines(&["MIC: present, not checked (give the NEGOTIATE too)"]);
    let other_negotiate = b64_of_hex(
        "4e544c4d5353500001000000978208e2000000000000000000000000000000000a00614a0000000f",
    );
    let out = inspect(&[
        &tokens[1],
        &tokens[2],
        "--negotiate",
        &other_negotiate,
        "--password",
        "Passw0rd!",
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("MIC: MISMATCH"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// A minimal JSON parser, so the test needs neither serde nor python
// ---------------------------------------------------------------------------------------------

mod json {
    #[derive(Debug, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        List(Vec<Value>),
        Obj(Vec<(String, Value)>),
    }

    impl Value {
        #[track_caller]
        pub fn get(&self, key: &str) -> &Value {
            match self {
                Value::Obj(fields) => {
                    &fields.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no {key}")).1
                }
                other => panic!("{other:?} is not an object"),
            }
        }

        #[track_caller]
        pub fn as_str(&self) -> &str {
            match self {
                Value::Str(s) => s,
                other => panic!("{other:?} is not a string"),
            }
        }

        #[track_caller]
        pub fn as_num(&self) -> u64 {
            match self {
                Value::Num(n) => *n as u64,
                other => panic!("{other:?} is not a number"),
            }
        }

        #[track_caller]
        pub fn as_list(&self) -> &[Value] {
            match self {
                Value::List(l) => l,
                other => panic!("{other:?} is not a list"),
            }
        }
    }

    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser { s: text.as_bytes(), at: 0 };
        let v = p.value()?;
        p.ws();
        if p.at != p.s.len() {
            return Err(format!("trailing data at {}", p.at));
        }
        Ok(v)
    }

    struct Parser<'a> {
        s: &'a [u8],
        at: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.at < self.s.len() && b" \t\r\n".contains(&self.s[self.at]) {
                self.at += 1;
            }
        }

        fn eat(&mut self, b: u8) -> Result<(), String> {
            self.ws();
            if self.s.get(self.at) == Some(&b) {
                self.at += 1;
                Ok(())
            } else {
                Err(format!("expected {:?} at {}", b as char, self.at))
            }
        }

        fn value(&mut self) -> Result<Value, String> {
            self.ws();
            match self.s.get(self.at) {
                Some(b'{') => {
                    self.at += 1;
                    let mut fields = Vec::new();
                    self.ws();
                    if self.s.get(self.at) == Some(&b'}') {
                        self.at += 1;
                        return Ok(Value::Obj(fields));
                    }
                    loop {
                        self.ws();
                        let Value::Str(k) = self.string()? else { unreachable!() };
                        self.eat(b':')?;
                        fields.push((k, self.value()?));
                        self.ws();
                        match self.s.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                return Ok(Value::Obj(fields));
                            }
                            _ => return Err(format!("expected , or }} at {}", self.at)),
                        }
                    }
                }
                Some(b'[') => {
                    self.at += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.s.get(self.at) == Some(&b']') {
                        self.at += 1;
                        return Ok(Value::List(items));
                    }
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.s.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                return Ok(Value::List(items));
                            }
                            _ => return Err(format!("expected , or ] at {}", self.at)),
                        }
                    }
                }
                Some(b'"') => self.string(),
                Some(b't') => self.word("true", Value::Bool(true)),
                Some(b'f') => self.word("false", Value::Bool(false)),
                Some(b'n') => self.word("null", Value::Null),
                Some(b'-' | b'0'..=b'9') => {
                    let start = self.at;
                    while self
                        .s
                        .get(self.at)
                        .is_some_and(|b| b.is_ascii_digit() || b"-+.eE".contains(b))
                    {
                        self.at += 1;
                    }
                    let text = std::str::from_utf8(&self.s[start..self.at]).unwrap();
                    text.parse().map(Value::Num).map_err(|_| format!("bad number {text}"))
                }
                _ => Err(format!("unexpected input at {}", self.at)),
            }
        }

        fn word(&mut self, w: &str, v: Value) -> Result<Value, String> {
            if self.s[self.at..].starts_with(w.as_bytes()) {
                self.at += w.len();
                Ok(v)
            } else {
                Err(format!("bad literal at {}", self.at))
            }
        }

        fn string(&mut self) -> Result<Value, String> {
            self.eat(b'"')?;
            let mut out = String::new();
            loop {
                let rest = std::str::from_utf8(&self.s[self.at..]).map_err(|e| e.to_string())?;
                let c = rest.chars().next().ok_or("unterminated string")?;
                self.at += c.len_utf8();
                match c {
                    '"' => return Ok(Value::Str(out)),
                    '\\' => {
                        let e = self.s.get(self.at).copied().ok_or("bad escape")?;
                        self.at += 1;
                        match e {
                            b'"' => out.push('"'),
                            b'\\' => out.push('\\'),
                            b'/' => out.push('/'),
                            b'n' => out.push('\n'),
                            b'r' => out.push('\r'),
                            b't' => out.push('\t'),
                            b'b' => out.push('\u{8}'),
                            b'f' => out.push('\u{c}'),
                            b'u' => {
                                let hex = std::str::from_utf8(&self.s[self.at..self.at + 4])
                                    .map_err(|e| e.to_string())?;
                                let n = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                                out.push(char::from_u32(n).ok_or("surrogate escape")?);
                                self.at += 4;
                            }
                            _ => return Err(format!("bad escape at {}", self.at)),
                        }
                    }
                    c if (c as u32) < 0x20 => return Err("control character in string".into()),
                    c => out.push(c),
                }
            }
        }
    }
}
