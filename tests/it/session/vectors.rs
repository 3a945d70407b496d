//! MS-NLMP 4.2.x.4 GSS_WrapEx examples, produced through the public `Session` API.

use super::*;

fn plaintext() -> Vec<u8> {
    "Plaintext".encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Seals "Plaintext" as the client and checks data and signature; then the server
/// session (the opposite keys) must unseal the same bytes, and `wrap` must agree.
fn check_wrap_ex(flags: NegotiateFlags, key: [u8; 16], data: &str, signature: &str) {
    let mut client = session(flags, Role::Client, key);
    let mut sealed = plaintext();
    let sig = client.seal_in_place(&mut sealed).unwrap();
    assert_eq!(sealed, hex(data));
    assert_eq!(sig.0.to_vec(), hex(signature));

    let mut server = session(flags, Role::Server, key);
    server.unseal_in_place(&mut sealed, &sig).unwrap();
    assert_eq!(sealed, plaintext());

    let token = session(flags, Role::Client, key).wrap(&plaintext()).unwrap();
    assert_eq!(token, [hex(signature), hex(data)].concat());
    assert_eq!(session(flags, Role::Server, key).unwrap(&token).unwrap(), plaintext());
}

#[test]
fn ntlmv2_gss_wrapex_4_2_4_4() {
    check_wrap_ex(
        flags(V2_FLAGS),
        KEY,
        "54e50165bf1936dc996020c1811b0f06fb5f",
        "010000007fb38ec5c55d497600000000",
    );
}

#[test]
fn ntlmv2_gss_wrapex_4_2_4_4_without_key_exch() {
    // Without KEY_EXCH the checksum is not RC4'd, but the data still is.
    check_wrap_ex(
        flags(V2_FLAGS) - NegotiateFlags::KEY_EXCH,
        KEY,
        "54e50165bf1936dc996020c1811b0f06fb5f",
        "0100000070352851f256430900000000",
    );
}

#[test]
fn ntlmv1_ess_gss_wrapex_4_2_3_4() {
    // No KEY_EXCH: the exported session key is the KeyExchangeKey.
    let kxkey: [u8; 16] = hex("eb93429a8bd952f8b89c55b87f475edc").try_into().unwrap();
    check_wrap_ex(
        flags(0x820A_8233),
        kxkey,
        "a02372f6530273f3aa1eb90190ce5200c99d",
        "01000000ff2aeb52f681793a00000000",
    );
}

#[cfg(feature = "legacy-ntlmv1")]
#[test]
fn ntlmv1_gss_wrapex_4_2_2_4() {
    // MS-NLMP 4.2.2.4 prints RandomPad as RC4(0) = 45c844e5; 3.4.4.1 says "Set RandomPad
    // to 0" and Windows writes zeros, which is what we send.
    check_wrap_ex(
        flags(0xE202_8233),
        KEY,
        "56fe04d861f9319af0d7238a2e3b4d457fb8",
        "010000000000000009dcd1df2e459d36",
    );
    // A peer that follows the printed example (RC4'd pad) is accepted: the pad is ignored.
    let mut server = session(flags(0xE202_8233), Role::Server, KEY);
    let mut data = hex("56fe04d861f9319af0d7238a2e3b4d457fb8");
    let sig = Signature::from_slice(&hex("0100000045c844e509dcd1df2e459d36")).unwrap();
    server.unseal_in_place(&mut data, &sig).unwrap();
    assert_eq!(data, plaintext());
}

#[test]
fn signature_sequence_numbers_count_up_from_zero() {
    let (mut client, _) = pair(flags(V2_FLAGS) - NegotiateFlags::KEY_EXCH);
    for n in 0u32..3 {
        let sig = client.sign(b"m").unwrap();
        assert_eq!(sig.0[..4], [1, 0, 0, 0]);
        assert_eq!(sig.0[12..], n.to_le_bytes());
    }
}

/// Connectionless ESS signing and sealing (MS-NLMP 3.4, 3.4.4.2, 3.4.5.3) recomputed from
/// the spec's formulas with other crates' primitives (`md-5`, `hmac` and `rc4`; the library
/// uses the first two for MD5 and HMAC-MD5, but none of its key derivations, RC4, or the
/// one-pass HMAC-MD5 + RC4 path of messages from 256 bytes): SIGNKEY and SEALKEY from the
/// magic constants (SEALKEY from the 128-, 56- or 40-bit weakened key), SealingKey' =
/// MD5(SealingKey ‖ SeqNum) for every message, RC4 over the message, then over the checksum
/// on the same handle. Both directions, sender and receiver, out-of-order and repeated
/// sequence numbers, KEY_EXCH on and off.
#[test]
fn datagram_messages_follow_the_spec_formulas() {
    use hmac::{Hmac, Mac};
    use md5::{Digest, Md5};
    use rc4::{KeyInit, StreamCipher};

    // Sixteen different bytes, so that a weakened key taken from the wrong end shows.
    const DKEY: [u8; 16] = *b"\x01\x12\x23\x34\x45\x56\x67\x78\x89\x9a\xab\xbc\xcd\xde\xef\xf0";

    fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
        let mut h = Md5::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }
    /// (message RC4'd when `seal`, signature) by the spec, for the direction `dir`
    /// ("client-to-server" or "server-to-client") and the first `bits / 8` key bytes.
    fn expected(
        dir: &str,
        bits: usize,
        key_exch: bool,
        seal: bool,
        seq: u32,
        msg: &[u8],
    ) -> (Vec<u8>, Vec<u8>) {
        let magic = |kind: &str| format!("session key to {dir} {kind} key magic constant\0");
        let sign_key = md5_of(&[&DKEY, magic("signing").as_bytes()]);
        let weakened = &DKEY[..bits / 8];
        let seal_key = md5_of(&[weakened, magic("sealing").as_bytes()]);
        let per_message = md5_of(&[&seal_key, &seq.to_le_bytes()]);
        let mut rc4 = rc4::Rc4::new_from_slice(&per_message).unwrap();
        let mut data = msg.to_vec();
        if seal {
            rc4.apply_keystream(&mut data);
        }
        let mut hmac = <Hmac<Md5> as KeyInit>::new_from_slice(&sign_key).unwrap();
        hmac.update(&seq.to_le_bytes());
        hmac.update(msg);
        let mut checksum = hmac.finalize().into_bytes()[..8].to_vec();
        if key_exch {
            rc4.apply_keystream(&mut checksum);
        }
        (data, [&1u32.to_le_bytes()[..], &checksum, &seq.to_le_bytes()].concat())
    }

    /// `sender` seals and signs `msg` as the spec says, and `receiver` accepts both.
    fn check(
        (dir, bits, key_exch): (&str, usize, bool),
        seq: u32,
        msg: &[u8],
        sender: &mut Session,
        receiver: &mut Session,
    ) {
        let at = format!("{dir} {bits}-bit seq {seq} len {} key_exch {key_exch}", msg.len());
        let (sealed, seal_sig) = expected(dir, bits, key_exch, true, seq, msg);
        let mut data = msg.to_vec();
        let sig = sender.seal_in_place_with_seq(seq, &mut data).unwrap();
        assert_eq!((&data, sig.0.to_vec()), (&sealed, seal_sig.clone()), "seal {at}");
        let sig = Signature::from_slice(&seal_sig).unwrap();
        receiver.unseal_in_place_with_seq(seq, &mut data, &sig).unwrap();
        assert_eq!(data, msg, "unseal {at}");

        let (_, sign_sig) = expected(dir, bits, key_exch, false, seq, msg);
        assert_eq!(sender.sign_with_seq(seq, msg).unwrap().0.to_vec(), sign_sig, "sign {at}");
        let sig = Signature::from_slice(&sign_sig).unwrap();
        receiver.verify_with_seq(seq, msg, &sig).unwrap();
    }

    const STRENGTH: [(NegotiateFlags, usize); 3] = [
        (NegotiateFlags::NEGOTIATE_128, 128),
        (NegotiateFlags::NEGOTIATE_56, 56),
        (NegotiateFlags::empty(), 40),
    ];
    for key_exch in [true, false] {
        for (strength, bits) in STRENGTH {
            let mut f = flags(V2_FLAGS) | NegotiateFlags::DATAGRAM;
            f.remove(NegotiateFlags::NEGOTIATE_128 | NegotiateFlags::NEGOTIATE_56);
            f.insert(strength);
            f.set(NegotiateFlags::KEY_EXCH, key_exch);
            let mut client = session(f, Role::Client, DKEY);
            let mut server = session(f, Role::Server, DKEY);
            for (seq, len) in [(7u32, 9usize), (0, 300), (7, 9), (3, 0), (0xffff_fffe, 64)] {
                let msg = bytes(len, u64::from(seq) + len as u64);
                check(("client-to-server", bits, key_exch), seq, &msg, &mut client, &mut server);
                check(("server-to-client", bits, key_exch), seq, &msg, &mut server, &mut client);
            }
        }
    }
}
