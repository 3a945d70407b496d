//! A test-only message forger: rewrites any field of a captured NTLM or SPNEGO message.
//!
//! Two kinds of attacker are expressible:
//!
//! - **without the password** (a man in the middle): [`negotiate`], [`challenge`],
//!   [`authenticate`], [`splice_header`], [`flip_bit`] and [`Authenticate::encode`] rewrite
//!   what they are told to and leave every proof (NTProofStr, EncryptedRandomSessionKey,
//!   MIC) exactly as captured — stale wherever what it covers changed;
//! - **with the password** (or its NT hash): [`Authenticate::encode_with`] recomputes
//!   NTProofStr, re-encrypts the same exported session key under the new key-exchange key
//!   and recomputes the MIC, so the forged AUTHENTICATE is what a real client would send.
//!   This is how tests build legitimate-but-unusual clients (a skewed clock, all-zero
//!   channel bindings, no MsvAvFlags) that this crate's client never produces.
//!
//! Everything goes through the public decoders and encoders; nothing here is used by the
//! library. Inputs are trusted test captures: anything malformed panics.

use std::ops::Range;

use sspi_proto::FileTime;
use sspi_proto::NegotiateFlags;
use sspi_proto::ntlm::crypto::{self, NtHash, SessionKey};
use sspi_proto::ntlm::messages::{
    AuthenticateMessage, AvPairs, ChallengeMessage, NegotiateMessage, NtlmV2ClientChallenge,
    NtlmV2Response, message_type,
};
use sspi_proto::spnego::{NegTokenInit, NegTokenResp, NegotiationToken};

/// Decodes a NEGOTIATE, applies `f`, re-encodes.
pub fn negotiate(bytes: &[u8], f: impl FnOnce(&mut NegotiateMessage)) -> Vec<u8> {
    let mut m = NegotiateMessage::decode(bytes).unwrap();
    f(&mut m);
    m.encode().unwrap()
}

/// Decodes a CHALLENGE, applies `f`, re-encodes.
pub fn challenge(bytes: &[u8], f: impl FnOnce(&mut ChallengeMessage)) -> Vec<u8> {
    let mut m = ChallengeMessage::decode(bytes).unwrap();
    f(&mut m);
    m.encode().unwrap()
}

/// Rewrites the NegotiateFlags of any NTLM message (the layout follows the encoder).
pub fn flags(bytes: &[u8], f: impl FnOnce(&mut NegotiateFlags)) -> Vec<u8> {
    match message_type(bytes).unwrap() {
        1 => negotiate(bytes, |m| f(&mut m.flags)),
        2 => challenge(bytes, |m| f(&mut m.flags)),
        3 => authenticate(bytes, |m| f(&mut m.flags)),
        other => panic!("not an NTLM message type: {other}"),
    }
}

/// Rewrites the AV pairs of a CHALLENGE's TargetInfo.
pub fn target_info(bytes: &[u8], f: impl FnOnce(&mut AvPairs)) -> Vec<u8> {
    challenge(bytes, |m| f(m.target_info.get_or_insert_with(AvPairs::new)))
}

/// Decodes an AUTHENTICATE, applies `f`, re-encodes (the MIC, if any, as it was).
pub fn authenticate(bytes: &[u8], f: impl FnOnce(&mut AuthenticateMessage)) -> Vec<u8> {
    let mut m = AuthenticateMessage::decode(bytes).unwrap();
    f(&mut m);
    m.encode().unwrap()
}

/// Rewrites the AV pairs of an AUTHENTICATE's NTLMv2 blob, keeping the captured (now stale)
/// NTProofStr and MIC: all a man in the middle can do to them.
pub fn blob_pairs(bytes: &[u8], f: impl FnOnce(&mut AvPairs)) -> Vec<u8> {
    let mut a = Authenticate::open(bytes);
    f(&mut a.av_pairs);
    a.encode()
}

/// Replaces `range` of a message's fixed header (it must end at or before the payload)
/// with `insert`, and moves every security buffer's offset by the change in length: the
/// layout games of CVE-2019-1166 (VERSION and MIC removed, so the MIC offset moves).
pub fn splice_header(bytes: &[u8], range: Range<usize>, insert: &[u8]) -> Vec<u8> {
    // Offsets of the security buffers in each message's fixed header (MS-NLMP 2.2.1).
    let buffers: &[usize] = match message_type(bytes).unwrap() {
        1 => &[16, 24],
        2 => &[12, 40],
        3 => &[12, 20, 28, 36, 44, 52],
        other => panic!("not an NTLM message type: {other}"),
    };
    let shift = insert.len() as i64 - range.len() as i64;
    let mut out = bytes.to_vec();
    for &at in buffers {
        let field = at + 4..at + 8;
        let offset = u32::from_le_bytes(out[field.clone()].try_into().unwrap());
        // An absent field (offset 0) stays absent.
        if offset != 0 {
            assert!(offset as usize >= range.end, "splice reaches into the payload");
            let moved = u32::try_from(i64::from(offset) + shift).unwrap();
            out[field].copy_from_slice(&moved.to_le_bytes());
        }
    }
    out.splice(range, insert.iter().copied());
    out
}

/// `bytes` with bit `bit` (counted from the first byte's least significant bit) flipped.
pub fn flip_bit(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[bit / 8] ^= 1 << (bit % 8);
    out
}

/// What the holder of the password knows about one handshake: the NT hash, and the
/// NEGOTIATE and CHALLENGE the MIC covers (as the server that will check it saw them).
pub struct Keys {
    pub nt_hash: NtHash,
    pub negotiate: Vec<u8>,
    pub challenge: Vec<u8>,
}

