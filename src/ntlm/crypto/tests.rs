//! Every MS-NLMP §4.2 crypto vector, byte for byte (values from shared/vectors/ms-nlmp.md).

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn h16(s: &str) -> [u8; 16] {
    hex(s).try_into().unwrap()
}

const SERVER_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
const CLIENT_CHALLENGE: [u8; 8] = [0xaa; 8];
const RANDOM_SESSION_KEY: [u8; 16] = [0x55; 16];

fn plaintext() -> Vec<u8> {
    crate::codec::string_to_utf16le("Plaintext")
}

/// MS-NLMP 4.2.4.1.3 temp.
const TEMP: &str = "01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000";

#[test]
fn ntowf_v1_4_2_2_1_2() {
    assert_eq!(
        NtHash::from_password("Password").as_bytes(),
        &h16("a4f49c406510bdcab6824ee7c30fd852")
    );
}

#[test]
fn ntowf_v2_4_2_4_1_1() {
    let key = ntowf_v2(&NtHash::from_password("Password"), "User", "Domain");
    assert_eq!(key.as_bytes(), &h16("0c868a403bfd7a93a3001ef22ef02e3f"));
    // Only the user is uppercased; the domain is taken as given.
    let other = ntowf_v2(&NtHash::from_password("Password"), "user", "Domain");
    assert_eq!(other.as_bytes(), key.as_bytes());
    let lower_domain = ntowf_v2(&NtHash::from_password("Password"), "User", "domain");
    assert_ne!(lower_domain.as_bytes(), key.as_bytes());
}

#[test]
fn ntlmv2_responses_4_2_4_2() {
    let key = ntowf_v2(&NtHash::from_password("Password"), "User", "Domain");
    let temp = hex(TEMP);
    assert_eq!(
        lmv2_response(&key, &SERVER_CHALLENGE, &CLIENT_CHALLENGE).to_vec(),
        hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
    );
    let proof = nt_proof_str(&key, &SERVER_CHALLENGE, &temp);
    assert_eq!(proof, h16("68cd0ab851e51c96aabc927bebef6a1c"));
    let response = ntlmv2_response(&key, &SERVER_CHALLENGE, &temp);
    assert_eq!(&response[..16], &proof);
    assert_eq!(&response[16..], &temp[..]);
    let base = session_base_key_v2(&key, &proof);
    assert_eq!(base.as_bytes(), &h16("8de40ccadbc14a82f15cb0ad0de95ca3"));
    let exported = SessionKey::from_bytes(RANDOM_SESSION_KEY);
    let encrypted = encrypt_session_key(&base, &exported).unwrap();
    assert_eq!(encrypted, h16("c5dad2544fc9799094ce1ce90bc9d03e"));
    assert_eq!(decrypt_session_key(&base, &encrypted).unwrap(), exported);
}

const ESS_V2_FLAGS: u32 = 0xE28A_8233;

#[test]
fn ntlmv2_keys_4_2_4_4_and_derived() {
    let flags = NegotiateFlags::from_bits_retain(ESS_V2_FLAGS);
    let k = SessionKey::from_bytes(RANDOM_SESSION_KEY);
    let c2s = Direction::ClientToServer;
    let s2c = Direction::ServerToClient;
    assert_eq!(sign_key(&k, c2s).as_bytes(), &h16("4788dc861b4782f35d43fd98fe1a2d39"));
    assert_eq!(sign_key(&k, s2c).as_bytes(), &h16("d04d6f10741041d1d246d64188d7a8ad"));
    assert_eq!(seal_key(flags, &k, c2s).as_bytes(), &h16("59f600973cc4960a25480a7c196e4c58"));
    assert_eq!(seal_key(flags, &k, s2c).as_bytes(), &h16("9355f3a957c1583d25c4c2f11e40390e"));
    let f56 = flags - NegotiateFlags::NEGOTIATE_128;
    assert_eq!(seal_key(f56, &k, c2s).as_bytes(), &h16("a5f7253c1065e8d3d68642040e71cfe0"));
    assert_eq!(seal_key(f56, &k, s2c).as_bytes(), &h16("583e2f98959b385cd158f3734b5f5d3f"));
    let f40 = f56 - NegotiateFlags::NEGOTIATE_56;
    assert_eq!(seal_key(f40, &k, c2s).as_bytes(), &h16("42f964a471091a02ff4a77455366e4e5"));
    assert_eq!(seal_key(f40, &k, s2c).as_bytes(), &h16("c5d3853b406b7c1241c595f0ce0750e2"));
    // Non-ESS LM_KEY / DATAGRAM keys are 8 bytes.
    let lm56 = NegotiateFlags::LM_KEY | NegotiateFlags::NEGOTIATE_56;
    assert_eq!(seal_key(lm56, &k, c2s).as_bytes(), &hex("55555555555555a0")[..]);
    let dg40 = NegotiateFlags::DATAGRAM;
    assert_eq!(seal_key(dg40, &k, c2s).as_bytes(), &hex("5555555555e538b0")[..]);
    // Neither ESS nor LM_KEY/DATAGRAM: the exported key itself (MS-NLMP 4.2.2.4).
    let plain = NegotiateFlags::from_bits_retain(0xE202_8233);
    assert_eq!(seal_key(plain, &k, c2s).as_bytes(), &RANDOM_SESSION_KEY[..]);
}

