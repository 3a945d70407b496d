//! NTLMv2_RESPONSE and NTLMv2_CLIENT_CHALLENGE (MS-NLMP 2.2.2.8, 2.2.2.7).

use alloc::vec::Vec;

use super::AvPairs;
use super::av_pairs::{AvList, AvShape};
use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::time::FileTime;

/// The NTLMv2 client challenge, the "blob" (MS-NLMP 2.2.2.7); `temp` in MS-NLMP 3.3.2.
///
/// Its fields are read-only: the value always carries [`raw`](Self::raw), the exact bytes
/// it was decoded from or built as, and those bytes — never a re-serialisation — are what
/// `NTProofStr` is computed over (MS-NLMP 3.3.2). Decoding checks structure only;
/// whether `RespType` is 1 is for the verifier to decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NtlmV2ClientChallenge {
    resp_type: u8,
    hi_resp_type: u8,
    timestamp: FileTime,
    client_challenge: [u8; 8],
    av_pairs: AvPairs,
    raw: Vec<u8>,
}

impl NtlmV2ClientChallenge {
    /// `RespType` .. `Reserved3`: the part before the AV pairs.
    pub const FIXED_LEN: usize = 28;
    /// `RespType` and `HiRespType` of every NTLMv2 client challenge
    /// (`Responserversion`, `HiResponserversion` in MS-NLMP 3.3.2).
    pub const RESP_TYPE: u8 = 1;

    /// Builds the client challenge a client sends (MS-NLMP 3.3.2):
    /// `01 01 Z(6) Time ClientChallenge Z(4) AvPairs Z(4)`, `MsvAvEOL` included.
    pub fn new(timestamp: FileTime, client_challenge: [u8; 8], av_pairs: AvPairs) -> Result<Self> {
        let len = Self::FIXED_LEN.saturating_add(av_pairs.encoded_len()).saturating_add(4);
        let mut w = Writer::with_capacity(len);
        write_blob(&mut w, timestamp, &client_challenge, |w| av_pairs.write(w))?;
        Ok(Self {
            resp_type: Self::RESP_TYPE,
            hi_resp_type: Self::RESP_TYPE,
            timestamp,
            client_challenge,
            av_pairs,
            raw: w.into_vec(),
        })
    }

    /// Decodes a client challenge and keeps its bytes, including whatever follows the
    /// `MsvAvEOL` (normally `Z(4)`), as [`raw`](Self::raw).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let view = BlobView::parse(bytes)?;
        Ok(Self {
            resp_type: view.resp_type,
            hi_resp_type: view.hi_resp_type,
            timestamp: view.timestamp,
            client_challenge: view.client_challenge,
            av_pairs: AvPairs::from_list(&view.av_pairs)?,
            raw: bytes.to_vec(),
        })
    }

    /// `RespType`.
    pub const fn resp_type(&self) -> u8 {
        self.resp_type
    }

    /// `HiRespType`.
    pub const fn hi_resp_type(&self) -> u8 {
        self.hi_resp_type
    }

    /// `TimeStamp`.
    pub const fn timestamp(&self) -> FileTime {
        self.timestamp
    }

    /// `ChallengeFromClient`.
    pub const fn client_challenge(&self) -> &[u8; 8] {
        &self.client_challenge
    }

    /// `AvPairs`.
    pub const fn av_pairs(&self) -> &AvPairs {
        &self.av_pairs
    }

    /// The exact bytes, from `RespType` to the end: the input of `NTProofStr`.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}

/// An NTLMv2 `NtChallengeResponse` (MS-NLMP 2.2.2.8): `NTProofStr` then the client
/// challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NtlmV2Response {
    /// `Response`: HMAC-MD5 over the server challenge and the client challenge.
    pub nt_proof_str: [u8; 16],
    /// The client challenge, with its bytes as received.
    pub blob: NtlmV2ClientChallenge,
}

impl NtlmV2Response {
    /// `NTProofStr` plus the fixed part of the client challenge.
    pub const FIXED_LEN: usize = 44;

