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

/// The RC4 states at the end of a session export (one per direction with ESS, one shared
/// without).
fn rc4_states(session: &Session) -> Vec<u8> {
    let exported = session.export().unwrap();
    let ess = session.flags().contains(NegotiateFlags::EXTENDED_SESSIONSECURITY);
    let len = if ess { 2 * 258 } else { 258 };
    exported.as_bytes()[exported.as_bytes().len() - len..].to_vec()
}

/// The keystream does not depend on when the RC4 handles were keyed, rewound or keyed
/// again. Over every flag combination, a sender runs a random sequence of messages (0–400
/// bytes: within and beyond what a reset rewinds) and mechListMIC-style resets; its twin is
/// exported and imported before every step (so its handles are always keyed and never
/// rewound), and must produce the same bytes; the receiver takes them all; after every
/// reset both sides' RC4 states are those of a fresh session.
#[test]
fn keystream_does_not_depend_on_keying_history() {
    let mut runner =
        TestRunner::new(Config { cases: 96, failure_persistence: None, ..Config::default() });
    let all = combos();
    let steps = proptest::collection::vec((0u8..3, 0usize..400, any::<u64>()), 0..10);
    runner
        .run(&(0..all.len(), steps), |(which, steps)| {
            let combo = all[which];
            let seal = combo.flags.contains(NegotiateFlags::SEAL);
            let (mut tx, mut rx) = pair(combo.flags);
            let (mut twin, _) = pair(combo.flags);
            let (fresh_tx, fresh_rx) = pair(combo.flags);
            for (n, (op, len, seed)) in steps.into_iter().enumerate() {
                twin = Session::import(twin.export().unwrap().as_bytes()).unwrap();
                let seq = combo.datagram().then_some(n as u32);
                let msg = bytes(len, seed);
                match op {
                    0 => {
                        for s in [&mut tx, &mut twin, &mut rx] {
                            s.reset_rc4_for_mech_list_mic().unwrap();
                        }
                        prop_assert_eq!(rc4_states(&tx), rc4_states(&fresh_tx), "{:?}", combo);
                        prop_assert_eq!(rc4_states(&twin), rc4_states(&fresh_tx), "{:?}", combo);
                        prop_assert_eq!(rc4_states(&rx), rc4_states(&fresh_rx), "{:?}", combo);
                    }
                    1 if seal => {
                        let (mut a, mut b) = (msg.clone(), msg.clone());
                        let (sig_a, sig_b) = match seq {
                            Some(q) => (
                                tx.seal_in_place_with_seq(q, &mut a).unwrap(),
                                twin.seal_in_place_with_seq(q, &mut b).unwrap(),
                            ),
                            None => (
                                tx.seal_in_place(&mut a).unwrap(),
                                twin.seal_in_place(&mut b).unwrap(),
                            ),
                        };
                        prop_assert_eq!(sig_a, sig_b, "{:?}", combo);
                        prop_assert_eq!(&a, &b, "{:?}", combo);
                        match seq {
                            Some(q) => rx.unseal_in_place_with_seq(q, &mut a, &sig_a).unwrap(),
                            None => rx.unseal_in_place(&mut a, &sig_a).unwrap(),
                        }
                        prop_assert_eq!(&a, &msg, "{:?}", combo);
                    }
                    _ => {
                        let (sig_a, sig_b) = match seq {
                            Some(q) => (
                                tx.sign_with_seq(q, &msg).unwrap(),
                                twin.sign_with_seq(q, &msg).unwrap(),
                            ),
                            None => (tx.sign(&msg).unwrap(), twin.sign(&msg).unwrap()),
                        };
                        prop_assert_eq!(sig_a, sig_b, "{:?}", combo);
                        match seq {
                            Some(q) => rx.verify_with_seq(q, &msg, &sig_a).unwrap(),
                            None => rx.verify(&msg, &sig_a).unwrap(),
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}
