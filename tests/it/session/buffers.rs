//! SSPI buffers, QOP, ALWAYS_SIGN, the SPNEGO RC4 reset, split halves, and construction.

use sspi_proto::buffer::{BufferData, BufferFlags, BufferType};
use sspi_proto::ntlm::session::{BLOCK_SIZE, MAX_SIGNATURE, SECURITY_TRAILER, sizes};

use super::*;

fn seal_only_data(tx: &mut Session, data: &mut [u8]) -> [u8; 16] {
    let mut token = [0u8; 16];
    tx.encrypt(0, &mut [SecBuffer::data(data), SecBuffer::token(&mut token)]).unwrap();
    token
}

#[test]
fn token_too_small_or_missing() {
    let (mut client, mut server) = pair(flags(V2_FLAGS));
    let mut data = *b"payload";
    let mut small = [0u8; 15];
    let mut bufs = [SecBuffer::data(&mut data), SecBuffer::token(&mut small)];
    assert_eq!(kind(client.encrypt(0, &mut bufs)), ErrorKind::BufferTooSmall);
    let mut bufs = [SecBuffer::data(&mut data)];
    assert_eq!(kind(client.encrypt(0, &mut bufs)), ErrorKind::InvalidToken);
    let mut t1 = [0u8; 16];
    let mut t2 = [0u8; 16];
    let mut bufs =
        [SecBuffer::data(&mut data), SecBuffer::token(&mut t1), SecBuffer::token(&mut t2)];
    assert_eq!(kind(client.encrypt(0, &mut bufs)), ErrorKind::InvalidToken);
    assert_eq!(&data, b"payload", "a refused encrypt leaves the data alone");
    // Nothing was consumed: the next message is sequence 0 and the peer reads it.
    let token = seal_only_data(&mut client, &mut data);
    assert_eq!(token[12..], [0, 0, 0, 0]);
    let mut sig = token;
    server.decrypt(&mut [SecBuffer::data(&mut data), SecBuffer::token(&mut sig)]).unwrap();
    assert_eq!(&data, b"payload");
}

#[test]
fn read_only_buffers_are_signed_not_encrypted() {
    for (f, readonly_signed) in [(flags(V2_FLAGS), true), (flags(0xE202_8233), false)] {
        if !f.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) && !cfg!(feature = "legacy-ntlmv1")
        {
            continue;
        }
        for flag in [BufferFlags::READONLY_WITH_CHECKSUM, BufferFlags::READONLY] {
            let (mut client, mut server) = pair(f);
            let header = *b"rpc header";
            let mut data = *b"secret body";
            let mut token = [0u8; 16];
            let ro = |h| SecBuffer {
                buffer_type: BufferType::Data,
                flags: flag,
                data: BufferData::Ref(h),
            };
            client
                .encrypt(
                    0,
                    &mut [ro(&header), SecBuffer::data(&mut data), SecBuffer::token(&mut token)],
                )
                .unwrap();
            assert_ne!(&data, b"secret body");
            let mut tampered = header;
            tampered[0] ^= 1;
            let r = server.decrypt(&mut [
                ro(&tampered),
                SecBuffer::data(&mut data),
                SecBuffer::token(&mut token),
            ]);
            // MS-NLMP 3.4.6.1: ESS signs every data buffer; NTLMv1 skips plain READONLY ones.
            let covered = readonly_signed || flag == BufferFlags::READONLY_WITH_CHECKSUM;
            if covered {
                assert_eq!(kind(r), ErrorKind::MessageAltered, "{f:?} {flag:?}");
                assert!(data == [0; 11], "no plaintext after a rejection");
            } else {
                assert_eq!(r.unwrap(), 0);
                assert_eq!(&data, b"secret body");
            }
        }
    }
}

#[test]
fn shared_data_buffer_cannot_be_encrypted() {
    let (mut client, _) = pair(flags(V2_FLAGS));
    let mut token = [0u8; 16];
    let plain = SecBuffer {
        buffer_type: BufferType::Data,
        flags: BufferFlags::empty(),
        data: BufferData::Ref(b"x"),
    };
    assert_eq!(
        kind(client.encrypt(0, &mut [plain, SecBuffer::token(&mut token)])),
        ErrorKind::InvalidToken
    );
}

