//! Bounds-checked little-endian reading and writing of wire bytes.
//!
//! Every read names the field it is reading, so that a short or malformed input becomes an
//! [`Error`] of kind [`InvalidToken`](crate::ErrorKind::InvalidToken) whose detail says what
//! was wrong. Nothing here indexes a slice without checking; nothing panics on any input.

use alloc::vec::Vec;

use crate::error::{Error, Result};

/// A cursor over a byte slice; every read is checked against the remaining length.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The whole input, independent of the cursor.
    pub const fn input(&self) -> &'a [u8] {
        self.bytes
    }

    /// How many bytes have been consumed.
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not consumed yet.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.rest().len()
    }

    /// Whether the input is exhausted.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Consumes `len` bytes; `field` names them in the error if the input is short.
    pub fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(len).ok_or(Error::invalid_token(field))?;
        let out = self.bytes.get(self.pos..end).ok_or(Error::invalid_token(field))?;
        self.pos = end;
        Ok(out)
    }

    /// Consumes everything that is left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let out = self.rest();
        self.pos = self.bytes.len();
        out
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let bytes = self.take(N, field)?;
        <[u8; N]>::try_from(bytes).map_err(|_| Error::invalid_token(field))
    }

    /// Reads one byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(u8::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian `u16`.
    pub fn u16_le(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian `u32`.
    pub fn u32_le(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian `u64`.
    pub fn u64_le(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// Reads an NTLM security buffer header (`Len`, `MaxLen`, `BufferOffset`).
    pub fn security_buffer(&mut self, field: &'static str) -> Result<SecurityBuffer> {
        let len = self.u16_le(field)?;
        let max_len = self.u16_le(field)?;
        let offset = self.u32_le(field)?;
        Ok(SecurityBuffer { len, max_len, offset })
    }
}

/// The `len / maxlen / offset` triple NTLM uses to point into a message's payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecurityBuffer {
    /// Length of the field in bytes.
    pub len: u16,
    /// Allocated length; ignored on receipt (MS-NLMP 2.2.1: "SHOULD be set to Len").
    pub max_len: u16,
    /// Offset from the start of the message.
    pub offset: u32,
}

impl SecurityBuffer {
    /// The triple as it lies in a message header: `len`, `max_len`, `offset`, little-endian.
    pub const fn to_bytes(self) -> [u8; 8] {
        let [l0, l1] = self.len.to_le_bytes();
        let [m0, m1] = self.max_len.to_le_bytes();
        let [o0, o1, o2, o3] = self.offset.to_le_bytes();
        [l0, l1, m0, m1, o0, o1, o2, o3]
    }

    /// Resolves the buffer against the whole `message`, with overflow-checked arithmetic.
    ///
    /// A zero length resolves to an empty slice whatever the offset (Windows writes offsets
    /// of empty fields that point at the end of the message, or anywhere).
    pub fn resolve<'a>(&self, message: &'a [u8], field: &'static str) -> Result<&'a [u8]> {
        if self.len == 0 {
            return Ok(&[]);
        }
        let start = usize::try_from(self.offset).map_err(|_| Error::invalid_token(field))?;
        let end = start.checked_add(usize::from(self.len)).ok_or(Error::invalid_token(field))?;
        // MS-NLMP fields are u32 offsets: offset + len must itself fit a u32.
        u32::try_from(end).map_err(|_| Error::invalid_token(field))?;
        message.get(start..end).ok_or(Error::invalid_token(field))
    }
}

/// A growable little-endian writer.
#[derive(Clone, Debug, Default)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub const fn new() -> Self {
        Self { bytes: Vec::new() }
    }

    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { bytes: Vec::with_capacity(capacity) }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Appends raw bytes.
    #[inline]
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes.push(v);
        self
    }

    /// Appends a little-endian `u16`.
    pub fn u16_le(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a little-endian `u32`.
    #[inline]
    pub fn u32_le(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends a little-endian `u64`.
    pub fn u64_le(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Appends `s` as UTF-16LE, without an intermediate vector.
    pub fn utf16le(&mut self, s: &str) -> &mut Self {
        self.bytes.reserve(utf16le_capacity(s));
        if s.is_ascii() {
            // The usual case (names, SPNs): each byte becomes `b, 0`, eight characters at a
            // time through a 16-byte block (one capacity check each), then the rest one
            // unit each. Names are short: growing the buffer with zeros first and filling
            // it in (a `memset` call per string) cost 123 instructions more per handshake.
            let mut eights = s.as_bytes().chunks_exact(8);
            for eight in eights.by_ref() {
                let mut units = [0u8; 16];
                for (unit, b) in units.chunks_exact_mut(2).zip(eight) {
                    if let [low, _] = unit {
                        *low = *b;
                    }
                }
                self.bytes.extend_from_slice(&units);
            }
            for b in eights.remainder() {
                self.bytes.extend_from_slice(&[*b, 0]);
            }
        } else {
            for unit in s.encode_utf16() {
                self.u16_le(unit);
            }
        }
        self
    }

    /// Appends a security buffer header.
    #[inline]
    pub fn security_buffer(&mut self, sb: SecurityBuffer) -> &mut Self {
        self.bytes(&sb.to_bytes())
    }

    /// Overwrites bytes at `at` (used to patch offsets and the MIC after layout).
    pub fn patch(&mut self, at: usize, bytes: &[u8]) -> Result<()> {
        let end = at
            .checked_add(bytes.len())
            .ok_or(Error::new(crate::ErrorKind::InternalError, "writer patch out of range"))?;
        let dst = self
            .bytes
            .get_mut(at..end)
            .ok_or(Error::new(crate::ErrorKind::InternalError, "writer patch out of range"))?;
        dst.copy_from_slice(bytes);
        Ok(())
    }

    /// The bytes written.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Finishes, returning the bytes.
    pub fn into_vec(self) -> Vec<u8> {
        self.bytes
    }
}

/// What an NTLM token's buffer holds to spare past the message: room for the SPNEGO token
/// that wraps it (at most 44 bytes of headers and mechListMIC for a token under 64 KiB), so
/// that Negotiate builds that token in the same buffer instead of copying the NTLM token
/// into a new one. Raw NTLM leaves it unused.
pub(crate) const WRAP_ROOM: usize = 48;

/// Lays out an NTLM message before it is written: a fixed header with security-buffer
/// slots, then the payload fields in order.
///
/// Each [`field`](Layout::field) reserves room for one payload field and returns the
/// [`SecurityBuffer`] that will point at it, so the header can be written first and each
/// field straight after it into one buffer of [`message_len`](Layout::message_len) bytes: one allocation
/// and no copy of the payload.
#[derive(Debug)]
pub struct Layout {
    header: usize,
    end: usize,
}

impl Layout {
    /// A message whose payload starts `header_len` bytes in.
    pub const fn new(header_len: usize) -> Self {
        Self { header: header_len, end: header_len }
    }

    /// Checks that `w` holds exactly the header, before the payload is written: with
    /// [`finish`](Self::finish), a field written at another offset than its security buffer
    /// says is an internal error, never a malformed message sent.
    pub fn at_payload(&self, w: &Writer) -> Result<()> {
        written(w, self.header, "encoded header length differs from its layout")
    }

    /// Checks that `w` holds exactly the fields laid out so far: before a field whose length
    /// only writing it tells, so that a field written at another offset than its security
    /// buffer says is still an internal error, not folded into that length.
    pub fn at_end(&self, w: &Writer) -> Result<()> {
        written(w, self.end, "encoded fields differ from their layout")
    }

    /// Reserves `len` bytes at the end of the payload; `too_long` is the error detail if
    /// the field does not fit a security buffer (length over 65535, offset over 4 GiB).
    pub fn field(&mut self, len: usize, too_long: &'static str) -> Result<SecurityBuffer> {
        let too_long = || Error::new(crate::ErrorKind::InvalidToken, too_long);
        let len16 = u16::try_from(len).map_err(|_| too_long())?;
        let offset = u32::try_from(self.end).map_err(|_| too_long())?;
        self.end = self.end.checked_add(len).ok_or_else(too_long)?;
        Ok(SecurityBuffer { len: len16, max_len: len16, offset })
    }

    /// The length of the whole message laid out so far.
    pub const fn message_len(&self) -> usize {
        self.end
    }

    /// A writer with room for the whole message, and `WRAP_ROOM` bytes to spare (room for the
    /// SPNEGO token that may wrap it).
    pub fn writer(&self) -> Writer {
        Writer::with_capacity(self.end.saturating_add(WRAP_ROOM))
    }

    /// Checks that `w` holds exactly the message laid out (a mismatch is a bug in the
    /// encoder, reported as an internal error rather than a malformed message sent).
    pub fn finish(&self, w: Writer) -> Result<Vec<u8>> {
        written(&w, self.end, "encoded message length differs from its layout")?;
        Ok(w.into_vec())
    }
}

/// `Ok` if `w` holds `len` bytes; otherwise an internal error (a bug in an encoder).
fn written(w: &Writer, len: usize, detail: &'static str) -> Result<()> {
    if w.len() == len { Ok(()) } else { Err(Error::new(crate::ErrorKind::InternalError, detail)) }
}

/// The length of `s` in UTF-16LE.
pub fn utf16le_len(s: &str) -> usize {
    let units = if s.is_ascii() { s.len() } else { s.encode_utf16().count() };
    units.saturating_mul(2)
}

/// Checks that `bytes` is UTF-16LE that [`utf16le_to_string`] decodes, without decoding
/// it; returns `bytes`.
pub fn check_utf16le<'a>(bytes: &'a [u8], field: &'static str) -> Result<&'a [u8]> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::invalid_token(field));
    }
    // The usual case (names, SPNs) has no surrogate at all (high byte D8..DF): one pass
    // without an early exit, which the compiler vectorizes.
    let surrogates = bytes
        .chunks_exact(2)
        .fold(false, |any, unit| any | unit.get(1).is_some_and(|hi| hi & 0xf8 == 0xd8));
    if !surrogates {
        return Ok(bytes);
    }
    // Every high surrogate (D800..DBFF) must be followed by a low one (DC00..DFFF), and no
    // low surrogate may stand alone. Only the high byte of a unit decides its class.
    let mut expect_low = false;
    for unit in bytes.chunks_exact(2) {
        let hi = unit.get(1).copied().unwrap_or_default();
        let is_high = (0xd8..=0xdb).contains(&hi);
        let is_low = (0xdc..=0xdf).contains(&hi);
        if expect_low != is_low {
            return Err(Error::invalid_token(field));
        }
        expect_low = is_high;
    }
    if expect_low { Err(Error::invalid_token(field)) } else { Ok(bytes) }
}

