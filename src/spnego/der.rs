//! The strict DER subset SPNEGO needs (X.690 §8 and §10, as used by RFC 4178 §4.2 and
//! RFC 2743 §3.1): single-octet tags, definite minimal lengths, and the few universal types
//! NegTokenInit / NegTokenResp are built from.
//!
//! Decoding is one pass over borrowed bytes that allocates nothing: [`Reader`] walks the
//! schema (in `token`), and every element it reads is split off by the same strict rules
//! (every length definite, minimally encoded and inside its parent; single-octet tags),
//! its tag compared with the one the schema expects, naming the field when it differs.
//! Whatever the schema does not read (an unknown, repeated or misordered element, trailing
//! bytes) is an error, so an accepted token has had every element checked, and nesting is
//! bounded by the schema (at most six levels, a NegTokenInit2's hintName) rather than by
//! the input.
//!
//! [`validate`], a walk of the whole token that knows no schema, is the oracle the tests and
//! the fuzz targets hold that to: every token the parsers accept passes it. Parsing once
//! instead of validating first and then reading cost ~1.6k instructions per Negotiate
//! handshake (1.2 %); the price is that a token malformed in two ways reports the first
//! fault the schema meets, not the first in document order.
//!
//! Nothing here indexes a slice without checking, and no length read from the wire sizes an
//! allocation: every slice handed out is a sub-slice of the input.

use alloc::vec::Vec;

use crate::error::{Error, Result};

/// Universal and application tags used by SPNEGO (X.690 §8.1.2; all single-octet).
pub(crate) mod tag {
    /// BIT STRING, primitive (X.690 §8.6; DER forbids the constructed form, §10.2).
    pub(crate) const BIT_STRING: u8 = 0x03;
    /// OCTET STRING, primitive (X.690 §8.7; DER forbids the constructed form, §10.2).
    pub(crate) const OCTET_STRING: u8 = 0x04;
    /// OBJECT IDENTIFIER (X.690 §8.19).
    pub(crate) const OBJECT_IDENTIFIER: u8 = 0x06;
    /// ENUMERATED (X.690 §8.4).
    pub(crate) const ENUMERATED: u8 = 0x0a;
    /// GeneralString, primitive (MS-SPNG §2.2.1 hintName).
    pub(crate) const GENERAL_STRING: u8 = 0x1b;
    /// SEQUENCE / SEQUENCE OF, constructed (X.690 §8.9, §8.10).
    pub(crate) const SEQUENCE: u8 = 0x30;
    /// `[APPLICATION 0]` constructed: the GSS-API InitialContextToken framing (RFC 2743 §3.1).
    pub(crate) const APPLICATION_0: u8 = 0x60;

    /// The constructed context-specific tag `[n]` that EXPLICIT tagging produces.
    pub(crate) const fn context(n: u8) -> u8 {
        0xa0 | (n & 0x1f)
    }
}

/// Deepest nesting of constructed elements [`validate`] accepts. SPNEGO itself needs 5
/// (`[APPLICATION 0]` → `[0]` → SEQUENCE → `[0]` → SEQUENCE OF); 16 leaves room without
/// letting a crafted token nest thousands deep.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) const MAX_DEPTH: usize = 16;
// `validate` admits the outermost element without a depth check.
#[cfg(any(test, feature = "fuzzing"))]
const _: () = assert!(MAX_DEPTH >= 1);

const TRUNCATED: Error = Error::invalid_token("SPNEGO DER: truncated tag or length");
const HIGH_TAG: Error = Error::invalid_token("SPNEGO DER: high tag number form not supported");
const INDEFINITE: Error = Error::invalid_token("SPNEGO DER: indefinite length");
const NON_MINIMAL: Error = Error::invalid_token("SPNEGO DER: non-minimal length");
const TOO_LARGE: Error = Error::invalid_token("SPNEGO DER: length too large");
const PAST_END: Error = Error::invalid_token("SPNEGO DER: length past end of input");
#[cfg(any(test, feature = "fuzzing"))]
const TOO_DEEP: Error = Error::invalid_token("SPNEGO DER: nesting too deep");
#[cfg(any(test, feature = "fuzzing"))]
const TRAILING: Error = Error::invalid_token("SPNEGO DER: trailing data after token");