    /// Decodes an `NtChallengeResponse` as NTLMv2.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (nt_proof_str, blob) = split_response(bytes)?;
        Ok(Self { nt_proof_str, blob: NtlmV2ClientChallenge::decode(blob)? })
    }

    /// `NTProofStr` followed by the client challenge's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&self.nt_proof_str).bytes(self.blob.raw());
        w.into_vec()
    }
}

/// `NTProofStr` and the client challenge's bytes of an NTLMv2 `NtChallengeResponse`.
fn split_response(bytes: &[u8]) -> Result<([u8; 16], &[u8])> {
    const SHORT: &str = "NTLMv2 response shorter than its fixed header";
    if bytes.len() < NtlmV2Response::FIXED_LEN {
        return Err(Error::invalid_token(SHORT));
    }
    let mut r = Reader::new(bytes);
    Ok((r.array(SHORT)?, r.rest()))
}

/// An NTLMv2 client challenge read in place: checked as
/// [`NtlmV2ClientChallenge::decode`] checks it, nothing copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlobView<'a> {
    pub(crate) resp_type: u8,
    pub(crate) hi_resp_type: u8,
    pub(crate) timestamp: FileTime,
    pub(crate) client_challenge: [u8; 8],
    pub(crate) av_pairs: AvList<'a>,
    /// The exact bytes, from `RespType` to the end: the input of `NTProofStr`.
    pub(crate) raw: &'a [u8],
}

impl<'a> BlobView<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        Self::read(bytes, |pairs| AvList::parse(pairs).map(|(list, _)| list))
    }

    /// `RespType` .. `Reserved3`, then the AV pairs as `pairs` reads them.
    fn read(bytes: &'a [u8], pairs: impl FnOnce(&'a [u8]) -> Result<AvList<'a>>) -> Result<Self> {
        const SHORT: &str = "NTLMv2 client challenge shorter than its fixed header";
        let mut r = Reader::new(bytes);
        let resp_type = r.u8(SHORT)?;
        let hi_resp_type = r.u8(SHORT)?;
        r.take(6, SHORT)?;
        let timestamp = FileTime(r.u64_le(SHORT)?);
        let client_challenge = r.array(SHORT)?;
        r.take(4, SHORT)?;
        let av_pairs = pairs(r.rest())?;
        Ok(Self { resp_type, hi_resp_type, timestamp, client_challenge, av_pairs, raw: bytes })
    }
}

/// An NTLMv2 `NtChallengeResponse` read in place: what the server verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResponseView<'a> {
    pub(crate) nt_proof_str: [u8; 16],
    pub(crate) blob: BlobView<'a>,
}

impl<'a> ResponseView<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let (nt_proof_str, blob) = split_response(bytes)?;
        Ok(Self { nt_proof_str, blob: BlobView::parse(blob)? })
    }

    /// Reads again a response [`parse`](Self::parse) accepted, given the shape of its AV
    /// list ([`AvList::shape`]): the list is neither checked nor walked again.
    pub(crate) fn again(bytes: &'a [u8], pairs: AvShape) -> Result<Self> {
        debug_assert!(
            Self::parse(bytes).is_ok_and(|r| r.blob.av_pairs.shape() == pairs),
            "NTLMv2 response read again with another AV list shape than its parse gave"
        );
        let (nt_proof_str, blob) = split_response(bytes)?;
        let blob = BlobView::read(blob, |list| AvList::checked(list, pairs))?;
        Ok(Self { nt_proof_str, blob })
    }
}

/// Appends an NTLMv2 client challenge (MS-NLMP 3.3.2) to `w`:
/// `01 01 Z(6) Time ClientChallenge Z(4) AvPairs Z(4)`, where `pairs` writes the AV pairs
/// and their `MsvAvEOL`.
pub(crate) fn write_blob(
    w: &mut Writer,
    timestamp: FileTime,
    client_challenge: &[u8; 8],
    pairs: impl FnOnce(&mut Writer) -> Result<()>,
) -> Result<()> {
    let resp_type = NtlmV2ClientChallenge::RESP_TYPE;
    w.u8(resp_type)
        .u8(resp_type)
        .bytes(&[0; 6])
        .u64_le(timestamp.0)
        .bytes(client_challenge)
        .bytes(&[0; 4]);
    pairs(w)?;
    w.bytes(&[0; 4]);
    Ok(())
}
