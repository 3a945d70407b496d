//! Credentials: password, NT hash (pass-the-hash) or anonymous; zeroized on drop.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use core::fmt;

use zeroize::Zeroizing;

use crate::ntlm::crypto::{NtHash, ResponseMac, ntowf_v2, wipe};

/// Credentials shared by a credentials handle and the contexts made from it: an `Arc` where
/// the target has pointer-sized atomics, else a `Box` (cloning it copies the credentials,
/// which are wiped with each copy), so that targets without atomics still build.
#[cfg(target_has_atomic = "ptr")]
pub(crate) type SharedCredentials = alloc::sync::Arc<Credentials>;
/// See the `Arc` variant.
#[cfg(not(target_has_atomic = "ptr"))]
pub(crate) type SharedCredentials = alloc::boxed::Box<Credentials>;

/// Who a context authenticates as, or who the peer authenticated as.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The user name as it travels on the wire (a UPN such as `alice@example.com` stays whole).
    pub user: String,
    /// The domain name; empty for a UPN or a local account.
    pub domain: String,
    /// The client's workstation name, when the client sent one.
    pub workstation: String,
}

impl Identity {
    /// Whether this is the anonymous identity (empty user and domain).
    pub fn is_anonymous(&self) -> bool {
        self.user.is_empty() && self.domain.is_empty()
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_anonymous() {
            return f.write_str("Identity(anonymous)");
        }
        write!(f, "Identity({}\\{}", self.domain, self.user)?;
        if !self.workstation.is_empty() {
            write!(f, " from {}", self.workstation)?;
        }
        f.write_str(")")
    }
}

/// The secret half of a credential, with the keys NTLM derives from it alone.
///
/// Both keys are computed once, when the credentials are made: NTOWFv2 depends on the
/// password (or hash), the user and the domain only, so every handshake made with these
/// credentials would otherwise repeat an MD4 and an HMAC-MD5 over the same input, then key
/// HMAC-MD5 with it for NTProofStr and the session base key (together about 9,000 of a raw
/// NTLMv2 handshake's 62,000 instructions, client and server; BENCHMARKS.md).
///
/// Boxed: moving [`Credentials`] (into a credentials handle, an `Arc`, a context) moves a
/// pointer, never the hash or the keyed state, and the copies that deriving them leaves on
/// the stack are overwritten ([`wipe_stack_below`]), so the one copy that lives on is the
/// one wiped on drop. Cloning `Credentials` copies the keys into a new block; contexts
/// share one handle's credentials instead.
#[derive(Clone)]
struct Keys {
    /// The password, when these credentials were made from one: returned by
    /// [`Credentials::password_value`].
    password: Option<Zeroizing<String>>,
    /// NTOWFv1: MD4(UNICODE(password)), or the hash given.
    nt_hash: NtHash,
    /// NTOWFv2 (MS-NLMP 3.3.2) for the identity's user and domain, ResponseKeyNT, keyed
    /// into HMAC-MD5.
    response_mac: ResponseMac,
}