#[test]
fn stream_decrypt_points_data_into_the_stream() {
    let (mut client, mut server) = pair(flags(V2_FLAGS));
    let mut stream = client.wrap(b"streamed message").unwrap();
    {
        let mut bufs = [SecBuffer::stream(&mut stream), SecBuffer::data(&mut [])];
        assert_eq!(server.decrypt(&mut bufs).unwrap(), 0);
        assert_eq!(bufs[0].data.len(), MAX_SIGNATURE);
        assert_eq!(bufs[1].data.as_slice(), b"streamed message");
    }
    assert_eq!(&stream[16..], b"streamed message");

    // The allocation-free shape of the same thing.
    let mut token = client.wrap(b"second").unwrap();
    assert_eq!(server.unwrap_in_place(&mut token).unwrap(), b"second");

    // A stream without a DATA buffer to receive the plaintext is malformed.
    let mut stream = client.wrap(b"third").unwrap();
    assert_eq!(
        kind(server.decrypt(&mut [SecBuffer::stream(&mut stream)])),
        ErrorKind::InvalidToken
    );
}

#[test]
fn padding_is_left_alone() {
    let (mut client, mut server) = pair(flags(V2_FLAGS));
    let mut data = *b"padded";
    let mut token = [0u8; 16];
    let mut pad = [0xAAu8; 4];
    client
        .encrypt(
            0,
            &mut [
                SecBuffer::data(&mut data),
                SecBuffer::token(&mut token),
                SecBuffer::padding(&mut pad),
            ],
        )
        .unwrap();
    assert_eq!(pad, [0xAA; 4]);
    pad = [0xBB; 4];
    server
        .decrypt(&mut [
            SecBuffer::padding(&mut pad),
            SecBuffer::data(&mut data),
            SecBuffer::token(&mut token),
        ])
        .unwrap();
    assert_eq!(&data, b"padded");
    assert_eq!(pad, [0xBB; 4]);
}

#[test]
fn qop_values() {
    let (mut client, mut server) = pair(flags(V2_FLAGS));
    let mut data = *b"q";
    let mut token = [0u8; 16];
    let r = client.encrypt(5, &mut [SecBuffer::data(&mut data), SecBuffer::token(&mut token)]);
    assert_eq!(kind(r), ErrorKind::QopNotSupported);

    // SECQOP_WRAP_NO_ENCRYPT on a sign-only session: data in clear, decrypt reports it.
    let (mut client, mut server2) = pair(flags(V2_FLAGS) - NegotiateFlags::SEAL);
    let mut data = *b"clear text";
    let mut token = [0u8; 16];
    client
        .encrypt(
            SECQOP_WRAP_NO_ENCRYPT,
            &mut [SecBuffer::data(&mut data), SecBuffer::token(&mut token)],
        )
        .unwrap();
    assert_eq!(&data, b"clear text");
    let qop =
        server2.decrypt(&mut [SecBuffer::data(&mut data), SecBuffer::token(&mut token)]).unwrap();
    assert_eq!(qop, SECQOP_WRAP_NO_ENCRYPT);
    // The sealing server is still at sequence 0 and usable.
    let (mut c, _) = pair(flags(V2_FLAGS));
    let token = c.wrap(b"ok").unwrap();
    assert_eq!(server.unwrap(&token).unwrap(), b"ok");
}

#[test]
fn always_sign_without_sign_gives_the_dummy_signature() {
    let f = NegotiateFlags::ALWAYS_SIGN
        | NegotiateFlags::EXTENDED_SESSIONSECURITY
        | NegotiateFlags::NTLM;
    let (mut client, mut server) = pair(f);
    assert_eq!(client.sign(b"m").unwrap(), Signature::DUMMY);
    assert_eq!(client.sign(b"m").unwrap(), Signature::DUMMY);
    server.verify(b"anything", &Signature::DUMMY).unwrap();
    assert_eq!(kind(client.seal_in_place(&mut [0u8; 4])), ErrorKind::UnsupportedFunction);
    let token = client.wrap(b"clear").unwrap();
    assert_eq!(token, [&Signature::DUMMY.0[..], b"clear"].concat());
    assert_eq!(server.unwrap(&token).unwrap(), b"clear");
    let mut forged = Signature::DUMMY;
    forged.0[15] = 1;
    assert_eq!(kind(server.verify(b"m", &forged)), ErrorKind::MessageAltered);

    // Non-ESS with no SIGN/SEAL needs no legacy crypto either.
    let (mut client, _) = pair(NegotiateFlags::ALWAYS_SIGN | NegotiateFlags::NTLM);
    assert_eq!(client.sign(b"m").unwrap(), Signature::DUMMY);

    let (mut client, mut server) =
        pair(NegotiateFlags::EXTENDED_SESSIONSECURITY | NegotiateFlags::NTLM);
    assert_eq!(kind(client.sign(b"m")), ErrorKind::UnsupportedFunction);
    assert_eq!(kind(client.wrap(b"m")), ErrorKind::UnsupportedFunction);
    assert_eq!(kind(server.verify(b"m", &Signature::DUMMY)), ErrorKind::UnsupportedFunction);
}

