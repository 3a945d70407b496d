//! The RFC 9110 §11 grammar of `WWW-Authenticate` and `Authorization` values.
//!
//! ```text
//! WWW-Authenticate = #challenge
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! credentials      = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! The list separator of `#challenge` and of `#auth-param` is the same comma, so after a comma
//! the next element is an auth-param when a `token BWS "="` follows, and a new challenge
//! otherwise (the reading every major client uses). Empty list elements are skipped
//! (RFC 9110 §5.6.1.2).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::{HttpError, Scheme};

/// Standard alphabet. Padding is written, and accepted present or absent on input: some
/// clients strip it.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One challenge of a `WWW-Authenticate` value, or the credentials of an `Authorization`
/// value (the two share a grammar).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// The auth-scheme as written; compare it with [`Challenge::is`].
    pub scheme: &'a str,
    /// What follows the scheme.
    pub data: ChallengeData<'a>,
}

/// What follows an auth-scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChallengeData<'a> {
    /// Nothing: `Negotiate` alone.
    Empty,
    /// A token68, e.g. the base64 of an NTLM or SPNEGO token, padding included.
    Token68(&'a str),
    /// A list of auth-params, e.g. `realm="x", charset=UTF-8`.
    Params(Vec<AuthParam<'a>>),
}

/// `name=value`; a quoted-string value is unquoted (quoted-pairs resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthParam<'a> {
    /// The parameter name as written (names are case-insensitive).
    pub name: &'a str,
    /// The value, unquoted.
    pub value: Cow<'a, str>,
}

impl Challenge<'_> {
    /// Whether the scheme is `name`, case-insensitively (RFC 9110 §11.1).
    pub fn is(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name)
    }

    /// The scheme, if it is one this module speaks.
    pub fn known_scheme(&self) -> Option<Scheme> {
        Scheme::from_name(self.scheme)
    }

    /// The token68, if the challenge carries one.
    pub fn token68(&self) -> Option<&str> {
        match &self.data {
            ChallengeData::Token68(t) => Some(t),
            _ => None,
        }
    }

    /// The value of the auth-param `name` (case-insensitive), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        match &self.data {
            ChallengeData::Params(params) => {
                params.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| p.value.as_ref())
            }
            _ => None,
        }
    }

    /// The decoded token of a `Negotiate` / `NTLM` challenge: `None` when bare, an error when
    /// it carries auth-params or invalid base64.
    pub fn token(&self) -> Result<Option<alloc::vec::Vec<u8>>, HttpError> {
        match &self.data {
            ChallengeData::Empty => Ok(None),
            ChallengeData::Token68(t) => decode_token(t).map(Some),
            ChallengeData::Params(_) => {
                Err(HttpError::Protocol("Negotiate / NTLM carries auth-params, not a token"))
            }
        }
    }
}

/// Parses one `WWW-Authenticate` (or `Proxy-Authenticate`) field value into its challenges,
/// in order. A response may carry several such fields: parse each one.
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge<'_>>, HttpError> {
    let mut p = Parser { input: value, rest: value };
    let mut out = Vec::new();
    loop {
        p.skip_separators();
        if p.rest.is_empty() {
            return Ok(out);
        }
        let scheme = p.take_while(is_tchar);
        if scheme.is_empty() {
            return Err(p.error("expected an auth-scheme"));
        }
        let data = p.challenge_data()?;
        out.push(Challenge { scheme, data });
        p.skip_ows();
        match p.peek() {
            None | Some(b',') => {}
            Some(_) => return Err(p.error("expected ',' between challenges")),
        }
    }
}

/// Parses one `Authorization` (or `Proxy-Authorization`) field value: exactly one
/// credentials element.
pub fn parse_credentials(value: &str) -> Result<Challenge<'_>, HttpError> {
    let mut all = parse_challenges(value)?.into_iter();
    match (all.next(), all.next()) {
        (Some(c), None) => Ok(c),
        (None, _) => Err(HttpError::Malformed { offset: 0, detail: "no credentials" }),
        (Some(_), Some(_)) => {
            Err(HttpError::Malformed { offset: 0, detail: "more than one credentials element" })
        }
    }
}

/// Decodes the base64 of a token68.
pub fn decode_token(token68: &str) -> Result<Vec<u8>, HttpError> {
    B64.decode(token68).map_err(|_| HttpError::InvalidBase64)
}

