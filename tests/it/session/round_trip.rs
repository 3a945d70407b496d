//! Client→server and server→client round trips for every flag combination, as properties
//! over arbitrary message bytes (lengths 0..65536), through every API shape.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::*;

/// One flag combination under test.
#[derive(Clone, Copy, Debug)]
struct Combo {
    flags: NegotiateFlags,
}

impl Combo {
    fn datagram(self) -> bool {
        self.flags.contains(NegotiateFlags::DATAGRAM)
    }
}

/// Every combination: ESS (and non-ESS under `legacy-ntlmv1`, with and without LM_KEY) ×
/// sign-only / sign+seal × KEY_EXCH on/off × 128 / 56 / 40 bits × connection / datagram.
/// MS-NLMP 3.4.3: connectionless sealing needs ESS, so non-ESS datagram is sign-only.
fn combos() -> Vec<Combo> {
    let base = NegotiateFlags::SIGN
        | NegotiateFlags::ALWAYS_SIGN
        | NegotiateFlags::NTLM
        | NegotiateFlags::UNICODE;
    let mut families = vec![NegotiateFlags::EXTENDED_SESSIONSECURITY];
    if cfg!(feature = "legacy-ntlmv1") {
        families.push(NegotiateFlags::empty());
        families.push(NegotiateFlags::LM_KEY);
    }
    let strengths = [
        NegotiateFlags::NEGOTIATE_128 | NegotiateFlags::NEGOTIATE_56,
        NegotiateFlags::NEGOTIATE_56,
        NegotiateFlags::empty(),
    ];
    let mut out = Vec::new();
    for family in families {
        for seal in [NegotiateFlags::empty(), NegotiateFlags::SEAL] {
            for key_exch in [NegotiateFlags::empty(), NegotiateFlags::KEY_EXCH] {
                for strength in strengths {
                    for datagram in [NegotiateFlags::empty(), NegotiateFlags::DATAGRAM] {
                        let ess = family.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY);
                        if !ess && !seal.is_empty() && !datagram.is_empty() {
                            continue;
                        }
                        out.push(Combo {
                            flags: base | family | seal | key_exch | strength | datagram,
                        });
                    }
                }
            }
        }
    }
    out
}

/// (length, content seed, datagram sequence number) per message. Lengths span 0..65536;
/// half are drawn below 256 so that 32 cases per combination stay fast in debug builds.
fn messages() -> impl Strategy<Value = Vec<(usize, u64, u32)>> {
    let len = prop_oneof![0usize..256, 0usize..65536];
    prop::collection::vec((len, any::<u64>(), any::<u32>()), 1..4)
}

/// Sends every message one way, through every API shape in turn, and checks what arrives.
/// Connection mode delivers each message before the next is sent (non-ESS RC4 is
/// half-duplex); datagram mode sends them all, then delivers them in reverse order.
fn one_way(combo: Combo, tx: &mut Session, rx: &mut Session, msgs: &[(usize, u64, u32)]) {
    let seal = combo.flags.contains(NegotiateFlags::SEAL);
    let plain: Vec<Vec<u8>> = msgs.iter().map(|&(len, seed, _)| bytes(len, seed)).collect();
    let via = |i: usize| Via::ALL[i % Via::ALL.len()];
    let seq = |i: usize| combo.datagram().then_some(msgs[i].2);
    let check = |i: usize, wire: &Wire| {
        if !seal {
            assert_eq!(wire.body, plain[i], "without SEAL the data travels in clear");
        } else if plain[i].len() >= 16 {
            assert_ne!(wire.body, plain[i], "sealed data must not be plaintext");
        }
    };
    if combo.datagram() {
        let wires: Vec<Wire> =
            (0..msgs.len()).map(|i| send(tx, via(i), seq(i), &plain[i])).collect();
        for i in (0..msgs.len()).rev() {
            check(i, &wires[i]);
            assert_eq!(
                recv(rx, via(i), seq(i), &wires[i]).unwrap(),
                plain[i],
                "{combo:?} message {i}"
            );
        }
    } else {
        for (i, msg) in plain.iter().enumerate() {
            let wire = send(tx, via(i), None, msg);
            check(i, &wire);
            assert_eq!(&recv(rx, via(i), None, &wire).unwrap(), msg, "{combo:?} message {i}");
        }
    }
}

#[test]
fn round_trips_every_combination() {
    let all = combos();
    assert_eq!(all.len(), if cfg!(feature = "legacy-ntlmv1") { 24 + 2 * 18 } else { 24 });
    for combo in all {
        let mut runner =
            TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
        runner
            .run(&(messages(), messages()), |(c2s, s2c)| {
                let (mut client, mut server) = pair(combo.flags);
                one_way(combo, &mut client, &mut server, &c2s);
                one_way(combo, &mut server, &mut client, &s2c);
                // Once more client to server: the directions stay independent (ESS) or in
                // step (non-ESS shared RC4) after traffic the other way.
                one_way(combo, &mut client, &mut server, &s2c[..1]);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{combo:?}: {e}"));
    }
}

#[test]
fn datagram_and_connection_methods_do_not_mix() {
    let (mut client, _) = pair(flags(V2_FLAGS));
    assert_eq!(kind(client.sign_with_seq(7, b"m")), ErrorKind::UnsupportedFunction);
    let (mut client, mut server) = pair(flags(V2_FLAGS) | NegotiateFlags::DATAGRAM);
    assert_eq!(kind(client.wrap(b"m")), ErrorKind::UnsupportedFunction);
    // The misuse changed nothing on the sending side.
    let token = client.wrap_with_seq(7, b"m").unwrap();
    assert_eq!(token[12..16], 7u32.to_le_bytes());
    // The receiver must name the number it expects; another one is out of sequence.
    assert_eq!(kind(server.unwrap_with_seq(8, &token)), ErrorKind::OutOfSequence);
}

#[test]
fn datagram_messages_are_independent_of_order_and_repeatable() {
    // MS-NLMP 3.4: each message re-keys RC4 from MD5(SealingKey ‖ SeqNum), so the same
    // number gives the same token, and any order decrypts.
    let f = flags(V2_FLAGS) | NegotiateFlags::DATAGRAM;
    let (mut client, _) = pair(f);
    let a = client.wrap_with_seq(5, b"same").unwrap();
    let b = client.wrap_with_seq(5, b"same").unwrap();
    assert_eq!(a, b);
    let c = client.wrap_with_seq(6, b"same").unwrap();
    assert_ne!(a[16..], c[16..]);
    let (_, mut server) = pair(f);
    assert_eq!(server.unwrap_with_seq(6, &c).unwrap(), b"same");
    assert_eq!(server.unwrap_with_seq(5, &a).unwrap(), b"same");
}
