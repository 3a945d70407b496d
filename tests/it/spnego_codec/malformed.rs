//! Every DER and schema rule the SPNEGO decoder enforces: each violation is InvalidToken
//! with a detail saying which rule or field.

use sspi_proto::ErrorKind;
use sspi_proto::spnego::{KERBEROS, NTLMSSP, NegTokenInit, NegotiationToken, SPNEGO};

use super::{REAL_TOKENS, canonical, initial, ntlm_only, rejects, resp, tlv, unhex};

#[test]
fn rejects_indefinite_length() {
    rejects(&unhex("a180 3005a0030a0100 0000"), "indefinite length");
    rejects(&unhex("a109 3080 a0030a0100 0000"), "indefinite length");
}

#[test]
fn rejects_non_minimal_length() {
    rejects(&unhex("a18107 3005a0030a0100"), "non-minimal length");
    rejects(&unhex("a1820007 3005a0030a0100"), "non-minimal length");
    rejects(&unhex("a108 308105a0030a0100"), "non-minimal length");
}

#[test]
fn rejects_length_past_end() {
    rejects(&unhex("a108 3005a0030a0100"), "length past end");
    rejects(&unhex("a107 3006a0030a0100"), "length past end");
    rejects(&unhex("a184ffffffff 30"), "length past end");
    for hex in REAL_TOKENS {
        let bytes = unhex(hex);
        rejects(&bytes[..bytes.len() - 1], "length past end");
    }
}

#[test]
fn rejects_depth_bomb() {
    let mut bomb = vec![];
    for _ in 0..200 {
        bomb = tlv(0x30, &bomb);
    }
    // The schema refuses the first element it does not expect, without descending into it:
    // nesting is bounded by the schema, not by the input.
    rejects(&tlv(0xa1, &bomb), "NegTokenResp: unexpected or misordered field");
    rejects(&initial(&bomb), "mechTypes [0] missing");
    rejects(&initial(&tlv(0xa0, &bomb)), "MechTypeList: expected OID");
    rejects(&resp(&tlv(0xa2, &bomb)), "responseToken [2]: expected OCTET STRING");
    // The same shape with indefinite lengths stops at the first one.
    let indefinite = [&[0x60, 0x80][..], &[0xa0, 0x80].repeat(50_000)].concat();
    rejects(&indefinite, "indefinite length");
}

