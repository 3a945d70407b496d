//! Rejected messages: replay, reordering, tampering, truncation, reflection. Each asserts
//! the exact error kind, that no plaintext is released, and that the receiving direction
//! stays closed afterwards.

use proptest::prelude::*;

use super::*;

/// Configurations the rejection tests run under.
fn configs() -> Vec<NegotiateFlags> {
    let mut out = vec![
        // Sign + seal with KEY_EXCH (4.2.4 flags).
        flags(V2_FLAGS),
        // Sign-only ESS without KEY_EXCH: the checksum travels un-RC4'd.
        flags(V2_FLAGS) - NegotiateFlags::KEY_EXCH - NegotiateFlags::SEAL,
    ];
    if cfg!(feature = "legacy-ntlmv1") {
        // Non-ESS (CRC32, shared RC4), 4.2.2 flags.
        out.push(flags(0xE202_8233));
    }
    out
}

/// The receiving direction is closed: even a valid next message fails with `first`.
fn assert_dead(rx: &mut Session, tx: &mut Session, first: ErrorKind) {
    for via in Via::ALL {
        let wire = send(tx, via, None, b"a valid later message");
        let err = recv(rx, via, None, &wire).expect_err("receive direction must stay closed");
        assert_eq!(err.kind(), first);
    }
}

#[test]
fn replayed_message_is_out_of_sequence() {
    for f in configs() {
        for via in Via::ALL {
            let (mut client, mut server) = pair(f);
            let m0 = send(&mut client, via, None, b"first message, sent once");
            assert_eq!(recv(&mut server, via, None, &m0).unwrap(), b"first message, sent once");
            assert_eq!(
                kind(recv(&mut server, via, None, &m0)),
                ErrorKind::OutOfSequence,
                "{f:?} {via:?}"
            );
            assert_dead(&mut server, &mut client, ErrorKind::OutOfSequence);
        }
    }
}

#[test]
fn swapped_messages_are_out_of_sequence() {
    for f in configs() {
        for via in Via::ALL {
            let (mut client, mut server) = pair(f);
            let _m0 = send(&mut client, via, None, b"message zero");
            let m1 = send(&mut client, via, None, b"message one");
            assert_eq!(
                kind(recv(&mut server, via, None, &m1)),
                ErrorKind::OutOfSequence,
                "{f:?} {via:?}"
            );
            assert_dead(&mut server, &mut client, ErrorKind::OutOfSequence);
        }
    }
}

#[test]
fn reflected_message_is_altered() {
    // A client-to-server message fed back to the client: the sequence number matches
    // (both start at 0) but the keys are the other direction's.
    for f in configs() {
        if !f.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
            // MS-NLMP 3.4: without ESS one key serves both directions, so NTLMv1 session
            // security cannot detect reflection; nothing to test.
            continue;
        }
        for via in Via::ALL {
            let (mut client, mut server) = pair(f);
            let wire = send(&mut client, via, None, b"to the server");
            assert_eq!(
                kind(recv(&mut client, via, None, &wire)),
                ErrorKind::MessageAltered,
                "{f:?} {via:?}"
            );
            assert_dead(&mut client, &mut server, ErrorKind::MessageAltered);
        }
    }
}

#[test]
fn truncated_tokens_and_signatures_are_rejected() {
    for f in configs() {
        let (mut client, mut server) = pair(f);
        let token = client.wrap(b"a message long enough").unwrap();
        // Shorter than its signature: not a wrap token at all.
        assert_eq!(kind(server.unwrap(&token[..15])), ErrorKind::InvalidToken);
        assert_dead(&mut server, &mut client, ErrorKind::InvalidToken);

        let (mut client, mut server) = pair(f);
        let token = client.wrap(b"a message long enough").unwrap();
        // Data cut short: with ESS the checksum no longer matches. Without ESS the RC4
        // stream is the sequence: one byte less shifts the keystream under the encrypted
        // SeqNum field, so the message reads as out of sequence.
        let expected = if f.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
            ErrorKind::MessageAltered
        } else {
            ErrorKind::OutOfSequence
        };
        assert_eq!(kind(server.unwrap(&token[..token.len() - 1])), expected);
        assert_dead(&mut server, &mut client, expected);

        let (mut client, mut server) = pair(f);
        let wire = send(&mut client, Via::Buffers, None, b"a message long enough");
        let mut body = wire.body.clone();
        let mut short = wire.sig[..15].to_vec();
        let mut bufs = [SecBuffer::data(&mut body), SecBuffer::token(&mut short)];
        assert_eq!(kind(server.decrypt(&mut bufs)), ErrorKind::InvalidToken);
        assert_dead(&mut server, &mut client, ErrorKind::InvalidToken);
    }
    // A truncated signature cannot even be built.
    assert_eq!(
        kind(Signature::from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
        ErrorKind::MessageAltered
    );
}

/// The error a single flipped bit at `bit` of signature ‖ body must produce, or `None`
/// where the bit is not checked (the non-ESS RandomPad, MS-NLMP 3.4.4.1).
fn expected_for_bit(f: NegotiateFlags, bit: usize) -> Option<ErrorKind> {
    let ess = f.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY);
    match bit / 8 {
        4..=7 if !ess => None,
        12..=15 => Some(ErrorKind::OutOfSequence),
        _ => Some(ErrorKind::MessageAltered),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_flipped_bit_is_rejected(
        config in 0usize..3,
        via in 0usize..3,
        len in 1usize..2048,
        seed in any::<u64>(),
        bit in any::<usize>(),
    ) {
        let all = configs();
        let f = all[config % all.len()];
        let via = Via::ALL[via];
        let (mut client, mut server) = pair(f);
        let msg = bytes(len, seed);
        let mut wire = send(&mut client, via, None, &msg);
        let bit = bit % ((16 + len) * 8);
        if bit < 128 {
            wire.sig[bit / 8] ^= 1 << (bit % 8);
        } else {
            wire.body[bit / 8 - 16] ^= 1 << (bit % 8);
        }
        match expected_for_bit(f, bit) {
            Some(expected) => {
                prop_assert_eq!(kind(recv(&mut server, via, None, &wire)), expected);
                assert_dead(&mut server, &mut client, expected);
            }
            None => prop_assert_eq!(recv(&mut server, via, None, &wire).unwrap(), msg),
        }
    }
}