/// Decodes UTF-16LE; an odd length or an unpaired surrogate is an error naming `field`.
pub fn utf16le_to_string(bytes: &[u8], field: &'static str) -> Result<alloc::string::String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::invalid_token(field));
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes(<[u8; 2]>::try_from(c).unwrap_or_default()));
    // The usual case (names, SPNs): ASCII, one byte per character, pushed in the same pass
    // that checks them. An ASCII `char` is pushed as its byte, so nothing is validated
    // again (gathering bytes and then `String::from_utf8` cost ~70 instructions a string).
    let mut ascii = alloc::string::String::with_capacity(bytes.len() / 2);
    for unit in bytes.chunks_exact(2) {
        match unit {
            [lo, 0] if lo.is_ascii() => ascii.push(char::from(*lo)),
            _ => break,
        }
    }
    if ascii.len() == bytes.len() / 2 {
        return Ok(ascii);
    }
    drop(ascii);
    let mut out = alloc::string::String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        out.push(c.map_err(|_| Error::invalid_token(field))?);
    }
    Ok(out)
}

/// Encodes a string as UTF-16LE.
pub fn string_to_utf16le(s: &str) -> Vec<u8> {
    let mut w = Writer::with_capacity(utf16le_capacity(s));
    w.utf16le(s);
    w.into_vec()
}

