//! `cargo run --example inspect -- <token>...`: the tool to reach for when a logon fails.
//!
//! Decodes NTLM and SPNEGO tokens and prints every field: flags by name, AV pairs,
//! timestamps as UTC dates, VERSION as a Windows build. Given the password (or NT hash) it
//! checks an AUTHENTICATE against its CHALLENGE the way a server would, derives the session
//! keys, and can unseal captured messages with them.
//!
//! ```text
//! inspect [--json] TOKEN...
//! inspect [--json] NEGOTIATE CHALLENGE AUTHENTICATE (--password PW | --nt-hash HEX)
//!         [--user U] [--domain D] [--unseal WRAP]... [--direction c2s|s2c] [--seq N]
//! ```
//!
//! A TOKEN is base64 (`TlRMTVNT…`, `YII…`, `oX…`), hex, `-` for stdin (raw bytes or any
//! of the text forms), or an HTTP header value: `NTLM TlRM…`, `Negotiate YII…`, or a whole
//! `WWW-Authenticate: …` / `Authorization: …` line. SPNEGO tokens are unwrapped to the NTLM
//! message inside.
//!
//! Checking needs the AUTHENTICATE and its CHALLENGE among the tokens (or `--challenge T`);
//! the NEGOTIATE too (or `--negotiate T`) to verify the MIC. User and domain come from the
//! AUTHENTICATE unless `--user` / `--domain` say otherwise. `--unseal` takes a GSS_Wrap token
//! (16-byte signature, then the sealed data; repeat it for consecutive messages of one
//! direction, oldest first). The RC4 state starts fresh at the first one: right for the first
//! message after a raw NTLM handshake (SeqNum 0) and after SPNEGO, whose mechListMIC resets it
//! (SeqNum 1). `--seq` overrides the sequence number read from the first signature.
//!
//! Exit status: 0 when everything decoded and every check passed, 1 when something did not,
//! 2 for a usage error. `--json` prints one JSON document instead of text.

// An application, not library code: the library's no-arithmetic lint does not apply here.
#![allow(clippy::arithmetic_side_effects)]

use std::fmt::Write as _;
use std::io::Read as _;
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
use sspi_proto::NegotiateFlags;
use sspi_proto::ntlm::crypto::{
    self, Direction, NtHash, Rc4, SessionKey, hmac_md5_keyed, md5, seal_key, sign_key,
};
use sspi_proto::ntlm::messages::{
    AUTHENTICATE_TYPE, AuthenticateMessage, AvFlags, AvPair, AvPairs, CHALLENGE_TYPE,
    ChallengeMessage, NEGOTIATE_TYPE, NegotiateMessage, NtlmV2Response, Version, message_type,
    zero_mic,
};
use sspi_proto::spnego::{NegState, NegTokenInit, NegTokenResp, NegotiationToken, Oid, ReqFlags};

const USAGE: &str = "usage: inspect [--json] TOKEN... [--challenge T] [--negotiate T] \
                     [--password PW | --nt-hash HEX] [--user U] [--domain D] \
                     [--unseal WRAP]... [--direction c2s|s2c] [--seq N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}\n\nSee the top of examples/inspect.rs for the input forms and checks.");
        return ExitCode::SUCCESS;
    }
    let opts = match Options::parse(&args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("inspect: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(report) => {
            print!("{}", if opts.json { report.json() } else { report.text() });
            if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("inspect: {e}");
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Options {
    json: bool,
    tokens: Vec<String>,
    challenge: Option<String>,
    negotiate: Option<String>,
    password: Option<String>,
    nt_hash: Option<String>,
    user: Option<String>,
    domain: Option<String>,
    unseal: Vec<String>,
    direction: Option<String>,
    seq: Option<u32>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Self::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--json" => o.json = true,
                "--challenge" => o.challenge = Some(value()?),
                "--negotiate" => o.negotiate = Some(value()?),
                "--password" => o.password = Some(value()?),
                "--nt-hash" => o.nt_hash = Some(value()?),
                "--user" => o.user = Some(value()?),
                "--domain" => o.domain = Some(value()?),
                "--unseal" => o.unseal.push(value()?),
                "--direction" => o.direction = Some(value()?),
                "--seq" => {
                    let v = value()?;
                    o.seq = Some(v.parse().map_err(|_| format!("--seq {v}: not a number"))?);
                }
                flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
                _ => o.tokens.push(arg.clone()),
            }
        }
        if o.tokens.is_empty() && o.challenge.is_none() {
            return Err("no token given".into());
        }
        if o.password.is_some() && o.nt_hash.is_some() {
            return Err("give --password or --nt-hash, not both".into());
        }
        if !o.unseal.is_empty() && o.password.is_none() && o.nt_hash.is_none() {
            return Err("--unseal needs the session keys: give --password or --nt-hash".into());
        }
        Ok(o)
    }

    fn direction(&self) -> Result<Direction, String> {
        match self.direction.as_deref() {
            None | Some("c2s") => Ok(Direction::ClientToServer),
            Some("s2c") => Ok(Direction::ServerToClient),
            Some(other) => Err(format!("--direction {other}: expected c2s or s2c")),
        }
    }

    fn secret(&self) -> Result<Option<(NtHash, Option<&str>)>, String> {
        if let Some(pw) = &self.password {
            return Ok(Some((NtHash::from_password(pw), Some(pw))));
        }
        match &self.nt_hash {
            Some(h) => {
                let bytes: [u8; 16] = parse_hex(h)
                    .and_then(|b| b.try_into().ok())
                    .ok_or("--nt-hash: expected 32 hex digits")?;
                Ok(Some((NtHash::from_bytes(bytes), None)))
            }
            None => Ok(None),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Input forms: base64, hex, raw bytes, HTTP header values
// ---------------------------------------------------------------------------------------------

/// A token as given, and how it was written.
struct Input {
    bytes: Vec<u8>,
    form: String,
}

fn read_input(arg: &str) -> Result<Input, String> {
    if arg != "-" {
        return parse_text(arg);
    }
    let mut raw = Vec::new();
    std::io::stdin().read_to_end(&mut raw).map_err(|e| format!("stdin: {e}"))?;
    // Binary tokens start with `NTLMSSP\0`, or a DER tag no text form starts with.
    if raw.starts_with(b"NTLMSSP\0") || matches!(raw.first(), Some(0x60 | 0xa1)) {
        return Ok(Input { bytes: raw, form: "raw bytes".into() });
    }
    let text = String::from_utf8(raw).map_err(|_| "stdin: neither a token nor text")?;
    parse_text(&text)
}

const HEADERS: [&str; 4] =
    ["www-authenticate", "authorization", "proxy-authenticate", "proxy-authorization"];
const SCHEMES: [&str; 3] = ["ntlm", "negotiate", "kerberos"];

fn parse_text(text: &str) -> Result<Input, String> {
    let mut s = text.trim();
    let mut form = Vec::new();
    if let Some((name, rest)) = s.split_once(':') {
        if HEADERS.contains(&name.trim().to_ascii_lowercase().as_str()) {
            form.push(format!("{} header", name.trim()));
            s = rest.trim();
        }
    }
    if let Some((scheme, rest)) = s.split_once(char::is_whitespace) {
        if SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            form.push(format!("scheme {scheme}"));
            s = rest.trim();
        }
    }
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(format!("{text:?}: no token"));
    }
    let (bytes, encoding) = match parse_hex(&compact) {
        Some(bytes) => (bytes, "hex"),
        None => {
            let bytes = STANDARD_PAD_INDIFFERENT
                .decode(&compact)
                .or_else(|_| URL_SAFE_PAD_INDIFFERENT.decode(&compact))
                .map_err(|_| format!("{}: neither hex nor base64", abbreviate(&compact)))?;
            (bytes, "base64")
        }
    };
    form.push(encoding.into());
    Ok(Input { bytes, form: form.join(", ") })
}

