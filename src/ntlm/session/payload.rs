//! What a message is made of: one slice, or a list of SSPI buffers; and the wrap / unwrap /
//! encrypt / decrypt shapes built on [`Dir`]'s protect and accept steps.

use alloc::vec::Vec;

use zeroize::Zeroize;

use crate::buffer::{BufferData, BufferType, SecBuffer};
use crate::error::{Error, ErrorKind, Result};
use crate::ntlm::crypto::{Rc4, Signature};

use super::engine::Dir;
use super::{MAX_SIGNATURE, SECQOP_WRAP_NO_ENCRYPT};

/// A message as the engine sees it: parts that are signed, parts that are encrypted.
pub(super) trait Payload {
    /// Checks, before any state changes, that what must be encrypted can be written.
    fn check(&self, encrypt: bool) -> Result<()>;
    /// The parts the signature covers, in order (MS-NLMP 3.4.6.1: with ESS every data
    /// buffer, read-only or not; without it only the buffers whose `sign` is TRUE).
    fn signed_parts(&self, ess: bool) -> impl Iterator<Item = &[u8]>;
    /// XORs the RC4 keystream into the encrypted parts, in order.
    fn apply(&mut self, rc4: &mut Rc4);
    /// Zeroes the encrypted parts: a rejected message releases no plaintext.
    fn wipe(&mut self);
    /// The payload as one buffer that is both the whole signed input and the whole
    /// encrypted part, when it is one (the single-pass SEAL/UNSEAL path takes it).
    fn contiguous(&mut self, ess: bool) -> Option<&mut [u8]>;
}

/// A message that is only signed or verified.
pub(super) struct ReadOnly<'m>(pub &'m [u8]);

impl Payload for ReadOnly<'_> {
    fn check(&self, encrypt: bool) -> Result<()> {
        if encrypt {
            return Err(Error::new(ErrorKind::InternalError, "read-only message given to encrypt"));
        }
        Ok(())
    }

    fn signed_parts(&self, _ess: bool) -> impl Iterator<Item = &[u8]> {
        core::iter::once(self.0)
    }

    fn apply(&mut self, _rc4: &mut Rc4) {}

    fn wipe(&mut self) {}

    fn contiguous(&mut self, _ess: bool) -> Option<&mut [u8]> {
        None
    }
}

impl Payload for [u8] {
    fn check(&self, _encrypt: bool) -> Result<()> {
        Ok(())
    }

    fn signed_parts(&self, _ess: bool) -> impl Iterator<Item = &[u8]> {
        core::iter::once(self)
    }

    fn apply(&mut self, rc4: &mut Rc4) {
        rc4.apply(self);
    }

    fn wipe(&mut self) {
        self.zeroize();
    }

    fn contiguous(&mut self, _ess: bool) -> Option<&mut [u8]> {
        Some(self)
    }
}

/// A DATA buffer without a read-only attribute: encrypted in place.
fn is_encrypted(b: &SecBuffer<'_>) -> bool {
    b.buffer_type == BufferType::Data && !b.flags.is_read_only()
}

/// MS-NLMP 3.4.6.1: NTLMv2 (ESS) signs every data buffer; NTLMv1 only those with
/// sign == TRUE, which SSPI spells "not READONLY, or READONLY_WITH_CHECKSUM".
fn is_signed(b: &SecBuffer<'_>, ess: bool) -> bool {
    use crate::buffer::BufferFlags;
    b.buffer_type == BufferType::Data
        && (ess
            || !b.flags.contains(BufferFlags::READONLY)
            || b.flags.contains(BufferFlags::READONLY_WITH_CHECKSUM))
}

impl Payload for [SecBuffer<'_>] {
    fn check(&self, encrypt: bool) -> Result<()> {
        let shared = self.iter().any(|b| is_encrypted(b) && matches!(b.data, BufferData::Ref(_)));
        if encrypt && shared {
            return Err(Error::invalid_token(
                "DATA buffer to transform is shared memory and not marked READONLY",
            ));
        }
        Ok(())
    }

    fn signed_parts(&self, ess: bool) -> impl Iterator<Item = &[u8]> {
        self.iter().filter(move |b| is_signed(b, ess)).map(|b| b.data.as_slice())
    }

    fn apply(&mut self, rc4: &mut Rc4) {
        for b in self.iter_mut().filter(|b| is_encrypted(b)) {
            if let Some(data) = b.data.as_mut_slice() {
                rc4.apply(data);
            }
        }
    }

    fn wipe(&mut self) {
        for b in self.iter_mut().filter(|b| is_encrypted(b)) {
            if let Some(data) = b.data.as_mut_slice() {
                data.zeroize();
            }
        }
    }

    /// `[TOKEN, DATA]`, the usual EncryptMessage layout: exactly one signed buffer, and it
    /// is the one encrypted.
    fn contiguous(&mut self, ess: bool) -> Option<&mut [u8]> {
        let mut signed = self.iter_mut().filter(|b| is_signed(b, ess));
        match (signed.next(), signed.next()) {
            (Some(only), None) if is_encrypted(only) => only.data.as_mut_slice(),
            _ => None,
        }
    }
}

