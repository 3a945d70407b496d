//! The session target: arbitrary tokens into the receiving calls of an established session.

use alloc::vec::Vec;

use crate::buffer::SecBuffer;
use crate::error::Result;
use crate::flags::NegotiateFlags;
use crate::ntlm::crypto::{SessionKey, Signature};
use crate::ntlm::session::{Role, Session, SessionParams};

use super::tokens;

/// The exported session key of every session the target builds.
const KEY: [u8; 16] = [0x55; 16];

/// The negotiated flags of the sessions under test, chosen by the input's first byte.
/// The last two have no extended session security: with feature `legacy-ntlmv1` they are
/// CRC32 / single-RC4 sessions, without it they cannot be built and the input is skipped.
pub(super) const SESSION_FLAGS: [NegotiateFlags; 8] = {
    use NegotiateFlags as F;
    let ess = F::EXTENDED_SESSIONSECURITY.union(F::KEY_EXCH).union(F::NEGOTIATE_128);
    [
        ess.union(F::SIGN).union(F::SEAL),
        ess.union(F::SIGN),
        ess.union(F::SIGN).union(F::SEAL).union(F::DATAGRAM),
        F::EXTENDED_SESSIONSECURITY.union(F::NEGOTIATE_56).union(F::SIGN).union(F::SEAL),
        F::EXTENDED_SESSIONSECURITY.union(F::SIGN).union(F::SEAL),
        ess.union(F::ALWAYS_SIGN),
        F::NTLM.union(F::KEY_EXCH).union(F::NEGOTIATE_128).union(F::SIGN).union(F::SEAL),
        F::NTLM.union(F::ALWAYS_SIGN).union(F::SIGN).union(F::DATAGRAM),
    ]
};

/// A session with the fixed key.
pub(super) fn session(flags: NegotiateFlags, role: Role) -> Result<Session> {
    Session::new(SessionParams { flags, exported_session_key: SessionKey::from_bytes(KEY), role })
}

/// The read-only buffer of op 6 (signed, not encrypted).
pub(super) const READ_ONLY: &[u8] = b"header";

/// The sequence number a datagram session takes from the caller, from an op byte.
pub(super) fn seq_of(flags: NegotiateFlags, op: u8) -> Option<u32> {
    flags.contains(NegotiateFlags::DATAGRAM).then_some(u32::from(op >> 3))
}

/// A server session (flags from the first byte) receiving the rest, split into tokens
/// (see `tokens`). Each token is an op byte then its body; op bits 0-2 choose the call —
/// 0 `unwrap`, 1 `verify` (signature ‖ message), 2 `decrypt` of one STREAM buffer, 3
/// `decrypt` of TOKEN ‖ DATA, 4 `unseal_in_place` (signature ‖ data), 5 `unwrap_in_place`,
/// 6 `decrypt` of TOKEN ‖ DATA with a read-only buffer and a padding buffer, 7 `unwrap` —
/// and the remaining bits are the sequence number of a datagram session.
///
/// Invariants: once a receiving call fails, every later one fails (the receiving direction
/// closes); and on a fresh session pair, whatever the client wraps, signs or encrypts, the
/// server unwraps, verifies and decrypts back to the same bytes.
pub fn session_unseal(data: &[u8]) {
    let Some((&config, rest)) = data.split_first() else { return };
    let Some(&flags) = SESSION_FLAGS.get(usize::from(config & 7)) else { return };
    let Ok(mut server) = session(flags, Role::Server) else { return };
    let mut closed = false;
    for token in tokens(rest) {
        let Some((&op, body)) = token.split_first() else { continue };
        let result = receive(&mut server, seq_of(flags, op), op & 7, body);
        assert!(!closed || result.is_err(), "a receiving call succeeded after a failure");
        closed |= result.is_err();
    }
    round_trip(flags, rest);
}

