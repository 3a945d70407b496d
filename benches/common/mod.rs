//! Shared by the bench binaries: a seeded `Random`, a fixed clock, a handshake driver through
//! the public `sspi` API, the crypto-floor inputs taken from a real transcript, and the
//! interleaved timer that prints `ratio = floor / ours`.

#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use sspi_proto::ntlm::crypto::{
    self, Direction, HmacMd5, NtHash, Rc4, ResponseMac, SessionKey, hmac_md5_keyed, seal_key,
    sign_key,
};
use sspi_proto::ntlm::messages::{AuthenticateMessage, ChallengeMessage, zero_mic};
use sspi_proto::ntlm::server::{CredentialAnswer, ServerStep};
use sspi_proto::ntlm::session::Session;
use sspi_proto::sspi::{
    ClientContext, ClientOptions, CredentialUse, CredentialsHandle, Package, ServerContext,
    ServerOptions, Step,
};
use sspi_proto::{Credentials, FileTime, NegotiateFlags, Random};

/// A deterministic xorshift generator: benches are reproducible, never secure.
pub struct SeededRandom(u64);

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
}

impl Random for SeededRandom {
    /// xorshift64, eight bytes per step: the caller's randomness is not the library's
    /// cost, so the bench's source should cost next to nothing (a byte per step cost 400
    /// instructions per handshake, about 0.4 % of it).
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            chunk.copy_from_slice(&self.0.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// 2024-01-01T00:00:00Z.
pub const NOW: FileTime = FileTime::from_unix_seconds(1_704_067_200);
pub const DOMAIN: &str = "Domain";
pub const USER: &str = "User";
pub const PASSWORD: &str = "Password";

/// The client's and the server's credential handles, acquired once as an application would,
/// and the NT hash the server's user lookup hands back.
pub struct Parties {
    pub package: Package,
    pub outbound: CredentialsHandle,
    pub inbound: CredentialsHandle,
    pub nt_hash: NtHash,
}

impl Parties {
    pub fn new(package: Package) -> Self {
        let creds = Credentials::password_in_domain(DOMAIN, USER, PASSWORD);
        Self {
            package,
            outbound: CredentialsHandle::acquire(package, CredentialUse::Outbound, Some(creds))
                .unwrap(),
            inbound: CredentialsHandle::acquire(package, CredentialUse::Inbound, None).unwrap(),
            nt_hash: NtHash::from_password(PASSWORD),
        }
    }

    /// One full handshake through the public `sspi` API, with sign and seal (the default
    /// request), MIC (the server always sends a timestamp) and KEY_EXCH (the default).
    /// Returns both established contexts and the tokens in the order they were sent.
    pub fn handshake(&self, rng: &mut dyn Random) -> (ClientContext, ServerContext, Vec<Vec<u8>>) {
        let mut tokens = Vec::new();
        let mut client =
            ClientContext::new(self.package, &self.outbound, ClientOptions::default()).unwrap();
        let mut server =
            ServerContext::new(self.package, &self.inbound, ServerOptions::default()).unwrap();
        let Step::Continue(mut to_server) = client.step(None, NOW, rng).unwrap() else {
            panic!("client done before the server spoke")
        };
        loop {
            tokens.push(to_server.clone());
            let mut step = server.step(&to_server, NOW, rng).unwrap();
            if let ServerStep::NeedCredentials(_) = &step {
                let answer = CredentialAnswer::NtHashes(vec![self.nt_hash.clone()]);
                step = server.provide_credentials(answer, NOW).unwrap();
            }
            let to_client = match step {
                ServerStep::Continue(t) | ServerStep::Done(Some(t)) => t,
                ServerStep::Done(None) => return (client, server, tokens),
                ServerStep::NeedCredentials(_) => unreachable!(),
            };
            tokens.push(to_client.clone());
            match client.step(Some(&to_client), NOW, rng).unwrap() {
                Step::Continue(t) | Step::Done(Some(t)) => to_server = t,
                Step::Done(None) => return (client, server, tokens),
            }
        }
    }

    /// The same handshake without keeping the tokens: what the bench times.
    pub fn handshake_only(&self, rng: &mut dyn Random) -> (ClientContext, ServerContext) {
        let mut client =
            ClientContext::new(self.package, &self.outbound, ClientOptions::default()).unwrap();
        let mut server =
            ServerContext::new(self.package, &self.inbound, ServerOptions::default()).unwrap();
        let Step::Continue(mut to_server) = client.step(None, NOW, rng).unwrap() else {
            panic!("client done before the server spoke")
        };
        loop {
            let mut step = server.step(&to_server, NOW, rng).unwrap();
            if let ServerStep::NeedCredentials(_) = &step {
                let answer = CredentialAnswer::NtHashes(vec![self.nt_hash.clone()]);
                step = server.provide_credentials(answer, NOW).unwrap();
            }
            let to_client = match step {
                ServerStep::Continue(t) | ServerStep::Done(Some(t)) => t,
                ServerStep::Done(None) => return (client, server),
                ServerStep::NeedCredentials(_) => unreachable!(),
            };
            match client.step(Some(&to_client), NOW, rng).unwrap() {
                Step::Continue(t) | Step::Done(Some(t)) => to_server = t,
                Step::Done(None) => return (client, server),
            }
        }
    }
}

/// A handshake recorded with each side drawing from its own seeded source, so that either
/// side can run again alone against the other's recorded tokens and produce the same bytes:
/// what one process of a real deployment runs (a client or a server, not both).
pub struct Transcript {
    pub parties: Parties,
    /// The client's tokens, in order.
    pub to_server: Vec<Vec<u8>>,
    /// The server's tokens, in order.
    pub to_client: Vec<Vec<u8>>,
}

const CLIENT_SEED: u64 = 21;
const SERVER_SEED: u64 = 22;

impl Transcript {
    /// Records a full handshake, then checks that each side replayed alone sends exactly
    /// the recorded tokens and completes.
    pub fn record(package: Package) -> Self {
        let parties = Parties::new(package);
        let (mut client_rng, mut server_rng) =
            (SeededRandom::new(CLIENT_SEED), SeededRandom::new(SERVER_SEED));
        let mut client =
            ClientContext::new(package, &parties.outbound, ClientOptions::default()).unwrap();
        let mut server =
            ServerContext::new(package, &parties.inbound, ServerOptions::default()).unwrap();
        let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
        let mut next = client.step(None, NOW, &mut client_rng).unwrap().token().map(<[u8]>::to_vec);
        while let Some(token) = next.take() {
            to_server.push(token.clone());
            let mut step = server.step(&token, NOW, &mut server_rng).unwrap();
            if let ServerStep::NeedCredentials(_) = &step {
                let answer = CredentialAnswer::NtHashes(vec![parties.nt_hash.clone()]);
                step = server.provide_credentials(answer, NOW).unwrap();
            }
            let reply = match step {
                ServerStep::Continue(t) | ServerStep::Done(Some(t)) => t,
                ServerStep::Done(None) => break,
                ServerStep::NeedCredentials(_) => unreachable!(),
            };
            to_client.push(reply.clone());
            next = client
                .step(Some(&reply), NOW, &mut client_rng)
                .unwrap()
                .token()
                .map(<[u8]>::to_vec);
        }
        assert!(client.is_complete() && server.is_complete());
        let transcript = Self { parties, to_server, to_client };
        let (client, sent) = transcript.client_side_recording();
        assert!(client.is_complete());
        assert_eq!(sent, transcript.to_server, "the client replays its tokens");
        let (server, sent) = transcript.server_side_recording();
        assert!(server.is_complete());
        assert_eq!(sent, transcript.to_client, "the server replays its tokens");
        transcript
    }

    /// The client alone: its handshake against the recorded server tokens.
    pub fn client_side(&self) -> ClientContext {
        self.run_client(&mut |_| {})
    }

    /// The server alone: its handshake against the recorded client tokens, with the user
    /// lookup answered as in [`Parties::handshake_only`].
    pub fn server_side(&self) -> ServerContext {
        self.run_server(&mut |_| {})
    }

    fn client_side_recording(&self) -> (ClientContext, Vec<Vec<u8>>) {
        let mut sent = Vec::new();
        let client = self.run_client(&mut |t| sent.push(t.to_vec()));
        (client, sent)
    }

    fn server_side_recording(&self) -> (ServerContext, Vec<Vec<u8>>) {
        let mut sent = Vec::new();
        let server = self.run_server(&mut |t| sent.push(t.to_vec()));
        (server, sent)
    }

    /// The client's steps; `sent` sees each token it sends.
    fn run_client(&self, sent: &mut dyn FnMut(&[u8])) -> ClientContext {
        let mut rng = SeededRandom::new(CLIENT_SEED);
        let p = &self.parties;
        let mut client =
            ClientContext::new(p.package, &p.outbound, ClientOptions::default()).unwrap();
        sent(client.step(None, NOW, &mut rng).unwrap().token().unwrap());
        for token in &self.to_client {
            if let Some(t) = client.step(Some(token), NOW, &mut rng).unwrap().token() {
                sent(t);
            }
        }
        client
    }

    /// The server's steps; `sent` sees each token it sends.
    fn run_server(&self, sent: &mut dyn FnMut(&[u8])) -> ServerContext {
        let mut rng = SeededRandom::new(SERVER_SEED);
        let p = &self.parties;
        let mut server =
            ServerContext::new(p.package, &p.inbound, ServerOptions::default()).unwrap();
        for token in &self.to_server {
            let mut step = server.step(token, NOW, &mut rng).unwrap();
            if let ServerStep::NeedCredentials(_) = &step {
                let answer = CredentialAnswer::NtHashes(vec![p.nt_hash.clone()]);
                step = server.provide_credentials(answer, NOW).unwrap();
            }
            if let ServerStep::Continue(t) | ServerStep::Done(Some(t)) = &step {
                sent(t);
            }
        }
        server
    }
}

/// Two established sessions (client, server) from a real NTLM handshake, one sealed
/// message exchanged each way: sessions key their HMAC-MD5 states and RC4 handles on first
/// use, and the message benches measure the steady state after it.
pub fn sessions() -> (Session, Session) {
    let parties = Parties::new(Package::Ntlm);
    let (client, server) = parties.handshake_only(&mut SeededRandom::new(1));
    let (mut client, mut server) = (client.into_session().unwrap(), server.into_session().unwrap());
    let exchange = |from: &mut Session, to: &mut Session| {
        let mut msg = *b"warm-up";
        let sig = from.seal_in_place(&mut msg).unwrap();
        to.unseal_in_place(&mut msg, &sig).unwrap();
    };
    exchange(&mut client, &mut server);
    exchange(&mut server, &mut client);
    (client, server)
}

/// What the handshake's crypto floor works on, taken from one real raw-NTLM transcript.
pub struct FloorInputs {
    pub negotiate: Vec<u8>,
    pub challenge: Vec<u8>,
    pub authenticate_zero_mic: Vec<u8>,
    pub server_challenge: [u8; 8],
    pub blob: Vec<u8>,
    pub exported: SessionKey,
    pub encrypted_key: [u8; 16],
    pub flags: NegotiateFlags,
    pub nt_hash: NtHash,
    /// The client's NTOWFv2 keyed into HMAC-MD5, once, as its credentials do.
    pub response_mac: ResponseMac,
}

impl FloorInputs {
    pub fn capture() -> Self {
        let parties = Parties::new(Package::Ntlm);
        let (client, _server, tokens) = parties.handshake(&mut SeededRandom::new(2));
        let [negotiate, challenge, authenticate] = <[Vec<u8>; 3]>::try_from(tokens).unwrap();
        let chal = ChallengeMessage::decode(&challenge).unwrap();
        let auth = AuthenticateMessage::decode(&authenticate).unwrap();
        assert!(auth.mic.is_some(), "the bench handshake must carry a MIC");
        let mut authenticate_zero_mic = authenticate.clone();
        zero_mic(&mut authenticate_zero_mic).unwrap();
        let flags = client.negotiated_flags().unwrap();
        assert!(flags.contains(
            NegotiateFlags::KEY_EXCH
                | NegotiateFlags::SIGN
                | NegotiateFlags::SEAL
                | NegotiateFlags::EXTENDED_SESSIONSECURITY
                | NegotiateFlags::NEGOTIATE_128
        ));
        Self {
            negotiate,
            challenge,
            authenticate_zero_mic,
            server_challenge: chal.server_challenge,
            blob: auth.nt_challenge_response[16..].to_vec(),
            exported: client.session_key().unwrap().clone(),
            encrypted_key: auth.encrypted_random_session_key.as_slice().try_into().unwrap(),
            flags,
            nt_hash: NtHash::from_password(PASSWORD),
            response_mac: ResponseMac::new(&crypto::ntowf_v2(
                &NtHash::from_password(PASSWORD),
                USER,
                DOMAIN,
            )),
        }
    }

    /// The client's unavoidable crypto: NTProofStr, the session base key, RC4 of the
    /// exported session key, the MIC. NTOWFv1 and NTOWFv2 depend on the credentials alone,
    /// which compute them (and key HMAC-MD5 with NTOWFv2) once when made (since 2026-11-26,
    /// third change of the day), so neither a handshake nor its floor does. Sessions derive
    /// SIGNKEY and SEALKEY when first used (the second change of that day), so a raw NTLM
    /// handshake does not, and neither does its floor.
    pub fn client_floor(&self) {
        let mac = black_box(&self.response_mac);
        let proof = mac.nt_proof_str(&self.server_challenge, &self.blob);
        let kxkey = mac.session_base_key(&proof);
        black_box(crypto::encrypt_session_key(&kxkey, &self.exported).unwrap());
        black_box(crypto::mic(
            &self.exported,
            &self.negotiate,
            &self.challenge,
            &self.authenticate_zero_mic,
        ));
    }

    /// The server's: NTOWFv2 from the stored hash, NTProofStr, session base key, RC4 of the
    /// encrypted session key, the MIC.
    pub fn server_floor(&self) {
        let key = crypto::ntowf_v2(black_box(&self.nt_hash), black_box(USER), black_box(DOMAIN));
        // Keyed once for both, as the server does.
        let mac = ResponseMac::new(&key);
        let proof = mac.nt_proof_str(&self.server_challenge, &self.blob);
        let kxkey = mac.session_base_key(&proof);
        black_box(crypto::decrypt_session_key(&kxkey, &self.encrypted_key).unwrap());
        black_box(crypto::mic(
            &self.exported,
            &self.negotiate,
            &self.challenge,
            &self.authenticate_zero_mic,
        ));
    }

    /// Both sides of a raw NTLM handshake.
    pub fn ntlm_floor(&self) {
        self.client_floor();
        self.server_floor();
    }

    /// Negotiate adds the mechListMIC exchange (MS-SPNG 3.2.5.1): the client signs the
    /// MechTypeList and the server verifies it, the server signs it and the client verifies
    /// it (HMAC-MD5 over seq ‖ list, RC4 of the 8-byte checksum each), with the SIGNKEY and
    /// SEALKEY of both directions derived on each side for it (their first use) and the RC4
    /// handles keyed with them, then both sides restore both RC4 handles to their keyed
    /// state (MS-SPNG 3.3.5.1) by undoing the 8 keystream bytes each gave the MIC.
    pub fn negotiate_floor(&self, rc4: &mut Rc4Pair) {
        self.ntlm_floor();
        self.mech_list_mic_side(rc4);
        self.mech_list_mic_side(rc4);
    }

    /// The client's side of a Negotiate handshake alone.
    pub fn negotiate_client_floor(&self, rc4: &mut Rc4Pair) {
        self.client_floor();
        self.mech_list_mic_side(rc4);
    }

    /// The server's side of a Negotiate handshake alone.
    pub fn negotiate_server_floor(&self, rc4: &mut Rc4Pair) {
        self.server_floor();
        self.mech_list_mic_side(rc4);
    }

    /// One side's part of the mechListMIC exchange: key both RC4 handles in place (no 1 KiB
    /// state is copied), sign the list in one direction and verify it in the other, then
    /// restore both handles.
    fn mech_list_mic_side(&self, rc4: &mut Rc4Pair) {
        // DER SEQUENCE { OID 1.3.6.1.4.1.311.2.2.10 }: what the client offers.
        const MECH_TYPES: [u8; 14] =
            [0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
        // SIGNKEY and SEALKEY are new in every handshake, so each side derives them and keys
        // its two HMAC-MD5 states and RC4 handles here (primitive work the mechListMIC cannot
        // avoid).
        let dirs = [Direction::ClientToServer, Direction::ServerToClient];
        for (dir, state) in dirs.into_iter().zip(rc4.0.iter_mut()) {
            let sign = sign_key(&self.exported, dir);
            let seal = seal_key(self.flags, &self.exported, dir);
            state.rekey(seal.as_bytes()).unwrap();
            let signer = hmac_md5_keyed(sign.as_bytes());
            black_box(checksum(&signer, state, 0, &MECH_TYPES));
            // Until 2026-11-26 (as the sessions did) a second key schedule per handle.
            black_box(state.rewind());
        }
        black_box(&mut rc4.0);
    }
}

/// HMAC-MD5(`signer`, seq ‖ msg) truncated to 8 bytes, RC4'd: the KEY_EXCH checksum.
fn checksum(signer: &HmacMd5, rc4: &mut Rc4, seq: u32, msg: &[u8]) -> [u8; 8] {
    use hmac::Mac;
    let mut mac = signer.clone();
    mac.update(&seq.to_le_bytes());
    mac.update(msg);
    let digest = mac.finalize().into_bytes();
    let mut checksum = [0u8; 8];
    checksum.copy_from_slice(&digest[..8]);
    rc4.apply(&mut checksum);
    checksum
}

/// The two RC4 handles a floor keys, made once and re-keyed in place every handshake.
pub struct Rc4Pair(pub [Rc4; 2]);

impl Rc4Pair {
    pub fn new() -> Self {
        Self([Rc4::new(&[0]).unwrap(), Rc4::new(&[0]).unwrap()])
    }
}

/// One direction's pre-keyed HMAC-MD5 and RC4 handle, for the floors of the message calls.
pub struct DirKeys {
    pub signer: HmacMd5,
    pub rc4: Rc4,
}

impl DirKeys {
    pub fn new(exported: &SessionKey, flags: NegotiateFlags, dir: Direction) -> Self {
        Self {
            signer: hmac_md5_keyed(sign_key(exported, dir).as_bytes()),
            rc4: Rc4::new(seal_key(flags, exported, dir).as_bytes()).unwrap(),
        }
    }

    /// HMAC-MD5(SignKey, seq ‖ msg) truncated to 8 bytes, RC4'd: the KEY_EXCH checksum.
    pub fn signature(&mut self, seq: u32, msg: &[u8]) -> [u8; 8] {
        let signer = self.signer.clone();
        self.signature_with(&signer, seq, msg)
    }

    /// [`signature`](Self::signature) with the HMAC state `signer` instead of the kept one.
    pub fn signature_with(&mut self, signer: &HmacMd5, seq: u32, msg: &[u8]) -> [u8; 8] {
        checksum(signer, &mut self.rc4, seq, msg)
    }

    /// The sender's part of SEAL: checksum over the plaintext, RC4 over the message, RC4
    /// over the checksum.
    pub fn seal(&mut self, seq: u32, msg: &mut [u8]) -> [u8; 8] {
        use hmac::Mac;
        let mut mac = self.signer.clone();
        mac.update(&seq.to_le_bytes());
        mac.update(msg);
        let digest = mac.finalize().into_bytes();
        self.rc4.apply(msg);
        let mut checksum = [0u8; 8];
        checksum.copy_from_slice(&digest[..8]);
        self.rc4.apply(&mut checksum);
        checksum
    }

    /// The receiver's part of UNSEAL: RC4 over the message, checksum over the plaintext,
    /// RC4 over the checksum.
    pub fn unseal(&mut self, seq: u32, msg: &mut [u8]) -> [u8; 8] {
        self.rc4.apply(msg);
        self.signature(seq, msg)
    }
}

/// Both directions' keys as the floor's two sides hold them: the sender's and the
/// receiver's copy of each direction.
pub struct MacKeys {
    pub c2s: DirKeys,
    pub s2c: DirKeys,
}

impl MacKeys {
    pub fn new(inputs: &FloorInputs) -> Self {
        Self {
            c2s: DirKeys::new(&inputs.exported, inputs.flags, Direction::ClientToServer),
            s2c: DirKeys::new(&inputs.exported, inputs.flags, Direction::ServerToClient),
        }
    }
}

/// The floor of a seal + unseal round trip: the sender's and the receiver's key state for
/// one direction, kept in step.
pub struct SealFloor {
    pub sender: DirKeys,
    pub receiver: DirKeys,
    pub seq: u32,
}

impl SealFloor {
    pub fn new() -> Self {
        let exported = SessionKey::from_bytes([0x55; 16]);
        let flags = NegotiateFlags::from_bits_retain(0xE28A_8233);
        Self {
            sender: DirKeys::new(&exported, flags, Direction::ClientToServer),
            receiver: DirKeys::new(&exported, flags, Direction::ClientToServer),
            seq: 0,
        }
    }

    pub fn seal_unseal(&mut self, msg: &mut [u8]) {
        let sent = self.sender.seal(self.seq, msg);
        let expected = self.receiver.unseal(self.seq, msg);
        black_box((sent, expected));
        self.seq = self.seq.wrapping_add(1);
    }

    pub fn sign_verify(&mut self, msg: &[u8]) {
        let sent = self.sender.signature(self.seq, msg);
        let expected = self.receiver.signature(self.seq, msg);
        black_box((sent, expected));
        self.seq = self.seq.wrapping_add(1);
    }
}

/// One line of the ratio table: per-iteration times of the fastest batch and the median
/// batch, for the floor and for ours.
pub struct Comparison {
    pub name: String,
    pub floor: Duration,
    pub ours: Duration,
    pub floor_median: Duration,
    pub ours_median: Duration,
    /// The target for this row; `None` for rows shown for information.
    pub target: Option<f64>,
}

impl Comparison {
    /// floor / ours, from the fastest batches: the headline figure.
    pub fn ratio(&self) -> f64 {
        self.floor.as_secs_f64() / self.ours.as_secs_f64()
    }

    /// floor / ours, from the median batches.
    pub fn median_ratio(&self) -> f64 {
        self.floor_median.as_secs_f64() / self.ours_median.as_secs_f64()
    }
}

fn batch(f: &mut dyn FnMut(), n: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed()
}

/// (fastest, median) of per-iteration times.
fn summarize(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[0], v[v.len() / 2])
}

/// Rounds of (floor batch, ours batch); the order alternates each round so that both see
/// the same machine. `BENCH_ROUNDS` overrides the count.
fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(61)
}

/// Times `floor` and `ours` interleaved, in batches of at least ~0.5 ms, and keeps the
/// fastest and the median batch of each (per iteration).
///
/// On a shared 2-core machine a batch that a neighbour's build preempts comes out several
/// times too slow, and with a sustained load even the median is skewed; the fastest of
/// many short batches is the undisturbed cost, so the ratio is taken from those. The
/// median ratio is printed beside it as a check.
pub fn compare(
    name: &str,
    target: impl Into<Option<f64>>,
    floor: &mut dyn FnMut(),
    ours: &mut dyn FnMut(),
) -> Comparison {
    // Warm up and calibrate on `ours` (the slower of the two).
    let mut n = 1u32;
    while batch(ours, n) < Duration::from_micros(500) && n < 1 << 20 {
        n *= 2;
    }
    let (mut f, mut o) = (Vec::new(), Vec::new());
    for round in 0..rounds() {
        if round % 2 == 0 {
            f.push(batch(floor, n) / n);
            o.push(batch(ours, n) / n);
        } else {
            o.push(batch(ours, n) / n);
            f.push(batch(floor, n) / n);
        }
    }
    let (floor, floor_median) = summarize(f);
    let (ours, ours_median) = summarize(o);
    Comparison {
        name: name.to_string(),
        floor,
        ours,
        floor_median,
        ours_median,
        target: target.into(),
    }
}

pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Prints the ratio table (Markdown, so BENCHMARKS.md can take it as is).
pub fn print_table(title: &str, rows: &[Comparison]) {
    println!("\n### {title}: ratio = floor / ours (fastest of interleaved batches)\n");
    println!("| operation | crypto floor | ours | ratio | ratio of medians | target | |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let (target, ok) = match r.target {
            Some(t) => (format!("≥ {t:.2}"), if r.ratio() >= t { "met" } else { "MISSED" }),
            None => ("—".to_string(), "(information)"),
        };
        println!(
            "| {} | {} | {} | {:.3} | {:.3} | {target} | {ok} |",
            r.name,
            fmt_duration(r.floor),
            fmt_duration(r.ours),
            r.ratio(),
            r.median_ratio(),
        );
    }
    println!();
}