#[test]
fn ntlmv2_gss_wrapex_4_2_4_4() {
    let flags = NegotiateFlags::from_bits_retain(ESS_V2_FLAGS);
    let k = SessionKey::from_bytes(RANDOM_SESSION_KEY);
    let signer = hmac_md5_keyed(sign_key(&k, Direction::ClientToServer).as_bytes());
    let mut rc4 = Rc4::new(seal_key(flags, &k, Direction::ClientToServer).as_bytes()).unwrap();
    let message = plaintext();
    let mut data = message.clone();
    rc4.apply(&mut data);
    assert_eq!(data, hex("54e50165bf1936dc996020c1811b0f06fb5f"));
    let sig = ess_signature(&signer, Some(&mut rc4), 0, [message.as_slice()]);
    assert_eq!(sig.as_bytes(), &h16("010000007fb38ec5c55d497600000000"));
    // Without KEY_EXCH the checksum is not RC4'd.
    let plain = ess_signature(&signer, None, 0, [message.as_slice()]);
    assert_eq!(plain.as_bytes(), &h16("0100000070352851f256430900000000"));
    // The message may arrive in parts (SSPI buffers).
    let (a, b) = message.split_at(5);
    assert_eq!(ess_signature(&signer, None, 0, [a, b]), plain);
}

#[test]
fn mic_is_hmac_md5_over_the_three_messages() {
    // Independently computed: Python hmac.new(b"\x55"*16, ..., md5).
    let k = SessionKey::from_bytes(RANDOM_SESSION_KEY);
    assert_eq!(
        mic(&k, b"negotiate", b"challenge", b"authenticate"),
        h16("62c615c5c376c9fa9600a21991b6c028")
    );
}

#[test]
fn channel_binding_hash_layout() {
    // Independently computed: MD5(Z(16) ‖ len LE ‖ "tls-server-end-point:" ‖ 00..1f).
    let mut app = b"tls-server-end-point:".to_vec();
    app.extend(0u8..32);
    let cb = ChannelBindings::from_application_data(&app);
    assert_eq!(cb.to_bytes().len(), 20 + app.len());
    assert_eq!(cb.hash(), h16("8f1214c9c9cab8dc3bf866da9aba57a7"));
}

#[test]
fn captured_windows_ntproofstr_verifies_from_nt_hash() {
    // NtChallengeResponse of the captured Windows AUTHENTICATE (len 0x17c at offset 0xac).
    let auth = hex(concat!(
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
    ));
    let nt = &auth[0xac..0xac + 0x17c];
    let nt_hash = NtHash::from_password("P@ssw0rd");
    assert_eq!(nt_hash.as_bytes(), &h16("e19ccf75ee54e06b06a5907af13cef42"));
    let key = ntowf_v2(&nt_hash, "Administrator", "WS2008R2");
    let challenge: [u8; 8] = hex("a2c5e8ca3084aa72").try_into().unwrap();
    assert_eq!(&nt[..16], &h16("5a6a21ae1a44c044693eee59fc5d81e0"));
    assert_eq!(nt_proof_str(&key, &challenge, &nt[16..]), h16("5a6a21ae1a44c044693eee59fc5d81e0"));
    let wrong = ntowf_v2(&NtHash::from_password("P@ssw0rD"), "Administrator", "WS2008R2");
    assert_ne!(
        nt_proof_str(&wrong, &challenge, &nt[16..]),
        h16("5a6a21ae1a44c044693eee59fc5d81e0")
    );
}