/// Room for `s` in UTF-16LE: each UTF-8 byte becomes at most two bytes. Reserving it up
/// front means no reallocation, which is faster and leaves no stray copies of a password
/// behind in freed memory (callers zeroize only the final vector).
fn utf16le_capacity(s: &str) -> usize {
    s.len().saturating_mul(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn reads_little_endian_and_names_short_field() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 9]);
        assert_eq!(r.u16_le("a").unwrap(), 1);
        assert_eq!(r.u32_le("b").unwrap(), 2);
        let e = r.u16_le("the field").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert_eq!(e.detail(), "the field");
        // a failed read does not move the cursor
        assert_eq!(r.remaining(), 1);
    }

    #[test]
    fn security_buffer_bounds() {
        let msg = [0u8; 16];
        let ok = SecurityBuffer { len: 4, max_len: 4, offset: 12 };
        assert_eq!(ok.resolve(&msg, "f").unwrap().len(), 4);
        let past = SecurityBuffer { len: 5, max_len: 5, offset: 12 };
        assert_eq!(past.resolve(&msg, "past").unwrap_err().detail(), "past");
        let overflow = SecurityBuffer { len: 0xffff, max_len: 0, offset: u32::MAX };
        assert_eq!(overflow.resolve(&msg, "ovf").unwrap_err().kind(), ErrorKind::InvalidToken);
        let empty = SecurityBuffer { len: 0, max_len: 0, offset: u32::MAX };
        assert!(empty.resolve(&msg, "e").unwrap().is_empty());
    }

    #[test]
    fn utf16_odd_length_is_an_error() {
        assert_eq!(utf16le_to_string(&[0x41, 0], "s").unwrap(), "A");
        assert_eq!(utf16le_to_string(&[0x41], "odd").unwrap_err().detail(), "odd");
        assert!(utf16le_to_string(&[0x00, 0xd8], "lone surrogate").is_err());
        assert_eq!(string_to_utf16le("Aé"), vec![0x41, 0, 0xe9, 0]);
    }

    #[test]
    fn utf16_check_names_each_surrogate_fault() {
        for bad in [
            &[0x00, 0xd8][..],                     // high surrogate at the end
            &[0x00, 0xdc, 0x41, 0x00],             // low surrogate alone
            &[0x00, 0xd8, 0x41, 0x00],             // high surrogate before a non-surrogate
            &[0x00, 0xd8, 0x00, 0xd8, 0x00, 0xdc], // two highs, one low
            &[0x41, 0x00, 0x42],                   // odd length
        ] {
            assert_eq!(check_utf16le(bad, "bad").unwrap_err().detail(), "bad", "{bad:02x?}");
        }
        let pair = [0x3d, 0xd8, 0x00, 0xde, 0x41, 0x00]; // U+1F600, 'A'
        assert_eq!(check_utf16le(&pair, "ok").unwrap(), pair);
        assert_eq!(utf16le_to_string(&pair, "ok").unwrap(), "\u{1F600}A");
    }

    proptest::proptest! {
        /// The in-place check (what the handshake runs) accepts exactly what the decoder
        /// decodes; units are drawn with surrogates over-represented.
        #[test]
        fn utf16_check_agrees_with_decoding(
            units in proptest::collection::vec(
                proptest::prop_oneof![0u16..0x80, 0xd800u16..0xe000, proptest::num::u16::ANY],
                0..12,
            ),
            odd in proptest::bool::ANY,
        ) {
            let mut bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            if odd {
                bytes.push(0x41);
            }
            let decoded = utf16le_to_string(&bytes, "f");
            proptest::prop_assert_eq!(check_utf16le(&bytes, "f").is_ok(), decoded.is_ok());
        }

        /// The writer appends exactly `encode_utf16`'s units after what it holds, at every
        /// length around its 8-character blocks, ASCII or not; the decoder gives `s` back.
        #[test]
        fn utf16_writer_appends_the_units(
            prefix in proptest::collection::vec(proptest::num::u8::ANY, 0..3),
            s in "[a-zA-Z0-9.-]{0,40}|\\PC{0,20}",
        ) {
            let mut w = Writer::with_capacity(0);
            w.bytes(&prefix).utf16le(&s);
            let mut expected = prefix.clone();
            expected.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            proptest::prop_assert_eq!(&w.bytes, &expected);
            let tail = w.bytes.get(prefix.len()..).unwrap();
            proptest::prop_assert_eq!(utf16le_to_string(tail, "s").unwrap(), s);
        }
    }
}
