//! Properties: no input panics the decoder, whatever decodes is canonical (re-encodes to the
//! same bytes), and generated tokens survive `decode(encode(t)) == t`.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sspi_proto::spnego::{
    KERBEROS, MS_KERBEROS, NEGOEX, NTLMSSP, NegHints, NegState, NegTokenInit, NegTokenResp,
    NegotiationToken, Oid, ReqFlags, SPNEGO,
};

use super::{REAL_TOKENS, canonical, init, initial, ntlm_only, resp, response, tlv, unhex};

/// A valid OID: 0.x or 1.x with x < 40, or 2.x, then up to six arcs of any size.
fn oid() -> impl Strategy<Value = Oid> {
    (0u64..3, any::<u32>(), vec(any::<u64>(), 0..6)).prop_map(|(first, second, rest)| {
        let second = if first < 2 { u64::from(second) % 40 } else { u64::from(second) };
        Oid::from_arcs(&[&[first, second][..], &rest].concat()).unwrap()
    })
}

fn known_or_any_oid() -> impl Strategy<Value = Oid> {
    prop_oneof![Just(NTLMSSP), Just(KERBEROS), Just(MS_KERBEROS), Just(NEGOEX), oid()]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

fn neg_token_init() -> impl Strategy<Value = NegTokenInit> {
    (
        vec(known_or_any_oid(), 1..6),
        option::of(any::<u8>().prop_map(ReqFlags::new)),
        option::of(bytes(300)),
        option::of((option::of(bytes(40)), option::of(bytes(20)))),
        option::of(bytes(20)),
    )
        .prop_map(|(mech_types, req_flags, mech_token, hints, mech_list_mic)| NegTokenInit {
            mech_types,
            req_flags,
            mech_token,
            neg_hints: hints.map(|(hint_name, hint_address)| NegHints { hint_name, hint_address }),
            mech_list_mic,
        })
}

fn neg_token_resp() -> impl Strategy<Value = NegTokenResp> {
    (
        option::of(0u8..4),
        option::of(known_or_any_oid()),
        option::of(bytes(300)),
        option::of(bytes(20)),
    )
        .prop_map(|(state, supported_mech, response_token, mech_list_mic)| NegTokenResp {
            neg_state: state.and_then(NegState::from_value),
            supported_mech,
            response_token,
            mech_list_mic,
        })
}

/// Framing with correct lengths (`0x60` + SPNEGO OID + `[0]` + SEQUENCE, or `0xa1` +
/// SEQUENCE, sometimes with a valid first field) around arbitrary bytes, so that decoding
/// gets past the framing.
fn framed() -> impl Strategy<Value = Vec<u8>> {
    (0u8..6, bytes(400)).prop_map(|(shape, rest)| match shape {
        0 => initial(&rest),
        1 => resp(&rest),
        2 => tlv(0x60, &[SPNEGO.to_der(), rest].concat()),
        3 => tlv(0xa1, &rest),
        // A valid mechTypes or negState first, then anything: reaches the later fields.
        4 => initial(&[ntlm_only(), rest].concat()),
        _ => resp(&[tlv(0xa0, &tlv(0x0a, &[1])), rest].concat()),
    })
}

/// A real token with a few bytes overwritten and maybe truncated.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (0..REAL_TOKENS.len(), vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), any::<bool>())
        .prop_map(|(which, edits, truncate)| {
            let mut t = unhex(REAL_TOKENS[which]);
            for (at, byte) in edits {
                let at = at.index(t.len());
                t[at] = byte;
            }
            if truncate {
                t.pop();
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(b in bytes(600)) {
        canonical(&b);
    }

    #[test]
    fn decode_never_panics_past_the_framing(b in framed()) {
        canonical(&b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn decode_never_panics_on_mutated_real_tokens(b in mutated()) {
        canonical(&b);
    }

    #[test]
    fn init_round_trips(t in neg_token_init()) {
        let bytes = NegotiationToken::Init(t.clone()).encode().unwrap();
        prop_assert_eq!(init(&bytes), t.clone());
        prop_assert!(bytes.windows(t.mech_types_der().len()).any(|w| w == t.mech_types_der()));
    }

    #[test]
    fn resp_round_trips(t in neg_token_resp()) {
        let bytes = NegotiationToken::Resp(t.clone()).encode().unwrap();
        prop_assert_eq!(response(&bytes), t);
    }

    #[test]
    fn oid_text_round_trips(o in oid()) {
        prop_assert_eq!(o.to_string().parse::<Oid>().unwrap(), o.clone());
        prop_assert_eq!(Oid::from_arcs(&o.arcs().collect::<Vec<_>>()).unwrap(), o);
    }
}