#[test]
fn secrets_debug_is_redacted() {
    let k = SessionKey::from_bytes(RANDOM_SESSION_KEY);
    assert_eq!(format!("{k:?}"), "SessionKey(<redacted>)");
    let h = NtHash::from_password("Password");
    assert!(!format!("{h:?}").contains("a4"));
    let s = seal_key(NegotiateFlags::empty(), &k, Direction::ClientToServer);
    assert_eq!(format!("{s:?}"), "SealKey(<redacted>)");
}

#[test]
fn signature_parsing() {
    assert_eq!(Signature::DUMMY.as_bytes()[0], 1);
    assert!(Signature::from_slice(&[0; 15]).is_err());
    assert_eq!(Signature::from_slice(&[7; 16]).unwrap().0, [7; 16]);
}

#[cfg(feature = "legacy-ntlmv1")]
mod legacy_vectors {
    use super::*;

    const LM_RESPONSE: &str = "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13";

    #[test]
    fn lmowf_and_v1_responses_4_2_2() {
        let lm = LmHash::from_password("Password");
        assert_eq!(lm.as_bytes(), &h16("e52cac67419a9a224a3b108f3fa6cb6d"));
        let nt = NtHash::from_password("Password");
        assert_eq!(
            ntlmv1_response(&nt, &SERVER_CHALLENGE).to_vec(),
            hex("67c43011f30298a2ad35ece64f16331c44bdbed927841f94")
        );
        assert_eq!(lmv1_response(&lm, &SERVER_CHALLENGE).to_vec(), hex(LM_RESPONSE));
        assert_eq!(session_base_key_v1(&nt).as_bytes(), &h16("d87262b0cde4b1cb7499becccdf10784"));
    }

    #[test]
    fn kxkey_variants_and_encrypted_keys_4_2_2() {
        let lm = LmHash::from_password("Password");
        let base = session_base_key_v1(&NtHash::from_password("Password"));
        let lm_resp: [u8; 24] = hex(LM_RESPONSE).try_into().unwrap();
        let exported = SessionKey::from_bytes(RANDOM_SESSION_KEY);

        let plain = kxkey_v1(NegotiateFlags::empty(), &base, &lm, &lm_resp, &SERVER_CHALLENGE);
        assert_eq!(plain, base);
        assert_eq!(
            encrypt_session_key(&plain, &exported).unwrap(),
            h16("518822b1b3f350c8958682ecbb3e3cb7")
        );

        let lm_key = kxkey_v1(NegotiateFlags::LM_KEY, &base, &lm, &lm_resp, &SERVER_CHALLENGE);
        assert_eq!(lm_key.as_bytes(), &h16("b09e379f7fbecb1eaf0afdcb0383c8a0"));
        assert_eq!(
            encrypt_session_key(&lm_key, &exported).unwrap(),
            h16("4cd7bb57d697ef9b549f02b8f9b37864")
        );

        let non_nt = NegotiateFlags::REQUEST_NON_NT_SESSION_KEY;
        let non_nt = kxkey_v1(non_nt, &base, &lm, &lm_resp, &SERVER_CHALLENGE);
        assert_eq!(non_nt.as_bytes(), &h16("e52cac67419a9a220000000000000000"));
        assert_eq!(
            encrypt_session_key(&non_nt, &exported).unwrap(),
            h16("7452ca55c225a1ca04b48fae32cf56fc")
        );
    }