/// One element split off the front of `input`: `(tag, contents, rest)`.
///
/// X.690 §10.1: DER uses the definite form with the fewest length octets, so `0x80`
/// (indefinite), a long form for a length below 128 and a long form with a leading zero octet
/// are all rejected. The length must fit in what is left of `input`.
fn split(input: &[u8]) -> Result<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first().ok_or(TRUNCATED)?;
    // X.690 §8.1.2.4: tag numbers >= 31 take more octets; SPNEGO never uses them.
    if tag & 0x1f == 0x1f {
        return Err(HIGH_TAG);
    }
    let (&first, rest) = rest.split_first().ok_or(TRUNCATED)?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else if first == 0x80 {
        return Err(INDEFINITE);
    } else {
        let count = usize::from(first & 0x7f);
        // X.690 §8.1.3.5 reserves 0xff; more than 8 octets cannot describe a real input.
        if count > 8 {
            return Err(TOO_LARGE);
        }
        let octets = rest.get(..count).ok_or(TRUNCATED)?;
        if octets.first() == Some(&0) {
            return Err(NON_MINIMAL);
        }
        let value = octets.iter().try_fold(0u64, |acc, &b| {
            acc.checked_mul(256).and_then(|v| v.checked_add(u64::from(b)))
        });
        let value = value.ok_or(TOO_LARGE)?;
        if value < 0x80 {
            return Err(NON_MINIMAL);
        }
        let len = usize::try_from(value).map_err(|_| TOO_LARGE)?;
        (len, rest.get(count..).ok_or(TRUNCATED)?)
    };
    let contents = rest.get(..len).ok_or(PAST_END)?;
    let after = rest.get(len..).ok_or(PAST_END)?;
    Ok((tag, contents, after))
}

/// Checks that `input` is exactly one well-formed DER element, knowing no schema: the
/// oracle that every token the parsers accept passes (see the module docs).
///
/// A depth-first walk in document order, iterative: `open` holds what is left of each
/// enclosing constructed element (fewer than [`MAX_DEPTH`] of them), so the stack stays small
/// whatever the input, and the first malformed element in document order is the one reported.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn validate(input: &[u8]) -> Result<()> {
    let (tag, contents, rest) = split(input)?;
    if !rest.is_empty() {
        return Err(TRAILING);
    }
    // X.690 §8.1.2.5: bit 6 marks a constructed encoding; primitive contents are opaque.
    if tag & 0x20 == 0 {
        return Ok(());
    }
    let mut open: [&[u8]; MAX_DEPTH] = [&[]; MAX_DEPTH];
    // `cur` is the rest of the innermost open element, at depth `depth` (the outermost is 1);
    // `open[d - 1]` is what follows the element at depth d + 1 inside its parent.
    let (mut cur, mut depth) = (contents, 1usize);
    loop {
        if cur.is_empty() {
            depth = depth.saturating_sub(1);
            match depth.checked_sub(1).and_then(|d| open.get(d)) {
                Some(parent_rest) => cur = parent_rest,
                None => return Ok(()),
            }
            continue;
        }
        let (inner_tag, inner, after) = split(cur)?;
        if inner_tag & 0x20 == 0 {
            cur = after;
            continue;
        }
        let slot = open.get_mut(depth.saturating_sub(1)).filter(|_| depth < MAX_DEPTH);
        let slot = slot.ok_or(TOO_DEEP)?;
        *slot = after;
        (cur, depth) = (inner, depth.saturating_add(1));
    }
}