fn short_token() -> Error {
    Error::invalid_token("wrap token is shorter than its 16-byte signature")
}

/// The index of the one TOKEN buffer.
fn token_index(buffers: &[SecBuffer<'_>]) -> Result<usize> {
    let mut found = None;
    for (i, b) in buffers.iter().enumerate() {
        if b.buffer_type == BufferType::Token && found.replace(i).is_some() {
            return Err(Error::invalid_token("more than one TOKEN buffer"));
        }
    }
    found.ok_or(Error::invalid_token("no TOKEN buffer for the signature"))
}

impl Dir<'_> {
    /// SEAL one slice in place.
    pub(super) fn seal(&mut self, given: Option<u32>, data: &mut [u8]) -> Result<Signature> {
        self.protect(given, data, true)
    }

    /// UNSEAL one slice in place.
    pub(super) fn unseal(
        &mut self,
        given: Option<u32>,
        data: &mut [u8],
        sig: &Signature,
    ) -> Result<()> {
        self.accept(given, data, sig, true)
    }

    /// GSS_WrapEx into `token` = 16 bytes of room ‖ plaintext: sealed when SEAL was
    /// negotiated, otherwise signed and left in clear.
    pub(super) fn wrap_in_place(&mut self, given: Option<u32>, token: &mut [u8]) -> Result<()> {
        let (head, body) = token.split_at_mut_checked(MAX_SIGNATURE).ok_or(Error::new(
            ErrorKind::BufferTooSmall,
            "wrap token has no room for the signature",
        ))?;
        let encrypt = self.policy.seal;
        let sig = self.protect(given, body, encrypt)?;
        head.copy_from_slice(sig.as_bytes());
        Ok(())
    }

    /// GSS_WrapEx into a new vector: signature ‖ data.
    pub(super) fn wrap(&mut self, given: Option<u32>, data: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        out.try_reserve_exact(data.len().saturating_add(MAX_SIGNATURE)).map_err(|_| {
            Error::new(ErrorKind::InternalError, "wrap token does not fit in memory")
        })?;
        out.extend_from_slice(&[0; MAX_SIGNATURE]);
        out.extend_from_slice(data);
        match self.wrap_in_place(given, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => {
                out.zeroize();
                Err(e)
            }
        }
    }

    /// GSS_UnwrapEx in place: checks `token` = signature ‖ data and returns the plaintext
    /// part of it.
    pub(super) fn unwrap_in_place<'t>(
        &mut self,
        given: Option<u32>,
        token: &'t mut [u8],
    ) -> Result<&'t mut [u8]> {
        let decrypt = self.policy.seal;
        self.guard(move |dir| {
            let (head, body) = token.split_at_mut_checked(MAX_SIGNATURE).ok_or_else(short_token)?;
            let sig = Signature::from_slice(head)?;
            dir.accept_unguarded(given, body, &sig, decrypt)?;
            Ok(body)
        })
    }

    /// GSS_UnwrapEx into a new vector; nothing is returned for a rejected token.
    pub(super) fn unwrap(&mut self, given: Option<u32>, token: &[u8]) -> Result<Vec<u8>> {
        let decrypt = self.policy.seal;
        self.guard(|dir| {
            let (head, body) = token.split_at_checked(MAX_SIGNATURE).ok_or_else(short_token)?;
            let sig = Signature::from_slice(head)?;
            let mut out = body.to_vec();
            dir.accept_unguarded(given, out.as_mut_slice(), &sig, decrypt)?;
            Ok(out)
        })
    }

    /// EncryptMessage: TOKEN receives the signature (and is narrowed to its 16 bytes),
    /// DATA buffers are sealed in place, read-only DATA buffers are signed as MS-NLMP
    /// 3.4.6.1 says, everything else is left alone.
    pub(super) fn encrypt(
        &mut self,
        given: Option<u32>,
        qop: u32,
        buffers: &mut [SecBuffer<'_>],
    ) -> Result<()> {
        let encrypt = match qop {
            0 => self.policy.seal,
            SECQOP_WRAP_NO_ENCRYPT => false,
            _ => {
                return Err(Error::new(
                    ErrorKind::QopNotSupported,
                    "NTLM knows QOP 0 and SECQOP_WRAP_NO_ENCRYPT",
                ));
            }
        };
        let at = token_index(buffers)?;
        if buffers.iter().any(|b| b.buffer_type == BufferType::Stream) {
            return Err(Error::invalid_token("STREAM buffers are for decryption"));
        }
        let token = buffers.get(at).map(|b| &b.data);
        match token {
            Some(BufferData::Mut(t)) if t.len() >= MAX_SIGNATURE => {}
            Some(BufferData::Mut(_)) => {
                return Err(Error::new(
                    ErrorKind::BufferTooSmall,
                    "TOKEN buffer is smaller than a signature",
                ));
            }
            _ => return Err(Error::invalid_token("TOKEN buffer is shared memory")),
        }
        let sig = self.protect(given, buffers, encrypt)?;
        let token = buffers
            .get_mut(at)
            .ok_or(Error::new(ErrorKind::InternalError, "TOKEN buffer vanished"))?;
        if let BufferData::Mut(room) = token.data.take() {
            if let Some((head, _)) = room.split_at_mut_checked(MAX_SIGNATURE) {
                head.copy_from_slice(sig.as_bytes());
                token.data = BufferData::Mut(head);
            }
        }
        Ok(())
    }

    /// DecryptMessage over TOKEN + DATA buffers, or over one STREAM buffer (signature ‖
    /// data) plus one DATA buffer that ends up holding the plaintext part of the stream.
    /// Returns the QOP: 0 when sealed, SECQOP_WRAP_NO_ENCRYPT when SEAL was not negotiated.
    pub(super) fn decrypt(
        &mut self,
        given: Option<u32>,
        buffers: &mut [SecBuffer<'_>],
    ) -> Result<u32> {
        let decrypt = self.policy.seal;
        self.guard(|dir| {
            if buffers.iter().any(|b| b.buffer_type == BufferType::Stream) {
                dir.decrypt_stream(given, buffers, decrypt)
            } else {
                let at = token_index(buffers)?;
                let bytes = buffers.get(at).map(|b| b.data.as_slice()).unwrap_or_default();
                let head = bytes
                    .get(..MAX_SIGNATURE)
                    .ok_or(Error::invalid_token("TOKEN buffer is shorter than a signature"))?;
                let sig = Signature::from_slice(head)?;
                dir.accept_unguarded(given, buffers, &sig, decrypt)
            }
        })?;
        Ok(if decrypt { 0 } else { SECQOP_WRAP_NO_ENCRYPT })
    }

    fn decrypt_stream(
        &mut self,
        given: Option<u32>,
        buffers: &mut [SecBuffer<'_>],
        decrypt: bool,
    ) -> Result<()> {
        let (mut stream, mut data) = (None, None);
        for b in buffers.iter_mut() {
            let slot = match b.buffer_type {
                BufferType::Stream => &mut stream,
                BufferType::Data => &mut data,
                _ => continue,
            };
            if slot.replace(b).is_some() {
                return Err(Error::invalid_token(
                    "STREAM decryption takes one STREAM and one DATA buffer",
                ));
            }
        }
        let (Some(stream), Some(data)) = (stream, data) else {
            return Err(Error::invalid_token(
                "STREAM decryption needs a DATA buffer for the plaintext",
            ));
        };
        match &stream.data {
            BufferData::Mut(s) if s.len() >= MAX_SIGNATURE => {}
            BufferData::Mut(_) => return Err(short_token()),
            BufferData::Ref(_) => {
                return Err(Error::invalid_token("STREAM buffer is shared memory"));
            }
        }
        let BufferData::Mut(whole) = stream.data.take() else {
            return Err(Error::new(ErrorKind::InternalError, "STREAM buffer changed"));
        };
        let (head, body) = whole.split_at_mut_checked(MAX_SIGNATURE).ok_or_else(short_token)?;
        let sig = Signature::from_slice(head)?;
        let result = self.accept_unguarded(given, &mut *body, &sig, decrypt);
        stream.data = BufferData::Mut(head);
        data.data = BufferData::Mut(body);
        result
    }
}