#[test]
fn rc4_reset_after_mech_list_mic() {
    // SPNEGO: the mechListMIC is signed with sequence 0, both sides reset RC4, the first
    // application message carries sequence 1 (interop protocol, MS-SPNG 3.3.5.1).
    let f = flags(V2_FLAGS);
    let (mut client, mut server) = pair(f);
    let mic = client.sign(b"mech list").unwrap();
    server.verify(b"mech list", &mic).unwrap();
    let mic = server.sign(b"mech list").unwrap();
    client.verify(b"mech list", &mic).unwrap();
    for s in [&mut client, &mut server] {
        s.reset_rc4_for_mech_list_mic().unwrap();
    }
    let token = client.wrap(b"first application message").unwrap();
    assert_eq!(token[12..16], 1u32.to_le_bytes());
    assert_eq!(server.unwrap(&token).unwrap(), b"first application message");
    let token = server.wrap(b"reply").unwrap();
    assert_eq!(client.unwrap(&token).unwrap(), b"reply");

    // A peer that did not reset cannot read it.
    let (mut client, mut server) = pair(f);
    let mic = client.sign(b"mech list").unwrap();
    server.verify(b"mech list", &mic).unwrap();
    client.reset_rc4_for_mech_list_mic().unwrap();
    let token = client.wrap(b"first application message").unwrap();
    assert_eq!(kind(server.unwrap(&token)), ErrorKind::MessageAltered);
}

/// The reset rewinds the keystream the mechListMIC used; a session whose history it cannot
/// rewind (imported, or past 256 keystream bytes) is keyed again. Both land on the same
/// state, so the two kinds of peer read each other.
#[test]
fn rc4_reset_rewinds_and_rekeys_alike() {
    for sealed_first in [0usize, 300] {
        let (mut client, mut server) = pair(flags(V2_FLAGS));
        if sealed_first > 0 {
            let mut data = bytes(sealed_first, 9);
            let sig = client.seal_in_place(&mut data).unwrap();
            server.unseal_in_place(&mut data, &sig).unwrap();
        }
        let mic = client.sign(b"mech list").unwrap();
        server.verify(b"mech list", &mic).unwrap();
        let mic = server.sign(b"mech list").unwrap();
        client.verify(b"mech list", &mic).unwrap();
        let mut imported = Session::import(server.export().unwrap().as_bytes()).unwrap();
        for s in [&mut client, &mut server, &mut imported] {
            s.reset_rc4_for_mech_list_mic().unwrap();
        }
        let (a, b) = (server.export().unwrap(), imported.export().unwrap());
        assert_eq!(a.as_bytes(), b.as_bytes(), "sealed first: {sealed_first}");
        let token = client.wrap(b"first application message").unwrap();
        assert_eq!(imported.unwrap(&token).unwrap(), b"first application message");
        let token = imported.wrap(b"reply").unwrap();
        assert_eq!(client.unwrap(&token).unwrap(), b"reply");
    }

    // Datagram mode keys the handle with SealingKey' = MD5(SealingKey || seq) for every
    // message: the reset goes back to SealingKey's state, not to SealingKey''s.
    let (mut client, _) = pair(flags(V2_FLAGS) | NegotiateFlags::DATAGRAM);
    let fresh = client.export().unwrap();
    client.sign_with_seq(7, b"mech list").unwrap();
    assert_ne!(client.export().unwrap().as_bytes(), fresh.as_bytes());
    client.reset_rc4_for_mech_list_mic().unwrap();
    assert_eq!(client.export().unwrap().as_bytes(), fresh.as_bytes());
}

/// RC4Init runs on a handle's first use, yet an export before then carries each
/// direction's keyed state (SEALKEY, MS-NLMP 3.4.5.3), so the imported session reads and
/// writes the peer's messages.
#[test]
fn unused_session_exports_its_keyed_rc4_states() {
    use sspi_proto::ntlm::crypto::{Direction, Rc4, seal_key};
    let f = flags(V2_FLAGS);
    let (client, mut server) = pair(f);
    let exported = client.export().unwrap();
    let bytes = exported.as_bytes();
    let key = SessionKey::from_bytes(KEY);
    let expected: Vec<u8> = [Direction::ClientToServer, Direction::ServerToClient]
        .into_iter()
        .flat_map(|d| Rc4::new(seal_key(f, &key, d).as_bytes()).unwrap().export_state().to_vec())
        .collect();
    assert_eq!(bytes[bytes.len() - expected.len()..], expected[..]);
    let mut imported = Session::import(bytes).unwrap();
    let token = imported.wrap(b"hello").unwrap();
    assert_eq!(server.unwrap(&token).unwrap(), b"hello");
    let token = server.wrap(b"back").unwrap();
    assert_eq!(imported.unwrap(&token).unwrap(), b"back");
}