/// A cursor over the contents of one constructed element, read against the schema.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads the elements in `contents`.
    pub(crate) const fn new(contents: &'a [u8]) -> Self {
        Self { rest: contents }
    }

    /// The tag of the next element, if any.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element, which must carry `tag`; `expected` is the error otherwise
    /// (also when nothing is left). Returns the element's contents.
    pub(crate) fn read(&mut self, tag: u8, expected: &'static str) -> Result<&'a [u8]> {
        if self.peek_tag() != Some(tag) {
            return Err(Error::invalid_token(expected));
        }
        let (_, contents, rest) = split(self.rest)?;
        self.rest = rest;
        Ok(contents)
    }

    /// Reads the next element if it carries `tag` (an OPTIONAL field).
    pub(crate) fn read_optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>> {
        if self.peek_tag() != Some(tag) {
            return Ok(None);
        }
        let (_, contents, rest) = split(self.rest)?;
        self.rest = rest;
        Ok(Some(contents))
    }

    /// Whether every element has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails with `unexpected` if anything is left: an unknown, repeated or misordered field.
    pub(crate) fn finish(&self, unexpected: &'static str) -> Result<()> {
        if self.is_empty() { Ok(()) } else { Err(Error::invalid_token(unexpected)) }
    }
}

/// The contents of `contents`' only element, which must carry `tag`: an EXPLICIT tag wraps
/// exactly one inner element (X.680 §31.2.7). `wrong` is the error for another tag,
/// `trailing` for anything after it.
pub(crate) fn only<'a>(
    contents: &'a [u8],
    tag: u8,
    wrong: &'static str,
    trailing: &'static str,
) -> Result<&'a [u8]> {
    let mut r = Reader::new(contents);
    let inner = r.read(tag, wrong)?;
    r.finish(trailing)?;
    Ok(inner)
}

/// How many big-endian bytes `len` needs (0 for 0).
fn significant_bytes(len: usize) -> usize {
    let bits = usize::BITS.saturating_sub(len.leading_zeros());
    usize::try_from(bits.div_ceil(8)).unwrap_or(0)
}

/// The length of a whole element (tag, length octets, contents) with `len` contents octets:
/// encoders size their output with it and write every level straight into one buffer.
pub(crate) fn tlv_len(len: usize) -> usize {
    // X.690 §10.1: the short form below 0x80, else a count octet and the significant bytes.
    let length_octets = if len < 0x80 { 1 } else { significant_bytes(len).saturating_add(1) };
    length_octets.saturating_add(1).saturating_add(len)
}

/// Appends `tag` and the minimal DER length `len`; the `len` contents octets follow.
///
/// Headers of tokens under 64 KiB (all of SPNEGO's in practice) are appended as one
/// fixed-size array each, which compiles to a few stores rather than a push per octet.
pub(crate) fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(short), _) if short < 0x80 => out.extend_from_slice(&[tag, short]),
        (Ok(byte), _) => out.extend_from_slice(&[tag, 0x81, byte]),
        (_, Ok(two)) => {
            let [hi, lo] = two.to_be_bytes();
            out.extend_from_slice(&[tag, 0x82, hi, lo]);
        }
        _ => push_long_header(out, tag, len),
    }
}

/// [`push_header`] for a length of 64 KiB or more: out of line, so that the usual headers
/// need no stack frame for it (29 headers per Negotiate handshake; 10 instructions each).
#[cold]
#[inline(never)]
fn push_long_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    let be = len.to_be_bytes();
    let count = significant_bytes(len);
    // At most size_of::<usize>() octets, so the count always fits the low 7 bits.
    out.extend_from_slice(&[tag, 0x80 | (u8::try_from(count).unwrap_or(0x7f) & 0x7f)]);
    out.extend_from_slice(be.get(be.len().saturating_sub(count)..).unwrap_or_default());
}

/// Appends `tag`, the minimal DER length of `contents` (X.690 §10.1), and `contents`.
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    out.reserve(tlv_len(contents.len()));
    push_header(out, tag, contents.len());
    out.extend_from_slice(contents);
}

/// `tag`, length and `contents` as a new buffer.
pub(crate) fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tlv_len(contents.len()));
    push_tlv(&mut out, tag, contents);
    out
}