/// What credentials are made from: a password, or its NT hash.
#[derive(Clone, Copy)]
enum Secret<'a> {
    Password(&'a str),
    NtHash(&'a NtHash),
}

impl Keys {
    /// The keys of `secret` for `identity`, in their box; then the stack the derivation
    /// used is overwritten.
    fn boxed(identity: &Identity, secret: Secret<'_>) -> Box<Self> {
        let keys = Self::derive(identity, secret);
        wipe_stack_below();
        keys
    }

    /// Out of line, so that every intermediate value (the UTF-16 password, MD4 and HMAC
    /// states returned through frames, the box's contents before they are moved in) lies in
    /// frames below the caller's, which [`wipe_stack_below`] then overwrites.
    #[inline(never)]
    fn derive(identity: &Identity, secret: Secret<'_>) -> Box<Self> {
        let (password, nt_hash) = match secret {
            Secret::Password(p) => (Some(Zeroizing::new(p.to_string())), NtHash::from_password(p)),
            Secret::NtHash(h) => (None, h.clone()),
        };
        // Wiped on drop.
        let response_key = ntowf_v2(&nt_hash, &identity.user, &identity.domain);
        Box::new(Self { password, nt_hash, response_mac: ResponseMac::new(&response_key) })
    }
}

/// How much stack [`wipe_stack_below`] overwrites: several times what deriving the keys
/// uses (an MD4 and two HMAC-MD5 states, a few 64-byte blocks, the `Keys` value).
const DERIVATION_STACK: usize = 4096;

/// Overwrites the stack just below the caller's frame, where the frames of a call it just
/// returned from lay: the copies of the NT hash and of the keyed HMAC-MD5 state that values
/// returned by value leave there (Rust moves copy, and a moved-from value is never dropped,
/// so never wiped). Best effort, as the compiler places frames; `tests/stack_residue.rs`
/// scans the stack after making credentials. The long-lived copy is the one in the box.
#[inline(never)]
fn wipe_stack_below() {
    let mut area = [0u8; DERIVATION_STACK];
    wipe(&mut area);
    core::hint::black_box(&area);
}

/// Credentials for the client side of a handshake.
///
/// `Debug` never prints the password or hash, and both are wiped on drop, with the keys
/// derived from them (NTOWFv1 and NTOWFv2, computed once when the credentials are made).
#[derive(Clone)]
pub struct Credentials {
    inner: Option<(Identity, Box<Keys>)>,
}

impl Credentials {
    /// Password credentials. `user` may be `DOMAIN\user` (split into domain and user),
    /// `user@domain` (a UPN, sent whole with an empty domain, as Windows does), or a plain
    /// name (empty domain).
    pub fn password(user: &str, password: &str) -> Self {
        Self::with_secret(user, Secret::Password(password))
    }

    /// Password credentials with the domain given separately.
    pub fn password_in_domain(domain: &str, user: &str, password: &str) -> Self {
        Self::with_parts(domain, user, Secret::Password(password))
    }

    /// Pass-the-hash credentials: the NT hash (NTOWFv1) instead of the password.
    /// `user` is parsed as in [`Credentials::password`].
    pub fn nt_hash(user: &str, hash: NtHash) -> Self {
        Self::with_secret(user, Secret::NtHash(&hash))
    }

    /// Pass-the-hash credentials with the domain given separately.
    pub fn nt_hash_in_domain(domain: &str, user: &str, hash: NtHash) -> Self {
        Self::with_parts(domain, user, Secret::NtHash(&hash))
    }

    /// Anonymous credentials (MS-NLMP 3.1.5.1.2: empty user, no NT response, Z(1) LM
    /// response). Servers refuse anonymous logons by default.
    pub const fn anonymous() -> Self {
        Self { inner: None }
    }

    fn with_secret(user: &str, secret: Secret<'_>) -> Self {
        match user.split_once('\\') {
            Some((domain, user)) => Self::with_parts(domain, user, secret),
            None => Self::with_parts("", user, secret),
        }
    }

    fn with_parts(domain: &str, user: &str, secret: Secret<'_>) -> Self {
        let identity = Identity {
            user: user.to_string(),
            domain: domain.to_string(),
            workstation: String::new(),
        };
        let keys = Keys::boxed(&identity, secret);
        Self { inner: Some((identity, keys)) }
    }

    /// Whether these are anonymous credentials.
    pub fn is_anonymous(&self) -> bool {
        self.inner.is_none()
    }

    /// The identity (user and domain) these credentials claim.
    pub fn identity(&self) -> Identity {
        self.inner.as_ref().map(|(id, _)| id.clone()).unwrap_or_default()
    }

    /// The NT hash (NTOWFv1: from the password, or as given); `None` for anonymous.
    pub fn nt_hash_value(&self) -> Option<NtHash> {
        self.inner.as_ref().map(|(_, keys)| keys.nt_hash.clone())
    }

    /// NTOWFv2 (MS-NLMP 3.3.2) for these credentials' user and domain, keyed into HMAC-MD5
    /// when they were made; `None` for anonymous.
    pub(crate) fn response_mac(&self) -> Option<&ResponseMac> {
        self.inner.as_ref().map(|(_, keys)| &keys.response_mac)
    }

    /// The password, if these credentials were made from one.
    pub fn password_value(&self) -> Option<&str> {
        self.inner.as_ref().and_then(|(_, keys)| keys.password.as_deref().map(String::as_str))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Credentials(anonymous)"),
            Some((id, keys)) if keys.password.is_some() => {
                write!(f, "Credentials({id:?}, password: <redacted>)")
            }
            Some((id, _)) => write!(f, "Credentials({id:?}, nt hash: <redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_forms() {
        let c = Credentials::password("CORP\\alice", "pw");
        assert_eq!((c.identity().domain.as_str(), c.identity().user.as_str()), ("CORP", "alice"));
        let c = Credentials::password("alice@corp.example", "pw");
        assert_eq!(c.identity().user, "alice@corp.example");
        assert_eq!(c.identity().domain, "");
        let c = Credentials::password("alice", "pw");
        assert_eq!(c.identity().domain, "");
        assert!(Credentials::anonymous().identity().is_anonymous());
    }

    /// The NTOWFv2 the credentials keep is MS-NLMP 4.2.4.1.1's, for the user and domain as
    /// the credentials split them, whether made from the password or its hash: its keyed
    /// state gives that key's NTProofStr, session base key and LMv2 response (4.2.4.2).
    #[test]
    fn response_mac_is_keyed_with_ntowf_v2_of_the_identity() {
        use crate::ntlm::crypto::{ResponseKey, lmv2_response, nt_proof_str, session_base_key_v2};
        let expected = ResponseKey::from_bytes([
            0x0c, 0x86, 0x8a, 0x40, 0x3b, 0xfd, 0x7a, 0x93, 0xa3, 0x00, 0x1e, 0xf2, 0x2e, 0xf0,
            0x2e, 0x3f,
        ]);
        let (server_challenge, client_challenge) = ([1, 2, 3, 4, 5, 6, 7, 8], [0xaa; 8]);
        let blob = [0x5a; 40];
        let same_as = |c: &Credentials, key: &ResponseKey| {
            let mac = c.response_mac().unwrap();
            let proof = mac.nt_proof_str(&server_challenge, &blob);
            proof == nt_proof_str(key, &server_challenge, &blob)
                && mac.session_base_key(&proof) == session_base_key_v2(key, &proof)
                && mac.lmv2_response(&server_challenge, &client_challenge)
                    == lmv2_response(key, &server_challenge, &client_challenge)
        };
        let made = [
            Credentials::password("Domain\\User", "Password"),
            Credentials::password_in_domain("Domain", "User", "Password"),
            Credentials::nt_hash("Domain\\User", NtHash::from_password("Password")),
            Credentials::nt_hash_in_domain("Domain", "User", NtHash::from_password("Password")),
        ];
        for c in &made {
            assert!(same_as(c, &expected), "{c:?}");
        }
        // The domain is part of the key: a UPN (empty domain) gives another.
        let upn = Credentials::password("User@Domain", "Password");
        assert!(same_as(&upn, &ntowf_v2(&NtHash::from_password("Password"), "User@Domain", "")));
        assert!(!same_as(&upn, &expected));
        assert!(Credentials::anonymous().response_mac().is_none());
    }

    #[test]
    fn password_value_only_for_password_credentials() {
        assert_eq!(Credentials::password("u", "hunter2").password_value(), Some("hunter2"));
        assert_eq!(Credentials::nt_hash("u", NtHash::from_password("x")).password_value(), None);
        assert_eq!(Credentials::anonymous().password_value(), None);
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Credentials::password("CORP\\alice", "hunter2");
        let s = format!("{c:?}");
        assert!(s.contains("alice") && !s.contains("hunter2"), "{s}");
        let h = Credentials::nt_hash("bob", NtHash::from_password("hunter2"));
        assert!(format!("{h:?}").contains("<redacted>"));
        assert_eq!(
            c.nt_hash_value().unwrap(),
            NtHash::from_password("hunter2"),
            "password credentials hash to NTOWFv1"
        );
    }
}