#[test]
fn split_halves_work_across_threads() {
    let (client, server) = pair(flags(V2_FLAGS));
    let (mut c_send, mut c_recv) = client.split().unwrap();
    let (mut s_send, mut s_recv) = server.split().unwrap();
    let (to_server, at_server) = std::sync::mpsc::channel::<Vec<u8>>();
    let (to_client, at_client) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for i in 0..50u32 {
                to_server.send(c_send.wrap(&i.to_le_bytes()).unwrap()).unwrap();
            }
        });
        scope.spawn(move || {
            for i in 0..50u32 {
                to_client.send(s_send.wrap(&(1000 + i).to_le_bytes()).unwrap()).unwrap();
            }
        });
        scope.spawn(move || {
            for i in 0..50u32 {
                let mut token = at_server.recv().unwrap();
                assert_eq!(s_recv.unwrap_in_place(&mut token).unwrap(), i.to_le_bytes());
            }
        });
        scope.spawn(move || {
            for i in 0..50u32 {
                let token = at_client.recv().unwrap();
                assert_eq!(c_recv.unwrap(&token).unwrap(), (1000 + i).to_le_bytes());
            }
        });
    });
}

#[cfg(feature = "legacy-ntlmv1")]
#[test]
fn non_ess_sessions_do_not_split() {
    let (client, _) = pair(flags(0xE202_8233));
    assert_eq!(kind(client.split()), ErrorKind::UnsupportedFunction);
    // MS-NLMP 3.4.3: connectionless sealing needs ESS.
    let f = flags(0xE202_8233) | NegotiateFlags::DATAGRAM;
    let r = Session::new(SessionParams {
        flags: f,
        exported_session_key: SessionKey::from_bytes(KEY),
        role: Role::Client,
    });
    assert_eq!(kind(r), ErrorKind::UnsupportedFunction);
}

#[cfg(not(feature = "legacy-ntlmv1"))]
#[test]
fn non_ess_signing_needs_the_legacy_feature() {
    let r = Session::new(SessionParams {
        flags: flags(0xE202_8233),
        exported_session_key: SessionKey::from_bytes(KEY),
        role: Role::Client,
    });
    assert_eq!(kind(r), ErrorKind::UnsupportedFunction);
}

#[test]
fn debug_never_prints_keys_and_sizes_match_sspi() {
    let params = SessionParams {
        flags: flags(V2_FLAGS),
        exported_session_key: SessionKey::from_bytes(KEY),
        role: Role::Client,
    };
    let text = format!("{params:?} {:?}", Session::new(params.clone()).unwrap());
    assert!(!text.contains("55") && !text.contains("85, 85"), "{text}");
    let (send, recv) = Session::new(params).unwrap().split().unwrap();
    let text = format!("{send:?} {recv:?}");
    assert!(!text.contains("85, 85"), "{text}");
    let s = sizes();
    assert_eq!((s.max_token, s.max_signature, s.block_size, s.security_trailer), (2888, 16, 0, 16));
    assert_eq!((MAX_SIGNATURE, SECURITY_TRAILER, BLOCK_SIZE), (16, 16, 0));
}