    #[test]
    fn ntlmv1_ess_4_2_3() {
        let nt = NtHash::from_password("Password");
        let lm = LmHash::from_password("Password");
        let response = ntlmv1_ess_response(&nt, &SERVER_CHALLENGE, &CLIENT_CHALLENGE);
        assert_eq!(response.to_vec(), hex("7537f803ae367128ca458204bde7caf81e97ed2683267232"));
        // MS-NLMP 3.3.1: with ESS the LM response is ClientChallenge ‖ Z(16).
        let mut lm_resp = [0u8; 24];
        lm_resp[..8].copy_from_slice(&CLIENT_CHALLENGE);
        assert_eq!(lm_resp.to_vec(), hex("aaaaaaaaaaaaaaaa00000000000000000000000000000000"));
        let base = session_base_key_v1(&nt);
        assert_eq!(base.as_bytes(), &h16("d87262b0cde4b1cb7499becccdf10784"));
        let flags = NegotiateFlags::from_bits_retain(0x820A_8233);
        let kx = kxkey_v1(flags, &base, &lm, &lm_resp, &SERVER_CHALLENGE);
        assert_eq!(kx.as_bytes(), &h16("eb93429a8bd952f8b89c55b87f475edc"));

        // 4.2.3.4 GSS_WrapEx: no KEY_EXCH, so the exported key is the KeyExchangeKey.
        let seal = seal_key(flags, &kx, Direction::ClientToServer);
        assert_eq!(seal.as_bytes(), &h16("04dd7f014d8504d265a25cc86a3a7c06"));
        let sign = sign_key(&kx, Direction::ClientToServer);
        assert_eq!(sign.as_bytes(), &h16("60e799be5c72fc92922ae8ebe961fb8d"));
        let mut rc4 = Rc4::new(seal.as_bytes()).unwrap();
        let message = plaintext();
        let mut data = message.clone();
        rc4.apply(&mut data);
        assert_eq!(data, hex("a02372f6530273f3aa1eb90190ce5200c99d"));
        let sig = ess_signature(&hmac_md5_keyed(sign.as_bytes()), None, 0, [message.as_slice()]);
        assert_eq!(sig.as_bytes(), &h16("01000000ff2aeb52f681793a00000000"));
    }

    #[test]
    fn non_ess_gss_wrapex_4_2_2_4() {
        let flags = NegotiateFlags::from_bits_retain(0xE202_8233);
        let k = SessionKey::from_bytes(RANDOM_SESSION_KEY);
        let mut rc4 = Rc4::new(seal_key(flags, &k, Direction::ClientToServer).as_bytes()).unwrap();
        let message = plaintext();
        let mut data = message.clone();
        rc4.apply(&mut data);
        assert_eq!(data, hex("56fe04d861f9319af0d7238a2e3b4d457fb8"));
        assert_eq!(crc32fast::hash(&message).to_le_bytes().to_vec(), hex("7d84aa93"));
        let sig = crc32_signature(&mut rc4, 0, [message.as_slice()]);
        // MS-NLMP 4.2.2.4 prints RandomPad as 45c844e5; Windows (and 3.4.4.1) zero it.
        assert_eq!(sig.as_bytes(), &h16("010000000000000009dcd1df2e459d36"));
    }
}

/// RFC 6229 section 2: keystream of the 40-bit key 0102030405 at offsets 0 and 16, and
/// of the 128-bit key 0102..10 at offset 0 (the first vectors of each key length).
#[test]
fn rc4_rfc_6229_keystreams() {
    let mut rc4 = Rc4::new(&hex("0102030405")).unwrap();
    let mut ks = [0u8; 32];
    rc4.apply(&mut ks);
    assert_eq!(
        ks.to_vec(),
        hex("b2396305f03dc027ccc3524a0a1118a8 6982944f18fc82d589c403a47a0d0919")
    );
    let mut rc4 = Rc4::new(&hex("0102030405060708090a0b0c0d0e0f10")).unwrap();
    let mut ks = [0u8; 16];
    rc4.apply(&mut ks);
    assert_eq!(ks.to_vec(), hex("9ac7cc9a609d1ef7b2932899cde41b97"));
    assert!(Rc4::new(&[]).is_err());
    assert!(Rc4::new(&[0u8; 257]).is_err());
    assert!(Rc4::new(&[0u8; 256]).is_ok());
    assert!(check_key(&[]).is_err());
    assert!(check_key(&[0u8; 257]).is_err());
    assert!(check_key(&[0u8; 1]).is_ok());
    // The unkeyed heap state holds the identity permutation (never zeros, which would pass
    // data through), and keyed in place gives the same stream.
    let mut boxed = Rc4::boxed_unkeyed();
    assert_eq!(boxed.export_state()[..256], *Rc4::unkeyed().export_state().get(..256).unwrap());
    assert!(boxed.export_state()[..256].iter().enumerate().all(|(k, &v)| usize::from(v) == k));
    boxed.rekey(&hex("0102030405060708090a0b0c0d0e0f10")).unwrap();
    let mut ks = [0u8; 16];
    boxed.apply(&mut ks);
    assert_eq!(ks.to_vec(), hex("9ac7cc9a609d1ef7b2932899cde41b97"));
}