/// The error details for one OBJECT IDENTIFIER field, so that each names where it was.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OidErrors {
    /// No contents octets.
    pub(crate) empty: &'static str,
    /// A subidentifier starts with 0x80 (X.690 §8.19.2: "the leading octet ... shall not
    /// have the value 0x80").
    pub(crate) not_minimal: &'static str,
    /// The last octet still has its continuation bit set.
    pub(crate) truncated: &'static str,
    /// A subidentifier does not fit in a `u64`.
    pub(crate) too_large: &'static str,
}

/// Builds [`OidErrors`] whose details start with `SPNEGO <field>: OID`.
macro_rules! oid_errors {
    ($field:literal) => {
        $crate::spnego::der::OidErrors {
            empty: concat!("SPNEGO ", $field, ": OID empty"),
            not_minimal: concat!("SPNEGO ", $field, ": OID arc not minimally encoded"),
            truncated: concat!("SPNEGO ", $field, ": OID arc truncated"),
            too_large: concat!("SPNEGO ", $field, ": OID arc too large"),
        }
    };
}
pub(crate) use oid_errors;

/// Checks OBJECT IDENTIFIER contents octets (X.690 §8.19): at least one subidentifier,
/// each minimally encoded base-128, each fitting a `u64`, and the last one complete.
///
/// Any first subidentifier is a valid encoding of the first two arcs (§8.19.4: values
/// 0–39 are `0.x`, 40–79 `1.x`, 80 and above `2.(x − 80)`), so there is no further rule to
/// check on decode.
pub(crate) fn check_oid(contents: &[u8], errors: &OidErrors) -> Result<()> {
    if contents.is_empty() {
        return Err(Error::invalid_token(errors.empty));
    }
    let mut value: u64 = 0;
    let mut at_start = true;
    for &b in contents {
        if at_start && b == 0x80 {
            return Err(Error::invalid_token(errors.not_minimal));
        }
        value = value
            .checked_mul(128)
            .and_then(|v| v.checked_add(u64::from(b & 0x7f)))
            .ok_or(Error::invalid_token(errors.too_large))?;
        at_start = b & 0x80 == 0;
        if at_start {
            value = 0;
        }
    }
    if at_start { Ok(()) } else { Err(Error::invalid_token(errors.truncated)) }
}

