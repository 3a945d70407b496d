//! Credentials: password, NT hash (pass-the-hash) or anonymous; zeroized on drop.

use alloc::string::{String, ToString};
use core::fmt;

use zeroize::Zeroizing;

use crate::ntlm::crypto::{NtHash, ResponseMac, ntowf_v2};

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
/// Both are computed once, when the credentials are made: NTOWFv2 depends on the password
/// (or hash), the user and the domain only, so every handshake made with these credentials
/// would otherwise repeat an MD4 and an HMAC-MD5 over the same input (about 7% of a raw
/// NTLMv2 handshake's instructions, client and server together; BENCHMARKS.md), then key
/// HMAC-MD5 with it again for NTProofStr and the session base key. Windows keeps the
/// one-way functions rather than the password for the same reason.
#[derive(Clone)]
struct Keys {
    /// The password, when these credentials were made from one: kept for
    /// [`Credentials::password_value`] (legacy LM responses need it).
    password: Option<Zeroizing<String>>,
    /// NTOWFv1: MD4(UNICODE(password)), or the hash given.
    nt_hash: NtHash,
    /// NTOWFv2 (MS-NLMP 3.3.2) for the identity's user and domain, ResponseKeyNT, keyed
    /// into HMAC-MD5.
    response_mac: ResponseMac,
}

impl Keys {
    fn new(identity: &Identity, password: Option<&str>, nt_hash: NtHash) -> Self {
        let response_mac = ResponseMac::new(&ntowf_v2(&nt_hash, &identity.user, &identity.domain));
        Self { password: password.map(|p| Zeroizing::new(p.to_string())), nt_hash, response_mac }
    }
}

/// Credentials for the client side of a handshake.
///
/// `Debug` never prints the password or hash, and both are wiped on drop, with the keys
/// derived from them (NTOWFv1 and NTOWFv2, computed once when the credentials are made).
#[derive(Clone)]
pub struct Credentials {
    inner: Option<(Identity, Keys)>,
}

impl Credentials {
    /// Password credentials. `user` may be `DOMAIN\user` (split into domain and user),
    /// `user@domain` (a UPN, sent whole with an empty domain, as Windows does), or a plain
    /// name (empty domain).
    pub fn password(user: &str, password: &str) -> Self {
        Self::with_secret(user, Some(password), NtHash::from_password(password))
    }

    /// Password credentials with the domain given separately.
    pub fn password_in_domain(domain: &str, user: &str, password: &str) -> Self {
        Self::with_parts(domain, user, Some(password), NtHash::from_password(password))
    }

    /// Pass-the-hash credentials: the NT hash (NTOWFv1) instead of the password.
    /// `user` is parsed as in [`Credentials::password`].
    pub fn nt_hash(user: &str, hash: NtHash) -> Self {
        Self::with_secret(user, None, hash)
    }

    /// Pass-the-hash credentials with the domain given separately.
    pub fn nt_hash_in_domain(domain: &str, user: &str, hash: NtHash) -> Self {
        Self::with_parts(domain, user, None, hash)
    }

    /// Anonymous credentials (MS-NLMP 3.1.5.1.2: empty user, no NT response, Z(1) LM
    /// response). Servers refuse anonymous logons by default.
    pub const fn anonymous() -> Self {
        Self { inner: None }
    }

    fn with_secret(user: &str, password: Option<&str>, nt_hash: NtHash) -> Self {
        match user.split_once('\\') {
            Some((domain, user)) => Self::with_parts(domain, user, password, nt_hash),
            None => Self::with_parts("", user, password, nt_hash),
        }
    }

    fn with_parts(domain: &str, user: &str, password: Option<&str>, nt_hash: NtHash) -> Self {
        let identity = Identity {
            user: user.to_string(),
            domain: domain.to_string(),
            workstation: String::new(),
        };
        let keys = Keys::new(&identity, password, nt_hash);
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

    /// The password, if these credentials hold one (needed only by legacy LM responses).
    pub fn password_value(&self) -> Option<&str> {
        self.inner.as_ref().and_then(|(_, keys)| keys.password.as_deref().map(String::as_str))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Credentials(anonymous)"),
            Some((id, Keys { password: Some(_), .. })) => {
                write!(f, "Credentials({id:?}, password: <redacted>)")
            }
            Some((id, Keys { password: None, .. })) => {
                write!(f, "Credentials({id:?}, nt hash: <redacted>)")
            }
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