/// The textbook RC4 (a byte state, the key index wrapping by `%`), as a reference.
fn reference_rc4(key: &[u8], len: usize) -> Vec<u8> {
    let mut s: Vec<u8> = (0..=255).collect();
    let mut j = 0u8;
    for i in 0..256 {
        j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
        s.swap(i, usize::from(j));
    }
    let (mut i, mut j) = (0u8, 0u8);
    (0..len)
        .map(|_| {
            i = i.wrapping_add(1);
            j = j.wrapping_add(s[usize::from(i)]);
            s.swap(usize::from(i), usize::from(j));
            s[usize::from(s[usize::from(i)].wrapping_add(s[usize::from(j)]))]
        })
        .collect()
}

/// Every key length schedules as the textbook algorithm does: 16 bytes and the lengths
/// repeated to 16 (1, 2, 4, 8) take `schedule_16`, the others the general loop.
#[test]
fn rc4_every_key_length_matches_the_reference() {
    for len in 1..=256usize {
        let key: Vec<u8> =
            (0..len).map(|k| (k as u8).wrapping_mul(151).wrapping_add(len as u8)).collect();
        let mut ks = [0u8; 40];
        Rc4::new(&key).unwrap().apply(&mut ks);
        assert_eq!(ks.to_vec(), reference_rc4(&key, 40), "key length {len}");
        let mut boxed = Rc4::boxed_unkeyed();
        boxed.rekey(&key).unwrap();
        let mut again = [0u8; 40];
        boxed.apply(&mut again);
        assert_eq!(again, ks, "rekey in place, key length {len}");
    }
    let key = hex("0102030405060708090a0b0c0d0e0f10");
    assert_eq!(
        rc4_session_key(&SessionKey::from_bytes(key.clone().try_into().unwrap()), &[0; 16])
            .unwrap()
            .to_vec(),
        reference_rc4(&key, 16)
    );
}