/// Profiling mode: with `BENCH_PROFILE=<case>` the binary runs that case `BENCH_ITERS`
/// times (default 1000) and nothing else, for `valgrind --tool=callgrind` (instruction
/// counts are deterministic, unlike times on a shared machine). Returns whether it ran.
pub fn profile_mode(cases: &mut [(&str, &mut dyn FnMut())]) -> bool {
    let Ok(wanted) = std::env::var("BENCH_PROFILE") else {
        return false;
    };
    let iters: u32 = std::env::var("BENCH_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let Some((_, case)) = cases.iter_mut().find(|(name, _)| *name == wanted) else {
        let names: Vec<&str> = cases.iter().map(|(name, _)| *name).collect();
        panic!("BENCH_PROFILE={wanted}: no such case; cases: {names:?}");
    };
    if let Ok(chunks) = std::env::var("BENCH_CHUNKS") {
        chunked(cases, &wanted, iters, chunks.parse().expect("BENCH_CHUNKS: a count"));
        return true;
    }
    for _ in 0..iters {
        case();
    }
    true
}

/// `BENCH_PROFILE=<case> BENCH_CHUNKS=<n>`: `n` chunks of `BENCH_ITERS` runs of the case
/// and then of `<case>_floor`, one line per chunk (ns per run, ours then floor, and the
/// ratio), then a summary by state. Shows how the machine's speed moves within one process.
fn chunked(cases: &mut [(&str, &mut dyn FnMut())], wanted: &str, iters: u32, chunks: u32) {
    let floor = format!("{wanted}_floor");
    let index = |name: &str| cases.iter().position(|(n, _)| *n == name);
    let (Some(ours), Some(floor)) = (index(wanted), index(&floor)) else {
        panic!("BENCH_CHUNKS needs both {wanted} and {floor}");
    };
    let mut timed = Vec::new();
    for _ in 0..chunks {
        let [ours_ns, floor_ns] = [ours, floor].map(|i| {
            let start = std::time::Instant::now();
            for _ in 0..iters {
                (cases[i].1)();
            }
            start.elapsed().as_nanos() as f64 / f64::from(iters)
        });
        println!("{ours_ns:8.0} {floor_ns:8.0} {:.3}", floor_ns / ours_ns);
        timed.push((ours_ns, floor_ns));
    }
    print_states(wanted, &timed);
}

