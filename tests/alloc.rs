//! The in-place session paths never allocate. Its own test binary: the counting global
//! allocator (from `allocation-counter`, which counts the current thread only) must not be
//! installed in the other test binaries.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use sspi_proto::NegotiateFlags;
use sspi_proto::buffer::SecBuffer;
use sspi_proto::ntlm::crypto::SessionKey;
use sspi_proto::ntlm::session::{Role, SECQOP_WRAP_NO_ENCRYPT, Session, SessionParams};

fn session(flags: u32, role: Role) -> Session {
    Session::new(SessionParams {
        flags: NegotiateFlags::from_bits_retain(flags),
        exported_session_key: SessionKey::from_bytes([0x55; 16]),
        role,
    })
    .unwrap()
}

/// Runs `f` and asserts it made no heap allocation on this thread.
fn assert_no_alloc(what: &str, f: impl FnOnce()) {
    let info = allocation_counter::measure(f);
    assert_eq!(info.count_total, 0, "{what} allocated: {info:?}");
}

fn exercise(flags: u32) {
    let mut client = session(flags, Role::Client);
    let mut server = session(flags, Role::Server);
    let datagram = flags & NegotiateFlags::DATAGRAM.bits() != 0;
    let msg = [7u8; 300];
    let header = [9u8; 24];

    for round in 0..3u32 {
        let mut sig = None;
        assert_no_alloc("sign", || {
            sig = Some(
                if datagram { client.sign_with_seq(round, &msg) } else { client.sign(&msg) }
                    .unwrap(),
            );
        });
        let sig = sig.unwrap();
        assert_no_alloc("verify", || {
            if datagram {
                server.verify_with_seq(round, &msg, &sig)
            } else {
                server.verify(&msg, &sig)
            }
            .unwrap();
        });

        let mut data = msg;
        let mut sig = None;
        assert_no_alloc("seal_in_place", || {
            sig = Some(
                if datagram {
                    client.seal_in_place_with_seq(round, &mut data)
                } else {
                    client.seal_in_place(&mut data)
                }
                .unwrap(),
            );
        });
        let sig = sig.unwrap();
        assert_no_alloc("unseal_in_place", || {
            if datagram {
                server.unseal_in_place_with_seq(round, &mut data, &sig)
            } else {
                server.unseal_in_place(&mut data, &sig)
            }
            .unwrap();
        });
        assert_eq!(data, msg);

        let mut data = msg;
        let mut token = [0u8; 16];
        let mut pad = [0u8; 8];
        assert_no_alloc("encrypt", || {
            let mut bufs = [
                SecBuffer::read_only_with_checksum(&header),
                SecBuffer::data(&mut data),
                SecBuffer::token(&mut token),
                SecBuffer::padding(&mut pad),
            ];
            if datagram {
                client.encrypt_with_seq(0, round, &mut bufs)
            } else {
                client.encrypt(0, &mut bufs)
            }
            .unwrap();
        });
        assert_no_alloc("decrypt", || {
            let mut bufs = [
                SecBuffer::read_only_with_checksum(&header),
                SecBuffer::data(&mut data),
                SecBuffer::token(&mut token),
            ];
            let qop = if datagram {
                server.decrypt_with_seq(round, &mut bufs)
            } else {
                server.decrypt(&mut bufs)
            };
            assert_eq!(qop.unwrap(), 0);
        });
        assert_eq!(data, msg);

        let mut stream = [0u8; 16 + 300];
        stream[16..].copy_from_slice(&msg);
        assert_no_alloc("wrap_in_place", || {
            if datagram {
                client.wrap_in_place_with_seq(round, &mut stream)
            } else {
                client.wrap_in_place(&mut stream)
            }
            .unwrap();
        });
        assert_no_alloc("decrypt STREAM", || {
            let mut bufs = [SecBuffer::stream(&mut stream), SecBuffer::data(&mut [])];
            if datagram {
                server.decrypt_with_seq(round, &mut bufs)
            } else {
                server.decrypt(&mut bufs)
            }
            .unwrap();
            assert_eq!(bufs[1].data.as_slice(), &msg[..]);
        });
    }

    // Rejections do not allocate either.
    let mut data = msg;
    let sig = client.seal_in_place_with_seq_or(datagram, 99, &mut data);
    data[0] ^= 1;
    assert_no_alloc("rejected unseal", || {
        let r = if datagram {
            server.unseal_in_place_with_seq(99, &mut data, &sig)
        } else {
            server.unseal_in_place(&mut data, &sig)
        };
        assert!(r.is_err());
    });
}

trait SealEither {
    fn seal_in_place_with_seq_or(
        &mut self,
        datagram: bool,
        seq: u32,
        data: &mut [u8],
    ) -> sspi_proto::ntlm::crypto::Signature;
}

impl SealEither for Session {
    fn seal_in_place_with_seq_or(
        &mut self,
        datagram: bool,
        seq: u32,
        data: &mut [u8],
    ) -> sspi_proto::ntlm::crypto::Signature {
        if datagram { self.seal_in_place_with_seq(seq, data) } else { self.seal_in_place(data) }
            .unwrap()
    }
}

#[test]
fn the_counter_counts() {
    let info = allocation_counter::measure(|| {
        std::hint::black_box(vec![1u8; 10]);
    });
    assert_eq!(info.count_total, 1);
    // `wrap` returns a vector: exactly that one allocation.
    let mut client = session(0xE28A_8233, Role::Client);
    let info = allocation_counter::measure(|| {
        std::hint::black_box(client.wrap(b"allocates its token").unwrap());
    });
    assert_eq!(info.count_total, 1);
}

#[test]
fn in_place_paths_do_not_allocate() {
    // 4.2.4 NTLMv2 flags (KEY_EXCH, ESS, SIGN, SEAL), without KEY_EXCH, and datagram.
    exercise(0xE28A_8233);
    exercise(0xA28A_8233);
    exercise(0xE28A_8233 | NegotiateFlags::DATAGRAM.bits());
    #[cfg(feature = "legacy-ntlmv1")]
    exercise(0xE202_8233);
}

#[test]
fn sign_only_encrypt_does_not_allocate() {
    let flags = 0xE28A_8233 & !NegotiateFlags::SEAL.bits();
    let mut client = session(flags, Role::Client);
    let mut server = session(flags, Role::Server);
    let mut data = [1u8; 64];
    let mut token = [0u8; 16];
    assert_no_alloc("encrypt WRAP_NO_ENCRYPT", || {
        let mut bufs = [SecBuffer::data(&mut data), SecBuffer::token(&mut token)];
        client.encrypt(SECQOP_WRAP_NO_ENCRYPT, &mut bufs).unwrap();
    });
    assert_no_alloc("decrypt sign-only", || {
        let mut bufs = [SecBuffer::data(&mut data), SecBuffer::token(&mut token)];
        assert_eq!(server.decrypt(&mut bufs).unwrap(), SECQOP_WRAP_NO_ENCRYPT);
    });
}