/// Hex digits, optionally `0x`-prefixed and `:`-separated.
fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s).replace(':', "");
    if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn abbreviate(s: &str) -> String {
    match s.char_indices().nth(24) {
        Some((at, _)) => format!("{}…", s.get(..at).unwrap_or(s)),
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// A small document model, printed as text or as JSON
// ---------------------------------------------------------------------------------------------

/// A decoded value. `Flags` and `Time` print compactly as text and as objects in JSON.
enum V {
    Null,
    Bool(bool),
    Num(u64),
    Str(String),
    /// A bit mask and the names of its set bits.
    Flags(u32, Vec<String>),
    /// A FILETIME.
    Time(u64),
    List(Vec<V>),
    Obj(Obj),
}

/// An object whose keys keep their order.
#[derive(Default)]
struct Obj(Vec<(String, V)>);

impl Obj {
    fn new(kind: &str) -> Self {
        Self::default().with("type", kind)
    }

    fn with(mut self, key: &str, value: impl Into<V>) -> Self {
        self.put(key, value);
        self
    }

    fn put(&mut self, key: &str, value: impl Into<V>) {
        self.0.push((key.into(), value.into()));
    }
}

impl From<Obj> for V {
    fn from(o: Obj) -> Self {
        Self::Obj(o)
    }
}
impl From<&str> for V {
    fn from(s: &str) -> Self {
        Self::Str(s.into())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}
impl From<u64> for V {
    fn from(n: u64) -> Self {
        Self::Num(n)
    }
}
impl From<u32> for V {
    fn from(n: u32) -> Self {
        Self::Num(n.into())
    }
}
impl From<u8> for V {
    fn from(n: u8) -> Self {
        Self::Num(n.into())
    }
}
impl From<usize> for V {
    fn from(n: usize) -> Self {
        Self::Num(u64::try_from(n).unwrap_or(u64::MAX))
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(o: Option<T>) -> Self {
        o.map_or(Self::Null, Into::into)
    }
}
impl From<Vec<V>> for V {
    fn from(l: Vec<V>) -> Self {
        Self::List(l)
    }
}

fn hex(bytes: &[u8]) -> V {
    V::Str(hex_string(bytes))
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl V {
    fn is_scalar(&self) -> bool {
        !matches!(self, Self::List(_) | Self::Obj(_))
    }

    /// The one-line text form of a scalar.
    fn scalar_text(&self) -> String {
        match self {
            Self::Null => "(absent)".into(),
            Self::Bool(b) => if *b { "yes" } else { "no" }.into(),
            Self::Num(n) => n.to_string(),
            Self::Str(s) if s.is_empty() => "\"\"".into(),
            // Names come from the wire: never let them drive the terminal.
            Self::Str(s) => s.chars().flat_map(char::escape_default).collect(),
            Self::Flags(bits, names) => format!("0x{bits:08x} ({})", names.join(" | ")),
            Self::Time(ft) => format!("{} (FILETIME 0x{ft:016x})", iso8601(*ft)),
            Self::List(_) | Self::Obj(_) => String::new(),
        }
    }

    fn write_text(&self, key: &str, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Self::List(items) if items.iter().all(Self::is_scalar) => {
                let line: Vec<String> = items.iter().map(Self::scalar_text).collect();
                let line = if line.is_empty() { "(none)".into() } else { line.join(", ") };
                let _ = writeln!(out, "{pad}{key}: {line}");
            }
            Self::List(items) => {
                let _ = writeln!(out, "{pad}{key}:");
                for (i, item) in items.iter().enumerate() {
                    item.write_text(&format!("[{}]", i + 1), indent + 2, out);
                }
            }
            Self::Obj(obj) => {
                let _ = writeln!(out, "{pad}{key}:");
                for (k, v) in &obj.0 {
                    v.write_text(k, indent + 2, out);
                }
            }
            scalar => {
                let _ = writeln!(out, "{pad}{key}: {}", scalar.scalar_text());
            }
        }
    }

    fn write_json(&self, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        let close = "  ".repeat(indent);
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Num(n) => out.push_str(&n.to_string()),
            Self::Str(s) => json_string(s, out),
            Self::Flags(bits, names) => {
                let names = names.iter().map(|n| V::Str(n.clone())).collect();
                let obj = Obj::default()
                    .with("value", *bits)
                    .with("hex", format!("0x{bits:08x}"))
                    .with("names", V::List(names));
                V::Obj(obj).write_json(indent, out);
            }
            Self::Time(ft) => {
                let obj = Obj::default().with("utc", iso8601(*ft)).with("filetime", *ft);
                V::Obj(obj).write_json(indent, out);
            }
            Self::List(items) if items.is_empty() => out.push_str("[]"),
            Self::List(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad);
                    item.write_json(indent + 1, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                let _ = write!(out, "{close}]");
            }
            Self::Obj(obj) if obj.0.is_empty() => out.push_str("{}"),
            Self::Obj(obj) => {
                out.push_str("{\n");
                for (i, (k, v)) in obj.0.iter().enumerate() {
                    out.push_str(&pad);
                    json_string(k, out);
                    out.push_str(": ");
                    v.write_json(indent + 1, out);
                    out.push_str(if i + 1 < obj.0.len() { ",\n" } else { "\n" });
                }
                let _ = write!(out, "{close}}}");
            }
        }
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// What `inspect` found: decoded tokens, and the check and unseal results when asked.
struct Report {
    tokens: Vec<(String, V)>,
    check: Option<V>,
    unseal: Option<V>,
    ok: bool,
}

impl Report {
    fn text(&self) -> String {
        let mut out = String::new();
        for (i, (title, token)) in self.tokens.iter().enumerate() {
            let _ = writeln!(out, "== token {}: {title} ==", i + 1);
            write_fields(token, &mut out);
        }
        for (title, section) in [("check", &self.check), ("unseal", &self.unseal)] {
            if let Some(section) = section {
                let _ = writeln!(out, "== {title} ==");
                write_fields(section, &mut out);
            }
        }
        out
    }

    fn json(&self) -> String {
        let tokens = self
            .tokens
            .iter()
            .map(|(title, token)| {
                V::Obj(Obj::default().with("input", title.as_str()).with("token", clone_v(token)))
            })
            .collect();
        let mut doc = Obj::default().with("tokens", V::List(tokens));
        if let Some(check) = &self.check {
            doc.put("check", clone_v(check));
        }
        if let Some(unseal) = &self.unseal {
            doc.put("unseal", clone_v(unseal));
        }
        doc.put("ok", self.ok);
        let mut out = String::new();
        V::Obj(doc).write_json(0, &mut out);
        out.push('\n');
        out
    }
}

/// The fields of an object at the top level, without a header line of its own.
fn write_fields(v: &V, out: &mut String) {
    match v {
        V::Obj(obj) => {
            for (k, v) in &obj.0 {
                v.write_text(k, 2, out);
            }
        }
        other => other.write_text("value", 2, out),
    }
}

fn clone_v(v: &V) -> V {
    match v {
        V::Null => V::Null,
        V::Bool(b) => V::Bool(*b),
        V::Num(n) => V::Num(*n),
        V::Str(s) => V::Str(s.clone()),
        V::Flags(b, n) => V::Flags(*b, n.clone()),
        V::Time(t) => V::Time(*t),
        V::List(l) => V::List(l.iter().map(clone_v).collect()),
        V::Obj(o) => V::Obj(Obj(o.0.iter().map(|(k, v)| (k.clone(), clone_v(v))).collect())),
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting of protocol values
// ---------------------------------------------------------------------------------------------

/// The names of the set bits, and `0x…` for any bit without one.
fn flag_names<'a>(bits: u32, named: impl Iterator<Item = (&'a str, u32)>) -> Vec<String> {
    let mut rest = bits;
    let mut names: Vec<String> =
        named.inspect(|(_, b)| rest &= !b).map(|(n, _)| n.to_string()).collect();
    if rest != 0 {
        names.push(format!("0x{rest:x}"));
    }
    names
}

fn negotiate_flags(flags: NegotiateFlags) -> V {
    V::Flags(flags.bits(), flag_names(flags.bits(), flags.iter_names().map(|(n, f)| (n, f.bits()))))
}

fn av_flags(flags: AvFlags) -> V {
    V::Flags(flags.bits(), flag_names(flags.bits(), flags.iter_names().map(|(n, f)| (n, f.bits()))))
}

/// `10.0.19045 (NTLM rev 15)`.
fn version(v: Version) -> String {
    format!("{}.{}.{} (NTLM rev {})", v.major, v.minor, v.build, v.revision)
}

/// A FILETIME as ISO 8601 UTC, computed by hand: `2012-12-19T17:10:36.1234567Z`.
fn iso8601(filetime: u64) -> String {
    const TICKS_PER_SECOND: u64 = 10_000_000;
    /// Days from 1601-01-01 (the FILETIME epoch) to 1970-01-01.
    const DAYS_1601_TO_1970: i64 = 134_774;
    let secs = filetime / TICKS_PER_SECOND;
    let ticks = filetime % TICKS_PER_SECOND;
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX) - DAYS_1601_TO_1970;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let frac = if ticks == 0 { String::new() } else { format!(".{ticks:07}") };
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{frac}Z")
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn oid(o: &Oid) -> V {
    V::Str(match o.name() {
        Some(name) => format!("{o} ({name})"),
        None => o.to_string(),
    })
}

/// Printable text when the bytes are UTF-8 or UTF-16LE text.
fn as_text(bytes: &[u8]) -> V {
    let printable = |s: &str| s.chars().all(|c| !c.is_control() || c.is_whitespace());
    if let Ok(s) = std::str::from_utf8(bytes) {
        if printable(s) {
            return V::Str(s.into());
        }
    }
    if bytes.len().is_multiple_of(2) {
        let units =
            bytes.chunks_exact(2).map(|c| c.try_into().map(u16::from_le_bytes).unwrap_or(u16::MAX));
        if let Ok(s) = char::decode_utf16(units).collect::<Result<String, _>>() {
            if printable(&s) {
                return V::Str(format!("{s} (UTF-16LE)"));
            }
        }
    }
    V::Null
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

fn error_obj(kind: &str, e: impl std::fmt::Display) -> V {
    Obj::new(kind).with("error", e.to_string()).into()
}

/// Decodes any token: NTLM, SPNEGO, or another GSS-API mechanism's initial token.
fn decode_token(bytes: &[u8]) -> V {
    if bytes.starts_with(b"NTLMSSP") {
        return decode_ntlm(bytes);
    }
    match bytes.first() {
        Some(0x60) => match NegTokenInit::decode(bytes) {
            Ok(init) => decode_init(&init),
            Err(e) => match gss_mech(bytes) {
                Some(mech) if mech != Oid::SPNEGO => Obj::new("GSS-API InitialContextToken")
                    .with("thisMech", oid(&mech))
                    .with("note", "not SPNEGO or NTLM: not decoded further")
                    .into(),
                _ => error_obj("SPNEGO NegTokenInit", e),
            },
        },
        Some(0xa1) => match NegTokenResp::decode(bytes) {
            Ok(resp) => decode_resp(&resp),
            Err(e) => error_obj("SPNEGO NegTokenResp", e),
        },
        _ => Obj::new("unknown")
            .with("error", "neither NTLM (NTLMSSP\\0) nor SPNEGO (0x60, 0xa1)")
            .with("first bytes", hex(bytes.get(..16).unwrap_or(bytes)))
            .into(),
    }
}

/// The `thisMech` of a GSS-API InitialContextToken (RFC 2743 3.1): `0x60 len 0x06 len oid`.
fn gss_mech(bytes: &[u8]) -> Option<Oid> {
    let inner = der_contents(bytes, 0x60)?;
    Oid::from_der_contents(der_contents(inner, 0x06)?).ok()
}

/// The contents of the DER element at the start of `bytes`, if it has tag `tag` (definite
/// lengths of up to 4 octets).
fn der_contents(bytes: &[u8], tag: u8) -> Option<&[u8]> {
    let (&t, rest) = bytes.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    if t != tag {
        return None;
    }
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (len_bytes, after) = rest.split_at_checked(n)?;
        rest = after;
        len_bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    rest.get(..len)
}

fn decode_init(init: &NegTokenInit) -> V {
    let kind =
        if init.neg_hints.is_some() { "SPNEGO NegTokenInit2" } else { "SPNEGO NegTokenInit" };
    let mut o =
        Obj::new(kind).with("mechTypes", V::List(init.mech_types.iter().map(oid).collect()));
    if let Some(flags) = &init.req_flags {
        o.put("reqFlags", req_flags(flags));
    }
    o.put("mechToken", init.mech_token.as_deref().map(decode_inner));
    if let Some(hints) = &init.neg_hints {
        let name = hints.hint_name.as_deref().map(|n| String::from_utf8_lossy(n).into_owned());
        o.put(
            "negHints",
            Obj::default()
                .with("hintName", name)
                .with("hintAddress", hints.hint_address.as_deref().map(hex)),
        );
    }
    o.put("mechListMIC", init.mech_list_mic.as_deref().map(decode_mic));
    o.into()
}

fn decode_resp(resp: &NegTokenResp) -> V {
    let state = resp.neg_state.map(|s| {
        let name = match s {
            NegState::AcceptCompleted => "accept-completed",
            NegState::AcceptIncomplete => "accept-incomplete",
            NegState::Reject => "reject",
            NegState::RequestMic => "request-mic",
        };
        format!("{name} ({})", s.value())
    });
    Obj::new("SPNEGO NegTokenResp")
        .with("negState", state)
        .with("supportedMech", resp.supported_mech.as_ref().map(oid))
        .with("responseToken", resp.response_token.as_deref().map(decode_inner))
        .with("mechListMIC", resp.mech_list_mic.as_deref().map(decode_mic))
        .into()
}

/// A token inside SPNEGO: NTLM or another mechanism's.
fn decode_inner(bytes: &[u8]) -> V {
    if bytes.starts_with(b"NTLMSSP") || bytes.first() == Some(&0x60) {
        decode_token(bytes)
    } else {
        Obj::new("opaque").with("length", bytes.len()).with("hex", hex(bytes)).into()
    }
}

/// An NTLM mechListMIC is an NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 2.2.2.9.1).
fn decode_mic(bytes: &[u8]) -> V {
    match (bytes.get(..4), bytes.get(4..12), bytes.get(12..16), bytes.len()) {
        (Some(ver), Some(checksum), Some(seq), 16) => Obj::default()
            .with("Version", u32::from_le_bytes(ver.try_into().unwrap_or_default()))
            .with("Checksum", hex(checksum))
            .with("SeqNum", u32::from_le_bytes(seq.try_into().unwrap_or_default()))
            .into(),
        _ => hex(bytes),
    }
}

fn req_flags(flags: &ReqFlags) -> V {
    const NAMES: [(&str, u8); 7] = [
        ("delegFlag", ReqFlags::DELEG),
        ("mutualFlag", ReqFlags::MUTUAL),
        ("replayFlag", ReqFlags::REPLAY),
        ("sequenceFlag", ReqFlags::SEQUENCE),
        ("anonFlag", ReqFlags::ANON),
        ("confFlag", ReqFlags::CONF),
        ("integFlag", ReqFlags::INTEG),
    ];
    let mask = flags.flags();
    let names =
        NAMES.iter().filter(|(_, bit)| mask & bit != 0).map(|(n, _)| n.to_string()).collect();
    V::Flags(u32::from(mask), names)
}

fn decode_ntlm(bytes: &[u8]) -> V {
    let decoded = match message_type(bytes) {
        Ok(NEGOTIATE_TYPE) => NegotiateMessage::decode(bytes).map(|m| negotiate_obj(&m)),
        Ok(CHALLENGE_TYPE) => ChallengeMessage::decode(bytes).map(|m| challenge_obj(&m)),
        Ok(AUTHENTICATE_TYPE) => AuthenticateMessage::decode(bytes).map(|m| authenticate_obj(&m)),
        Ok(other) => return error_obj("NTLM", format!("unknown MessageType {other}")),
        Err(e) => return error_obj("NTLM", e),
    };
    match decoded {
        Ok(mut obj) => {
            obj.0.insert(1, ("length".into(), bytes.len().into()));
            obj.into()
        }
        Err(e) => error_obj("NTLM", e),
    }
}

fn negotiate_obj(m: &NegotiateMessage) -> Obj {
    Obj::new("NTLM NEGOTIATE_MESSAGE")
        .with("NegotiateFlags", negotiate_flags(m.flags))
        .with("DomainName", m.domain.clone())
        .with("Workstation", m.workstation.clone())
        .with("Version", m.version.map(version))
}

fn challenge_obj(m: &ChallengeMessage) -> Obj {
    Obj::new("NTLM CHALLENGE_MESSAGE")
        .with("NegotiateFlags", negotiate_flags(m.flags))
        .with("TargetName", m.target_name.clone())
        .with("ServerChallenge", hex(&m.server_challenge))
        .with("Reserved", hex(&m.reserved))
        .with("TargetInfo", m.target_info.as_ref().map(av_pairs))
        .with("Version", m.version.map(version))
}

fn authenticate_obj(m: &AuthenticateMessage) -> Obj {
    let version_sent = m.flags.contains(NegotiateFlags::VERSION) || m.version != Version::default();
    Obj::new("NTLM AUTHENTICATE_MESSAGE")
        .with("NegotiateFlags", negotiate_flags(m.flags))
        .with("DomainName", m.domain.as_str())
        .with("UserName", m.user.as_str())
        .with("Workstation", m.workstation.as_str())
        .with("LmChallengeResponse", lm_response(&m.lm_challenge_response))
        .with("NtChallengeResponse", nt_response(&m.nt_challenge_response))
        .with(
            "EncryptedRandomSessionKey",
            (!m.encrypted_random_session_key.is_empty())
                .then(|| hex(&m.encrypted_random_session_key)),
        )
        .with("Version", version_sent.then(|| version(m.version)))
        .with("MIC", m.mic.as_ref().map(|mic| hex(mic)))
}

fn lm_response(bytes: &[u8]) -> V {
    if bytes.is_empty() {
        V::Null
    } else if bytes.iter().all(|b| *b == 0) {
        V::Str(format!("{} zero bytes", bytes.len()))
    } else {
        hex(bytes)
    }
}

fn nt_response(bytes: &[u8]) -> V {
    match bytes.len() {
        0 => V::Str("(empty: anonymous)".into()),
        24 => Obj::new("NTLMv1").with("Response", hex(bytes)).into(),
        len => match NtlmV2Response::decode(bytes) {
            Ok(r) => Obj::new("NTLMv2")
                .with("length", len)
                .with("NTProofStr", hex(&r.nt_proof_str))
                .with("RespType", r.blob.resp_type())
                .with("HiRespType", r.blob.hi_resp_type())
                .with("TimeStamp", V::Time(r.blob.timestamp().0))
                .with("ChallengeFromClient", hex(r.blob.client_challenge()))
                .with("AvPairs", av_pairs(r.blob.av_pairs()))
                .into(),
            Err(e) => error_obj("NTLMv2", e),
        },
    }
}

fn av_pairs(pairs: &AvPairs) -> V {
    let mut o = Obj::default();
    for pair in pairs {
        let name = match pair.id().name() {
            Some(name) => name.to_string(),
            None => format!("AvId 0x{:04x}", pair.id().0),
        };
        let seen =
            o.0.iter().filter(|(k, _)| k == &name || k.starts_with(&format!("{name} #"))).count();
        let key = if seen == 0 { name } else { format!("{name} #{}", seen + 1) };
        let value = match pair {
            AvPair::Flags(f) => av_flags(*f),
            AvPair::Timestamp(t) => V::Time(t.0),
            AvPair::SingleHost(h) => Obj::default()
                .with("Size", h.size)
                .with("Z4", h.z4)
                .with("CustomData", hex(&h.custom_data))
                .with("MachineID", hex(&h.machine_id))
                .into(),
            AvPair::ChannelBindings(cb) if cb.iter().all(|b| *b == 0) => {
                V::Str(format!("{} (all zero: no bindings)", hex_string(cb)))
            }
            AvPair::ChannelBindings(cb) => hex(cb),
            AvPair::Unknown { value, .. } => hex(value),
            other => other.as_str().map_or(V::Null, |s| V::Str(s.into())),
        };
        o.put(&key, value);
    }
    o.into()
}

/// The NTLM message in a token: the token itself, or SPNEGO's mechToken / responseToken.
fn ntlm_message(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.starts_with(b"NTLMSSP\0") {
        return Some(bytes.to_vec());
    }
    let inner = match NegotiationToken::decode(bytes).ok()? {
        NegotiationToken::Init(init) => init.mech_token,
        NegotiationToken::Resp(resp) => resp.response_token,
    }?;
    inner.starts_with(b"NTLMSSP\0").then_some(inner)
}

// ---------------------------------------------------------------------------------------------
// Checking an AUTHENTICATE and deriving the session keys (what a server does)
// ---------------------------------------------------------------------------------------------

/// The NTLM messages of one handshake, as found among the inputs.
#[derive(Default)]
struct Handshake {
    negotiate: Option<Vec<u8>>,
    challenge: Option<Vec<u8>>,
    authenticate: Option<Vec<u8>>,
}

impl Handshake {
    fn collect(opts: &Options, inputs: &[Input]) -> Result<Self, String> {
        let mut h = Self::default();
        for input in inputs {
            let Some(msg) = ntlm_message(&input.bytes) else { continue };
            let slot = match message_type(&msg) {
                Ok(NEGOTIATE_TYPE) => &mut h.negotiate,
                Ok(CHALLENGE_TYPE) => &mut h.challenge,
                Ok(AUTHENTICATE_TYPE) => &mut h.authenticate,
                _ => continue,
            };
            slot.get_or_insert(msg);
        }
        for (arg, slot, name) in [
            (&opts.challenge, &mut h.challenge, "--challenge"),
            (&opts.negotiate, &mut h.negotiate, "--negotiate"),
        ] {
            if let Some(arg) = arg {
                let input = read_input(arg)?;
                *slot = Some(
                    ntlm_message(&input.bytes).ok_or(format!("{name}: no NTLM message in it"))?,
                );
            }
        }
        Ok(h)
    }
}

/// What the check derived: enough to unseal.
struct Keys {
    flags: NegotiateFlags,
    exported: SessionKey,
}

fn fail(msg: String) -> (V, bool, Option<Keys>) {
    (Obj::default().with("error", msg).into(), false, None)
}

/// Verifies the AUTHENTICATE as a server would and derives the keys. Returns the report
/// section, whether every check passed, and the keys if the response verified.
fn check(
    h: &Handshake,
    nt_hash: &NtHash,
    password: Option<&str>,
    opts: &Options,
) -> (V, bool, Option<Keys>) {
    let Some(auth_bytes) = &h.authenticate else {
        return fail("no AUTHENTICATE among the tokens".into());
    };
    let Some(chal_bytes) = &h.challenge else {
        return fail("no CHALLENGE: give it as a token or with --challenge".into());
    };
    let (auth, chal) =
        match (AuthenticateMessage::decode(auth_bytes), ChallengeMessage::decode(chal_bytes)) {
            (Ok(a), Ok(c)) => (a, c),
            (Err(e), _) | (_, Err(e)) => return fail(e.to_string()),
        };
    let user = opts.user.clone().unwrap_or_else(|| auth.user.clone());
    let domain = opts.domain.clone().unwrap_or_else(|| auth.domain.clone());
    let mut o = Obj::default()
        .with("UserName", user.as_str())
        .with("DomainName", domain.as_str())
        .with("ServerChallenge", hex(&chal.server_challenge))
        .with("NTOWFv1", hex(nt_hash.as_bytes()));

    let verified = match auth.nt_challenge_response.len() {
        0 => {
            o.put("NtChallengeResponse", "empty: an anonymous logon, nothing to verify");
            return (o.into(), true, None);
        }
        24 => check_v1(&auth, &chal, nt_hash, password, &mut o),
        _ => check_v2(&auth, &chal, nt_hash, &user, &domain, &mut o),
    };
    let Some(session_base_key) = verified else {
        return (o.into(), false, None);
    };
    let mut ok = true;

    // MS-NLMP 3.2.5.1.2: with KEY_EXCH the exported key is RC4(KeyExchangeKey, encrypted).
    let kxkey = session_base_key.1;
    let exported = if auth.flags.contains(NegotiateFlags::KEY_EXCH) {
        match <[u8; 16]>::try_from(auth.encrypted_random_session_key.as_slice()) {
            Ok(enc) => match crypto::decrypt_session_key(&kxkey, &enc) {
                Ok(key) => key,
                Err(e) => return (o.with("error", e.to_string()).into(), false, None),
            },
            Err(_) => {
                o.put("error", "KEY_EXCH without a 16-byte EncryptedRandomSessionKey");
                return (o.into(), false, None);
            }
        }
    } else {
        kxkey.clone()
    };
    o.put("SessionBaseKey", hex(session_base_key.0.as_bytes()));
    o.put("KeyExchangeKey", hex(kxkey.as_bytes()));
    o.put("ExportedSessionKey", hex(exported.as_bytes()));

    let mic = match (&auth.mic, &h.negotiate) {
        (None, _) => "absent".to_string(),
        (Some(_), None) => "present, not checked (give the NEGOTIATE too)".to_string(),
        (Some(mic), Some(negotiate)) => {
            let mut zeroed = auth_bytes.clone();
            let expected = zero_mic(&mut zeroed)
                .map(|()| crypto::mic(&exported, negotiate, chal_bytes, &zeroed));
            if expected.is_ok_and(|e| crypto::ct_eq(&e, mic)) {
                "OK".to_string()
            } else {
                ok = false;
                "MISMATCH: the messages were altered, or the NEGOTIATE is not this one".to_string()
            }
        }
    };
    o.put("MIC", mic);

    let keys = |dir| {
        Obj::default()
            .with("SignKey", hex(sign_key(&exported, dir).as_bytes()))
            .with("SealKey", hex(seal_key(auth.flags, &exported, dir).as_bytes()))
    };
    o.put("client-to-server", keys(Direction::ClientToServer));
    o.put("server-to-client", keys(Direction::ServerToClient));
    (o.into(), ok, Some(Keys { flags: auth.flags, exported }))
}

/// NTLMv2 (MS-NLMP 3.3.2): NTProofStr over the blob exactly as received; returns
/// (SessionBaseKey, KeyExchangeKey), equal for NTLMv2.
fn check_v2(
    auth: &AuthenticateMessage,
    chal: &ChallengeMessage,
    nt_hash: &NtHash,
    user: &str,
    domain: &str,
    o: &mut Obj,
) -> Option<(SessionKey, SessionKey)> {
    let response = match NtlmV2Response::decode(&auth.nt_challenge_response) {
        Ok(r) => r,
        Err(e) => {
            o.put("NtChallengeResponse", e.to_string());
            return None;
        }
    };
    // A blob timestamp that is not the CHALLENGE's means the AUTHENTICATE answers another one.
    if let (Some(sent), Some(echoed)) = (
        chal.target_info.as_ref().and_then(AvPairs::get_timestamp),
        response.blob.av_pairs().get_timestamp(),
    ) {
        let same = if sent == echoed { "yes" } else { "NO: it answers another CHALLENGE" };
        o.put("blob timestamp matches the CHALLENGE", same);
    }
    // MS-NLMP 3.2.5.1.2: servers also accept a response computed with an empty domain.
    let candidates = [(domain, "OK"), ("", "OK (computed with an empty domain)")];
    for (dom, verdict) in candidates {
        let key = crypto::ntowf_v2(nt_hash, user, dom);
        let proof = crypto::nt_proof_str(&key, &chal.server_challenge, response.blob.raw());
        if crypto::ct_eq(&proof, &response.nt_proof_str) {
            o.put("ResponseKeyNT", hex(key.as_bytes()));
            o.put("NTProofStr", verdict);
            o.put("LmChallengeResponse", lmv2_verdict(auth, chal, &key));
            let base = crypto::session_base_key_v2(&key, &proof);
            return Some((base.clone(), base));
        }
    }
    o.put(
        "NTProofStr",
        "MISMATCH: wrong password, user or domain, or this CHALLENGE is not the one answered",
    );
    None
}

fn lmv2_verdict(
    auth: &AuthenticateMessage,
    chal: &ChallengeMessage,
    key: &crypto::ResponseKey,
) -> &'static str {
    let lm = &auth.lm_challenge_response;
    if lm.is_empty() || lm.iter().all(|b| *b == 0) {
        // MS-NLMP 3.1.5.1.2: with MsvAvTimestamp the client sends Z(24) instead of LMv2.
        return "zeros or empty (sent when the CHALLENGE has MsvAvTimestamp)";
    }
    let Some(cc) = lm.get(16..24).and_then(|c| <[u8; 8]>::try_from(c).ok()) else {
        return "not 24 bytes";
    };
    let expected = crypto::lmv2_response(key, &chal.server_challenge, &cc);
    if crypto::ct_eq(&expected, lm) { "LMv2 OK" } else { "LMv2 MISMATCH" }
}

#[cfg(feature = "legacy-ntlmv1")]
fn check_v1(
    auth: &AuthenticateMessage,
    chal: &ChallengeMessage,
    nt_hash: &NtHash,
    password: Option<&str>,
    o: &mut Obj,
) -> Option<(SessionKey, SessionKey)> {
    let ess = auth.flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY);
    let lm: [u8; 24] = auth.lm_challenge_response.as_slice().try_into().unwrap_or([0; 24]);
    let expected = if ess {
        let cc: [u8; 8] = lm.get(..8).and_then(|c| c.try_into().ok()).unwrap_or_default();
        crypto::ntlmv1_ess_response(nt_hash, &chal.server_challenge, &cc)
    } else {
        crypto::ntlmv1_response(nt_hash, &chal.server_challenge)
    };
    if !crypto::ct_eq(&expected, &auth.nt_challenge_response) {
        o.put("NTLMv1 response", "MISMATCH: wrong password, or another CHALLENGE");
        return None;
    }
    o.put("NTLMv1 response", if ess { "OK (with ESS)" } else { "OK" });
    let base = crypto::session_base_key_v1(nt_hash);
    let Some(password) = password else {
        o.put("keys", "NTLMv1 key exchange needs the LM hash: give --password");
        return None;
    };
    let lm_hash = crypto::LmHash::from_password(password);
    let kx = crypto::kxkey_v1(auth.flags, &base, &lm_hash, &lm, &chal.server_challenge);
    Some((base, kx))
}

#[cfg(not(feature = "legacy-ntlmv1"))]
fn check_v1(
    _auth: &AuthenticateMessage,
    _chal: &ChallengeMessage,
    _nt_hash: &NtHash,
    _password: Option<&str>,
    o: &mut Obj,
) -> Option<(SessionKey, SessionKey)> {
    o.put("NTLMv1 response", "not checked: build with --features legacy-ntlmv1");
    None
}

// ---------------------------------------------------------------------------------------------
// Unsealing captured messages (MS-NLMP 3.4.3 with extended session security)
// ---------------------------------------------------------------------------------------------

fn unseal(keys: &Keys, opts: &Options, direction: Direction) -> Result<(V, bool), String> {
    let flags = keys.flags;
    if !flags.contains(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
        return Err("unsealing without extended session security is not supported here".into());
    }
    let seal = seal_key(flags, &keys.exported, direction);
    let signer = hmac_md5_keyed(sign_key(&keys.exported, direction).as_bytes());
    let key_exch = flags.contains(NegotiateFlags::KEY_EXCH);
    let datagram = flags.contains(NegotiateFlags::DATAGRAM);
    let sealed = flags.contains(NegotiateFlags::SEAL);
    let mut rc4 = Rc4::new(seal.as_bytes()).map_err(|e| e.to_string())?;
    let mut all_ok = true;
    let mut out = Vec::new();
    let mut next_seq = opts.seq;
    for arg in &opts.unseal {
        let token = read_input(arg)?.bytes;
        let Some((signature, data)) = token.split_at_checked(16) else {
            out.push(error_obj("wrap token", "shorter than its 16-byte signature"));
            all_ok = false;
            continue;
        };
        let wire_seq = u32::from_le_bytes(
            signature.get(12..16).and_then(|s| s.try_into().ok()).unwrap_or_default(),
        );
        let seq = next_seq.unwrap_or(wire_seq);
        next_seq = Some(seq.wrapping_add(1));
        if datagram {
            // MS-NLMP 3.4: connectionless sealing re-keys RC4 with MD5(SealingKey ‖ SeqNum).
            rc4 = Rc4::new(&md5(&[seal.as_bytes(), &seq.to_le_bytes()]))
                .map_err(|e| e.to_string())?;
        }
        let mut plain = data.to_vec();
        if sealed {
            rc4.apply(&mut plain);
        }
        let expected =
            crypto::ess_signature(&signer, key_exch.then_some(&mut rc4), seq, [plain.as_slice()]);
        let ok = crypto::ct_eq(expected.as_bytes(), signature);
        all_ok &= ok;
        let verdict = if ok {
            "OK"
        } else {
            "MISMATCH: wrong key, direction or sequence number, or an earlier message of this \
             direction is missing"
        };
        out.push(
            Obj::default()
                .with("SeqNum", seq)
                .with("SeqNum in signature", wire_seq)
                .with("signature", verdict)
                .with("length", data.len())
                .with("plaintext", hex(&plain))
                .with("text", as_text(&plain))
                .into(),
        );
    }
    let direction = match direction {
        Direction::ClientToServer => "client-to-server",
        Direction::ServerToClient => "server-to-client",
    };
    Ok((Obj::default().with("direction", direction).with("messages", V::List(out)).into(), all_ok))
}

// ---------------------------------------------------------------------------------------------

fn run(opts: &Options) -> Result<Report, String> {
    let direction = opts.direction()?;
    let secret = opts.secret()?;
    let inputs = opts.tokens.iter().map(|t| read_input(t)).collect::<Result<Vec<_>, _>>()?;
    let mut ok = true;
    let tokens = inputs
        .iter()
        .map(|input| {
            let decoded = decode_token(&input.bytes);
            ok &= !has_error(&decoded);
            (format!("{}, {} bytes", input.form, input.bytes.len()), decoded)
        })
        .collect();
    let mut report = Report { tokens, check: None, unseal: None, ok };
    let Some((nt_hash, password)) = secret else {
        return Ok(report);
    };
    let handshake = Handshake::collect(opts, &inputs)?;
    let (section, passed, keys) = check(&handshake, &nt_hash, password, opts);
    report.check = Some(section);
    report.ok &= passed;
    if !opts.unseal.is_empty() {
        let (section, passed) = match &keys {
            Some(keys) => unseal(keys, opts, direction)?,
            None => {
                (Obj::default().with("error", "no session keys: the check failed").into(), false)
            }
        };
        report.unseal = Some(section);
        report.ok &= passed;
    }
    Ok(report)
}

/// Whether a decoded token has an `error` anywhere.
fn has_error(v: &V) -> bool {
    match v {
        V::Obj(o) => o.0.iter().any(|(k, v)| k == "error" || has_error(v)),
        V::List(l) => l.iter().any(has_error),
        _ => false,
    }
}