/// Formats `<Scheme> <base64>` (or the bare scheme when `token` is `None`), the value of an
/// `Authorization` or `WWW-Authenticate` field.
pub fn header_value(scheme: Scheme, token: Option<&[u8]>) -> String {
    let mut out = String::from(scheme.name());
    if let Some(token) = token {
        out.push(' ');
        B64.encode_string(token, &mut out);
    }
    out
}

/// RFC 9110 §5.6.2 `tchar`.
const fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// RFC 9110 §11.2 `token68` characters, before the padding.
const fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// A cursor over a header value. It advances only over ASCII bytes it has inspected, so every
/// split lands on a character boundary.
struct Parser<'a> {
    input: &'a str,
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn error(&self, detail: &'static str) -> HttpError {
        HttpError::Malformed { offset: self.input.len().saturating_sub(self.rest.len()), detail }
    }

    fn peek(&self) -> Option<u8> {
        self.rest.as_bytes().first().copied()
    }

    /// Consumes the longest prefix of bytes matching `f` (which only accepts ASCII).
    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let n = self.rest.bytes().position(|b| !f(b)).unwrap_or(self.rest.len());
        let (head, tail) = self.rest.split_at_checked(n).unwrap_or(("", self.rest));
        self.rest = tail;
        head
    }

    fn skip_ows(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t']);
    }

    /// Skips OWS and empty list elements.
    fn skip_separators(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t', ',']);
    }

    /// After the auth-scheme: nothing, a token68, or auth-params.
    fn challenge_data(&mut self) -> Result<ChallengeData<'a>, HttpError> {
        let spaced = self.rest.starts_with([' ', '\t']);
        self.skip_ows();
        if matches!(self.peek(), None | Some(b',')) {
            return Ok(ChallengeData::Empty);
        }
        if !spaced {
            return Err(self.error("expected a space after the auth-scheme"));
        }
        let word_start = self.rest;
        let word = self.take_while(|b| is_tchar(b) || b == b'/');
        if word.is_empty() {
            return Err(self.error("expected a token68 or an auth-param"));
        }
        let after_word = self.rest;
        // token68: the word, its padding, then the end of the element.
        let padding = self.take_while(|b| b == b'=');
        self.skip_ows();
        if matches!(self.peek(), None | Some(b',')) {
            if !word.bytes().all(is_token68) {
                self.rest = word_start;
                return Err(self.error("invalid character in token68"));
            }
            let len = word.len().saturating_add(padding.len());
            let token = word_start.get(..len).unwrap_or(word);
            return Ok(ChallengeData::Token68(token));
        }
        if !word.bytes().all(is_tchar) {
            self.rest = word_start;
            return Err(self.error("invalid character in auth-param name"));
        }
        self.rest = after_word;
        self.params(word).map(ChallengeData::Params)
    }

    /// `#auth-param`, the first (valid) name already read.
    fn params(&mut self, first: &'a str) -> Result<Vec<AuthParam<'a>>, HttpError> {
        let mut params = Vec::new();
        let mut name = first;
        loop {
            self.skip_ows();
            if self.peek() != Some(b'=') {
                return Err(self.error("expected '=' after auth-param name"));
            }
            self.rest = self.rest.get(1..).unwrap_or_default();
            self.skip_ows();
            let value = if self.peek() == Some(b'"') {
                self.quoted_string()?
            } else {
                let token = self.take_while(is_tchar);
                if token.is_empty() {
                    return Err(self.error("expected a token or quoted-string value"));
                }
                Cow::Borrowed(token)
            };
            params.push(AuthParam { name, value });
            self.skip_ows();
            match self.peek() {
                None => return Ok(params),
                Some(b',') => {}
                Some(_) => return Err(self.error("expected ',' after an auth-param")),
            }
            // Another auth-param of this challenge, or the next challenge?
            let before = self.rest;
            self.skip_separators();
            let next = self.take_while(is_tchar);
            self.skip_ows();
            if next.is_empty() || self.peek() != Some(b'=') {
                self.rest = before;
                return Ok(params);
            }
            name = next;
        }
    }

    /// RFC 9110 §5.6.4 `quoted-string`, at its opening quote.
    fn quoted_string(&mut self) -> Result<Cow<'a, str>, HttpError> {
        let body = self.rest.get(1..).unwrap_or_default();
        let mut owned: Option<String> = None;
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    let value = match owned {
                        Some(s) => Cow::Owned(s),
                        None => Cow::Borrowed(body.get(..i).unwrap_or_default()),
                    };
                    self.rest = body.get(i..).and_then(|r| r.get(1..)).unwrap_or_default();
                    return Ok(value);
                }
                '\\' => {
                    let escaped = chars.next().map(|(_, e)| e);
                    match escaped {
                        Some(e) if e == '\t' || !e.is_ascii_control() => {
                            owned
                                .get_or_insert_with(|| {
                                    String::from(body.get(..i).unwrap_or_default())
                                })
                                .push(e);
                        }
                        _ => {
                            self.rest = body.get(i..).unwrap_or_default();
                            return Err(self.error("invalid quoted-pair"));
                        }
                    }
                }
                c if c != '\t' && c.is_ascii_control() => {
                    self.rest = body.get(i..).unwrap_or_default();
                    return Err(self.error("control character in quoted-string"));
                }
                c => {
                    if let Some(s) = owned.as_mut() {
                        s.push(c);
                    }
                }
            }
        }
        Err(self.error("unterminated quoted-string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn token(t: &str) -> ChallengeData<'_> {
        ChallengeData::Token68(t)
    }

    fn params<'a>(list: &[(&'a str, &'a str)]) -> ChallengeData<'a> {
        ChallengeData::Params(
            list.iter().map(|(n, v)| AuthParam { name: n, value: Cow::Borrowed(v) }).collect(),
        )
    }

    fn schemes(value: &str) -> Vec<&str> {
        parse_challenges(value).unwrap().into_iter().map(|c| c.scheme).collect()
    }

    #[test]
    fn several_challenges_in_one_value() {
        let got =
            parse_challenges("Negotiate, NTLM, Basic realm=\"x\", Negotiate YIIBhg==").unwrap();
        assert_eq!(
            got,
            vec![
                Challenge { scheme: "Negotiate", data: ChallengeData::Empty },
                Challenge { scheme: "NTLM", data: ChallengeData::Empty },
                Challenge { scheme: "Basic", data: params(&[("realm", "x")]) },
                Challenge { scheme: "Negotiate", data: token("YIIBhg==") },
            ]
        );
    }

    #[test]
    fn rfc_9110_example() {
        // RFC 9110 §11.6.1.
        let got = parse_challenges(
            "Basic realm=\"simple\", Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\"",
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].param("REALM"), Some("simple"));
        assert!(got[1].is("newauth"));
        assert_eq!(got[1].param("realm"), Some("apps"));
        assert_eq!(got[1].param("type"), Some("1"));
        assert_eq!(got[1].param("title"), Some("Login to \"apps\""));
    }

    #[test]
    fn quoted_commas_and_spaces_stay_inside_the_value() {
        let got = parse_challenges("Digest realm=\"a, b\", nonce=\"x y\",NTLM").unwrap();
        assert_eq!(got[0].data, params(&[("realm", "a, b"), ("nonce", "x y")]));
        assert!(got[1].is("ntlm"));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn token68_padding_and_alphabet() {
        for t in [
            "YII=",
            "YII==",
            "TlRMTVNTUAABAAAAB4II4gAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==",
            "a-._~+/b",
        ] {
            let value = alloc::format!("Negotiate {t}");
            assert_eq!(parse_challenges(&value).unwrap()[0].data, token(t), "{t}");
        }
        // Padding then OWS and a next challenge.
        assert_eq!(parse_challenges("NTLM abc= \t, Basic").unwrap()[0].data, token("abc="));
        // A lone `name=` is a token68 by the grammar; `a=b` is an auth-param.
        assert_eq!(parse_challenges("Basic realm=").unwrap()[0].data, token("realm="));
        assert_eq!(parse_challenges("X a=b").unwrap()[0].data, params(&[("a", "b")]));
        assert_eq!(parse_challenges("X a = \"b\"").unwrap()[0].data, params(&[("a", "b")]));
    }

    #[test]
    fn case_insensitive_schemes_and_empty_elements() {
        assert_eq!(schemes(" , negotiate,,  ntlm ,"), ["negotiate", "ntlm"]);
        let c = &parse_challenges("nEgOtIaTe").unwrap()[0];
        assert!(c.is("Negotiate"));
        assert_eq!(c.known_scheme(), Some(Scheme::Negotiate));
        assert_eq!(parse_challenges("").unwrap(), vec![]);
        assert_eq!(parse_challenges(" ,, ").unwrap(), vec![]);
    }

    #[test]
    fn unknown_schemes_are_kept() {
        let got =
            parse_challenges("Bearer realm=\"api\", error=\"invalid_token\", Kerberos").unwrap();
        assert_eq!(got[0].known_scheme(), None);
        assert_eq!(got[0].param("error"), Some("invalid_token"));
        assert_eq!(got[1].known_scheme(), None);
    }

    #[test]
    fn quoted_string_escapes_and_non_ascii() {
        let got = parse_challenges("Basic realm=\"caf\u{e9} \\\\ \\a\"").unwrap();
        assert_eq!(got[0].param("realm"), Some("caf\u{e9} \\ a"));
        let got = parse_challenges("Basic realm=\"\"").unwrap();
        assert_eq!(got[0].param("realm"), Some(""));
    }

    #[test]
    fn malformed_values_are_typed_errors() {
        let cases: &[(&str, usize)] = &[
            ("=x", 0),
            ("Negotiate YII junk", 14),
            ("Negotiate YII== junk", 14),
            ("Basic realm=\"open", 12),
            ("Basic a=b, c=", 13),
            ("Basic realm=\"a\" b", 16),
            ("Basic realm=\"a\u{7}\"", 14),
            ("Basic realm=\"a\\\u{1}\"", 14),
            ("Negotiate a/b=c", 10),
            ("Negotiate\"x\"", 9),
            ("Negotiate YII\u{e9}", 13),
            ("Basic a@b=c", 7),
            ("\u{e9}", 0),
        ];
        for (value, offset) in cases {
            match parse_challenges(value) {
                Err(HttpError::Malformed { offset: got, .. }) => {
                    assert_eq!(got, *offset, "{value:?}")
                }
                other => panic!("{value:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn credentials_are_exactly_one() {
        let c = parse_credentials("NTLM TlRMTVNTUAABAAAA").unwrap();
        assert_eq!(c.known_scheme(), Some(Scheme::Ntlm));
        assert_eq!(c.token().unwrap().unwrap(), b"NTLMSSP\0\x01\0\0\0");
        assert!(parse_credentials("").is_err());
        assert!(parse_credentials("NTLM a, Negotiate b").is_err());
        assert_eq!(parse_credentials("Negotiate").unwrap().token(), Ok(None));
    }

    #[test]
    fn base64_round_trip_with_and_without_padding() {
        let value = header_value(Scheme::Negotiate, Some(b"\x60\x82"));
        assert_eq!(value, "Negotiate YII=");
        assert_eq!(header_value(Scheme::Ntlm, None), "NTLM");
        assert_eq!(decode_token("YII=").unwrap(), b"\x60\x82");
        assert_eq!(decode_token("YII").unwrap(), b"\x60\x82");
        assert_eq!(decode_token("Y!I="), Err(HttpError::InvalidBase64));
        assert_eq!(decode_token("YI=I"), Err(HttpError::InvalidBase64));
        let c = &parse_challenges("Negotiate realm=x").unwrap()[0];
        assert!(matches!(c.token(), Err(HttpError::Protocol(_))));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2048, failure_persistence: None, ..Default::default()
        })]

        #[test]
        fn arbitrary_strings_never_panic(value in proptest::arbitrary::any::<String>()) {
            let _ = parse_challenges(&value);
            let _ = parse_credentials(&value);
            let _ = decode_token(&value);
        }

        #[test]
        fn header_like_strings_never_panic(
            value in "[A-Za-z0-9 ,=\"\\\\/+\t.~_-]{0,64}"
        ) {
            if let Ok(list) = parse_challenges(&value) {
                for c in list {
                    let _ = c.token();
                }
            }
        }

        #[test]
        fn formatted_tokens_parse_back(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let value = header_value(Scheme::Negotiate, Some(&bytes));
            let c = parse_credentials(&value).unwrap();
            let expected = if bytes.is_empty() { None } else { Some(bytes) };
            proptest::prop_assert_eq!(c.token().unwrap(), expected);
        }
    }
}