impl Keys {
    pub fn new(password: &str, negotiate: &[u8], challenge: &[u8]) -> Self {
        Self {
            nt_hash: NtHash::from_password(password),
            negotiate: negotiate.to_vec(),
            challenge: challenge.to_vec(),
        }
    }

    fn server_challenge(&self) -> [u8; 8] {
        ChallengeMessage::decode(&self.challenge).unwrap().server_challenge
    }
}

/// An NTLMv2 AUTHENTICATE opened up: every header field, and the NTLMv2 response split into
/// NTProofStr and the blob's fields. Rewrite any of them, then [`encode`](Self::encode)
/// (stale proofs) or [`encode_with`](Self::encode_with) (recomputed proofs).
#[derive(Clone, Debug)]
pub struct Authenticate {
    pub message: AuthenticateMessage,
    pub nt_proof_str: [u8; 16],
    pub timestamp: FileTime,
    pub client_challenge: [u8; 8],
    pub av_pairs: AvPairs,
    /// The message as captured, to recover its exported session key.
    captured: AuthenticateMessage,
}

impl Authenticate {
    /// Opens a captured AUTHENTICATE that carries an NTLMv2 response.
    pub fn open(bytes: &[u8]) -> Self {
        let message = AuthenticateMessage::decode(bytes).unwrap();
        let response = NtlmV2Response::decode(&message.nt_challenge_response).unwrap();
        Self {
            nt_proof_str: response.nt_proof_str,
            timestamp: response.blob.timestamp(),
            client_challenge: *response.blob.client_challenge(),
            av_pairs: response.blob.av_pairs().clone(),
            captured: message.clone(),
            message,
        }
    }

    fn blob(&self) -> NtlmV2ClientChallenge {
        NtlmV2ClientChallenge::new(self.timestamp, self.client_challenge, self.av_pairs.clone())
            .unwrap()
    }

    /// Re-encodes with NTProofStr, EncryptedRandomSessionKey and MIC as they are.
    pub fn encode(mut self) -> Vec<u8> {
        self.message.nt_challenge_response = [&self.nt_proof_str[..], self.blob().raw()].concat();
        self.message.encode().unwrap()
    }

    /// Re-encodes as the password holder: NTProofStr over the (possibly rewritten) blob for
    /// the (possibly rewritten) user and domain, the captured exported session key
    /// re-encrypted under the new key-exchange key (or, without KEY_EXCH, the new base key
    /// as the exported key), and a MIC if the message has one.
    pub fn encode_with(mut self, keys: &Keys) -> Vec<u8> {
        let server_challenge = keys.server_challenge();
        let exported = self.captured_exported_key(keys);
        let key = crypto::ntowf_v2(&keys.nt_hash, &self.message.user, &self.message.domain);
        let response = crypto::ntlmv2_response(&key, &server_challenge, self.blob().raw());
        self.nt_proof_str = response[..16].try_into().unwrap();
        let base = crypto::session_base_key_v2(&key, &self.nt_proof_str);
        let exported = if self.message.flags.contains(NegotiateFlags::KEY_EXCH) {
            self.message.encrypted_random_session_key =
                crypto::encrypt_session_key(&base, &exported).unwrap().to_vec();
            exported
        } else {
            base
        };
        self.message.nt_challenge_response = response;
        if self.message.mic.is_some() {
            let zeroed = self.message.encode_with_zero_mic().unwrap();
            self.message.mic =
                Some(crypto::mic(&exported, &keys.negotiate, &keys.challenge, &zeroed));
        }
        self.message.encode().unwrap()
    }

    /// The ExportedSessionKey of the captured message (MS-NLMP 3.2.5.1.2).
    fn captured_exported_key(&self, keys: &Keys) -> SessionKey {
        let m = &self.captured;
        let key = crypto::ntowf_v2(&keys.nt_hash, &m.user, &m.domain);
        let proof = NtlmV2Response::decode(&m.nt_challenge_response).unwrap().nt_proof_str;
        let base = crypto::session_base_key_v2(&key, &proof);
        match <[u8; 16]>::try_from(m.encrypted_random_session_key.as_slice()) {
            Ok(encrypted) if m.flags.contains(NegotiateFlags::KEY_EXCH) => {
                crypto::decrypt_session_key(&base, &encrypted).unwrap()
            }
            _ => base,
        }
    }
}

/// Decodes a NegTokenInit (with its GSS framing), applies `f`, re-encodes.
pub fn neg_init(token: &[u8], f: impl FnOnce(&mut NegTokenInit)) -> Vec<u8> {
    let NegotiationToken::Init(mut init) = NegotiationToken::decode(token).unwrap() else {
        panic!("not a NegTokenInit")
    };
    f(&mut init);
    NegotiationToken::Init(init).encode().unwrap()
}

/// Decodes a NegTokenResp, applies `f`, re-encodes.
pub fn neg_resp(token: &[u8], f: impl FnOnce(&mut NegTokenResp)) -> Vec<u8> {
    let NegotiationToken::Resp(mut resp) = NegotiationToken::decode(token).unwrap() else {
        panic!("not a NegTokenResp")
    };
    f(&mut resp);
    NegotiationToken::Resp(resp).encode().unwrap()
}

/// Rewrites the NTLM message inside a SPNEGO token (a NegTokenInit's mechToken or a
/// NegTokenResp's responseToken).
pub fn inner_ntlm(token: &[u8], f: impl FnOnce(&[u8]) -> Vec<u8>) -> Vec<u8> {
    match NegotiationToken::decode(token).unwrap() {
        NegotiationToken::Init(_) => neg_init(token, |i| {
            i.mech_token = Some(f(i.mech_token.as_deref().expect("no mechToken")));
        }),
        NegotiationToken::Resp(_) => neg_resp(token, |r| {
            r.response_token = Some(f(r.response_token.as_deref().expect("no responseToken")));
        }),
    }
}