/// From 256 bytes a message in one buffer is sealed in one pass (HMAC-MD5 and RC4 stitched);
/// the same message split over two DATA buffers takes the generic path. Both must give the
/// same bytes and signatures, in both directions and for the message after, on each side of
/// the threshold.
#[test]
fn one_pass_seal_matches_the_generic_path() {
    for len in [0, 1, 63, 64, 251, 252, 255, 256, 257, 1019, 1020, 1024, 4096, 65_537] {
        let (mut one_tx, mut one_rx) = pair(flags(V2_FLAGS));
        let (mut split_tx, mut split_rx) = pair(flags(V2_FLAGS));
        for round in 0..2u64 {
            let msg = bytes(len, len as u64 * 3 + round);
            let mut whole = msg.clone();
            let mut whole_sig = [0u8; 16];
            one_tx
                .encrypt(0, &mut [SecBuffer::data(&mut whole), SecBuffer::token(&mut whole_sig)])
                .unwrap();
            let (mut left, mut right) = (msg[..len / 3].to_vec(), msg[len / 3..].to_vec());
            let mut split_sig = [0u8; 16];
            split_tx
                .encrypt(
                    0,
                    &mut [
                        SecBuffer::data(&mut left),
                        SecBuffer::data(&mut right),
                        SecBuffer::token(&mut split_sig),
                    ],
                )
                .unwrap();
            assert_eq!(whole_sig, split_sig, "signature, length {len}, round {round}");
            assert_eq!(whole, [&left[..], &right[..]].concat(), "ciphertext, length {len}");
            if len > 0 {
                assert_ne!(whole, msg, "encrypted, length {len}");
            }

            one_rx
                .decrypt(&mut [SecBuffer::data(&mut whole), SecBuffer::token(&mut whole_sig)])
                .unwrap();
            split_rx
                .decrypt(&mut [
                    SecBuffer::data(&mut left),
                    SecBuffer::data(&mut right),
                    SecBuffer::token(&mut split_sig),
                ])
                .unwrap();
            assert_eq!(whole, msg, "one-pass unseal, length {len}");
            assert_eq!([&left[..], &right[..]].concat(), msg, "generic unseal, length {len}");
        }
    }
}

/// A flipped byte anywhere is caught on the one-pass path, and the buffer is wiped: in the
/// first block (hashed from a copy), in a block hashed where it lies, and in the tail.
#[test]
fn one_pass_unseal_rejects_a_flipped_byte_anywhere() {
    for len in [1, 63, 64, 256, 257, 1024, 4099] {
        let positions = [0, 59, 60, 123, 124, len / 2, len - 1];
        for at in positions.into_iter().filter(|&at| at < len) {
            // A fresh pair each time: a rejection closes the receiving direction.
            let (mut tx, mut rx) = pair(flags(V2_FLAGS));
            let mut data = bytes(len, 9);
            let mut sig = [0u8; 16];
            tx.encrypt(0, &mut [SecBuffer::data(&mut data), SecBuffer::token(&mut sig)]).unwrap();
            data[at] ^= 1;
            let err = rx.decrypt(&mut [SecBuffer::data(&mut data), SecBuffer::token(&mut sig)]);
            assert_eq!(kind(err), ErrorKind::MessageAltered, "length {len}, byte {at}");
            assert!(
                data.iter().all(|&b| b == 0),
                "rejected message wiped, length {len}, byte {at}"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, failure_persistence: None, ..Default::default() })]

    /// The same as `one_pass_seal_matches_the_generic_path` at random lengths and split
    /// points: sealing, then unsealing each way (one buffer, two buffers) on the other side.
    #[test]
    fn one_pass_and_split_seal_agree(len in 0usize..6000, cut in 0usize..6000, seed: u64) {
        let cut = cut.min(len);
        let (mut one, mut one_rx) = pair(flags(V2_FLAGS));
        let (mut split, mut split_rx) = pair(flags(V2_FLAGS));
        let msg = bytes(len, seed);
        let mut whole = msg.clone();
        let mut whole_sig = [0u8; 16];
        one.encrypt(0, &mut [SecBuffer::data(&mut whole), SecBuffer::token(&mut whole_sig)]).unwrap();
        let (mut left, mut right) = (msg[..cut].to_vec(), msg[cut..].to_vec());
        let mut split_sig = [0u8; 16];
        split
            .encrypt(
                0,
                &mut [SecBuffer::data(&mut left), SecBuffer::data(&mut right), SecBuffer::token(&mut split_sig)],
            )
            .unwrap();
        proptest::prop_assert_eq!(whole_sig, split_sig);
        proptest::prop_assert_eq!(&whole, &[&left[..], &right[..]].concat());

        // The one-pass receiver takes the split sender's message whole, and the generic
        // receiver takes the one-pass sender's message split.
        let mut joined = [&left[..], &right[..]].concat();
        one_rx.decrypt(&mut [SecBuffer::data(&mut joined), SecBuffer::token(&mut split_sig)]).unwrap();
        proptest::prop_assert_eq!(&joined, &msg);
        let (mut left, mut right) = (whole[..cut].to_vec(), whole[cut..].to_vec());
        split_rx
            .decrypt(&mut [SecBuffer::data(&mut left), SecBuffer::data(&mut right), SecBuffer::token(&mut whole_sig)])
            .unwrap();
        proptest::prop_assert_eq!([&left[..], &right[..]].concat(), msg);
    }
}
