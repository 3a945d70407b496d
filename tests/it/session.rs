//! NTLM session security (MS-NLMP 3.4) through the public API: the §4.2 GSS_WrapEx vectors,
//! round trips for every flag combination, rejections, SSPI buffers, and split halves.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod buffers;
mod rejections;
mod round_trip;
mod vectors;

use sspi_proto::NegotiateFlags;
use sspi_proto::buffer::SecBuffer;
use sspi_proto::ntlm::crypto::{SessionKey, Signature};
use sspi_proto::ntlm::session::{Role, SECQOP_WRAP_NO_ENCRYPT, Session, SessionParams};
use sspi_proto::{Error, ErrorKind};

/// MS-NLMP 4.2.1 RandomSessionKey.
pub const KEY: [u8; 16] = [0x55; 16];

/// The MS-NLMP 4.2.4 NTLMv2 flags: KEY_EXCH, 56, 128, ESS, ALWAYS_SIGN, SEAL, SIGN, ...
pub const V2_FLAGS: u32 = 0xE28A_8233;

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

pub fn flags(bits: u32) -> NegotiateFlags {
    NegotiateFlags::from_bits_retain(bits)
}

pub fn session(flags: NegotiateFlags, role: Role, key: [u8; 16]) -> Session {
    Session::new(SessionParams { flags, exported_session_key: SessionKey::from_bytes(key), role })
        .unwrap()
}

/// A client and a server session over the same key.
pub fn pair(flags: NegotiateFlags) -> (Session, Session) {
    (session(flags, Role::Client, KEY), session(flags, Role::Server, KEY))
}

/// Deterministic bytes (xorshift, 8 per step), so proptest only picks a length and a seed.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn kind<T: std::fmt::Debug>(r: Result<T, Error>) -> ErrorKind {
    r.expect_err("expected an error").kind()
}

/// Which public API carries a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// `wrap` / `unwrap`.
    Wrap,
    /// `seal_in_place` / `unseal_in_place`, or `sign` / `verify` without SEAL.
    InPlace,
    /// `encrypt` / `decrypt` over [read-only-with-checksum header, DATA, TOKEN].
    Buffers,
}

impl Via {
    pub const ALL: [Via; 3] = [Via::Wrap, Via::InPlace, Via::Buffers];
}

/// A message on the wire: signature, body, and a signed-but-clear header (Buffers only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wire {
    pub sig: [u8; 16],
    pub body: Vec<u8>,
    pub header: Vec<u8>,
}

impl Wire {
    pub fn token(&self) -> Vec<u8> {
        [&self.sig[..], &self.body].concat()
    }
}

fn sealing(s: &Session) -> bool {
    s.flags().contains(NegotiateFlags::SEAL)
}

/// Sends `msg` through `via`, with the caller's sequence number in datagram mode.
pub fn send(tx: &mut Session, via: Via, seq: Option<u32>, msg: &[u8]) -> Wire {
    let header = b"clear header".to_vec();
    let mut body = msg.to_vec();
    let sig = match (via, seq) {
        (Via::Wrap, _) => {
            let token = match seq {
                None => tx.wrap(msg),
                Some(n) => tx.wrap_with_seq(n, msg),
            }
            .unwrap();
            body = token[16..].to_vec();
            Signature::from_slice(&token[..16]).unwrap()
        }
        (Via::InPlace, None) if sealing(tx) => tx.seal_in_place(&mut body).unwrap(),
        (Via::InPlace, Some(n)) if sealing(tx) => tx.seal_in_place_with_seq(n, &mut body).unwrap(),
        (Via::InPlace, None) => tx.sign(msg).unwrap(),
        (Via::InPlace, Some(n)) => tx.sign_with_seq(n, msg).unwrap(),
        (Via::Buffers, _) => {
            let mut token = [0u8; 20];
            let mut bufs = [
                SecBuffer::read_only_with_checksum(&header),
                SecBuffer::data(&mut body),
                SecBuffer::token(&mut token),
            ];
            match seq {
                None => tx.encrypt(0, &mut bufs),
                Some(n) => tx.encrypt_with_seq(0, n, &mut bufs),
            }
            .unwrap();
            assert_eq!(bufs[2].data.len(), 16, "TOKEN is narrowed to the signature");
            Signature::from_slice(&token[..16]).unwrap()
        }
    };
    Wire { sig: sig.0, body, header }
}

/// Receives `wire` through `via`: the plaintext, or the error.
pub fn recv(rx: &mut Session, via: Via, seq: Option<u32>, wire: &Wire) -> Result<Vec<u8>, Error> {
    let sig = Signature(wire.sig);
    let mut body = wire.body.clone();
    match via {
        Via::Wrap => match seq {
            None => rx.unwrap(&wire.token()),
            Some(n) => rx.unwrap_with_seq(n, &wire.token()),
        },
        Via::InPlace => {
            let r = match seq {
                None if sealing(rx) => rx.unseal_in_place(&mut body, &sig),
                Some(n) if sealing(rx) => rx.unseal_in_place_with_seq(n, &mut body, &sig),
                None => rx.verify(&body, &sig),
                Some(n) => rx.verify_with_seq(n, &body, &sig),
            };
            if r.is_err() {
                assert_no_plaintext(&body, wire);
            }
            r.map(|()| body)
        }
        Via::Buffers => {
            let mut token = sig.0;
            let r = {
                let mut bufs = [
                    SecBuffer::read_only_with_checksum(&wire.header),
                    SecBuffer::data(&mut body),
                    SecBuffer::token(&mut token),
                ];
                match seq {
                    None => rx.decrypt(&mut bufs),
                    Some(n) => rx.decrypt_with_seq(n, &mut bufs),
                }
            };
            match r {
                Ok(qop) => {
                    assert_eq!(qop, if sealing(rx) { 0 } else { SECQOP_WRAP_NO_ENCRYPT });
                    Ok(body)
                }
                Err(e) => {
                    assert_no_plaintext(&body, wire);
                    Err(e)
                }
            }
        }
    }
}

/// After a rejection the receive buffer holds zeros (decrypted, then wiped) or the
/// untouched wire bytes (rejected before decryption): never plaintext.
pub fn assert_no_plaintext(body: &[u8], wire: &Wire) {
    assert!(
        body.iter().all(|&b| b == 0) || body == wire.body.as_slice(),
        "a rejected message released plaintext"
    );
}