/// An exported keystream continues exactly where the original stands.
#[test]
fn rc4_state_round_trip() {
    let mut a = Rc4::new(b"Key").unwrap();
    let mut skip = [0u8; 1000];
    a.apply(&mut skip);
    let state = a.export_state();
    let mut b = Rc4::from_state(&state).unwrap();
    let (mut x, mut y) = ([0u8; 300], [0u8; 300]);
    a.apply(&mut x);
    b.apply(&mut y);
    assert_eq!(x, y);
    assert_eq!(format!("{b:?}"), "Rc4(<redacted>)");

    let mut bad = *state;
    bad[3] = bad[4];
    let e = Rc4::from_state(&bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert!(e.detail().contains("permutation"), "{e}");
}

/// The streamed UTF-16LE (a 64-byte stack buffer) hashes exactly what one buffer would, at
/// every length around the chunk boundary and with surrogate pairs straddling it.
#[test]
fn streamed_utf16_matches_one_buffer() {
    use md4::Digest as _;
    for len in 0..80 {
        for tail in ["", "😀", "é😀"] {
            let password: String = "aB3".chars().cycle().take(len).collect::<String>() + tail;
            let expected: [u8; 16] = Md4::digest(crate::codec::string_to_utf16le(&password)).into();
            assert_eq!(NtHash::from_password(&password).as_bytes(), &expected, "{password:?}");
            let identity = password.to_uppercase() + "Dom😀";
            let key = ntowf_v2(&NtHash::from_password("pw"), &password, "Dom😀");
            let unicode = crate::codec::string_to_utf16le(&identity);
            let expected = hmac_md5(NtHash::from_password("pw").as_bytes(), &[&unicode]);
            assert_eq!(key.as_bytes(), &expected, "{identity:?}");
        }
    }
}

/// `rewind` returns to the keyed state after up to 256 keystream bytes, however they were
/// split across calls; beyond that, after an import, or after `forget_key` it refuses and
/// leaves the state as it was; keying again makes it work again.
#[test]
fn rc4_rewind_returns_to_the_keyed_state() {
    for key in [&b"Key"[..], &[0xffu8; 16], &[7u8; 256]] {
        let keyed = *Rc4::new(key).unwrap().export_state();
        for used in (0..=40).chain([100, 255, 256, 257, 300, 1000, 70_000]) {
            for split in [1usize, 3, 8, 64] {
                let mut rc4 = Rc4::new(key).unwrap();
                let mut data = alloc::vec![0u8; used];
                for part in data.chunks_mut(split) {
                    rc4.apply(part);
                }
                let before = *rc4.export_state();
                assert_eq!(rc4.rewind(), used <= 256, "{used} bytes in {split}s");
                let expected = if used <= 256 { keyed } else { before };
                assert_eq!(*rc4.export_state(), expected, "{used} bytes in {split}s");
            }
        }
    }
    let mut rc4 = Rc4::new(b"Key").unwrap();
    rc4.apply(&mut [0u8; 5]);
    let state = rc4.export_state();
    let mut imported = Rc4::from_state(&state).unwrap();
    assert!(!imported.rewind());
    assert_eq!(imported.export_state(), state);
    imported.rekey(b"Other").unwrap();
    imported.apply(&mut [0u8; 5]);
    assert!(imported.rewind());
    assert_eq!(imported.export_state(), Rc4::new(b"Other").unwrap().export_state());
    rc4.forget_key();
    assert!(!rc4.rewind());
    assert_eq!(rc4.export_state(), state);
}

#[test]
fn rc4_zeroize_wipes_the_whole_state() {
    use zeroize::Zeroize;
    let mut rc4 = Rc4::new(b"Key").unwrap();
    let mut data = [0u8; 3];
    rc4.apply(&mut data); // i and j away from zero
    assert!(rc4.export_state().iter().any(|&b| b != 0));
    rc4.zeroize();
    assert!(rc4.export_state().iter().all(|&b| b == 0), "every entry, i and j are zero");
}

#[test]
fn key_types_zeroize_every_byte() {
    // Their `Zeroize` is written by hand (one fill rather than a volatile store per byte):
    // it must still reach every byte, and the sealing key's length.
    use zeroize::Zeroize;
    let mut nt = NtHash::from_bytes([0xa5; 16]);
    nt.zeroize();
    assert_eq!(nt.as_bytes(), &[0; 16]);
    let mut session = SessionKey::from_bytes([0xff; 16]);
    session.zeroize();
    assert_eq!(session.as_bytes(), &[0; 16]);
    let mut seal = SealKey::from_slice(&[0x5a; 16]);
    seal.zeroize();
    assert!(seal.as_bytes().is_empty(), "length wiped too");
    assert_eq!(seal.bytes, [0; 16]);
    let mut buf = [0x11u32; 5];
    wipe(&mut buf);
    assert_eq!(buf, [0; 5]);
}

#[test]
fn ct_eq_agrees_with_equality_at_every_length_and_position() {
    // Word-wise comparison: every length around the 8-byte words, and a difference in each
    // position (whole words and the tail alike) must be seen.
    for len in 0..=33usize {
        let a: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(11)).collect();
        assert!(ct_eq(&a, &a.clone()), "equal, length {len}");
        for at in 0..len {
            for bit in [0x01u8, 0x80] {
                let mut b = a.clone();
                b[at] ^= bit;
                assert!(!ct_eq(&a, &b), "length {len}, byte {at}, bit {bit:#x}");
            }
        }
        let mut longer = a.clone();
        longer.push(0);
        assert!(!ct_eq(&a, &longer), "lengths {len} and {}", len + 1);
    }
}

proptest::proptest! {
    #[test]
    fn ct_eq_is_equality(a in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                         b in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
        proptest::prop_assert_eq!(ct_eq(&a, &b), a == b);
        proptest::prop_assert!(ct_eq(&a, &a));
    }
}