pub(super) fn receive(server: &mut Session, seq: Option<u32>, op: u8, body: &[u8]) -> Result<()> {
    let (sig, msg) = body.split_first_chunk::<16>().map_or(([0; 16], body), |(s, m)| (*s, m));
    let sig = Signature(sig);
    let mut copy = body.to_vec();
    match (op, seq) {
        (1, None) => server.verify(msg, &sig),
        (1, Some(seq)) => server.verify_with_seq(seq, msg, &sig),
        (2, _) => {
            let mut empty = [0u8; 0];
            decrypt(server, seq, &mut [SecBuffer::stream(&mut copy), SecBuffer::data(&mut empty)])
        }
        (3, _) => {
            let (token, data) = copy.split_at_mut(body.len().min(16));
            decrypt(server, seq, &mut [SecBuffer::token(token), SecBuffer::data(data)])
        }
        (4, _) => {
            let mut data = msg.to_vec();
            match seq {
                None => server.unseal_in_place(&mut data, &sig),
                Some(seq) => server.unseal_in_place_with_seq(seq, &mut data, &sig),
            }
        }
        (5, None) => server.unwrap_in_place(&mut copy).map(drop),
        (5, Some(seq)) => server.unwrap_in_place_with_seq(seq, &mut copy).map(drop),
        (6, _) => {
            let (token, data) = copy.split_at_mut(body.len().min(16));
            let mut padding = [0u8; 4];
            let mut buffers = [
                SecBuffer::token(token),
                SecBuffer::read_only(READ_ONLY),
                SecBuffer::data(data),
                SecBuffer::padding(&mut padding),
            ];
            decrypt(server, seq, &mut buffers)
        }
        (_, None) => server.unwrap(body).map(drop),
        (_, Some(seq)) => server.unwrap_with_seq(seq, body).map(drop),
    }
}

fn decrypt(server: &mut Session, seq: Option<u32>, buffers: &mut [SecBuffer<'_>]) -> Result<()> {
    match seq {
        None => server.decrypt(buffers),
        Some(seq) => server.decrypt_with_seq(seq, buffers),
    }
    .map(drop)
}

/// On a fresh pair, `plaintext` survives wrap / unwrap, sign / verify and encrypt / decrypt.
fn round_trip(flags: NegotiateFlags, plaintext: &[u8]) {
    let (Ok(mut client), Ok(mut server)) =
        (session(flags, Role::Client), session(flags, Role::Server))
    else {
        return;
    };
    let seq = seq_of(flags, 0);
    let wrapped = match seq {
        None => client.wrap(plaintext),
        Some(seq) => client.wrap_with_seq(seq, plaintext),
    };
    if let Ok(token) = wrapped {
        let unwrapped = match seq {
            None => server.unwrap(&token),
            Some(seq) => server.unwrap_with_seq(seq, &token),
        };
        assert_eq!(unwrapped.as_deref(), Ok(plaintext), "unwrap(wrap(x)) != x");
    }
    let seq = seq_of(flags, 8);
    let signed = match seq {
        None => client.sign(plaintext),
        Some(seq) => client.sign_with_seq(seq, plaintext),
    };
    if let Ok(sig) = signed {
        let verified = match seq {
            None => server.verify(plaintext, &sig),
            Some(seq) => server.verify_with_seq(seq, plaintext, &sig),
        };
        assert_eq!(verified, Ok(()), "verify(sign(x)) failed");
    }
    let seq = seq_of(flags, 16);
    let mut trailer = [0u8; 16];
    let mut data: Vec<u8> = plaintext.to_vec();
    let encrypted = {
        let mut buffers = [SecBuffer::token(&mut trailer), SecBuffer::data(&mut data)];
        match seq {
            None => client.encrypt(0, &mut buffers),
            Some(seq) => client.encrypt_with_seq(0, seq, &mut buffers),
        }
    };
    if encrypted.is_ok() {
        let mut buffers = [SecBuffer::token(&mut trailer), SecBuffer::data(&mut data)];
        let decrypted = decrypt(&mut server, seq, &mut buffers);
        assert_eq!(decrypted, Ok(()), "decrypt(encrypt(x)) failed");
        assert_eq!(data, plaintext, "decrypt(encrypt(x)) != x");
    }
}