#[test]
fn rejects_wrong_tags() {
    let top = "expected InitialContextToken [APPLICATION 0] or negTokenResp [1]";
    let hints = |inner: &[u8]| initial(&[ntlm_only(), tlv(0xa3, &tlv(0x30, inner))].concat());
    let framed = |inner: Vec<u8>| tlv(0x60, &[SPNEGO.to_der(), inner].concat());
    let misordered = "unexpected or misordered field";
    #[rustfmt::skip]
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "SPNEGO token: empty"),
        (unhex("3000"), top),
        // A bare [0] NegTokenInit: RFC 4178 §4.2 always frames the initial token.
        (unhex("a010300ea00c300a06082b06010401823702"), top),
        // A high tag number is never one the schema expects.
        (unhex("a10530031f0100"), misordered),
        // NegTokenResp fields.
        (unhex("a1073005a003020100"), "negState [0]: expected ENUMERATED"),
        (unhex("a1093007a0050a01000500"), "negState [0]: trailing data"),
        (unhex("a1083006a0040a020001"), "negState: not a one-octet ENUMERATED"),
        (unhex("a1073005a0030a0104"), "negState: unknown value"),
        (unhex("a1073005a0030a01ff"), "negState: unknown value"),
        (unhex("a1073005a1030a0100"), "supportedMech [1]: expected OID"),
        (resp(&tlv(0xa2, &tlv(0x24, &tlv(0x04, b"x")))), "responseToken [2]: expected OCTET"),
        (resp(&tlv(0xa3, &tlv(0x03, &[0]))), "mechListMIC [3]: expected OCTET STRING"),
        (unhex("a10b3009a2020400a0030a0100"), misordered),
        (resp(&tlv(0x80, &[0])), misordered),
        (tlv(0xa1, &tlv(0x31, &[])), "negTokenResp [1]: expected SEQUENCE"),
        // InitialContextToken framing and NegTokenInit fields.
        (tlv(0x60, &[KERBEROS.to_der(), vec![0x01, 0x00]].concat()), "thisMech is not SPNEGO"),
        (tlv(0x60, &tlv(0x04, &[])), "expected thisMech OID"),
        (framed(tlv(0xa1, &tlv(0x30, &[]))), "expected negTokenInit [0]"),
        (framed(tlv(0xa0, &tlv(0x31, &[]))), "negTokenInit [0]: expected SEQUENCE"),
        (initial(&[]), "mechTypes [0] missing"),
        (initial(&tlv(0xa0, &tlv(0x31, &[]))), "mechTypes [0]: expected SEQUENCE OF"),
        (initial(&tlv(0xa0, &tlv(0x30, &tlv(0x04, &[1])))), "MechTypeList: expected OID"),
        (initial(&[ntlm_only(), tlv(0xa2, &tlv(0x24, &[]))].concat()), "mechToken [2]: expected"),
        (initial(&[ntlm_only(), tlv(0xa2, &tlv(0x04, &[])), ntlm_only()].concat()), misordered),
        (hints(&tlv(0xa0, &tlv(0x0c, b"utf8"))), "hintName [0]: expected GeneralString"),
        (hints(&tlv(0xa1, &tlv(0x1b, b"x"))), "hintAddress [1]: expected OCTET STRING"),
        (hints(&tlv(0xa2, &[])), "NegHints: unexpected or misordered field"),
    ];
    for (bytes, needle) in cases {
        rejects(&bytes, needle);
    }
}

#[test]
fn rejects_trailing_garbage() {
    for hex in REAL_TOKENS {
        let mut bytes = unhex(hex);
        bytes.push(0);
        rejects(&bytes, "trailing data after token");
    }
    let two_elements = tlv(
        0x60,
        &[SPNEGO.to_der(), tlv(0xa0, &tlv(0x30, &ntlm_only())), vec![0x05, 0x00]].concat(),
    );
    rejects(&two_elements, "trailing data after negTokenInit");
    rejects(
        &tlv(0xa1, &[tlv(0x30, &[]), vec![0x05, 0x00]].concat()),
        "negTokenResp [1]: trailing data",
    );
}

#[test]
fn rejects_bad_oids() {
    let list =
        |oid: &[u8]| initial(&tlv(0xa0, &tlv(0x30, &[NTLMSSP.to_der(), tlv(0x06, oid)].concat())));
    // 1.3.(2^64): ten 7-bit groups worth more than u64::MAX.
    rejects(&list(&unhex("2b 82ffffffffffffffff7f")), "MechTypeList: OID arc too large");
    rejects(&list(&unhex("2b ffffffffffffffffffffffffffffff7f")), "OID arc too large");
    rejects(&list(&unhex("2b 8001")), "OID arc not minimally encoded");
    rejects(&list(&unhex("80 01")), "OID arc not minimally encoded");
    rejects(&list(&unhex("2b 86")), "OID arc truncated");
    rejects(&list(&[]), "OID empty");
    rejects(
        &resp(&tlv(0xa1, &tlv(0x06, &unhex("2b 8001")))),
        "supportedMech: OID arc not minimally encoded",
    );
    // The largest arc that fits is fine.
    canonical(&list(&unhex("2b 81ffffffffffffffff7f")));
    assert!(NegotiationToken::decode(&list(&unhex("2b 81ffffffffffffffff7f"))).is_ok());
}

#[test]
fn rejects_empty_mech_list() {
    rejects(&initial(&tlv(0xa0, &tlv(0x30, &[]))), "empty mechList");
    let err = NegotiationToken::Init(NegTokenInit::new(vec![])).encode().unwrap_err();
    assert_eq!(
        (err.kind(), err.detail()),
        (ErrorKind::InvalidToken, "SPNEGO NegTokenInit: empty mechList")
    );
}