/// The chunks of [`chunked`] in two groups, those where ours ran within 8 % of its fastest
/// chunk and the rest: with both of the machine's states in a run, the first group is the
/// fast state (a run that never saw it has everything in the first group). For each: how
/// many chunks, the median times and the median (lowest–highest) ratio.
fn print_states(case: &str, timed: &[(f64, f64)]) {
    let fastest = timed.iter().map(|t| t.0).fold(f64::INFINITY, f64::min);
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
    };
    println!();
    println!(
        "| {case} | chunks | ours (median) | floor (median) | ratio: median (lowest–highest) |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (group, fast) in [("within 8 % of the fastest", true), ("slower", false)] {
        let chunks: Vec<_> = timed.iter().filter(|t| (t.0 <= fastest * 1.08) == fast).collect();
        if chunks.is_empty() {
            println!("| {group} | 0 | — | — | — |");
            continue;
        }
        let ratios: Vec<f64> = chunks.iter().map(|t| t.1 / t.0).collect();
        let (lo, hi) = ratios.iter().fold((f64::INFINITY, 0f64), |(l, h), &r| (l.min(r), h.max(r)));
        println!(
            "| {group} | {} | {:.2} µs | {:.2} µs | {:.3} ({lo:.3}–{hi:.3}) |",
            chunks.len(),
            median(chunks.iter().map(|t| t.0).collect()) / 1000.0,
            median(chunks.iter().map(|t| t.1).collect()) / 1000.0,
            median(ratios.clone()),
        );
    }
}