/// Splits the next base-128 subidentifier off `bytes` (already checked by [`check_oid`]).
pub(crate) fn next_subidentifier(bytes: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    while let Some((&b, rest)) = bytes.split_first() {
        *bytes = rest;
        value = value.checked_mul(128)?.checked_add(u64::from(b & 0x7f))?;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Appends `value` as a minimal base-128 subidentifier (X.690 §8.19.2).
pub(crate) fn push_subidentifier(out: &mut Vec<u8>, value: u64) {
    // 64 bits take at most ten 7-bit groups.
    let mut groups = [0u8; 10];
    let mut count = 0usize;
    let mut v = value;
    for slot in groups.iter_mut() {
        *slot = u8::try_from(v & 0x7f).unwrap_or(0);
        count = count.saturating_add(1);
        v = v.checked_shr(7).unwrap_or(0);
        if v == 0 {
            break;
        }
    }
    // groups[0] is the least significant: it goes last, without the continuation bit.
    for (i, &group) in groups.iter().take(count).enumerate().rev() {
        out.push(if i == 0 { group } else { group | 0x80 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// X.690 §10.1 minimal lengths at every boundary, and `tlv_len` agreeing with them.
    #[test]
    fn length_octets_at_the_boundaries() {
        for (len, octets) in [
            (0usize, &[0x00][..]),
            (0x7f, &[0x7f]),
            (0x80, &[0x81, 0x80]),
            (0xff, &[0x81, 0xff]),
            (0x100, &[0x82, 0x01, 0x00]),
            (0xffff, &[0x82, 0xff, 0xff]),
            (0x1_0000, &[0x83, 0x01, 0x00, 0x00]),
            (0x0100_0000, &[0x84, 0x01, 0x00, 0x00, 0x00]),
        ] {
            let mut out = Vec::new();
            push_header(&mut out, 0x04, len);
            assert_eq!(out[0], 0x04);
            assert_eq!(&out[1..], octets, "length {len:#x}");
            assert_eq!(tlv_len(len), out.len() + len, "tlv_len({len:#x})");
        }
    }

    fn err(input: &[u8]) -> &'static str {
        validate(input).unwrap_err().detail()
    }

    #[test]
    fn lengths_must_be_definite_minimal_and_in_bounds() {
        assert!(validate(&[0x04, 0x00]).is_ok());
        assert!(
            validate(&[0x04, 0x81, 0x80].iter().copied().chain([0; 0x80]).collect::<Vec<_>>())
                .is_ok()
        );
        assert_eq!(err(&[0x30, 0x80, 0x00, 0x00]), INDEFINITE.detail());
        assert_eq!(err(&[0x04, 0x81, 0x01, 0x00]), NON_MINIMAL.detail());
        assert_eq!(err(&[0x04, 0x82, 0x00, 0x81]), NON_MINIMAL.detail());
        assert_eq!(err(&[0x04, 0x02, 0x00]), PAST_END.detail());
        assert_eq!(err(&[0x04, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0]), TOO_LARGE.detail());
        assert_eq!(
            err(&[0x04, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            PAST_END.detail()
        );
        assert_eq!(err(&[0x04]), TRUNCATED.detail());
        assert_eq!(err(&[0x04, 0x82, 0x01]), TRUNCATED.detail());
        assert_eq!(err(&[0x1f, 0x01, 0x00]), HIGH_TAG.detail());
        assert_eq!(err(&[0x04, 0x00, 0x00]), TRAILING.detail());
        // Inside a constructed element the same rules apply.
        assert_eq!(err(&[0x30, 0x03, 0x04, 0x80, 0x00]), INDEFINITE.detail());
    }

    #[test]
    fn depth_limit() {
        let nest = |depth: usize| {
            let mut t = Vec::new();
            for _ in 0..depth {
                t = tlv(0x30, &t);
            }
            t
        };
        assert!(validate(&nest(MAX_DEPTH)).is_ok());
        assert_eq!(err(&nest(MAX_DEPTH + 1)), TOO_DEEP.detail());
        assert_eq!(err(&nest(5000)), TOO_DEEP.detail());
        // `inner` wrapped in `levels` SEQUENCEs, each with a primitive sibling after it.
        let wrap = |inner: Vec<u8>, levels: usize| {
            (0..levels).fold(inner, |t, _| tlv(0x30, &[t, tlv(0x04, &[1])].concat()))
        };
        // A primitive below the deepest admitted level is fine: only constructed ones nest.
        assert!(validate(&wrap(tlv(0x04, &[7]), MAX_DEPTH)).is_ok());
        // One level too deep is refused before its contents are read, even malformed ones.
        let malformed = tlv(0x30, &[0x04, 0x80]);
        assert_eq!(err(&wrap(malformed.clone(), MAX_DEPTH)), TOO_DEEP.detail());
        assert_eq!(err(&wrap(malformed, MAX_DEPTH - 1)), INDEFINITE.detail());
        // After the deepest element, its siblings at every level are still checked.
        let bad_sibling = tlv(0x30, &[nest(MAX_DEPTH - 1), vec![0x04, 0x80]].concat());
        assert_eq!(err(&bad_sibling), INDEFINITE.detail());
    }

    /// The recursive walk `validate` replaced (2026-11-26), kept as its reference.
    fn validate_recursive(input: &[u8]) -> Result<()> {
        fn element(tag: u8, contents: &[u8], depth: usize) -> Result<()> {
            if tag & 0x20 == 0 {
                return Ok(());
            }
            if depth > MAX_DEPTH {
                return Err(TOO_DEEP);
            }
            let mut rest = contents;
            while !rest.is_empty() {
                let (inner_tag, inner, after) = split(rest)?;
                element(inner_tag, inner, depth + 1)?;
                rest = after;
            }
            Ok(())
        }
        let (tag, contents, rest) = split(input)?;
        if !rest.is_empty() {
            return Err(TRAILING);
        }
        element(tag, contents, 1)
    }

    /// Nested elements of a few tags (constructed and primitive), some lengths broken.
    fn tree() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let leaf = (
            prop::sample::select(vec![0x04u8, 0x06, 0x0a, 0x1f]),
            prop::collection::vec(any::<u8>(), 0..6),
        )
            .prop_map(|(tag, contents)| tlv(tag, &contents));
        leaf.prop_recursive(20, 200, 4, |inner| {
            (
                prop::sample::select(vec![0x30u8, 0x60, 0xa0, 0xa1, 0xa3, 0x24]),
                prop::collection::vec(inner, 0..4),
            )
                .prop_map(|(tag, children)| tlv(tag, &children.concat()))
        })
    }

    /// [`tree`]s wrapped in 10 to 20 constructed levels with random siblings, around the
    /// depth limit.
    fn deep_tree() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let level = (
            prop::sample::select(vec![0x30u8, 0xa0, 0xa2]),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..3), 0..2),
        );
        (tree(), prop::collection::vec(level, 10..21)).prop_map(|(inner, levels)| {
            levels.into_iter().fold(inner, |t, (tag, siblings)| {
                let siblings: Vec<u8> = siblings.iter().flat_map(|s| tlv(0x04, s)).collect();
                tlv(tag, &[t, siblings].concat())
            })
        })
    }

    proptest::proptest! {
        /// The iterative walk reports exactly what the recursive one did: the same verdict
        /// and the same first error, on well-formed trees, deep ones, and trees with bytes
        /// changed, cut or appended.
        #[test]
        fn validate_matches_the_recursive_walk(
            t in proptest::prop_oneof![tree(), deep_tree()],
            edits in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 0..3),
            cut in proptest::option::of(proptest::num::usize::ANY),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..2),
        ) {
            let mut bytes = t;
            for (at, value) in edits {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = value;
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut % (bytes.len() + 1));
            }
            bytes.extend_from_slice(&tail);
            proptest::prop_assert_eq!(validate(&bytes), validate_recursive(&bytes));
        }
    }

    #[test]
    fn writer_uses_minimal_lengths() {
        assert_eq!(tlv(0x04, &[]), [0x04, 0x00]);
        assert_eq!(tlv(0x04, &[0; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[0; 0xff])[..3], [0x04, 0x81, 0xff]);
        assert_eq!(tlv(0x04, &[0; 0x100])[..4], [0x04, 0x82, 0x01, 0x00]);
        assert_eq!(tlv(0x04, &[0; 0xffff])[..4], [0x04, 0x82, 0xff, 0xff]);
        assert_eq!(tlv(0x04, &[0; 0x1_0000])[..5], [0x04, 0x83, 0x01, 0x00, 0x00]);
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000] {
            assert!(validate(&tlv(0x04, &vec![0; len])).is_ok(), "{len}");
        }
    }

    #[test]
    fn oid_rules() {
        let e = oid_errors!("test");
        assert!(check_oid(&[0x2b, 0x06, 0x01], &e).is_ok());
        assert_eq!(check_oid(&[], &e).unwrap_err().detail(), e.empty);
        assert_eq!(check_oid(&[0x2b, 0x80, 0x01], &e).unwrap_err().detail(), e.not_minimal);
        assert_eq!(check_oid(&[0x2b, 0x86], &e).unwrap_err().detail(), e.truncated);
        let huge = [0x2b, 0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert_eq!(check_oid(&huge, &e).unwrap_err().detail(), e.too_large);
        // u64::MAX itself fits: 0x01 then nine 0x7f groups.
        let max = [0x2b, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert!(check_oid(&max, &e).is_ok());
        let mut out = Vec::new();
        push_subidentifier(&mut out, u64::MAX);
        assert_eq!(out, max[1..]);
        for v in [0u64, 1, 127, 128, 840, 113_554, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            push_subidentifier(&mut out, v);
            let mut s = out.as_slice();
            assert_eq!(next_subidentifier(&mut s), Some(v));
            assert!(s.is_empty());
            assert!(check_oid(&out, &e).is_ok());
        }
    }
}
